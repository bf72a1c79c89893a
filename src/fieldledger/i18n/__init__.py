"""Messages in the reader's language: a tiny gettext layer over the catalogues in `locale/`.

    LANGUAGES               the languages there are messages in: English, and Burmese ("my")
    set_language(lang)      choose the language (for this thread or task); None: back to default
    current_language()      set_language's choice, else $FIELDLEDGER_LANG, else "en"
    _(msgid) / gettext      msgid in the current language
    pgettext(ctx, msgid)    the same for a msgid that needs a context ("type", ...)
    N_(msgid)               marks a msgid to translate later, where it is used; returns it as is

English is the msgids themselves: there is no English catalogue. The Burmese catalogue is
`locale/my/LC_MESSAGES/fieldledger.po`, compiled to the `.mo` beside it by
`scripts/compile-catalogues` (Babel); both are committed, and at run time only the `.mo` is
read, with the standard library's `gettext`. The choice is kept in a context variable so a
web server can answer each request in its own reader's language.
"""

from __future__ import annotations

import contextvars
import functools
import gettext as _gettext
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LANGUAGES = ("en", "my")
DEFAULT = "en"
DOMAIN = "fieldledger"
ENV = "FIELDLEDGER_LANG"
LOCALE_DIR = Path(__file__).with_name("locale")

_chosen: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "fieldledger_language", default=None
)


def _check(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: use one of {', '.join(LANGUAGES)}")
    return lang


def set_language(lang: str | None) -> None:
    """Messages from now on in `lang` (one of LANGUAGES); None goes back to the default
    ($FIELDLEDGER_LANG, else English). An unknown language raises ValueError."""
    _chosen.set(None if lang is None else _check(lang))


def current_language() -> str:
    """The language chosen with set_language, else $FIELDLEDGER_LANG, else "en".

    An environment value that is not one of LANGUAGES is ignored here (the command line
    refuses it with a clear error)."""
    chosen = _chosen.get()
    if chosen is not None:
        return chosen
    env = os.environ.get(ENV, "").strip()
    return env if env in LANGUAGES else DEFAULT


@contextmanager
def language(lang: str | None) -> Iterator[None]:
    """`with language("my"):` messages in Burmese inside the block only."""
    token = _chosen.set(None if lang is None else _check(lang))
    try:
        yield
    finally:
        _chosen.reset(token)


@functools.cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The compiled catalogue of `lang`; English (the msgids) has none."""
    if _check(lang) == DEFAULT:
        return _gettext.NullTranslations()
    path = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.mo"
    with path.open("rb") as fp:
        return _gettext.GNUTranslations(fp)


def gettext(msgid: str) -> str:
    return translations(current_language()).gettext(msgid)


def pgettext(context: str, msgid: str) -> str:
    return translations(current_language()).pgettext(context, msgid)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language()).ngettext(singular, plural, n)


_ = gettext


def N_(msgid: str) -> str:
    """Mark `msgid` for the catalogue without translating it here."""
    return msgid


__all__ = [
    "DEFAULT",
    "ENV",
    "LANGUAGES",
    "N_",
    "_",
    "current_language",
    "gettext",
    "language",
    "ngettext",
    "pgettext",
    "set_language",
    "translations",
]
