"""The financial report per grant: budget, received, spent, tranche delays, burn rate, runway.

Figures are as of a day: today, or the last day of `--period` if that is earlier. A grant
is in the report when its own period overlaps `--period` (or always, without one). Three
tables:

    Grants       one row per grant in its currency, and one more per other currency its
                 spending was recorded in (a sum never mixes currencies):
                   budget            the grant's amount
                   received          tranches received by the as-of day
                   still expected    tranches neither received nor cut (late or expected)
                   cut               tranches the donor cut (cancelled)
                   spent             expenditure under the grant up to the as-of day
                   balance           received - spent (money in hand)
                   months elapsed    from the grant's start to the as-of day (or its end)
                   burn rate         spent / months elapsed
                   months left       from the as-of day to the grant's end
                   runway            (received + still expected - spent) / burn rate: the
                                     months the money lasts if every expected tranche comes
                   runway if cut     (received - spent) / burn rate: if no more tranches come
                   late tranches     how many are late on the as-of day
                   longest delay     days, over the grant's tranches (below)
    Tranches     every tranche: expected and received month and amount, status, delay in
                 days = received date - expected date (negative: early); a tranche still not
                 received after its expected date is delayed up to the as-of day; an
                 expected or cut tranche has no delay
    Currencies   per currency: how many grants are in it, their budget, received, still
                 expected and cut; and everything spent in it, under any grant

Grants are numbered in the report (1, 2, ...; their tranches 1, 2, ... within each) and
named by `donor_alias` and `reference`, never by the donor's name (records/finance.py: a
donor's name can itself be a risk). The numbers keep rows apart when disclosure control
coarsens dates to a coarser policy grain (rows whose other columns become equal are
merged). Dates are given as months: a tranche's day shows in its delay. Nothing here counts
people, so disclosure control suppresses nothing; the linter still checks every column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fieldledger.errors import ValidationError
from fieldledger.privacy.export import Column, Export, Table
from fieldledger.records.finance import tranche_status
from fieldledger.reports.period import Period, label

if TYPE_CHECKING:
    from fieldledger.privacy.policy import Policy
    from fieldledger.workspace import Workspace

MONTH_DAYS = 365.25 / 12

_WORDS = {
    "en": {
        "grants": "Grants",
        "tranches": "Tranches",
        "currencies": "Currencies",
        "grant": "Grant",
        "tranche": "Tranche",
        "donor": "Donor",
        "reference": "Reference",
        "currency": "Currency",
        "restriction": "Restriction",
        "start": "Start (month)",
        "end": "End (month)",
        "budget": "Budget",
        "received": "Received",
        "expected": "Still expected",
        "cut": "Cut",
        "spent": "Spent",
        "balance": "Balance (received - spent)",
        "elapsed": "Months elapsed",
        "burn": "Burn rate per month",
        "left": "Months left in grant",
        "runway": "Runway in months",
        "runway_cut": "Runway in months if no more tranches come",
        "late": "Late tranches",
        "longest": "Longest delay (days)",
        "expected_month": "Expected (month)",
        "expected_amount": "Expected amount",
        "received_month": "Received (month)",
        "received_amount": "Received amount",
        "status": "Status",
        "delay": "Delay (days)",
        "count": "Grants",
    },
    "my": {
        "grants": "ရန်ပုံငွေများ",
        "tranches": "အရစ်ကျများ",
        "currencies": "ငွေကြေးအလိုက်",
        "grant": "ရန်ပုံငွေ",
        "tranche": "အရစ်ကျ",
        "donor": "အလှူရှင်",
        "reference": "သဘောတူစာချုပ် အမှတ်",
        "currency": "ငွေကြေး",
        "restriction": "သုံးစွဲမှု ကန့်သတ်ချက်",
        "start": "စတင်သည့် လ",
        "end": "ပြီးဆုံးသည့် လ",
        "budget": "ဘတ်ဂျက်",
        "received": "ရရှိပြီး",
        "expected": "မျှော်မှန်းဆဲ",
        "cut": "ဖြတ်တောက်ခံရ",
        "spent": "သုံးစွဲပြီး",
        "balance": "လက်ကျန်ငွေ (ရရှိပြီး - သုံးစွဲပြီး)",
        "elapsed": "ကုန်ဆုံးပြီး လအရေအတွက်",
        "burn": "တစ်လ သုံးစွဲနှုန်း",
        "left": "ရန်ပုံငွေ ကာလ ကျန်ရှိသည့် လအရေအတွက်",
        "runway": "ငွေ လုံလောက်မည့် လအရေအတွက်",
        "runway_cut": "နောက်ထပ် အရစ်ကျ မရလျှင် ငွေ လုံလောက်မည့် လအရေအတွက်",
        "late": "နောက်ကျနေသော အရစ်ကျ",
        "longest": "အများဆုံး နောက်ကျရက်",
        "expected_month": "ရရန် မျှော်မှန်းသည့် လ",
        "expected_amount": "ရရန် မျှော်မှန်းသည့် ပမာဏ",
        "received_month": "ရရှိသည့် လ",
        "received_amount": "ရရှိသည့် ပမာဏ",
        "status": "အခြေအနေ",
        "delay": "နောက်ကျရက်",
        "count": "ရန်ပုံငွေ အရေအတွက်",
    },
}


@dataclass
class GrantFigures:
    """One grant's figures in one currency (the grant's own, or another its spending used)."""

    number: str  # the grant's number in this report: "1", "2", ...
    donor: str | None
    reference: str | None
    currency: str
    own_currency: bool
    restriction: str | None = None
    start: str | None = None
    end: str | None = None
    budget: float = 0.0
    received: float = 0.0
    expected: float = 0.0
    cut: float = 0.0
    spent: float = 0.0
    elapsed: float | None = None  # months
    left: float | None = None  # months
    late: int = 0
    delays: list[int] = field(default_factory=list)

    @property
    def balance(self) -> float:
        return self.received - self.spent

    @property
    def burn(self) -> float | None:
        return self.spent / self.elapsed if self.elapsed else None

    def runway(self, *, cut: bool) -> float | None:
        """Months the money lasts at the current burn rate: with every still-expected
        tranche, or (`cut`) with none of them."""
        if not self.burn:
            return None
        money = self.received - self.spent + (0.0 if cut else self.expected)
        return max(money, 0.0) / self.burn


def build(
    ws: Workspace,
    period: Period | None,
    grant: str | None = None,
    *,
    lang: str = "en",
    policy: Policy | None = None,
    today: dt.date | None = None,
) -> Export:
    """The financial report as of min(today, end of `period`). `policy` is not needed
    (nothing here is about people); it is accepted like every builder's."""
    del policy
    words = _WORDS.get(lang, _WORDS["en"])
    as_of = today or dt.date.today()
    if period is not None:
        as_of = min(as_of, period.end)
    grants = _grants(ws, period, grant)

    figures: list[GrantFigures] = []
    tranche_rows: list[list[Any]] = []
    for n, (gid, donor, reference, amount, currency, restriction, start, end) in enumerate(
        grants, start=1
    ):
        own = GrantFigures(
            number=str(n),
            donor=donor,
            reference=reference,
            currency=currency,
            own_currency=True,
            restriction=restriction,
            start=label(start, "month"),
            end=label(end, "month"),
            budget=amount,
        )
        start_day, end_day = dt.date.fromisoformat(start), dt.date.fromisoformat(end)
        own.elapsed = _months(start_day, min(as_of, end_day))
        own.left = _months(as_of + dt.timedelta(days=1), end_day)
        for t, row in enumerate(_tranches(ws, gid, as_of), start=1):
            expected_day, expected_amount, received_day, received_amount, cancelled = row
            status = tranche_status(expected_day, received_day, bool(cancelled), as_of)
            delay = _delay(expected_day, received_day, status, as_of)
            if status == "received":
                own.received += received_amount
            elif status == "cut":
                own.cut += expected_amount
            else:
                own.expected += expected_amount
            own.late += status == "late"
            if delay is not None:
                own.delays.append(delay)
            tranche_rows.append(
                [
                    own.number,
                    str(t),
                    donor,
                    reference,
                    currency,
                    label(expected_day, "month"),
                    _money(expected_amount),
                    label(received_day, "month") if received_day else None,
                    _money(received_amount) if received_day else None,
                    status,
                    delay,
                ]
            )
        figures.append(own)
        for spent_currency, spent in ws.conn.execute(
            "SELECT currency, sum(amount) FROM expenditures WHERE grant_id = ? AND date <= ?"
            " GROUP BY currency ORDER BY currency",
            (gid, as_of.isoformat()),
        ):
            if spent_currency == currency:
                own.spent = spent
                continue
            other = GrantFigures(
                number=own.number,
                donor=donor,
                reference=reference,
                currency=spent_currency,
                own_currency=False,
                spent=spent,
            )
            other.elapsed = own.elapsed
            figures.append(other)

    # totals=False: a column total would add up different currencies (and months, days),
    # and there is no count of people to protect.
    tables = [
        Table(words["grants"], _grant_columns(words), [_grant_row(f) for f in figures]),
        Table(words["tranches"], _tranche_columns(words), tranche_rows),
        Table(words["currencies"], _currency_columns(words), _currency_rows(figures)),
    ]
    for table in tables:
        table.totals = False
    return Export(kind="finance", tables=tables)


