from __future__ import annotations

import pytest

from tests.evidence.helpers import INCIDENT


@pytest.fixture
def incident(ws) -> str:
    return ws.add("incident", INCIDENT)
