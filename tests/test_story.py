"""The offsite storyline: takeaways written from the data, screens whose input is missing, the decks."""

from __future__ import annotations

import io
import math

import numpy as np
import pandas as pd
import pytest

from cx import fmt
from cx.charts.story import for_screen, indicator_timeline_chart, root_cause_chart
from cx.drivers import importance_performance, key_drivers
from cx.nps import nps_summary, nps_trend
from cx.revenue import ClvAssumptions, RevenueBasis, RevenueSummary, clv_summary, convert_detractors
from cx.roles import Roles
from cx.story import (
    SCREENS,
    build_storyline,
    chart_height,
    driver_standing,
    drivers_takeaway,
    indicator_rows,
    last_significant_change,
    money_takeaway,
    nps_takeaway,
    plan_takeaway,
    revenue_basis,
    root_cause_rows,
    themes_takeaway,
    why_takeaway,
)
from cx.themes import code_comments, pareto_table

# ─── hand-built frames ───────────────────────────────────────────────────────────────────────────

# a: rated low (mean 23/12 = 1.92) and drives loyalty; b: rated high (mean 4.5), barely related.
BELOW = pd.DataFrame({"a": [1, 2, 1, 2, 3, 1, 2, 3, 2, 1, 3, 2.], "b": [4, 5, 5, 4, 5, 4, 5, 4, 5, 5, 4, 4.],
                      "ltr": [2, 4, 3, 4, 7, 2, 5, 6, 4, 3, 6, 5.]})
# a: rated high (4.25) and most important; c: rated low (1.75), second; b: average (3.0), minor.
ABOVE = pd.DataFrame({"a": [5, 4, 5, 4, 5, 3, 4, 5, 4, 5, 3, 4.], "b": [3, 2, 4, 3, 3, 2, 4, 3, 2, 4, 3, 3.],
                      "c": [1, 2, 1, 2, 3, 1, 2, 1, 2, 3, 1, 2.],
                      "ltr": [5.0, 4.9, 5.0, 3.9, 7.0, 2.3, 4.4, 4.5, 4.4, 7.5, 1.8, 3.9]})


def lmg_two_drivers(frame: pd.DataFrame, x1: str, x2: str, y: str) -> float:
    """LMG share of x1 with two drivers: (r1² + R² − r2²) / 2, over R²."""
    r = frame[[x1, x2, y]].corr().to_numpy()
    X = np.column_stack([np.ones(len(frame)), frame[x1], frame[x2]])
    beta, *_ = np.linalg.lstsq(X, frame[y].to_numpy(), rcond=None)
    resid = frame[y].to_numpy() - X @ beta
    r2 = 1 - (resid ** 2).sum() / ((frame[y] - frame[y].mean()) ** 2).sum()
    return (r[0, 2] ** 2 + r2 - r[1, 2] ** 2) / 2 / r2


# ─── 1. headline NPS ─────────────────────────────────────────────────────────────────────────────


def test_nps_takeaway_names_the_score_its_interval_and_the_last_significant_change():
    """Expected values by hand: 6 promoters, 2 passives, 2 detractors of 10 → NPS +40; interval
    ±1.96·100·√((0.6 + 0.2 − 0.16)/10) = ±49.6 → "±50"."""
    frame = pd.DataFrame({"ltr": [10, 9, 9, 10, 9, 9, 7, 8, 2, 5.]})
    result = nps_summary(frame, "ltr")
    assert result.score == pytest.approx(40.0)
    trend = pd.DataFrame({"period": ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"], "score": [10.0, -12.0, -8.0, 4.0],
                          "change": [math.nan, -22.0, 4.0, 12.0],
                          "significant_change": [False, True, False, True],
                          "reportable_change": [False, True, False, False]})  # 2026-Q4: a base too small to judge
    assert last_significant_change(trend) == {"period": "2026-Q2", "previous": "2026-Q1", "change": -22.0,
                                              "before": 10.0, "after": -12.0}
    assert nps_takeaway(result, trend) == ("NPS is +40 (±50) across 10 respondents; the last significant change "
                                           "was a 22-point fall in 2026-Q2 (from +10 to -12).")
    quiet = trend.assign(reportable_change=False)
    assert last_significant_change(quiet) is None
    assert nps_takeaway(result, quiet) == ("NPS is +40 (±50) across 10 respondents; no change between consecutive "
                                           "quarters is statistically significant.")
    assert nps_takeaway(result) == "NPS is +40 (±50) across 10 respondents."


