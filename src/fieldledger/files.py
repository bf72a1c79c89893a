"""Writing a file whole or not at all: nothing is half-written by a crash."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from fieldledger.errors import WorkspaceError


def write_atomic(
    path: Path | str, content: bytes | Callable[[BinaryIO], None], mode: int = 0o600
) -> None:
    """Write `path` through a temp file in the same folder (owner-only): fsync, rename,
    fsync the folder. Either the whole new file is there, or the old state is. `content`
    is the bytes, or a function that writes them to the open file (for streams)."""
    path = Path(path)
    tmp = path.with_name(f".{os.urandom(8).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as out:
            if isinstance(content, bytes):
                out.write(content)
            else:
                content(out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError):
            raise WorkspaceError(f"cannot write {path.name}: {exc.strerror}") from None
        raise
    _fsync_dir(path.parent)


def _fsync_dir(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
