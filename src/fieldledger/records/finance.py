"""Grants, their tranches, and spending: the `finance` compartment, which field devices never
hold. A donor's real name can itself be a risk; `donor_alias` is what reports show.

Amounts are numbers in the currency's units (up to two decimals). A tranche is in its grant's
currency. Its status is computed, never typed in (`Tranche.status`):

    cut       marked cancelled (the donor cut or withdrew it)
    received  a received date is recorded
    late      not received, and the expected date has passed
    expected  not received, and the expected date has not passed yet
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType, invalid

Currency = Literal[
    "MMK", "THB", "USD", "EUR", "GBP", "AUD", "CAD", "CHF", "JPY", "NOK", "SEK", "DKK", "NZD"
]
Amount = Annotated[float, msgspec.Meta(ge=0, le=1e13)]
Id = Annotated[str, msgspec.Meta(min_length=3, max_length=40)]
Restriction = Literal["restricted", "flexible"]
TrancheStatus = Literal["expected", "late", "received", "cut"]
ExpenditureCategory = Literal[
    "staff",
    "relief_items",
    "cash_transfers",
    "transport",
    "training",
    "equipment",
    "office",
    "communications",
    "security",
    "bank_fees",
    "audit",
    "other",
]


class Grant(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    donor: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    donor_alias: Annotated[str, msgspec.Meta(min_length=1, max_length=100)] | None = None
    reference: Annotated[str, msgspec.Meta(max_length=100)] | None = None
    amount: Amount
    currency: Currency
    restriction: Restriction
    period_start: dt.date
    period_end: dt.date
    purpose: Annotated[str, msgspec.Meta(max_length=2000)] | None = None

    def __post_init__(self) -> None:
        if self.period_end < self.period_start:
            raise invalid("period_end", "before period_start")


def tranche_status(
    expected_date: dt.date | str,
    received_date: dt.date | str | None,
    cancelled: bool,
    today: dt.date,
) -> TrancheStatus:
    """The status of a tranche from its stored fields (module docstring)."""
    if cancelled:
        return "cut"
    if received_date is not None:
        return "received"
    if isinstance(expected_date, str):
        expected_date = dt.date.fromisoformat(expected_date)
    return "late" if today > expected_date else "expected"


class Tranche(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    grant_id: Id
    expected_date: dt.date
    expected_amount: Amount
    received_date: dt.date | None = None
    received_amount: Amount | None = None
    cancelled: bool = False
    note: Annotated[str, msgspec.Meta(max_length=1000)] | None = None

    def __post_init__(self) -> None:
        if (self.received_date is None) != (self.received_amount is None):
            missing = "received_amount" if self.received_amount is None else "received_date"
            raise invalid(missing, "received_date and received_amount go together")
        if self.cancelled and self.received_date is not None:
            raise invalid("cancelled", "a received tranche cannot be cancelled")

    def status(self, today: dt.date) -> TrancheStatus:
        return tranche_status(self.expected_date, self.received_date, self.cancelled, today)


class Expenditure(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    grant_id: Id
    project_id: Id | None = None
    date: dt.date
    amount: Amount
    currency: Currency
    category: ExpenditureCategory
    description: Annotated[str, msgspec.Meta(max_length=1000)] | None = None


GRANT = RecordType(
    name="grant",
    table="grants",
    compartment="finance",
    struct=Grant,
    id_prefix="GR",
    listed=("donor_alias", "amount", "currency", "restriction", "period_start", "period_end"),
    description="a grant from a donor: amount, currency, period and whether it is restricted",
)

TRANCHE = RecordType(
    name="tranche",
    table="tranches",
    compartment="finance",
    struct=Tranche,
    id_prefix="TC",
    refs=(("grant_id", "grant"),),
    listed=("grant_id", "expected_date", "expected_amount", "received_date", "cancelled"),
    description="one expected payment of a grant; late, received or cut",
)

EXPENDITURE = RecordType(
    name="expenditure",
    table="expenditures",
    compartment="finance",
    struct=Expenditure,
    id_prefix="EX",
    refs=(("grant_id", "grant"), ("project_id", "project")),
    listed=("grant_id", "date", "amount", "currency", "category"),
    description="money spent under a grant, optionally for a project",
)
