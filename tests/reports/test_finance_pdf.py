"""The finance report as PDF: from the command line on a demo workspace, and rendered from a
crafted grant (suppressed cells, totals, Burmese headings, metadata)."""

from __future__ import annotations

import contextlib
import datetime as dt
import re
import subprocess
import zlib

import openpyxl
import pytest

from fieldledger import privacy
from fieldledger.reports import finance
from fieldledger.reports.narrative import money
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE

TODAY = dt.date(2026, 7, 31)
MYANMAR = re.compile("[\u1000-\u109f]")


def pdf_text(pdf: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")


def pdf_info(pdf: bytes) -> str:
    return subprocess.run(
        ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode("utf-8")


def unpacked(pdf: bytes) -> bytes:
    """The PDF with every compressed stream inflated (the information dictionary can sit in
    a compressed object stream)."""
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(match.group(1)))
    return b"\n".join(out)


def assert_no_who_when_or_with_what(pdf: bytes) -> None:
    info = pdf_info(pdf)
    assert "Title:" in info
    for field in ("Author:", "Producer:", "Creator:", "CreationDate:", "ModDate:"):
        assert field not in info, info
    everything = unpacked(pdf)
    for word in (b"/Author", b"/Producer", b"/Creator", b"/CreationDate", b"/ModDate"):
        assert word not in everything
    assert not re.search(rb"/ID\s*\[", everything)
    assert b"weasyprint" not in everything.lower()


# -- the command line, on the demo workspace ---------------------------------------------


@pytest.fixture
def demo(cli):
    done = cli("demo", "--insecure-fast-kdf", "--households", "20")
    assert done.code == 0, done.err
    return cli


def test_cli_writes_the_finance_pdf_from_the_demo(demo, tmp_path):
    pdf_path, xlsx_path = tmp_path / "finance.pdf", tmp_path / "finance.xlsx"
    done = demo("report", "finance", "--lang", "en", "--out", str(pdf_path))
    assert done.code == 0, done.err
    assert "wrote" in done.out and "disclosure control" in done.err
    pdf = pdf_path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Financial report" in text and "Figures as of" in text
    for heading in ("Grants", "Tranches", "Currencies", "Budget, received and spent per grant"):
        assert heading in text
    # Every grant's reference and amounts are in it, as the spreadsheet has them.
    assert demo("report", "finance", "--lang", "en", "--out", str(xlsx_path)).code == 0
    header, _hxl, *rows = openpyxl.load_workbook(xlsx_path)["Grants"].iter_rows(values_only=True)
    at = {name: i for i, name in enumerate(header)}
    assert rows
    for row in rows:
        assert row[at["Reference"]] in text
        assert row[at["Donor"]] in text  # the alias
        for name in ("Budget", "Received", "Spent", "Balance (received - spent)"):
            if row[at[name]] is not None:
                assert money(row[at[name]]) in text, (name, row)
    # A bar chart per currency, as an image (and its alpha mask).
    listed = subprocess.run(
        ["pdfimages", "-list", str(pdf_path)], capture_output=True, check=True, text=True
    ).stdout.splitlines()[2:]
    images = [line for line in listed if line.split()[2] == "image"]
    assert len(images) == len({r[at["Currency"]] for r in rows})


def test_cli_pdf_never_names_a_donor_that_has_an_alias(demo, tmp_path):
    out = tmp_path / "finance.pdf"
    assert demo("report", "finance", "--out", str(out)).code == 0
    text = pdf_text(out.read_bytes())
    ws = Workspace.open(demo.workspace, PASSPHRASE)
    try:
        grants = ws.list("grant", reveal=True)
    finally:
        ws.close()
    aliased = [g for g in grants if g.get("donor_alias")]
    assert aliased
    for grant in aliased:
        assert grant["donor_alias"] in text
        assert grant["donor"] not in text
        for word in grant["donor"].split():
            if len(word) > 5:  # "Nordic", "Foundation": no part of the name either
                assert word not in text, word


def test_cli_same_records_same_pdf_bytes_and_no_metadata(demo, tmp_path):
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    for out in (first, second):
        done = demo("report", "finance", "--out", str(out))
        assert done.code == 0, done.err
    assert first.read_bytes() == second.read_bytes()
    assert_no_who_when_or_with_what(first.read_bytes())


def test_cli_burmese_pdf_and_a_period(demo, tmp_path):
    out = tmp_path / "finance.pdf"
    done = demo("report", "finance", "--lang", "my", "--period", "2025", "--out", str(out))
    assert done.code == 0, done.err
    pdf = out.read_bytes()
    text = pdf_text(pdf)
    assert MYANMAR.search(text)  # words in Burmese (extracted text is not shaped text)
    fonts = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True)
    assert re.search(rb"Noto-Sans-Myanmar|Padauk", fonts.stdout)
    assert "2025-01 – 2025-12" in text  # the period, and figures as of its last day
    assert "2025-12-31" in text


