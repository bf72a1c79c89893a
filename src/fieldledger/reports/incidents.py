"""Incidents for accountability partners: counts by type, month and generalised place.

Never a narrative, a name, GPS, a time of day, a source or a piece of evidence: only what a
closed list or a count says. Two tables:

    incidents         one row per (incident type, month, place at the policy's level): how
                      many incidents, and how many people were killed, injured, detained
                      and displaced in them
    people affected   one row per (harm, incident type, month, state/region): the people
                      killed, injured, detained or displaced by sex and age group. Given per
                      state/region, coarser than the incidents table, so that fewer cells
                      fall under the threshold and go blank

Incidents are events, not people (DESIGN, "Reports and disclosure control"): a single
airstrike is counted, never suppressed (kind "event_count"). What protects victims and
witnesses is the precision of place and date, and never publishing their attributes under
the threshold: the people counts are kind "count", suppressed and protected by disclosure
control.

HXL (hashtag dictionary 1.1): #event+type for the incident type, #date+occurred,
#adm1..#adm3 +code/+name, #affected with +killed, +injured, +displaced (core) and +detained
(an attribute of our own), #impact+type for the harm in the long table; the sex and age
attributes as in the 5W (`fivew.REACHED`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from fieldledger.privacy.export import Column, Export, Table
from fieldledger.reports.fivew import KEYS, SEX_AGE_COLUMNS, Places, count_columns
from fieldledger.reports.period import Period, label, report_grain

if TYPE_CHECKING:
    from fieldledger.privacy.policy import Policy
    from fieldledger.workspace import Workspace

HARMS = ("killed", "injured", "detained", "displaced")


_HEADERS = {
    "en": {
        "kind": "Incident type",
        "month": "Month",
        "quarter": "Quarter",
        "year": "Year",
        "incidents": "Incidents",
        "harm": "Harm",
        "killed": "People killed",
        "injured": "People injured",
        "detained": "People detained",
        "displaced": "People displaced",
        "incidents_table": "Incidents",
        "people_table": "People affected",
    },
    "my": {
        "kind": "ဖြစ်စဉ် အမျိုးအစား",
        "month": "လ",
        "quarter": "သုံးလပတ်",
        "year": "နှစ်",
        "incidents": "ဖြစ်စဉ် အရေအတွက်",
        "harm": "ထိခိုက်မှု",
        "killed": "သေဆုံးသူ",
        "injured": "ဒဏ်ရာရသူ",
        "detained": "ဖမ်းဆီးထိန်းသိမ်းခံရသူ",
        "displaced": "နေရပ်စွန့်ခွာရသူ",
        "incidents_table": "ဖြစ်စဉ်များ",
        "people_table": "ထိခိုက်ခံရသူများ",
    },
}


def build(
    ws: Workspace,
    period: Period | None,
    grant: str | None = None,
    *,
    lang: str = "en",
    policy: Policy | None = None,
    people_table: bool = True,
) -> Export:
    """Incident counts of `period` (None: every incident). `grant` does not apply to
    incidents: it is refused by the command line, and ignored here. Without `people_table`
    the export holds the incidents table alone (a CSV file holds one table)."""
    del grant
    if policy is None:
        from fieldledger.privacy.policy import load

        policy = load(ws)
    words = _HEADERS.get(lang, _HEADERS["en"])
    grain = report_grain(policy.date_grain)
    places = Places(ws, policy.place_level, lang)
    states = Places(ws, "state_region", lang)

    where, params = "1", []
    if period is not None:
        where, params = "date BETWEEN ? AND ?", [period.start.isoformat(), period.end.isoformat()]
    events: dict[tuple[str, str, str | None], list[int]] = {}
    people: dict[tuple[str, str, str, str | None], dict[str, int]] = {}
    for kind, day, pcode, affected in ws.conn.execute(
        f"SELECT kind, date, location_pcode, affected FROM incidents WHERE {where}", params
    ):
        when = label(day, grain)
        harmed = json.loads(affected) if affected else {}
        row = events.setdefault((kind, when, places.area(pcode)), [0] * (1 + len(HARMS)))
        row[0] += 1
        for i, harm in enumerate(HARMS, start=1):
            counts = harmed.get(harm) or {}
            row[i] += sum(int(n) for n in counts.values())
            if counts:
                cell = people.setdefault((harm, kind, when, states.area(pcode)), {})
                _add(cell, counts)

    # The incident count is kind "event_count": incidents are events, not people (DESIGN),
    # and a single airstrike is counted, never suppressed.
    incident_columns = [
        Column(words["kind"], "category", hxl="#event+type"),
        Column(words[grain], "date", hxl="#date+occurred", grain=grain),
        *places.columns(),
        Column(words["incidents"], "event_count", hxl="#event+num"),
        *(Column(words[h], "count", hxl=f"#affected+{h}") for h in HARMS),
    ]
    incident_rows = [
        [kind, when, *places.cells(area), *numbers]
        for (kind, when, area), numbers in sorted(events.items(), key=_order)
    ]
    people_columns = [
        Column(words["harm"], "category", hxl="#impact+type"),
        Column(words["kind"], "category", hxl="#event+type"),
        Column(words[grain], "date", hxl="#date+occurred", grain=grain),
        *states.columns(),
        *count_columns(lang, hxl_base="#affected"),
    ]
    people_rows = []
    for (harm, kind, when, area), counts in sorted(
        people.items(), key=lambda item: (item[0][2], item[0][3] or "", item[0][1], item[0][0])
    ):
        parts = [counts.get(k, 0) for k in KEYS]
        people_rows.append([harm, kind, when, *states.cells(area), *parts, sum(parts)])
    tables = [Table(name=words["incidents_table"], columns=incident_columns, rows=incident_rows)]
    if people_table:
        tables.append(Table(name=words["people_table"], columns=people_columns, rows=people_rows))
    return Export(kind="incidents", tables=tables)


def _add(cell: dict[str, int], counts: dict[str, Any]) -> None:
    for name, n in counts.items():
        key = SEX_AGE_COLUMNS.get(name)
        if key is not None:
            cell[key] = cell.get(key, 0) + int(n)


def _order(item: tuple[tuple[str, str, str | None], list[int]]) -> tuple[str, str, str]:
    kind, when, area = item[0]
    return (when, area or "", kind)
