"""`fieldledger sync http URL`: the same sealed bundles as a file exchange, over HTTP, in at
most two round trips.

Round trip 1: this device POSTs a bundle to `URL/sync` — made for the server's device when
an earlier sync to this address told us which member answers there, otherwise made for
everyone (what the member furthest behind lacks). The server takes it in and answers with
a bundle made for this device: everything our frontier shows we lack, and the server's own
frontier. Both bundles are sealed; the server's device key is only inside its reply, so an
observer of the link learns no member key (there is no "hello" route).

Round trip 2 happens only when the server's frontier, read from its reply, shows that it
still lacks an event this device held when round trip 1 started, in a compartment the
server's role holds (our record of its frontier was stale, or it lost data). Then a bundle
made for the server from its fresh frontier goes out, and the reply is taken in. The
access-log notes that the sync itself writes travel on the next sync.

When the bundle was made for the member that answered at this address last time and
another member answers now (HTTP 409, nothing applied), round trip 2 is a bundle made for
everyone; whatever that one leaves out travels on the next sync. Which member answered at
an address is kept in the workspace's `sync_servers` table (a hash of the address, the
device key), inside the encrypted store.

A dropped connection is retried (the same bytes, `retries` times, waiting `backoff` seconds
and twice as long each time). Taking a bundle in is atomic and idempotent on both sides, so
a retry, or simply running the command again, converges with nothing lost or doubled: a
bundle the server took in before the link dropped is recognised when it comes again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fieldledger.errors import FieldledgerError
from fieldledger.sync.bundle import BundleError

if TYPE_CHECKING:
    from fieldledger.sync.exchange import Frontier
    from fieldledger.sync.members import Member
    from fieldledger.workspace import Workspace

# (what is happening, done, total or None): bytes while sending and receiving, events
# while taking a bundle in.
Progress = Callable[[str, int, int | None], None]

MAX_REPLY = 256 * 1024 * 1024  # the server's limit too (fieldledger.sync.server.MAX_BODY)
CHUNK = 64 * 1024
TIMEOUT_S = 120.0
RETRIES = 3
BACKOFF_S = 0.5

SCHEMA = """
CREATE TABLE IF NOT EXISTS sync_servers (
    address BLOB PRIMARY KEY, device BLOB NOT NULL, seen INTEGER NOT NULL
) WITHOUT ROWID;
"""


class LinkError(FieldledgerError):
    """The other end could not be reached, or the connection kept dropping."""

    exit_code = 6


class Refused(BundleError):
    """The other end refused what we sent, with its one-line reason."""


@dataclass(frozen=True)
class HttpResult:
    server: str  # the member that answered, as `member list` names it
    round_trips: int
    bytes_up: int
    bytes_down: int
    sent: int  # events carried in this device's bundles
    received: int  # events taken in from the replies
    skipped: int  # events in the replies this device held already
    retries: int  # dropped connections that were tried again


# -- the link: counting, progress, retries --------------------------------------------------


class Link:
    """An HTTP client that counts body bytes each way, reports progress, and tries a
    dropped connection again a bounded number of times."""

    def __init__(
        self,
        base: str,
        *,
        timeout: float = TIMEOUT_S,
        progress: Progress | None = None,
        retries: int = RETRIES,
        backoff: float = BACKOFF_S,
        max_reply: int = MAX_REPLY,
    ) -> None:
        import httpx

        self.base = check_url(base)
        self.progress = progress or (lambda what, done, total: None)
        self.retries = retries
        self.backoff = backoff
        self.max_reply = max_reply
        self.bytes_up = 0
        self.bytes_down = 0
        self.requests = 0
        self.retried = 0
        # No redirects to elsewhere, no environment proxies: bundles go only where the user
        # pointed. Certificates are checked for https (plain http has none to check).
        self.client = httpx.Client(
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            trust_env=False,
            verify=urlsplit(self.base).scheme == "https",
        )

    def __enter__(self) -> Link:
        return self

    def __exit__(self, *exc: object) -> None:
        self.client.close()

    @property
    def where(self) -> str:
        return urlsplit(self.base).netloc

    def request(
        self, method: str, path: str, body: bytes | None = None, *, what: str | None = None
    ) -> tuple[int, bytes]:
        """(status, body) of one exchange; a dropped connection or a busy server is tried
        again. Raises LinkError when the tries are used up. With `what`, the bytes of a
        successful answer are reported to `progress` under that name as they come."""
        import httpx

        url = self.base + path
        attempt = 0
        while True:
            try:
                status, reply = self._once(method, url, body, what)
            except httpx.ConnectError as exc:
                failure = f"cannot reach {self.where}: {_reason(exc)}"
            except (httpx.TransportError, _Cut) as exc:
                failure = f"the connection to {self.where} dropped ({_reason(exc)})"
            else:
                if status != 503:
                    return status, reply
                failure = f"{self.where} is busy ({_first_line(reply)})"
            if attempt >= self.retries:
                tries = "once" if attempt == 0 else f"{attempt + 1} times"
                raise LinkError(
                    f"{failure}; tried {tries}. Run the same command again: nothing is lost "
                    "or taken in twice"
                )
            attempt += 1
            self.retried += 1
            time.sleep(self.backoff * 2 ** (attempt - 1))

    def _once(
        self, method: str, url: str, body: bytes | None, what: str | None
    ) -> tuple[int, bytes]:
        headers = {"Accept": "*/*", "Accept-Encoding": "identity"}
        content = None
        if body is not None:
            headers["Content-Type"] = "application/octet-stream"
            headers["Content-Length"] = str(len(body))
            content = self._upload(body)
        self.requests += 1
        with self.client.stream(method, url, content=content, headers=headers) as response:
            declared = response.headers.get("content-length")
            total = int(declared) if declared and declared.isdigit() else None
            if total is not None and total > self.max_reply:
                raise LinkError(f"{self.where} answered with more than {_mib(self.max_reply)}")
            chunks = []
            got = 0
            for chunk in response.iter_bytes():
                got += len(chunk)
                self.bytes_down += len(chunk)
                if got > self.max_reply:
                    raise LinkError(f"{self.where} answered with more than {_mib(self.max_reply)}")
                chunks.append(chunk)
                if what is not None and response.status_code == 200:
                    self.progress(what, got, total)
            if total is not None and got != total:
                raise _Cut(f"{got} of {total} bytes came")
            return response.status_code, b"".join(chunks)

    def _upload(self, body: bytes) -> Iterator[bytes]:
        total = len(body)
        view = memoryview(body)
        for start in range(0, total, CHUNK):
            chunk = bytes(view[start : start + CHUNK])
            self.bytes_up += len(chunk)
            yield chunk
            self.progress("sending", min(start + CHUNK, total), total)


class _Cut(Exception):
    pass


def check_size(data: bytes) -> None:
    """A bundle larger than the other end accepts is refused here, before it is sent."""
    if len(data) > MAX_REPLY:
        raise LinkError(
            f"this device's bundle is {len(data) // 2**20} MiB, more than the "
            f"{_mib(MAX_REPLY)} a server or relay accepts: carry it as a file (sync export)"
        )


def check_url(url: str) -> str:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise LinkError(f"{url!r} is not an address: give one like http://192.168.1.20:8765")
    return url.strip().rstrip("/")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    return _first_line(text.encode()) if text else type(exc).__name__


def _first_line(data: bytes) -> str:
    text = data.decode("utf-8", "replace").strip()
    return text.splitlines()[0][:300] if text else "no reason given"


def taking_in(progress: Progress | None) -> Callable[..., None] | None:
    """import_bundle's progress callback, reported as ("taking in", done, total)."""
    if progress is None:
        return None

    def hook(done: int, total: int | None = None) -> None:
        progress("taking in", done, total)

    return hook


