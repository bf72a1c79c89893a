"""Community projects: gardens, vocational courses, small infrastructure, community health."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType
from fieldledger.records.household import PCode

Sector = Literal[
    "agriculture",
    "home_gardening",
    "vocational",
    "infrastructure",
    "community_health",
    "education",
    "wash",
    "other",
]
Status = Literal["planned", "active", "paused", "completed", "cancelled"]


class Project(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    sector: Sector
    location_pcode: PCode
    start_date: dt.date
    end_date: dt.date | None = None
    status: Status = "active"
    description: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


PROJECT = RecordType(
    name="project",
    table="projects",
    compartment="programme",
    struct=Project,
    id_prefix="PR",
    listed=("name", "sector", "location_pcode", "start_date", "status"),
    description="a community project such as a garden, a course or a water point",
)
