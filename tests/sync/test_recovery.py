"""Recovery kit: shares that restore a workspace on a new device from any later bundle."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest

from fieldledger.errors import WeakPassphrase, WorkspaceError
from fieldledger.sync import bundle, exchange, members, recovery
from fieldledger.sync.recovery import RecoveryError
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE, household
from tests.sync.conftest import device, events

NEW = "another quiet river for the new laptop"


def full(ws):
    """What an admin keeps for a restore: a bundle of everything (sync export --full)."""
    return exchange.export_bundle(ws, full=True).data


def restore(path: Path, shares, data: bytes, **options) -> Workspace:
    return recovery.restore(
        path, NEW, shares, data, params=TEST_PARAMS, check_strength=False, **options
    )


def populate(ws: Workspace) -> dict[str, str]:
    hid = ws.add("household", household())
    pid = ws.add("person", {"household_id": hid, "sex": "female", "name": "Daw Khin Mar"})
    ws.update("household", hid, {"size": 6})
    return {"household": hid, "person": pid}


@pytest.fixture
def kit(ws: Workspace) -> recovery.Kit:
    return recovery.create_kit(ws, shares=3, threshold=2)


def test_restore_from_two_of_three_shares_holds_every_event_and_record(ws, kit, tmp_path):
    ids = populate(ws)
    held = events(ws)  # making the bundle adds a note to the access log after it
    data = full(ws)
    masters = {recovery.combine(pair) for pair in itertools.permutations(kit.shares, 2)}
    assert len(masters) == 1  # any two shares, in any order

    restored = restore(tmp_path / "new", kit.shares[1:], data)
    assert restored.verify().ok
    assert held <= events(restored)
    assert restored.get("person", ids["person"])["name"] == "Daw Khin Mar"
    assert restored.get("household", ids["household"])["size"] == 6
    # A new device: its own identity and device keys, the workspace's keys and id.
    assert restored.device != ws.device
    assert restored.keyring.workspace_id == ws.keyring.workspace_id
    assert restored.keyring.db_key != ws.keyring.db_key
    assert restored.keyring.person_keks != ws.keyring.person_keks
    me = members.member(restored.conn, restored.device)
    assert me is not None and me.active and (me.role, me.label) == ("admin", "restored")
    restored.close()

    with Workspace.open(tmp_path / "new", NEW) as again:  # under its new passphrase
        assert again.verify().ok
        assert again.get("person", ids["person"])["name"] == "Daw Khin Mar"


def test_one_share_is_refused_and_nothing_is_made(ws, kit, tmp_path):
    data = full(ws)
    with pytest.raises(RecoveryError, match="needs 2 different shares and 1 was given"):
        restore(tmp_path / "new", kit.shares[:1], data)
    with pytest.raises(RecoveryError, match="needs 2 different shares and 1 was given"):
        restore(tmp_path / "new", [kit.shares[0], kit.shares[0]], data)
    assert not (tmp_path / "new").exists()


def test_wrong_and_mixed_words_are_refused_clearly(ws, kit):
    words = kit.words(1)
    typo = " ".join([*words[:4], "zzqx", *words[5:]])
    with pytest.raises(RecoveryError, match="share 1, word 5: 'zzqx' is not in the recovery"):
        recovery.combine([typo, kit.shares[1]])

    other = next(w for w in kit.words(2)[4:] if w != words[9])
    changed = " ".join([*words[:9], other, *words[10:]])
    with pytest.raises(RecoveryError, match="share 2: its words do not check out"):
        recovery.combine([kit.shares[1], changed])

    with pytest.raises(RecoveryError, match="share 1 has 19 words"):
        recovery.combine([" ".join(words[:-1]), kit.shares[1]])

    newer = recovery.create_kit(ws)
    with pytest.raises(RecoveryError, match="share 2 belongs to another kit than share 1"):
        recovery.combine([kit.shares[0], newer.shares[1]])

    with pytest.raises(RecoveryError, match="no shares given"):
        recovery.combine([])


def test_shares_as_written_down_are_read(kit):
    """Numbers, capitals, line breaks and a comment line, as someone copies a share."""
    numbered = "# share 1\n" + "\n".join(
        f"{n}. {w.upper()}" for n, w in enumerate(kit.words(1), start=1)
    )
    assert recovery.shares_needed(numbered) == 2
    assert recovery.combine([numbered, kit.shares[2]]) == recovery.combine(kit.shares[:2])


def test_the_restored_device_syncs_back_to_the_original(ws, kit, tmp_path):
    populate(ws)
    restored = restore(tmp_path / "new", kit.shares[:2], full(ws))
    hid = restored.add("household", household("HH-0002"))
    taken = exchange.import_bundle(ws, exchange.export_bundle(restored).data)
    assert taken.sender.startswith("restored")
    assert ws.get("household", hid)["code"] == "HH-0002"
    assert ws.verify().ok
    added = members.member(ws.conn, restored.device)
    assert added is not None and added.active and added.role == "admin"
    # And back again: the original's later work reaches the restored device.
    later = ws.add("household", household("HH-0003"))
    exchange.import_bundle(restored, full(ws))
    assert restored.get("household", later)["code"] == "HH-0003"
    restored.close()


def test_restoring_twice_from_one_kit_is_refused(ws, kit, tmp_path):
    first = restore(tmp_path / "first", kit.shares[:2], full(ws))
    from_restored = exchange.export_bundle(first).data
    exchange.import_bundle(ws, from_restored)
    from_original = full(ws)
    for data in (from_restored, from_original):
        with pytest.raises(RecoveryError, match="already used to restore a device"):
            restore(tmp_path / "second", kit.shares[1:], data)
    assert not (tmp_path / "second").exists()
    # The admin's way out: a new kit, and a bundle made after it.
    newer = recovery.create_kit(ws)
    second = restore(tmp_path / "second", newer.shares[:2], full(ws))
    assert second.verify().ok
    exchange.import_bundle(ws, exchange.export_bundle(second).data)
    assert members.member(ws.conn, second.device).active
    second.close()
    first.close()


def test_a_newer_kit_shuts_out_the_older_one(ws, kit, tmp_path):
    newer = recovery.create_kit(ws)
    data = full(ws)
    message = "this bundle was made before this kit, or for another workspace"
    with pytest.raises(RecoveryError, match=message):
        restore(tmp_path / "new", kit.shares[:2], data)
    assert not (tmp_path / "new").exists()
    restored = restore(tmp_path / "new", newer.shares[:2], data)
    assert restored.verify().ok
    restored.close()
    # A bundle made before any kit existed has only random bytes in its stanza.
    with Workspace.init(
        tmp_path / "plain", PASSPHRASE, params=TEST_PARAMS, check_strength=False
    ) as plain:
        made_before_any_kit = exchange.export_bundle(plain).data
    with pytest.raises(RecoveryError, match=message):
        restore(tmp_path / "other", newer.shares[:2], made_before_any_kit)


def test_a_kit_made_after_a_revocation_reaches_the_new_epoch_and_the_old_does_not(
    ws, kit, tmp_path
):
    revoke = pytest.importorskip("fieldledger.sync.revoke")
    field = device(ws, tmp_path / "field", "field", "field phone")
    revoke.revoke(ws, "field phone")
    newer = recovery.create_kit(ws)
    hid = ws.add("household", household("HH-0009"))
    data = full(ws)
    with pytest.raises(RecoveryError, match="made before this kit"):
        restore(tmp_path / "new", kit.shares[:2], data)
    restored = restore(tmp_path / "new", newer.shares[:2], data)
    assert restored.verify().ok
    assert restored.keyring.epochs == ws.keyring.epochs
    assert restored.get("household", hid)["code"] == "HH-0009"
    restored.close()
    field.close()


def test_a_revoked_kit_opens_no_later_bundle(ws, kit, tmp_path):
    """When a kit's shares may be in the wrong hands: revoke its identity, then make a new
    kit. Bundles in between carry no stanza anyone can open."""
    revoke = pytest.importorskip("fieldledger.sync.revoke")
    identity = ws.conn.execute("SELECT device FROM recovery_kits").fetchone()[0]
    revoke.revoke(ws, identity.hex()[:16])
    assert recovery.current_kit(ws) is None
    data = full(ws)
    with pytest.raises(RecoveryError, match="made before this kit"):
        restore(tmp_path / "new", kit.shares[:2], data)
    newer = recovery.create_kit(ws)
    restored = restore(tmp_path / "new", newer.shares[:2], full(ws))
    assert restored.keyring.epochs == ws.keyring.epochs
    restored.close()


def test_a_kit_passphrase_is_needed_with_the_shares(ws, tmp_path):
    kit = recovery.create_kit(ws, passphrase="tea shop at the corner")
    data = full(ws)
    with pytest.raises(RecoveryError, match="or the kit's passphrase is wrong"):
        restore(tmp_path / "new", kit.shares[:2], data)
    restored = restore(tmp_path / "new", kit.shares[:2], data, passphrase="tea shop at the corner")
    assert restored.verify().ok
    restored.close()
    with pytest.raises(RecoveryError, match="SLIP-39"):
        recovery.create_kit(ws, passphrase="လက်ဖက်ရည်")


def test_a_bundle_holds_no_share_words_master_secret_or_kit_keys(ws, kit):
    populate(ws)
    data = full(ws)
    master = recovery.combine(kit.shares[:2])
    keys = recovery._KitKeys.derive(master, ws.keyring.workspace_id)
    secrets = [master, keys.box_secret, keys.sign_seed, keys.box_public, keys.device]
    for secret in secrets:
        assert secret not in data
    for share in kit.shares:
        assert share.encode() not in data
        assert not [w for w in share.split() if w.encode() in data]
    stanza = bundle.parse(data).stanza
    assert len(stanza) == bundle.STANZA_BYTES
    assert bundle.open_stanza(keys.box_secret, stanza) is not None
    assert bundle.open_stanza(os.urandom(32), stanza) is None
    row = ws.conn.execute("SELECT device, box FROM recovery_kits").fetchone()
    assert row == (keys.device, keys.box_public)  # only public keys are in the log


def test_refusals_when_making_a_kit_and_restoring(ws, kit, tmp_path):
    field = device(ws, tmp_path / "field", "field", "field phone")
    with pytest.raises(RecoveryError, match="only an admin device"):
        recovery.create_kit(field)
    with pytest.raises(RecoveryError, match="threshold must be between 1 and the 3"):
        recovery.create_kit(ws, shares=3, threshold=4)
    with pytest.raises(RecoveryError, match="a threshold of 1"):
        recovery.create_kit(ws, shares=3, threshold=1)
    with pytest.raises(RecoveryError, match="1 to 16 shares"):
        recovery.create_kit(ws, shares=17, threshold=2)
    # A bundle made for one member holds only what it lacked.
    for_one = exchange.export_bundle(ws, "field phone").data
    with pytest.raises(RecoveryError, match="made for one device"):
        restore(tmp_path / "new", kit.shares[:2], for_one)
    # A folder in use, and a weak passphrase: nothing is left behind.
    data = full(ws)
    with pytest.raises(WorkspaceError, match="is not empty"):
        restore(tmp_path / "field", kit.shares[:2], data)
    with pytest.raises(WeakPassphrase):
        recovery.restore(tmp_path / "new", "pw", kit.shares[:2], data, params=TEST_PARAMS)
    assert not (tmp_path / "new").exists()
    field.close()


# -- the command line ---------------------------------------------------------------------


def test_cli_create_and_restore(cli, tmp_path):
    import json

    run = cli
    assert run("init", "--insecure-fast-kdf").code == 0
    hid = run("add", "household", "--json", "-", input=json.dumps(household())).out.strip()
    pid = run(
        "add",
        "person",
        "--json",
        "-",
        input=json.dumps({"household_id": hid, "sex": "male", "name": "Saw Eh Moo"}),
    )
    pid = pid.out.strip()
    result = run("recovery", "create", "--shares", "3", "--threshold", "2")
    assert result.code == 0, result.err
    assert result.out.count("share ") == 3 and " 20 " in result.out
    kit_dir = tmp_path / "kit"
    result = run("recovery", "create", "--out-dir", str(kit_dir))
    assert result.code == 0, result.err
    result = run("recovery", "create", "--out-dir", str(kit_dir))  # refused: no kit made
    assert result.code == 1 and "already holds share-1.txt" in result.err
    shares = sorted(kit_dir.glob("share-*.txt"))
    assert [p.name for p in shares] == ["share-1.txt", "share-2.txt", "share-3.txt"]
    assert all(p.stat().st_mode & 0o077 == 0 for p in shares)
    data = tmp_path / "bundle.bin"
    with Workspace.open(cli.workspace, PASSPHRASE) as ws:
        exchange.export_to_file(ws, data)

    new = ["--workspace", str(tmp_path / "new")]
    words = shares[0].read_text().splitlines()[-1]  # below its comment line
    typed = f"{words}\n{words}\n"  # typed at the prompts: the same share twice
    result = run(
        *new, "recovery", "restore", "--from", str(data), "--insecure-fast-kdf", input=typed
    )
    assert result.code == 4
    assert result.err.strip().splitlines()[-1] == (
        "error: this kit needs 2 different shares and 1 was given: ask another holder for theirs"
    )
    result = run(
        *new,
        "recovery",
        "restore",
        "--from",
        str(data),
        "--shares-file",
        str(shares[0]),
        "--shares-file",
        str(shares[2]),
        "--insecure-fast-kdf",
    )
    assert result.code == 0, result.err
    assert "restored workspace" in result.out and "make a new recovery kit" in result.err
    assert run(*new, "verify").code == 0
    shown = json.loads(run(*new, "show", "person", pid, "--format", "json").out)[0]
    assert shown["name"] == "Saw Eh Moo"


def test_restore_from_every_bundle_a_relay_holds(ws, kit, tmp_path):
    """Bundles for anyone carry only what the member furthest behind lacks; together, in
    any order, they hold the whole log."""
    other = ws.add_device(
        tmp_path / "other",
        "pw",
        role="coordinator",
        label="coordinator",
        params=TEST_PARAMS,
        check_strength=False,
    )
    first = exchange.export_bundle(ws).data
    exchange.import_bundle(other, first)
    exchange.import_bundle(ws, exchange.export_bundle(other).data)
    hid = ws.add("household", household("HH-0777"))
    second = exchange.export_bundle(ws).data  # only what the coordinator lacks
    with pytest.raises(RecoveryError, match="restore from a full bundle"):
        restore(tmp_path / "partial", kit.shares[:2], [second])
    restored = restore(tmp_path / "new", kit.shares[:2], [second, first])
    assert restored.exists("household", hid) and restored.verify().ok
    restored.close()
    other.close()