def _mib(n: int) -> str:
    return f"{n // 2**20} MiB"


# -- the two round trips ----------------------------------------------------------------------


class _WrongServer(Exception):
    pass


def sync_http(
    ws: Workspace,
    url: str,
    *,
    timeout: float = TIMEOUT_S,
    progress: Progress | None = None,
    retries: int = RETRIES,
    backoff: float = BACKOFF_S,
) -> HttpResult:
    """Push and pull with the `fieldledger serve` at `url` (its base address, or the full
    `/sync` address), in at most two round trips."""
    from fieldledger.sync import exchange

    base = check_url(url)
    endpoint = "" if urlsplit(base).path.endswith("/sync") else "/sync"
    address = base + endpoint
    _create_schema(ws)
    with Link(base, timeout=timeout, progress=progress, retries=retries, backoff=backoff) as link:
        before = exchange.frontier(ws.conn)
        known = _known_server(ws, address)
        round_trips = 0
        sent = 0
        try:
            exported = exchange.export_bundle(ws, for_member=known.hex() if known else None)
            reply = _post(link, endpoint, exported.data)
        except _WrongServer:
            # Another member answers at this address now: start again, for everyone.
            _forget_server(ws, address)
            round_trips += 1
            exported = exchange.export_bundle(ws, for_member=None)
            reply = _post(link, endpoint, exported.data, retry_wrong=False)
        round_trips += 1
        sent += exported.events
        server, received, skipped = _take_reply(ws, reply, progress)
        _remember_server(ws, address, server.device)
        theirs = exchange.peer_frontier(ws.conn, server.device) or {}
        if round_trips < 2 and _still_lacks(ws, server, before, theirs):
            exported = exchange.export_bundle(ws, for_member=server.device.hex())
            reply = _post(link, endpoint, exported.data, retry_wrong=False)
            round_trips += 1
            sent += exported.events
            _, more, more_skipped = _take_reply(ws, reply, progress)
            received += more
            skipped += more_skipped
        return HttpResult(
            server=server.name,
            round_trips=round_trips,
            bytes_up=link.bytes_up,
            bytes_down=link.bytes_down,
            sent=sent,
            received=received,
            skipped=skipped,
            retries=link.retried,
        )


