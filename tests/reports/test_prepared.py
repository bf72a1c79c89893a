"""The builders' exports through `fieldledger.privacy.prepare` and the writers, on demo data:
the linter lets them through, and no small count reaches a file."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest

from fieldledger.demo import fill
from fieldledger.privacy import prepare
from fieldledger.privacy.policy import Policy, save
from fieldledger.reports import finance, fivew, incidents, writers
from fieldledger.reports.period import parse

THRESHOLD = 5


@pytest.fixture
def demo(ws):
    fill(ws, households=30, seed=7, today=dt.date(2026, 11, 28))
    return ws


def no_small_count(export):
    for table in export.tables:
        counts = [i for i, c in enumerate(table.columns) if c.kind == "count"]
        for row in [*table.rows, *([table.total_row] if table.total_row else [])]:
            for i in counts:
                assert row[i] is None or row[i] == 0 or row[i] >= THRESHOLD, (table.name, row)


def xlsx_counts(data: bytes):
    """Every number under a #reached/#affected hashtag in the workbook."""
    book = openpyxl.load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        tags = rows[1]
        for row in rows[2:]:
            for tag, value in zip(tags, row, strict=True):
                if tag and tag.startswith(("#reached", "#affected")) and value is not None:
                    yield value


@pytest.mark.parametrize(
    ("build", "options"),
    [
        (fivew.build, {}),
        (incidents.build, {}),
        (finance.build, {"today": dt.date(2026, 11, 28)}),
    ],
)
def test_prepared_exports_pass_the_linter(demo, build, options):
    export = prepare(demo, build(demo, parse("2026-Q1"), **options))
    no_small_count(export)
    data = writers.write_xlsx(export)
    assert all(v == 0 or v >= THRESHOLD for v in xlsx_counts(data))
    assert writers.write_xlsx(export) == data


def test_a_coarser_policy_passes_too(demo):
    save(demo, Policy(place_level="district", date_grain="quarter", threshold=10, org="Org"))
    export = prepare(demo, fivew.build(demo, parse("2026-01..2026-06")))
    (table,) = export.tables
    assert {row[table.column("Quarter")] for row in table.rows} <= {"2026-Q1", "2026-Q2"}
    assert "#adm3+code" not in [c.hxl for c in table.columns]
    for row in table.rows:
        for i, c in enumerate(table.columns):
            if c.kind == "count":
                assert row[i] is None or row[i] == 0 or row[i] >= 10
    events = prepare(demo, incidents.build(demo, None))
    assert {c.grain for t in events.tables for c in t.columns if c.kind == "date"} == {"quarter"}
    money = prepare(demo, finance.build(demo, None, today=dt.date(2026, 11, 28)))
    assert len(money.tables[1].rows) == len(finance.build(demo, None).tables[1].rows)


def test_single_incidents_are_counted_in_the_file(demo):
    export = prepare(demo, incidents.build(demo, None))
    events = export.tables[0]
    n = events.column("Incidents")
    assert (
        sum(row[n] for row in events.rows)
        == demo.conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    )
    assert 1 in [row[n] for row in events.rows]
