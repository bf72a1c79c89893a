"""The 5W builder on a hand-made workspace: every number checked, before disclosure control."""

from __future__ import annotations

import re

import pytest

from fieldledger.errors import ValidationError
from fieldledger.reports import fivew
from fieldledger.reports.period import parse

HXL = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")
COUNTS = (
    "f_children",
    "f_adults",
    "f_elderly",
    "m_children",
    "m_adults",
    "m_elderly",
    "other",
    "unknown",
    "total",
    "disabled",
)


def table(export):
    (only,) = export.tables
    return only


def rows(export) -> dict[tuple, dict[str, int]]:
    """(sector, activity, finest P-code shown, date) -> the counts by key."""
    t = table(export)
    names = [c.name for c in t.columns]
    codes = [i for i, c in enumerate(t.columns) if c.hxl and c.hxl.endswith("+code")]
    when = next(i for i, c in enumerate(t.columns) if c.kind == "date")
    out = {}
    for row in t.rows:
        place = next((row[i] for i in reversed(codes) if row[i] is not None), None)
        key = (row[names.index("Sector")], row[names.index("Activity")], place, row[when])
        assert key not in out
        out[key] = dict(zip(COUNTS, row[-len(COUNTS) :], strict=True))
    return out


def people(
    *,
    f_children=0,
    f_adults=0,
    f_elderly=0,
    m_children=0,
    m_adults=0,
    m_elderly=0,
    other=0,
    unknown=0,
    disabled=0,
):
    counts = dict(
        f_children=f_children,
        f_adults=f_adults,
        f_elderly=f_elderly,
        m_children=m_children,
        m_adults=m_adults,
        m_elderly=m_elderly,
        other=other,
        unknown=unknown,
    )
    return {**counts, "total": sum(counts.values()), "disabled": disabled}


def test_counts_people_of_households_activities_and_trainings(small, policy):
    export = fivew.build(small.ws, parse("2026-01..2026-06"), policy=policy())
    assert export.kind == "5w"
    assert rows(export) == {
        # H1 twice in January (counted once) and H2: the boy born 2026 is 0 in 2026; two of
        # H2's four members are not recorded.
        ("food_security", "in_kind_food", "MMR003001", "2026-01"): people(
            f_children=1,
            f_adults=1,
            m_children=2,
            m_adults=1,
            m_elderly=1,
            unknown=3,
            disabled=1,
        ),
        ("emergency_response", "cash", "MMR003001", "2026-02"): people(
            f_children=1,
            f_adults=1,
            m_adults=1,
            m_elderly=1,
            unknown=1,
            disabled=1,
        ),
        ("food_security", "planting", "MMR003002", "2026-03"): people(
            f_adults=3,
            m_children=2,
            other=1,
            unknown=2,
            disabled=1,
        ),
        # Recorded at state level: no district or township.
        ("human_rights", "training_human_rights", "MMR003", "2026-04"): people(
            f_adults=6,
            m_elderly=1,
        ),
    }


def test_without_period_every_record_and_nobody_before_birth(small, policy):
    found = rows(fivew.build(small.ws, None, policy=policy()))
    assert len(found) == 5
    # December 2025: the boy born 2020 is 5; the one born 2026 was not there yet.
    assert found[("food_security", "in_kind_food", "MMR003001", "2025-12")] == people(
        m_children=1, unknown=2
    )


def test_columns_places_and_hxl(small, policy):
    t = table(fivew.build(small.ws, parse("2026-04"), policy=policy()))
    assert [c.hxl for c in t.columns] == [
        "#org",
        "#sector",
        "#activity",
        "#adm1+code",
        "#adm1+name",
        "#adm2+code",
        "#adm2+name",
        "#adm3+code",
        "#adm3+name",
        "#date",
        "#reached+f+children",
        "#reached+f+adults",
        "#reached+f+elderly",
        "#reached+m+children",
        "#reached+m+adults",
        "#reached+m+elderly",
        "#reached+i",
        "#reached+unknown",
        "#reached+total",
        "#reached+disabled",
    ]
    assert all(HXL.match(c.hxl) for c in t.columns)
    assert t.rows == [
        [
            "Test org",
            "human_rights",
            "training_human_rights",
            "MMR003",
            "Kayin",
            None,
            None,
            None,
            None,
            "2026-04",
            0,
            6,
            0,
            0,
            0,
            1,
            0,
            0,
            7,
            0,
        ],
    ]
    kinds = {c.hxl: (c.kind, c.level, c.grain) for c in t.columns}
    assert kinds["#adm3+code"] == ("place", "township", None)
    assert kinds["#date"] == ("date", None, "month")
    assert kinds["#org"][0] == "label"
    assert {kinds[h][0] for h in kinds if h.startswith("#reached")} == {"count"}


