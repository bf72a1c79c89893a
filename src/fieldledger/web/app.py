"""The web application: the route table with each route's roles, sessions, CSRF, headers.

Every screen is a `Page`: a path, its methods, the roles that may open it, and a plain
function `handler(ctx) -> Response` that runs in a worker thread holding the workspace lock
(the one SQLCipher connection serves one request at a time, the sync route included). The
wrapper around each handler does, in this order:

1. find the session (cookie); none: GET answers 303 to /login, anything else 401;
2. refuse (403) an account whose role is not among the page's roles;
3. for POST, read the form and refuse (403) when its CSRF token is not the session's;
4. run the handler in the account's language, with the access log naming the account.

`app.routes` is the whole route table; tests walk it per role. Pages live in `web/pages/`,
each module with a `pages = PageSet()` that `web_app` mounts.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import anyio
import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartParser
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fieldledger import i18n
from fieldledger.errors import (
    FieldledgerError,
    ForgottenRecord,
    StoreBusy,
    UnknownRecord,
)
from fieldledger.sync.roles import ROLES
from fieldledger.web.limits import LoginLimits
from fieldledger.web.rendering import Templates
from fieldledger.web.sessions import COOKIE, Session, Sessions
from fieldledger.workspace import ACTING_AS

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

HERE = Path(__file__).parent
LOCK_WAIT_S = 30.0
MAX_UPLOAD = 64 * 1024 * 1024  # one evidence file from a phone
MAX_FIELDS = 2000  # a distribution round of many households is one form
MAX_BODY = MAX_UPLOAD + (1 << 20)  # one file and the form's other fields

# Starlette writes any uploaded file over 1 MiB to a temp file, in plaintext, before a
# handler sees it. Evidence must never touch the disk unencrypted: keep every upload in
# memory. A body is at most MAX_BODY bytes (refused before it is read), so no spool rolls
# over to disk.
MultiPartParser.spool_max_size = MAX_BODY

EVERYONE = frozenset(ROLES)
ADMINS = frozenset({"admin"})
COORDINATORS = frozenset({"admin", "coordinator"})


def holding(*compartments: str) -> frozenset[str]:
    """The roles whose devices hold every one of `compartments`."""
    return frozenset(r for r, held in ROLES.items() if all(c in held for c in compartments))


# Roles that read a compartment but do not write to it: a viewer writes nothing; documenters
# and finance officers see programme records for context and reports only.
READ_ONLY: dict[str, tuple[str, ...]] = {
    "viewer": ("programme",),
    "documenter": ("programme",),
    "finance": ("programme",),
}


def writing(*compartments: str) -> frozenset[str]:
    """The roles that may add and change records of every one of `compartments`."""
    return frozenset(
        r for r in holding(*compartments) if not set(compartments) & set(READ_ONLY.get(r, ()))
    )


# -- what a handler gets -----------------------------------------------------------------


@dataclass
class Ctx:
    """One request, as a page handler sees it."""

    request: Request
    ws: Workspace
    session: Session
    form: FormData | None
    state: WebState

    @property
    def role(self) -> str:
        return self.session.role

    @property
    def account(self) -> str:
        return self.session.account

    @property
    def lang(self) -> str:
        return self.session.lang

    @property
    def compartments(self) -> tuple[str, ...]:
        return ROLES[self.session.role]

    def holds(self, compartment: str) -> bool:
        return compartment in ROLES[self.session.role]

    def param(self, name: str) -> str:
        return str(self.request.path_params[name])

    def query(self, name: str, default: str = "") -> str:
        return self.request.query_params.get(name, default)

    def offset(self) -> int:
        """Where a list's page starts (`?offset=`); 0 when absent or not a number."""
        try:
            return max(0, int(self.query("offset", "0")))
        except ValueError:
            return 0

    def field(self, name: str, default: str = "") -> str:
        """A text field of the posted form, stripped; `default` when absent."""
        if self.form is None:
            return default
        value = self.form.get(name)
        if value is None or isinstance(value, UploadFile):
            return default
        return value.strip()

    def fields(self, name: str) -> list[str]:
        if self.form is None:
            return []
        return [v.strip() for v in self.form.getlist(name) if isinstance(v, str)]

    def upload(self, name: str) -> UploadFile | None:
        value = self.form.get(name) if self.form is not None else None
        return value if isinstance(value, UploadFile) and value.filename else None

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        """The page, rendered once the workspace lock is released (LaterPage): rendering
        needs no records, and other requests wait on the lock meanwhile."""
        note = self.state.sessions.told(self.session.token)
        # A cursor or generator would read the store outside the lock: read it now.
        ready = {k: list(v) if isinstance(v, Iterator) else v for k, v in values.items()}
        context = dict(ctx=self, session=self.session, note=note, nav=nav_for(self.role))
        return LaterPage(self.state.templates.get(template), {**context, **ready}, status)

    def redirect(self, url: str, note: str | None = None) -> Response:
        if note:
            self.state.sessions.tell(self.session.token, note)
        return RedirectResponse(url, status_code=303)


