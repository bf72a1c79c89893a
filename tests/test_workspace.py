from __future__ import annotations

import contextlib
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fieldledger.crypto import SealBroken, unseal
from fieldledger.errors import (
    ForgottenRecord,
    UnknownRecord,
    ValidationError,
    VerificationError,
    WorkspaceError,
)
from fieldledger.ledger import store as log
from fieldledger.ledger.event import FORMAT, Event, encode, event_hash, sign_hash
from fieldledger.ledger.hlc import pack
from fieldledger.vault import layout, recordkeys
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.vault.store import open_store
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE, household


def person(hid, **extra):
    return {"household_id": hid, "sex": "female", "birth_year": 1980, "name": "Daw Hla Hla",
            "phone": "09420001111", **extra}


def test_init_refuses_a_used_folder(ws, ws_path, tmp_path):
    with pytest.raises(WorkspaceError):
        Workspace.init(ws_path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(WorkspaceError, match="not empty"):
        Workspace.init(tmp_path / "full", PASSPHRASE, params=TEST_PARAMS, check_strength=False)


def test_open_refuses_a_folder_that_is_not_a_workspace(tmp_path):
    with pytest.raises(WorkspaceError, match="not a workspace"):
        Workspace.open(tmp_path, PASSPHRASE)


def test_records_round_trip_and_pii_is_sealed_in_the_view(ws):
    hid = ws.add("household", household(displaced_on="2025-03-04", shelter_type="camp"))
    pid = ws.add("person", person(hid, disability={"walking": 3}))
    shown = ws.get("person", pid)
    assert shown["name"] == "Daw Hla Hla" and shown["disability"]["walking"] == 3
    raw_name = ws.conn.execute("SELECT name FROM persons WHERE id = ?", (pid,)).fetchone()[0]
    assert isinstance(raw_name, bytes) and b"Hla" not in raw_name
    assert ws.list("person")[0]["name"] == "•••"
    assert ws.list("person", reveal=True)[0]["name"] == "Daw Hla Hla"
    actions = [r[0] for r in ws.conn.execute("SELECT action FROM access_log")]
    assert "view" in actions and "list" in actions


def test_a_household_code_names_one_household(ws, tmp_path):
    apart = ws.add_device(tmp_path / "b", "pw", params=TEST_PARAMS, check_strength=False)
    apart.add("household", household("HH-0003"))  # on another device, before any sync
    first = ws.add("household", household("HH-0001"))
    with pytest.raises(ValidationError, match="field code: another household already has the "
                                              f"code hh-0001 [(]{first}[)]"):
        ws.add("household", household("hh-0001"))
    second = ws.add("household", household("HH-0002"))
    with pytest.raises(ValidationError, match="already has the code HH-0001"):
        ws.update("household", second, {"code": "HH-0001"})
    ws.update("household", first, {"code": "hh-0001", "size": 5})  # its own code
    # Two devices apart may give one code twice: sync keeps both, each still editable.
    third = ws.add("household", household("HH-0003"))
    ws.ingest(list(log.raw_and_sig(apart.conn)))
    apart.close()
    same = ws.conn.execute("SELECT id FROM households WHERE code = 'HH-0003'").fetchall()
    assert len(same) == 2
    ws.update("household", third, {"size": 6})
    assert ws.get("household", third)["size"] == 6


def _views(ws):
    return [r[0] for r in ws.conn.execute(
        "SELECT target FROM access_log WHERE action = 'view' ORDER BY hlc")]


def test_records_opened_in_one_transaction_are_named_in_one_note(ws):
    hid = ws.add("household", household())
    first, second = ws.add("person", person(hid)), ws.add("person", person(hid, name="U Ba"))
    ws.get("person", second)  # outside a transaction: a note of its own, at once
    assert _views(ws) == [second]
    with ws.transaction():
        for pid in (first, second, first):
            ws.get("person", pid)
        assert _views(ws) == [second]  # written when the transaction commits
    assert _views(ws) == [second, f"{first} {second}"]
    with contextlib.suppress(RuntimeError), ws.transaction():
        ws.get("person", first)
        raise RuntimeError  # undone: neither the page nor its note happened
    with ws.transaction():
        ws.get("person", second)
    assert _views(ws) == [second, f"{first} {second}", second]


def test_the_gazetteer_is_rebuilt_only_when_a_village_comes_in(ws):
    places = ws.places()
    ws.note("open")
    ws.add("household", household())
    assert ws.places() is places  # a note or a household leaves the places as they were
    code = ws.add("village", {"village_tract_pcode": "MMR003001001", "name_en": "Kyun Taw"})
    assert ws.places() is not places
    assert ws.places().get(ws.get("village", code)["code"]).name_en == "Kyun Taw"


@pytest.mark.parametrize(("data", "message"), [
    ({"code": "HH-1", "location_pcode": "MMR003001", "displacement_status": "idp"},
     "missing required field `size`"),
    (household(size="many"), "field size"),
    (household(size=0), "field size"),
    (household(location_pcode="Hpa-an"), "field location_pcode"),
    (household(colour="blue"), "unknown field `colour`"),
    (household(displacement_status="moving"), "field displacement_status"),
])
def test_bad_input_names_record_line_and_field(ws, data, message):
    with pytest.raises(ValidationError, match="stdin line 7") as err:
        ws.add("household", data, source="stdin line 7")
    assert message in str(err.value)


def test_a_failing_batch_applies_nothing(ws):
    before = ws.summary().events
    with pytest.raises(ValidationError), ws.transaction():
        ws.add("household", household("HH-1"))
        ws.add("household", household("HH-2", size=-1))
    assert ws.summary().events == before and ws.list("household") == []


def test_update_keeps_sealed_fields_and_refuses_unknown_ids(ws):
    hid = ws.add("household", household())
    pid = ws.add("person", person(hid))
    ws.update("person", pid, {"birth_year": 1981})
    shown = ws.get("person", pid)
    assert shown["birth_year"] == 1981 and shown["phone"] == "09420001111"
    ws.update("person", pid, {"name": "Daw Hla Hla Win"})
    assert ws.get("person", pid)["name"] == "Daw Hla Hla Win"
    with pytest.raises(UnknownRecord):
        ws.update("household", "HH-NOPE", {"size": 2})
    with pytest.raises(ValidationError, match="unknown record type"):
        ws.add("spaceship", {})


def test_forget_destroys_the_key_and_old_copies_stay_unreadable(ws, ws_path, tmp_path):
    hid = ws.add("household", household())
    pid = ws.add("person", person(hid))
    keep = ws.add("person", person(hid, name="U Kyaw Win"))
    ws.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    # A copy of the store from before, as freed disk blocks might keep it.
    shutil.copy(layout.store_path(ws_path), tmp_path / "remnant.bin")
    old_kek_ids = set(ws.keyring.person_keks)

    ws.forget(pid)

    with pytest.raises(ForgottenRecord):
        ws.get("person", pid)
    with pytest.raises(ForgottenRecord):
        ws.update("person", pid, {"birth_year": 1970})
    assert recordkeys.get(ws.conn, ws.keyring, pid) is None
    assert ws.get("person", keep)["name"] == "U Kyaw Win"  # others survive the rotation
    assert not old_kek_ids & set(ws.keyring.person_keks)
    # The remnant holds the seed of the batch the person's key came from: no KEK left
    # anywhere opens it.
    remnant = open_store(tmp_path / "remnant.bin", ws.keyring.db_key)
    (batch,) = remnant.execute("SELECT batch FROM batch_records WHERE rid = ?", (pid,)).fetchone()
    wrapped = remnant.execute(
        "SELECT wrapped FROM key_batches WHERE batch = ?", (batch,)
    ).fetchone()
    remnant.close()
    for kek in ws.keyring.person_keks.values():
        with pytest.raises(SealBroken):
            unseal(kek, wrapped[0], b"record-key batch\0" + batch.encode())
    assert ws.conn.execute("SELECT 1 FROM key_batches WHERE batch = ?", (batch,)).fetchone() is None
    # The key file holds no copy of the old KEK either: reopen and check.
    ws.close()
    again = Workspace.open(ws_path, PASSPHRASE)
    assert not old_kek_ids & set(again.keyring.person_keks)
    assert again.get("person", keep)["name"] == "U Kyaw Win"
    again.close()


def test_an_interrupted_rotation_is_finished_on_open(ws, ws_path):
    hid = ws.add("household", household())
    pid = ws.add("person", person(hid))
    # Simulate a crash after the new KEK was saved but before rows were rewrapped.
    ws.keyring.person_keks[99] = b"n" * 32
    ws.keyring.person_kek_id = 99
    ws._save_keyring(False)
    ws.close()
    again = Workspace.open(ws_path, PASSPHRASE)
    assert list(again.keyring.person_keks) == [99]
    assert again.get("person", pid)["name"] == "Daw Hla Hla"
    again.close()


def forged(ws, other_author_keys, seq, prev, hlc_ms, workspace=None):
    public, secret = other_author_keys
    ev = Event(FORMAT, workspace or ws.keyring.workspace_id, public, "programme", 1, seq, prev,
               pack(hlc_ms), "household", "HH-X", "note", (), b"")
    raw = encode(ev)
    return raw, sign_hash(secret, event_hash(raw))


@pytest.fixture
def outsider():
    from fieldledger.crypto import new_key, sign_key_pair

    return sign_key_pair(new_key())


@pytest.fixture
def stranger(ws, outsider):
    """Another device's keys, made a member by this admin (its box key is not used here)."""
    ws.register_device(outsider[0], b"\1" * 32, "field", "other phone")
    return outsider


def test_ingest_refuses_events_of_a_device_that_is_not_a_member(ws, outsider):
    import time

    event = forged(ws, outsider, 1, b"\0" * 32, int(time.time() * 1000))
    with pytest.raises(VerificationError, match="not a member of this workspace"):
        ws.ingest([event])


def test_ingest_refuses_gaps_forks_foreign_and_future_events(ws, stranger):
    import time

    now = int(time.time() * 1000)
    first = forged(ws, stranger, 1, b"\0" * 32, now)
    assert ws.ingest([first]) == 1 and ws.ingest([first]) == 0
    gap = forged(ws, stranger, 3, event_hash(first[0]), now)
    with pytest.raises(VerificationError, match="does not continue"):
        ws.ingest([gap])
    fork = forged(ws, stranger, 1, b"\0" * 32, now + 1)
    with pytest.raises(VerificationError, match="forked"):
        ws.ingest([fork])
    foreign = forged(ws, stranger, 2, event_hash(first[0]), now, workspace=b"f" * 16)
    with pytest.raises(VerificationError, match="another workspace"):
        ws.ingest([foreign])
    future = forged(ws, stranger, 2, event_hash(first[0]), now + 3 * 86400 * 1000)
    with pytest.raises(VerificationError, match="future"):
        ws.ingest([future])
    unsigned = (forged(ws, stranger, 2, event_hash(first[0]), now)[0], None)
    with pytest.raises(VerificationError, match="unsigned"):
        ws.ingest([unsigned])
    bad_sig = (unsigned[0], b"\0" * 64)
    with pytest.raises(VerificationError, match="signature"):
        ws.ingest([bad_sig])
    assert log.tip(ws.conn, stranger[0], "programme")[0] == 1  # nothing half-applied
    assert ws.verify().ok


def test_a_chain_segment_needs_only_its_last_signature(ws, stranger):
    import time

    now = int(time.time() * 1000)
    one = forged(ws, stranger, 1, b"\0" * 32, now)
    two = forged(ws, stranger, 2, event_hash(one[0]), now)
    assert ws.ingest([(one[0], None), two]) == 2
    assert ws.verify().ok


def test_a_person_must_name_an_existing_household(ws):
    with pytest.raises(ValidationError, match="field household_id: no household with id HH-0"):
        ws.add("person", person("HH-0"), source="stdin line 1")


def test_a_crash_between_forget_and_key_rotation_rotates_on_next_open(ws, ws_path, monkeypatch):
    hid = ws.add("household", household())
    pid = ws.add("person", person(hid))
    old = set(ws.keyring.person_keks)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # the process dies right after the forget committed

    monkeypatch.setattr(recordkeys, "rotate", crash)
    with pytest.raises(KeyboardInterrupt):
        ws.forget(pid)
    monkeypatch.undo()
    ws.close()
    again = Workspace.open(ws_path, PASSPHRASE)
    assert not old & set(again.keyring.person_keks)
    assert not recordkeys.rotation_due(again.conn)
    again.close()


def test_a_lost_store_is_restored_from_an_exported_log_under_a_new_identity(ws, ws_path,
                                                                            tmp_path):
    hid = ws.add("household", household())
    out = tmp_path / "backup.bin"
    ws.export_log(out)
    old_device = ws.device
    ws.close()
    for name in ("data.bin", "data.bin-wal", "data.bin-shm"):
        (ws_path / name).unlink(missing_ok=True)

    restored = Workspace.open(ws_path, PASSPHRASE)
    assert restored.device != old_device  # never continues a chain it cannot see
    assert restored.import_log(out) > 0
    assert restored.get("household", hid)["size"] == 4
    assert restored.verify().ok
    restored.close()


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.tuples(st.binary(max_size=300), st.none() | st.binary(max_size=80)),
                     max_size=4))
