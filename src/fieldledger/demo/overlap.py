"""A second organisation's registrations, overlapping the first's: material for finding
duplicates, with the answer known.

About 30 % of the first organisation's households are registered again by the partner, the
way it really happens: another household code, names spelled another way or written in the
other script, an honorific added, dropped or changed, a birth year one off, a member missing
or a baby born since. As many unrelated households are registered beside them. Every pair
of records that is the same person (or household) is returned; the data stays synthetic.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from fieldledger.demo.context import Context
from fieldledger.demo.households import Member, new_household, new_members, people_of
from fieldledger.demo.names import new_name, written_again
from fieldledger.places import Place

OVERLAP = 0.3
_PURPOSE = "Registration for the partner's relief programme; shared only as totals"


@dataclass(frozen=True)
class Registered:
    """A first-organisation household the partner may register again."""

    household_id: str
    fields: dict[str, Any]
    registered: dt.date
    members: tuple[Member, ...]  # member fields carry their record ids


@dataclass(frozen=True)
class PartnerHousehold:
    fields: dict[str, Any]
    members: list[dict[str, Any]]
    # (first organisation's id, partner's id) for the household and each same person
    same: list[tuple[str, str]]


def plan(
    ctx: Context, candidates: list[Registered], area: list[Place], households: int
) -> list[PartnerHousehold]:
    """The partner's households: `OVERLAP` of the first organisation's, re-registered, and as
    many unrelated ones, in an order that does not give the overlap away."""
    rng = ctx.rng
    again = rng.sample(candidates, k=min(len(candidates), round(households * OVERLAP)))
    out = [_again(ctx, r, area) for r in again]
    out += [_unrelated(ctx, rng.choice(area)) for _ in range(len(again))]
    rng.shuffle(out)
    return out


def _code(ctx: Context) -> str:
    return f"KRC/{ctx.rng.randint(1, 9)}/{ctx.rng.randint(0, 99999):05d}"


def _again(ctx: Context, first: Registered, area: list[Place]) -> PartnerHousehold:
    rng = ctx.rng
    hid = ctx.new_id("household")
    place = first.fields["location_pcode"]
    if rng.random() < 0.1:  # registered in a neighbouring tract of the same township
        township = place[:9]
        place = rng.choice([p.pcode for p in area if p.parent == township] or [place])
    registered = ctx.between(first.registered, ctx.today)
    members = []
    same = [(first.household_id, hid)]
    for m in first.members:
        if m.fields["relationship"] != "head" and rng.random() < 0.08:
            continue  # away working in Thailand on the day, or simply not listed
        pid = ctx.new_id("person")
        members.append(_person_again(ctx, m, hid, pid))
        same.append((m.fields["id"], pid))
    if rng.random() < 0.05:  # a baby born since
        sex = rng.choice(("female", "male"))
        name = new_name(rng, "bamar", sex, 0, "en")
        rel = "grandchild" if first.members[0].age > 40 else "child"
        members.append(
            {
                "id": ctx.new_id("person"),
                "household_id": hid,
                "sex": sex,
                "birth_year": ctx.today.year,
                "relationship": rel,
                "name": name.text(),
            }
        )
    status = first.fields["displacement_status"]
    fields = {
        "id": hid,
        "code": _code(ctx),
        "location_pcode": place,
        "displacement_status": status if rng.random() < 0.85 else "idp",
        "displaced_on": first.fields.get("displaced_on") if rng.random() < 0.5 else None,
        "shelter_type": first.fields.get("shelter_type"),
        "size": len(members),
        "consent_given": True,
        "consent_purpose": _PURPOSE,
        "consent_date": registered.isoformat(),
        "retention_months": 36,
    }
    return PartnerHousehold(fields, members, same)


def _person_again(ctx: Context, member: Member, hid: str, pid: str) -> dict[str, Any]:
    rng = ctx.rng
    first = member.fields
    person: dict[str, Any] = {
        "id": pid,
        "household_id": hid,
        "sex": first["sex"],
        "relationship": first["relationship"],
    }
    year = first.get("birth_year")
    if year is None:
        year = ctx.today.year - member.age  # the partner asked for a year, and got one
    if rng.random() < 0.3:
        year += rng.choice((-1, 1))
    person["birth_year"] = year
    if first.get("disability") is not None and rng.random() < 0.8:
        person["disability"] = first["disability"]
    if member.name is not None:
        person["name"] = written_again(rng, member.name).text()
    if first.get("phone") and rng.random() < 0.6:
        person["phone"] = first["phone"]
    if first.get("id_number") and rng.random() < 0.4:
        person["id_number"] = first["id_number"]
    return person


def _unrelated(ctx: Context, place: Place) -> PartnerHousehold:
    rng = ctx.rng
    hid = ctx.new_id("household")
    fields, registered = new_household(rng, _code(ctx), place.pcode, ctx.today)
    fields |= {
        "id": hid,
        "consent_given": True,
        "consent_purpose": _PURPOSE,
        "consent_date": registered.isoformat(),
        "retention_months": 36,
    }
    script = rng.choice(("my", "en"))
    people = people_of(rng, place.pcode)
    found = new_members(rng, hid, fields["size"], ctx.today, people, script, place=place.pcode)
    members = [{"id": ctx.new_id("person"), **m.fields} for m in found]
    return PartnerHousehold(fields, members, [])
