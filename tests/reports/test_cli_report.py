"""`fieldledger report` end to end: the demo workspace, through disclosure control, to files.

The command is registered in cli.py (`app.command("report")(report_command)`); until it is,
these tests are skipped.
"""

from __future__ import annotations

import csv
import io
import re
import shutil

import openpyxl
import pytest

from fieldledger.cli import app

pytestmark = pytest.mark.skipif(
    not any(c.name == "report" for c in app.registered_commands),
    reason="report_command is not registered in cli.py yet",
)

HXL = re.compile(r"^#[a-z][a-z0-9_]*(\s*\+[a-z][a-z0-9_]*)*$")
THRESHOLD = 5  # the policy's default


@pytest.fixture
def demo(cli, demo_workspace):
    shutil.copytree(demo_workspace, cli.workspace)
    return cli


def sheet_rows(path, sheet=None):
    book = openpyxl.load_workbook(path)
    return list((book[sheet] if sheet else book.worksheets[0]).iter_rows(values_only=True))


def assert_no_small_cell(rows, hashtags=("#reached", "#affected")):
    header, tags, *data = rows
    assert all(HXL.match(t) for t in tags if t), tags
    counted = [i for i, t in enumerate(tags) if t and t.startswith(hashtags)]
    assert counted
    for row in data:
        for i in counted:
            value = row[i]
            assert value in (None, "", 0, "0") or int(value) >= THRESHOLD, (header[i], row)


def test_5w_xlsx_prints_the_notes_and_no_small_cell(demo, tmp_path):
    out = tmp_path / "x.xlsx"
    done = demo("report", "5w", "--out", str(out))
    assert done.code == 0, done.err
    assert "disclosure control" in done.err
    assert "suppressed" in done.err  # 30 households: some cells are small
    assert f"wrote {out}" in done.out
    rows = sheet_rows(out)
    assert rows[0][0] == "Organisation"
    assert rows[1][0] == "#org"  # the hashtag row right under the header
    assert_no_small_cell(rows)
    # The notes are for the user only.
    assert "suppressed" not in repr(rows)


def test_5w_csv_and_a_period(demo, tmp_path):
    out = tmp_path / "x.csv"
    done = demo("report", "5w", "--period", "2026-01..2026-06", "--out", str(out))
    assert done.code == 0, done.err
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert rows[1][:3] == ["#org", "#sector", "#activity"]
    assert {r[rows[1].index("#date")] for r in rows[2:]} <= {f"2026-0{m}" for m in range(1, 7)}
    assert_no_small_cell(rows)


def test_same_records_same_file(demo, tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    for out in (first, second):
        assert demo("report", "5w", "--period", "2026-Q1", "--out", str(out)).code == 0
    assert first.read_bytes() == second.read_bytes()


def test_incidents_counted_people_suppressed(demo, tmp_path):
    out = tmp_path / "i.xlsx"
    done = demo("report", "incidents", "--out", str(out))
    assert done.code == 0, done.err
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Incidents", "People affected"]
    events = sheet_rows(out, "Incidents")
    tags = events[1]
    n = tags.index("#event+num")
    assert [r[n] for r in events[2:-1]] and all(r[n] >= 1 for r in events[2:-1])
    assert_no_small_cell(events)
    assert_no_small_cell(sheet_rows(out, "People affected"))
    csv_out = tmp_path / "i.csv"
    done = demo("report", "incidents", "--out", str(csv_out))
    assert done.code == 0, done.err
    assert "people affected by sex and age are in the .xlsx" in done.err


def test_finance_xlsx(demo, tmp_path):
    out = tmp_path / "f.xlsx"
    done = demo("report", "finance", "--out", str(out))
    assert done.code == 0, done.err
    assert openpyxl.load_workbook(out).sheetnames == ["Grants", "Tranches", "Currencies"]
    text = repr(sheet_rows(out, "Grants"))
    assert "Donor" in text and "Fund" not in text  # aliases, never the donors' names


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("finance", "--out", "f.csv"), "report finance is written as .xlsx or .pdf, not .csv"),
        (("5w", "--out", "x.pdf"), "report 5w is written as .csv or .xlsx, not .pdf"),
        (("5w", "--out", "x.xlsx", "--period", "2026-13"), "--period 2026-13: 2026-13 is not"),
        (("5w", "--out", "x.xlsx", "--lang", "fr"), "--lang fr: use en (English) or my"),
        (("5w", "--out", "x.xlsx", "--grant", "GR-NOPE"), "--grant GR-NOPE: no grant"),
        (("incidents", "--out", "x.xlsx", "--grant", "GR-X"), "--grant does not apply"),
        (("donors", "--out", "x.xlsx"), "no report 'donors': use one of 5w, incidents"),
    ],
)
def test_refusals_are_one_line_and_write_nothing(demo, tmp_path, args, says):
    args = tuple(str(tmp_path / a) if a.startswith(("f.", "x.")) else a for a in args)
    done = demo("report", *args)
    assert done.code != 0
    assert says in done.err
    assert done.err.strip().count("\n") == 0, done.err
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(("f.", "x."))]
