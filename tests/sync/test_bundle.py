"""Bundles: what they carry, and every way a bad one is refused with nothing applied."""

from __future__ import annotations

import contextlib
import shutil

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldledger.errors import LedgerError, VerificationError
from fieldledger.sync import bundle, exchange, members
from fieldledger.sync.revoke import revoke
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import household
from tests.records.examples import VALID
from tests.sync.conftest import device, events, send

CANARY = "Canary-Mya-Thida-7731"


def test_a_bundle_carries_records_and_personal_data_keys(admin, field):
    hid = admin.add("household", household())
    pid = admin.add("person", {"household_id": hid, "sex": "female", "name": CANARY})
    result = send(admin, field)
    assert result.events >= 2
    assert field.get("person", pid)["name"] == CANARY
    assert field.get("household", hid)["code"] == "HH-0001"


def test_the_reply_holds_exactly_what_is_missing(admin, field):
    admin.add("household", household())
    send(admin, field)
    field.add("household", household("HH-0002"))
    own = field.conn.execute("SELECT 1 FROM events WHERE author = ?", (field.device,)).fetchall()
    back = exchange.export_bundle(field, admin.device.hex()[:8])
    # The field device knows the admin's frontier: it sends only its own new events.
    assert back.events == len(own)
    exchange.import_bundle(admin, back.data)
    assert len(admin.list("household")) == 2


def test_importing_the_same_bundle_twice_changes_nothing(admin, field):
    admin.add("household", household())
    data = exchange.export_bundle(admin).data
    exchange.import_bundle(field, data)
    before = events(field)
    again = exchange.import_bundle(field, data)
    assert again.already and events(field) == before


def test_a_device_receives_only_its_roles_compartments(admin, field, documenter):
    admin.add("household", household())
    admin.add("grant", VALID["grant"])
    admin.add("incident", VALID["incident"])
    send(admin, field)
    send(admin, documenter)
    held = {c for (c,) in field.conn.execute("SELECT DISTINCT compartment FROM events")}
    assert held <= {"people", "programme", "members", "access-log"}
    held = {c for (c,) in documenter.conn.execute("SELECT DISTINCT compartment FROM events")}
    assert "incidents" in held and not held & {"finance", "people", "org-security"}
    assert "finance" not in field.keyring.epochs and "people" not in documenter.keyring.epochs


def test_a_bundle_file_shows_no_canary_and_no_member_key(admin, field):
    hid = admin.add("household", household(consent_purpose=CANARY))
    admin.add("person", {"household_id": hid, "sex": "male", "name": CANARY})
    data = exchange.export_bundle(admin).data
    assert CANARY.encode() not in data
    for secretive in (
        admin.device,
        field.device,
        admin.keyring.box_public,
        field.keyring.box_public,
        admin.keyring.workspace_id,
    ):
        assert secretive not in data
    assert (
        len(data)
        == bundle.HEADER.size
        + bundle.STANZA_BYTES
        + bundle.padme(len(data) - bundle.HEADER.size - bundle.STANZA_BYTES - 40)
        + 40
    )


@pytest.fixture
def offered(admin, field):
    """A bundle for the field device and the field device's state before taking it."""
    hid = admin.add("household", household())
    admin.add("person", {"household_id": hid, "sex": "female", "name": "Daw Hla"})
    return exchange.export_bundle(admin, field.device.hex()[:8]).data


def refused(ws, data, match=None):
    before = events(ws)
    peers = ws.conn.execute("SELECT * FROM peers").fetchall()
    with pytest.raises(LedgerError, match=match):
        exchange.import_bundle(ws, data)
    assert events(ws) == before
    assert ws.conn.execute("SELECT * FROM peers").fetchall() == peers


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_any_flipped_byte_is_refused(field, offered, data):
    at = data.draw(st.integers(0, len(offered) - 1))
    flip = data.draw(st.integers(1, 255))
    spoiled = bytearray(offered)
    spoiled[at] ^= flip
    refused(field, bytes(spoiled))


