"""Disclosure control: what every aggregate goes through before it is written.

`protect(export, policy, places)` changes the export's tables in place, in this order, and
adds a `Note` for each thing it did (shown to the user, never written for the recipient):

1. **Dates** in a `date` column finer than `policy.date_grain` are rewritten to the period
   that holds them: "2026-03-14" becomes "2026-W11" (week: the ISO week), "2026-03" (month),
   "2026-Q1" (quarter) or "2026" (year). A week becomes the month, quarter or year its
   Thursday falls in (the ISO rule). A range "A..B" is coarsened end by end. `date` objects
   are days. Rows that became equal are merged (step 3).
2. **Places** finer than `policy.place_level` are generalised to it (MIMU P-codes: village →
   village tract → township → district → state/region). A table names a place by P-code
   columns (`place` columns at `Column.level`), possibly several of one hierarchy (#adm1,
   #adm2, #adm3); a column holding the names of a P-code column's places is paired with it by
   `Column.names_of`, or by HXL (`#adm3+name` with `#adm3+code`), and is rewritten with it, in
   Myanmar script when its values were, in English otherwise. A row's place is its finest
   P-code. Written back, each P-code column coarser than the place holds the place's
   ancestor at its level; the column at the place's own level holds the place; when there is
   none, the coarsest finer column holds it (its header and HXL tag are renamed to the level:
   "Township" → "District", #adm3 → #adm2); every finer column is emptied. P-code columns
   finer than the policy that end up empty are removed with their name columns.
3. Rows whose dimensions (every column that is not a count, an event count or an amount)
   became equal are **merged**: their counts, event counts and amounts are added up.
4. **Raising places with few records**: a place's records are its largest total — the
   largest sum, over the place's rows, of one count column (or of the row totals, when the
   table has implicit row totals). A place with 1..threshold-1 records is raised one level,
   to its parent (village tract → township → district → state/region), and rows merged again;
   this repeats until no place below state/region has 1..threshold-1 records. A raised row
   keeps its coarser columns and empties the finer ones, so a township raised to its district
   shows the district and an empty township. Tables without counts (incidents, finance) are
   not raised. Places at the policy level or coarser with enough records stay as they are.
   With `epsilon` (differential privacy, `privacy.dp`), count cells get noise here, after
   the tables have their final rows and before suppression.
5. **Small-cell suppression**: every `count` cell (and published total) in 1..threshold-1
   becomes None. Zero is published: it discloses nobody. `event_count` cells (events such as
   airstrikes, not people) and `amount` cells are never suppressed.
6. **Complementary suppression**, so that no published total gives a suppressed cell back.
   The table is taken as its rows × its count columns, extended by the totals a reader sees
   when `Table.totals` is true: a row-total column adding up every count column (only when
   the table has no `total_of` column, whose cells are then its row totals, and at least two
   count columns) and a totals row (each column's total; the grand total at the crossing).
   Every total column (`Column.total_of`), row total and column total is an equation among
   published and suppressed cells. First, any equation with exactly one suppressed cell gets
   a second: its smallest non-zero unsuppressed cell (cells rather than totals on a tie, then
   one that also settles another equation), repeated until no equation has one. Then an
   exact check: whether the published cells and totals determine any suppressed cell (linear
   algebra over the rationals on the whole table); for each one determined, the smallest
   non-zero unsuppressed cell sharing an equation with it (else anywhere in the table) is
   suppressed too, and both steps repeat until none is. A suppressed non-zero cell thus
   always has a range of values consistent with everything published, non-negativity
   included.
   The totals are written to `Table.row_totals`, `Table.total_row` and `Table.grand_total`;
   a writer prints those, never totals of its own.

Microdata tables (`Table.microdata`) get steps 1 and 2 only, row by row, never merged or
suppressed: the linter judges them (k-anonymity).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Callable, Iterable
from fractions import Fraction
from typing import Any

from fieldledger.errors import ValidationError
from fieldledger.places import LEVELS, Gazetteer, Place
from fieldledger.privacy.export import DATE_GRAINS, MEASURES, Export, Note, Table
from fieldledger.privacy.policy import Policy

__all__ = [
    "coarsen_period",
    "format_period",
    "pairing",
    "period_grain",
    "protect",
    "table_structure",
]


def protect(export: Export, policy: Policy, places: Gazetteer, *, epsilon: float = 0.0) -> Export:
    """Coarsen, generalise, merge, raise and suppress every table of `export` (in place).

    With `epsilon` > 0, count cells get differential-privacy noise (`privacy.dp`) after the
    rows are merged and before suppression; checking and spending the workspace's budget is
    the caller's (`privacy.prepare`)."""
    if isinstance(epsilon, bool) or not (
        isinstance(epsilon, int | float) and math.isfinite(epsilon) and epsilon >= 0
    ):
        raise ValueError(f"epsilon must be a number of 0 or more, not {epsilon!r}")
    notes: list[list[Note]] = []
    for table in export.tables:
        found: list[Note] = []
        _coarsen_dates(table, policy.date_grain, found)
        _Places(table, places, found).run(policy, merge=not table.microdata)
        notes.append(found)
    noise: dict[int, Note] = {}
    if epsilon:
        from fieldledger.privacy.dp import add_noise

        noise = add_noise(export, epsilon)
    for table, found in zip(export.tables, notes, strict=True):
        if id(table) in noise:
            found.append(noise[id(table)])
        if not table.microdata:
            _suppress(table, policy.threshold, found)
        export.notes.extend(found)
    return export


