"""The export linter: the last check before any report file is written.

`lint(export, policy, ...)` returns if the export may be written and otherwise raises
`ExportRefused` with one line naming the table, column (and row) and the reason, for the
first problem found. The rules are checked in this order, each over every table:

| rule | refused | `i_understand` |
|---|---|---|
| kind | a column of a kind the linter does not know | never |
| pii | a `pii` column (names, phone, ID numbers) | never |
| gps | a `gps` column, or a cell or narrative line with coordinates ("16.78, 96.15") | never |
| text | a `text` column (free text from records) | bypasses |
| id | an `id` column in an aggregate (microdata may hold one) | bypasses |
| small-cell | a count (or published total) in 1..threshold-1 that is not suppressed | bypasses |
| place | a place column whose level, or a P-code in it, is finer than the policy | bypasses |
| date | a date column whose grain, or a value in it, is finer than the policy | bypasses |
| k-anonymity | a microdata row whose quasi-identifiers fewer than threshold rows share | bypasses |
| narrative-name | narrative naming a person of the workspace | bypasses |
| narrative-place | narrative naming a village tract or village finer than the policy | bypasses |
| narrative-review | narrative without a reviewer's sign-off (`reviewed_by`) | never |

Microdata: the quasi-identifiers are the columns marked `quasi_identifier`, and every place
and date column whatever its mark; small-cell rules do not apply to its rows.

Narrative: each section is read line by line after Unicode NFC. A name in Latin script
matches as a run of whole words, case-insensitively, whatever spaces or punctuation stand
between them ("Aye Aye" is not found in "Ayeaye" nor "Daw Ayeaye"; a name of more than 8 words
by its first 8). A name in Myanmar script matches as a substring, since Burmese is written
without spaces between words, but only from the start of a syllable to the end of one (so
the name မြ is not found inside မြို့ or မြင့်), with spaces, zero-width characters and the
look-alikes ၀/ဝ, ၄/၎, ဉ/ဥ ignored. A person's name is also looked for without a leading
honorific (U, Daw, Ko, Ma, Naw, Saw, ...; ဦး, ဒေါ်, ကို, ...) when at least two words (or four
Myanmar characters) remain. Names shorter than two letters are not looked for. The refusal
names the section and line of the first mention, never the name.
"""

from __future__ import annotations

import bisect
import functools
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

from fieldledger.errors import FieldledgerError
from fieldledger.privacy.export import DATE_GRAINS, KINDS, Column, Export, Table
from fieldledger.privacy.policy import Policy

__all__ = ["ExportRefused", "lint", "pcode_level"]

PLACE_LEVELS = ("state_region", "district", "township", "village_tract", "village")


class ExportRefused(FieldledgerError):
    """The export would harm: nothing is written. `rule` says which check refused it."""

    exit_code = 7

    def __init__(
        self,
        message: str,
        *,
        rule: str,
        table: str | None = None,
        column: str | None = None,
        row: int | None = None,
        section: str | None = None,
    ) -> None:
        super().__init__(message)
        self.rule = rule
        self.table = table
        self.column = column
        self.row = row
        self.section = section


def lint(
    export: Export,
    policy: Policy,
    *,
    people: Iterable[str] = (),
    fine_places: Iterable[str] = (),
    i_understand: bool = False,
) -> None:
    """Refuse (ExportRefused) the first problem of `export`, or return if there is none."""
    written = {s: t for s, t in export.narrative.items() if t and t.strip()}
    for rule in (_kind, _pii, _gps):
        for table in export.tables:
            rule(table, policy)
    for section, text in written.items():
        for n, line in enumerate(text.splitlines(), start=1):
            if _COORDINATES.search(line):
                raise ExportRefused(
                    f"narrative section {section}, line {n}: coordinates never leave in a report",
                    rule="gps",
                    section=section,
                    row=n,
                )
    if not i_understand:
        for rule in (_text, _id, _small_cells, _places, _dates, _k_anonymity):
            for table in export.tables:
                rule(table, policy)
    if written and not i_understand:
        narrative = _Narrative(written)
        _scan(narrative, people, "narrative-name", "names a person recorded in the workspace")
        _scan(
            narrative,
            fine_places,
            "narrative-place",
            f"names a village tract or village, finer than the policy's {policy.place_level}",
        )
    if written and not (export.reviewed_by and export.reviewed_by.strip()):
        raise ExportRefused(
            "the report has narrative text: a reviewer must sign the narrative off: "
            "--reviewed-by NAME",
            rule="narrative-review",
        )


