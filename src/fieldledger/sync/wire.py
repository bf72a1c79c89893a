"""Chains on the wire: compact segments the receiver turns back into signed events.

A segment is a run of one chain (author, compartment) from `first` on. Each event travels
without what the receiver can recompute: the workspace, author, compartment and sequence
(shared by the segment), the link to the previous event (the hash of the one before it,
given once for the segment's first), and the sealed body, carried as its plaintext because
bodies are sealed deterministically (`ledger.event.seal_plain_body`). The receiver re-seals
each body with the compartment key, re-encodes the event, and recomputes every hash; the one
signature a segment carries, its last event's, then authenticates the whole run
(`ledger.incoming`). An event sealed before bodies were deterministic travels sealed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgspec

from fieldledger.errors import VerificationError
from fieldledger.ledger.event import (
    FORMAT,
    Event,
    body_ad,
    decode,
    encode,
    event_ad,
    event_hash,
    open_plain_body,
    seal_plain_body,
)
from fieldledger.ledger.hlc import COUNTER_MASK, pack, wall_ms
from fieldledger.records import REGISTRY
from fieldledger.records.text import TEXT_NOTES
from fieldledger.vault import recordkeys
from fieldledger.vault.keyring import Keyring

PLAIN = 0  # body is the plaintext; the receiver seals it again
SEALED = 1  # body is the sealed bytes as stored
PERSONAL = 2  # plaintext, and its personal values too (msgpack ext 1): sealed again as well
_OPEN = 1  # msgpack ext code of a personal value carried open

# record family -> its personal-data fields
_PERSONAL_FIELDS = {t.name: t.pii for t in REGISTRY.values() if t.pii}
RecordKey = Callable[[str, "str | None"], "bytes | None"]  # (rid, batch) -> key


def clock_rise(before: int, hlc: int) -> int:
    ms = wall_ms(hlc) - wall_ms(before)
    counter = hlc & COUNTER_MASK
    return pack(ms, counter - (before & COUNTER_MASK) if ms == 0 else counter)


def clock_after(before: int, rise: int) -> int:
    ms, counter = wall_ms(rise), rise & COUNTER_MASK
    if ms == 0:
        return before + counter
    return pack(wall_ms(before) + ms, counter)


def _decode_body(data: bytes) -> dict:
    try:
        body = msgspec.msgpack.decode(data)
    except (msgspec.DecodeError, ValueError) as exc:
        raise VerificationError("an event body in the bundle does not decode") from exc
    if not isinstance(body, dict):
        raise VerificationError("an event body in the bundle is not a map")
    return body


class WireEvent(msgspec.Struct, array_like=True, frozen=True):
    epoch: int
    # The clock as (milliseconds since the event before in the segment) << 16 | counter,
    # the counter as its rise when the milliseconds did not move: small numbers that
    # repeat (mostly 1), where whole clocks would not compress.
    hlc: int
    rtype: str
    rid: str
    op: str
    heads: tuple[bytes, ...]
    body: bytes
    form: int = PLAIN


class Segment(msgspec.Struct, array_like=True, frozen=True):
    author: bytes
    first: int
    prev: bytes
    signature: bytes
    events: list[WireEvent]


def to_wire(
    keyring: Keyring,
    rows: Iterable[tuple[bytes, bytes | None]],
    plain_epoch: int,
    record_key: RecordKey,
) -> Iterator[tuple[Event, WireEvent, bytes | None]]:
    """(event, its wire form, stored signature) for rows of one chain, in order. Only
    bodies of `plain_epoch` (the epoch of the section's seal) travel as plaintext, and their
    personal values too when this device holds the record's key."""
    last = 0
    for raw, sig in rows:
        ev = decode(raw)
        rise, last = clock_rise(last, ev.hlc), ev.hlc
        body, form = ev.body, SEALED
        if ev.epoch == plain_epoch:
            key = keyring.epochs[ev.compartment][ev.epoch]
            plain = open_plain_body(key, ev)
            if seal_plain_body(key, plain, event_ad(ev)) == ev.body:
                body, form = plain, PLAIN
                fields = _PERSONAL_FIELDS.get(ev.rtype)
                rkey = record_key(ev.rid, None) if fields else None
                opened = _open_personal(plain, ev.rid, rkey, fields) if rkey else None
                if opened is not None:
                    body, form = opened, PERSONAL
        yield ev, WireEvent(ev.epoch, rise, ev.rtype, ev.rid, ev.op, ev.heads, body, form), sig


def _personal_values(body: dict, fields: frozenset[str]) -> Iterator[tuple[str, Any, Any]]:
    """(field name for the seal, container, index) of every personal value in a body."""
    for name in fields:
        if name in body:
            yield name, body, name
    notes = body.get(TEXT_NOTES)
    if isinstance(notes, dict):
        for name, note in notes.items():
            if name in fields and isinstance(note, list) and note:
                yield f"{name}#typed", note, 0


def _open_personal(plain: bytes, rid: str, key: bytes, fields: frozenset[str]) -> bytes | None:
    """The body with its sealed personal values open, or None when the receiver could not
    rebuild the exact bytes from it (a value sealed before sealing was deterministic)."""
    body = msgspec.msgpack.decode(plain)
    for name, holder, at in _personal_values(body, fields):
        sealed = holder[at]
        if isinstance(sealed, bytes):
            value = recordkeys.open_encoded(key, rid, name, sealed)
            holder[at] = msgspec.msgpack.Ext(_OPEN, value)
    opened = msgspec.msgpack.encode(body)
    return opened if _seal_personal(opened, rid, key, fields) == plain else None


def _seal_personal(opened: bytes, rid: str, key: bytes, fields: frozenset[str]) -> bytes:
    return _reseal(msgspec.msgpack.decode(opened), rid, key, fields)


def _reseal(body: dict, rid: str, key: bytes, fields: frozenset[str]) -> bytes:
    for name, holder, at in _personal_values(body, fields):
        value = holder[at]
        if isinstance(value, msgspec.msgpack.Ext) and value.code == _OPEN:
            holder[at] = recordkeys.seal_encoded(key, rid, name, value.data)
    return msgspec.msgpack.encode(body)


def from_wire(
    keyring: Keyring,
    workspace: bytes,
    compartment: str,
    segments: list[Segment],
    record_key: RecordKey,
    batches_seen: dict[str, set[str]] | None = None,
) -> list[tuple]:
    """Rebuild (raw, signature, plaintext body, event, hash) rows for `ledger.incoming`; the
    signature only on each segment's last event, the plaintext (which spares the receiver
    decrypting it again) when known.

    `record_key(rid, batch)` gives the key of a record's personal data (its batch named by
    the body); `batches_seen` collects, per batch, the records whose bodies name it."""
    rows: list[tuple] = []
    keys = keyring.epochs.get(compartment, {})
    for segment in segments:
        prev = segment.prev
        last = len(segment.events) - 1
        hlc = 0
        for i, w in enumerate(segment.events):
            seq = segment.first + i
            hlc = clock_after(hlc, w.hlc)
            if w.form == SEALED:
                body, plain = w.body, None
            else:
                key = keys.get(w.epoch)
                if key is None:
                    raise VerificationError(
                        f"event {segment.author[:4].hex()}/{compartment}/{seq}: sealed under "
                        f"key epoch {w.epoch}, which this device does not hold"
                    )
                plain = w.body
                fields = _PERSONAL_FIELDS.get(w.rtype)
                if fields is not None:
                    opened = _decode_body(w.body)
                    batch = opened.get(recordkeys.BODY_FIELD)
                    if isinstance(batch, str) and batches_seen is not None:
                        batches_seen.setdefault(batch, set()).add(w.rid)
                if w.form == PERSONAL:
                    rkey = record_key(w.rid, batch if isinstance(batch, str) else None)
                    if rkey is None or fields is None:
                        raise VerificationError(
                            f"event {segment.author[:4].hex()}/{compartment}/{seq}: the bundle "
                            "lacks the key of its personal data"
                        )
                    plain = _reseal(opened, w.rid, rkey, fields)
                ad = _ad(workspace, segment.author, compartment, w, seq)
                body = seal_plain_body(key, plain, ad)
            ev = Event(
                FORMAT,
                workspace,
                segment.author,
                compartment,
                w.epoch,
                seq,
                prev,
                hlc,
                w.rtype,
                w.rid,
                w.op,
                tuple(w.heads),
                body,
            )
            raw = encode(ev)
            h = event_hash(raw)
            rows.append((raw, segment.signature if i == last else None, plain, ev, h))
            prev = h
    return rows


def _ad(workspace: bytes, author: bytes, compartment: str, w: WireEvent, seq: int) -> bytes:
    return body_ad(workspace, author, compartment, w.epoch, seq, w.rtype, w.rid, w.op)