# --- dates ---------------------------------------------------------------------------------

_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])", re.ASCII)
_YEAR = re.compile(r"([0-9]{4})", re.ASCII)


def _parse(value: Any) -> tuple[str, dt.date]:
    """The grain of one date or period and a day in it (a week's Thursday, else its first)."""
    if isinstance(value, dt.date):  # a datetime too
        return "day", value if type(value) is dt.date else value.date()
    text = str(value).strip()
    try:
        if m := _DAY.fullmatch(text):
            return "day", dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := _WEEK.fullmatch(text):
            return "week", dt.date.fromisocalendar(int(m[1]), int(m[2]), 4)
        if m := _MONTH.fullmatch(text):
            return "month", dt.date(int(m[1]), int(m[2]), 1)
        if m := _QUARTER.fullmatch(text):
            return "quarter", dt.date(int(m[1]), 3 * int(m[2]) - 2, 1)
        if m := _YEAR.fullmatch(text):
            return "year", dt.date(int(m[1]), 1, 1)
    except ValueError:
        pass
    raise ValueError(f"{text!r} is not a date or period")


def format_period(day: dt.date, grain: str) -> str:
    """The period of `grain` holding `day`: "2026-03-14", "2026-W11", "2026-03", "2026-Q1",
    "2026" (the form date columns are written in)."""
    if grain == "day":
        return day.isoformat()
    if grain == "week":
        year, week, _ = day.isocalendar()
        return f"{year}-W{week:02d}"
    if grain == "month":
        return f"{day.year}-{day.month:02d}"
    if grain == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}"


def _finer(a: str, b: str) -> bool:
    return DATE_GRAINS.index(a) < DATE_GRAINS.index(b)


def _ends(value: Any) -> list[Any]:
    if isinstance(value, str) and ".." in value:
        return value.split("..", 1)
    return [value]


def period_grain(value: Any) -> str:
    """The grain of a date, period or range ("A..B": the finer end's). ValueError if none."""
    grains = [_parse(end)[0] for end in _ends(value)]
    return min(grains, key=DATE_GRAINS.index)


def coarsen_period(value: Any, grain: str) -> Any:
    """`value` rewritten to `grain` if it is finer; anything else comes back as it is."""
    ends = []
    for end in _ends(value):
        end_grain, day = _parse(end)
        ends.append(format_period(day, grain) if _finer(end_grain, grain) else end)
    if len(ends) == 2 and ends[0] == ends[1]:
        return ends[0]
    return "..".join(str(e) for e in ends) if len(ends) == 2 else ends[0]


def _coarsen_dates(table: Table, grain: str, notes: list[Note]) -> None:
    for i, column in enumerate(table.columns):
        if column.kind != "date":
            continue
        changed = 0
        finest = None
        for row in table.rows:
            value = row[i]
            if value is None:
                continue
            try:
                if _finer(period_grain(value), grain):
                    row[i] = coarsen_period(value, grain)
                    changed += 1
                g = period_grain(row[i])
            except ValueError:
                continue  # the linter refuses what it cannot read
            finest = g if finest is None or _finer(g, finest) else finest
        declared = column.grain
        if declared is not None and _finer(declared, grain):
            declared = grain
        new_grain = declared or finest
        if new_grain != column.grain:
            table.columns[i] = dataclasses.replace(column, grain=new_grain)
        if changed:
            notes.append(
                Note(
                    table.name,
                    "coarsened-date",
                    f"column {column.name}: {changed} dates written as their {grain}",
                )
            )


