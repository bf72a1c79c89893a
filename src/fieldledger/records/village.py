"""Villages a workspace adds under a MIMU village tract.

MIMU's village list is not shipped (and villages move, split and burn), so a group adds the
villages it works in as records. Each gets a MIMU-style code (its village tract's P-code
and three digits) and from then on resolves by code or name like any shipped place.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from fieldledger.records.base import RecordType

VillageCode = Annotated[str, msgspec.Meta(pattern=r"^MMR[0-9]{12}$")]
TractCode = Annotated[str, msgspec.Meta(pattern=r"^MMR[0-9]{9}$")]


class Village(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    village_tract_pcode: TractCode
    code: VillageCode | None = None  # given by the workspace when left out
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
    name_mm: Annotated[str, msgspec.Meta(max_length=120)] | None = None


VILLAGE = RecordType(
    name="village",
    table="villages",
    compartment="programme",
    struct=Village,
    id_prefix="VI",
    listed=("code", "name_en", "name_mm", "village_tract_pcode"),
    description="a village added under a MIMU village tract, with its own code",
)
