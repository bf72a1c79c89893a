"""Community projects with their activities, and trainings on rights and federalism.

People taking part are counted by sex, age group and disability, never listed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fieldledger.demo.context import Context, add_months
from fieldledger.places import Place

# sector -> (project names, activity kinds)
_SECTORS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "agriculture": (
        ("Rice seed and tools for returnees", "Upland rice seed bank", "Paddy recovery"),
        ("input_distribution", "planting", "harvest", "training_session", "monitoring_visit"),
    ),
    "home_gardening": (
        ("Home gardens for displaced families", "Camp kitchen gardens"),
        ("training_session", "input_distribution", "planting", "harvest"),
    ),
    "vocational": (
        ("Motorbike repair course", "Tailoring course for young women", "Solar installer course"),
        ("training_session", "monitoring_visit", "meeting"),
    ),
    "infrastructure": (
        ("Gravity-fed water line", "Footbridge repair", "Latrines for the camp"),
        ("meeting", "construction", "maintenance", "monitoring_visit"),
    ),
    "community_health": (
        ("Village health volunteers", "Mobile clinic and referrals"),
        ("health_session", "awareness_session", "training_session"),
    ),
}
_TRAININGS = {
    "human_rights": ("Human rights documentation basics", "Rights of displaced people"),
    "federal_democracy": ("Federal democracy and local governance", "Constitution dialogue"),
    "womens_participation": ("Women in community leadership", "Women's voices in peace talks"),
    "youth_leadership": ("Youth leadership camp", "Young organisers' workshop"),
}
_FACILITATORS = ("Facilitator K", "Facilitator M", "Trainer 2", "Trainer 5", "Dawn", "Hornbill")


def projects(ctx: Context, area: list[Place], households: int) -> list[dict[str, Any]]:
    """One project per sector, more in a large caseload; plus the relief programme the
    distributions belong to and the rights programme the trainings belong to."""
    rng = ctx.rng
    out = [
        _project(
            ctx,
            "Emergency relief for displaced families",
            "emergency_response",
            rng.choice(area).parent,
            add_months(ctx.start, -3),
            None,
        ),
        _project(
            ctx,
            "Rights and civic education",
            "human_rights",
            rng.choice(area).parent,
            add_months(ctx.start, -1),
            None,
        ),
    ]
    sectors = list(_SECTORS.items())
    for n in range(len(sectors) + 2 * (households // 2500)):
        sector, (names, _) = sectors[n % len(sectors)]
        start = ctx.between(add_months(ctx.start, -2), add_months(ctx.today, -3))
        end = None
        if rng.random() < 0.4:
            end = min(ctx.today, add_months(start, rng.randint(6, 14)))
        out.append(_project(ctx, rng.choice(names), sector, rng.choice(area).parent, start, end))
    return out


def _project(
    ctx: Context, name: str, sector: str, township: str, start: dt.date, end: dt.date | None
) -> dict[str, Any]:
    status = "active"
    if end is not None:
        status = "completed" if end <= ctx.today else "active"
    return {
        "id": ctx.new_id("project"),
        "name": name,
        "sector": sector,
        "location_pcode": township,
        "start_date": start.isoformat(),
        "end_date": end.isoformat() if end else None,
        "status": status,
        "description": None,
    }


def activities(ctx: Context, project: dict[str, Any], area: list[Place]) -> list[dict[str, Any]]:
    """About one to two activities a month while the project runs."""
    rng = ctx.rng
    kinds = _SECTORS.get(project["sector"], (None, ("meeting", "monitoring_visit")))[1]
    start = dt.date.fromisoformat(project["start_date"])
    end = dt.date.fromisoformat(project["end_date"]) if project["end_date"] else ctx.today
    start = max(start, ctx.start)
    out = []
    day = start
    while day <= end:
        kind = rng.choice(kinds)
        tract = rng.choice([p for p in area if p.parent == project["location_pcode"]] or area)
        size = (
            rng.randint(40, 150)
            if kind in ("input_distribution", "harvest")
            else rng.randint(8, 45)
        )
        out.append(
            {
                "id": ctx.new_id("activity"),
                "project_id": project["id"],
                "date": day.isoformat(),
                "kind": kind,
                "location_pcode": tract.pcode,
                "participants": participants(ctx, size, female=rng.uniform(0.4, 0.7)),
                "description": None,
            }
        )
        day += dt.timedelta(days=rng.randint(12, 35))
    return out


def trainings(
    ctx: Context, n: int, area: list[Place], project_id: str | None
) -> list[dict[str, Any]]:
    rng = ctx.rng
    out = []
    for _ in range(n):
        topic = rng.choice(list(_TRAININGS))
        start = ctx.between(ctx.start, ctx.today)
        end = min(ctx.today, start + dt.timedelta(days=rng.choice((0, 1, 2, 2, 4))))
        female = {"womens_participation": 0.9}.get(topic, rng.uniform(0.35, 0.65))
        young = topic == "youth_leadership"
        out.append(
            {
                "id": ctx.new_id("training"),
                "topic": topic,
                "title": rng.choice(_TRAININGS[topic]),
                "start_date": start.isoformat(),
                "end_date": end.isoformat(),
                "facilitator_pseudonym": rng.choice(_FACILITATORS),
                "location_pcode": rng.choice(area).parent,
                "participants": participants(
                    ctx, rng.randint(12, 35), female=female, adults_only=True, young=young
                ),
                "project_id": project_id if rng.random() < 0.7 else None,
            }
        )
    return out


def participants(
    ctx: Context, total: int, *, female: float, adults_only: bool = False, young: bool = False
) -> dict[str, int]:
    """Counts by sex and age group, with those who have a disability, as the record keeps
    them (zero counts left out)."""
    rng = ctx.rng
    groups = ("0_5", "6_17", "18_59", "60_plus")
    weights = (3, 17, 65, 15)  # everyone: children come to health sessions and harvests
    if adults_only:
        weights = (0, 25, 75, 0) if young else (0, 3, 85, 12)
    counts: dict[str, int] = {}
    for _ in range(total):
        if rng.random() < 0.03:
            counts["unknown"] = counts.get("unknown", 0) + 1
            continue
        sex = "female" if rng.random() < female else "male"
        key = f"{sex}_{rng.choices(groups, weights=weights)[0]}"
        counts[key] = counts.get(key, 0) + 1
        if rng.random() < 0.06:
            k = f"with_disability_{sex}"
            counts[k] = counts.get(k, 0) + 1
    return counts