def _grants(ws: Workspace, period: Period | None, grant: str | None) -> list[tuple]:
    sql = (
        "SELECT id, donor_alias, reference, amount, currency, restriction, period_start,"
        " period_end FROM grants WHERE 1"
    )
    params: list[Any] = []
    if grant is not None:
        sql += " AND id = ?"
        params.append(grant)
    if period is not None:
        sql += " AND period_start <= ? AND period_end >= ?"
        params += [period.end.isoformat(), period.start.isoformat()]
    found = ws.conn.execute(sql + " ORDER BY period_start, id", params).fetchall()
    if grant is not None and not found:
        exists = ws.conn.execute("SELECT 1 FROM grants WHERE id = ?", (grant,)).fetchone()
        if exists is None:
            raise ValidationError(f"--grant {grant}: no grant with that id in this workspace")
    return found


def _tranches(ws: Workspace, grant: str, as_of: dt.date) -> list[tuple]:
    """A grant's tranches as they stood on `as_of`: one received later was not received
    yet. A cut is not dated: a cut tranche counts as cut whatever the day."""
    rows = []
    for expected_day, expected_amount, received_day, received_amount, cancelled in ws.conn.execute(
        "SELECT expected_date, expected_amount, received_date, received_amount, cancelled"
        " FROM tranches WHERE grant_id = ? ORDER BY expected_date, id",
        (grant,),
    ):
        if received_day is not None and received_day > as_of.isoformat():
            received_day, received_amount = None, None
        rows.append((expected_day, expected_amount, received_day, received_amount, cancelled))
    return rows


