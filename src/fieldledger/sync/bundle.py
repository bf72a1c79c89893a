"""The bundle file: one format for every channel (USB stick, messaging app, HTTP, relay).

Byte layout (docs/sync.md explains each part):

    header   21 bytes   version (1) | routing token (16) | epoch (4, big-endian)
    stanza   2048 bytes recovery stanza: the workspace keys sealed to the recovery kit's
                        X25519 key (libsodium sealed box), or random bytes when no kit exists
    body     the rest   nonce (24) | XChaCha20-Poly1305(bundle key, padded inner) | tag (16)

The header and stanza are the associated data of the body, so no byte of the file can change
unnoticed. The inner plaintext is `[payload, signature]`: the payload (sender, counter,
frontier, one section per compartment, each compressed with zstd and sealed again under that
compartment's epoch key)
and the sender's Ed25519 signature over header, stanza and payload — inside the encryption,
so an observer of the file learns no member key. The inner plaintext is padded with Padmé,
so the size says little (at most 12 % overhead). Nothing readable names the program.
"""

from __future__ import annotations

import struct
import time

import msgspec
import zstandard

from fieldledger.crypto import SealBroken, derive, digest, seal, sign, unseal, verify
from fieldledger.errors import LedgerError

VERSION = 1
HEADER = struct.Struct(">B16sI")
STANZA_BYTES = 2048
_BOX_OVERHEAD = 48  # libsodium crypto_box_seal: ephemeral key + tag
_LEN = struct.Struct(">I")
_SIGN_CONTEXT = b"fieldledger bundle v1\0"
# How many weeks back a routing token is recognised: a bundle carried longer than that is
# refused as unknown (make a new one).
TOKEN_WEEKS = 26
MAX_SECTION_BYTES = 1 << 32


class BundleError(LedgerError):
    """A bundle that cannot be taken in: damaged, foreign, replayed, from a revoked device."""

    exit_code = 4


class Section(msgspec.Struct, array_like=True, frozen=True):
    compartment: str
    epoch: int
    sealed: bytes


class Payload(msgspec.Struct, array_like=True, frozen=True):
    sender: bytes
    counter: int
    made_ms: int
    recipient: bytes | None
    frontier: list[tuple[bytes, str, int, bytes]]  # (author, compartment, seq, hash)
    sections: list[Section]
    # Keys of protected records (complaints of sexual exploitation and abuse), sealed to
    # each member device whose role may open them: device -> sealed box.
    protected: dict[bytes, bytes] = {}


class SectionBody(msgspec.Struct, array_like=True):
    segments: list  # list[wire.Segment], decoded by the caller with its own type
    record_keys: dict[str, bytes]  # keys of single records (their batch was shredded)
    key_batches: dict[str, bytes]  # batch -> seed, for the records whose bodies name it


def padme(length: int) -> int:
    """Padmé (Nikitin et al., PETS 2019): pad to a size with few significant bits."""
    if length < 2:
        return 2
    e = length.bit_length() - 1
    s = e.bit_length()
    mask = (1 << (e - s)) - 1
    return (length + mask) & ~mask