def test_every_header_byte_and_every_cut_is_refused(field, offered):
    for at in range(bundle.HEADER.size):
        spoiled = bytearray(offered)
        spoiled[at] ^= 0x40
        refused(field, bytes(spoiled))
    for cut in (0, 10, bundle.HEADER.size + 100, len(offered) // 2, len(offered) - 1):
        refused(field, offered[:cut])
    # Reordered: two blocks of the sealed body swapped.
    start = bundle.HEADER.size + bundle.STANZA_BYTES
    body = offered[start:]
    half = len(body) // 2
    refused(field, offered[:start] + body[half:] + body[:half])
    exchange.import_bundle(field, offered)  # the good one still goes in


def test_an_unknown_format_version_is_refused_by_name(field, offered):
    refused(field, bytes([9]) + offered[1:], match="bundle format 9 is unknown")


def test_another_workspaces_bundle_is_refused(field, tmp_path):
    other = Workspace.init(tmp_path / "other", "pw", params=TEST_PARAMS, check_strength=False)
    other.add("household", household())
    refused(field, exchange.export_bundle(other).data, match="not for this workspace")
    other.close()


def test_a_bundle_made_for_another_device_is_refused(admin, field, documenter):
    admin.add("household", household())
    data = exchange.export_bundle(admin, documenter.device.hex()[:8]).data
    refused(field, data, match="made for another device")


def test_an_old_bundle_replayed_cannot_roll_a_frontier_back(admin, field):
    admin.add("household", household())
    old = exchange.export_bundle(admin).data
    admin.add("household", household("HH-0002"))
    new = exchange.export_bundle(admin).data
    exchange.import_bundle(field, new)
    refused(field, old, match="replay")
    assert exchange.alarms(field.conn)[-1][1] == "replay"


def test_a_bundle_dated_beyond_the_clock_skew_is_refused(admin, field, monkeypatch):
    import time as real_time

    admin.add("household", household())
    later = real_time.time() + 3 * 86400
    monkeypatch.setattr(exchange.time, "time", lambda: later)
    data = exchange.export_bundle(admin).data
    monkeypatch.undo()
    refused(field, data, match="24 hours ahead")


def test_a_forked_chain_is_refused_and_raises_an_alarm(admin, field, tmp_path):
    coordinator = device(admin, tmp_path / "coord", "coordinator", "coordinator")
    field.add("household", household("HH-0100"))
    field.close()
    backup = tmp_path / "field-backup"
    shutil.copytree(tmp_path / "field", backup)
    again = Workspace.open(tmp_path / "field", "pw")
    again.add("household", household("HH-0101"))
    send(again, admin)
    again.close()
    # A copy restored from backup writes the same places in its chain again: a fork. The
    # coordinator, who never saw the other branch, takes it in and passes it on.
    copy = Workspace.open(backup, "pw")
    copy.add("household", household("HH-0102"))
    send(copy, coordinator, for_member=False)
    copy.close()
    data = exchange.export_bundle(coordinator, admin.device.hex()[:8]).data
    with pytest.raises(VerificationError, match="forked"):
        exchange.import_bundle(admin, data)
    assert exchange.alarms(admin.conn)[-1][1] == "fork"
    assert "HH-0102" not in {h["code"] for h in admin.list("household")}
    coordinator.close()


def test_a_revoked_device_is_cut_off(admin, field, documenter):
    admin.add("household", household())
    send(admin, field)
    send(admin, documenter)
    revoke(admin, "field phone")
    secret = admin.add("household", household("HH-AFTER"))
    # The revoked device cannot open what is written after: it gets none of the new keys,
    # so a bundle either is refused or brings events it can only hold sealed.
    with contextlib.suppress(LedgerError):
        exchange.import_bundle(field, exchange.export_bundle(admin).data)
    assert not field.exists("household", secret)
    assert [m.status for m in members.all_members(field.conn) if m.device == field.device] == [
        "revoked"
    ]
    assert 2 not in field.keyring.epochs["programme"]
    # Remaining members get the new epoch's keys from the revocation itself.
    send(admin, documenter)
    assert 2 in documenter.keyring.epochs["programme"]
    assert documenter.exists("household", secret)
    # What the revoked device writes later is refused from it, and dropped from others.
    field.add("household", household("HH-LATE"))
    refused(
        admin,
        exchange.export_bundle(field, admin.device.hex()[:8]).data,
        match="after its device was revoked|after a key change",
    )


def test_only_an_admin_changes_membership(admin, field):
    with pytest.raises(members.MembershipError, match="only an admin"):
        revoke(field, "office laptop")


def test_a_forget_reaches_every_replica(admin, field, tmp_path):
    hid = admin.add("household", household())
    pid = admin.add("person", {"household_id": hid, "sex": "female", "name": "Daw Khin"})
    coordinator = device(admin, tmp_path / "coord", "coordinator", "coordinator")
    send(admin, field)
    field.forget(pid)
    send(field, coordinator)
    send(coordinator, admin)
    for ws in (admin, field, coordinator):
        assert ws.list("person")[0]["forgotten"] is True
        assert ws.conn.execute("SELECT 1 FROM record_keys WHERE rid = ?", (pid,)).fetchone() is None
    coordinator.close()


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.binary(max_size=6000))
def test_arbitrary_bytes_are_refused_cleanly(field, data):
    """Fuzzing the bundle parser: whatever the bytes, one of our own errors, never a crash."""
    from fieldledger.errors import FieldledgerError

    with pytest.raises(FieldledgerError):
        exchange.import_bundle(field, data)


