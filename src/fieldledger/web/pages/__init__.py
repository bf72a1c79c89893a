"""The screens. Each module holds a `pages = PageSet()`; ALL is every one the app mounts."""

from __future__ import annotations

from fieldledger.web.pages import (
    distributions,
    feedback,
    finance,
    home,
    households,
    incidents,
    phones,
    projects,
    reports,
    review,
    sync,
    team,
)

ALL = [
    m.pages
    for m in (
        home,
        households,
        distributions,
        projects,
        incidents,
        feedback,
        finance,
        reports,
        sync,
        team,
        review,
        phones,
    )
]
