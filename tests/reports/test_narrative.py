"""The 8+3 narrative report: template, answers, figures from the records, HTML and PDF.

The PDF test renders page 1 to PNG with pdftoppm twice, once as made and once with every
font that covers Myanmar script hidden from fontconfig, and checks that the Burmese title
is drawn with real glyphs (ink, and different ink from the render without the fonts)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

from fieldledger import privacy
from fieldledger.errors import FieldledgerError, ValidationError
from fieldledger.privacy.export import Column, Export, Table
from fieldledger.reports import narrative
from fieldledger.vault.kdf import TEST_PARAMS
from fieldledger.workspace import Workspace

TODAY = dt.date(2026, 6, 30)
PERIOD = "2026-01..2026-06"
CORE = tuple(f"core.{n}" for n in range(1, 9))
# Anything a page could fetch: a URL with a scheme, a src/href/url() not a data: URI.
EXTERNAL = re.compile(
    rb"(?i)(?:https?|ftp|file|wss?):|//[a-z0-9.-]+\.[a-z]{2,}"
    rb"|(?:src|href)\s*=\s*[\"']?(?!data:|#)[^\s\"'>]"
    rb"|url\(\s*[\"']?(?!data:)|@import|<script|<link|<iframe|<object|<embed"
)
MYANMAR = re.compile("[\u1000-\u109f]")


@pytest.fixture
def eight_plus_three(small):
    """The 8+3 of the hand-made workspace's grant, all eight core questions and one more;
    the grant's first tranche came 20 days late, the second is 76 days late on TODAY."""
    for expected, received in (("2026-01-15", "2026-02-04"), ("2026-04-15", None)):
        tranche = {"grant_id": small.ids["grant"], "expected_date": expected}
        tranche["expected_amount"] = 6000
        if received:
            tranche.update(received_date=received, received_amount=6000)
        small.ws.add("tranche", tranche)
    return narrative.build(
        small.ws,
        PERIOD,
        small.ids["grant"],
        questions=[*CORE, "add.funding"],
        answers={"core.1": "The road to the camp was closed in March.\n\nWe walked instead."},
        today=TODAY,
    )


def made_export(**narrative_text: str) -> Export:
    """An export as `build` makes it, by hand: for rendering alone."""
    return Export(
        kind="8+3",
        tables=[
            Table(
                "administrative",
                [Column("field", "label"), Column("value", "label")],
                [["organisation", "Test org"], ["reporting_period", "2026-01-01 – 2026-06-30"]],
                totals=False,
            ),
            Table(
                "reach_by_month",
                [Column("Month", "date", grain="month"), Column("People reached", "count")],
                [["2026-01", 1234], ["2026-02", None], ["2026-03", None], ["2026-04", 57]],
                total_row=[None, 1321],
            ),
        ],
        narrative=narrative_text or {q: "" for q in CORE},
    )


# -- the template ----------------------------------------------------------------------


def test_template_has_the_three_sections_eight_core_questions_in_both_languages():
    tpl = narrative.load_template()
    assert [sid for sid, _ in tpl.sections] == ["1", "2", "3"]
    core = [q for q in tpl.questions if q.section == "2"]
    extra = [q for q in tpl.questions if q.section == "3"]
    assert [q.id for q in core] == list(CORE)
    assert len(extra) >= 3 and tpl.max_additional == 3
    assert tpl.default == CORE
    for q in tpl.questions:
        for texts in (q.heading, q.text):
            assert texts["en"] and texts["my"]
            assert MYANMAR.search(texts["my"]) and not MYANMAR.search(texts["en"])
        assert set(q.figures) <= set(narrative.FIGURES)
    for texts in (*tpl.administrative.values(), *tpl.strings.values()):
        assert texts["en"] and texts["my"]
    figures = {f for q in tpl.questions for f in q.figures}
    assert figures == set(narrative.FIGURES)  # every figure has a question that shows it


# Section 1 as `narrative.administrative` fills it: organisation, grant and period, place,
# money. Each needs a label in the template, in English and Burmese.
ADMINISTRATIVE = (
    "organisation",
    "donor",
    "grant_reference",
    "project_period",
    "reporting_period",
    "report_type",
    "country",
    "areas",
    "budget",
    "received",
    "spent",
)


