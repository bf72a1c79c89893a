from __future__ import annotations

import pytest
import sqlcipher3

from fieldledger.errors import StoreBusy, StoreDamaged, VaultError, WorkspaceError
from fieldledger.vault.store import bucket, explain, open_store, pad_to_bucket


def test_a_foreign_or_damaged_first_page_is_refused_clearly(tmp_path):
    open_store(tmp_path / "a.bin", b"a" * 32).close()
    with pytest.raises(VaultError, match="does not open with this workspace's key"):
        open_store(tmp_path / "a.bin", b"b" * 32)


def test_store_pads_to_its_size_bucket(tmp_path):
    conn = open_store(tmp_path / "s.bin", b"k" * 32)
    size = pad_to_bucket(conn, minimum=3 << 20)
    assert bucket(size) == 4 << 20 and size > 3.9 * (1 << 20)
    conn.close()


class _Fake(sqlcipher3.OperationalError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.sqlite_errorname = name


@pytest.mark.parametrize(("name", "kind"), [
    ("SQLITE_BUSY", StoreBusy), ("SQLITE_LOCKED_SHAREDCACHE", StoreBusy),
    ("SQLITE_CORRUPT", StoreDamaged), ("SQLITE_NOTADB", StoreDamaged),
    ("SQLITE_FULL", WorkspaceError), ("SQLITE_IOERR_WRITE", WorkspaceError),
    ("SQLITE_READONLY", WorkspaceError),
])
def test_database_failures_become_our_errors(name, kind):
    assert isinstance(explain(_Fake(name)), kind)


def test_other_database_failures_are_left_to_show():
    assert explain(_Fake("SQLITE_ERROR")) is None
    assert not isinstance(explain(_Fake("SQLITE_FULL")), StoreDamaged)
