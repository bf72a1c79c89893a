"""Screens: reports, as `fieldledger report KIND` makes them.

`/reports` lists the kinds the account's role may make; each kind has its own page,
`/reports/<kind>`, so the route table says who may make what: coordinators and admins every
kind, finance officers the finance report only. The page asks the kind's options (period,
grant, language, format; for the 8+3 the questions, the answers and the reviewer's name).

Two steps, both posted to the kind's page:

1. `preview`: the report is built, passed through disclosure control and the export linter
   (`privacy.prepare`), and the page shows what was suppressed or generalised, the linter's
   verdict and the first rows of each table: for the coordinator only, never in the file;
2. `download`: the same options (carried by the preview's own form) build the report again,
   in memory, and it is sent as an attachment (`no-store`, like every page here). Nothing is
   written to disk.

A refusal (the linter's `ExportRefused`, a period that cannot be read, IATI not opted in)
is one line above the form. The builders, the kinds' formats and the writers are those of
the command line (`reports.writers.KINDS`, `reports.writers.render`).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from typing import Any

from starlette.responses import Response

from fieldledger import i18n
from fieldledger.errors import FieldledgerError
from fieldledger.privacy import prepare
from fieldledger.privacy.export import Export
from fieldledger.privacy.linter import ExportRefused
from fieldledger.reports.period import EXAMPLE, parse
from fieldledger.reports.writers import KINDS, render
from fieldledger.web.app import COORDINATORS, Ctx, PageSet, holding, one_line

pages = PageSet()
N_ = i18n.N_


@dataclass(frozen=True)
class ReportKind:
    kind: str  # as `fieldledger report` names it
    slug: str  # in the URL
    title: str  # msgid
    about: str  # msgid
    roles: frozenset[str]
    grant: bool = True  # takes a grant

    @property
    def formats(self) -> tuple[str, ...]:
        return KINDS[self.kind][1]

    @property
    def path(self) -> str:
        return f"/reports/{self.slug}"


def _roles(*compartments: str, finance_officers: bool = False) -> frozenset[str]:
    """Coordinators and admins (and, for the finance report, finance officers), among the
    roles holding every compartment the report reads."""
    makers = COORDINATORS | ({"finance"} if finance_officers else set())
    return frozenset(makers & holding(*compartments))


REPORTS: tuple[ReportKind, ...] = (
    ReportKind(
        "5w",
        "5w",
        N_("5W: who does what, where, when, for whom"),
        N_("People reached by sector, activity, place and month, with the HXL row."),
        _roles("people", "programme"),
    ),
    ReportKind(
        "incidents",
        "incidents",
        N_("Incidents"),
        N_("Incidents by type, month and place; people affected by harm, sex and age."),
        _roles("incidents"),
        grant=False,
    ),
    ReportKind(
        "finance",
        "finance",
        N_("Finance"),
        N_("Per grant: budget, received, spent, late tranches, burn rate and runway."),
        _roles("finance", finance_officers=True),
    ),
    ReportKind(
        "iati",
        "iati",
        N_("IATI activity file"),
        N_("IATI 2.03 XML, once the workspace's report policy opts in to IATI."),
        _roles("finance", "programme"),
    ),
    ReportKind(
        "8+3",
        "8plus3",
        N_("8+3 narrative report"),
        N_("The Grand Bargain 8+3 report: figures filled in, your answers, a reviewer's name."),
        _roles("people", "programme", "finance"),
    ),
)
BY_SLUG = {r.slug: r for r in REPORTS}

FORMAT_LABELS = {
    ".csv": N_("CSV (one table, for HXL tools)"),
    ".xlsx": N_("Excel workbook (.xlsx)"),
    ".pdf": N_("PDF"),
    ".xml": N_("IATI XML"),
    ".html": N_("Web page (.html, answer boxes editable)"),
}
MEDIA_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pdf": "application/pdf",
    ".xml": "application/xml",
    ".html": "text/html; charset=utf-8",
}
# What disclosure control did, as the preview names it.
ACTIONS = {
    "suppressed": N_("Small counts left empty"),
    "complementary": N_("Counts left empty so that totals cannot give the small ones away"),
    "generalised-place": N_("Places made less precise"),
    "raised-place": N_("Places with few people raised to a larger area"),
    "coarsened-date": N_("Dates made less precise"),
    "noise": N_("Noise added to counts"),
}
NOTES_SHOWN = 5  # per table and kind of action, as on the command line
ROWS_SHOWN = 5  # rows of each table in the preview


# -- the options -------------------------------------------------------------------------


@dataclass
class Options:
    period: str = ""
    grant: str = ""
    lang: str = "en"
    fmt: str = ""
    reviewed_by: str = ""
    i_understand: bool = False
    questions: list[str] = field(default_factory=list)
    answers: str = ""

    @classmethod
    def posted(cls, ctx: Ctx, report: ReportKind) -> Options:
        fmt = ctx.field("format")
        return cls(
            period=ctx.field("period"),
            grant=ctx.field("grant") if report.grant else "",
            lang=ctx.field("lang", ctx.lang),
            fmt=fmt if fmt in report.formats else report.formats[0],
            reviewed_by=ctx.field("reviewed_by"),
            i_understand=ctx.field("i_understand") == "on",
            questions=ctx.fields("q"),
            answers=ctx.field("answers"),
        )


def _defaults(ctx: Ctx, report: ReportKind) -> Options:
    opts = Options(lang=ctx.lang, fmt=report.formats[-1])
    if report.kind == "8+3":
        from fieldledger.reports import narrative

        tpl = narrative.load_template()
        opts.questions = list(tpl.default)
        opts.answers = narrative.answers_skeleton(tpl, tpl.default, ctx.lang)
    return opts


def _builder_options(report: ReportKind, opts: Options) -> dict[str, Any]:
    """The keyword arguments of the kind's builder, as `report_command` passes them."""
    if report.kind == "incidents" and opts.fmt == ".csv":
        return {"people_table": False}  # a CSV holds one table
    if report.kind == "8+3":
        from fieldledger.reports import narrative

        answers = narrative.parse_markdown_answers(opts.answers) if opts.answers else None
        return {
            "answers": answers,
            "questions": opts.questions,
            "template": narrative.load_template(),
        }
    return {}


