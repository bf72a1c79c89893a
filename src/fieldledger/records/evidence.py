"""Evidence for an incident, and its chain of custody.

The file itself is not in the record: it is an encrypted blob beside the store, named by a
keyed hash. The record carries what an investigative mechanism checks: the SHA-256 of the
original bytes, signed with the event that records it. Witnesses appear only by pseudonym.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType

EvidenceKind = Literal["photo", "video", "audio", "document"]
CustodyAction = Literal["added", "viewed", "exported", "packaged", "handed_over"]


class Evidence(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    incident_id: Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
    kind: EvidenceKind
    sha256: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
    size: Annotated[int, msgspec.Meta(ge=0)]
    media_type: Annotated[str, msgspec.Meta(max_length=100)]
    blob: Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{32,64}$")]
    captured_on: dt.date | None = None
    witness_pseudonym: Annotated[str, msgspec.Meta(max_length=60)] | None = None
    description: Annotated[str, msgspec.Meta(max_length=4000)] | None = None


class Custody(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    evidence_id: Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
    action: CustodyAction
    recipient: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    note: Annotated[str, msgspec.Meta(max_length=2000)] | None = None


EVIDENCE = RecordType(
    name="evidence",
    table="evidence",
    compartment="incidents",
    struct=Evidence,
    id_prefix="EV",
    refs=(("incident_id", "incident"),),
    listed=("incident_id", "kind", "size", "captured_on"),
    description="a photo, video, audio or document about an incident, kept encrypted",
)

CUSTODY = RecordType(
    name="custody",
    table="custody",
    compartment="incidents",
    struct=Custody,
    id_prefix="CU",
    refs=(("evidence_id", "evidence"),),
    listed=("evidence_id", "action", "recipient"),
    description="one access to or hand-over of a piece of evidence",
)