def _refuse(table: Table, column: Column | None, rule: str, reason: str, row: int | None = None):
    where = f"table {table.name}"
    if column is not None:
        where += f", column {column.name}"
    if row is not None:
        where += f", row {row}"
    return ExportRefused(
        f"{where}: {reason}",
        rule=rule,
        table=table.name,
        column=column.name if column else None,
        row=row,
    )


# --- columns by kind -----------------------------------------------------------------------


def _kind(table: Table, policy: Policy) -> None:
    for c in table.columns:
        if c.kind not in KINDS:
            raise _refuse(table, c, "kind", f"unknown kind {c.kind!r}: the export is not checked")


def _pii(table: Table, policy: Policy) -> None:
    for c in table.columns:
        if c.kind == "pii":
            raise _refuse(table, c, "pii", "personal data never leaves in a report")


_COORDINATES = re.compile(r"-?[0-9]{1,2}\.[0-9]{3,}\s*[,; ]\s*-?[0-9]{1,3}\.[0-9]{3,}", re.ASCII)


def _gps(table: Table, policy: Policy) -> None:
    for c in table.columns:
        if c.kind == "gps":
            raise _refuse(table, c, "gps", "coordinates never leave in a report")
    for i, c in enumerate(table.columns):
        for n, row in enumerate(table.rows, start=1):
            value = row[i]
            if isinstance(value, str) and _COORDINATES.search(value):
                raise _refuse(table, c, "gps", "the cell looks like coordinates", n)


def _text(table: Table, policy: Policy) -> None:
    for c in table.columns:
        if c.kind == "text":
            raise _refuse(table, c, "text", "free text from records can name or describe people")


def _id(table: Table, policy: Policy) -> None:
    if table.microdata:
        return
    for c in table.columns:
        if c.kind == "id":
            raise _refuse(table, c, "id", "record ids do not belong in an aggregate")


# --- small cells ---------------------------------------------------------------------------


def _small(value: Any, threshold: int) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return 0 < value < threshold


def _small_cells(table: Table, policy: Policy) -> None:
    if table.microdata:
        return
    t = policy.threshold
    why = f"a count under the threshold {t} is not suppressed"
    counts = [(i, c) for i, c in enumerate(table.columns) if c.kind == "count"]
    for n, row in enumerate(table.rows, start=1):
        for i, c in counts:
            if _small(row[i], t):
                raise _refuse(table, c, "small-cell", why, n)
    for n, value in enumerate(table.row_totals or (), start=1):
        if _small(value, t):
            raise _refuse(table, None, "small-cell", f"the row total: {why}", n)
    if table.total_row is not None:
        for i, c in counts:
            if i < len(table.total_row) and _small(table.total_row[i], t):
                raise _refuse(table, c, "small-cell", f"the column total: {why}")
    if _small(table.grand_total, t):
        raise _refuse(table, None, "small-cell", f"the grand total: {why}")


# --- places and dates ----------------------------------------------------------------------

_PCODE_LEVELS = (
    (re.compile(r"MMR[0-9]{3}", re.ASCII), "state_region"),
    (re.compile(r"MMR[0-9]{3}[DS][0-9]{3}", re.ASCII), "district"),
    (re.compile(r"MMR[0-9]{6}", re.ASCII), "township"),
    (re.compile(r"MMR[0-9]{9}", re.ASCII), "village_tract"),
    (re.compile(r"MMR[0-9]{12}", re.ASCII), "village"),
)


