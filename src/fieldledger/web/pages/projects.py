"""Screens: community projects, their activities, and trainings, with participants counted.

`/projects`, `/activities` and `/trainings` are the generic record screens (web/records.py).
Four of them are served by handlers of this module instead, with templates that extend the
generic ones:

- the projects list links to the trainings and to every activity;
- a project's page lists its activities and trainings with the people who took part, and
  the total over them; "Add an activity" opens the activity form with the project filled in;
- an activity's and a training's page show their counts as a grid (sex by age group);
- the trainings list shows the topic, the dates and the total of participants.

Participants are counted, never listed (docs/records.md): nothing here names anyone.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec
from starlette.responses import Response

from fieldledger.i18n import N_
from fieldledger.records.participants import AGE_GROUPS, SEXES, Participants
from fieldledger.views.query import page
from fieldledger.web.app import Ctx, Handler, PageSet
from fieldledger.web.records import (
    PAGE_SIZE,
    RecordScreens,
    list_values,
    record_pages,
    show_values,
)

pages = PageSet()

PROJECTS = RecordScreens(
    "project",
    "/projects",
    N_("Projects"),
    listed=("name", "sector", "location_pcode", "start_date", "status"),
    search="name",
    order="start_date",
    descending=True,
)
ACTIVITIES = RecordScreens(
    "activity",
    "/activities",
    N_("Activities"),
    listed=("date", "kind", "project_id", "location_pcode"),
    order="date",
    descending=True,
)
TRAININGS = RecordScreens(
    "training",
    "/trainings",
    N_("Trainings"),
    listed=("topic", "start_date", "end_date", "location_pcode"),
    order="start_date",
    descending=True,
)
# The most activities a project's page lists (the newest); its totals count them all.
SHOWN_ON_PROJECT = 50


# -- participants --------------------------------------------------------------------------


def participants_of(value: Any) -> Participants:
    """Counts as stored: a dict from `Workspace.get`, JSON text from a view's row, or None."""
    if isinstance(value, str):
        value = json.loads(value) if value else {}
    try:
        return msgspec.convert(value or {}, Participants)
    except (msgspec.ValidationError, TypeError):
        return Participants()


def summed(counts: list[Participants]) -> Participants:
    """Cell by cell, the sum of several counts."""
    names = Participants.__struct_fields__
    return Participants(**{n: sum(getattr(c, n) for c in counts) for n in names})


def grid(p: Participants) -> dict[str, Any]:
    """What the counts grid of projects_macros.j2 shows."""
    return {
        "rows": [(sex, [p.cell(sex, a) for a in AGE_GROUPS], p.by_sex()[sex]) for sex in SEXES],
        "by_age": [p.by_age()[a] for a in AGE_GROUPS],
        "unknown": p.unknown,
        "total": p.total(),
        "disability": p.with_disability(),
        "disability_by_sex": [getattr(p, f"with_disability_{s}") for s in SEXES],
    }


# -- serving a generic screen with this module's own handler --------------------------------


def _list_values(ctx: Ctx, screens: RecordScreens) -> dict[str, Any]:
    """What records_list.html.j2 needs, as the generic list gives it."""
    return list_values(ctx, screens)


def _show_values(ctx: Ctx, screens: RecordScreens, rid: str) -> dict[str, Any]:
    """What records_show.html.j2 needs, as the generic record page gives it; the counts
    are left out of its field list (the page shows them as a grid)."""
    values = show_values(ctx, screens, rid)
    values["fields"] = [f for f in values["fields"] if "." not in f.name]
    return values


# -- the screens -----------------------------------------------------------------------------

record_pages(pages, PROJECTS)
record_pages(pages, ACTIVITIES)
record_pages(pages, TRAININGS)


def projects_list(ctx: Ctx) -> Response:
    return ctx.render("projects_list.html.j2", **_list_values(ctx, PROJECTS))


def project_show(ctx: Ctx) -> Response:
    rid = ctx.param("rid")
    values = _show_values(ctx, PROJECTS, rid)
    conn = ctx.ws.conn
    every = [
        participants_of(raw)
        for (raw,) in conn.execute(
            "SELECT participants FROM activities WHERE project_id = ? AND NOT _forgotten", (rid,)
        )
    ]
    activities = page(
        ctx.ws,
        "activity",
        where={"project_id": rid},
        order="date",
        descending=True,
        limit=SHOWN_ON_PROJECT,
    )
    trainings = page(
        ctx.ws, "training", where={"project_id": rid}, order="start_date", limit=PAGE_SIZE
    )
    training_counts = [participants_of(t["participants"]) for t in trainings.rows]
    return ctx.render(
        "projects_show.html.j2",
        **values,
        activities=[(a, participants_of(a["participants"]).total()) for a in activities.rows],
        activities_total=activities.total,
        activity_counts=grid(summed(every)),
        trainings=[(t, c.total()) for t, c in zip(trainings.rows, training_counts, strict=True)],
        training_counts=grid(summed(training_counts)),
        all_counts=grid(summed(every + training_counts)),
    )


def _counted_show(screens: RecordScreens, template: str) -> Handler:
    def show(ctx: Ctx) -> Response:
        values = _show_values(ctx, screens, ctx.param("rid"))
        record = values["record"]
        project = None
        if record.get("project_id"):
            row = ctx.ws.conn.execute(
                "SELECT name FROM projects WHERE id = ? AND NOT _forgotten",
                (record["project_id"],),
            ).fetchone()
            project = row[0] if row else None
        return ctx.render(
            template,
            **values,
            counts=grid(participants_of(record.get("participants"))),
            project_name=project,
        )

    return show


def trainings_list(ctx: Ctx) -> Response:
    values = _list_values(ctx, TRAININGS)
    totals = [participants_of(r.get("participants")).total() for r in values["rows"]]
    return ctx.render(
        "projects_trainings_list.html.j2",
        **values,
        totals=totals,
    )


pages.serve_with("project_list", projects_list)
pages.serve_with("project_show", project_show)
pages.serve_with("activity_show", _counted_show(ACTIVITIES, "projects_counted.html.j2"))
pages.serve_with("training_show", _counted_show(TRAININGS, "projects_counted.html.j2"))
pages.serve_with("training_list", trainings_list)
