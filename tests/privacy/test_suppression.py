"""Small-cell and complementary suppression: crafted tables, then random ones checked by an
attacker who solves the published equations."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldledger.privacy.export import Column, Table
from tests.privacy.helpers import Attack, count_table, protected


def cells(table: Table) -> list[list]:
    return [row[1:] for row in table.rows]


def assert_safe(before: Table, after: Table) -> None:
    attack = Attack(before, after)
    assert attack.determined_exactly() == []


# --- primary suppression -------------------------------------------------------------------


def test_counts_under_the_threshold_are_suppressed_and_zero_is_not():
    _, after = protected(count_table([[0, 1, 4, 5, 30]], totals=False))
    assert cells(after) == [[0, None, None, 5, 30]]


def test_threshold_comes_from_the_policy():
    _, after = protected(count_table([[6, 9, 12]], totals=False), threshold=10)
    assert cells(after) == [[None, None, 12]]


def test_amounts_and_event_counts_are_never_suppressed():
    table = Table(
        "incidents",
        [
            Column("kind", "category"),
            Column("incidents", "event_count"),
            Column("spent", "amount"),
        ],
        [["airstrike", 1, 2], ["arrest", 3, 4]],
    )
    _, after = protected(table)
    assert after.rows == [["airstrike", 1, 2], ["arrest", 3, 4]]
    assert after.total_row == [None, 4, 6]


# --- complementary suppression on crafted tables --------------------------------------------


def test_one_suppressed_cell_in_a_row_forces_a_second_in_that_row():
    before, after = protected(count_table([[3, 10, 12]], totals=False, total_of=[0, 1, 2]))
    # The total column publishes the row total 25: 3 alone would be 25 - 10 - 12.
    assert cells(after) == [[None, None, 12, 25]]
    assert_safe(before, after)


def test_the_smallest_non_zero_cell_of_the_row_is_the_second():
    before, after = protected(count_table([[3, 0, 40, 9]], totals=False, total_of=[0, 1, 2, 3]))
    assert cells(after) == [[None, 0, 40, None, 52]]
    assert_safe(before, after)


def test_an_implicit_row_total_forces_a_second_cell_in_the_row():
    before, after = protected(count_table([[3, 10, 12], [20, 30, 40], [25, 35, 45]]))
    assert cells(after)[0].count(None) >= 2
    assert cells(after)[0][1] is None  # 10: the smallest non-zero cell of that row
    assert after.row_totals[0] == 25  # row totals are published and were not small
    assert_safe(before, after)


def test_one_suppressed_cell_in_a_column_forces_a_second_in_that_column():
    before, after = protected(count_table([[3], [8], [20]]))
    assert cells(after) == [[None], [None], [20]]
    assert after.total_row == [None, 31]
    assert after.row_totals is None  # one count column: its cell is the row total
    assert_safe(before, after)


def test_with_a_total_column_the_totals_are_protected_too():
    before, after = protected(count_table([[3, 10], [20, 30], [6, 7]], total_of=[0, 1]))
    shown = cells(after)
    assert shown[0][0] is None and shown[0].count(None) >= 2
    assert [row[0] for row in shown].count(None) >= 2  # the column of the 3
    assert after.row_totals is None  # the total column is the row total
    assert after.total_row[-1] == 76  # the grand total
    assert_safe(before, after)


def test_a_table_with_a_total_column_has_no_other_row_total():
    # As in 5W: a total of the sex and age columns, and people with a disability beside it.
    before, after = protected(count_table([[3, 10, 2], [20, 30, 9], [6, 7, 8]], total_of=[0, 1]))
    assert after.row_totals is None and after.grand_total is None
    assert_safe(before, after)


def test_a_small_total_is_itself_suppressed():
    before, after = protected(count_table([[2, 1], [20, 30]], total_of=[0, 1]))
    assert cells(after)[0] == [None, None, None]
    assert_safe(before, after)


def test_small_row_and_column_totals_are_suppressed_and_protected():
    before, after = protected(count_table([[3, 0], [2, 0], [10, 20]]))
    assert after.row_totals[0] is None and after.row_totals[1] is None
    assert after.total_row[1:] == [15, 20] and after.grand_total == 35
    assert_safe(before, after)


def test_the_exact_check_catches_what_equation_by_equation_completion_misses():
    # Found by search: after every equation has two suppressed cells, 1 is still
    # r0c2 = (col total c2) - r2c2 = (67 - 45 - 18*) - (21 - 18*) = 1.
    before, after = protected(count_table([[16, 0, 1], [29, 0, 0], [0, 18, 3]]))
    assert_safe(before, after)


def test_a_table_without_totals_has_only_its_total_columns_as_equations():
    _, after = protected(count_table([[3, 10], [20, 30]], totals=False))
    assert cells(after) == [[None, 10], [20, 30]]
    assert after.row_totals is None and after.total_row is None and after.grand_total is None


def test_total_of_must_name_count_columns():
    table = count_table([[3, 10]], totals=False)
    table.columns.append(Column("total", "count", total_of=("c0", "nope")))
    table.rows[0].append(13)
    with pytest.raises(ValueError, match="nope"):
        protected(table)


def test_counts_must_be_whole_numbers():
    with pytest.raises(ValueError, match="whole number"):
        protected(count_table([[3.5, 10]]))


def test_suppression_is_noted_for_the_user():
    from fieldledger.places import gazetteer
    from fieldledger.privacy.disclosure import protect
    from fieldledger.privacy.export import Export
    from fieldledger.privacy.policy import Policy

    export = Export("5w", [count_table([[3, 10, 12]], totals=False, total_of=[0, 1, 2])])
    protect(export, Policy(), gazetteer())
    assert [n.what for n in export.notes] == ["suppressed", "complementary"]
    assert "row 1 (g0), column c0" in export.notes[0].detail


# --- random tables: no suppressed cell can be recovered -------------------------------------

value = st.one_of(st.just(0), st.integers(1, 4), st.integers(5, 40))


@st.composite
def tables(draw) -> Table:
    height = draw(st.integers(1, 5))
    width = draw(st.integers(1, 4))
    values = draw(
        st.lists(st.lists(value, min_size=width, max_size=width), min_size=height, max_size=height)
    )
    total_of = None
    if width >= 2 and draw(st.booleans()):
        total_of = sorted(draw(st.sets(st.integers(0, width - 1), min_size=2)))
    return count_table(values, totals=draw(st.booleans()), total_of=total_of)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_suppressed_cell_is_determined_by_the_published_figures(table):
    before, after = protected(table)
    attack = Attack(before, after)
    assert attack.determined_exactly() == []
    # Zero discloses nobody: it is never suppressed.
    for shown, true in zip(after.rows, before.rows, strict=True):
        assert all(s is not None for s, t in zip(shown, true, strict=True) if t == 0)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_no_suppressed_cell_has_a_single_value_under_the_published_constraints(table):
    pytest.importorskip("scipy")
    before, after = protected(table)
    for cell, low, high in Attack(before, after).ranges():
        assert high - low > 1e-6, f"cell {cell} is determined: {low}..{high}"
