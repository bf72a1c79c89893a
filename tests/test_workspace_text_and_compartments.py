"""Zawgyi at the door, the review queue, fields kept in another compartment, and the
retention schedule: the workspace-level behaviour of records/text.py, views/companions.py
and the household consent fields."""

from __future__ import annotations

import datetime as dt

import pytest

from fieldledger.errors import RecordError
from fieldledger.ledger import store as log
from fieldledger.ledger.event import decode
from fieldledger.vault import vault
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE, household

ZAWGYI_NAME = "ေဒၚခင္ျမ"
UNICODE_NAME = "ဒေါ်ခင်မြ"


def bodies(ws, rtype):
    rows = ws.conn.execute("SELECT raw FROM events WHERE rtype = ?", (rtype,)).fetchall()
    return [(decode(raw), ws._fold.body(decode(raw))) for (raw,) in rows]


def test_zawgyi_is_stored_as_unicode_and_what_was_typed_stays_sealed(ws):
    hid = ws.add("household", household())
    pid = ws.add("person", {"household_id": hid, "sex": "female", "name": ZAWGYI_NAME})
    assert ws.get("person", pid)["name"] == UNICODE_NAME
    (_, body), = bodies(ws, "person")
    typed, score, status = body["_text"]["name"]
    assert status == "converted" and score > 0.95
    assert isinstance(typed, bytes) and ZAWGYI_NAME.encode() not in typed  # sealed per person
    assert ws.review_queue() == []


def test_doubtful_text_waits_for_review_and_leaves_when_accepted_or_fixed(ws):
    hid = ws.add("household", household())
    pid = ws.add("person", {"household_id": hid, "sex": "female", "name": "စုစု"})
    pr = ws.add("project", {"name": "ကညီ", "sector": "agriculture",
                            "location_pcode": "MMR003001", "start_date": "2026-01-01"})
    queued = {(q["type"], q["id"], q["field"]) for q in ws.review_queue()}
    assert queued == {("person", pid, "name"), ("project", pr, "name")}
    ws.accept_text("project", pr, "name")
    ws.update("person", pid, {"name": "Su Su"})
    assert ws.review_queue() == []
    assert ws.get("project", pr)["name"] == "ကညီ"  # kept exactly as typed


def test_forgetting_a_person_clears_their_review_entries(ws):
    hid = ws.add("household", household())
    pid = ws.add("person", {"household_id": hid, "sex": "male", "name": "စုစု"})
    ws.forget(pid)
    assert ws.review_queue() == []
    ws.rebuild()
    assert ws.review_queue() == []


def cash(hid, **extra):
    return {"household_id": hid, "modality": "cash", "value": 150000, "currency": "MMK",
            "transfer_channel": "hundi", "date": "2026-03-02", "location_pcode": "MMR003001",
            **extra}


def test_a_transfer_channel_is_written_only_in_the_finance_compartment(ws):
    hid = ws.add("household", household())
    did = ws.add("distribution", cash(hid))
    main = bodies(ws, "distribution")
    apart = bodies(ws, "distribution.finance")
    assert [ev.compartment for ev, _ in main] == ["programme"]
    assert "transfer_channel" not in main[0][1]
    assert [(ev.compartment, body) for ev, body in apart] == [
        ("finance", {"transfer_channel": "hundi"})]
    assert ws.get("distribution", did)["transfer_channel"] == "hundi"
    assert ws.list("distribution")[0]["transfer_channel"] == "hundi"
    ws.update("distribution", did, {"transfer_channel": "mobile_money"})
    assert ws.get("distribution", did)["transfer_channel"] == "mobile_money"
    ws.update("distribution", did, {"value": 120000})  # no finance change: no finance event
    assert len(bodies(ws, "distribution.finance")) == 2
    before = ws.list("distribution")
    ws.rebuild()
    assert ws.list("distribution") == before


def test_a_device_without_finance_keys_never_holds_the_channel(ws, tmp_path):
    hid = ws.add("household", household())
    ws.add("distribution", cash(hid))
    field = ws.add_device(tmp_path / "field", "pw", params=TEST_PARAMS, check_strength=False)
    del field.keyring.epochs["finance"]  # a field device's role holds no finance keys
    vault.save_keyring(field.unlocked)
    rows = [r for r in log.raw_and_sig(ws.conn)]
    field.ingest(rows)  # carries the finance event too; without the key it stays sealed
    assert field.list("distribution")[0]["transfer_channel"] is None
    with pytest.raises(RecordError, match="does not keep finance details"):
        field.add("distribution", cash(hid, date="2026-04-01"))
    field.add("distribution", cash(hid, date="2026-04-01", transfer_channel=None))
    field.close()


def test_people_are_forgotten_when_their_households_retention_ends(ws, ws_path):
    long_ago = (dt.date.today() - dt.timedelta(days=800)).isoformat()
    old = ws.add("household", household("HH-OLD", consent_given=True, consent_date=long_ago,
                                         consent_purpose="food aid", retention_months=12))
    new = ws.add("household", household("HH-NEW", consent_given=True, consent_date=long_ago,
                                         consent_purpose="food aid", retention_months=60))
    gone = ws.add("person", {"household_id": old, "sex": "female", "name": "Daw Mya"})
    kept = ws.add("person", {"household_id": new, "sex": "female", "name": "Daw Hla"})
    ws.close()
    again = Workspace.open(ws_path, PASSPHRASE)  # the schedule runs at every unlock
    rows = {p["id"]: p["forgotten"] for p in again.list("person")}
    assert rows == {gone: True, kept: False}
    assert again.apply_retention() == []  # nothing twice
    again.close()