Handler = Callable[[Ctx], Response]


class LaterPage(HTMLResponse):
    """An HTML page whose template is rendered by `finish()`, after the lock is released."""

    def __init__(self, template: jinja2.Template, values: dict[str, Any], status: int) -> None:
        self.template, self.values, self.status_code = template, values, status
        self.background = None

    def finish(self) -> None:
        super().__init__(self.template.render(**self.values), status_code=self.status_code)


@dataclass(frozen=True)
class Page:
    path: str
    handler: Handler
    roles: frozenset[str]
    methods: tuple[str, ...] = ("GET",)
    name: str | None = None


@dataclass
class PageSet:
    """The pages of one module: `@pages.route("/x", roles=holding("people"))`."""

    pages: list[Page] = field(default_factory=list)

    def route(
        self,
        path: str,
        *,
        roles: frozenset[str],
        methods: Iterable[str] = ("GET",),
        name: str | None = None,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.pages.append(Page(path, handler, roles, tuple(methods), name or handler.__name__))
            return handler

        return register

    def add(self, page: Page) -> None:
        self.pages.append(page)

    def serve_with(self, name: str, handler: Handler) -> None:
        """Let `handler` answer the page registered as `name` (same path, same roles), e.g.
        a screen of its own in place of a generic one: the table keeps one route per path."""
        for i, page in enumerate(self.pages):
            if page.name == name:
                self.pages[i] = dataclasses.replace(page, handler=handler)
                return
        raise LookupError(name)


# -- navigation ------------------------------------------------------------------------

# (path, label msgid, roles): the menu, filtered by the account's role.
NAV: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("/", i18n.N_("Home"), EVERYONE),
    ("/households", i18n.N_("Households"), holding("programme")),
    ("/distributions", i18n.N_("Distributions"), holding("programme")),
    ("/projects", i18n.N_("Projects"), holding("programme")),
    ("/incidents", i18n.N_("Incidents"), holding("incidents")),
    ("/feedback", i18n.N_("Feedback"), holding("people")),
    ("/grants", i18n.N_("Grants"), holding("finance")),
    ("/reports", i18n.N_("Reports"), COORDINATORS | frozenset({"finance"})),
    ("/sync", i18n.N_("Sync"), COORDINATORS),
    ("/review", i18n.N_("Review"), COORDINATORS),
    ("/phones", i18n.N_("Phones"), COORDINATORS),
    ("/team", i18n.N_("Team"), ADMINS),
)


def nav_for(role: str) -> list[tuple[str, str]]:
    return [(path, label) for path, label, roles in NAV if role in roles]


# -- the server's state -----------------------------------------------------------------


@dataclass
class WebState:
    ws_provider: Callable[[], Workspace]
    lock: threading.Lock
    sessions: Sessions
    limits: LoginLimits
    templates: Templates
    https: bool
    # Set by `serve` (the owner's panic): destroy the keys and stop the server.
    on_panic: Callable[[], None] | None = None
    # The plain-HTTP port of the phones' OpenRosa routes (`serve --odk-port`), if served.
    odk_port: int | None = None
    # Figures kept between pages (the home page's), emptied by every form sent.
    kept: dict[Any, tuple[float, Any]] = field(default_factory=dict)

    def keep(self, key: Any, ttl: float, make: Callable[[], Any]) -> Any:
        """`make()`, or what it gave within the last `ttl` seconds with no form sent since."""
        now = time.monotonic()
        hit = self.kept.get(key)
        if hit is not None and now - hit[0] < ttl:
            return hit[1]
        value = make()
        self.kept[key] = (now, value)
        return value

    hashing: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(2))
    # Two pages at a time, the others waiting in turn: one reads the store under the lock
    # while the other renders. A third thread would only take the GIL from them: the one
    # holding the lock gives the GIL up at every SQLite call and must win it back from every
    # thread rendering (20 clients: 20-30 % more pages with 2 than with 40 threads).
    pages: anyio.CapacityLimiter = field(default_factory=lambda: anyio.CapacityLimiter(2))
    started: float = field(default_factory=time.time)


# -- security headers -------------------------------------------------------------------

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'"
)


