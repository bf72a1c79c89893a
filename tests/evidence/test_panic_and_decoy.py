"""Evidence files under panic and duress: keys gone means blobs gone, and a decoy's folder
looks like a real one's."""

from __future__ import annotations

from fieldledger.evidence import BlobStore, add_evidence
from fieldledger.vault import vault
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.vault.panic import panic
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.evidence.helpers import INCIDENT, jpeg_with_gps

DURESS = "orchid tractor velvet harbour quiet"


def with_evidence(path, tmp_path):
    ws = Workspace.init(path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg_with_gps())
    add_evidence(ws, ws.add("incident", INCIDENT), photo)
    return ws


def test_every_workspace_has_the_blob_folder(ws):
    assert (ws.path / "blobs").is_dir()


def test_panic_removes_blobs(tmp_path):
    path = tmp_path / "ws"
    with_evidence(path, tmp_path).close()
    panic(path)
    assert not path.exists()


def test_duress_leaves_an_empty_blob_folder(tmp_path):
    path = tmp_path / "ws"
    ws = with_evidence(path, tmp_path)
    vault.add_slot(ws.unlocked, DURESS, label="d", duress=True)
    ws.close()
    decoy = Workspace.open(path, DURESS)
    try:
        assert BlobStore.for_workspace(decoy).names() == []
        assert (path / "blobs").is_dir()
    finally:
        decoy.close()
