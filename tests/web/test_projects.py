"""Projects, activities and trainings: forms, participant totals, roles."""

from __future__ import annotations

import re

from fieldledger.web.app import holding, writing

from .conftest import csrf_of


def post_form(client, path: str, data: dict[str, str]):
    """Open the form at `path` and send `data` with its CSRF token."""
    token = csrf_of(client.get(path).text)
    return client.post(path, data={**data, "csrf": token}, follow_redirects=False)


def new_project(client, name: str = "Seed bank for Loikaw returnees") -> str:
    done = post_form(
        client,
        "/projects/new",
        {
            "name": name,
            "sector": "agriculture",
            "location_pcode": "MMR003001",
            "start_date": "2026-01-05",
            "status": "active",
        },
    )
    assert done.status_code == 303, done.text
    return done.headers["location"].rsplit("/", 1)[1]


def test_a_field_worker_adds_a_project_and_finds_it(client_for) -> None:
    client = client_for("field")
    pid = new_project(client)
    page = client.get(f"/projects/{pid}")
    assert page.status_code == 200
    assert "Seed bank for Loikaw returnees" in page.text
    listed = client.get("/projects", params={"q": "Seed bank"})
    assert f"/projects/{pid}" in listed.text
    assert len(page.content) < 60_000


def test_activities_are_added_from_the_project_and_counted(client_for) -> None:
    client = client_for("coordinator")
    pid = new_project(client, "Hand pumps in the camp")
    page = client.get(f"/projects/{pid}")
    assert f'href="/activities/new?project_id={pid}"' in page.text
    form = client.get(f"/activities/new?project_id={pid}")
    assert f'<option value="{pid}" selected>Hand pumps in the camp</option>' in form.text
    counts = [
        {
            "participants.female_18_59": "12",
            "participants.male_18_59": "7",
            "participants.with_disability_female": "2",
        },
        {
            "participants.female_6_17": "4",
            "participants.other_60_plus": "1",
            "participants.unknown": "3",
        },
    ]
    for n, extra in enumerate(counts):
        done = post_form(
            client,
            f"/activities/new?project_id={pid}",
            {
                "project_id": pid,
                "date": f"2026-02-0{n + 1}",
                "kind": "construction",
                "location_pcode": "MMR003001",
                **extra,
            },
        )
        assert done.status_code == 303, done.text
    page = client.get(f"/projects/{pid}")
    assert page.status_code == 200
    # 19 + 8 people over the two activities, 2 of them with a disability.
    assert '<p class="big">27</p>' in page.text
    assert "With a disability: <strong>2</strong>" in page.text
    assert page.text.count('href="/activities/AT-') == 2
    activity = client.get(done.headers["location"])
    assert activity.status_code == 200 and '<p class="big">8</p>' in activity.text
    assert f'href="/projects/{pid}"' in activity.text


def test_more_disabled_than_counted_is_refused_in_words(client_for) -> None:
    client = client_for("field")
    pid = new_project(client, "Disability check")
    refused = post_form(
        client,
        "/activities/new",
        {
            "project_id": pid,
            "date": "2026-02-01",
            "kind": "meeting",
            "location_pcode": "MMR003001",
            "participants.male_18_59": "1",
            "participants.with_disability_male": "3",
        },
    )
    assert refused.status_code == 400
    assert "more people with a disability than male participants counted" in refused.text


def test_trainings_list_topic_dates_and_total(client_for) -> None:
    client = client_for("field")
    done = post_form(
        client,
        "/trainings/new",
        {
            "topic": "federal_democracy",
            "title": "Federalism basics",
            "start_date": "2026-03-02",
            "end_date": "2026-03-04",
            "facilitator_pseudonym": "Facilitator Z",
            "location_pcode": "MMR003001",
            "participants.female_18_59": "9",
            "participants.male_18_59": "5",
            "participants.unknown": "1",
        },
    )
    assert done.status_code == 303, done.text
    tid = done.headers["location"].rsplit("/", 1)[1]
    listed = client.get("/trainings")
    row = re.search(rf'<tr>\s*<td><a href="/trainings/{tid}">(.*?)</tr>', listed.text, re.S)
    assert row, listed.text
    assert "Federal democracy" in row.group(1)
    assert "2026-03-02 – 2026-03-04" in row.group(1)
    assert '<td class="n">15</td>' in row.group(1)
    shown = client.get(f"/trainings/{tid}")
    assert '<p class="big">15</p>' in shown.text
    assert "Facilitator Z" in shown.text


def test_a_training_under_a_project_counts_on_its_page(client_for) -> None:
    client = client_for("coordinator")
    pid = new_project(client, "Rights school")
    form = client.get(f"/trainings/new?project_id={pid}")
    assert f'<option value="{pid}" selected>Rights school</option>' in form.text
    done = post_form(
        client,
        "/trainings/new",
        {
            "topic": "human_rights",
            "start_date": "2026-04-01",
            "facilitator_pseudonym": "Facilitator Q",
            "location_pcode": "MMR003001",
            "participants.female_18_59": "6",
            "project_id": pid,
        },
    )
    assert done.status_code == 303, done.text
    page = client.get(f"/projects/{pid}")
    assert '<p class="big">6</p>' in page.text
    assert "Human rights" in page.text


def test_readers_read_and_only_writers_write(client_for) -> None:
    assert holding("programme") >= {"viewer", "finance", "documenter", "field"}
    assert "viewer" not in writing("programme")
    viewer = client_for("viewer")
    assert viewer.get("/projects").status_code == 200
    assert viewer.get("/trainings").status_code == 200
    for path in ("/projects/new", "/activities/new", "/trainings/new"):
        assert viewer.get(path).status_code == 403
    finance = client_for("finance")
    assert finance.get("/projects").status_code == 200
    assert finance.get("/projects/new").status_code == 403
