"""Removing a member device: pin its chains, start a new key epoch without it.

The admin's `revoke` event pins each of the device's chains at the last event the admin had
accepted (sequence and hash): events it writes later are refused everywhere, and a different
event at a pinned place is a fork, raised as an alarm. The same event carries fresh keys for
every compartment, sealed to each remaining member's X25519 key for its role's compartments;
from then on every device writes under the new epoch, which the revoked device never
receives. What it held before stays readable to it: revocation protects what comes after.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fieldledger.ledger import store as log
from fieldledger.ledger.event import OP_PUT
from fieldledger.sync import members
from fieldledger.sync.invite import _require_admin
from fieldledger.sync.roles import MEMBERS

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace


def revoke(ws: Workspace, name: str) -> members.Member:
    _require_admin(ws)
    target = members.find(ws.conn, name)
    if target.device == ws.device:
        raise members.MembershipError("a device cannot revoke itself: ask another admin")
    if not target.active:
        raise members.MembershipError(f"{target.name} was already removed")
    pins = []
    for (compartment,) in ws.conn.execute(
        "SELECT DISTINCT compartment FROM events WHERE author = ? ORDER BY compartment",
        (target.device,),
    ).fetchall():
        seq, h = log.tip(ws.conn, target.device, compartment)
        pins.append([compartment, seq, h])
    remaining = {
        m.device: (m.role, m.box)
        for m in members.all_members(ws.conn)
        if m.active and m.device != target.device
    }
    _, sealed = members.new_epoch_keys(remaining)
    body = {"kind": "revoke", "device": target.device, "pins": pins, "keys": sealed}
    body.update(epoch=max(ws.keyring.epochs[MEMBERS]) + 1, set=members.member_set_hash(ws.conn))
    ws.append(MEMBERS, members.RTYPE, f"RV-{target.device[:8].hex()}", OP_PUT, body)
    ws.note("revoke", target.name)
    return target
