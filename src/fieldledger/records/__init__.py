"""Record families. Each registers here; adding one touches its own module and this table.

| name | compartment | module |
|---|---|---|
| household, person | programme, people | household.py, person.py |
| assessment | programme | assessment.py (score: vulnerability.py) |
| distribution | programme (transfer channel: finance) | distribution.py |
| project, activity | programme | project.py |
| training | programme | training.py |
| incident | incidents | incident.py |
| evidence, custody | incidents | evidence.py |
| grant, tranche, expenditure | finance | finance.py |
| feedback | people | feedback.py |
| security-incident | org-security | security.py |
| village | programme | village.py |
"""

from __future__ import annotations

from fieldledger.errors import ValidationError
from fieldledger.records.assessment import ASSESSMENT
from fieldledger.records.base import RecordType, convert, to_fields
from fieldledger.records.distribution import DISTRIBUTION
from fieldledger.records.evidence import CUSTODY, EVIDENCE
from fieldledger.records.feedback import FEEDBACK
from fieldledger.records.finance import EXPENDITURE, GRANT, TRANCHE
from fieldledger.records.household import HOUSEHOLD
from fieldledger.records.incident import INCIDENT
from fieldledger.records.person import PERSON
from fieldledger.records.project import ACTIVITY, PROJECT
from fieldledger.records.security import SECURITY_INCIDENT
from fieldledger.records.training import TRAINING
from fieldledger.records.village import VILLAGE

REGISTRY: dict[str, RecordType] = {
    t.name: t
    for t in (
        HOUSEHOLD,
        PERSON,
        ASSESSMENT,
        DISTRIBUTION,
        PROJECT,
        ACTIVITY,
        TRAINING,
        INCIDENT,
        EVIDENCE,
        CUSTODY,
        GRANT,
        TRANCHE,
        EXPENDITURE,
        FEEDBACK,
        SECURITY_INCIDENT,
        VILLAGE,
    )
}


def record_type(name: str) -> RecordType:
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise ValidationError(f"unknown record type {name!r}: use one of {known}") from None


__all__ = ["REGISTRY", "RecordType", "convert", "record_type", "to_fields"]
