"""Devices of one workspace, made the way an admin makes them, for sync tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from fieldledger.sync import exchange
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace


def device(admin: Workspace, path: Path, role: str, label: str) -> Workspace:
    """A new member device that has taken in everything its role holds."""
    other = admin.add_device(path, "pw", role=role, label=label, params=TEST_PARAMS,
                             check_strength=False)
    exchange.import_bundle(other, exchange.export_bundle(admin, role=role).data)
    return other


def send(a: Workspace, b: Workspace, for_member: bool = True) -> exchange.Imported:
    """One bundle from a to b, the way a file carries it."""
    name = b.device.hex()[:16] if for_member else None
    return exchange.import_bundle(b, exchange.export_bundle(a, name).data)


def events(ws: Workspace) -> set[tuple[bytes, str, int, bytes]]:
    return set(ws.conn.execute("SELECT author, compartment, seq, hash FROM events"))


@pytest.fixture
def admin(tmp_path: Path):
    ws = Workspace.init(tmp_path / "admin", "pw", params=TEST_PARAMS, check_strength=False,
                        label="office laptop")
    yield ws
    ws.close()


@pytest.fixture
def field(admin: Workspace, tmp_path: Path):
    ws = device(admin, tmp_path / "field", "field", "field phone")
    yield ws
    ws.close()


@pytest.fixture
def documenter(admin: Workspace, tmp_path: Path):
    ws = device(admin, tmp_path / "documenter", "documenter", "documenter laptop")
    yield ws
    ws.close()
