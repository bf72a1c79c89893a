"""Screens: phones with ODK Collect, per web account (what `fieldledger phone` does).

- ``/phones``: every web account with how many phones it has.
- ``/phones/{name}``: that account's phone tokens (id, note, since when, active or revoked),
  a revoke button for each and for all, and the form that sets up a new phone.
- ``POST /phones/{name}/setup`` makes a token (`odk.setup.set_up`) and answers with Collect's
  settings QR code, the admin password and the settings to check on the phone. That answer
  is the only place the code ever appears: the token is stored as a hash, so a later visit
  cannot show it again (and `no-store` keeps it out of the browser's cache).

Admins and coordinators: docs/phones.md gives the setup to the coordinator, and a lost
phone must be revoked at once by whoever is at the laptop. A coordinator does not set up a
phone for an admin account (a token sends in its account's name); anyone who may open the
page may revoke any phone, since revoking only takes access away.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.errors import FieldledgerError
from fieldledger.odk import setup, tokens
from fieldledger.web import accounts
from fieldledger.web.accounts import WebUser
from fieldledger.web.app import COORDINATORS, Ctx, PageSet, one_line, refuse
from fieldledger.web.rendering import number

pages = PageSet()


def _day(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d")


def _user(ctx: Ctx) -> WebUser | None:
    try:
        return accounts.get_user(ctx.ws, ctx.param("name"))
    except FieldledgerError:
        return None


def _no_such_account(ctx: Ctx) -> Response:
    return refuse(ctx.state, 404, i18n.N_("There is no such web account."), ctx.lang)


def _may_set_up(ctx: Ctx, user: WebUser) -> bool:
    return not user.disabled and (user.role != "admin" or ctx.role == "admin")


def _account_page(
    ctx: Ctx,
    user: WebUser,
    *,
    error: str = "",
    status: int = 200,
    values: dict[str, str] | None = None,
) -> Response:
    phones = [
        {"t": t, "since": _day(t.created)}
        for t in tokens.list_tokens(ctx.ws)
        if t.account == user.name
    ]
    phones.sort(key=lambda p: (p["t"].revoked, -p["t"].created))
    values = values or {}
    odk_port = ctx.state.odk_port or setup.DEFAULT_ODK_PORT
    return ctx.render(
        "phones_account.html.j2",
        status=status,
        error=error,
        user=user,
        phones=phones,
        active=sum(1 for p in phones if not p["t"].revoked),
        may_set_up=_may_set_up(ctx, user),
        url=values.get("url") or setup.default_url(ctx.request.url.hostname, port=odk_port),
        project=values.get("project", setup.DEFAULT_PROJECT),
        label=values.get("label", ""),
        odk_port=odk_port,
    )


@pages.route("/phones", roles=COORDINATORS)
def phones(ctx: Ctx) -> Response:
    found = tokens.list_tokens(ctx.ws)
    rows = [
        {
            "user": u,
            "active": sum(1 for t in found if t.account == u.name and not t.revoked),
            "revoked": sum(1 for t in found if t.account == u.name and t.revoked),
        }
        for u in accounts.list_users(ctx.ws)
    ]
    rows = [r for r in rows if not r["user"].disabled or r["active"] or r["revoked"]]
    return ctx.render("phones_index.html.j2", rows=rows)


@pages.route("/phones/{name}", roles=COORDINATORS)
def phones_of(ctx: Ctx) -> Response:
    user = _user(ctx)
    if user is None:
        return _no_such_account(ctx)
    return _account_page(ctx, user)


@pages.route("/phones/{name}/setup", roles=COORDINATORS, methods=["POST"])
def phone_setup(ctx: Ctx) -> Response:
    user = _user(ctx)
    if user is None:
        return _no_such_account(ctx)
    values = {k: ctx.field(k) for k in ("url", "project", "label")}
    if user.disabled:
        return _account_page(
            ctx, user, error=i18n._("This account was removed."), status=400, values=values
        )
    if not _may_set_up(ctx, user):
        return refuse(
            ctx.state, 403, i18n.N_("Only an admin sets up a phone for an admin account."), ctx.lang
        )
    if not values["url"]:
        return _account_page(
            ctx,
            user,
            error=i18n._("Give the address the phone will use, e.g. http://192.168.43.1:8766."),
            status=400,
            values=values,
        )
    try:
        made = setup.set_up(
            ctx.ws,
            user.name,
            values["url"],
            values["project"] or setup.DEFAULT_PROJECT,
            values["label"],
        )
    except FieldledgerError as exc:
        return _account_page(ctx, user, error=one_line(exc), status=400, values=values)
    qr, size = made.svg_data_uri()
    return ctx.render("phones_setup.html.j2", user=user, made=made, qr=qr, qr_size=size)


@pages.route("/phones/{name}/revoke", roles=COORDINATORS, methods=["POST"])
def phone_revoke(ctx: Ctx) -> Response:
    user = _user(ctx)
    if user is None:
        return _no_such_account(ctx)
    which = ctx.field("token")
    if not which:
        return _account_page(ctx, user, error=i18n._("Choose a phone to revoke."), status=400)
    try:
        n = tokens.revoke(ctx.ws, user.name if which == "all" else which, account=user.name)
    except FieldledgerError:
        return _account_page(
            ctx, user, error=i18n._("No active phone of this account has that id."), status=400
        )
    return ctx.redirect(
        f"/phones/{quote(user.name, safe='')}",
        i18n.ngettext(
            "%(num)s phone revoked: it can no longer fetch forms or send.",
            "%(num)s phones revoked: they can no longer fetch forms or send.",
            n,
        )
        % {"num": number(n)},
    )
