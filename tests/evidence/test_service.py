"""Evidence in a workspace: add, export a clean copy, package, custody, damage, canaries."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import pytest
from PIL import Image

from fieldledger import crypto
from fieldledger.errors import RecordError, UnknownRecord, ValidationError
from fieldledger.evidence import (
    BlobDamaged,
    BlobStore,
    add_evidence,
    custody_log,
    export_copy,
    for_incident,
    hand_over,
    make_package,
    open_original,
)
from fieldledger.evidence import package as pkg
from fieldledger.workspace import Workspace
from tests.conftest import PASSPHRASE
from tests.evidence.helpers import CANARY, INCIDENT, document, jpeg_with_gps
from tests.test_canary import forms, scan


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "in" / "IMG_0042.JPG"
    path.parent.mkdir()
    path.write_bytes(jpeg_with_gps())
    return path


def actions(ws, eid):
    return [e["action"] for e in custody_log(ws, [eid])]


def test_add_records_signed_hash_and_custody(ws, incident, photo):
    eid = add_evidence(ws, incident, photo, witness_pseudonym="W-7", description="roof")
    rec = ws.get("evidence", eid)
    original = photo.read_bytes()
    assert rec["sha256"] == hashlib.sha256(original).hexdigest()
    assert rec["size"] == len(original)
    assert rec["media_type"] == "image/jpeg" and rec["kind"] == "photo"
    assert rec["captured_on"] == "2026-03-02"
    assert rec["witness_pseudonym"] == "W-7"
    assert actions(ws, eid) == ["added"]
    ws.verify().raise_if_bad()  # the evidence event, and so its SHA-256, is signed
    assert [r["id"] for r in for_incident(ws, incident)] == [eid]


def test_original_round_trips_byte_exact(ws, incident, photo):
    eid = add_evidence(ws, incident, photo)
    data = open_original(ws, eid)
    assert data == photo.read_bytes()
    assert hashlib.sha256(data).hexdigest() == ws.get("evidence", eid)["sha256"]
    assert actions(ws, eid) == ["added", "viewed"]


def test_blob_on_disk_is_opaque(ws, incident, photo):
    eid = add_evidence(ws, incident, photo)
    rec = ws.get("evidence", eid)
    path = BlobStore.for_workspace(ws).path(rec["blob"])
    assert path.parent == ws.path / "blobs"
    raw = path.read_bytes()
    original = photo.read_bytes()
    assert original not in raw and original[:64] not in raw
    assert b"\xff\xd8\xff" not in raw and b"Exif" not in raw
    sha, blake = hashlib.sha256(original).hexdigest(), hashlib.blake2b(original).hexdigest()
    assert path.name not in (sha, sha[:32], blake, blake[:32], rec["blob"])
    assert len(raw) & (len(raw) - 1) == 0  # a size bucket


def test_export_strips_gps_keeps_size(ws, incident, photo, tmp_path):
    eid = add_evidence(ws, incident, photo)
    out = tmp_path / "share" / "photo.jpg"
    out.parent.mkdir()
    done = export_copy(ws, eid, out)
    data = out.read_bytes()
    assert done.sha256 == hashlib.sha256(data).hexdigest()
    im = Image.open(io.BytesIO(data))
    assert im.size == Image.open(photo).size
    assert len(im.getexif()) == 0 and "exif" not in im.info
    assert b"Exif" not in data and CANARY.encode() not in data
    assert actions(ws, eid) == ["added", "exported"]
    assert done.sha256 in custody_log(ws, [eid])[-1]["note"]


def test_export_refuses_documents_and_paths_inside_workspace(ws, incident, tmp_path):
    doc = tmp_path / "statement.txt"
    doc.write_bytes(document())
    eid = add_evidence(ws, incident, doc)
    assert ws.get("evidence", eid)["kind"] == "document"
    with pytest.raises(RecordError, match="metadata removal is not supported for text/plain"):
        export_copy(ws, eid, tmp_path / "out.txt")
    with pytest.raises(ValidationError, match="outside the workspace"):
        export_copy(ws, eid, ws.path / "copy.jpg")
    assert not (tmp_path / "out.txt").exists()
    assert actions(ws, eid) == ["added"]  # nothing exported, nothing recorded


def test_tampered_blob_gives_clear_error(ws, incident, photo, tmp_path):
    eid = add_evidence(ws, incident, photo)
    path = BlobStore.for_workspace(ws).path(ws.get("evidence", eid)["blob"])
    raw = bytearray(path.read_bytes())
    raw[len(raw) // 3] ^= 0x40
    path.write_bytes(bytes(raw))
    with pytest.raises(BlobDamaged, match=f"evidence {eid}: .*damaged or was altered"):
        open_original(ws, eid)
    with pytest.raises(BlobDamaged):
        export_copy(ws, eid, tmp_path / "x.jpg")
    with pytest.raises(BlobDamaged):
        make_package(ws, incident, tmp_path / "p.zip")
    assert not (tmp_path / "x.jpg").exists() and not (tmp_path / "p.zip").exists()
    assert actions(ws, eid) == ["added"]
    path.unlink()
    with pytest.raises(RecordError, match="not on this device"):
        open_original(ws, eid)


def test_add_failures_leave_nothing(ws, incident, photo):
    store = BlobStore.for_workspace(ws)
    with pytest.raises(UnknownRecord):
        add_evidence(ws, "IN-NOSUCH", photo)
    with pytest.raises(ValidationError, match="--kind"):
        add_evidence(ws, incident, photo, kind="painting")
    with pytest.raises(ValidationError):  # the record refuses it: the blob goes too
        add_evidence(ws, incident, photo, witness_pseudonym="x" * 61)
    with pytest.raises(RecordError, match="cannot read"):
        add_evidence(ws, incident, photo.with_name("missing.jpg"))
    assert store.names() == []
    assert ws.list("evidence") == [] and ws.list("custody") == []


def test_package_verifies(ws, incident, photo, tmp_path):
    doc = tmp_path / "statement.txt"
    doc.write_bytes(document())
    e1 = add_evidence(ws, incident, photo, witness_pseudonym="W-7")
    e2 = add_evidence(ws, incident, doc, kind="document")
    export_copy(ws, e1, tmp_path / "copy.jpg")
    hand_over(ws, e1, "IIMM", note="copy on encrypted USB")
    out = tmp_path / "pkg" / "package.zip"
    out.parent.mkdir()
    done = make_package(ws, incident, out)
    data = out.read_bytes()
    assert pkg.verify(data, expected_key=ws.device) == []

    zf = zipfile.ZipFile(io.BytesIO(data))
    names = zf.namelist()
    assert sorted(names) == sorted(
        [
            f"originals/{e1}.jpg",
            f"originals/{e2}.txt",
            "manifest.json",
            "manifest.sig",
            "README.txt",
        ]
    )
    for info in zf.infolist():
        assert info.date_time == (1980, 1, 1, 0, 0, 0)
        assert info.compress_type == zipfile.ZIP_STORED and info.extra == b""
    assert zf.read(f"originals/{e1}.jpg") == photo.read_bytes()  # originals, metadata kept
    manifest = zf.read("manifest.json")
    assert hashlib.sha256(manifest).hexdigest() == done.manifest_sha256
    content = json.loads(manifest)
    assert content["incident_id"] == incident
    by_id = {e["id"]: e for e in content["evidence"]}
    for eid in (e1, e2):
        rec = ws.get("evidence", eid)
        entry = by_id[eid]
        assert entry["sha256"] == hashlib.sha256(zf.read(entry["file"])).hexdigest()
        assert (entry["sha256"], entry["size"], entry["media_type"]) == (
            rec["sha256"],
            rec["size"],
            rec["media_type"],
        )
    assert by_id[e1]["captured_on"] == "2026-03-02"
    assert "witness_pseudonym" not in by_id[e1]
    assert [(c["evidence_id"], c["action"]) for c in content["custody"]] == [
        (e1, "added"),
        (e2, "added"),
        (e1, "exported"),
        (e1, "handed_over"),
    ]
    sig = json.loads(zf.read("manifest.sig"))
    assert sig["public_key"] == ws.device.hex()
    assert crypto.verify(ws.device, manifest, bytes.fromhex(sig["signature"]))
    assert "sha256sum" in zf.read("README.txt").decode()

    for eid in (e1, e2):
        assert actions(ws, eid)[-1] == "packaged"
        assert done.manifest_sha256 in custody_log(ws, [eid])[-1]["note"]


def test_package_is_deterministic_and_tamper_evident(ws, incident, photo, tmp_path):
    add_evidence(ws, incident, photo)
    make_package(ws, incident, tmp_path / "a.zip")
    data = (tmp_path / "a.zip").read_bytes()
    orig, content = _parts(data)
    assert pkg.build(incident, orig, content, ws.device, ws.keyring.device_secret)[0] == data

    altered = [pkg.Original(o.entry, o.name, o.data[:-1] + b"\0") for o in orig]
    bad = pkg.build(incident, altered, content, ws.device, ws.keyring.device_secret)[0]
    assert any("SHA-256 differs" in p for p in pkg.verify(bad))
    assert pkg.verify(data.replace(b'"added"', b'"xxxxx"')) == [
        "manifest.json: missing, or damaged inside the ZIP"
    ]
    forged = io.BytesIO()  # rewritten properly: only the signature can tell
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(forged, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, body.replace(b'"added"', b'"xxxxx"'))
    assert pkg.verify(forged.getvalue()) == ["the signature on manifest.json does not verify"]
    assert pkg.verify(data, expected_key=b"\1" * 32) == [
        "manifest.sig names another device key than expected"
    ]


def _parts(data):
    zf = zipfile.ZipFile(io.BytesIO(data))
    content = json.loads(zf.read("manifest.json"))
    orig = [
        pkg.Original({k: v for k, v in e.items() if k != "file"}, e["file"], zf.read(e["file"]))
        for e in content["evidence"]
    ]
    return orig, content["custody"]


def test_package_refusals(ws, incident, tmp_path):
    with pytest.raises(RecordError, match="no evidence to package"):
        make_package(ws, incident, tmp_path / "p.zip")
    with pytest.raises(UnknownRecord):
        make_package(ws, "IN-NOSUCH", tmp_path / "p.zip")
    assert not (tmp_path / "p.zip").exists()


def test_canary_in_document_never_readable_in_workspace(ws_path, tmp_path):
    ws = Workspace.init(ws_path, PASSPHRASE, params=_fast(), check_strength=False)
    with ws:
        incident = ws.add("incident", INCIDENT)
        doc = tmp_path / "testimony.txt"
        doc.write_bytes(document())
        photo = tmp_path / "p.jpg"
        photo.write_bytes(jpeg_with_gps())
        e1 = add_evidence(ws, incident, doc, witness_pseudonym="W-7")
        add_evidence(ws, incident, photo)
        open_original(ws, e1)
        make_package(ws, incident, tmp_path / "package.zip")
    assert CANARY.encode() in (tmp_path / "package.zip").read_bytes()  # it is in the originals
    needles = [n for text in (CANARY, "testimony") for n in forms(text)]
    assert scan(ws_path, needles) == []
    assert any((ws_path / "blobs").iterdir())


def _fast():
    from fieldledger.vault.kdf import TEST_PARAMS

    return TEST_PARAMS
