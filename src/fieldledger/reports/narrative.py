"""The Grand Bargain "8+3" harmonised narrative report, as HTML and PDF.

    export = build(ws, period, grant, lang="my", answers=load_answers("answers.md"))
    export = privacy.prepare(ws, export)          # disclosure control and the linter
    pdf = render_pdf(export, lang="my")

The question set is a template file (`templates/8plus3.yaml`, or a user's edited copy given
as `template`): section 1 administrative information, section 2 the eight core questions,
section 3 up to three additional ones; a donor's subset ("4+3", "5+1") is chosen with
`questions`. `build` fills what the records know (section 1 from the policy, the grant and
its finance figures; tables of reach by month, by sex and age group, by disability,
spending against budget and tranche delays, from the 5W and finance reports, never from
queries of its own) and puts each selected question's answer, text a person wrote, in
`Export.narrative` (an empty string for one not answered yet: the HTML leaves an editable
placeholder there). The narrative is what the linter scans for names and places and what
a reviewer signs off (`Export.reviewed_by`); the report says "draft" until one has.

Rendering decisions:

- Charts are PNG images at 150 dpi, inline as base64 `data:` URIs, drawn by matplotlib's
  Agg backend without pyplot. They hold no words: axes show numbers and ISO months only
  (rows whose labels are not short ASCII are numbered, and the table under the chart
  carries the same numbers), and every title, legend and caption is HTML text around the
  image, so Burmese is shaped by Pango and HarfBuzz like the rest of the page. Text inside
  a chart would be shaped by whatever draws it: matplotlib before 3.11 lays glyphs out one
  by one (wrong for Myanmar script: the vowel sign E is drawn after its consonant, stacks
  fall apart), and an SVG with `svg.fonttype: none` leaves it to the SVG renderer and the
  fonts it finds. PNG over SVG with glyphs as paths: one bitmap looks the same in every
  browser and in WeasyPrint, without relying on the subset of SVG (clip paths, `<use>`)
  each supports, and carries no namespace URLs or metadata; the cost is size (tens of KB
  a chart) and no vector zoom. The figures are also in a table under each chart, as text.
- The page is self-contained: inline CSS, images as `data:` URIs, no script, no link to
  anything outside. The PDF renderer fetches nothing but `data:` URIs either.
- Fonts come from the system: "Noto Sans Myanmar" (Debian fonts-noto-core), then "Padauk"
  (fonts-sil-padauk), then the default sans-serif (`FONTS`; an English page puts "Noto
  Sans" first for its Latin letters); never a Zawgyi font (fonts-myanmar).
- PDF metadata: a title and a language only. WeasyPrint writes no author or creator
  unless the HTML asks for them (it does not), and no creation or modification date unless
  the HTML carries `dcterms.created` / `dcterms.modified`; the "Producer: WeasyPrint
  <version>" it always writes is removed before the file is finished. No file identifier is
  written. So identical records give identical PDF bytes, and the file does not say when or
  with what it was made. A fixed date can be asked for (`created=`) where a recipient needs
  one; it is written as given.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import html
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fieldledger.errors import ValidationError
from fieldledger.privacy.export import Column, Export, Table

if TYPE_CHECKING:
    from fieldledger.privacy.policy import Policy
    from fieldledger.reports.period import Period
    from fieldledger.workspace import Workspace

KIND = "8+3"
LANGS = ("en", "my")
TEMPLATE = "8plus3.yaml"
HTML_TEMPLATE = "8plus3.html.j2"
# CSS font stacks. Burmese needs a Unicode Myanmar font: "Noto Sans Myanmar" (Debian's
# fonts-noto-core) or "Padauk" (fonts-sil-padauk), both installed by scripts/setup. An
# English report takes its Latin letters from "Noto Sans" (fonts-noto-core) first.
FONTS = {
    "my": '"Noto Sans Myanmar", "Padauk", sans-serif',
    "en": '"Noto Sans", "Noto Sans Myanmar", "Padauk", sans-serif',
}
CHART_DPI = 150
# Okabe-Ito colours: told apart with every common colour-vision deficiency.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00")
_ID = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$", re.ASCII)


# -- the template ----------------------------------------------------------------------


@dataclass(frozen=True)
class Question:
    id: str
    section: str  # "2" core, "3" additional
    heading: Mapping[str, str]
    text: Mapping[str, str]
    figures: tuple[str, ...] = ()


@dataclass(frozen=True)
class Template:
    """A question set: the built-in 8+3 or a user's edited copy of it."""

    title: Mapping[str, str]
    sections: tuple[tuple[str, Mapping[str, str]], ...]
    administrative: Mapping[str, Mapping[str, str]]
    questions: tuple[Question, ...]
    default: tuple[str, ...]
    max_additional: int
    strings: Mapping[str, Mapping[str, str]]

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        known = ", ".join(q.id for q in self.questions)
        raise ValidationError(f"8+3 question {qid}: not in the template; known: {known}")

    def select(self, questions: str | Iterable[str] | None = None) -> tuple[Question, ...]:
        """The questions asked, in the template's order: `questions` (ids, or one string
        of ids separated by commas) or the template's default. Section 3 holds at most
        `max_additional` of them."""
        if questions is None:
            wanted = list(self.default)
        elif isinstance(questions, str):
            wanted = [q.strip() for q in questions.split(",") if q.strip()]
        else:
            wanted = [str(q).strip() for q in questions]
        if not wanted:
            raise ValidationError("--questions: name at least one question id")
        chosen = {self.question(q).id for q in wanted}
        picked = tuple(q for q in self.questions if q.id in chosen)
        extra = [q.id for q in picked if q.section == "3"]
        if len(extra) > self.max_additional:
            raise ValidationError(
                f"--questions: {len(extra)} additional questions ({', '.join(extra)}); "
                f"the 8+3 template allows at most {self.max_additional}"
            )
        return picked

    def word(self, key: str, lang: str) -> str:
        """A string of the template in `lang` (English when it has none in `lang`)."""
        return pick(self.strings.get(key, {}), lang) or key