def test_nps_takeaway_on_a_real_trend_uses_the_latest_significant_period():
    frame = pd.DataFrame({"ltr": [10.0] * 30 + [0.0] * 30 + [10.0] * 30,
                          "date": pd.to_datetime(["2026-01-15"] * 30 + ["2026-04-15"] * 30 + ["2026-07-15"] * 30)})
    trend = nps_trend(frame, "ltr", "date")
    change = last_significant_change(trend)
    assert change["period"] == "2026-Q3" and change["change"] == pytest.approx(200.0)
    assert "a 200-point rise in 2026-Q3 (from -100 to +100)" in nps_takeaway(nps_summary(frame, "ltr"), trend)


# ─── 2. key drivers ──────────────────────────────────────────────────────────────────────────────


def test_top_driver_rated_below_average():
    """Expected: a is the top driver (LMG share by hand, two drivers); mean rating 23/12 = 1.92,
    average of the drivers' means (1.9167 + 4.5) / 2 = 3.21, so "below average"."""
    analysis = key_drivers(BELOW, ["a", "b"], "ltr")
    matrix = importance_performance(analysis, BELOW)
    assert analysis.top_driver == "a"
    assert analysis.items[0].importance == pytest.approx(lmg_two_drivers(BELOW, "a", "b", "ltr"))
    mean, average, verdict = driver_standing(matrix, "a")
    assert (mean, average, verdict) == (pytest.approx(23 / 12), pytest.approx((23 / 12 + 4.5) / 2), "below")
    share = fmt.share(analysis.items[0].importance)
    assert drivers_takeaway(analysis, matrix) == (f"a explains {share} of what drives loyalty; it is rated below "
                                                  "average (1.92 against 3.21 for the average driver).")


def test_top_driver_rated_above_average_names_the_driver_to_fix_first():
    """Expected: a (mean 4.25) leads, c (mean 1.75) is second; average of means (4.25 + 3 + 1.75) / 3 = 3.00."""
    analysis = key_drivers(ABOVE, ["a", "b", "c"], "ltr")
    matrix = importance_performance(analysis, ABOVE)
    assert analysis.drivers == ("a", "c", "b")
    assert driver_standing(matrix, "a")[2] == "above"
    assert driver_standing(matrix, "c")[:2] == (pytest.approx(1.75), pytest.approx(3.0))
    a, c = (fmt.share(analysis.item(d).importance) for d in ("a", "c"))
    assert drivers_takeaway(analysis, matrix, "satisfaction") == (
        f"a explains {a} of what drives satisfaction and is rated above average (4.25 against 3.00); "
        f"c ({c}) is rated below average (1.75): fix it first.")


def test_driver_exactly_average_is_said_to_be_about_average():
    matrix = pd.DataFrame({"driver": ["x", "y", "z"], "performance": [3.0, 2.0, 4.0], "quadrant": ["Keep"] * 3})
    assert driver_standing(matrix, "x") == (3.0, 3.0, "about")


# ─── 3. vital few ────────────────────────────────────────────────────────────────────────────────


def test_vital_few_takeaway():
    """Expected by hand: Billing 5, Delivery 3, Support 1, Price 1 mentions of 10; cumulative 50%, 80%:
    the vital few are Billing and Delivery (80% reached at the second)."""
    comments = pd.Series(["invoice wrong"] * 5 + ["late delivery"] * 3 + ["support slow", "too expensive", "", None])
    book = {"Billing": "invoice", "Delivery": "late", "Support": "support", "Price": "expensive", "Other": "zzz"}
    pareto = pareto_table(code_comments(comments, book))
    assert pareto.vital_few == ("Billing", "Delivery")
    assert themes_takeaway(pareto) == "2 of 4 themes make up 80% of what customers mention: Billing and Delivery."
    single = pareto_table(code_comments(pd.Series(["invoice"] * 9 + ["late"]), book))
    assert themes_takeaway(single) == "1 of 2 themes makes up 90% of what customers mention: Billing."


