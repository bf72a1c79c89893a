"""The team page: web accounts (add, role, password, remove: sessions end with them) and
member devices (revoke); admins only."""

from __future__ import annotations

import re

import pytest
from starlette.testclient import TestClient

from fieldledger.sync import members
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.web import accounts
from fieldledger.web.app import ADMINS, PageRoute
from fieldledger.workspace import Workspace

from .conftest import csrf_of, log_in

MAX_PAGE = 60 * 1024
NEW_PASSWORD = "amber kettle orchard whistle"
OTHER_PASSWORD = "violet harbour candle meadow"


def errors(html: str) -> list[str]:
    return re.findall(r'<p class="error" role="alert">(.*?)</p>', html, re.S)


def notes(html: str) -> list[str]:
    return re.findall(r'<p class="note" role="status">(.*?)</p>', html, re.S)


def fresh_client(app) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def test_only_admins_open_the_team(app, client_for) -> None:
    team = [r for r in app.routes if isinstance(r, PageRoute) and r.path.startswith("/team")]
    assert len(team) >= 6
    assert all(r.roles == ADMINS for r in team)
    for role in ("coordinator", "field", "documenter", "finance", "viewer"):
        assert client_for(role).get("/team").status_code == 403
    page = client_for("admin").get("/team")
    assert page.status_code == 200 and len(page.content) <= MAX_PAGE
    assert "fieldledger member invite" in page.text  # inviting stays on the command line
    assert "field1" in page.text and "coordinator1" in page.text


def test_an_account_added_logs_in_and_ends_with_its_role_and_removal(
    app, demo_ws: Workspace, client_for
) -> None:
    admin = client_for("admin")
    csrf = csrf_of(admin.get("/team").text)
    added = admin.post(
        "/team/accounts",
        data={
            "csrf": csrf,
            "name": "ko.aung",
            "role": "field",
            "password": NEW_PASSWORD,
            "lang": "my",
        },
    )
    assert added.status_code == 200 and added.url.path == "/team"
    assert notes(added.text) == ["Account ko.aung added (field)."]
    user = accounts.find_user(demo_ws, "ko.aung")
    assert user is not None and user.role == "field" and user.lang == "my"
    assert 'href="/team/accounts/ko.aung"' in added.text
    manage = admin.get("/team/accounts/ko.aung")
    assert manage.status_code == 200 and len(manage.content) <= MAX_PAGE
    for action in ("role", "password", "remove"):
        assert f'action="/team/accounts/ko.aung/{action}"' in manage.text

    phone = log_in(fresh_client(app), "ko.aung", NEW_PASSWORD)
    assert phone.get("/households", follow_redirects=False).status_code == 200
    assert phone.get("/incidents", follow_redirects=False).status_code == 403

    # A new role ends the session: the phone must log in again, and then has the new role.
    changed = admin.post("/team/accounts/ko.aung/role", data={"csrf": csrf, "role": "documenter"})
    assert changed.status_code == 200
    assert accounts.find_user(demo_ws, "ko.aung").role == "documenter"
    ended = phone.get("/households", follow_redirects=False)
    assert ended.status_code == 303 and ended.headers["location"].startswith("/login")
    log_in(phone, "ko.aung", NEW_PASSWORD)
    assert phone.get("/incidents", follow_redirects=False).status_code == 200

    # A new password ends the session too; the old one no longer works.
    reset = admin.post(
        "/team/accounts/ko.aung/password", data={"csrf": csrf, "password": OTHER_PASSWORD}
    )
    assert reset.status_code == 200 and not errors(reset.text)
    assert phone.get("/", follow_redirects=False).status_code == 303
    log_in(phone, "ko.aung", OTHER_PASSWORD)

    # Removing needs the box ticked; then the session ends and logging in is refused.
    kept = admin.post("/team/accounts/ko.aung/remove", data={"csrf": csrf})
    assert kept.status_code == 400 and accounts.find_user(demo_ws, "ko.aung") is not None
    removed = admin.post("/team/accounts/ko.aung/remove", data={"csrf": csrf, "confirm": "on"})
    assert removed.status_code == 200 and notes(removed.text) == ["Account ko.aung removed."]
    assert accounts.find_user(demo_ws, "ko.aung") is None
    assert "removed" in admin.get("/team/accounts/ko.aung").text
    assert phone.get("/", follow_redirects=False).status_code == 303
    login = fresh_client(app)
    form = {
        "csrf": csrf_of(login.get("/login").text),
        "name": "ko.aung",
        "password": OTHER_PASSWORD,
        "next": "/",
    }
    refused = login.post("/login", data=form, follow_redirects=False)
    assert refused.status_code == 401


