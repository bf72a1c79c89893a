"""Passphrases as people type them: normalised, and checked before they guard anything."""

from __future__ import annotations

import unicodedata

from fieldledger.errors import WeakPassphrase

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: "safely unguessable: moderate protection from offline slow-hash"
MIN_WORDS_OTHER_SCRIPTS = 5
MIN_LENGTH_OTHER_SCRIPTS = 20


def _mostly_unmodelled_script(text: str) -> bool:
    letters = [c for c in text if c.isalpha() or unicodedata.category(c).startswith("M")]
    latin = sum(1 for c in letters if c.isascii())
    return bool(letters) and latin < len(letters) / 2


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
    if _mostly_unmodelled_script(text):
        # zxcvbn's dictionaries are English: it rates a common Burmese greeting as strong.
        # Ask for several words instead, counted by spaces.
        words = [w for w in text.split() if len(w) >= 2]
        if len(words) < MIN_WORDS_OTHER_SCRIPTS or len(text) < MIN_LENGTH_OTHER_SCRIPTS:
            raise WeakPassphrase(
                f"use at least {MIN_WORDS_OTHER_SCRIPTS} unrelated words separated by spaces "
                f"(at least {MIN_LENGTH_OTHER_SCRIPTS} characters); a saying or greeting is "
                "easy to guess"
            )
        return
    from zxcvbn import zxcvbn

    result = zxcvbn(text[:100])
    if result["score"] < MIN_SCORE:
        hint = (result.get("feedback") or {}).get("warning") or "it is too easy to guess"
        raise WeakPassphrase(
            f"the passphrase is too weak ({hint.rstrip('.')}): add more unrelated words"
        )
