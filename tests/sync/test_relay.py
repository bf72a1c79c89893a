"""The blind relay, on a real uvicorn server on loopback: devices that never meet converge
through it; its store holds nothing readable; it files a bundle only under the mailbox its
own header names."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import httpx
import pytest

from fieldledger.sync import bundle, exchange
from fieldledger.sync.relay import RelayStore, mailboxes, relay_app, sync_relay
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE, household
from tests.records.examples import VALID
from tests.sync.test_http import assert_converged, ids, serving

CANARY = "CANARY-7f3a9c-Thura"


@pytest.fixture
def trio(tmp_path: Path):
    """An admin, a field device and a documenter, all made on the admin's laptop; after
    that they meet only through the relay."""
    a = Workspace.init(tmp_path / "a", PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    made = {
        "label": "field phone",
        "params": TEST_PARAMS,
        "check_strength": False,
        "passphrase": PASSPHRASE,
    }
    b = a.add_device(tmp_path / "b", role="field", **made)
    c = a.add_device(tmp_path / "c", role="documenter", **{**made, "label": "notebook"})
    yield a, b, c
    for ws in (c, b, a):
        ws.close()


@pytest.fixture
def relay(tmp_path: Path):
    store = tmp_path / "relay"
    with serving(relay_app(store)) as url:
        yield url, store


@pytest.fixture
def http():
    with httpx.Client() as client:
        yield client


def _token(data: bytes) -> str:
    return bundle.HEADER.unpack_from(data)[1].hex()


def test_devices_that_never_meet_converge_through_the_relay(trio, relay) -> None:
    a, b, c = trio
    url, _ = relay
    hid = a.add("household", household("HH-A1"))
    a.add("person", {"household_id": hid, "sex": "male", "name": "U Ba"})
    b.add("household", household("HH-B1"))
    iid = c.add("incident", VALID["incident"])

    # c leaves its bundle before anyone: b cannot take it in until the admin's bundle (which
    # makes c a member in b's eyes) is in, so b's pull needs a second pass.
    first_c = sync_relay(c, url)
    assert first_c.pushed >= 1 and first_c.taken == 0
    assert sync_relay(a, url).taken == 1  # c's
    got_b = sync_relay(b, url)
    assert got_b.taken == 2 and not got_b.skipped  # a's and c's, in whatever order
    assert ids(b, "person") == ids(a, "person")
    got_a = sync_relay(a, url)
    assert got_a.taken == 1  # b's
    assert_converged(a, b)
    assert ids(a, "incident") == [iid]  # the admin holds incidents, the field device not
    assert "incidents" not in b.keyring.epochs

    # Names already dealt with are not fetched again.
    again = sync_relay(b, url)
    assert again.new == 1  # only a's new bundle
    assert again.mailboxes == bundle.TOKEN_WEEKS + 2
    # The documenter never receives people.
    assert "people" not in c.keyring.epochs
    sync_relay(c, url)
    assert ids(c, "household") == ids(a, "household")


def test_the_relay_store_holds_nothing_readable(trio, relay) -> None:
    a, b, c = trio
    url, store = relay
    hid = a.add("household", household(CANARY[:16], consent_purpose=CANARY))
    a.add("person", {"household_id": hid, "sex": "female", "name": CANARY})
    b.add("household", household("HH-B1", consent_purpose=CANARY))
    c.add("incident", {**VALID["incident"], "narrative": CANARY})
    for ws in (a, b, c, a, b):
        sync_relay(ws, url)
    assert CANARY in {r["name"] for r in b.list("person", reveal=True)}

    files = [p for p in store.rglob("*") if p.is_file()]
    assert len(files) == 5
    secrets_ = [CANARY.encode(), CANARY.encode("utf-16-le"), a.keyring.workspace_id]
    for ws in (a, b, c):
        secrets_ += [ws.device, ws.keyring.box_public, ws.device.hex().encode()]
    for path in files:
        data = path.read_bytes()
        for secret in secrets_:
            assert secret not in data, (path.name, secret)
        # Neutral names: the mailbox token and a random name, nothing else.
        rel = path.relative_to(store).parts
        assert len(rel) == 2 and all(len(p) == 32 and int(p, 16) >= 0 for p in rel)
        assert path.stat().st_mode & 0o077 == 0


def test_a_bundle_is_filed_only_under_its_own_mailbox(ws, relay, http) -> None:
    url, store = relay
    data = exchange.export_bundle(ws).data
    token = _token(data)
    other = secrets.token_hex(16)
    name = secrets.token_hex(16)

    wrong = http.put(f"{url}/m/{other}/{name}", content=data)
    assert wrong.status_code == 400 and wrong.text == "the bundle belongs in another mailbox"
    for bad_url, body, reason in [
        (f"{url}/m/{token}/{name}", b"\x09" + data[1:], "unknown bundle format 9"),
        (f"{url}/m/{token}/{name}", data[:500], "too short"),
        (f"{url}/m/{token[:-2]}/{name}", data, "32 lowercase hex"),
        (f"{url}/m/{token.upper()}/{name}", data, "32 lowercase hex"),
        (f"{url}/m/{token}/../../etc", data, ""),
        (f"{url}/m/{token}/{name}.dat", data, "32 lowercase hex"),
    ]:
        reply = http.put(bad_url, content=body)
        assert 400 <= reply.status_code < 500 and reason in reply.text
    assert not any(store.rglob("*"))

    assert http.put(f"{url}/m/{token}/{name}", content=data).status_code == 201
    assert http.put(f"{url}/m/{token}/{name}", content=data).status_code == 200  # a retry
    clash = http.put(f"{url}/m/{token}/{name}", content=data[:-1] + b"\0")
    assert clash.status_code == 409
    assert http.get(f"{url}/m/{token}").text == name + "\n"
    got = http.get(f"{url}/m/{token}/{name}")
    assert got.status_code == 200 and got.content == data
    assert http.get(f"{url}/m/{token}/{secrets.token_hex(16)}").status_code == 404


def test_listing_an_unknown_mailbox_gives_an_empty_list(relay) -> None:
    url, _ = relay
    reply = httpx.get(f"{url}/m/{secrets.token_hex(16)}")
    assert reply.status_code == 200 and reply.text == ""
    assert httpx.get(f"{url}/m/not-a-token").status_code == 400


def test_a_body_over_the_limit_is_refused(tmp_path: Path, ws) -> None:
    data = exchange.export_bundle(ws).data
    with serving(relay_app(tmp_path / "small", max_body=len(data) - 1)) as url:
        reply = httpx.put(f"{url}/m/{_token(data)}/{secrets.token_hex(16)}", content=data)
    assert reply.status_code == 413
    assert not any((tmp_path / "small").rglob("*"))


def test_old_bundles_expire(tmp_path: Path, ws) -> None:
    store = RelayStore(tmp_path / "store", keep_days=60)
    data = exchange.export_bundle(ws).data
    token = _token(data)
    old, new = secrets.token_hex(16), secrets.token_hex(16)
    store.put(token, old, data)
    store.put(token, new, data)
    past = time.time() - 61 * 86400
    os.utime(store.root / token / old, (past, past))
    assert store.sweep() == 1
    assert store.names(token) == [new]
    os.utime(store.root / token / new, (past, past))
    store.sweep()
    assert not (store.root / token).exists()  # an empty mailbox goes too


def test_refused_and_old_bundles_do_not_stop_the_pull(trio, relay) -> None:
    a, b, _ = trio
    url, _ = relay
    a.add("household", household("HH-A1"))
    b.add("household", household("HH-B1"))
    sync_relay(b, url)  # b's first bundle is at the relay
    b.add("household", household("HH-B2"))
    # a takes in b's newer bundle by hand: the relay's copy is now old news.
    exchange.import_bundle(a, exchange.export_bundle(b).data)
    # Someone with the token leaves a damaged bundle in a's mailbox.
    damaged = bytearray(exchange.export_bundle(b).data)
    damaged[-50] ^= 1
    token = _token(bytes(damaged))
    bad_name = secrets.token_hex(16)
    assert httpx.put(f"{url}/m/{token}/{bad_name}", content=bytes(damaged)).status_code == 201
    newer = exchange.export_bundle(b).data  # and a good one, still to come
    assert httpx.put(f"{url}/m/{token}/{secrets.token_hex(16)}", content=newer).is_success

    result = sync_relay(a, url)
    assert result.taken == 1
    assert result.already == 1  # b's superseded first one (our own is not even fetched)
    assert [name for name, _ in result.skipped] == [bad_name]
    assert "damaged" in result.skipped[0][1]
    assert exchange.alarms(a.conn) == []  # an old bundle at a relay is no replay attack
    assert {"HH-A1", "HH-B1", "HH-B2"} <= {r["code"] for r in a.list("household")}
    # Nothing is fetched twice: not the damaged one, not the old one.
    assert sync_relay(a, url).new == 0


def test_mailboxes_cover_the_token_window(ws) -> None:
    boxes = mailboxes(ws)
    assert len(boxes) == len(set(boxes)) == bundle.TOKEN_WEEKS + 2
    assert bytes.fromhex(_token(exchange.export_bundle(ws).data)) in boxes


def test_the_sync_relay_command(ws, ws_path: Path, relay, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from fieldledger.cli import app

    url, store = relay
    ws.add("household", household())
    ws.close()
    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    where = ["--workspace", str(ws_path), "--passphrase-file", str(secret)]
    done = CliRunner().invoke(app, [*where, "sync", "relay", url])
    assert done.exit_code == 0, done.output
    boxes = bundle.TOKEN_WEEKS + 2
    assert f"took in 0 bundles (0 new events) from {boxes} mailboxes" in done.output
    assert len([p for p in store.rglob("*") if p.is_file()]) == 1
