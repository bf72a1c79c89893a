"""File names inside a workspace folder.

Neutral on purpose: a folder opened at a checkpoint shows nothing that names the tool or
what it holds. A decoy workspace has exactly the same names.
"""

from __future__ import annotations

from pathlib import Path

KEYS = "meta.bin"
STORE = "data.bin"
STORE_SIDECARS = ("data.bin-wal", "data.bin-shm", "data.bin-journal")
BLOBS = "blobs"  # encrypted evidence files; present, perhaps empty, in every workspace


def keys_path(workspace: Path) -> Path:
    return workspace / KEYS


def store_path(workspace: Path) -> Path:
    return workspace / STORE


def blobs_path(workspace: Path) -> Path:
    return workspace / BLOBS


def blob_files(workspace: Path) -> list[Path]:
    folder = blobs_path(workspace)
    return sorted(folder.iterdir()) if folder.is_dir() else []


def all_files(workspace: Path) -> list[Path]:
    """Every file this workspace may have, present or not, keys first."""
    return [workspace / KEYS, workspace / STORE, *(workspace / n for n in STORE_SIDECARS)]
