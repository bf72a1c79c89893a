"""Screens: households, their people, assessments, and printed household cards.

- `/households`: the list, searched by household code (prefix) and, for roles holding
  `people`, by a person's name. Names are sealed: a name search opens every person's name
  (`ws.list("person", reveal=True)`, one access-log note), so it runs only when asked.
- `/households/new`, `/households/{rid}/edit`: a household (code checked to be free).
- `/households/{rid}`: the household with its members (names only for roles holding
  `people`; other roles see no person records at all), its assessments and distributions.
- `/households/{rid}/people/new`: a member, its household preset.
- `/households/cards?ids=...`: printable QR cards (the QR holds the household code only,
  as in `fieldledger.cards`; a card names nobody).
- `/people/...` and `/assessments/...`: the generic screens; `forget` is on a person's page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.cards import qr_svg
from fieldledger.errors import ValidationError
from fieldledger.views.query import JSON_LIST, json_list, page
from fieldledger.web.app import Ctx, PageSet, holding, writing
from fieldledger.web.records import RecordScreens, fields_for, record_pages, save_new

pages = PageSet()

PAGE_SIZE = 50
NAME_HITS = 50  # households shown for one name search
MAX_CARDS = 40  # cards on one printed page (keeps the page under 60 KB)
_TO_ASCII = str.maketrans("၀၁၂၃၄၅၆၇၈၉", "0123456789")

HOUSEHOLDS = RecordScreens(
    "household",
    "/households",
    i18n.N_("Households"),
    listed=("code", "location_pcode", "displacement_status", "size"),
    search="code",
    order="code",
)
PEOPLE = RecordScreens(
    "person",
    "/people",
    i18n.N_("People"),
    listed=("relationship", "sex", "birth_year", "age", "household_id"),
    search="household_id",
    order="household_id",
)
ASSESSMENTS = RecordScreens(
    "assessment",
    "/assessments",
    i18n.N_("Assessments"),
    listed=("date", "household_id", "food_need", "shelter_need", "health_need"),
    search="date",
    order="date",
    descending=True,
)

READERS = holding("programme")
WRITERS = writing("programme")
PEOPLE_READERS = holding("people")
PEOPLE_WRITERS = writing("people")


# -- helpers ------------------------------------------------------------------------------


def place_name(ctx: Ctx, pcode: str | None) -> str:
    """A P-code as its place's name in the reader's language (the code when unknown)."""
    if not pcode:
        return ""
    try:
        place = ctx.ws.places().get(pcode)
    except ValidationError:
        return pcode
    if i18n.current_language() == "my" and place.name_mm:
        return place.name_mm
    return place.name_en


def place_with_township(ctx: Ctx, pcode: str | None) -> str:
    """A place's name, with its township's when it lies below one."""
    name = place_name(ctx, pcode)
    if not pcode:
        return name
    try:
        township = ctx.ws.places().at_level(pcode, "township")
    except ValidationError:
        return name
    said = township.name_mm if i18n.current_language() == "my" and township.name_mm else ""
    said = said or township.name_en
    return name if township.pcode == pcode else f"{name} ({said})"


def township_of(ctx: Ctx, pcode: str | None) -> str:
    """The township of a place, in both scripts, as `fieldledger.cards` prints it."""
    if not pcode:
        return ""
    try:
        township = ctx.ws.places().at_level(pcode, "township")
    except ValidationError:
        return ""
    return f"{township.name_mm} / {township.name_en}" if township.name_mm else township.name_en


def code_free(ctx: Ctx, rid: str | None, data: dict[str, Any]) -> str:
    """The error line, in the reader's language, when a code typed or changed here is
    another household's (in any case), else "". The workspace refuses it too
    (`Workspace.add`, `update`), in English."""
    code = str(data.get("code") or "").strip()
    if rid is not None:
        row = ctx.ws.conn.execute("SELECT code FROM households WHERE id = ?", (rid,)).fetchone()
        if row and (row[0] or "").casefold() == code.casefold():
            return ""  # unchanged: kept even if another device gave the same code meanwhile
    if code and ctx.ws.household_with_code(code, but=rid) is not None:
        return i18n._("Another household already has the code %(code)s.") % {"code": code}
    return ""


def households_by_id(ctx: Ctx, ids: list[str]) -> list[dict[str, Any]]:
    """Households (the view's plain columns) for these ids, in code order."""
    if not ids:
        return []
    found = [
        {
            "id": r[0],
            "code": r[1],
            "location_pcode": r[2],
            "displacement_status": r[3],
            "size": r[4],
        }
        for r in ctx.ws.conn.execute(
            "SELECT id, code, location_pcode, displacement_status, size FROM households "
            f"WHERE id IN {JSON_LIST} AND NOT _forgotten",
            (json_list(ids),),
        )
    ]
    return sorted(found, key=lambda h: (h["code"] or "", h["id"]))


def names_matching(ctx: Ctx, wanted: str) -> dict[str, list[str]]:
    """{household id: [names of its people containing `wanted`]}, for roles holding `people`.

    Opens every person's name (access-logged once, as a list); forgotten people are skipped."""
    from fieldledger.intake.burmese import normalise

    needle = " ".join(normalise(wanted).text.split()).casefold()
    if not needle:
        return {}
    hits: dict[str, list[str]] = {}
    for person in ctx.ws.list("person", reveal=True):
        name = person.get("name")
        if person.get("forgotten") or not isinstance(name, str) or name == "•••":
            continue
        if needle in " ".join(name.split()).casefold():
            hits.setdefault(person["household_id"], []).append(name)
    return hits


# -- the list -----------------------------------------------------------------------------


@pages.route("/households", roles=READERS, name="household_list")
def household_list(ctx: Ctx) -> Response:
    code = ctx.query("q").strip().translate(_TO_ASCII)
    may_name = ctx.role in PEOPLE_READERS
    name = ctx.query("name").strip() if may_name else ""
    matched: dict[str, list[str]] = {}
    pg = None
    if name:
        matched = names_matching(ctx, name)
        rows = households_by_id(ctx, list(matched))
        if code:
            prefix = code.casefold()
            rows = [r for r in rows if (r["code"] or "").casefold().startswith(prefix)]
        more = len(rows) > NAME_HITS
        rows = rows[:NAME_HITS]
    else:
        pg = page(
            ctx.ws,
            "household",
            starts=("code", code) if code else None,
            order="code",
            offset=ctx.offset(),
            limit=PAGE_SIZE,
            count=False,
        )
        rows, more = pg.rows, False
    for row in rows:
        row["place"] = place_name(ctx, row.get("location_pcode"))
        row["names"] = matched.get(row["id"], [])
    return ctx.render(
        "households_list.html.j2",
        rows=rows,
        pg=pg,
        q=code,
        name=name,
        more=more,
        may_name=may_name,
        can_write=ctx.role in WRITERS,
        fields={f.name: f for f in fields_for(ctx, HOUSEHOLDS)},
    )


# -- register, edit -----------------------------------------------------------------------


@pages.route("/households/new", roles=WRITERS, methods=["GET", "POST"], name="household_new")
def household_new(ctx: Ctx) -> Response:
    fields = fields_for(ctx, HOUSEHOLDS)
    values: dict[str, str]
    if ctx.request.method == "GET":
        values = {k: v for k, v in ctx.request.query_params.items() if k != "csrf"}
        return ctx.render(
            "records_form.html.j2",
            screens=HOUSEHOLDS,
            fields=fields,
            values=values,
            action="/households/new",
            error="",
        )
    error = code_free(ctx, None, {"code": ctx.field("code")})
    rid, error = (None, error) if error else save_new(ctx, HOUSEHOLDS, fields)
    if rid is None:
        values = {f.name: ctx.field(f.name) for f in fields}
        return ctx.render(
            "records_form.html.j2",
            status=400,
            screens=HOUSEHOLDS,
            fields=fields,
            values=values,
            action="/households/new",
            error=error,
        )
    return ctx.redirect(
        f"/households/{rid}", i18n._("Saved. Now add the people of this household.")
    )


# -- printed cards (before /households/{rid}, which would take "cards" for an id) ----------


@pages.route("/households/cards", roles=WRITERS, name="household_cards")
def household_cards(ctx: Ctx) -> Response:
    wanted: list[str] = []
    for value in ctx.request.query_params.getlist("ids"):
        for part in value.replace(";", ",").split(","):
            if part.strip() and part.strip() not in wanted:
                wanted.append(part.strip())
    if not wanted:
        return ctx.redirect(
            "/households", i18n._("Tick the households to print cards for, then press Print cards.")
        )
    cut = len(wanted) > MAX_CARDS
    found = households_by_id(ctx, wanted[:MAX_CARDS])
    if not found:
        return ctx.redirect("/households", i18n._("None of those households was found."))
    cards = [
        {
            "id": h["id"],
            "code": h["code"],
            "qr": qr_svg(h["code"]),
            "where": township_of(ctx, h["location_pcode"]),
        }
        for h in found
    ]
    return ctx.render("households_cards.html.j2", cards=cards, cut=cut, most=MAX_CARDS)


# -- one household --------------------------------------------------------------------------


def _members(ctx: Ctx, hid: str) -> list[dict[str, Any]]:
    """The household's people as this role may see them: none without `people`."""
    if ctx.role not in PEOPLE_READERS:
        return []
    people = [
        p
        for p in ctx.ws.list("person", reveal=True, where=("household_id", hid))
        if not p["forgotten"]
    ]
    people.sort(key=lambda p: (p["relationship"] != "head", p["birth_year"] or 0, p["id"]))
    return people


@pages.route("/households/{rid}", roles=READERS, name="household_show")
def household_show(ctx: Ctx) -> Response:
    rid = ctx.param("rid")
    record = ctx.ws.get("household", rid)
    assessments = page(
        ctx.ws, "assessment", where={"household_id": rid}, order="date", descending=True, limit=20
    )
    distributions = page(
        ctx.ws,
        "distribution",
        where={"household_id": rid},
        order="date",
        descending=True,
        limit=20,
    )
    return ctx.render(
        "households_show.html.j2",
        record=record,
        place=place_with_township(ctx, record.get("location_pcode")),
        fields=fields_for(ctx, HOUSEHOLDS),
        members=_members(ctx, rid),
        sees_people=ctx.role in PEOPLE_READERS,
        assessments=assessments,
        distributions=distributions,
        can_write=ctx.role in WRITERS,
        can_add_people=ctx.role in PEOPLE_WRITERS,
    )


@pages.route(
    "/households/{rid}/people/new",
    roles=PEOPLE_WRITERS,
    methods=["GET", "POST"],
    name="household_person_new",
)
def household_person_new(ctx: Ctx) -> Response:
    rid = ctx.param("rid")
    household = ctx.ws.get("household", rid)
    fields = [f for f in fields_for(ctx, PEOPLE) if f.name != "household_id"]
    action = f"/households/{rid}/people/new"
    if ctx.request.method == "GET":
        return ctx.render(
            "households_person.html.j2",
            household=household,
            fields=fields,
            values={},
            action=action,
            error="",
        )
    pid, error = save_new(ctx, PEOPLE, fields, {"household_id": rid})
    if pid is None:
        return ctx.render(
            "households_person.html.j2",
            status=400,
            household=household,
            fields=fields,
            values={f.name: ctx.field(f.name) for f in fields},
            action=action,
            error=error,
        )
    if ctx.field("then") == "another":
        return ctx.redirect(action, i18n._("Saved. Add the next person."))
    return ctx.redirect(f"/households/{rid}", i18n._("Saved."))


# -- the generic screens: household edit, people (with forget), assessments ------------------


def _only(screens: RecordScreens, wanted: set[str], **options: Any) -> None:
    """Mount some of the generic screens of a family (the others are written above)."""
    generic = PageSet()
    record_pages(generic, screens, **options)
    for p in generic.pages:
        if p.name in wanted:
            pages.add(p)


def _today(ctx: Ctx) -> dict[str, str]:
    return {"date": dt.date.today().isoformat()}


_only(HOUSEHOLDS, {"household_edit"}, check=code_free)
record_pages(pages, PEOPLE, forget=True)
record_pages(pages, ASSESSMENTS, new_defaults=_today)
