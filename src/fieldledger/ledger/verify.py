"""Checking chains: every link, every signature, the signed end of every chain.

Works on rows in chain order (author, compartment, seq), from the store or from a log file,
and reports the first bad event of each chain: later ones in that chain only repeat it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from fieldledger.errors import VerificationError
from fieldledger.ledger.event import GENESIS, PRUNED, Event, check_signature, decode, event_hash

# (raw, sig) from a log file, or (raw, sig, stored index columns) from the store.
Row = tuple


@dataclass
class VerifyReport:
    events: int = 0
    chains: int = 0
    signatures: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)  # (event label, reason)

    @property
    def ok(self) -> bool:
        return not self.problems

    def raise_if_bad(self) -> None:
        if self.problems:
            label, reason = self.problems[0]
            more = len(self.problems) - 1
            tail = f" ({more} more chain{'s' if more != 1 else ''} also bad)" if more else ""
            raise VerificationError(f"event {label}: {reason}{tail}", label)


def _index_columns(ev: Event, h: bytes) -> tuple:
    return (ev.author, ev.compartment, ev.seq, h, ev.prev, ev.hlc, ev.rtype, ev.rid, ev.op)


def verify_rows(rows: Iterable[Row], workspace: bytes) -> VerifyReport:
    report = VerifyReport()
    chain: tuple[bytes, str] | None = None
    last_seq, last_hash, last_signed = 0, GENESIS, True
    broken = False

    def close_chain() -> None:
        if chain is not None and not broken and not last_signed:
            report.problems.append(
                (
                    f"{chain[0][:4].hex()}/{chain[1]}/{last_seq}",
                    "the chain ends with an unsigned event",
                )
            )

    for position, row in enumerate(rows, start=1):
        raw, sig = row[0], row[1]
        report.events += 1
        try:
            ev = decode(raw)
        except VerificationError as exc:
            label = f"#{position}"
            if len(row) > 2:
                label = f"{row[2][0][:4].hex()}/{row[2][1]}/{row[2][2]}"
            report.problems.append((label, str(exc)))
            broken = True
            continue
        key = (ev.author, ev.compartment)
        if key != chain:
            close_chain()
            chain, last_seq, last_hash, last_signed, broken = key, 0, GENESIS, True, False
            report.chains += 1
        if broken:
            continue
        h = event_hash(raw)
        if ev.body == PRUNED and len(row) > 2:
            # A body shed by `sync prune`: its hash cannot be recomputed; the stored one is
            # bound by the next event's link, or by its own signature at a chain's end.
            h = row[2][3]
        reason = None
        if len(row) > 2 and tuple(row[2]) != _index_columns(ev, h):
            reason = "the stored event was altered (its bytes no longer match its hash)"
        elif ev.workspace != workspace:
            reason = "it belongs to another workspace"
        elif ev.seq != last_seq + 1:
            reason = f"the chain skips from {last_seq} to {ev.seq}"
        elif ev.prev != last_hash:
            reason = "it does not link to the event before it"
        elif sig is not None and not check_signature(ev.author, h, sig):
            reason = "its signature does not match"
        if reason:
            report.problems.append((ev.label, reason))
            broken = True
            continue
        if sig is not None:
            report.signatures += 1
        last_seq, last_hash, last_signed = ev.seq, h, sig is not None
    close_chain()
    return report
