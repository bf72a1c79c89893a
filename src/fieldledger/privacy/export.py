"""What a report hands to disclosure control and the export linter before anything is written.

A report builder (`fieldledger.reports`) never writes a file itself: it describes what it
would write as an `Export` — tables of aggregates, optionally microdata rows, optionally a
narrative a person wrote — with every column saying what kind of value it holds. Disclosure
control (`privacy.disclosure`) then suppresses and generalises, and the linter
(`privacy.linter`) refuses what would harm; only then does a writer turn the export into CSV,
XLSX, XML, HTML or PDF bytes, in memory.

How a builder describes a table (the rules are in `privacy.disclosure`):

- Every published number is in the table. A row total is a count column with `total_of`
  (the count columns it adds up). When `Table.totals` is true, disclosure control also
  computes the totals a reader may be shown — `Table.row_totals` and `Table.grand_total`
  (the sum of every count column, only for a table without `total_of` columns: with them,
  those are its row totals) and `Table.total_row` (each column's total) — and protects them
  with the cells; a writer prints those, never totals of its own.
- Places: a `place` column holds P-codes at `Column.level`. A column holding the *names* of
  those places is paired with it by `Column.names_of` (the P-code column's name), or by HXL:
  `#adm2+name` pairs with `#adm2+code` in the same table. Names are written in Myanmar script
  when the column's values are, in English otherwise.
- Dates: a `date` column holds "2026-03-14", "2026-W11", "2026-03", "2026-Q1" or "2026" (or a
  range "2026-01..2026-06"), at `Column.grain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

# What a column holds. The linter decides by kind, never by a column's name.
Kind = Literal[
    "count",  # a number of people, households, incidents: subject to small-cell rules
    "event_count",  # a number of events that are not people (airstrikes): never suppressed
    "amount",  # money: never suppressed (not about people)
    "place",  # a P-code or place name, at `Column.level`
    "date",  # a date or period, at `Column.grain`
    "category",  # a choice from a closed list (sector, modality, sex, age group, ...)
    "label",  # text the organisation wrote about itself (project name, donor, org)
    "text",  # free text from records (narratives, descriptions, feedback): refused
    "pii",  # personal data (names, phone, ID numbers): refused, whatever the flag
    "gps",  # coordinates: refused
    "id",  # record ids: refused in aggregates, allowed in microdata only with care
]

KINDS: tuple[str, ...] = Kind.__args__  # type: ignore[attr-defined]
# Kinds whose cells are added up when rows merge; every other kind is a dimension.
MEASURES = ("count", "event_count", "amount")

PlaceLevel = Literal["state_region", "district", "township", "village_tract", "village"]
DateGrain = Literal["day", "week", "month", "quarter", "year"]
DATE_GRAINS: tuple[str, ...] = DateGrain.__args__  # type: ignore[attr-defined]  # finest first


@dataclass(frozen=True)
class Column:
    name: str  # as written in the header
    kind: Kind
    hxl: str | None = None  # HXL hashtag with attributes, e.g. "#reached+f+children"
    level: PlaceLevel | None = None  # for kind "place"
    grain: DateGrain | None = None  # for kind "date"
    quasi_identifier: bool = False  # for microdata: part of the k-anonymity key
    # For kind "count": this column is the row total of these count columns (by name), so
    # each of its cells is a published row total that complementary suppression protects.
    total_of: tuple[str, ...] | None = None
    # For kind "place": this column holds the names of the places whose P-codes are in the
    # column named here (generalised with it).
    names_of: str | None = None


@dataclass
class Table:
    """One table of a report: `rows` are lists in column order.

    `totals`: a reader is shown (or can form) each row's total and each column's total.
    Disclosure control then fills `row_totals`, `total_row` and `grand_total` and protects
    them with the cells. A suppressed cell holds None once disclosure control has run.
    """

    name: str
    columns: list[Column]
    rows: list[list[Any]]
    microdata: bool = False  # one row per person or household, not an aggregate
    totals: bool = True  # the table shows (or a reader can form) row and column totals
    # Filled by disclosure control when `totals`: the total of each row's count columns
    # (None when the table has `total_of` columns, or one count column), and each column's
    # total in column order (None for columns that are not numbers).
    row_totals: list[int | None] | None = None
    total_row: list[Any] | None = None
    grand_total: int | None = None  # with `row_totals`: the total of every count cell

    def column(self, name: str) -> int:
        for i, c in enumerate(self.columns):
            if c.name == name:
                return i
        raise KeyError(name)


@dataclass(frozen=True)
class Note:
    """One thing disclosure control did: shown to the user, never written for the recipient."""

    table: str
    what: Literal[
        "suppressed",
        "complementary",
        "generalised-place",
        "raised-place",
        "coarsened-date",
        "noise",
    ]
    detail: str


@dataclass
class Export:
    """Everything one report would write."""

    kind: str  # "5w", "iati", "8+3", "finance", "incidents"
    tables: list[Table] = field(default_factory=list)
    narrative: dict[str, str] = field(default_factory=dict)  # section -> text a person wrote
    reviewed_by: str | None = None  # who signed the narrative off
    notes: list[Note] = field(default_factory=list)  # filled by disclosure control
