"""Our phone forms: XLSForm sources in ``odk/forms/``, built into XForms with pyxform.

Each form is two data files: ``NAME.md``, an XLSForm in pyxform's markdown layout (survey,
choices, settings sheets, English and Burmese labels), and ``NAME.yaml``, the import mapping
(docs/import.md) that turns a submission into records, the same mapping Kobo and ODK Central
exports go through. A survey row may name the record field it fills in a ``field`` column
(``household.size``): its Burmese label then comes from `records.labels`, so forms, docs and
messages say the same words, and the column is dropped before pyxform sees the sheet.

Every form is encrypted: `build` fills the ``public_key`` setting with the key of the form's
compartment and ``submission_url`` with the address the phone downloaded it from. Choice
lists carry codes, never names; no form asks a person's name.

`FORMS` is the table: adding a form is one entry here and its two files.
"""

from __future__ import annotations

import copy
import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from typing import Any

from fieldledger.errors import ValidationError
from fieldledger.intake.mapping import Mapping, parse_mapping
from fieldledger.records.labels import LABELS

BURMESE = "label::Burmese (my)"
ENGLISH = "label::English (en)"


@dataclass(frozen=True)
class Form:
    """One phone form.

    ``compartment``: whose key encrypts it (the most sensitive compartment it writes).
    ``writes``: every compartment its records go to; a role must write all of them to be
    offered the form. ``codes``: columns holding a scanned household code, turned into the
    household's id before mapping. ``flatten``: a repeat group each of whose rows is one
    record, with the submission's other answers copied into it. ``media``: questions whose
    files become evidence of the record, with the evidence kind.
    """

    form_id: str
    source: str
    title: str
    compartment: str
    writes: tuple[str, ...]
    codes: tuple[str, ...] = ()
    flatten: str | None = None
    media: tuple[tuple[str, str], ...] = ()

    @functools.cached_property
    def sheets(self) -> dict[str, Any]:
        from pyxform.xls2json_backends import md_to_dict

        text = resources.files("fieldledger.odk").joinpath("forms", f"{self.source}.md")
        return md_to_dict(text.read_text(encoding="utf-8"))

    @property
    def version(self) -> str:
        return str(self.sheets["settings"][0]["version"])

    @functools.cached_property
    def mapping(self) -> Mapping:
        import yaml

        text = resources.files("fieldledger.odk").joinpath("forms", f"{self.source}.yaml")
        return parse_mapping(yaml.safe_load(text.read_text(encoding="utf-8")), self.source)

    @functools.cached_property
    def repeats(self) -> frozenset[str]:
        return frozenset(
            row["name"] for row in self.sheets["survey"] if row.get("type") == "begin_repeat"
        )


FORMS: dict[str, Form] = {
    f.form_id: f
    for f in (
        Form(
            "fl_household",
            "household_registration",
            "Household registration",
            "people",
            ("people", "programme"),
        ),
        Form(
            "fl_assessment",
            "needs_assessment",
            "Needs assessment",
            "programme",
            ("programme",),
            codes=("hh_code",),
        ),
        Form(
            "fl_distribution",
            "distribution_round",
            "Distribution round",
            "programme",
            ("programme",),
            codes=("households/hh_code",),
            flatten="households",
        ),
        Form(
            "fl_incident",
            "incident_report",
            "Incident report",
            "incidents",
            ("incidents",),
            media=(("photo", "photo"), ("audio", "audio")),
        ),
        Form("fl_feedback", "feedback", "Feedback and complaints", "people", ("people",)),
    )
}


def forms_for(role: str) -> list[Form]:
    """The forms a web account of `role` is offered: those whose every compartment it writes."""
    from fieldledger.web.app import writing

    return [f for f in FORMS.values() if role in writing(*f.writes)]


def get_form(form_id: str) -> Form:
    form = FORMS.get(form_id)
    if form is None:
        raise ValidationError(f"no phone form {form_id!r}: use one of {', '.join(FORMS)}")
    return form


def _with_headers(sheets: dict[str, Any]) -> dict[str, Any]:
    for name in ("survey", "choices", "settings"):
        keys: dict[str, None] = {}
        for row in sheets[name]:
            keys.update(dict.fromkeys(row))
        sheets[f"{name}_header"] = [dict.fromkeys(keys)]
    return sheets


def workbook(form: Form, public_key: str, submission_url: str | None) -> dict[str, Any]:
    """The form's sheets as pyxform takes them: Burmese labels filled in, settings set."""
    sheets = copy.deepcopy(form.sheets)
    for row in sheets["survey"]:
        field = row.pop("field", None)
        if field and not row.get(BURMESE):
            record, _, name = field.partition(".")
            row[BURMESE] = LABELS[record][name]
    settings = sheets["settings"][0]
    settings["public_key"] = public_key
    if submission_url:
        settings["submission_url"] = submission_url
    else:
        settings.pop("submission_url", None)
    for name in [k for k in sheets if k.endswith("_header")]:
        del sheets[name]
    return _with_headers(sheets)


@functools.lru_cache(maxsize=64)
def build(form_id: str, public_key: str, submission_url: str | None) -> bytes:
    """The XForm (XML) of a form for this key and submission address."""
    from pyxform.xls2xform import convert

    form = get_form(form_id)
    warnings: list[str] = []
    result = convert(workbook(form, public_key, submission_url), warnings=warnings)
    return result.xform.encode("utf-8")


def md5_hash(xform: bytes) -> str:
    """The hash a form list gives, as ODK Collect compares it: ``md5:`` and hex."""
    return "md5:" + hashlib.md5(xform).hexdigest()
