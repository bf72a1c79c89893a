"""Web load: 20 concurrent clients logging in, browsing and submitting forms on loopback.

Budget (DESIGN.md section 4, issue 6 item 7): every page <= 60 KB transferred, and p95
latency <= 150 ms with 20 concurrent clients on loopback, logins included.

The server is the real one: `web_app` over a demo workspace (`demo.fill`, `--households`,
test key derivation), served by uvicorn with the settings `fieldledger serve` uses (no
access log, log level warning, lifespan off, plain HTTP on 127.0.0.1), in a subprocess of
its own, so that the clients and the server do not share a GIL. The workspace is built once
into `--store DIR` (reused when its size matches) and each run serves a fresh copy of it, so
records posted by one run never reach the next.

20 web accounts (14 field workers, 3 coordinators, an admin, a finance officer and a
documenter) are added to the store. Each client is one asyncio task with one keep-alive
connection and its own cookie jar (a lean HTTP/1.1 client written here: about 0.1 ms of
client CPU a request against 1.5 ms for httpx.AsyncClient, so that 20 clients on one event
loop add little latency of their own).
It starts at a random moment in the first two seconds, opens /login, posts the form, and
then, until `--seconds` have passed, repeats one action after another, each sent as soon as
the last answer came (a closed loop: the strictest reading of "20 concurrent clients")
unless `--think` sets a pause between actions (exponential, that mean):

- open a screen of its role's menu (the home page's nav), then follow 1-3 links of that
  screen (records, the next page of a list), now and then a search by prefix;
- open the home page;
- open the form of a new household, assessment or distribution, when its role has the
  "New" link of that screen, fill in the required inputs (the form's own defaults, and
  values of the demo: a place, a household, a project) and post it, then open the page the
  answer leads to;
- every so often (`--relogin`, per action) log out and in again, so logins (Argon2id, about
  30 ms each on the server, two at a time) stay in the mix.

Before the clients start, the admin's account opens each screen of its menu once (the server
loads the gazetteer and compiles templates on first use): timed, printed, not counted.

Routes that do not exist (a screen not built yet) or that a role may not open are skipped:
only links the server itself shows are followed. Downloads (files, exports, printing) are
not followed. Redirects are followed by hand: each is a request of its own, timed.

Measured on the client, per request: the time from sending to the last byte of the answer.
Reported: p50/p95/p99 overall and per kind (login: GET and POST /login; page GET; form
POST, logging out included), requests/s and pages/s (HTML pages answered 200), and per
route of the app's route table its latency and the largest transferred size seen (status
line, headers and body as received). 60 KB is 60,000 bytes here.

Floor: the same clients (same count, same think time) against one trivial Starlette route
answering a fixed small HTML page, on the same uvicorn settings in a subprocess, measured in
the same run; the p95 ratio to it makes figures comparable between machines.

    .venv/bin/python benchmarks/web_load.py [--households 2000] [--seconds 60]
        [--floor-seconds 15] [--clients 20] [--think 0] [--relogin 0.04] [--store DIR]
        [--quick] [--profile]

`--quick`: 200 households, 5 s of load, 3 s of floor (a smoke run; figures mean little).
`--profile`: the server's workspace lock (one lock serves every page, login lookup and form)
is replaced by one that times each request's wait for it and hold of it, reported per route:
what holds it longest is what every other client waits for. Off by default, so that the
figures are those of the server as it ships. For what a route spends its hold on, sample the
server process with py-spy (`py-spy record --idle --pid PID`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextvars
import datetime as dt
import html.parser
import json
import math
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from urllib.parse import urlencode, urlsplit

from _common import header, verdict

P95_BUDGET_S = 0.150
PAGE_BUDGET = 60_000  # bytes: 60 KB
PASSWORD = "correct horse battery staple"
PASSPHRASE = "passphrase"
# (role, how many accounts): field workers mostly.
ROLE_MIX = (("field", 14), ("coordinator", 3), ("admin", 1), ("finance", 1), ("documenter", 1))
# Screens whose "New" form the clients fill in and post.
FORM_BASES = ("/households", "/assessments", "/distributions")
# Never followed: what ends a session or the workspace, changes settings, or is a download.
AVOID = re.compile(
    r"^/(panic|logout|language|login|static/|sync/)|download|export|print|/card|/qr|"
    r"\.(pdf|xlsx|csv|zip|png|jpe?g|json|xml)$|[?&]format=",
    re.IGNORECASE,
)
# What a person types into these inputs whatever else the form asks (an amount goes with
# its currency).
TYPED = {"value": "25000", "currency": "MMK"}
FLOOR_PAGE = (
    "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>floor</title></head>"
    "<body><main><h1>floor</h1><p>" + "A fixed small page. " * 20 + "</p></main></body></html>"
)


# -- the store --------------------------------------------------------------------------


def accounts_wanted() -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    for role, count in ROLE_MIX:
        names += [(f"load{len(names) + i + 1:02d}", role) for i in range(count)]
    return names


def build_store(folder: Path, households: int, seed: int) -> Path:
    """The demo workspace with its web accounts in `folder`/ws-N, built unless it is there."""
    from fieldledger import demo
    from fieldledger.vault.kdf import TEST_PARAMS
    from fieldledger.web import accounts
    from fieldledger.workspace import Workspace

    path = folder / f"ws-{households}-{seed}"
    marker = path / "web_load.json"
    if marker.exists():
        print(f"store: reusing {path}")
        return path
    if path.exists():
        shutil.rmtree(path)
    start = time.perf_counter()
    ws = Workspace.init(path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    try:
        demo.fill(ws, households=households, seed=seed)
        for name, role in accounts_wanted():
            accounts.add_user(ws, name, role, PASSWORD)
        counts = {k: v for k, v in ws.summary().records.items() if v}
    finally:
        ws.close()
    marker.write_text(json.dumps({"households": households, "seed": seed, "records": counts}))
    print(f"store: built {path} in {time.perf_counter() - start:.1f} s: {counts}")
    return path


def demo_values(path: Path) -> dict[str, list[str]]:
    """What a form may point to: places, households and projects of the demo."""
    from fieldledger.workspace import Workspace

    ws = Workspace.open(path, PASSPHRASE)
    try:
        q = ws.conn.execute
        return {
            "location_pcode": [r[0] for r in q("SELECT DISTINCT location_pcode FROM households")],
            "household_id": [r[0] for r in q("SELECT id FROM households LIMIT 500")],
            "project_id": [r[0] for r in q("SELECT id FROM projects")],
            "code": [r[0] for r in q("SELECT code FROM households LIMIT 500")],
        }
    finally:
        ws.close()


# -- the servers (subprocesses) ---------------------------------------------------------


def uvicorn_settings() -> dict:
    """What `fieldledger serve` gives uvicorn (cli_net._QUIET), without reaching into it."""
    return {
        "access_log": False,
        "log_level": "warning",
        "server_header": False,
        "date_header": False,
        "lifespan": "off",
    }


class TimedLock:
    """The workspace lock, timing each request's wait for it and hold of it (`--profile`):
    every page, login and form runs under this one lock, so what holds it longest is what
    the other 19 clients wait for."""

    def __init__(self, route: contextvars.ContextVar[str]) -> None:
        self.lock = threading.Lock()
        self.route = route
        self.took: list[tuple[str, float, float]] = []  # (method path, wait, hold) seconds
        self._since = 0.0
        self._waited = 0.0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        start = time.perf_counter()
        got = self.lock.acquire(blocking, timeout)
        if got:
            self._since = time.perf_counter()
            self._waited = self._since - start
        return got

    def release(self) -> None:
        held = time.perf_counter() - self._since
        self.took.append((self.route.get(), self._waited, held))
        self.lock.release()

    def __enter__(self) -> bool:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def serve_child(kind: str, store: str | None, profile: str | None) -> int:
    """Run in the subprocess: bind a free loopback port, print it, serve until stdin ends
    (uvicorn re-raises a SIGTERM it caught once it has stopped, which would end the process
    before the workspace is closed)."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    ws = None
    if kind == "web":
        from fieldledger.web.app import web_app
        from fieldledger.workspace import Workspace

        assert store is not None
        ws = Workspace.open(store, PASSPHRASE)
        if profile:
            route: contextvars.ContextVar[str] = contextvars.ContextVar("route", default="?")
            lock = TimedLock(route)
            inner = web_app(lambda: ws, lock=lock)  # type: ignore[arg-type]

            async def app(scope, receive, send):  # the request's path, for the lock's notes
                token = route.set(f"{scope.get('method', '')} {scope.get('path', '')}")
                try:
                    await inner(scope, receive, send)
                finally:
                    route.reset(token)
        else:
            app = web_app(lambda: ws)
    else:

        async def page(request):  # the floor: a fixed small page
            return HTMLResponse(FLOOR_PAGE)

        app = Starlette(routes=[Route("/", page)])
    # A free port, then uvicorn binds it itself as `serve` does (a socket handed to uvicorn
    # made here would lack TCP_NODELAY: asyncio sets it only on sockets of IPPROTO_TCP, and
    # every answer would wait 40 ms for a delayed ACK).
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **uvicorn_settings())
    print(port, flush=True)
    server = uvicorn.Server(config)

    def stop_at_eof() -> None:  # the parent closes our stdin to stop us
        sys.stdin.read()
        server.should_exit = True

    threading.Thread(target=stop_at_eof, daemon=True).start()
    try:
        server.run()
    finally:
        if ws is not None:
            ws.close()
        if profile and kind == "web":
            Path(profile).write_text(json.dumps(lock.took))
    return 0