def pick(texts: Mapping[str, str], lang: str) -> str:
    return texts.get(lang) or texts.get("en") or ""


def load_template(source: Template | Path | str | None = None) -> Template:
    """The built-in template (None), or a user's copy read from a YAML file."""
    if isinstance(source, Template):
        return source
    if source is None:
        return _builtin_template()
    path = Path(source)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValidationError(f"--template {path}: cannot be read ({e})") from None
    return _parse_template(text, str(path))


@functools.cache
def _builtin_template() -> Template:
    """Parsed once: the web form reads it on every page, and YAML parsing is slow."""
    text = resources.files(__package__).joinpath("templates", TEMPLATE).read_text("utf-8")
    return _parse_template(text, TEMPLATE)


def _parse_template(text: str, where: str) -> Template:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise ValidationError(f"--template {where}: not YAML ({e})") from None
    if not isinstance(data, dict):
        raise ValidationError(f"--template {where}: a mapping of title, sections, questions")

    def texts(value: Any, what: str) -> dict[str, str]:
        if isinstance(value, str):
            return {"en": value}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in value.items()
        ):
            raise ValidationError(f"--template {where}: {what} needs text per language (en, my)")
        return {k: v.strip() for k, v in value.items()}

    questions: list[Question] = []
    for n, item in enumerate(data.get("questions") or [], start=1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ValidationError(f"--template {where}: question {n} has no id")
        qid = item["id"]
        if not _ID.match(qid) or any(q.id == qid for q in questions):
            raise ValidationError(
                f"--template {where}: question id {qid!r} is repeated or not like core.1"
            )
        section = str(item.get("section", ""))
        if section not in ("2", "3"):
            raise ValidationError(f"--template {where}: question {qid}: section is 2 or 3")
        figures = item.get("figures") or []
        if not isinstance(figures, list):
            raise ValidationError(f"--template {where}: question {qid}: figures is a list")
        unknown = [f for f in figures if f not in FIGURES]
        if unknown:
            raise ValidationError(
                f"--template {where}: question {qid}: unknown figures "
                f"{', '.join(map(str, unknown))}; known: {', '.join(FIGURES)}"
            )
        questions.append(
            Question(
                qid,
                section,
                texts(item.get("heading"), f"question {qid} heading"),
                texts(item.get("text", ""), f"question {qid} text"),
                tuple(figures),
            )
        )
    if not questions:
        raise ValidationError(f"--template {where}: no questions")
    sections = tuple(
        (str(s.get("id")), texts(s.get("heading"), f"section {s.get('id')}"))
        for s in data.get("sections") or []
        if isinstance(s, dict)
    )
    missing = {"1", "2", "3"} - {sid for sid, _ in sections}
    if missing:
        raise ValidationError(
            f"--template {where}: sections {', '.join(sorted(missing))} have no heading"
        )
    admin = {
        str(k): texts(v, f"administrative {k}")
        for k, v in (data.get("administrative") or {}).items()
    }
    strings = {str(k): texts(v, f"string {k}") for k, v in (data.get("strings") or {}).items()}
    default = tuple(str(q) for q in data.get("default") or [q.id for q in questions])
    max_additional = data.get("max_additional", 3)
    if not isinstance(max_additional, int) or max_additional < 0:
        raise ValidationError(f"--template {where}: max_additional is a whole number")
    template = Template(
        title=texts(data.get("title", "8+3"), "title"),
        sections=sections,
        administrative=admin,
        questions=tuple(questions),
        default=default,
        max_additional=max_additional,
        strings=strings,
    )
    template.select(default)  # the default must itself be a valid choice
    return template


# -- answers ---------------------------------------------------------------------------

Answers = Mapping[str, "str | Mapping[str, str]"]
_HEADING = re.compile(r"^#{1,6}\s+(\S+)")


def load_answers(path: Path | str) -> dict[str, str | dict[str, str]]:
    """Answers a person wrote, from a file: YAML (`core.1: text`, or `core.1: {en: ..,
    my: ..}`) or Markdown, where a heading starting with a question id opens its answer:

        ## core.1 Changes and amendments
        The road to ... was closed from March, so ...
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ValidationError(f"--answers {path}: cannot be read ({e})") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            raise ValidationError(f"--answers {path}: not YAML ({e})") from None
        if not isinstance(data, dict):
            raise ValidationError(f"--answers {path}: a mapping of question id to answer")
        out: dict[str, str | dict[str, str]] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                out[str(key)] = {str(k): str(v or "") for k, v in value.items()}
            else:
                out[str(key)] = "" if value is None else str(value)
        return out
    return parse_markdown_answers(text)


def parse_markdown_answers(text: str) -> dict[str, str | dict[str, str]]:
    answers: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _HEADING.match(line)
        if match and _ID.match(match.group(1)):
            current = answers.setdefault(match.group(1), [])
            continue
        if current is not None:
            current.append(line)
    return {qid: "\n".join(lines).strip() for qid, lines in answers.items()}


def answers_skeleton(
    template: Template | Path | str | None = None,
    questions: str | Iterable[str] | None = None,
    lang: str = "en",
) -> str:
    """A Markdown answers file to fill in: one heading per selected question, its text as a
    quoted prompt (lines starting with ">" are dropped when the file is read back)."""
    tpl = load_template(template)
    parts = []
    for q in tpl.select(questions):
        parts.append(f"## {q.id} {pick(q.heading, lang)}\n\n> {pick(q.text, lang)}\n\n")
    return "".join(parts)


def _answer(answers: Answers | None, qid: str, lang: str) -> str:
    value = (answers or {}).get(qid, "")
    if isinstance(value, Mapping):
        value = pick(value, lang)
    # Prompts copied from the skeleton (quoted lines) are not part of the answer.
    lines = [ln for ln in str(value).splitlines() if not ln.lstrip().startswith(">")]
    text = "\n".join(lines).strip()
    if not text:
        return ""
    from fieldledger.intake.burmese import normalise

    # Zawgyi typed into the answers file is converted like every other text input; doubtful
    # text stays as typed (the reviewer reads it before the report is signed off).
    return normalise(text).text


# -- building --------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """How a figure table is charted: bars of the `series` columns against column `x`."""

    series: tuple[int, ...]
    x: int = 0
    horizontal: bool = False
    contacts: bool = False  # the counts are 5W contacts: say so under the figure
    unit: int | None = None  # a column that must hold one value (a currency) to chart


FIGURES: dict[str, Figure] = {
    "reach_by_month": Figure(series=(1,), contacts=True),
    "reach_by_group": Figure(series=(1,), horizontal=True, contacts=True),
    "reach_by_disability": Figure(series=(), contacts=True),  # a table, no chart
    "spending_vs_budget": Figure(series=(2, 3, 4), horizontal=True, unit=1),
    "tranche_delays": Figure(series=(5,), x=1),  # days: one unit whatever the currency
}


def build(
    ws: Workspace,
    period: Period | str | None,
    grant: str | None = None,
    *,
    lang: str = "en",
    answers: Answers | None = None,
    questions: str | Iterable[str] | None = None,
    template: Template | Path | str | None = None,
    policy: Policy | None = None,
    today: dt.date | None = None,
) -> Export:
    """The 8+3 report of `period` (None: every record), for one grant or all of them.
    Figures are exact: disclosure control has not run yet (`privacy.prepare` does)."""
    from fieldledger.reports import finance, fivew
    from fieldledger.reports.period import parse

    if lang not in LANGS:
        raise ValidationError(f"--lang {lang}: use one of {', '.join(LANGS)}")
    tpl = load_template(template)
    chosen = tpl.select(questions)
    unknown = sorted(set(answers or {}) - {q.id for q in tpl.questions})
    if unknown:
        raise ValidationError(
            f"--answers: no question {', '.join(unknown)} in the template; "
            f"known: {', '.join(q.id for q in tpl.questions)}"
        )
    span = parse(period) if isinstance(period, str) else period
    if policy is None:
        from fieldledger.privacy.policy import load

        policy = load(ws)
    reach = fivew.build(ws, span, grant, lang=lang, policy=policy).tables[0]
    money = finance.build(ws, span, grant, lang=lang, policy=policy, today=today).tables
    grants, tranches = money[0], money[1]

    wanted = {f for q in chosen for f in q.figures}
    made = {
        "reach_by_month": lambda: reach_by_month(reach, tpl, lang),
        "reach_by_group": lambda: reach_by_group(reach, tpl, lang),
        "reach_by_disability": lambda: reach_by_disability(reach, tpl, lang),
        "spending_vs_budget": lambda: spending_vs_budget(grants, tpl, lang),
        "tranche_delays": lambda: tranche_delays(tranches, tpl, lang),
    }
    tables = [administrative(tpl, lang, policy, span, grant, reach, grants)]
    tables += [make() for name, make in made.items() if name in wanted]
    narrative = {q.id: _answer(answers, q.id, lang) for q in chosen}
    return Export(kind=KIND, tables=tables, narrative=narrative)


def _col(table: Table, hxl: str) -> int | None:
    for i, c in enumerate(table.columns):
        if c.hxl == hxl:
            return i
    return None


def _sum(rows: Iterable[Sequence[Any]], i: int) -> int:
    return int(sum(r[i] or 0 for r in rows))


def administrative(
    tpl: Template,
    lang: str,
    policy: Policy,
    period: Period | None,
    grant: str | None,
    reach: Table,
    grants: Table,
) -> Table:
    """Section 1 as (field id, value) rows; the renderer shows each field's label. Grant
    figures come from the finance report's Grants table, places from the 5W's."""
    rows: list[list[Any]] = [["organisation", policy.org]]
    donor, start, end = (_col(grants, h) for h in ("#org+funder+name", "#date+start", "#date+end"))
    budget = _col(grants, "#value+budget")
    # A grant's own row has its budget; rows of spending in other currencies have none.
    own = [r for r in grants.rows if budget is not None and r[budget] is not None]
    one = own[0] if grant is not None and len(own) == 1 else None
    if one is not None and None not in (donor, start, end):
        rows.append(["donor", one[donor] or ""])  # type: ignore[index]
        if reference := _reference(grants, one):
            rows.append(["grant_reference", reference])
        rows.append(["project_period", f"{one[start]} – {one[end]}"])  # type: ignore[index]
    else:
        rows.append(["donor", tpl.word("all_grants", lang)])
    reporting = str(period).replace("..", " – ") if period else tpl.word("all_records", lang)
    rows.append(["reporting_period", reporting])
    if one is not None and end is not None:
        final = period is not None and period.end.isoformat()[:7] >= one[end]
        rows.append(["report_type", tpl.word("final" if final else "interim", lang)])
    rows.append(["country", tpl.word("myanmar", lang)])
    adm1 = _col(reach, "#adm1+name")
    if adm1 is not None:
        areas = sorted({r[adm1] for r in reach.rows if r[adm1]})
        if areas:
            rows.append(["areas", ", ".join(areas)])
    currency = _col(grants, "#currency")
    for field in ("budget", "received", "spent"):
        i = _col(grants, f"#value+{field}")
        if i is None or currency is None:
            continue
        sums: dict[str, float] = {}
        for r in grants.rows:
            if r[i] is not None:
                sums[r[currency]] = sums.get(r[currency], 0.0) + r[i]
        if sums:
            rows.append([field, "; ".join(f"{money(v)} {c}" for c, v in sorted(sums.items()))])
    columns = [Column("field", "label"), Column("value", "label")]
    return Table("administrative", columns, rows, totals=False)


def reach_by_month(reach: Table, tpl: Template, lang: str) -> Table:
    """People reached (5W totals) per month, or per quarter/year when the policy's grain is
    coarser."""
    when, total = _col(reach, "#date"), _col(reach, "#reached+total")
    grain = reach.columns[when].grain if when is not None else "month"
    sums: dict[str, int] = {}
    if when is not None and total is not None:
        for r in reach.rows:
            sums[r[when]] = sums.get(r[when], 0) + int(r[total] or 0)
    columns = [
        Column(tpl.word("month", lang), "date", grain=grain),
        Column(tpl.word("people", lang), "count"),
    ]
    return Table("reach_by_month", columns, [[k, v] for k, v in sorted(sums.items())])


def reach_by_group(reach: Table, tpl: Template, lang: str) -> Table:
    """People reached by the 5W's sex and age groups (their names as the 5W writes them)."""
    from fieldledger.reports.fivew import REACHED

    rows = []
    for _, hxl, *_names in REACHED:
        i = _col(reach, hxl)
        if i is not None:
            rows.append([reach.columns[i].name, _sum(reach.rows, i)])
    columns = [
        Column(tpl.word("group", lang), "category"),
        Column(tpl.word("people", lang), "count"),
    ]
    return Table("reach_by_group", columns, rows)


def reach_by_disability(reach: Table, tpl: Template, lang: str) -> Table:
    disabled, total = _col(reach, "#reached+disabled"), _col(reach, "#reached+total")
    rows = []
    if disabled is not None and total is not None:
        d, t = _sum(reach.rows, disabled), _sum(reach.rows, total)
        rows = [
            [tpl.word("with_disability", lang), d],
            [tpl.word("without_disability", lang), t - d],
        ]
    columns = [
        Column(tpl.word("disability", lang), "category"),
        Column(tpl.word("people", lang), "count"),
    ]
    return Table("reach_by_disability", columns, rows)


def _reference(table: Table, row: Sequence[Any]) -> str | None:
    """A finance table's grant reference: the label column right after the donor's."""
    donor = _col(table, "#org+funder+name")
    if donor is None or donor + 1 >= len(table.columns):
        return None
    if table.columns[donor + 1].kind != "label" or table.columns[donor + 1].hxl:
        return None
    return row[donor + 1] or None


def _grant_name(table: Table, row: Sequence[Any]) -> str:
    """A grant as reports name it: donor alias and reference, never the donor's name."""
    donor = _col(table, "#org+funder+name")
    parts = (row[donor] if donor is not None else None, _reference(table, row))
    return " ".join(str(v) for v in parts if v) or "—"


def spending_vs_budget(grants: Table, tpl: Template, lang: str) -> Table:
    """Budget, received and spent per grant and currency (finance report's Grants table)."""
    cur = _col(grants, "#currency")
    cols = [_col(grants, h) for h in ("#value+budget", "#value+received", "#value+spent")]
    rows = []
    if cur is not None and None not in cols:
        for r in grants.rows:
            rows.append([_grant_name(grants, r), r[cur], *(r[i] for i in cols)])  # type: ignore[index]
    columns = [
        Column(tpl.word("grant", lang), "label"),
        Column(tpl.word("currency", lang), "category"),
        Column(tpl.word("budget", lang), "amount"),
        Column(tpl.word("received", lang), "amount"),
        Column(tpl.word("spent", lang), "amount"),
    ]
    return Table("spending_vs_budget", columns, rows, totals=False)


def tranche_delays(tranches: Table, tpl: Template, lang: str) -> Table:
    """Every tranche: when expected, how much, its status and how many days late (the
    finance report's Tranches table; its last column is the delay)."""
    expected, amount = _col(tranches, "#date+expected"), _col(tranches, "#value+expected")
    cur, status = _col(tranches, "#currency"), _col(tranches, "#status")
    delay = len(tranches.columns) - 1
    rows = []
    if None not in (expected, amount, cur, status):
        for r in tranches.rows:
            rows.append(
                [
                    _grant_name(tranches, r),
                    r[expected],  # type: ignore[index]
                    r[amount],  # type: ignore[index]
                    r[cur],  # type: ignore[index]
                    tpl.word(f"status_{r[status]}", lang),  # type: ignore[index]
                    r[delay],
                ]
            )
    columns = [
        Column(tpl.word("grant", lang), "label"),
        Column(tpl.word("expected", lang), "date", grain="month"),
        Column(tpl.word("expected_amount", lang), "amount"),
        Column(tpl.word("currency", lang), "category"),
        Column(tpl.word("status", lang), "category"),
        Column(tpl.word("days_late", lang), "amount"),
    ]
    return Table("tranche_delays", columns, rows, totals=False)


# -- rendering ---------------------------------------------------------------------------


def money(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _cell(value: Any, column: Column) -> tuple[str, bool]:
    """(text, suppressed) of one cell. None in a count column is a suppressed cell."""
    if value is None:
        return ("—", True) if column.kind in ("count", "event_count") else ("", False)
    if isinstance(value, bool):
        return str(value).lower(), False
    if isinstance(value, int | float):
        if column.kind in ("count", "event_count"):
            return f"{round(value):,}", False
        return money(value), False
    return str(value), False


def _ascii(labels: Sequence[str]) -> bool:
    return all(label.isascii() and len(label) <= 12 for label in labels)


def chart_png(table: Table, figure: Figure) -> bytes | None:
    """A bar chart of `table` as PNG bytes (None when there is nothing to draw). The
    picture holds numbers and ISO months only: words are the HTML's."""
    if not figure.series or not table.rows:
        return None
    if figure.unit is not None and len({r[figure.unit] for r in table.rows}) > 1:
        return None  # amounts in several currencies: the table shows them, no one axis can
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure as MplFigure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    labels = ["" if r[figure.x] is None else str(r[figure.x]) for r in table.rows]
    if not _ascii(labels) or len(set(labels)) != len(labels):
        labels = [str(n) for n in range(1, len(labels) + 1)]  # rows are numbered alike
    n, k = len(labels), len(figure.series)
    style = {
        "font.family": "DejaVu Sans",  # ships with matplotlib: the same on every machine
        "font.size": 7,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.edgecolor": "#444444",
        "svg.hashsalt": "fieldledger",
    }
    with matplotlib.rc_context(style):
        height = max(1.2, 0.2 * n * k + 0.5) if figure.horizontal else 2.0
        fig = MplFigure(figsize=(6.2, height), dpi=CHART_DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        width = 0.8 / k
        for s, col in enumerate(figure.series):
            values = [float(r[col]) if r[col] is not None else 0.0 for r in table.rows]
            offsets = [i + (s - (k - 1) / 2) * width for i in range(n)]
            colour = COLOURS[s % len(COLOURS)]
            if figure.horizontal:
                bars = ax.barh(offsets, values, height=width, color=colour)
            else:
                bars = ax.bar(offsets, values, width=width, color=colour)
            if n * k <= 24:
                shown = ["–" if r[col] is None else f"{r[col]:,.0f}" for r in table.rows]
                ax.bar_label(bars, labels=shown, padding=1.5, fontsize=6)
        ticks = list(range(n))
        number = FuncFormatter(lambda v, _: f"{v:,.0f}")
        if figure.horizontal:
            ax.set_yticks(ticks, labels)
            ax.invert_yaxis()
            ax.xaxis.set_major_formatter(number)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.margins(x=0.12)
        else:
            ax.set_xticks(
                ticks, labels, rotation=45 if n > 8 else 0, ha="right" if n > 8 else "center"
            )
            ax.yaxis.set_major_formatter(number)
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
            ax.margins(y=0.15)
            ax.set_xlim(-0.6, max(n, 5) - 0.4)  # one or two bars do not fill the page
        fig.tight_layout(pad=0.4)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=CHART_DPI, metadata={"Software": None})
    return buffer.getvalue()


def _paragraphs(text: str) -> list[str]:
    """Paragraphs of an answer, each with its line breaks, escaped for HTML."""
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        if block.strip():
            out.append("<br>".join(html.escape(line) for line in block.strip().splitlines()))
    return out


def _figure_view(table: Table, name: str, tpl: Template, lang: str) -> dict[str, Any]:
    figure = FIGURES[name]
    png = chart_png(table, figure)
    labels = ["" if r[figure.x] is None else str(r[figure.x]) for r in table.rows]
    numbered = png is not None and (not _ascii(labels) or len(set(labels)) != len(labels))
    rows, suppressed = [], False
    for n, r in enumerate(table.rows, start=1):
        cells = []
        for value, column in zip(r, table.columns, strict=True):
            text, hidden = _cell(value, column)
            suppressed |= hidden
            cells.append(
                {"text": text, "number": column.kind in ("count", "amount"), "hidden": hidden}
            )
        rows.append({"n": n, "cells": cells})
    total = None
    if table.total_row is not None:  # disclosure control's published totals, never ours
        total = []
        for value, column in zip(table.total_row, table.columns, strict=True):
            if column.kind in ("count", "amount", "event_count"):
                text, hidden = _cell(value, column)
                suppressed |= hidden
                total.append({"text": text, "number": True, "hidden": hidden})
            else:
                total.append({"text": "", "number": False, "hidden": False})
        if not total[0]["number"]:
            total[0]["text"] = tpl.word("total", lang)
    return {
        "name": name,
        "caption": tpl.word(name, lang),
        "total": total,
        "png": base64.b64encode(png).decode("ascii") if png else None,
        "legend": [
            {"label": table.columns[c].name, "colour": COLOURS[s % len(COLOURS)]}
            for s, c in enumerate(figure.series)
        ]
        if png and len(figure.series) > 1
        else [],
        "numbered": numbered,
        "headers": [
            {"text": c.name, "number": c.kind in ("count", "amount")} for c in table.columns
        ],
        "rows": rows,
        "suppressed": suppressed,
        "contacts": figure.contacts,
    }


def render_html(
    export: Export, *, lang: str = "en", template: Template | Path | str | None = None
) -> bytes:
    """The report as one self-contained HTML page (UTF-8 bytes)."""
    import jinja2

    if lang not in LANGS:
        raise ValidationError(f"--lang {lang}: use one of {', '.join(LANGS)}")
    tpl = load_template(template)
    tables = {t.name: t for t in export.tables}
    admin = tables.get("administrative")
    admin_rows = [
        {"label": pick(tpl.administrative.get(str(f), {}), lang) or str(f), "value": str(v or "")}
        for f, v in (admin.rows if admin else [])
    ]
    shown: set[str] = set()
    sections = []
    for sid, heading in tpl.sections:
        if sid == "1":
            continue
        items = []
        for qid, answer in export.narrative.items():
            q = tpl.question(qid)
            if q.section != sid:
                continue
            figures, see = [], []
            for name in q.figures:
                if name not in tables:
                    continue
                if name in shown:
                    see.append(tpl.word(name, lang))
                    continue
                shown.add(name)
                figures.append(_figure_view(tables[name], name, tpl, lang))
            items.append(
                {
                    "id": q.id,
                    "heading": pick(q.heading, lang),
                    "text": pick(q.text, lang),
                    "paragraphs": _paragraphs(answer),
                    "figures": figures,
                    "see": see,
                }
            )
        if items:
            sections.append({"heading": pick(heading, lang), "questions": items})
    env = jinja2.Environment(
        loader=jinja2.FunctionLoader(html_template),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    page = env.get_template(HTML_TEMPLATE).render(
        lang=lang,
        fonts=FONTS[lang],
        colours=COLOURS,
        title=pick(tpl.title, lang),
        section1=pick(dict(tpl.sections).get("1", {}), lang),
        admin=admin_rows,
        sections=sections,
        reviewed_by=export.reviewed_by,
        w=lambda key: tpl.word(key, lang),
    )
    return page.encode("utf-8")


def html_template(name: str) -> str:
    return resources.files(__package__).joinpath("templates", name).read_text("utf-8")


def render_pdf(
    export: Export,
    *,
    lang: str = "en",
    template: Template | Path | str | None = None,
    created: dt.date | None = None,
) -> bytes:
    """The report as PDF bytes (WeasyPrint), metadata as the module docstring says."""
    return pdf_from_html(render_html(export, lang=lang, template=template), created=created)


def pdf_from_html(page: bytes, *, created: dt.date | None = None) -> bytes:
    """PDF bytes of an HTML page made by `render_html`: nothing is fetched but `data:` URIs;
    no producer, author, creator, dates (unless `created`) or file identifier."""
    import weasyprint

    fetcher = weasyprint.URLFetcher(allowed_protocols=("data",))
    document = weasyprint.HTML(string=page.decode("utf-8"), url_fetcher=fetcher)

    def finish(_document: Any, pdf: Any) -> None:
        pdf.info.pop("Producer", None)
        if created is not None:
            import pydyf

            stamp = pydyf.String(f"D:{created:%Y%m%d}000000Z")
            pdf.info["CreationDate"] = stamp
            pdf.info["ModDate"] = stamp

    return document.write_pdf(finisher=finish, pdf_identifier=False)


__all__ = [
    "FIGURES",
    "Question",
    "Template",
    "answers_skeleton",
    "build",
    "load_answers",
    "load_template",
    "render_html",
    "render_pdf",
]
