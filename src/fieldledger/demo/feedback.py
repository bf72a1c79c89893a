"""Feedback from the people served, one complaint of sexual exploitation and abuse among it
(always sensitive), and the organisation's own security incidents."""

from __future__ import annotations

from typing import Any, get_args

from fieldledger.demo.context import Context
from fieldledger.places import Place
from fieldledger.records.feedback import Channel

_FEEDBACK = (
    ("information_request", False, "When is the next distribution in our village?"),
    ("assistance_request", False, "ကလေးအတွက် ဆေးဝါး လိုအပ်ပါသည်။"),
    ("complaint_quality", False, "The rice in the last round was wet and some of it spoiled."),
    ("complaint_access", False, "The distribution point is too far for older people to walk."),
    ("exclusion", False, "Three new families in the camp were left off the list."),
    ("fraud", True, "Someone collected cash twice using another family's card."),
    ("staff_conduct", True, "A volunteer shouted at people waiting in line."),
    ("safety", True, "People are afraid to travel to the distribution on the main road."),
    ("suggestion", False, "Please give cooking oil with the rice."),
    ("thanks", False, "ကူညီပေးမှုအတွက် ကျေးဇူးတင်ပါသည်။"),
)
_SEA = (
    "A woman reported that a distribution volunteer asked her for a personal favour in "
    "exchange for keeping her family on the list. Referred to the PSEA focal point."
)
_CHANNELS = tuple(c for c in get_args(Channel) if c != "other")


def feedback(ctx: Context, n: int, area: list[Place]) -> list[dict[str, Any]]:
    """`n` pieces of feedback; one of them (never fewer) is a complaint of sexual
    exploitation and abuse."""
    rng = ctx.rng
    sea_at = rng.randrange(n)
    out = []
    for i in range(n):
        category, sensitive, text = ("sea", True, _SEA) if i == sea_at else rng.choice(_FEEDBACK)
        day = ctx.between(ctx.start, ctx.today)
        status = (
            "referred"
            if category == "sea"
            else rng.choice(("open", "resolved", "resolved", "closed", "referred"))
        )
        out.append(
            {
                "id": ctx.new_id("feedback"),
                "channel": "in_person" if category == "sea" else rng.choice(_CHANNELS),
                "date": day.isoformat(),
                "category": category,
                "sensitive": sensitive,
                "text": text,
                "location_pcode": rng.choice(area).pcode if rng.random() < 0.7 else None,
                "status": status,
            }
        )
    return out


def security_incidents(ctx: Context, area: list[Place]) -> list[dict[str, Any]]:
    """A checkpoint search of staff, and a phishing attack on the organisation's accounts."""
    rng = ctx.rng
    return [
        {
            "id": ctx.new_id("security-incident"),
            "kind": "checkpoint",
            "date": ctx.between(ctx.start, ctx.today).isoformat(),
            "location_pcode": rng.choice(area).parent,
            "severity": "high",
            "description": "Two staff stopped at a checkpoint for three hours; their phones "
            "were searched. Nothing was found: the devices held no records. Route changed.",
        },
        {
            "id": ctx.new_id("security-incident"),
            "kind": "digital_attack",
            "date": ctx.between(ctx.start, ctx.today).isoformat(),
            "location_pcode": None,
            "severity": "medium",
            "description": "Phishing e-mail imitating a donor asked staff to sign in to a fake "
            "page. One password was entered and changed within the hour; two-step "
            "verification stopped the login.",
        },
    ]
