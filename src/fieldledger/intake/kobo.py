"""The shapes KoboToolbox and ODK Central give their exports, read into one `Export`.

KoboToolbox, "XML values and headers", groups in headers with the `/` separator:

- XLSX: the first sheet holds one row per submission, with `_id`, `_uuid`,
  `_submission_time` and `_index`; each repeat group has a sheet of its own, named after the
  group, whose rows name their parent by `_parent_table_name` and `_parent_index` (the
  parent row's `_index`). A select_multiple is one column of space-separated choices, and,
  when asked for, one 0/1 column per choice named `question/choice`.
- CSV: `;` between columns, the submissions only (Kobo leaves repeat groups out of CSV).

ODK Central, "CSV files (.csv.zip)": `FORM.csv` with `SubmissionDate`, groups joined with
`-` (`meta-instanceID`) and `KEY` (the instance id, `uuid:…`); each repeat group in
`FORM-REPEAT.csv` with `PARENT_KEY` and `KEY` (`uuid:…/group/repeat[2]`). Read from the zip,
or from the main CSV with its repeat files beside it.

A plain XLSX or CSV is a table with no repeat groups.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldledger.errors import ValidationError
from fieldledger.intake import tabular
from fieldledger.intake.tabular import Sheet

FORMATS = ("kobo", "odk", "xlsx", "csv")

# Columns that identify a submission, in the order they are preferred.
ID_COLUMNS = ("_uuid", "meta/instanceID", "KEY", "meta-instanceID", "instanceID")

# Columns the tools add about a submission, not answers; a guessed mapping never uses them.
META_COLUMNS = frozenset(
    {
        "start", "end", "today", "deviceid", "subscriberid", "simserial", "phonenumber",
        "username", "audit", "instanceid", "instancename", "deprecatedid", "rootuuid",
        "submissiondate", "key", "parent_key", "submitterid", "submittername",
        "attachmentspresent", "attachmentsexpected", "status", "reviewstate", "edits",
        "formversion", "__version__", "uuid",
    }
)  # fmt: skip

_ORDINAL = re.compile(r"\[(\d+)\]$")


@dataclass(frozen=True)
class Repeat:
    """Rows of one repeat group. `parent_rows[i]` is the index, in the parent's sheet, of
    the row that row i belongs to (None when no such row is found); `ordinals[i]` says which
    repeat of that parent it is, from 1."""

    name: str
    sheet: Sheet
    parent: str | None  # the repeat group it sits in; None: the submission itself
    parent_rows: list[int | None]
    ordinals: list[int]
    link_column: str  # the column that names the parent, for problems


@dataclass(frozen=True)
class Export:
    file: str
    kind: str
    main: Sheet
    repeats: dict[str, Repeat]
    id_column: str | None

    def repeat(self, name: str) -> Repeat:
        found = self.repeats.get(name) or next(
            (r for n, r in self.repeats.items() if n.lower() == name.lower()), None
        )
        if found is None:
            known = ", ".join(sorted(self.repeats)) or "none"
            raise ValidationError(
                f"{self.file}: no repeat group {name!r} (repeat groups here: {known})"
            )
        return found


def submission_key(value: Any) -> str | None:
    """The text that identifies a submission: `uuid:` dropped, so that Kobo's `_uuid` and
    ODK's `KEY` name the same submission the same way."""
    if tabular.blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text[5:] if text.startswith("uuid:") else text


def read_export(path: Path | str, fmt: str) -> Export:
    path = Path(path)
    if fmt not in FORMATS:
        raise ValidationError(f"unknown import format {fmt!r}: use one of {', '.join(FORMATS)}")
    if not path.is_file():
        raise ValidationError(f"cannot read {path}: no such file")
    suffix = path.suffix.lower()
    if fmt == "kobo":
        return _kobo(path, suffix)
    if fmt == "odk":
        return _odk(path, suffix)
    main = tabular.read_xlsx(path)[0] if fmt == "xlsx" else tabular.read_csv(path)
    return Export(path.name, "table", main, {}, _id_column(main))


def _id_column(sheet: Sheet) -> str | None:
    return next((c for c in ID_COLUMNS if c in sheet.columns), None)


