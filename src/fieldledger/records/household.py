"""Households: the unit of registration and of most distributions. No personal data here:
the people in a household are `person` records, whose names are sealed.

Consent is recorded on the household: whether it was given, for what, when, and for how many
months the household's people may be kept. `retention_ends` says when that period is over;
the workspace then forgets the household's `person` records (crypto-shredding their keys).
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType, invalid

PCode = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^MMR[0-9]{3}([DS][0-9]{3}|([0-9]{3}){0,3})$",
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
    # Consent. Optional so that records made before consent was recorded stay valid; `None`
    # means "not recorded", `False` means asked and refused.
    consent_given: bool | None = None
    consent_purpose: Annotated[str, msgspec.Meta(max_length=500)] | None = None
    consent_date: dt.date | None = None
    retention_months: Annotated[int, msgspec.Meta(ge=1, le=240)] | None = None

    def __post_init__(self) -> None:
        if self.consent_given and self.consent_date is None:
            raise invalid("consent_date", "required when consent_given is true")
        if self.retention_months is not None and self.consent_date is None:
            raise invalid("consent_date", "required with retention_months: it counts from it")

    def retention_ends(self) -> dt.date | None:
        return retention_ends(self.consent_date, self.retention_months)


def retention_ends(consent_date: dt.date | str | None, months: int | None) -> dt.date | None:
    """The first day the household's people are past their retention period, or None when no
    period is set. Month arithmetic keeps the day, clamped to the month's last day
    (2026-01-31 + 1 month = 2026-02-28)."""
    if consent_date is None or months is None:
        return None
    if isinstance(consent_date, str):
        consent_date = dt.date.fromisoformat(consent_date)
    month0 = consent_date.month - 1 + months
    year, month = consent_date.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(consent_date.day, calendar.monthrange(year, month)[1]))


def retention_due(fields: dict, today: dt.date) -> bool:
    """True when a household (its stored fields) is past retention: forget its people."""
    ends = retention_ends(fields.get("consent_date"), fields.get("retention_months"))
    return ends is not None and today >= ends


HOUSEHOLD = RecordType(
    name="household",
    table="households",
    compartment="programme",
    struct=Household,
    id_prefix="HH",
    listed=("code", "location_pcode", "displacement_status", "size", "consent_given"),
    description="a household registered for support; its members are person records",
)
