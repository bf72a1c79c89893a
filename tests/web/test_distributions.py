"""Distributions through the web UI: the list, and a round recorded for many households at
once, all or nothing."""

from __future__ import annotations

from starlette.testclient import TestClient

from .conftest import csrf_of

MAX_PAGE = 60 * 1024
INTERNAL = ("epoch", "conflict", "bundle", "zawgyi")


def count(demo_ws) -> int:
    return demo_ws.conn.execute("SELECT count(*) FROM distributions").fetchone()[0]


def households(demo_ws, codes: list[str]) -> dict[str, str]:
    marks = ", ".join("?" * len(codes))
    rows = demo_ws.conn.execute(
        f"SELECT code, id FROM households WHERE code IN ({marks})", codes
    ).fetchall()
    return dict(rows)


def send_round(client: TestClient, codes: str, **fields: str):
    page = client.get("/distributions/round")
    assert page.status_code == 200
    form = {
        "csrf": csrf_of(page.text),
        "date": "2026-03-14",
        "modality": "in_kind_food",
        "item": "rice",
        "quantity": "25",
        "unit": "kg",
        "codes": codes,
        **fields,
    }
    return client.post("/distributions/round", data=form, follow_redirects=False)


def test_a_round_for_three_households_makes_three_distributions(demo_ws, client_for) -> None:
    field = client_for("field")
    codes = ["HH-000003", "HH-000004", "HH-000005"]
    ids = households(demo_ws, codes)
    before = count(demo_ws)
    # Typed as people type: another case, a comma, a card scanned twice, Burmese digits.
    response = send_round(field, "hh-000003\nHH-000004, HH-000003\nHH-၀၀၀၀၀၅\n")
    assert response.status_code == 303, response.text
    assert count(demo_ws) == before + 3
    made = demo_ws.conn.execute(
        "SELECT household_id, item, quantity, unit, location_pcode FROM distributions"
        " WHERE date = '2026-03-14' AND item = 'rice' AND quantity = 25"
    ).fetchall()
    assert sorted(r[0] for r in made) == sorted(ids.values())
    # No place was written: each distribution is at its household's place.
    for hid, *_, place in made:
        home = demo_ws.conn.execute("SELECT location_pcode FROM households WHERE id = ?", (hid,))
        assert place == home.fetchone()[0]
    after = field.get(response.headers["location"])
    assert "Saved: 3 distributions" in after.text
    household = field.get(f"/households/{ids['HH-000004']}").text
    assert "2026-03-14" in household and "rice" in household


def test_a_round_with_an_unknown_code_saves_nothing(demo_ws, client_for) -> None:
    field = client_for("field")
    before = count(demo_ws)
    response = send_round(field, "HH-000006\nHH-NOPE-77\nHH-000007", item="soap")
    assert response.status_code == 400
    assert "HH-NOPE-77" in response.text and "Nothing was saved" in response.text
    assert count(demo_ws) == before
    # What was written stays in the form, to correct and send again.
    assert "HH-000006\nHH-NOPE-77" in response.text and 'value="soap"' in response.text
    two = send_round(field, "HH-000006, XX-1, XX-2")
    assert two.status_code == 400 and "XX-1, XX-2" in two.text
    assert count(demo_ws) == before


def test_a_round_with_a_wrong_field_saves_nothing(demo_ws, client_for) -> None:
    coordinator = client_for("coordinator")
    before = count(demo_ws)
    # Cash needs a value: refused before any household is written.
    cash = send_round(coordinator, "HH-000008\nHH-000009", modality="cash")
    assert cash.status_code == 400
    assert "value" in cash.text and "Nothing was saved" in cash.text
    assert count(demo_ws) == before
    place = send_round(coordinator, "HH-000008\nHH-000009", location_pcode="Nowhere-on-earth")
    assert place.status_code == 400 and "Nothing was saved" in place.text
    project = send_round(coordinator, "HH-000008\nHH-000009", project_id="PR-NOTHING")
    assert project.status_code == 400 and "PR-NOTHING" in project.text
    assert count(demo_ws) == before
    empty = send_round(coordinator, " \n ,")
    assert empty.status_code == 400 and "at least one household code" in empty.text
    assert count(demo_ws) == before


