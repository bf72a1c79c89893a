"""Grants from a few donors (shown by alias), their quarterly tranches, and spending.

Most tranches arrive on time, some late; one past tranche has not arrived yet (status
`late`) and one is cut by its donor, so the finance reports have something to show.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fieldledger.demo.context import Context, add_months

# (donor, alias, currency, restriction, months, purpose, a year: base + per household)
_DONORS = (
    (
        "Nordic Civil Society Fund",
        "Donor N",
        "USD",
        "restricted",
        12,
        "Emergency food and cash for displaced households",
        (40_000, 45),
    ),
    (
        "Alpine Humanitarian Foundation",
        "Donor A",
        "EUR",
        "restricted",
        24,
        "Relief items, shelter and health care",
        (30_000, 30),
    ),
    (
        "Mekong Neighbours Network",
        "Donor M",
        "THB",
        "flexible",
        18,
        "Cross-border relief and core costs",
        (1_200_000, 900),
    ),
    (
        "Lotus Rights Trust",
        "Donor L",
        "USD",
        "restricted",
        24,
        "Rights trainings and documentation of abuses",
        (35_000, 2),
    ),
)
_CATEGORIES = {
    "Donor N": ("cash_transfers", "relief_items", "transport", "bank_fees", "staff"),
    "Donor A": ("relief_items", "transport", "staff", "equipment", "communications"),
    "Donor M": ("staff", "office", "security", "transport", "communications", "audit"),
    "Donor L": ("training", "staff", "security", "communications", "equipment"),
}


def grants(ctx: Context, households: int) -> list[dict[str, Any]]:
    """Five grants: Donor N funds two consecutive years, the others one grant each."""
    rng = ctx.rng
    out = []
    for donor, alias, currency, restriction, months, purpose, (base, each) in _DONORS:
        starts = [ctx.start, add_months(ctx.start, 12)] if months == 12 else [ctx.start]
        if months == 18:
            starts = [add_months(ctx.start, 6)]
        for n, start in enumerate(starts, start=1):
            amount = round((base + each * households) * months / 12, -3)
            out.append(
                {
                    "id": ctx.new_id("grant"),
                    "donor": donor,
                    "donor_alias": alias,
                    "reference": f"{alias[-1]}-{start.year}-{rng.randint(10, 99)}-{n}",
                    "amount": amount,
                    "currency": currency,
                    "restriction": restriction,
                    "period_start": start.isoformat(),
                    "period_end": (add_months(start, months) - dt.timedelta(days=1)).isoformat(),
                    "purpose": purpose,
                }
            )
    return out


def tranches(ctx: Context, grant: dict[str, Any]) -> list[dict[str, Any]]:
    """Quarterly tranches from the grant's start. Donor M cuts its last tranche; Donor A's
    latest due tranche has not arrived."""
    rng = ctx.rng
    start = dt.date.fromisoformat(grant["period_start"])
    end = dt.date.fromisoformat(grant["period_end"])
    days = []
    day = start
    while day <= end:
        days.append(day)
        day = add_months(day, 3)
    share = round(grant["amount"] / len(days), 2)
    overdue = [d for d in days if d < ctx.today - dt.timedelta(days=20)]
    out = []
    for n, expected in enumerate(days):
        record: dict[str, Any] = {
            "id": ctx.new_id("tranche"),
            "grant_id": grant["id"],
            "expected_date": expected.isoformat(),
            "expected_amount": share,
            "received_date": None,
            "received_amount": None,
            "cancelled": False,
            "note": None,
        }
        alias = grant["donor_alias"]
        if alias == "Donor M" and n == len(days) - 1:
            record |= {"cancelled": True, "note": "Cut by the donor after its budget review"}
        elif alias == "Donor A" and overdue and expected == overdue[-1]:
            record["note"] = "Donor says the transfer is delayed by bank compliance checks"
        elif expected <= ctx.today:
            late = rng.random() < 0.25
            delay = rng.randint(15, 75) if late else rng.randint(-7, 7)
            received = expected + dt.timedelta(days=delay)
            if received <= ctx.today:
                fee = 1.0 if grant["currency"] == "THB" else rng.choice((1.0, 1.0, 0.995))
                record |= {
                    "received_date": received.isoformat(),
                    "received_amount": round(share * fee, 2),
                    "note": "arrived late" if late else None,
                }
        out.append(record)
    return out


def expenditures(
    ctx: Context, grant: dict[str, Any], project_ids: dict[str, str]
) -> list[dict[str, Any]]:
    """Spending each month of the grant so far, in its currency, a few categories a month;
    relief and training costs point to their projects."""
    rng = ctx.rng
    start = dt.date.fromisoformat(grant["period_start"])
    end = min(dt.date.fromisoformat(grant["period_end"]), ctx.today)
    months = max(1, (dt.date.fromisoformat(grant["period_end"]) - start).days // 30)
    monthly = grant["amount"] / months
    categories = _CATEGORIES[grant["donor_alias"]]
    out = []
    day = start
    while day <= end:
        chosen = rng.sample(categories, k=rng.randint(2, min(4, len(categories))))
        weights = [rng.uniform(0.5, 2.0) for _ in chosen]
        for category, weight in zip(chosen, weights, strict=True):
            amount = round(monthly * 0.9 * weight / sum(weights), 2)
            project = None
            if category in ("cash_transfers", "relief_items"):
                project = project_ids["relief"]
            elif category == "training":
                project = project_ids["rights"]
            out.append(
                {
                    "id": ctx.new_id("expenditure"),
                    "grant_id": grant["id"],
                    "project_id": project,
                    "date": ctx.between(day, min(end, add_months(day, 1))).isoformat(),
                    "amount": amount,
                    "currency": grant["currency"],
                    "category": category,
                    "description": None,
                }
            )
        day = add_months(day, 1)
    return out
