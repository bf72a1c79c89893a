from __future__ import annotations

import os
import time

import pytest

from fieldledger.demo import fill
from fieldledger.errors import WorkspaceError, WrongPassphrase
from fieldledger.vault import layout, vault
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.vault.panic import panic
from fieldledger.vault.slots import AREAS_OFFSET, FILE_SIZE, SLOT_COUNT, SLOT_SIZE, SLOTS_OFFSET
from fieldledger.vault.store import bucket
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE

DURESS = "orchid tractor velvet harbour quiet"


def chunks(data: bytes, size: int = 16) -> set[bytes]:
    return {data[i:i + size] for i in range(0, len(data) - size + 1, size)}


def real_workspace(path, households=30, seed=1):
    ws = Workspace.init(path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    fill(ws, households=households, seed=seed)
    return ws


def listing(path):
    return sorted((p.name, bucket(p.stat().st_size)) for p in path.iterdir())


def test_duress_destroys_every_slot_and_opens_a_lived_in_decoy(tmp_path):
    path = tmp_path / "ws"
    ws = real_workspace(path)
    vault.add_slot(ws.unlocked, DURESS, label="d", duress=True)
    real_people = len(ws.list("person"))
    ws.close()
    keys = layout.keys_path(path)
    os.link(keys, tmp_path / "keys-link")
    before = keys.read_bytes()

    decoy = Workspace.open(path, DURESS)
    assert decoy.was_duress
    # Every slot and both keyring areas were overwritten in place (the hard link sees it).
    linked = (tmp_path / "keys-link").read_bytes()
    for i in range(SLOT_COUNT):
        region = slice(SLOTS_OFFSET + i * SLOT_SIZE, SLOTS_OFFSET + (i + 1) * SLOT_SIZE)
        assert linked[region] != before[region]
    assert not chunks(before[AREAS_OFFSET:]) & chunks(linked[AREAS_OFFSET:])
    # A plausible workspace: projects and households, nobody's name, a clean log.
    summary = decoy.summary()
    assert summary.records["project"] >= 2 and summary.records["household"] >= 9
    assert summary.records["person"] == 0 < real_people
    assert decoy.verify().ok
    decoy.close()

    with pytest.raises(WrongPassphrase):
        Workspace.open(path, PASSPHRASE)
    again = Workspace.open(path, DURESS)  # the decoy now behaves like any workspace
    assert not again.was_duress
    rid = again.add("household", {"code": "G-100", "location_pcode": "MMR010001",
                                  "displacement_status": "resident", "size": 3})
    assert again.get("household", rid)["size"] == 3
    again.close()


def test_decoy_and_real_workspace_look_alike_on_disk(tmp_path):
    real = real_workspace(tmp_path / "real", households=60, seed=2)
    real.close()
    victim = real_workspace(tmp_path / "victim", households=60, seed=3)
    vault.add_slot(victim.unlocked, DURESS, label="d", duress=True)
    victim.close()
    Workspace.open(tmp_path / "victim", DURESS).close()

    assert listing(tmp_path / "real") == listing(tmp_path / "victim")
    assert (tmp_path / "victim" / layout.KEYS).stat().st_size == FILE_SIZE
    assert (tmp_path / "real" / layout.KEYS).stat().st_size == FILE_SIZE


def test_panic_overwrites_key_bytes_in_place_then_unlinks(tmp_path):
    path = tmp_path / "ws"
    real_workspace(path, households=5).close()
    keys = layout.keys_path(path)
    os.link(keys, tmp_path / "keys-link")
    before = keys.read_bytes()
    start = time.perf_counter()
    panic(path)
    elapsed = time.perf_counter() - start
    after = (tmp_path / "keys-link").read_bytes()
    assert len(after) == len(before)
    assert not chunks(before) & chunks(after)
    assert not path.exists()
    with pytest.raises(WorkspaceError):
        Workspace.open(path, PASSPHRASE)
    assert elapsed >= 0  # timing is a benchmark's job (benchmarks/panic_time.py)


def test_panic_on_a_missing_workspace_says_so(tmp_path):
    with pytest.raises(WorkspaceError):
        panic(tmp_path / "nothing")


def test_panic_on_a_large_store_returns_before_the_store_is_unlinked(tmp_path, monkeypatch):
    import fieldledger.vault.panic as panic_module

    path = tmp_path / "ws"
    real_workspace(path, households=2).close()
    monkeypatch.setattr(panic_module, "LATER", 1)  # every store counts as large
    keys = layout.keys_path(path)
    os.link(keys, tmp_path / "keys-link")
    before = keys.read_bytes()
    panic(path)
    assert not keys.exists()
    assert not chunks(before) & chunks((tmp_path / "keys-link").read_bytes())
    deadline = time.monotonic() + 10
    while path.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not path.exists()  # the detached child finished the job
