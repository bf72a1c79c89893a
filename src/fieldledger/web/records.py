"""The screens every record family gets: a list (a page at a time, searchable by prefix),
a new-record form, the record, its edit form, and `forget` for families with personal data.

`record_pages(pages, "grant", "/grants")` registers them; a screen module adds its own
pages next to them (a distribution round, evidence upload). Who may open what:

- read (list, record): roles holding the family's compartment;
- write (new, edit): `web.app.writing(compartment)`;
- forget: writers of `people`-holding roles among coordinators and field workers.

Fields kept in a compartment the role does not hold are neither shown nor asked for.

References to other records are never shown or asked as internal ids (`web.forms`): a
household by its code, typed, resolved to its id on save (`resolve_references`: an unknown
code is one error line and nothing is saved); a project, grant, incident or evidence
chosen from a list (`reference_inputs`). Lists and record pages show the code or name,
linked to the record, looked up for the ids on the page only: one query per record type
named (`reference_names`).
Sensitive feedback (complaints of sexual exploitation and abuse) opens only for the
protected roles (`sync.roles.PROTECTED_ROLES`): everyone else sees it sealed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.errors import ValidationError
from fieldledger.records import record_type
from fieldledger.sync.roles import PROTECTED_ROLES
from fieldledger.views.query import JSON_LIST, json_list, page
from fieldledger.web.app import Ctx, PageSet, holding, writing
from fieldledger.web.forms import (
    NAMING,
    TYPED,
    Field,
    current_values,
    form_fields,
    posted_from,
    record_data,
    shown,
    typed,
    value_label,
)
from fieldledger.web.rendering import digits

PAGE_SIZE = 50
SEALED = "•••"
MAX_OPTIONS = 500  # records offered in one list to choose from (the newest)


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


# -- references to other records ---------------------------------------------------------


def reference_names(
    ctx: Ctx, fields: Iterable[Field], rows: Iterable[Mapping[str, Any]]
) -> dict[str, dict[str, tuple[str, str]]]:
    """{field: {id: (label, link)}} for the reference fields among `fields` and the ids
    these rows hold: a household's code, a project's name, a grant's donor alias and
    period. One query per record type named, whatever the number of rows. An id not found
    is left out (shown as it is)."""
    wanted = {f.name: f.ref for f in fields if f.ref and f.ref in NAMING}
    if not wanted:
        return {}
    ids: dict[str, set[str]] = {}
    for row in rows:
        for name, target in wanted.items():
            value = row.get(name)
            if isinstance(value, str) and value:
                ids.setdefault(target, set()).add(value)
    found: dict[str, dict[str, tuple[str, str]]] = {}
    for target, some in ids.items():
        naming, table = NAMING[target], record_type(target).table
        columns = ", ".join(f'"{c}"' for c in naming.columns)
        named: dict[str, tuple[str, str]] = {}
        sql = f'SELECT id, {columns} FROM "{table}" WHERE id IN {JSON_LIST}'
        for rid, *rest in ctx.ws.conn.execute(sql, (json_list(sorted(some)),)):
            named[rid] = (naming.label(tuple(rest)) or rid, naming.href(rid, tuple(rest)))
        found[target] = named
    return {name: found.get(target, {}) for name, target in wanted.items()}


def find_typed(ctx: Ctx, target: str, text: str) -> list[str]:
    """The ids of the records of `target` (a type of `forms.TYPED`) that `text` names: by
    their code in any case, with Burmese or ASCII digits; else by their own id."""
    said = typed(text)
    if not said:
        return []
    table, column = record_type(target).table, TYPED[target]
    ids = [
        r[0]
        for r in ctx.ws.conn.execute(
            f'SELECT id FROM "{table}" WHERE "{column}" = ? COLLATE NOCASE AND NOT _forgotten '
            "ORDER BY id",
            (said,),
        )
    ]
    if ids:
        return ids
    for candidate in dict.fromkeys((said, said.upper())):
        row = ctx.ws.conn.execute(f'SELECT id FROM "{table}" WHERE id = ?', (candidate,)).fetchone()
        if row:
            return [row[0]]
    return []


def resolve_references(ctx: Ctx, fields: Iterable[Field], data: dict[str, Any]) -> str:
    """Replace in `data` each typed reference (a household's code) by the id of the record
    it names; "" or the one error line naming the field and the code."""
    for f in fields:
        value = data.get(f.name)
        if f.kind != "code" or not isinstance(value, str) or not value:
            continue
        ids = find_typed(ctx, f.ref, value)
        if len(ids) == 1:
            data[f.name] = ids[0]
            continue
        if not ids:
            said = i18n.ngettext(
                "No household has the code %(codes)s. Nothing was saved.",
                "No household has these codes: %(codes)s. Nothing was saved.",
                1,
            )
        else:
            said = i18n._(
                "More than one household has the code %(codes)s: a coordinator must correct "
                "the codes first. Nothing was saved."
            )
        return f"{f.label}: {said % {'codes': value}}"
    return ""


def reference_inputs(
    ctx: Ctx, fields: list[Field], values: Mapping[str, str]
) -> tuple[list[Field], dict[str, str]]:
    """A form's fields and starting values with its references as people know them: the
    records to choose from (the newest `MAX_OPTIONS`, and the one already chosen), and a
    household's id (a link's `?household_id=`, a stored record) shown as its code when
    that code names no other household."""
    values = dict(values)
    out: list[Field] = []
    offered: dict[str, tuple[tuple[str, str], ...]] = {}
    for f in fields:
        value = values.get(f.name, "")
        if f.kind == "code" and value:
            values[f.name] = _code_of(ctx, f.ref, value)
        if f.kind != "ref" or f.ref not in NAMING:
            out.append(f)
            continue
        if f.ref not in offered:
            offered[f.ref] = _options(ctx, f.ref)
        options = offered[f.ref]
        if value and value not in {i for i, _ in options}:
            named = reference_names(ctx, [f], [{f.name: value}]).get(f.name, {})
            options = ((value, named.get(value, (value, ""))[0]), *options)
        out.append(replace(f, options=options))
    return out, values


def _options(ctx: Ctx, target: str) -> tuple[tuple[str, str], ...]:
    naming, table = NAMING[target], record_type(target).table
    columns = ", ".join(f'"{c}"' for c in naming.columns)
    sql = (
        f'SELECT id, {columns} FROM "{table}" WHERE NOT _forgotten '
        f'ORDER BY "{naming.order}" DESC, id LIMIT {MAX_OPTIONS}'
    )
    return tuple((rid, naming.label(tuple(rest)) or rid) for rid, *rest in ctx.ws.conn.execute(sql))


def _code_of(ctx: Ctx, target: str, value: str) -> str:
    """A typed record's id as its code, when the code names it alone; else `value`."""
    table, column = record_type(target).table, TYPED[target]
    row = ctx.ws.conn.execute(
        f'SELECT "{column}" FROM "{table}" WHERE id = ? AND NOT _forgotten', (value,)
    ).fetchone()
    if row is None or not row[0]:
        return value
    same = ctx.ws.conn.execute(
        f'SELECT count(*) FROM "{table}" WHERE "{column}" = ? COLLATE NOCASE AND NOT _forgotten',
        (row[0],),
    ).fetchone()[0]
    return str(row[0]) if same == 1 else value


