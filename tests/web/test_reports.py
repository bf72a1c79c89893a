"""Reports through the web UI: preview of disclosure control, download in memory, refusals
in one line, and who may make which report."""

from __future__ import annotations

import io
import re

import openpyxl
import pytest

from fieldledger.web.app import PageRoute
from fieldledger.web.pages.reports import REPORTS

from .conftest import csrf_of

MAX_PAGE = 60 * 1024


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', html, re.S)


def report_routes(app) -> dict[str, frozenset[str]]:
    return {
        r.path: r.roles
        for r in app.routes
        if isinstance(r, PageRoute) and r.path.startswith("/reports")
    }


def test_5w_preview_then_xlsx_download(client_for) -> None:
    client = client_for("coordinator")
    page = client.get("/reports/5w")
    assert page.status_code == 200 and len(page.content) <= MAX_PAGE
    form = {"csrf": csrf_of(page.text), "format": ".xlsx", "lang": "en", "period": ""}

    preview = client.post("/reports/5w", data={**form, "step": "preview"})
    assert preview.status_code == 200, errors(preview.text)
    assert len(preview.content) <= MAX_PAGE
    text = preview.text
    assert "The export linter found nothing to refuse." in text
    assert re.search(r"Small counts left empty: [0-9,]+", text)  # what disclosure control did
    assert "Total reached" in text  # the first rows, as they will be written
    assert 'name="step" value="download"' in text

    download = client.post("/reports/5w", data={**form, "step": "download"})
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="5w.xlsx"'
    assert download.headers["cache-control"] == "no-store"
    assert download.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = openpyxl.load_workbook(io.BytesIO(download.content), read_only=True)
    rows = list(book.worksheets[0].iter_rows(max_row=3, values_only=True))
    assert rows[0][0] == "Organisation"
    assert rows[1][:3] == ("#org", "#sector", "#activity")  # the HXL row under the header
    assert len(rows) == 3  # data follows
    # Nothing of the preview travels in the file.
    assert b"Small counts left empty" not in download.content


def test_csv_download_has_the_hxl_row(client_for) -> None:
    client = client_for("admin")
    csrf = csrf_of(client.get("/reports/5w").text)
    response = client.post(
        "/reports/5w",
        data={"csrf": csrf, "step": "download", "format": ".csv", "period": "2025"},
    )
    assert response.status_code == 200
    assert response.headers["content-disposition"] == 'attachment; filename="5w-2025.csv"'
    header, hxl = response.content.decode().splitlines()[:2]
    assert header.startswith("Organisation,") and hxl.startswith("#org,")


def test_a_period_that_cannot_be_read_is_one_line(client_for) -> None:
    client = client_for("coordinator")
    csrf = csrf_of(client.get("/reports/incidents").text)
    for step in ("preview", "download"):
        response = client.post(
            "/reports/incidents",
            data={"csrf": csrf, "step": step, "format": ".xlsx", "period": "last spring"},
        )
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        (line,) = errors(response.text)
        assert "\n" not in line.strip() and "last spring" in line
        assert 'value="last spring"' in response.text  # the form keeps what was typed


def test_the_linter_refuses_coordinates_in_one_line_and_nothing_is_sent(client_for) -> None:
    client = client_for("coordinator")
    csrf = csrf_of(client.get("/reports/8plus3").text)
    form = {
        "csrf": csrf,
        "format": ".html",
        "q": ["core.1"],
        "answers": "## core.1\nThe road near 16.7801, 96.1512 was closed.",
        "reviewed_by": "Programme coordinator",
        "i_understand": "on",  # never lets coordinates through
    }
    for step in ("preview", "download"):
        response = client.post("/reports/8plus3", data={**form, "step": step})
        assert response.status_code == 400
        assert "content-disposition" not in response.headers
        (line,) = errors(response.text)
        assert line.startswith("Refused by the export linter:") and "coordinates" in line
        assert "\n" not in line


def test_8_3_answers_need_the_reviewer_name(client_for) -> None:
    client = client_for("coordinator")
    page = client.get("/reports/8plus3")
    assert 'name="reviewed_by"' in page.text and "## core.1" in page.text
    form = {
        "csrf": csrf_of(page.text),
        "step": "preview",
        "format": ".html",
        "q": ["core.1", "core.2"],
        "answers": "## core.1\nNothing changed.\n## core.2\nWe asked the communities.",
    }
    refused = client.post("/reports/8plus3", data=form)
    assert refused.status_code == 400
    (line,) = errors(refused.text)
    assert "name of the person who reviewed" in line

    signed = client.post("/reports/8plus3", data={**form, "reviewed_by": "Daw Programme"})
    assert signed.status_code == 200, errors(signed.text)
    download = client.post(
        "/reports/8plus3", data={**form, "reviewed_by": "Daw Programme", "step": "download"}
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/html")
    assert download.headers["content-disposition"].startswith("attachment;")
    assert "We asked the communities." in download.text


def test_what_the_linter_let_through_is_said_in_the_preview(demo_ws, client_for) -> None:
    person = next(p for p in demo_ws.list("person", reveal=True) if p.get("name"))
    client = client_for("coordinator")
    form = {
        "csrf": csrf_of(client.get("/reports/8plus3").text),
        "step": "preview",
        "format": ".html",
        "q": ["core.1"],
        "answers": f"## core.1\nWe met {person['name']} in March.",
        "reviewed_by": "Programme coordinator",
    }
    refused = client.post("/reports/8plus3", data=form)
    assert refused.status_code == 400
    assert "names a person recorded in the workspace" in errors(refused.text)[0]
    assert person["name"] not in errors(refused.text)[0]  # the refusal never names them

    allowed = client.post("/reports/8plus3", data={**form, "i_understand": "on"})
    assert allowed.status_code == 200
    assert "The export linter warned:" in allowed.text
    assert "names a person recorded in the workspace" in allowed.text


def test_iati_off_is_one_line(client_for) -> None:
    client = client_for("admin")
    csrf = csrf_of(client.get("/reports/iati").text)
    response = client.post("/reports/iati", data={"csrf": csrf, "step": "preview"})
    assert response.status_code == 400
    (line,) = errors(response.text)
    assert "IATI publishing is off" in line


def test_finance_officers_make_the_finance_report_only(app, client_for) -> None:
    routes = report_routes(app)
    assert {r.path for r in REPORTS} <= set(routes)
    for path, roles in routes.items():
        if path in ("/reports", "/reports/finance"):
            assert roles == {"admin", "coordinator", "finance"}, path
        else:
            assert roles == {"admin", "coordinator"}, path

    client = client_for("finance")
    index = client.get("/reports")
    assert index.status_code == 200
    assert 'href="/reports/finance"' in index.text and 'href="/reports/5w"' not in index.text
    for slug in ("5w", "incidents", "iati", "8plus3"):
        assert client.get(f"/reports/{slug}").status_code == 403
        csrf = csrf_of(index.text)
        assert client.post(f"/reports/{slug}", data={"csrf": csrf}).status_code == 403
    page = client.get("/reports/finance")
    assert page.status_code == 200
    csrf = csrf_of(page.text)
    pdf = client.post(
        "/reports/finance", data={"csrf": csrf, "step": "download", "format": ".xlsx"}
    )
    assert pdf.status_code == 200 and pdf.content[:2] == b"PK"


@pytest.mark.parametrize("role", ["field", "documenter", "viewer"])
def test_other_roles_make_no_report(client_for, role: str) -> None:
    client = client_for(role)
    assert client.get("/reports").status_code == 403
    assert client.get("/reports/incidents").status_code == 403
