"""Zawgyi: detecting it, converting it to Unicode, and refusing to touch other languages.

Zawgyi is a font hack that put Burmese glyphs on Unicode code points, reusing
U+1060–U+1097, which Unicode gives to Shan, Karen, Mon and other languages of Myanmar.
So a converter run on Shan or Karen text destroys it. `other_language` says when text holds
sequences that only those languages write; see docs/burmese.md for the reasoning.

Loading the detector model or the ICU transform takes time, so each is built on first use.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import threading
from collections.abc import Callable
from typing import Any

# Myanmar, Myanmar Extended-A/B/C: any of these makes text "Burmese-script" text.
MYANMAR = re.compile("[\u1000-\u109f\ua9e0-\ua9ff\uaa60-\uaa7f\U000116d0-\U000116ff]")

# Zawgyi-only code points that a correct conversion never leaves behind: Unicode Burmese
# uses none of them, so their presence after converting means the converter gave up.
_ZAWGYI_LEFTOVER = re.compile("[\u1033\u1034\u105a\u1060-\u1097]")

# A letter or sign of the Myanmar blocks (not a digit or punctuation): what makes a
# position "inside a word" for the rules below.
_IN_WORD = "\u1000-\u103f\u1050-\u109f"
_BASE_CONSONANT_ZAWGYI = "\u1000-\u102a\u106a\u106b\u106e\u106f\u1086\u108f-\u1092\u1097"

# (name, pattern). Each pattern matches a sequence that is valid in Shan, Karen or Mon
# Unicode and impossible (or never typed) in Zawgyi. None fires on the 192 Zawgyi or the
# 192 Unicode sides of the shared pair set; docs/burmese.md says why each is safe.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        # Code points Zawgyi never used: Shan A, Mon E, Mon E-above, Mon letters and
        # medials, Shan digits 8-9, Khamti/Aiton tones, Shan symbols, the extended blocks.
        (
            "not-in-zawgyi",
            "[\u1022\u1028\u1035\u105b-\u105f\u1098-\u109f"
            "\ua9e0-\ua9ff\uaa60-\uaa7f\U000116d0-\U000116ff]",
        ),
        # Shan letters (ၵ ၶ ၸ ၼ ...), Sgaw Karen ၡ, Pwo Karen letters start words; in Zawgyi
        # these code points are marks stacked under a consonant and cannot start one.
        (
            "letter-where-zawgyi-has-a-mark",
            f"(?:^|[^{_IN_WORD}])"
            "[\u105a\u1060-\u1069\u106c\u106d\u1070-\u107d\u1085\u1087-\u108e\u1093-\u1096]",
        ),
        # Shan medial wa ႂ, vowels ႃ ႄ and letter ႁ follow their consonant; Zawgyi's
        # medial-ra glyphs on the same code points always come before a consonant.
        (
            "shan-sign-after-consonant",
            f"[\u107e-\u1084](?![\u107e-\u1084\u1031{_BASE_CONSONANT_ZAWGYI}])",
        ),
        # Sgaw Karen ၢ် and ၣ် close most syllables; in Zawgyi that would be a stacked
        # consonant followed by medial ya, an order no Zawgyi keyboard produces.
        ("karen-vowel-with-asat", "[\u1062\u1063]\u103a"),
        # Sgaw Karen tone ၤ follows vowels and medials (ပှၤ, ဂ့ၤ); Zawgyi kinzi on U+1064
        # always directly follows a consonant (or its medial ya).
        ("karen-tone-after-sign", f"[^{_BASE_CONSONANT_ZAWGYI}\u103a]\u1064"),
        # Shan tones after u/uu (ယူႇ); Zawgyi writes ha+u as one ligature glyph instead.
        ("shan-tone-after-u", "[\u102f\u1030\u1033\u1034][\u1087-\u1089]"),
        # Shan final ႆ ends a syllable (တႆး); Zawgyi great-sa on U+1086 is always
        # followed by the consonant of the next syllable (ပႆနာ).
        ("shan-final-y", f"\u1086(?=[\u1038\u103a\u1087-\u108a]|$|[^{_IN_WORD}])"),
        # Mon ၚ closes a syllable with asat (ဍုၚ်); Zawgyi U+105A is already ါ် itself.
        ("mon-nga-with-asat", "\u105a\u103a"),
        # A word made only of Shan digits ႐-႙ (Zawgyi glyphs there are letters and marks
        # that never form a word alone).
        ("shan-digits", f"(?:^|[^{_IN_WORD}])[\u1090-\u1099]{{2,}}(?![{_IN_WORD}])"),
    )
)


def other_language(text: str) -> str | None:
    """The name of the first rule saying `text` is Shan, Karen, Mon or another language
    using code points Zawgyi reused; None when no rule fires."""
    for name, pattern in _RULES:
        if pattern.search(text):
            return name
    return None


@functools.cache
def _detector() -> Any:
    # Imported here: loading the model reads a resource file, work no import should do.
    from myanmartools import ZawgyiDetector

    return ZawgyiDetector()


def detect(text: str) -> float:
    """Probability in [0, 1] that `text` is Zawgyi (myanmartools).

    myanmartools answers -inf for text without Myanmar letters; that is reported as 0.0,
    since "no Burmese" is decided by `MYANMAR`, not by the score. Short strings and names
    score unreliably: a few syllables give the model little to go on (docs/burmese.md).
    """
    score = _detector().get_zawgyi_probability(text)
    return score if math.isfinite(score) else 0.0


def _icu() -> Callable[[str], str]:
    import icu  # PyICU, optional: needs Debian's libicu-dev to build

    transform = icu.Transliterator.createInstance("Zawgyi-my")
    # ICU transliterators are not safe to share between threads; `serve` may be threaded.
    lock = threading.Lock()

    def run(text: str) -> str:
        with lock:
            return transform.transliterate(text)

    return run


def _python_myanmar() -> Callable[[str], str]:
    from myanmar import converter

    return lambda text: converter.convert(text, "zawgyi", "unicode")


@functools.cache
def available_converters() -> dict[str, Callable[[str], str]]:
    """Zawgyi→Unicode converters that can be loaded here, best first.

    ICU's `Zawgyi-my` transform got 190/192 of the shared pairs right, python-myanmar
    114/192 (benchmarks/zawgyi_accuracy.py), so ICU is used whenever PyICU is installed.
    """
    found: dict[str, Callable[[str], str]] = {}
    with contextlib.suppress(ImportError):
        found["icu"] = _icu()
    found["python-myanmar"] = _python_myanmar()
    return found


def converter_name() -> str:
    """Which converter `convert` uses: "icu" or "python-myanmar"."""
    return next(iter(available_converters()))


def convert(text: str) -> str | None:
    """`text` read as Zawgyi, in Unicode (not yet NFC-normalised); None when the converter
    left Zawgyi-only code points behind, so the result cannot be trusted."""
    converted = available_converters()[converter_name()](text)
    return None if _ZAWGYI_LEFTOVER.search(converted) else converted