# --- places --------------------------------------------------------------------------------

_MYANMAR = re.compile("[\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff]")
_HXL_ADM = re.compile(r"#adm([1-5])", re.ASCII)
# How a level is written in headers, most specific first: (text, replacement per level).
_LEVEL_WORDS = {
    "state_region": ("state_region", "State/Region", "state/region", "တိုင်းဒေသကြီး/ပြည်နယ်"),
    "district": ("district", "District", "district", "ခရိုင်"),
    "township": ("township", "Township", "township", "မြို့နယ်"),
    "village_tract": ("village_tract", "Village tract", "village tract", "ကျေးရွာအုပ်စု"),
    "village": ("village", "Village", "village", "ကျေးရွာ"),
}


def _rename(name: str, old: str, new: str) -> str:
    """A header written for places at `old`, for places at `new`."""
    for a, b in zip(_LEVEL_WORDS[old], _LEVEL_WORDS[new], strict=True):
        for style in (str, str.lower, str.capitalize, str.title):
            if style(a) in name:
                return name.replace(style(a), style(b), 1)
    return f"{name} ({_LEVEL_WORDS[new][2]})"


def _hxl_parts(tag: str | None) -> tuple[str, frozenset[str]] | None:
    if not tag:
        return None
    head, *attrs = tag.strip().split("+")
    return head.lower(), frozenset(a.lower() for a in attrs)


def pairing(table: Table) -> tuple[list[int], dict[int, list[int]]]:
    """The table's P-code columns, and for each the columns holding its places' names."""
    places = [i for i, c in enumerate(table.columns) if c.kind == "place"]
    index = {c.name: i for i, c in enumerate(table.columns)}
    names_of: dict[int, int] = {}
    for i in places:
        target = table.columns[i].names_of
        if target is None:
            continue
        j = index.get(target)
        if j is None or table.columns[j].kind != "place" or j == i:
            raise ValueError(
                f"table {table.name} column {table.columns[i].name}: names_of {target!r} "
                "is not another place column of the table"
            )
        names_of[i] = j
    codes = {}
    for i in places:
        parts = _hxl_parts(table.columns[i].hxl)
        if parts and "code" in parts[1]:
            codes[(parts[0], parts[1] - {"code"})] = i
    for i in places:
        parts = _hxl_parts(table.columns[i].hxl)
        if i not in names_of and parts and "name" in parts[1]:
            j = codes.get((parts[0], parts[1] - {"name"}))
            if j is not None:
                names_of[i] = j
    pcodes = [i for i in places if i not in names_of]
    paired: dict[int, list[int]] = {i: [] for i in pcodes}
    for name_col, code_col in names_of.items():
        if code_col not in paired:
            raise ValueError(
                f"table {table.name} column {table.columns[name_col].name}: it names the "
                f"places of {table.columns[code_col].name}, which holds names itself"
            )
        paired[code_col].append(name_col)
    return pcodes, paired


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