def _kobo(path: Path, suffix: str) -> Export:
    if suffix == ".csv":
        main = tabular.read_csv(path)
        return Export(path.name, "kobo", main, {}, _id_column(main))
    sheets = [s for s in tabular.read_xlsx(path) if s.columns]
    main = next((s for s in sheets if "_parent_index" not in s.columns), None)
    if main is None:
        raise ValidationError(f"{path.name}: no sheet of submissions found")
    tables = {main.name: main}
    repeats: dict[str, Repeat] = {}
    for sheet in sheets:
        if sheet is main or "_parent_index" not in sheet.columns:
            continue
        repeats[sheet.name] = _kobo_repeat(path.name, sheet, main, tables, repeats)
        tables[sheet.name] = sheet
    return Export(path.name, "kobo", main, repeats, _id_column(main))


def _index_value(value: Any) -> str | None:
    if tabular.blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _kobo_repeat(
    file: str, sheet: Sheet, main: Sheet, tables: dict[str, Sheet], repeats: dict[str, Repeat]
) -> Repeat:
    pi = sheet.index("_parent_index")
    pt = sheet.index("_parent_table_name")
    parent_name: str | None = None
    if pt is not None:
        named = {_index_value(r[pt]) for r in sheet.rows} - {None}
        # Kobo names the parent section by its full name; sheet names are cut at 31 chars.
        parent_name = next(
            (n for n in repeats if any(v == n or (v or "")[:31] == n for v in named)), None
        )
    parent = tables[parent_name] if parent_name else main
    ix = parent.index("_index")
    if ix is None:
        raise ValidationError(
            f"{file} sheet {parent.name}: no _index column, so the rows of sheet "
            f"{sheet.name} cannot be linked to it"
        )
    where = {_index_value(r[ix]): n for n, r in enumerate(parent.rows)}
    parent_rows = [where.get(_index_value(r[pi])) for r in sheet.rows]
    return Repeat(
        sheet.name, sheet, parent_name, parent_rows, _ordinals(parent_rows), "_parent_index"
    )


def _ordinals(parent_rows: list[int | None]) -> list[int]:
    seen: dict[int | None, int] = {}
    out = []
    for p in parent_rows:
        seen[p] = seen.get(p, 0) + 1
        out.append(seen[p])
    return out


def _odk(path: Path, suffix: str) -> Export:
    if suffix == ".zip":
        files = tabular.read_zip(path)
    else:
        main = tabular.read_csv(path)
        siblings = sorted(path.parent.glob(f"{path.stem}-*.csv"))
        files = [(path.name, main), *((p.name, tabular.read_csv(p)) for p in siblings)]
    mains = [(n, s) for n, s in files if "PARENT_KEY" not in s.columns]
    if len(mains) != 1 or "KEY" not in mains[0][1].columns:
        raise ValidationError(
            f"{path.name}: not an ODK Central export: expected one CSV file with a KEY column "
            "and no PARENT_KEY (the submissions), and repeat groups in FORM-GROUP.csv files"
        )
    main_file, main = mains[0]
    stem = main_file[:-4]
    keys: dict[str | None, tuple[str | None, int]] = {
        _index_value(v): (None, n) for n, v in enumerate(_column(main, "KEY"))
    }
    repeats: dict[str, Repeat] = {}
    pending = [(f, s) for f, s in files if s is not main]
    while pending:  # parents before children, whatever order the files come in
        ready = [
            (f, s) for f, s in pending
            if any(_index_value(v) in keys for v in _column(s, "PARENT_KEY"))
        ] or pending  # fmt: skip
        for file, sheet in ready:
            name = file[:-4].removeprefix(f"{stem}-")
            repeats[name] = _odk_repeat(name, sheet, keys)
        pending = [p for p in pending if p not in ready]
    return Export(path.name, "odk", main, repeats, _id_column(main))


def _odk_repeat(name: str, sheet: Sheet, keys: dict[str | None, tuple[str | None, int]]) -> Repeat:
    parents = [keys.get(_index_value(v)) for v in _column(sheet, "PARENT_KEY")]
    owner = next((p[0] for p in parents if p is not None), None)
    parent_rows = [p[1] if p is not None and p[0] == owner else None for p in parents]
    ordinals = _ordinals(parent_rows)
    for i, value in enumerate(_column(sheet, "KEY")):
        match = _ORDINAL.search(str(value or ""))
        if match:
            ordinals[i] = int(match.group(1))
        keys[_index_value(value)] = (name, i)
    return Repeat(name, sheet, owner, parent_rows, ordinals, "PARENT_KEY")


def _column(sheet: Sheet, name: str) -> list[Any]:
    i = sheet.index(name)
    if i is None:
        raise ValidationError(f"{sheet.name}: no {name} column")
    return [r[i] for r in sheet.rows]
