from __future__ import annotations

import json
import re

from tests.conftest import household


def init(cli):
    result = cli("init", "--insecure-fast-kdf")
    assert result.code == 0, result.err
    return result


def test_help_lists_every_command(cli):
    result = cli("--help")
    assert result.code == 0
    for command in ("init", "add", "update", "list", "show", "verify", "rebuild", "conflicts",
                    "forget", "panic", "passwd", "export-log", "import-log", "demo", "summary",
                    "review", "import", "evidence"):
        assert command in result.out


def test_add_list_show_update(cli):
    init(cli)
    result = cli("add", "household", "--json", "-", input=json.dumps(household()))
    assert result.code == 0, result.err
    hid = result.out.strip()
    lines = "\n".join(json.dumps({"household_id": hid, "sex": s, "name": n})
                      for s, n in (("female", "Daw Khin Mar"), ("male", "Saw Eh Moo")))
    result = cli("add", "person", "--json", "-", input=lines)
    assert result.code == 0, result.err
    pid = result.out.split()[0]
    listed = json.loads(cli("list", "person", "--format", "json").out)
    assert {p["name"] for p in listed} == {"•••"}
    shown = json.loads(cli("show", "person", pid, "--format", "json").out)[0]
    assert shown["name"] == "Daw Khin Mar"
    assert cli("update", "household", hid, "--json", "-", input='{"size": 6}').code == 0
    assert json.loads(cli("show", "household", hid, "--format", "json").out)[0]["size"] == 6


def test_bad_input_is_one_line_with_line_and_field_and_nothing_applied(cli):
    init(cli)
    rows = [household("HH-1"), household("HH-2"), household("HH-3", size="lots")]
    result = cli("add", "household", "--json", "-", input="\n".join(map(json.dumps, rows)))
    assert result.code == 2
    assert result.err.strip().count("\n") == 0
    assert "stdin line 3" in result.err and "field size" in result.err
    assert json.loads(cli("list", "household", "--format", "json").out) == []
    result = cli("add", "household", "--json", "-", input='{"code": "HH-1",\n oops}')
    assert result.code == 2 and "not valid JSON" in result.err


def test_wrong_passphrase_is_one_clear_line(cli, tmp_path):
    init(cli)
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("definitely not it\n")
    result = cli("--passphrase-file", str(wrong), "list", "household")
    assert result.code == 3
    assert result.err.strip() == "error: wrong passphrase: nothing was opened"
    assert "Traceback" not in result.err + result.out


def test_missing_workspace_and_unknown_type_are_clear(cli, tmp_path):
    result = cli("list", "household", env_extra={"FIELDLEDGER_WORKSPACE": str(tmp_path / "no")})
    assert result.code == 1 and "not a workspace" in result.err
    init(cli)
    result = cli("list", "spaceship")
    assert result.code == 2 and "unknown record type" in result.err


def test_verify_export_and_refuse_a_flipped_log(cli, tmp_path):
    init(cli)
    cli("add", "household", "--json", "-", input=json.dumps(household()))
    out = tmp_path / "backup.bin"
    assert cli("export-log", "--out", str(out)).code == 0
    result = cli("verify", "--log", str(out))
    assert result.code == 0 and result.out.startswith("ok:")
    blob = bytearray(out.read_bytes())
    blob[len(blob) // 2] ^= 1
    out.write_bytes(bytes(blob))
    result = cli("verify", "--log", str(out))
    assert result.code == 4 and "damaged" in result.err
    assert cli("verify").code == 0


def test_passwd_duress_and_panic(cli, tmp_path):
    init(cli)
    new = tmp_path / "new.txt"
    new.write_text("orchid tractor velvet harbour quiet\n")
    result = cli("passwd", "add-slot", "--label", "coordinator", "--new-passphrase-file", str(new))
    assert result.code == 0, result.err
    assert "coordinator" in cli("--passphrase-file", str(new), "passwd", "list").out
    weak = tmp_path / "weak.txt"
    weak.write_text("abc\n")
    result = cli("passwd", "add-slot", "--duress", "--new-passphrase-file", str(weak))
    assert result.code == 1 and "too short" in result.err
    duress = tmp_path / "duress.txt"
    duress.write_text("monsoon ledger bamboo copper whistle\n")
    assert cli("passwd", "add-slot", "--duress", "--new-passphrase-file", str(duress)).code == 0
    cli("demo", "--households", "3")
    result = cli("--passphrase-file", str(duress), "summary")
    assert result.code == 0 and re.search(r"person\s+│\s+0", result.out)
    assert cli("list", "household").code == 3  # the real passphrase is gone with the keys
    assert cli("panic").code == 1  # asks first; no input means no
    assert cli("panic", "--yes").code == 0
    assert not cli.workspace.exists()


def test_forget_and_conflicts_and_rebuild(cli):
    init(cli)
    hid = cli("add", "household", "--json", "-", input=json.dumps(household())).out.strip()
    pid = cli("add", "person", "--json", "-",
              input=json.dumps({"household_id": hid, "sex": "male", "name": "U Win"})).out.strip()
    assert cli("forget", pid, "--yes").code == 0
    result = cli("show", "person", pid)
    assert result.code == 1 and "forgotten" in result.err
    assert cli("conflicts").out.strip() == "no conflicts"
    assert "rebuilt views" in cli("rebuild").out


def test_import_log_is_idempotent_and_refuses_a_damaged_file(cli, tmp_path):
    init(cli)
    cli("add", "household", "--json", "-", input=json.dumps(household()))
    out = tmp_path / "log.bin"
    cli("export-log", "--out", str(out))
    result = cli("import-log", str(out))
    assert result.code == 0 and "imported 0 new events" in result.out
    out.write_bytes(out.read_bytes()[:-10])
    result = cli("import-log", str(out))
    assert result.code == 4 and result.err.count("\n") == 1


def test_duress_slot_is_never_listed(cli, tmp_path):
    init(cli)
    duress = tmp_path / "duress.txt"
    duress.write_text("monsoon ledger bamboo copper whistle\n")
    assert cli("passwd", "add-slot", "--duress", "--new-passphrase-file", str(duress)).code == 0
    listed = cli("passwd", "list").out
    assert "duress" not in listed and listed.count("\n") <= 6
    assert cli("passwd", "remove-slot", "--duress").code == 0
    assert cli("--passphrase-file", str(duress), "summary").code == 3


def test_a_damaged_store_is_one_line(cli):
    init(cli)
    cli("demo", "--households", "30")
    store = cli.workspace / "data.bin"
    data = bytearray(store.read_bytes())
    for page in range(2, 60):  # every page after the first: the log and the views
        data[page * 4096 + 100:page * 4096 + 132] = bytes(32)
    store.write_bytes(bytes(data))
    result = cli("verify")
    assert result.code == 5 and result.err.count("\n") == 1, result.err
    assert "Traceback" not in result.err


def test_review_lists_doubtful_text_and_accept_clears_it(cli):
    init(cli)
    project = {"name": "ကညီ", "sector": "agriculture", "location_pcode": "MMR003001",
               "start_date": "2026-01-01"}
    pid = cli("add", "project", "--json", "-", input=json.dumps(project)).out.strip()
    listed = cli("review").out
    assert pid in listed and "ကညီ" in listed
    assert cli("review", "accept", "project", pid, "name").code == 0
    assert "nothing to review" in cli("review").out
    result = cli("review", "accept", "project", pid, "name")
    assert result.code == 2 and "nothing to review" in result.err
