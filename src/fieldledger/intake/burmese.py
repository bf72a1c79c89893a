"""Burmese text as typed into fieldledger: encoding, digits and look-alike letters.

`normalise` decides what is stored for a piece of typed text: Unicode text is NFC-normalised,
Zawgyi is converted, doubtful text is kept as typed for a coordinator to review, and Shan,
Karen or Mon text is never touched. The original always travels with the stored text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

from fieldledger.errors import ValidationError
from fieldledger.intake import zawgyi

# Above this Zawgyi probability text is converted; below KEEP_BELOW it is taken as Unicode.
# In between it is kept as typed and reviewed. Measured on the shared pairs: 187/192
# Zawgyi sides score above 0.95 and no Unicode side does (docs/burmese.md).
CONVERT_ABOVE = 0.95
KEEP_BELOW = 0.05

Status = Literal["unicode", "converted", "review", "other-language", "not-burmese"]


@dataclass(frozen=True, slots=True)
class BurmeseText:
    """What to store for one piece of typed text, and how it was decided.

    `text` is what fieldledger stores and shows; `original` is exactly what was typed, kept
    beside it (encrypted like everything else) so a wrong conversion can be undone.
    """

    text: str
    original: str
    score: float  # Zawgyi probability from myanmartools, 0.0 when there is no Burmese
    status: Status


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def normalise(text: str) -> BurmeseText:
    """Decide what to store for `text`. Never asks anyone: doubtful text gets "review"."""
    if not zawgyi.MYANMAR.search(text):
        return BurmeseText(_nfc(text), text, 0.0, "not-burmese")
    score = zawgyi.detect(text)
    if zawgyi.other_language(text) is not None:
        return BurmeseText(text, text, score, "other-language")
    if score > CONVERT_ABOVE:
        converted = zawgyi.convert(text)
        if converted is None or _still_zawgyi(text, converted):
            return BurmeseText(text, text, score, "review")
        return BurmeseText(_nfc(converted), text, score, "converted")
    if score >= KEEP_BELOW:
        return BurmeseText(text, text, score, "review")
    return BurmeseText(_nfc(text), text, score, "unicode")


def _still_zawgyi(typed: str, converted: str) -> bool:
    # A real conversion yields Unicode, which scores low. Unicode misread as Zawgyi (short
    # words with a Pali stack, like မေတ္တာ) comes out mangled and still scores high: one
    # word in 1,316 of the pairs did, while 1 correct conversion in 1,578 also does.
    changed = _nfc(converted) != _nfc(typed)
    return changed and zawgyi.detect(converted) > CONVERT_ABOVE


_BURMESE_DIGITS = "၀၁၂၃၄၅၆၇၈၉"
_TO_ASCII = str.maketrans(_BURMESE_DIGITS, "0123456789")
_TO_BURMESE = str.maketrans("0123456789", _BURMESE_DIGITS)
# Only these digits: int() alone would also take Thai, Shan, full-width digits and "1_000".
_INTEGER = re.compile("[+-]?[0-9၀-၉]+")


def parse_int(text: str) -> int:
    """A whole number written in Burmese or ASCII digits (or a mix), spaces around allowed."""
    stripped = text.strip()
    if not _INTEGER.fullmatch(stripped):
        shown = text if len(text) <= 40 else text[:40] + "…"
        raise ValidationError(f"{shown!r} is not a whole number: use digits 0-9 or ၀-၉")
    return int(stripped.translate(_TO_ASCII))


def to_burmese_digits(n: int) -> str:
    """`n` written in Burmese digits, for display (-12 → "-၁၂")."""
    return str(n).translate(_TO_BURMESE)


# Look-alikes, each folded to one form for matching: the letter wa for ၀/ဝ, the symbol ၎ for
# ၄/၎, the vowel ဥ for ဉ/ဥ. The letter forms are the ones names and places are spelled
# with, and ဥ keeps ဦး (U+1026, which decomposes to ဥ + ီ) unchanged.
_LOOKALIKES = str.maketrans({"\u1040": "\u101d", "\u1044": "\u104e", "\u1009": "\u1025"})


def fold_for_matching(text: str) -> str:
    """`text` with each look-alike pair (၀/ဝ, ၄/၎, ဉ/ဥ) folded to one form, NFC.

    For comparing names and places only, never for storing: it turns the digits ၀ and ၄
    into letters. Decomposing first lets ဉ inside a precomposed letter fold too.
    """
    return _nfc(unicodedata.normalize("NFD", text).translate(_LOOKALIKES))


# A run of digits and the letters typed for digits (ဝ for ၀, ၎ for ၄).
_DIGIT_RUN = re.compile("[0-9၀-၉\u101d\u104e]+")
_IN_WORD = re.compile("[\u1000-\u103f\u1050-\u109f]")
_DIGIT_FOR = {"\u101d": "0", "\u104e": "4"}
_LETTER_FOR = {"\u1040": "\u101d", "\u101d": "\u101d", "\u1044": "\u104e", "\u104e": "\u104e"}


def fold_digits_in_id(text: str) -> str:
    """`text` (an ID such as an NRC number) with every digit in ASCII, and ဝ/၎ typed among
    digits read as 0/4: "၁၂/ဥကတ(နိုင်)၁ဝ၄၅၆၀" → "12/ဥကတ(နိုင်)104560".

    A look-alike at the edge of a run that touches a Myanmar letter is read as the letter
    (ICU's Zawgyi rules decide the same way), so "၉/၀ခမ" keeps ဝခမ (Wakema).
    """

    def fold(match: re.Match[str]) -> str:
        run = match.group()
        if not any(c.isdigit() for c in run):
            return run
        before = text[match.start() - 1] if match.start() > 0 else ""
        after = text[match.end()] if match.end() < len(text) else ""
        out = []
        for i, char in enumerate(run):
            touches_letter = (i == 0 and _IN_WORD.match(before)) or (
                i == len(run) - 1 and _IN_WORD.match(after)
            )
            if touches_letter and char in _LETTER_FOR:
                out.append(_LETTER_FOR[char])
            else:
                out.append(_DIGIT_FOR.get(char, char).translate(_TO_ASCII))
        return "".join(out)

    return _DIGIT_RUN.sub(fold, text)


def fold_id(text: str) -> str:
    """The key to compare ID fields by: digits folded, then look-alike letters folded."""
    return fold_for_matching(fold_digits_in_id(text))