class _Places:
    """Generalises and raises the places of one table (steps 2 to 4)."""

    def __init__(self, table: Table, places: Gazetteer, notes: list[Note]) -> None:
        self.table = table
        self.places = places
        self.notes = notes
        self.pcodes, self.names = pairing(table)
        self._cache: dict[str, Place] = {}
        self.level: dict[int, int] = {}  # P-code column -> index in LEVELS
        for i in self.pcodes:
            column = table.columns[i]
            found = [self.place(row[i], i) for row in table.rows if not _blank(row[i])]
            levels = [LEVELS.index(p.level) for p in found]
            if column.level is not None:
                levels.append(LEVELS.index(column.level))
            self.level[i] = max(levels, default=0)
        self.myanmar = {
            n: any(isinstance(row[n], str) and _MYANMAR.search(row[n]) for row in table.rows)
            for names in self.names.values()
            for n in names
        }

    def place(self, code: Any, column: int) -> Place:
        place = self._cache.get(code) if isinstance(code, str) else None
        if place is None:
            if not isinstance(code, str):
                raise ValueError(
                    f"table {self.table.name} column {self.table.columns[column].name}: "
                    f"{code!r} is not a P-code"
                )
            try:
                place = self.places.get(code)
            except ValidationError:
                raise ValueError(
                    f"table {self.table.name} column {self.table.columns[column].name}: "
                    f"{code!r} is not a P-code (a column of place names needs its P-code "
                    "column: Column.names_of)"
                ) from None
            self._cache[code] = self._cache[place.pcode] = place
        return place

    def of_row(self, row: list[Any]) -> Place | None:
        """The row's place: its finest P-code."""
        for i in sorted(self.pcodes, key=lambda i: -self.level[i]):
            if not _blank(row[i]):
                return self.place(row[i], i)
        return None

    def write(self, row: list[Any], place: Place) -> None:
        """Write `place` into the row's P-code columns (and names) as the module says."""
        own = LEVELS.index(place.level)
        finer = [i for i in self.pcodes if self.level[i] > own]
        holder = None
        if not any(self.level[i] == own for i in self.pcodes) and finer:
            holder = min(finer, key=lambda i: self.level[i])
        for i in self.pcodes:
            if self.level[i] <= own:
                at = self.places.at_level(place, LEVELS[self.level[i]])
                row[i] = at.pcode
            elif i == holder:
                row[i] = place.pcode
            else:
                row[i] = None
            for n in self.names[i]:
                row[n] = None if row[i] is None else self._name(self.place(row[i], i), n)

    def _name(self, place: Place, column: int) -> str:
        if self.myanmar[column]:
            return place.name_mm or place.name_en
        return place.name_en or place.name_mm

    def run(self, policy: Policy, merge: bool) -> None:
        if not self.pcodes:
            if merge:
                _merge(self.table)
            return
        target = LEVELS.index(policy.place_level)
        declared = dict(self.level)
        generalised = 0
        for row in self.table.rows:
            place = self.of_row(row)
            if place is not None and LEVELS.index(place.level) > target:
                self.write(row, self.places.at_level(place, policy.place_level))
                generalised += 1
        finer = [i for i in self.pcodes if self.level[i] > target]
        for i in finer:
            self.level[i] = target  # what it holds now, unless it ends up empty
        # Emptied columns take no further part (and are removed at the end).
        emptied = {i for i in finer if all(_blank(row[i]) for row in self.table.rows)}
        self.pcodes = [i for i in self.pcodes if i not in emptied]
        if generalised:
            self.notes.append(
                Note(
                    self.table.name,
                    "generalised-place",
                    f"{generalised} rows shown at {policy.place_level} level",
                )
            )
        if merge:
            _merge(self.table)
            self._raise(policy.threshold)
        self._finish(declared, finer)

    def _raise(self, threshold: int) -> None:
        structure = table_structure(self.table)
        if not structure.counts:
            return
        while True:
            groups: dict[str, list[list[Any]]] = {}
            for row in self.table.rows:
                place = self.of_row(row)
                if place is not None and place.parent:
                    groups.setdefault(place.pcode, []).append(row)
            raised = 0
            for code, rows in groups.items():
                records = structure.records(rows)
                if not 0 < records < threshold:
                    continue
                place = self._cache[code]
                parent = self.places.get(place.parent)
                for row in rows:
                    self.write(row, parent)
                raised += 1
                self.notes.append(
                    Note(
                        self.table.name,
                        "raised-place",
                        f"{place.pcode} {place.name_en}: {records} record(s), under the "
                        f"threshold {threshold}; shown as its {_LEVEL_WORDS[parent.level][2]} "
                        f"{parent.pcode} {parent.name_en}",
                    )
                )
            if not raised:
                return
            _merge(self.table)

    def _finish(self, declared: dict[int, int], finer: list[int]) -> None:
        """Remove emptied columns finer than the policy; rename those now holding coarser
        places."""
        table = self.table
        drop: set[int] = set()
        for i in finer:
            if all(_blank(row[i]) for row in table.rows):
                drop.add(i)
                drop.update(self.names[i])
                continue
            old, new = LEVELS[declared[i]], LEVELS[self.level[i]]
            if old != new:
                renamed = {}
                for j in (i, *self.names[i]):
                    column = table.columns[j]
                    renamed[j] = dataclasses.replace(
                        column,
                        name=_rename(column.name, old, new),
                        hxl=_HXL_ADM.sub(f"#adm{self.level[i] + 1}", column.hxl)
                        if column.hxl
                        else None,
                        level=new,  # type: ignore[arg-type]
                    )
                for j in self.names[i]:
                    if renamed[j].names_of is not None:
                        renamed[j] = dataclasses.replace(renamed[j], names_of=renamed[i].name)
                for j, column in renamed.items():
                    table.columns[j] = column
        if drop:
            removed = ", ".join(table.columns[i].name for i in sorted(drop))
            self.notes.append(
                Note(
                    table.name,
                    "generalised-place",
                    f"columns {removed} removed: finer than the policy allows",
                )
            )
            keep = [i for i in range(len(table.columns)) if i not in drop]
            table.columns = [table.columns[i] for i in keep]
            table.rows = [[row[i] for i in keep] for row in table.rows]
        # The name columns take their P-code column's level.
        pcodes, names = pairing(table)
        for i in pcodes:
            for n in names[i]:
                if table.columns[n].level != table.columns[i].level:
                    table.columns[n] = dataclasses.replace(
                        table.columns[n], level=table.columns[i].level
                    )


