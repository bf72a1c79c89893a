"""What one demo fill shares: its random source, its calendar and the ids it has handed out.

Everything the demo makes comes from one `random.Random`, ids included (the workspace would
otherwise draw them from the operating system), so a seed gives the same records every time.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from dataclasses import dataclass, field

from fieldledger.records import record_type

MONTHS = 24  # distributions, activities and spending run over the last 24 months

# Rough centres of the demo's states/regions, for GPS: Kayah, Kayin, Chin, Sagaing.
CENTRES = {
    "MMR002": (19.3, 97.3),
    "MMR003": (17.2, 97.7),
    "MMR004": (22.3, 93.6),
    "MMR005": (23.5, 95.3),
}


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (or earlier), clamped to the month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def window_start(today: dt.date) -> dt.date:
    """The first day of the demo's first month: 23 months before today's month."""
    return add_months(today.replace(day=1), -(MONTHS - 1))


@dataclass
class Context:
    rng: random.Random
    today: dt.date
    _used: set[str] = field(default_factory=set)

    @property
    def start(self) -> dt.date:
        return window_start(self.today)

    def month(self, n: int) -> dt.date:
        """The first day of the window's month `n` (0 to MONTHS - 1)."""
        return add_months(self.start, n)

    def day_in_month(self, n: int) -> dt.date:
        """A random day of month `n`, never after today."""
        first = self.month(n)
        last = min(add_months(first, 1) - dt.timedelta(days=1), self.today)
        return first + dt.timedelta(days=self.rng.randint(0, (last - first).days))

    def between(self, first: dt.date, last: dt.date) -> dt.date:
        return first + dt.timedelta(days=self.rng.randint(0, max(0, (last - first).days)))

    def new_id(self, family: str) -> str:
        """A fresh id for a record of `family`, drawn from the rng: repeatable by seed."""
        prefix = record_type(family).id_prefix
        while True:
            rid = f"{prefix}-{self.rng.getrandbits(40):010X}"
            if rid not in self._used:
                self._used.add(rid)
                return rid

    def gps(self, pcode: str, spread: float = 0.4) -> str:
        lat, lon = CENTRES.get(pcode[:6], (19.0, 96.0))
        return (
            f"{lat + self.rng.uniform(-spread, spread):.5f},"
            f"{lon + self.rng.uniform(-spread, spread):.5f}"
        )
