"""The workspace's report policy: how much detail any report may show.

The policy lives in the ledger like every record, so it syncs to every device and its
history is signed: each change is a `put` event of type `report-policy` (record id `policy`)
in the `programme` compartment, whose body is the policy's fields. The version with the
highest clock wins (its hash breaks a tie, so every replica agrees). A workspace that never
saved one uses the defaults below.

| field | default | allowed |
|---|---|---|
| threshold | 5 | a whole number from 2 to 1000: counts 1..threshold-1 are suppressed |
| place_level | township | state_region, district, township (village_tract, village: on purpose) |
| date_grain | month | week, month, quarter, year |
| iati | false | IATI publication is opt-in |
| iati_alias | none | the name the organisation uses in IATI |
| org | our organisation | the organisation's name in 5W (#org) |
| epsilon_budget | 0 | total differential-privacy epsilon for the workspace; 0 = no noise |
| iati_org_ref | none | the registered IATI organisation identifier (`ORG_ID`, e.g. XI-IATI-ABC) |
| iati_org_type | 24 | its IATI OrganisationType code (`ORG_TYPES`; 24: partner country NGO) |

The two IATI identifier fields come last so that older code reading a policy positionally
keeps working. Without `iati_org_ref` the IATI report uses a placeholder identifier ("XX-")
and says so: such a file must not be published on the IATI Registry.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

from fieldledger.errors import ValidationError

if TYPE_CHECKING:
    from fieldledger.workspace import Workspace

RTYPE = "report-policy"
COMPARTMENT = "programme"
RID = "policy"

PLACE_LEVELS = ("state_region", "district", "township", "village_tract", "village")
DATE_GRAINS = ("week", "month", "quarter", "year")
MAX_THRESHOLD = 1000
MAX_NAME = 200

# An IATI organisation identifier, as the IATI Standard and org-id.guide form it: the code
# of the registration agency (the list the organisation is registered in) — an ISO 3166-1
# country code (XI or XM for international lists), a hyphen and the list's code, as in
# MM-..., GB-COH, XM-DAC, XI-IATI — then a hyphen and the organisation's number in that list
# as the list writes it: GB-COH-06368740, XM-DAC-41114, XI-IATI-EBRD. The number may hold
# letters, digits and "." "_" "-", never a space nor / & | ? (the IATI rulesets refuse those
# in an identifier).
ORG_ID = re.compile(
    r"(?P<country>[A-Z]{2})-(?P<list>[A-Z][A-Z0-9_]*)-"
    r"(?P<number>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)",
    re.ASCII,
)
MAX_ORG_ID = 100
# ISO 3166-1 codes that name no country (user-assigned), so no registration agency either,
# except XI and XM, org-id.guide's international lists. "XX" is the report's placeholder.
_NO_AGENCY = (
    {"AA", "ZZ"}
    | {f"Q{c}" for c in "MNOPQRSTUVWXYZ"}
    | {f"X{c}" for c in "ABCDEFGHJKLNOPQRSTUVWXYZ"}
)
ORG_ID_HELP = (
    "a registered IATI organisation identifier: the registration agency's code from "
    "org-id.guide (country and list: MM-..., XM-DAC, XI-IATI), a hyphen and the "
    "organisation's number in that list, e.g. XI-IATI-ABC (no spaces, no / & | ?)"
)
# IATI OrganisationType codelist (2.03).
ORG_TYPES = {
    "10": "Government",
    "11": "Local Government",
    "15": "Other Public Sector",
    "21": "International NGO",
    "22": "National NGO",
    "23": "Regional NGO",
    "24": "Partner Country based NGO",
    "30": "Public Private Partnership",
    "40": "Multilateral",
    "60": "Foundation",
    "70": "Private Sector",
    "71": "Private Sector in Provider Country",
    "72": "Private Sector in Aid Recipient Country",
    "73": "Private Sector in Third Country",
    "80": "Academic, Training and Research",
    "90": "Other",
}


@dataclass(frozen=True)
class Policy:
    threshold: int = 5
    place_level: str = "township"
    date_grain: str = "month"
    iati: bool = False
    iati_alias: str | None = None
    org: str = "our organisation"
    epsilon_budget: float = 0.0
    iati_org_ref: str | None = None
    iati_org_type: str = "24"

    def __post_init__(self) -> None:
        t = self.threshold
        if isinstance(t, bool) or not isinstance(t, int) or not 2 <= t <= MAX_THRESHOLD:
            _refuse("threshold", t, f"a whole number from 2 to {MAX_THRESHOLD}")
        if self.place_level not in PLACE_LEVELS:
            _refuse("place_level", self.place_level, f"one of {', '.join(PLACE_LEVELS)}")
        if self.date_grain not in DATE_GRAINS:
            _refuse("date_grain", self.date_grain, f"one of {', '.join(DATE_GRAINS)}")
        if not isinstance(self.iati, bool):
            _refuse("iati", self.iati, "true or false")
        if self.iati_alias is not None:
            _check_name("iati_alias", self.iati_alias)
        _check_name("org", self.org)
        e = self.epsilon_budget
        if isinstance(e, bool) or not isinstance(e, int | float) or not math.isfinite(e) or e < 0:
            _refuse("epsilon_budget", e, "a number of 0 or more (0: no differential privacy)")
        object.__setattr__(self, "epsilon_budget", float(e))
        if self.iati_org_ref is not None:
            _check_org_id(self.iati_org_ref)
        kind = self.iati_org_type
        if isinstance(kind, int) and not isinstance(kind, bool):
            kind = str(kind)
        if not isinstance(kind, str) or kind not in ORG_TYPES:
            codes = ", ".join(ORG_TYPES)
            _refuse("iati_org_type", self.iati_org_type, f"an IATI OrganisationType code: {codes}")
        object.__setattr__(self, "iati_org_type", kind)

    def to_body(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> Policy:
        """A policy from an event body. Fields a newer version added are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in body.items() if k in known})


