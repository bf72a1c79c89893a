"""Incidents: attacks, arrests, killings, arson, aid obstruction, documented for accountability.

An incident is an event, not a person. The place is recorded at the precision the recorder
chooses (a P-code of any level, state/region down to village); exact GPS and the narrative
are sealed under the incident's own key (`pii`), so they stay ciphertext in the views and can
be destroyed (`forget`) if holding them becomes too dangerous. People affected are counted by
sex and age, never named. Evidence and its custody are `evidence.py`.

Typology (`kind`):

    airstrike            bombing or strike from aircraft or drones
    shelling             artillery, mortar or rocket fire
    ground_attack        an assault or raid by ground forces on a place
    arbitrary_arrest     detention without due process, including at checkpoints
    killing              unlawful killing outside of the above
    torture              torture or cruel, inhuman or degrading treatment
    arson                burning of homes, villages, crops, or stores
    forced_displacement  people forced to leave (orders, threats, clearance operations)
    aid_obstruction      blocking, seizure or taxing of aid, attacks on aid workers
    sexual_violence      rape and other sexual violence (conflict-related)
    other                anything else; say what in the narrative
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType
from fieldledger.records.household import PCode
from fieldledger.records.participants import SexAgeCounts
from fieldledger.records.person import LAT_LON

IncidentKind = Literal[
    "airstrike",
    "shelling",
    "ground_attack",
    "arbitrary_arrest",
    "killing",
    "torture",
    "arson",
    "forced_displacement",
    "aid_obstruction",
    "sexual_violence",
    "other",
]
# Neutral categories: what a device at a checkpoint shows should not read as an accusation
# more than the record needs.
Perpetrator = Literal[
    "state_armed_forces",
    "state_police",
    "state_aligned_militia",
    "non_state_armed_group",
    "unidentified",
    "other",
]
# The source grading of the Admiralty system (A to F), in words.
Reliability = Literal[
    "completely_reliable",
    "usually_reliable",
    "fairly_reliable",
    "not_usually_reliable",
    "unreliable",
    "cannot_be_judged",
]
SourceType = Literal[
    "eyewitness", "victim", "relative", "community_leader", "media", "social_media", "other"
]


class Affected(
    msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True, omit_defaults=True
):
    killed: SexAgeCounts | None = None
    injured: SexAgeCounts | None = None
    detained: SexAgeCounts | None = None
    displaced: SexAgeCounts | None = None

    def totals(self) -> dict[str, int]:
        """{"killed": n, ...}; a count not recorded is 0."""
        return {
            k: (c.total() if c is not None else 0)
            for k in self.__struct_fields__
            for c in (getattr(self, k),)
        }


class Incident(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    kind: IncidentKind
    date: dt.date
    time: Annotated[str, msgspec.Meta(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] | None = None
    location_pcode: PCode
    gps: Annotated[str, msgspec.Meta(pattern=LAT_LON)] | None = None
    affected: Affected = msgspec.field(default_factory=Affected)
    perpetrator: Perpetrator | None = None
    source_reliability: Reliability
    source_type: SourceType | None = None
    narrative: Annotated[str, msgspec.Meta(max_length=20000)] | None = None


INCIDENT = RecordType(
    name="incident",
    table="incidents",
    compartment="incidents",
    struct=Incident,
    id_prefix="IN",
    pii=frozenset({"gps", "narrative"}),
    listed=("kind", "date", "location_pcode", "source_reliability"),
    description="an attack, arrest, killing or other abuse; GPS and narrative are sealed",
)
