"""Panic and duress timings for workspaces grown to a given size.

Budget: <= 1 s, whatever the size, for the key destruction: `panic(path)`, and the duress
unlock (one Argon2id run of TEST_PARAMS, then the key file is overwritten). The time until the
decoy is open and padded to the old size bucket is reported, not budgeted.

    /tmp/venv/bin/python benchmarks/panic_time.py [--sizes 10M,1G]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _common import PASSPHRASE, fill_events, header, new_workspace, verdict

from fieldledger.errors import WrongPassphrase
from fieldledger.vault import layout, vault
from fieldledger.vault.panic import panic
from fieldledger.vault.store import bucket, pad_to_bucket
from fieldledger.workspace import Workspace

BUDGET_S = 1.0
DURESS = "orchid tractor velvet harbour quiet"
RECORDS = 500
UNITS = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}


def parse_size(text: str) -> int:
    text = text.strip().upper()
    if text[-1:] in UNITS:
        return int(float(text[:-1]) * UNITS[text[-1]])
    return int(text)


def build(path: Path, size: int, *, duress: bool) -> tuple[int, float]:
    """A closed workspace with some records, grown to `size`; (store bytes, build seconds)."""
    start = time.perf_counter()
    ws = new_workspace(path)
    fill_events(ws, RECORDS)
    if duress:
        vault.add_slot(ws.unlocked, DURESS, label="d", duress=True)
    pad_to_bucket(ws.conn, minimum=size)
    ws.close()
    os.sync()
    return layout.store_path(path).stat().st_size, time.perf_counter() - start


def one_size(tmp: Path, label: str, size: int) -> bool:
    free = shutil.disk_usage(tmp).free
    if free < 3 * size:
        print(f"[{label}] skipped: {free / 2**30:.1f} GiB free under {tmp}, need {3 * size:,} B")
        return True

    path = tmp / f"panic-{label}"
    stored, built = build(path, size, duress=False)
    start = time.perf_counter()
    panic(path)
    seconds = time.perf_counter() - start
    if layout.keys_path(path).exists():
        raise SystemExit("panic left the key file")
    # A large store is unlinked by a detached child after panic returns: wait for it.
    while path.exists() and time.perf_counter() - start < 120:
        time.sleep(0.01)
    if path.exists():
        raise SystemExit(f"panic left {list(path.iterdir())}")
    gone = time.perf_counter() - start
    print(f"[{label}] store {stored:,} B (built in {built:.1f} s)")
    print(f"[{label}] panic:                      {seconds * 1000:8.1f} ms")
    print(f"[{label}] folder gone after:          {gone * 1000:8.1f} ms")
    ok = verdict(f"[{label}] panic <= 1 s", seconds <= BUDGET_S, f"{seconds:.3f} s")

    path = tmp / f"duress-{label}"
    stored, built = build(path, size, duress=True)
    copy = tmp / f"keys-{label}"
    copy.mkdir()
    shutil.copy2(layout.keys_path(path), copy / layout.KEYS)
    os.sync()
    start = time.perf_counter()
    opened = vault.unlock(copy / layout.KEYS, DURESS)
    unlock_s = time.perf_counter() - start
    if not opened.duress:
        raise SystemExit("the duress passphrase did not open the duress slot")
    start = time.perf_counter()
    decoy = Workspace.open(path, DURESS)
    total_s = time.perf_counter() - start
    decoy_bytes = layout.store_path(path).stat().st_size
    same = decoy.was_duress and bucket(decoy_bytes) == bucket(stored)
    decoy.close()
    try:  # the real keys are gone: only the decoy opens now
        Workspace.open(path, PASSPHRASE).close()
        destroyed = False
    except WrongPassphrase:
        destroyed = True
    print(f"[{label}] duress unlock (Argon2id + key file overwrite): {unlock_s * 1000:8.1f} ms")
    print(
        f"[{label}] duress open until decoy padded: {total_s:8.2f} s "
        f"(decoy store {decoy_bytes:,} B, same bucket: {same}; built in {built:.1f} s)"
    )
    ok &= verdict(f"[{label}] duress unlock <= 1 s", unlock_s <= BUDGET_S, f"{unlock_s:.3f} s")
    ok &= verdict(f"[{label}] decoy in the old size bucket", same, f"{decoy_bytes:,} B")
    ok &= verdict(f"[{label}] real passphrase no longer opens", destroyed, str(destroyed))
    shutil.rmtree(path)
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10M,1G", help="comma-separated, e.g. 10M,1G")
    args = parser.parse_args()
    header("panic_time")
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for label in args.sizes.split(","):
            ok &= one_size(Path(tmp), label.strip(), parse_size(label))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
