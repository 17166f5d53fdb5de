"""Present page on the sample survey: the storyline walked screen by screen, its numbers the cx numbers."""

from __future__ import annotations

import pytest
from conftest import SAMPLE, open_app
from streamlit.testing.v1 import AppTest

from cx import fmt
from cx.analysis import AnalyzeOptions, load_survey
from cx.drivers import importance_performance, key_drivers
from cx.nps import nps_summary, nps_trend
from cx.revenue import ClvAssumptions, clv_summary, convert_detractors, revenue_by_group
from cx.story import (
    STEPS,
    drivers_takeaway,
    money_takeaway,
    nps_takeaway,
    plan_takeaway,
    root_cause_rows,
    themes_takeaway,
    why_takeaway,
)
from cx.themes import code_comments, pareto_table, starter_codebook
from cx.ui import escape_md

TITLES = ["Where do we stand?", "What moves loyalty?", "What do customers say?", "Why does it happen?",
          "What is it worth?", "What will we do?"]
CANVASES = [{"id": "a1", "theme": "Billing errors", "scope": "Overall",
             "whys": ["wrong amounts", "price table out of date", "no sync after price changes",
                      "manual upload", "invoices released without validation"],
             "diamond": "invoice release check",
             "indicator": {"name": "% invoices right first time", "owner": "Finance ops", "due": "2027-01-31"}}]



@pytest.fixture(scope="module")
def sample():
    """The cleaned sample survey, as `python -m cx analyze` reads it."""
    return load_survey(SAMPLE, AnalyzeOptions())[1]


@pytest.fixture(scope="module")
def expected(sample):
    """Every screen's takeaway computed straight from the cx functions on the sample survey."""
    f, r = sample.frame, sample.roles
    analysis = key_drivers(f, list(r.drivers), r.loyalty)
    pareto = pareto_table(code_comments(f[r.comments], starter_codebook()))
    clv = clv_summary(revenue_by_group(f, r.loyalty, r.revenue), ClvAssumptions())
    return {"nps": nps_takeaway(nps_summary(f, r.loyalty), nps_trend(f, r.loyalty, r.date)),
            "drivers": drivers_takeaway(analysis, importance_performance(analysis, f)),
            "themes": themes_takeaway(pareto), "why": why_takeaway([], pareto),
            "money": money_takeaway(clv, convert_detractors(clv, 0.10), "$"), "plan": plan_takeaway([]),
            "analysis": analysis, "pareto": pareto, "clv": clv}


def run_app(page: str | None = "present", at: AppTest | None = None) -> AppTest:
    return open_app(page, timeout=120, at=at)


def present(at: AppTest) -> AppTest:
    at.toggle(key="present_mode").set_value(True).run()
    assert not at.exception, at.exception
    return at


def texts(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown]


def takeaway_shown(at: AppTest, text: str) -> bool:
    """The takeaway is on screen: plain in presentation mode, in bold on the storyboard."""
    return escape_md(text) in texts(at) or f"**{escape_md(text)}**" in texts(at)


def test_walk_the_storyline(expected):
    at = present(run_app())
    for k, key in enumerate(["nps", "drivers", "themes", "why", "money", "plan"]):
        assert [h.value for h in at.header] == [TITLES[k]]
        assert escape_md(f"{k + 1} / 6 · {STEPS[key]}") in texts(at)
        assert takeaway_shown(at, expected[key]), (key, texts(at))
        if k < 5:
            at.button(key="present_next").click().run()
            assert not at.exception, at.exception
    assert at.button(key="present_next").disabled
    at.button(key="present_prev").click().run()
    assert not at.exception
    assert [h.value for h in at.header] == [TITLES[4]]
    assert at.session_state["present_index"] == 4


