"""Shared fixtures: a fresh workspace, a CLI runner, demo data. Key derivation uses the
test-only fast parameters so a test unlocks in milliseconds; the real cost is measured by
benchmarks, not here."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace

PASSPHRASE = "quiet river stone lantern maple"
FIELDLEDGER = str(Path(sys.executable).with_name("fieldledger"))


def household(code: str = "HH-0001", **extra) -> dict:
    return {"code": code, "location_pcode": "MMR003001", "displacement_status": "idp",
            "size": 4, **extra}


@pytest.fixture
def ws_path(tmp_path: Path) -> Path:
    return tmp_path / "ws"


@pytest.fixture
def ws(ws_path: Path):
    workspace = Workspace.init(ws_path, PASSPHRASE, params=TEST_PARAMS, check_strength=False)
    yield workspace
    workspace.close()


@dataclass
class Result:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(tmp_path: Path):
    """Run the real `fieldledger` console script against a workspace in tmp_path."""
    secret = tmp_path / "passphrase.txt"
    secret.write_text(PASSPHRASE + "\n", encoding="utf-8")
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    env = {
        **os.environ,
        "FIELDLEDGER_WORKSPACE": str(tmp_path / "ws"),
        "FIELDLEDGER_PASSPHRASE_FILE": str(secret),
        "TMPDIR": str(tmp),
        "COLUMNS": "200",
    }

    def run(*args: str, input: str | None = None, env_extra: dict | None = None) -> Result:
        proc = subprocess.run(  # empty stdin unless given: a prompt sees no answer
            [FIELDLEDGER, *args], input=input or "", capture_output=True, text=True,
            env={**env, **(env_extra or {})}, timeout=120,
        )
        return Result(proc.returncode, proc.stdout, proc.stderr)

    run.workspace = tmp_path / "ws"  # type: ignore[attr-defined]
    run.tmp = tmp  # type: ignore[attr-defined]
    run.passphrase_file = secret  # type: ignore[attr-defined]
    return run