def test_section_two_has_exactly_eight_questions_and_section_one_its_fields(eight_plus_three):
    """The 8+3 template's shape: section 1 administrative information, section 2 eight
    questions (the template's default), section 3 up to three of the additional ones."""
    tpl = narrative.load_template()
    sections = [q.section for q in tpl.questions]
    assert sections.count("2") == 8
    assert sections == sorted(sections)  # section 2 first, then section 3
    assert tpl.default == tuple(q.id for q in tpl.questions if q.section == "2")
    assert set(sections) == {"2", "3"} and sections.count("3") > tpl.max_additional == 3
    assert tuple(tpl.administrative) == ADMINISTRATIVE
    for field in ADMINISTRATIVE:
        label = tpl.administrative[field]
        assert label["en"] and MYANMAR.search(label["my"]), field
    # Every field the report writes has its label: none is shown by its bare id.
    admin = next(t for t in eight_plus_three.tables if t.name == "administrative")
    written = [row[0] for row in admin.rows]
    assert set(written) == set(ADMINISTRATIVE)  # one grant: every field is known
    page = narrative.render_html(eight_plus_three, lang="my").decode("utf-8")
    for field in ADMINISTRATIVE:
        assert narrative.html.escape(tpl.administrative[field]["my"]) in page, field


def test_donors_choose_subsets_and_section_three_holds_at_most_three():
    tpl = narrative.load_template()
    four_plus_three = "core.4, core.1,core.3,core.8,add.cash,add.funding,add.gender"
    chosen = [q.id for q in tpl.select(four_plus_three)]
    # the template's order, whatever order they were asked in
    assert chosen == [
        "core.1",
        "core.3",
        "core.4",
        "core.8",
        "add.cash",
        "add.gender",
        "add.funding",
    ]
    assert [q.id for q in tpl.select(["core.2", "add.risk"])] == ["core.2", "add.risk"]
    with pytest.raises(ValidationError, match="at most 3"):
        tpl.select("core.1,add.cash,add.funding,add.gender,add.risk")
    with pytest.raises(ValidationError, match=r"core\.9"):
        tpl.select("core.1,core.9")
    with pytest.raises(ValidationError):
        tpl.select("")


def test_a_users_own_copy_of_the_template(tmp_path):
    import yaml

    data = yaml.safe_load(
        (Path(narrative.__file__).parent / "templates" / narrative.TEMPLATE).read_text("utf-8")
    )
    data["questions"][0]["heading"]["en"] = "What changed (our donor's wording)"
    data["default"] = ["core.1", "core.4"]
    mine = tmp_path / "mine.yaml"
    mine.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    tpl = narrative.load_template(mine)
    assert [q.id for q in tpl.select(None)] == ["core.1", "core.4"]
    assert narrative.load_template() is narrative.load_template()  # built in: parsed once
    assert [q.id for q in narrative.load_template().select(None)] != ["core.1", "core.4"]
    page = narrative.render_html(made_export(**{"core.1": "", "core.4": ""}), template=mine)
    assert b"What changed (our donor&#39;s wording)" in page

    data["questions"][1]["figures"] = ["no_such_figure"]
    mine.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValidationError, match="no_such_figure"):
        narrative.load_template(mine)
    mine.write_text("questions: [", encoding="utf-8")
    with pytest.raises(ValidationError, match="not YAML"):
        narrative.load_template(mine)


# -- answers ---------------------------------------------------------------------------


def test_answers_from_markdown_and_yaml(tmp_path):
    md = tmp_path / "answers.md"
    md.write_text(
        "Notes before any question are not an answer.\n\n"
        "## core.1 Changes and amendments\n\n"
        "> the prompt, copied from the skeleton\n"
        "The road was closed.\n\n### Details\nWe walked.\n\n"
        "## core.3\n\nလမ်းပိတ်ထားသည်။\n",
        encoding="utf-8",
    )
    answers = narrative.load_answers(md)
    assert answers == {
        "core.1": "> the prompt, copied from the skeleton\nThe road was closed.\n\n"
        "### Details\nWe walked.",
        "core.3": "လမ်းပိတ်ထားသည်။",
    }
    yml = tmp_path / "answers.yaml"
    yml.write_text(
        'core.2: "Most of it."\ncore.5:\n  en: "They told us."\n  my: "ပြောပြခဲ့သည်။"\n',
        encoding="utf-8",
    )
    assert narrative.load_answers(yml) == {
        "core.2": "Most of it.",
        "core.5": {"en": "They told us.", "my": "ပြောပြခဲ့သည်။"},
    }
    skeleton = narrative.answers_skeleton(questions="core.1,add.cash", lang="my")
    assert skeleton.startswith("## core.1 ") and "## add.cash " in skeleton
    assert narrative.parse_markdown_answers(skeleton).keys() == {"core.1", "add.cash"}