def test_total_column_names_what_it_sums(small, policy):
    t = table(fivew.build(small.ws, None, policy=policy()))
    total = t.columns[t.column("Total reached")]
    assert total.total_of == (
        "Girls (under 18)",
        "Women (18-59)",
        "Elderly women (60+)",
        "Boys (under 18)",
        "Men (18-59)",
        "Elderly men (60+)",
        "Other sex",
        "Sex or age not recorded",
    )
    for row in t.rows:
        parts = [row[t.column(name)] for name in total.total_of]
        assert row[t.column("Total reached")] == sum(parts)


def test_place_level_and_date_grain_follow_the_policy(small, policy):
    export = fivew.build(
        small.ws, parse("2026"), policy=policy(place_level="district", date_grain="quarter")
    )
    t = table(export)
    assert "#adm3+code" not in [c.hxl for c in t.columns]
    found = rows(export)
    # Hpa-An and Hlaingbwe are both in district MMR003D001; January-March is 2026-Q1.
    assert set(found) == {
        ("food_security", "in_kind_food", "MMR003D001", "2026-Q1"),
        ("emergency_response", "cash", "MMR003D001", "2026-Q1"),
        ("food_security", "planting", "MMR003D001", "2026-Q1"),
        ("human_rights", "training_human_rights", "MMR003", "2026-Q2"),
    }
    assert t.columns[t.column("Quarter")].grain == "quarter"
    # A finer policy grain still gives months: a 5W is monthly.
    weekly = table(fivew.build(small.ws, None, policy=policy(date_grain="week")))
    assert weekly.columns[weekly.column("Month")].grain == "month"


def _food_again(small, household: str, date: str, pcode: str) -> None:
    """One more in-kind food distribution of the small workspace's project."""
    small.ws.add(
        "distribution",
        {
            "household_id": small.ids[household],
            "modality": "in_kind_food",
            "date": date,
            "location_pcode": pcode,
            "project_id": small.ids["project"],
        },
    )


def test_same_household_in_two_tracts_of_a_township_is_counted_once(small, policy):
    _food_again(small, "h2", "2026-01-25", "MMR003001005")
    found = rows(fivew.build(small.ws, parse("2026-01"), policy=policy()))
    assert found[("food_security", "in_kind_food", "MMR003001", "2026-01")]["total"] == 9


def test_same_household_in_two_months_of_a_quarter_is_counted_once(small, policy):
    _food_again(small, "h1", "2026-02-25", "MMR003001001")
    monthly = rows(fivew.build(small.ws, parse("2026-Q1"), policy=policy()))
    assert monthly[("food_security", "in_kind_food", "MMR003001", "2026-01")]["total"] == 9
    assert monthly[("food_security", "in_kind_food", "MMR003001", "2026-02")]["total"] == 5
    quarterly = rows(fivew.build(small.ws, parse("2026-Q1"), policy=policy(date_grain="quarter")))
    assert (
        quarterly[("food_security", "in_kind_food", "MMR003001", "2026-Q1")]
        == (monthly[("food_security", "in_kind_food", "MMR003001", "2026-01")])
    )


def test_grant_keeps_its_distributions_and_its_projects_activities(small, policy):
    export = fivew.build(small.ws, None, small.ids["grant"], policy=policy())
    assert set(rows(export)) == {
        ("emergency_response", "cash", "MMR003001", "2026-02"),
        ("food_security", "planting", "MMR003002", "2026-03"),
    }
    with pytest.raises(ValidationError, match="--grant GR-NOPE: no grant"):
        fivew.build(small.ws, None, "GR-NOPE", policy=policy())


def test_burmese_headings_and_place_names(small, policy):
    t = table(fivew.build(small.ws, parse("2026-04"), lang="my", policy=policy()))
    assert t.rows[0][4] == "ကရင်ပြည်နယ်"
    assert t.columns[0].name == "အဖွဲ့အစည်း"
    assert t.columns[0].hxl == "#org"  # hashtags do not change


def test_reads_no_personal_data(small, policy):
    export = fivew.build(small.ws, None, policy=policy())
    assert "Canary" not in repr(export)
    assert {c.kind for c in table(export).columns} <= {
        "label",
        "category",
        "place",
        "date",
        "count",
    }


def test_empty_workspace_gives_an_empty_table(ws, policy):
    t = table(fivew.build(ws, None, policy=policy()))
    assert t.rows == []
    assert len(t.columns) == 20
