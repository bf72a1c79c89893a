"""Needs assessments of a household: a severity score per sector and a few indicators.

Scores follow the 0 to 4 severity scale most cluster assessments use:
0 no need, 1 stress, 2 moderate, 3 severe, 4 extreme. The vulnerability score is not typed
in: `records.vulnerability.score` computes it from the assessment, the household and its
members, with weights the organisation can change.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

from fieldledger.records.base import RecordType

Severity = Annotated[
    int,
    msgspec.Meta(ge=0, le=4, description="0 none, 1 stress, 2 moderate, 3 severe, 4 extreme"),
]
SECTORS = ("food", "shelter", "health", "protection", "livelihoods")


class Assessment(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    household_id: Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
    date: dt.date
    assessor_pseudonym: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    food_need: Severity
    shelter_need: Severity
    health_need: Severity
    protection_need: Severity
    livelihoods_need: Severity
    # Indicators: optional, `None` = not asked.
    meals_per_day: Annotated[int, msgspec.Meta(ge=0, le=6)] | None = None
    income_lost: bool | None = None
    chronic_illness: bool | None = None
    safe_water: bool | None = None
    children_out_of_school: Annotated[int, msgspec.Meta(ge=0, le=40)] | None = None
    debt: bool | None = None

    def needs(self) -> dict[str, int]:
        """{"food": 3, "shelter": 1, ...}: the score of each sector."""
        return {s: getattr(self, f"{s}_need") for s in SECTORS}


ASSESSMENT = RecordType(
    name="assessment",
    table="assessments",
    compartment="programme",
    struct=Assessment,
    id_prefix="AS",
    refs=(("household_id", "household"),),
    listed=("household_id", "date", "food_need", "shelter_need", "health_need"),
    description="a needs assessment of a household: severity 0-4 per sector and indicators",
)
