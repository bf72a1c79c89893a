"""The key file: a fixed number of passphrase slots and the sealed keyring, at fixed offsets.

Layout (every workspace's file has the same size, whatever it holds)::

    0      header    version, Argon2id parameters, salt, failed-unlock counter
    64     slots     SLOT_COUNT x SLOT_SIZE: nonce || AEAD(kek, kind || master key || pad)
    1088   keyring   2 x AREA_SIZE: nonce || AEAD(master, generation || length || keyring || pad)

Unused slots are random bytes, indistinguishable from used ones without a passphrase, so the
file reveals neither how many people share the laptop nor whether a duress slot exists. All
slots share one salt, so one Argon2id run tests a passphrase against every slot.

The keyring lives in two areas written alternately: a crash while one is written leaves the
other whole. Every write is in place (open r+b, write, fsync) so that destroying a key
overwrites the very disk blocks that held it, as far as the file system allows.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path

from fieldledger.crypto import SEAL_OVERHEAD, SealBroken, random_bytes, seal, unseal
from fieldledger.errors import VaultError, WorkspaceError
from fieldledger.vault.kdf import KdfParams

VERSION = 1
SLOT_COUNT = 8
HEADER_SIZE = 64
SLOT_SIZE = 128
AREA_SIZE = 16 * 1024
SLOTS_OFFSET = HEADER_SIZE
AREAS_OFFSET = SLOTS_OFFSET + SLOT_COUNT * SLOT_SIZE
FILE_SIZE = AREAS_OFFSET + 2 * AREA_SIZE

SLOT_PLAIN = SLOT_SIZE - SEAL_OVERHEAD  # 88
AREA_PLAIN = AREA_SIZE - SEAL_OVERHEAD
_AREA_HEAD = struct.Struct(">QI")  # generation, length
KEYRING_MAX = AREA_PLAIN - _AREA_HEAD.size

KIND_NORMAL = 1
KIND_DURESS = 2

# header: version (1) | kdf params (9) | salt (16) | failures (4) | last failure, unix s (8)
_HEADER_FIXED = struct.Struct(">B9s16s")
_FAILURES = struct.Struct(">IQ")
_FAILURES_OFFSET = _HEADER_FIXED.size


@dataclass(frozen=True)
class Header:
    params: KdfParams
    salt: bytes
    failures: int
    last_failure: int

    def fixed_bytes(self) -> bytes:
        return _HEADER_FIXED.pack(VERSION, self.params.pack(), self.salt)


@dataclass(frozen=True)
class SlotContent:
    kind: int
    master: bytes


def _slot_ad(header: Header, index: int) -> bytes:
    return b"slot" + header.fixed_bytes() + bytes([index])


def _area_ad(index: int) -> bytes:
    return b"keyring" + bytes([index])


class KeyFile:
    """In-place reads and writes of the key file. Knows nothing of passphrases."""

    def __init__(self, path: Path) -> None:
        self.path = path

    # -- whole file ------------------------------------------------------------------

    def create(self, params: KdfParams) -> Header:
        """Write a fresh file of random slots and areas under a new salt.

        If the file exists (a duress rebuild), it is rewritten in place so the same inode,
        already overwritten, carries the new content.
        """
        header = Header(params=params, salt=random_bytes(16), failures=0, last_failure=0)
        head = header.fixed_bytes() + _FAILURES.pack(0, 0)
        content = head + random_bytes(HEADER_SIZE - len(head))
        content += random_bytes(FILE_SIZE - HEADER_SIZE)
        if self.path.exists():
            fh = open(self.path, "r+b")  # noqa: SIM115 - closed by the with below
        else:
            fh = os.fdopen(os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb")
        with fh:
            fh.write(content)
            fh.truncate(FILE_SIZE)
            fh.flush()
            os.fsync(fh.fileno())
        return header

    def read(self) -> tuple[Header, bytes]:
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError as exc:
            raise WorkspaceError(
                f"{self.path.parent} is not a workspace (no key file): check --workspace"
            ) from exc
        if len(raw) != FILE_SIZE or raw[0] != VERSION:
            raise WorkspaceError(
                f"the key file in {self.path.parent} is damaged or from another version"
            )
        _, packed, salt = _HEADER_FIXED.unpack_from(raw, 0)
        failures, last = _FAILURES.unpack_from(raw, _FAILURES_OFFSET)
        return Header(KdfParams.unpack(packed), salt, failures, last), raw

    def destroy(self) -> None:
        """Overwrite every byte in place with random data and fsync. The file stays."""
        with open(self.path, "r+b") as fh:
            fh.seek(0)
            fh.write(random_bytes(FILE_SIZE))
            fh.flush()
            os.fsync(fh.fileno())

    # -- parts -----------------------------------------------------------------------

    def _write_at(self, offset: int, data: bytes) -> None:
        with open(self.path, "r+b") as fh:
            fh.seek(offset)
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())

    def record_failures(self, failures: int, when: int) -> None:
        self._write_at(_FAILURES_OFFSET, _FAILURES.pack(failures, when))

    def open_slot(self, header: Header, raw: bytes, index: int, kek: bytes) -> SlotContent | None:
        start = SLOTS_OFFSET + index * SLOT_SIZE
        try:
            plain = unseal(kek, raw[start : start + SLOT_SIZE], _slot_ad(header, index))
        except SealBroken:
            return None
        return SlotContent(kind=plain[0], master=plain[1:33])

    def write_slot(self, header: Header, index: int, kek: bytes, content: SlotContent) -> None:
        plain = bytes([content.kind]) + content.master
        plain += random_bytes(SLOT_PLAIN - len(plain))
        self._write_at(SLOTS_OFFSET + index * SLOT_SIZE, seal(kek, plain, _slot_ad(header, index)))

    def clear_slot(self, index: int) -> None:
        self._write_at(SLOTS_OFFSET + index * SLOT_SIZE, random_bytes(SLOT_SIZE))

    def read_keyring(self, raw: bytes, master: bytes) -> tuple[int, bytes, int]:
        """(area index, keyring bytes, generation) of the newest whole area."""
        best: tuple[int, bytes, int] | None = None
        for index in (0, 1):
            start = AREAS_OFFSET + index * AREA_SIZE
            try:
                plain = unseal(master, raw[start : start + AREA_SIZE], _area_ad(index))
            except SealBroken:
                continue
            generation, length = _AREA_HEAD.unpack_from(plain, 0)
            body = plain[_AREA_HEAD.size : _AREA_HEAD.size + length]
            if best is None or generation > best[2]:
                best = (index, body, generation)
        if best is None:
            raise VaultError(
                "the passphrase is right but the keyring is damaged: restore from a "
                "recovery kit or another device"
            )
        return best

    def write_keyring(self, master: bytes, index: int, generation: int, keyring: bytes) -> None:
        if len(keyring) > KEYRING_MAX:
            raise VaultError("the keyring is full: too many key epochs for one key file")
        plain = _AREA_HEAD.pack(generation, len(keyring)) + keyring
        plain += random_bytes(AREA_PLAIN - len(plain))
        self._write_at(AREAS_OFFSET + index * AREA_SIZE, seal(master, plain, _area_ad(index)))