@dataclass
class Server:
    proc: subprocess.Popen
    base: str
    log: IO[str]

    def errors(self) -> Counter:
        """The last line of each traceback the server wrote, counted."""
        self.log.seek(0)
        lines = self.log.read().splitlines()
        last = re.compile(r"^[\w.]+(Error|Exception|NotFound)\b")
        return Counter(line for line in lines if last.match(line))

    def cpu_s(self) -> float:
        """User + system CPU seconds of the server process so far."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            self.proc.wait()


async def probe_status(url: str) -> int:
    browser = Browser(url)
    try:
        return (await browser.request("GET", urlsplit(url).path)).status
    finally:
        await browser.close()


def start_server(kind: str, store: Path | None, probe: str, profile: Path | None = None) -> Server:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--serve", kind]
    if store is not None:
        cmd += ["--store", str(store)]
    if profile is not None:
        cmd += ["--profile-to", str(profile)]
    # The server's stderr: its tracebacks, counted at the end. Closed with the server.
    log = tempfile.TemporaryFile("w+")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    if not line.isdigit():
        proc.kill()
        raise SystemExit(f"the {kind} server did not start")
    server = Server(proc, f"http://127.0.0.1:{line}", log)
    deadline = time.monotonic() + 60
    while True:
        try:
            if asyncio.run(probe_status(server.base + probe)) < 500:
                return server
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            server.stop()
            raise SystemExit(f"the {kind} server did not answer")
        time.sleep(0.1)


# -- reading pages ----------------------------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    inputs: list[dict[str, str]] = field(default_factory=list)  # attrs, "tag", "options"


class Page(html.parser.HTMLParser):
    """The links, forms and menu (the links of the page's header) of an HTML page, and its
    error line."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.nav: list[str] = []
        self.forms: list[Form] = []
        self.error = ""
        self._in_nav = 0
        self._select: dict | None = None
        self._in_error = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "header":
            self._in_nav += 1
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"])
            if self._in_nav:
                self.nav.append(a["href"])
        elif tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower()))
        elif tag in ("input", "textarea") and self.forms:
            self.forms[-1].inputs.append({**a, "tag": tag})
        elif tag == "select" and self.forms:
            self._select = {**a, "tag": "select", "options": []}
            self.forms[-1].inputs.append(self._select)
        elif tag == "option" and self._select is not None:
            self._select["options"].append(a.get("value", ""))
            if "selected" in a:
                self._select["value"] = a.get("value", "")
        elif tag == "p" and "error" in a.get("class", ""):
            self._in_error = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self._in_nav = max(0, self._in_nav - 1)
        elif tag == "select":
            self._select = None
        elif tag == "p":
            self._in_error = False

    def handle_data(self, data: str) -> None:
        if self._in_error:
            self.error += data.strip()


