"""The Phones pages: set up ODK Collect by QR code from the web UI, list and revoke.

The QR code cannot be decoded here (segno only makes codes), so the test catches the text
the page turned into the code, checks the image on the page is exactly that text's code,
and decodes the text as Collect does (base64, zlib, JSON)."""

from __future__ import annotations

import base64
import json
import re
import zlib
from urllib.parse import urlsplit

import pytest

from fieldledger.odk import setup, tokens
from fieldledger.sync.roles import ROLES
from fieldledger.web import accounts
from fieldledger.web.tls import local_addresses

from .conftest import PASSWORD, csrf_of

HEADERS = {"X-OpenRosa-Version": "1.0"}


@pytest.fixture
def made(monkeypatch) -> list[setup.PhoneSetup]:
    """Every `PhoneSetup` the pages make, as the page got it."""
    caught: list[setup.PhoneSetup] = []
    real = setup.set_up

    def catching(*args, **kwargs):
        result = real(*args, **kwargs)
        caught.append(result)
        return result

    monkeypatch.setattr(setup, "set_up", catching)
    return caught


def _set_up(client, name: str, **fields: str):
    csrf = csrf_of(client.get("/phones").text)
    data = {"csrf": csrf, "url": "http://10.0.0.2:8766", "project": "Team A", **fields}
    return client.post(f"/phones/{name}/setup", data=data, follow_redirects=False)


