"""References between records as people know them: a household by the code on its card, a
project or a grant by its name, never an internal id; and nothing of a grant for roles that
do not hold finance."""

from __future__ import annotations

import re

from .conftest import csrf_of
from .test_households import register

# Internal ids (HH-7PKQJNHX, or a demo's HH-00E3A1F29B); a household's code is HH-000123.
HOUSEHOLD_ID = re.compile(r"\bHH-[0-9A-Z]{8,10}\b")
NEEDS = ("food", "shelter", "health", "protection", "livelihoods")
PROJECT_ID = re.compile(r"\bPR-[0-9A-Z]{8,10}\b")
GRANT_ID = re.compile(r"\bGR-[0-9A-Z]{8,10}\b")


def text_of(html: str) -> str:
    """What a reader sees: the page without its tags and attributes."""
    return re.sub(r"<[^>]*>", " ", html)


def people_of(demo_ws, hid: str) -> int:
    sql = "SELECT count(*) FROM persons WHERE household_id = ?"
    return demo_ws.conn.execute(sql, (hid,)).fetchone()[0]


def test_a_person_added_from_the_household_page_with_its_code(demo_ws, client_for) -> None:
    field = client_for("field")
    hid = register(field, "TST-F101")
    household = field.get(f"/households/{hid}").text
    assert f'href="/households/{hid}/people/new"' in household
    # The household page's own form: the household is given, not asked.
    page = field.get(f"/households/{hid}/people/new")
    assert "TST-F101" in page.text and 'name="household_id"' not in page.text
    done = field.post(
        f"/households/{hid}/people/new",
        data={"csrf": csrf_of(page.text), "sex": "male", "name": "U Kyaw Lin"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    # The people form: the household is typed as on its card, in any case, Burmese digits.
    form = field.get("/people/new")
    assert 'name="household_id" value=""' in form.text
    done = field.post(
        "/people/new",
        data={"csrf": csrf_of(form.text), "household_id": "tst-f၁၀၁", "sex": "female"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    pid = done.headers["location"].rsplit("/", 1)[1]
    assert demo_ws.get("person", pid)["household_id"] == hid
    assert people_of(demo_ws, hid) == 2
    # The person's page names the household by its code, linked to it.
    shown = field.get(f"/people/{pid}").text
    assert f'<a href="/households/{hid}">TST-F101</a>' in shown
    assert hid not in text_of(shown)
    # Its edit form shows the code, and saving it again keeps the household.
    edit = field.get(f"/people/{pid}/edit")
    assert 'name="household_id" value="TST-F101"' in edit.text
    done = field.post(
        f"/people/{pid}/edit",
        data={"csrf": csrf_of(edit.text), "household_id": "TST-F101", "sex": "female"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert demo_ws.get("person", pid)["household_id"] == hid
    # The people list shows codes, and finds a household's people by its code.
    listed = field.get("/people", params={"q": "tst-f101"})
    assert listed.text.count(f'<a href="/households/{hid}">TST-F101</a>') == 2
    assert not HOUSEHOLD_ID.search(text_of(listed.text))
    # The id itself is still taken (a link, a script).
    form = field.get("/people/new")
    done = field.post(
        "/people/new",
        data={"csrf": csrf_of(form.text), "household_id": hid, "sex": "male"},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    assert people_of(demo_ws, hid) == 3


def test_a_wrong_code_is_refused_in_one_line_and_nothing_saved(demo_ws, client_for) -> None:
    field = client_for("field")
    before = demo_ws.conn.execute("SELECT count(*) FROM persons").fetchone()[0]
    form = field.get("/people/new")
    refused = field.post(
        "/people/new",
        data={"csrf": csrf_of(form.text), "household_id": "HH-99999x", "sex": "female"},
        follow_redirects=False,
    )
    assert refused.status_code == 400
    errors = re.findall(r'<p class="error" role="alert">([^<]*)</p>', refused.text)
    assert errors == ["Household: No household has the code HH-99999x. Nothing was saved."]
    assert 'name="household_id" value="HH-99999x"' in refused.text  # kept to correct
    assert demo_ws.conn.execute("SELECT count(*) FROM persons").fetchone()[0] == before
    # The same in Burmese, for an assessment.
    field.post("/language", data={"csrf": csrf_of(form.text), "lang": "my", "back": "/"})
    form = field.get("/assessments/new")
    refused = field.post(
        "/assessments/new",
        data={
            "csrf": csrf_of(form.text),
            "household_id": "HH-၉၉၉၉၉၉",
            "date": "2026-02-03",
            "assessor_pseudonym": "A7",
            **{f"{s}_need": "2" for s in NEEDS},
        },
        follow_redirects=False,
    )
    assert refused.status_code == 400
    errors = re.findall(r'<p class="error" role="alert">([^<]*)</p>', refused.text)
    assert len(errors) == 1 and "HH-၉၉၉၉၉၉" in errors[0] and "No household" not in errors[0]
    field.post("/language", data={"csrf": csrf_of(form.text), "lang": "en", "back": "/"})


def test_the_assessment_form_from_a_household_page_shows_its_code(demo_ws, client_for) -> None:
    field = client_for("field")
    hid, code = demo_ws.conn.execute(
        "SELECT id, code FROM households WHERE code = 'HH-000002'"
    ).fetchone()
    link = f"/assessments/new?household_id={hid}"
    assert link in field.get(f"/households/{hid}").text
    form = field.get(link)
    assert f'name="household_id" value="{code}"' in form.text
    assert hid not in form.text


def test_the_distribution_list_shows_codes_not_ids(demo_ws, client_for) -> None:
    viewer = client_for("viewer")
    page = viewer.get("/distributions")
    assert page.status_code == 200
    seen = text_of(page.text)
    assert re.search(r"HH-\d{6}", seen)  # households by their codes
    assert not HOUSEHOLD_ID.search(seen)
    did, hid, code, pid, name = demo_ws.conn.execute(
        "SELECT d.id, h.id, h.code, p.id, p.name FROM distributions d"
        " JOIN households h ON h.id = d.household_id JOIN projects p ON p.id = d.project_id"
        " LIMIT 1"
    ).fetchone()
    shown = viewer.get(f"/distributions/{did}").text
    assert f'<a href="/households/{hid}">{code}</a>' in shown
    assert f'<a href="/projects/{pid}">{name}</a>' in shown
    assert hid not in text_of(shown) and pid not in text_of(shown)
    # Activities name their project, assessments their household.
    activities = text_of(viewer.get("/activities").text)
    assert not PROJECT_ID.search(activities) and "/projects/PR-" in viewer.get("/activities").text
    assessments = text_of(viewer.get("/assessments").text)
    assert not HOUSEHOLD_ID.search(assessments) and re.search(r"HH-\d{6}", assessments)


def test_projects_and_grants_are_chosen_by_name(demo_ws, client_for) -> None:
    coordinator = client_for("coordinator")
    page = coordinator.get("/distributions/round").text
    project = demo_ws.conn.execute("SELECT id, name FROM projects LIMIT 1").fetchone()
    grant = demo_ws.conn.execute(
        "SELECT id, donor_alias, period_start FROM grants LIMIT 1"
    ).fetchone()
    assert '<select id="f-project_id" name="project_id">' in page
    assert f'<option value="{project[0]}">{project[1]}</option>' in page
    assert f'<option value="{grant[0]}">{grant[1]} · {grant[2]} – ' in page
    spending = coordinator.get("/spending").text
    assert not GRANT_ID.search(text_of(spending)) and "/grants/GR-" in spending
    assert "Donor " in text_of(spending)


def test_a_viewer_or_field_worker_sees_no_grant(demo_ws, client_for) -> None:
    did, gid = demo_ws.conn.execute(
        "SELECT id, grant_id FROM distributions WHERE grant_id IS NOT NULL LIMIT 1"
    ).fetchone()
    aliases = [r[0] for r in demo_ws.conn.execute("SELECT donor_alias FROM grants")]
    for role in ("viewer", "field"):
        client = client_for(role)
        pages = [client.get(f"/distributions/{did}").text, client.get("/distributions").text]
        if role == "field":
            pages += [
                client.get("/distributions/round").text,
                client.get("/distributions/new").text,
                client.get(f"/distributions/{did}/edit").text,
            ]
        for html in pages:
            assert not [a for a in aliases if a in html], role
            assert gid not in html and 'name="grant_id"' not in html, role
    # A field worker's edit keeps the grant it cannot see.
    field = client_for("field")
    edit = field.get(f"/distributions/{did}/edit")
    values = dict(re.findall(r'<input [^>]*name="([a-z_.]+)"[^>]*? value="([^"]*)"', edit.text))
    selected = re.findall(
        r'name="([a-z_]+)"[^>]*>(?:\s*<option[^>]*>[^<]*</option>)*?\s*'
        r'<option value="([^"]*)" selected>',
        edit.text,
    )
    form = {**values, **dict(selected), "csrf": csrf_of(edit.text), "item": "soap"}
    done = field.post(f"/distributions/{did}/edit", data=form, follow_redirects=False)
    assert done.status_code == 303, done.text
    assert demo_ws.get("distribution", did)["grant_id"] == gid
