"""Verified import: events/s for `Workspace.ingest` against the hash + signature floor.

Budget: import >= 10,000 events/s and >= 0.5 x the floor (hash + Ed25519 check per event),
both measured here on the same events.

    /tmp/venv/bin/python benchmarks/verified_import.py [--events N] [--repeats R]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import best_of, fill_events, header, new_workspace, timed, verdict

from fieldledger.ledger import store as log
from fieldledger.ledger.event import check_signature, decode, event_hash
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace

ABSOLUTE_BUDGET = 10_000.0
FLOOR_SHARE = 0.5


def floor_seconds(items: list[tuple[bytes, bytes, bytes]]) -> float:
    """Hash every event and check its signature; nothing else."""
    start = time.perf_counter()
    for author, raw, sig in items:
        if not check_signature(author, event_hash(raw), sig):
            raise SystemExit("floor: a signature does not verify")
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    header("verified_import")

    with tempfile.TemporaryDirectory() as tmp:
        a = new_workspace(Path(tmp, "a"))
        build = timed(lambda: fill_events(a, args.events))
        rows = list(log.raw_and_sig(a.conn))
        n = len(rows)
        print(f"workspace A: {n} events (built in {build:.1f} s)")

        items = [(decode(raw).author, raw, sig) for raw, sig in rows]
        floor = best_of(args.repeats, lambda: floor_seconds(items))

        # One store open at a time, as on a device that imports: SQLCipher's memory
        # security locks and wipes every allocation, so a second open store slows the first.
        devices = []
        for run in range(args.repeats):
            b = a.add_device(Path(tmp, f"b{run}"), "pw", params=TEST_PARAMS, check_strength=False)
            devices.append((b.path, b.keyring))
            b.close()
        a.close()

        times = []
        for path, _ in devices:
            b = Workspace.open(path, "pw")
            before = log.count(b.conn)  # the device's own "open" note
            start = time.perf_counter()
            taken = b.ingest(rows)
            times.append(time.perf_counter() - start)
            if taken != n or log.count(b.conn) - before != n:
                raise SystemExit(f"import stored {log.count(b.conn) - before} of {n} events")
            b.close()
        imported = min(times)

    floor_rate, import_rate = n / floor, n / imported
    ratio = import_rate / floor_rate
    print(f"floor  (hash + signature check): {floor_rate:10,.0f} events/s  ({floor:.3f} s)")
    print(f"import (B.ingest, verified):     {import_rate:10,.0f} events/s  ({imported:.3f} s)")
    print(f"ratio import/floor: {ratio:.3f}   (best of {args.repeats})")
    ok = verdict(
        "import >= 10,000 events/s", import_rate >= ABSOLUTE_BUDGET, f"{import_rate:,.0f}/s"
    )
    ok &= verdict("import >= 0.5 x floor", ratio >= FLOOR_SHARE, f"{ratio:.3f} x floor")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
