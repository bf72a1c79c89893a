"""The report policy in the ledger, and `prepare` on a real workspace."""

from __future__ import annotations

import dataclasses

import pytest

from fieldledger.errors import ValidationError
from fieldledger.privacy import prepare
from fieldledger.privacy.export import Column, Export, Table
from fieldledger.privacy.linter import ExportRefused
from fieldledger.privacy.policy import Policy, load, save
from tests.conftest import household


def test_a_workspace_without_a_saved_policy_has_the_defaults(ws):
    assert load(ws) == Policy()
    assert Policy() == Policy(5, "township", "month", False, None, "our organisation", 0.0)


def test_policy_round_trips_through_the_ledger(ws):
    policy = Policy(
        threshold=10,
        place_level="district",
        date_grain="quarter",
        iati=True,
        iati_alias="A Partner",
        org="Lotus Relief",
        epsilon_budget=2,
    )
    save(ws, policy)
    assert load(ws) == policy
    assert isinstance(load(ws).epsilon_budget, float)
    # It is a signed event of the programme compartment, like any record.
    rtype, compartment, rid, op = ws.conn.execute(
        "SELECT rtype, compartment, rid, op FROM events WHERE rtype = 'report-policy'"
    ).fetchone()
    assert (rtype, compartment, rid, op) == ("report-policy", "programme", "policy", "put")
    assert ws.verify().ok


def test_the_latest_policy_wins_and_survives_a_rebuild(ws):
    save(ws, Policy(threshold=7))
    save(ws, Policy(threshold=11, place_level="state_region"))
    ws.rebuild()
    assert load(ws) == Policy(threshold=11, place_level="state_region")


def test_village_levels_are_allowed_only_when_set():
    assert Policy().place_level == "township"
    assert Policy(place_level="village_tract").place_level == "village_tract"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("threshold", 1),
        ("threshold", 0),
        ("threshold", 5.0),
        ("threshold", True),
        ("threshold", 100_000),
        ("place_level", "ward"),
        ("date_grain", "day"),
        ("iati", "yes"),
        ("iati_alias", "  "),
        ("org", ""),
        ("org", "x" * 201),
        ("epsilon_budget", -1),
        ("epsilon_budget", float("nan")),
        ("epsilon_budget", "1"),
    ],
)
def test_bad_values_are_refused_naming_the_field(field, value):
    with pytest.raises(ValidationError) as info:
        Policy(**{field: value})
    message = str(info.value)
    assert f"report policy field {field}:" in message and "\n" not in message


def test_a_stored_bad_value_is_refused_on_load(ws):
    from fieldledger.ledger.event import OP_PUT

    ws.append("programme", "report-policy", "policy", OP_PUT, {"threshold": 1})
    with pytest.raises(ValidationError, match="threshold"):
        load(ws)


def test_fields_a_newer_version_added_are_ignored(ws):
    from fieldledger.ledger.event import OP_PUT

    body = {**Policy(threshold=9).to_body(), "colour": "blue"}
    ws.append("programme", "report-policy", "policy", OP_PUT, body)
    assert load(ws) == Policy(threshold=9)


def test_policies_are_immutable_and_replace_validates():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Policy().threshold = 3  # type: ignore[misc]
    with pytest.raises(ValidationError):
        dataclasses.replace(Policy(), threshold=1)


# --- prepare on a workspace ----------------------------------------------------------------

VT = "MMR003001002"  # Kawt Hlaik (ကော့လှိုက်), a village tract of Hpa-An township


def reach_export(text: str | None = None) -> Export:
    table = Table(
        "reach",
        [Column("place", "place", level="village_tract"), Column("people", "count")],
        [[VT, 3], ["MMR003002001", 40]],
        totals=False,
    )
    narrative = {"2.1": text} if text is not None else {}
    return Export("8+3", [table], narrative, reviewed_by="Ko Min")


@pytest.fixture
def people_ws(ws):
    hid = ws.add("household", household(location_pcode=VT))
    ws.add("person", {"household_id": hid, "sex": "female", "name": "Daw Aye Aye Myint"})
    ws.add("person", {"household_id": hid, "sex": "male", "name": "ဦးထွန်းထွန်းအောင်"})
    gone = ws.add("person", {"household_id": hid, "sex": "male", "name": "Saw Forgotten Person"})
    ws.forget(gone)
    return ws


def test_prepare_applies_the_saved_policy(people_ws):
    save(people_ws, Policy(threshold=3))
    export = prepare(people_ws, reach_export())
    # Township level; 3 is not under a threshold of 3.
    assert export.tables[0].rows == [["MMR003001", 3], ["MMR003002", 40]]
    save(people_ws, Policy(threshold=5, place_level="district"))
    export = prepare(people_ws, reach_export())
    assert export.tables[0].rows == [["MMR003D001", 43]]
    assert any(n.what == "generalised-place" for n in export.notes)


def rule(ws, export: Export) -> str:
    with pytest.raises(ExportRefused) as info:
        prepare(ws, export)
    return info.value.rule


def test_prepare_refuses_a_narrative_naming_a_person_of_the_workspace(people_ws):
    export = reach_export("Thanks to Daw Aye Aye Myint and her neighbours.")
    assert rule(people_ws, export) == "narrative-name"
    export = reach_export("ကျေးဇူးတင်စကား ဦးထွန်းထွန်းအောင်ကို")
    assert rule(people_ws, export) == "narrative-name"


def test_prepare_ignores_forgotten_people(people_ws):
    prepare(people_ws, reach_export("Saw Forgotten Person came."))


def test_prepare_refuses_a_narrative_naming_a_village_tract_the_records_use(people_ws):
    export = reach_export("Families of Kawt Hlaik received rice.")
    assert rule(people_ws, export) == "narrative-place"
    export = reach_export("ကော့လှိုက်ကျေးရွာအုပ်စုတွင်")
    assert rule(people_ws, export) == "narrative-place"


def test_prepare_allows_places_the_policy_allows(people_ws):
    prepare(people_ws, reach_export("Families in Hpa-An township received rice."))


def test_prepare_passes_i_understand_through(people_ws):
    export = reach_export("Daw Aye Aye Myint came.")
    prepare(people_ws, export, i_understand=True)
    export = reach_export()
    export.tables[0].columns.append(Column("phone", "pii"))
    for row in export.tables[0].rows:
        row.append(None)
    with pytest.raises(ExportRefused, match="personal data"):
        prepare(people_ws, export, i_understand=True)
