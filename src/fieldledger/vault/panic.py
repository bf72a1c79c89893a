"""Panic: destroy a workspace's keys at once, with no passphrase asked.

The key file is overwritten in place and fsynced before it is unlinked, so the blocks that
held the keys (and any hard link to them) hold random bytes. The database is only unlinked:
without the keys it is noise, and not touching its content keeps panic fast for any size.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from fieldledger.errors import WorkspaceError
from fieldledger.vault import layout
from fieldledger.vault.slots import KeyFile


def destroy_keys(workspace: Path) -> None:
    keys = layout.keys_path(workspace)
    if not keys.exists():
        raise WorkspaceError(f"{workspace} holds no workspace keys (already destroyed?)")
    KeyFile(keys).destroy()


# Freeing the extents of a large file takes the file system about half a second per GiB.
# Past this size panic leaves that work to a detached child, so it returns in time.
LATER = 64 << 20


def remove_files(workspace: Path, *, keep_keys: bool = False) -> None:
    """Unlink the store, its sidecars and every evidence blob (the blob folder stays)."""
    for path in [*layout.all_files(workspace), *layout.blob_files(workspace)]:
        if keep_keys and path.name == layout.KEYS:
            continue
        path.unlink(missing_ok=True)


def _remove_later(paths: list[Path], folders: list[Path]) -> bool:
    """Unlink `paths`, then remove `folders`, in a detached child; False where fork does
    not exist."""
    if not hasattr(os, "fork"):
        return False
    if os.fork() != 0:
        return True
    try:  # the child: nothing of the parent's state is touched, and it never returns
        os.setsid()
        for path in paths:
            path.unlink(missing_ok=True)
        for folder in folders:
            with contextlib.suppress(OSError):
                folder.rmdir()
    finally:
        os._exit(0)


def panic(workspace: Path) -> None:
    """Overwrite the keys, then remove every file. Returns once the keys are gone and the
    small files removed; large files (the store, evidence) may still be being unlinked by a
    child process."""
    destroy_keys(workspace)
    files = [p for p in [*layout.all_files(workspace), *layout.blob_files(workspace)] if p.exists()]
    sizes = {p: p.stat().st_size for p in files}
    keys = layout.keys_path(workspace)
    big = sum(sizes.values()) > LATER
    later = [p for p in files if big and p != keys and sizes[p] > LATER]
    for path in files:
        if path not in later:
            path.unlink(missing_ok=True)
    folders = [layout.blobs_path(workspace), workspace]
    if later and _remove_later(later, folders):
        return
    for path in later:
        path.unlink(missing_ok=True)
    for folder in folders:
        with contextlib.suppress(OSError):
            folder.rmdir()
