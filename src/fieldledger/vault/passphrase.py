"""Passphrases as people type them: normalised, and checked before they guard anything."""

from __future__ import annotations

import unicodedata

from fieldledger.errors import WeakPassphrase

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline slow-hash"


def normalise(passphrase: str) -> bytes:
    """NFC, so the same words typed on a phone keyboard and a laptop open the same slot."""
    text = unicodedata.normalize("NFC", passphrase)
    if not text:
        raise WeakPassphrase("the passphrase is empty")
    return text.encode("utf-8")


def check_strength(passphrase: str) -> None:
    """Refuse a new passphrase an attacker with the disk could guess.

    Burmese passphrases are counted in characters, not bytes: a phrase of several Burmese
    words is long in UTF-8 but not necessarily hard to guess.
    """
    text = unicodedata.normalize("NFC", passphrase)
    if len(text) < MIN_LENGTH:
        raise WeakPassphrase(
            f"the passphrase is too short: use at least {MIN_LENGTH} characters, "
            "for example four or five unrelated words"
        )
    from zxcvbn import zxcvbn

    result = zxcvbn(text[:100])
    if result["score"] < MIN_SCORE:
        hint = (result.get("feedback") or {}).get("warning") or "it is too easy to guess"
        raise WeakPassphrase(
            f"the passphrase is too weak ({hint.rstrip('.')}): add more unrelated words"
        )