class Headers:
    """Security headers on every answer; `no-store` on everything but static files, so a
    phone's browser keeps no page with records in its cache."""

    def __init__(self, app: ASGIApp, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"content-security-policy", CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                if not static:
                    headers.append((b"cache-control", b"no-store"))
                else:
                    headers.append((b"cache-control", b"private, max-age=86400"))
                if self.https:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# -- the wrapper around every page ------------------------------------------------------


def one_line(exc: Exception) -> str:
    """An error as the one line a page shows."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def session_of(request: Request, state: WebState) -> Session | None:
    return state.sessions.get(request.cookies.get(COOKIE))


def refuse(state: WebState, status: int, message: str, lang: str = "en") -> HTMLResponse:
    with i18n.language(lang):
        html = state.templates.get("refused.html.j2").render(status=status, message=i18n._(message))
    return HTMLResponse(html, status_code=status)


def locked(state: WebState, fn: Callable[[], Response]) -> Response:
    if not state.lock.acquire(timeout=LOCK_WAIT_S):
        raise StoreBusy("the workspace is busy: try again in a minute")
    try:
        return fn()
    finally:
        state.lock.release()


def _endpoint(page: Page, state: WebState) -> Callable[[Request], Any]:
    async def endpoint(request: Request) -> Response:
        session = session_of(request, state)
        if session is None:
            if request.method == "GET":
                target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(target, safe='')}", 303)
            return refuse(state, 401, i18n.N_("Your session ended: log in again."))
        if session.role not in page.roles:
            return refuse(state, 403, i18n.N_("Your role cannot open this page."), session.lang)
        form = None
        if request.method == "POST":
            length = request.headers.get("content-length", "")
            if not length.isdigit():
                return refuse(state, 411, i18n.N_("The form could not be read."), session.lang)
            if int(length) > MAX_BODY:
                return refuse(state, 413, i18n.N_("The file is too large."), session.lang)
            try:
                form = await request.form(
                    max_files=20, max_fields=MAX_FIELDS, max_part_size=MAX_UPLOAD
                )
            except Exception:  # a damaged or oversized form: say so, apply nothing
                return refuse(state, 400, i18n.N_("The form could not be read."), session.lang)
            sent = form.get("csrf")
            if not session.csrf_ok(sent if isinstance(sent, str) else None):
                await form.close()
                return refuse(
                    state,
                    403,
                    i18n.N_("This form is out of date: open the page again and resend it."),
                    session.lang,
                )

        def handle() -> Response:
            ws = state.ws_provider()
            ctx = Ctx(request, ws, session, form, state)
            token = ACTING_AS.set(session.account)
            try:
                if request.method != "GET":
                    return page.handler(ctx)
                # A page only reads, but opening personal data writes access-log notes:
                # one commit for the page, not one per note.
                with ws.transaction():
                    return page.handler(ctx)
            except (UnknownRecord, ForgottenRecord) as exc:
                return refuse(state, 404, str(exc), session.lang)
            except FieldledgerError as exc:
                return refuse(state, 400, one_line(exc), session.lang)
            finally:
                ACTING_AS.reset(token)

        def run() -> Response:
            with i18n.language(session.lang):
                response = locked(state, handle)
                if request.method != "GET":
                    state.kept.clear()  # a form may have changed what is kept
                if isinstance(response, LaterPage):
                    response.finish()
                return response

        try:
            try:
                with anyio.fail_after(LOCK_WAIT_S):
                    await state.pages.acquire()
            except TimeoutError:
                raise StoreBusy("the workspace is busy: try again in a minute") from None
            try:
                return await run_in_threadpool(run)
            finally:
                state.pages.release()
        except StoreBusy as exc:
            return refuse(state, 503, str(exc), session.lang)
        finally:
            if form is not None:
                await form.close()

    endpoint.__name__ = page.name or page.handler.__name__
    return endpoint


class PageRoute(Route):
    """A Starlette route that remembers which roles may open it (tests read `roles`)."""

    def __init__(self, page: Page, state: WebState) -> None:
        super().__init__(
            page.path, _endpoint(page, state), methods=list(page.methods), name=page.name
        )
        self.roles = page.roles


def page_sets() -> list[PageSet]:
    from fieldledger.web.pages import ALL

    return ALL


def web_app(
    ws_provider: Callable[[], Workspace],
    *,
    https: bool = False,
    lock: threading.Lock | None = None,
    sessions: Sessions | None = None,
    limits: LoginLimits | None = None,
    on_panic: Callable[[], None] | None = None,
    odk_port: int | None = None,
) -> Starlette:
    """The whole server: the web UI, static files and the sync route, on one lock."""
    from fieldledger.odk.openrosa import odk_routes
    from fieldledger.sync.server import sync_routes
    from fieldledger.web.pages.login import login_routes

    lock = lock or threading.Lock()
    state = WebState(
        ws_provider=ws_provider,
        lock=lock,
        sessions=sessions or Sessions(),
        limits=limits or LoginLimits(),
        templates=Templates(),
        https=https,
        on_panic=on_panic,
        odk_port=odk_port,
    )
    routes: list[BaseRoute] = [
        *login_routes(state),
        *(PageRoute(page, state) for pages in page_sets() for page in pages.pages),
        *sync_routes(ws_provider, lock),
        *odk_routes(state),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes)
    app.state.workspace_lock = lock
    app.state.web = state
    app.add_middleware(Headers, https=https)
    return app
