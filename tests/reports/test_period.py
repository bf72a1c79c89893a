"""`--period`: months, quarters, years and ranges of them; one clear line when wrong."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldledger.errors import ValidationError
from fieldledger.reports.period import Period, label, parse, report_grain

D = dt.date


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026-01..2026-06", D(2026, 1, 1), D(2026, 6, 30)),
        ("2026-02", D(2026, 2, 1), D(2026, 2, 28)),
        ("2024-02", D(2024, 2, 1), D(2024, 2, 29)),
        ("2026", D(2026, 1, 1), D(2026, 12, 31)),
        ("2026-Q1..2026-Q2", D(2026, 1, 1), D(2026, 6, 30)),
        ("2026-q4", D(2026, 10, 1), D(2026, 12, 31)),
        ("2025-11..2026", D(2025, 11, 1), D(2026, 12, 31)),
        (" 2026-03 .. 2026-03 ", D(2026, 3, 1), D(2026, 3, 31)),
    ],
)
def test_parses(text, start, end):
    assert parse(text) == Period(start, end)


@pytest.mark.parametrize("text", [None, "", "  "])
def test_no_period_means_every_record(text):
    assert parse(text) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("2026-13", "2026-13 is not a month (YYYY-MM), a quarter (YYYY-Qn) or a year"),
        ("2026-Q5", "2026-Q5 is not a month"),
        ("26-01", "26-01 is not a month"),
        ("2026-01-15", "2026-01-15 is not a month"),
        ("2026-01..", "(nothing) is not a month"),
        ("January", "January is not a month"),
        ("၂၀၂၆-၀၁", "is not a month"),  # Burmese digits: periods are typed with 0-9
        ("2026-06..2026-01", "ends before it starts"),
        ("2026-01..2026-02..2026-03", "write one period or FROM..TO"),
    ],
)
def test_refuses_with_one_line(text, says):
    with pytest.raises(ValidationError) as caught:
        parse(text)
    message = str(caught.value)
    assert says in message
    assert message.startswith(f"--period {text.strip()}")
    assert "\n" not in message
    assert "e.g. 2026-01..2026-06" in message


def test_labels_at_each_grain():
    assert label("2026-03-14", "month") == "2026-03"
    assert label(D(2026, 3, 14), "quarter") == "2026-Q1"
    assert label("2026-12-31", "quarter") == "2026-Q4"
    assert label("2026-03-14", "year") == "2026"


def test_reports_are_monthly_unless_the_policy_is_coarser():
    assert [report_grain(g) for g in ("day", "week", "month", "quarter", "year")] == [
        "month",
        "month",
        "month",
        "quarter",
        "year",
    ]


def test_sql_labels_are_the_same_text(ws):
    from fieldledger.reports.period import sql_label

    for day in ("2026-01-01", "2026-03-31", "2026-04-01", "2026-09-30", "2026-10-01", "2026-12-31"):
        for grain in ("month", "quarter", "year"):
            (found,) = ws.conn.execute(f"SELECT {sql_label(repr(day), grain)}").fetchone()
            assert found == label(day, grain)
