"""The review queue: doubtful Burmese text shown and accepted, conflicts listed with links
to the record and settled by saving it again; coordinators and admins only."""

from __future__ import annotations

import re

from fieldledger.web.app import COORDINATORS, PageRoute
from fieldledger.workspace import Workspace

from .conftest import csrf_of

MAX_PAGE = 60 * 1024
DOUBTFUL = "ကညီ"  # as likely Zawgyi as Unicode: kept as typed, waits for review


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', html, re.S)


def project(ws: Workspace, name: str) -> str:
    return ws.add(
        "project",
        {
            "name": name,
            "sector": "agriculture",
            "location_pcode": "MMR003001",
            "start_date": "2026-01-01",
        },
    )


def test_only_coordinators_review(app, client_for) -> None:
    routes = [r for r in app.routes if isinstance(r, PageRoute) and r.path.startswith("/review")]
    assert routes and all(r.roles == COORDINATORS for r in routes)
    for role in ("field", "documenter", "finance", "viewer"):
        assert client_for(role).get("/review").status_code == 403


def test_doubtful_text_is_shown_and_accepted(demo_ws: Workspace, client_for) -> None:
    pid = project(demo_ws, DOUBTFUL)
    assert ("project", pid, "name") in {
        (q["type"], q["id"], q["field"]) for q in demo_ws.review_queue()
    }
    client = client_for("coordinator")
    page = client.get("/review")
    assert page.status_code == 200 and len(page.content) <= MAX_PAGE
    assert DOUBTFUL in page.text and pid in page.text
    assert re.search(r"Zawgyi score [0-9]\.[0-9]{2}", page.text)

    done = client.post(
        "/review/accept",
        data={"csrf": csrf_of(page.text), "type": "project", "id": pid, "field": "name"},
    )
    assert done.status_code == 200 and done.url.path == "/review"
    assert "Accepted as typed." in done.text
    assert pid not in done.text
    assert all(q["id"] != pid for q in demo_ws.review_queue())
    assert demo_ws.get("project", pid)["name"] == DOUBTFUL  # kept exactly as typed

    again = client.post(
        "/review/accept",
        data={"csrf": csrf_of(done.text), "type": "project", "id": pid, "field": "name"},
    )
    assert again.status_code == 400
    (line,) = errors(again.text)
    assert "nothing to review" in line


def test_a_person_name_to_check_is_shown_to_coordinators(demo_ws: Workspace, client_for) -> None:
    hid = demo_ws.list("household")[0]["id"]
    pid = demo_ws.add("person", {"household_id": hid, "sex": "female", "name": "စုစု"})
    page = client_for("admin").get("/review")
    assert pid in page.text and "စုစု" in page.text
    demo_ws.accept_text("person", pid, "name")


def test_conflicts_are_listed_and_settled_by_saving_again(demo_ws: Workspace, client_for) -> None:
    pid = project(demo_ws, "Seed bank")
    first = demo_ws.update("project", pid, {"name": "Seed bank A"})
    demo_ws.update("project", pid, {"name": "Seed bank B"})
    demo_ws.update("project", pid, {"name": "Seed bank C"}, heads=[first])  # concurrent
    assert any(c.rid == pid for c in demo_ws.conflicts())

    client = client_for("coordinator")
    page = client.get("/review")
    row = re.search(rf"<tr>\s*<td>(.*?{pid}.*?)</tr>", page.text, re.S)
    assert row, "the conflict is listed"
    assert ">2<" in row.group(1)  # two competing versions
    show = re.search(r'href="([^"]+)">' + pid, row.group(1))
    edit = re.search(r'href="([^"]+/edit)"', row.group(1))
    assert show and edit, "links to the record and its edit page"
    assert client.get(show.group(1)).status_code == 200

    form_page = client.get(edit.group(1))
    assert form_page.status_code == 200
    fields = dict(
        re.findall(r'<input id="f-[^"]+" name="([^"]+)"[^>]*value="([^"]*)"', form_page.text)
    )
    fields.update(
        {
            name: value
            for name, value in re.findall(
                r'<select id="f-[^"]+" name="([^"]+)".*?<option value="([^"]*)" selected',
                form_page.text,
                re.S,
            )
        }
    )
    saved = client.post(
        edit.group(1),
        data={**fields, "csrf": csrf_of(form_page.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303, errors(saved.text)
    assert all(c.rid != pid for c in demo_ws.conflicts())
    assert pid not in client.get("/review").text
