"""The sync endpoint of `fieldledger serve`: one bundle in, one bundle back.

    POST /sync    body: a bundle (application/octet-stream), at most MAX_BODY bytes
                  200  the reply bundle: what the sender lacks, made for the sender's device
                  400  the bundle was refused (damaged, foreign, replayed, ...) or the body
                       is empty: one line of text/plain, nothing applied
                  403  the sender was removed from the workspace: nothing applied
                  409  the bundle was made for another device (the address now leads to
                       another member): make one for everyone and send it again
                  413  the body is larger than MAX_BODY
                  503  the workspace stayed busy (another request, the web UI) too long

There is no other sync route, and no "hello": the server's device key travels only inside
the sealed reply, so an observer of the link learns no member key. The reply is made with
`export_bundle(ws, for_member=<sender>)` right after the sender's bundle was taken in, so it
holds exactly what the sender's frontier shows it lacks.

The workspace (one SQLCipher connection) is used by one request at a time: handlers run in
a worker thread and hold `app.state.workspace_lock`, the lock every other route mounted on
the same server (the web UI) must hold too. `sync_app` is a plain Starlette app whose
routes come from `sync_routes`, so a later server can put them next to its own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from fieldledger.errors import FieldledgerError

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

MAX_BODY = 256 * 1024 * 1024  # bytes; a bundle of about a million events fits
LOCK_WAIT_S = 60.0
BUNDLE_TYPE = "application/octet-stream"


class BodyTooLarge(Exception):
    pass


class _Refused(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


def plain(status: int, text: str) -> PlainTextResponse:
    """A refusal: one line, no detail from inside any bundle."""
    return PlainTextResponse(text.splitlines()[0] if text else "", status_code=status)


async def read_body(request: Request, limit: int) -> bytes:
    """The whole request body, refused early (BodyTooLarge) once it passes `limit` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BodyTooLarge from None
        if size > limit or size < 0:
            raise BodyTooLarge
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def sync_routes(
    ws_provider: Callable[[], Workspace],
    lock: threading.Lock,
    *,
    max_body: int = MAX_BODY,
) -> list[Route]:
    def exchange_one(data: bytes) -> bytes:
        if not lock.acquire(timeout=LOCK_WAIT_S):
            raise _Refused(503, "the workspace is busy: try again in a minute")
        try:
            return _reply(ws_provider(), data)
        finally:
            lock.release()

    async def sync(request: Request) -> Response:
        try:
            data = await read_body(request, max_body)
        except BodyTooLarge:
            return plain(413, f"a bundle sent here can be at most {max_body // 2**20} MiB")
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening: nothing was applied
        if not data:
            return plain(400, "send a bundle as the request body: nothing applied")
        try:
            reply = await run_in_threadpool(exchange_one, data)
        except _Refused as exc:
            return plain(exc.status, str(exc))
        except FieldledgerError as exc:  # BundleError, VerificationError, MembershipError
            return plain(400, str(exc))
        return Response(reply, media_type=BUNDLE_TYPE)

    return [Route("/sync", sync, methods=["POST"])]


def _reply(ws: Workspace, data: bytes) -> bytes:
    """Take the bundle in, then answer with what its sender lacks. Raises on refusal, with
    nothing applied (import_bundle is atomic)."""
    from fieldledger.sync import exchange, members

    payload, _, _ = exchange.read_bundle(ws, data)
    if payload.recipient not in (None, ws.device):
        raise _Refused(
            409,
            "the bundle was made for another device: this address now leads to another "
            "member; nothing applied",
        )
    sender = members.member(ws.conn, payload.sender)
    if sender is not None and not sender.active:
        raise _Refused(403, "this device was removed from the workspace: nothing applied")
    exchange.import_bundle(ws, data)
    return exchange.export_bundle(ws, for_member=payload.sender.hex()).data


def sync_app(
    ws_provider: Callable[[], Workspace],
    *,
    lock: threading.Lock | None = None,
    max_body: int = MAX_BODY,
) -> Starlette:
    """The sync server. `ws_provider()` gives the open workspace (called under the lock)."""
    lock = lock or threading.Lock()
    app = Starlette(routes=sync_routes(ws_provider, lock, max_body=max_body))
    app.state.workspace_lock = lock
    return app
