"""Documented incidents, with a few photos as evidence.

Places are recorded at township or village-tract precision; exact GPS only for some incidents
at village-tract precision, sealed with the narrative. Narratives are in English or Burmese.
People affected are counted, never named.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from fieldledger.demo.context import CENTRES, Context
from fieldledger.places import Place

_KINDS = {
    "airstrike": 15,
    "shelling": 14,
    "ground_attack": 10,
    "arbitrary_arrest": 15,
    "killing": 6,
    "torture": 4,
    "arson": 10,
    "forced_displacement": 12,
    "aid_obstruction": 9,
    "sexual_violence": 3,
    "other": 2,
}
# kind -> (which count, typical size)
_AFFECTED = {
    "airstrike": (("killed", 4), ("injured", 8), ("displaced", 120)),
    "shelling": (("killed", 2), ("injured", 6), ("displaced", 80)),
    "ground_attack": (("killed", 3), ("detained", 5), ("displaced", 200)),
    "arbitrary_arrest": (("detained", 3),),
    "killing": (("killed", 2),),
    "torture": (("injured", 2), ("detained", 2)),
    "arson": (("displaced", 150),),
    "forced_displacement": (("displaced", 400),),
    "aid_obstruction": (),
    "sexual_violence": (("injured", 1),),
    "other": (),
}
_PERPETRATORS = ("state_armed_forces",) * 6 + (
    "state_police",
    "state_aligned_militia",
    "non_state_armed_group",
    "unidentified",
)
_EN = {
    "airstrike": "A jet dropped bombs near the village in the early morning. {n} houses and "
    "the school were damaged; families fled to the forest.",
    "shelling": "Artillery shells landed in the village from the direction of the army camp. "
    "{n} houses were hit.",
    "ground_attack": "Soldiers entered the village, searched houses and took livestock and "
    "rice. Villagers who could not flee were held in the monastery.",
    "arbitrary_arrest": "{n} villagers were stopped at the checkpoint on the main road and "
    "taken away. Their families have not been told where they are held.",
    "killing": "Two farmers were shot while returning from their fields.",
    "torture": "A man released after three days in detention reported beatings during questioning.",
    "arson": "About {n} houses were burned after troops passed through the village.",
    "forced_displacement": "Villagers were ordered to leave within a day. About {n} families "
    "moved to the forest and to the camp.",
    "aid_obstruction": "A rice delivery for the camp was stopped at the checkpoint and half "
    "of it was taken.",
    "sexual_violence": "A survivor was referred to the women's organisation for care. Details "
    "are kept by the case worker.",
    "other": "Landmines were reported on the path to the fields.",
}
_MY = {
    "airstrike": "နံနက်စောစောတွင် စစ်လေယာဉ်မှ ရွာအနီး ဗုံးကြဲခဲ့သည်။ နေအိမ်များ ပျက်စီးခဲ့သည်။",
    "shelling": "လက်နက်ကြီး ကျည်များ ရွာထဲသို့ ကျရောက်ခဲ့သည်။",
    "ground_attack": "စစ်တပ်သည် ရွာထဲသို့ ဝင်ရောက်ပြီး နေအိမ်များကို ရှာဖွေခဲ့သည်။",
    "arbitrary_arrest": "စစ်ဆေးရေးဂိတ်တွင် ရွာသားများကို ဖမ်းဆီးခေါ်ဆောင်သွားခဲ့သည်။",
    "arson": "ရွာရှိ နေအိမ်များကို မီးရှို့ခဲ့သည်။",
    "forced_displacement": "ရွာသားများ နေရပ်မှ ထွက်ပြေးတိမ်းရှောင်ခဲ့ရသည်။",
    "aid_obstruction": "စစ်ဆေးရေးဂိတ်တွင် ဆန်အထုပ်များကို သိမ်းယူခဲ့သည်။",
}
_WITNESSES = ("W-02", "W-05", "W-09", "W-14", "W-21", "W-33")


def incidents(ctx: Context, n: int, area: list[Place]) -> list[dict[str, Any]]:
    rng = ctx.rng
    kinds, weights = list(_KINDS), list(_KINDS.values())
    out = []
    for _ in range(n):
        kind = rng.choices(kinds, weights=weights)[0]
        tract = rng.choice(area)
        precise = rng.random() < 0.45
        affected = {}
        for what, typical in _AFFECTED[kind]:
            if rng.random() < 0.8:
                affected[what] = _counts(ctx, max(1, round(rng.expovariate(1 / typical))))
        size = sum(sum(c.values()) for c in affected.values()) or rng.randint(2, 30)
        burmese = kind in _MY and rng.random() < 0.4
        narrative = _MY[kind] if burmese else _EN[kind].format(n=max(2, size // 5))
        out.append(
            {
                "id": ctx.new_id("incident"),
                "kind": kind,
                "date": ctx.between(ctx.start, ctx.today).isoformat(),
                "time": f"{rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d}"
                if rng.random() < 0.6
                else None,
                "location_pcode": tract.pcode if precise else tract.parent,
                "gps": ctx.gps(tract.pcode, 0.3) if precise and rng.random() < 0.5 else None,
                "affected": affected,
                "perpetrator": rng.choice(_PERPETRATORS),
                "source_reliability": rng.choices(
                    (
                        "completely_reliable",
                        "usually_reliable",
                        "fairly_reliable",
                        "not_usually_reliable",
                        "cannot_be_judged",
                    ),
                    weights=(5, 40, 35, 10, 10),
                )[0],
                "source_type": rng.choice(
                    (
                        "eyewitness",
                        "victim",
                        "relative",
                        "community_leader",
                        "media",
                        "social_media",
                    )
                ),
                "narrative": narrative,
            }
        )
    return out


def _counts(ctx: Context, total: int) -> dict[str, int]:
    """`total` people spread over sex and age group, some of unknown sex or age."""
    rng = ctx.rng
    counts: dict[str, int] = {}
    for _ in range(total):
        if rng.random() < 0.1:
            key = "unknown"
        else:
            sex = rng.choice(("female", "male"))
            key = f"{sex}_{rng.choices(('0_5', '6_17', '18_59', '60_plus'), (12, 25, 50, 13))[0]}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def photo(ctx: Context, incident: dict[str, Any]) -> bytes:
    """A tiny JPEG of noise, with the camera metadata a phone writes: the day it was taken
    and a GPS position near the incident's place."""
    from PIL import Image

    rng = ctx.rng
    image = Image.frombytes("RGB", (32, 32), rng.randbytes(32 * 32 * 3))
    exif = Image.Exif()
    exif[0x010F] = "Generic"  # Make
    exif[0x0110] = "Phone"  # Model
    day = dt.date.fromisoformat(incident["date"])
    exif.get_ifd(0x8769)[0x9003] = (  # DateTimeOriginal
        f"{day:%Y:%m:%d} {rng.randint(6, 18):02d}:{rng.randint(0, 59):02d}:00"
    )
    lat, lon = CENTRES.get(incident["location_pcode"][:6], (19.0, 96.0))
    lat, lon = lat + rng.uniform(-0.3, 0.3), lon + rng.uniform(-0.3, 0.3)
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", _dms(lat)
    gps[3], gps[4] = "E", _dms(lon)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, quality=85)
    return out.getvalue()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return float(degrees), float(minutes), round(((value - degrees) * 60 - minutes) * 60, 2)


def witness(ctx: Context) -> str:
    return ctx.rng.choice(_WITNESSES)