def _merge(table: Table) -> None:
    """Merge rows with equal dimensions, adding up their measures (first row's order)."""
    measures = [i for i, c in enumerate(table.columns) if c.kind in MEASURES]
    if not measures:
        return
    dims = [i for i, c in enumerate(table.columns) if c.kind not in MEASURES]
    merged: dict[tuple, list[Any]] = {}
    for row in table.rows:
        key = tuple(row[i] for i in dims)
        kept = merged.get(key)
        if kept is None:
            merged[key] = list(row)
            continue
        for i in measures:
            if row[i] is not None:
                kept[i] = row[i] if kept[i] is None else kept[i] + row[i]
    if len(merged) != len(table.rows):
        table.rows = list(merged.values())


# --- the table's equations -----------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Structure:
    """Which columns of a table are counts, which add up which, and its implicit totals.

    `counts` are the `count` columns (table indices); `sums` maps a total column to the
    columns it adds up; `leaves` are the count columns that are no column's total;
    `row_total` is true when the table shows a row total that no column holds
    (`Table.totals`, at least two count columns and no `total_of` column).
    """

    counts: list[int]
    sums: dict[int, list[int]]
    leaves: list[int]
    row_total: bool
    totals: bool

    def records(self, rows: list[list[Any]]) -> int:
        """The largest total of these rows: of one count column, or of their row totals."""
        sums = [sum(row[i] or 0 for row in rows) for i in self.counts]
        if self.row_total:
            sums.append(sum(row[i] or 0 for row in rows for i in self.leaves))
        return max(sums, default=0)


def table_structure(table: Table) -> Structure:
    counts = [i for i, c in enumerate(table.columns) if c.kind == "count"]
    index = {table.columns[i].name: i for i in counts}
    sums: dict[int, list[int]] = {}
    for i in counts:
        parts = table.columns[i].total_of
        if not parts:
            continue
        missing = [p for p in parts if p not in index or index[p] == i]
        if missing:
            raise ValueError(
                f"table {table.name} column {table.columns[i].name}: total_of names "
                f"{', '.join(missing)}, not other count columns of the table"
            )
        sums[i] = [index[p] for p in parts]
    leaves = [i for i in counts if i not in sums]

    def check(i: int, seen: frozenset[int]) -> None:
        if i in seen:
            raise ValueError(f"table {table.name}: total_of columns add up each other")
        for j in sums.get(i, ()):
            check(j, seen | {i})

    for i in sums:
        check(i, frozenset())
    # A table with total columns says what its row totals are; without, every count column
    # adds up to one.
    row_total = table.totals and len(leaves) >= 2 and not sums
    return Structure(counts, sums, leaves, row_total, table.totals)


# --- suppression ---------------------------------------------------------------------------