# ─── 4. 5 Whys ───────────────────────────────────────────────────────────────────────────────────

CANVASES = [
    {"id": "1", "theme": "Delivery", "scope": "Logistics", "whys": ["trucks late", "", "", "", ""]},
    {"id": "2", "theme": "Billing", "whys": ["wrong price", "old table", "no sync", "manual step",
                                             "no check before release, mail jo@example.com"],
     "diamond": "invoice release", "indicator": {"name": "% invoices right first time", "owner": "Finance ops",
                                                  "due": "2026-12-31", "baseline": "82%", "target": "97%"}},
]


def test_root_cause_rows_are_masked_and_the_found_ones_first():
    rows = root_cause_rows(CANVASES)
    assert [r["theme"] for r in rows] == ["Billing", "Delivery"]
    assert rows[0]["status"] == "Root cause found" and rows[1]["status"] == "In progress"
    assert rows[0]["fifth_why"] == "no check before release, mail [email]"
    assert rows[1]["missing"][0] == "4 of the 5 whys"


def test_why_takeaway():
    comments = pd.Series(["invoice"] * 5 + ["late"] * 3 + ["great service, thanks"] * 4)
    pareto = pareto_table(code_comments(comments, {"Billing": "invoice", "Delivery": "late",
                                                   "Praise": "great|thank"}))
    assert pareto.vital_few[0] == "Billing"
    assert why_takeaway([], pareto) == ("No 5 Whys yet: start with Billing, the most mentioned vital-few theme "
                                        "(5 comments), on the Root cause page.")
    rows = root_cause_rows(CANVASES, pareto)
    assert why_takeaway(rows, pareto) == ("For Billing, the fifth why is “no check before release, mail [email]”, at "
                                          "the workflow diamond “invoice release”; 1 more theme is being traced.")
    assert why_takeaway(rows[1:]) == ("The 5 Whys for Delivery (Logistics) are under way (1 of 5 whys, the deepest "
                                      "so far “trucks late”); still to fill: 4 of the 5 whys, the workflow diamond, "
                                      "the indicator's name and 3 more.")
    # praise is never proposed for a 5 Whys
    praise_first = pareto_table(code_comments(pd.Series(["thanks"] * 9 + ["invoice"] * 2),
                                              {"Billing": "invoice", "Praise": "thank"}))
    assert why_takeaway([], praise_first) == ("No 5 Whys yet: start with Billing, the most mentioned problem "
                                              "(2 comments), on the Root cause page.")


# ─── 5. money ────────────────────────────────────────────────────────────────────────────────────


def test_money_takeaway_with_and_without_the_what_if():
    """Expected by hand: 38 of 100 detractors hold $612.4M of $1.6124B (38%); converting 10% to passives
    keeps 61.24M × (0.80 − 0.65) = $9.186M a year; NPS 40 − 38 = +2 → 40 − 34.2 = +5.8 → "+6"."""
    summary = RevenueSummary.from_counts(40, 22, 38, promoters=700e6, passives=300e6, detractors=612.4e6)
    clv = clv_summary(summary, ClvAssumptions())
    assert money_takeaway(clv) == "Detractors hold $612.4M of annual revenue (38% of $1.6B)."
    what_if = convert_detractors(clv, 0.10, "passive")
    assert what_if.revenue_retained == pytest.approx(9.186e6)
    assert money_takeaway(clv, what_if, "€") == ("Detractors hold €612.4M of annual revenue (38% of €1.6B); winning "
                                                 "back 10% of them as passives would keep €9.2M a year and move NPS "
                                                 "from +2 to +6.")
    assert money_takeaway(clv, convert_detractors(clv, 0.0)) == money_takeaway(clv)


def test_revenue_basis_from_the_revenue_page_settings():
    roles = Roles(loyalty="ltr", segments=("BU",))
    assert revenue_basis(roles, {}) == (None, "")
    basis, note = revenue_basis(roles, {"revenue_avg": 50_000})
    assert basis == RevenueBasis.build(average=50_000) and note == ""
    basis, _ = revenue_basis(roles, {"revenue_avg": 1000, "revenue_avg_segment": "BU"},
                             {"revenue_assumed_per_segment": {"BU": {"A": 5000}}})
    assert basis.per_segment == (("A", 5000.0),) and basis.segment == "BU"
    column, _ = revenue_basis(roles.replace(revenue="Revenue"), {"revenue_avg": 1000})
    assert column.column == "Revenue" and column.average is None


