"""The review queue: doubtful Burmese text shown and accepted; conflicts shown with their
competing versions side by side, settled by keeping one or by saving the record again;
coordinators and admins only."""

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


def conflicted(ws: Workspace, name: str) -> tuple[str, bytes, bytes]:
    """A project that two devices changed at once: B, then C made without seeing B."""
    pid = project(ws, name)
    first = ws.update("project", pid, {"name": f"{name} A"})
    b = ws.update("project", pid, {"name": f"{name} B", "status": "paused"})
    c = ws.update("project", pid, {"name": f"{name} C"}, heads=[first])  # concurrent
    assert any(x.rid == pid for x in ws.conflicts())
    return pid, b, c


def card_of(html: str, rid: str) -> str:
    """The part of the page that shows the conflict of record `rid`."""
    cards = [part for part in html.split('<div class="card">') if f">{rid}</a></h3>" in part]
    assert len(cards) == 1, f"the conflict {rid} is shown once"
    return cards[0]


def keep_form(card: str, letter: str) -> dict[str, str]:
    form = re.search(
        rf'<form method="post" action="/review/keep">(.*?)Keep version {letter}</button>',
        card,
        re.S,
    )
    assert form, f"a form keeps version {letter}"
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))


def test_conflicts_show_their_versions_side_by_side(demo_ws: Workspace, client_for) -> None:
    pid, b, c = conflicted(demo_ws, "Fish ponds")
    page = client_for("coordinator").get("/review")
    assert page.status_code == 200 and len(page.content) <= MAX_PAGE
    assert "Two devices changed each of these records at the same time" in page.text
    card = card_of(page.text, pid)
    assert card.index("Version A") < card.index("Version B") and "Version C" not in card
    assert card.count("owner (") == 2  # the device that wrote each version
    name_row = re.search(
        r'<th scope="row">Name <strong>\(not the same\)</strong></th>(.*?)</tr>', card, re.S
    )
    assert name_row, "the differing field is marked"
    assert re.findall(r"<mark>(.*?)</mark>", name_row.group(1)) == ["Fish ponds C", "Fish ponds B"]
    sector = re.search(r'<th scope="row">Sector</th>(.*?)</tr>', card, re.S)
    assert sector and "<mark>" not in sector.group(1)  # the same in both: not highlighted
    assert keep_form(card, "A")["head"] == c.hex() and keep_form(card, "B")["head"] == b.hex()
    assert set(keep_form(card, "B")["seen"].split()) == {b.hex(), c.hex()}
    assert re.search(r'href="[^"]+/edit">Edit and save<', card)
    demo_ws.update("project", pid, {"name": "Fish ponds"})  # settled, for the later tests


def test_keeping_a_version_ends_the_conflict(demo_ws: Workspace, client_for) -> None:
    pid, _, _ = conflicted(demo_ws, "Rice mill")
    client = client_for("admin")
    page = client.get("/review")
    form = keep_form(card_of(page.text, pid), "B")
    done = client.post("/review/keep", data=form)
    assert done.status_code == 200 and done.url.path == "/review", errors(done.text)
    assert "Kept: every device will show this version." in done.text
    assert all(x.rid != pid for x in demo_ws.conflicts())
    assert pid not in done.text
    record = demo_ws.get("project", pid)
    assert record["name"] == "Rice mill B" and record["status"] == "paused"
    assert not record["conflict"]
    (only,) = demo_ws.versions("project", pid)
    assert only.body["name"] == "Rice mill B"

    again = client.post("/review/keep", data={**form, "csrf": csrf_of(done.text)})
    assert again.status_code == 400
    assert errors(again.text) == ["This record is no longer in conflict."]


def test_keeping_is_refused_when_the_record_changed_since(demo_ws: Workspace, client_for) -> None:
    pid, _, c = conflicted(demo_ws, "Well")
    client = client_for("coordinator")
    form = keep_form(card_of(client.get("/review").text, pid), "B")
    demo_ws.update("project", pid, {"name": "Well D"}, heads=[c])  # a third device's change
    refused = client.post("/review/keep", data=form)
    assert refused.status_code == 400
    assert errors(refused.text) == [
        "This record changed after the page was shown: compare its versions again."
    ]
    assert any(x.rid == pid for x in demo_ws.conflicts())
    demo_ws.update("project", pid, {"name": "Well"})


def test_keeping_needs_the_csrf_token_and_a_coordinator(demo_ws: Workspace, client_for) -> None:
    pid, b, c = conflicted(demo_ws, "Bridge")
    form = keep_form(card_of(client_for("coordinator").get("/review").text, pid), "B")
    coordinator = client_for("coordinator")
    coordinator.get("/review")
    without = {k: v for k, v in form.items() if k != "csrf"}
    assert coordinator.post("/review/keep", data=without).status_code == 403
    assert coordinator.post("/review/keep", data={**without, "csrf": "forged"}).status_code == 403
    field = client_for("field")
    token = csrf_of(field.get("/").text)
    assert field.post("/review/keep", data={**without, "csrf": token}).status_code == 403
    assert client_for("field").get("/review").status_code == 403
    assert {v.head for v in demo_ws.versions("project", pid)} == {b.hex(), c.hex()}  # untouched
    only_csrf = coordinator.post("/review/keep", data={"csrf": csrf_of(coordinator.get("/").text)})
    assert only_csrf.status_code == 400 and errors(only_csrf.text)
    demo_ws.update("project", pid, {"name": "Bridge"})


def test_conflicts_are_settled_by_saving_the_record_again(demo_ws: Workspace, client_for) -> None:
    pid, _, _ = conflicted(demo_ws, "Seed bank")
    client = client_for("coordinator")
    card = card_of(client.get("/review").text, pid)
    show = re.search(r'<h3[^>]*>.*?<a href="([^"]+)">' + pid, card, re.S)
    edit = re.search(r'href="([^"]+/edit)"', card)
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


def test_keeping_a_version_of_a_person_keeps_their_personal_data(
    demo_ws: Workspace, client_for
) -> None:
    hid = demo_ws.list("household")[0]["id"]
    pid = demo_ws.add("person", {"household_id": hid, "sex": "female", "name": "Naw Paw"})
    first = demo_ws.update("person", pid, {"phone": "09420003333"})
    demo_ws.update("person", pid, {"name": "Naw Paw Htoo", "birth_year": 1990})
    demo_ws.update("person", pid, {"phone": "09420004444"}, heads=[first])
    client = client_for("coordinator")
    card = card_of(client.get("/review").text, pid)
    assert "Naw Paw Htoo" in card  # coordinators compare the names too
    assert re.search(r"<mark>09420004444</mark>\s*</td>\s*<td><mark>09420003333</mark>", card)
    done = client.post("/review/keep", data=keep_form(card, "B"))
    assert done.status_code == 200, errors(done.text)
    record = demo_ws.get("person", pid)
    assert (record["name"], record["phone"], record["birth_year"]) == (
        "Naw Paw Htoo",
        "09420003333",
        1990,
    )
    assert not record["conflict"]