def test_a_round_with_a_written_place_and_cash(demo_ws, client_for) -> None:
    coordinator = client_for("coordinator")
    before = count(demo_ws)
    response = send_round(
        coordinator,
        "HH-000010 HH-000011",  # two codes on one line, with a space between
        modality="cash",
        item="",
        quantity="",
        unit="",
        value="၅၀၀၀၀",
        currency="MMK",
        location_pcode="MMR003001",
        date="2026-03-15",
    )
    assert response.status_code == 303, response.text
    assert count(demo_ws) == before + 2
    rows = demo_ws.conn.execute(
        "SELECT value, currency, location_pcode FROM distributions WHERE date = '2026-03-15'"
        " AND modality = 'cash' AND location_pcode = 'MMR003001'"
    ).fetchall()
    assert rows == [(50000.0, "MMK", "MMR003001")] * 2


def test_the_list_is_newest_first(demo_ws, client_for) -> None:
    viewer = client_for("viewer")
    page = viewer.get("/distributions")
    assert page.status_code == 200 and len(page.content) < MAX_PAGE
    newest = demo_ws.conn.execute("SELECT max(date) FROM distributions").fetchone()[0]
    dates = [
        line.split(">")[-1] for line in page.text.split("</a></td>") if "/distributions/DI-" in line
    ]
    assert dates and dates[0] == newest and dates == sorted(dates, reverse=True)
    assert "HH-0000" in page.text  # households by their codes
    assert "/distributions/round" not in page.text  # a viewer records nothing
    month = viewer.get("/distributions", params={"q": newest[:7]})
    assert newest in month.text
    assert viewer.get("/distributions/round").status_code == 403


def test_round_page_is_small_and_plain(client_for) -> None:
    for lang in ("my", "en"):
        field = client_for("field")
        csrf = csrf_of(field.get("/").text)
        field.post("/language", data={"csrf": csrf, "lang": lang, "back": "/"})
        page = field.get("/distributions/round")
        assert page.status_code == 200 and len(page.content) < MAX_PAGE
        text = page.text.lower()
        assert not [w for w in INTERNAL if w in text]
        assert '<script src="/static/scan.js" defer></script>' in page.text
        assert "<script>" not in page.text and "style=" not in page.text
        assert 'name="codes"' in page.text
        assert not [w for w in INTERNAL if w in field.get("/distributions").text.lower()]
    scan = field.get("/static/scan.js")
    assert scan.status_code == 200 and "BarcodeDetector" in scan.text


def test_generic_distribution_from_the_household_page(demo_ws, client_for) -> None:
    field = client_for("field")
    hid = households(demo_ws, ["HH-000012"])["HH-000012"]
    link = f"/distributions/new?household_id={hid}"
    assert link in field.get(f"/households/{hid}").text
    page = field.get(link)
    form = {
        "csrf": csrf_of(page.text),
        "household_id": hid,
        "modality": "hygiene",
        "date": "2026-03-16",
        "location_pcode": "MMR003001",
    }
    response = field.post("/distributions/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert field.get(response.headers["location"]).status_code == 200


def test_a_failure_midway_undoes_the_whole_round(demo_ws) -> None:
    """The households' own places are checked by each add: the second one failing takes
    the first one's distribution back with it (one transaction)."""
    from types import SimpleNamespace

    from fieldledger.sync.roles import ROLES
    from fieldledger.web.pages.distributions import record_round

    ids = households(demo_ws, ["HH-000013", "HH-000014"])
    ctx = SimpleNamespace(ws=demo_ws, compartments=ROLES["field"])
    shared = {"date": "2026-03-17", "modality": "nfi", "item": "blanket"}
    before = count(demo_ws)
    made, error = record_round(
        ctx,
        shared,
        [(ids["HH-000013"], "HH-000013", "MMR003001"), (ids["HH-000014"], "HH-000014", "MMR999")],
    )
    assert made == [] and "HH-000014" in error
    assert count(demo_ws) == before
    made, error = record_round(
        ctx,
        shared,
        [(ids["HH-000013"], "HH-000013", "MMR003001"), (ids["HH-000014"], "HH-000014", "MMR003")],
    )
    assert error == "" and len(made) == 2 and count(demo_ws) == before + 2
