"""A blind relay: stores sealed bundles for workspaces it cannot read, and hands them out.

`fieldledger relay serve --store DIR` runs `relay_app(DIR)`. It holds no key. A bundle is
filed in a *mailbox* named by the routing token in its own header (`bundle.routing_token`:
derived from the workspace's members key and the week, so it changes every week and with
every key epoch, and says nothing about the workspace to anyone without that key):

    PUT /m/{token}/{name}   body: a bundle, at most MAX_BODY bytes
                            201 stored; 200 the same bytes were there already (a retry);
                            400 token or name malformed, not a bundle, unknown format
                                version, or the bundle's header names another mailbox;
                            409 another bundle has that name; 413 too large;
                            507 the mailbox is full (MAX_PER_MAILBOX bundles)
    GET /m/{token}          the names in the mailbox, one a line (empty when unknown)
    GET /m/{token}/{name}   the bundle's bytes, exactly as they came (404 if not there)

`token` is 32 lowercase hex digits (16 bytes); `name` is 32 lowercase hex digits that the
sending device draws at random, so it says nothing either.

Store layout: `DIR/<token>/<name>`, one file per bundle holding exactly the bytes received,
written whole or not at all (`files.write_atomic`: `.<random>.tmp` in the same folder, then
renamed), owner-only (0700 folders, 0600 files). Nothing else is kept: no index, no log, no
sender address, no time other than the file's own modification time, by which bundles older
than `keep_days` (default 60) are deleted, with mailboxes left empty. The relay writes no
log at all; `relay serve` runs uvicorn without its access log, which would hold client
addresses.

The client side, `sync_relay(ws, url)`, leaves this device's bundle (made for everyone) in
the current week's mailbox, then takes in every bundle it has not seen from the mailboxes
of the last `TOKEN_WEEKS` weeks (and next week's, for clock skew) of every members-key epoch
it holds. Names already dealt with are kept in the workspace's `relay_seen` table.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from fieldledger.errors import FieldledgerError
from fieldledger.sync import bundle
from fieldledger.sync.bundle import BundleError
from fieldledger.sync.http import (
    BACKOFF_S,
    RETRIES,
    TIMEOUT_S,
    Link,
    LinkError,
    Progress,
    Refused,
    _first_line,
    check_size,
    taking_in,
)

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from fieldledger.sync.bundle import Payload
    from fieldledger.workspace import Workspace

MAX_BODY = 256 * 1024 * 1024
MAX_PER_MAILBOX = 10_000
KEEP_DAYS = 60
SWEEP_EVERY_S = 3600.0
_HEX32 = re.compile(r"[0-9a-f]{32}")
_MIN_BUNDLE = bundle.HEADER.size + bundle.STANZA_BYTES + 40


class RelayRefusal(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


# -- the store -------------------------------------------------------------------------------


class RelayStore:
    """Bundles on disk, by mailbox. Thread-safe: writes are serialised, reads need no lock
    (a file is either absent or whole)."""

    def __init__(
        self,
        root: Path | str,
        *,
        keep_days: float = KEEP_DAYS,
        max_per_mailbox: int = MAX_PER_MAILBOX,
    ) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keep_s = keep_days * 86400
        self.max_per_mailbox = max_per_mailbox
        self._lock = threading.Lock()
        self._swept = 0.0

    @staticmethod
    def check(token: str, name: str | None = None) -> None:
        if not _HEX32.fullmatch(token):
            raise RelayRefusal(400, "a mailbox is named by 32 lowercase hex digits")
        if name is not None and not _HEX32.fullmatch(name):
            raise RelayRefusal(400, "a bundle is named by 32 lowercase hex digits")

    def put(self, token: str, name: str, data: bytes) -> bool:
        """Store a bundle; False when the very same bytes were there already."""
        from fieldledger.files import write_atomic

        self.check(token, name)
        if len(data) < _MIN_BUNDLE:
            raise RelayRefusal(400, "this is not a bundle: too short")
        version, header_token, _epoch = bundle.HEADER.unpack_from(data)
        if version != bundle.VERSION:
            raise RelayRefusal(400, f"unknown bundle format {version}")
        if header_token.hex() != token:
            raise RelayRefusal(400, "the bundle belongs in another mailbox")
        self.sweep_now_and_then()
        box = self.root / token
        path = box / name
        with self._lock:
            if path.exists():
                if path.read_bytes() == data:
                    return False
                raise RelayRefusal(409, "another bundle has this name: draw a new one")
            box.mkdir(exist_ok=True, mode=0o700)
            if len(self.names(token)) >= self.max_per_mailbox:
                raise RelayRefusal(507, "this mailbox is full")
            write_atomic(path, data)
        return True

    def names(self, token: str) -> list[str]:
        self.check(token)
        box = self.root / token
        try:
            entries = os.listdir(box)
        except FileNotFoundError:
            return []
        return sorted(e for e in entries if _HEX32.fullmatch(e))

    def open(self, token: str, name: str):
        """The open file of a bundle, or None."""
        self.check(token, name)
        try:
            return open(self.root / token / name, "rb")  # the caller closes it
        except FileNotFoundError:
            return None

    def sweep_now_and_then(self) -> None:
        now = time.time()
        if now - self._swept >= SWEEP_EVERY_S:
            self.sweep(now)

    def sweep(self, now: float | None = None) -> int:
        """Delete bundles older than keep_days (and stale temp files), then empty mailboxes."""
        now = time.time() if now is None else now
        self._swept = now
        removed = 0
        with self._lock:
            for box in list(self.root.iterdir()):
                if not (box.is_dir() and _HEX32.fullmatch(box.name)):
                    continue
                for entry in list(box.iterdir()):
                    with contextlib.suppress(FileNotFoundError):
                        age = now - entry.stat().st_mtime
                        stale_tmp = entry.name.endswith(".tmp") and age > 86400
                        if age > self.keep_s or stale_tmp:
                            entry.unlink()
                            removed += 1
                with contextlib.suppress(OSError):
                    box.rmdir()  # only when empty
        return removed


# -- the web app --------------------------------------------------------------------------------


def relay_app(
    store_dir: Path | str,
    *,
    keep_days: float = KEEP_DAYS,
    max_body: int = MAX_BODY,
    max_per_mailbox: int = MAX_PER_MAILBOX,
) -> Starlette:
    from starlette.applications import Starlette
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect, Request
    from starlette.responses import PlainTextResponse, Response, StreamingResponse
    from starlette.routing import Route

    from fieldledger.sync.server import BodyTooLarge, plain, read_body

    store = RelayStore(store_dir, keep_days=keep_days, max_per_mailbox=max_per_mailbox)
    store.sweep()

    async def put(request: Request) -> Response:
        token, name = request.path_params["token"], request.path_params["name"]
        try:
            store.check(token, name)
            data = await read_body(request, max_body)
            created = await run_in_threadpool(store.put, token, name, data)
        except RelayRefusal as exc:
            return plain(exc.status, str(exc))
        except BodyTooLarge:
            return plain(413, f"a bundle can be at most {max_body // 2**20} MiB here")
        except ClientDisconnect:
            return Response(status_code=400)
        except FieldledgerError:  # write_atomic: disk full, folder not writable
            return plain(507, "the relay cannot store this bundle now")
        return Response(status_code=201 if created else 200)

    async def listing(request: Request) -> Response:
        try:
            names = await run_in_threadpool(store.names, request.path_params["token"])
        except RelayRefusal as exc:
            return plain(exc.status, str(exc))
        return PlainTextResponse("".join(n + "\n" for n in names))

    async def fetch(request: Request) -> Response:
        try:
            handle = store.open(request.path_params["token"], request.path_params["name"])
        except RelayRefusal as exc:
            return plain(exc.status, str(exc))
        if handle is None:
            return plain(404, "no such bundle (expired, or never here)")
        size = os.fstat(handle.fileno()).st_size

        def chunks() -> Iterator[bytes]:
            with handle:
                while block := handle.read(1 << 20):
                    yield block

        return StreamingResponse(
            chunks(),
            media_type="application/octet-stream",
            headers={"Content-Length": str(size)},
        )

    app = Starlette(
        routes=[
            Route("/m/{token}", listing, methods=["GET"]),
            Route("/m/{token}/{name}", put, methods=["PUT"]),
            Route("/m/{token}/{name}", fetch, methods=["GET"]),
        ]
    )
    app.state.relay_store = store
    return app


# -- the client -----------------------------------------------------------------------------------

SEEN_SCHEMA = """
CREATE TABLE IF NOT EXISTS relay_seen (name TEXT PRIMARY KEY, seen INTEGER NOT NULL)
WITHOUT ROWID;
"""


@dataclass
class RelayResult:
    pushed: int = 0  # events in the bundle this device left at the relay
    mailboxes: int = 0  # mailboxes looked into
    new: int = 0  # bundles there this device had not dealt with before
    taken: int = 0  # bundles taken in
    events: int = 0  # events taken in
    already: int = 0  # bundles held already, superseded by a newer one, or this device's own
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (name, reason): refused
    requests: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    retries: int = 0


@dataclass
class _Candidate:
    name: str
    data: bytes
    payload: Payload
    reason: str = ""


def mailboxes(ws: Workspace, now_s: float | None = None) -> list[bytes]:
    """Every routing token under which a bundle this device can open may be filed: each
    members-key epoch it holds, from TOKEN_WEEKS weeks back to next week."""
    from fieldledger.sync.roles import MEMBERS

    week = bundle.week(now_s)
    periods = range(week + 1, week - bundle.TOKEN_WEEKS - 1, -1)
    keys = ws.keyring.epochs[MEMBERS]
    return [bundle.routing_token(keys[e], p) for e in sorted(keys, reverse=True) for p in periods]


def sync_relay(
    ws: Workspace,
    url: str,
    *,
    timeout: float = TIMEOUT_S,
    progress: Progress | None = None,
    retries: int = RETRIES,
    backoff: float = BACKOFF_S,
) -> RelayResult:
    """Leave this device's bundle at the relay, then take in what others left there.
    A bundle refused on the way in does not stop the others: it is reported in `skipped`."""
    from fieldledger.sync import exchange

    result = RelayResult()
    _create_schema(ws)
    with Link(url, timeout=timeout, progress=progress, retries=retries, backoff=backoff) as link:
        # 1. Leave our bundle, made for everyone, in this week's mailbox.
        exported = exchange.export_bundle(ws, for_member=None)
        check_size(exported.data)
        token = bundle.HEADER.unpack_from(exported.data)[1].hex()
        name = secrets.token_hex(16)
        _mark_seen(ws, [name])  # our own: never to be taken back in
        status, reply = link.request("PUT", f"/m/{token}/{name}", exported.data)
        if status not in (200, 201):
            raise Refused(f"the relay refused this device's bundle: {_first_line(reply)}")
        result.pushed = exported.events

        # 2. Look into every mailbox this device can read, for names not dealt with yet.
        seen = _seen(ws)
        fresh: list[tuple[str, str]] = []
        boxes = mailboxes(ws)
        result.mailboxes = len(boxes)
        for i, box in enumerate(boxes, start=1):
            status, listing = link.request("GET", f"/m/{box.hex()}")
            if status != 200:
                raise LinkError(f"the relay failed to list a mailbox: {_first_line(listing)}")
            for entry in listing.decode("ascii", "replace").split():
                if _HEX32.fullmatch(entry) and entry not in seen:
                    seen.add(entry)
                    fresh.append((box.hex(), entry))
            if progress:
                progress("looking into mailboxes", i, len(boxes))
        result.new = len(fresh)

        # 3. Fetch and open each. A link that fails for good stops the fetching, but what
        #    came before is still taken in.
        candidates: list[_Candidate] = []
        done: list[str] = []
        failure: LinkError | None = None
        try:
            for i, (box_hex, entry) in enumerate(fresh, start=1):
                what = f"fetching {i} of {len(fresh)}"
                status, data = link.request("GET", f"/m/{box_hex}/{entry}", what=what)
                if status == 404:
                    continue  # expired meanwhile
                if status != 200:
                    raise LinkError(f"the relay failed to hand out a bundle: {_first_line(data)}")
                try:
                    payload, _, _ = exchange.read_bundle(ws, data)
                except BundleError as exc:  # damaged, or not this workspace's: final
                    result.skipped.append((entry, str(exc)))
                    done.append(entry)
                    continue
                if payload.sender == ws.device:
                    result.already += 1
                    done.append(entry)
                    continue
                candidates.append(_Candidate(entry, data, payload))
        except LinkError as exc:
            failure = exc
        _mark_seen(ws, done)

        # 4. Take them in: senders known here first, each sender's oldest first; those
        #    refused are tried again while others get in (a sender whose `add` comes in
        #    another device's bundle).
        _take_in_all(ws, candidates, result, progress)
        result.requests = link.requests
        result.bytes_up = link.bytes_up
        result.bytes_down = link.bytes_down
        result.retries = link.retried
    if failure is not None:
        raise LinkError(
            f"{failure} ({result.taken} bundles were taken in before that; the rest come next time)"
        )
    return result


def _take_in_all(
    ws: Workspace, candidates: list[_Candidate], result: RelayResult, progress: Progress | None
) -> None:
    from fieldledger.sync import exchange, members

    # Senders this device knows first, each sender's bundles oldest first.
    pending = sorted(
        candidates,
        key=lambda c: (
            members.member(ws.conn, c.payload.sender) is None,
            c.payload.sender,
            c.payload.counter,
            c.name,
        ),
    )
    hook = taking_in(progress)
    while pending:
        waiting: list[_Candidate] = []
        for c in pending:
            if _superseded(ws, c):
                result.already += 1
                _mark_seen(ws, [c.name])
                continue
            alarms = len(exchange.alarms(ws.conn))
            try:
                got = exchange.import_bundle(ws, c.data, progress=hook)
            except FieldledgerError as exc:
                if len(exchange.alarms(ws.conn)) > alarms:
                    # A forked chain: raised as an alarm once, never taken in.
                    result.skipped.append((c.name, str(exc)))
                    _mark_seen(ws, [c.name])
                else:
                    # Perhaps once another bundle is in (the one that makes its sender a
                    # member, or brings a key epoch), or once the clocks agree.
                    c.reason = str(exc)
                    waiting.append(c)
                continue
            _mark_seen(ws, [c.name])
            if got.already:
                result.already += 1
            else:
                result.taken += 1
                result.events += got.events
        if len(waiting) == len(pending):
            # No progress: these stay unseen, to be tried again on the next sync.
            result.skipped.extend((c.name, c.reason) for c in waiting)
            return
        pending = waiting


def _superseded(ws: Workspace, c: _Candidate) -> bool:
    """Held already, or older than a bundle from the same sender taken in before: a relay
    keeps old bundles, so this is no replay attack, just nothing new."""
    row = ws.conn.execute(
        "SELECT counter, bundle FROM peers WHERE device = ?", (c.payload.sender,)
    ).fetchone()
    return row is not None and c.payload.counter <= row[0]


def _create_schema(ws: Workspace) -> None:
    weeks = bundle.TOKEN_WEEKS + 2
    with ws.transaction():
        ws.conn.execute(SEEN_SCHEMA)
        # A name older than any mailbox still looked into is never listed again.
        ws.conn.execute(
            "DELETE FROM relay_seen WHERE seen < ?",
            (int((time.time() - weeks * 7 * 86400) * 1000),),
        )


def _seen(ws: Workspace) -> set[str]:
    return {n for (n,) in ws.conn.execute("SELECT name FROM relay_seen")}


def _mark_seen(ws: Workspace, names: list[str]) -> None:
    if not names:
        return
    now = int(time.time() * 1000)
    with ws.transaction():
        ws.conn.executemany(
            "INSERT OR IGNORE INTO relay_seen VALUES (?, ?)", [(n, now) for n in names]
        )
