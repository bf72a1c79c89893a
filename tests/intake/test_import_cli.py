"""`fieldledger import`: the command on the same fixture files."""

from __future__ import annotations

import pytest
import typer
import typer.main
import yaml
from typer.testing import CliRunner

from fieldledger import cli
from fieldledger.cli_import import import_command
from fieldledger.errors import ValidationError
from fieldledger.intake.mapping import parse_mapping
from tests.intake.test_import import KOBO, ODK, kobo_xlsx, odk_zip  # noqa: F401

app = typer.Typer()
app.command("import")(import_command)
app.command("unused")(lambda: None)  # two commands: typer then keeps "import" as a name


def test_guess_mapping_prints_yaml_without_opening_a_workspace():
    result = CliRunner().invoke(app, ["import", "odk", str(ODK / "household_survey.csv"),
                                      "--type", "household", "--guess-mapping"])
    assert result.exit_code == 0, result.output
    mapping = parse_mapping(yaml.safe_load(result.stdout))
    assert mapping.fields["size"] == "hh-hh_size" and mapping.repeats[0].repeat == "members"


def test_bad_rows_one_line_each_then_skip_bad(monkeypatch, ws_path, kobo_xlsx, tmp_path):  # noqa: F811
    from tests.conftest import PASSPHRASE

    secret = tmp_path / "pass.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    monkeypatch.setattr(cli.state, "passphrase_file", secret)
    monkeypatch.setattr(cli.state, "workspace", ws_path)
    from fieldledger.vault.kdf import TEST_PARAMS
    from fieldledger.workspace import Workspace

    Workspace.init(ws_path, PASSPHRASE, params=TEST_PARAMS, check_strength=False).close()
    args = ["import", "kobo", str(kobo_xlsx), "--mapping",
            str(KOBO / "household_registration.yaml")]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, ValidationError)
    assert "nothing imported: 2 bad rows" in str(result.exception)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and all(" row " in line and " column " in line for line in lines)

    result = CliRunner().invoke(app, [*args, "--skip-bad"])
    assert result.exit_code == 0, result.output
    assert "imported 8 records (3 household, 5 person); 0 already imported; 3 rows skipped" \
        in result.stdout
    result = CliRunner().invoke(app, [*args, "--skip-bad", "--type", "household"])
    assert "imported 0 records; 8 already imported" in result.stdout


@pytest.mark.skipif("import" not in typer.main.get_command(cli.app).commands,
                    reason="fieldledger import is not registered in cli.py yet")
def test_console_script(cli, odk_zip, kobo_xlsx):  # noqa: F811
    assert cli("init", "--insecure-fast-kdf").code == 0
    result = cli("import", "odk", str(odk_zip), "--type", "household")
    assert result.code == 0, result.err
    assert "imported 8 records (3 household, 5 person)" in result.out
    result = cli("import", "kobo", str(kobo_xlsx), "--mapping",
                 str(KOBO / "household_registration.yaml"))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert len(lines) == 3 and lines[-1].startswith("error: nothing imported: 2 bad rows")
    assert "Traceback" not in result.err


def test_every_option_is_in_docs_import_md():
    doc = (KOBO.parent.parent.parent / "docs" / "import.md").read_text(encoding="utf-8")
    command = typer.main.get_command(app).commands["import"]
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    assert options and [o for o in options if f"`{o}" not in doc] == []
