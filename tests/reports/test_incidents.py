"""The incidents report: events counted (never suppressed), people affected as counts, and
nothing of the narrative, GPS or sources."""

from __future__ import annotations

import pytest

from fieldledger.reports import incidents
from fieldledger.reports.period import parse


@pytest.fixture
def documented(ws):
    base = {"source_reliability": "usually_reliable", "source_type": "eyewitness"}
    for data in (
        {
            "kind": "airstrike",
            "date": "2026-03-02",
            "location_pcode": "MMR003001001",
            "time": "09:45",
            "gps": "16.89,97.63",
            "narrative": "Canary narrative of a witness",
            "affected": {
                "killed": {"female_0_5": 1, "male_18_59": 2},
                "injured": {"female_18_59": 3},
            },
        },
        {
            "kind": "airstrike",
            "date": "2026-03-20",
            "location_pcode": "MMR003001",
            "affected": {"displaced": {"female_6_17": 4, "unknown": 6}},
        },
        {
            "kind": "arbitrary_arrest",
            "date": "2026-04-01",
            "location_pcode": "MMR003",
            "perpetrator": "state_police",
            "affected": {"detained": {"male_18_59": 1}},
        },
        {"kind": "shelling", "date": "2025-12-01", "location_pcode": "MMR004001"},
    ):
        ws.add("incident", {**base, **data})
    return ws


def test_incidents_by_type_month_and_place(documented, policy):
    export = incidents.build(documented, parse("2026-01..2026-06"), policy=policy())
    assert export.kind == "incidents"
    events, people = export.tables
    assert [c.name for c in events.columns] == [
        "Incident type",
        "Month",
        "State/Region P-code",
        "State/Region",
        "District P-code",
        "District",
        "Township P-code",
        "Township",
        "Incidents",
        "People killed",
        "People injured",
        "People detained",
        "People displaced",
    ]
    assert events.rows == [
        [
            "airstrike",
            "2026-03",
            "MMR003",
            "Kayin",
            "MMR003D001",
            "Hpa-An",
            "MMR003001",
            "Hpa-An",
            2,
            3,
            3,
            0,
            10,
        ],
        ["arbitrary_arrest", "2026-04", "MMR003", "Kayin", None, None, None, None, 1, 0, 0, 1, 0],
    ]
    # People affected by sex and age: per state/region, coarser than the incidents.
    assert [c.hxl for c in people.columns][:5] == [
        "#impact+type",
        "#event+type",
        "#date+occurred",
        "#adm1+code",
        "#adm1+name",
    ]
    assert people.rows == [
        ["displaced", "airstrike", "2026-03", "MMR003", "Kayin", 4, 0, 0, 0, 0, 0, 0, 6, 10],
        ["injured", "airstrike", "2026-03", "MMR003", "Kayin", 0, 3, 0, 0, 0, 0, 0, 0, 3],
        ["killed", "airstrike", "2026-03", "MMR003", "Kayin", 1, 0, 0, 0, 2, 0, 0, 0, 3],
        ["detained", "arbitrary_arrest", "2026-04", "MMR003", "Kayin", 0, 0, 0, 0, 1, 0, 0, 0, 1],
    ]
    total = people.columns[-1]
    assert total.hxl == "#affected+total"
    assert total.total_of == tuple(c.name for c in people.columns[5:-1])


def test_an_incident_is_an_event_people_are_counts(documented, policy):
    events, people = incidents.build(documented, None, policy=policy()).tables
    kinds = {c.name: c.kind for c in events.columns}
    # A single incident is counted, never suppressed; the people in it are counts.
    assert kinds["Incidents"] == "event_count"
    assert {kinds[f"People {h}"] for h in incidents.HARMS} == {"count"}
    assert {c.kind for c in people.columns[5:]} == {"count"}
    assert events.rows[0][:2] == ["shelling", "2025-12"]


def test_nothing_from_narrative_gps_time_or_source(documented, policy):
    export = incidents.build(documented, None, policy=policy())
    shown = repr(export)
    for secret in ("Canary", "16.89", "09:45", "eyewitness", "usually_reliable", "state_police"):
        assert secret not in shown
    assert {c.kind for t in export.tables for c in t.columns} <= {
        "category",
        "date",
        "place",
        "event_count",
        "count",
    }


def test_place_and_date_follow_the_policy(documented, policy):
    events, _ = incidents.build(
        documented, None, policy=policy(place_level="state_region", date_grain="quarter")
    ).tables
    assert [c.hxl for c in events.columns][:4] == [
        "#event+type",
        "#date+occurred",
        "#adm1+code",
        "#adm1+name",
    ]
    assert [row[:5] for row in events.rows] == [
        ["shelling", "2025-Q4", "MMR004", "Chin", 1],
        ["airstrike", "2026-Q1", "MMR003", "Kayin", 2],
        ["arbitrary_arrest", "2026-Q2", "MMR003", "Kayin", 1],
    ]


def test_csv_form_holds_the_incidents_table_alone(documented, policy):
    export = incidents.build(documented, None, policy=policy(), people_table=False)
    assert [t.name for t in export.tables] == ["Incidents"]
