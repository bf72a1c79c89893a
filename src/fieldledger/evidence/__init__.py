"""Evidence files: encrypted at rest, hashed and signed when recorded, handed out as a copy
without metadata or as a signed accountability package, every access in a custody log.

    eid = add_evidence(ws, "IN-...", "photo.jpg", witness_pseudonym="W-12")
    export_copy(ws, eid, "share/photo.jpg")          # pixels only
    make_package(ws, "IN-...", "IN-package.zip")     # originals + signed manifest
"""

from __future__ import annotations

from fieldledger.evidence.blobs import BlobDamaged, BlobStore
from fieldledger.evidence.service import (
    Exported,
    Packaged,
    add_evidence,
    custody_log,
    export_copy,
    for_incident,
    hand_over,
    make_package,
    open_original,
)

__all__ = [
    "BlobDamaged",
    "BlobStore",
    "Exported",
    "Packaged",
    "add_evidence",
    "custody_log",
    "export_copy",
    "for_incident",
    "hand_over",
    "make_package",
    "open_original",
]