def _form_list(client, server_url: str):
    return client.get(urlsplit(server_url).path + "/formList", headers=HEADERS)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_only_admins_and_coordinators_open_the_phones(client_for, role: str) -> None:
    client = client_for(role)
    allowed = role in ("admin", "coordinator")
    for path in ("/phones", "/phones/field1"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == (200 if allowed else 403), (role, path)
    csrf = csrf_of(client.get("/").text)
    response = client.post(
        "/phones/field1/setup",
        data={"csrf": csrf, "url": "http://10.0.0.2:8766"},
        follow_redirects=False,
    )
    assert response.status_code == (200 if allowed else 403)
    assert ('href="/phones"' in client.get("/").text) is allowed


def test_the_team_page_links_to_an_accounts_phones(client_for) -> None:
    page = client_for("admin").get("/team/accounts/field1")
    assert 'href="/phones/field1"' in page.text


def test_setup_shows_a_working_code_once_and_revoke_ends_it(demo_ws, client_for, made) -> None:
    client = client_for("admin")
    response = _set_up(client, "field1", label="Ma Hla's Samsung")
    assert response.status_code == 200, response.text
    (phone,) = made
    # The image on the page is the code of exactly this text.
    uri, size = phone.svg_data_uri()
    assert f'src="{uri}"' in response.text and f'width="{size}"' in response.text
    svg = base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode()
    assert svg.startswith("<svg") and "<script" not in svg
    # The text, decoded as Collect does.
    settings = json.loads(zlib.decompress(base64.b64decode(phone.payload)))
    server_url = settings["general"]["server_url"]
    assert server_url.startswith("http://10.0.0.2:8766/odk/")
    token = server_url.rsplit("/", 1)[1]
    assert len(token) >= 40 and tokens.resolve(demo_ws, token).account == "field1"
    assert settings["general"]["delete_send"] is True
    assert settings["admin"]["save_as_draft"] is False
    assert settings["admin"]["change_server"] is False
    assert settings["admin"]["admin_pw"] == phone.admin_password
    assert settings["project"]["name"] == "Team A"
    # The page shows the admin password, the address without the token, the settings.
    assert phone.admin_password in response.text
    assert "http://10.0.0.2:8766/odk/…" in response.text and token not in response.text
    assert "delete after send" in response.text and "app PIN" in response.text
    assert response.headers["cache-control"] == "no-store"
    # The token works against the OpenRosa routes.
    listed = _form_list(client, server_url)
    assert listed.status_code == 200 and "fl_household" in listed.text
    # A later visit lists the phone, and never shows the code or the token again.
    later = client.get("/phones/field1")
    assert phone.token_id in later.text and "Ma Hla&#39;s Samsung" in later.text
    assert token not in later.text and "data:image/svg" not in later.text
    assert phone.admin_password not in later.text
    # Revoke it: formList refuses the token.
    csrf = csrf_of(later.text)
    done = client.post(
        "/phones/field1/revoke",
        data={"csrf": csrf, "token": phone.token_id},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/phones/field1"
    assert _form_list(client, server_url).status_code == 403
    after = client.get("/phones/field1")
    assert "1 phone revoked" in after.text
    assert re.search(rf"{phone.token_id}</code>.*?revoked", after.text, re.S)
    assert tokens.resolve(demo_ws, token) is None


def test_revoke_all_and_a_token_of_another_account(demo_ws, client_for, made) -> None:
    client = client_for("coordinator")
    for _ in range(2):
        assert _set_up(client, "documenter1").status_code == 200
    assert _set_up(client, "viewer1").status_code == 200
    first, second, other = made
    csrf = csrf_of(client.get("/phones/documenter1").text)
    # Another account's phone cannot be revoked through this account's page.
    wrong = client.post("/phones/documenter1/revoke", data={"csrf": csrf, "token": other.token_id})
    assert wrong.status_code == 400 and "No active phone" in wrong.text
    done = client.post(
        "/phones/documenter1/revoke", data={"csrf": csrf, "token": "all"}, follow_redirects=False
    )
    assert done.status_code == 303
    mine = {t.token_id: t.revoked for t in tokens.list_tokens(demo_ws)}
    assert mine[first.token_id] and mine[second.token_id] and not mine[other.token_id]
    assert "2 phones revoked" in client.get("/phones/documenter1").text


def test_a_coordinator_sets_up_no_phone_for_an_admin(client_for, made) -> None:
    client = client_for("coordinator")
    page = client.get("/phones/admin1")
    assert page.status_code == 200 and 'action="/phones/admin1/setup"' not in page.text
    assert _set_up(client, "admin1").status_code == 403
    assert made == []
    assert _set_up(client_for("admin"), "admin1").status_code == 200


def test_a_wrong_address_or_account_makes_no_token(demo_ws, client_for, made) -> None:
    client = client_for("admin")
    before = len(tokens.list_tokens(demo_ws))
    for url in ("192.168.43.1:8766", "ftp://10.0.0.2", "http://10.0.0.2:port", ""):
        response = _set_up(client, "field1", url=url)
        assert response.status_code == 400, url
        assert 'class="error"' in response.text
    assert client.get("/phones/nobody").status_code == 404
    assert _set_up(client, "nobody").status_code == 404
    assert made == [] and len(tokens.list_tokens(demo_ws)) == before


def test_a_removed_account_gets_no_phone(demo_ws, client_for, made) -> None:
    accounts.add_user(demo_ws, "gone1", "field", PASSWORD)
    client = client_for("admin")
    assert _set_up(client, "gone1").status_code == 200
    (phone,) = made
    accounts.remove_user(demo_ws, "gone1")
    page = client.get("/phones/gone1")
    assert "ended with the account" in page.text and 'action="/phones/gone1/setup"' not in page.text
    assert _set_up(client, "gone1").status_code == 400
    assert len(made) == 1 and phone.token_id in page.text


def test_the_default_address_is_one_a_phone_can_reach(client_for) -> None:
    page = client_for("admin").get("/phones/field1")
    url = re.search(r'id="url" name="url" value="([^"]+)"', page.text).group(1)
    assert url.startswith("http://") and url.endswith(f":{setup.DEFAULT_ODK_PORT}")
    assert setup.check_url(url) == url
    assert setup.default_url("192.168.43.1") == "http://192.168.43.1:8766"
    assert setup.default_url("laptop.local", 9000) == "http://laptop.local:9000"
    # On the laptop itself the browser says 127.0.0.1, which a phone cannot use.
    if local_addresses():
        assert setup.default_url("127.0.0.1") == f"http://{local_addresses()[0]}:8766"
