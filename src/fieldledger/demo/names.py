"""Synthetic personal names, as people in Myanmar write them on forms.

A name is kept as tokens (an honorific and name syllables), so the same person can be written
again another way: in Myanmar script or romanised, with another spelling of a syllable
(Aung/Aong, Myint/Mying, Htun/Tun), with another honorific or none, or in Zawgyi. The partner
registrations (`partner.py`) use that to re-register people the way a second organisation
would. Karen, Kachin and Chin names are written romanised only: their Myanmar-script
spellings vary too much to invent.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

# token -> (Myanmar script, romanised spellings; the first is the most common)
SYLLABLES: dict[str, tuple[str, tuple[str, ...]]] = {
    "aung": ("အောင်", ("Aung", "Aong")),
    "myint": ("မြင့်", ("Myint", "Mying", "Myin")),
    "htun": ("ထွန်း", ("Htun", "Tun", "Htoon")),
    "kyaw": ("ကျော်", ("Kyaw", "Kyaw", "Kyau", "Jaw")),
    "zaw": ("ဇော်", ("Zaw", "Zau")),
    "than": ("သန်း", ("Than", "Thann")),
    "win": ("ဝင်း", ("Win", "Winn")),
    "hla": ("လှ", ("Hla", "Hlaa")),
    "mya": ("မြ", ("Mya", "Myah")),
    "su": ("စု", ("Su", "Soo")),
    "nwe": ("နွယ်", ("Nwe", "Nway")),
    "khin": ("ခင်", ("Khin", "Khinn")),
    "mar": ("မာ", ("Mar", "Mah")),
    "sandar": ("စန္ဒာ", ("Sandar", "Sanda")),
    "thida": ("သီတာ", ("Thida", "Thidar")),
    "phyo": ("ဖြိုး", ("Phyo", "Pyo", "Phyoe")),
    "naing": ("နိုင်", ("Naing", "Nai")),
    "htet": ("ထက်", ("Htet", "Tet")),
    "min": ("မင်း", ("Min", "Minn")),
    "swe": ("ဆွေ", ("Swe", "Sway")),
    "yu": ("ယု", ("Yu",)),
    "hein": ("ဟိန်း", ("Hein", "Hain")),
    "paing": ("ပိုင်", ("Paing",)),
    "cho": ("ချို", ("Cho", "Kyo")),
    "aye": ("အေး", ("Aye", "Ei")),
    "zin": ("ဇင်", ("Zin", "Zinn")),
    "moe": ("မိုး", ("Moe", "Mo")),
    "thu": ("သူ", ("Thu",)),
    "yee": ("ရည်", ("Yee", "Yi")),
    "lwin": ("လွင်", ("Lwin", "Lwinn")),
    "thein": ("သိန်း", ("Thein", "Thien")),
    "soe": ("စိုး", ("Soe", "So")),
    "kham": ("ခမ်း", ("Kham", "Hkam")),
    "hlaing": ("လှိုင်", ("Hlaing", "Hlaig")),
}
_MALE = (
    "aung",
    "myint",
    "htun",
    "kyaw",
    "zaw",
    "than",
    "win",
    "phyo",
    "naing",
    "htet",
    "min",
    "hein",
    "paing",
    "thein",
    "soe",
    "lwin",
    "hlaing",
    "moe",
    "thu",
    "kham",
)
_FEMALE = (
    "hla",
    "mya",
    "su",
    "nwe",
    "khin",
    "mar",
    "sandar",
    "thida",
    "yu",
    "cho",
    "aye",
    "zin",
    "moe",
    "thu",
    "yee",
    "lwin",
    "hlaing",
    "win",
    "myint",
    "kham",
    "htet",
)

# Romanised-only names: each entry is one name's spellings.
_KAREN = (
    ("Eh Kaw Htoo", "Eh Kaw Htu"),
    ("Paw Htoo", "Paw Htu"),
    ("Say Say", "Sey Sey"),
    ("Htoo Wah", "Htu Wa"),
    ("Eh Moo", "Eh Mu"),
    ("Ler Htoo", "Lah Htoo"),
    ("Hser Nay", "Hser Ney"),
    ("Mu Naw", "Moo Naw"),
    ("Ku Htoo", "Khu Htoo"),
    ("Pah Poe", "Pa Po"),
    ("Eh Htee", "Eh Hti"),
    ("Nay Blut", "Ney Blut"),
)
_KACHIN_CLAN = (("Lahpai", "La Hpai"), ("Marip",), ("Maran",), ("Nhkum", "N'Hkum"), ("Lashi",))
_KACHIN_GIVEN = (
    ("Brang Seng",),
    ("Seng Nu", "Seng Noo"),
    ("Hkawn Tawng", "Kawn Tawng"),
    ("Ja Seng",),
    ("Zau Tu", "Zau Htu"),
    ("Roi Ji",),
    ("Lu Awng", "Lu Aung"),
)
_CHIN = (
    ("Van Lal", "Vanlal"),
    ("Sui Hnem", "Sui Nem"),
    ("Cung Lian", "Tung Lian"),
    ("Par Tha",),
    ("Thang Za", "Thangza"),
    ("Ngun Hlei", "Ngun Hley"),
    ("Za Bik",),
    ("Biak Thang", "Biakthang"),
    ("Sang Kim",),
    ("Lal Remsiami", "Lalremsiami"),
)

# Honorifics: Myanmar script, romanised.
HONORIFICS: dict[str, tuple[str, str]] = {
    "u": ("ဦး", "U"),
    "daw": ("ဒေါ်", "Daw"),
    "ko": ("ကို", "Ko"),
    "ma": ("မ", "Ma"),
    "maung": ("မောင်", "Maung"),
    "naw": ("နော်", "Naw"),
    "saw": ("စော", "Saw"),
    "sai": ("စိုင်း", "Sai"),
    "nang": ("နန်း", "Nang"),
    "khun": ("ခွန်", "Khun"),
}

PEOPLES = ("bamar", "karen", "shan", "kachin", "chin", "pao")
# Which peoples a household in a state/region is drawn from: Kayah, Kayin, Chin, Sagaing.
PEOPLE_WEIGHTS = {
    "MMR002": (40, 25, 20, 5, 0, 10),
    "MMR003": (25, 70, 0, 0, 0, 5),
    "MMR004": (10, 0, 0, 0, 90, 0),
    "MMR005": (80, 0, 8, 7, 5, 0),
}


@dataclass(frozen=True, slots=True)
class Name:
    """One person's name: who they are, and how it was written this time.

    `tokens` are syllable keys (Bamar, Shan, Pa-O names) or, for romanised-only names,
    indexes into their tables with one spelling chosen per part (`spellings`)."""

    people: str
    honorific: str | None
    tokens: tuple[str, ...]
    spellings: tuple[int, ...]
    script: str  # "my" (Myanmar Unicode), "zawgyi", or "en" (romanised)
    show_honorific: bool = True

    @property
    def writable_in_myanmar(self) -> bool:
        return self.people in ("bamar", "shan", "pao")

    def text(self) -> str:
        honorific = self.honorific if self.show_honorific else None
        if self.writable_in_myanmar and self.script in ("my", "zawgyi"):
            words = [HONORIFICS[honorific][0]] if honorific else []
            words += [SYLLABLES[t][0] for t in self.tokens]
            written = "".join(words)
            return to_zawgyi(written) if self.script == "zawgyi" else written
        words = [HONORIFICS[honorific][1]] if honorific else []
        words += [_spelling(t, s) for t, s in zip(self.tokens, self.spellings, strict=True)]
        return " ".join(words)


def _spelling(token: str, index: int) -> str:
    if token in SYLLABLES:
        options = SYLLABLES[token][1]
    else:
        table, n = token.split(":")
        options = _TABLES[table][int(n)]
    return options[index % len(options)]


_TABLES = {"karen": _KAREN, "clan": _KACHIN_CLAN, "kachin": _KACHIN_GIVEN, "chin": _CHIN}


def _honorific(rng: random.Random, people: str, sex: str, age: int) -> str | None:
    female = sex == "female"
    if people == "karen":
        return "naw" if female else "saw"
    if people == "shan":
        return "nang" if female else "sai"
    if people == "pao":
        return "nang" if female else "khun"
    if people in ("kachin", "chin"):
        return None
    if age >= 40:
        return "daw" if female else "u"
    if age >= 18:
        return "ma" if female else rng.choice(("ko", "ko", "u"))
    return "ma" if female else rng.choice(("maung", "maung", "ko"))


def _pick_spelling(rng: random.Random, n: int) -> int:
    """Mostly the common spelling; sometimes another, as people write their names."""
    return 0 if n == 1 or rng.random() < 0.75 else rng.randrange(1, n)


def new_name(rng: random.Random, people: str, sex: str, age: int, script: str) -> Name:
    """A name for a person of `people`, `sex` and `age`, written in `script`."""
    honorific = _honorific(rng, people, sex, age)
    if people in ("bamar", "shan", "pao"):
        pool = _FEMALE if sex == "female" else _MALE
        tokens = tuple(rng.sample(pool, k=1 if people != "bamar" else rng.choice((2, 2, 3))))
        if people != "bamar" and rng.random() < 0.5:
            tokens += (rng.choice(pool),)
    elif people == "karen":
        tokens = (f"karen:{rng.randrange(len(_KAREN))}",)
    elif people == "kachin":
        tokens = (
            f"clan:{rng.randrange(len(_KACHIN_CLAN))}",
            f"kachin:{rng.randrange(len(_KACHIN_GIVEN))}",
        )
    else:
        tokens = (f"chin:{rng.randrange(len(_CHIN))}",)
    spellings = tuple(_pick_spelling(rng, _count(t)) for t in tokens)
    # Adults are mostly written with their honorific; children less often.
    show = honorific is not None and rng.random() < (0.75 if age >= 18 else 0.4)
    if people in ("karen", "shan", "pao") and honorific is not None:
        show = rng.random() < 0.9
    return Name(people, honorific, tokens, spellings, script, show)


def _count(token: str) -> int:
    if token in SYLLABLES:
        return len(SYLLABLES[token][1])
    table, n = token.split(":")
    return len(_TABLES[table][int(n)])


def written_again(rng: random.Random, name: Name) -> Name:
    """The same person's name as another organisation wrote it: other spellings, another
    honorific or none, sometimes the other script. Tokens never change: it is the same name."""
    spellings = tuple(
        rng.randrange(_count(t)) if rng.random() < 0.5 else s
        for t, s in zip(name.tokens, name.spellings, strict=True)
    )
    honorific, show = name.honorific, name.show_honorific
    roll = rng.random()
    if roll < 0.2:
        show = not show and honorific is not None
    elif roll < 0.35 and honorific in _AGE_SWAP:
        honorific = _AGE_SWAP[honorific]  # Ko written as U, Ma as Daw: a year older, or polite
        show = True
    script = name.script
    if name.writable_in_myanmar and rng.random() < 0.3:
        script = "en" if script != "en" else "my"
    elif script == "zawgyi":
        script = "my"  # the second organisation's phones type Unicode
    return replace(
        name, honorific=honorific, spellings=spellings, script=script, show_honorific=show
    )


_AGE_SWAP = {"ko": "u", "u": "ko", "ma": "daw", "daw": "ma", "maung": "ko"}


def to_zawgyi(text: str) -> str:
    """`text` (Unicode Burmese) as a Zawgyi keyboard would have typed it."""
    from myanmar import converter

    return converter.convert(text, "unicode", "zawgyi")
