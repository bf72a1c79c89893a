"""IATI activity XML 2.03 for the workspace's projects, opt-in per workspace.

Two steps, with disclosure control between them::

    export = iati.build(ws, period, grant)          # every figure, as tables
    export = privacy.prepare(ws, export)            # suppress, generalise, lint
    xml = iati.render(ws, export)                   # bytes, UTF-8, schema-valid

`build` reads the records (never a personal-data column) and describes everything the file
will say as tables of an `Export`: counts of people as `count` columns, so that disclosure
control suppresses small ones (a result's people are one row of one table, its total, sexes,
age groups and sex × age cells tied by `total_of`, so that complementary suppression
protects every figure against every other; no table has totals over rows, since the file
adds up no periods, indicators or activities); places as `place` columns at the policy
level; dates as the periods of the policy grain ("2026-03"). `render` writes the XML from
the protected export alone (plus the reporting organisation's name, identifier and type from
the policy and place names from the public gazetteer), so whatever disclosure control
removed is absent from the file; it writes a subset of what disclosure control let through,
never a figure of its own. Nothing in the file comes from the clock: the same records and
options give the same bytes.

What the file holds
-------------------
- One activity per project, ``{org-ref}-{project id}``, hierarchy 2: sector, status, dates,
  places, the project's expenditure, and its results.
- One activity per grant, ``{org-ref}-{grant id}``, hierarchy 1: the grant's budget, the
  tranches received (incoming funds) and the spending not tied to a project. Grants and
  projects are many-to-many in the records (a distribution or an expenditure names both), so
  money that belongs to a grant and not to one project needs an activity of its own; each
  project names the grants that funded it as parent activities, and each project expenditure
  names the grant activity it was paid from (`provider-org/@provider-activity-id`). Every
  transaction appears once in the file: incoming funds sum to the received tranches and
  expenditure to the spending, over the period asked for.
- Transactions are summed per activity, type, currency and date at the policy grain (month
  by default) and dated on the first day of that period: the exact day cash moved is never
  published. Budgets are the grant amount spread evenly over its days, one budget per grant
  year (IATI budgets span at most a year), their periods widened to whole grain periods.
- Results (type 1, output) per activity and quarter (or the policy grain when coarser):
  households reached by distributions; people in those households (from the household size,
  by sex and age from the member records as the 5W counts them: age in the period's year
  from the birth year, else the age recorded, someone born after that year not counted, the
  members the size counts beyond the records of unknown sex and age); participants in
  project activities and in trainings (attendances: one person at two sessions counts
  twice), by sex and age; trainings held (events, not people: an `event_count`, never
  suppressed). Each figure is an `actual` of the period: the total with no dimension; each
  sex with `dimension name="sex"` (female, male, other); each age group with
  `dimension name="age"` (0-17, 18-59, 60+: the 5W's children, adults, elderly); female and
  male by age group with both dimensions ("other" is not split by age, as in the 5W). IATI
  has no codelist for dimension values: these are the words of the Standard's own example
  (`name="sex" value="female"`). People of unknown sex or age are in the total only. A
  suppressed figure is not written, nor is a zero part, so a reader cannot tell the two
  apart; a period whose figures were all suppressed is left out, and so is an indicator with
  no period left. Trainings and group distributions not linked to a project (or, for
  distributions, a grant) are in no activity.

Names, identifiers and text
---------------------------
- The reporting organisation is named by `policy.iati_alias` when set, else `policy.org`
  (its `narrative`). Its identifier (`reporting-org/@ref`, the implementing
  `participating-org/@ref`, and the prefix of every `iati-identifier`: org ref, "-", the
  grant or project id) is `policy.iati_org_ref`, the organisation identifier registered
  for it (registration agency from org-id.guide and number: ``MM-...``, ``XM-DAC-...``,
  ``XI-IATI-...``; `privacy.policy.ORG_ID` checks its form), and its `@type` is
  `policy.iati_org_type` (IATI OrganisationType, default 24 "Partner Country based NGO").
  Without a registered identifier the file uses a placeholder, ``XX-<ALIAS>`` ("XX" is no
  registration agency), and `build` adds a note (shown to the user, never in the file)
  saying plainly that the file must not be published on the IATI Registry as is.
- A donor is named by `donor_alias`. If any grant of a donor carries an alias, every grant
  of that donor is shown by it, so the real name is never linked to the alias. A donor no
  grant gives an alias for is named as recorded.
- Titles and descriptions are generated from closed lists (sector, identifiers, aliases):
  no free text from a record (project names and descriptions may name villages or people)
  is ever written.
- Languages: the activities are in English (`xml:lang="en"`), always, since the IATI
  Registry, d-portal and donors' systems read English. With `--lang my` every generated
  title, description, indicator title and place name also gets a Burmese `narrative`
  (`xml:lang="my"`) beside the English one, for the communities and local partners who read
  the file; names (aliases, the organisation's) are written once, as recorded. Burmese is
  added on request rather than always because its wording is a first draft that the field
  teams have still to review (like the 8+3's), and a donor's file should not carry
  unreviewed text unless someone asked for it.
- Locations: the P-code at the policy level (never finer than a village tract: villages are
  the workspace's own records) in `location/@ref`, the gazetteer's English name, the country
  as `administrative` (vocabulary A4, ISO 3166-1 "MM"), exactness 2 (approximate), class 1
  (administrative region) and the feature designation ADM1-ADM4 of the level. IATI's
  GeographicVocabulary (A1 GAUL, A2 UN SALB, A3 GADM, A4 ISO country, G1 GeoNames, G2
  OpenStreetMap) has no entry for MIMU / OCHA P-codes, so a P-code cannot be an
  `administrative/@code`; `location/@ref` is the reporting organisation's own reference.
- Sectors: each project sector maps to an OECD DAC 5-digit purpose code (vocabulary 1) and,
  where one fits, an IASC global cluster (vocabulary 10, the codes of HDX's "Global
  Coordination Groups"), each at 100 % within its vocabulary (`SECTORS`).
- Statuses: planned 1, active 2, paused 6 (suspended), completed 4 (closed), cancelled 5.
  A grant is 1 before its start, 4 after its end, else 2, as of the newest date in the
  records. Activity dates: start 2 (actual) unless the project is planned (1); end 4 (actual)
  once completed or cancelled, else 3 (planned).
- `generated-datetime` and `last-updated-datetime` are optional in the schema and omitted:
  no clock, and no date beyond those the file already shows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import msgspec

from fieldledger.errors import FieldledgerError, UnknownRecord, ValidationError
from fieldledger.privacy.export import Column, Export, Note, Table
from fieldledger.records.participants import AGE_GROUPS, SEXES, Participants

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

__all__ = ["SECTORS", "IatiOff", "build", "org_ref", "placeholder", "render"]


class IatiOff(FieldledgerError):
    """The workspace has not opted in to IATI publishing (policy `iati` is false)."""

    exit_code = 2


OFF_MESSAGE = (
    "IATI publishing is off for this workspace: an admin turns it on with "
    "`fieldledger policy set iati true` (and should set an alias with "
    "`fieldledger policy set iati_alias NAME`)"
)
NOT_FOR_PUBLICATION = "not-for-publication"  # the kind of note that says so
PLACEHOLDER_NOTE = (
    "this file uses the placeholder organisation identifier {ref} (reporting-org/@ref and "
    "the start of every iati-identifier), not a registered one: do not publish it on the "
    "IATI Registry as is; set the registered identifier with "
    "`fieldledger policy set iati_org_ref XI-IATI-...` (and its type with "
    "`policy set iati_org_type`) and make the file again"
)

# project sector -> (English label, DAC 5-digit purpose code, IASC global cluster or None)
SECTORS: dict[str, tuple[str, str, str | None]] = {
    "agriculture": ("Agriculture", "31120", "FSC"),  # Agricultural development
    "home_gardening": ("Home gardening", "31161", "FSC"),  # Food crop production
    "vocational": ("Vocational training", "11330", "ERY"),  # Vocational training
    "infrastructure": ("Community infrastructure", "43040", "ERY"),  # Rural development
    "community_health": ("Community health", "12220", "HEA"),  # Basic health care
    "education": ("Education", "11120", "EDU"),  # Education facilities and training
    "wash": ("Water, sanitation and hygiene", "14030", "WSH"),  # Basic water and sanitation
    "livestock": ("Livestock", "31163", "FSC"),  # Livestock
    "fisheries": ("Fisheries", "31320", "FSC"),  # Fishery development
    "livelihoods": ("Livelihoods", "16020", "FSC"),  # Employment creation
    "food_security": ("Food security", "52010", "FSC"),  # Food assistance
    "nutrition": ("Nutrition", "12240", "NUT"),  # Basic nutrition
    "shelter": ("Shelter", "72010", "SHL"),  # Material relief assistance and services
    "protection": ("Protection", "15160", "PRO"),  # Human rights
    "mental_health": ("Mental health", "12340", "HEA"),  # Promotion of mental health
    "human_rights": ("Human rights", "15160", "PRO"),  # Human rights
    "governance": ("Governance", "15150", None),  # Democratic participation, civil society
    "emergency_response": ("Emergency response", "72010", None),  # Material relief
    "other": ("Community", "99810", None),  # Sectors not specified
}

ACTIVITY_STATUS = {"planned": "1", "active": "2", "paused": "6", "completed": "4", "cancelled": "5"}
ROLE_FUNDING, ROLE_IMPLEMENTING = "1", "4"
INCOMING_FUNDS, EXPENDITURE = "1", "4"
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"
PARENT, CHILD = "1", "2"
FEATURE = {"state_region": "ADM1", "district": "ADM2", "township": "ADM3", "village_tract": "ADM4"}

# indicator code -> title; the order is the order in the file
INDICATORS = {
    "households-reached": "Households reached by distributions",
    "people-in-households-reached": "People in households reached by distributions",
    "activity-participants": "Participants in project activities (attendances)",
    "training-participants": "Participants in trainings (attendances)",
    "trainings-held": "Trainings held",
}
EVENTS = ("trainings-held",)  # events, not people: an `event_count`, never suppressed

# People by sex and age, in one table so that disclosure control sees every equation: the
# total is the sum of the sexes, and again (a second column, "total by age") the sum of the
# age groups; each sex and each age group is the sum of its cells. The second total makes
# the equation between the total and the age groups explicit, so that complementary
# suppression finds a cell to hide in the same row (the total is written only when both
# columns are published). The age groups are the 5W's: children, adults, elderly.
AGES = ("0-17", "18-59", "60+")
AGE_OF_GROUP = {"0_5": 0, "6_17": 0, "18_59": 1, "60_plus": 2}  # records' groups -> AGES
SEX_PARTS = (*SEXES, "unknown sex")
AGE_PARTS = (*AGES, "unknown age")
CELLS = tuple(f"{sex}, {age}" for sex in SEX_PARTS for age in AGE_PARTS)
TOTAL_BY_AGE = "total by age"
# the count columns, in table order
PEOPLE = ("total", TOTAL_BY_AGE, *SEX_PARTS, *AGE_PARTS, *CELLS)
# What the file writes of them: the column, and its dimensions. People of unknown sex or
# age are in the totals only; "other" is not split by age (as in the 5W).
WRITTEN: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("total", ()),
    *((sex, (("sex", sex),)) for sex in SEXES),
    *((age, (("age", age),)) for age in AGES),
    *(
        (f"{sex}, {age}", (("sex", sex), ("age", age)))
        for sex in SEXES
        if sex != "other"
        for age in AGES
    ),
)

# Burmese narratives (`--lang my`), beside the English ones; a first draft for review.
SECTORS_MY = {
    "agriculture": "စိုက်ပျိုးရေး",
    "home_gardening": "အိမ်ခြံမြေ စိုက်ပျိုးရေး",
    "vocational": "အသက်မွေး ပညာ",
    "infrastructure": "ရပ်ရွာ အခြေခံ အဆောက်အအုံ",
    "community_health": "ရပ်ရွာ ကျန်းမာရေး",
    "education": "ပညာရေး",
    "wash": "ရေ၊ သန့်ရှင်းရေးနှင့် တစ်ကိုယ်ရေ သန့်ရှင်းမှု (WASH)",
    "livestock": "မွေးမြူရေး",
    "fisheries": "ငါးလုပ်ငန်း",
    "livelihoods": "အသက်မွေးဝမ်းကျောင်း",
    "food_security": "စားနပ်ရိက္ခာ ဖူလုံရေး",
    "nutrition": "အာဟာရ",
    "shelter": "နေရာထိုင်ခင်း",
    "protection": "အကာအကွယ်",
    "mental_health": "စိတ်ကျန်းမာရေး",
    "human_rights": "လူ့အခွင့်အရေး",
    "governance": "အုပ်ချုပ်ရေး",
    "emergency_response": "အရေးပေါ် ကူညီတုံ့ပြန်မှု",
    "other": "ရပ်ရွာ",
}
INDICATORS_MY = {
    "households-reached": "ဖြန့်ဝေမှုများဖြင့် အကူအညီ ရောက်ရှိသော အိမ်ထောင်စုများ",
    "people-in-households-reached": "ဖြန့်ဝေမှုများဖြင့် အကူအညီ ရောက်ရှိသော အိမ်ထောင်စုများရှိ လူဦးရေ",
    "activity-participants": "စီမံကိန်း လုပ်ငန်းများတွင် ပါဝင်သူများ (တက်ရောက်မှု အကြိမ်အလိုက်)",
    "training-participants": "သင်တန်းများတွင် ပါဝင်သူများ (တက်ရောက်မှု အကြိမ်အလိုက်)",
    "trainings-held": "ကျင်းပခဲ့သော သင်တန်းများ",
}
RESULT_TITLE = "People reached and trainings held"
RESULT_TITLE_MY = "အကူအညီ ရရှိသူများနှင့် ကျင်းပခဲ့သော သင်တန်းများ"
LANGS = ("en", "my")

GRAINS = ("day", "week", "month", "quarter", "year")
LEVELS = ("state_region", "district", "township", "village_tract")  # coarsest first
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
CENT = Decimal("0.01")


# --- the policy ------------------------------------------------------------------------------


def _policy(ws: Workspace, given: Any = None) -> Any:
    if given is None:
        from fieldledger.privacy import policy

        given = policy.load(ws)
    if not given.iati:
        raise IatiOff(OFF_MESSAGE)
    return given


def _org_label(pol: Any) -> str:
    return pol.iati_alias or pol.org


def placeholder(pol: Any) -> bool:
    """True when the policy has no registered IATI organisation identifier, so the file
    uses the ``XX-`` placeholder and must not be published as is."""
    return not getattr(pol, "iati_org_ref", None)


def org_ref(pol: Any) -> str:
    """The reporting organisation's identifier: the registered one (`policy.iati_org_ref`),
    else a placeholder, ``XX-`` and the alias in capitals ("XX" is no registration agency:
    such a file must not be published)."""
    if not placeholder(pol):
        return str(pol.iati_org_ref)
    name = _org_label(pol)
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^A-Z0-9]+", "-", ascii_name.upper()).strip("-")[:40].strip("-")
    if not slug:  # a name in Myanmar script only
        slug = "ORG-" + hashlib.sha256(name.encode()).hexdigest()[:8].upper()
    return f"XX-{slug}"


def org_type(pol: Any) -> str:
    """The reporting organisation's IATI OrganisationType code (default 24, partner
    country based NGO)."""
    return str(getattr(pol, "iati_org_type", None) or "24")


def _level(pol: Any) -> str:
    """The policy's place level, never finer than a village tract."""
    return pol.place_level if pol.place_level in LEVELS else "village_tract"