def csrf_of(text: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', text)
    return match.group(1) if match else ""


# -- the clients ------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str  # login | page GET | form POST | floor
    method: str
    path: str
    status: int  # 0: the connection failed
    seconds: float
    size: int  # status line + headers + body as received
    html: bool


@dataclass
class Run:
    samples: list[Sample] = field(default_factory=list)
    refused: Counter = field(default_factory=Counter)  # (form, status, error line)
    saved: Counter = field(default_factory=Counter)
    skipped: Counter = field(default_factory=Counter)
    failed: Counter = field(default_factory=Counter)  # connection errors


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    size: int

    @property
    def html(self) -> bool:
        return self.headers.get("content-type", "").startswith("text/html")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Browser:
    """One keep-alive HTTP/1.1 connection and a cookie jar: just what these pages need."""

    def __init__(self, base: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.cookies: dict[str, str] = {}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.reader = self.writer = None

    async def request(self, method: str, path: str, data: dict | None = None) -> Answer:
        body = urlencode(data or {}).encode() if method == "POST" else b""
        lines = [
            f"{method} {path} HTTP/1.1",
            f"Host: {self.host}:{self.port}",
            "User-Agent: web_load",
            "Accept: text/html,*/*",
            "Accept-Language: en",
        ]
        if self.cookies:
            lines.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        if method == "POST":
            lines += [
                "Content-Type: application/x-www-form-urlencoded",
                f"Content-Length: {len(body)}",
            ]
        raw = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):
            fresh = self.writer is None
            if fresh:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(raw)
                head = await self.reader.readuntil(b"\r\n\r\n")
                break
            except (asyncio.IncompleteReadError, ConnectionError):
                await self.close()  # the server closed a kept-alive connection: once more
                if fresh or attempt == 2:
                    raise
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                self._cookie(value)
            headers[name] = value
        if "content-length" in headers:
            content = await self.reader.readexactly(int(headers["content-length"]))
            size = len(head) + len(content)
        elif headers.get("transfer-encoding") == "chunked":
            content, size = b"", len(head)
            while True:
                line = await self.reader.readuntil(b"\r\n")
                n = int(line.split(b";")[0], 16)
                chunk = await self.reader.readexactly(n + 2)
                size += len(line) + len(chunk)
                content += chunk[:-2]
                if n == 0:
                    break
        else:
            content = await self.reader.read()
            size = len(head) + len(content)
            await self.close()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Answer(status, headers, content, size)

    def _cookie(self, value: str) -> None:
        pair, *attrs = value.split(";")
        name, _, val = pair.strip().partition("=")
        gone = any(a.strip().lower() in ("max-age=0",) for a in attrs) or val in ("", '""')
        if gone:
            self.cookies.pop(name, None)
        else:
            self.cookies[name] = val


class ConnectionFailed(Exception):
    pass


class Client:
    def __init__(
        self, n: int, name: str, role: str, base: str, run: Run, values: dict, args
    ) -> None:
        self.n, self.name, self.role = n, name, role
        self.run, self.values, self.args = run, values, args
        self.rng = random.Random(args.seed * 1000 + n)
        self.http = Browser(base)
        self.nav: list[str] = []
        self.forms: dict[str, str] = {}  # base -> its "New" form's path, when shown
        self.csrf = ""
        self.made = 0

    async def request(self, kind: str, method: str, path: str, data: dict | None = None) -> Answer:
        start = time.perf_counter()
        try:
            answer = await self.http.request(method, path, data)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            took = time.perf_counter() - start
            self.run.samples.append(Sample(kind, method, urlsplit(path).path, 0, took, 0, False))
            self.run.failed[f"{method} {urlsplit(path).path}: {type(exc).__name__}"] += 1
            await self.http.close()
            raise ConnectionFailed from exc
        took = time.perf_counter() - start
        self.run.samples.append(
            Sample(kind, method, urlsplit(path).path, answer.status, took, answer.size, answer.html)
        )
        return answer

    async def get_page(self, path: str) -> Page | None:
        """GET a page and the pages it redirects to; the parsed page when HTML and 200."""
        response = await self.request("page GET", "GET", path)
        for _ in range(3):
            if response.status not in (302, 303):
                break
            target = response.headers["location"]
            if target.startswith("/login"):
                await self.log_in()
                return None
            response = await self.request("page GET", "GET", target)
        if response.status != 200 or not response.html:
            return None
        page = Page(response.text)
        self.csrf = csrf_of(response.text) or self.csrf
        return page

    async def log_in(self) -> None:
        self.http.cookies.clear()
        form = await self.request("login", "GET", "/login")
        data = {"csrf": csrf_of(form.text), "name": self.name, "password": PASSWORD, "next": "/"}
        response = await self.request("login", "POST", "/login", data)
        if response.status != 303:
            raise RuntimeError(f"{self.name}: login answered {response.status}")
        home = await self.get_page(response.headers["location"])
        if home is not None:
            nav = [p for p in dict.fromkeys(home.nav) if p.startswith("/") and p != "/"]
            self.nav = [p for p in nav if not AVOID.search(p)]

    async def log_out(self) -> None:
        await self.request("form POST", "POST", "/logout", {"csrf": self.csrf})
        await self.log_in()

    async def browse(self) -> None:
        if not self.nav:
            await self.get_page("/")
            return
        base = self.rng.choice(self.nav)
        page = await self.get_page(base)
        if page is None:
            self.run.skipped[base] += 1
            return
        news = [h for h in page.links if h.rstrip("/") == f"{base}/new"]
        if news and base in FORM_BASES:
            self.forms[base] = news[0]
        if self.rng.random() < 0.2 and any(f.method == "get" for f in page.forms):
            prefix = self.rng.choice(self.values["code"] or ["H"])[: self.rng.randint(1, 6)]
            page = await self.get_page(f"{base}?{urlencode({'q': prefix})}") or page
        inside = [
            h
            for h in dict.fromkeys(page.links)
            if h.startswith(base) and h != base and not AVOID.search(h)
            and not re.search(r"/(new|edit|forget)$", h)
        ]  # fmt: skip
        for link in self.rng.sample(inside, k=min(len(inside), self.rng.randint(1, 3))):
            await self.get_page(link)

    def fill(self, form: Form) -> dict[str, str]:
        today = dt.date.today().isoformat()
        data: dict[str, str] = {}
        for i in form.inputs:
            name = i.get("name")
            if not name:
                continue
            value = i.get("value", "")
            kind = i.get("type", "text")
            required = "required" in i
            if kind == "hidden" or (i["tag"] == "select" and value):
                data[name] = value
            elif name in TYPED:
                data[name] = TYPED[name]
            elif kind == "checkbox":
                if required:
                    data[name] = "on"
            elif i["tag"] == "select":
                if required:
                    data[name] = self.rng.choice([o for o in i["options"] if o] or [""])
            elif value:
                data[name] = value
            elif name in self.values and name != "code":
                data[name] = self.rng.choice(self.values[name] or [""])
            elif name == "code":
                self.made += 1
                data[name] = f"WL-{self.n:02d}{self.made:04d}"
            elif not required:
                continue
            elif kind == "date":
                data[name] = today
            elif i.get("inputmode") in ("numeric", "decimal") or kind == "number":
                data[name] = str(self.rng.randint(1, 8))
            else:
                data[name] = f"load test {self.n}"
        return data

    async def post_form(self) -> None:
        if not self.forms:
            await self.browse()
            return
        base, path = self.rng.choice(sorted(self.forms.items()))
        page = await self.get_page(path)
        posts = [f for f in page.forms if f.method == "post" and f.action == path] if page else []
        if not posts:
            self.forms.pop(base)
            return
        response = await self.request("form POST", "POST", path, self.fill(posts[0]))
        if response.status == 303:
            self.run.saved[path] += 1
            await self.get_page(response.headers["location"])
        else:
            self.csrf = csrf_of(response.text) or self.csrf
            error = Page(response.text).error if response.html else ""
            self.run.refused[(path, response.status, error[:120])] += 1

    async def work(self, until: float) -> None:
        await asyncio.sleep(self.rng.uniform(0, 2))
        while True:
            try:
                await self.log_in()
                break
            except ConnectionFailed:
                await asyncio.sleep(0.5)
        while time.perf_counter() < until:
            roll = self.rng.random()
            try:
                if roll < self.args.relogin:
                    await self.log_out()
                elif roll < 0.65:
                    await self.browse()
                elif roll < 0.8:
                    await self.get_page("/")
                else:
                    await self.post_form()
            except ConnectionFailed:
                await asyncio.sleep(0.1)
            if self.args.think:
                await pause(self.rng, self.args.think, until)
        await self.http.close()


async def pause(rng: random.Random, mean: float, until: float) -> None:
    """A reader's pause between actions, never past the end of the run."""
    await asyncio.sleep(max(0.0, min(rng.expovariate(1 / mean), until - time.perf_counter())))


async def run_clients(base: str, seconds: float, values: dict, args) -> tuple[Run, float]:
    run = Run()
    clients = [
        Client(n, name, role, base, run, values, args)
        for n, (name, role) in enumerate(accounts_wanted()[: args.clients])
    ]
    await warm_up(base, values, args)
    start = time.perf_counter()
    await asyncio.gather(*(c.work(start + seconds) for c in clients))
    return run, time.perf_counter() - start


async def warm_up(base: str, values: dict, args) -> None:
    """A server that has just started loads the gazetteer, compiles templates and reads the
    store into SQLCipher's page cache on its first requests; one client (the admin, who
    sees every screen) opens each screen of its menu once first. Timed, reported, and left
    out of the figures: a running server pays this once."""
    name, role = next((n, r) for n, r in accounts_wanted() if r == "admin")
    run = Run()
    client = Client(99, name, role, base, run, values, args)
    await client.log_in()
    for path in client.nav:
        await client.get_page(path)
    await client.request("form POST", "POST", "/logout", {"csrf": client.csrf})
    await client.http.close()
    first = {f"{s.method} {s.path}": s.seconds for s in reversed(run.samples)}
    slow = sorted(first.items(), key=lambda kv: -kv[1])[:3]
    print(f"warm-up: {len(run.samples)} requests in {sum(first.values()):.2f} s, not counted; "
          "slowest " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in slow))  # fmt: skip