def week(now_s: float | None = None) -> int:
    return int((now_s if now_s is not None else time.time()) // (7 * 86400))


def routing_token(members_key: bytes, period: int) -> bytes:
    """What a relay files a bundle under: changes every week and with every key epoch, and
    says nothing about the workspace to anyone without its members key."""
    return derive(members_key, f"routing token {period}")[:16]


def bundle_key(members_key: bytes) -> bytes:
    return derive(members_key, "bundle v1")


def section_ad(header: bytes, compartment: str, epoch: int) -> bytes:
    return header + compartment.encode() + b"\0" + epoch.to_bytes(4, "big")


def compression_level(size: int) -> int:
    """zstd 19 (about 10 % smaller than 12 on records, at 2 MB/s here) for sections up to
    8 MiB: bytes on a slow link cost more than seconds of a laptop's time; 12 beyond, so a
    bundle of a whole workspace is still made in seconds."""
    return 19 if size <= LEVEL_19_UP_TO else 12


LEVEL_19_UP_TO = 8 * 2**20


def seal_section(key: bytes, header: bytes, compartment: str, epoch: int, body: bytes) -> bytes:
    compressed = zstandard.ZstdCompressor(level=compression_level(len(body))).compress(body)
    return seal(key, compressed, section_ad(header, compartment, epoch))


def open_section(key: bytes, header: bytes, section: Section) -> bytes:
    try:
        compressed = unseal(
            key, section.sealed, section_ad(header, section.compartment, section.epoch)
        )
        return zstandard.ZstdDecompressor().decompress(
            compressed, max_output_size=MAX_SECTION_BYTES
        )
    except (SealBroken, zstandard.ZstdError) as exc:
        raise BundleError(
            f"the bundle's {section.compartment} part is damaged: nothing applied"
        ) from exc


def make_header(members_key: bytes, epoch: int, now_s: float | None = None) -> bytes:
    return HEADER.pack(VERSION, routing_token(members_key, week(now_s)), epoch)


def random_stanza() -> bytes:
    from fieldledger.crypto import random_bytes

    return random_bytes(STANZA_BYTES)


def seal_stanza(box_public: bytes, keys: bytes) -> bytes:
    """The keys sealed to a recovery kit, in exactly STANZA_BYTES."""
    from nacl.public import PublicKey, SealedBox

    room = STANZA_BYTES - _BOX_OVERHEAD - _LEN.size
    if len(keys) > room:
        raise BundleError("too many key epochs for the recovery stanza")
    plain = _LEN.pack(len(keys)) + keys + bytes(room - len(keys))
    return SealedBox(PublicKey(box_public)).encrypt(plain)


def open_stanza(box_secret: bytes, stanza: bytes) -> bytes | None:
    from nacl.public import PrivateKey, SealedBox

    try:
        plain = SealedBox(PrivateKey(box_secret)).decrypt(stanza)
    except Exception:  # nacl.exceptions.CryptoError: not sealed to this kit
        return None
    (n,) = _LEN.unpack_from(plain)
    return plain[_LEN.size : _LEN.size + n]


def seal_bundle(
    members_key: bytes,
    header: bytes,
    stanza: bytes,
    payload: Payload,
    signing_secret: bytes,
) -> bytes:
    payload_bytes = msgspec.msgpack.encode(payload)
    signature = sign(signing_secret, _signed(header, stanza, payload_bytes))
    inner = msgspec.msgpack.encode([payload_bytes, signature])
    padded = _LEN.pack(len(inner)) + inner
    padded += bytes(padme(len(padded)) - len(padded))
    return header + stanza + seal(bundle_key(members_key), padded, header + stanza)


def _signed(header: bytes, stanza: bytes, payload_bytes: bytes) -> bytes:
    return _SIGN_CONTEXT + digest(header + stanza + payload_bytes)


class Parsed(msgspec.Struct, frozen=True):
    header: bytes
    stanza: bytes
    token: bytes
    epoch: int
    body: bytes


def parse(blob: bytes) -> Parsed:
    if len(blob) < HEADER.size + STANZA_BYTES + 40:
        raise BundleError("the file is too short to be a bundle (truncated?): nothing applied")
    version, token, epoch = HEADER.unpack_from(blob)
    if version != VERSION:
        raise BundleError(
            f"bundle format {version} is unknown to this version of fieldledger "
            f"(it reads format {VERSION}): update it, or ask for a bundle in format {VERSION}"
        )
    header = blob[: HEADER.size]
    stanza = blob[HEADER.size : HEADER.size + STANZA_BYTES]
    return Parsed(header, stanza, token, epoch, blob[HEADER.size + STANZA_BYTES :])


def open_bundle(members_key: bytes, parsed: Parsed) -> tuple[Payload, bytes]:
    """(payload, bundle digest) once the seal and the sender's signature check out."""
    refusal = "the bundle is damaged or truncated: nothing applied"
    try:
        padded = unseal(bundle_key(members_key), parsed.body, parsed.header + parsed.stanza)
        (n,) = _LEN.unpack_from(padded)
        payload_bytes, signature = msgspec.msgpack.decode(padded[_LEN.size : _LEN.size + n])
        payload = msgspec.msgpack.decode(payload_bytes, type=Payload)
    except (SealBroken, struct.error, ValueError, TypeError, msgspec.DecodeError) as exc:
        raise BundleError(refusal) from exc
    if not verify(payload.sender, _signed(parsed.header, parsed.stanza, payload_bytes), signature):
        raise BundleError("the bundle's signature does not match its sender: nothing applied")
    return payload, digest(parsed.header + parsed.stanza + payload_bytes)
