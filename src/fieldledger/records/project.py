"""Community projects (gardens, vocational courses, small infrastructure, community health)
and their activities: a planting day, a session, a work day, with who took part."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType, invalid
from fieldledger.records.household import PCode
from fieldledger.records.participants import Participants, check_participants

# The first eight are the original sectors: records made with them stay valid.
Sector = Literal[
    "agriculture",
    "home_gardening",
    "vocational",
    "infrastructure",
    "community_health",
    "education",
    "wash",
    "other",
    "livestock",
    "fisheries",
    "livelihoods",
    "food_security",
    "nutrition",
    "shelter",
    "protection",
    "mental_health",
    "human_rights",
    "governance",
    "emergency_response",
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

    def __post_init__(self) -> None:
        if self.end_date is not None and self.end_date < self.start_date:
            raise invalid("end_date", "before start_date")


ActivityKind = Literal[
    "meeting",
    "training_session",
    "awareness_session",
    "health_session",
    "planting",
    "harvest",
    "input_distribution",
    "construction",
    "maintenance",
    "monitoring_visit",
    "other",
]


class Activity(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    project_id: Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
    date: dt.date
    kind: ActivityKind
    location_pcode: PCode
    participants: Participants = msgspec.field(default_factory=Participants)
    description: Annotated[str, msgspec.Meta(max_length=2000)] | None = None

    def __post_init__(self) -> None:
        check_participants(self.participants, "participants")


PROJECT = RecordType(
    name="project",
    table="projects",
    compartment="programme",
    struct=Project,
    id_prefix="PR",
    listed=("name", "sector", "location_pcode", "start_date", "status"),
    description="a community project such as a garden, a course or a water point",
)

ACTIVITY = RecordType(
    name="activity",
    table="activities",
    compartment="programme",
    struct=Activity,
    id_prefix="AT",
    refs=(("project_id", "project"),),
    listed=("project_id", "date", "kind", "location_pcode"),
    description="one activity of a project, with its participants by sex, age and disability",
)