def test_ingesting_arbitrary_rows_fails_only_with_our_error(ws, rows):
    before = ws.summary().events
    with contextlib.suppress(VerificationError):
        ws.ingest(rows)
    assert ws.summary().events == before


@pytest.mark.parametrize("typed", ["MMR003001", "mmr 003 001", "Hpa-An Township", "ဘားအံမြို့နယ်"])
def test_place_fields_take_a_pcode_or_a_name_and_store_the_pcode(ws, typed):
    hid = ws.add("household", household(location_pcode=typed))
    assert ws.get("household", hid)["location_pcode"] == "MMR003001"


def test_an_unknown_place_is_refused_with_the_nearest(ws):
    with pytest.raises(ValidationError, match=r"stdin line 2: household field location_pcode: .*"
                                              r"nearest"):
        ws.add("household", household(location_pcode="Hpa-Ann Townshipp"), source="stdin line 2")


def test_villages_get_codes_under_their_tract_and_resolve_like_shipped_places(ws):
    first = ws.add("village", {"village_tract_pcode": "MMR003001001", "name_en": "Kaw Thoo Lei"})
    second = ws.add("village", {"village_tract_pcode": "Kawt Ta Yoke Ya", "name_en": "Htee Hta"})
    assert ws.get("village", first)["code"] == "MMR003001001001"
    assert ws.get("village", second)["code"] == "MMR003001001002"
    hid = ws.add("household", household(location_pcode="Htee Hta"))
    assert ws.get("household", hid)["location_pcode"] == "MMR003001001002"
    assert ws.places().at_level("MMR003001001002", "township").pcode == "MMR003001"
    with pytest.raises(ValidationError, match="already a place"):
        ws.add("village", {"village_tract_pcode": "MMR003001001", "code": "MMR003001001001",
                           "name_en": "Again"})


