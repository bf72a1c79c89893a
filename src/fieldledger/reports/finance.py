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

`render_pdf` prints the prepared export (after `privacy.prepare`) as the 8+3 report is
printed (narrative.py: WeasyPrint through `pdf_from_html`, bar charts of numbers only from
`chart_png`, words in the HTML): the as-of day, a table per grant with one column per
currency, budget / received / spent bars per currency labelled by grant number, the
currencies and the tranches (`templates/finance.html.j2`). A None cell is shown as "—";
totals only where disclosure control computed them (this report asks for none).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fieldledger.errors import ValidationError
from fieldledger.privacy.export import Column, DateGrain, Export, Kind, Table
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
        # the PDF only
        "title": "Financial report",
        "as_of": "Figures as of",
        "period": "Reporting period",
        "chart": "Budget, received and spent per grant",
        "chart_note": "Bars are labelled by grant number.",
        "total": "Total",
        "dash": "—  not applicable, or not shown by disclosure control",
        "runway_note": (
            "Runway: the months the money received and still expected lasts at the current "
            "burn rate; if no more tranches come, the money received only. A tranche still "
            "expected after its date is late up to the day the figures are as of."
        ),
        "status_expected": "expected",
        "status_late": "late",
        "status_received": "received",
        "status_cut": "cut",
        "restriction_restricted": "restricted",
        "restriction_flexible": "flexible",
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
        # the PDF only
        "title": "ငွေကြေး အစီရင်ခံစာ",
        "as_of": "ကိန်းဂဏန်းများ၏ ရက်စွဲ",
        "period": "အစီရင်ခံသည့် ကာလ",
        "chart": "ရန်ပုံငွေ အလိုက် ဘတ်ဂျက်၊ ရရှိပြီး နှင့် သုံးစွဲပြီး",
        "chart_note": "ဘား တစ်ခုစီကို ရန်ပုံငွေ နံပါတ်ဖြင့် ဖော်ပြထားသည်။",
        "total": "စုစုပေါင်း",
        "dash": "—  မသက်ဆိုင်ပါ သို့မဟုတ် ထုတ်ဖော်မှု ထိန်းချုပ်ရေးအရ မဖော်ပြပါ",
        "runway_note": (
            "ငွေ လုံလောက်မည့် လအရေအတွက် - လက်ရှိ သုံးစွဲနှုန်းဖြင့် ရရှိပြီးငွေနှင့် "
            "မျှော်မှန်းဆဲငွေ လုံလောက်မည့် လများ။ နောက်ထပ် အရစ်ကျ မရလျှင် - ရရှိပြီးငွေသာ။"
        ),
        "status_expected": "မျှော်လင့်ဆဲ",
        "status_late": "နောက်ကျနေ",
        "status_received": "ရရှိပြီး",
        "status_cut": "ဖြတ်တောက်ခံရ",
        "restriction_restricted": "သုံးစွဲမှု ကန့်သတ်ထား",
        "restriction_flexible": "လိုအပ်သလို သုံးစွဲနိုင်",
    },
}


@dataclass
class FinanceExport(Export):
    """The finance report's `Export`, with the day its figures are as of and the period
    asked for: the PDF says them (the spreadsheet's tables do not)."""

    as_of: dt.date | None = None
    period: str | None = None  # "2026-01 – 2026-06"; None: all records


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
) -> FinanceExport:
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
        Table(words["grants"], _columns(GRANT_COLUMNS, words), [_grant_row(f) for f in figures]),
        Table(words["tranches"], _columns(TRANCHE_COLUMNS, words), tranche_rows),
        Table(words["currencies"], _columns(CURRENCY_COLUMNS, words), _currency_rows(figures)),
    ]
    for table in tables:
        table.totals = False
    shown = None  # a --period is whole months: the PDF says it as months
    if period is not None:
        shown = f"{label(period.start, 'month')} – {label(period.end, 'month')}"
    return FinanceExport(kind="finance", tables=tables, as_of=as_of, period=shown)


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