# ─── 6. the plan ─────────────────────────────────────────────────────────────────────────────────


def test_plan_takeaway_lists_indicators_with_owner_and_date():
    indicators = indicator_rows(root_cause_rows(CANVASES))
    assert plan_takeaway(indicators) == ("We will track 1 leading indicator: % invoices right first time (owner "
                                         "Finance ops, due 2026-12-31).")
    more = indicators + [{**indicators[0], "indicator": "days to credit", "owner": "", "due": ""},
                         {**indicators[0], "indicator": "OTIF", "owner": "Ops", "due": "2027-01-31"}]
    assert plan_takeaway(more) == ("We will track 3 leading indicators: % invoices right first time (owner Finance "
                                   "ops, due 2026-12-31), days to credit and 1 more; 1 indicator still needs an "
                                   "owner or a due date.")
    assert plan_takeaway([]).startswith("No leading indicator is named yet")


# ─── the whole story ─────────────────────────────────────────────────────────────────────────────

SURVEY = pd.DataFrame({
    "ltr": [10, 9, 2, 8, 6, 10, 3, 9, 7, 10, 0, 9.],
    "a": [5, 4, 1, 4, 2, 5, 1, 4, 3, 5, 1, 4.], "b": [4, 4, 3, 3, 4, 5, 2, 4, 4, 4, 3, 5.],
    "comment": ["great", "invoice wrong", "invoice late", "", "late", "great", "invoice <b>wrong</b>", None,
                "late", "great", "call 020 7946 0958 invoice", "fine"],
    "rev": [100, 200, 300, 50, 40, 100, 600, 30, 20, 90, 500, 10.],
    "date": pd.to_datetime(["2026-01-10"] * 6 + ["2026-04-10"] * 6),
})
ROLES = Roles(loyalty="ltr", drivers=("a", "b"), comments="comment", revenue="rev", date="date")
BOOK = {"Billing": "invoice", "Delivery": "late", "Praise": "great"}


def test_build_storyline_six_screens_in_the_methods_order():
    story = build_storyline(SURVEY, ROLES, codebook=BOOK, root_causes=CANVASES, as_of="2026-10-01", source="s.csv")
    assert story.keys == SCREENS and len(story) == 6
    assert all(s.ready for s in story)
    nps = nps_summary(SURVEY, "ltr")
    assert story.screen("nps").takeaway == nps_takeaway(nps, nps_trend(SURVEY, "ltr", "date"))
    assert story.screen("nps").n == 12
    analysis = key_drivers(SURVEY, ["a", "b"], "ltr")
    assert story.screen("drivers").takeaway == drivers_takeaway(analysis, importance_performance(analysis, SURVEY))
    pareto = pareto_table(code_comments(SURVEY["comment"], BOOK))
    assert story.screen("themes").takeaway == themes_takeaway(pareto)
    assert all("[phone]" in q or "0958" not in q for q in story.screen("themes").quotes)
    # by hand: detractors (2, 6, 3, 0) hold 300 + 40 + 600 + 500 = 1,440 of 2,040 (71%); 10% won back as passives
    # keep 144 × (0.80 − 0.65) = 21.6 a year; NPS (6 − 4) / 12 = +17 → (6 − 3.6) / 12 = +20
    assert story.screen("money").takeaway == ("Detractors hold $1.4K of annual revenue (71% of $2.0K); winning back "
                                              "10% of them as passives would keep $22 a year and move NPS from +17 "
                                              "to +20.")
    assert story.screen("plan").chart is not None and story.as_of == "2026-10-01"
    assert story.to_dict()["screens"][0]["key"] == "nps"


def test_what_if_changes_only_the_money_screen():
    story = build_storyline(SURVEY, ROLES, codebook=BOOK)
    other = story.with_what_if(0.5, "promoter")
    assert "winning back 50% of them as promoters" in other.screen("money").takeaway
    assert [s.takeaway for s in other if s.key != "money"] == [s.takeaway for s in story if s.key != "money"]
    assert "winning back" not in story.with_what_if(0.0).screen("money").takeaway