def _delay(expected: str, received: str | None, status: str, as_of: dt.date) -> int | None:
    expected_day = dt.date.fromisoformat(expected)
    if status == "received" and received is not None:
        return (dt.date.fromisoformat(received) - expected_day).days
    if status == "late":
        return (as_of - expected_day).days
    return None


def _months(first: dt.date, last: dt.date) -> float:
    """Months from `first` to `last`, both days included; 0 when `last` is before."""
    days = (last - first).days + 1
    return max(days, 0) / MONTH_DAYS


def _money(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _number(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


# Months, days and numbers of tranches are kind "amount": like money they are about the
# organisation, not people, and must not be suppressed. export.py has no kind for a plain
# number; "amount" is the one the linter and disclosure control leave as it is.


def _grant_columns(w: dict[str, str]) -> list[Column]:
    return [
        Column(w["grant"], "label"),
        Column(w["donor"], "label", hxl="#org+funder+name"),
        Column(w["reference"], "label"),
        Column(w["currency"], "category", hxl="#currency"),
        Column(w["restriction"], "category"),
        Column(w["start"], "date", hxl="#date+start", grain="month"),
        Column(w["end"], "date", hxl="#date+end", grain="month"),
        Column(w["budget"], "amount", hxl="#value+budget"),
        Column(w["received"], "amount", hxl="#value+received"),
        Column(w["expected"], "amount", hxl="#value+expected"),
        Column(w["cut"], "amount", hxl="#value+cut"),
        Column(w["spent"], "amount", hxl="#value+spent"),
        Column(w["balance"], "amount", hxl="#value+balance"),
        Column(w["elapsed"], "amount"),
        Column(w["burn"], "amount", hxl="#value+burn"),
        Column(w["left"], "amount"),
        Column(w["runway"], "amount"),
        Column(w["runway_cut"], "amount"),
        Column(w["late"], "amount"),
        Column(w["longest"], "amount"),
    ]


def _grant_row(f: GrantFigures) -> list[Any]:
    own = f.own_currency
    longest = max(0, *f.delays) if f.delays else None
    return [
        f.number,
        f.donor,
        f.reference,
        f.currency,
        f.restriction,
        f.start,
        f.end,
        _money(f.budget) if own else None,
        _money(f.received) if own else None,
        _money(f.expected) if own else None,
        _money(f.cut) if own else None,
        _money(f.spent),
        _money(f.balance) if own else None,
        _number(f.elapsed),
        _money(f.burn),
        _number(f.left) if own else None,
        _number(f.runway(cut=False)) if own else None,
        _number(f.runway(cut=True)) if own else None,
        f.late if own else None,
        longest if own else None,
    ]


def _tranche_columns(w: dict[str, str]) -> list[Column]:
    return [
        Column(w["grant"], "label"),
        Column(w["tranche"], "label"),
        Column(w["donor"], "label", hxl="#org+funder+name"),
        Column(w["reference"], "label"),
        Column(w["currency"], "category", hxl="#currency"),
        Column(w["expected_month"], "date", hxl="#date+expected", grain="month"),
        Column(w["expected_amount"], "amount", hxl="#value+expected"),
        Column(w["received_month"], "date", hxl="#date+received", grain="month"),
        Column(w["received_amount"], "amount", hxl="#value+received"),
        Column(w["status"], "category", hxl="#status"),
        Column(w["delay"], "amount"),
    ]


def _currency_columns(w: dict[str, str]) -> list[Column]:
    return [
        Column(w["currency"], "category", hxl="#currency"),
        Column(w["count"], "amount"),
        Column(w["budget"], "amount", hxl="#value+budget"),
        Column(w["received"], "amount", hxl="#value+received"),
        Column(w["expected"], "amount", hxl="#value+expected"),
        Column(w["cut"], "amount", hxl="#value+cut"),
        Column(w["spent"], "amount", hxl="#value+spent"),
    ]


def _currency_rows(figures: list[GrantFigures]) -> list[list[Any]]:
    sums: dict[str, list[float]] = {}
    for f in figures:
        s = sums.setdefault(f.currency, [0, 0.0, 0.0, 0.0, 0.0, 0.0])
        s[5] += f.spent
        if f.own_currency:
            s[0] += 1
            s[1] += f.budget
            s[2] += f.received
            s[3] += f.expected
            s[4] += f.cut
    return [
        [currency, int(s[0]), *(_money(v) for v in s[1:])] for currency, s in sorted(sums.items())
    ]
