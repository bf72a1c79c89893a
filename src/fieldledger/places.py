"""The place gazetteer: MIMU P-codes shipped with the package, and villages a workspace adds.

Levels, coarsest first (`LEVELS`)::

    state_region   MMR013          18, Bago split in two and Shan in three as MIMU does
    district       MMR013D002      84, including self-administered zones (MMR014S001)
    township       MMR013017       358, 330 of them active
    village_tract  MMR013017001    14,047, 13,588 of them active
    village        MMR013017001001 never shipped: a workspace adds its own (`with_places`)

The shipped tables (data/PROVENANCE.md) are read on first use, once per process, and shared by
every `Gazetteer`; the state, district and township table is read without the 14,047 village
tracts, which are read only when a lookup needs them. `Gazetteer.with_places` gives a view that
also knows a workspace's villages; nothing here writes anything.

`resolve` turns what a person typed (a P-code, or an English or Myanmar-script name) into one
`Place`, or raises `ValidationError` naming the value and the nearest places.
"""

from __future__ import annotations

import csv
import difflib
import functools
import gzip
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

from fieldledger.errors import ValidationError

LEVELS = ("state_region", "district", "township", "village_tract", "village")

_LEVEL_WORDS = {
    "state_region": "state/region",
    "district": "district",
    "township": "township",
    "village_tract": "village tract",
    "village": "village",
}


@dataclass(frozen=True, slots=True)
class Place:
    """One place. `parent` is the P-code one level up ("" for a state/region); `active` is
    false for units GAD no longer administers (retired, merged, or N/A in MIMU), which still
    resolve so that old records keep their meaning."""

    pcode: str
    level: str
    name_en: str
    name_mm: str
    parent: str
    active: bool = True


# --- normalisation -------------------------------------------------------------------------

_DIGITS = {ord("၀") + n: str(n) for n in range(10)}
# Ignored when names are compared: spaces, hyphens, zero-width characters and the punctuation
# that MIMU's English names carry ("Bago (East)", "Nga / Htway Soke", "Puta-O").
_IGNORED = dict.fromkeys(map(ord, "-‐‑–—_.,'’()/\u200b\u200c\u200d\ufeff"))
_NAME_TABLE = {**_DIGITS, **_IGNORED}

_PCODE = re.compile(r"MMR[0-9]{3}(?:[DS][0-9]{3}|[0-9]{3}(?:[0-9]{3}){0,2})?", re.ASCII)
_CODE_LIKE = re.compile(r"MMR[0-9A-Z]*", re.ASCII)
_VILLAGE = re.compile(r"MMR[0-9]{12}", re.ASCII)
_TRACT = re.compile(r"MMR[0-9]{9}", re.ASCII)


def normalise_name(text: str) -> str:
    """The form names are compared in: NFC, case-folded, Myanmar digits as ASCII, without
    spaces, hyphens, zero-width characters or brackets."""
    folded = unicodedata.normalize("NFC", text.casefold())
    return "".join(folded.split()).translate(_NAME_TABLE)


def _code_form(text: str) -> str:
    return "".join(text.split()).translate(_DIGITS).upper()


# Words people add to a name to say what it is; each implies a level. English and Myanmar.
_SUFFIXES = tuple(
    (normalise_name(word), level)
    for words, level in (
        (("Township", "မြို့နယ်"), "township"),
        (("District", "ခရိုင်", "Self-Administered Zone", "Self-Administered Division"), "district"),
        (
            (
                "Region",
                "State",
                "Division",
                "Union Territory",
                "တိုင်းဒေသကြီး",
                "ပြည်နယ်",
                "ပြည်ထောင်စုနယ်မြေ",
            ),
            "state_region",
        ),
        (("Village Tract", "ကျေးရွာအုပ်စု"), "village_tract"),
        (("Village", "ကျေးရွာ"), "village"),
    )
    for word in words
)


_SUFFIXES_OF = {level: tuple(suffix for suffix, of in _SUFFIXES if of == level) for level in LEVELS}


def _keys(place: Place) -> set[str]:
    """Normalised names a place is found by: each name, and each name without a suffix that
    says the place's own level (ကချင်ပြည်နယ် is found as ကချင်, but the village tract
    ပြင်ခရိုင် is not found as ပြင်)."""
    keys = set()
    suffixes = _SUFFIXES_OF[place.level]
    for name in (place.name_en, place.name_mm):
        key = normalise_name(name)
        if not key:
            continue
        keys.add(key)
        for suffix in suffixes:
            if key.endswith(suffix) and len(key) > len(suffix):
                keys.add(key[: -len(suffix)])
    return keys


