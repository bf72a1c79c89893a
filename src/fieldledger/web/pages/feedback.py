"""Screens: feedback and complaints from the people served.

The generic record screens (web/records.py) at `/feedback`: roles holding `people` read,
roles writing `people` add and change. What was said (`text`) is sealed personal data: the
list never opens it; the record's page does. Sensitive feedback (every complaint of sexual
exploitation and abuse, category `sea`) opens only for the protected roles (admins and
coordinators, `sync.roles.PROTECTED_ROLES`): a field worker records it, and from then on
sees it sealed, and its edit form leaves the text out (`records.visible`, `may_reveal`).

There is no `forget` here: a complaint's text must not be destroyable by the roles it may
be about. `fieldledger forget` on the coordinator's laptop remains for that.
"""

from __future__ import annotations

from fieldledger.i18n import N_
from fieldledger.web.app import PageSet
from fieldledger.web.records import RecordScreens, record_pages

pages = PageSet()

FEEDBACK = RecordScreens(
    "feedback",
    "/feedback",
    N_("Feedback and complaints"),
    listed=("date", "category", "channel", "status", "sensitive"),
    order="date",
    descending=True,
)

record_pages(pages, FEEDBACK)