def test_build_takes_answers_and_refuses_unknown_ids(small, eight_plus_three):
    export = eight_plus_three
    assert export.kind == "8+3"
    assert list(export.narrative) == [*CORE, "add.funding"]
    assert export.narrative["core.1"] == (
        "The road to the camp was closed in March.\n\nWe walked instead."
    )
    assert all(export.narrative[q] == "" for q in CORE[1:])
    assert export.reviewed_by is None
    both = {"core.5": {"en": "They told us.", "my": "ပြောပြခဲ့သည်။"}, "core.2": "> prompt"}
    mine = narrative.build(small.ws, PERIOD, None, lang="my", answers=both, today=TODAY)
    assert mine.narrative["core.5"] == "ပြောပြခဲ့သည်။"
    assert mine.narrative["core.2"] == ""  # only the skeleton's quoted prompt
    with pytest.raises(ValidationError, match=r"core\.88"):
        narrative.build(small.ws, PERIOD, None, answers={"core.88": "x"}, today=TODAY)
    with pytest.raises(ValidationError, match="--lang"):
        narrative.build(small.ws, PERIOD, None, lang="fr", today=TODAY)


# -- figures from the records ----------------------------------------------------------


def test_figures_come_from_the_5w_and_finance_reports(small, eight_plus_three):
    tables = {t.name: t for t in eight_plus_three.tables}
    assert set(tables) == {
        "administrative",
        "reach_by_month",
        "reach_by_group",
        "reach_by_disability",
        "spending_vs_budget",
        "tranche_delays",
    }
    admin = dict(tables["administrative"].rows)
    assert admin["organisation"] == "our organisation"  # the default policy
    assert admin["donor"] == "Donor X"  # the alias, never the donor's name
    assert admin["grant_reference"] == "X-1"
    assert admin["project_period"] == "2026-01 – 2026-12"
    assert admin["reporting_period"] == "2026-01-01 – 2026-06-30"
    assert admin["report_type"] == "Interim report"
    assert admin["budget"] == "12,000 USD"
    assert admin["received"] == "6,000 USD"
    assert admin["spent"] == "100 USD"
    assert "A donor whose name is a risk" not in repr(eight_plus_three)
    # The grant paid for one cash distribution to H1 (February: five people, one of them
    # with a disability), and for the project's planting in March (eight participants).
    assert tables["reach_by_month"].rows == [["2026-02", 5], ["2026-03", 8]]
    group = dict(tables["reach_by_group"].rows)
    assert group["Women (18-59)"] == 1 + 3
    assert sum(group.values()) == 13
    assert dict(tables["reach_by_disability"].rows) == {
        "With a disability": 1 + 1,
        "No disability recorded": 11,
    }
    assert tables["spending_vs_budget"].rows == [["Donor X X-1", "USD", 12000.0, 6000.0, 100.0]]
    assert tables["tranche_delays"].rows == [
        ["Donor X X-1", "2026-01", 6000.0, "USD", "received", 20],
        ["Donor X X-1", "2026-04", 6000.0, "USD", "late", 76],
    ]
    for t in eight_plus_three.tables:
        assert all(c.kind in ("label", "category", "date", "count", "amount") for c in t.columns)


def test_only_the_figures_the_chosen_questions_show(small):
    export = narrative.build(small.ws, PERIOD, None, questions="core.2,core.5", today=TODAY)
    assert [t.name for t in export.tables] == ["administrative"]
    assert dict(export.tables[0].rows)["donor"] == "All grants"


# -- HTML ------------------------------------------------------------------------------


def test_html_has_every_selected_question_the_figures_and_nothing_external(eight_plus_three):
    tpl = narrative.load_template()
    for lang in ("en", "my"):
        page = narrative.render_html(eight_plus_three, lang=lang)
        text = page.decode("utf-8")
        assert f'<html lang="{lang}">' in text
        for qid in eight_plus_three.narrative:
            q = tpl.question(qid)
            assert f'id="{qid}"' in text
            assert narrative.html.escape(narrative.pick(q.heading, lang)) in text
            assert narrative.html.escape(narrative.pick(q.text, lang)) in text
        for _sid, heading in tpl.sections:
            assert narrative.html.escape(narrative.pick(heading, lang)) in text
        assert text.count('contenteditable="true"') == 8  # the questions not answered
        placeholder = narrative.html.escape(tpl.word("placeholder", lang))
        assert text.count(f'data-placeholder="{placeholder}"></div>') == 8
        assert "<p>The road to the camp was closed in March.</p>" in text
        assert "<p>We walked instead.</p>" in text
        assert text.count("data:image/png;base64,") == 4  # disability is a table alone
        for figure in ("reach_by_month", "reach_by_group", "spending_vs_budget"):
            assert f'id="figure-{figure}"' in text
        assert "12,000" in text and "Donor X X-1" in text
        assert '<td>2026-03</td><td class="num">8</td>' in text
        assert not EXTERNAL.search(page), EXTERNAL.search(page)
    burmese = narrative.render_html(eight_plus_three, lang="my").decode("utf-8")
    assert 'font-family: "Noto Sans Myanmar", "Padauk", sans-serif' in burmese
    assert "မူကြမ်း" in burmese  # "draft": nobody has signed it off