def _is_myanmar(text: str) -> bool:
    return any("\u1000" <= ch <= "\u109f" for ch in text)


def village_code(vt_pcode: str, n: int) -> str:
    """The MIMU-style code of the `n`th village (1-999) of a village tract: the village
    tract's P-code and three digits, e.g. ``village_code("MMR002001001", 7)`` is
    ``MMR002001001007``."""
    code = _code_form(vt_pcode)
    if not _TRACT.fullmatch(code):
        raise ValidationError(f"{vt_pcode!r} is not a village tract P-code (MMR and 9 digits)")
    if not 1 <= n <= 999:
        raise ValidationError(f"village number {n} is outside 1-999")
    return f"{code}{n:03d}"


# --- the shipped tables --------------------------------------------------------------------


def _rows(name: str) -> Iterator[list[str]]:
    """The rows of a shipped CSV file, without its header, whose columns are checked."""
    raw = (resources.files("fieldledger") / "data" / name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    rows = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
    if next(rows) != _COLUMNS[name]:
        raise RuntimeError(f"fieldledger/data/{name} does not have the expected columns")
    return rows


_COLUMNS = {
    "pcodes_admin1-3.csv": ["level", "pcode", "name_en", "name_mm", "parent_pcode", "gad_active"],
    "pcodes_village_tracts.csv.gz": ["vt_pcode", "name_en", "name_mm", "tsp_pcode", "gad_status"],
}


class _Shipped:
    """MIMU's tables, each read on first use. One instance is shared by every Gazetteer."""

    @functools.cached_property
    def admin(self) -> dict[str, Place]:
        found: dict[str, Place] = {}
        for level, pcode, name_en, name_mm, parent, gad_active in _rows("pcodes_admin1-3.csv"):
            # The parent's own string, so each code is held once.
            up = found[parent].pcode if parent else ""
            found[pcode] = Place(pcode, level, name_en, name_mm, up, gad_active != "false")
        return found

    @functools.cached_property
    def tracts(self) -> dict[str, Place]:
        townships = self.admin
        found: dict[str, Place] = {}
        for pcode, name_en, name_mm, township, status in _rows("pcodes_village_tracts.csv.gz"):
            found[pcode] = Place(
                pcode,
                "village_tract",
                name_en,
                name_mm,
                townships[township].pcode,
                status == "Active",
            )
        return found

    @functools.cached_property
    def names(self) -> dict[str, Place | tuple[Place, ...]]:
        return _name_index([*self.admin.values(), *self.tracts.values()])

    @functools.cached_property
    def children(self) -> dict[str, list[Place]]:
        return _child_index([*self.admin.values(), *self.tracts.values()])

    def find(self, code: str) -> Place | None:
        return (self.tracts if len(code) == 12 else self.admin).get(code)


_SHIPPED = _Shipped()


def _name_index(found: Iterable[Place]) -> dict[str, Place | tuple[Place, ...]]:
    """Places by normalised name. Most names are unique, so a lone place is stored as it is:
    a third of the index's memory."""
    index: dict[str, list[Place]] = {}
    for place in found:
        for key in _keys(place):
            index.setdefault(key, []).append(place)
    return {key: same[0] if len(same) == 1 else tuple(same) for key, same in index.items()}


def _named(index: dict[str, Place | tuple[Place, ...]], key: str) -> tuple[Place, ...]:
    found = index.get(key, ())
    return (found,) if isinstance(found, Place) else found


def _child_index(found: Iterable[Place]) -> dict[str, list[Place]]:
    index: dict[str, list[Place]] = {}
    for place in found:
        if place.parent:
            index.setdefault(place.parent, []).append(place)
    return index


# --- the gazetteer -------------------------------------------------------------------------


class Gazetteer:
    """Lookups over the shipped places and, in a view from `with_places`, a workspace's
    villages. Every method that takes a place takes a `Place` or its P-code."""

    def __init__(self, extra: Iterable[Place] = ()) -> None:
        self._extra: dict[str, Place] = {}
        for place in extra:
            self._check_village(place)
            self._extra[place.pcode] = place
        self._extra_names = _name_index(self._extra.values())
        self._extra_children = _child_index(self._extra.values())

    def with_places(self, extra: Iterable[Place]) -> Gazetteer:
        """A new view with these villages added (to any this one has). Each must be a
        `village` whose parent is a known village tract and whose P-code is new and starts
        with its parent's (see `village_code`)."""
        return Gazetteer([*self._extra.values(), *extra])

    def _check_village(self, place: Place) -> None:
        where = f"place {place.pcode!r}"
        if place.level != "village":
            raise ValidationError(f"{where}: only villages can be added, not a {place.level}")
        if not _VILLAGE.fullmatch(place.pcode) or place.pcode[:12] != place.parent:
            raise ValidationError(
                f"{where}: a village's P-code is its village tract's and 3 digits"
            )
        if place.parent not in _SHIPPED.tracts:
            raise ValidationError(f"{where}: no village tract has the P-code {place.parent}")
        if place.pcode in self._extra:
            raise ValidationError(f"{where}: added twice")
        if not (place.name_en.strip() or place.name_mm.strip()):
            raise ValidationError(f"{where}: a village needs a name")

    # lookups

    def _find(self, code: str) -> Place | None:
        return self._extra.get(code) or _SHIPPED.find(code)

    def _place(self, place: Place | str) -> Place:
        return place if isinstance(place, Place) else self.get(place)

    def __contains__(self, pcode: object) -> bool:
        return isinstance(pcode, str) and self._find(_code_form(pcode)) is not None

    def get(self, pcode: str) -> Place:
        """The place with this P-code (spaces, case and Myanmar digits do not matter)."""
        code = _code_form(pcode)
        place = self._find(code)
        if place is None:
            raise ValidationError(f"no place has the P-code {pcode!r}{self._near_codes(code)}")
        return place

    def places(self, level: str | None = None) -> list[Place]:
        """Every place, or every place at `level`: states/regions, districts and townships in
        the shipped order, then village tracts and villages by P-code. Asking for states,
        districts or townships does not read the village tracts."""
        _check_level(level)
        found: list[Place] = []
        if level in (None, "state_region", "district", "township"):
            found += [p for p in _SHIPPED.admin.values() if level in (None, p.level)]
        if level in (None, "village_tract"):
            found += _SHIPPED.tracts.values()
        if level in (None, "village"):
            found += sorted(self._extra.values(), key=lambda p: p.pcode)
        return found

    def parent(self, place: Place | str) -> Place | None:
        """The place one level up, or None for a state/region."""
        place = self._place(place)
        return self.get(place.parent) if place.parent else None

    def ancestors(self, place: Place | str) -> list[Place]:
        """Every place above this one, nearest first: township, district, state/region for a
        village tract."""
        found = []
        up = self.parent(place)
        while up is not None:
            found.append(up)
            up = self.parent(up)
        return found

    def at_level(self, place: Place | str, level: str) -> Place:
        """The place generalised up to `level`: the township of a village tract, say. A place
        already at or above `level` is returned as it is, so the answer is never finer than
        `level` (a report grouped by township shows a state-level record at its state)."""
        _check_level(level)
        place = self._place(place)
        want = LEVELS.index(level)
        while LEVELS.index(place.level) > want:
            up = self.parent(place)
            if up is None:
                break
            place = up
        return place

    def children(self, pcode: Place | str) -> list[Place]:
        """The places one level down, in P-code order (villages only in a `with_places` view)."""
        code = self._place(pcode).pcode
        found = [*_SHIPPED.children.get(code, ()), *self._extra_children.get(code, ())]
        return sorted(found, key=lambda p: p.pcode)

    def within(self, place: Place | str, area: Place | str) -> bool:
        """Whether `place` lies inside `area` (strictly below it)."""
        code = self._place(area).pcode
        return any(up.pcode == code for up in self.ancestors(place))

    # resolution

    def resolve(
        self, text: str, level: str | None = None, *, within: Place | str | None = None
    ) -> Place:
        """The one place `text` names: a P-code, or an English or Myanmar-script name. Names
        are compared by `normalise_name` and may carry a word for their level ("Loikaw
        Township", "ကယားပြည်နယ်"), which then picks that level. `level` and `within` (a P-code
        or name of a place above) narrow the search. Raises ValidationError naming the value
        and up to three nearest places when nothing, or more than one place, matches."""
        _check_level(level)
        scope = within if within is None or isinstance(within, Place) else self.resolve(within)
        code = _code_form(text)
        if _CODE_LIKE.fullmatch(code):
            return self._resolve_code(text, code, level, scope)

        query = normalise_name(text)
        if not query:
            raise ValidationError("no place name or P-code given")
        found = dict.fromkeys(self._named(query))
        core, implied = query, None
        for suffix, suffix_level in _SUFFIXES:
            if (
                query.endswith(suffix)
                and len(query) > len(suffix)
                and level
                in (
                    None,
                    suffix_level,
                )
            ):
                core, implied = query[: -len(suffix)], suffix_level
                found.update(dict.fromkeys(p for p in self._named(core) if p.level == implied))
                break
        matches = [p for p in found if self._fits(p, level, scope)]
        if len(matches) == 1:
            return matches[0]
        mm = _is_myanmar(text)
        if matches:
            shown = ", ".join(_label(p, mm, self) for p in matches[:3])
            more = f" and {len(matches) - 3} more" if len(matches) > 3 else ""
            raise ValidationError(
                f"{text!r} names {len(matches)} places: {shown}{more}; "
                "give the P-code, or the township or state it is in"
            )
        near = self._near_names(core, level or implied, scope, mm)
        hint = f"; nearest: {', '.join(_label(p, mm, self) for p in near)}" if near else ""
        raise ValidationError(f"no place matches {text!r}{hint}")

    def _resolve_code(self, text: str, code: str, level: str | None, scope: Place | None) -> Place:
        place = self._find(code) if _PCODE.fullmatch(code) else None
        if place is None:
            raise ValidationError(f"no place has the P-code {text!r}{self._near_codes(code)}")
        if level is not None and place.level != level:
            raise ValidationError(
                f"{code} is a {_LEVEL_WORDS[place.level]}, not a {_LEVEL_WORDS[level]}"
            )
        if scope is not None and not self._fits(place, None, scope):
            raise ValidationError(f"{code} is not in {scope.pcode} {scope.name_en}")
        return place

    def _named(self, key: str) -> list[Place]:
        return [*_named(_SHIPPED.names, key), *_named(self._extra_names, key)]

    def _fits(self, place: Place, level: str | None, scope: Place | None) -> bool:
        if level is not None and place.level != level:
            return False
        return scope is None or any(up.pcode == scope.pcode for up in self.ancestors(place))

    def _near_names(
        self, query: str, level: str | None, scope: Place | None, mm: bool
    ) -> list[Place]:
        pool: dict[str, list[Place]] = {}
        for index in (_SHIPPED.names, self._extra_names):
            for key in index:
                if _is_myanmar(key) != mm:
                    continue
                fits = [p for p in _named(index, key) if level in (None, p.level)]
                if fits:
                    pool.setdefault(key, []).extend(fits)
        near: dict[Place, None] = {}
        for key in difflib.get_close_matches(query, pool, n=10, cutoff=0.6):
            near.update(dict.fromkeys(p for p in pool[key] if self._fits(p, None, scope)))
        return list(near)[:3]

    def _near_codes(self, code: str) -> str:
        """Up to three P-codes of the same length sharing the longest start with `code`."""
        pool = _SHIPPED.tracts if len(code) == 12 else (*_SHIPPED.admin, *self._extra)
        same = [c for c in pool if len(c) == len(code)]
        if not same:
            return ""
        shared = functools.partial(_shared_start, code)
        longest = max(map(shared, same))
        near = [c for c in same if shared(c) == longest][:3]
        return "; nearest: " + ", ".join(_label(self.get(c), False, self) for c in near)


def _shared_start(a: str, b: str) -> int:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return n


def _label(place: Place, mm: bool, gazetteer: Gazetteer) -> str:
    name = (place.name_mm if mm else place.name_en) or place.name_en or place.name_mm
    where = _LEVEL_WORDS[place.level]
    if place.level in ("village_tract", "village"):
        township = gazetteer.at_level(place, "township")
        where += f" in {township.name_mm if mm else township.name_en}"
    return f"{place.pcode} {name} ({where})"


def _check_level(level: str | None) -> None:
    if level is not None and level not in LEVELS:
        raise ValidationError(f"unknown place level {level!r}; one of {', '.join(LEVELS)}")


@functools.cache
def gazetteer() -> Gazetteer:
    """The gazetteer of the shipped places, without any workspace's villages."""
    return Gazetteer()


# --- older helpers -------------------------------------------------------------------------


@functools.cache
def places() -> Mapping[str, Place]:
    """Every shipped place by P-code: states, districts, townships, then village tracts.
    Prefer `gazetteer().places(level)`, which reads the village tracts only when asked for."""
    return MappingProxyType({**_SHIPPED.admin, **_SHIPPED.tracts})


def village_tracts(states: Iterable[str] | None = None, *, active: bool = True) -> list[Place]:
    """Village tracts in P-code order: only GAD-active ones unless `active` is False, and only
    in the given state/region P-codes if `states` is given (e.g. ``["MMR002", "MMR003"]``)."""
    prefixes = None if states is None else tuple(_code_form(s) for s in states)
    return [
        p
        for p in _SHIPPED.tracts.values()
        if (p.active or not active) and (prefixes is None or p.pcode.startswith(prefixes))
    ]
