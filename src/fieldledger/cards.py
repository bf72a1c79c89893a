"""Household cards: a QR code of the household code, to print and hand to the household.

Field devices then work by scanning the card instead of typing or searching names. A card
carries the code and the township only, never a name: a card found at a checkpoint says
nothing about who holds it.
"""

from __future__ import annotations

import html
import io
from collections.abc import Iterable

from fieldledger.errors import UnknownRecord

_PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>cards</title>
<style>
@page {{ size: A4; margin: 10mm; }}
body {{ font-family: "Noto Sans Myanmar", "Padauk", sans-serif; margin: 0; }}
.grid {{ display: grid; grid-template-columns: repeat(3, 60mm); gap: 4mm; }}
.card {{ border: 0.3mm dashed #888; height: 38mm; padding: 2mm; display: flex; gap: 2mm;
        break-inside: avoid; }}
.card svg {{ width: 30mm; height: 30mm; }}
.code {{ font: bold 13pt monospace; }}
.place {{ font-size: 9pt; }}
</style></head><body><div class="grid">
{cards}
</div></body></html>
"""


def qr_svg(text: str) -> str:
    import segno

    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(
        out, kind="svg", scale=4, border=2, xmldecl=False, svgns=True, nl=False
    )
    return out.getvalue().decode()


def cards_html(ws, household_ids: Iterable[str] | None = None) -> str:
    """A printable page of cards for these households (all, when none are named)."""
    from fieldledger.places import gazetteer

    ids = list(household_ids) if household_ids else [h["id"] for h in ws.list("household")]
    places = gazetteer()
    cards = []
    for hid in ids:
        household = ws.get("household", hid, reveal=False)
        township = places.at_level(household["location_pcode"], "township")
        where = f"{township.name_mm} / {township.name_en}" if township.name_mm else township.name_en
        cards.append(
            '<div class="card">'
            + qr_svg(household["code"])
            + f'<div><div class="code">{html.escape(household["code"])}</div>'
            + f'<div class="place">{html.escape(where)}</div></div></div>'
        )
    if not cards:
        raise UnknownRecord("no households to print cards for")
    return _PAGE.format(cards="\n".join(cards))