async def run_floor(base: str, seconds: float, args) -> tuple[Run, float]:
    run = Run()

    async def one(n: int, until: float) -> None:
        rng = random.Random(n)
        http = Browser(base)
        await asyncio.sleep(rng.uniform(0, 0.5))
        while time.perf_counter() < until:
            start = time.perf_counter()
            answer = await http.request("GET", "/")
            took = time.perf_counter() - start
            run.samples.append(Sample("floor", "GET", "/", answer.status, took, answer.size, True))
            if args.think:
                await pause(rng, args.think, until)
        await http.close()

    start = time.perf_counter()
    await asyncio.gather(*(one(n, start + seconds) for n in range(args.clients)))
    return run, time.perf_counter() - start


# -- figures ----------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")


def ms(values: list[float]) -> str:
    return "  ".join(f"p{p} {pct(values, p) * 1000:7.1f}" for p in (50, 95, 99)) + " ms"


def route_of(path: str) -> str:
    """The route of the app's table that `path` matches: its template ("/households/{rid}")."""
    from starlette.routing import Match

    from fieldledger.web.app import web_app

    global _ROUTES
    if _ROUTES is None:
        _ROUTES = list(web_app(lambda: None).routes)  # type: ignore[arg-type, return-value]
    for route in _ROUTES:
        for method in ("GET", "POST"):
            scope = {"type": "http", "path": path, "method": method, "root_path": ""}
            try:
                match, _ = route.matches(scope)
            except Exception:
                continue
            if match == Match.FULL:
                return getattr(route, "path", path)
    return path