def test_keys_sealed_by_a_device_that_is_not_admin_are_refused(
    admin, field, documenter, monkeypatch
):
    send(admin, field)
    # The field device forges a revocation, with new keys, past its own local check.
    monkeypatch.setattr(members.Membership, "_admin", lambda self, ev: None)
    monkeypatch.setattr("fieldledger.sync.invite._require_admin", lambda ws: None)
    monkeypatch.setattr("fieldledger.sync.revoke._require_admin", lambda ws: None)
    revoke(field, "documenter laptop")
    monkeypatch.undo()
    before = dict(admin.keyring.epochs["programme"])
    refused(
        admin,
        exchange.export_bundle(field, admin.device.hex()[:8]).data,
        match="not signed by an admin",
    )
    assert admin.keyring.epochs["programme"] == before
    assert members.member(admin.conn, documenter.device).active


def test_personal_data_of_incidents_travels_with_its_key(admin, documenter):
    iid = admin.add("incident", {**VALID["incident"], "narrative": CANARY})
    send(admin, documenter)
    assert documenter.get("incident", iid)["narrative"] == CANARY


def test_people_keys_travel_one_seed_per_batch_and_a_forget_shreds_it(admin, field, tmp_path):
    from fieldledger.vault import recordkeys

    hid = admin.add("household", household())
    pids = [
        admin.add("person", {"household_id": hid, "sex": "female", "name": f"Daw {i}"})
        for i in range(5)
    ]
    stale = exchange.export_bundle(admin).data  # made before the forget: it holds the seed
    payload, _, parsed = exchange.read_bundle(field, stale)
    people = next(s for s in payload.sections if s.compartment == "people")
    body = msgspec.msgpack.decode(
        bundle.open_section(field.keyring.epochs["people"][people.epoch], parsed.header, people),
        type=bundle.SectionBody,
    )
    assert body.record_keys == {} and len(body.key_batches) == 1  # one seed, not five keys
    admin.forget(pids[0])
    assert recordkeys.get(admin.conn, admin.keyring, pids[0]) is None
    assert admin.get("person", pids[1])["name"] == "Daw 1"
    fresh = exchange.export_bundle(admin, field.device.hex()[:8]).data
    exchange.import_bundle(field, fresh)
    shown = {p["id"]: p for p in field.list("person", reveal=True)}
    assert shown[pids[0]]["forgotten"] is True
    assert {p["name"] for p in shown.values()} == {None, "Daw 1", "Daw 2", "Daw 3", "Daw 4"}
    # The stale bundle, delivered late (to a third device that had the forget already, or
    # here through the importer directly), never brings the shredded seed back.
    batch, seed = next(iter(body.key_batches.items()))
    recordkeys.put_batch(field.conn, field.keyring, batch, seed, pids)
    assert recordkeys.get(field.conn, field.keyring, pids[0]) is None
    assert field.conn.execute("SELECT count(*) FROM key_batches").fetchone()[0] == 0


def test_a_complaint_of_sexual_exploitation_opens_only_for_designated_roles(admin, field, tmp_path):
    coordinator = device(admin, tmp_path / "coord", "coordinator", "coordinator")
    send(admin, field)  # the field device learns the coordinator is a member
    complaint = {
        "channel": "in_person",
        "date": "2026-05-02",
        "category": "sea",
        "sensitive": True,
        "text": CANARY,
    }
    plain = {
        "channel": "hotline",
        "date": "2026-05-02",
        "category": "thanks",
        "text": "thank you for the rice",
    }
    fid = field.add("feedback", complaint)
    ok = field.add("feedback", plain)
    assert field.get("feedback", fid)["text"] == CANARY  # the device it was told to
    data = exchange.export_bundle(field).data
    exchange.import_bundle(coordinator, data)
    assert coordinator.get("feedback", fid)["text"] == CANARY
    other_field = device(admin, tmp_path / "field2", "field", "second phone")
    send(field, admin, for_member=False)
    send(admin, other_field, for_member=False)
    assert admin.get("feedback", fid)["text"] == CANARY
    assert other_field.exists("feedback", fid)
    assert other_field.get("feedback", fid)["text"] == "•••"  # the record, never its key
    assert other_field.get("feedback", ok)["text"] == "thank you for the rice"
    coordinator.close()
    other_field.close()
