"""Households: the unit of registration and of most distributions. No personal data here:
the people in a household are `person` records, whose names are sealed."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType

PCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^MMR[0-9]{3}([0-9]{3}){0,3}$",
        description="MIMU P-code, state/region down to village",
    ),
]

DisplacementStatus = Literal["resident", "idp", "returnee", "host", "refugee", "relocated"]
ShelterType = Literal[
    "own_house",
    "host_family",
    "rented",
    "camp",
    "collective_centre",
    "makeshift",
    "forest",
    "other",
]


class Household(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    code: Annotated[
        str,
        msgspec.Meta(min_length=3, max_length=32, description="household code printed on its card"),
    ]
    location_pcode: PCode
    displacement_status: DisplacementStatus
    displaced_on: dt.date | None = None
    shelter_type: ShelterType | None = None
    size: Annotated[int, msgspec.Meta(ge=1, le=60)]


HOUSEHOLD = RecordType(
    name="household",
    table="households",
    compartment="programme",
    struct=Household,
    id_prefix="HH",
    listed=("code", "location_pcode", "displacement_status", "size"),
    description="a household registered for support; its members are person records",
)
