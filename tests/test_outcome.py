"""A satisfaction outcome summarised like NPS: hand-computed means, Wilson intervals and z-tests."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from cx.outcome import (
    bottom_box_values,
    box_label,
    outcome_by_segment,
    outcome_distribution,
    outcome_summary,
    outcome_trend,
    top_box_values,
    wilson,
)

Z = stats.norm.ppf(0.975)


def test_boxes_follow_the_scale():
    assert top_box_values((1, 5)) == (4, 5) and bottom_box_values((1, 5)) == (1, 2)
    assert top_box_values((0, 10)) == (9, 10) and top_box_values((1, 3)) == (3,) and top_box_values((0, 1)) == (1,)
    assert top_box_values(None) == ()
    assert box_label((4, 5), (1, 5)) == "Top-2-box (4–5)" and box_label((1, 2), (1, 5)) == "Bottom-2-box (1–2)"
    assert box_label((1,), (0, 1)) == "Yes"


def test_summary_by_hand():
    """5 4 4 3 1: mean 3.4, s² = 9.2 / 4 = 2.3, se = √(2.3 / 5); top-2-box 3 / 5 with Wilson (0.2307, 0.8824)."""
    r = outcome_summary(pd.DataFrame({"csat": [5.0, 4, 4, 3, 1, np.nan]}), "csat", (1, 5))
    assert (r.n, r.mean, r.effective_n) == (5, 3.4, 5.0)
    se = math.sqrt(2.3 / 5)
    assert r.ci95 == pytest.approx((3.4 - Z * se, 3.4 + Z * se)) and r.margin == pytest.approx(Z * se)
    assert (r.top_box, r.bottom_box) == (0.6, 0.2)
    assert r.top_box_ci95 == pytest.approx((0.2307, 0.8824), abs=1e-4)
    low, high = stats.binomtest(3, 5).proportion_ci(method="wilson")
    assert r.top_box_ci95 == pytest.approx((low, high))


def test_weighted_summary_uses_kish_effective_n():
    """Weights 1 1 1 1 2: mean 18 / 6 = 3, n_eff = 6² / 8 = 4.5, Σw(x − 3)² = 14, s² = 14 / 6 × 4.5 / 3.5 = 3."""
    frame = pd.DataFrame({"csat": [5.0, 4, 4, 3, 1], "w": [1.0, 1, 1, 1, 2]})
    r = outcome_summary(frame, "csat", (1, 5), weight="w")
    assert (r.n, r.mean, r.effective_n, r.top_box) == (5, 3.0, 4.5, 0.5)
    assert r.margin == pytest.approx(Z * math.sqrt(3.0 / 4.5))


def test_empty_and_single_answers():
    r = outcome_summary(pd.DataFrame({"csat": [np.nan, np.nan]}), "csat", (1, 5))
    assert (r.n, r.mean, r.ci95, r.top_box) == (0, None, None, None)
    one = outcome_summary(pd.DataFrame({"csat": [4.0]}), "csat", (1, 5))
    assert (one.n, one.mean, one.ci95, one.top_box) == (1, 4.0, None, 1.0)
    assert outcome_summary(pd.DataFrame({"spend": [10.0, 20.0]}), "spend", None).top_box is None


def test_distribution():
    d = outcome_distribution(pd.DataFrame({"csat": [5.0, 4, 4, 3, 1, np.nan]}), "csat", (1, 5))
    assert d["count"].tolist() == [1, 0, 1, 2, 1] and d["box"].tolist() == ["bottom", "bottom", "middle", "top", "top"]
    assert d["share"].sum() == pytest.approx(1.0)


def test_segments_by_hand():
    """A: 5 4 4 (mean 4.333, s² 1/3); B: 3 1 (mean 2, s² 2). A − rest = 2.333, se = √(1/9 + 1), two-sided z-test."""
    frame = pd.DataFrame({"csat": [5.0, 4, 4, 3, 1, 2], "unit": ["A", "A", "A", "B", "B", None]})
    t = outcome_by_segment(frame, "csat", "unit", (1, 5), min_base=2).set_index("value")
    assert t.loc["A", "n"] == 3 and t.loc["A", "mean"] == pytest.approx(13 / 3)
    rest_of_a = np.array([3.0, 1, 2])  # B and the respondent without a unit
    se = math.sqrt((1 / 3) / 3 + rest_of_a.var(ddof=1) / 3)
    assert t.loc["A", "difference"] == pytest.approx(13 / 3 - 2)
    assert t.loc["A", "p_value"] == pytest.approx(2 * stats.norm.sf((13 / 3 - 2) / se))
    assert bool(t.loc["A", "differs"]) == bool(t.loc["A", "p_value"] < 0.05)
    assert t.loc["B", "top_box"] == 0.0 and t.loc["A", "top_box"] == 1.0
    small = outcome_by_segment(frame, "csat", "unit", (1, 5))
    assert small["small_base"].all() and not small["differs"].any()


def test_segment_rest_equals_a_direct_computation():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"csat": rng.integers(1, 6, 400).astype(float), "w": rng.uniform(0.5, 2, 400),
                          "seg": rng.choice(["a", "b", "c", None], 400)})
    frame.loc[rng.choice(400, 30, replace=False), "csat"] = np.nan
    t = outcome_by_segment(frame, "csat", "seg", (1, 5), weight="w").set_index("value")
    for value in ("a", "b", "c"):
        inside = frame[(frame["seg"] == value) & frame["csat"].notna()]
        rest = frame[(frame["seg"] != value) & frame["csat"].notna()]

        def mean_se(part):
            w, x = part["w"].to_numpy(), part["csat"].to_numpy()
            m = np.average(x, weights=w)
            n_eff = w.sum() ** 2 / (w ** 2).sum()
            var = np.average((x - m) ** 2, weights=w) * n_eff / (n_eff - 1)
            return m, math.sqrt(var / n_eff)

        (m1, s1), (m2, s2) = mean_se(inside), mean_se(rest)
        assert t.loc[value, "mean"] == pytest.approx(m1)
        assert t.loc[value, "difference"] == pytest.approx(m1 - m2)
        assert t.loc[value, "p_value"] == pytest.approx(2 * stats.norm.sf(abs(m1 - m2) / math.hypot(s1, s2)))


def test_trend_marks_only_reportable_changes():
    """40 answers of 5 in wave 1, then 40 of 2: significant with both bases of 40; then 4 answers of 5: not reportable."""
    frame = pd.DataFrame({"csat": [5.0] * 20 + [4.0] * 20 + [2.0] * 20 + [1.0] * 20 + [5.0] * 4,
                          "wave": ["W1"] * 40 + ["W2"] * 40 + ["W3"] * 4})
    t = outcome_trend(frame, "csat", (1, 5), wave="wave")
    assert t["period"].tolist() == ["W1", "W2", "W3"] and t["n"].tolist() == [40, 40, 4]
    assert t["mean"].tolist() == [4.5, 1.5, 5.0] and t["change"].iloc[1] == -3.0
    assert t["reportable_change"].tolist() == [False, True, False] and bool(t["small_base"].iloc[2])
    dated = pd.DataFrame({"csat": [5.0, 4, 3], "d": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-04-02"])})
    q = outcome_trend(dated, "csat", (1, 5), date="d", period="quarter")
    assert q["period"].tolist() == ["2026-Q1", "2026-Q2"] and q["n"].tolist() == [2, 1]


def test_wilson_edges():
    assert wilson(0.0, 10)[0] == 0.0 and wilson(1.0, 10)[1] == pytest.approx(1.0) and wilson(0.5, 0) is None


def test_storyline_opens_on_the_outcome_without_a_loyalty_question():
    """Waves of 40 answers: 5 and 4 (mean 4.5), then 2 and 1 (mean 1.5): the takeaway names the fall."""
    from cx.roles import Roles
    from cx.story import nps_screen

    frame = pd.DataFrame({"Overall satisfaction": [5.0] * 20 + [4.0] * 20 + [2.0] * 20 + [1.0] * 20,
                          "Response date": pd.to_datetime(["2026-01-10"] * 40 + ["2026-04-10"] * 40)})
    roles = Roles(outcome="Overall satisfaction", date="Response date")
    screen = nps_screen(frame, roles, outcome_scale=(1, 5))
    assert screen.ready and screen.n == 80
    assert screen.takeaway == ("Overall satisfaction averages 3.00 ± 0.35 on 1–5 across 80 respondents (50% top-2-box "
                               "(4–5)); the last significant change was a 3.00 fall in 2026-Q2.")
    assert [(f.label, f.value) for f in screen.figures] == [("Mean", "3.00 ± 0.35"), ("Top-2-box (4–5)", "50%")]
    r = outcome_summary(frame, "Overall satisfaction", (1, 5))
    assert f"{r.margin:.2f}" == "0.35"  # s² = Σ(x − 3)² / 79 = (20·4 + 20·1 + 20·1 + 20·4) / 79
    assert r.margin == pytest.approx(Z * math.sqrt(200 / 79 / 80))
    no_outcome = nps_screen(frame, Roles(date="Response date"))
    assert not no_outcome.ready and "no loyalty question" in no_outcome.takeaway


def test_a_yes_no_outcome_reads_as_the_share_answering_yes():
    from cx.outcome import difference_text, mean_label, mean_text
    from cx.roles import Roles
    from cx.story import nps_screen

    assert (mean_label((0, 1)), mean_label((1, 5))) == ("Answering yes", "Mean")
    assert mean_text(0.4512, (0.4301, 0.4724), (0, 1)) == "45% (43–47%)"
    assert mean_text(3.8123, (3.7811, 3.8435), (1, 5)) == "3.81 ± 0.03" and mean_text(4.0, None, (1, 5)) == "4.00"
    assert difference_text(-0.1234, (0, 1)) == "-12.3 pts" and difference_text(0.061, (1, 5)) == "+0.06"
    assert difference_text(-0.0004, (1, 5)) == "+0.00" and difference_text(None, (1, 5)) == "–"
    # 40 answers, 30 yes, then 40 answers, 10 yes: 75% then 25%, a 50-point fall.
    frame = pd.DataFrame({"Would recommend": [1.0] * 30 + [0.0] * 10 + [1.0] * 10 + [0.0] * 30,
                          "Response date": pd.to_datetime(["2026-01-10"] * 40 + ["2026-04-10"] * 40)})
    screen = nps_screen(frame, Roles(outcome="Would recommend", date="Response date"), outcome_scale=(0, 1))
    low, high = stats.binomtest(40, 80).proportion_ci(method="wilson")
    assert (f"{100 * low:.0f}", f"{100 * high:.0f}") == ("39", "61")
    assert screen.takeaway == ("Would recommend: 50% (39–61%) answer yes across 80 respondents; "
                               "the last significant change was a 50.0-point fall in 2026-Q2.")
    assert [f.label for f in screen.figures] == ["Answering yes"]


def test_yes_no_uses_wilson_and_the_pooled_two_proportion_test():
    """40 all yes against 40 with 30 yes: pooled p = 70 / 80, z = 0.25 / √(p(1 − p)(2 / 40)); the all-yes
    segment's interval is Wilson's (91–100%), not a zero-width normal one."""
    frame = pd.DataFrame({"yes": [1.0] * 40 + [1.0] * 30 + [0.0] * 10, "seg": ["A"] * 40 + ["B"] * 40})
    t = outcome_by_segment(frame, "yes", "seg", (0, 1)).set_index("value")
    pooled = 70 / 80
    z = 0.25 / math.sqrt(pooled * (1 - pooled) * (2 / 40))
    assert t.loc["A", "p_value"] == pytest.approx(2 * stats.norm.sf(z))
    assert (t.loc["A", "ci_low"], t.loc["A", "ci_high"]) == pytest.approx(
        stats.binomtest(40, 40).proportion_ci(method="wilson"))
    assert bool(t.loc["A", "differs"])


def test_weighted_segments_with_equal_answers_do_not_differ():
    """Everyone answers 3: the rest's mean is derived by subtraction, and its rounding noise is no difference."""
    frame = pd.DataFrame({"x": [3.0] * 120, "seg": ["A"] * 40 + ["B"] * 35 + ["C"] * 45,
                          "w": [0.1] * 40 + [0.2] * 35 + [0.7] * 45})
    t = outcome_by_segment(frame, "x", "seg", (1, 5), weight="w")
    assert (t["difference"] == 0).all() and (t["p_value"] == 1).all() and not t["differs"].any()