# -- saving -------------------------------------------------------------------------------


def save_new(
    ctx: Ctx, screens: RecordScreens, fields: list[Field], extra: dict[str, Any] | None = None
) -> tuple[str | None, str]:
    """Add the posted record; (its id, "") or (None, the one error line)."""
    data = record_data(fields, posted_from(ctx.form or {}))
    error = resolve_references(ctx, fields, data)
    if error:
        return None, error
    data.update(extra or {})
    try:
        return ctx.ws.add(screens.type_name, data, source=i18n._("form")), ""
    except ValidationError as exc:
        return None, str(exc)


# -- what the generic screens render ------------------------------------------------------


def render_form(
    ctx: Ctx,
    screens: RecordScreens,
    fields: list[Field],
    values: Mapping[str, str],
    action: str,
    error: str = "",
    template: str = "records_form.html.j2",
    **more: Any,
) -> Response:
    """A record form, its references offered as people know them (`reference_inputs`);
    status 400 when it shows an error."""
    fields, shown_values = reference_inputs(ctx, fields, values)
    return ctx.render(
        template,
        status=400 if error else 200,
        screens=screens,
        fields=fields,
        values=shown_values,
        action=action,
        error=error,
        **more,
    )


def list_values(ctx: Ctx, screens: RecordScreens) -> dict[str, Any]:
    """What records_list.html.j2 shows: a page of records, searched by prefix on the
    screen's search column (a household reference: by the household's code, in full)."""
    query = ctx.query("q").strip()
    offset = ctx.offset()
    fields = {f.name: f for f in fields_for(ctx, screens)}
    where, starts = None, None
    if screens.search and query:
        searched = fields.get(screens.search)
        ids = find_typed(ctx, searched.ref, query) if searched and searched.kind == "code" else []
        if len(ids) == 1:
            where = {screens.search: ids[0]}
        else:
            starts = (screens.search, query)
    found = page(
        ctx.ws,
        screens.type_name,
        where=where,
        starts=starts,
        order=screens.order,
        descending=screens.descending,
        offset=offset,
        limit=PAGE_SIZE,
        count=False,
    )
    rows = [visible(ctx, screens, r) for r in found.rows]
    return {
        "screens": screens,
        "rows": rows,
        "table": list_cells(screens, fields, reference_names(ctx, fields.values(), rows), rows),
        "pg": found,
        "q": query,
        "can_write": ctx.role in writing(screens.rtype.compartment),
        "fields": fields,
    }


