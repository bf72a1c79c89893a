"""Panic: destroy a workspace's keys at once, with no passphrase asked.

The key file is overwritten in place and fsynced before it is unlinked, so the blocks that
held the keys (and any hard link to them) hold random bytes. The database is only unlinked:
without the keys it is noise, and not touching its content keeps panic under a second for
any size.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from fieldledger.errors import WorkspaceError
from fieldledger.vault import layout
from fieldledger.vault.slots import KeyFile


def destroy_keys(workspace: Path) -> None:
    keys = layout.keys_path(workspace)
    if not keys.exists():
        raise WorkspaceError(f"{workspace} holds no workspace keys (already destroyed?)")
    KeyFile(keys).destroy()


def remove_files(workspace: Path, *, keep_keys: bool = False) -> None:
    for path in layout.all_files(workspace):
        if keep_keys and path.name == layout.KEYS:
            continue
        path.unlink(missing_ok=True)


def panic(workspace: Path) -> None:
    destroy_keys(workspace)
    remove_files(workspace)
    with contextlib.suppress(OSError):
        workspace.rmdir()
