"""The export linter refuses each thing that would harm, one rule at a time."""

from __future__ import annotations

import pytest

from fieldledger.privacy.export import Column, Export, Table
from fieldledger.privacy.linter import ExportRefused, lint, pcode_level
from fieldledger.privacy.policy import Policy

POLICY = Policy()


def safe_table(**extra) -> Table:
    return Table(
        "reach",
        [Column("township", "place", level="township"), Column("month", "date", grain="month"),
         Column("sector", "category"), Column("people", "count")],
        [["MMR003001", "2026-03", "food", 20], ["MMR003002", "2026-03", "food", None]],
        **extra,
    )  # fmt: skip


def refused(export: Export, **kwargs) -> ExportRefused:
    with pytest.raises(ExportRefused) as info:
        lint(export, POLICY, **kwargs)
    assert "\n" not in str(info.value)
    assert info.value.exit_code == 7
    return info.value


def with_column(column: Column, value, *, microdata: bool = False) -> Export:
    table = safe_table(microdata=microdata)
    table.columns.append(column)
    for row in table.rows:
        row.append(value)
    return Export("5w", [table])


def test_a_safe_export_passes():
    lint(Export("5w", [safe_table()]), POLICY)


def test_refuses_a_pii_column():
    error = refused(with_column(Column("name", "pii"), "Daw Aye"))
    assert (error.rule, error.table, error.column) == ("pii", "reach", "name")
    assert str(error) == "table reach, column name: personal data never leaves in a report"


def test_i_understand_never_passes_pii():
    error = refused(with_column(Column("phone", "pii"), "09 123"), i_understand=True)
    assert error.rule == "pii"


def test_refuses_a_gps_column():
    assert refused(with_column(Column("where", "gps"), None)).rule == "gps"


def test_i_understand_never_passes_gps():
    assert refused(with_column(Column("where", "gps"), None), i_understand=True).rule == "gps"


def test_refuses_coordinates_written_in_any_text_cell_even_with_i_understand():
    error = refused(with_column(Column("site", "label"), "camp at 16.8409, 96.1735"),
                    i_understand=True)  # fmt: skip
    assert (error.rule, error.column, error.row) == ("gps", "site", 1)


def test_refuses_coordinates_in_the_narrative_even_with_i_understand():
    export = narrative("The site is at 16.8409,96.1735 near the river.")
    error = refused(export, i_understand=True)
    assert (error.rule, error.section, error.row) == ("gps", "2.1 Reach", 1)


def test_refuses_a_free_text_column():
    assert refused(with_column(Column("remarks", "text"), "ok")).rule == "text"


def test_refuses_an_id_column_in_an_aggregate():
    assert refused(with_column(Column("household", "id"), "HH-1")).rule == "id"


def test_an_id_column_is_allowed_in_microdata():
    table = Table(
        "households",
        [Column("id", "id"), Column("township", "place", level="township",
                                    quasi_identifier=True)],
        [[f"HH-{n}", "MMR003001"] for n in range(5)],
        microdata=True,
    )  # fmt: skip
    lint(Export("x", [table]), POLICY)


def test_refuses_an_unsuppressed_small_cell_naming_its_row():
    table = safe_table()
    table.rows[1][3] = 4
    error = refused(Export("5w", [table]))
    assert (error.rule, error.column, error.row) == ("small-cell", "people", 2)
    assert "threshold 5" in str(error)


def test_refuses_a_small_published_total():
    table = safe_table()
    table.total_row = [None, None, None, 3]
    assert refused(Export("5w", [table])).rule == "small-cell"
    table.total_row = None
    table.row_totals = [20, 2]
    assert refused(Export("5w", [table])).row == 2
    table.row_totals = None
    table.grand_total = 1
    assert refused(Export("5w", [table])).rule == "small-cell"


def test_event_counts_and_amounts_may_be_small():
    table = safe_table()
    table.columns += [Column("airstrikes", "event_count"), Column("spent", "amount")]
    for row in table.rows:
        row += [1, 2]
    lint(Export("incidents", [table]), POLICY)


def test_refuses_a_place_column_finer_than_the_policy():
    table = safe_table()
    table.columns[0] = Column("village tract", "place", level="village_tract")
    error = refused(Export("5w", [table]))
    assert (error.rule, error.column) == ("place", "village tract")


def test_refuses_a_p_code_finer_than_the_policy_in_a_coarser_column():
    table = safe_table()
    table.rows[1][0] = "MMR003001001"
    error = refused(Export("5w", [table]))
    assert (error.rule, error.row) == ("place", 2)


def test_refuses_place_names_whose_level_is_unknown():
    table = safe_table()
    table.columns[0] = Column("township", "place")
    table.rows[0][0] = "Hpa-An"
    assert refused(Export("5w", [table])).rule == "place"


def test_refuses_a_date_column_finer_than_the_policy():
    table = safe_table()
    table.columns[1] = Column("day", "date", grain="day")
    assert refused(Export("5w", [table])).rule == "date"


def test_refuses_an_exact_date_in_a_coarser_column():
    table = safe_table()
    table.rows[0][1] = "2026-03-14"
    error = refused(Export("5w", [table]))
    assert (error.rule, error.row) == ("date", 1)


def test_refuses_a_date_it_cannot_read():
    table = safe_table()
    table.rows[0][1] = "last spring"
    assert refused(Export("5w", [table])).rule == "date"


def microdata(sizes: list[int]) -> Table:
    return Table(
        "households",
        [Column("township", "place", level="township"),
         Column("size", "count", quasi_identifier=True), Column("displaced", "category")],
        [["MMR003001", size, "idp"] for size in sizes],
        microdata=True,
    )  # fmt: skip


