"""The decoy: what a duress passphrase opens after the real keys are destroyed.

It is a real workspace in the same format, file names and size bucket as the one it replaces,
holding a few months of harmless work: a community garden, a seed bank, the households that
take part. Its events are dated over past months so it looks lived-in. Once built it behaves
like any workspace, and the duress passphrase becomes its ordinary passphrase.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from fieldledger.ledger.hlc import Clock
from fieldledger.vault import layout, vault
from fieldledger.vault.kdf import KdfParams
from fieldledger.vault.keyring import Keyring
from fieldledger.vault.panic import remove_files
from fieldledger.vault.store import pad_to_bucket

DAY = 86400.0

_TOWNSHIPS = ["MMR010001", "MMR010003", "MMR009010", "MMR005005", "MMR013001", "MMR007005"]
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
]


class _PastClock(Clock):
    """A clock that walks forward through the past, a few hours or days per event."""

    def __init__(self, start: float, rng: random.Random) -> None:
        self._t = start
        self._rng = rng
        super().__init__(0, now=lambda: self._t)

    def tick(self) -> int:
        self._t += self._rng.uniform(0.2, 3.0) * DAY * self._rng.random()
        self._t = min(self._t, time.time() - 600)
        return super().tick()


def build_decoy(path: Path, passphrase: str, params: KdfParams):
    """Replace the (already key-destroyed) workspace at `path` with a decoy."""
    from fieldledger.workspace import Workspace

    store = layout.store_path(path)
    old_size = store.stat().st_size if store.exists() else 0
    remove_files(path, keep_keys=True)
    rng = random.Random()
    clock = _PastClock(time.time() - rng.uniform(120, 240) * DAY, rng)
    keyring = Keyring.new(created_ms=int(clock._t * 1000))
    # Strength was checked when the duress slot was added; rebuilt in place over the same file.
    unlocked = vault.create(
        layout.keys_path(path), passphrase, params, keyring, label="owner", check=False
    )
    ws = Workspace._start(path, unlocked, clock, fresh=True)
    _fill(ws, rng)
    # A fresh store that nothing else holds: no journal needed while the filler is written,
    # which halves the time a large workspace takes to be replaced.
    ws.conn.execute("PRAGMA journal_mode = OFF")
    pad_to_bucket(ws.conn, minimum=old_size)
    ws.conn.execute("PRAGMA journal_mode = WAL")
    ws.clock = Clock(ws.clock.last)
    return ws


def _fill(ws, rng: random.Random) -> None:
    township = rng.choice(_TOWNSHIPS)
    chosen = rng.sample(_PROJECTS, k=2)
    start = time.strftime("%Y-%m-%d", time.gmtime(ws.clock._t))
    project_ids = []
    for name, sector, text in chosen:
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
    for n in range(rng.randint(9, 16)):
        ws.add(
            "household",
            {
                "code": f"G-{n + 1:03d}",
                "location_pcode": township,
                "displacement_status": "resident",
                "shelter_type": "own_house",
                "size": rng.randint(2, 7),
            },
        )
        if rng.random() < 0.3:
            ws.note("open")
    for rid in project_ids:
        ws.update("project", rid, {"status": "active"})
