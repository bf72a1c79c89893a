"""`fieldledger phone` and `serve --odk-port` as a coordinator runs them: a real server
process with the OpenRosa routes on a plain-HTTP port, a phone that behaves as ODK Collect,
and the record in the workspace afterwards."""

from __future__ import annotations

import os
import subprocess
import time

import httpx
import pytest

from fieldledger.odk import settings, tokens
from fieldledger.workspace import Workspace
from tests.conftest import FIELDLEDGER, PASSPHRASE
from tests.odk.collect import Collect
from tests.odk.test_openrosa import HOUSEHOLD
from tests.web.test_serve import free_port, wait_for

PASSWORD = "correct horse battery staple"


def test_collect_settings_qr_payload_round_trips():
    made = settings.collect_settings("http://10.0.0.2:8766/odk/TOKEN", "Team A", "pw")
    decoded = settings.decode(settings.encode(made))
    assert decoded["general"]["server_url"] == "http://10.0.0.2:8766/odk/TOKEN"
    assert decoded["general"]["delete_send"] is True
    assert decoded["general"]["form_update_mode"] == "match_exactly"
    assert decoded["admin"]["admin_pw"] == "pw" and decoded["admin"]["change_server"] is False
    assert decoded["admin"]["save_as_draft"] is False
    assert decoded["project"]["name"] == "Team A"


@pytest.fixture
def account(cli):
    assert cli("init", "--insecure-fast-kdf").code == 0
    secret = cli.tmp / "pw.txt"
    secret.write_text(PASSWORD + "\n", encoding="utf-8")
    made = cli("web-user", "add", "field1", "--role", "field", "--password-file", str(secret))
    assert made.code == 0, made.err
    return cli


def test_phone_setup_list_and_revoke(account, tmp_path):
    cli = account
    png = tmp_path / "qr.png"
    done = cli("phone", "setup", "field1", "--url", "http://10.0.0.2:8766", "--png", str(png))
    assert done.code == 0, done.err
    assert "Admin password" in done.out and png.stat().st_size > 0
    listed = cli("phone", "list")
    assert "field1" in listed.out and "active" in listed.out
    assert cli("phone", "revoke", "field1").code == 0
    assert "revoked" in cli("phone", "list").out
    refused = cli("phone", "setup", "nobody")
    assert refused.code != 0 and "nobody" in refused.err
    forms = cli("phone", "forms")
    assert "fl_household" in forms.out and "fl_incident" in forms.out


def test_a_phone_submits_through_the_running_server(account):
    cli = account
    with Workspace.open(cli.workspace, PASSPHRASE) as ws:
        token = tokens.issue(ws, "field1")
    port, odk_port = free_port(), free_port()
    env = {
        **os.environ,
        "FIELDLEDGER_WORKSPACE": str(cli.workspace),
        "FIELDLEDGER_PASSPHRASE_FILE": str(cli.passphrase_file),
        "TMPDIR": str(cli.tmp),
    }
    proc = subprocess.Popen(
        [FIELDLEDGER, "serve", "--port", str(port), "--odk-port", str(odk_port)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        wait_for(proc, r"phones \(ODK Collect\)")
        time.sleep(0.5)
        base = f"http://127.0.0.1:{odk_port}"
        with httpx.Client(base_url=base, timeout=30) as client:
            assert client.get("/login").status_code == 404  # only phones' routes here
            phone = Collect(client, f"{base}/odk/{token}")  # type: ignore[arg-type]
            assert set(phone.download_all()) >= {"fl_household", "fl_distribution"}
            assert phone.head().status_code == 204
            response = phone.submit("fl_household", HOUSEHOLD)
            assert response.status_code == 201, response.text
        # The same routes on the web UI's port too.
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
            listed = client.get(f"/odk/{token}/formList")
            assert listed.status_code == 200 and "fl_household" in listed.text
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    with Workspace.open(cli.workspace, PASSPHRASE) as ws:
        (hh,) = ws.list("household")
        assert hh["code"] == "HH-0100" and len(ws.list("person")) == 2
