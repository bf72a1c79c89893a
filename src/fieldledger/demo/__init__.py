"""Synthetic, realistic records for demonstrations and tests. No real person is in here.

`fill` makes a workspace look like two years of a civil-society group's work:

    households   registered with their consent (a few past their retention period, so the
                 workspace forgets their people at the next open), and their members with
                 names in Myanmar script, romanised or typed in Zawgyi (`names.py`,
                 `households.py`)
    aid          needs assessments, and 24 months of monthly distribution rounds per area,
                 linked to projects and grants (`aid.py`)
    projects     community projects with activities, trainings on rights and federalism
                 (`projects.py`)
    finance      grants of four donors, quarterly tranches (late, received, one cut), and
                 spending (`finance.py`)
    incidents    documented incidents, a few with a photo as evidence (`incidents.py`)
    feedback     feedback from the people served, the organisation's security incidents
                 (`feedback.py`)
    partner      optionally, a second organisation's workspace that registered some of the
                 same people again, with the pairs that are the same (`overlap.py`)

Everything comes from one `random.Random(seed)`, record ids included: the same seed on an
empty workspace gives the same records (evidence blob file names excepted: those are random
by design). Places are real MIMU P-codes of Kayah, Kayin, Chin and Sagaing, because places
are public; the people are invented.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import random
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldledger.demo import aid, feedback, finance, incidents, overlap, projects
from fieldledger.demo.context import Context
from fieldledger.demo.households import household, members, new_household, new_members, people_of
from fieldledger.places import village_tracts
from fieldledger.records.household import retention_due

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

__all__ = ["Filled", "Progress", "fill", "household", "members", "write_truth"]

Progress = Callable[[int], tuple[Any, Any]]
STATES = ("MMR002", "MMR003", "MMR004", "MMR005")
BATCH = 50  # households per transaction: one commit (and fsync) per batch, not per record
TAIL_BATCH = 200
_ZAWGYI_SHARE = 0.05  # of the households whose names are written in Myanmar script
# Households past their retention period, at most: their people are forgotten at the next
# open, one forget (and one re-wrap of every record key) each while apply_retention runs
# them one transaction apiece, so a large demo with 3 % of them would open for hours.
EXPIRED_MAX = 3


@dataclass(frozen=True)
class Filled:
    """What `fill` made. The pairs name records that are the same household or person in
    the main and the partner workspace: ids only, never names."""

    households: int
    people: int
    same_households: tuple[tuple[str, str], ...] = ()
    same_people: tuple[tuple[str, str], ...] = ()


def fill(
    ws: Workspace,
    *,
    households: int = 40,
    seed: int | None = None,
    progress: Progress | None = None,
    partner: Workspace | None = None,
    today: dt.date | None = None,
) -> Filled:
    """Add `households` synthetic households and everything around them to `ws`; with
    `partner`, fill that with the partner organisation's overlapping registrations."""
    today = today or dt.date.today()
    existing = ws.summary().records["household"]
    if seed is not None and existing:
        # A second fill of the same workspace must not repeat the first one's ids.
        seed = f"{seed}+{existing}"  # type: ignore[assignment]
    ctx = Context(random.Random(seed), today)
    rng = ctx.rng
    partner_seed = rng.getrandbits(64)  # drawn always, so the main data never depends on it
    tracts = village_tracts(STATES)
    area = sorted(
        rng.sample(tracts, k=min(len(tracts), max(3, households // 25))), key=lambda p: p.pcode
    )
    first, links = _programme(ctx, area, households)
    served = aid.areas(ctx, area)
    tail = _tail(ctx, area, households, first, links, served)
    found = [r for family, r in tail if family == "incident"]
    photos = _with_photos(ctx, found, max(1, households // 50))
    again = round(households * overlap.OVERLAP) * 2 if partner is not None else 0
    with _Ticker(progress, households + len(first) + len(tail) + len(photos) + again) as tick:
        _add_all(ws, first, tick)
        candidates, people = _households(
            ws, ctx, households, existing, area, served, links, tick, keep=partner is not None
        )
        _add_all(ws, tail, tick)
        _add_evidence(ws, ctx, photos, tick)
        same_h: list[tuple[str, str]] = []
        same_p: list[tuple[str, str]] = []
        if partner is not None:
            pctx = Context(random.Random(partner_seed), today)
            for ph in _partner(partner, pctx, candidates, area, households, tick):
                if ph.same:
                    same_h.append(ph.same[0])
                    same_p.extend(ph.same[1:])
    return Filled(households, people, tuple(same_h), tuple(same_p))


def write_truth(path: Path | str, filled: Filled) -> None:
    """The partner overlap's ground truth as JSON: pairs of record ids (main, partner), one
    pair a line, no names."""

    def pairs(items: tuple[tuple[str, str], ...]) -> str:
        return "[\n" + ",\n".join(f"  {json.dumps(list(p))}" for p in items) + "\n ]"

    about = (
        "fieldledger demo: records in the main and the partner workspace that are the same "
        "household or person, as (main id, partner id). Invented data; ids only."
    )
    Path(path).write_text(
        "{\n"
        f' "synthetic": true,\n "about": {json.dumps(about)},\n'
        f' "households": {pairs(filled.same_households)},\n'
        f' "people": {pairs(filled.same_people)}\n'
        "}\n",
        encoding="utf-8",
    )


# -- steps ------------------------------------------------------------------------------

Planned = list[tuple[str, dict[str, Any]]]


_VILLAGES = [("Yay Kyaw", "ရေကျော်"), ("Thit Pin Gyi", "သစ်ပင်ကြီး"), ("Kyun Gyi", "ကျွန်းကြီး")]


def _villages(ctx: Context, area) -> list[dict[str, Any]]:
    """A few villages the group works in, added under one village tract of its area (the
    workspace gives them their codes)."""
    return [
        {
            "id": f"VI-{ctx.rng.getrandbits(40):010X}",
            "village_tract_pcode": area[0].pcode,
            "name_en": en,
            "name_mm": mm,
        }
        for en, mm in _VILLAGES[: 1 + ctx.rng.randrange(len(_VILLAGES))]
    ]


def _programme(ctx: Context, area, households: int) -> tuple[Planned, aid.Links]:
    """Projects, grants and tranches: what households' distributions point to."""
    made = projects.projects(ctx, area, households)
    grants = finance.grants(ctx, households)
    links = aid.Links(
        relief_project=made[0]["id"],
        health_project=next(p["id"] for p in made if p["sector"] == "community_health"),
        grants=[
            (
                g["id"],
                dt.date.fromisoformat(g["period_start"]),
                dt.date.fromisoformat(g["period_end"]),
            )
            for g in grants
            if g["donor_alias"] != "Donor L"  # the rights grant pays for no relief
        ],
    )
    planned: Planned = [("village", v) for v in _villages(ctx, area)]
    planned += [("project", p) for p in made] + [("grant", g) for g in grants]
    planned += [("tranche", t) for g in grants for t in finance.tranches(ctx, g)]
    return planned, links


def _tail(
    ctx: Context,
    area,
    households: int,
    first: Planned,
    links: aid.Links,
    served: dict[str, aid.Area],
) -> Planned:
    """Everything after the households: activities, trainings, group distributions,
    incidents, spending, feedback and security incidents."""
    made = [r for family, r in first if family == "project"]
    grants = [r for family, r in first if family == "grant"]
    rights = made[1]["id"]
    out: Planned = []
    for p in made[2:]:
        out += [("activity", a) for a in projects.activities(ctx, p, area)]
    out += [("training", t) for t in projects.trainings(ctx, 4 + households // 40, area, rights)]
    for n, a in enumerate(served.values()):
        out += [("distribution", d) for d in aid.group_distributions(ctx, a, links, camp=n == 0)]
    out += [("incident", i) for i in incidents.incidents(ctx, 3 + households // 20, area)]
    ids = {"relief": links.relief_project, "rights": rights}
    for g in grants:
        out += [("expenditure", e) for e in finance.expenditures(ctx, g, ids)]
    out += [("feedback", f) for f in feedback.feedback(ctx, 3 + households // 50, area)]
    out += [("security-incident", s) for s in feedback.security_incidents(ctx, area)]
    return out


def _households(
    ws, ctx: Context, n: int, existing: int, area, served, links, tick, *, keep: bool
) -> tuple[list[overlap.Registered], int]:
    rng, today = ctx.rng, ctx.today
    candidates: list[overlap.Registered] = []
    people = expired = 0
    for first in range(0, n, BATCH):
        with ws.transaction():
            for number in range(first, min(n, first + BATCH)):
                place = rng.choice(area)
                hid = ctx.new_id("household")
                code = f"HH-{existing + number + 1:06d}"
                fields, registered = new_household(
                    rng, code, place.pcode, today, may_expire=expired < EXPIRED_MAX
                )
                expired += retention_due(fields, today)
                kind = people_of(rng, place.pcode)
                script = "en" if rng.random() < 0.5 else "my"
                if script == "my" and rng.random() < _ZAWGYI_SHARE:
                    script = "zawgyi"
                found = new_members(
                    rng,
                    hid,
                    fields["size"],
                    today,
                    kind,
                    script,
                    named=fields.get("consent_given") is not False,
                    place=place.pcode,
                )
                found = [
                    dataclasses.replace(m, fields={"id": ctx.new_id("person"), **m.fields})
                    for m in found
                ]
                ws.add("household", {"id": hid, **fields}, source="demo")
                for m in found:
                    ws.add("person", m.fields, source="demo")
                people += len(found)
                children = sum(1 for m in found if 5 <= m.age < 18)
                for a in aid.assessments(ctx, hid, fields, registered, children):
                    ws.add("assessment", a, source="demo")
                for d in aid.distributions(
                    ctx, hid, fields, registered, served[place.pcode], links
                ):
                    ws.add("distribution", d, source="demo")
                if keep and fields.get("consent_given") and not retention_due(fields, today):
                    candidates.append(overlap.Registered(hid, fields, registered, tuple(found)))
                tick(1)
    return candidates, people


def _add_all(ws, planned: Planned, tick) -> None:
    for start in range(0, len(planned), TAIL_BATCH):
        with ws.transaction():
            for family, record in planned[start : start + TAIL_BATCH]:
                ws.add(family, record, source="demo")
        tick(len(planned[start : start + TAIL_BATCH]))


def _with_photos(ctx: Context, found: list[dict], n: int) -> list[dict]:
    """Which incidents get a photo (one or two each), `n` photos in all, most of them of
    damage that a photo shows."""
    rng = ctx.rng
    visible = [i for i in found if i["kind"] in ("airstrike", "shelling", "arson", "ground_attack")]
    pool = visible + [i for i in found if i not in visible]
    out: list[dict] = []
    for incident in pool:
        if len(out) >= n:
            break
        out += [incident] * min(n - len(out), rng.choice((1, 1, 2)))
    return out


def _add_evidence(ws, ctx: Context, photos: list[dict], tick) -> None:
    """Each photo goes through `add_evidence` as a file would: written to a private
    temporary folder, recorded, deleted at once."""
    from fieldledger.evidence import add_evidence

    with tempfile.TemporaryDirectory(prefix="fieldledger-demo-") as folder:
        for n, incident in enumerate(photos):
            path = Path(folder) / f"IMG_{n:04d}.jpg"
            path.write_bytes(incidents.photo(ctx, incident))
            try:
                eid = add_evidence(
                    ws,
                    incident["id"],
                    path,
                    witness_pseudonym=incidents.witness(ctx),
                    description="Photo taken by a community documenter on the day",
                    ids=(ctx.new_id("evidence"), ctx.new_id("custody")),
                )
            finally:
                path.unlink()
            if n == 0:
                ws.add(
                    "custody",
                    {
                        "id": ctx.new_id("custody"),
                        "evidence_id": eid,
                        "action": "viewed",
                        "note": "checked by the documentation lead",
                    },
                    source="demo",
                )
            tick(1)


def _partner(
    pws, ctx: Context, candidates, area, households: int, tick
) -> Iterator[overlap.PartnerHousehold]:
    planned = overlap.plan(ctx, candidates, area, households)
    for first in range(0, len(planned), BATCH):
        batch = planned[first : first + BATCH]
        with pws.transaction():
            for ph in batch:
                pws.add("household", ph.fields, source="demo")
                for m in ph.members:
                    pws.add("person", m, source="demo")
        tick(len(batch))
        yield from batch


class _Ticker:
    """The `progress` protocol of cli.py: `progress(total)` gives (bar, task); the bar is
    started, advanced and stopped."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.bar = self.task = None
        if progress is not None:
            self.bar, self.task = progress(total)

    def __enter__(self) -> Callable[[int], None]:
        if self.bar is not None:
            self.bar.start()
        return self

    def __call__(self, n: int) -> None:
        if self.bar is not None:
            self.bar.update(self.task, advance=n)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