def _post(link: Link, endpoint: str, data: bytes, *, retry_wrong: bool = True) -> bytes:
    check_size(data)
    status, reply = link.request("POST", endpoint, data, what="receiving")
    if status == 200:
        return reply
    if status == 409 and retry_wrong:
        raise _WrongServer
    if 400 <= status < 500:
        raise Refused(f"{link.where} refused this device's bundle: {_first_line(reply)}")
    raise LinkError(
        f"{link.where} failed to answer (HTTP {status}): nothing was taken in here; try again later"
    )


def _take_reply(ws: Workspace, reply: bytes, progress: Progress | None) -> tuple[Member, int, int]:
    from fieldledger.sync import exchange, members

    try:
        payload, _, _ = exchange.read_bundle(ws, reply)
        sender = members.member(ws.conn, payload.sender)
        done = exchange.import_bundle(ws, reply, progress=taking_in(progress))
    except BundleError as exc:
        raise BundleError(f"the server's reply was refused: {exc}") from None
    if sender is None:  # it became a member by this very reply (it brought its own `add`)
        sender = members.member(ws.conn, payload.sender)
    assert sender is not None  # import_bundle refuses a sender that is not a member
    return sender, done.events, done.skipped


def _still_lacks(ws: Workspace, server: Member, before: Frontier, theirs: Frontier) -> bool:
    """Whether the server's frontier lacks an event we held when round trip 1 began, in a
    compartment its role holds, by an author it still takes events from."""
    from fieldledger.sync import members
    from fieldledger.sync.roles import compartments_of

    held = set(compartments_of(server.role))
    for (author, compartment), (seq, _) in before.items():
        if compartment not in held or theirs.get((author, compartment), (0, b""))[0] >= seq:
            continue
        writer = members.member(ws.conn, author)
        if writer is not None and not writer.active:
            continue  # a revoked device: the server keeps it pinned, resending changes nothing
        return True
    return False


# -- which member answers at an address ------------------------------------------------------


def _create_schema(ws: Workspace) -> None:
    with ws.transaction():
        ws.conn.execute(SCHEMA)


def _address_key(address: str) -> bytes:
    from fieldledger.crypto import digest

    return digest(b"sync server\0" + address.encode())


def _known_server(ws: Workspace, address: str) -> bytes | None:
    from fieldledger.sync import members

    row = ws.conn.execute(
        "SELECT device FROM sync_servers WHERE address = ?", (_address_key(address),)
    ).fetchone()
    if row is None:
        return None
    member = members.member(ws.conn, row[0])
    return member.device if member is not None and member.active else None


def _remember_server(ws: Workspace, address: str, device: bytes) -> None:
    with ws.transaction():
        ws.conn.execute(
            "INSERT OR REPLACE INTO sync_servers VALUES (?, ?, ?)",
            (_address_key(address), device, int(time.time() * 1000)),
        )


def _forget_server(ws: Workspace, address: str) -> None:
    with ws.transaction():
        ws.conn.execute("DELETE FROM sync_servers WHERE address = ?", (_address_key(address),))


def is_loopback(host: str) -> bool:
    import ipaddress

    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


__all__ = [
    "HttpResult",
    "Link",
    "LinkError",
    "Progress",
    "Refused",
    "is_loopback",
    "sync_http",
]
