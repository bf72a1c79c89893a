"""Households with their consent, and their members with names, ages and disability.

`household` and `members` are also what the benchmarks use to make demo-like records.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from fieldledger.demo.context import CENTRES, add_months, window_start
from fieldledger.demo.names import PEOPLE_WEIGHTS, PEOPLES, Name, new_name

_STATUS = ["idp"] * 6 + ["resident"] * 2 + ["host", "returnee"]
_SHELTER = {
    "idp": ("camp", "camp", "host_family", "makeshift", "forest", "collective_centre"),
    "returnee": ("own_house", "makeshift", "own_house", "rented"),
    "host": ("own_house",),
    "resident": ("own_house", "own_house", "rented"),
}
_PURPOSES = (
    "Registration for food, cash and relief items; totals shared with donors without names",
    "Assistance and follow-up visits; names stay with the organisation",
    "အကူအညီ ပေးအပ်ရန်နှင့် နောက်ဆက်တွဲ စောင့်ကြည့်ရန်",
    "Relief distributions and referrals to health care",
)
_RETENTION = (24, 36, 48, 60)
# National registration card township codes by state number (Kayah 2, Kayin 3, Chin 4,
# Sagaing 5): enough to look like the cards people carry.
_NRC = {
    "MMR002": (2, ("LaKaNa", "DaMaSa", "PhaYaSa", "MaSaNa")),
    "MMR003": (3, ("BaAhNa", "MaWaTa", "KaKaYa", "LaBaNa", "PhaPaNa")),
    "MMR004": (4, ("HaKhaNa", "PhaLaNa", "TaTaNa", "MaTaNa")),
    "MMR005": (5, ("MaYaNa", "KaLaNa", "YaBaNa", "DaPaYa")),
}
_THAI_BORDER = ("MMR003002", "MMR003003", "MMR003005", "MMR003006", "MMR003007")


@dataclass(frozen=True)
class Member:
    """A member as generated, with what the partner registrations need to write them again."""

    fields: dict[str, Any]
    name: Name | None
    age: int


def registration(
    rng: random.Random, today: dt.date, may_expire: bool = True
) -> tuple[dt.date, bool]:
    """(the day the household was registered, whether its retention is already over).

    Most households were registered around the start of the 24 months (the caseload), a
    third arrived during them, and a few (if `may_expire`) were registered long enough ago
    that the retention period they consented to is over."""
    start = window_start(today)
    roll = rng.random()
    if roll < 0.03 and may_expire:
        day = add_months(today, -rng.randint(25, 34)) - dt.timedelta(days=rng.randint(0, 20))
        return day, True
    if roll < 0.70:
        return start + dt.timedelta(days=rng.randint(-90, 30)), False
    return start + dt.timedelta(days=rng.randint(0, (today - start).days)), False


def household(rng: random.Random, code: str, place: str, today: dt.date) -> dict[str, Any]:
    """A household registered in `place`, with its consent and displacement."""
    return new_household(rng, code, place, today)[0]


def new_household(
    rng: random.Random, code: str, place: str, today: dt.date, *, may_expire: bool = True
) -> tuple[dict[str, Any], dt.date]:
    """(a household's fields, the day it was registered)."""
    registered, expired = registration(rng, today, may_expire)
    status = rng.choice(_STATUS)
    displaced = None
    if status in ("idp", "returnee"):
        # New arrivals fled shortly before they were registered; the caseload long ago.
        new = registered > window_start(today)
        back = rng.randint(3, 60) if new else rng.randint(20, 4 * 365)
        displaced = registered - dt.timedelta(days=back)
    data: dict[str, Any] = {
        "code": code,
        "location_pcode": place,
        "displacement_status": status,
        "displaced_on": displaced.isoformat() if displaced else None,
        "shelter_type": rng.choice(_SHELTER[status]),
        "size": rng.choices(range(1, 10), weights=(3, 6, 9, 12, 12, 9, 6, 3, 2))[0],
    }
    roll = rng.random()
    if expired:
        data |= _consent(rng, registered, 24)
    elif roll < 0.93:
        months = [m for m in _RETENTION if add_months(registered, m) > today + dt.timedelta(30)]
        data |= _consent(rng, registered, rng.choice(months))
    elif roll < 0.97:
        pass  # registered before consent was recorded: None means "not recorded"
    else:
        data |= {"consent_given": False, "consent_date": registered.isoformat()}
    return data, registered


def _consent(rng: random.Random, day: dt.date, months: int) -> dict[str, Any]:
    return {
        "consent_given": True,
        "consent_purpose": rng.choice(_PURPOSES),
        "consent_date": day.isoformat(),
        "retention_months": months,
    }


def people_of(rng: random.Random, place: str) -> str:
    """Which people a household in `place` belongs to, by its state/region."""
    return rng.choices(PEOPLES, weights=PEOPLE_WEIGHTS.get(place[:6], (1,) * len(PEOPLES)))[0]


def members(rng: random.Random, household_id: str, size: int, today: dt.date) -> list[dict]:
    """The `size` members of a household, head first, as person fields."""
    people = rng.choice(("bamar", "bamar", "karen", "shan", "kachin", "chin"))
    script = rng.choice(("my", "en"))
    return [m.fields for m in new_members(rng, household_id, size, today, people, script)]


def new_members(
    rng: random.Random,
    household_id: str,
    size: int,
    today: dt.date,
    people: str,
    script: str,
    *,
    named: bool = True,
    place: str = "",
) -> list[Member]:
    """A household's members. `named` is false when the household refused consent: the
    people are counted by sex, age and disability, without names, phones or ID numbers."""
    head_age = rng.randint(20, 78)
    head_sex = rng.choices(("female", "male"), weights=(35, 65))[0]
    out = []
    for n in range(size):
        if n == 0:
            sex, age, rel = head_sex, head_age, "head"
        elif n == 1 and size > 2 and rng.random() < 0.85:
            sex = "male" if head_sex == "female" else "female"
            age, rel = max(16, head_age + rng.randint(-8, 6)), "spouse"
        else:
            sex = rng.choice(("female", "male"))
            age, rel = _relative(rng, head_age)
        out.append(
            Member(
                *_person(rng, household_id, sex, age, rel, today, people, script, named, place), age
            )
        )
    return out


def _relative(rng: random.Random, head_age: int) -> tuple[int, str]:
    roll = rng.random()
    if roll < 0.65 and head_age >= 17:
        return rng.randint(0, min(head_age - 16, 35)), "child"
    if roll < 0.8 and head_age >= 38:
        return rng.randint(0, head_age - 36), "grandchild"
    if roll < 0.9 and head_age <= 65:
        return min(95, head_age + rng.randint(18, 32)), "parent"
    if roll < 0.96:
        return max(0, head_age + rng.randint(-12, 12)), "sibling"
    return rng.randint(0, 70), "other_relative"


def _person(
    rng: random.Random,
    household_id: str,
    sex: str,
    age: int,
    rel: str,
    today: dt.date,
    people: str,
    script: str,
    named: bool,
    place: str,
) -> tuple[dict[str, Any], Name | None]:
    person: dict[str, Any] = {"household_id": household_id, "sex": sex, "relationship": rel}
    roll = rng.random()
    if age >= 50 and roll < 0.07:
        person["age"] = age  # does not know the year they were born
    else:
        person["birth_year"] = today.year - age - rng.randint(0, 1)
        if roll > 0.97:
            person["age"] = age
    person["disability"] = _disability(rng, age)
    if not named:
        return person, None
    name = new_name(rng, people, sex, age, script)
    person["name"] = name.text()
    if rel == "head" and rng.random() < 0.7:
        person["phone"] = _phone(rng, place)
    if age >= 18 and rng.random() < 0.3:
        number, townships = _NRC.get(place[:6], _NRC["MMR005"])
        person["id_number"] = f"{number}/{rng.choice(townships)}(N){rng.randint(100000, 999999)}"
    if rel == "head" and rng.random() < 0.03 and place:
        lat, lon = CENTRES.get(place[:6], (19.0, 96.0))
        person["gps"] = f"{lat + rng.uniform(-0.4, 0.4):.5f},{lon + rng.uniform(-0.4, 0.4):.5f}"
    return person, name


def _phone(rng: random.Random, place: str) -> str:
    if place[:9] in _THAI_BORDER and rng.random() < 0.35:
        digits = "".join(rng.choice("0123456789") for _ in range(7))
        return f"+66 8{rng.randint(0, 9)} {digits[:3]} {digits[3:]}"
    return "09" + "".join(rng.choice("0123456789") for _ in range(rng.choice((7, 8, 9, 9))))


def _disability(rng: random.Random, age: int) -> dict[str, int] | None:
    """Washington Group short set, or None when it was not asked (children under five are
    not asked)."""
    if age < 5 or rng.random() < 0.4:
        return None
    weights = (50, 30, 15, 5) if age > 60 else (86, 9, 4, 1)

    def level() -> int:
        return rng.choices((1, 2, 3, 4), weights=weights)[0]

    return {
        d: level()
        for d in ("seeing", "hearing", "walking", "remembering", "self_care", "communicating")
    }
