"""Comments page on the sample survey: the Pareto is pareto_table's (and the CLI's), every control works."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import numpy as np
import pandas as pd
import pytest
import streamlit as st
from conftest import APP, ROOT, SAMPLE
from streamlit.testing.v1 import AppTest

from cx.clean import Survey, inspect_survey, prepare_survey
from cx.drivers import bottom_box_mask
from cx.load import read_survey
from cx.themes import (
    WEIGHTINGS,
    code_comments,
    compare_vital_few,
    pareto_table,
    starter_codebook,
    weighted_pareto,
)

PAGE = "comments"



def run_app(page: str | None = PAGE, drill: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    if drill is not None:
        at.session_state["drill"] = drill
    if page:
        at.switch_page(f"../pages/{page}.py")
        at.run()
        assert not at.exception, at.exception
    return at


@cache
def sample() -> Survey:
    """The cleaned sample survey with the roles the app infers."""
    raw = read_survey(SAMPLE.read_bytes(), SAMPLE.name)
    inspection = inspect_survey(raw)
    return prepare_survey(raw, inspection.roles, inspection)


@cache
def sample_coded():
    s = sample()
    return code_comments(s.frame[s.roles.comments], starter_codebook())


def table(at: AppTest, column: str) -> pd.DataFrame:
    """The first dataframe on the page that has ``column``."""
    return next(df.value for df in at.dataframe if column in df.value.columns)


def pareto_shown(at: AppTest) -> pd.DataFrame:
    return table(at, "cumulative_share")


def verbatims_shown(at: AppTest) -> pd.DataFrame:
    return table(at, "matched_words")


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def editor(at: AppTest):
    return next(e for e in at.data_editor if str(e.key).startswith("comments_codebook_"))


def edit_codebook(at: AppTest, *, edited=None, added=None, deleted=None, button="comments_codebook_apply") -> AppTest:
    """Seed the codebook editor's edit state (as a user's edits) and press a button."""
    at.session_state[editor(at).key] = {"edited_rows": edited or {}, "added_rows": added or [],
                                        "deleted_rows": deleted or []}
    at.button(key=button).click().run()
    assert not at.exception, at.exception
    return at


def assert_pareto_equals(shown: pd.DataFrame, expected) -> None:
    assert shown["theme"].tolist() == [i.theme for i in expected.items]
    assert shown["count"].tolist() == [i.count for i in expected.items]
    # shown in percent
    np.testing.assert_allclose(shown["share"], [100 * i.share for i in expected.items])
    np.testing.assert_allclose(shown["cumulative_share"], [100 * i.cumulative_share for i in expected.items])
    assert shown["vital_few"].tolist() == [i.vital_few for i in expected.items]


def test_pareto_equals_pareto_table_and_the_cli():
    """Default codebook, no filter: the page's table is pareto_table of the coding, and the CLI's themes."""
    at = run_app()
    shown = pareto_shown(at)
    expected = pareto_table(sample_coded())
    assert_pareto_equals(shown, expected)
    cli = json.loads(subprocess.run([sys.executable, "-m", "cx", "analyze", str(SAMPLE)], cwd=ROOT, check=True,
                                    capture_output=True, text=True).stdout)["themes"]
    assert shown["theme"].tolist() == [i["theme"] for i in cli["items"]]
    assert shown["count"].tolist() == [i["count"] for i in cli["items"]]
    np.testing.assert_allclose(shown["cumulative_share"], [100 * i["cumulative_share"] for i in cli["items"]])
    assert shown["vital_few"].tolist() == [i["vital_few"] for i in cli["items"]]
    assert metric(at, "Comments") == f"{cli['comments']:,}"
    assert metric(at, "Coverage") == f"{100 * cli['coverage']:.0f}%"
    vital = expected.vital_few
    assert metric(at, "Vital few") == f"{len(vital)} of {expected.themes_with_mentions} themes"
    headline = next(m.value for m in at.markdown if "make up" in m.value)
    assert headline.startswith(f"**{len(vital)} of {expected.themes_with_mentions} themes make up 82% of mentions")
    assert "Billing errors" in headline and "Product quality" in headline
    # net sentiment is there for every mentioned theme
    assert shown.loc[shown["count"] > 0, "net_sentiment"].between(-100, 100).all()
    assert not [w for w in at.warning if "default value" in w.value]


def test_weighting_switch_changes_the_pareto_and_the_vital_few():
    """Each weighting's table is weighted_pareto's; the shift table compares all four with mentions."""
    s = sample()
    coded = sample_coded()
    at = run_app()
    radio = at.radio(key="comments_weighting")
    assert list(radio.options) == ["Mentions", "Detractor mentions", "Revenue of the commenters", "NPS impact"]
    paretos = {w: weighted_pareto(s.frame, coded, w, loyalty_col=s.roles.loyalty, revenue_col=s.roles.revenue)
               for w in WEIGHTINGS}
    for w in ("detractor mentions", "revenue", "nps impact"):
        radio = at.radio(key="comments_weighting").set_value(w)
        at.run()
        assert not at.exception, at.exception
        shown = pareto_shown(at)
        assert_pareto_equals(shown, paretos[w])
        np.testing.assert_allclose(shown["weight"], [i.weight for i in paretos[w].items])
    shift = compare_vital_few(paretos)
    summary = table(at, "enters")
    assert summary["weighting"].tolist() == list(WEIGHTINGS)
    assert summary["vital_few"].tolist() == ["; ".join(shift.vital[w]) for w in WEIGHTINGS]
    assert summary["enters"].tolist() == ["; ".join(shift.entered[w]) for w in WEIGHTINGS]
    assert paretos["nps impact"].vital_few != paretos["mentions"].vital_few
    # the choice is kept when the page is left and opened again
    at.switch_page("../pages/overview.py").run()
    at.switch_page("../pages/comments.py").run()
    assert at.radio(key="comments_weighting").value == "nps impact"


def test_theme_selectbox_lists_verbatims_with_masked_emails():
    """Pick a theme whose comments hold an e-mail address: the list masks it, the toggle shows it."""
    s = sample()
    coded = sample_coded()
    text = s.frame[s.roles.comments]
    has_email = text.str.contains("@", regex=False).fillna(False).to_numpy()
    theme = next(t for t in pareto_table(coded).vital_few if (coded.theme_mask(t) & has_email).any())
    at = run_app()
    assert at.selectbox(key="comments_theme").value is None
    at.selectbox(key="comments_theme").set_value(theme).run()
    assert not at.exception, at.exception
    assert at.session_state["drill"]["theme"] == theme
    shown = verbatims_shown(at)
    n = int(coded.theme_mask(theme).sum())
    assert len(shown) == min(n, 1000)
    assert shown.columns.tolist()[:4] == ["comment", "score", "nps_group", "sentiment"]
    assert shown["score"].is_monotonic_increasing  # detractors first
    assert set(shown["nps_group"].dropna()) <= {"Detractor", "Passive", "Promoter"}
    assert shown["sentiment"].isin(["positive", "neutral", "negative"]).all()
    assert (shown["matched_words"] != "").all()
    assert not shown["comment"].str.contains("@", regex=False).any()
    assert shown["comment"].str.contains("[email]", regex=False).any()
    highlighted = next(m.value for m in at.markdown if m.value.startswith("- *"))
    assert "**" in highlighted and "@" not in highlighted and "<" not in highlighted.replace("\\<", "")
    assert highlighted.count("\n- *") == min(n, 12) - 1
    at.toggle(key="comments_unmask").set_value(True).run()
    assert not at.exception, at.exception
    assert verbatims_shown(at)["comment"].str.contains("@", regex=False).any()


def test_start_five_whys_sets_the_drill_with_count_and_three_masked_examples(monkeypatch):
    """What the Root cause page receives: the theme, its count in scope and three distinct masked examples."""
    coded = sample_coded()
    theme = pareto_table(coded).items[0].theme
    at = run_app(drill={"driver": None, "from": "Key drivers"})
    at.selectbox(key="comments_theme").set_value(theme).run()
    switched: list[str] = []
    monkeypatch.setattr(st, "switch_page", lambda page: switched.append(str(page)))  # read the drill here
    at.button(key="comments_five_whys").click().run()
    assert not at.exception, at.exception
    drill = at.session_state["drill"]
    assert drill["theme"] == theme and drill["from"] == "Key drivers → Comments"
    assert drill["theme_count"] == int(coded.theme_mask(theme).sum())
    examples = drill["examples"]
    assert len(examples) == 3 and len({" ".join(e.casefold().split()) for e in examples}) == 3
    assert not any("@" in e for e in examples)
    if (ROOT / "pages" / "root_cause.py").exists():
        assert switched == [str(ROOT / "pages" / "root_cause.py")]


def test_codebook_edit_with_an_invalid_pattern_keeps_the_other_themes_coded():
    at = run_app()
    before = pareto_shown(at).set_index("theme")["count"]
    edit_codebook(at, edited={0: {"pattern": "invoice("}})
    book = at.session_state["work"]["codebook"]
    assert book[0] == {"theme": "Billing errors", "pattern": "invoice(", "parent": "Billing and invoicing"}
    warning = next(w.value for w in at.warning if "Not coded" in w.value)
    assert "Billing errors" in warning
    flagged = editor(at).value
    assert flagged.loc[flagged["theme"] == "Billing errors", "problem"].iloc[0].startswith("invalid pattern")
    after = pareto_shown(at).set_index("theme")["count"]
    assert "Billing errors" not in after.index
    assert after.to_dict() == before.drop("Billing errors").to_dict()
    # back to the starter codebook in one click
    at.button(key="comments_codebook_reset").click().run()
    assert not at.exception, at.exception
    assert pareto_shown(at).set_index("theme")["count"].to_dict() == before.to_dict()


def test_unsaved_codebook_edits_show_their_problems_before_they_are_applied():
    at = run_app()
    at.session_state[editor(at).key] = {"edited_rows": {1: {"pattern": "("}}, "added_rows": [{"theme": "",
                                        "pattern": "x"}], "deleted_rows": []}
    at.run()
    assert not at.exception, at.exception
    assert any(c.value == "Unsaved changes." for c in at.caption)
    problems = table(at, "skipped")
    assert problems["theme"].tolist() == ["Invoice clarity", ""]
    assert problems["problem"].iloc[0].startswith("invalid pattern") and "no name" in problems["problem"].iloc[1]
    assert "work" not in at.session_state or "codebook" not in at.session_state["work"]


def test_merging_two_themes_counts_comments_mentioning_either():
    coded = sample_coded()
    either = int((coded.theme_mask("Billing errors") | coded.theme_mask("Invoice clarity")).sum())
    at = run_app()
    rows = editor(at).value.reset_index(drop=True)
    i, j = (int(rows.index[rows["theme"] == t][0]) for t in ("Billing errors", "Invoice clarity"))
    at.text_input(key="comments_merge_name").set_value("Invoices")
    edit_codebook(at, edited={i: {"merge": True}, j: {"merge": True}}, button="comments_codebook_merge")
    counts = pareto_shown(at).set_index("theme")["count"]
    assert counts["Invoices"] == either
    assert "Billing errors" not in counts.index and "Invoice clarity" not in counts.index
    assert len(at.session_state["work"]["codebook"]) == len(rows) - 1


def test_adding_a_suggestion_adds_a_codebook_row():
    """Without the praise theme, praise comments are uncoded: suggestions appear, one click adds one."""
    at = run_app()
    rows = editor(at).value.reset_index(drop=True)
    praise = int(rows.index[rows["theme"] == "Praise (general positive)"][0])
    edit_codebook(at, deleted=[praise])
    assert metric(at, "Coverage") != "100%"
    n_rows = len(at.session_state["work"]["codebook"])
    add = [b for b in at.button if str(b.key).startswith("comments_suggest_")]
    assert add, "no suggestion for the uncoded praise comments"
    phrase = add[0].key.removeprefix("comments_suggest_")
    add[0].click().run()
    assert not at.exception, at.exception
    book = at.session_state["work"]["codebook"]
    assert len(book) == n_rows + 1
    assert book[-1]["theme"].casefold() == phrase.casefold() and book[-1]["pattern"].startswith("\\b")
    assert book[-1]["theme"] in pareto_shown(at)["theme"].tolist()
    assert any("Added the theme" in m.value for m in at.success)


def test_codebook_import_replaces_it_and_a_bad_file_keeps_it():
    at = run_app()
    upload = at.file_uploader(key="comments_codebook_upload")
    upload.upload("mine.csv", b"theme,pattern\nInvoices,invoice\nLate,late\n", "text/csv").run()
    assert not at.exception, at.exception
    assert pareto_shown(at)["theme"].tolist()[:2] in (["Invoices", "Late"], ["Late", "Invoices"])
    assert any("Imported 2 codebook rows" in m.value for m in at.success)
    at.file_uploader(key="comments_codebook_upload").upload("bad.csv", b"name;regex\n", "text/csv").run()
    assert not at.exception, at.exception
    assert any("unchanged" in e.value for e in at.error)
    assert set(pareto_shown(at)["theme"]) == {"Invoices", "Late"}


def test_driver_drill_keeps_bottom_box_raters_detractors_first_and_clears_in_one_click():
    s = sample()
    coded = sample_coded()
    driver = "Billing accuracy"
    mask = bottom_box_mask(s.frame, driver, *s.scales[driver])
    at = run_app(drill={"driver": driver, "from": "Key drivers"})
    assert metric(at, "Respondents in scope") == f"{int(mask.sum()):,}"
    scoped = coded.subset(mask.to_numpy())
    assert metric(at, "Comments") == f"{scoped.n_comments:,}"
    assert_pareto_equals(pareto_shown(at), pareto_table(scoped))
    assert any("driver: Billing accuracy" in c.value for c in at.caption)
    theme = pareto_table(scoped).items[0].theme
    at.selectbox(key="comments_theme").set_value(theme).run()
    assert not at.exception, at.exception
    shown = verbatims_shown(at)
    assert shown["score"].is_monotonic_increasing
    assert len(shown) == min(int(scoped.theme_mask(theme).sum()), 1000)
    at.button(key="drill_clear_driver_theme").click().run()
    assert not at.exception, at.exception
    assert metric(at, "Respondents in scope") == "5,000"
    assert at.selectbox(key="comments_theme").value is None


def test_group_and_segment_filters_are_applied_in_cx():
    s = sample()
    coded = sample_coded()
    at = run_app()
    at.selectbox(key="comments_group").set_value("detractors").run()
    at.selectbox(key="comments_segment").set_value("Region").run()
    at.selectbox(key="comments_segment_value").set_value("EMEA").run()
    assert not at.exception, at.exception
    keep = ((s.frame[s.roles.loyalty] <= 6) & (s.frame["Region"] == "EMEA")).fillna(False).to_numpy()
    assert metric(at, "Respondents in scope") == f"{int(keep.sum()):,}"
    assert_pareto_equals(pareto_shown(at), pareto_table(coded.subset(keep)))


def test_page_without_a_comments_column_points_to_the_data_page():
    at = run_app(page=None)
    at.session_state["roles"] = at.session_state["roles"].replace(comments=None)
    at.switch_page("../pages/comments.py").run()
    assert not at.exception, at.exception
    assert any("map a comments column" in w.value for w in at.warning)


# --- real browser: what AppTest cannot do (chart clicks, deferred downloads) ------------------------------


@pytest.mark.browser
def test_clicking_a_pareto_bar_lists_its_verbatims_and_downloads_are_masked(tmp_path):
    from browser import chromium_path, exceptions, launch, running_app, settle

    if chromium_path() is None:
        pytest.skip("chromium is not installed")
    from playwright.sync_api import sync_playwright

    coded = sample_coded()
    top = pareto_table(coded).items[0]
    with running_app(env={"CX_WORKBENCH_DB": str(tmp_path / "ws.sqlite")}) as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(viewport={"width": 1366, "height": 900}, accept_downloads=True).new_page()
        page.goto(url + "/comments")
        settle(page)
        assert not exceptions(page), exceptions(page)
        bar = page.locator(f'.st-key-comments_pareto path[aria-roledescription="bar"][aria-label*="{top.theme}"]')
        bar.first.click()
        settle(page)
        page.get_by_text(f"{top.count:,} comments mention {top.theme}").first.wait_for()
        assert not exceptions(page), exceptions(page)
        with page.expect_download() as info:
            page.locator(".st-key-comments_verbatims_csv button").click()
        data = (tmp_path / "verbatims.csv")
        info.value.save_as(data)
        text = data.read_text(encoding="utf-8-sig")
        assert text.startswith("comment,score,nps_group,sentiment")
        assert len(text.strip().splitlines()) >= top.count + 1 and "@" not in text
        browser.close()
