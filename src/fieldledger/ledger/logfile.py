"""Exported log files: the whole log, sealed, for backup and for `verify --log`.

Layout: one version byte, then nonce || XChaCha20-Poly1305(log key, zstd(msgpack body)),
the version byte as associated data. The plaintext is padded to a power of two (at least
4 KiB) so the file's size tells little about how much work it holds. Nothing in it is
readable without a key of this workspace; a flipped or missing byte fails the seal.
"""

from __future__ import annotations

import struct

import msgspec
import zstandard

from fieldledger.crypto import SealBroken, derive, seal, unseal
from fieldledger.errors import LogFileError

VERSION = 1
_MIN_PAD = 4096
_LEN = struct.Struct(">Q")


class LogBody(msgspec.Struct, array_like=True):
    workspace: bytes
    events: list[tuple[bytes, bytes | None]]


def log_key(workspace_secret: bytes) -> bytes:
    return derive(workspace_secret, "log-export v1")


def _padded(data: bytes) -> bytes:
    size = _MIN_PAD
    while size < len(data) + _LEN.size:
        size <<= 1
    return _LEN.pack(len(data)) + data + bytes(size - len(data) - _LEN.size)


def seal_log(key: bytes, workspace: bytes, events: list[tuple[bytes, bytes | None]]) -> bytes:
    body = msgspec.msgpack.encode(LogBody(workspace, events))
    compressed = zstandard.ZstdCompressor(level=9).compress(body)
    return bytes([VERSION]) + seal(key, _padded(compressed), bytes([VERSION]))


def open_log(key: bytes, blob: bytes) -> LogBody:
    refusal = "the log file is damaged, truncated or from another workspace"
    if not blob or blob[0] != VERSION:
        raise LogFileError(f"{refusal} (unknown format)")
    try:
        plain = unseal(key, blob[1:], bytes([VERSION]))
        (length,) = _LEN.unpack_from(plain, 0)
        raw = zstandard.ZstdDecompressor().decompress(
            plain[_LEN.size : _LEN.size + length], max_output_size=1 << 34
        )
        return msgspec.msgpack.decode(raw, type=LogBody)
    except (
        SealBroken,
        struct.error,
        zstandard.ZstdError,
        msgspec.DecodeError,
        ValueError,  # text that is not UTF-8
    ) as exc:
        raise LogFileError(refusal) from exc
