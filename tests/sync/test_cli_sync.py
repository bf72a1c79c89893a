"""The sync commands end to end, through the real console script."""

from __future__ import annotations

import json

from tests.conftest import household


def test_invite_join_and_exchange_bundles(cli, tmp_path):
    assert cli("init", "--insecure-fast-kdf", "--label", "office").code == 0
    hid = cli("add", "household", "--json", "-", input=json.dumps(household())).out.strip()
    invitation = tmp_path / "a1.dat"
    made = cli("member", "invite", "--role", "field", "--label", "Ko Aung phone",
               "--out", str(invitation))
    assert made.code == 0, made.err and "carry it by hand" in made.out
    phone = {"FIELDLEDGER_WORKSPACE": str(tmp_path / "phone")}
    joined = cli("join", str(invitation), "--insecure-fast-kdf", env_extra=phone)
    assert joined.code == 0, joined.err
    assert "joined as field" in joined.out
    shown = json.loads(cli("show", "household", hid, "--format", "json", env_extra=phone).out)
    assert shown[0]["code"] == "HH-0001"
    assert cli("add", "household", "--json", "-", input=json.dumps(household("HH-0002")),
               env_extra=phone).code == 0
    bundle = tmp_path / "b1.dat"
    out = cli("sync", "export", "--for", "office", "--out", str(bundle), env_extra=phone)
    assert out.code == 0, out.err
    imported = cli("sync", "import", str(bundle))
    assert imported.code == 0, imported.err and "imported" in imported.out
    assert "nothing new" in cli("sync", "import", str(bundle)).out
    codes = {h["code"] for h in json.loads(cli("list", "household", "--format", "json").out)}
    assert codes == {"HH-0001", "HH-0002"}
    listed = cli("member", "list").out
    assert "Ko Aung phone  field  active" in listed and "(this device)" in listed
    status = cli("sync", "status").out
    assert "Ko Aung phone" in status
    # A bundle cut short: one line, non-zero exit, nothing applied.
    bundle.write_bytes(bundle.read_bytes()[:-7])
    bad = cli("sync", "import", str(bundle))
    assert bad.code != 0 and len(bad.err.strip().splitlines()) == 1
    revoked = cli("member", "revoke", "Ko Aung phone")
    assert revoked.code == 0, revoked.err
    assert "revoked" in cli("member", "list").out


def test_a_network_invitation_through_files(cli, tmp_path):
    assert cli("init", "--insecure-fast-kdf").code == 0
    invitation, code = tmp_path / "i.dat", tmp_path / "code.txt"
    made = cli("member", "invite", "--role", "documenter", "--network", "--out", str(invitation),
               "--code-out", str(code))
    assert made.code == 0, made.err
    assert code.read_text().strip() not in made.out  # the code goes to the file only
    laptop = {"FIELDLEDGER_WORKSPACE": str(tmp_path / "laptop")}
    reply = tmp_path / "r.dat"
    answered = cli("join", str(invitation), "--code-file", str(code), "--reply-out", str(reply),
                   "--insecure-fast-kdf", env_extra=laptop)
    assert answered.code == 0, answered.err
    welcome = tmp_path / "w.dat"
    assert cli("member", "admit", str(reply), "--out", str(welcome)).code == 0
    done = cli("join", str(welcome), env_extra=laptop)
    assert done.code == 0, done.err and "documenter" in done.out
    assert cli("summary", env_extra=laptop).code == 0
