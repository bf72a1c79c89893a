from __future__ import annotations

import pytest

from fieldledger.errors import ValidationError
from fieldledger.records import REGISTRY, convert, record_type


def test_registry_names_tables_and_compartments():
    assert {t.compartment for t in REGISTRY.values()} <= {"people", "programme"}
    assert record_type("person").pii == {"name", "phone", "id_number", "gps"}
    assert not record_type("household").pii


@pytest.mark.parametrize("gps", ["16.84,96.17", "-1.5,100", "16,96"])
def test_gps_accepts_lat_lon(gps):
    convert(record_type("person"), {"household_id": "HH-1", "sex": "male", "gps": gps},
            source="t")


@pytest.mark.parametrize("bad", [
    {"household_id": "HH-1", "sex": "x"},
    {"household_id": "HH-1", "sex": "male", "birth_year": 1700},
    {"household_id": "HH-1", "sex": "male", "disability": {"walking": 5}},
    {"household_id": "HH-1", "sex": "male", "gps": "somewhere"},
    ["not", "an", "object"],
])
def test_bad_person_input(bad):
    with pytest.raises(ValidationError, match=r"^row 3: "):
        convert(record_type("person"), bad, source="row 3")


def test_burmese_digits_are_not_silently_numbers_in_json():
    # JSON numbers are ASCII; a Burmese-digit string for an integer field is refused clearly.
    with pytest.raises(ValidationError, match="field size"):
        convert(record_type("household"), {"code": "HH-1", "location_pcode": "MMR003001",
                                           "displacement_status": "idp", "size": "၅"},
                source="t")
