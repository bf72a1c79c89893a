"""OCHA 3W/4W/5W: who does what, where, when, for whom, with the HXL hashtag row.

One row per (sector, activity, place, month): the people reached there, by sex, age group
and disability. What goes in:

    who       the organisation (the workspace policy's `org`)
    what      sector: the project's; without a project, a distribution's modality or a
              training's topic says it (`MODALITY_SECTOR`, `TOPIC_SECTOR`).
              activity: a distribution's modality (`cash`, `in_kind_food`, ...), an
              activity's kind (`planting`, ...), a training's topic (`training_human_rights`)
    where     adm1 (state/region), adm2 (district), adm3 (township): MIMU P-codes and names,
              each record's place generalised up to the policy's level (default township);
              a record known only at a coarser level leaves the finer columns empty
    when      the month (a quarter or year if the policy's date grain is coarser)
    for whom  distributions: the people of the receiving households (`persons` joined by
              `household_id`), each person counted once per row however many times the
              household received there that month; their age in the row's year, from the
              birth year or else the age recorded; a person born after that year is not
              counted; members a household's `size` counts beyond its recorded people are
              counted as sex and age not recorded. Group distributions reach no registered
              people: they add nothing. Activities and trainings: their participant counts.

The same person reached in two rows (two activities, two months) is counted in each: sum a
column over rows and you get contacts, not people (as every 5W).

HXL hashtags and attributes follow the HXL 1.1 hashtag dictionary (hxlstandard.org/standard/
1-1final/dictionary): #org, #sector, #activity, #adm1..#adm3 with +code (P-code) and +name,
#date (ISO 8601: "2026-03", "2026-Q1"), #reached with +f / +m (sex), +i (neither male nor
female), +children / +adults / +elderly (age); +total "for a column that sums up the
others" (HDX Centre, "HXL humanitarian caseload"). +disabled and +unknown are not in the
core dictionary: HXL allows attributes of one's own, lower-case letters, digits and
underscores after the "+".

Nothing here reads a personal-data column: persons are read for sex, birth year, age and
disability only. Disclosure control (`fieldledger.privacy.prepare`) runs on what `build`
returns before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from fieldledger.errors import ValidationError
from fieldledger.places import LEVELS
from fieldledger.privacy.export import Column, Export, Table
from fieldledger.reports.period import Period, label, report_grain, sql_label

if TYPE_CHECKING:
    from fieldledger.privacy.policy import Policy
    from fieldledger.workspace import Workspace

# Where a record without a project says its sector.
MODALITY_SECTOR = {
    "in_kind_food": "food_security",
    "cash": "emergency_response",  # multi-purpose cash
    "voucher": "emergency_response",
    "health_care": "community_health",
    "shelter_kit": "shelter",
    "nfi": "shelter",  # the Shelter/NFI cluster
    "hygiene": "wash",
}
TOPIC_SECTOR = {
    "human_rights": "human_rights",
    "federal_democracy": "governance",
    "womens_participation": "governance",
    "youth_leadership": "governance",
    "other": "other",
}

# -- places ----------------------------------------------------------------------------

ADM_LEVELS = ("state_region", "district", "township")
_ADM = {"state_region": "adm1", "district": "adm2", "township": "adm3"}
_LEVEL_NAMES = {
    "en": {"state_region": "State/Region", "district": "District", "township": "Township"},
    "my": {"state_region": "ပြည်နယ်/တိုင်းဒေသကြီး", "district": "ခရိုင်", "township": "မြို့နယ်"},
}


class Places:
    """Place columns of a report: P-code and name of each admin level down to `level`
    (never finer than township: 5W and incident reports stop at adm3).

    `area(pcode)` is the record's place generalised to the finest level shown (a record
    known only at a coarser level stays there); `cells(area)` the code and name columns."""

    def __init__(self, ws: Workspace, level: str, lang: str = "en") -> None:
        finest = LEVELS.index(level)
        self.levels = tuple(lv for lv in ADM_LEVELS if LEVELS.index(lv) <= finest)
        self.lang = lang
        self._gazetteer = ws.places()
        self._areas: dict[str, str | None] = {}

    def columns(self) -> list[Column]:
        names = _LEVEL_NAMES.get(self.lang, _LEVEL_NAMES["en"])
        cols = []
        for lv in self.levels:
            adm = _ADM[lv]
            cols.append(Column(f"{names[lv]} P-code", "place", hxl=f"#{adm}+code", level=lv))
            cols.append(
                Column(
                    names[lv],
                    "place",
                    hxl=f"#{adm}+name",
                    level=lv,
                    names_of=f"{names[lv]} P-code",
                )
            )
        return cols

    def area(self, pcode: str | None) -> str | None:
        """The P-code a record is shown at; None for a P-code the gazetteer does not know
        (its row keeps every place column empty)."""
        if pcode is None:
            return None
        if pcode not in self._areas:
            try:
                self._areas[pcode] = self._gazetteer.at_level(pcode, self.levels[-1]).pcode
            except ValidationError:
                self._areas[pcode] = None
        return self._areas[pcode]

    def areas(self, pcodes: Iterable[str]) -> dict[str, str | None]:
        return {p: self.area(p) for p in pcodes}

    def cells(self, area: str | None) -> list[str | None]:
        out: list[str | None] = []
        for lv in self.levels:
            place = self._gazetteer.at_level(area, lv) if area is not None else None
            if place is None or place.level != lv:
                out += [None, None]
                continue
            name = place.name_mm if self.lang == "my" and place.name_mm else place.name_en
            out += [place.pcode, name]
        return out


# -- people reached ----------------------------------------------------------------------

# The count columns, in order: (key, HXL hashtag, English, Burmese). The first eight add up
# to the total; "disabled" is among them, not beside them.
REACHED = (
    ("f_children", "#reached+f+children", "Girls (under 18)", "မိန်းကလေး (အသက် ၁၈ အောက်)"),
    ("f_adults", "#reached+f+adults", "Women (18-59)", "အမျိုးသမီး (အသက် ၁၈–၅၉)"),
    (
        "f_elderly",
        "#reached+f+elderly",
        "Elderly women (60+)",
        "သက်ကြီး အမျိုးသမီး (အသက် ၆၀ နှင့်အထက်)",
    ),
    ("m_children", "#reached+m+children", "Boys (under 18)", "ယောက်ျားလေး (အသက် ၁၈ အောက်)"),
    ("m_adults", "#reached+m+adults", "Men (18-59)", "အမျိုးသား (အသက် ၁၈–၅၉)"),
    (
        "m_elderly",
        "#reached+m+elderly",
        "Elderly men (60+)",
        "သက်ကြီး အမျိုးသား (အသက် ၆၀ နှင့်အထက်)",
    ),
    ("other", "#reached+i", "Other sex", "အခြား ကျား/မ"),
    ("unknown", "#reached+unknown", "Sex or age not recorded", "ကျား/မ သို့မဟုတ် အသက် မသိ"),
)
TOTAL = ("total", "#reached+total", "Total reached", "အကူအညီ ရရှိသူ စုစုပေါင်း")
TOTAL_AFFECTED = ("total", "#affected+total", "Total", "စုစုပေါင်း")
DISABLED = ("disabled", "#reached+disabled", "With a disability", "မသန်စွမ်းသူ")
KEYS = tuple(k for k, *_ in REACHED)

# Counts by sex and age (records/participants.py: participants, an incident's people
# affected) into the columns above.
SEX_AGE_COLUMNS = {
    "female_0_5": "f_children",
    "female_6_17": "f_children",
    "female_18_59": "f_adults",
    "female_60_plus": "f_elderly",
    "male_0_5": "m_children",
    "male_6_17": "m_children",
    "male_18_59": "m_adults",
    "male_60_plus": "m_elderly",
    "other_0_5": "other",
    "other_6_17": "other",
    "other_18_59": "other",
    "other_60_plus": "other",
    "unknown": "unknown",
}
_WITH_DISABILITY = ("with_disability_female", "with_disability_male", "with_disability_other")

_HEADERS = {
    "en": {
        "org": "Organisation",
        "sector": "Sector",
        "activity": "Activity",
        "month": "Month",
        "quarter": "Quarter",
        "year": "Year",
    },
    "my": {
        "org": "အဖွဲ့အစည်း",
        "sector": "ကဏ္ဍ",
        "activity": "လုပ်ငန်း",
        "month": "လ",
        "quarter": "သုံးလပတ်",
        "year": "နှစ်",
    },
}


def count_columns(lang: str, hxl_base: str = "#reached") -> list[Column]:
    """The sex and age columns, the total (`total_of` names the eight it sums) and, for
    `#reached`, people with a disability. Incidents reuse them with `#affected`."""
    burmese = lang == "my"
    cols = [
        Column(my if burmese else en, "count", hxl=tag.replace("#reached", hxl_base))
        for _, tag, en, my in REACHED
    ]
    _, tag, en, my = TOTAL if hxl_base == "#reached" else TOTAL_AFFECTED
    cols.append(
        Column(my if burmese else en, "count", hxl=tag, total_of=tuple(c.name for c in cols))
    )
    if hxl_base == "#reached":
        _, tag, en, my = DISABLED
        cols.append(Column(my if burmese else en, "count", hxl=tag))
    return cols


def add_participants(counts: dict[str, int], participants: dict[str, Any] | None) -> None:
    """Add an activity's or training's participant counts (JSON of the view) to `counts`."""
    for name, n in (participants or {}).items():
        key = SEX_AGE_COLUMNS.get(name)
        if key is not None:
            counts[key] = counts.get(key, 0) + int(n)
        elif name in _WITH_DISABILITY:
            counts["disabled"] = counts.get("disabled", 0) + int(n)


# -- the report --------------------------------------------------------------------------

Key = tuple[str, str, str | None, str]  # sector, activity, area, period label


def build(
    ws: Workspace,
    period: Period | None,
    grant: str | None = None,
    *,
    lang: str = "en",
    policy: Policy | None = None,
) -> Export:
    """The 5W of `period` (None: every record), optionally of one grant's distributions and
    the activities and trainings of the projects it paid for. Counts are exact: disclosure
    control has not run yet."""
    policy = policy if policy is not None else _load_policy(ws)
    if grant is not None:
        check_grant(ws, grant)
    grain = report_grain(policy.date_grain)
    places = Places(ws, policy.place_level, lang)
    rows: dict[Key, dict[str, int]] = {}
    _distributions(ws, rows, period, grant, grain, places)
    _participants(ws, rows, period, grant, grain, places)

    headers = _HEADERS.get(lang, _HEADERS["en"])
    columns = [
        Column(headers["org"], "label", hxl="#org"),
        Column(headers["sector"], "category", hxl="#sector"),
        Column(headers["activity"], "category", hxl="#activity"),
        *places.columns(),
        Column(headers[grain], "date", hxl="#date", grain=grain),
        *count_columns(lang),
    ]
    out = []
    for (sector, activity, area, when), counts in sorted(rows.items(), key=_order):
        total = sum(counts.get(k, 0) for k in KEYS)
        if total == 0:
            continue
        out.append(
            [
                policy.org,
                sector,
                activity,
                *places.cells(area),
                when,
                *(counts.get(k, 0) for k in KEYS),
                total,
                counts.get("disabled", 0),
            ]
        )
    return Export(kind="5w", tables=[Table(name="5W", columns=columns, rows=out)])


def _order(item: tuple[Key, dict[str, int]]) -> tuple[str, str, str, str]:
    sector, activity, area, when = item[0]
    return (when, area or "", sector, activity)


def _load_policy(ws: Workspace) -> Policy:
    from fieldledger.privacy.policy import load

    return load(ws)


def check_grant(ws: Workspace, grant: str) -> None:
    """Refuse an id that names no grant this device knows of."""
    known = ws.conn.execute(
        "SELECT 1 FROM grants WHERE id = ? UNION ALL SELECT 1 FROM distributions"
        " WHERE grant_id = ? LIMIT 1",
        (grant, grant),
    ).fetchone()
    if known is None:
        raise ValidationError(f"--grant {grant}: no grant with that id in this workspace")


def _period_sql(column: str, period: Period | None) -> tuple[str, list[Any]]:
    if period is None:
        return "1", []
    return f"{column} BETWEEN ? AND ?", [period.start.isoformat(), period.end.isoformat()]


# How distributions are counted, and why not with one GROUP BY: the store is SQLCipher with
# `cipher_memory_security` on, so every block SQLite allocates is locked in memory and wiped
# when freed. A sorter or temporary b-tree (GROUP BY, DISTINCT, an automatic index for a
# join), or text built row by row (`||`), costs 10 to 30 microseconds a row on a 2-core
# machine, more as the store grows; a plain scan about one. So SQL here only scans
# distributions, persons and households, and the grouping is done with Python's hash
# tables, one pass over each: at 1,000,000 distributions in about an eighth of the time of
# the bare GROUP BY of the same figures (`benchmarks/report_speed.py`).
#
# Every count is the one a single statement would give:
#   - a distribution's sector is its project's, else its modality's, else "other"; its place
#     the policy's area of its P-code (unknown P-codes are left out); its period the label
#     SQL gives its month (`sql_label`, computed once a month: it reads the first 7
#     characters of the date only);
#   - each household counts once per (sector, activity, area, period), however often it
#     received there;
#   - its people by sex and age in the period's year (`_household_counts`), with a
#     disability as `_DISABLED` says (run once per distinct text), and the members its size
#     counts beyond its recorded people as "sex or age not recorded".
_REACHED = """
SELECT d.project_id, d.modality, d.location_pcode, substr(d.date, 1, 7), d.household_id
FROM distributions d WHERE d.household_id IS NOT NULL AND {where}
"""
_MEMBERS = "SELECT household_id, sex, birth_year, age, disability FROM persons"
# A view row holds JSON text for `disability`; Washington Group: "a lot of difficulty" (3) or
# more in any domain.
_DISABLED = "SELECT coalesce((SELECT max(value) FROM json_each(?)) >= 3, 0)"
# The period of a month ("2026-03") at a grain, and that period's year, as SQL reads them.
_PERIOD = "SELECT {label}, CAST(substr({label}, 1, 4) AS INTEGER)"

Member = tuple[Any, Any, Any, bool]  # sex, birth year, age, with a disability


def _household_counts(members: list[Member], size: Any, year: int | None) -> tuple[int, ...]:
    """A household's people in `year`: the eight `KEYS` counts, then those with a
    disability. Age is the year less the birth year, else the age recorded; someone born
    after `year` is not counted; a female or male without an age, or a sex other than
    female, male or other, is "not recorded"; so are the members `size` counts beyond the
    recorded ones."""
    f_children = f_adults = f_elderly = m_children = m_adults = m_elderly = 0
    other = unknown = disabled = no_sex = 0
    for sex, birth_year, age, disability in members:
        if birth_year is not None:
            age = year - birth_year if year is not None else None
        if age is not None and age < 0:
            continue
        if disability:
            disabled += 1
        if sex == "female":
            if age is None:
                unknown += 1
            elif 0 <= age <= 17:
                f_children += 1
            elif 18 <= age <= 59:
                f_adults += 1
            elif age >= 60:
                f_elderly += 1
        elif sex == "male":
            if age is None:
                unknown += 1
            elif 0 <= age <= 17:
                m_children += 1
            elif 18 <= age <= 59:
                m_adults += 1
            elif age >= 60:
                m_elderly += 1
        elif sex == "other":
            other += 1
        elif sex is not None:
            unknown += 1
        else:
            no_sex += 1
    # As SQL summed it: when every member has no sex (which validation never lets in),
    # "not recorded" was NULL for the household, and its size added nothing either.
    if not members or no_sex < len(members):
        unknown += max((size or 0) - len(members), 0)
    return (
        f_children,
        f_adults,
        f_elderly,
        m_children,
        m_adults,
        m_elderly,
        other,
        unknown,
        disabled,
    )


def _distributions(
    ws: Workspace,
    rows: dict[Key, dict[str, int]],
    period: Period | None,
    grant: str | None,
    grain: str,
    places: Places,
) -> None:
    where, params = _period_sql("d.date", period)
    if grant is not None:
        where += " AND d.grant_id = ?"
        params.append(grant)
    # The households reached, by project, activity, P-code and month...
    by_month: dict[tuple[Any, ...], set[str]] = {}
    for project, activity, pcode, month, hh in ws.conn.execute(
        _REACHED.format(where=where), params
    ):
        key = (project, activity, pcode, month)
        try:
            by_month[key].add(hh)
        except KeyError:
            by_month[key] = {hh}
    # ... then by sector, area and period: a household reached in two P-codes of one area,
    # two months of one quarter or by two projects of one sector is one household there.
    sectors = dict(ws.conn.execute("SELECT id, sector FROM projects WHERE id IS NOT NULL"))
    period_sql = _PERIOD.format(label=sql_label(":month", grain))
    periods = {
        month: ws.conn.execute(period_sql, {"month": month}).fetchone()
        for month in {key[3] for key in by_month}
    }
    reached: dict[Key, set[str]] = {}
    years: dict[Any, int | None] = {}
    for (project, activity, pcode, month), households in by_month.items():
        area = places.area(pcode)
        if area is None:
            continue
        sector = sectors.get(project)
        if sector is None:
            sector = MODALITY_SECTOR.get(activity, "other")
        when, year = periods[month]
        years[when] = year
        key = (sector, activity, area, when)
        if key in reached:
            reached[key] |= households  # the set is by_month's, which is not read again
        else:
            reached[key] = households
    if not reached:
        return

    # The households each year counts, and their people.
    wanted: dict[int | None, set[str]] = {}
    for key, households in reached.items():
        wanted.setdefault(years[key[3]], set()).update(households)
    everyone = set().union(*wanted.values())
    members: dict[str, list[Member]] = {}
    with_disability: dict[Any, bool] = {}
    for hh, sex, birth_year, age, disability in ws.conn.execute(_MEMBERS):
        if hh not in everyone:
            continue
        flag = with_disability.get(disability)
        if flag is None:
            (found,) = ws.conn.execute(_DISABLED, (disability,)).fetchone()
            flag = with_disability[disability] = bool(found)
        person = (sex, birth_year, age, flag)
        try:
            members[hh].append(person)
        except KeyError:
            members[hh] = [person]
    sizes = {
        hh: size
        for hh, size in ws.conn.execute("SELECT id, size FROM households")
        if hh in everyone
    }
    counts = {
        year: {hh: _household_counts(members.get(hh, []), sizes.get(hh), year) for hh in hhs}
        for year, hhs in wanted.items()
    }

    for key, households in reached.items():
        of_year = counts[years[key[3]]]
        sums = [sum(column) for column in zip(*map(of_year.__getitem__, households), strict=True)]
        cell = rows.setdefault(key, {})
        for name, n in zip((*KEYS, "disabled"), sums, strict=True):
            cell[name] = cell.get(name, 0) + n


def _participants(
    ws: Workspace,
    rows: dict[Key, dict[str, int]],
    period: Period | None,
    grant: str | None,
    grain: str,
    places: Places,
) -> None:
    """Activities (sector of their project) and trainings (their project's, or their
    topic's), with the participants each counted."""
    funded = _projects_of(ws, grant) if grant is not None else None
    where, params = _period_sql("a.date", period)
    activities = ws.conn.execute(
        "SELECT pr.sector, a.kind, a.location_pcode, a.date, a.participants, a.project_id"
        f" FROM activities a LEFT JOIN projects pr ON pr.id = a.project_id WHERE {where}",
        params,
    )
    where, params = _period_sql("t.start_date", period)
    trainings = ws.conn.execute(
        "SELECT pr.sector, t.topic, t.location_pcode, t.start_date, t.participants,"
        " t.project_id FROM trainings t LEFT JOIN projects pr ON pr.id = t.project_id"
        f" WHERE {where}",
        params,
    )
    for is_training, found in ((False, activities), (True, trainings)):
        for sector, what, pcode, day, participants, project in found:
            if funded is not None and project not in funded:
                continue
            if is_training:
                sector = sector or TOPIC_SECTOR.get(what, "other")
                what = f"training_{what}"
            key = (sector or "other", what, places.area(pcode), label(day, grain))
            add_participants(rows.setdefault(key, {}), _json(participants))


def _projects_of(ws: Workspace, grant: str) -> set[str]:
    """Projects a grant paid for: named by its distributions or its spending."""
    return {
        p
        for (p,) in ws.conn.execute(
            "SELECT project_id FROM distributions WHERE grant_id = ?"
            " UNION SELECT project_id FROM expenditures WHERE grant_id = ?",
            (grant, grant),
        )
        if p is not None
    }


def _json(text: str | None) -> dict[str, Any] | None:
    return json.loads(text) if text else None
