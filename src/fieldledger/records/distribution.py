"""Distributions: food, cash, vouchers, health care, shelter kits and other items handed to a
household or to a group (a camp section, a village) at once.

How cash travelled (`transfer_channel`: a hundi agent, mobile money) can endanger the people
who carried it, so it is kept in the `finance` compartment: the record type declares it as
split, and the workspace writes it in a companion event there. A field device without the
finance key never holds it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec

from fieldledger.records.base import RecordType, invalid
from fieldledger.records.household import PCode

Modality = Literal[
    "in_kind_food", "cash", "voucher", "health_care", "shelter_kit", "nfi", "hygiene"
]
Currency = Literal["MMK", "THB", "USD"]
TransferChannel = Literal["hand_carried", "mobile_money", "bank", "hundi"]
Id = Annotated[str, msgspec.Meta(min_length=3, max_length=40)]

CASH_LIKE = ("cash", "voucher")


class Distribution(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    household_id: Id | None = None
    group: Annotated[str, msgspec.Meta(min_length=1, max_length=120)] | None = None
    modality: Modality
    item: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    quantity: Annotated[float, msgspec.Meta(gt=0, le=1e9)] | None = None
    unit: Annotated[str, msgspec.Meta(min_length=1, max_length=30)] | None = None
    value: Annotated[float, msgspec.Meta(ge=0, le=1e12)] | None = None
    currency: Currency | None = None
    transfer_channel: TransferChannel | None = None
    date: dt.date
    location_pcode: PCode
    project_id: Id | None = None
    grant_id: Id | None = None

    def __post_init__(self) -> None:
        if (self.household_id is None) == (self.group is None):
            raise invalid("household_id", "give exactly one of household_id and group")
        if self.transfer_channel is not None and self.modality not in CASH_LIKE:
            raise invalid("transfer_channel", "only for modality cash or voucher")
        if self.modality in CASH_LIKE and self.value is None:
            raise invalid("value", "required for modality %(modality)s", modality=self.modality)
        if self.value is not None and self.currency is None:
            raise invalid("currency", "required with value")
        if self.currency is not None and self.value is None:
            raise invalid("value", "required with currency")


DISTRIBUTION = RecordType(
    name="distribution",
    table="distributions",
    compartment="programme",
    struct=Distribution,
    id_prefix="DI",
    refs=(
        ("household_id", "household"),
        ("project_id", "project"),
        ("grant_id", "grant"),
    ),
    split=(("transfer_channel", "finance"),),
    listed=("date", "household_id", "group", "modality", "value", "currency"),
    description="food, cash, vouchers, care or items given to a household or a group",
)
