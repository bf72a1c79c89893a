"""Logging in: the only pages open without a session.

The login form carries a CSRF token of its own, in a short-lived cookie it must match
(nobody has a session yet). Rate limits (web.limits) are checked before the password is
hashed; the hash is read under the workspace lock and checked outside it, at most two at a
time, so logins never hold up the pages of people already working.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import unquote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from fieldledger import i18n
from fieldledger.web import accounts
from fieldledger.web.app import WebState, locked, session_of
from fieldledger.web.sessions import COOKIE

PRE = "fl_login"  # the login form's CSRF cookie


def _safe_next(target: str) -> str:
    """Only a path of this server: never another site (an open redirect)."""
    target = unquote(target or "/")
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _lang(request: Request) -> str:
    wanted = request.query_params.get("lang", "")
    if wanted in i18n.LANGUAGES:
        return wanted
    header = request.headers.get("accept-language", "")
    return "my" if header.lower().startswith("my") else "en"


def login_routes(state: WebState) -> list[Route]:
    def page(
        request: Request, *, error: str = "", status: int = 200, name: str = "", **params: int
    ) -> Response:
        """The login form; `error` a msgid, said with `params` in the reader's language."""
        token = secrets.token_urlsafe(24)
        lang = _lang(request)
        with i18n.language(lang):
            said = i18n._(error) % params if params else i18n._(error) if error else ""
            html = state.templates.get("login.html.j2").render(
                csrf=token,
                error=said,
                name=name,
                next=_safe_next(request.query_params.get("next", "/")),
                lang_now=lang,
            )
        response = HTMLResponse(html, status_code=status)
        response.set_cookie(
            PRE, token, max_age=3600, httponly=True, samesite="strict", secure=state.https
        )
        return response

    async def show(request: Request) -> Response:
        if session_of(request, state) is not None:
            return RedirectResponse("/", 303)
        return page(request)

    async def submit(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=10)
        sent, expected = form.get("csrf"), request.cookies.get(PRE)
        if not (isinstance(sent, str) and expected and hmac.compare_digest(sent, expected)):
            return page(
                request, error=i18n.N_("The login form was out of date: try again."), status=403
            )
        raw_name = form.get("name")
        password = form.get("password")
        if not isinstance(raw_name, str) or not isinstance(password, str):
            return page(request, error=i18n.N_("Write your account name and password."), status=400)
        name = raw_name.strip().lower()[:64]
        address = request.client.host if request.client else "?"
        # Before any hashing: a guesser is turned away for free.
        wait = state.limits.wait(name, address)
        if wait > 0:
            response = page(
                request,
                error=i18n.N_("Too many attempts. Try again in %(n)d minutes."),
                status=429,
                name=name,
                n=max(1, round(wait / 60)),
            )
            response.headers["retry-after"] = str(int(wait) + 1)
            return response

        def look_up() -> tuple[str | None, accounts.WebUser | None]:
            ws = state.ws_provider()
            return accounts.password_hash(ws, name), accounts.find_user(ws, name)

        def check(digest: str | None) -> bool:
            with state.hashing:
                return accounts.check_password(digest, password)

        digest, user = await run_in_threadpool(locked, state, look_up)  # type: ignore[arg-type]
        if not await run_in_threadpool(check, digest) or user is None:
            state.limits.failed(name, address)
            return page(
                request, error=i18n.N_("Wrong account name or password."), status=401, name=name
            )
        state.limits.succeeded(name)
        session = state.sessions.start(user.name, user.role, user.lang)
        response = RedirectResponse(_safe_next(str(form.get("next") or "/")), 303)
        response.set_cookie(
            COOKIE, session.token, httponly=True, samesite="strict", secure=state.https, path="/"
        )
        response.delete_cookie(PRE)
        return response

    return [
        Route("/login", show, methods=["GET"], name="login"),
        Route("/login", submit, methods=["POST"], name="login_submit"),
    ]
