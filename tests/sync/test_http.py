"""HTTP sync against a real uvicorn server on loopback: convergence in at most two round
trips, a connection cut midway, and refusals that apply nothing. No transport is mocked:
connections are cut by a small TCP proxy between client and server."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import httpx
import msgspec
import pytest
import uvicorn

from fieldledger.sync import bundle, exchange
from fieldledger.sync.http import LinkError, Refused, sync_http
from fieldledger.sync.server import sync_app
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE, household

# -- a real server in a thread, and a proxy that cuts connections ----------------------------


@contextlib.contextmanager
def serving(app):
    """Run `app` with uvicorn on 127.0.0.1 at an ephemeral port; yields its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="error", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


class CutProxy:
    """Forwards TCP connections to `port`. The first `cuts` connections are closed once
    `after` bytes have gone the given way: "up" (the request) or "down" (the response)."""

    def __init__(self, port: int, *, direction: str, after: int, cuts: int = 1) -> None:
        self.upstream = port
        self.direction = direction
        self.after = after
        self.cuts = cuts
        self.cut_done = 0
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        upstream = socket.create_connection(("127.0.0.1", self.upstream))
        with self.lock:
            cut = self.cuts > 0
            self.cuts -= cut
        up = self.after if cut and self.direction == "up" else None
        down = self.after if cut and self.direction == "down" else None
        pumping = threading.Thread(target=self._pump, args=(client, upstream, up), daemon=True)
        pumping.start()
        self._pump(upstream, client, down)
        pumping.join(5)

    def _pump(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(65536):
                if limit is not None and sent + len(data) >= limit:
                    dst.sendall(data[: limit - sent])
                    with self.lock:
                        self.cut_done += 1
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


# -- devices ------------------------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path: Path):
    """An admin laptop (the server) and a field device made by it (the client)."""
    a = Workspace.init(tmp_path / "a", PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    b = a.add_device(
        tmp_path / "b",
        PASSPHRASE,
        role="field",
        label="field phone",
        params=TEST_PARAMS,
        check_strength=False,
    )
    yield a, b
    b.close()
    a.close()


def ids(ws: Workspace, type_name: str) -> list[str]:
    return sorted(r["id"] for r in ws.list(type_name))


def chains(ws: Workspace, author: bytes) -> dict[str, tuple[int, int]]:
    """Per record compartment of `author`: (events held, highest sequence)."""
    rows = ws.conn.execute(
        "SELECT compartment, count(*), max(seq) FROM events WHERE author = ?"
        " AND compartment IN ('people', 'programme') GROUP BY compartment",
        (author,),
    )
    return {c: (n, top) for c, n, top in rows}


def assert_converged(a: Workspace, b: Workspace) -> None:
    for type_name in ("household", "person"):
        assert ids(a, type_name) == ids(b, type_name)
    for author in (a.device, b.device):
        held_a, held_b = chains(a, author), chains(b, author)
        assert held_a == held_b
        assert all(n == top for n, top in held_a.values())  # no gap, nothing twice
    assert not a.conflicts() and not b.conflicts()


def fill(a: Workspace, b: Workspace) -> None:
    hid = a.add("household", household("HH-A1"))
    a.add("person", {"household_id": hid, "sex": "female", "name": "Daw Mya"})
    b.add("household", household("HH-B1"))
    b.add("household", household("HH-B2"))


# -- convergence ---------------------------------------------------------------------------------


def test_two_devices_converge_in_one_round_trip(pair) -> None:
    a, b = pair
    fill(a, b)
    with serving(sync_app(lambda: a)) as url:
        result = sync_http(b, url)
        assert result.round_trips == 1
        assert result.server.startswith("owner (")
        assert result.sent >= 2 and result.received >= 4
        assert result.bytes_up > bundle.STANZA_BYTES and result.bytes_down > bundle.STANZA_BYTES
        assert_converged(a, b)
        assert b.get("person", ids(b, "person")[0])["name"] == "Daw Mya"

        # Both go on working; the next sync carries only the new records.
        first = ids(a, "household")[0]
        a.update("household", first, {"size": 7})
        b.add("household", household("HH-B3"))
        again = sync_http(b, url + "/sync")  # the full endpoint address works too
        assert again.round_trips == 1
        assert_converged(a, b)
        assert b.get("household", first)["size"] == 7
        # Only what is new travels: the record and the access-log notes of the last sync.
        assert again.sent <= 1 + 3 and again.received <= 1 + 3


def test_a_second_round_trip_when_the_server_lacks_what_we_thought_it_had(pair) -> None:
    a, b = pair
    fill(a, b)
    with serving(sync_app(lambda: a)) as url:
        sync_http(b, url)
        b.add("household", household("HH-B9"))
        # Our record of the server's frontier is stale: it claims the server has all we have.
        ours = sorted(exchange.frontier(b.conn).items())
        stale = msgspec.msgpack.encode([(au, c, s, h) for (au, c), (s, h) in ours])
        with b.transaction():
            b.conn.execute("UPDATE peers SET frontier = ? WHERE device = ?", (stale, a.device))
        result = sync_http(b, url)
    assert result.round_trips == 2
    assert "HH-B9" in {r["code"] for r in a.list("household")}
    assert_converged(a, b)


# -- a connection cut midway -------------------------------------------------------------------


@pytest.mark.parametrize("direction", ["up", "down"])
def test_a_dropped_connection_is_retried_and_converges(pair, direction: str) -> None:
    a, b = pair
    fill(a, b)
    with serving(sync_app(lambda: a)) as url:
        proxy = CutProxy(_port(url), direction=direction, after=1500)
        try:
            result = sync_http(b, proxy.url, retries=2, backoff=0.01)
        finally:
            proxy.close()
    assert proxy.cut_done == 1
    assert result.retries == 1
    assert_converged(a, b)


def test_a_cut_reply_then_a_rerun_converges_with_nothing_lost_or_doubled(pair) -> None:
    a, b = pair
    fill(a, b)
    with serving(sync_app(lambda: a)) as url:
        proxy = CutProxy(_port(url), direction="down", after=1000)
        try:
            with pytest.raises(LinkError, match=r"dropped.*tried once\. Run the same command"):
                sync_http(b, proxy.url, retries=0)
        finally:
            proxy.close()
        # The server took our bundle in before its reply was cut; we got nothing.
        assert "HH-B1" in {r["code"] for r in a.list("household")}
        assert ids(b, "person") == []
        result = sync_http(b, url)
    assert result.round_trips == 1
    assert_converged(a, b)


def test_a_cut_request_applies_nothing_on_the_server(pair) -> None:
    a, b = pair
    fill(a, b)
    before = exchange.frontier(a.conn)
    with serving(sync_app(lambda: a)) as url:
        proxy = CutProxy(_port(url), direction="up", after=2000)
        try:
            with pytest.raises(LinkError, match="dropped"):
                sync_http(b, proxy.url, retries=0)
        finally:
            proxy.close()
        assert exchange.frontier(a.conn) == before
        sync_http(b, url)
    assert_converged(a, b)


# -- refusals --------------------------------------------------------------------------------


@pytest.fixture
def http():
    with httpx.Client() as client:
        yield client


def _events(ws: Workspace) -> int:
    return ws.conn.execute("SELECT count(*) FROM events").fetchone()[0]


def test_refused_bundles_get_4xx_with_the_reason_and_nothing_applied(
    pair, tmp_path: Path, http: httpx.Client
) -> None:
    a, b = pair
    fill(a, b)
    other = Workspace.init(tmp_path / "c", PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    first = exchange.export_bundle(b).data
    second = exchange.export_bundle(b).data
    tampered = bytearray(first)
    tampered[-100] ^= 1
    with serving(sync_app(lambda: a, max_body=1 << 20)) as url:
        n = _events(a)
        cases = [
            (bytes(tampered), 400, "damaged"),
            (exchange.export_bundle(other).data, 400, "not for this workspace"),
            (first[: bundle.STANZA_BYTES], 400, "too short"),
            (b"\x07" + first[1:], 400, "format 7 is unknown"),
            (bytes(2 << 20), 413, "at most 1 MiB"),
        ]
        for body, status, reason in cases:
            reply = http.post(url + "/sync", content=body)
            assert reply.status_code == status
            assert reply.headers["content-type"].startswith("text/plain")
            assert reason in reply.text and "\n" not in reply.text.strip()
            assert _events(a) == n  # nothing applied

        assert http.post(url + "/sync", content=second).status_code == 200
        n = _events(a)
        replay = http.post(url + "/sync", content=first)
        assert replay.status_code == 400 and "replay" in replay.text
        assert _events(a) == n

        # A client of another workspace learns why, in one line.
        with pytest.raises(Refused, match="refused this device's bundle: the bundle is not for"):
            sync_http(other, url)
    other.close()


def test_a_bundle_for_another_device_is_answered_409_and_the_client_starts_over(
    pair, tmp_path: Path
) -> None:
    from fieldledger.sync import http as link

    a, b = pair
    fill(a, b)
    c = a.add_device(
        tmp_path / "c",
        PASSPHRASE,
        role="coordinator",
        label="coordinator",
        params=TEST_PARAMS,
        check_strength=False,
    )
    for device in (b, c):  # both learn who belongs, from a bundle of the admin's
        exchange.import_bundle(device, exchange.export_bundle(a).data)
    with serving(sync_app(lambda: c)) as url:
        for_a = exchange.export_bundle(b, for_member=a.device.hex()).data
        reply = httpx.post(url + "/sync", content=for_a)
        assert reply.status_code == 409 and "another device" in reply.text
        # b believes a answers at this address (it did, before the laptops were swapped).
        link._create_schema(b)
        link._remember_server(b, url + "/sync", a.device)
        result = sync_http(b, url)
        assert result.server.startswith("coordinator (")
        assert result.round_trips == 2  # the refused one, then one made for everyone
        assert link._known_server(b, url + "/sync") == c.device
        assert ids(c, "household") == ids(b, "household")
    c.close()


def test_a_revoked_device_gets_403_and_nothing_applied(pair) -> None:
    from fieldledger.sync.revoke import revoke

    a, b = pair
    fill(a, b)
    with serving(sync_app(lambda: a)) as url:
        sync_http(b, url)
        revoke(a, b.device.hex())
        b.add("household", household("HH-AFTER"))
        n = _events(a)
        reply = httpx.post(url + "/sync", content=exchange.export_bundle(b).data)
        assert reply.status_code == 403
        assert reply.text == "this device was removed from the workspace: nothing applied"
        assert _events(a) == n
        with pytest.raises(Refused, match="removed from the workspace"):
            sync_http(b, url)
    assert "HH-AFTER" not in {r["code"] for r in a.list("household")}


# -- the commands ------------------------------------------------------------------------------


def test_the_commands(pair, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fieldledger.cli import app

    runner = CliRunner()

    refused = runner.invoke(app, ["serve", "--host", "0.0.0.0"], input="n\n")
    assert refused.exit_code == 1  # asked first, and the answer was no
    assert "other devices on the network reach the login page?" in refused.output

    a, b = pair
    fill(a, b)
    b.close()
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    with serving(sync_app(lambda: a)) as url:
        where = ["--workspace", str(tmp_path / "b"), "--passphrase-file", str(secret)]
        done = runner.invoke(app, [*where, "sync", "http", url])
    assert done.exit_code == 0, done.output
    assert "synced with owner (" in done.output and "1 round trip" in done.output
    with Workspace.open(tmp_path / "b", PASSPHRASE) as again:
        assert ids(again, "person") == ids(a, "person")
