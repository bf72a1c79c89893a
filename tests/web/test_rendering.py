"""Templates per language: constant texts translated when compiled, exactly as at run time."""

from __future__ import annotations

import pytest

from fieldledger import i18n
from fieldledger.web.rendering import Templates, digits, number


@pytest.fixture(scope="module")
def templates() -> Templates:
    return Templates()


def _env(templates: Templates, lang: str):
    return templates._by_language[lang]


def _catalogue_texts() -> list[str]:
    """The Burmese catalogue's plain messages: no plural, no context, no placeholder."""
    catalog = i18n.translations("my")._catalog  # type: ignore[attr-defined]
    return sorted(
        k for k in catalog
        if isinstance(k, str) and k and "\x04" not in k and "%(" not in k and "{" not in k
    )


def _literal(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


@pytest.mark.parametrize("lang", i18n.LANGUAGES)
def test_every_constant_text_compiles_to_what_gettext_gives_at_run_time(templates, lang):
    env = _env(templates, lang)
    texts = _catalogue_texts()
    assert len(texts) > 300
    literal = "\x1f".join("{{ _(" + _literal(t) + ") }}" for t in texts)
    folded = env.from_string(literal).render().split("\x1f")
    looked_up = env.from_string(
        "{% for t in texts %}{{ _(t) }}{% if not loop.last %}\x1f{% endif %}{% endfor %}"
    ).render(texts=texts).split("\x1f")
    assert folded == looked_up
    if lang == "my":
        assert sum(a != b for a, b in zip(folded, texts, strict=True)) > 300  # translated


def test_a_constant_text_costs_no_call_per_page(templates):
    env = _env(templates, "my")
    code = env.compile("<h1>{{ _('Households') }}</h1>", raw=True)
    assert "context.call" not in code
    assert i18n.translations("my").gettext("Households") in code
    # A text with a value, or one chosen at run time, is still looked up per page.
    assert "context.call" in env.compile("{{ _('%(n)s left', n=2) }}", raw=True)
    assert "context.call" in env.compile("{{ _(label) }}", raw=True)


def test_folded_texts_format_and_escape_as_newstyle_gettext(templates):
    env = _env(templates, "en")
    assert env.from_string("{{ _('100%% done') }}").render() == "100% done"
    assert env.from_string("{{ _('%(n)s rows', n=3) }}").render() == "3 rows"
    assert env.from_string("{{ _('%(n)s rows', n='<b>') }}").render() == "&lt;b&gt; rows"
    assert env.from_string("{{ x }}{{ _('a') ~ x }}").render(x="<i>") == "&lt;i&gt;a&lt;i&gt;"
    assert env.from_string("{{ 'b' if _('a') else 'c' }}").render() == "b"
    assert env.from_string("{{ obj._('a') }}").render(obj={"_": lambda s: s + "!"}) == "a!"


def test_numbers_and_language_follow_the_template_language(templates):
    en, my = _env(templates, "en"), _env(templates, "my")
    page = "{{ lang() }} {{ 12345|num }} {{ '2026-11-28'|digits }}"
    assert en.from_string(page).render() == "en 12,345 2026-11-28"
    assert my.from_string(page).render() == "my ၁၂,၃၄၅ ၂၀၂၆-၁၁-၂၈"
    assert number(3.5, "my") == "၃.၅၀" and digits(None) == ""
    with i18n.language("my"):
        assert templates.get("refused.html.j2").environment is my


def test_rows_are_read_as_items_and_dict_methods_stay_methods(templates):
    env = _env(templates, "en")
    row = {"code": "HH-1", "keys": "not this"}
    assert env.from_string("{{ r.code }} {{ r.keys is callable }}").render(r=row) == "HH-1 True"
    with pytest.raises(Exception, match="no attribute 'missing'"):
        env.from_string("{{ r.missing }}").render(r=row)
