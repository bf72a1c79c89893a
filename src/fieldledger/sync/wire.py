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

from collections.abc import Iterable, Iterator

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
from fieldledger.vault.keyring import Keyring

PLAIN = 0  # body is the plaintext; the receiver seals it again
SEALED = 1  # body is the sealed bytes as stored


class WireEvent(msgspec.Struct, array_like=True, frozen=True):
    epoch: int
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
    keyring: Keyring, rows: Iterable[tuple[bytes, bytes | None]], plain_epoch: int
) -> Iterator[tuple[Event, WireEvent, bytes | None]]:
    """(event, its wire form, stored signature) for rows of one chain, in order. Only
    bodies of `plain_epoch` (the epoch of the section's seal) travel as plaintext."""
    for raw, sig in rows:
        ev = decode(raw)
        plain = b""
        if ev.epoch == plain_epoch:
            key = keyring.epochs[ev.compartment][ev.epoch]
            plain = open_plain_body(key, ev)
        if plain and seal_plain_body(key, plain, event_ad(ev)) == ev.body:
            body, form = plain, PLAIN
        else:
            body, form = ev.body, SEALED
        yield ev, WireEvent(ev.epoch, ev.hlc, ev.rtype, ev.rid, ev.op, ev.heads, body, form), sig


def from_wire(
    keyring: Keyring, workspace: bytes, compartment: str, segments: list[Segment]
) -> list[tuple[bytes, bytes | None]]:
    """Rebuild (raw, signature) rows; the signature only on each segment's last event."""
    rows: list[tuple[bytes, bytes | None]] = []
    keys = keyring.epochs.get(compartment, {})
    for segment in segments:
        prev = segment.prev
        last = len(segment.events) - 1
        for i, w in enumerate(segment.events):
            seq = segment.first + i
            if w.form == SEALED:
                body = w.body
            else:
                key = keys.get(w.epoch)
                if key is None:
                    raise VerificationError(
                        f"event {segment.author[:4].hex()}/{compartment}/{seq}: sealed under "
                        f"key epoch {w.epoch}, which this device does not hold"
                    )
                ad = _ad(workspace, segment.author, compartment, w, seq)
                body = seal_plain_body(key, w.body, ad)
            raw = encode(
                Event(
                    FORMAT,
                    workspace,
                    segment.author,
                    compartment,
                    w.epoch,
                    seq,
                    prev,
                    w.hlc,
                    w.rtype,
                    w.rid,
                    w.op,
                    tuple(w.heads),
                    body,
                )
            )
            rows.append((raw, segment.signature if i == last else None))
            prev = event_hash(raw)
    return rows


def _ad(workspace: bytes, author: bytes, compartment: str, w: WireEvent, seq: int) -> bytes:
    return body_ad(workspace, author, compartment, w.epoch, seq, w.rtype, w.rid, w.op)
