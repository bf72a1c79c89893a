"""The financial report on a crafted grant: every figure worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldledger.errors import ValidationError
from fieldledger.reports import finance
from fieldledger.reports.period import parse

MONTH = 365.25 / 12


@pytest.fixture
def grant(ws):
    """12,000 USD for 2026. Tranches of 3,000: January (10 days late), April (2 days
    early, 2,900 came), July (not received), October (cut). Spending in USD, and once in
    kyat."""
    gid = ws.add(
        "grant",
        {
            "donor": "A donor whose name is a risk",
            "donor_alias": "Donor X",
            "reference": "X-1",
            "amount": 12000,
            "currency": "USD",
            "restriction": "restricted",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
    )
    for tranche in (
        {
            "expected_date": "2026-01-01",
            "expected_amount": 3000,
            "received_date": "2026-01-11",
            "received_amount": 3000,
        },
        {
            "expected_date": "2026-04-01",
            "expected_amount": 3000,
            "received_date": "2026-03-30",
            "received_amount": 2900,
        },
        {"expected_date": "2026-07-01", "expected_amount": 3000, "note": "bank checks"},
        {"expected_date": "2026-10-01", "expected_amount": 3000, "cancelled": True},
    ):
        ws.add("tranche", {"grant_id": gid, **tranche})
    for day, amount, currency in (
        ("2026-02-15", 1000, "USD"),
        ("2026-05-01", 2000, "USD"),
        ("2026-07-15", 500, "USD"),
        ("2026-08-15", 700, "USD"),  # after the as-of day below
        ("2026-03-01", 10000, "MMK"),
    ):
        ws.add(
            "expenditure",
            {
                "grant_id": gid,
                "date": day,
                "amount": amount,
                "currency": currency,
                "category": "relief_items",
                "description": "Canary description",
            },
        )
    return gid


def grants_table(export):
    t = export.tables[0]
    names = [c.name for c in t.columns]
    return [dict(zip(names, row, strict=True)) for row in t.rows]


def test_budget_received_spent_burn_and_runway(ws, grant):
    export = finance.build(ws, None, today=dt.date(2026, 7, 31))
    assert export.kind == "finance"
    assert [t.name for t in export.tables] == ["Grants", "Tranches", "Currencies"]
    usd, mmk = grants_table(export)
    elapsed = 212 / MONTH  # 1 January to 31 July, both included
    burn = 3500 / elapsed
    assert usd == {
        "Grant": "1",
        "Donor": "Donor X",
        "Reference": "X-1",
        "Currency": "USD",
        "Restriction": "restricted",
        "Start (month)": "2026-01",
        "End (month)": "2026-12",
        "Budget": 12000.0,
        "Received": 5900.0,
        "Still expected": 3000.0,
        "Cut": 3000.0,
        "Spent": 3500.0,
        "Balance (received - spent)": 2400.0,
        "Months elapsed": 7.0,
        "Burn rate per month": round(burn, 2),
        "Months left in grant": 5.0,  # 153 days
        "Runway in months": round((5900 + 3000 - 3500) / burn, 1),  # 10.7
        "Runway in months if no more tranches come": round(2400 / burn, 1),  # 4.8
        "Late tranches": 1,
        "Longest delay (days)": 30,
    }
    assert usd["Runway in months"] == 10.7
    assert usd["Runway in months if no more tranches come"] == 4.8
    # Kyat spent under the USD grant: its own row, never added to dollars.
    assert (mmk["Grant"], mmk["Currency"]) == ("1", "MMK")
    assert mmk["Spent"] == 10000.0
    assert mmk["Budget"] is None and mmk["Received"] is None and mmk["Runway in months"] is None
    assert mmk["Burn rate per month"] == round(10000 / elapsed, 2)


def test_tranche_delays(ws, grant):
    tranches = finance.build(ws, None, today=dt.date(2026, 7, 31)).tables[1]
    assert [c.name for c in tranches.columns] == [
        "Grant",
        "Tranche",
        "Donor",
        "Reference",
        "Currency",
        "Expected (month)",
        "Expected amount",
        "Received (month)",
        "Received amount",
        "Status",
        "Delay (days)",
    ]
    assert tranches.rows == [
        ["1", "1", "Donor X", "X-1", "USD", "2026-01", 3000.0, "2026-01", 3000.0, "received", 10],
        ["1", "2", "Donor X", "X-1", "USD", "2026-04", 3000.0, "2026-03", 2900.0, "received", -2],
        ["1", "3", "Donor X", "X-1", "USD", "2026-07", 3000.0, None, None, "late", 30],
        ["1", "4", "Donor X", "X-1", "USD", "2026-10", 3000.0, None, None, "cut", None],
    ]


def test_currencies_are_never_added_together(ws, grant):
    currencies = finance.build(ws, None, today=dt.date(2026, 7, 31)).tables[2]
    assert currencies.rows == [
        ["MMK", 0, 0.0, 0.0, 0.0, 0.0, 10000.0],
        ["USD", 1, 12000.0, 5900.0, 3000.0, 3000.0, 3500.0],
    ]


def test_as_of_the_end_of_the_period(ws, grant):
    # The kyat were spent in March: after the as-of day, no row for them.
    (usd,) = grants_table(finance.build(ws, parse("2026-01..2026-02"), today=dt.date(2026, 7, 31)))
    # On 28 February: one tranche in, the April and July ones still expected, none late.
    assert (usd["Received"], usd["Still expected"], usd["Cut"], usd["Spent"]) == (
        3000.0,
        6000.0,
        3000.0,
        1000.0,
    )
    assert usd["Late tranches"] == 0
    assert usd["Longest delay (days)"] == 10
    assert usd["Months elapsed"] == round(59 / MONTH, 1)


def test_grants_outside_the_period_and_unknown_grants(ws, grant):
    assert finance.build(ws, parse("2025"), today=dt.date(2026, 7, 31)).tables[0].rows == []
    one = finance.build(ws, None, grant, today=dt.date(2026, 7, 31))
    assert len(one.tables[0].rows) == 2
    with pytest.raises(ValidationError, match="--grant GR-NOPE: no grant"):
        finance.build(ws, None, "GR-NOPE")


def test_no_donor_name_note_or_description(ws, grant):
    export = finance.build(ws, None, today=dt.date(2026, 7, 31))
    shown = repr(export)
    for secret in ("risk", "bank checks", "Canary", grant):
        assert secret not in shown
    assert {c.kind for t in export.tables for c in t.columns} <= {
        "label",
        "category",
        "date",
        "amount",
    }
    assert {c.grain for t in export.tables for c in t.columns if c.kind == "date"} == {"month"}


def test_a_grant_not_started_has_no_burn_rate(ws):
    ws.add(
        "grant",
        {
            "donor": "D",
            "amount": 500,
            "currency": "EUR",
            "restriction": "flexible",
            "period_start": "2027-01-01",
            "period_end": "2027-06-30",
        },
    )
    (row,) = grants_table(finance.build(ws, None, today=dt.date(2026, 7, 31)))
    assert row["Donor"] is None  # no alias: the donor's name is never shown
    assert row["Months elapsed"] == 0.0
    assert row["Burn rate per month"] is None
    assert row["Runway in months"] is None
    assert row["Longest delay (days)"] is None
