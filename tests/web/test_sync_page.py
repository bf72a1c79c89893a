"""The sync page: bundle files out and in through the browser, refusals in one line,
status and alarms; for coordinators and admins only."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fieldledger.sync import exchange
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace

from .conftest import csrf_of

MAX_PAGE = 60 * 1024


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', html, re.S)


def notes(html: str) -> list[str]:
    return re.findall(r'<p class="note" role="status">(.*?)</p>', html, re.S)


def event_count(ws: Workspace) -> int:
    return ws.conn.execute("SELECT count(*) FROM events").fetchone()[0]


@pytest.fixture
def phone(demo_ws: Workspace, tmp_path: Path):
    """A new device of the demo workspace, as an admin makes one; it holds nothing yet."""
    ws = demo_ws.add_device(
        tmp_path / "phone",
        "pw",
        role="field",
        label="field phone",
        params=TEST_PARAMS,
        check_strength=False,
    )
    yield ws
    ws.close()


def upload(client, data: bytes):
    csrf = csrf_of(client.get("/sync").text)
    return client.post(
        "/sync/import",
        data={"csrf": csrf},
        files={"bundle": ("a1b2c3d4.dat", data, "application/octet-stream")},
    )


def test_only_coordinators_open_sync(client_for) -> None:
    for role in ("field", "documenter", "finance", "viewer"):
        assert client_for(role).get("/sync").status_code == 403
    for role in ("coordinator", "admin"):
        page = client_for(role).get("/sync")
        assert page.status_code == 200 and len(page.content) <= MAX_PAGE


def test_a_bundle_made_on_the_page_is_taken_in_by_another_device(
    demo_ws: Workspace, phone: Workspace, client_for
) -> None:
    client = client_for("coordinator")
    page = client.get("/sync")
    key = phone.device.hex()
    assert f'value="{key}"' in page.text  # the phone is offered as a recipient
    response = client.post("/sync/export", data={"csrf": csrf_of(page.text), "member": key})
    assert response.status_code == 200
    assert re.fullmatch(
        r'attachment; filename="[0-9a-f]{8}\.dat"', response.headers["content-disposition"]
    )
    assert response.headers["cache-control"] == "no-store"
    taken = exchange.import_bundle(phone, response.content)
    assert taken.events > 0 and not taken.already
    # The phone (a field role) now holds the households, and nothing of finance.
    assert len(phone.list("household")) == len(demo_ws.list("household"))
    assert "finance" not in phone.keyring.epochs
    # Taking the same file in again changes nothing.
    again = exchange.import_bundle(phone, response.content)
    assert again.already and again.events == 0


def test_a_bundle_uploaded_is_taken_in_once(
    demo_ws: Workspace, phone: Workspace, client_for
) -> None:
    exchange.import_bundle(phone, exchange.export_bundle(demo_ws, phone.device.hex()).data)
    hid = phone.add(
        "household",
        {
            "code": "HH-PHONE-1",
            "location_pcode": "MMR003001",
            "displacement_status": "idp",
            "size": 2,
        },
    )
    first = exchange.export_bundle(phone, demo_ws.device.hex()).data
    client = client_for("admin")
    response = upload(client, first)
    assert response.status_code == 200 and response.url.path == "/sync"
    (said,) = notes(response.text)
    assert re.search(r"Took in [0-9]+ new records and changes from field phone", said)
    assert demo_ws.get("household", hid)["code"] == "HH-PHONE-1"
    assert "field phone" in response.text  # the status table names the device

    before = event_count(demo_ws)
    response = upload(client, first)
    assert notes(response.text) == ["Nothing new: this file was already taken in."]
    assert event_count(demo_ws) == before

    # A newer bundle, then the older one again: a replay, refused and raised as an alarm.
    second = exchange.export_bundle(phone, demo_ws.device.hex()).data
    assert upload(client, second).status_code == 200
    replay = upload(client, first)
    assert replay.status_code == 400
    (line,) = errors(replay.text)
    assert "replay" in line and "\n" not in line
    assert "Alarms" in replay.text and "replay" in replay.text.split("Alarms", 1)[1]


def test_garbage_is_one_line_and_changes_nothing(demo_ws: Workspace, client_for) -> None:
    client = client_for("coordinator")
    before = event_count(demo_ws)
    for junk in (b"not a bundle", b"\x01" * 4096):
        response = upload(client, junk)
        assert response.status_code == 400
        (line,) = errors(response.text)
        assert "nothing applied" in line and "\n" not in line
    assert event_count(demo_ws) == before
    csrf = csrf_of(client.get("/sync").text)
    empty = client.post("/sync/import", data={"csrf": csrf})
    assert empty.status_code == 400 and errors(empty.text) == ["Choose a file to take in."]


def test_a_bad_address_is_one_line(client_for) -> None:
    client = client_for("coordinator")
    csrf = csrf_of(client.get("/sync").text)
    for path in ("/sync/http", "/sync/relay"):
        response = client.post(path, data={"csrf": csrf, "url": "ftp://nowhere"})
        assert response.status_code == 400
        (line,) = errors(response.text)
        assert "is not an address" in line
        assert 'value="ftp://nowhere"' in response.text


def test_sync_with_a_serving_device(demo_ws: Workspace, tmp_path: Path, client_for) -> None:
    """`sync http` from the page, against another device's `serve` on loopback."""
    from fieldledger.sync.server import sync_app
    from tests.sync.test_http import serving

    other = demo_ws.add_device(
        tmp_path / "laptop",
        "pw",
        role="coordinator",
        label="second laptop",
        params=TEST_PARAMS,
        check_strength=False,
    )
    try:
        with serving(sync_app(lambda: other)) as url:
            client = client_for("coordinator")
            csrf = csrf_of(client.get("/sync").text)
            response = client.post("/sync/http", data={"csrf": csrf, "url": url})
        assert response.status_code == 200, errors(response.text)
        (said,) = notes(response.text)
        assert said.startswith("Synced with second laptop")
        assert len(other.list("household")) == len(demo_ws.list("household"))
    finally:
        other.close()
