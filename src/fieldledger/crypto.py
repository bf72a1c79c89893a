"""The few cryptographic primitives everything else is built from.

One AEAD (XChaCha20-Poly1305 from libsodium: random 192-bit nonces are safe, so no nonce
state has to survive a crash), one hash (BLAKE2b-256), one signature scheme (Ed25519).
"""

from __future__ import annotations

import hashlib
import os

from nacl import bindings as _sodium

KEY_BYTES = 32
NONCE_BYTES = _sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES  # 24
TAG_BYTES = _sodium.crypto_aead_xchacha20poly1305_ietf_ABYTES  # 16
SEAL_OVERHEAD = NONCE_BYTES + TAG_BYTES

_encrypt = _sodium.crypto_aead_xchacha20poly1305_ietf_encrypt
_decrypt = _sodium.crypto_aead_xchacha20poly1305_ietf_decrypt


class SealBroken(Exception):
    """A sealed blob did not authenticate (wrong key, wrong context, or altered bytes).

    Internal: callers turn it into the error that fits their situation.
    """


def random_bytes(n: int) -> bytes:
    return os.urandom(n)


def new_key() -> bytes:
    return os.urandom(KEY_BYTES)


def seal(key: bytes, plaintext: bytes, ad: bytes = b"") -> bytes:
    """Encrypt and authenticate; returns nonce || ciphertext || tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + _encrypt(plaintext, ad, nonce, key)


def seal_deterministic(key: bytes, plaintext: bytes, ad: bytes = b"") -> bytes:
    """Like `seal`, with the nonce derived from key, ad and plaintext (SIV-style).

    The same input always gives the same bytes, so a holder of the key can rebuild the
    ciphertext from the plaintext: sync sends event bodies compressed as plaintext inside
    one sealed bundle and the receiver recomputes the exact signed bytes. Only equal
    (ad, plaintext) pairs give equal output, and an event's ad is unique to its place.
    """
    nonce_key = hashlib.blake2b(b"deterministic nonce", key=key, digest_size=32).digest()
    nonce = hashlib.blake2b(
        len(ad).to_bytes(4, "big") + ad + plaintext, key=nonce_key, digest_size=NONCE_BYTES
    ).digest()
    return nonce + _encrypt(plaintext, ad, nonce, key)


def unseal(key: bytes, blob: bytes, ad: bytes = b"") -> bytes:
    if len(blob) < SEAL_OVERHEAD:
        raise SealBroken("too short")
    try:
        return _decrypt(blob[NONCE_BYTES:], ad, blob[:NONCE_BYTES], key)
    except Exception as exc:  # libsodium raises nacl.exceptions.CryptoError
        raise SealBroken("does not authenticate") from exc


def digest(data: bytes) -> bytes:
    """BLAKE2b-256: event hashes, chain links."""
    return hashlib.blake2b(data, digest_size=32).digest()


def derive(key: bytes, purpose: str) -> bytes:
    """A subkey for one purpose, so one secret never serves two uses."""
    return hashlib.blake2b(purpose.encode(), key=key, digest_size=32).digest()


def sign_key_pair(seed: bytes) -> tuple[bytes, bytes]:
    """Ed25519 (public key, secret key) from a 32-byte seed."""
    return _sodium.crypto_sign_seed_keypair(seed)


def sign(secret_key: bytes, message: bytes) -> bytes:
    return _sodium.crypto_sign(message, secret_key)[:64]


def verify(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        _sodium.crypto_sign_open(signature + message, public_key)
    except Exception:
        return False
    return True


def box_public_key(seed: bytes) -> bytes:
    """X25519 public key for a 32-byte secret (used to seal keys to a device)."""
    return _sodium.crypto_scalarmult_base(seed)
