"""The screens every record family gets: a list (a page at a time, searchable by prefix),
a new-record form, the record, its edit form, and `forget` for families with personal data.

`record_pages(pages, "grant", "/grants")` registers them; a screen module adds its own
pages next to them (a distribution round, evidence upload). Who may open what:

- read (list, record): roles holding the family's compartment;
- write (new, edit): `web.app.writing(compartment)`;
- forget: writers of `people`-holding roles among coordinators and field workers.

Fields kept in a compartment the role does not hold are neither shown nor asked for.
Sensitive feedback (complaints of sexual exploitation and abuse) opens only for the
protected roles (`sync.roles.PROTECTED_ROLES`): everyone else sees it sealed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.errors import ValidationError
from fieldledger.records import record_type
from fieldledger.sync.roles import PROTECTED_ROLES
from fieldledger.views.query import page
from fieldledger.web.app import Ctx, PageSet, holding, writing
from fieldledger.web.forms import Field, current_values, form_fields, posted_from, record_data

PAGE_SIZE = 50
SEALED = "•••"


@dataclass(frozen=True)
class RecordScreens:
    """What a family's screens show: its title, the columns of its list, what the search
    box matches (a column, by prefix), fields a form never asks (set by the screen)."""

    type_name: str
    base: str
    title: str  # a msgid
    listed: tuple[str, ...]
    search: str | None = None
    order: str = "id"
    descending: bool = False
    skip: tuple[str, ...] = ()

    @property
    def rtype(self):
        return record_type(self.type_name)


def visible(ctx: Ctx, screens: RecordScreens, record: dict[str, Any]) -> dict[str, Any]:
    """`record` as this account may see it: fields of compartments its role does not hold
    removed, sensitive feedback sealed unless its role is a protected one."""
    rtype = screens.rtype
    hidden = {f for f, c in rtype.split if not ctx.holds(c)}
    shown = {k: v for k, v in record.items() if k not in hidden}
    if rtype.name == "feedback" and shown.get("sensitive") and ctx.role not in PROTECTED_ROLES:
        for name in rtype.pii:
            if shown.get(name) is not None:
                shown[name] = SEALED
    return shown


def may_reveal(ctx: Ctx, screens: RecordScreens, record_id: str) -> bool:
    if screens.type_name != "feedback" or ctx.role in PROTECTED_ROLES:
        return True
    row = ctx.ws.conn.execute(
        "SELECT sensitive FROM feedback WHERE id = ?", (record_id,)
    ).fetchone()
    return not (row and row[0])


def fields_for(ctx: Ctx, screens: RecordScreens) -> list[Field]:
    return form_fields(screens.rtype, ctx.compartments, skip=screens.skip)


def save_new(
    ctx: Ctx, screens: RecordScreens, fields: list[Field], extra: dict[str, Any] | None = None
) -> tuple[str | None, str]:
    """Add the posted record; (its id, "") or (None, the one error line)."""
    data = {**record_data(fields, posted_from(ctx.form or {})), **(extra or {})}
    try:
        return ctx.ws.add(screens.type_name, data, source=i18n._("form")), ""
    except ValidationError as exc:
        return None, str(exc)


def record_pages(
    pages: PageSet,
    screens: RecordScreens,
    *,
    new_defaults: Callable[[Ctx], dict[str, str]] | None = None,
    forget: bool = False,
) -> None:
    rtype = screens.rtype
    readers = holding(rtype.compartment)
    writers = writing(rtype.compartment)
    base = screens.base
    name = rtype.name.replace("-", "_")

    def listing(ctx: Ctx) -> Response:
        query = ctx.query("q")
        try:
            offset = max(0, int(ctx.query("offset", "0")))
        except ValueError:
            offset = 0
        found = page(
            ctx.ws,
            screens.type_name,
            starts=(screens.search, query) if screens.search and query else None,
            order=screens.order,
            descending=screens.descending,
            offset=offset,
            limit=PAGE_SIZE,
        )
        rows = [visible(ctx, screens, r) for r in found.rows]
        return ctx.render(
            "records_list.html.j2",
            screens=screens,
            rows=rows,
            pg=found,
            q=query,
            can_write=ctx.role in writers,
            fields={f.name: f for f in fields_for(ctx, screens)},
        )

    def new(ctx: Ctx) -> Response:
        fields = fields_for(ctx, screens)
        if ctx.request.method == "GET":
            values = new_defaults(ctx) if new_defaults else {}
            values.update({k: v for k, v in ctx.request.query_params.items() if k != "csrf"})
            return ctx.render(
                "records_form.html.j2",
                screens=screens,
                fields=fields,
                values=values,
                action=f"{base}/new",
                error="",
            )
        rid, error = save_new(ctx, screens, fields)
        if rid is None:
            values = {f.name: ctx.field(f.name) for f in fields}
            return ctx.render(
                "records_form.html.j2",
                status=400,
                screens=screens,
                fields=fields,
                values=values,
                action=f"{base}/new",
                error=error,
            )
        return ctx.redirect(f"{base}/{rid}", i18n._("Saved."))

    def show(ctx: Ctx) -> Response:
        rid = ctx.param("rid")
        record = ctx.ws.get(screens.type_name, rid, reveal=may_reveal(ctx, screens, rid))
        return ctx.render(
            "records_show.html.j2",
            screens=screens,
            record=visible(ctx, screens, record),
            fields=fields_for(ctx, screens),
            can_write=ctx.role in writers,
            can_forget=forget and rtype.forgettable and ctx.role in writers,
        )

    def edit(ctx: Ctx) -> Response:
        rid = ctx.param("rid")
        fields = [
            f for f in fields_for(ctx, screens) if may_reveal(ctx, screens, rid) or not f.personal
        ]
        action = f"{base}/{rid}/edit"
        if ctx.request.method == "GET":
            record = ctx.ws.get(screens.type_name, rid)
            return ctx.render(
                "records_form.html.j2",
                screens=screens,
                fields=fields,
                values=current_values(fields, record),
                action=action,
                error="",
            )
        data = record_data(fields, posted_from(ctx.form or {}), keep_empty=True)
        try:
            ctx.ws.update(screens.type_name, rid, data, source=i18n._("form"))
        except ValidationError as exc:
            values = {f.name: ctx.field(f.name) for f in fields}
            return ctx.render(
                "records_form.html.j2",
                status=400,
                screens=screens,
                fields=fields,
                values=values,
                action=action,
                error=str(exc),
            )
        return ctx.redirect(f"{base}/{rid}", i18n._("Saved."))

    def forget_one(ctx: Ctx) -> Response:
        rid = ctx.param("rid")
        if ctx.field("confirm") != "forget":
            return ctx.redirect(f"{base}/{rid}", i18n._("Not forgotten: type forget to confirm."))
        ctx.ws.forget(rid, reason="web")
        return ctx.redirect(base, i18n._("Forgotten: their personal data is destroyed."))

    pages.route(base, roles=readers, name=f"{name}_list")(listing)
    pages.route(f"{base}/new", roles=writers, methods=["GET", "POST"], name=f"{name}_new")(new)
    pages.route(f"{base}/{{rid}}", roles=readers, name=f"{name}_show")(show)
    pages.route(
        f"{base}/{{rid}}/edit", roles=writers, methods=["GET", "POST"], name=f"{name}_edit"
    )(edit)
    if forget and rtype.forgettable:
        pages.route(
            f"{base}/{{rid}}/forget", roles=writers, methods=["POST"], name=f"{name}_forget"
        )(forget_one)