def test_cli_refuses_other_extensions_for_finance(cli, tmp_path):
    done = cli("report", "finance", "--out", str(tmp_path / "f.html"))
    assert done.code != 0
    assert "report finance is written as .xlsx or .pdf, not .html" in done.err
    assert not (tmp_path / "f.html").exists()


# -- rendering a crafted grant -----------------------------------------------------------


@pytest.fixture
def grant(ws):
    """12,000 USD for 2026 from a donor shown as "Donor X"; a tranche received 10 days
    late, one not received on TODAY, one cut; spending in USD and once in kyat."""
    gid = ws.add(
        "grant",
        {
            "donor": "A donor whose name is a risk",
            "donor_alias": "Donor X",
            "reference": "X-1",
            "amount": 12000,
            "currency": "USD",
            "restriction": "restricted",
            "period_start": "2026-01-01",
            "period_end": "2026-12-31",
        },
    )
    for tranche in (
        {
            "expected_date": "2026-01-01",
            "expected_amount": 6000,
            "received_date": "2026-01-11",
            "received_amount": 6000,
        },
        {"expected_date": "2026-04-01", "expected_amount": 3000},
        {"expected_date": "2026-10-01", "expected_amount": 3000, "cancelled": True},
    ):
        ws.add("tranche", {"grant_id": gid, **tranche})
    for day, amount, currency in (("2026-02-15", 1234.5, "USD"), ("2026-03-01", 10000, "MMK")):
        ws.add(
            "expenditure",
            {
                "grant_id": gid,
                "date": day,
                "amount": amount,
                "currency": currency,
                "category": "relief_items",
            },
        )
    return gid


def prepared(ws, lang: str = "en"):
    return privacy.prepare(ws, finance.build(ws, None, lang=lang, today=TODAY))


def test_render_shows_each_figure_and_a_dash_for_none(ws, grant):
    export = prepared(ws)
    page = finance.render_html(export).decode("utf-8")
    assert "Figures as of: 2026-07-31" in page
    assert "Donor X · X-1" in page and "risk" not in page
    assert "12,000" in page and "6,000" in page and "1,234.50" in page  # budget, received
    assert "4,765.50" in page  # balance
    assert "10,000" in page  # the kyat spent, in its own column
    assert page.count("data:image/png;base64,") == 2  # a chart per currency: MMK, USD
    assert ">late<" in page and ">cut<" in page
    # The kyat column has no budget, received, runway...: shown as "—".
    assert page.count('class="num hidden">—<') >= 8
    text = pdf_text(finance.render_pdf(export))
    for word in ("Donor X", "X-1", "12,000", "1,234.50", "USD", "MMK", "—"):
        assert word in text, word
    assert "risk" not in text


def test_suppressed_cells_show_a_dash_and_only_computed_totals(ws, grant):
    export = prepared(ws)
    page = finance.render_html(export).decode("utf-8")
    assert ">Total<" not in page  # no totals asked for, none made up
    grants, tranches, _currencies = export.tables
    budget = next(i for i, c in enumerate(grants.columns) if c.hxl == "#value+budget")
    grants.rows[0][budget] = None  # as disclosure control leaves a suppressed cell
    tranches.total_row = [None] * len(tranches.columns)
    tranches.total_row[6] = 98765.0  # the expected amounts' total, as if it were computed
    page = finance.render_html(export).decode("utf-8")
    assert "12,000" not in page.split('id="charts"')[0]  # the budget is gone from the table
    assert ">Total<" in page and "98,765" in page


def test_burmese_headings(ws, grant):
    page = finance.render_html(prepared(ws, "my"), lang="my").decode("utf-8")
    assert '<html lang="my">' in page
    words = finance._WORDS["my"]
    for key in ("title", "grants", "tranches", "budget", "runway_cut", "status_late"):
        assert words[key] in page, key
    for key, text in words.items():
        assert MYANMAR.search(text), key


def test_identical_records_identical_bytes(tmp_path):
    """Two workspaces filled from one seed hold the same records (ids included)."""
    from fieldledger import demo
    from fieldledger.vault.kdf import TEST_PARAMS

    made = []
    for n in (1, 2):
        ws = Workspace.init(
            tmp_path / f"ws{n}", PASSPHRASE, params=TEST_PARAMS, check_strength=False
        )
        try:
            demo.fill(ws, households=20, seed=5, today=TODAY)
            made.append(finance.render_pdf(prepared(ws)))
        finally:
            ws.close()
    assert made[0] == made[1]
    assert_no_who_when_or_with_what(made[0])


def test_only_a_finance_export_is_rendered(ws, grant):
    from fieldledger.errors import ValidationError
    from fieldledger.privacy.export import Export

    with pytest.raises(ValidationError, match="not the finance report"):
        finance.render_pdf(Export(kind="5w", tables=[]))
    with pytest.raises(ValidationError, match="--lang fr"):
        finance.render_pdf(prepared(ws), lang="fr")
