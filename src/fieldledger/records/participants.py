"""Counts of people by sex and age group, the disaggregation donors and clusters expect.

`SexAgeCounts` is the plain grid: female / male / other × 0-5, 6-17, 18-59, 60+, plus
`unknown` for people whose sex or age was not noted (an honest count beats a guessed one).
`Participants` adds how many had a disability (Washington Group: at least "a lot of
difficulty" in one domain), by sex; activities and trainings count their people with it.
Incidents count the people killed, injured, detained and displaced with `SexAgeCounts`.

Zero counts are left out when stored (`omit_defaults`): a reader of the JSON in a view treats
a missing count as 0, or converts it back with `msgspec.convert`.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from fieldledger.i18n import N_
from fieldledger.records.base import invalid

Count = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]

SEXES = ("female", "male", "other")
AGE_GROUPS = ("0_5", "6_17", "18_59", "60_plus")


class SexAgeCounts(
    msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True, omit_defaults=True
):
    female_0_5: Count = 0
    female_6_17: Count = 0
    female_18_59: Count = 0
    female_60_plus: Count = 0
    male_0_5: Count = 0
    male_6_17: Count = 0
    male_18_59: Count = 0
    male_60_plus: Count = 0
    other_0_5: Count = 0
    other_6_17: Count = 0
    other_18_59: Count = 0
    other_60_plus: Count = 0
    unknown: Count = 0

    def cell(self, sex: str, age_group: str) -> int:
        return getattr(self, f"{sex}_{age_group}")

    def by_sex(self) -> dict[str, int]:
        """{"female": n, "male": n, "other": n}; `unknown` is not in any sex."""
        return {s: sum(self.cell(s, a) for a in AGE_GROUPS) for s in SEXES}

    def by_age(self) -> dict[str, int]:
        """{"0_5": n, "6_17": n, "18_59": n, "60_plus": n}; `unknown` is not in any group."""
        return {a: sum(self.cell(s, a) for s in SEXES) for a in AGE_GROUPS}

    def total(self) -> int:
        return sum(self.by_sex().values()) + self.unknown


class Participants(SexAgeCounts, kw_only=True, forbid_unknown_fields=True, frozen=True):
    with_disability_female: Count = 0
    with_disability_male: Count = 0
    with_disability_other: Count = 0

    def with_disability(self) -> int:
        return self.with_disability_female + self.with_disability_male + self.with_disability_other


# One whole message per sex, so that each language words it its own way.
_MORE_THAN_COUNTED = {
    "female": N_("more people with a disability than female participants counted"),
    "male": N_("more people with a disability than male participants counted"),
    "other": N_("more people with a disability than other participants counted"),
}


def check_participants(p: Participants, fieldname: str) -> None:
    """Those with a disability are among the people counted, sex by sex. Called by the record
    that holds the counts, so the error names its field (`participants.with_disability_male`)."""
    counted = p.by_sex()
    for sex in SEXES:
        if getattr(p, f"with_disability_{sex}") > counted[sex]:
            raise invalid(f"{fieldname}.with_disability_{sex}", _MORE_THAN_COUNTED[sex])
