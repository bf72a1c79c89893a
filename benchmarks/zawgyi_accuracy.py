"""Accuracy of Zawgyi detection and conversion on the shared pairs (tests/data/zawgyi/).

For each converter that loads here (ICU's `Zawgyi-my` through PyICU, python-myanmar):
exact matches after NFC-normalising both sides, per source. For the detector: how the
Unicode and the Zawgyi side of each pair fall around the thresholds 0.05 / 0.95, and
agreement with myanmar-tools' own compatibility fixture. Then what `normalise` does end to
end, on whole texts and on single words, and whether the Shan/Karen/Mon guard fires on any
pair (it must not). Figures only, no budget: docs/burmese.md records them.

    /tmp/venv/bin/python benchmarks/zawgyi_accuracy.py [--data tests/data/zawgyi]
"""

from __future__ import annotations

import argparse
import csv
import math
import unicodedata
from collections import Counter
from pathlib import Path

from fieldledger.intake import burmese, zawgyi

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "zawgyi"


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def pct(hits: int, total: int) -> str:
    return f"{hits}/{total} ({100 * hits / total:.1f} %)"


def read_pairs(data: Path) -> list[dict[str, str]]:
    with (data / "zawgyi_unicode_pairs.tsv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def converters(pairs: list[dict[str, str]]) -> None:
    sources = Counter(p["source"] for p in pairs)
    for name, run in zawgyi.available_converters().items():
        hits: Counter[str] = Counter()
        raw = 0
        for p in pairs:
            out = run(p["zawgyi"])
            raw += out == p["unicode"]
            hits[p["source"]] += nfc(out) == nfc(p["unicode"])
        per_source = ", ".join(f"{s} {hits[s]}/{n}" for s, n in sources.items())
        print(f"converter {name}: NFC exact {pct(sum(hits.values()), len(pairs))}"
              f" [{per_source}]; without NFC {raw}/{len(pairs)}")
    print(f"normalise() uses: {zawgyi.converter_name()}")


def detector(pairs: list[dict[str, str]], data: Path) -> None:
    low, high = burmese.KEEP_BELOW, burmese.CONVERT_ABOVE
    for side in ("unicode", "zawgyi"):
        scores = [zawgyi.detect(p[side]) for p in pairs]
        below = sum(s < low for s in scores)
        above = sum(s > high for s in scores)
        right = below if side == "unicode" else above
        print(f"detector on {side} sides: < {low} {below}, review {len(scores) - below - above},"
              f" > {high} {above}; right without review {pct(right, len(scores))}")
    agree = total = 0
    with (data / "myanmartools_compatibility.tsv").open(encoding="utf-8") as f:
        for line in f:
            expected, text = line.rstrip("\n").split("\t", 1)
            got = zawgyi._detector().get_zawgyi_probability(text)
            agree += got == float(expected) or math.isclose(got, float(expected), rel_tol=1e-9)
            total += 1
    print(f"detector vs myanmar-tools compatibility fixture: {pct(agree, total)}")


def end_to_end(pairs: list[dict[str, str]]) -> None:
    for side in ("unicode", "zawgyi"):
        statuses: Counter[str] = Counter()
        right = 0
        for p in pairs:
            result = burmese.normalise(p[side])
            statuses[result.status] += 1
            right += result.text == nfc(p["unicode"])
        print(f"normalise() on {side} sides: stored text right {pct(right, len(pairs))};"
              f" {dict(statuses)}")
    guarded = [p["id"] for p in pairs for side in ("unicode", "zawgyi")
               if zawgyi.other_language(p[side])]
    print(f"other-language guard fired on pairs: {len(guarded)} {guarded[:5]}")


def words(pairs: list[dict[str, str]]) -> None:
    """Single words, where the detector has little to go on (names are this short)."""
    unicode_words = {w for p in pairs for w in p["unicode"].split() if zawgyi.MYANMAR.search(w)}
    changed = [w for w in unicode_words if burmese.normalise(w).text != nfc(w)]
    print(f"single Unicode words changed by normalise(): {len(changed)}/{len(unicode_words)}"
          f" {sorted(changed)[:5]}")
    outcome: Counter[str] = Counter()
    for p in pairs:
        typed, wanted = p["zawgyi"].split(), p["unicode"].split()
        if len(typed) != len(wanted):
            continue  # words cannot be paired up
        for z, u in zip(typed, wanted, strict=True):
            if not zawgyi.MYANMAR.search(z):
                continue
            result = burmese.normalise(z)
            right = result.text == nfc(u)
            outcome["review" if result.status == "review" else "right" if right else "wrong"] += 1
    total = sum(outcome.values())
    print(f"single Zawgyi words (aligned): right {pct(outcome['right'], total)},"
          f" review {outcome['review']}, wrong {outcome['wrong']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    pairs = read_pairs(args.data)
    print(f"zawgyi_accuracy: {len(pairs)} pairs from {args.data}")
    converters(pairs)
    detector(pairs, args.data)
    end_to_end(pairs)
    words(pairs)


if __name__ == "__main__":
    main()
