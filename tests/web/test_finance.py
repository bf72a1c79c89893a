"""Grants, tranches and spending: forms with the grant preset, the grant's figures (as the
finance report gives them), late tranches, roles."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from fieldledger.reports import finance as report

from .conftest import csrf_of


def post_form(client, path: str, data: dict[str, str], form_at: str | None = None):
    token = csrf_of(client.get(form_at or path).text)
    return client.post(path, data={**data, "csrf": token}, follow_redirects=False)


def row_of(html: str, label: str) -> list[str]:
    match = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert match, label
    return re.findall(r'<td class="n">([^<]*)</td>', match.group(1))


@pytest.fixture
def grant(client_for) -> str:
    client = client_for("finance")
    done = post_form(
        client,
        "/grants/new",
        {
            "donor": "Mountain Relief Fund",
            "donor_alias": "Donor M",
            "reference": "M-26-1",
            "amount": "12000",
            "currency": "USD",
            "restriction": "restricted",
            "period_start": "2026-01-01",
            "period_end": "2027-12-31",
        },
    )
    assert done.status_code == 303, done.text
    return done.headers["location"].rsplit("/", 1)[1]


def test_a_finance_officer_adds_a_grant_and_sees_it(client_for, grant: str) -> None:
    client = client_for("finance")
    page = client.get(f"/grants/{grant}")
    assert page.status_code == 200 and "Mountain Relief Fund" in page.text
    assert row_of(page.text, "Budget") == ["12,000"]
    listed = client.get("/grants", params={"q": "Donor M"})
    assert f"/grants/{grant}" in listed.text
    assert len(page.content) < 60_000


def test_tranches_and_spending_from_the_grant_page(client_for, demo_ws, grant: str) -> None:
    client = client_for("finance")
    page = client.get(f"/grants/{grant}")
    assert f'href="/tranches/new?grant_id={grant}"' in page.text
    form = client.get(f"/tranches/new?grant_id={grant}")
    assert f'<option value="{grant}" selected>Donor M · 2026-01-01 – 2027-12-31' in form.text
    long_ago = (dt.date.today() - dt.timedelta(days=40)).isoformat()
    tranches = [
        {
            "expected_date": "2026-01-15",
            "expected_amount": "5000",
            "received_date": "2026-01-25",
            "received_amount": "5000",
        },
        {"expected_date": long_ago, "expected_amount": "4000"},
        {"expected_date": "2026-02-01", "expected_amount": "3000", "cancelled": "on"},
    ]
    for t in tranches:
        done = post_form(
            client,
            "/tranches/new",
            {"grant_id": grant, **t},
            form_at=f"/tranches/new?grant_id={grant}",
        )
        assert done.status_code == 303, done.text
    spend = client.get(f"/spending/new?grant_id={grant}&currency=USD")
    assert f'<option value="{grant}" selected>' in spend.text  # preset, chosen by its name
    assert '<option value="USD" selected>' in spend.text
    for amount, category in (("1200.50", "staff"), ("300", "transport")):
        done = post_form(
            client,
            "/spending/new",
            {
                "grant_id": grant,
                "date": "2026-01-30",
                "amount": amount,
                "currency": "USD",
                "category": category,
            },
            form_at=f"/spending/new?grant_id={grant}",
        )
        assert done.status_code == 303, done.text

    page = client.get(f"/grants/{grant}").text
    assert row_of(page, "Budget") == ["12,000"]
    assert row_of(page, "Received") == ["5,000"]
    assert row_of(page, "Still expected") == ["4,000"]
    assert row_of(page, "Cut by the donor") == ["3,000"]
    assert row_of(page, "Spent") == ["1,500.50"]
    assert row_of(page, "Money in hand (received − spent)") == ["3,499.50"]
    # The same figures as the finance report's.
    built = report.build(demo_ws, None, grant)
    keys = [c[0] for c in report.GRANT_COLUMNS]
    figures = dict(zip(keys, built.tables[0].rows[0], strict=True))
    assert (figures["received"], figures["spent"]) == (5000, 1500.5)
    # Tranches: received 10 days late, one late for 40 days, one cut.
    late_row = re.search(r'<tr class="late">(.*?)</tr>', page, re.S)
    assert late_row and "Late" in late_row.group(1)
    assert '<td class="n">40</td>' in late_row.group(1)
    assert re.search(r"2026-01-25</td>.*?Received</td>\s*<td class=\"n\">10</td>", page, re.S)
    assert "Cut" in page
    assert "Staff" in page and "Transport" in page
    assert page.count('href="/spending/EX-') == 2


def test_spending_in_another_currency_is_added_up_apart(client_for, grant: str) -> None:
    client = client_for("coordinator")
    done = post_form(
        client,
        "/spending/new",
        {
            "grant_id": grant,
            "date": "2026-02-02",
            "amount": "250000",
            "currency": "MMK",
            "category": "relief_items",
        },
    )
    assert done.status_code == 303, done.text
    page = client.get(f"/grants/{grant}").text
    assert '<th scope="col" class="n">USD</th><th scope="col" class="n">MMK</th>' in page
    assert row_of(page, "Spent") == ["0", "250,000"]


def test_generic_tranche_and_spending_lists(client_for) -> None:
    client = client_for("finance")
    assert client.get("/tranches").status_code == 200
    assert client.get("/spending").status_code == 200


@pytest.mark.parametrize("role", ["field", "documenter", "viewer"])
def test_roles_without_finance_are_refused(client_for, grant: str, role: str) -> None:
    client = client_for(role)
    for path in (
        "/grants",
        f"/grants/{grant}",
        "/grants/new",
        "/tranches",
        "/tranches/new",
        "/spending",
        "/spending/new",
    ):
        response = client.get(path)
        assert response.status_code == 403, path
        assert "Mountain Relief Fund" not in response.text
