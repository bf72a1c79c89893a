"""`fieldledger evidence ...` commands, run in-process against the sub-app (and through the
real console script once the sub-app is registered in `fieldledger.cli`)."""

from __future__ import annotations

import json
import zipfile

import pytest
import typer.main
from PIL import Image
from typer.testing import CliRunner

from fieldledger import cli
from fieldledger.cli_evidence import evidence_app
from fieldledger.errors import RecordError
from fieldledger.evidence import package as pkg
from tests.conftest import PASSPHRASE
from tests.evidence.helpers import CANARY, INCIDENT, document, jpeg_with_gps
from tests.test_canary import forms, scan


@pytest.fixture
def run(ws, incident, tmp_path, monkeypatch):
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    monkeypatch.setattr(cli.state, "workspace", ws.path)
    monkeypatch.setattr(cli.state, "passphrase_file", secret)
    ws.close()  # each command opens the workspace itself, as in real use
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(evidence_app, list(args), catch_exceptions=True)

    return invoke


def test_add_list_export_package_custody(run, incident, tmp_path):
    photo = tmp_path / "IMG_1.jpg"
    photo.write_bytes(jpeg_with_gps())
    added = run("add", incident, str(photo), "--witness", "W-3", "--description", "crater")
    assert added.exit_code == 0, added.output
    eid = added.stdout.strip().splitlines()[0]
    assert eid.startswith("EV-")

    listed = run("list", incident, "--format", "json")
    rows = json.loads(listed.stdout)
    assert [(r["id"], r["kind"], r["witness_pseudonym"]) for r in rows] == [(eid, "photo", "W-3")]
    assert eid in run("list", incident).stdout

    out = tmp_path / "clean.jpg"
    assert run("export", eid, "--out", str(out)).exit_code == 0
    assert len(Image.open(out).getexif()) == 0

    assert run("hand-over", eid, "--to", "IIMM", "--note", "USB").exit_code == 0
    zipped = tmp_path / "pkg.zip"
    result = run("package", incident, "--out", str(zipped))
    assert result.exit_code == 0, result.output
    assert "ORIGINALS" in result.stdout
    assert pkg.verify(zipped.read_bytes()) == []
    with zipfile.ZipFile(zipped) as zf:
        assert zf.read(f"originals/{eid}.jpg") == photo.read_bytes()

    log = json.loads(run("custody", eid, "--format", "json").stdout)
    assert [e["action"] for e in log] == ["added", "exported", "handed_over", "packaged"]
    assert log[2]["recipient"] == "IIMM"


def test_export_of_a_document_is_refused(run, incident, tmp_path):
    doc = tmp_path / "statement.pdf"
    doc.write_bytes(b"%PDF-1.4\n" + document())
    eid = run("add", incident, str(doc)).stdout.strip()
    result = run("export", eid, "--out", str(tmp_path / "x.pdf"))
    assert isinstance(result.exception, RecordError)
    assert "metadata removal is not supported for application/pdf" in str(result.exception)
    assert not (tmp_path / "x.pdf").exists()


def _registered() -> bool:
    return "evidence" in typer.main.get_command(cli.app).commands


@pytest.mark.skipif(not _registered(), reason="evidence_app is not registered in cli.py yet")
def test_console_script_and_canaries(cli, tmp_path):
    assert cli("init", "--insecure-fast-kdf").code == 0
    iid = cli("add", "incident", "--json", "-", input=json.dumps(INCIDENT)).out.strip()
    doc = tmp_path / "testimony.txt"
    doc.write_bytes(document())
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg_with_gps())
    did = cli("evidence", "add", iid, str(doc), "--witness", "W-9").out.strip()
    pid = cli("evidence", "add", iid, str(photo)).out.strip()
    assert did.startswith("EV-") and pid.startswith("EV-")
    refused = cli("evidence", "export", did, "--out", str(tmp_path / "d.txt"))
    assert refused.code != 0 and "not supported" in refused.err
    assert cli("evidence", "export", pid, "--out", str(tmp_path / "c.jpg")).code == 0
    assert cli("evidence", "package", iid, "--out", str(tmp_path / "k.zip")).code == 0
    needles = [n for text in (CANARY, "Testimony of W-7") for n in forms(text)]
    for root in (cli.workspace, cli.tmp):
        assert scan(root, needles) == [], f"readable canary under {root}"
    assert CANARY.encode() not in (tmp_path / "c.jpg").read_bytes()
    assert pkg.verify((tmp_path / "k.zip").read_bytes()) == []
