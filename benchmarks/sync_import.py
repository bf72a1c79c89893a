"""Bundle import: events/s for `exchange.import_bundle` of one large bundle into a new device.

Budget (DESIGN.md section 4, as for verified import): >= 10,000 events/s and >= 0.5 x the
floor of `verified_import.py` (BLAKE2b hash + Ed25519 check per event), both measured here on
the same events (timed on every k-th event, at most 30,000: they are per-event rates).

A bundle carries one signature per chain segment and event bodies as plaintext, which the
receiver seals again (deterministically) to rebuild the signed bytes. So a second floor is
reported, with no budget: the least work that rebuilding and checking needs, a hash and a
deterministic XChaCha20-Poly1305 seal (`seal_plain_body`, nonce derived with BLAKE2b) per
event and one Ed25519 check per segment.

A (admin) is filled with `demo.fill` until it holds at least --events events (a demo-like mix:
households, people, assessments, distributions, finance, incidents...); the bundle A makes for
a joining coordinator (everything) is taken in by a new device with only its store open.

    .venv/bin/python benchmarks/sync_import.py [--events 100000] [--repeats 2]
    .venv/bin/python benchmarks/sync_import.py --events 20000 --repeats 3   # quicker, for CI
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import msgspec
from _common import best_of, header, new_workspace, timed, verdict

from fieldledger import demo
from fieldledger.ledger import store as log
from fieldledger.ledger.event import (
    check_signature,
    decode,
    event_ad,
    event_hash,
    open_plain_body,
    seal_plain_body,
)
from fieldledger.sync import bundle, exchange, wire
from fieldledger.vault import recordkeys
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace

ABSOLUTE_BUDGET = 10_000.0
FLOOR_SHARE = 0.5
FLOOR_SAMPLE = 30_000  # floors are per-event rates: timed on every k-th event, at most this many
PER_HOUSEHOLD = 15  # events demo.fill adds per household, about (sync_wire.py: 10,842 / 700)


class SectionIn(msgspec.Struct, array_like=True):
    segments: list[wire.Segment]
    record_keys: dict[str, bytes]
    key_batches: dict[str, bytes]


def fill_to(ws: Workspace, n: int, seed: int) -> None:
    """`demo.fill` in steps until `ws` holds at least `n` events."""
    while (have := log.count(ws.conn)) < n:
        demo.fill(ws, households=max(20, (n - have) // PER_HOUSEHOLD + 1), seed=seed)


def verify_floor(items: list[tuple[bytes, bytes, bytes]]) -> float:
    """verified_import.py's floor: hash every event and check its signature."""
    start = time.perf_counter()
    for author, raw, sig in items:
        if not check_signature(author, event_hash(raw), sig):
            raise SystemExit("floor: a signature does not verify")
    return time.perf_counter() - start


def rebuild_floor(
    events: list[tuple[bytes, bytes, bytes, bytes]], ends: list[tuple[bytes, bytes, bytes]]
) -> float:
    """Seal each plaintext body again and hash each event; check one signature a segment."""
    start = time.perf_counter()
    for key, plain, ad, raw in events:
        seal_plain_body(key, plain, ad)
        event_hash(raw)
    for author, h, sig in ends:
        if not check_signature(author, h, sig):
            raise SystemExit("floor: a segment's signature does not verify")
    return time.perf_counter() - start


def floor_inputs(a: Workspace, rows: list[tuple[bytes, bytes]]):
    """What each floor works on, taken from A's log (the events the bundle carries)."""
    items, events, last = [], [], {}
    for raw, sig in rows:
        ev = decode(raw)
        items.append((ev.author, raw, sig))
        key = a.keyring.epochs[ev.compartment][ev.epoch]
        plain = open_plain_body(key, ev)
        if seal_plain_body(key, plain, event_ad(ev)) != ev.body:
            raise SystemExit(f"{ev.label}: body not sealed deterministically")
        events.append((key, plain, event_ad(ev), raw))
        last[(ev.author, ev.compartment)] = (ev.author, event_hash(raw), sig)
    return items, events, list(last.values())