# --- dates -----------------------------------------------------------------------------------


def _coarser(a: str, b: str) -> str:
    return a if GRAINS.index(a) >= GRAINS.index(b) else b


def _last(start: dt.date, grain: str) -> dt.date:
    """The last day of the `grain` period starting on `start`."""
    if grain == "day":
        return start
    if grain == "week":
        return start + dt.timedelta(days=6)
    months = {"month": 1, "quarter": 3, "year": 12}[grain]
    year, month = divmod(start.month - 1 + months, 12)
    return dt.date(start.year + year, month + 1, 1) - dt.timedelta(days=1)


def _day(value: str | dt.date) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


def _date(value: str | dt.date | None) -> dt.date | None:
    return None if value is None else _day(value)


def _label(value: str | dt.date, grain: str) -> str:
    """A date as the period of `grain` holding it, written as date columns are."""
    from fieldledger.privacy.disclosure import format_period

    return format_period(_day(value), grain)


_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])", re.ASCII)
_WEEK = re.compile(r"([0-9]{4})-W([0-9]{2})", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_YEAR = re.compile(r"([0-9]{4})", re.ASCII)


def _span(value: Any) -> tuple[dt.date, dt.date]:
    """The first and last day of what a date cell names: a day, a week, a month, a quarter, a
    year, or a range "A..B" of them (as disclosure control may have rewritten it)."""
    if isinstance(value, str) and ".." in value:
        first, last = value.split("..", 1)
        return _span(first)[0], _span(last)[1]
    if isinstance(value, dt.date):
        return value, value
    text = str(value).strip()
    if m := _QUARTER.fullmatch(text):
        start, grain = dt.date(int(m[1]), 3 * int(m[2]) - 2, 1), "quarter"
    elif m := _WEEK.fullmatch(text):
        start, grain = dt.date.fromisocalendar(int(m[1]), int(m[2]), 1), "week"
    elif m := _MONTH.fullmatch(text):
        start, grain = dt.date(int(m[1]), int(m[2]), 1), "month"
    elif m := _YEAR.fullmatch(text):
        start, grain = dt.date(int(m[1]), 1, 1), "year"
    else:
        start, grain = dt.date.fromisoformat(text), "day"
    return start, _last(start, grain)


# --- reading the records ---------------------------------------------------------------------


@dataclass
class _Scope:
    """The period a report covers: its first and last day, None for no bound."""

    start: dt.date | None
    end: dt.date | None

    def within(self, value: str | None) -> bool:
        day = _date(value)
        if day is None:
            return False
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def overlaps(self, first: str, last: str | None) -> bool:
        a, b = _date(first), _date(last)
        return (self.end is None or a <= self.end) and (  # type: ignore[operator]
            self.start is None or b is None or b >= self.start
        )


@dataclass
class _Activity:
    ident: str
    hierarchy: str
    sector: str
    status: str
    title: str
    description: str
    title_my: str = ""
    description_my: str = ""
    dates: dict[str, str] = field(default_factory=dict)  # type -> ISO date (already coarse)
    funders: set[str] = field(default_factory=set)
    related: set[tuple[str, str]] = field(default_factory=set)  # (type, identifier)
    places: set[str] = field(default_factory=set)


def _rows(ws: Workspace, sql: str, *args: Any) -> list[tuple]:
    return list(ws.conn.execute(sql, args))


def _check_period(period: tuple[Any, Any] | None) -> tuple[dt.date | None, dt.date | None]:
    if period is None:
        return None, None
    start, end = (_date(p) for p in period)
    if start is not None and end is not None and end < start:
        raise FieldledgerError(f"the period ends ({end}) before it starts ({start})")
    return start, end


def build(
    ws: Workspace,
    period: tuple[dt.date | str | None, dt.date | str | None] | None = None,
    grant: str | None = None,
    *,
    lang: str = "en",
    policy: Any = None,
) -> Export:
    """Everything the IATI file for `period` (first and last day, e.g. a
    `reports.period.Period`; None for all records) and `grant` (an id, or None for all) will
    say, as tables for disclosure control. The file is in English (`xml:lang="en"`); with
    `lang` "my" every title, description and place name has a Burmese narrative beside
    (the export's activities carry the Burmese texts, so `render` knows). `policy` stands
    in for the workspace's (tests).

    Raises `IatiOff` when the workspace has not opted in, `UnknownRecord` for a grant id
    that names no grant.
    """
    pol = _policy(ws, policy)
    if lang not in LANGS:
        raise ValidationError(f"--lang {lang}: use en (English) or my (Burmese)")
    burmese = lang == "my"
    start, end = _check_period(period)
    scope = _Scope(start, end)
    grain = pol.date_grain
    result_grain = _coarser(grain, "quarter")
    level = _level(pol)
    places = ws.places()
    ref = org_ref(pol)
    org = _org_label(pol)

    # grants, and the name each donor is shown by
    grants = {
        r[0]: r
        for r in _rows(
            ws,
            "SELECT id, donor, donor_alias, amount, currency, period_start, period_end "
            "FROM grants ORDER BY id",
        )
    }
    if grant is not None and grant not in grants:
        raise UnknownRecord(f"no grant with id {grant}")
    alias_of: dict[str, str] = {}
    for _, donor, alias, *_ in grants.values():
        if alias and donor not in alias_of:
            alias_of[donor] = alias
    donor_label = {gid: alias_of.get(r[1], r[1]) for gid, r in grants.items()}

    projects = {
        r[0]: r
        for r in _rows(
            ws,
            "SELECT id, sector, location_pcode, start_date, end_date, status "
            "FROM projects ORDER BY id",
        )
    }
    links: set[tuple[str, str]] = set()  # (project, grant)
    for table in ("expenditures", "distributions"):
        links.update(
            _rows(
                ws,
                f'SELECT DISTINCT project_id, grant_id FROM "{table}" '
                "WHERE project_id IS NOT NULL AND grant_id IS NOT NULL",
            )
        )

    def in_grant(gid: str | None) -> bool:
        return grant is None or gid == grant

    # money in scope
    tranches = [
        r
        for r in _rows(
            ws,
            "SELECT grant_id, received_date, received_amount FROM tranches "
            "WHERE received_date IS NOT NULL ORDER BY id",
        )
        if scope.within(r[1]) and in_grant(r[0]) and r[0] in grants
    ]
    spending = [
        r
        for r in _rows(
            ws, "SELECT grant_id, project_id, date, amount, currency FROM expenditures ORDER BY id"
        )
        if scope.within(r[2]) and in_grant(r[0])
    ]
    # people in scope
    distributions = [
        r
        for r in _rows(
            ws,
            "SELECT household_id, project_id, grant_id, date, location_pcode "
            "FROM distributions ORDER BY id",
        )
        if scope.within(r[3]) and in_grant(r[2])
    ]
    activities = [
        r
        for r in _rows(
            ws, "SELECT project_id, date, location_pcode, participants FROM activities ORDER BY id"
        )
        if scope.within(r[1])
    ]
    trainings = [
        r
        for r in _rows(
            ws,
            "SELECT project_id, start_date, location_pcode, participants FROM trainings "
            "WHERE project_id IS NOT NULL ORDER BY id",
        )
        if scope.within(r[1])
    ]

    # which projects and grants get an activity
    used = {r[1] for r in spending} | {r[1] for r in distributions}
    used |= {r[0] for r in activities} | {r[0] for r in trainings}
    chosen_projects = {
        pid for pid, p in projects.items() if pid in used or scope.overlaps(p[3], p[4])
    }
    if grant is not None:
        chosen_projects &= {pid for pid, gid in links if gid == grant}
    if grant is not None:
        chosen_grants = {grant}
    else:
        chosen_grants = {gid for gid, g in grants.items() if scope.overlaps(g[5], g[6])}
        chosen_grants |= {r[0] for r in tranches} | {r[0] for r in spending}
        chosen_grants |= {r[2] for r in distributions if r[2] and r[1] is None}

    as_of = _newest(ws)
    acts: dict[str, _Activity] = {}
    pid_ident = {pid: f"{ref}-{pid}" for pid in chosen_projects}
    gid_ident = {gid: f"{ref}-{gid}" for gid in chosen_grants}
    for gid in sorted(chosen_grants):
        _, _, _, _, _, first, last = grants[gid]
        a = _Activity(
            gid_ident[gid],
            "1",
            "",
            _grant_status(first, last, as_of),
            f"Grant {gid} from {donor_label[gid]}",
            f"Funds from {donor_label[gid]} managed by {org}. The projects they pay for are "
            "reported as child activities.",
        )
        if burmese:
            a.title_my = f"{donor_label[gid]} ထံမှ ထောက်ပံ့ငွေ {gid}"
            a.description_my = (
                f"{org} က စီမံခန့်ခွဲသော {donor_label[gid]} ထံမှ ရန်ပုံငွေ။ ၎င်းဖြင့် "
                "ဆောင်ရွက်သော စီမံကိန်းများကို လက်အောက်ခံ လုပ်ငန်းများအဖြစ် ဖော်ပြထားသည်။"
            )
        started = as_of is not None and _date(first) <= as_of
        ended = as_of is not None and _date(last) < as_of
        a.dates[ACTUAL_START if started else PLANNED_START] = _label(first, grain)
        a.dates[ACTUAL_END if ended else PLANNED_END] = _label(last, grain)
        a.funders.add(donor_label[gid])
        acts[a.ident] = a
    for pid in sorted(chosen_projects):
        _, sector, pcode, first, last, status = projects[pid]
        label = SECTORS[sector][0]
        a = _Activity(
            pid_ident[pid],
            "2",
            sector,
            ACTIVITY_STATUS[status or "active"],
            f"{label} project {pid}",
            f"{label} project {pid} of {org}. Counts of people below the disclosure threshold "
            "are not published.",
        )
        if burmese:
            a.title_my = f"{SECTORS_MY[sector]} စီမံကိန်း {pid}"
            a.description_my = (
                f"{org} ၏ {SECTORS_MY[sector]} စီမံကိန်း {pid}။ ထုတ်ဖော်မှု ထိန်းချုပ်ရေး "
                "သတ်မှတ်ချက်ထက် နည်းသော လူဦးရေ ကိန်းဂဏန်းများကို မဖော်ပြပါ။"
            )
        a.dates[PLANNED_START if status == "planned" else ACTUAL_START] = _label(first, grain)
        if last is not None:
            done = status in ("completed", "cancelled")
            a.dates[ACTUAL_END if done else PLANNED_END] = _label(last, grain)
        a.places.add(pcode)
        for p, gid in links:
            if p == pid and gid in grants and in_grant(gid):
                a.funders.add(donor_label[gid])
                if gid in gid_ident:
                    a.related.add((PARENT, gid_ident[gid]))
                    acts[gid_ident[gid]].related.add((CHILD, a.ident))
        acts[a.ident] = a

    def activity_of(pid: str | None, gid: str | None) -> str | None:
        if pid is not None:
            return pid_ident.get(pid)
        return gid_ident.get(gid) if gid is not None else None

    # transactions, summed per activity, type, date, currency and provider
    money: dict[tuple[str, str, str, str, str, str], Decimal] = defaultdict(Decimal)
    for gid, day, amount in tranches:
        key = (
            gid_ident[gid],
            INCOMING_FUNDS,
            _label(day, grain),
            grants[gid][4],
            donor_label[gid],
            "",
        )
        money[key] += Decimal(str(amount))
    for gid, pid, day, amount, currency in spending:
        ident = activity_of(pid, gid)
        if ident is None:  # a project outside the grant asked for cannot hold it
            continue
        provider = gid_ident.get(gid, "") if pid is not None else ""
        money[(ident, EXPENDITURE, _label(day, grain), currency, "", provider)] += Decimal(
            str(amount)
        )

    # results
    sizes = dict(_rows(ws, "SELECT id, size FROM households"))
    members: dict[str, list[tuple[Any, Any, Any]]] = defaultdict(list)
    for hid, sex, birth_year, age in _rows(
        ws, "SELECT household_id, sex, birth_year, age FROM persons WHERE _forgotten = 0"
    ):
        members[hid].append((sex, birth_year, age))
    reached: dict[tuple[str, str], set[str]] = defaultdict(set)
    for hid, pid, gid, day, pcode in distributions:
        ident = activity_of(pid, gid)
        if ident is None:
            continue
        acts[ident].places.add(pcode)
        if hid is not None:
            reached[(ident, _label(day, result_grain))].add(hid)
    plain: dict[tuple[str, str, str], int] = defaultdict(int)
    people: dict[tuple[str, str, str], list[int]] = {}
    in_year: dict[tuple[str, int], list[int]] = {}
    for (ident, when), households in reached.items():
        plain[(ident, "households-reached", when)] = len(households)
        cells = people.setdefault((ident, "people-in-households-reached", when), _no_one())
        year = int(when[:4])
        for hid in households:
            found = in_year.get((hid, year))
            if found is None:
                found = in_year[(hid, year)] = _household_cells(
                    members.get(hid, []), sizes.get(hid), year
                )
            for i, n in enumerate(found):
                cells[i] += n
    for indicator, rows in (
        ("activity-participants", activities),
        ("training-participants", trainings),
    ):
        for pid, day, pcode, counts in rows:
            ident = pid_ident.get(pid)
            if ident is None:
                continue
            acts[ident].places.add(pcode)
            when = _label(day, result_grain)
            p = msgspec.json.decode(counts or "{}", type=Participants)
            cells = people.setdefault((ident, indicator, when), _no_one())
            for i, sex in enumerate(SEXES):
                for group in AGE_GROUPS:
                    cells[_cell(i, AGE_OF_GROUP[group])] += p.cell(sex, group)
            cells[_cell(len(SEXES), len(AGES))] += p.unknown  # sex or age not noted
            if indicator == "training-participants":
                plain[(ident, "trainings-held", when)] += 1

    export = _export(
        acts, grants, gid_ident, money, plain, people, places, level, grain, result_grain, scope
    )
    if burmese:
        _add_burmese(export, acts)
    if placeholder(pol):
        # Not disclosure control's doing, but shown with its notes: to the user, never in
        # the file (a kind of note of its own, which `Note.what` does not list).
        what: Any = NOT_FOR_PUBLICATION
        export.notes.append(Note("activities", what, PLACEHOLDER_NOTE.format(ref=ref)))
    return export


def _cell(sex: int, age: int) -> int:
    """The index of a (sex, age) cell in a row of `CELLS` (SEX_PARTS × AGE_PARTS)."""
    return sex * len(AGE_PARTS) + age


def _no_one() -> list[int]:
    return [0] * len(CELLS)


def _age(age: int | None) -> int:
    """The index in AGE_PARTS of an age in years (None: unknown)."""
    if age is None:
        return len(AGES)
    return 0 if age <= 17 else 1 if age <= 59 else 2


def _household_cells(members: list[tuple[Any, Any, Any]], size: Any, year: int) -> list[int]:
    """A household's people in `year`, as `CELLS`, counted as the 5W counts them: age in
    that year from the birth year, else the age recorded; someone born after `year` is not
    counted; a sex other than female, male or other is unknown; the members the household's
    size counts beyond its recorded people are of unknown sex and age."""
    cells = _no_one()
    for sex, birth_year, age in members:
        if birth_year is not None:
            age = year - birth_year
        if age is not None and age < 0:
            continue
        s = SEXES.index(sex) if sex in SEXES else len(SEXES)
        cells[_cell(s, _age(age))] += 1
    cells[_cell(len(SEXES), len(AGES))] += max((size or 0) - len(members), 0)
    return cells


def _people_row(cells: list[int]) -> list[int]:
    """The `PEOPLE` counts of a row of `CELLS`: total (twice), sexes, age groups, cells."""
    sexes = [sum(cells[_cell(s, a)] for a in range(len(AGE_PARTS))) for s in range(len(SEX_PARTS))]
    ages = [sum(cells[_cell(s, a)] for s in range(len(SEX_PARTS))) for a in range(len(AGE_PARTS))]
    return [sum(cells), sum(cells), *sexes, *ages, *cells]


def _add_burmese(export: Export, acts: dict[str, _Activity]) -> None:
    """The Burmese title and description of each activity, as two more columns."""
    table = next(t for t in export.tables if t.name == "activities")  # always built
    table.columns += [Column("title-my", "label"), Column("description-my", "label")]
    for row in table.rows:
        a = acts[row[0]]
        row += [a.title_my, a.description_my]


def _newest(ws: Workspace) -> dt.date | None:
    """The newest date of anything done: the 'today' of the records."""
    found = [
        _date(r[0])
        for r in _rows(
            ws,
            "SELECT max(date) FROM expenditures UNION ALL SELECT max(received_date) FROM "
            "tranches UNION ALL SELECT max(date) FROM distributions UNION ALL "
            "SELECT max(date) FROM activities UNION ALL SELECT max(start_date) FROM trainings",
        )
        if r[0] is not None
    ]
    return max(found) if found else None  # type: ignore[type-var]


def _grant_status(first: str, last: str, as_of: dt.date | None) -> str:
    if as_of is None:
        return ACTIVITY_STATUS["active"]
    if as_of < _day(first):
        return ACTIVITY_STATUS["planned"]
    if as_of > _day(last):
        return ACTIVITY_STATUS["completed"]
    return ACTIVITY_STATUS["active"]


def _budgets(first: str, last: str, amount: float) -> list[tuple[dt.date, dt.date, Decimal]]:
    """The grant amount over its days, one slice per grant year; the last slice takes the
    rounding so that the slices add up to the amount."""
    start, end = _day(first), _day(last)
    total = Decimal(str(amount)).quantize(CENT)
    days = (end - start).days + 1
    out = []
    given = Decimal(0)
    while start <= end:
        nxt = _add_year(start)
        stop = min(end, nxt - dt.timedelta(days=1))
        if stop == end:
            share = total - given
        else:
            share = (total * ((stop - start).days + 1) / days).quantize(CENT)
        given += share
        out.append((start, stop, share))
        start = nxt
    return out


def _add_year(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


def _export(
    acts: dict[str, _Activity],
    grants: dict[str, tuple],
    gid_ident: dict[str, str],
    money: dict[tuple[str, str, str, str, str, str], Decimal],
    plain: dict[tuple[str, str, str], int],
    people: dict[tuple[str, str, str], list[int]],
    places: Any,
    level: str,
    grain: str,
    result_grain: str,
    scope: _Scope,
) -> Export:
    ident = Column("iati-identifier", "label")
    order = sorted(acts)
    activities = Table(
        "activities",
        [
            ident,
            Column("hierarchy", "category"),
            Column("sector", "category"),
            Column("status", "category"),
            Column("title", "label"),
            Column("description", "label"),
        ],
        [
            [a.ident, a.hierarchy, a.sector, a.status, a.title, a.description]
            for a in (acts[i] for i in order)
        ],
        totals=False,
    )
    dates = Table(
        "activity-dates",
        [ident, Column("type", "category"), Column("date", "date", grain=grain)],  # type: ignore[arg-type]
        [[i, t, d] for i in order for t, d in sorted(acts[i].dates.items())],
        totals=False,
    )
    orgs = Table(
        "participating-orgs",
        [ident, Column("role", "category"), Column("name", "label")],
        [[i, ROLE_FUNDING, name] for i in order for name in sorted(acts[i].funders)],
        totals=False,
    )
    related = Table(
        "related-activities",
        [ident, Column("type", "category"), Column("related", "label")],
        [[i, t, r] for i in order for t, r in sorted(acts[i].related)],
        totals=False,
    )
    located = Table(
        "locations",
        [ident, Column("place", "place", level=level)],  # type: ignore[arg-type]
        [
            [i, code]
            for i in order
            for code in sorted({places.at_level(p, level).pcode for p in acts[i].places})
        ],
        totals=False,
    )
    budget_rows = []
    for gid, i in sorted(gid_ident.items()):
        _, _, _, amount, currency, first, last = grants[gid]
        for a, b, share in _budgets(first, last, amount):
            if scope.overlaps(a.isoformat(), b.isoformat()):
                span = f"{_label(a, grain)}..{_label(b, grain)}"
                budget_rows.append([i, span, float(share), currency])
    budgets = Table(
        "budgets",
        [
            ident,
            Column("period", "date", grain=grain),  # type: ignore[arg-type]
            Column("value", "amount"),
            Column("currency", "category"),
        ],
        budget_rows,
        totals=False,
    )
    transactions = Table(
        "transactions",
        [
            ident,
            Column("type", "category"),
            Column("date", "date", grain=grain),  # type: ignore[arg-type]
            Column("value", "amount"),
            Column("currency", "category"),
            Column("provider", "label"),
            Column("provider-activity", "label"),
        ],
        [
            [i, t, d, float(value.quantize(CENT)), c, p, pa]
            for (i, t, d, c, p, pa), value in sorted(money.items())
        ],
        totals=False,
    )
    rank = {code: n for n, code in enumerate(INDICATORS)}

    def key(k: tuple[str, str, str]) -> tuple:
        return (k[0], rank[k[1]], k[2])

    def indicator_columns() -> list[Column]:
        return [
            ident,
            Column("indicator", "category"),
            Column("period", "date", grain=result_grain),  # type: ignore[arg-type]
        ]

    def plain_rows(events: bool) -> list[list[Any]]:
        return [
            [*k, plain[k]]
            for k in sorted(plain, key=key)
            if plain[k] and (k[1] in EVENTS) == events
        ]

    # No totals over rows: the file shows none (periods, indicators and activities are not
    # added up), so the only equations a reader has are within a row: its total, its sexes,
    # its age groups and its cells.
    results = Table(
        "results",
        [*indicator_columns(), Column("value", "count")],
        plain_rows(events=False),
        totals=False,
    )
    events = Table(
        "events",
        [*indicator_columns(), Column("value", "event_count")],
        plain_rows(events=True),
        totals=False,
    )
    sums = {"total": SEX_PARTS, TOTAL_BY_AGE: AGE_PARTS}
    sums |= {sex: tuple(f"{sex}, {age}" for age in AGE_PARTS) for sex in SEX_PARTS}
    sums |= {age: tuple(f"{sex}, {age}" for sex in SEX_PARTS) for age in AGE_PARTS}
    rows = [[*k, *_people_row(people[k])] for k in sorted(people, key=key)]
    results_by_sex_and_age = Table(
        "results-by-sex-and-age",
        [
            *indicator_columns(),
            *(Column(name, "count", total_of=sums.get(name)) for name in PEOPLE),
        ],
        [row for row in rows if row[3]],  # people: a total above 0
        totals=False,
    )
    return Export(
        kind="iati",
        tables=[
            activities,
            dates,
            orgs,
            related,
            located,
            budgets,
            transactions,
            results,
            events,
            results_by_sex_and_age,
        ],
    )


# --- writing the XML -------------------------------------------------------------------------


def _records(table: Table) -> list[dict[str, Any]]:
    names = [c.name for c in table.columns]
    return [dict(zip(names, row, strict=True)) for row in table.rows]


def _grouped(export: Export, name: str) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for table in export.tables:
        if table.name == name:
            for row in _records(table):
                out[row["iati-identifier"]].append(row)
    return out


def _table(export: Export, name: str) -> Table | None:
    return next((t for t in export.tables if t.name == name), None)


def _sub(parent: ET.Element, tag: str, **attrs: str) -> ET.Element:
    return ET.SubElement(parent, tag, {k.replace("_", "-"): v for k, v in attrs.items()})


def _narrative(
    parent: ET.Element, tag: str | None, text: str, burmese: str | None = None
) -> ET.Element:
    """`<tag><narrative>text</narrative></tag>` (in the activity's language, English), and
    a second narrative in Burmese (`xml:lang="my"`) when `burmese` is given."""
    holder = _sub(parent, tag) if tag else parent
    _sub(holder, "narrative").text = text
    if burmese:
        _sub(holder, "narrative", **{XML_LANG: "my"}).text = burmese  # type: ignore[arg-type]
    return holder


def _money(value: Any) -> str:
    return str(Decimal(str(value)).quantize(CENT))


def render(ws: Workspace, export: Export, *, policy: Any = None) -> bytes:
    """The IATI activity file (UTF-8 bytes) for an export that `build` made and
    `fieldledger.privacy.prepare` protected. A count that disclosure control suppressed
    (None) is not written; nor is a period, indicator or result left empty by it. Places
    are generalised once more to the policy level, whatever the export holds. Burmese
    narratives are written beside the English ones when `build` made the export with
    `lang="my"`."""
    pol = _policy(ws, policy)
    if export.kind != "iati":
        raise ValueError(f"not an IATI export: {export.kind!r}")
    ref, org, kind = org_ref(pol), _org_label(pol), org_type(pol)
    level = _level(pol)
    places = ws.places()

    activities = _table(export, "activities")
    dates = _grouped(export, "activity-dates")
    orgs = _grouped(export, "participating-orgs")
    related = _grouped(export, "related-activities")
    locations = _grouped(export, "locations")
    budgets = _grouped(export, "budgets")
    transactions = _grouped(export, "transactions")
    results = _results(export)
    burmese = activities is not None and any(c.name == "title-my" for c in activities.columns)

    root = ET.Element("iati-activities", version="2.03")
    for row in _records(activities) if activities else []:
        ident = row["iati-identifier"]
        act = _sub(
            root,
            "iati-activity",
            hierarchy=row["hierarchy"],
            **{XML_LANG: "en"},  # type: ignore[arg-type]
        )
        _sub(act, "iati-identifier").text = ident
        _narrative(_sub(act, "reporting-org", ref=ref, type=kind), None, org)
        _narrative(act, "title", row["title"], row.get("title-my"))
        _narrative(
            _sub(act, "description", type="1"), None, row["description"], row.get("description-my")
        )
        for o in orgs.get(ident, []):
            _narrative(_sub(act, "participating-org", role=o["role"]), None, o["name"])
        _narrative(
            _sub(act, "participating-org", ref=ref, role=ROLE_IMPLEMENTING, type=kind),
            None,
            org,
        )
        _sub(act, "activity-status", code=row["status"])
        for d in dates.get(ident, []):
            first, last = _span(d["date"])
            day = last if d["type"] in (PLANNED_END, ACTUAL_END) else first
            _sub(act, "activity-date", type=d["type"], iso_date=day.isoformat())
        _sub(act, "recipient-country", code="MM", percentage="100")
        _locations(act, locations.get(ident, []), places, level, burmese)
        if row["sector"]:
            _, dac, cluster = SECTORS[row["sector"]]
            _sub(act, "sector", vocabulary="1", code=dac, percentage="100")
            if cluster:
                _sub(act, "sector", vocabulary="10", code=cluster, percentage="100")
        for b in budgets.get(ident, []):
            first, last = _span(b["period"])
            budget = _sub(act, "budget", type="1", status="2")
            _sub(budget, "period-start", iso_date=first.isoformat())
            _sub(budget, "period-end", iso_date=last.isoformat())
            _sub(
                budget, "value", currency=b["currency"], value_date=first.isoformat()
            ).text = _money(b["value"])
        for t in transactions.get(ident, []):
            day = _span(t["date"])[0].isoformat()
            txn = _sub(act, "transaction")
            _sub(txn, "transaction-type", code=t["type"])
            _sub(txn, "transaction-date", iso_date=day)
            _sub(txn, "value", currency=t["currency"], value_date=day).text = _money(t["value"])
            if t["provider"]:
                _narrative(_sub(txn, "provider-org"), None, t["provider"])
            elif t["provider-activity"]:
                provider = _sub(
                    txn, "provider-org", ref=ref, provider_activity_id=t["provider-activity"]
                )
                _narrative(provider, None, org)
        for r in related.get(ident, []):
            _sub(act, "related-activity", ref=r["related"], type=r["type"])
        _result(act, results.get(ident, {}), burmese)
    ET.indent(root)
    return ET.tostring(root, encoding="UTF-8", xml_declaration=True) + b"\n"


def _locations(
    act: ET.Element, rows: Iterable[dict[str, Any]], places: Any, level: str, burmese: bool
) -> None:
    """One location per place, generalised once more to the policy level: whatever the
    export holds, nothing finer than the policy is written."""
    codes = set()
    for row in rows:
        if row["place"] is not None:
            codes.add(places.at_level(row["place"], level).pcode)
    for code in sorted(codes):
        place = places.get(code)
        loc = _sub(act, "location", ref=code)
        _sub(loc, "location-reach", code="1")
        _narrative(loc, "name", place.name_en, place.name_mm.strip() if burmese else None)
        _sub(loc, "administrative", vocabulary="A4", level="0", code="MM")
        _sub(loc, "exactness", code="2")
        _sub(loc, "location-class", code="1")
        _sub(loc, "feature-designation", code=FEATURE[place.level])


_Dimensions = tuple[tuple[str, str], ...]
_Periods = dict[str, dict[tuple[dt.date, dt.date], list[tuple[_Dimensions, Any]]]]


def _results(export: Export) -> dict[str, _Periods]:
    """identifier -> indicator -> (period start, end) -> [(dimensions, value)], in `WRITTEN`
    order; no dimensions for a total. A suppressed figure (None) is left out, and so is a
    part that is zero, so that a reader cannot tell the two apart."""
    out: dict[str, _Periods] = defaultdict(lambda: defaultdict(dict))
    for name, columns in (
        ("results", (("value", ()),)),
        ("events", (("value", ()),)),
        ("results-by-sex-and-age", WRITTEN),
    ):
        table = _table(export, name)
        if table is None:
            continue
        for row in _records(table):
            span = _span(row["period"])
            if row.get(TOTAL_BY_AGE, 0) is None:
                row["total"] = None  # the total is published only if both its columns are
            values = [
                (dims, row[col])
                for col, dims in columns
                if row[col] is not None and (not dims or row[col] != 0)
            ]
            if values:
                out[row["iati-identifier"]][row["indicator"]][span] = values
    return out


def _result(act: ET.Element, indicators: _Periods, burmese: bool) -> None:
    if not indicators:
        return
    result = _sub(act, "result", type="1")
    _narrative(result, "title", RESULT_TITLE, RESULT_TITLE_MY if burmese else None)
    for code in INDICATORS:
        periods = indicators.get(code)
        if not periods:
            continue
        indicator = _sub(result, "indicator", measure="1", ascending="1")
        _narrative(indicator, "title", INDICATORS[code], INDICATORS_MY[code] if burmese else None)
        for (first, last), values in sorted(periods.items()):
            period = _sub(indicator, "period")
            _sub(period, "period-start", iso_date=first.isoformat())
            _sub(period, "period-end", iso_date=last.isoformat())
            for dims, value in values:
                actual = _sub(period, "actual", value=str(int(value)))
                for name, code_value in dims:
                    _sub(actual, "dimension", name=name, value=code_value)
