"""Canary strings put in every field must never reach the disk in readable form."""

from __future__ import annotations

import json
from pathlib import Path

CANARY = "CANARY7F3A9"
CANARY_MY = "ကနေရီ၇၃၉"
GPS = "16.8409871234,96.1734951234"


def forms(text: str) -> list[bytes]:
    return [text.encode("utf-8"), text.encode("utf-16-le"), text.encode("utf-16-be")]


def scan(root: Path, needles: list[bytes]) -> list[str]:
    found = []
    for path in root.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path}: {n!r}" for n in needles if n in data]
    return found


def test_canaries_never_reach_disk(cli, tmp_path):
    assert cli("init", "--insecure-fast-kdf", "--label", f"{CANARY}-label").code == 0
    hid = cli("add", "household", "--json", "-", input=json.dumps({
        "code": f"{CANARY}-hh", "location_pcode": "MMR003001", "displacement_status": "idp",
        "size": 5})).out.strip()
    pid = cli("add", "person", "--json", "-", input=json.dumps({
        "household_id": hid, "sex": "female", "birth_year": 1977, "name": f"{CANARY_MY} {CANARY}n",
        "phone": "0977" + "7391" + "55", "id_number": f"12/{CANARY}(N)1", "gps": GPS,
    })).out.strip()
    gone = cli("add", "person", "--json", "-", input=json.dumps({
        "household_id": hid, "sex": "male", "name": f"{CANARY}-forgotten"})).out.strip()
    assert cli("add", "project", "--json", "-", input=json.dumps({
        "name": f"{CANARY}-project", "sector": "home_gardening", "location_pcode": "MMR003001",
        "start_date": "2026-01-05", "description": f"{CANARY_MY} seeds {CANARY}-desc"})).code == 0
    assert cli("update", "person", pid, "--json", "-",
               input=json.dumps({"name": f"{CANARY}-renamed"})).code == 0
    shown = cli("show", "person", pid)
    assert f"{CANARY}-renamed" in shown.out  # decrypted for display, on stdout only
    assert CANARY in cli("list", "person", "--reveal").out
    out = tmp_path / "exports" / "log.bin"
    out.parent.mkdir()
    assert cli("export-log", "--out", str(out)).code == 0
    assert cli("verify", "--log", str(out)).code == 0
    assert cli("forget", gone, "--yes").code == 0
    assert cli("rebuild").code == 0
    assert cli("verify").code == 0
    assert cli("demo", "--households", "3").code == 0

    needles = [n for text in (CANARY, CANARY_MY, GPS, "0977739155") for n in forms(text)]
    for root in (cli.workspace, cli.tmp, out.parent):
        assert scan(root, needles) == [], f"readable canary under {root}"
    assert any(cli.workspace.iterdir())  # the scan looked at real files
