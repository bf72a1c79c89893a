"""Typed text made safe to store: Zawgyi converted to Unicode, Burmese digits read as numbers.

Every text field passes through `intake.burmese.normalise`. What was converted, or left as
typed because its encoding is doubtful, is noted per field as [original, score, status]
under the body key `_text`, so the original travels with the record (sealed like the
field itself when the field is personal data) and doubtful text reaches a coordinator's
review queue instead of a prompt in the middle of someone's work.
"""

from __future__ import annotations

import re
from typing import Any

TEXT_NOTES = "_text"
REVIEW, ACCEPTED = "review", "accepted"

_NUMBER = re.compile(r"^\s*[-+]?[0-9\u1040-\u1049]+(\.[0-9\u1040-\u1049]+)?\s*$")
_TO_ASCII = str.maketrans("၀၁၂၃၄၅၆၇၈၉", "0123456789")


def ascii_numbers(value: Any) -> Any:
    """Numbers typed in Burmese digits (၀–၉), anywhere in the input, as ASCII digit strings,
    which validation then reads as numbers where a number is wanted."""
    if isinstance(value, str):
        return value.translate(_TO_ASCII).strip() if _NUMBER.match(value) else value
    if isinstance(value, dict):
        return {k: ascii_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [ascii_numbers(v) for v in value]
    return value


def normalise_fields(data: dict[str, Any]) -> tuple[dict[str, Any], dict[str, list]]:
    """(data with every top-level text field normalised, notes for the fields that changed
    encoding or need review)."""
    from fieldledger.intake.burmese import normalise

    out, notes = {}, {}
    for name, value in data.items():
        if isinstance(value, str):
            result = normalise(value)
            value = result.text
            if result.status in ("converted", REVIEW):
                notes[name] = [result.original, round(result.score, 4), result.status]
        out[name] = value
    return out, notes
