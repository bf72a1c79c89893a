"""Screens: grants, their tranches and the spending under them.

`/grants`, `/tranches` and `/spending` are the generic record screens (web/records.py) for
roles holding `finance` (finance officers, coordinators, admins). A grant's page (this
module's handler) adds what a finance officer checks:

- budget, received, still expected, cut, spent and balance, in the grant's currency and in
  any other currency its spending was recorded in: the figures of the finance report
  (`reports.finance.build` for the one grant, as of today), so the page and the report
  never disagree;
- its tranches: expected and received, their status (`records.finance.tranche_status`) and
  how many days late;
- its spending by category, and the newest spending records;
- links to the tranche and spending forms with the grant (and its currency) filled in.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

from fieldledger.i18n import N_
from fieldledger.records.finance import tranche_status
from fieldledger.reports import finance as report
from fieldledger.views.query import page
from fieldledger.web.app import Ctx, PageSet, writing
from fieldledger.web.records import RecordScreens, fields_for, record_pages, visible

pages = PageSet()
WRITERS = writing("finance")

GRANTS = RecordScreens(
    "grant",
    "/grants",
    N_("Grants"),
    listed=("donor_alias", "amount", "currency", "period_start", "period_end", "restriction"),
    search="donor_alias",
    order="period_start",
    descending=True,
)
TRANCHES = RecordScreens(
    "tranche",
    "/tranches",
    N_("Tranches"),
    listed=("expected_date", "grant_id", "expected_amount", "received_date", "received_amount"),
    order="expected_date",
    descending=True,
)
SPENDING = RecordScreens(
    "expenditure",
    "/spending",
    N_("Spending"),
    listed=("date", "grant_id", "amount", "currency", "category"),
    order="date",
    descending=True,
)
# The most spending records a grant's page lists (the newest); its totals count them all.
SHOWN_SPENDING = 30
FIGURES = ("budget", "received", "expected", "cut", "spent", "balance")


record_pages(pages, GRANTS)
record_pages(pages, TRANCHES)
record_pages(pages, SPENDING)


def grant_figures(ctx: Ctx, rid: str, today: dt.date) -> list[dict[str, Any]]:
    """The finance report's figures of one grant, one dict per currency (its own first)."""
    built = report.build(ctx.ws, None, rid, today=today)
    keys = [spec[0] for spec in report.GRANT_COLUMNS]
    return [dict(zip(keys, row, strict=True)) for row in built.tables[0].rows]


def tranches_of(ctx: Ctx, rid: str, today: dt.date) -> list[dict[str, Any]]:
    """The grant's tranches, by expected date, with their status and days late (a received
    tranche: days after the expected date it came; one still not received: days since)."""
    found = page(ctx.ws, "tranche", where={"grant_id": rid}, order="expected_date", limit=500)
    out = []
    for t in found.rows:
        expected = dt.date.fromisoformat(t["expected_date"])
        status = tranche_status(expected, t["received_date"], bool(t["cancelled"]), today)
        late = None
        if status == "late":
            late = (today - expected).days
        elif status == "received":
            late = max(0, (dt.date.fromisoformat(t["received_date"]) - expected).days)
        out.append({**t, "status": status, "days_late": late})
    return out


def grant_show(ctx: Ctx) -> Response:
    rid = ctx.param("rid")
    record = ctx.ws.get("grant", rid)
    today = dt.date.today()
    conn = ctx.ws.conn
    by_category = conn.execute(
        "SELECT category, currency, sum(amount), count(*) FROM expenditures"
        " WHERE grant_id = ? AND NOT _forgotten GROUP BY category, currency"
        " ORDER BY sum(amount) DESC",
        (rid,),
    ).fetchall()
    spending = page(
        ctx.ws,
        "expenditure",
        where={"grant_id": rid},
        order="date",
        descending=True,
        limit=SHOWN_SPENDING,
    )
    return ctx.render(
        "finance_grant.html.j2",
        screens=GRANTS,
        record=visible(ctx, GRANTS, record),
        fields=fields_for(ctx, GRANTS),
        can_write=ctx.role in WRITERS,
        can_forget=False,
        today=today.isoformat(),
        figures=grant_figures(ctx, rid, today),
        figure_names=FIGURES,
        tranches=tranches_of(ctx, rid, today),
        by_category=by_category,
        spending=spending.rows,
        spending_total=spending.total,
    )


pages.serve_with("grant_show", grant_show)