def test_missing_inputs_say_what_to_map():
    story = build_storyline(SURVEY, Roles(loyalty="ltr"))
    assert len(story) == 6
    assert "driver rating columns" in story.screen("drivers").missing
    assert "comments column" in story.screen("themes").missing
    assert "comments column" in story.screen("why").missing
    assert "revenue" in story.screen("money").missing and story.screen("money").chart is None
    assert story.screen("plan").takeaway.startswith("No leading indicator")
    no_loyalty = build_storyline(SURVEY, Roles(drivers=("a", "b"), comments="comment"))
    assert "loyalty" in no_loyalty.screen("nps").missing
    assert no_loyalty.with_what_if(0.3) == no_loyalty


# ─── charts and sizing ───────────────────────────────────────────────────────────────────────────


def test_chart_height_leaves_room_for_the_rest_of_the_screen():
    assert chart_height(768) == 396
    assert chart_height(1080) == 680
    assert chart_height(500) == 240
    assert chart_height(768, extra=40) == 356


def test_for_screen_fits_the_whole_chart_in_the_height():
    rows = pd.DataFrame({"theme": ["Billing", "Delivery"], "count": [5, 3], "status": ["Root cause found", "Not started"]})
    spec = for_screen(root_cause_chart(rows, n=8), 300).to_dict()
    assert spec["height"] == 300 and spec["autosize"] == {"type": "fit", "contains": "padding"}
    assert spec["title"]["fontSize"] == 19 and spec["config"]["axis"]["labelFontSize"] == 14
    timeline = indicator_timeline_chart(pd.DataFrame([{"indicator": "OTIF", "owner": "Ops", "due": "2027-01-31",
                                                       "theme": "Delivery"}]), "2026-10-01")
    assert for_screen(timeline, 250, large_type=False).to_dict()["height"] == 250


# ─── decks ───────────────────────────────────────────────────────────────────────────────────────


@pytest.fixture(scope="module")
def story():
    canvases = CANVASES + [{"theme": "Praise <script>x</script>", "whys": ["why\x07 with a bell"]}]
    return build_storyline(SURVEY, ROLES, codebook=BOOK, root_causes=canvases, as_of="2026-10-01", source="s.csv")


def test_pdf_deck_has_one_page_per_screen(story):
    from pypdf import PdfReader

    from cx.deck import storyline_pdf

    reader = PdfReader(io.BytesIO(storyline_pdf(story)))
    assert len(reader.pages) == len(story) == 6
    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    for text, screen in zip(texts, story):
        assert screen.title in text
        assert " ".join(screen.takeaway.split()[:6]) in text
    assert "±" in texts[0]
    assert "[email]" in texts[3] and "jo@example.com" not in " ".join(texts)


def test_pdf_deck_on_a_story_with_missing_screens():
    from pypdf import PdfReader

    from cx.deck import storyline_pdf

    bare = build_storyline(SURVEY, Roles(loyalty="ltr"))
    reader = PdfReader(io.BytesIO(storyline_pdf(bare)))
    assert len(reader.pages) == 6
    assert "To complete this screen" in reader.pages[1].extract_text()


def test_pptx_deck_has_one_slide_per_screen(story):
    from pptx import Presentation

    from cx.deck import storyline_pptx

    prs = Presentation(io.BytesIO(storyline_pptx(story)))
    slides = list(prs.slides)
    assert len(slides) == len(story) == 6
    for slide, screen in zip(slides, story):
        text = " ".join(sh.text_frame.text for sh in slide.shapes if sh.has_text_frame)
        assert screen.title in text and screen.takeaway in text
        assert screen.takeaway in slide.notes_slide.notes_text_frame.text
    pictures = [sh for sh in slides[0].shapes if sh.shape_type == 13]
    assert len(pictures) == 1
    for slide in slides:
        for sh in slide.shapes:
            assert sh.left >= 0 and sh.top >= 0
            assert sh.left + sh.width <= prs.slide_width and sh.top + sh.height <= prs.slide_height
    assert "<script>" in " ".join(sh.text_frame.text for sh in slides[3].shapes if sh.has_text_frame)
