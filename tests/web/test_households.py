"""Households, their people, assessments and cards, through the web UI per role."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from .conftest import csrf_of

PLACE = "MMR003001"  # Hpa-An township
MAX_PAGE = 60 * 1024


def register(client: TestClient, code: str, size: int = 3) -> str:
    """A new household through its form; its id."""
    csrf = csrf_of(client.get("/households/new").text)
    form = {
        "csrf": csrf,
        "code": code,
        "location_pcode": PLACE,
        "displacement_status": "idp",
        "size": str(size),
    }
    response = client.post("/households/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    match = re.fullmatch(r"/households/(HH-[0-9A-Z]+)", response.headers["location"])
    assert match, response.headers["location"]
    return match.group(1)


def add_person(client: TestClient, hid: str, name: str, **extra: str) -> str:
    """A member through the household's person form; its id."""
    page = client.get(f"/households/{hid}/people/new")
    assert page.status_code == 200
    assert 'name="household_id"' not in page.text  # preset, not asked
    form = {"csrf": csrf_of(page.text), "sex": "female", "name": name, **extra}
    response = client.post(f"/households/{hid}/people/new", data=form, follow_redirects=False)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/households/{hid}"
    show = client.get(f"/households/{hid}")
    found = re.search(r'href="/people/(PE-[0-9A-Z]+)">' + re.escape(name) + "<", show.text)
    assert found, show.text
    return found.group(1)


def test_register_a_household_and_a_person_then_find_them(demo_ws, client_for) -> None:
    field = client_for("field")
    hid = register(field, "TST-0101", size=2)
    pid = add_person(field, hid, "Daw Thuzar Hlaing", relationship="head", birth_year="1984")
    assert demo_ws.get("person", pid)["household_id"] == hid

    page = field.get(f"/households/{hid}")
    assert page.status_code == 200 and len(page.content) < MAX_PAGE
    assert "TST-0101" in page.text and "Hpa-An" in page.text
    assert f"/households/{hid}/people/new" in page.text

    by_code = field.get("/households", params={"q": "tst-01"})  # a prefix, any case
    assert f"/households/{hid}" in by_code.text
    assert len(by_code.content) < MAX_PAGE
    assert "HH-000001" not in by_code.text  # only the codes that start so
    assert f"/households/{hid}" not in field.get("/households", params={"q": "TST-9"}).text

    def name_lists() -> int:
        sql = "SELECT count(*) FROM access_log WHERE target = 'person' AND action LIKE 'list%'"
        return demo_ws.conn.execute(sql).fetchone()[0]

    lists = name_lists()
    field.get("/households", params={"q": "TST"})
    assert name_lists() == lists  # a search by code opens no name
    by_name = field.get("/households", params={"name": "thuzar"})
    assert name_lists() == lists + 1  # a search by name is in the access log
    assert f"/households/{hid}" in by_name.text and "Daw Thuzar Hlaing" in by_name.text
    both = field.get("/households", params={"name": "thuzar", "q": "HH-"})
    assert f"/households/{hid}" not in both.text  # code and name must both match
    assert "No household found." in field.get("/households", params={"name": "zzqx"}).text


def test_a_taken_code_is_refused(demo_ws, client_for) -> None:
    coordinator = client_for("coordinator")
    before = len(demo_ws.list("household"))
    csrf = csrf_of(coordinator.get("/households/new").text)
    form = {
        "csrf": csrf,
        "code": "hh-000001",  # the demo's first household, another case
        "location_pcode": PLACE,
        "displacement_status": "idp",
        "size": "2",
    }
    response = coordinator.post("/households/new", data=form)
    assert response.status_code == 400
    assert "already has the code hh-000001" in response.text
    assert len(demo_ws.list("household")) == before


def test_an_edit_cannot_take_another_households_code(demo_ws, client_for) -> None:
    coordinator = client_for("coordinator")
    first, second = demo_ws.conn.execute(
        "SELECT id, code FROM households WHERE NOT _forgotten ORDER BY code LIMIT 2"
    ).fetchall()
    page = coordinator.get(f"/households/{second[0]}/edit").text
    form = dict(re.findall(r'<input id="f-[^"]*" name="([^"]+)"[^>]*? value="([^"]*)"', page))
    form.update({name: "on" for name in re.findall(r'name="([^"]+)" checked', page)})
    form.update(csrf=csrf_of(page), code=first[1].lower())
    for select in re.findall(r'<select id="f-[^"]*" name="([^"]+)"', page):
        chosen = re.search(rf'name="{select}".*?<option value="([^"]*)" selected', page, re.S)
        form[select] = chosen.group(1) if chosen else ""
    refused = coordinator.post(f"/households/{second[0]}/edit", data=form)
    assert refused.status_code == 400
    assert f"already has the code {first[1].lower()}" in refused.text
    assert demo_ws.get("household", second[0])["code"] == second[1]
    form["code"] = second[1].lower()  # its own code, in another case: no other household's
    kept = coordinator.post(f"/households/{second[0]}/edit", data=form, follow_redirects=False)
    assert kept.status_code == 303, re.findall(r"role=\"alert\">([^<]*)", kept.text)