def pcode_level(value: Any) -> str | None:
    """The level of a MIMU P-code by its shape, or None for anything else."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    for pattern, level in _PCODE_LEVELS:
        if pattern.fullmatch(code):
            return level
    return None


def _places(table: Table, policy: Policy) -> None:
    allowed = PLACE_LEVELS.index(policy.place_level)
    for i, c in enumerate(table.columns):
        if c.kind != "place":
            continue
        if c.level is not None and PLACE_LEVELS.index(c.level) > allowed:
            raise _refuse(
                table,
                c,
                "place",
                f"places at {c.level} level; the policy allows {policy.place_level} at the finest",
            )
        for n, row in enumerate(table.rows, start=1):
            level = pcode_level(row[i])
            if level is not None and PLACE_LEVELS.index(level) > allowed:
                raise _refuse(
                    table,
                    c,
                    "place",
                    f"a {level} P-code; the policy allows {policy.place_level} at the finest",
                    n,
                )
            if c.level is None and level is None and row[i] is not None:
                raise _refuse(
                    table,
                    c,
                    "place",
                    "the level of these places is not known "
                    "(a report builder must set Column.level)",
                    n,
                )


def _dates(table: Table, policy: Policy) -> None:
    from fieldledger.privacy.disclosure import period_grain

    allowed = DATE_GRAINS.index(policy.date_grain)
    for i, c in enumerate(table.columns):
        if c.kind != "date":
            continue
        if c.grain is not None and DATE_GRAINS.index(c.grain) < allowed:
            raise _refuse(
                table,
                c,
                "date",
                f"dates by {c.grain}; the policy allows {policy.date_grain} at the finest",
            )
        for n, row in enumerate(table.rows, start=1):
            if row[i] is None:
                continue
            try:
                grain = period_grain(row[i])
            except ValueError:
                raise _refuse(table, c, "date", "not a date or period it can read", n) from None
            if DATE_GRAINS.index(grain) < allowed:
                raise _refuse(
                    table,
                    c,
                    "date",
                    f"a date by {grain}; the policy allows {policy.date_grain} at the finest",
                    n,
                )


# --- microdata -----------------------------------------------------------------------------


def _k_anonymity(table: Table, policy: Policy) -> None:
    if not table.microdata:
        return
    k = policy.threshold
    keys = [
        i for i, c in enumerate(table.columns) if c.quasi_identifier or c.kind in ("place", "date")
    ]
    tuples = [tuple(row[i] for i in keys) for row in table.rows]
    sizes = Counter(tuples)
    names = ", ".join(table.columns[i].name for i in keys) or "nothing"
    for n, key in enumerate(tuples, start=1):
        if sizes[key] < k:
            raise _refuse(
                table,
                None,
                "k-anonymity",
                f"only {sizes[key]} row(s) share its {names}; microdata needs {k} "
                "(generalise or drop a quasi-identifier)",
                n,
            )


# --- narrative -----------------------------------------------------------------------------

_MYANMAR = re.compile("[\u1000-\u109f\uaa60-\uaa7f\ua9e0-\ua9ff]")
_WORD = re.compile(r"\w+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_VIRAMA, _ASAT, _DOT_BELOW = "\u1039", "\u103a", "\u1037"
_HONORIFICS_LATIN = {
    "u", "daw", "ko", "ma", "maung", "mg", "naw", "saw", "sai", "nang", "nan", "khun",
    "mahn", "nant", "sayar", "saya", "sayama", "dr", "mr", "mrs", "ms", "miss",
}  # fmt: skip
_HONORIFICS_MYANMAR = ("ဦး", "ဒေါ်", "ကို", "မောင်", "နော်", "စော", "စိုင်း", "နန်း", "ခွန်", "ဆရာမ", "ဆရာ")
_MAX_WORDS = 8  # a longer name is looked for by its first 8 words


@functools.cache
def _honorifics_myanmar() -> tuple[str, ...]:
    return tuple(_fold_myanmar(h) for h in _HONORIFICS_MYANMAR)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _fold_myanmar(text: str) -> str:
    from fieldledger.intake.burmese import fold_for_matching

    return "".join(fold_for_matching(_nfc(text)).translate(_INVISIBLE).split())


def _is_mark(ch: str) -> bool:
    return unicodedata.category(ch) in ("Mn", "Mc")


def _syllable_start(text: str, i: int) -> bool:
    return i == 0 or (text[i - 1] != _VIRAMA and not _is_mark(text[i]))


def _syllable_end(text: str, j: int) -> bool:
    """Whether a syllable ends before text[j]: no mark follows, nor a consonant that closes
    this syllable (one followed by asat, dot below and asat, or virama)."""
    if j >= len(text):
        return True
    if _is_mark(text[j]):
        return False
    after = text[j + 1 : j + 3]
    return not (after[:1] in (_ASAT, _VIRAMA) or after == _DOT_BELOW + _ASAT)


class _Narrative:
    """The narrative's lines, indexed for looking names up: every run of up to 8 words
    (case-folded) with the first line it is on, and the Myanmar text of every line folded
    and joined. Each name then costs a dictionary look-up (Latin) or a substring search
    (Myanmar), so a workspace with a million people is read in seconds."""

    def __init__(self, sections: dict[str, str]) -> None:
        self.lines = [
            (section, n, line)
            for section, text in sections.items()
            for n, line in enumerate(text.splitlines(), start=1)
        ]
        self.runs: dict[tuple[str, ...], int] = {}
        for at, (_, _, line) in enumerate(self.lines):
            words = _WORD.findall(_nfc(line).casefold())
            for i in range(len(words)):
                for j in range(i + 1, min(len(words), i + _MAX_WORDS) + 1):
                    self.runs.setdefault(tuple(words[i:j]), at)
        self.myanmar = ""
        self.starts: list[int] = []
        if any(_MYANMAR.search(line) for _, _, line in self.lines):
            parts = []
            for _, _, line in self.lines:
                self.starts.append(sum(len(p) + 1 for p in parts))
                parts.append(_fold_myanmar(line))
            self.myanmar = "\n".join(parts)
        self.pairs = {self.myanmar[i : i + 2] for i in range(len(self.myanmar) - 1)}

    def first_mention(self, names: Iterable[str], honorifics: bool) -> int | None:
        """The index of the first line that mentions one of `names`, or None."""
        first = None
        for name in set(names):
            if not isinstance(name, str):
                continue
            if _MYANMAR.search(name):
                found = self._myanmar(name, honorifics) if self.myanmar else None
            else:
                found = self._latin(name, honorifics)
            if found is not None and (first is None or found < first):
                first = found
        return first

    def _latin(self, name: str, honorifics: bool) -> int | None:
        words = tuple(_WORD.findall(_nfc(name).casefold()))[:_MAX_WORDS]
        if len("".join(words)) < 2:
            return None
        found = self.runs.get(words)
        if found is None and honorifics and len(words) >= 3 and words[0] in _HONORIFICS_LATIN:
            found = self.runs.get(words[1:])
        return found

    def _myanmar(self, name: str, honorifics: bool) -> int | None:
        key = _fold_myanmar(name)
        keys = [key]
        if honorifics:
            for h in _honorifics_myanmar():
                if key.startswith(h) and len(key) - len(h) >= 4:
                    keys.append(key[len(h) :])
                    break
        found = None
        for k in keys:
            if len(k) < 2 or k[:2] not in self.pairs:
                continue
            at = self.myanmar.find(k)
            while at >= 0:
                if _syllable_start(self.myanmar, at) and _syllable_end(self.myanmar, at + len(k)):
                    line = bisect.bisect_right(self.starts, at) - 1
                    found = line if found is None else min(found, line)
                    break
                at = self.myanmar.find(k, at + 1)
        return found


def _scan(narrative: _Narrative, names: Iterable[str], rule: str, reason: str) -> None:
    found = narrative.first_mention(names, honorifics=rule == "narrative-name")
    if found is not None:
        section, n, _ = narrative.lines[found]
        raise ExportRefused(
            f"narrative section {section}, line {n}: {reason}; remove it or say it without "
            "the name",
            rule=rule,
            section=section,
            row=n,
        )