# Each table's columns in order: (key in _WORDS, kind, HXL hashtag, date grain). The PDF
# finds a column by its key.
ColumnSpec = tuple[str, Kind, str | None, DateGrain | None]
GRANT_COLUMNS: tuple[ColumnSpec, ...] = (
    ("grant", "label", None, None),
    ("donor", "label", "#org+funder+name", None),
    ("reference", "label", None, None),
    ("currency", "category", "#currency", None),
    ("restriction", "category", None, None),
    ("start", "date", "#date+start", "month"),
    ("end", "date", "#date+end", "month"),
    ("budget", "amount", "#value+budget", None),
    ("received", "amount", "#value+received", None),
    ("expected", "amount", "#value+expected", None),
    ("cut", "amount", "#value+cut", None),
    ("spent", "amount", "#value+spent", None),
    ("balance", "amount", "#value+balance", None),
    ("elapsed", "amount", None, None),
    ("burn", "amount", "#value+burn", None),
    ("left", "amount", None, None),
    ("runway", "amount", None, None),
    ("runway_cut", "amount", None, None),
    ("late", "amount", None, None),
    ("longest", "amount", None, None),
)
TRANCHE_COLUMNS: tuple[ColumnSpec, ...] = (
    ("grant", "label", None, None),
    ("tranche", "label", None, None),
    ("donor", "label", "#org+funder+name", None),
    ("reference", "label", None, None),
    ("currency", "category", "#currency", None),
    ("expected_month", "date", "#date+expected", "month"),
    ("expected_amount", "amount", "#value+expected", None),
    ("received_month", "date", "#date+received", "month"),
    ("received_amount", "amount", "#value+received", None),
    ("status", "category", "#status", None),
    ("delay", "amount", None, None),
)
CURRENCY_COLUMNS: tuple[ColumnSpec, ...] = (
    ("currency", "category", "#currency", None),
    ("count", "amount", None, None),
    ("budget", "amount", "#value+budget", None),
    ("received", "amount", "#value+received", None),
    ("expected", "amount", "#value+expected", None),
    ("cut", "amount", "#value+cut", None),
    ("spent", "amount", "#value+spent", None),
)


def _columns(spec: tuple[ColumnSpec, ...], w: dict[str, str]) -> list[Column]:
    return [Column(w[key], kind, hxl=hxl, grain=grain) for key, kind, hxl, grain in spec]


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


# -- PDF ---------------------------------------------------------------------------------

# What the PDF shows, by the column keys above: each grant's figures (one column per
# currency), the bars of each currency's chart, the tranche table's columns.
GRANT_FIGURES = (
    "budget",
    "received",
    "expected",
    "cut",
    "spent",
    "balance",
    "burn",
    "runway",
    "runway_cut",
    "late",
    "longest",
)
CHART_BARS = ("budget", "received", "spent")
TRANCHE_SHOWN = (
    "grant",
    "tranche",
    "currency",
    "expected_month",
    "expected_amount",
    "received_month",
    "received_amount",
    "status",
    "delay",
)
# Money is written as money (narrative.money); months as 1 decimal, counts and days whole.
_MONEY = {
    key
    for key, _kind, hxl, _grain in (*GRANT_COLUMNS, *TRANCHE_COLUMNS, *CURRENCY_COLUMNS)
    if hxl and hxl.startswith("#value")
}
DASH = "—"


def render_pdf(export: Export, *, lang: str = "en") -> bytes:
    """The prepared report (after `privacy.prepare`) as PDF bytes, made like the 8+3's
    (`narrative.pdf_from_html`): nothing fetched, no author, producer, dates or file
    identifier, so identical records give identical bytes."""
    from fieldledger.reports.narrative import pdf_from_html

    return pdf_from_html(render_html(export, lang=lang))


def render_html(export: Export, *, lang: str = "en") -> bytes:
    """The report as one self-contained HTML page (UTF-8 bytes), what `render_pdf` prints:
    title, as-of day, a table per grant, a bar chart per currency (numbers only, words in
    the HTML: see narrative.py), the currencies and the tranches. A None cell, suppressed
    or not applicable, is shown as "—"; totals only as disclosure control computed them."""
    import jinja2

    from fieldledger.reports.narrative import COLOURS, FONTS, html_template

    if lang not in _WORDS:
        raise ValidationError(f"--lang {lang}: use one of {', '.join(_WORDS)}")
    shapes = (GRANT_COLUMNS, TRANCHE_COLUMNS, CURRENCY_COLUMNS)
    if export.kind != "finance" or [len(t.columns) for t in export.tables] != [
        len(spec) for spec in shapes
    ]:
        raise ValidationError(f"report {export.kind}: not the finance report's tables")
    w = _WORDS[lang]
    grants, tranches, currencies = export.tables
    as_of = getattr(export, "as_of", None)
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(html_template),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    page = env.get_template("finance.html.j2").render(
        lang=lang,
        fonts=FONTS[lang],
        colours=COLOURS,
        title=w["title"],
        as_of=as_of.isoformat() if as_of else None,
        period=getattr(export, "period", None),
        grants=_grant_views(grants, w),
        grant_total=_grant_total(grants, w),
        charts=_chart_views(grants, w),
        legend=[{"label": w[key], "colour": COLOURS[s]} for s, key in enumerate(CHART_BARS)],
        currencies=_table_view(currencies, CURRENCY_COLUMNS, None, w),
        tranches=_table_view(tranches, TRANCHE_COLUMNS, TRANCHE_SHOWN, w),
        w=w,
    )
    return page.encode("utf-8")


def _at(spec: tuple[ColumnSpec, ...]) -> dict[str, int]:
    return {key: i for i, (key, *_rest) in enumerate(spec)}


def _text(value: Any, key: str, w: dict[str, str]) -> str:
    if value is None:
        return DASH
    if key in _MONEY:
        from fieldledger.reports.narrative import money

        return money(value)
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if key in ("status", "restriction"):
        return w.get(f"{key}_{value}", str(value))
    return str(value)


