"""Dates coarsened and places generalised to the policy, rows merged, small places raised."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldledger.places import gazetteer
from fieldledger.privacy.disclosure import coarsen_period, pairing, period_grain, protect
from fieldledger.privacy.export import Column, Export, Table
from fieldledger.privacy.policy import Policy

# Kayin: Hpa-An district (MMR003D001) holds the townships Hpa-An (MMR003001), Hlaingbwe
# (MMR003002) and Thandaunggyi (MMR003004); MMR003001001 and MMR003001002 are village
# tracts of Hpa-An township.
KAYIN, HPA_AN_D = "MMR003", "MMR003D001"
HPA_AN, HLAINGBWE, THANDAUNGGYI = "MMR003001", "MMR003002", "MMR003004"
VT1, VT2 = "MMR003001001", "MMR003001002"


def run(table: Table, **policy) -> Export:
    export = Export("5w", [table])
    protect(export, Policy(**policy), gazetteer())
    return export


def notes(export: Export, what: str) -> list[str]:
    return [n.detail for n in export.notes if n.what == what]


# --- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "grain", "expected"),
    [
        ("2026-03-14", "week", "2026-W11"),
        ("2026-03-14", "month", "2026-03"),
        ("2026-03-14", "quarter", "2026-Q1"),
        ("2026-03-14", "year", "2026"),
        (dt.date(2026, 11, 2), "quarter", "2026-Q4"),
        ("2025-W01", "month", "2025-01"),  # Monday 30 Dec 2024, Thursday 2 Jan 2025
        ("2026-W53", "year", "2026"),
        ("2026-03", "week", "2026-03"),  # coarser than the policy: kept
        ("2026-Q2", "month", "2026-Q2"),
        ("2026-01-03..2026-03-15", "month", "2026-01..2026-03"),
        ("2026-03-01..2026-03-20", "month", "2026-03"),
    ],
)
def test_periods_are_coarsened_to_the_policy(value, grain, expected):
    assert coarsen_period(value, grain) == expected


def test_period_grain_reads_each_form_and_refuses_others():
    assert [period_grain(v) for v in ("2026-03-14", "2026-W11", "2026-03", "2026-Q1", "2026")] == [
        "day", "week", "month", "quarter", "year",
    ]  # fmt: skip
    assert period_grain("2026-03..2026-04-02") == "day"
    for bad in ("March", "2026-13", "2026-W54", "2026-02-30"):
        with pytest.raises(ValueError):
            period_grain(bad)


def test_coarsened_dates_merge_rows_by_adding_counts():
    table = Table(
        "reach",
        [Column("date", "date", grain="day"), Column("sector", "category"),
         Column("people", "count"), Column("spent", "amount")],
        [["2026-03-02", "food", 10, 100], ["2026-03-20", "food", 12, 50],
         ["2026-03-20", "wash", 7, 1], ["2026-04-01", "food", 9, 3]],
    )  # fmt: skip
    export = run(table, date_grain="month")
    assert table.rows == [["2026-03", "food", 22, 150], ["2026-03", "wash", 7, 1],
                          ["2026-04", "food", 9, 3]]  # fmt: skip
    assert table.columns[0].grain == "month"
    assert notes(export, "coarsened-date") == ["column date: 4 dates written as their month"]


def test_a_date_column_without_a_grain_takes_the_one_of_its_values():
    table = Table("t", [Column("when", "date"), Column("n", "count")], [["2026-Q1", 10]])
    run(table)
    assert table.columns[0].grain == "quarter"
    assert table.rows == [["2026-Q1", 10]]


# --- places --------------------------------------------------------------------------------


def test_village_tracts_are_generalised_to_their_township_and_rows_merged():
    table = Table(
        "reach",
        [Column("Village tract P-code", "place", hxl="#loc+code", level="village_tract"),
         Column("Village tract", "place", hxl="#loc+name", level="village_tract"),
         Column("people", "count")],
        [[VT1, "Kawt Ta Yoke Ya", 10], [VT2, "Kawt Hlaik", 10],
         [HLAINGBWE + "003", "Win Sein", 30]],
    )  # fmt: skip
    export = run(table)  # township by default
    assert table.rows == [[HPA_AN, "Hpa-An", 20], [HLAINGBWE, "Hlaingbwe", 30]]
    assert [c.name for c in table.columns] == ["Township P-code", "Township", "people"]
    assert [c.level for c in table.columns[:2]] == ["township", "township"]
    assert notes(export, "generalised-place") == ["3 rows shown at township level"]


def test_place_names_follow_their_p_codes_in_burmese_too():
    table = Table(
        "reach",
        [Column("pcode", "place", level="village_tract"),
         Column("နေရာ", "place", level="village_tract", names_of="pcode"),
         Column("people", "count")],
        [[VT1, "ကော့တရုတ်ရ", 10]],
    )  # fmt: skip
    run(table)
    assert table.rows == [[HPA_AN, "ဘားအံ", 10]]
    assert pairing(table) == ([0], {0: [1]})


def test_finer_columns_of_a_hierarchy_are_removed_when_a_column_holds_the_level():
    table = Table(
        "5w",
        [Column("adm1", "place", hxl="#adm1+code", level="state_region"),
         Column("adm2", "place", hxl="#adm2+code", level="district"),
         Column("adm3", "place", hxl="#adm3+code", level="township"),
         Column("adm3 name", "place", hxl="#adm3+name", level="township"),
         Column("people", "count")],
        [[KAYIN, HPA_AN_D, HPA_AN, "Hpa-An", 10], [KAYIN, HPA_AN_D, HLAINGBWE, "Hlaingbwe", 10]],
    )  # fmt: skip
    export = run(table, place_level="district")
    assert [c.name for c in table.columns] == ["adm1", "adm2", "people"]
    assert table.rows == [[KAYIN, HPA_AN_D, 20]]
    assert any("adm3, adm3 name removed" in d for d in notes(export, "generalised-place"))


def test_a_finer_column_is_renamed_when_no_column_holds_the_level():
    table = Table(
        "5w",
        [Column("State", "place", hxl="#adm1+code", level="state_region"),
         Column("Township P-code", "place", hxl="#adm3+code", level="township"),
         Column("people", "count")],
        [[KAYIN, HPA_AN, 10], [KAYIN, HLAINGBWE, 10]],
    )  # fmt: skip
    run(table, place_level="district")
    assert table.rows == [[KAYIN, HPA_AN_D, 20]]
    assert table.columns[1].name == "District P-code"
    assert table.columns[1].hxl == "#adm2+code"
    assert table.columns[1].level == "district"


def test_columns_emptied_by_generalising_take_no_part_in_raising():
    table = Table(
        "t",
        [Column("tract", "place", hxl="#adm4+code", level="village_tract"),
         Column("township", "place", hxl="#adm3+code", level="township"),
         Column("people", "count")],
        [[VT1, HPA_AN, 30], [HLAINGBWE + "001", HLAINGBWE, 2]],
        totals=False,
    )  # fmt: skip
    run(table)
    assert [c.name for c in table.columns] == ["township", "people"]
    assert table.rows == [[HPA_AN, 30], [KAYIN, None]]  # 2 records: raised twice


def test_places_at_or_above_the_policy_are_kept():
    table = Table(
        "t", [Column("where", "place", level="township"), Column("n", "count")],
        [[HPA_AN, 10], [KAYIN, 7]],
    )  # fmt: skip
    export = run(table)
    assert table.rows == [[HPA_AN, 10], [KAYIN, 7]]
    assert notes(export, "generalised-place") == []


def test_p_codes_are_read_in_any_case_and_blank_means_unknown():
    table = Table(
        "t", [Column("where", "place", level="village_tract"), Column("n", "count")],
        [[VT1.lower(), 10], ["", 10], [None, 10]],
        totals=False,
    )  # fmt: skip
    run(table)
    assert table.rows == [[HPA_AN, 10], ["", 10], [None, 10]]


def test_a_place_column_of_names_without_p_codes_is_a_builder_error():
    table = Table("t", [Column("where", "place", level="township"), Column("n", "count")],
                  [["Hpa-An", 10]])  # fmt: skip
    with pytest.raises(ValueError, match="P-code"):
        run(table)


# --- raising places with few records -------------------------------------------------------


def test_a_place_with_few_records_is_raised_one_level():
    table = Table(
        "reach",
        [Column("township", "place", level="township"), Column("sector", "category"),
         Column("people", "count")],
        [[HPA_AN, "food", 20], [HLAINGBWE, "food", 2], [HLAINGBWE, "wash", 1],
         [THANDAUNGGYI, "food", 4]],
        totals=False,
    )  # fmt: skip
    export = run(table)
    # Hlaingbwe has 3 records and Thandaunggyi 4: both become Hpa-An district, whose
    # food row then has 6 people. Hpa-An township (20) stays.
    assert table.rows[0] == [HPA_AN, "food", 20]
    assert table.rows[1:] == [[HPA_AN_D, "food", 6], [HPA_AN_D, "wash", None]]
    raised = notes(export, "raised-place")
    assert len(raised) == 2 and raised[0].startswith(f"{HLAINGBWE} Hlaingbwe: 3 record(s)")


def test_raising_repeats_until_the_place_has_enough_records_or_is_a_state():
    table = Table(
        "t", [Column("township", "place", level="township"), Column("people", "count")],
        [[HPA_AN, 2], ["MMR002001", 40]],  # MMR002001 Loikaw is in Kayah
        totals=False,
    )  # fmt: skip
    export = run(table)
    assert table.rows == [[KAYIN, None], ["MMR002001", 40]]  # 2 is then suppressed
    assert len(notes(export, "raised-place")) == 2  # township → district → state


def test_a_raised_row_empties_the_columns_finer_than_its_place():
    table = Table(
        "t",
        [Column("adm2", "place", hxl="#adm2+code", level="district"),
         Column("adm3", "place", hxl="#adm3+code", level="township"),
         Column("adm3 name", "place", hxl="#adm3+name", level="township"),
         Column("people", "count")],
        [[HPA_AN_D, HPA_AN, "Hpa-An", 30], [HPA_AN_D, HLAINGBWE, "Hlaingbwe", 3],
         [HPA_AN_D, THANDAUNGGYI, "Thandaunggyi", 3]],
    )  # fmt: skip
    run(table)
    assert table.rows == [[HPA_AN_D, HPA_AN, "Hpa-An", 30], [HPA_AN_D, None, None, 6]]


def test_the_records_of_a_place_are_its_largest_total():
    # 3 women and 3 men: 6 people by the row total, so the place stays.
    table = Table(
        "t",
        [Column("township", "place", level="township"), Column("f", "count"),
         Column("m", "count")],
        [[HPA_AN, 3, 3], [HLAINGBWE, 30, 30]],
    )  # fmt: skip
    run(table)
    assert [row[0] for row in table.rows] == [HPA_AN, HLAINGBWE]
    # Without published row totals its largest total is 3: raised, to the district and, still
    # 3 there, to the state.
    table = Table("t", table.columns, [[HPA_AN, 3, 3], [HLAINGBWE, 30, 30]], totals=False)
    run(table)
    assert [row[0] for row in table.rows] == [KAYIN, HLAINGBWE]


def test_tables_without_counts_are_not_raised():
    table = Table(
        "incidents",
        [Column("township", "place", level="township"), Column("n", "event_count")],
        [[HPA_AN, 1]],
    )  # fmt: skip
    export = run(table)
    assert table.rows == [[HPA_AN, 1]]
    assert export.notes == []


# --- microdata -----------------------------------------------------------------------------


def test_microdata_is_generalised_but_never_merged_or_suppressed():
    table = Table(
        "households",
        [Column("where", "place", level="village_tract"), Column("when", "date", grain="day"),
         Column("size", "count", quasi_identifier=True)],
        [[VT1, "2026-03-02", 2], [VT2, "2026-03-20", 2]],
        microdata=True,
    )  # fmt: skip
    run(table)
    assert table.rows == [[HPA_AN, "2026-03", 2], [HPA_AN, "2026-03", 2]]
    assert table.total_row is None
