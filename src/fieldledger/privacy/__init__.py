"""Disclosure control and the export linter: what every report passes before it is written."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fieldledger.places import Gazetteer
    from fieldledger.privacy.export import Export
    from fieldledger.privacy.policy import Policy
    from fieldledger.workspace import Workspace

__all__ = ["fine_place_names", "people_names", "prepare"]


def prepare(
    ws: Workspace, export: Export, *, i_understand: bool = False, epsilon: float = 0.0
) -> Export:
    """The export as it may be written: the workspace's policy applied (`disclosure.protect`,
    with the workspace's villages) and the linter passed (`linter.lint`, which raises
    `ExportRefused`). The narrative, if any, is scanned for the names of the workspace's
    people and of the village tracts and villages its records use that are finer than the
    policy; `export.notes` says what disclosure control did, for the user only.

    `epsilon` > 0 adds differential-privacy noise to the counts (`privacy.dp`): refused when
    the policy's budget does not leave that much, and spent once the export has passed."""
    from fieldledger.privacy.disclosure import protect
    from fieldledger.privacy.linter import lint
    from fieldledger.privacy.policy import load

    policy = load(ws)
    if epsilon:
        from fieldledger.privacy.dp import check_budget

        check_budget(ws, policy, epsilon)
    places = ws.places()
    protect(export, policy, places, epsilon=epsilon)
    people: list[str] = []
    fine: list[str] = []
    if any(text and text.strip() for text in export.narrative.values()):
        people = people_names(ws)
        fine = fine_place_names(ws, policy, places)
    lint(export, policy, people=people, fine_places=fine, i_understand=i_understand)
    if epsilon:
        from fieldledger.privacy.dp import spend

        spend(ws, epsilon, export.kind)
    return export


def people_names(ws: Workspace) -> list[str]:
    """The names of the workspace's people this device can read (forgotten ones have none).
    Reading them is noted in the access log, like any `list --reveal`."""
    found = set()
    for person in ws.list("person", reveal=True):
        name = person.get("name")
        if not person.get("forgotten") and isinstance(name, str) and name not in ("", "•••"):
            found.add(name)
    return sorted(found)


def fine_place_names(ws: Workspace, policy: Policy, places: Gazetteer) -> list[str]:
    """English and Myanmar names of the places finer than the policy that the workspace's
    records use (every record's `location_pcode`, and the workspace's villages), with their
    village tracts; names that also name a place the policy allows are left out."""
    from fieldledger import records
    from fieldledger.errors import ValidationError
    from fieldledger.places import LEVELS, normalise_name
    from fieldledger.views.companions import columns

    target = LEVELS.index(policy.place_level)
    codes: set[str] = set()
    for rtype in records.REGISTRY.values():
        if "location_pcode" in columns(rtype):
            codes.update(
                code
                for (code,) in ws.conn.execute(
                    f'SELECT DISTINCT location_pcode FROM "{rtype.table}"'
                )
                if code
            )
    codes.update(code for (code,) in ws.conn.execute("SELECT code FROM villages") if code)
    names: set[str] = set()
    for code in codes:
        try:
            place = places.get(code)
        except ValidationError:
            continue
        for p in (place, *places.ancestors(place)):
            if LEVELS.index(p.level) > target:
                names.update(n for n in (p.name_en, p.name_mm) if n and n.strip())
    if not names:
        return []
    allowed = {
        normalise_name(n)
        for level in LEVELS[: target + 1]
        for p in places.places(level)
        for n in (p.name_en, p.name_mm)
        if n
    }
    return sorted(n for n in names if normalise_name(n) not in allowed)
