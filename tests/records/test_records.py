from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldledger.errors import ValidationError
from fieldledger.records import REGISTRY, convert, record_type
from fieldledger.vault.keyring import COMPARTMENTS


def test_registry_names_tables_and_compartments():
    assert {t.compartment for t in REGISTRY.values()} <= set(COMPARTMENTS) - {"access-log"}
    assert {c for t in REGISTRY.values() for _, c in t.split} <= set(COMPARTMENTS)
    assert record_type("person").pii == {"name", "phone", "id_number", "gps"}
    assert not record_type("household").pii


@pytest.mark.parametrize("gps", ["16.84,96.17", "-1.5,100", "16,96"])
def test_gps_accepts_lat_lon(gps):
    convert(record_type("person"), {"household_id": "HH-1", "sex": "male", "gps": gps}, source="t")


@pytest.mark.parametrize(
    "bad",
    [
        {"household_id": "HH-1", "sex": "x"},
        {"household_id": "HH-1", "sex": "male", "birth_year": 1700},
        {"household_id": "HH-1", "sex": "male", "disability": {"walking": 5}},
        {"household_id": "HH-1", "sex": "male", "gps": "somewhere"},
        ["not", "an", "object"],
    ],
)
def test_bad_person_input(bad):
    with pytest.raises(ValidationError, match=r"^row 3: "):
        convert(record_type("person"), bad, source="row 3")


def test_burmese_digits_are_numbers():
    record = convert(record_type("household"), {"code": "HH-1", "location_pcode": "MMR003001",
                                                 "displacement_status": "idp", "size": "၁၂"},
                     source="t")
    assert record.size == 12
    with pytest.raises(ValidationError, match="field size"):
        convert(record_type("household"), {"code": "HH-1", "location_pcode": "MMR003001",
                                           "displacement_status": "idp", "size": "၁၂ဦး"},
                source="t")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "code",
        "location_pcode",
        "displacement_status",
        "size",
        "displaced_on",
        "shelter_type",
        "household_id",
        "sex",
        "name",
        "birth_year",
        "disability",
        "gps",
        "start_date",
        "sector",
        "date",
        "modality",
        "group",
        "transfer_channel",
        "value",
        "currency",
        "participants",
        "affected",
        "kind",
        "period_start",
        "period_end",
        "received_date",
        "received_amount",
        "consent_given",
        "consent_date",
        "retention_months",
        "x",
    ]
)


@settings(max_examples=600, deadline=None)
@given(st.sampled_from(sorted(REGISTRY)), st.dictionaries(field_names, json_values, max_size=8))
def test_any_json_object_is_a_record_or_one_validation_error(name, data):
    try:
        convert(record_type(name), data, source="fuzz line 1")
    except ValidationError as exc:
        assert str(exc).startswith("fuzz line 1: ") and "\n" not in str(exc)
