"""The `--period` of a report: which records it counts, as a first and a last day.

    2026-01..2026-06      January to June 2026
    2026-03               March 2026
    2026                  the year 2026
    2026-Q1..2026-Q2      January to June 2026
    2025-11..2026         November 2025 to December 2026 (the forms mix)

Both ends are included. No period (`None`) means every record. A period that cannot be read
is refused with one line saying what to write.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import NamedTuple

from fieldledger.errors import ValidationError

_YEAR = re.compile(r"^([0-9]{4})$", re.ASCII)
_MONTH = re.compile(r"^([0-9]{4})-([0-9]{2})$", re.ASCII)
_QUARTER = re.compile(r"^([0-9]{4})-[Qq]([1-4])$", re.ASCII)

EXAMPLE = "e.g. 2026-01..2026-06, 2026-03, 2026 or 2026-Q1..2026-Q2"


class Period(NamedTuple):
    """First and last day of a report's period, both included."""

    start: dt.date
    end: dt.date

    def __str__(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def parse(text: str | None) -> Period | None:
    """`--period` as given on the command line; None or "" means every record."""
    if text is None or not text.strip():
        return None
    text = text.strip()
    parts = text.split("..")
    if len(parts) > 2:
        raise ValidationError(f"--period {text}: write one period or FROM..TO ({EXAMPLE})")
    first = _span(parts[0].strip(), text)
    last = _span(parts[-1].strip(), text)
    if last.end < first.start:
        raise ValidationError(f"--period {text}: ends before it starts ({EXAMPLE})")
    return Period(first.start, last.end)


def _span(part: str, whole: str) -> Period:
    """One end of a period: a year, a month or a quarter, as its first and last day."""
    if match := _YEAR.match(part):
        year = int(match.group(1))
        return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))
    if match := _MONTH.match(part):
        year, month = int(match.group(1)), int(match.group(2))
        if 1 <= month <= 12:
            return Period(dt.date(year, month, 1), _month_end(year, month))
    elif match := _QUARTER.match(part):
        year, quarter = int(match.group(1)), int(match.group(2))
        first = 3 * quarter - 2
        return Period(dt.date(year, first, 1), _month_end(year, first + 2))
    shown = part or "(nothing)"
    raise ValidationError(
        f"--period {whole}: {shown} is not a month (YYYY-MM), a quarter (YYYY-Qn) or a year "
        f"(YYYY); {EXAMPLE}"
    )


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


# -- the period a date falls in, at a report's grain -----------------------------------

GRAINS = ("month", "quarter", "year")


def label(day: dt.date | str, grain: str) -> str:
    """The label of the month ("2026-03"), quarter ("2026-Q1") or year ("2026") holding
    `day` (a date, or ISO text as the views hold it). HXL reads all three as #date values."""
    text = day.isoformat() if isinstance(day, dt.date) else day
    year, month = text[:4], int(text[5:7])
    if grain == "month":
        return f"{year}-{month:02d}"
    if grain == "quarter":
        return f"{year}-Q{(month + 2) // 3}"
    if grain == "year":
        return year
    raise ValueError(f"unknown grain {grain!r}")


def sql_label(column: str, grain: str) -> str:
    """`label` as an SQL expression over an ISO date column (the same text, in the query)."""
    if grain == "month":
        return f"substr({column}, 1, 7)"
    if grain == "quarter":
        return (
            f"substr({column}, 1, 4) || '-Q' || ((CAST(substr({column}, 6, 2) AS INTEGER) + 2) / 3)"
        )
    if grain == "year":
        return f"substr({column}, 1, 4)"
    raise ValueError(f"unknown grain {grain!r}")


def report_grain(policy_grain: str) -> str:
    """The grain a report counts by: a month, or the policy's grain when it is coarser
    (5W and incident reports are monthly; a finer policy grain does not make them weekly)."""
    return policy_grain if policy_grain in ("quarter", "year") else "month"
