"""Customer text is data: scripts, images, links and formulas stay inert in the UI and in every export."""

from __future__ import annotations

import io

from conftest import APP
from hostile import CORPUS
from streamlit.testing.v1 import AppTest

HOSTILE = '<script>alert(1)</script> <img src=x onerror=alert(2)> [click](http://evil.example) ![i](http://x/i.png)'



def hostile_survey() -> bytes:
    rows = "".join(f'{i},{i % 11},{1 + i % 5},EMEA,"{HOSTILE.replace(chr(34), chr(34) * 2)} #{i}"\n' for i in range(40))
    rows += "".join(f'{40 + i},{i % 11},3,EMEA,"=HYPERLINK(""http://evil.example"",""x"") {i}"\n' for i in range(10))
    return ("id,Likelihood to recommend,Billing,Region,Comment\n" + rows).encode()


def test_hostile_comments_render_as_plain_text_in_the_app():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("../pages/data.py")
    at.run()
    at.file_uploader(key="data_upload").upload("hostile.csv", hostile_survey(), "text/csv").run()
    assert not at.exception
    at.session_state["work"]["codebook"] = [{"theme": "Alerts", "pattern": "alert", "parent": ""},
                                            {"theme": "Links", "pattern": "hyperlink", "parent": ""}]
    at.switch_page("../pages/comments.py")
    at.run()
    assert not at.exception
    at.selectbox(key="comments_theme").set_value("Alerts").run()
    assert not at.exception
    shown = [m.value for m in at.markdown if "alert" in m.value]
    assert shown, "the verbatims of the theme are listed"
    for text in shown:
        # every markup character of the comment is escaped, so markdown shows it literally
        assert "<script>" not in text and "\\<script\\>" in text
        assert "[click](" not in text and "!\\[i\\]" in text
    assert not any("alert" in h.value for h in at.get("html"))


def test_escaped_markdown_shows_the_same_characters_and_no_link_colour_or_icon():
    """Backslashes keep the punctuation literal; an invisible word joiner breaks bare links and colon codes."""
    import re

    from cx.ui import escape_md

    texts = [HOSTILE, 'see https://evil.example/x, WWW.evil.example or bad@evil.example', ":red[alarm] :smile: "
             ":material/warning:", "a\\b \\* c &amp; #1 - 2. _x_ ~y~ $z$ `q` <b>|t|</b>", "Region: EMEA"]
    for text in texts:
        out = escape_md(text)
        assert re.sub(r"\\(.)", r"\1", out.replace("\u2060", "")) == text
        bare = re.sub(r"\\(.)", r"\1", out)  # what the markdown renderer searches for links and codes
        assert not re.search(r"://|(?i:www)\.|@\w|:[A-Za-z/]", bare), (text, out)


def test_hostile_comments_are_inert_in_every_export(tmp_path):
    import openpyxl

    from cx.analysis import load_survey
    from cx.plan import build_action_plan
    from cx.report import plan_html, plan_markdown, plan_xlsx

    path = tmp_path / "hostile.csv"
    path.write_bytes(hostile_survey())
    _, survey = load_survey(path)
    book = {"Alerts": "alert", "Links": "hyperlink"}
    examples = ["=HYPERLINK(\"http://evil.example\",\"x\")", HOSTILE, "+1 call me", "-rm", "@SUM(A1)", "\tx", "\rx"]
    root_causes = [{"theme": "Alerts", "scope": "Overall", "examples": examples, "whys": examples[:5],
                    "diamond": HOSTILE, "indicator": {"name": "=1+1", "owner": "@me"}}]
    plan = build_action_plan(survey.frame, survey.roles, codebook=book, root_causes=root_causes,
                             filter_text=HOSTILE, source="<b>file</b>.csv")
    html = plan_html(plan).decode()
    assert "<script>" not in html and "onerror=alert" not in html.replace("onerror=alert(2)&gt;", "")
    assert "&lt;script&gt;" in html
    wb = openpyxl.load_workbook(io.BytesIO(plan_xlsx(plan)))
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
    md = plan_markdown(plan).decode()
    assert "<script>" not in md


def test_corpus_entries_for_inert_text_exist():
    assert "script_comments.csv" in CORPUS and "formula_injection.csv" in CORPUS