def test_a_viewer_sees_households_without_names(demo_ws, client_for) -> None:
    field = client_for("field")
    hid = register(field, "TST-0202")
    add_person(field, hid, "U Zaw Win Naing")

    for role in ("viewer", "documenter", "finance"):
        client = client_for(role)
        listing = client.get("/households", params={"name": "Zaw Win"})
        assert listing.status_code == 200
        assert 'name="name"' not in listing.text  # no name search offered
        assert "Zaw Win Naing" not in listing.text
        page = client.get(f"/households/{hid}")
        assert page.status_code == 200 and "TST-0202" in page.text
        assert "Zaw Win Naing" not in page.text and "/people/" not in page.text
        assert client.get("/people", follow_redirects=False).status_code == 403
        assert client.get(f"/households/{hid}/people/new").status_code == 403
    # Nor does any name of the demo's people reach a viewer's household page.
    names = [p["name"] for p in demo_ws.list("person", reveal=True) if p.get("name")]
    demo_hid = demo_ws.conn.execute("SELECT id FROM households WHERE code = 'HH-000001'")
    page = client_for("viewer").get(f"/households/{demo_hid.fetchone()[0]}").text
    assert not [n for n in names if n in page]


def test_assessment_from_the_household_page(demo_ws, client_for) -> None:
    field = client_for("field")
    hid = register(field, "TST-0303")
    page = field.get(f"/households/{hid}").text
    assert f"/assessments/new?household_id={hid}" in page
    form_page = field.get(f"/assessments/new?household_id={hid}")
    assert 'name="household_id" value="TST-0303"' in form_page.text  # its code, not its id
    form = {
        "csrf": csrf_of(form_page.text),
        "household_id": hid,
        "date": "2026-02-03",
        "assessor_pseudonym": "A7",
        **{f"{s}_need": "2" for s in ("food", "shelter", "health", "protection", "livelihoods")},
    }
    done = field.post("/assessments/new", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    rows = demo_ws.conn.execute("SELECT date FROM assessments WHERE household_id = ?", (hid,))
    assert [r[0] for r in rows] == ["2026-02-03"]
    assert "2026-02-03" in field.get(f"/households/{hid}").text
    assert client_for("viewer").get("/assessments").status_code == 200


def test_cards_carry_codes_and_no_names(demo_ws, client_for) -> None:
    field = client_for("field")
    hid = register(field, "TST-0404")
    add_person(field, hid, "Naw Paw Htoo")
    demo = [r[0] for r in demo_ws.conn.execute("SELECT id FROM households LIMIT 3")]
    page = field.get("/households/cards", params={"ids": ",".join([hid, *demo])})
    assert page.status_code == 200 and len(page.content) < MAX_PAGE
    assert page.text.count("<svg") == 4
    assert "TST-0404" in page.text and "ဘားအံ / Hpa-An" in page.text
    names = [p["name"] for p in demo_ws.list("person", reveal=True) if p.get("name")]
    assert "Naw Paw Htoo" in names
    assert not [n for n in names if n in page.text]
    assert "<script>" not in page.text and "style=" not in page.text  # CSP: none inline
    # Ticked on the list page: ids=...&ids=...
    listing = field.get("/households")
    assert 'action="/households/cards"' in listing.text and 'name="ids"' in listing.text
    two = field.get(f"/households/cards?ids={demo[0]}&ids={demo[1]}")
    assert two.text.count("<svg") == 2
    # None ticked: back to the list, with a word on what to do.
    assert field.get("/households/cards", follow_redirects=False).status_code == 303
    assert client_for("viewer").get("/households/cards", params={"ids": hid}).status_code == 403


def test_forget_a_person(demo_ws, client_for) -> None:
    field = client_for("field")
    hid = register(field, "TST-0505")
    pid = add_person(field, hid, "Ma Khin Sandar Oo")
    kept = add_person(field, hid, "Ko Aung Thiha Tun")
    person = field.get(f"/people/{pid}")
    assert "Ma Khin Sandar Oo" in person.text and f"/people/{pid}/forget" in person.text

    # Without the word, nothing happens.
    refused = field.post(
        f"/people/{pid}/forget", data={"csrf": csrf_of(person.text), "confirm": "yes"}
    )
    assert "Ma Khin Sandar Oo" in field.get(f"/households/{hid}").text
    assert refused.status_code == 200
    done = field.post(
        f"/people/{pid}/forget",
        data={"csrf": csrf_of(person.text), "confirm": "forget"},
        follow_redirects=False,
    )
    assert done.status_code == 303

    page = field.get(f"/households/{hid}").text
    assert "Ma Khin Sandar Oo" not in page and "Ko Aung Thiha Tun" in page
    assert f"/people/{kept}" in page
    assert "Ma Khin Sandar Oo" not in field.get("/households", params={"name": "Sandar"}).text
    assert field.get(f"/people/{pid}").status_code == 404
    assert not [
        p for p in demo_ws.list("person", reveal=True) if p.get("name") == "Ma Khin Sandar Oo"
    ]
    # A viewer may not forget anyone.
    viewer = client_for("viewer")
    csrf = csrf_of(viewer.get("/").text)
    assert (
        viewer.post(f"/people/{kept}/forget", data={"csrf": csrf, "confirm": "forget"}).status_code
        == 403
    )


def test_household_pages_say_no_internal_words_in_either_language(client_for) -> None:
    field = client_for("field")
    hid = register(field, "TST-0606")
    add_person(field, hid, "Daw Mya Mya")
    paths = ("/households", f"/households/{hid}", "/households/new", "/assessments")
    try:
        for lang in ("my", "en"):
            csrf = csrf_of(field.get("/").text)
            field.post("/language", data={"csrf": csrf, "lang": lang, "back": "/"})
            for path in (*paths, f"/households/{hid}/people/new"):
                page = field.get(path)
                assert page.status_code == 200, (lang, path)
                assert f'<html lang="{lang}">' in page.text
                text = page.text.lower()
                for word in ("epoch", "conflict", "bundle", "zawgyi"):
                    assert word not in text, (lang, path, word)
    finally:
        csrf = csrf_of(field.get("/").text)
        field.post("/language", data={"csrf": csrf, "lang": "en", "back": "/"})