Cell = tuple[str, str | None]  # (text, link)


def list_cells(
    screens: RecordScreens,
    fields: Mapping[str, Field],
    names: Mapping[str, Mapping[str, tuple[str, str]]],
    rows: Iterable[Mapping[str, Any]],
) -> list[list[Cell]]:
    """Each row's cells as the list shows them: the first links to the record (by its
    code or name when it is a reference), a reference by the code or name of the record it
    names, an allowed value in words. Built here, not in the template, where each cell's
    lookups cost ten times as much."""
    table = []
    for row in rows:
        cells: list[Cell] = []
        for i, column in enumerate(screens.listed):
            named, value = names.get(column), row.get(column)
            known = named.get(value) if named is not None and value else None
            f = fields.get(column)
            if i == 0:
                said = known[0] if known else value
                text = digits(shown(said if said is not None else row["id"]))
                cells.append((text, f"{screens.base}/{row['id']}"))
            elif known:
                cells.append((digits(known[0]), known[1] or None))
            elif f is not None and f.kind == "choice" and value and named is None:
                cells.append((value_label(value), None))
            else:
                cells.append((digits(shown(value)), None))
        table.append(cells)
    return table


def show_values(ctx: Ctx, screens: RecordScreens, rid: str) -> dict[str, Any]:
    """What records_show.html.j2 shows: the record as this role may see it, with the
    records it names by their code or name."""
    record = visible(
        ctx, screens, ctx.ws.get(screens.type_name, rid, reveal=may_reveal(ctx, screens, rid))
    )
    fields = fields_for(ctx, screens)
    return {
        "screens": screens,
        "record": record,
        "fields": fields,
        "names": reference_names(ctx, fields, [record]),
        "can_write": ctx.role in writing(screens.rtype.compartment),
        "can_forget": False,
    }


def record_pages(
    pages: PageSet,
    screens: RecordScreens,
    *,
    new_defaults: Callable[[Ctx], dict[str, str]] | None = None,
    forget: bool = False,
    check: Callable[[Ctx, str, dict[str, Any]], str] | None = None,
) -> None:
    """The generic list, new, show, edit (and forget) screens of a family. `check(ctx, rid,
    data)` may refuse an edit the record's own rules allow: "" or the one error line."""
    rtype = screens.rtype
    readers = holding(rtype.compartment)
    writers = writing(rtype.compartment)
    base = screens.base
    name = rtype.name.replace("-", "_")

    def listing(ctx: Ctx) -> Response:
        return ctx.render("records_list.html.j2", **list_values(ctx, screens))

    def new(ctx: Ctx) -> Response:
        fields = fields_for(ctx, screens)
        if ctx.request.method == "GET":
            values = new_defaults(ctx) if new_defaults else {}
            values.update({k: v for k, v in ctx.request.query_params.items() if k != "csrf"})
            return render_form(ctx, screens, fields, values, f"{base}/new")
        rid, error = save_new(ctx, screens, fields)
        if rid is None:
            values = {f.name: ctx.field(f.name) for f in fields}
            return render_form(ctx, screens, fields, values, f"{base}/new", error)
        return ctx.redirect(f"{base}/{rid}", i18n._("Saved."))

    def show(ctx: Ctx) -> Response:
        values = show_values(ctx, screens, ctx.param("rid"))
        values["can_forget"] = forget and rtype.forgettable and ctx.role in writers
        return ctx.render("records_show.html.j2", **values)

    def edit(ctx: Ctx) -> Response:
        rid = ctx.param("rid")
        fields = [
            f for f in fields_for(ctx, screens) if may_reveal(ctx, screens, rid) or not f.personal
        ]
        action = f"{base}/{rid}/edit"
        if ctx.request.method == "GET":
            record = ctx.ws.get(screens.type_name, rid)
            return render_form(ctx, screens, fields, current_values(fields, record), action)
        data = record_data(fields, posted_from(ctx.form or {}), keep_empty=True)
        error = resolve_references(ctx, fields, data) or (check(ctx, rid, data) if check else "")
        if not error:
            try:
                ctx.ws.update(screens.type_name, rid, data, source=i18n._("form"))
            except ValidationError as exc:
                error = str(exc)
        if error:
            values = {f.name: ctx.field(f.name) for f in fields}
            return render_form(ctx, screens, fields, values, action, error)
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
