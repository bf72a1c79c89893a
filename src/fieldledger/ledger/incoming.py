"""Checking events written elsewhere before they are stored.

A chain segment is authenticated by the hash of every event and the signature of its last
event: each event's hash is bound into the next one's `prev`, so one signature at the end
covers the whole segment. That is how sync carries chains (one signature per segment on
the wire), and it is what this check requires; signatures of earlier events in a segment
are not needed and are not kept, so what is stored is exactly what was verified.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass

from fieldledger.errors import VerificationError
from fieldledger.ledger import store as log
from fieldledger.ledger.event import GENESIS, Event, check_signature, decode, event_hash
from fieldledger.ledger.hlc import wall_ms
from fieldledger.vault.store import Connection

# How far ahead of this device's clock another device's event may claim to be.
MAX_CLOCK_SKEW_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class Incoming:
    event: Event
    hash: bytes
    raw: bytes
    sig: bytes | None
    plain: bytes | None = None  # the body's plaintext, when the carrier had it (sync)


def _refuse(ev: Event, reason: str) -> VerificationError:
    return VerificationError(f"event {ev.label}: {reason}", ev.label)


def check(conn: Connection, workspace: bytes, rows: Iterable[tuple], now_ms: int) -> list[Incoming]:
    """The events of `rows` that are new here, in chain order, each segment verified.

    A row is (raw, signature), or (raw, signature, plaintext body, event, hash) when this
    process built the raw bytes itself from what a bundle carried (`sync.wire`): the event
    and its hash are then taken as given instead of being decoded and hashed again.

    Raises VerificationError naming the first bad event; events already held are skipped.
    """
    decoded = sorted(
        (
            (row[3], row[0], row[1], row[2], row[4])
            if len(row) > 3
            else (decode(row[0]), row[0], row[1], None, None)
            for row in rows
        ),
        key=lambda d: (d[0].author, d[0].compartment, d[0].seq),
    )
    accepted: list[Incoming] = []
    for (author, compartment), chain in itertools.groupby(
        decoded, key=lambda d: (d[0].author, d[0].compartment)
    ):
        tip = log.tip(conn, author, compartment)
        last_seq, last_hash = tip if tip else (0, GENESIS)
        segment: list[Incoming] = []
        for ev, raw, sig, plain, known in chain:
            h = known or event_hash(raw)
            if ev.workspace != workspace:
                raise _refuse(ev, "it belongs to another workspace")
            if ev.seq <= last_seq:
                held = log.event_at(conn, author, compartment, ev.seq)
                if held is not None and held[0] == h:
                    continue
                raise _refuse(
                    ev,
                    "a second, different event with the same place in its chain "
                    "(a forked chain: report this device to an admin)",
                )
            if ev.seq != last_seq + 1 or ev.prev != last_hash:
                raise _refuse(
                    ev, f"it does not continue its chain (expected sequence {last_seq + 1})"
                )
            if wall_ms(ev.hlc) > now_ms + MAX_CLOCK_SKEW_MS:
                raise _refuse(
                    ev, "dated too far in the future (check the clock of the device that wrote it)"
                )
            segment.append(Incoming(ev, h, raw, None, plain))
            last_seq, last_hash, last_sig = ev.seq, h, sig
        if not segment:
            continue
        end = segment[-1]
        if last_sig is None:
            raise _refuse(end.event, "the chain ends with an unsigned event")
        if not check_signature(author, end.hash, last_sig):
            raise _refuse(end.event, "its signature does not match")
        segment[-1] = Incoming(end.event, end.hash, end.raw, last_sig, end.plain)
        accepted += segment
    return accepted
