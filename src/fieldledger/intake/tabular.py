"""Sheets of rows from XLSX and CSV files, each row with its sheet and row number.

    for sheet in read_xlsx("households.xlsx"):
        for number, values in sheet.numbered():
            ...

A `Sheet` keeps what the file holds: openpyxl's types for XLSX (numbers, datetimes), text for
CSV. Nothing is written to disk; a zip of CSV files (ODK Central) is read in memory.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fieldledger.errors import ValidationError

DELIMITERS = ",;\t"


@dataclass(frozen=True)
class Sheet:
    """One table: its header and data rows. `numbers[i]` is the row number of `rows[i]` in
    the file (the header is row 1), so a problem can name the row a person sees in Excel."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    numbers: list[int]

    def index(self, column: str) -> int | None:
        try:
            return self.columns.index(column)
        except ValueError:
            return None

    def numbered(self) -> Iterator[tuple[int, tuple[Any, ...]]]:
        return zip(self.numbers, self.rows, strict=True)

    def __len__(self) -> int:
        return len(self.rows)


def column_letter(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA: how a spreadsheet names column `index`."""
    letters = ""
    n = index + 1
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def make_sheet(name: str, lines: Iterator[tuple[Any, ...] | list[Any]]) -> Sheet:
    """The first non-empty line is the header; empty lines are dropped, keeping numbering."""
    columns: tuple[str, ...] | None = None
    rows: list[tuple[Any, ...]] = []
    numbers: list[int] = []
    width = 0
    for number, line in enumerate(lines, start=1):
        if all(blank(v) for v in line):
            continue
        if columns is None:
            names = ["" if v is None else str(v).strip() for v in line]
            while names and not names[-1]:  # Excel's formatted-but-empty columns
                names.pop()
            columns, width = tuple(names), len(names)
            _check_header(name, columns, number)
            continue
        row = tuple(line[:width])
        if len(row) < width:
            row = (*row, *(None,) * (width - len(row)))
        rows.append(row)
        numbers.append(number)
    return Sheet(name, columns or (), rows, numbers)


def _check_header(name: str, columns: tuple[str, ...], row: int) -> None:
    seen: dict[str, int] = {}
    for i, column in enumerate(columns):
        if column and column in seen:
            raise ValidationError(
                f"sheet {name} row {row}: column {column_letter(i)} repeats the name "
                f"{column!r} of column {column_letter(seen[column])}: rename one of them"
            )
        seen[column] = i


def read_xlsx(path: Path) -> list[Sheet]:
    """Every sheet of a workbook, in order. Cells keep openpyxl's types."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except FileNotFoundError:
        raise ValidationError(f"cannot read {path}: no such file") from None
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ValidationError(f"{path.name}: not an Excel workbook (.xlsx): {exc}") from None
    try:
        return [make_sheet(ws.title, ws.iter_rows(values_only=True)) for ws in book.worksheets]
    finally:
        book.close()


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            f"{name}: not UTF-8 text: save the file again as 'CSV UTF-8' and import that"
        ) from None


def delimiter(text: str) -> str:
    """Kobo writes ';' between CSV columns, ODK Central ','; the header line tells which."""
    first = text.split("\n", 1)[0]
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def parse_csv(text: str, name: str) -> Sheet:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter(text))
    try:
        return make_sheet(name, iter(reader))
    except csv.Error as exc:
        raise ValidationError(f"{name} line {reader.line_num}: not valid CSV ({exc})") from None


def read_csv(path: Path) -> Sheet:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ValidationError(f"cannot read {path}: {exc.strerror}") from None
    return parse_csv(_text(data, path.name), path.stem)


def read_zip(path: Path) -> list[tuple[str, Sheet]]:
    """Every CSV file in a zip (an ODK Central download), as (file name, sheet)."""
    try:
        with zipfile.ZipFile(path) as archive:
            found = []
            for info in archive.infolist():
                member = info.filename
                if info.is_dir() or not member.lower().endswith(".csv"):
                    continue
                base = member.rsplit("/", 1)[-1]
                found.append((base, parse_csv(_text(archive.read(info), base), base[:-4])))
    except FileNotFoundError:
        raise ValidationError(f"cannot read {path}: no such file") from None
    except zipfile.BadZipFile:
        raise ValidationError(f"{path.name}: not a zip file") from None
    if not found:
        raise ValidationError(f"{path.name}: holds no CSV file")
    return found