def test_takeaways_carry_the_cx_numbers(sample, expected):
    f, r = sample.frame, sample.roles
    nps = nps_summary(f, r.loyalty)
    assert fmt.nps_with_moe(nps.score, nps.ci95) == "-5 (±2)"
    assert expected["nps"].startswith("NPS is -5 (±2) across 5,000 respondents; the last significant change was a "
                                      "16-point rise in 2026-Q3")
    analysis = expected["analysis"]
    top = analysis.items[0]
    assert top.driver == "Ease of doing business"
    assert expected["drivers"].startswith(f"Ease of doing business explains {fmt.share(top.importance)} of what drives "
                                          "loyalty and is rated above average")
    assert "Billing accuracy" in expected["drivers"] and "rated below average" in expected["drivers"]
    assert all(t in expected["themes"] for t in expected["pareto"].vital_few)
    rev = expected["clv"].revenue
    assert expected["money"].startswith(f"Detractors hold {fmt.money(rev.detractors)} of annual revenue")
    at = present(run_app())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["NPS"] == "-5 (±2)"
    assert metrics["Promoters (9–10)"] == fmt.share(nps.promoters / nps.n)


def test_what_if_slider_is_live_on_the_money_screen(expected):
    at = run_app()
    at.session_state["present_index"] = 4
    present(at)
    assert [h.value for h in at.header] == ["What is it worth?"]
    at.slider(key="present_convert_share").set_value(30).run()
    assert not at.exception
    clv = expected["clv"]
    assert takeaway_shown(at, money_takeaway(clv, convert_detractors(clv, 0.30), "$"))
    at.radio(key="present_convert_to").set_value("promoters").run()
    assert not at.exception
    shown = convert_detractors(clv, 0.30, "promoter")
    assert takeaway_shown(at, money_takeaway(clv, shown, "$"))
    assert {m.label: m.value for m in at.metric}["NPS after (what-if)"] == fmt.signed_int(shown.nps_after)
    # the slider keeps its value when the presenter moves away and comes back
    at.button(key="present_next").click().run()
    at.button(key="present_prev").click().run()
    assert at.slider(key="present_convert_share").value == 30


def test_storyboard_lists_every_screen_with_deck_downloads(expected):
    at = run_app()
    assert [h.value for h in at.main.subheader] == TITLES
    for key in ("nps", "drivers", "themes", "why", "money", "plan"):
        assert takeaway_shown(at, expected[key]), key
    labels = [b.proto.label for b in at.get("download_button")]
    assert "Deck (PDF)" in labels and "Deck (PPTX)" in labels
    assert at.selectbox(key="present_screen_size").value == "1366 × 768 (projector)"


def test_filter_is_shown_and_respected(sample):
    at = run_app()
    at.multiselect(key="flt_seg_Region").set_value(["EMEA"]).run()
    present(at)
    f, r = sample.frame, sample.roles
    emea = f[f["Region"] == "EMEA"]
    counter = escape_md("1 / 6 · Headline NPS") + escape_md(" · filter: Region: EMEA")
    assert counter in texts(at)
    assert takeaway_shown(at, nps_takeaway(nps_summary(emea, r.loyalty), nps_trend(emea, r.loyalty, r.date)))
    assert "1,629" in nps_takeaway(nps_summary(emea, r.loyalty))


def test_root_causes_reach_the_why_and_plan_screens(expected):
    at = run_app()
    at.session_state["work"] = {"root_causes": CANVASES}
    at.session_state["present_index"] = 3
    present(at)
    rows = root_cause_rows(CANVASES, expected["pareto"])
    assert takeaway_shown(at, why_takeaway(rows, expected["pareto"]))
    assert "invoices released without validation" in why_takeaway(rows, expected["pareto"])
    at.button(key="present_next").click().run()
    at.button(key="present_next").click().run()
    assert not at.exception
    assert takeaway_shown(at, "We will track 1 leading indicator: % invoices right first time (owner Finance ops, "
                              "due 2027-01-31).")


def test_a_screen_without_its_input_says_what_to_map():
    at = run_app()
    at.session_state["roles"] = at.session_state["roles"].replace(revenue=None, comments=None)
    at.session_state["present_index"] = 4
    present(at)
    assert [h.value for h in at.header] == ["What is it worth?"]
    assert any("Map an annual revenue column on the Data page" in w.value for w in at.warning)
    at.button(key="present_prev").click().run()
    at.button(key="present_prev").click().run()
    assert not at.exception
    assert any("Map the free\\-text comments column on the Data page" in w.value for w in at.warning)
