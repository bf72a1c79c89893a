"""The workspace's form keys: one RSA-2048 pair per compartment that phone forms feed.

The private key lives in the ledger, as a `put` event of type ``odk-form-key`` (record id:
the compartment's name) in that very compartment, so its body is sealed with the
compartment's epoch key like every record there: every device holding the compartment can
open the submissions of the forms that feed it, and a device without it never receives the
key. Like the report policy, the event is not a record family: the views skip it, and it
syncs and verifies like any other event.

Two devices that each made a key before they synced both stay valid: `keys_of` returns
every key of the compartment and a submission is tried against each; forms carry the
oldest (`form_key`), the same on every device once synced.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from fieldledger.errors import ValidationError
from fieldledger.ledger.event import OP_PUT, PRUNED, decode
from fieldledger.odk.crypto import FormKey

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

RTYPE = "odk-form-key"

_cache: dict[bytes, FormKey] = {}
_cache_lock = threading.Lock()


def keys_of(ws: Workspace, compartment: str) -> list[FormKey]:
    """Every form key of `compartment` this device can read, oldest first."""
    rows = ws.conn.execute(
        "SELECT raw, hash FROM events WHERE rtype = ? AND compartment = ? AND rid = ? AND op = ?"
        " ORDER BY hlc, hash",
        (RTYPE, compartment, compartment, OP_PUT),
    ).fetchall()
    found = []
    for raw, digest in rows:
        with _cache_lock:
            key = _cache.get(digest)
        if key is None:
            ev = decode(raw)
            if ev.body == PRUNED:
                continue
            body = ws._fold.body(ev)
            if body is None or not isinstance(body.get("private"), bytes):
                continue
            key = FormKey.from_private_bytes(body["private"])
            with _cache_lock:
                _cache[digest] = key
        found.append(key)
    return found


def form_key(ws: Workspace, compartment: str, *, create: bool = True) -> FormKey:
    """The key whose public half the forms of `compartment` carry; made (and stored in the
    compartment) the first time, when `create`."""
    found = keys_of(ws, compartment)
    if found:
        return found[0]
    if compartment not in ws.keyring.epochs:
        raise ValidationError(
            f"this device does not hold the {compartment} compartment, so it cannot make or "
            "use the key of forms that feed it"
        )
    if not create:
        raise ValidationError(f"no form key for {compartment} yet")
    key = FormKey.generate()
    body = {"private": key.private_bytes(), "public": key.public_key_b64}
    with ws.transaction():
        ws.append(compartment, RTYPE, compartment, OP_PUT, body)
        ws.note("odk form key", compartment)
    return key