def phases(ws: Workspace, data: bytes) -> dict[str, float]:
    """Seconds for the steps before storing, run on their own (nothing is stored)."""
    out = {}
    start = time.perf_counter()
    payload, _, parsed = exchange.read_bundle(ws, data)
    out["open the bundle (unseal, check its signature)"] = time.perf_counter() - start
    bodies, t_open, t_wire = [], 0.0, 0.0
    for s in payload.sections:
        key = ws.keyring.epochs[s.compartment][s.epoch]
        start = time.perf_counter()
        body = msgspec.msgpack.decode(bundle.open_section(key, parsed.header, s), type=SectionIn)
        t_open += time.perf_counter() - start
        bodies.append((s.compartment, body))
    for compartment, body in bodies:
        def record_key(rid: str, batch: str | None, body: SectionIn = body) -> bytes | None:
            if rid in body.record_keys:
                return body.record_keys[rid]
            seed = body.key_batches.get(batch) if batch else None
            return recordkeys.key_of(seed, rid) if seed else None

        start = time.perf_counter()
        wire.from_wire(ws.keyring, ws.keyring.workspace_id, compartment, body.segments, record_key)
        t_wire += time.perf_counter() - start
    out["open the sections (unseal, zstd, msgpack)"] = t_open
    out["rebuild events (seal bodies again, encode, hash links)"] = t_wire
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    header("sync_import")

    with tempfile.TemporaryDirectory() as tmp:
        a = new_workspace(Path(tmp, "a"))
        build = timed(lambda: fill_to(a, args.events, args.seed))
        print(f"workspace A: {log.count(a.conn):,} events (demo.fill, built in {build:.0f} s)")
        devices = []
        for run in range(args.repeats):
            b = a.add_device(
                Path(tmp, f"b{run}"), "pw", role="coordinator", label=f"b{run}",
                params=TEST_PARAMS, check_strength=False,
            )
            devices.append(b.path)
            b.close()
        rows = list(log.raw_and_sig(a.conn))
        start = time.perf_counter()
        made = exchange.export_bundle(a, role="coordinator")
        export = time.perf_counter() - start
        items, events, ends = floor_inputs(a, rows)
        a.close()
        segments = len(ends)
        print(f"bundle: {len(made.data):,} bytes, {made.events:,} events, {segments} segments "
              f"(made in {export:.1f} s)")

        step = -(-len(items) // FLOOR_SAMPLE)
        items, events = items[::step], events[::step]
        verify = best_of(3, lambda: verify_floor(items))
        rebuild = best_of(3, lambda: rebuild_floor(events, ends))

        # One store open at a time, as on a device that imports (see verified_import.py).
        times, split = [], {}
        for path in devices:
            b = Workspace.open(path, "pw")
            start = time.perf_counter()
            took = exchange.import_bundle(b, made.data)
            times.append(time.perf_counter() - start)
            if took.events != made.events:
                raise SystemExit(f"import stored {took.events} of {made.events} events")
            split = phases(b, made.data)
            b.close()
        imported = min(times)

    n = made.events
    rate = n / imported
    verify_rate, rebuild_rate = len(items) / verify, len(events) / rebuild
    print(f"floors timed on {len(items):,} of the events, best of 3")
    print(f"floor 1 (hash + Ed25519 check per event; verified_import.py): "
          f"{verify_rate:10,.0f} events/s")
    print(f"floor 2 (hash + XChaCha20 seal per event, 1 check per segment):   "
          f"{rebuild_rate:10,.0f} events/s")
    print(f"import_bundle into a new device:                              "
          f"{rate:10,.0f} events/s  ({imported:.1f} s, best of {args.repeats})")
    print(f"ratio import / floor 1: {rate / verify_rate:.3f}   "
          f"ratio import / floor 2: {rate / rebuild_rate:.3f}")
    print("where the import's time goes (steps run again on their own):")
    for name, seconds in split.items():
        print(f"  {name:<58} {seconds:6.2f} s  {seconds / imported:6.1%}")
    rest = imported - sum(split.values())
    print(f"  {'the rest: ingest (check, store, fold), record keys, commit':<58} {rest:6.2f} s  "
          f"{rest / imported:6.1%}")
    ok = verdict("import >= 10,000 events/s", rate >= ABSOLUTE_BUDGET, f"{rate:,.0f}/s")
    ok &= verdict(
        "import >= 0.5 x floor 1", rate / verify_rate >= FLOOR_SHARE,
        f"{rate / verify_rate:.3f} x floor 1",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