def test_refusals_are_one_line(demo_ws: Workspace, client_for) -> None:
    admin = client_for("admin")
    csrf = csrf_of(admin.get("/team").text)
    weak = admin.post(
        "/team/accounts",
        data={"csrf": csrf, "name": "ma.su", "role": "field", "password": "123", "lang": "en"},
    )
    assert weak.status_code == 400 and len(errors(weak.text)) == 1
    assert 'value="ma.su"' in weak.text  # the form keeps what was typed, not the password
    assert accounts.find_user(demo_ws, "ma.su") is None
    bad_role = admin.post(
        "/team/accounts",
        data={"csrf": csrf, "name": "ma.su", "role": "king", "password": NEW_PASSWORD},
    )
    assert bad_role.status_code == 400 and "unknown role" in errors(bad_role.text)[0]
    taken = admin.post(
        "/team/accounts",
        data={"csrf": csrf, "name": "field1", "role": "field", "password": NEW_PASSWORD},
    )
    assert taken.status_code == 400 and "already" in errors(taken.text)[0]
    # An admin cannot remove their own account nor demote it.
    for path, data in (
        ("/team/accounts/admin1/remove", {"confirm": "on"}),
        ("/team/accounts/admin1/role", {"role": "viewer"}),
    ):
        response = admin.post(path, data={"csrf": csrf, **data})
        assert response.status_code == 400
        assert "your own account" in errors(response.text)[0]
    assert accounts.find_user(demo_ws, "admin1").role == "admin"
    own = admin.get("/team/accounts/admin1")
    assert "/team/accounts/admin1/remove" not in own.text
    assert "/team/accounts/admin1/role" not in own.text
    assert admin.get("/team/accounts/nobody").status_code == 404
    unknown = admin.post("/team/accounts/nobody/role", data={"csrf": csrf, "role": "field"})
    assert unknown.status_code == 400


@pytest.fixture
def spare_device(demo_ws: Workspace, tmp_path):
    ws = demo_ws.add_device(
        tmp_path / "lost",
        "pw",
        role="field",
        label="lost phone",
        params=TEST_PARAMS,
        check_strength=False,
    )
    yield ws
    ws.close()


def test_revoking_a_device(demo_ws: Workspace, spare_device: Workspace, client_for) -> None:
    admin = client_for("admin")
    page = admin.get("/team")
    key = spare_device.device.hex()
    assert "lost phone" in page.text and f"/team/devices/{key}/revoke" in page.text
    assert f"/team/devices/{demo_ws.device.hex()}/revoke" not in page.text  # not itself

    confirm = admin.get(f"/team/devices/{key}/revoke")
    assert confirm.status_code == 200 and "lost phone" in confirm.text
    csrf = csrf_of(confirm.text)
    wrong = admin.post(f"/team/devices/{key}/revoke", data={"csrf": csrf, "confirm": "yes"})
    assert notes(wrong.text) == ["Not revoked: type revoke to confirm."]
    assert members.member(demo_ws.conn, spare_device.device).active

    done = admin.post(f"/team/devices/{key}/revoke", data={"csrf": csrf, "confirm": "revoke"})
    assert done.status_code == 200 and done.url.path == "/team"
    assert notes(done.text)[0].startswith("Revoked lost phone")
    assert members.member(demo_ws.conn, spare_device.device).status == "revoked"
    again = admin.post(f"/team/devices/{key}/revoke", data={"csrf": csrf, "confirm": "revoke"})
    assert again.status_code == 400 and "already removed" in errors(again.text)[0]
    missing = admin.get("/team/devices/00000000/revoke")
    assert missing.status_code == 404
