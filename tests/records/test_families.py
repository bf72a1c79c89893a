"""Every record family: a valid record, invalid ones naming their field, rules across
fields, where each is kept."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldledger.errors import ValidationError
from fieldledger.records import REGISTRY, convert, record_type, to_fields
from fieldledger.records.finance import tranche_status
from fieldledger.records.household import retention_due, retention_ends
from fieldledger.records.participants import Participants
from tests.records.examples import PCODE, VALID

CLI_NAMES = [
    "household",
    "person",
    "assessment",
    "distribution",
    "project",
    "activity",
    "training",
    "incident",
    "evidence",
    "custody",
    "grant",
    "tranche",
    "expenditure",
    "feedback",
    "security-incident",
    "village",
]

COMPARTMENTS = {
    "household": "programme",
    "person": "people",
    "assessment": "programme",
    "distribution": "programme",
    "project": "programme",
    "activity": "programme",
    "training": "programme",
    "incident": "incidents",
    "evidence": "incidents",
    "custody": "incidents",
    "grant": "finance",
    "tranche": "finance",
    "expenditure": "finance",
    "feedback": "people",
    "security-incident": "org-security",
    "village": "programme",
}


def check(name: str, data: dict) -> dict:
    return to_fields(convert(record_type(name), data, source="row 2"))


def refused(name: str, data: dict, field: str) -> str:
    with pytest.raises(ValidationError) as err:
        check(name, data)
    message = str(err.value)
    assert message.startswith(f"row 2: {name} field {field}:"), message
    return message


def test_registry_holds_exactly_the_cli_names():
    assert sorted(REGISTRY) == sorted(CLI_NAMES)
    assert set(VALID) == set(REGISTRY)


@pytest.mark.parametrize(("name", "compartment"), COMPARTMENTS.items())
def test_compartment_of_each_family(name, compartment):
    assert record_type(name).compartment == compartment


def test_tables_and_id_prefixes_are_unique():
    types = list(REGISTRY.values())
    assert len({t.table for t in types}) == len(types)
    assert len({t.id_prefix for t in types}) == len(types)
    assert "AC" not in {t.id_prefix for t in types}  # the access log's


@pytest.mark.parametrize("rtype", REGISTRY.values(), ids=lambda t: t.name)
def test_declarations_name_real_fields(rtype):
    fields = set(rtype.fields)
    assert rtype.pii <= fields
    assert {f for f, _ in rtype.refs} <= fields
    assert {t for _, t in rtype.refs} <= set(REGISTRY)
    assert {f for f, _ in rtype.split} <= fields
    assert set(rtype.listed) <= fields
    assert rtype.description


def test_personal_data_and_split_fields():
    assert record_type("incident").pii == {"gps", "narrative"}
    assert record_type("feedback").pii == {"text"}
    assert record_type("security-incident").pii == {"description"}
    assert record_type("person").pii == {"name", "phone", "id_number", "gps"}
    assert record_type("distribution").split == (("transfer_channel", "finance"),)
    for name in ("household", "assessment", "distribution", "grant", "training"):
        assert not record_type(name).pii


def _patterns(t, seen=None):
    """Every regex in a type, nested structs included."""
    info = msgspec.inspect.type_info(t) if not isinstance(t, msgspec.inspect.Type) else t
    if isinstance(info, msgspec.inspect.StrType) and info.pattern:
        yield info.pattern
    elif isinstance(info, msgspec.inspect.UnionType):
        for sub in info.types:
            yield from _patterns(sub)
    elif isinstance(info, msgspec.inspect.StructType):
        for f in info.fields:
            yield from _patterns(f.type)


def test_patterns_are_ascii_only():
    for rtype in REGISTRY.values():
        for pattern in _patterns(rtype.struct):
            assert "\\d" not in pattern and "\\w" not in pattern and pattern.isascii()


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_record(name):
    fields = check(name, VALID[name])
    assert set(fields) == set(record_type(name).fields)


@pytest.mark.parametrize("name", sorted(VALID))
def test_unknown_field_refused(name):
    with pytest.raises(ValidationError, match="unknown field `colour`"):
        check(name, {**VALID[name], "colour": "blue"})


# (family, change to the valid example, field the error must name)
BAD = [
    ("household", {"retention_months": 0}, "retention_months"),
    ("household", {"consent_date": None}, "consent_date"),
    ("household", {"consent_given": None, "consent_date": None}, "consent_date"),
    ("person", {"age": 131}, "age"),
    ("person", {"age": -1}, "age"),
    ("assessment", {"food_need": 5}, "food_need"),
    ("assessment", {"health_need": -1}, "health_need"),
    ("assessment", {"meals_per_day": 9}, "meals_per_day"),
    ("assessment", {"date": "yesterday"}, "date"),
    ("distribution", {"modality": "gold"}, "modality"),
    ("distribution", {"currency": "EUR"}, "currency"),
    ("distribution", {"transfer_channel": "pigeon"}, "transfer_channel"),
    ("distribution", {"quantity": 0}, "quantity"),
    ("distribution", {"location_pcode": "MMR၀၀၃"}, "location_pcode"),
    ("project", {"sector": "mining"}, "sector"),
    ("project", {"end_date": "2025-12-31"}, "end_date"),
    ("activity", {"kind": "party"}, "kind"),
    ("activity", {"participants": {"female_0_5": -1}}, "participants.female_0_5"),
    ("activity", {"participants": {"women": 3}}, "participants"),
    ("training", {"topic": "cooking"}, "topic"),
    ("training", {"end_date": "2026-03-01"}, "end_date"),
    ("incident", {"kind": "accident"}, "kind"),
    ("incident", {"time": "25:00"}, "time"),
    ("incident", {"gps": "near the river"}, "gps"),
    ("incident", {"location_pcode": "Hpa-an"}, "location_pcode"),
    ("incident", {"source_reliability": "A"}, "source_reliability"),
    ("incident", {"affected": {"killed": {"male_18_59": "many"}}}, "affected.killed.male_18_59"),
    ("grant", {"restriction": "loose"}, "restriction"),
    ("grant", {"amount": -5}, "amount"),
    ("grant", {"period_end": "2025-01-01"}, "period_end"),
    ("tranche", {"expected_amount": -1}, "expected_amount"),
    ("tranche", {"received_date": "2026-04-02"}, "received_amount"),
    ("tranche", {"received_amount": 100}, "received_date"),
    (
        "tranche",
        {"received_date": "2026-04-02", "received_amount": 1, "cancelled": True},
        "cancelled",
    ),
    ("expenditure", {"category": "party"}, "category"),
    ("feedback", {"channel": "pigeon"}, "channel"),
    ("feedback", {"sensitive": False}, "sensitive"),
    ("security-incident", {"severity": "extreme"}, "severity"),
    ("security-incident", {"kind": "burglary"}, "kind"),
]


@pytest.mark.parametrize(("name", "change", "field"), BAD)
def test_invalid_record_names_its_field(name, change, field):
    refused(name, {**VALID[name], **change}, field)


@pytest.mark.parametrize(
    ("name", "field"),
    [
        ("assessment", "livelihoods_need"),
        ("distribution", "date"),
        ("incident", "source_reliability"),
        ("grant", "currency"),
        ("security-incident", "severity"),
    ],
)
def test_missing_required_field_is_named(name, field):
    data = {k: v for k, v in VALID[name].items() if k != field}
    message = refused(name, data, field)
    assert "missing required field" in message


# -- rules across fields ----------------------------------------------------------------


def distribution(**change):
    return {k: v for k, v in {**VALID["distribution"], **change}.items() if v is not None}


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"group": "camp section B"}, "household_id", "exactly one"),
        ({"household_id": None}, "household_id", "exactly one"),
        ({"modality": "in_kind_food"}, "transfer_channel", "cash or voucher"),
        ({"transfer_channel": None, "value": None, "currency": None}, "value", "required"),
        ({"currency": None}, "currency", "required with value"),
        (
            {"modality": "nfi", "transfer_channel": None, "value": None, "currency": "MMK"},
            "value",
            "required with currency",
        ),
    ],
)
def test_distribution_rules(change, field, words):
    assert words in refused("distribution", distribution(**change), field)


def test_distribution_to_a_group_and_in_kind():
    fields = check(
        "distribution",
        distribution(
            household_id=None,
            group="camp section B",
            modality="in_kind_food",
            transfer_channel=None,
            value=None,
            currency=None,
            item="rice",
            quantity=25,
            unit="kg",
        ),
    )
    assert fields["group"] == "camp section B" and fields["transfer_channel"] is None


def test_voucher_may_carry_a_channel():
    check("distribution", distribution(modality="voucher", transfer_channel="mobile_money"))


def test_disability_counts_are_among_the_participants():
    data = {**VALID["activity"], "participants": {"male_18_59": 1, "with_disability_male": 2}}
    message = refused("activity", data, "participants.with_disability_male")
    assert "more people with a disability" in message


def test_person_takes_age_or_birth_year_or_both():
    base = {"household_id": "HH-1", "sex": "male"}
    for extra in ({}, {"age": 40}, {"birth_year": 1986}, {"age": 40, "birth_year": 1986}):
        check("person", {**base, **extra})


def test_household_without_consent_fields_stays_valid():
    old = {"code": "HH-1", "location_pcode": PCODE, "displacement_status": "idp", "size": 3}
    assert check("household", old)["consent_given"] is None
    refusal = {**old, "consent_given": False}
    assert check("household", refusal)["consent_given"] is False



def test_feedback_other_than_sea_may_be_ordinary():
    fields = check("feedback", {**VALID["feedback"], "category": "thanks", "sensitive": False})
    assert fields["status"] == "open"


# -- computed values --------------------------------------------------------------------


def test_participants_totals():
    p = msgspec.convert(
        {"female_0_5": 2, "female_60_plus": 1, "male_18_59": 4, "other_6_17": 1, "unknown": 3,
         "with_disability_female": 1, "with_disability_male": 1},
        Participants,
    )
    assert p.by_sex() == {"female": 3, "male": 4, "other": 1}
    assert p.by_age() == {"0_5": 2, "6_17": 1, "18_59": 4, "60_plus": 1}
    assert p.total() == 11
    assert p.with_disability() == 2


def test_zero_counts_are_not_stored():
    fields = check("activity", VALID["activity"])
    assert fields["participants"] == {
        "female_18_59": 12, "male_18_59": 7, "with_disability_female": 2
    }


def test_incident_affected_totals():
    incident = convert(record_type("incident"), VALID["incident"], source="t")
    assert incident.affected.totals() == {"killed": 3, "injured": 1, "detained": 0, "displaced": 0}


@pytest.mark.parametrize(
    ("change", "today", "status"),
    [
        ({}, "2026-03-31", "expected"),
        ({}, "2026-04-01", "expected"),
        ({}, "2026-04-02", "late"),
        ({"received_date": "2026-04-20", "received_amount": 20000}, "2026-05-01", "received"),
        ({"cancelled": True}, "2026-03-01", "cut"),
        ({"cancelled": True}, "2026-06-01", "cut"),
    ],
)
def test_tranche_status(change, today, status):
    tranche = convert(record_type("tranche"), {**VALID["tranche"], **change}, source="t")
    day = dt.date.fromisoformat(today)
    assert tranche.status(day) == status
    stored = to_fields(tranche)
    assert tranche_status(
        stored["expected_date"], stored["received_date"], stored["cancelled"], day
    ) == status


@pytest.mark.parametrize(
    ("consent", "months", "ends"),
    [
        ("2026-02-01", 24, "2028-02-01"),
        ("2026-01-31", 1, "2026-02-28"),
        ("2024-01-31", 1, "2024-02-29"),
        ("2026-11-15", 2, "2027-01-15"),
        ("2026-12-31", 12, "2027-12-31"),
        ("2026-05-01", None, None),
        (None, 12, None),
    ],
)
def test_retention_ends(consent, months, ends):
    expected = dt.date.fromisoformat(ends) if ends else None
    assert retention_ends(consent, months) == expected


def test_retention_due():
    fields = check("household", VALID["household"])
    assert not retention_due(fields, dt.date(2028, 1, 31))
    assert retention_due(fields, dt.date(2028, 2, 1))
    assert not retention_due({**fields, "retention_months": None}, dt.date(2099, 1, 1))
    record = convert(record_type("household"), VALID["household"], source="t")
    assert record.retention_ends() == dt.date(2028, 2, 1)


# -- any change to a valid record is a record or one clean error -------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["2026-01-01", "2025-12-31", "cash", "MMK", "hundi", "sea", "MMR003"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=8,
)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_changed_valid_record_is_a_record_or_one_validation_error(data):
    name = data.draw(st.sampled_from(sorted(VALID)))
    fields = list(record_type(name).fields)
    change = data.draw(st.dictionaries(st.sampled_from(fields), json_values, max_size=3))
    try:
        check(name, {**VALID[name], **change})
    except ValidationError as exc:
        assert str(exc).startswith(f"row 2: {name} ") and "\n" not in str(exc)
