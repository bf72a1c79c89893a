"""Screens: the review queue, for coordinators and admins only.

Two kinds of things wait for a coordinator here:

- **Doubtful text** (`Workspace.review_queue`): text kept exactly as typed because its
  encoding (Zawgyi or Unicode) could not be told with confidence. The page shows the text,
  the detector's score, and a button that accepts it as it is (`Workspace.accept_text`);
  to correct it instead, the coordinator edits the record, and saving the field again
  takes it out of the queue.
- **Conflicts** (`Workspace.conflicts`, as `fieldledger conflicts` lists them): records
  that two devices changed at the same time. Every device shows the same version (the
  newest) and flags the record. The page sets the competing versions
  (`Workspace.versions`) side by side, field by field, marking the fields where they
  differ. The coordinator keeps one (`keep`: its fields are saved as a new version that
  names every competing version as seen, which settles the conflict on every device that
  syncs), or edits the record and saves it from its edit page, which settles it the same
  way. A keep is refused when the record changed after the page was shown: the
  coordinator chooses among the versions they saw, never blind.
"""

from __future__ import annotations

from typing import Any

import msgspec
from starlette.responses import Response
from starlette.routing import NoMatchFound

from fieldledger import i18n
from fieldledger.errors import FieldledgerError
from fieldledger.records import REGISTRY, RecordType, record_type
from fieldledger.sync.roles import PROTECTED_ROLES
from fieldledger.web.app import COORDINATORS, Ctx, PageSet, one_line
from fieldledger.web.forms import form_fields, shown, value_label
from fieldledger.workspace import Version

pages = PageSet()

TEXT_SHOWN = 500  # characters of a doubtful text shown in the list
# Items per page, so the page stays small on a phone: the next ones show once these are
# dealt with.
TEXTS_SHOWN = 20
CONFLICTS_SHOWN = 10  # each with its versions side by side
LETTERS = "ABCDEFGHIJ"  # versions are named A, B, ... on the page


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


def _reveal(ctx: Ctx, rtype: RecordType) -> bool:
    """Whether the versions are shown with their personal data (and the opening logged).
    Coordinators and admins may read all of it, sensitive feedback included."""
    return bool(rtype.pii) and ctx.role in PROTECTED_ROLES


def _compared(rtype: RecordType, versions: list[Version], compartments) -> list[dict[str, Any]]:
    """One row per field that any version fills: its label, each version's value as text,
    and whether they differ. Fields kept in a companion record are not part of versions."""
    apart = {f for f, _ in rtype.split}
    rows: list[dict[str, Any]] = []
    seen: set[str] = set()
    for f in form_fields(rtype, compartments):
        name = f.name.split(".")[0]
        if name in seen or name in apart:
            continue
        seen.add(name)
        values = [v.body.get(name) for v in versions]
        if all(value is None or value == "" for value in values):
            continue
        texts = [
            "" if value is None else value_label(value) if f.kind == "choice" else shown(value)
            for value in values
        ]
        label = f.label.split(" · ")[0] if "." in f.name else f.label
        differs = len({msgspec.json.encode(value) for value in values}) > 1
        rows.append({"label": label, "cells": texts, "differs": differs})
    return rows


def _conflicts(ctx: Ctx) -> tuple[list[dict[str, Any]], int]:
    found = [c for c in ctx.ws.conflicts() if _held(ctx, c.rtype)]
    out = []
    for c in found[:CONFLICTS_SHOWN]:
        rtype = record_type(c.rtype)
        versions = ctx.ws.versions(c.rtype, c.rid, reveal=_reveal(ctx, rtype))[: len(LETTERS)]
        out.append(
            {
                "type": c.rtype,
                "id": c.rid,
                "link": record_link(ctx, c.rtype, c.rid),
                "edit": record_link(ctx, c.rtype, c.rid, edit=True),
                "versions": [
                    {
                        "letter": letter,
                        "head": v.head,
                        "author": v.author,
                        "role": v.role,
                        "when": v.time.strftime("%Y-%m-%d %H:%M UTC"),
                    }
                    for letter, v in zip(LETTERS, versions, strict=False)
                ],
                "seen": " ".join(v.head for v in versions),
                "rows": _compared(rtype, versions, ctx.compartments),
            }
        )
    return out, len(found)


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
        line = one_line(exc)
        return review(ctx, error=line, status=400)
    return ctx.redirect("/review", i18n._("Accepted as typed."))


def _as_kept(rtype: RecordType, body: dict[str, Any]) -> dict[str, Any]:
    """A version's fields as `update` takes them to make that version the record again:
    every field of the record named, the ones the version left out (stored as their
    default) set to that default, so nothing of another version stays behind."""
    apart = {f for f, _ in rtype.split}
    data = {}
    for f in msgspec.structs.fields(rtype.struct):
        if f.name in apart:
            continue  # a companion record's field: not part of the version
        if f.name in body:
            data[f.name] = body[f.name]
        elif f.default is not msgspec.NODEFAULT:
            data[f.name] = msgspec.to_builtins(f.default)
        elif f.default_factory is not msgspec.NODEFAULT:
            data[f.name] = msgspec.to_builtins(f.default_factory())
    return data


@pages.route("/review/keep", roles=COORDINATORS, methods=["POST"])
def keep(ctx: Ctx) -> Response:
    """Keep one competing version: its fields become the record's, on every device."""
    type_name, rid, head = ctx.field("type"), ctx.field("id"), ctx.field("head")
    seen = set(ctx.field("seen").split())
    try:
        rtype = record_type(type_name)
        if not _held(ctx, rtype.name):
            raise FieldledgerError(f"{type_name}: not held by this role")
        current = {v.head for v in ctx.ws.versions(type_name, rid)}
        if len(current) < 2:
            raise FieldledgerError(i18n._("This record is no longer in conflict."))
        if current != seen or head not in current:
            raise FieldledgerError(
                i18n._("This record changed after the page was shown: compare its versions again.")
            )
        (chosen,) = (
            v for v in ctx.ws.versions(type_name, rid, reveal=_reveal(ctx, rtype)) if v.head == head
        )
        ctx.ws.update(type_name, rid, _as_kept(rtype, chosen.body), source=i18n._("form"))
    except FieldledgerError as exc:
        line = one_line(exc)
        return review(ctx, error=line, status=400)
    return ctx.redirect("/review", i18n._("Kept: every device will show this version."))