def _cell(value: Any, key: str, kind: str, w: dict[str, str]) -> dict[str, Any]:
    return {
        "text": _text(value, key, w),
        "number": kind in ("amount", "count", "event_count"),
        "hidden": value is None,
    }


def _name(row: list[Any], at: dict[str, int]) -> str:
    """A grant as reports name it: donor alias and reference, never the donor's name."""
    return " · ".join(str(row[at[k]]) for k in ("donor", "reference") if row[at[k]]) or DASH


def _grant_views(grants: Table, w: dict[str, str]) -> list[dict[str, Any]]:
    """One view per grant number: its figures down, one column per currency (the grant's
    own first, then those other spending was recorded in)."""
    at = _at(GRANT_COLUMNS)
    kinds = {key: kind for key, kind, *_rest in GRANT_COLUMNS}
    numbered: dict[str, list[list[Any]]] = {}
    for row in grants.rows:
        numbered.setdefault(str(row[at["grant"]]), []).append(row)
    views = []
    for number, rows in numbered.items():
        first = rows[0]
        views.append(
            {
                "number": number,
                "name": _name(first, at),
                "restriction": _text(first[at["restriction"]], "restriction", w),
                "span": " – ".join(str(first[at[k]] or DASH) for k in ("start", "end")),
                "currencies": [str(r[at["currency"]] or DASH) for r in rows],
                "rows": [
                    {
                        "label": w[key],
                        "cells": [_cell(r[at[key]], key, kinds[key], w) for r in rows],
                    }
                    for key in GRANT_FIGURES
                ],
            }
        )
    return views


def _grant_total(grants: Table, w: dict[str, str]) -> list[dict[str, Any]] | None:
    """The column totals disclosure control computed and protected (`Table.total_row`),
    if it did: this report asks for none (a total would add up currencies)."""
    if grants.total_row is None:
        return None
    at = _at(GRANT_COLUMNS)
    return [
        {"label": w[key], "cell": _cell(grants.total_row[at[key]], key, "amount", w)}
        for key in GRANT_FIGURES
    ]


def _chart_views(grants: Table, w: dict[str, str]) -> list[dict[str, Any]]:
    """Per currency, bars of budget, received and spent per grant, labelled by the grant's
    number (a PNG of numbers only: narrative.chart_png), and the same figures as text."""
    import base64

    from fieldledger.reports.narrative import Figure, chart_png

    at = _at(GRANT_COLUMNS)
    by_currency: dict[str, list[list[Any]]] = {}
    for row in grants.rows:
        by_currency.setdefault(str(row[at["currency"]] or DASH), []).append(row)
    views = []
    for currency, rows in sorted(by_currency.items()):
        table = Table(
            currency,
            [Column("#", "label"), *(Column(w[key], "amount") for key in CHART_BARS)],
            [[str(r[at["grant"]]), *(r[at[key]] for key in CHART_BARS)] for r in rows],
            totals=False,
        )
        png = chart_png(table, Figure(series=(1, 2, 3), horizontal=True))
        views.append(
            {
                "currency": currency,
                "png": base64.b64encode(png).decode("ascii") if png else None,
                "headers": [
                    {"text": "#", "number": True},
                    {"text": w["grant"], "number": False},
                    *({"text": w[key], "number": True} for key in CHART_BARS),
                ],
                "rows": [
                    [
                        {"text": str(r[at["grant"]]), "number": True, "hidden": False},
                        {"text": _name(r, at), "number": False, "hidden": False},
                        *(_cell(r[at[key]], key, "amount", w) for key in CHART_BARS),
                    ]
                    for r in rows
                ],
                "total": None,  # a total would be ours: this report has none to show
            }
        )
    return views


def _table_view(
    table: Table, spec: tuple[ColumnSpec, ...], shown: tuple[str, ...] | None, w: dict[str, str]
) -> dict[str, Any]:
    """A table's `shown` columns (all when None), with the row totals and the column totals
    disclosure control computed, if it did (`Table.row_totals`, `Table.total_row`)."""
    at = _at(spec)
    kinds = {key: kind for key, kind, *_rest in spec}
    keys = list(shown or at)
    headers = [{"text": w[key], "number": kinds[key] == "amount"} for key in keys]
    row_totals = table.row_totals
    if row_totals is not None:
        headers.append({"text": w["total"], "number": True})
    rows = []
    for n, row in enumerate(table.rows):
        cells = [_cell(row[at[key]], key, kinds[key], w) for key in keys]
        if row_totals is not None:
            cells.append(_cell(row_totals[n], "count", "count", w))
        rows.append(cells)
    total = None
    if table.total_row is not None:
        total = [
            _cell(table.total_row[at[key]], key, kinds[key], w)
            if kinds[key] == "amount"
            else {"text": "", "number": False, "hidden": False}
            for key in keys
        ]
        if kinds[keys[0]] != "amount":
            total[0]["text"] = w["total"]
        if row_totals is not None:
            total.append(_cell(table.grand_total, "count", "count", w))
    return {"headers": headers, "rows": rows, "total": total}