def test_refuses_microdata_that_is_not_k_anonymous():
    error = refused(Export("x", [microdata([4, 4, 4, 4, 4, 7])]))
    assert (error.rule, error.row) == ("k-anonymity", 6)
    assert "township, size" in str(error)


def test_k_anonymous_microdata_passes_and_its_counts_are_not_cells():
    lint(Export("x", [microdata([1] * 5 + [2] * 6)]), POLICY)


def test_rules_are_checked_in_order_whatever_the_table_order():
    small = safe_table()
    small.rows[1][3] = 2
    export = Export("5w", [small, with_column(Column("name", "pii"), "x").tables[0]])
    assert refused(export).rule == "pii"


def test_i_understand_passes_the_other_table_rules():
    table = safe_table()
    table.rows[1][3] = 2
    table.columns.append(Column("remarks", "text"))
    table.columns[1] = Column("day", "date", grain="day")
    for row in table.rows:
        row.append("fine")
    lint(Export("5w", [table, microdata([1])]), POLICY, i_understand=True)


def test_an_unknown_kind_is_refused():
    assert refused(with_column(Column("x", "secret"), 1), i_understand=True).rule == "kind"  # type: ignore[arg-type]


def test_p_code_levels_by_shape():
    assert [pcode_level(c) for c in ("MMR003", "MMR003D001", "MMR014S001", "MMR003001",
                                     "MMR003001001", "MMR003001001001", "Hpa-An", None)] == [
        "state_region", "district", "district", "township", "village_tract", "village",
        None, None,
    ]  # fmt: skip


# --- narrative -----------------------------------------------------------------------------


def narrative(text: str, reviewed_by: str | None = "Ko Min") -> Export:
    return Export("8+3", [safe_table()], {"2.1 Reach": text}, reviewed_by=reviewed_by)


def test_narrative_needs_a_reviewer():
    error = refused(narrative("We reached 20 families.", reviewed_by=None))
    assert error.rule == "narrative-review"
    assert "--reviewed-by NAME" in str(error)


def test_i_understand_never_replaces_the_review():
    export = narrative("We reached 20 families.", reviewed_by="  ")
    assert refused(export, i_understand=True).rule == "narrative-review"


def test_an_empty_narrative_needs_no_reviewer():
    lint(narrative("  \n", reviewed_by=None), POLICY)


def test_narrative_naming_a_person_is_refused_without_repeating_the_name():
    text = "Distribution went well.\nDAW AYE  AYE MYINT thanked the team."
    error = refused(narrative(text), people=["Daw Aye Aye Myint", "Ko Htun"])
    assert (error.rule, error.section, error.row) == ("narrative-name", "2.1 Reach", 2)
    assert "Aye" not in str(error) and "AYE" not in str(error)


def test_the_first_mention_is_named_whatever_punctuation_stands_between_words():
    export = Export(
        "8+3",
        [safe_table()],
        {"1 Admin": "No names here.", "2 Reach": "Fine.\nFine.\nThanks, aye-aye myint!"},
        reviewed_by="Ko Min",
    )
    error = refused(export, people=["Aye Aye Myint"])
    assert (error.section, error.row) == ("2 Reach", 3)


def test_a_name_matches_whole_words_only():
    lint(narrative("Our team in Mawlamyine met donors."), POLICY, people=["Ma Wla", "Tun"])
    lint(narrative("The Htunbridge office."), POLICY, people=["Htun"])


def test_a_name_is_found_without_its_honorific():
    text = "Aye Aye Myint led the session."
    assert refused(narrative(text), people=["Daw Aye Aye Myint"]).rule == "narrative-name"


def test_a_burmese_name_is_found_inside_text_without_spaces():
    text = "ဒီလမှာဒေါ်အေးအေးမြင့်ကအသင်းကိုကျေးဇူးတင်ပါတယ်။"
    error = refused(narrative(text), people=["ဒေါ် အေးအေးမြင့်"])
    assert error.rule == "narrative-name"
    # Without the honorific too, and with a zero-width space typed inside.
    text = "ဒီလမှာအေးအေး\u200bမြင့်ကကျေးဇူးတင်ပါတယ်။"
    assert refused(narrative(text), people=["ဒေါ်အေးအေးမြင့်"]).rule == "narrative-name"


def test_a_burmese_name_is_not_found_inside_a_longer_syllable():
    # မြ is not in မြို့ (town) nor မြင့် (high): only whole syllables count.
    lint(narrative("မြို့နယ်အတွင်းမြင့်မားသောအရေအတွက်"), POLICY, people=["မြ"])
    with pytest.raises(ExportRefused):
        lint(narrative("ဒီနေ့မြလာတယ်"), POLICY, people=["မြ"])


def test_narrative_naming_a_fine_place_is_refused():
    error = refused(narrative("Families in Kawt Hlaik village tract"),
                    fine_places=["Kawt Hlaik", "ကော့လှိုက်"])  # fmt: skip
    assert error.rule == "narrative-place" and "township" in str(error)
    error = refused(narrative("ကော့လှိုက်ကျေးရွာအုပ်စုမှ"), fine_places=["ကော့လှိုက်"])
    assert error.rule == "narrative-place"


def test_i_understand_passes_the_narrative_scan_but_not_the_review():
    export = narrative("Daw Aye Aye Myint thanked the team.")
    lint(export, POLICY, people=["Daw Aye Aye Myint"], i_understand=True)
