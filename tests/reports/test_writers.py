"""CSV and XLSX writers: the HXL row under the header, suppressed cells empty, same records
same bytes, no document metadata, nothing written to disk."""

from __future__ import annotations

import csv
import io
import re
import zipfile

import openpyxl
import pytest

from fieldledger.errors import ValidationError
from fieldledger.privacy.export import Column, Export, Table
from fieldledger.reports import fivew, writers

HXL = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")


def sample(rows=None) -> Export:
    columns = [
        Column("Organisation", "label", hxl="#org"),
        Column("Township P-code", "place", hxl="#adm3+code", level="township"),
        Column("Township", "place", hxl="#adm3+name", level="township"),
        Column("Month", "date", hxl="#date", grain="month"),
        Column("Women", "count", hxl="#reached+f+adults"),
        Column("Men", "count", hxl="#reached+m+adults"),
        Column("Total", "count", hxl="#reached+total", total_of=("Women", "Men")),
    ]
    rows = rows or [
        ["=HYPERLINK(1)", "MMR003001", "ဘားအံ", "2026-01", 12, None, None],
        ["Org", "MMR003002", "Hlaingbwe", "2026-02", 7, 9, 16],
    ]
    return Export(kind="5w", tables=[Table("5W", columns, rows)])


def read_csv(data: bytes) -> list[list[str]]:
    assert not data.startswith(b"\xef\xbb\xbf")  # no byte-order mark
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def test_csv_header_hxl_row_then_rows(tmp_path):
    before = set(tmp_path.iterdir())
    rows = read_csv(writers.write_csv(sample()))
    assert rows[0] == [
        "Organisation",
        "Township P-code",
        "Township",
        "Month",
        "Women",
        "Men",
        "Total",
    ]
    assert rows[1] == [
        "#org",
        "#adm3+code",
        "#adm3+name",
        "#date",
        "#reached+f+adults",
        "#reached+m+adults",
        "#reached+total",
    ]
    assert all(HXL.match(tag) for tag in rows[1])
    # Suppressed cells are empty, like any empty cell; a would-be formula stays text.
    assert rows[2] == ["'=HYPERLINK(1)", "MMR003001", "ဘားအံ", "2026-01", "12", "", ""]
    assert rows[3] == ["Org", "MMR003002", "Hlaingbwe", "2026-02", "7", "9", "16"]
    assert len(rows) == 4  # no totals row in a CSV
    assert set(tmp_path.iterdir()) == before


def test_csv_refuses_more_than_one_table():
    two = sample()
    two.tables.append(Table("People affected", two.tables[0].columns, []))
    with pytest.raises(ValidationError) as caught:
        writers.write_csv(two)
    assert str(caught.value) == (
        "report 5w has 2 tables (5W, People affected); a CSV file holds one: write it as "
        ".xlsx (one sheet per table)"
    )


def test_csv_without_hashtags_has_no_hxl_row():
    export = Export("finance", [Table("Grants", [Column("Budget", "amount")], [[1200.5], [3.0]])])
    assert read_csv(writers.write_csv(export)) == [["Budget"], ["1200.5"], ["3"]]


def test_xlsx_sheets_hxl_row_and_empty_suppressed_cells():
    export = sample()
    export.tables[0].total_row = [None, None, None, None, 19, None, None]
    data = writers.write_xlsx(export)
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["5W"]
    rows = list(book["5W"].iter_rows(values_only=True))
    assert rows[0][0] == "Organisation"
    assert rows[1] == (
        "#org",
        "#adm3+code",
        "#adm3+name",
        "#date",
        "#reached+f+adults",
        "#reached+m+adults",
        "#reached+total",
    )
    assert rows[2] == ("=HYPERLINK(1)", "MMR003001", "ဘားအံ", "2026-01", 12, None, None)
    assert book["5W"]["A3"].data_type == "s"  # text, not a formula
    assert rows[3] == ("Org", "MMR003002", "Hlaingbwe", "2026-02", 7, 9, 16)
    assert rows[4] == ("Total", None, None, None, 19, None, None)  # disclosure control's
    assert len(rows) == 5
    # Nothing in the file marks the suppressed cells: no comments, no styles beyond the
    # header, hashtag and total rows.
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert not [n for n in names if "comment" in n or "vml" in n]


def test_xlsx_is_the_same_bytes_for_the_same_records(small, policy):
    first = writers.write_xlsx(fivew.build(small.ws, None, policy=policy()))
    second = writers.write_xlsx(fivew.build(small.ws, None, policy=policy()))
    assert first == second
    assert writers.write_csv(fivew.build(small.ws, None, policy=policy())) == writers.write_csv(
        fivew.build(small.ws, None, policy=policy())
    )


def test_xlsx_metadata_is_scrubbed():
    data = writers.write_xlsx(sample())
    props = openpyxl.load_workbook(io.BytesIO(data)).properties
    for name in (
        "creator",
        "lastModifiedBy",
        "title",
        "subject",
        "description",
        "keywords",
        "category",
    ):
        assert not getattr(props, name), name
    assert props.created == props.modified == writers.EPOCH.replace(tzinfo=None)
    parts = zipfile.ZipFile(io.BytesIO(data))
    for info in parts.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
    app = parts.read("docProps/app.xml").decode()
    assert "<Company>" not in app or "<Company></Company>" in app
    assert "<Manager>" not in app or "<Manager></Manager>" in app


def test_sheet_names_excel_accepts():
    taken: set[str] = set()
    assert writers.sheet_name("People affected: by sex/age [all]", taken) == (
        "People affected- by sex-age -al"
    )
    assert writers.sheet_name("5W", taken) == "5W"
    assert writers.sheet_name("5w", taken) == "5w (2)"
    long = "x" * 40
    assert len(writers.sheet_name(long, taken)) == 31
    assert writers.sheet_name(long, taken) == "x" * 27 + " (2)"


def test_burmese_total_row_label():
    export = Export(
        "5w",
        [
            Table(
                "5W",
                [Column("အဖွဲ့အစည်း", "label"), Column("မိန်းကလေး", "count")],
                [["Org", 7]],
                total_row=[None, 7],
            )
        ],
    )
    rows = list(
        openpyxl.load_workbook(io.BytesIO(writers.write_xlsx(export))).active.iter_rows(
            values_only=True
        )
    )
    assert rows[-1] == ("စုစုပေါင်း", 7)