def test_weighted_distribution_matches_the_weighted_top_box():
    frame = pd.DataFrame({"x": [5.0, 4, 3, 2, 1, 5], "w": [3.0, 1, 1, 1, 1, np.nan]})
    d = outcome_distribution(frame, "x", (1, 5), weight="w")
    top = outcome_summary(frame, "x", (1, 5), weight="w").top_box
    assert d["count"].tolist() == [1, 1, 1, 1, 1] and d.loc[d["box"] == "top", "share"].sum() == pytest.approx(top)
    assert top == pytest.approx(4 / 7)


def test_a_small_rest_is_flagged():
    frame = pd.DataFrame({"x": [5.0] * 100 + [1.0] * 10, "seg": ["A"] * 100 + ["B"] * 10})
    t = outcome_by_segment(frame, "x", "seg", (1, 5)).set_index("value")
    assert bool(t.loc["A", "rest_small"]) and not t.loc["A", "differs"] and not t.loc["B", "rest_small"]


def test_a_numeric_zero_one_outcome_is_yes_no():
    from cx.clean import prepare_survey
    from cx.load import read_survey
    from cx.roles import Roles

    rows = "\n".join(f"{i},{i % 2},{1 + i % 5},{1 + (i * 3) % 5}" for i in range(60))
    raw = read_survey(("id,Recommended IND,Ease,Speed\n" + rows).encode(), "r.csv")
    survey = prepare_survey(raw, Roles(outcome="Recommended IND", drivers=("Ease", "Speed")))
    assert survey.scales["Recommended IND"] == (0, 1)
