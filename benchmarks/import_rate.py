"""Import rate: Kobo-shaped households per second, against reading the same file alone.

Builds a Kobo-shaped export of N submissions (XLSX, and the same rows as Kobo's `;` CSV),
imports the households into a new workspace with `intake.importer.import_file` (read, map,
check every row, then one transaction of `Workspace.add`), and compares with the floor:
reading the file with openpyxl (`read_only=True`) or `csv` and nothing else.

    /tmp/venv/bin/python benchmarks/import_rate.py [--rows 100000] [--formats xlsx,csv]

No budget: figures only. 100,000 rows take minutes (most of it is `Workspace.add`).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import random
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path

from _common import header, new_workspace, timed

from fieldledger.intake.importer import import_file
from fieldledger.intake.mapping import Mapping

COLUMNS = [
    "start", "end", "today", "deviceid", "hh/hh_code", "hh/village_pcode", "hh/displacement",
    "hh/displaced_on", "hh/shelter", "hh/hh_size", "hh/assistance", "hh/assistance/food",
    "hh/assistance/cash", "hh/assistance/shelter_kit", "meta/instanceID", "_id", "_uuid",
    "_submission_time", "_validation_status", "_notes", "_status", "_submitted_by",
    "__version__", "_tags", "_index",
]  # fmt: skip
MAPPING = Mapping(
    "household",
    {
        "code": "hh/hh_code",
        "location_pcode": "hh/village_pcode",
        "displacement_status": "hh/displacement",
        "displaced_on": "hh/displaced_on",
        "shelter_type": "hh/shelter",
        "size": "hh/hh_size",
    },
    id_from="_uuid",
)
BURMESE = str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉")


def rows(n: int, seed: int = 1):
    """Kobo-shaped submissions, typed as Kobo's XLSX holds them (numbers, dates)."""
    rng = random.Random(seed)
    day = dt.datetime(2024, 5, 1, 9, 0)
    for i in range(1, n + 1):
        uid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        chosen = [c for c in ("food", "cash", "shelter_kit") if rng.random() < 0.5]
        size = rng.randint(1, 12)
        when = day + dt.timedelta(minutes=7 * i)
        yield [
            when.isoformat() + ".000+06:30", when.isoformat() + ".900+06:30",
            when.date(), "collect:Xq3LmT9aP2", f"HH-{i:06d}", f"MMR003{rng.randint(1, 6):03d}",
            rng.choice(["idp", "returnee", "host", "resident"]),
            when - dt.timedelta(days=rng.randint(30, 900)) if rng.random() < 0.7 else None,
            rng.choice(["camp", "own_house", "host_family", "rented"]),
            str(size).translate(BURMESE) if rng.random() < 0.1 else size,
            " ".join(chosen), *(int(c in chosen) for c in ("food", "cash", "shelter_kit")),
            f"uuid:{uid}", 300_000_000 + i, uid, when.isoformat(), None, None,
            "submitted_via_web", "fieldteam", "vGh7sYq4LmP2xWc9RtZk3a", None, i,
        ]  # fmt: skip


def write_xlsx(path: Path, n: int) -> None:
    """An XLSX as XlsxWriter (which Kobo uses) writes it: text in the shared-strings table,
    dates as day numbers with a date format. openpyxl's write-only mode would write inline
    strings instead, which openpyxl reads back several times slower than real exports."""
    import zipfile
    from xml.sax.saxutils import escape

    from openpyxl.utils import get_column_letter
    from openpyxl.utils.datetime import to_excel

    strings: dict[str, int] = {}
    letters = [get_column_letter(i + 1) for i in range(len(COLUMNS))]

    def cell(ref: str, value) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return f'<c r="{ref}" s="1"><v>{to_excel(value)}</v></c>'
        if isinstance(value, int | float):
            return f'<c r="{ref}"><v>{value}</v></c>'
        index = strings.setdefault(str(value), len(strings))
        return f'<c r="{ref}" t="s"><v>{index}</v></c>'

    def row_xml(r: int, values) -> str:
        cells = "".join(cell(f"{c}{r}", v) for c, v in zip(letters, values, strict=True))
        return f'<row r="{r}">{cells}</row>'

    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    body = [row_xml(1, COLUMNS), *(row_xml(r, v) for r, v in enumerate(rows(n), start=2))]
    shared = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'<workbook {ns} xmlns:r="{rel}"><sheets><sheet name="Household registration 2024"'
            ' sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": (
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId3" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/>'
            "</Relationships>"
        ),
        "xl/styles.xml": (
            f'<styleSheet {ns}><fonts count="1"><font/></fonts>'
            '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
            '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
            '<cellXfs count="2"><xf/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>'
            "</styleSheet>"
        ),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet {ns}><dimension ref="A1:{letters[-1]}{n + 1}"/>'
            f"<sheetData>{''.join(body)}</sheetData></worksheet>"
        ),
        "xl/sharedStrings.xml": f'<sst {ns} count="{len(strings)}">{shared}</sst>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, xml in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + xml)


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()[:10] if isinstance(value, dt.date) else value.isoformat()
    return str(value)


def write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, delimiter=";", quoting=csv.QUOTE_ALL)
        out.writerow(COLUMNS)
        out.writerows([text(v) for v in row] for row in rows(n))


def read_floor(path: Path) -> float:
    """Seconds to read every cell, nothing else."""
    start = time.perf_counter()
    if path.suffix == ".xlsx":
        import openpyxl

        warnings.filterwarnings("ignore", "Workbook contains no default style")
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        for _ in book.worksheets[0].iter_rows(values_only=True):
            pass
        book.close()
    else:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for _ in csv.reader(fh, delimiter=";"):
                pass
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--formats", default="xlsx,csv")
    args = parser.parse_args()
    header("import_rate")
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in args.formats.split(","):
            path = Path(tmp, f"households.{fmt}")
            build = timed(
                lambda p=path, f=fmt: (write_xlsx if f == "xlsx" else write_csv)(p, args.rows)
            )
            floor = read_floor(path)
            ws = new_workspace(Path(tmp, f"ws-{fmt}"))
            start = time.perf_counter()
            report = import_file(ws, path, "kobo", MAPPING)
            took = time.perf_counter() - start
            if report.added != args.rows or report.problems:
                raise SystemExit(
                    f"{fmt}: added {report.added} of {args.rows}: {report.problems[:3]}"
                )
            start = time.perf_counter()
            again = import_file(ws, path, "kobo", MAPPING)
            reimport = time.perf_counter() - start
            ws.close()
            if again.already != args.rows:
                raise SystemExit(f"{fmt}: re-import saw {again.already} of {args.rows} as imported")
            rate, floor_rate = args.rows / took, args.rows / floor
            print(
                f"{fmt}: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB "
                f"(built in {build:.1f} s)"
            )
            print(
                f"  read only ({'openpyxl read_only' if fmt == 'xlsx' else 'csv.reader'}): "
                f"{floor_rate:10,.0f} rows/s  ({floor:.2f} s)"
            )
            print(f"  import (read, map, check, add):  {rate:10,.0f} rows/s  ({took:.2f} s)")
            print(f"  ratio import/read: {rate / floor_rate:.3f}")
            print(
                f"  re-import, all already there:   {args.rows / reimport:10,.0f} rows/s  "
                f"({reimport:.2f} s)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
