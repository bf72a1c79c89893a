"""Shared helpers for the benchmark scripts (not a test module)."""

from __future__ import annotations

import datetime as dt
import os
import random
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from fieldledger.demo import household, members
from fieldledger.places import village_tracts
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace

PASSPHRASE = "passphrase"


def new_workspace(path: Path) -> Workspace:
    """A workspace whose key derivation is cheap, so it never dominates a figure."""
    return Workspace.init(path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)


def fill_events(ws: Workspace, n: int, *, seed: int = 1, batch: int = 500) -> int:
    """Add demo-like records (households, each followed by its members) until exactly `n`
    events were appended, `batch` adds per transaction. Returns the events added."""
    rng = random.Random(seed)
    today = dt.date.today()
    area = rng.sample(village_tracts(), k=10)
    added = 0

    def records() -> Iterator[tuple[str, dict]]:
        while True:
            code = f"HH-{rng.randint(0, 36**5):07d}"[:10]
            data = household(rng, code, rng.choice(area).pcode, today)
            hid = f"HH-{added:08d}"
            yield "household", {"id": hid, **data}
            yield from (("person", p) for p in members(rng, hid, data["size"], today))

    stream = records()
    while added < n:
        with ws.transaction():
            for _ in range(min(batch, n - added)):
                rtype, data = next(stream)
                ws.add(rtype, data)
                added += 1
    return added


def header(name: str) -> None:
    """What ran where: the figures mean little on a loaded machine."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{name}: {os.cpu_count()} cores, load average {load}, {time.strftime('%Y-%m-%d %H:%M')}")


def best_of(repeats: int, run: Callable[[], float]) -> float:
    """The shortest of `repeats` timings; `run` returns the seconds it measured."""
    return min(run() for _ in range(repeats))


def timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def verdict(name: str, ok: bool, detail: str) -> bool:
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}")
    return ok
