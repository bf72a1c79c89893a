"""Screens: the review queue, for coordinators and admins only.

Two kinds of things wait for a coordinator here:

- **Doubtful text** (`Workspace.review_queue`): text kept exactly as typed because its
  encoding (Zawgyi or Unicode) could not be told with confidence. The page shows the text,
  the detector's score, and a button that accepts it as it is (`Workspace.accept_text`);
  to correct it instead, the coordinator edits the record, and saving the field again
  takes it out of the queue.
- **Conflicts** (`Workspace.conflicts`, as `fieldledger conflicts` lists them): records
  that two devices changed at the same time. Every device shows the same version (the
  latest) and flags the record. The library does not expose the competing versions yet,
  so the page links each record to its own page; saving it from its edit page names every
  competing version as seen, which settles the conflict on every device that syncs.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response
from starlette.routing import NoMatchFound

from fieldledger import i18n
from fieldledger.errors import FieldledgerError
from fieldledger.records import REGISTRY, record_type
from fieldledger.web.app import COORDINATORS, Ctx, PageSet

pages = PageSet()

TEXT_SHOWN = 500  # characters of a doubtful text shown in the list
# Items per page, so the page stays small on a phone: the next ones show once these are
# dealt with.
TEXTS_SHOWN = 20
CONFLICTS_SHOWN = 100


def record_link(ctx: Ctx, type_name: str, rid: str, *, edit: bool = False) -> str | None:
    """The path of a record's page (or its edit page), from the app's route table: the
    record screens are registered as `<type>_show` and `<type>_edit`."""
    name = f"{type_name.replace('-', '_')}_{'edit' if edit else 'show'}"
    try:
        return str(ctx.request.app.url_path_for(name, rid=rid))
    except NoMatchFound:
        return None


def _held(ctx: Ctx, type_name: str) -> bool:
    """Whether the account's role holds the compartment of records of `type_name`."""
    rtype = REGISTRY.get(type_name)
    return rtype is not None and ctx.holds(rtype.compartment)


def _doubtful(ctx: Ctx) -> tuple[list[dict[str, Any]], int]:
    """The first doubtful texts, with their records' text; and how many there are."""
    queue = [q for q in ctx.ws.review_queue() if _held(ctx, q["type"])]
    out = []
    for item in queue[:TEXTS_SHOWN]:
        rtype = record_type(item["type"])
        entry = {**item, "text": None, "link": record_link(ctx, item["type"], item["id"])}
        entry["edit"] = record_link(ctx, item["type"], item["id"], edit=True)
        try:
            record = ctx.ws.get(item["type"], item["id"], reveal=item["field"] in rtype.pii)
        except FieldledgerError:
            record = {}
        value = record.get(item["field"])
        if isinstance(value, str):
            entry["text"] = value[:TEXT_SHOWN]
            entry["cut"] = len(value) > TEXT_SHOWN
        out.append(entry)
    return out, len(queue)


def _conflicts(ctx: Ctx) -> tuple[list[dict[str, Any]], int]:
    found = [c for c in ctx.ws.conflicts() if _held(ctx, c.rtype)]
    return [
        {
            "type": c.rtype,
            "id": c.rid,
            "versions": c.heads,
            "link": record_link(ctx, c.rtype, c.rid),
            "edit": record_link(ctx, c.rtype, c.rid, edit=True),
        }
        for c in found[:CONFLICTS_SHOWN]
    ], len(found)


@pages.route("/review", roles=COORDINATORS)
def review(ctx: Ctx, *, error: str = "", status: int = 200) -> Response:
    doubtful, doubtful_total = _doubtful(ctx)
    conflicts, conflicts_total = _conflicts(ctx)
    return ctx.render(
        "review_page.html.j2",
        status=status,
        error=error,
        doubtful=doubtful,
        doubtful_total=doubtful_total,
        conflicts=conflicts,
        conflicts_total=conflicts_total,
    )


@pages.route("/review/accept", roles=COORDINATORS, methods=["POST"])
def accept(ctx: Ctx) -> Response:
    type_name, rid, field = ctx.field("type"), ctx.field("id"), ctx.field("field")
    try:
        if not _held(ctx, record_type(type_name).name):
            raise FieldledgerError(f"{type_name}: not held by this role")
        ctx.ws.accept_text(type_name, rid, field)
    except FieldledgerError as exc:
        line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return review(ctx, error=line, status=400)
    return ctx.redirect("/review", i18n._("Accepted as typed."))
