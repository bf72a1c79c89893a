"""The web UI in a real browser: Debian's Chromium driven by Playwright, against a real
uvicorn server on loopback serving a demo workspace.

Screenshots at 360 px and 1280 px wide go to `test-artifacts/screens/` (or
$FIELDLEDGER_ARTIFACTS); docs/user-guide.md shows some of them. axe-core checks each page
visited for serious or critical accessibility violations.
"""

from __future__ import annotations

import io
import os
import re
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from fieldledger.web.app import web_app

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(os.environ.get("FIELDLEDGER_ARTIFACTS", "test-artifacts")) / "screens"
PASSWORD = "correct horse battery staple"

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is installed by scripts/setup"
)


@pytest.fixture(scope="module")
def server(demo_ws) -> Iterator[str]:
    import uvicorn

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = uvicorn.Config(
        web_app(lambda: demo_ws),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, server):
    """A 360 px wide phone, not logged in."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, base_url=server, device_scale_factor=1
    )
    page = context.new_page()
    yield page
    context.close()


def log_in(page, name: str) -> None:
    page.goto("/login")
    page.get_by_label("Account name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")


def shoot(page, name: str) -> None:
    """The page at 360 px (as it is) and at 1280 px."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.screenshot(path=str(ARTIFACTS / f"{name}-360.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.screenshot(path=str(ARTIFACTS / f"{name}-1280.png"), full_page=True)
    page.set_viewport_size(size)


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])} nodes)"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def fits(page) -> bool:
    """Nothing wider than the screen (no sideways scrolling of the whole page)."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_log_in_look_around_and_switch_language(phone) -> None:
    phone.goto("/households")
    assert "/login" in phone.url  # no session: to the login page
    assert serious_violations(phone) == []
    shoot(phone, "login")
    log_in(phone, "field1")
    assert phone.get_by_role("heading", name="This month").is_visible()
    assert fits(phone)
    assert serious_violations(phone) == []
    shoot(phone, "home")
    phone.get_by_role("button", name="မြန်မာ").click()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "my"
    shoot(phone, "home-my")
    phone.get_by_role("button", name="English").click()
    phone.wait_for_load_state()
    assert phone.locator("html").get_attribute("lang") == "en"


def test_a_field_account_cannot_open_finance(phone) -> None:
    log_in(phone, "field1")
    assert phone.get_by_role("link", name="Grants").count() == 0
    response = phone.goto("/grants")
    assert response is not None and response.status == 403
    assert "role cannot open" in phone.content()


def test_touch_targets_are_big_enough(phone) -> None:
    log_in(phone, "coordinator1")
    small = phone.evaluate(
        """() => [...document.querySelectorAll('a, button, input, select, textarea')]
            .filter(e => e.offsetParent !== null && e.type !== 'hidden')
            .map(e => [e.outerHTML.slice(0, 60), e.getBoundingClientRect().height])
            .filter(([, h]) => h < 44)"""
    )
    # Checkboxes are 24 px but their whole label is the target.
    assert [s for s in small if "checkbox" not in s[0]] == []


def first(demo_ws, sql: str) -> str:
    return demo_ws.conn.execute(sql).fetchone()[0]


def checked(page, name: str) -> None:
    """Every page of a flow: fits a phone, no serious accessibility problem, screenshots."""
    assert fits(page), page.url
    assert serious_violations(page) == [], page.url
    shoot(page, name)


def test_register_a_household_then_a_round(phone, demo_ws) -> None:
    log_in(phone, "field1")
    phone.get_by_role("link", name="Households").first.click()
    phone.get_by_role("link", name="Register a household").click()
    phone.get_by_label("Code *", exact=True).fill("HH-BROWSER-1")
    phone.get_by_label("Place (P-code or name)").fill("MMR003001")
    phone.get_by_label("Displacement status").select_option("idp")
    phone.get_by_label("People in the household").fill("5")
    checked(phone, "household-new")
    phone.get_by_role("button", name="Save").click()
    phone.wait_for_load_state()
    assert phone.get_by_role("status").inner_text().startswith("Saved.")
    checked(phone, "household")
    codes = [
        c
        for (c,) in demo_ws.conn.execute(
            "SELECT code FROM households WHERE code != 'HH-BROWSER-1' ORDER BY code LIMIT 2"
        )
    ]
    before = demo_ws.conn.execute("SELECT count(*) FROM distributions").fetchone()[0]
    phone.goto("/distributions/round")
    phone.get_by_label("Date").fill("2026-11-20")
    phone.get_by_label("Household codes").fill("\n".join([*codes, "HH-BROWSER-1"]))
    checked(phone, "round")
    phone.get_by_role("button", name="Save the round").click()
    phone.wait_for_load_state()
    after = demo_ws.conn.execute("SELECT count(*) FROM distributions").fetchone()[0]
    assert after == before + 3
    checked(phone, "round-saved")


def test_upload_evidence_to_an_incident(phone, demo_ws) -> None:
    from PIL import Image

    incident = first(demo_ws, "SELECT id FROM incidents ORDER BY id LIMIT 1")
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (120, 80, 40)).save(buffer, "JPEG")
    log_in(phone, "documenter1")
    phone.goto(f"/incidents/{incident}")
    phone.get_by_label("Photo, video, recording or document").set_input_files(
        {"name": "photo.jpg", "mimeType": "image/jpeg", "buffer": buffer.getvalue()}
    )
    phone.get_by_label("Witness (pseudonym, never a real name)").fill("W-7")
    phone.get_by_role("button", name="Add evidence").click()
    phone.wait_for_load_state()
    rows = demo_ws.conn.execute(
        "SELECT count(*) FROM evidence WHERE incident_id = ?", (incident,)
    ).fetchone()[0]
    assert rows >= 1
    assert "Added" in phone.content()
    checked(phone, "incident-evidence")


def test_preview_then_download_a_5w(phone) -> None:
    log_in(phone, "coordinator1")
    phone.goto("/reports/5w")
    checked(phone, "report-5w")
    phone.get_by_role("button", name="Preview").click()
    phone.wait_for_load_state()
    checked(phone, "report-5w-preview")
    with phone.expect_download() as info:
        phone.get_by_role("button", name=re.compile("^Download")).click()
    data = Path(info.value.path()).read_bytes()
    assert data[:2] == b"PK"  # an XLSX workbook
    assert info.value.suggested_filename.endswith(".xlsx")
