"""Encrypted evidence files ("blobs") beside the store.

Each file is one libsodium secretstream (XChaCha20-Poly1305) written and read in chunks, so
memory stays bounded for a video of any size. The key of a blob is derived from the
`incidents` compartment's current epoch key and the blob's random id, so destroying the
keyring (panic, duress) destroys every blob key with it, and only a device holding that
compartment can read them. The file name is a keyed BLAKE2b of the random id, never a hash
of the content: two devices holding the same photo cannot be linked by file name, and a
known photo cannot be confirmed by hashing it.

On disk a blob is exactly a power of two bytes, at least 4 KiB, and every byte of it is
authenticated:

    header (24 bytes)
    message 1: 4072 bytes of ciphertext = 8-byte length || data ... (padding zeros)
    message 2..n: 1 MiB of ciphertext each, the last one what is left (a multiple of 4 KiB)

The plaintext of the messages, concatenated, is the length (little-endian), the data and
zeros up to the bucket; the last message carries the FINAL tag. The sizes of the messages
follow from the file size alone, so nothing in the file is readable without the key. The
first message is bound to the workspace and the blob id as associated data.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from nacl import bindings as _sodium

from fieldledger.crypto import derive
from fieldledger.errors import BlobDamaged, RecordError, WorkspaceError
from fieldledger.files import write_atomic
from fieldledger.vault import layout

COMPARTMENT = "incidents"
MIN_BUCKET = 4096
CHUNK = 1 << 20  # ciphertext bytes of each message after the first block
READ = 1 << 20
# A temp or unrecorded file younger than this may belong to an add still running elsewhere.
STALE_SECONDS = 3600

HEADER = _sodium.crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 24
ABYTES = _sodium.crypto_secretstream_xchacha20poly1305_ABYTES  # 17
_TAG_MESSAGE = _sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
_TAG_FINAL = _sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL
_LENGTH = 8
_AD = b"fieldledger evidence blob v1\0"


def new_blob_id() -> str:
    return os.urandom(16).hex()


def message_sizes(file_size: int) -> list[int]:
    """Ciphertext size of each secretstream message in a blob file of `file_size` bytes."""
    rest = file_size - MIN_BUCKET
    full, last = divmod(rest, CHUNK)
    return [MIN_BUCKET - HEADER] + [CHUNK] * full + ([last] if last else [])


def capacity(file_size: int) -> int:
    """Plaintext bytes a blob file of this size carries (length prefix included)."""
    return file_size - HEADER - ABYTES * len(message_sizes(file_size))


def bucket_for(size: int) -> int:
    """The smallest size bucket (a power of two, from 4 KiB) that holds `size` data bytes."""
    bucket = MIN_BUCKET
    while capacity(bucket) < _LENGTH + size:
        bucket *= 2
    return bucket


def _valid_bucket(file_size: int) -> bool:
    return file_size >= MIN_BUCKET and file_size & (file_size - 1) == 0


@dataclass(frozen=True)
class Stored:
    """What writing a blob learned about the original, from the one read of it."""

    blob_id: str
    size: int
    sha256: str
    stored_bytes: int


class _Source:
    """The plaintext of a blob: length prefix, then exactly `size` bytes of the file, then
    zeros. Checks the file neither shrinks nor grows while it is read."""

    def __init__(self, f: BinaryIO, size: int, observe: Callable[[bytes], None]) -> None:
        self.f, self.left, self.observe = f, size, observe
        self.sha = hashlib.sha256()
        self.pending = size.to_bytes(_LENGTH, "little")

    def take(self, n: int) -> bytes:
        parts, want = [self.pending[:n]], n - len(self.pending[:n])
        self.pending = self.pending[n:]
        while want and self.left:
            piece = self.f.read(min(want, self.left, READ))
            if not piece:
                raise RecordError("the file became shorter while it was read: add it again")
            self.sha.update(piece)
            self.observe(piece)
            self.left -= len(piece)
            want -= len(piece)
            parts.append(piece)
        if want:
            parts.append(bytes(want))
        return b"".join(parts)

    def check_end(self) -> None:
        if self.f.read(1):
            raise RecordError("the file grew while it was read: add it again")


class BlobStore:
    """The blob folder of one workspace, with the keys its blobs need.

    `epoch_keys` are the `incidents` compartment's epoch keys (epoch -> key): new blobs use
    the newest; reading tries them newest first, so no epoch number is stored in the file.
    """

    def __init__(
        self, folder: Path, workspace_id: bytes, name_key: bytes, epoch_keys: dict[int, bytes]
    ) -> None:
        self.folder = folder
        self.workspace_id = workspace_id
        self._name_key = name_key
        self._epoch_keys = epoch_keys

    @classmethod
    def for_workspace(cls, ws) -> BlobStore:
        keyring = ws.keyring
        if COMPARTMENT not in keyring.epochs:
            raise WorkspaceError("this device holds no key for incidents, so it keeps no evidence")
        return cls(
            layout.blobs_path(Path(ws.path)),
            keyring.workspace_id,
            derive(keyring.workspace_secret, "evidence blob name"),
            keyring.epochs[COMPARTMENT],
        )

    # -- names and keys ----------------------------------------------------------------

    def path(self, blob_id: str) -> Path:
        name = hashlib.blake2b(blob_id.encode(), key=self._name_key, digest_size=16)
        return self.folder / name.hexdigest()

    def _key(self, epoch_key: bytes, blob_id: str) -> bytes:
        return derive(epoch_key, f"evidence blob {blob_id}")

    def _ad(self, blob_id: str) -> bytes:
        return _AD + self.workspace_id + blob_id.encode()

    def ensure_folder(self) -> None:
        self.folder.mkdir(mode=0o700, exist_ok=True)

    # -- writing -----------------------------------------------------------------------

    def write(self, src: Path, observe: Callable[[bytes], None] = lambda _: None) -> Stored:
        """Encrypt the file at `src` into a new blob, reading it once; `observe` sees each
        piece of the original as it passes (for sniffing its type)."""
        self.ensure_folder()
        blob_id = new_blob_id()
        try:
            f = open(src, "rb")  # noqa: SIM115 - closed below, after the size check
        except OSError as exc:
            raise RecordError(f"cannot read {src}: {exc.strerror}") from None
        with f:
            st = os.fstat(f.fileno())
            if not _is_regular(st.st_mode):
                raise RecordError(f"{src} is not a regular file")
            source = _Source(f, st.st_size, observe)
            bucket = bucket_for(st.st_size)
            epoch = max(self._epoch_keys)
            key = self._key(self._epoch_keys[epoch], blob_id)
            final = self.path(blob_id)

            def produce(out: BinaryIO) -> None:
                state = _sodium.crypto_secretstream_xchacha20poly1305_state()
                out.write(_sodium.crypto_secretstream_xchacha20poly1305_init_push(state, key))
                sizes = message_sizes(bucket)
                for i, size in enumerate(sizes):
                    last = i == len(sizes) - 1
                    out.write(
                        _sodium.crypto_secretstream_xchacha20poly1305_push(
                            state,
                            source.take(size - ABYTES),
                            self._ad(blob_id) if i == 0 else None,
                            _TAG_FINAL if last else _TAG_MESSAGE,
                        )
                    )
                source.check_end()

            write_atomic(final, produce)
        return Stored(blob_id, st.st_size, source.sha.hexdigest(), bucket)

    # -- reading -----------------------------------------------------------------------

    def chunks(self, blob_id: str) -> Iterator[bytes]:
        """The original's bytes, chunk by chunk. Raises BlobDamaged on the first byte that
        does not authenticate; a consumer must not act on the data before the end."""
        path = self.path(blob_id)
        try:
            f = open(path, "rb")  # noqa: SIM115 - a generator: closed by the with below
        except FileNotFoundError:
            raise RecordError("its file is not on this device") from None
        with f:
            size = os.fstat(f.fileno()).st_size
            if not _valid_bucket(size):
                raise BlobDamaged("its stored file has been cut or extended")
            sizes = message_sizes(size)
            header = f.read(HEADER)
            first = f.read(sizes[0])
            state, plain, tag = self._open_first(blob_id, header, first)
            length = int.from_bytes(plain[:_LENGTH], "little")
            if length > capacity(size) - _LENGTH:
                raise BlobDamaged("its stored file does not authenticate")
            left = length
            data = plain[_LENGTH:]
            for i in range(len(sizes)):
                if i:
                    c = f.read(sizes[i])
                    if len(c) != sizes[i]:
                        raise BlobDamaged("its stored file is truncated")
                    try:
                        data, tag = _sodium.crypto_secretstream_xchacha20poly1305_pull(
                            state, c, None
                        )
                    except Exception:
                        raise BlobDamaged("its stored file does not authenticate") from None
                if tag != (_TAG_FINAL if i == len(sizes) - 1 else _TAG_MESSAGE):
                    raise BlobDamaged("its stored file does not authenticate")
                keep = data[:left]
                pad = data[left:]
                if pad.count(0) != len(pad):
                    raise BlobDamaged("its stored file does not authenticate")
                left -= len(keep)
                if keep:
                    yield keep

    def _open_first(self, blob_id: str, header: bytes, first: bytes):
        for epoch in sorted(self._epoch_keys, reverse=True):
            state = _sodium.crypto_secretstream_xchacha20poly1305_state()
            key = self._key(self._epoch_keys[epoch], blob_id)
            try:
                _sodium.crypto_secretstream_xchacha20poly1305_init_pull(state, header, key)
                plain, tag = _sodium.crypto_secretstream_xchacha20poly1305_pull(
                    state, first, self._ad(blob_id)
                )
            except Exception:
                continue
            return state, plain, tag
        raise BlobDamaged("its stored file does not authenticate")

    def read(self, blob_id: str, limit: int) -> bytes:
        """The whole original in memory; refuses one larger than `limit` bytes."""
        out = bytearray()
        for chunk in self.chunks(blob_id):
            out += chunk
            if len(out) > limit:
                raise RecordError(f"it is larger than {limit >> 20} MiB, too large for this")
        return bytes(out)

    def remove(self, blob_id: str) -> None:
        self.path(blob_id).unlink(missing_ok=True)

    def names(self) -> list[Path]:
        """Every file in the blob folder (blobs, and temp files a crash left behind)."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if p.is_file())

    def remove_leftovers(self, blob_ids: set[str], now: float | None = None) -> int:
        """Remove what a crash left: temp files, and blobs no record names (written, then
        the transaction that would record them never committed). Only files older than
        STALE_SECONDS, so an add running in another process is not disturbed."""
        keep = {self.path(b).name for b in blob_ids}
        cutoff = (time.time() if now is None else now) - STALE_SECONDS
        removed = 0
        for path in self.names():
            if path.name not in keep and path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
                removed += 1
        return removed


def _is_regular(mode: int) -> bool:
    import stat

    return stat.S_ISREG(mode)
