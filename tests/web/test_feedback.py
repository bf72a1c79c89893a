"""Feedback and complaints: the text sealed in lists, sensitive (SEA) text open only to
the protected roles, roles."""

from __future__ import annotations

import pytest

from fieldledger.sync.roles import PROTECTED_ROLES

from .conftest import csrf_of

SEA_TEXT = "A volunteer asked for favours before the distribution. SEA-CANARY-77"
PLAIN_TEXT = "The rice came two weeks late to the upper village. PLAIN-CANARY-12"


def post_form(client, path: str, data: dict[str, str], form_at: str | None = None):
    token = csrf_of(client.get(form_at or path).text)
    return client.post(path, data={**data, "csrf": token}, follow_redirects=False)


def add(client, text: str, category: str, sensitive: bool) -> str:
    data = {
        "channel": "hotline",
        "date": "2026-03-03",
        "category": category,
        "text": text,
        "status": "open",
    }
    if sensitive:
        data["sensitive"] = "on"
    done = post_form(client, "/feedback/new", data)
    assert done.status_code == 303, done.text
    return done.headers["location"].rsplit("/", 1)[1]


def test_a_field_worker_records_feedback_and_reads_it_back(client_for) -> None:
    client = client_for("field")
    fid = add(client, PLAIN_TEXT, "complaint_quality", sensitive=False)
    page = client.get(f"/feedback/{fid}")
    assert page.status_code == 200 and "PLAIN-CANARY-12" in page.text
    listed = client.get("/feedback")
    assert f"/feedback/{fid}" in listed.text
    assert "PLAIN-CANARY-12" not in listed.text  # lists never open the text
    assert len(page.content) < 60_000


def test_sea_text_is_sealed_for_the_field_but_open_to_coordinators(client_for, demo_ws) -> None:
    assert "coordinator" in PROTECTED_ROLES and "field" not in PROTECTED_ROLES
    field = client_for("field")
    fid = add(field, SEA_TEXT, "sea", sensitive=True)
    # The one who recorded it sees it sealed from then on, its edit form too.
    page = field.get(f"/feedback/{fid}")
    assert page.status_code == 200
    assert "SEA-CANARY-77" not in page.text and "•••" in page.text
    edit = field.get(f"/feedback/{fid}/edit")
    assert edit.status_code == 200
    assert "SEA-CANARY-77" not in edit.text and 'name="text"' not in edit.text
    coordinator = client_for("coordinator")
    assert "SEA-CANARY-77" in coordinator.get(f"/feedback/{fid}").text
    assert "SEA-CANARY-77" in coordinator.get(f"/feedback/{fid}/edit").text
    assert "SEA-CANARY-77" not in coordinator.get("/feedback").text

    # The field worker may still move it on (its status); the text stays as it was.
    changed = post_form(
        field,
        f"/feedback/{fid}/edit",
        {
            "channel": "hotline",
            "date": "2026-03-03",
            "category": "sea",
            "sensitive": "on",
            "status": "referred",
        },
    )
    assert changed.status_code == 303, changed.text
    record = demo_ws.get("feedback", fid)
    assert record["status"] == "referred" and record["text"] == SEA_TEXT


def test_sea_must_be_marked_sensitive(client_for, demo_ws) -> None:
    client = client_for("coordinator")
    before = len(demo_ws.list("feedback"))
    refused = post_form(
        client,
        "/feedback/new",
        {"channel": "in_person", "date": "2026-03-03", "category": "sea", "text": "x"},
    )
    assert refused.status_code == 400
    assert "sexual exploitation and abuse is sensitive" in refused.text
    assert len(demo_ws.list("feedback")) == before


@pytest.mark.parametrize("role", ["documenter", "finance", "viewer"])
def test_roles_without_people_are_refused(client_for, role: str) -> None:
    client = client_for(role)
    for path in ("/feedback", "/feedback/new"):
        assert client.get(path).status_code == 403


def test_no_forget_for_feedback_on_the_web(app) -> None:
    paths = {getattr(r, "path", "") for r in app.routes}
    assert "/feedback/{rid}" in paths and "/feedback/{rid}/forget" not in paths
