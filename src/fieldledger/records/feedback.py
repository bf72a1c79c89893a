"""Feedback and complaints from the people served (accountability to affected populations).

What was said (`text`) is sealed like personal data: it often names or identifies the person
who spoke, or the person complained about. A complaint of sexual exploitation and abuse
(`sea`) is always sensitive: it goes to the PSEA focal point only, and the record refuses
`sensitive: false` for it. Compartment `people`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType, invalid
from fieldledger.records.household import PCode

Channel = Literal[
    "in_person",
    "phone",
    "hotline",
    "sms",
    "messaging_app",
    "suggestion_box",
    "community_meeting",
    "other",
]
Category = Literal[
    "information_request",
    "assistance_request",
    "complaint_quality",
    "complaint_access",
    "exclusion",
    "fraud",
    "staff_conduct",
    "sea",
    "safety",
    "suggestion",
    "thanks",
    "other",
]
Status = Literal["open", "referred", "resolved", "closed"]


class Feedback(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    channel: Channel
    date: dt.date
    category: Category
    sensitive: bool = False
    text: Annotated[str, msgspec.Meta(max_length=10000)] | None = None
    location_pcode: PCode | None = None
    status: Status = "open"

    def __post_init__(self) -> None:
        if self.category == "sea" and not self.sensitive:
            raise invalid("sensitive", "feedback about sexual exploitation and abuse is sensitive")


FEEDBACK = RecordType(
    name="feedback",
    table="feedback",
    compartment="people",
    struct=Feedback,
    id_prefix="FB",
    pii=frozenset({"text"}),
    listed=("date", "channel", "category", "sensitive", "status"),
    description="feedback or a complaint from the people served; the text is sealed",
)
