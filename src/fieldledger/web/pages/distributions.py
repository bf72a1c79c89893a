"""Screens: distributions, and the fast entry of a distribution round.

- `/distributions`: newest first, a page at a time, searchable by date (`2026-03`), with
  each household's code instead of its id.
- `/distributions/round`: one form with what every household of a round received (date,
  kind, item, quantity, unit, value, currency, place, project chosen by its name, and the
  grant by its donor alias for roles holding `finance`) and the household
  codes, typed or scanned from the cards (a card's QR code holds the household code, as
  `fieldledger.cards` prints it; `static/scan.js` adds scanned codes where the browser can
  scan). One distribution per household, all in one transaction: an unknown code or a
  wrong field saves nothing and says which.
- `/distributions/new`, `/distributions/{rid}`, `.../edit`: the generic screens.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.errors import ValidationError
from fieldledger.records import convert, record_type
from fieldledger.views.query import JSON_LIST, json_list, page
from fieldledger.web.app import Ctx, PageSet, holding, writing
from fieldledger.web.forms import Field, posted_from, record_data
from fieldledger.web.records import RecordScreens, fields_for, record_pages, reference_inputs

pages = PageSet()

PAGE_SIZE = 50
MAX_ROUND = 500  # households in one round: one transaction, some 3 s under the lock
# What every household of a round receives alike, in the form's order.
SHARED = (
    "date",
    "modality",
    "item",
    "quantity",
    "unit",
    "value",
    "currency",
    "location_pcode",
    "project_id",
    "grant_id",
)
_TO_ASCII = str.maketrans("၀၁၂၃၄၅၆၇၈၉", "0123456789")
_PIECES = re.compile(r"[\n\r,;]+")

DISTRIBUTIONS = RecordScreens(
    "distribution",
    "/distributions",
    i18n.N_("Distributions"),
    listed=("date", "household_id", "group", "modality", "value", "currency"),
    search="date",
    order="date",
    descending=True,
)

READERS = holding("programme")
WRITERS = writing("programme")


# -- the list -----------------------------------------------------------------------------


def codes_of(ctx: Ctx, household_ids: set[str]) -> dict[str, str]:
    """{household id: its code} for these ids."""
    ids = json_list(sorted(i for i in household_ids if i))
    sql = f"SELECT id, code FROM households WHERE id IN {JSON_LIST}"
    return dict(ctx.ws.conn.execute(sql, (ids,)).fetchall())


@pages.route("/distributions", roles=READERS, name="distribution_list")
def distribution_list(ctx: Ctx) -> Response:
    query = ctx.query("q").strip().translate(_TO_ASCII)
    offset = ctx.offset()
    found = page(
        ctx.ws,
        "distribution",
        starts=("date", query) if query else None,
        order="date",
        descending=True,
        offset=offset,
        limit=PAGE_SIZE,
        count=False,
    )
    codes = codes_of(ctx, {r["household_id"] for r in found.rows if r.get("household_id")})
    for row in found.rows:
        row["household_code"] = codes.get(row.get("household_id") or "", "")
    return ctx.render(
        "distributions_list.html.j2",
        rows=found.rows,
        pg=found,
        q=query,
        can_write=ctx.role in WRITERS,
    )


# -- a distribution round -----------------------------------------------------------------


def round_fields(ctx: Ctx) -> list[Field]:
    """The shared fields of a round; the place may stay empty (each household's own)."""
    by_name = {f.name: f for f in fields_for(ctx, DISTRIBUTIONS)}
    if "location_pcode" in by_name:
        by_name["location_pcode"] = replace(by_name["location_pcode"], required=False)
    return [by_name[n] for n in SHARED if n in by_name]


def split_codes(text: str) -> list[str]:
    """The codes of a textarea: one a line, or separated by commas or semicolons; a line of
    several codes separated by spaces is split too (see `find_households`). Burmese digits
    are read as ASCII; repeated codes (a card scanned twice) count once."""
    seen: dict[str, str] = {}
    for piece in _PIECES.split(text.translate(_TO_ASCII)):
        code = " ".join(piece.split())
        if code and code.casefold() not in seen:
            seen[code.casefold()] = code
    return list(seen.values())


def _lookup(ctx: Ctx, codes: list[str]) -> dict[str, list[tuple[str, str, str]]]:
    """{code folded: [(household id, its code, its place), ...]} for these codes."""
    found: dict[str, list[tuple[str, str, str]]] = {}
    folded = json_list(sorted({c.casefold() for c in codes}))
    for hid, code, pcode in ctx.ws.conn.execute(
        "SELECT id, code, location_pcode FROM households "
        f"WHERE lower(code) IN {JSON_LIST} AND NOT _forgotten ORDER BY id",
        (folded,),
    ):
        found.setdefault(code.casefold(), []).append((hid, code, pcode))
    return found


def find_households(ctx: Ctx, codes: list[str]) -> tuple[list[tuple[str, str, str]], str]:
    """([(household id, code, place P-code)] in the order given, "") or ([], the error line).

    A piece that is no code but holds spaces is read as several codes ("HH-1 HH-2")."""
    found = _lookup(ctx, codes)
    pieces: list[str] = []
    for code in codes:
        if code.casefold() not in found and " " in code:
            pieces += code.split(" ")
        else:
            pieces.append(code)
    if len(pieces) != len(codes):
        found.update(_lookup(ctx, pieces))
        pieces = list(dict.fromkeys(pieces))
    unknown = [c for c in pieces if c.casefold() not in found]
    if unknown:
        return [], i18n.ngettext(
            "No household has the code %(codes)s. Nothing was saved.",
            "No household has these codes: %(codes)s. Nothing was saved.",
            len(unknown),
        ) % {"codes": ", ".join(unknown)}
    twice = [c for c in pieces if len(found[c.casefold()]) > 1]
    if twice:
        return [], i18n._(
            "More than one household has the code %(codes)s: a coordinator must correct "
            "the codes first. Nothing was saved."
        ) % {"codes": ", ".join(twice)}
    households = [found[c.casefold()][0] for c in pieces]
    return list(dict.fromkeys(households)), ""


def record_round(
    ctx: Ctx, shared: dict[str, Any], households: list[tuple[str, str, str]]
) -> tuple[list[str], str]:
    """One distribution per household, in one transaction: (their ids, "") or
    ([], the error line) with nothing saved."""
    rtype = record_type("distribution")
    place = shared.get("location_pcode")
    if place:
        try:
            shared = {**shared, "location_pcode": ctx.ws.places().resolve(place).pcode}
        except ValidationError as exc:
            label = next(f.label for f in round_fields(ctx) if f.name == "location_pcode")
            return [], f"{label}: {exc}"
    # The shared fields checked once, so that their error names no household.
    first_id, _code, first_place = households[0]
    try:
        convert(
            rtype,
            {"location_pcode": first_place, **shared, "household_id": first_id},
            source=i18n._("Round"),
        )
    except ValidationError as exc:
        return [], str(exc)
    labels = {f.name: f.label for f in round_fields(ctx)}
    for name, target_name in rtype.refs:
        value, target = shared.get(name), record_type(target_name)
        held = target.compartment in ctx.ws.keyring.epochs  # as `Workspace.add` checks
        if value and name != "household_id" and held and not ctx.ws.exists(target_name, value):
            return [], i18n._("%(field)s: nothing has the id %(id)s.") % {
                "field": labels.get(name, name),
                "id": value,
            }
    made: list[str] = []
    try:
        with ctx.ws.transaction():
            for hid, code, pcode in households:
                data = {"location_pcode": pcode, **shared, "household_id": hid}
                source = i18n._("household %(code)s") % {"code": code}
                made.append(ctx.ws.add("distribution", data, source=source))
    except ValidationError as exc:
        return [], str(exc)
    return made, ""


def _render_round(ctx: Ctx, values: dict[str, str], error: str = "", status: int = 200) -> Response:
    fields, values = reference_inputs(ctx, round_fields(ctx), values)
    return ctx.render(
        "distributions_round.html.j2",
        status=status,
        fields=fields,
        values=values,
        error=error,
        most=MAX_ROUND,
    )


@pages.route(
    "/distributions/round", roles=WRITERS, methods=["GET", "POST"], name="distribution_round"
)
def distribution_round(ctx: Ctx) -> Response:
    """A distribution round: the shared fields once, then the households' codes."""
    if ctx.request.method == "GET":
        values = {"date": dt.date.today().isoformat(), "modality": "in_kind_food"}
        values.update({k: v for k, v in ctx.request.query_params.items() if k != "csrf"})
        return _render_round(ctx, values)
    fields = round_fields(ctx)
    values = {f.name: ctx.field(f.name) for f in fields}
    values["codes"] = ctx.field("codes")

    def failed(error: str) -> Response:
        return _render_round(ctx, values, error=error, status=400)

    codes = split_codes(values["codes"])
    if not codes:
        return failed(i18n._("Write or scan at least one household code."))
    if len(codes) > MAX_ROUND:
        return failed(
            i18n._("At most %(n)d households in one round: split it in two.") % {"n": MAX_ROUND}
        )
    households, error = find_households(ctx, codes)
    if error:
        return failed(error)
    shared = record_data(fields, posted_from(ctx.form or {}))
    made, error = record_round(ctx, shared, households)
    if error:
        return failed(i18n._("Nothing was saved.") + " " + error)
    said = i18n.ngettext(
        "Saved: %(n)d distribution.", "Saved: %(n)d distributions, one per household.", len(made)
    ) % {"n": len(made)}
    return ctx.redirect("/distributions", said)


# -- the generic screens (the list is the one above) ----------------------------------------

_generic = PageSet()
record_pages(_generic, DISTRIBUTIONS)
for _page in _generic.pages:
    if _page.name != "distribution_list":
        pages.add(_page)
