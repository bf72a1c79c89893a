"""Burmese text: Zawgyi detection and conversion on the shared pairs, the Shan/Karen/Mon
guard, short strings and names, digits, and look-alike folding."""

from __future__ import annotations

import csv
import math
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fieldledger.errors import ValidationError
from fieldledger.intake import zawgyi
from fieldledger.intake.burmese import (
    CONVERT_ABOVE,
    BurmeseText,
    fold_digits_in_id,
    fold_for_matching,
    fold_id,
    normalise,
    parse_int,
    to_burmese_digits,
)

DATA = Path(__file__).parent.parent / "data" / "zawgyi"

# Measured by benchmarks/zawgyi_accuracy.py (docs/burmese.md), minus a margin.
# converter: (pairs right after NFC 190 | 114 of 192, normalise() right 185 | 109 of 192,
#             single Zawgyi words right 94.2 % | 87.6 %)
FLOORS = {"icu": (0.97, 0.94, 0.92), "python-myanmar": (0.55, 0.52, 0.85)}


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def read_pairs() -> list[dict[str, str]]:
    with (DATA / "zawgyi_unicode_pairs.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


PAIRS = read_pairs()


@pytest.fixture(params=list(zawgyi.available_converters()))
def only_converter(request, monkeypatch) -> str:
    """Run the test with one converter, as on a machine where only it is installed."""
    run = zawgyi.available_converters()[request.param]
    monkeypatch.setattr(zawgyi, "available_converters", lambda: {request.param: run})
    return request.param


def test_the_pair_set_is_the_shared_one():
    assert len(PAIRS) == 192
    assert {p["source"] for p in PAIRS} == {"google-udhr", "google-mmgov", "python-myanmar",
                                            "rabbit"}


def test_icu_is_preferred_when_installed():
    names = list(zawgyi.available_converters())
    assert names[-1] == "python-myanmar"
    assert zawgyi.converter_name() == names[0]


def test_converter_accuracy_on_pairs(only_converter):
    run = zawgyi.available_converters()[only_converter]
    right = sum(nfc(run(p["zawgyi"])) == nfc(p["unicode"]) for p in PAIRS)
    assert right / len(PAIRS) >= FLOORS[only_converter][0]


def test_normalise_on_pairs(only_converter):
    right = 0
    for p in PAIRS:
        # Unicode must never be changed beyond NFC: a wrong conversion is silent.
        assert normalise(p["unicode"]).text == nfc(p["unicode"]), p["id"]
        result = normalise(p["zawgyi"])
        assert result.original == p["zawgyi"]
        right += result.text == nfc(p["unicode"])
    assert right / len(PAIRS) >= FLOORS[only_converter][1]


def test_detector_never_sends_a_unicode_side_to_conversion():
    assert max(zawgyi.detect(p["unicode"]) for p in PAIRS) <= CONVERT_ABOVE
    converted = sum(zawgyi.detect(p["zawgyi"]) > CONVERT_ABOVE for p in PAIRS)
    assert converted >= 182  # 187 measured


def test_detector_matches_the_myanmar_tools_fixture():
    for line in (DATA / "myanmartools_compatibility.tsv").read_text("utf-8").splitlines():
        expected, text = line.split("\t", 1)
        wanted = float(expected) if math.isfinite(float(expected)) else 0.0
        assert zawgyi.detect(text) == pytest.approx(wanted, rel=1e-9, abs=1e-12), text


def test_statuses_and_thresholds():
    assert normalise("hello") == BurmeseText("hello", "hello", 0.0, "not-burmese")
    converted = normalise("ေၾကညာ")
    assert (converted.text, converted.status) == ("ကြေညာ", "converted")
    assert converted.score > CONVERT_ABOVE
    unicode = normalise("ကြေညာ")
    assert (unicode.text, unicode.status) == ("ကြေညာ", "unicode")


def test_unicode_is_stored_nfc_and_the_original_kept():
    typed = "ပြုမည\u103a\u1037 အကြောင်း"  # asat before dot below, as in the UDHR source
    result = normalise(typed)
    assert result.status == "unicode"
    assert result.original == typed
    assert result.text == "ပြုမည\u1037\u103a အကြောင်း"


def test_converter_leftovers_go_to_review(monkeypatch):
    # A converter that leaves a Zawgyi glyph (U+1093 stacked bha) behind is not trusted.
    monkeypatch.setattr(zawgyi, "available_converters", lambda: {"stub": lambda t: "က\u1093"})
    result = normalise("ေၾကညာ")
    assert (result.text, result.status) == ("ေၾကညာ", "review")


# --- Shan, Karen, Mon: written by hand in Unicode; each must come back exactly as typed.

SHAN = ["မိူင်းတႆး", "လိၵ်ႈတႆး", "ၵႂၢမ်းတႆး", "မႂ်ႇသုင်ၶႃႈ", "ၸဝ်ႈ", "ၶႃႈ", "ယူႇလီ", "ၼမ်ႉ",
        "႑႒႓"]
KAREN = ["တၢ်ဂ့ၤ", "ပှၤကညီ", "ဘၣ်", "ဟီၣ်ခိၣ်", "တၢ်အိၣ်ဆူၣ်"]
MON = ["ဍုၚ်မန်", "ကၠုၚ်", "ၜါ", "ကဵု"]


@pytest.mark.parametrize("text", SHAN + KAREN + MON)
def test_other_languages_are_left_as_typed(text):
    assert zawgyi.other_language(text) is not None
    assert normalise(text) == BurmeseText(text, text, normalise(text).score, "other-language")


@pytest.mark.parametrize("text", ["ကညီ", "ကျိာ်", "ဘာသာမန်", "ပ္ဍဲ"])
def test_other_languages_in_burmese_letters_are_not_changed(text):
    # Karen and Mon words spelled only with letters Burmese shares: no rule can tell, but
    # the detector does not take them for Zawgyi, so they are never converted.
    assert normalise(text).text == text


def test_a_shan_name_inside_zawgyi_keeps_the_whole_text_as_typed():
    text = "ေက်းရြာ ၵႂၢမ်းတႆး"
    assert normalise(text).status == "other-language"
    assert normalise(text).text == text


def test_the_guard_never_fires_on_burmese():
    fired = [p["id"] for p in PAIRS for side in ("unicode", "zawgyi")
             if zawgyi.other_language(p[side])]
    assert fired == []


# --- Short strings and names: the detector has a few syllables to go on.

NAMES = [("ေအာင္ေအာင္", "အောင်အောင်"), ("ခင္ခင္ေအး", "ခင်ခင်အေး"), ("ျမင့္ျမင့္", "မြင့်မြင့်"),
         ("ေက်ာ္ေက်ာ္", "ကျော်ကျော်"), ("ဦးေမာင္ေမာင္", "ဦးမောင်မောင်"), ("ေဒၚႏု", "ဒေါ်နု"),
         ("ႏု", "နု"), ("မႏၲေလး", "မန္တလေး"), ("လိႈင္သာယာ", "လှိုင်သာယာ")]


@pytest.mark.parametrize(("typed", "wanted"), NAMES)
def test_short_names(typed, wanted):
    assert normalise(typed).text == wanted
    assert normalise(wanted) == BurmeseText(wanted, wanted, normalise(wanted).score, "unicode")


@pytest.mark.parametrize("text", ["စုစု", "ကညီ", "သူ", "က", "ဦး", "လူ၏", "၅၂၀"])
def test_text_the_same_in_both_encodings_is_never_changed(text):
    assert normalise(text).text == text


def test_short_zawgyi_that_scores_doubtful_is_reviewed_not_guessed():
    result = normalise("မဂၤလာပါ")  # scores 0.54
    assert (result.text, result.status) == ("မဂၤလာပါ", "review")


def test_unicode_that_scores_as_zawgyi_is_not_mangled():
    # A Unicode word with a Pali stack scores 1.0; converting it would mangle it.
    result = normalise("မေတ္တာထား၍")
    assert result.score > CONVERT_ABOVE
    assert result.text == "မေတ္တာထား၍"


def test_single_words_from_the_pairs(only_converter):
    unicode_words = {w for p in PAIRS for w in p["unicode"].split() if zawgyi.MYANMAR.search(w)}
    changed = [w for w in unicode_words if normalise(w).text != nfc(w)]
    assert len(changed) <= 2  # 0 with ICU, 1 with python-myanmar, of 1,316
    right = total = 0
    for p in PAIRS:
        typed, wanted = p["zawgyi"].split(), p["unicode"].split()
        if len(typed) == len(wanted):
            for z, u in zip(typed, wanted, strict=True):
                if zawgyi.MYANMAR.search(z):
                    total += 1
                    right += normalise(z).text == nfc(u)
    assert right / total >= FLOORS[only_converter][2]


# --- Digits.


@given(st.integers())
def test_any_int_round_trips(n):
    assert parse_int(to_burmese_digits(n)) == n
    assert parse_int(f"  {to_burmese_digits(n)}\t") == n


@given(st.integers(min_value=0), st.data())
def test_mixed_digits_parse(n, data):
    mixed = "".join(data.draw(st.sampled_from([c, to_burmese_digits(int(c))])) for c in str(n))
    assert parse_int(mixed) == n


def test_parse_int_examples():
    assert parse_int(" ၁2၃ ") == 123
    assert parse_int("-၀၀၅") == -5
    assert to_burmese_digits(2024) == "၂၀၂၄"


@pytest.mark.parametrize("text", ["", " ", "၁.၅", "1_000", "๑๒", "႑႒", "１２", "ဝ", "၁၂ ၃", "abc"])
def test_parse_int_refuses(text):
    with pytest.raises(ValidationError) as caught:
        parse_int(text)
    assert repr(text) in str(caught.value)


# --- Look-alikes.


def test_fold_for_matching_pairs():
    assert fold_for_matching("၀") == fold_for_matching("ဝ") == "ဝ"
    assert fold_for_matching("၄င်း") == fold_for_matching("၎င်း") == "၎င်း"
    assert fold_for_matching("ဉာဏ်") == fold_for_matching("ဥာဏ်") == "ဥာဏ်"
    assert fold_for_matching("ဦး") == "ဦး"
    assert fold_for_matching("\u1009\u102e") == "ဦ"  # ဉ + ီ folds to the precomposed ဦ
    assert fold_for_matching("ဝင်းဝင်း") == fold_for_matching("၀င်း၀င်း")


@given(st.text(alphabet=st.characters(min_codepoint=0x1000, max_codepoint=0x109F)))
def test_fold_for_matching_is_idempotent(text):
    once = fold_for_matching(text)
    assert fold_for_matching(once) == once


@pytest.mark.parametrize(("typed", "folded"), [
    ("၁၂/ဥကတ(နိုင်)၁ဝ၄၅၆၀", "12/ဥကတ(နိုင်)104560"),
    ("၁ဝဝ", "100"),
    ("HH-၀၀၁၂", "HH-0012"),
    ("၁၂၎၅", "1245"),
    ("၉/၀ခမ(နိုင်)၁၂", "9/ဝခမ(နိုင်)12"),  # ၀ next to ခ is the letter wa (Wakema)
    ("ဝခမ", "ဝခမ"),
])
def test_fold_digits_in_id(typed, folded):
    assert fold_digits_in_id(typed) == folded


@given(st.integers(min_value=0))
def test_fold_digits_in_id_on_numbers(n):
    assert fold_digits_in_id(to_burmese_digits(n)) == str(n)


def test_fold_id_matches_look_alike_ids():
    assert fold_id("၁၂/ဉကတ(နိုင်)၁ဝ၃") == fold_id("12/ဥကတ(နိုင်)103")
