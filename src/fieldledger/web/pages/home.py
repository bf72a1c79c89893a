"""Home (the dashboard), the language switch, logging out, and the admins' panic button."""

from __future__ import annotations

import datetime as dt

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.overview import overview
from fieldledger.web import accounts
from fieldledger.web.app import ADMINS, COORDINATORS, EVERYONE, Ctx, PageSet
from fieldledger.web.sessions import COOKIE

pages = PageSet()
FIGURES_KEPT_S = 10.0


@pages.route("/", roles=EVERYONE)
def home(ctx: Ctx) -> Response:
    reviews = ctx.role in COORDINATORS
    # The same figures for every page view of a role within seconds: kept, not recounted.
    figures = ctx.state.keep(
        ("overview", ctx.compartments, reviews, dt.date.today()),
        FIGURES_KEPT_S,
        lambda: overview(ctx.ws, ctx.compartments, reviews=reviews),
    )
    last_sync = (
        dt.datetime.fromtimestamp(figures.last_sync, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
        if figures.last_sync
        else None
    )
    return ctx.render("home.html.j2", figures=figures, last_sync=last_sync)


@pages.route("/language", roles=EVERYONE, methods=["POST"])
def language(ctx: Ctx) -> Response:
    lang = ctx.field("lang")
    if lang not in i18n.LANGUAGES:
        return ctx.redirect("/")
    accounts.set_lang(ctx.ws, ctx.account, lang)
    ctx.state.sessions.set_lang(ctx.session.token, lang)
    back = ctx.field("back", "/")
    return ctx.redirect(back if back.startswith("/") and not back.startswith("//") else "/")


@pages.route("/logout", roles=EVERYONE, methods=["POST"])
def logout(ctx: Ctx) -> Response:
    ctx.state.sessions.end(ctx.session.token)
    response = ctx.redirect("/login")
    response.delete_cookie(COOKIE)
    return response


@pages.route("/panic", roles=ADMINS, methods=["GET", "POST"])
def panic(ctx: Ctx) -> Response:
    """Destroy the keys of this workspace now, as `fieldledger panic` does, and stop."""
    if ctx.request.method == "GET" or ctx.field("confirm") != "destroy":
        return ctx.render("panic.html.j2")
    if ctx.state.on_panic is None:
        return ctx.render("panic.html.j2", unavailable=True)
    ctx.state.sessions.end_all()
    ctx.state.on_panic()
    return Response(i18n._("The keys are destroyed."), media_type="text/plain")