class _Grid:
    """A table's count cells extended by its published totals, and their equations.

    Rows 0..R-1 are the table's rows, row R the totals row (when `totals`); columns are the
    count columns in table order, then the row-total column (when `row_total`). An equation
    is a list of (row, column, coefficient) whose sum is zero.
    """

    def __init__(self, table: Table, structure: Structure) -> None:
        self.table = table
        self.s = structure
        self.cols = list(structure.counts)  # grid column -> table column
        self.virtual = len(self.cols) if structure.row_total else None
        self.width = len(self.cols) + (1 if structure.row_total else 0)
        self.values: list[list[int]] = []
        self.hidden: list[list[bool]] = []  # suppressed (None before: value taken as 0)
        for n, row in enumerate(table.rows):
            cells = []
            for i in self.cols:
                value = row[i]
                if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                    raise ValueError(
                        f"table {table.name} column {table.columns[i].name} row {n + 1}: "
                        f"a count must be a whole number, not {value!r}"
                    )
                cells.append(value or 0)
            hidden = [row[i] is None for i in self.cols]
            if structure.row_total:
                cells.append(sum(cells[self.cols.index(i)] for i in structure.leaves))
                hidden.append(False)
            self.values.append(cells)
            self.hidden.append(hidden)
        self.data_rows = len(self.values)
        if structure.totals and self.data_rows:
            self.values.append([sum(col) for col in zip(*self.values, strict=True)])
            self.hidden.append([False] * self.width)
        self.height = len(self.values)
        position = {i: k for k, i in enumerate(self.cols)}
        self.row_equations: list[list[tuple[int, int]]] = []  # (grid column, coefficient)
        for total, parts in structure.sums.items():
            self.row_equations.append([(position[p], 1) for p in parts] + [(position[total], -1)])
        if self.virtual is not None:
            self.row_equations.append(
                [(position[p], 1) for p in structure.leaves] + [(self.virtual, -1)]
            )
        self.column_equations = self.height > self.data_rows
        self.equations: list[list[tuple[int, int, int]]] = [
            [(r, k, c) for k, c in eq] for r in range(self.height) for eq in self.row_equations
        ]
        if self.column_equations:
            total = self.data_rows
            for k in range(self.width):
                eq = [(r, k, 1) for r in range(self.data_rows)] + [(total, k, -1)]
                self.equations.append(eq)
        self.of_cell: dict[tuple[int, int], list[int]] = {}
        for e, eq in enumerate(self.equations):
            for r, k, _ in eq:
                self.of_cell.setdefault((r, k), []).append(e)
        # How many suppressed non-zero cells each equation has.
        self.count = [sum(self.unknown(r, k) for r, k, _ in eq) for eq in self.equations]

    def hide(self, r: int, k: int) -> None:
        if self.hidden[r][k]:
            return
        self.hidden[r][k] = True
        if self.values[r][k]:
            for e in self.of_cell.get((r, k), ()):
                self.count[e] += 1

    def unknown(self, r: int, k: int) -> bool:
        """Suppressed and not zero: what must not be given back (zero discloses nobody)."""
        return self.hidden[r][k] and self.values[r][k] != 0

    def margin(self, r: int, k: int) -> bool:
        column = self.cols[k] if k < len(self.cols) else None
        return r >= self.data_rows or column is None or column in self.s.sums

    def lone(self, e: int) -> bool:
        return self.count[e] == 1

    def best(self, cells: Iterable[tuple[int, int]]) -> tuple[int, int] | None:
        """The smallest non-zero unsuppressed cell; cells before totals, then one that also
        settles another equation, then the first."""

        def key(cell: tuple[int, int]) -> tuple:
            r, k = cell
            helps = sum(self.lone(e) for e in self.of_cell.get(cell, ()))
            return (self.values[r][k], self.margin(r, k), -helps, r, k)

        found = [c for c in cells if not self.hidden[c[0]][c[1]] and self.values[c[0]][c[1]]]
        return min(found, key=key, default=None)

    def label(self, r: int, k: int) -> str:
        if r >= self.data_rows:
            if k == self.virtual:
                return "grand total"
            return f"total of column {self.table.columns[self.cols[k]].name}"
        row = self.table.rows[r]
        dims = [
            str(row[i])
            for i, c in enumerate(self.table.columns)
            if c.kind not in MEASURES and row[i] is not None
        ]
        where = f"row {r + 1}" + (f" ({', '.join(dims)})" if dims else "")
        if k == self.virtual:
            return f"{where}, row total"
        return f"{where}, column {self.table.columns[self.cols[k]].name}"


def _suppress(table: Table, threshold: int, notes: list[Note]) -> None:
    structure = table_structure(table)
    table.row_totals = table.total_row = table.grand_total = None
    if not structure.counts:
        _write_totals(table, structure, None)
        return
    grid = _Grid(table, structure)

    def hide(r: int, k: int, what: str, why: str) -> None:
        grid.hide(r, k)
        notes.append(Note(table.name, what, f"{grid.label(r, k)}: {why}"))  # type: ignore[arg-type]

    for r in range(grid.height):
        for k in range(grid.width):
            if 0 < grid.values[r][k] < threshold and not grid.hidden[r][k]:
                hide(r, k, "suppressed", f"under the threshold {threshold}")
    why = "so that totals cannot give back a suppressed cell"
    while True:
        _complete_equations(grid, lambda r, k: hide(r, k, "complementary", why))
        determined = _determined(grid)
        if not determined or not _widen(grid, determined, hide, why):
            break
    _write_totals(table, structure, grid)