def _conflicted_person(ws):
    """A person changed on "two devices": version C names only the first change as seen
    (its other fields are B's: `update` starts from the version this device shows)."""
    hid = ws.add("household", household())
    pid = ws.add("person", person(hid))
    first = ws.update("person", pid, {"birth_year": 1981})
    b = ws.update("person", pid, {"name": "Daw Aye", "relationship": "head"})
    changed = {"name": "Daw Win", "phone": "09420002222", "birth_year": 1979}
    c = ws.update("person", pid, changed, heads=[first])
    return pid, b, c


def test_versions_are_the_competing_heads_newest_first(ws):
    pid, b, c = _conflicted_person(ws)
    assert [x.rid for x in ws.conflicts()] == [pid]
    sealed = ws.versions("person", pid)
    assert [v.head for v in sealed] == [c.hex(), b.hex()]
    assert sealed[0].hlc > sealed[1].hlc and sealed[0].time >= sealed[1].time
    assert all(v.body["name"] == "•••" for v in sealed)  # not opened unless asked
    assert not ws.conn.execute("SELECT 1 FROM access_log WHERE action = 'view'").fetchall()

    newest, older = ws.versions("person", pid, reveal=True)
    shown = ws.get("person", pid)
    assert {k: shown[k] for k in newest.body} == newest.body  # the first is what get shows
    assert newest.body["phone"] == "09420002222" and newest.body["birth_year"] == 1979
    assert newest.body["name"] == "Daw Win" and older.body["name"] == "Daw Aye"
    assert older.body["phone"] == "09420001111" and older.body["birth_year"] == 1981
    for v in (newest, older):
        assert "id" not in v.body and "conflict" not in v.body
        assert recordkeys.BODY_FIELD not in v.body and "_text" not in v.body
        assert v.device == ws.device[:4].hex() and v.label == "owner" and v.role == "admin"
        assert v.author == f"owner ({v.device})"
    views = ws.conn.execute("SELECT target FROM access_log WHERE action = 'view'").fetchall()
    assert (pid,) in views


def test_keeping_the_older_version_ends_the_conflict(ws):
    pid, b, _ = _conflicted_person(ws)
    older = ws.versions("person", pid, reveal=True)[1]
    assert older.head == b.hex()
    ws.update("person", pid, older.body)  # heads default to every current version
    assert ws.conflicts() == []
    (only,) = ws.versions("person", pid, reveal=True)
    assert only.body == older.body
    record = ws.get("person", pid)
    assert record["conflict"] is False
    assert {k: record[k] for k in older.body} == older.body


def test_versions_of_a_settled_unknown_or_forgotten_record(ws):
    hid = ws.add("household", household())
    (only,) = ws.versions("household", hid)
    assert only.body["code"] == "HH-0001"
    with pytest.raises(UnknownRecord):
        ws.versions("household", "HH-NOPE")
    pid = ws.add("person", person(hid))
    ws.forget(pid)
    with pytest.raises(ForgottenRecord):
        ws.versions("person", pid)
