"""MIMU P-codes shipped with the package (see data/PROVENANCE.md)."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Place:
    pcode: str
    level: str
    name_en: str
    name_mm: str
    parent: str


@functools.cache
def places() -> dict[str, Place]:
    found: dict[str, Place] = {}
    data = resources.files("fieldledger") / "data"
    with (data / "pcodes_admin1-3.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found[row["pcode"]] = Place(
                row["pcode"], row["level"], row["name_en"], row["name_mm"], row["parent_pcode"]
            )
    with (data / "pcodes_village_tracts_demo.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            found[row["vt_pcode"]] = Place(
                row["vt_pcode"], "village_tract", row["name_en"], row["name_mm"], row["tsp_pcode"]
            )
    return found


def village_tracts() -> list[Place]:
    return [p for p in places().values() if p.level == "village_tract"]