def test_html_marks_suppressed_cells_and_prints_disclosure_controls_totals():
    page = narrative.render_html(made_export(**{"core.3": ""}), lang="en").decode("utf-8")
    assert page.count('<td class="num hidden">—</td>') == 2
    assert "too few people to publish safely" in page
    assert '<td class="num">1,321</td>' in page  # the total disclosure control published
    assert "1,291" not in page  # never a total of our own


def test_answers_are_text_not_markup():
    page = narrative.render_html(
        made_export(**{"core.1": '<img src="http://example.org/x.png"> & <b>bold</b>'})
    )
    assert b"&lt;img src=&quot;http://example.org/x.png&quot;&gt; &amp; &lt;b&gt;" in page
    assert b'<img src="http' not in page


def test_identical_records_give_identical_html_and_pdf(tmp_path):
    """Two workspaces filled from one seed hold the same records (ids included)."""
    from fieldledger import demo

    pages = []
    for n in (1, 2):
        ws = Workspace.init(
            tmp_path / f"ws{n}",
            "quiet river stone lantern maple",
            params=TEST_PARAMS,
            check_strength=False,
        )
        try:
            demo.fill(ws, households=20, seed=11, today=TODAY)
            grant = ws.conn.execute("SELECT id FROM grants ORDER BY id").fetchone()[0]
            export = narrative.build(
                ws, PERIOD, grant, lang="my", questions=[*CORE, "add.funding"], today=TODAY
            )
        finally:
            ws.close()
        page = narrative.render_html(export, lang="my")
        pages.append((page, narrative.pdf_from_html(page)))
    assert pages[0][0] == pages[1][0]
    assert pages[0][1] == pages[1][1]
    assert pages[0][0].count(b"data:image/png;base64,") == 4


# -- PDF -------------------------------------------------------------------------------


def _unpacked(pdf: bytes) -> bytes:
    """The PDF with every compressed stream inflated (the document information dictionary
    sits in a compressed object stream)."""
    out = [pdf]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", pdf, re.S):
        with contextlib.suppress(zlib.error):
            out.append(zlib.decompress(match.group(1)))
    return b"\n".join(out)


