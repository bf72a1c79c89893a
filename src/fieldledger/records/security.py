"""Security incidents affecting the organisation itself: threats, checkpoint trouble, raids,
digital attacks, staff arrested. Compartment `org-security`, held only by the people who
manage the organisation's safety; the description is sealed under the record's own key."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType
from fieldledger.records.household import PCode

Kind = Literal["threat", "checkpoint", "raid", "digital_attack", "arrest_of_staff", "other"]
Severity = Literal["low", "medium", "high", "critical"]


class SecurityIncident(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    kind: Kind
    date: dt.date
    location_pcode: PCode | None = None
    severity: Severity
    description: Annotated[str, msgspec.Meta(max_length=10000)] | None = None


SECURITY_INCIDENT = RecordType(
    name="security-incident",
    table="security_incidents",
    compartment="org-security",
    struct=SecurityIncident,
    id_prefix="SI",
    pii=frozenset({"description"}),
    listed=("date", "kind", "severity", "location_pcode"),
    description="a threat, raid, arrest or attack on the organisation; description sealed",
)
