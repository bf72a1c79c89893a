"""The web UI's guard rails, walked over the whole route table: sessions, roles, CSRF, rate
limits before hashing, cookies, headers, idle lock."""

from __future__ import annotations

import re

import pytest
from starlette.routing import Mount, Route
from starlette.testclient import TestClient

from fieldledger.sync.roles import ROLES
from fieldledger.web import accounts
from fieldledger.web.app import PageRoute, web_app
from fieldledger.web.limits import LoginLimits
from fieldledger.web.sessions import Sessions

from .conftest import PASSWORD, csrf_of, log_in

OPEN = {"/login"}  # the only pages without a session (and /static)
DUMMY = "XX-NOTHING"


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", DUMMY, path)


def page_routes(app) -> list[PageRoute]:
    return [r for r in app.routes if isinstance(r, PageRoute)]


def test_every_route_needs_a_session(app) -> None:
    client = TestClient(app, base_url="http://127.0.0.1")
    walked = 0
    for route in app.routes:
        if isinstance(route, Mount) or not isinstance(route, Route) or route.path in OPEN:
            continue
        if route.path == "/sync":  # devices, not people: a sealed bundle is its own proof
            continue
        for method in sorted(route.methods - {"HEAD"}):
            response = client.request(method, concrete(route.path), follow_redirects=False)
            expected = 303 if method == "GET" else 401
            assert response.status_code == expected, (method, route.path, response.status_code)
            if method == "GET":
                assert response.headers["location"].startswith("/login?next=")
            walked += 1
    assert walked >= 10


def test_static_and_login_are_open(app) -> None:
    client = TestClient(app, base_url="http://127.0.0.1")
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code == 200


@pytest.mark.parametrize("role", sorted(ROLES))
def test_each_role_opens_exactly_its_routes(app, client_for, role: str) -> None:
    client = client_for(role)
    csrf = csrf_of(client.get("/").text)
    for route in page_routes(app):
        if route.path in ("/logout", "/panic", "/language"):
            continue  # they end the session or the workspace: tested on their own
        for method in sorted(route.methods - {"HEAD"}):
            data = {"csrf": csrf} if method == "POST" else None
            response = client.request(
                method, concrete(route.path), data=data, follow_redirects=False
            )
            if role in route.roles:
                assert response.status_code != 403, (role, method, route.path, response.text)
            else:
                assert response.status_code == 403, (role, method, route.path)


def test_role_table_matches_compartments(app) -> None:
    by_path = {r.path: r.roles for r in page_routes(app)}
    assert "field" not in by_path["/panic"] and by_path["/panic"] == {"admin"}
    for route in page_routes(app):
        if route.path.startswith(("/grants", "/tranches", "/spending")):
            assert route.roles <= {r for r, held in ROLES.items() if "finance" in held}
        if route.path.startswith("/incidents"):
            assert "field" not in route.roles