def _widen(
    grid: _Grid,
    determined: list[tuple[int, int]],
    hide: Callable[[int, int, str, str], None],
    why: str,
) -> bool:
    """Suppress one more cell for each determined cell whose equations did not get one in
    this round: the smallest non-zero unsuppressed cell sharing an equation with it, else
    anywhere in the table. False when there was none to suppress."""
    touched: set[int] = set()
    widened = False
    for r, k in determined:
        equations = grid.of_cell.get((r, k), [])
        if touched.intersection(equations):
            continue
        near = {cell for e in equations for cell in _cells(grid, e)}
        cell = grid.best(sorted(near)) or grid.best(
            (r2, k2) for r2 in range(grid.height) for k2 in range(grid.width)
        )
        if cell is None:
            return widened  # every non-zero cell is suppressed already
        hide(*cell, "complementary", why)
        touched.update(equations)
        touched.update(grid.of_cell.get(cell, []))
        widened = True
    return widened


def _cells(grid: _Grid, e: int) -> list[tuple[int, int]]:
    return [(r, k) for r, k, _ in grid.equations[e]]


def _complete_equations(grid: _Grid, hide: Callable[[int, int], None]) -> None:
    """Give every equation with exactly one suppressed cell a second, until none has one."""
    changed = True
    while changed:
        changed = False
        for e in range(len(grid.equations)):
            if grid.lone(e):
                cell = grid.best(_cells(grid, e))
                if cell is not None:
                    hide(*cell)
                    changed = True


def _write_totals(table: Table, structure: Structure, grid: _Grid | None) -> None:
    if grid is not None:
        for r, row in enumerate(table.rows):
            for k, i in enumerate(grid.cols):
                if grid.hidden[r][k]:
                    row[i] = None
    if not structure.totals:
        return
    if grid is not None and grid.virtual is not None:
        v = grid.virtual
        table.row_totals = [
            None if grid.hidden[r][v] else grid.values[r][v] for r in range(grid.data_rows)
        ]
        if grid.height > grid.data_rows:
            t = grid.data_rows
            table.grand_total = None if grid.hidden[t][v] else grid.values[t][v]
    total_row: list[Any] = [None] * len(table.columns)
    for i, column in enumerate(table.columns):
        if column.kind in ("event_count", "amount"):
            values = [row[i] for row in table.rows if row[i] is not None]
            total_row[i] = sum(values[1:], values[0]) if values else 0
    if grid is not None and grid.height > grid.data_rows:
        t = grid.data_rows
        for k, i in enumerate(grid.cols):
            total_row[i] = None if grid.hidden[t][k] else grid.values[t][k]
    elif grid is not None:
        for i in grid.cols:
            total_row[i] = 0  # a table without rows
    table.total_row = total_row


# --- which suppressed cells the published ones determine -----------------------------------


class _Space:
    """A subspace of Q^m, kept as fully reduced integer rows: pivot -> primitive vector
    (positive at its pivot, zero at every other pivot). Integers, not fractions: exact, and
    an order of magnitude faster."""

    def __init__(self, m: int, rows: dict[int, list[int]] | None = None) -> None:
        self.m = m
        self.rows: dict[int, list[int]] = dict(rows or {})

    def copy(self) -> _Space:
        return _Space(self.m, self.rows)

    @property
    def dim(self) -> int:
        return len(self.rows)

    def add(self, vector: list[int]) -> bool:
        v = vector
        for p, b in self.rows.items():
            f = v[p]
            if f:
                bp = b[p]
                v = [x * bp - f * y for x, y in zip(v, b, strict=True)]
        pivot = next((j for j, x in enumerate(v) if x), None)
        if pivot is None:
            return False
        v = _primitive(v, pivot)
        vp = v[pivot]
        for p, b in list(self.rows.items()):
            g = b[pivot]
            if g:
                self.rows[p] = _primitive([x * vp - g * y for x, y in zip(b, v, strict=True)], p)
        self.rows[pivot] = v
        return True

    def support(self) -> set[int]:
        return {j for v in self.rows.values() for j, x in enumerate(v) if x}

    def meet_support(self, other: _Space) -> set[int]:
        """The coordinates some vector of self ∩ other has non-zero."""
        mine, theirs = list(self.rows.values()), list(other.rows.values())
        if not mine or not theirs:
            return set()
        # a·mine = b·theirs: the null space of [mine; -theirs] (as columns), on a.
        columns = mine + [[-x for x in v] for v in theirs]
        equations = [[col[j] for col in columns] for j in range(self.m)]
        found = set()
        for combo in _null_space(equations, len(columns)):
            for j in range(self.m):
                if sum(combo[i] * mine[i][j] for i in range(len(mine))):
                    found.add(j)
        return found