def _refuse(name: str, value: object, allowed: str) -> None:
    shown = repr(value) if len(repr(value)) <= 40 else repr(value)[:40] + "…"
    raise ValidationError(f"report policy field {name}: {shown} is not allowed; use {allowed}")


def _check_name(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_NAME:
        _refuse(name, value, f"a name of 1 to {MAX_NAME} characters")


def _check_org_id(value: object) -> None:
    found = ORG_ID.fullmatch(value) if isinstance(value, str) else None
    if found is None or len(value) > MAX_ORG_ID:  # type: ignore[arg-type]
        _refuse("iati_org_ref", value, ORG_ID_HELP)
    elif found["country"] in _NO_AGENCY:
        agency = found["country"]
        _refuse("iati_org_ref", value, f"{ORG_ID_HELP}; {agency} is no registration agency")


def load(ws: Workspace) -> Policy:
    """The workspace's policy: the latest saved version, or the defaults."""
    from fieldledger.ledger.event import OP_PUT, PRUNED, decode

    rows = ws.conn.execute(
        "SELECT raw FROM events WHERE rtype = ? AND compartment = ? AND rid = ? AND op = ?"
        " ORDER BY hlc DESC, hash DESC",
        (RTYPE, COMPARTMENT, RID, OP_PUT),
    )
    for (raw,) in rows:
        ev = decode(raw)
        if ev.body == PRUNED:
            continue
        body = ws._fold.body(ev)
        if body is not None:
            return Policy.from_body(body)
    return Policy()


def save(ws: Workspace, policy: Policy) -> None:
    """Store `policy` as the workspace's: a signed event that syncs like any record."""
    from fieldledger.ledger.event import OP_PUT

    if not isinstance(policy, Policy):
        raise TypeError("save takes a Policy")
    ws.append(COMPARTMENT, RTYPE, RID, OP_PUT, policy.to_body())
