"""Needs assessments and distributions of aid.

Each area (a village tract) has a monthly round with one main modality, so households of an
area receive the same kind of aid on the same day; who receives depends on the household's
displacement status. Cash goes in Thai baht in some areas on the Thai border, in kyat
elsewhere, through a transfer channel that the workspace keeps in the finance compartment.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from fieldledger.demo.context import MONTHS, Context, add_months
from fieldledger.places import Place
from fieldledger.records.assessment import SECTORS

_THB_TOWNSHIPS = ("MMR003002", "MMR003003", "MMR003005", "MMR003006", "MMR003007")
_MODALITIES = ("in_kind_food", "cash", "voucher", "nfi", "hygiene", "shelter_kit", "health_care")
_MODALITY_WEIGHTS = (35, 35, 3, 8, 10, 4, 5)
# How likely a household of each status is to be served in a round.
_SERVED = {
    "idp": 0.38,
    "returnee": 0.26,
    "refugee": 0.3,
    "relocated": 0.25,
    "host": 0.12,
    "resident": 0.08,
}
_NEED = {
    "idp": 2.7,
    "returnee": 2.1,
    "refugee": 2.5,
    "relocated": 2.0,
    "host": 1.3,
    "resident": 0.9,
}
_SHELTER_NEED = {
    "forest": 1.2,
    "makeshift": 0.8,
    "camp": 0.4,
    "collective_centre": 0.4,
    "host_family": 0.2,
    "own_house": -0.6,
    "rented": -0.2,
}
_CHANNELS = {
    "MMK": (("hand_carried", "mobile_money", "hundi", "bank"), (40, 30, 22, 8)),
    "THB": (("hundi", "hand_carried", "bank"), (50, 40, 10)),
}
_ASSESSORS = ("EN-03", "EN-07", "EN-11", "EN-12", "EN-19", "Kite", "Lotus", "River", "Teak")


@dataclass(frozen=True)
class Area:
    """A village tract served by monthly rounds: (date, modality) for each month."""

    place: Place
    currency: str
    rounds: tuple[tuple[dt.date, str], ...]


@dataclass
class Links:
    """What distributions point to: the relief and health projects, the grants by period."""

    relief_project: str
    health_project: str
    grants: list[tuple[str, dt.date, dt.date]] = field(default_factory=list)

    def grant_on(self, ctx: Context, day: dt.date) -> str | None:
        live = [gid for gid, first, last in self.grants if first <= day <= last]
        return ctx.rng.choice(live) if live else None


def areas(ctx: Context, places: list[Place]) -> dict[str, Area]:
    out = {}
    for place in places:
        thb = place.parent in _THB_TOWNSHIPS and ctx.rng.random() < 0.6
        rounds = tuple(
            (ctx.day_in_month(m), ctx.rng.choices(_MODALITIES, weights=_MODALITY_WEIGHTS)[0])
            for m in range(MONTHS)
        )
        out[place.pcode] = Area(place, "THB" if thb else "MMK", rounds)
    return out


def assessments(
    ctx: Context, hid: str, household: dict[str, Any], registered: dt.date, children: int
) -> list[dict[str, Any]]:
    """Most households are assessed when registered; some again about a year later. Needs
    follow displacement: families in the forest or in camps score higher than residents."""
    rng = ctx.rng
    if rng.random() > 0.85:
        return []
    days = [registered + dt.timedelta(days=rng.randint(0, 14))]
    if rng.random() < 0.25:
        days.append(add_months(days[0], rng.randint(10, 14)))
    base = _NEED[household["displacement_status"]]
    shelter = _SHELTER_NEED.get(household.get("shelter_type") or "", 0.0)
    out = []
    for n, day in enumerate(d for d in days if d <= ctx.today):
        lift = -0.4 * n  # needs ease a little between assessments
        need = {
            s: max(0, min(4, round(base + lift + off + rng.gauss(0, 0.8))))
            for s, off in zip(SECTORS, (0.3, shelter, 0.0, 0.2, 0.4), strict=True)
        }
        out.append(
            {
                "id": ctx.new_id("assessment"),
                "household_id": hid,
                "date": day.isoformat(),
                "assessor_pseudonym": rng.choice(_ASSESSORS),
                **{f"{s}_need": v for s, v in need.items()},
                "meals_per_day": max(1, min(3, 3 - need["food"] // 2 + rng.choice((0, 0, 1)))),
                "income_lost": rng.random() < 0.2 + 0.15 * need["livelihoods"],
                "chronic_illness": rng.random() < 0.15,
                "safe_water": rng.random() > 0.1 + 0.1 * need["shelter"],
                "children_out_of_school": min(children, rng.randint(0, 2) if base > 2 else 0),
                "debt": rng.random() < 0.15 + 0.12 * need["food"],
            }
        )
    return out


def distributions(
    ctx: Context,
    hid: str,
    household: dict[str, Any],
    registered: dt.date,
    area: Area,
    links: Links,
) -> list[dict[str, Any]]:
    """The household's share of its area's rounds since it was registered; new arrivals get
    a shelter kit in their first month."""
    rng = ctx.rng
    status, size = household["displacement_status"], household["size"]
    served = _SERVED[status]
    out = []
    first = True
    for day, modality in area.rounds:
        if day < registered:
            continue
        if first and registered > ctx.start and status == "idp":
            gift = "shelter_kit"
        elif rng.random() < served:
            gift = modality
        else:
            first = False
            continue
        first = False
        out.append(_one(ctx, hid, day, gift, size, area, links))
    return out


def _one(
    ctx: Context,
    hid: str | None,
    day: dt.date,
    modality: str,
    size: int,
    area: Area,
    links: Links,
    group: str | None = None,
) -> dict[str, Any]:
    rng = ctx.rng
    record: dict[str, Any] = {
        "id": ctx.new_id("distribution"),
        "household_id": hid,
        "group": group,
        "modality": modality,
        "date": day.isoformat(),
        "location_pcode": area.place.pcode,
        "project_id": links.health_project if modality == "health_care" else links.relief_project,
        "grant_id": links.grant_on(ctx, day),
    }
    if modality in ("cash", "voucher"):
        if area.currency == "THB":
            value = min(2500, max(500, 300 * size)) // 50 * 50
        else:
            value = min(160_000, max(40_000, rng.choice((15_000, 20_000)) * size))
        if modality == "voucher":
            value = value // 2
        channel = None
        if modality == "cash" or rng.random() < 0.2:
            channels, weights = _CHANNELS[area.currency]
            channel = rng.choices(channels, weights=weights)[0]
        record |= {"value": value, "currency": area.currency, "transfer_channel": channel}
        if modality == "voucher":
            record |= {"item": "market voucher"}
    else:
        record |= _items(rng, modality, size)
    return record


def _items(rng, modality: str, size: int) -> dict[str, Any]:
    if modality == "in_kind_food":
        return {"item": "rice", "quantity": 8 * min(size, 8), "unit": "kg"}
    if modality == "nfi":
        item, unit = rng.choice(
            (("blankets and mosquito nets", "set"), ("kitchen set", "set"), ("solar lamp", "pcs"))
        )
        return {"item": item, "quantity": 1 if unit == "set" else rng.randint(1, 2), "unit": unit}
    if modality == "hygiene":
        return {"item": "hygiene kit", "quantity": 1, "unit": "kit"}
    if modality == "shelter_kit":
        return {
            "item": "tarpaulin, rope and nails",
            "quantity": rng.choice((1, 1, 2)),
            "unit": "kit",
        }
    if rng.random() < 0.2:  # a referral with money for transport: health care with a value
        return {
            "item": "hospital referral, transport",
            "value": rng.choice((20_000, 30_000)),
            "currency": "MMK",
        }
    return {"item": "mobile clinic consultation", "quantity": 1, "unit": "visit"}


def group_distributions(
    ctx: Context, area: Area, links: Links, *, camp: bool = False
) -> list[dict[str, Any]]:
    """Items handed to a camp section or a village at once: now and then, or every month
    in a `camp` (its committee shares hygiene items and rice among new arrivals)."""
    rng = ctx.rng
    out = []
    for day, _ in area.rounds:
        if camp or rng.random() < 0.12:
            group = rng.choice(
                (f"camp section {rng.randint(1, 6)}", f"{area.place.name_en} village")
            )
            modality = rng.choice(("hygiene", "nfi", "in_kind_food"))
            record = _one(ctx, None, day, modality, 1, area, links, group=group)
            record["quantity"] = record.get("quantity", 1) * rng.randint(20, 80)
            out.append(record)
    return out