def _primitive(v: list[int], pivot: int) -> list[int]:
    """`v` divided by the gcd of its entries, positive at `pivot`."""
    g = math.gcd(*v)
    if v[pivot] < 0:
        g = -g
    return [x // g for x in v] if g != 1 else v


def _null_space(equations: list[list[int]], n: int) -> list[list[int]]:
    """A basis of {x in Q^n : equations·x = 0}, as integer vectors."""
    rows = [list(map(Fraction, eq)) for eq in equations if any(eq)]
    pivots: list[int] = []
    r = 0
    for c in range(n):
        p = next((i for i in range(r, len(rows)) if rows[i][c]), None)
        if p is None:
            continue
        rows[r], rows[p] = rows[p], rows[r]
        f = rows[r][c]
        rows[r] = [x / f for x in rows[r]]
        for i in range(len(rows)):
            if i != r and rows[i][c]:
                g = rows[i][c]
                rows[i] = [x - g * y for x, y in zip(rows[i], rows[r], strict=True)]
        pivots.append(c)
        r += 1
        if r == len(rows):
            break
    basis = []
    for free in (c for c in range(n) if c not in pivots):
        x = [Fraction(0)] * n
        x[free] = Fraction(1)
        for i, c in enumerate(pivots):
            x[c] = -rows[i][free]
        scale = math.lcm(*(f.denominator for f in x))
        basis.append([int(f * scale) for f in x])
    return basis


def _determined(grid: _Grid) -> list[tuple[int, int]]:
    """Suppressed non-zero cells that the published cells and totals determine exactly.

    A change v of the suppressed cells keeping every published figure is, row by row, in
    the null space N_r of that row's equations; with a totals row, the rows' changes must
    also add up to zero column by column. So cell (r, k) can change iff some w in N_r with
    w_k != 0 is also in the sum of the other rows' null spaces (or, without a totals row,
    iff some w in N_r has w_k != 0). Zero cells count as published: a range of values that
    stays non-negative exists for the rest whenever one exists with them fixed.
    """
    m = grid.width
    spaces: list[_Space] = []
    for r in range(grid.height):
        unknown = [k for k in range(m) if grid.unknown(r, k)]
        space = _Space(m)
        if unknown:
            equations = [[dict(eq).get(k, 0) for k in unknown] for eq in grid.row_equations]
            for x in _null_space(equations, len(unknown)):
                v = [0] * m
                for k, value in zip(unknown, x, strict=True):
                    v[k] = value
                space.add(v)
        spaces.append(space)
    found = []
    if not grid.column_equations:
        for r, space in enumerate(spaces):
            free = space.support()
            found += [(r, k) for k in range(m) if grid.unknown(r, k) and k not in free]
        return found
    whole = _Space(m)
    for space in spaces:
        if whole.dim == m:
            break
        for v in space.rows.values():
            whole.add(v)
    before: list[_Space] = []  # before[r]: the sum of rows 0..r-1
    running = _Space(m)
    for space in spaces:
        before.append(running)
        if running.dim < whole.dim and space.dim:
            running = running.copy()
            for v in space.rows.values():
                running.add(v)
    after: list[_Space] = [_Space(m)] * len(spaces)  # after[r]: the sum of rows r+1..
    running = _Space(m)
    for r in range(len(spaces) - 1, -1, -1):
        after[r] = running
        if running.dim < whole.dim and spaces[r].dim:
            running = running.copy()
            for v in spaces[r].rows.values():
                running.add(v)
    for r, space in enumerate(spaces):
        unknown = [k for k in range(m) if grid.unknown(r, k)]
        if not unknown:
            continue
        if before[r].dim == whole.dim or after[r].dim == whole.dim:
            free = space.support()  # the others span everything this row can change
        else:
            others = before[r].copy()
            for v in after[r].rows.values():
                others.add(v)
            free = space.meet_support(others) if others.dim < whole.dim else space.support()
        found += [(r, k) for k in unknown if k not in free]
    return found
