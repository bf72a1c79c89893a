"""The decoy: what a duress passphrase opens after the real keys are destroyed.

It is a real workspace in the same format, file names and size bucket as the one it replaces,
holding months of harmless work: a community garden or a course, the households that take
part, changes over time. Its events are spread from a date four to ten months ago up to a few
days ago so it looks lived-in; it holds no names of people. Once built it behaves
like any workspace, and the duress passphrase becomes its ordinary passphrase.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from fieldledger.ledger.hlc import Clock
from fieldledger.places import gazetteer
from fieldledger.vault import layout, vault
from fieldledger.vault.kdf import KdfParams
from fieldledger.vault.keyring import Keyring
from fieldledger.vault.panic import remove_files
from fieldledger.vault.store import pad_to_bucket

DAY = 86400.0

_PROJECTS = [
    (
        "Community vegetable garden",
        "home_gardening",
        "Shared plots, seedlings and tools for mustard greens, long beans and chilli.",
    ),
    (
        "Seed saving group",
        "agriculture",
        "Members keep and exchange local rice and vegetable seed between seasons.",
    ),
    (
        "Tailoring course for young women",
        "vocational",
        "Twelve-week course with two donated sewing machines.",
    ),
    (
        "Village water tank repair",
        "infrastructure",
        "Cement, pipes and volunteer labour to reseal the monastery water tank.",
    ),
    (
        "Mushroom growing training",
        "agriculture",
        "Straw mushroom beds; trainees sell at the five-day market.",
    ),
]


class _PastClock(Clock):
    """A clock that walks through given past moments, one per event, so the decoy's history
    spreads over its whole life like real work does."""

    def __init__(self, start: float, moments: list[float]) -> None:
        self._moments = moments
        self.t = start
        super().__init__(0, now=lambda: self.t)

    def tick(self) -> int:
        if self._moments:
            self.t = self._moments.pop(0)
        return super().tick()


def build_decoy(path: Path, passphrase: str, params: KdfParams):
    """Replace the (already key-destroyed) workspace at `path` with a decoy."""
    from fieldledger.workspace import Workspace

    store = layout.store_path(path)
    old_size = store.stat().st_size if store.exists() else 0
    remove_files(path, keep_keys=True)
    rng = random.Random()
    plan = _plan(rng)
    first = time.time() - rng.uniform(120, 300) * DAY
    last = time.time() - rng.uniform(0.5, 6) * DAY
    # One moment per event: the first at the start, the last a few days ago.
    moments = [first, *sorted(rng.uniform(first, last) for _ in plan[2:]), last]
    clock = _PastClock(first, moments)
    keyring = Keyring.new(created_ms=int(clock.t * 1000))
    # Strength was checked when the duress slot was added; rebuilt in place over the same file.
    unlocked = vault.create(
        layout.keys_path(path), passphrase, params, keyring, label="owner", check=False
    )
    ws = Workspace._start(path, unlocked, clock, fresh=True)
    _play(ws, plan, rng)
    # A fresh store that nothing else holds: no journal needed while the filler is written,
    # which halves the time a large workspace takes to be replaced.
    ws.conn.execute("PRAGMA journal_mode = OFF")
    pad_to_bucket(ws.conn, minimum=old_size)
    ws.conn.execute("PRAGMA journal_mode = WAL")
    ws.clock = Clock(ws.clock.last)
    return ws


def _plan(rng: random.Random) -> list[tuple[str, int]]:
    """The decoy's history as steps: projects start, households join in waves, projects move
    on, someone opens the workspace now and then."""
    projects = rng.randint(2, 3)
    households = rng.randint(12, 28)
    steps = [("project", n) for n in range(projects)]
    steps += [("household", n) for n in range(households)]
    steps += [("open", 0)] * rng.randint(8, 20)
    steps += [("resize", 0)] * rng.randint(2, 6)
    head, tail = steps[:projects], steps[projects:]
    rng.shuffle(tail)
    # Projects move on somewhere in the second half of the decoy's life.
    for n in range(projects):
        tail.insert(rng.randint(len(tail) // 2, len(tail)), ("status", n))
    return head + tail


def _play(ws, plan: list[tuple[str, int]], rng: random.Random) -> None:
    townships = [p.pcode for p in gazetteer().places("township") if p.active]
    township = rng.choice(townships)
    chosen = rng.sample(_PROJECTS, k=3)
    prefix = rng.choice(["CG", "KG", "SG", "VG", "MG"])
    start = time.strftime("%Y-%m-%d", time.gmtime(ws.clock.t))
    project_ids: list[str] = []
    household_ids: list[str] = []
    for step, n in plan:
        if step == "project":
            name, sector, text = chosen[n]
            project_ids.append(
                ws.add(
                    "project",
                    {
                        "name": name,
                        "sector": sector,
                        "location_pcode": township,
                        "start_date": start,
                        "status": "planned",
                        "description": text,
                    },
                )
            )
        elif step == "household":
            household_ids.append(
                ws.add(
                    "household",
                    {
                        "code": f"{prefix}-{rng.randint(1, 400):03d}-{n}",
                        "location_pcode": township,
                        "displacement_status": rng.choice(["resident"] * 5 + ["host", "idp"]),
                        "shelter_type": rng.choice(["own_house"] * 4 + ["rented", "host_family"]),
                        "size": rng.randint(2, 8),
                    },
                )
            )
        elif step == "resize":
            if household_ids:
                ws.update("household", rng.choice(household_ids), {"size": rng.randint(2, 9)})
        elif step == "status":
            ws.update("project", project_ids[n], {"status": rng.choice(["active", "completed"])})
        else:
            ws.note("open")
