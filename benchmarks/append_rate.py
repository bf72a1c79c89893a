"""Append rate: events/s for `ws.add("household", ...)`, one transaction per event (an fsync
each) and one per 500 events, against the floor of hash + Ed25519 sign on the same bytes.

No budget: figures only.

    /tmp/venv/bin/python benchmarks/append_rate.py [--single N] [--batched N] [--repeats R]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

from _common import best_of, header, new_workspace

from fieldledger.demo import household
from fieldledger.ledger import store as log
from fieldledger.ledger.event import event_hash, sign_hash
from fieldledger.places import village_tracts

BATCH = 500


def households(n: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    area = village_tracts()[:10]
    today = dt.date.today()
    return [household(rng, f"HH-{i:07d}", rng.choice(area).pcode, today) for i in range(n)]


def append_seconds(path: Path, data: list[dict], batch: int) -> tuple[float, list[bytes], bytes]:
    """Seconds to add every household, `batch` per transaction; the raw events and the
    device's signing key, for the floor."""
    ws = new_workspace(path)
    start = time.perf_counter()
    for first in range(0, len(data), batch):
        with ws.transaction():
            for item in data[first : first + batch]:
                ws.add("household", item)
    seconds = time.perf_counter() - start
    raws = [raw for raw, _ in log.raw_and_sig(ws.conn)]
    secret = ws.keyring.device_secret
    ws.close()
    return seconds, raws, secret


def floor_seconds(raws: list[bytes], secret: bytes) -> float:
    start = time.perf_counter()
    for raw in raws:
        sign_hash(secret, event_hash(raw))
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--single", type=int, default=300, help="events, 1 per transaction")
    parser.add_argument("--batched", type=int, default=5000, help="events, 500 per transaction")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    header("append_rate")

    results: dict[int, tuple[int, float]] = {}
    raws: list[bytes] = []
    secret = b""
    with tempfile.TemporaryDirectory() as tmp:
        for batch, n in ((1, args.single), (BATCH, args.batched)):
            data = households(n, seed=batch)
            times = []
            for run in range(args.repeats):
                seconds, raws, secret = append_seconds(Path(tmp, f"w{batch}-{run}"), data, batch)
                times.append(seconds)
            results[batch] = (n, min(times))
    floor = best_of(args.repeats, lambda: floor_seconds(raws, secret))

    floor_rate = len(raws) / floor
    for batch, (n, seconds) in results.items():
        print(f"append, {batch:3d} per transaction: {n / seconds:9,.0f} events/s  ({n} events)")
    print(f"floor (hash + Ed25519 sign):     {floor_rate:9,.0f} events/s  ({len(raws)} events)")
    n, seconds = results[BATCH]
    print(f"ratio append-in-batches/floor: {n / seconds / floor_rate:.3f}")
    n1, seconds1 = results[1]
    print(f"ratio batch-{BATCH}/batch-1: {(n / seconds) / (n1 / seconds1):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
