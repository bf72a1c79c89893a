"""People: members of a household. Names, phone numbers, ID numbers and exact locations are
personal data, sealed under a key of this person's own so that `forget` can destroy them."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType

Sex = Literal["female", "male", "other", "undisclosed"]
Relationship = Literal[
    "head",
    "spouse",
    "child",
    "parent",
    "sibling",
    "grandchild",
    "other_relative",
    "non_relative",
]
# Decimal degrees "latitude,longitude", ASCII digits only.
LAT_LON = r"^-?[0-9]{1,2}(\.[0-9]+)?,-?[0-9]{1,3}(\.[0-9]+)?$"
# Washington Group short set: 1 no difficulty, 2 some, 3 a lot, 4 cannot do at all.
Difficulty = Annotated[int, msgspec.Meta(ge=1, le=4)]


class Disability(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    seeing: Difficulty | None = None
    hearing: Difficulty | None = None
    walking: Difficulty | None = None
    remembering: Difficulty | None = None
    self_care: Difficulty | None = None
    communicating: Difficulty | None = None


class Person(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    household_id: Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
    sex: Sex
    birth_year: Annotated[int, msgspec.Meta(ge=1900, le=2100)] | None = None
    # Age in years when recorded, for people who do not know their birth year. Either or
    # both may be given; `age_on` in vulnerability.py prefers the birth year.
    age: Annotated[int, msgspec.Meta(ge=0, le=130)] | None = None
    relationship: Relationship | None = None
    disability: Disability | None = None
    name: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    phone: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    id_number: Annotated[str, msgspec.Meta(max_length=60)] | None = None
    gps: Annotated[str, msgspec.Meta(pattern=LAT_LON)] | None = None


PERSON = RecordType(
    name="person",
    table="persons",
    compartment="people",
    struct=Person,
    id_prefix="PE",
    pii=frozenset({"name", "phone", "id_number", "gps"}),
    refs=(("household_id", "household"),),
    listed=("household_id", "sex", "birth_year", "age", "relationship", "name"),
    description="a member of a household; name, phone, ID number and GPS are personal data",
)
