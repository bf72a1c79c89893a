from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fieldledger.errors import LogFileError
from fieldledger.ledger.logfile import log_key, open_log, seal_log
from tests.conftest import household


@pytest.fixture
def exported(ws, tmp_path):
    for i in range(5):
        ws.add("household", household(f"HH-{i}"))
    out = tmp_path / "log.bin"
    ws.export_log(out)
    return ws, out


def test_exported_log_verifies_and_holds_every_event(exported):
    ws, out = exported
    report = ws.verify_log(out)
    assert report.ok and report.events == ws.summary().events - 1  # the export note follows


def test_every_flipped_byte_is_refused(exported):
    ws, out = exported
    blob = out.read_bytes()
    key = log_key(ws.keyring.workspace_secret)
    assert len(blob) >= 4096
    for position in range(len(blob)):
        altered = bytearray(blob)
        altered[position] ^= 0x80
        with pytest.raises(LogFileError):
            open_log(key, bytes(altered))


def test_truncated_and_extended_files_are_refused(exported):
    ws, out = exported
    blob = out.read_bytes()
    key = log_key(ws.keyring.workspace_secret)
    for cut in (0, 1, 25, 40, len(blob) // 2, len(blob) - 1):
        with pytest.raises(LogFileError):
            open_log(key, blob[:cut])
    with pytest.raises(LogFileError):
        open_log(key, blob + b"\0")


def test_a_log_from_another_workspace_is_refused(exported, tmp_path):
    _ws, out = exported
    from fieldledger.vault.kdf import TEST_PARAMS
    from fieldledger.workspace import Workspace

    other = Workspace.init(tmp_path / "other", "x", params=TEST_PARAMS, check_strength=False)
    with pytest.raises(LogFileError):
        other.verify_log(out)
    other.close()


def test_a_sealed_log_with_a_tampered_event_names_it(ws, tmp_path):
    for i in range(4):
        ws.add("household", household(f"HH-{i}"))
    rows = ws.conn.execute("SELECT raw, sig FROM events ORDER BY author, compartment, seq")
    events = [list(r) for r in rows]
    target = next(e for e in events if b"programme" in e[0] and e is not events[0])
    target[0] = target[0][:-2] + bytes([target[0][-2] ^ 1]) + target[0][-1:]
    out = tmp_path / "bad.bin"
    key = log_key(ws.keyring.workspace_secret)
    out.write_bytes(seal_log(key, ws.keyring.workspace_id, [tuple(e) for e in events]))
    report = ws.verify_log(out)
    assert not report.ok and "/programme/" in report.problems[0][0]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=5000))
def test_arbitrary_bytes_fail_only_with_our_error(data):
    with contextlib.suppress(LogFileError):
        open_log(b"k" * 32, data)
