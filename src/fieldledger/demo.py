"""Synthetic, realistic records for demonstrations and tests. No real person is in here.

Names are assembled from common Burmese, Karen, Chin and Kachin name syllables, half written in
Myanmar script and half romanised as people write them on forms; places are real MIMU P-codes
(village tracts of Kayah, Kayin, Chin and Sagaing) because the places are public, the people
are not.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any

from fieldledger.places import village_tracts

# (Myanmar script, romanised)
_SYLLABLES = [
    ("အောင်", "Aung"),
    ("မြင့်", "Myint"),
    ("ဇော်", "Zaw"),
    ("ထွန်း", "Htun"),
    ("ကျော်", "Kyaw"),
    ("သန်း", "Than"),
    ("ဝင်း", "Win"),
    ("လှ", "Hla"),
    ("မြ", "Mya"),
    ("စု", "Su"),
    ("နွယ်", "Nwe"),
    ("ခင်", "Khin"),
    ("မာ", "Mar"),
    ("စန္ဒာ", "Sandar"),
    ("သီတာ", "Thida"),
    ("ဖြိုး", "Phyo"),
    ("နိုင်", "Naing"),
    ("ထက်", "Htet"),
    ("မင်း", "Min"),
    ("ဆွေ", "Swe"),
    ("ယု", "Yu"),
    ("ဟိန်း", "Hein"),
    ("ပိုင်", "Paing"),
    ("ချို", "Cho"),
    ("အေး", "Aye"),
    ("ဇင်", "Zin"),
    ("မိုး", "Moe"),
    ("သူ", "Thu"),
    ("ရည်", "Yee"),
    ("လွင်", "Lwin"),
]
_KAREN = ["Eh Kaw Htoo", "Paw Htoo", "Say Say", "Htoo Wah", "Eh Moo", "Ler Htoo", "Hser Nay"]
_KACHIN_CLANS = ["Lahpai", "Marip", "Maran", "Nhkum", "Lashi"]
_KACHIN_GIVEN = ["Brang Seng", "Seng Nu", "Hkawn Tawng", "Ja Seng", "Zau Tu"]
_CHIN = ["Van Lal", "Sui Hnem", "Cung Lian", "Par Tha", "Thang Za"]

_STATUS = ["idp"] * 6 + ["resident"] * 2 + ["host", "returnee"]
_SHELTER = ["camp", "host_family", "makeshift", "forest", "collective_centre", "own_house"]
_PROJECTS = [
    ("Home gardens for displaced families", "home_gardening"),
    ("Rice seed and tools for returnees", "agriculture"),
    ("Motorbike repair course", "vocational"),
    ("Gravity-fed water line", "infrastructure"),
    ("Village health volunteers", "community_health"),
]


def _name(rng: random.Random, sex: str) -> str:
    roll = rng.random()
    if roll < 0.15:
        prefix = "Saw" if sex == "male" else "Naw"
        return f"{prefix} {rng.choice(_KAREN)}"
    if roll < 0.22:
        return f"{rng.choice(_KACHIN_CLANS)} {rng.choice(_KACHIN_GIVEN)}"
    if roll < 0.3:
        return rng.choice(_CHIN)
    parts = rng.sample(_SYLLABLES, k=rng.choice((2, 2, 3)))
    if rng.random() < 0.5:
        return "".join(p[0] for p in parts)
    return " ".join(p[1] for p in parts)


def _disability(rng: random.Random, age: int) -> dict[str, int] | None:
    if rng.random() < 0.4:
        return None
    weights = (50, 30, 15, 5) if age > 60 else (80, 12, 6, 2)

    def level() -> int:
        return rng.choices((1, 2, 3, 4), weights=weights)[0]

    return {
        d: level()
        for d in ("seeing", "hearing", "walking", "remembering", "self_care", "communicating")
    }


def household(rng: random.Random, code: str, place: str, today: dt.date) -> dict[str, Any]:
    status = rng.choice(_STATUS)
    displaced = None
    if status in ("idp", "returnee"):
        displaced = today - dt.timedelta(days=rng.randint(20, 5 * 365))
    return {
        "code": code,
        "location_pcode": place,
        "displacement_status": status,
        "displaced_on": displaced.isoformat() if displaced else None,
        "shelter_type": rng.choice(_SHELTER),
        "size": rng.choices(range(1, 10), weights=(3, 6, 9, 12, 12, 9, 6, 3, 2))[0],
    }


def members(rng: random.Random, household_id: str, size: int, today: dt.date) -> list[dict]:
    people = []
    for n in range(size):
        sex = rng.choice(("female", "male"))
        if n == 0:
            age, rel = rng.randint(22, 75), "head"
        elif n == 1 and size > 2:
            age, rel = rng.randint(20, 70), "spouse"
        else:
            age = rng.randint(0, 45)
            rel = rng.choice(("child", "child", "child", "grandchild", "parent", "other_relative"))
        person: dict[str, Any] = {
            "household_id": household_id,
            "sex": sex,
            "birth_year": today.year - age,
            "relationship": rel,
            "disability": _disability(rng, age),
            "name": _name(rng, sex),
        }
        if rel == "head" and rng.random() < 0.7:
            person["phone"] = "09" + "".join(rng.choice("0123456789") for _ in range(9))
        if age >= 18 and rng.random() < 0.3:
            person["id_number"] = (
                f"{rng.randint(1, 14)}/"
                f"{rng.choice(('LaKaNa', 'DaMaSa', 'HpaAhNa', 'MaHaMa'))}"
                f"(N){rng.randint(100000, 999999)}"
            )
        people.append(person)
    return people


Progress = Callable[[int], tuple[Any, Any]]


def fill(
    ws, *, households: int = 40, seed: int | None = None, progress: Progress | None = None
) -> None:
    """Add `households` synthetic households with their members, and a few projects."""
    rng = random.Random(seed)
    tracts = village_tracts(["MMR002", "MMR003", "MMR004", "MMR005"])
    today = dt.date.today()
    area = rng.sample(tracts, k=min(len(tracts), max(3, households // 10)))
    bar = task = None
    if progress is not None:
        bar, task = progress(households)
        bar.start()
    try:
        with ws.transaction():
            for name, sector in rng.sample(_PROJECTS, k=3):
                ws.add(
                    "project",
                    {
                        "name": name,
                        "sector": sector,
                        "location_pcode": rng.choice(area).parent,
                        "start_date": (today - dt.timedelta(days=rng.randint(30, 400))).isoformat(),
                    },
                )
        for _ in range(households):
            with ws.transaction():
                code = f"HH-{rng.randint(0, 36**5):07d}"[:10]
                data = household(rng, code, rng.choice(area).pcode, today)
                hid = ws.add("household", data)
                for person in members(rng, hid, data["size"], today):
                    ws.add("person", person)
            if bar is not None:
                bar.update(task, advance=1)
    finally:
        if bar is not None:
            bar.stop()
