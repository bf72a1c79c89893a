"""The page templates: one Jinja environment per language, texts translated when compiled.

A page is rendered in the language of the account that asked for it. Each language has its
own environment, so a template is compiled once per language, and `_('a constant text')`
becomes the translated text itself when it is compiled: most of a page's words cost nothing
per request. Texts with values in them (`_('%(n)s rows', n=...)`) and texts chosen at run
time (`_(label)`) are still looked up per call, in that environment's catalogue.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
import jinja2.ext
from jinja2.lexer import Token

from fieldledger import i18n
from fieldledger.web.forms import shown, value_label

HERE = Path(__file__).parent
_BURMESE = str.maketrans("0123456789", "၀၁၂၃၄၅၆၇၈၉")


def number(value: Any, lang: str | None = None) -> str:
    """A count or amount for display: grouped, in Burmese digits when Burmese is chosen."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.2f}"
    else:
        try:
            text = f"{int(value):,}"
        except (TypeError, ValueError):
            text = str(value)
    return text.translate(_BURMESE) if (lang or i18n.current_language()) == "my" else text


def digits(value: Any, lang: str | None = None) -> str:
    """Dates, codes and other text with digits in the reader's numerals."""
    text = "" if value is None else str(value)
    return text.translate(_BURMESE) if (lang or i18n.current_language()) == "my" else text


class _Translated(jinja2.ext.Extension):
    """`_('text')` with nothing else in the call becomes the environment's translation of
    it, marked safe, when the template is compiled: what `_` would give at run time (the
    i18n extension's newstyle gettext), computed once."""

    def filter_stream(self, stream: jinja2.lexer.TokenStream) -> Iterable[Token]:
        tokens = list(stream)
        catalogue = self.environment.catalogue  # type: ignore[attr-defined]
        i = 0
        while i < len(tokens):
            t = tokens[i]
            call = tokens[i : i + 4]
            if (
                t.type == "name"
                and t.value == "_"
                and [c.type for c in call] == ["name", "lparen", "string", "rparen"]
                and (i == 0 or tokens[i - 1].type != "dot")
            ):
                try:  # newstyle gettext always formats: "%%" is "%"
                    text = catalogue.gettext(call[2].value) % {}
                except (KeyError, TypeError, ValueError):
                    text = None  # a placeholder without its value: fails at run time, as before
                if text is not None:
                    yield Token(t.lineno, "string", text)
                    yield Token(t.lineno, "pipe", "|")
                    yield Token(t.lineno, "name", "safe")
                    i += 4
                    continue
            yield t
            i += 1


_DICT_ATTRIBUTES = frozenset(dir(dict))


class _Environment(jinja2.Environment):
    def getattr(self, obj: Any, attribute: str) -> Any:
        # Rows are dicts: `r.code` is their item. Jinja tries the attribute first, and the
        # AttributeError it catches costs more than the rest of the lookup.
        if type(obj) is dict and attribute in obj and attribute not in _DICT_ATTRIBUTES:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _environment(lang: str) -> jinja2.Environment:
    catalogue = i18n.translations(lang)
    env = _Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        auto_reload=False,  # templates are files of the package: never stat them per page
        extensions=["jinja2.ext.i18n", _Translated],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.extend(catalogue=catalogue)
    env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=catalogue.gettext,
        ngettext=catalogue.ngettext,
        newstyle=True,
        pgettext=catalogue.pgettext,
    )
    env.filters["num"] = lambda v: number(v, lang)
    env.filters["digits"] = lambda v: digits(v, lang)
    env.filters["urlq"] = lambda v: quote(str(v), safe="")
    env.filters["shown"] = shown
    env.globals["value_label"] = value_label
    env.globals["lang"] = lambda: lang
    env.globals["LANGUAGES"] = i18n.LANGUAGES
    return env


class Templates:
    """The page templates in every language of the interface."""

    def __init__(self) -> None:
        self._by_language = {lang: _environment(lang) for lang in i18n.LANGUAGES}

    def get(self, name: str, lang: str | None = None) -> jinja2.Template:
        """Template `name` in `lang` (default: the language of the request being served)."""
        return self._by_language[lang or i18n.current_language()].get_template(name)