def test_a_post_without_the_session_csrf_is_refused(demo_ws, client_for) -> None:
    client = client_for("admin")
    before = len(demo_ws.list("household"))
    form = {
        "code": "HH-CSRF",
        "location_pcode": "MMR003001",
        "displacement_status": "idp",
        "size": "3",
    }
    for token in (None, "", "forged-token"):
        data = dict(form) if token is None else {**form, "csrf": token}
        response = client.post("/households/new", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "out of date" in response.text
    assert len(demo_ws.list("household")) == before
    # The same form with the session's token goes through.
    csrf = csrf_of(client.get("/").text)
    done = client.post("/households/new", data={**form, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303


def test_login_form_needs_its_own_token(app) -> None:
    client = TestClient(app, base_url="http://127.0.0.1")
    response = client.post("/login", data={"name": "admin1", "password": PASSWORD})
    assert response.status_code == 403


def test_rate_limits_refuse_before_any_hashing(demo_ws, monkeypatch) -> None:
    calls: list[str] = []
    real = accounts.check_password

    def counting(digest, password):
        calls.append(password)
        return real(digest, password)

    monkeypatch.setattr(accounts, "check_password", counting)
    app = web_app(lambda: demo_ws, limits=LoginLimits(per_account=3, per_address=5))
    client = TestClient(app, base_url="http://127.0.0.1")

    def attempt(name: str, password: str) -> int:
        token = csrf_of(client.get("/login").text)
        return client.post(
            "/login",
            data={"csrf": token, "name": name, "password": password},
            follow_redirects=False,
        ).status_code

    assert [attempt("field1", f"wrong {i}") for i in range(3)] == [401, 401, 401]
    assert len(calls) == 3
    refused = attempt("field1", PASSWORD)  # even the right password: the account is locked
    assert refused == 429 and len(calls) == 3
    # Another account from the same address: two more failures, then the address is locked.
    assert [attempt("viewer1", "nope"), attempt("viewer1", "nope again")] == [401, 401]
    assert attempt("coordinator1", PASSWORD) == 429
    assert len(calls) == 5


def test_an_unknown_account_costs_a_hash_too(demo_ws, monkeypatch) -> None:
    seen: list[object] = []
    real = accounts.check_password
    monkeypatch.setattr(accounts, "check_password", lambda d, p: seen.append(d) or real(d, p))
    client = TestClient(web_app(lambda: demo_ws), base_url="http://127.0.0.1")
    token = csrf_of(client.get("/login").text)
    response = client.post("/login", data={"csrf": token, "name": "nobody", "password": "x"})
    assert response.status_code == 401 and seen == [None]


def test_cookies_are_strict_and_secure_under_https(demo_ws) -> None:
    for https, base in ((False, "http://127.0.0.1"), (True, "https://127.0.0.1")):
        client = TestClient(web_app(lambda: demo_ws, https=https), base_url=base)
        page = client.get("/login")
        token = csrf_of(page.text)
        response = client.post(
            "/login",
            data={"csrf": token, "name": "field1", "password": PASSWORD},
            follow_redirects=False,
        )
        cookie = next(
            v
            for k, v in response.headers.multi_items()
            if k == "set-cookie" and v.startswith("fl_session=")
        )
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        assert ("Secure" in cookie) is https
        if https:
            assert "strict-transport-security" in response.headers


def test_headers_on_pages(client_for) -> None:
    client = client_for("coordinator")
    page = client.get("/")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    assert "<script>" not in page.text and " on" + "click=" not in page.text


def test_idle_sessions_lock(demo_ws) -> None:
    now = [1000.0]
    sessions = Sessions(idle_s=600, clock=lambda: now[0])
    client = log_in(
        TestClient(web_app(lambda: demo_ws, sessions=sessions), base_url="http://127.0.0.1"),
        "field1",
    )
    assert client.get("/", follow_redirects=False).status_code == 200
    now[0] += 599
    assert client.get("/", follow_redirects=False).status_code == 200
    now[0] += 601
    assert client.get("/", follow_redirects=False).status_code == 303


def test_logout_ends_the_session(client_for) -> None:
    client = client_for("field")
    csrf = csrf_of(client.get("/").text)
    assert client.post("/logout", data={"csrf": csrf}, follow_redirects=False).status_code == 303
    assert client.get("/", follow_redirects=False).status_code == 303


def test_language_switch_is_per_account(demo_ws, client_for) -> None:
    client = client_for("viewer")
    csrf = csrf_of(client.get("/").text)
    client.post("/language", data={"csrf": csrf, "lang": "my", "back": "/"})
    page = client.get("/")
    assert '<html lang="my">' in page.text
    assert accounts.get_user(demo_ws, "viewer1").lang == "my"
    client.post("/language", data={"csrf": csrf_of(page.text), "lang": "en", "back": "/"})
    assert accounts.get_user(demo_ws, "viewer1").lang == "en"


def test_access_log_names_the_web_account(demo_ws, client_for) -> None:
    client = client_for("coordinator")
    person = demo_ws.conn.execute("SELECT id FROM persons WHERE NOT _forgotten LIMIT 1").fetchone()
    client.get(f"/people/{person[0]}")
    actions = [
        a
        for (a,) in demo_ws.conn.execute(
            "SELECT action FROM access_log WHERE target = ?", (person[0],)
        )
    ]
    assert "view (web account coordinator1)" in actions


def test_a_busy_store_answers_503_and_applies_nothing(app, demo_ws, client_for, monkeypatch):
    monkeypatch.setattr("fieldledger.web.app.LOCK_WAIT_S", 0.2)
    client = client_for("field")
    csrf = csrf_of(client.get("/households/new").text)
    before = demo_ws.conn.execute("SELECT count(*) FROM households").fetchone()[0]
    lock = app.state.workspace_lock
    with lock:  # a sync, an import or a report holds the store
        page = client.get("/households")
        sent = client.post("/households/new", data={"csrf": csrf, "code": "BUSY-1",
                                                    "location_pcode": "MMR003001"})
    assert page.status_code == sent.status_code == 503
    assert "the workspace is busy: try again in a minute" in sent.text
    assert demo_ws.conn.execute("SELECT count(*) FROM households").fetchone()[0] == before
    assert client.get("/households").status_code == 200


def test_panic_is_for_admins_and_needs_the_word(demo_ws) -> None:
    fired: list[bool] = []
    app = web_app(lambda: demo_ws, on_panic=lambda: fired.append(True))
    coordinator = log_in(TestClient(app, base_url="http://127.0.0.1"), "coordinator1")
    csrf = csrf_of(coordinator.get("/").text)
    assert coordinator.post("/panic", data={"csrf": csrf, "confirm": "destroy"}).status_code == 403
    admin = log_in(TestClient(app, base_url="http://127.0.0.1"), "admin1")
    csrf = csrf_of(admin.get("/panic").text)
    assert admin.post("/panic", data={"csrf": csrf, "confirm": "yes"}).status_code == 200
    assert not fired
    done = admin.post("/panic", data={"csrf": csrf, "confirm": "destroy"})
    assert done.status_code == 200 and fired == [True]
    # Every session ended with the keys.
    assert admin.get("/", follow_redirects=False).status_code == 303


JARGON = ("epoch", "conflict", "bundle", "zawgyi", "ဇော်ဂျီ")
BUDGET = 60 * 1024  # bytes a page may weigh, its style sheet and scripts included


def static_weight(client: TestClient, html: str) -> int:
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    return sum(len(client.get(a).content) for a in set(assets))


@pytest.mark.parametrize("role", ["field", "coordinator"])
def test_pages_are_light_and_field_pages_speak_plainly(app, client_for, role: str) -> None:
    client = client_for(role)
    csrf = csrf_of(client.get("/").text)
    for lang in ("en", "my"):
        client.post("/language", data={"csrf": csrf, "lang": lang, "back": "/"})
        for route in page_routes(app):
            if role not in route.roles or "GET" not in route.methods or "{" in route.path:
                continue
            if route.path == "/panic":
                continue
            page = client.get(route.path)
            assert page.status_code == 200, route.path
            weight = len(page.content) + static_weight(client, page.text)
            assert weight <= BUDGET, (route.path, weight)
            if role == "field":
                said = page.text.lower()
                assert not [w for w in JARGON if w in said], (lang, route.path)
        csrf = csrf_of(page.text)