def _info(pdf: bytes) -> str:
    return subprocess.run(
        ["pdfinfo", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_pdf_metadata_says_nothing_of_who_when_or_with_what():
    export = made_export(**{"core.1": "An answer."})
    export.reviewed_by = "Programme coordinator"
    pdf = narrative.render_pdf(export, lang="en")
    assert pdf.startswith(b"%PDF-")
    assert pdf == narrative.render_pdf(export, lang="en")
    everything = _unpacked(pdf)
    assert b"/Title" in everything  # the check below sees inside the object streams
    for word in (b"/Producer", b"/Author", b"/Creator", b"/CreationDate", b"/ModDate"):
        assert word not in everything
    assert not re.search(rb"/ID\s*\[", everything)  # no file identifier
    assert b"weasyprint" not in everything.lower()
    info = _info(pdf)
    assert "Title:" in info
    for field in ("Producer:", "Author:", "Creator:", "CreationDate:", "ModDate:"):
        assert field not in info
    dated = narrative.render_pdf(export, lang="en", created=dt.date(2026, 7, 1))
    assert "CreationDate:    Wed Jul  1 00:00:00 2026 UTC" in _info(dated)


def _page_one(pdf: bytes, where: Path):
    from PIL import Image

    (where / "report.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "100",
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(where / "report.pdf"),
            str(where / "page"),
        ],
        check=True,
    )
    return Image.open(io.BytesIO((where / "page.png").read_bytes())).convert("L")


def _fonts(pdf: bytes) -> str:
    return subprocess.run(
        ["pdffonts", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()


def test_pdf_draws_burmese_with_myanmar_glyphs_not_tofu(tmp_path):
    export = made_export(**{"core.1": "လမ်းပိတ်ထားသဖြင့် ခြေလျင် သွားခဲ့ရသည်။"})
    page = narrative.render_html(export, lang="my")
    good = narrative.pdf_from_html(page)

    # The same page with the Myanmar fonts made unavailable: the CSS names a Latin font
    # only, and fontconfig rejects every font file that covers U+1000 (Myanmar KA).
    latin = page.replace(narrative.FONTS["my"].encode(), b'"Noto Sans"')
    assert latin != page
    covering = subprocess.run(
        ["fc-list", "--format", "%{file}\n", ":charset=1000"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert any("NotoSansMyanmar" in f for f in covering), "fonts-noto-core is not installed"
    assert any("Padauk" in f for f in covering), "fonts-sil-padauk is not installed"
    rejects = "".join(f"<glob>{f}</glob>" for f in covering)
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        '<include ignore_missing="yes">/etc/fonts/fonts.conf</include>\n'
        f"<cachedir>{tmp_path / 'fc-cache'}</cachedir>\n"
        f"<selectfont><rejectfont>{rejects}</rejectfont></selectfont>\n</fontconfig>\n",
        encoding="utf-8",
    )
    (tmp_path / "latin.html").write_bytes(latin)
    bad = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from fieldledger.reports.narrative import pdf_from_html; "
            "sys.stdout.buffer.write(pdf_from_html(open(sys.argv[1], 'rb').read()))",
            str(tmp_path / "latin.html"),
        ],
        capture_output=True,
        check=True,
        env={**os.environ, "FONTCONFIG_FILE": str(conf)},
        timeout=300,
    ).stdout
    assert bad.startswith(b"%PDF-")
    assert "Myanmar" in _fonts(good) or "Padauk" in _fonts(good)
    assert "Myanmar" not in _fonts(bad) and "Padauk" not in _fonts(bad)

    (tmp_path / "good").mkdir()
    (tmp_path / "bad").mkdir()
    with_fonts = _page_one(good, tmp_path / "good")
    without = _page_one(bad, tmp_path / "bad")
    assert with_fonts.size == without.size
    # The title at the top of page 1 is Burmese (lang my): the band from the top margin
    # (18 mm, 71 px at 100 dpi) down to 14 % of the page holds it and the draft badge.
    width, height = with_fonts.size
    box = (0, 60, width, int(height * 0.14))
    a = with_fonts.crop(box).point(lambda v: 255 if v < 128 else 0)
    b = without.crop(box).point(lambda v: 255 if v < 128 else 0)
    ink = sum(1 for v in a.tobytes() if v)
    assert ink > 1500, f"no Burmese drawn in the title band ({ink} dark pixels)"
    from PIL import ImageChops

    differ = sum(1 for v in ImageChops.difference(a, b).tobytes() if v)
    assert differ > ink // 4, f"the Burmese title looks the same without Myanmar fonts ({differ})"


# -- the linter ------------------------------------------------------------------------


def _prepare():
    prepare = getattr(privacy, "prepare", None)
    if prepare is None:  # being written (issue 5): the refusals are checked once it exists
        pytest.skip("fieldledger.privacy.prepare is not there yet")
    return prepare


def test_a_narrative_naming_a_person_is_refused(small):
    prepare = _prepare()
    export = narrative.build(
        small.ws,
        PERIOD,
        small.ids["grant"],
        questions="core.4",
        answers={"core.4": "Canary One told us the rice came late."},
        today=TODAY,
    )
    export.reviewed_by = "Programme coordinator"
    with pytest.raises(FieldledgerError, match=r"(?i)name|person"):
        prepare(small.ws, export)


def test_a_narrative_nobody_signed_off_is_refused_and_a_signed_one_passes(small):
    prepare = _prepare()
    answers = {"core.4": "Families displaced in January received rice and cash."}
    export = narrative.build(
        small.ws,
        PERIOD,
        small.ids["grant"],
        questions="core.4",
        answers=answers,
        today=TODAY,
    )
    with pytest.raises(FieldledgerError, match=r"(?i)review"):
        prepare(small.ws, export)
    export.reviewed_by = "Programme coordinator"
    prepared = prepare(small.ws, export)
    page = narrative.render_html(prepared, lang="en").decode("utf-8")
    assert "Reviewed and signed off by: Programme coordinator" in page
    assert "Draft" not in page
