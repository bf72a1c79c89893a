"""Fixtures for the web UI: a demo workspace served in-process, an account per role, and a
logged-in client for each. Browser tests (test_browser.py) start a real server instead."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from fieldledger.demo import fill
from fieldledger.sync.roles import ROLES
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.web import accounts
from fieldledger.web.app import web_app
from fieldledger.workspace import Workspace

PASSPHRASE = "quiet river stone lantern maple"
PASSWORD = "correct horse battery staple"  # every test account's


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Workspace]:
    path: Path = tmp_path_factory.mktemp("web") / "ws"
    ws = Workspace.init(path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    fill(ws, households=24, seed=7)
    for role in ROLES:
        accounts.add_user(ws, f"{role}1", role, PASSWORD)
    yield ws
    ws.close()


@pytest.fixture(scope="module")
def app(demo_ws: Workspace):
    return web_app(lambda: demo_ws)


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> TestClient:
    page = client.get("/login")
    response = client.post(
        "/login",
        data={"csrf": csrf_of(page.text), "name": name, "password": password, "next": "/"},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def client_for(app) -> Iterator[Callable[[str], TestClient]]:
    """`client_for("field")`: a client logged in as that role's test account."""
    made: list[TestClient] = []

    def make(role: str) -> TestClient:
        client = TestClient(app, base_url="http://127.0.0.1")
        made.append(client)
        return log_in(client, f"{role}1")

    yield make
    for client in made:
        client.close()