@dataclass
class Made:
    export: Export
    options: dict[str, Any]
    warning: str | None  # what the linter let through because the user said they understand


def _make(ctx: Ctx, report: ReportKind, opts: Options) -> Made:
    """The report as it may be written: built, through disclosure control and the linter.

    Asked to write what the linter warns of, the report is first checked without that
    permission, so the preview can say what was let through."""
    period = parse(opts.period)
    if opts.lang not in i18n.LANGUAGES:
        opts.lang = ctx.lang
    module = importlib.import_module(KINDS[report.kind][0] or "")
    options = _builder_options(report, opts)

    def build() -> Export:
        export = module.build(ctx.ws, period, opts.grant or None, lang=opts.lang, **options)
        export.reviewed_by = opts.reviewed_by or None
        return export

    try:
        return Made(prepare(ctx.ws, build()), options, None)
    except ExportRefused as exc:
        if not opts.i_understand:
            raise
        warning = str(exc)
    return Made(prepare(ctx.ws, build(), i_understand=True), options, warning)


def _refusal(exc: FieldledgerError) -> str:
    if isinstance(exc, ExportRefused) and exc.rule == "narrative-review":
        return i18n._(
            "Refused: the report has written answers, so write the name of the person who "
            "reviewed them."
        )
    line = one_line(exc)
    if isinstance(exc, ExportRefused):
        return i18n._("Refused by the export linter: %(reason)s") % {"reason": line}
    return line


def _note_groups(export: Export) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], list[str]] = {}
    for note in export.notes:
        groups.setdefault((note.table, note.what), []).append(note.detail)
    return [
        {
            "table": table,
            "what": ACTIONS.get(what, what),
            "count": len(details),
            "shown": details[:NOTES_SHOWN],
            "more": max(0, len(details) - NOTES_SHOWN),
        }
        for (table, what), details in groups.items()
    ]


def _samples(export: Export) -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "columns": [c.name for c in t.columns],
            "rows": t.rows[:ROWS_SHOWN],
            "total": len(t.rows),
        }
        for t in export.tables
    ]


def _filename(report: ReportKind, opts: Options) -> str:
    period = re.sub(r"[^0-9A-Za-z.-]", "", opts.period)[:40]
    return f"{report.slug}{'-' + period if period else ''}{opts.fmt}"


# -- the pages ---------------------------------------------------------------------------


def _grants(ctx: Ctx, report: ReportKind) -> list[tuple[str, str]]:
    if not report.grant or not ctx.holds("finance"):
        return []
    return [
        (g["id"], " · ".join(str(v) for v in (g.get("donor_alias"), g.get("reference")) if v))
        for g in ctx.ws.list("grant")
        if not g.get("forgotten")
    ]


def _questions(report: ReportKind) -> list[tuple[str, str, str]]:
    if report.kind != "8+3":
        return []
    from fieldledger.reports import narrative

    lang = i18n.current_language()
    return [
        (q.id, q.section, narrative.pick(q.heading, lang))
        for q in narrative.load_template().questions
    ]


def _page(
    ctx: Ctx,
    report: ReportKind,
    opts: Options,
    *,
    status: int = 200,
    error: str = "",
    made: Made | None = None,
) -> Response:
    return ctx.render(
        "reports_form.html.j2",
        status=status,
        report=report,
        opts=opts,
        error=error,
        grants=_grants(ctx, report),
        questions=_questions(report),
        format_labels=FORMAT_LABELS,
        example=EXAMPLE,
        made=made,
        notes=_note_groups(made.export) if made else [],
        samples=_samples(made.export) if made else [],
    )


def _kind_page(report: ReportKind):
    def handler(ctx: Ctx) -> Response:
        if ctx.request.method == "GET":
            return _page(ctx, report, _defaults(ctx, report))
        opts = Options.posted(ctx, report)
        try:
            made = _make(ctx, report, opts)
            if ctx.field("step") != "download":
                return _page(ctx, report, opts, made=made)
            data = render(ctx.ws, made.export, opts.fmt, opts.lang, made.options.get("template"))
        except FieldledgerError as exc:
            return _page(ctx, report, opts, status=400, error=_refusal(exc))
        ctx.ws.note("report", report.kind)
        return Response(
            data,
            media_type=MEDIA_TYPES[opts.fmt],
            # Cache-Control: no-store comes with every answer but static files (web.app).
            headers={"content-disposition": f'attachment; filename="{_filename(report, opts)}"'},
        )

    handler.__name__ = f"report_{report.slug}"
    return handler


@pages.route("/reports", roles=frozenset().union(*(r.roles for r in REPORTS)))
def reports_index(ctx: Ctx) -> Response:
    return ctx.render("reports_index.html.j2", reports=[r for r in REPORTS if ctx.role in r.roles])


for _report in REPORTS:
    pages.route(
        _report.path,
        roles=_report.roles,
        methods=["GET", "POST"],
        name=f"report_{_report.slug.replace('+', 'plus')}",
    )(_kind_page(_report))
