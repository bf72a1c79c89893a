"""Turning a prepared `Export` into file bytes, in memory. Nothing here touches the disk:
the command line writes the bytes with `fieldledger.files.write_atomic`.

Every table is written as a header row, then its HXL hashtag row (when a column has a
hashtag) right under it, as the HXL tagging conventions ask, then its rows. A suppressed
cell (None) is written empty, exactly like a cell with no value: nothing marks it, no
comment, colour or formula. The disclosure-control notes are never written into a file.

Totals: a writer prints only the totals disclosure control computed and protected
(`Table.total_row`), never totals of its own. The .xlsx shows the column totals as a last
row, "Total"; the .csv has none, since HXL tools would read a totals row as one more row of
data. The implicit row totals (`Table.row_totals`) are protected but not printed: a table's
own total column (`Column.total_of`) is its row total.

    write_csv    plain UTF-8 without a byte-order mark (what HXL tools read), CRLF line
                 ends (RFC 4180), one table. Excel reads such a file as its local code page
                 and garbles Myanmar script: give Excel users the .xlsx.
    write_xlsx   XlsxWriter in memory (no temp files), one sheet per table; document
                 properties emptied and the creation time fixed, so the same records give
                 the same bytes
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from typing import TYPE_CHECKING, Any

from fieldledger.errors import ValidationError
from fieldledger.privacy.export import Export, Table

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

# The creation time written into every workbook: a fixed instant, so that a file says
# nothing about when (or in which time zone) it was made, and identical records give
# identical bytes. XlsxWriter already dates the parts of the zip 1980-01-01 in memory mode.
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)

# Text a spreadsheet could run as a formula when it opens a CSV ("=HYPERLINK(...)"): such a
# cell gets a leading apostrophe. Only text cells; numbers are written as numbers.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def has_hxl(table: Table) -> bool:
    return any(c.hxl for c in table.columns)


def rows_of(table: Table) -> list[list[Any]]:
    """Header, HXL row (if any), then the rows: what both writers lay out."""
    out: list[list[Any]] = [[c.name for c in table.columns]]
    if has_hxl(table):
        out.append([c.hxl or "" for c in table.columns])
    out.extend(table.rows)
    return out


def write_csv(export: Export) -> bytes:
    if len(export.tables) != 1:
        names = ", ".join(t.name for t in export.tables)
        raise ValidationError(
            f"report {export.kind} has {len(export.tables)} tables ({names}); a CSV file holds "
            "one: write it as .xlsx (one sheet per table)"
        )
    table = export.tables[0]
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    heading = 2 if has_hxl(table) else 1
    for n, row in enumerate(rows_of(table)):
        writer.writerow(row if n < heading else [_csv_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, int):
        return str(value)
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(name: str, taken: set[str]) -> str:
    """A name Excel accepts: at most 31 characters, none of []:*?/\\, unique."""
    base = _SHEET_FORBIDDEN.sub("-", name).strip("'") or "Sheet"
    base = base[:31]
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


def write_xlsx(export: Export) -> bytes:
    import xlsxwriter

    buffer = io.BytesIO()
    # in_memory: XlsxWriter otherwise assembles the parts in temp files on disk.
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    workbook.set_properties(
        {
            "title": "",
            "subject": "",
            "author": "",
            "manager": "",
            "company": "",
            "category": "",
            "keywords": "",
            "comments": "",
            "status": "",
            "created": EPOCH,
        }
    )
    bold = workbook.add_format({"bold": True})
    tag = workbook.add_format({"italic": True, "font_color": "#555555"})
    taken: set[str] = set()
    for table in export.tables:
        sheet = workbook.add_worksheet(sheet_name(table.name, taken))
        widths = [len(str(c.name)) for c in table.columns]
        for col, column in enumerate(table.columns):
            sheet.write_string(0, col, column.name, bold)
        first = 1
        if has_hxl(table):
            for col, column in enumerate(table.columns):
                if column.hxl:
                    sheet.write_string(1, col, column.hxl, tag)
                    widths[col] = max(widths[col], len(column.hxl))
            first = 2
        for r, row in enumerate(table.rows, start=first):
            for col, value in enumerate(row):
                _xlsx_cell(sheet, r, col, value)
                if isinstance(value, str):
                    widths[col] = max(widths[col], len(value))
        if table.total_row is not None and table.rows:
            r = first + len(table.rows)
            cells = list(table.total_row)
            if cells[0] is None:  # the first column is a dimension: it says what the row is
                cells[0] = TOTAL_LABEL[export_lang(table)]
            for col, value in enumerate(cells):
                _xlsx_cell(sheet, r, col, value, bold)
        for col, width in enumerate(widths):
            sheet.set_column(col, col, min(max(width, 6), 50) + 2)
        sheet.freeze_panes(first, 0)
    workbook.close()
    return buffer.getvalue()


def _xlsx_cell(sheet: Any, row: int, col: int, value: Any, fmt: Any = None) -> None:
    # Explicit writers: `write` would turn text starting with "=" into a formula.
    if value is None:
        return  # an empty cell, like any cell without a value
    if isinstance(value, bool):
        sheet.write_boolean(row, col, value, fmt)
    elif isinstance(value, int | float):
        sheet.write_number(row, col, value, fmt)
    else:
        sheet.write_string(row, col, str(value), fmt)


TOTAL_LABEL = {"en": "Total", "my": "စုစုပေါင်း"}
_MYANMAR = re.compile("[\u1000-\u109f]")


def export_lang(table: Table) -> str:
    """ "my" when the table's headings are in Myanmar script."""
    return "my" if any(_MYANMAR.search(c.name) for c in table.columns) else "en"


# kind -> (module whose build(ws, period, grant, *, lang, ...) makes its Export, the
# extensions it is written as). A kind whose module is None is not in this version yet.
KINDS: dict[str, tuple[str | None, tuple[str, ...]]] = {
    "5w": ("fieldledger.reports.fivew", (".csv", ".xlsx")),
    "incidents": ("fieldledger.reports.incidents", (".csv", ".xlsx")),
    "finance": ("fieldledger.reports.finance", (".xlsx", ".pdf")),
    "iati": ("fieldledger.reports.iati", (".xml",)),
    "8+3": ("fieldledger.reports.narrative", (".html", ".pdf")),
}
LANGS = ("en", "my")


def render(ws: Workspace, ready: Export, fmt: str, lang: str, template: Any = None) -> bytes:
    """The bytes of a prepared report in format `fmt` (".csv", ".xlsx", ".xml", ".html",
    ".pdf"), built in memory: the command line and the web UI both write these."""
    if fmt == ".csv":
        return write_csv(ready)
    if fmt == ".xlsx":
        return write_xlsx(ready)
    if fmt == ".xml":
        from fieldledger.reports import iati

        return iati.render(ws, ready)
    if fmt == ".pdf" and ready.kind == "finance":
        from fieldledger.reports import finance

        return finance.render_pdf(ready, lang=lang)
    from fieldledger.reports import narrative

    if fmt == ".pdf":
        return narrative.render_pdf(ready, lang=lang, template=template)
    return narrative.render_html(ready, lang=lang, template=template)