_ROUTES: list | None = None


def report(run: Run, took: float, floor: Run, floor_took: float, clients: int) -> bool:
    samples = run.samples
    everything = [s.seconds for s in samples]
    floor_all = [s.seconds for s in floor.samples]
    pages = [s for s in samples if s.method == "GET" and s.status == 200 and s.html]
    bad = Counter((s.method, route_of(s.path), s.status) for s in samples if s.status >= 500)
    print(f"\nfloor: {len(floor_all):,} requests in {floor_took:.1f} s, "
          f"{len(floor_all) / floor_took:,.0f}/s;  {ms(floor_all)}")  # fmt: skip
    print(f"web:   {len(samples):,} requests in {took:.1f} s, {len(samples) / took:,.0f}/s, "
          f"{len(pages) / took:,.0f} pages/s;  {ms(everything)}")  # fmt: skip
    print("\nby kind                 requests     p50      p95      p99   x floor p95")
    p95_floor = pct(floor_all, 95)
    for kind in ("login", "page GET", "form POST"):
        got = [s.seconds for s in samples if s.kind == kind]
        if got:
            print(f"  {kind:<20} {len(got):>9,}  {pct(got, 50) * 1000:6.1f}  "
                  f"{pct(got, 95) * 1000:7.1f}  {pct(got, 99) * 1000:7.1f}  "
                  f"{pct(got, 95) / p95_floor:8.1f}")  # fmt: skip
    print(f"  {'all':<20} {len(everything):>9,}  {pct(everything, 50) * 1000:6.1f}  "
          f"{pct(everything, 95) * 1000:7.1f}  {pct(everything, 99) * 1000:7.1f}  "
          f"{pct(everything, 95) / p95_floor:8.1f}")  # fmt: skip

    by_route: dict[tuple[str, str], list[Sample]] = defaultdict(list)
    for s in samples:
        by_route[(s.method, route_of(s.path))].append(s)
    print("\nby route                                   n     p50     p95   largest  status")
    largest: dict[str, tuple[int, str]] = {}
    for (method, route), group in sorted(by_route.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        secs = [s.seconds for s in group]
        html_ok = [s for s in group if s.html and s.status == 200]
        big = max(html_ok, key=lambda s: s.size) if html_ok else None
        if big is not None and method == "GET":
            largest[route] = (big.size, big.path)
        statuses = ",".join(f"{k}:{v}" for k, v in sorted(Counter(s.status for s in group).items()))
        size = f"{big.size:>9,}" if big is not None else " " * 9
        print(f"  {method:<4} {route:<32} {len(group):>6,}  {pct(secs, 50) * 1000:6.1f}  "
              f"{pct(secs, 95) * 1000:6.1f}  {size}  {statuses}")  # fmt: skip
    if run.saved or run.refused:
        print("\nforms: " + ", ".join(f"{p} saved {n}" for p, n in sorted(run.saved.items())))
        for (path, status, error), n in run.refused.most_common(8):
            print(f"  refused {n} x {path} ({status}): {error}")
    if run.skipped:
        print("screens of the menu not answering 200: " + ", ".join(sorted(run.skipped)))
    if run.failed:
        print("connections failed: " + ", ".join(f"{k} x{n}" for k, n in run.failed.items()))
    if bad:
        print("server errors: " + ", ".join(f"{m} {r} {st} x{n}" for (m, r, st), n in bad.items()))

    worst_route, (worst, worst_path) = max(
        largest.items(), key=lambda kv: kv[1][0], default=("none", (0, "no page answered"))
    )
    over = sorted((r, s, p) for r, (s, p) in largest.items() if s > PAGE_BUDGET)
    print(f"\npages: {len(largest)} routes answered HTML; largest {worst:,} bytes ({worst_path})")
    for route, size, path in over:
        print(f"  over 60 KB: {route} {size:,} bytes ({path})")
    p95 = pct(everything, 95)
    ok = verdict(
        f"p95 <= 150 ms, {clients} clients, logins included",
        p95 <= P95_BUDGET_S,
        f"{p95 * 1000:.1f} ms ({p95 / p95_floor:.1f} x floor p95 {p95_floor * 1000:.1f} ms)",
    )
    ok &= verdict("every page <= 60 KB", not over, f"largest {worst:,} bytes ({worst_route})")
    return ok and not bad and not run.failed


def lock_report(held: list[tuple[str, float, float]], took: float) -> None:
    """Per route: how long requests held the workspace lock and waited for it."""
    groups: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for what, wait, hold in held:
        method, _, path = what.partition(" ")
        groups[f"{method} {route_of(path)}"].append((wait, hold))
    total = sum(h for _, _, h in held)
    print(f"\nworkspace lock (--profile): held {total:.1f} s of {took:.1f} s "
          f"({total / took:.0%}); per route, by time held")  # fmt: skip
    print("  route                                    n   hold mean   p95    share   wait mean")
    for name, got in sorted(groups.items(), key=lambda kv: -sum(h for _, h in kv[1])):
        holds = [h for _, h in got]
        waits = [w for w, _ in got]
        print(f"  {name:<37} {len(got):>5,}  {sum(holds) / len(holds) * 1000:8.1f}  "
              f"{pct(holds, 95) * 1000:6.1f}  {sum(holds) / total:6.1%}  "
              f"{sum(waits) / len(waits) * 1000:9.1f} ms")  # fmt: skip


# -- main -------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, help="default 2000 (--quick: 200)")
    parser.add_argument("--seconds", type=float, help="load on the web UI: 60 (--quick: 5)")
    parser.add_argument("--floor-seconds", type=float, help="load on the floor: 15 (--quick: 3)")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between actions")
    parser.add_argument("--relogin", type=float, default=0.04, help="chance per action")
    parser.add_argument("--store", type=Path, help="keep the built workspace here, reuse it")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="a smoke run in seconds")
    parser.add_argument(
        "--profile", action="store_true", help="time each request's wait for and hold of the lock"
    )
    parser.add_argument("--serve", choices=("web", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-to", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        return serve_child(args.serve, str(args.store) if args.store else None, args.profile_to)
    for name, full, quick in (("households", 2000, 200), ("seconds", 60.0, 5.0),
                              ("floor_seconds", 15.0, 3.0)):  # fmt: skip
        if getattr(args, name) is None:
            setattr(args, name, quick if args.quick else full)
    if args.clients > len(accounts_wanted()):
        parser.error(f"at most {len(accounts_wanted())} clients")

    header("web_load")
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        built = build_store(args.store or Path(tmp), args.households, args.seed)
        copy = Path(tmp) / "served"
        shutil.copytree(built, copy)
        values = demo_values(copy)
        print(f"store ready in {time.perf_counter() - start:.1f} s; served from a copy")

        floor_server = start_server("floor", None, "/")
        try:
            floor, floor_took, floor_cpu = load(
                floor_server, run_floor(floor_server.base, args.floor_seconds, args)
            )
        finally:
            floor_server.stop()

        notes = Path(tmp) / "lock.json" if args.profile else None
        web = start_server("web", copy, "/login", notes)
        try:
            run, took, cpu = load(web, run_clients(web.base, args.seconds, values, args))
        finally:
            web.stop()
        for line, n in web.errors().most_common(6):
            print(f"server log: {n} x {line[:150]}")
        held = json.loads(notes.read_text()) if notes is not None else None
    per = cpu[0] * took / max(1, len(run.samples))
    floor_per = floor_cpu[0] * floor_took / max(1, len(floor.samples))
    print(
        f"{args.clients} clients, think {args.think:g} s, relogin {args.relogin:g}/action, "
        f"{args.households} households. CPU, share of one core: floor server {floor_cpu[0]:.0%}"
        f" / clients {floor_cpu[1]:.0%}; web server {cpu[0]:.0%} / clients {cpu[1]:.0%}.\n"
        f"Server CPU per request: web {per * 1000:.2f} ms, floor {floor_per * 1000:.2f} ms "
        f"(less sensitive to a busy machine than latency)"
    )
    ok = report(run, took, floor, floor_took, args.clients)
    if held is not None:
        lock_report(held, took)
    return 0 if ok else 1


def load(server: Server, clients) -> tuple[Run, float, tuple[float, float]]:
    """Run `clients` (a coroutine) against `server`: the run, its seconds, and the CPU used
    by the server and by this (the clients') process, as shares of one core."""
    server0, me0 = server.cpu_s(), time.process_time()
    run, took = asyncio.run(clients)
    return run, took, ((server.cpu_s() - server0) / took, (time.process_time() - me0) / took)


if __name__ == "__main__":
    sys.exit(main())
