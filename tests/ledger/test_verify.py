from __future__ import annotations

import pytest

from fieldledger.errors import VerificationError
from tests.conftest import household


def fill(ws, n=6):
    return [ws.add("household", household(f"HH-{i:04d}")) for i in range(n)]


def programme_rows(ws):
    return ws.conn.execute(
        "SELECT rowid, seq FROM events WHERE compartment = 'programme' ORDER BY seq").fetchall()


def test_a_clean_store_verifies(ws):
    fill(ws)
    report = ws.verify()
    assert report.ok and report.events == report.signatures == 7 and report.chains == 2


def rewrite_raw(ws, seq, offset_from_end=3):
    """Test helper: alter one stored event's bytes, as an attacker with the key would."""
    rowid, raw = ws.conn.execute(
        "SELECT rowid, raw FROM events WHERE compartment = 'programme' AND seq = ?", (seq,)
    ).fetchone()
    altered = bytearray(raw)
    altered[-offset_from_end] ^= 0x01
    ws.conn.execute("UPDATE events SET raw = ? WHERE rowid = ?", (bytes(altered), rowid))


def test_an_altered_event_is_named(ws):
    fill(ws)
    rewrite_raw(ws, 3)
    report = ws.verify()
    assert not report.ok
    label, _reason = report.problems[0]
    assert label.endswith("/programme/3")
    with pytest.raises(VerificationError, match="programme/3"):
        report.raise_if_bad()


def test_an_altered_index_column_is_named(ws):
    fill(ws)
    ws.conn.execute("UPDATE events SET rid = 'HH-OTHER' WHERE compartment = 'programme'"
                    " AND seq = 4")
    assert ws.verify().problems[0][0].endswith("/programme/4")


def test_a_removed_event_is_found(ws):
    fill(ws)
    ws.conn.execute("DELETE FROM events WHERE compartment = 'programme' AND seq = 2")
    label, reason = ws.verify().problems[0]
    assert label.endswith("/programme/3") and "skips" in reason


def test_a_forged_signature_is_named(ws):
    fill(ws)
    ws.conn.execute("UPDATE events SET sig = zeroblob(64) WHERE compartment = 'programme'"
                    " AND seq = 6")
    label, reason = ws.verify().problems[0]
    assert label.endswith("/programme/6") and "signature" in reason


def test_an_unsigned_chain_end_is_refused(ws):
    fill(ws)
    ws.conn.execute("UPDATE events SET sig = NULL WHERE compartment = 'programme' AND seq = 6")
    assert "unsigned" in ws.verify().problems[0][1]
