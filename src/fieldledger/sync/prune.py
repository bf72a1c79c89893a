"""Carrying less: a device sheds the bodies of events a keeper has acknowledged.

A field device at a checkpoint should hold as little as it can. Once an admin or
coordinator device has taken in an event (its last bundle's frontier covers it), `prune`
replaces the event's sealed body with nothing, keeping the header and hash, so the chains
stay verifiable link by link (`ledger.verify`), and drops the records from the tables. The
keys of people whose records are all shed are deleted too. Membership is never shed: every
device needs it to check what it receives.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from fieldledger.ledger.event import PRUNED, decode, encode
from fieldledger.sync import exchange, members
from fieldledger.sync.roles import KEEPERS, MEMBERS
from fieldledger.vault import recordkeys

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace


def acknowledged(ws: Workspace) -> dict[tuple[bytes, str], int]:
    """Per chain, the highest sequence some keeper device is known to hold."""
    acked: dict[tuple[bytes, str], int] = {}
    for m in members.all_members(ws.conn):
        if m.role not in KEEPERS or m.device == ws.device or not m.active:
            continue
        for chain, (seq, _) in (exchange.peer_frontier(ws.conn, m.device) or {}).items():
            acked[chain] = max(acked.get(chain, 0), seq)
    return acked


def prune(ws: Workspace) -> int:
    """Shed every acknowledged body; returns how many."""
    acked = acknowledged(ws)
    shed = 0
    with ws.transaction():
        for (author, compartment), seq in acked.items():
            if compartment == MEMBERS:
                continue
            rows = ws.conn.execute(
                "SELECT rowid, raw FROM events WHERE author = ? AND compartment = ? AND seq <= ?",
                (author, compartment, seq),
            ).fetchall()
            for rowid, raw in rows:
                ev = decode(raw)
                if ev.body == PRUNED:
                    continue
                bare = encode(msgspec.structs.replace(ev, body=PRUNED))
                ws.conn.execute("UPDATE events SET raw = ? WHERE rowid = ?", (bare, rowid))
                shed += 1
        if shed:
            ws.rebuild()
            for (rid,) in ws.conn.execute("SELECT rid FROM record_keys").fetchall():
                if not _has_body(ws, rid):
                    recordkeys.destroy(ws.conn, ws.keyring, rid)
            ws.note("prune", str(shed))
    return shed


def _has_body(ws: Workspace, rid: str) -> bool:
    rows = ws.conn.execute(
        "SELECT raw FROM events WHERE rid = ? AND compartment = 'people'", (rid,)
    ).fetchall()
    return any(decode(raw).body != PRUNED for (raw,) in rows)
