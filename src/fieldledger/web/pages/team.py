"""Screens: the team, for admins only.

Two kinds of people-with-access, kept apart on the page:

- **Devices** (members of the workspace, `sync.members`): each with its role and status.
  An admin revokes a lost or seized one here (`member revoke`, after a confirmation page);
  inviting a device stays on the command line (`fieldledger member invite`), since its
  secret must travel by hand, never through a web page.
- **Web accounts** (`web.accounts`): the people who log in to this server from a phone.
  Add (name, role, password, language), change the role, set a new password, remove.
  Removing an account, changing its role or its password ends its sessions at once
  (`Sessions.end_account`), so nobody keeps working under the old terms.

An admin cannot remove their own account nor change its role here: another admin does,
so a workspace is never left without one by a slip.
"""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.errors import FieldledgerError
from fieldledger.i18n import LANGUAGES
from fieldledger.ledger.hlc import wall_ms
from fieldledger.sync import members
from fieldledger.sync.revoke import revoke
from fieldledger.sync.roles import ROLES
from fieldledger.web import accounts
from fieldledger.web.app import ADMINS, Ctx, PageSet, one_line

pages = PageSet()


def _day(hlc: int) -> str:
    """The day of a hybrid-clock reading (`ledger.hlc`), in UTC."""
    return dt.datetime.fromtimestamp(wall_ms(hlc) / 1000, dt.UTC).strftime("%Y-%m-%d")


def _page(ctx: Ctx, *, error: str = "", status: int = 200, added: dict | None = None) -> Response:
    conn = ctx.ws.conn
    kits = {d for (d,) in conn.execute("SELECT device FROM recovery_kits")}
    devices = [
        {
            "member": m,
            "key": m.device[:4].hex(),
            "this": m.device == ctx.ws.device,
            "kit": m.device in kits,
            "since": _day(m.since),
        }
        for m in members.all_members(conn)
    ]
    return ctx.render(
        "team_page.html.j2",
        status=status,
        error=error,
        devices=devices,
        users=accounts.list_users(ctx.ws),
        roles=tuple(ROLES),
        languages=LANGUAGES,
        added=added or {},
    )


def _account_page(ctx: Ctx, name: str, *, error: str = "", status: int = 200) -> Response:
    """One account and what an admin can do to it; the team page if there is no such one."""
    try:
        user = accounts.get_user(ctx.ws, name)
    except FieldledgerError as exc:
        return _page(ctx, error=one_line(exc), status=404 if status == 200 else status)
    return ctx.render(
        "team_account.html.j2",
        status=status,
        error=error,
        user=user,
        roles=tuple(ROLES),
        yourself=user.name == ctx.account,
    )


def _not_yourself(ctx: Ctx, name: str) -> str | None:
    if name == ctx.account:
        return i18n._("You cannot remove your own account or change its role: ask another admin.")
    return None


@pages.route("/team", roles=ADMINS)
def team(ctx: Ctx) -> Response:
    return _page(ctx)


# -- devices ---------------------------------------------------------------------------


@pages.route("/team/devices/{device}/revoke", roles=ADMINS, methods=["GET", "POST"])
def device_revoke(ctx: Ctx) -> Response:
    try:
        target = members.find(ctx.ws.conn, ctx.param("device"))
    except FieldledgerError as exc:
        return _page(ctx, error=one_line(exc), status=404)
    if ctx.request.method == "GET":
        return ctx.render("team_revoke.html.j2", target=target, key=target.device.hex())
    if ctx.field("confirm") != "revoke":
        return ctx.redirect(
            f"/team/devices/{target.device.hex()}/revoke",
            i18n._("Not revoked: type revoke to confirm."),
        )
    try:
        gone = revoke(ctx.ws, target.device.hex())
    except FieldledgerError as exc:
        return _page(ctx, error=one_line(exc), status=400)
    return ctx.redirect(
        "/team",
        i18n._(
            "Revoked %(device)s; new keys made. Sync every device soon, and make a new "
            "recovery kit (fieldledger recovery create)."
        )
        % {"device": gone.name},
    )


# -- web accounts ----------------------------------------------------------------------


@pages.route("/team/accounts/{name}", roles=ADMINS)
def account(ctx: Ctx) -> Response:
    return _account_page(ctx, ctx.param("name"))


@pages.route("/team/accounts", roles=ADMINS, methods=["POST"])
def account_add(ctx: Ctx) -> Response:
    name, role, lang = ctx.field("name"), ctx.field("role"), ctx.field("lang", "en")
    try:
        user = accounts.add_user(ctx.ws, name, role, ctx.field("password"), lang=lang)
    except FieldledgerError as exc:
        added = {"name": name, "role": role, "lang": lang}
        return _page(ctx, error=one_line(exc), status=400, added=added)
    return ctx.redirect(
        "/team", i18n._("Account %(name)s added (%(role)s).") % {"name": user.name, "role": role}
    )


@pages.route("/team/accounts/{name}/role", roles=ADMINS, methods=["POST"])
def account_role(ctx: Ctx) -> Response:
    name = ctx.param("name")
    refusal = _not_yourself(ctx, name)
    if refusal:
        return _account_page(ctx, name, error=refusal, status=400)
    try:
        user = accounts.get_user(ctx.ws, name)
        if user.disabled:
            return _account_page(ctx, name, error=i18n._("This account was removed."), status=400)
        accounts.set_role(ctx.ws, user.name, ctx.field("role"))
    except FieldledgerError as exc:
        return _account_page(ctx, name, error=one_line(exc), status=400)
    ctx.state.sessions.end_account(user.name)
    return ctx.redirect(
        "/team",
        i18n._("%(name)s is now %(role)s; they log in again.")
        % {"name": user.name, "role": i18n._(ctx.field("role"))},
    )


@pages.route("/team/accounts/{name}/password", roles=ADMINS, methods=["POST"])
def account_password(ctx: Ctx) -> Response:
    name = ctx.param("name")
    try:
        user = accounts.get_user(ctx.ws, name)
        if user.disabled:
            return _account_page(ctx, name, error=i18n._("This account was removed."), status=400)
        accounts.set_password(ctx.ws, user.name, ctx.field("password"))
    except FieldledgerError as exc:
        return _account_page(ctx, name, error=one_line(exc), status=400)
    ctx.state.sessions.end_account(user.name)
    if user.name == ctx.account:
        return ctx.redirect("/login")
    return ctx.redirect(
        "/team",
        i18n._("New password set for %(name)s; they log in again.") % {"name": user.name},
    )


@pages.route("/team/accounts/{name}/remove", roles=ADMINS, methods=["POST"])
def account_remove(ctx: Ctx) -> Response:
    name = ctx.param("name")
    refusal = _not_yourself(ctx, name)
    if refusal:
        return _account_page(ctx, name, error=refusal, status=400)
    if ctx.field("confirm") != "on":
        return _account_page(
            ctx, name, error=i18n._("Not removed: tick the box to confirm."), status=400
        )
    try:
        user = accounts.get_user(ctx.ws, name)
        accounts.remove_user(ctx.ws, user.name)
    except FieldledgerError as exc:
        return _account_page(ctx, name, error=one_line(exc), status=400)
    ctx.state.sessions.end_account(user.name)
    return ctx.redirect("/team", i18n._("Account %(name)s removed.") % {"name": user.name})
