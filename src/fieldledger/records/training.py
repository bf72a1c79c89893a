"""Trainings on rights and federalism: human rights, federal democracy, women's participation,
youth leadership. The facilitator appears only by pseudonym; participants are counted, never
listed, since a list of who attended a rights course is dangerous to carry."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType, invalid
from fieldledger.records.household import PCode
from fieldledger.records.participants import Participants, check_participants

Topic = Literal[
    "human_rights", "federal_democracy", "womens_participation", "youth_leadership", "other"
]


class Training(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    topic: Topic
    title: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    start_date: dt.date
    end_date: dt.date | None = None
    facilitator_pseudonym: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    location_pcode: PCode
    participants: Participants = msgspec.field(default_factory=Participants)
    project_id: Annotated[str, msgspec.Meta(min_length=3, max_length=40)] | None = None

    def __post_init__(self) -> None:
        if self.end_date is not None and self.end_date < self.start_date:
            raise invalid("end_date", "before start_date")
        check_participants(self.participants, "participants")

    def days(self) -> int:
        return ((self.end_date or self.start_date) - self.start_date).days + 1


TRAINING = RecordType(
    name="training",
    table="trainings",
    compartment="programme",
    struct=Training,
    id_prefix="TR",
    refs=(("project_id", "project"),),
    listed=("topic", "start_date", "end_date", "location_pcode"),
    description="a training on rights, federalism, women's participation or youth leadership",
)
