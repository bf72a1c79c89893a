"""Every word of the web UI exists in Burmese: each msgid in the web's templates and Python,
each allowed value of every record field, each role name."""

from __future__ import annotations

from pathlib import Path

import msgspec.inspect as mi
import pytest
from babel.messages.extract import extract_from_dir

from fieldledger import i18n
from fieldledger.records import REGISTRY
from fieldledger.sync.roles import ROLES

WEB = Path(i18n.__file__).parent.parent / "web"
METHODS = [("**/templates/**.j2", "jinja2.ext:babel_extract"), ("**.py", "python")]
OPTIONS = {"**/templates/**.j2": {"extensions": "jinja2.ext.i18n"}}


def web_msgids() -> set[tuple[str | None, str]]:
    found = set()
    for _file, _line, message, _comments, context in extract_from_dir(
        WEB, METHODS, OPTIONS, strip_comment_tags=True
    ):
        if isinstance(message, tuple):  # ngettext: singular and plural
            found.update((context, m) for m in message if m)
        elif message:
            found.add((context, message))
    return found


def untranslated(pairs) -> list[str]:
    catalogue = i18n.translations("my")
    missing = []
    for context, msgid in sorted(pairs, key=lambda p: (p[0] or "", p[1])):
        said = catalogue.pgettext(context, msgid) if context else catalogue.gettext(msgid)
        if said == msgid:
            missing.append(f"{context + ': ' if context else ''}{msgid}")
    return missing


def test_the_web_extracts_many_messages() -> None:
    assert len(web_msgids()) > 100


def test_every_web_message_is_in_burmese() -> None:
    assert untranslated(web_msgids()) == []


def record_values() -> set[str]:
    values: set[str] = set()

    def walk(ty: mi.Type) -> None:
        if isinstance(ty, mi.Metadata):
            walk(ty.type)
        elif isinstance(ty, mi.UnionType):
            for t in ty.types:
                walk(t)
        elif isinstance(ty, mi.LiteralType):
            values.update(str(v) for v in ty.values)
        elif isinstance(ty, mi.StructType):
            for f in ty.fields:
                walk(f.type)

    for rtype in REGISTRY.values():
        walk(mi.type_info(rtype.struct))
    return values


@pytest.mark.parametrize("kind", ["values", "roles"])
def test_every_choice_and_role_is_in_burmese(kind: str) -> None:
    # Currency codes (USD, MMK) are the same in every language.
    pairs = (
        {("value", v) for v in record_values() if not v.isupper()}
        if kind == "values"
        else {(None, r) for r in ROLES}
    )
    assert untranslated(pairs) == []
