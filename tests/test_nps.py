"""NPS, its 95% interval and the significance tests, against hand computations and a published example."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cx.nps import (
    nps_by_segment,
    nps_difference,
    nps_from_counts,
    nps_group,
    nps_summary,
    nps_trend,
    period_labels,
    score_distribution,
    trend_rows_to_dict,
)


def frame(scores, **cols):
    return pd.DataFrame({"ltr": pd.Series(scores, dtype="float64"), **cols})


def test_cross_validated_worked_example():
    """Expected values: whuber's answer 18609 to Cross Validated question 18603.

    Half promoters, a third passives, a sixth detractors: NPS = 1/3, variance 5/9 (sd ≈ 0.745), and with
    n = 324 an NPS of about 33% with a standard error of about 4.1%.
    """
    r = nps_from_counts(promoters=162, passives=108, detractors=54)
    assert r.n == 324
    assert r.score == pytest.approx(100 / 3)
    assert r.se == pytest.approx(100 * math.sqrt(5 / 9) / 18)
    assert round(r.se, 1) == 4.1
    assert r.ci95[0] == pytest.approx(100 / 3 - 1.959964 * r.se, abs=1e-4)


def test_hand_computed_small_case():
    r = nps_summary(frame([10, 9, 8, 7, 6, 0, None, 10]), "ltr")
    # 3 promoters, 2 passives, 2 detractors of 7: NPS = 100/7
    assert (r.n, r.promoters, r.passives, r.detractors) == (7, 3, 2, 2)
    assert r.score == pytest.approx(100 / 7)
    p, d = 3 / 7, 2 / 7
    half = 1.96 * 100 * math.sqrt((p + d - (p - d) ** 2) / 7)
    assert r.ci95[1] - r.score == pytest.approx(half, rel=1e-4)
    assert r.to_dict()["ci95"] == pytest.approx([r.score - r.margin, r.score + r.margin], abs=1e-5)


@pytest.mark.parametrize("scores,score,se", [
    ([10, 9, 10], 100.0, 0.0),          # all promoters
    ([0, 3, 6, 6], -100.0, 0.0),        # all detractors
    ([8], 0.0, 0.0),                    # n = 1, a passive
    ([9], 100.0, 0.0),                  # n = 1, a promoter
])
def test_edge_cases(scores, score, se):
    r = nps_summary(frame(scores), "ltr")
    assert r.score == score and r.se == se


def test_no_valid_scores():
    r = nps_summary(frame([None, None]), "ltr")
    assert r.n == 0 and r.score is None and r.ci95 is None
    assert r.to_dict()["score"] is None


def test_groups():
    g = nps_group(pd.Series([0, 6, 7, 8, 9, 10, np.nan]))
    assert g.tolist()[:6] == ["Detractor", "Detractor", "Passive", "Passive", "Promoter", "Promoter"]
    assert pd.isna(g.iloc[6])


def test_difference_z_test_by_hand():
    a = nps_from_counts(60, 20, 20)   # +40
    b = nps_from_counts(40, 20, 40)   # 0
    diff = nps_difference(a, b)
    se = math.sqrt(a.se**2 + b.se**2)
    assert diff.difference == pytest.approx(40)
    assert diff.z == pytest.approx(40 / se)
    assert diff.p_value == pytest.approx(math.erfc(abs(40 / se) / math.sqrt(2)))
    assert diff.significant


def test_segment_against_the_rest_and_small_bases():
    scores = [10] * 40 + [0] * 10 + [10] * 20 + [0] * 30 + [8] * 5
    seg = ["A"] * 50 + ["B"] * 50 + ["C"] * 5
    t = nps_by_segment(frame(scores, seg=seg), "ltr", "seg").set_index("value")
    assert t.loc["A", "score"] == pytest.approx(60)
    assert t.loc["B", "score"] == pytest.approx(-20)
    rest_a = nps_from_counts(20, 5, 30)
    expected = nps_difference(nps_from_counts(40, 0, 10), rest_a)
    assert t.loc["A", "p_value"] == pytest.approx(expected.p_value)
    assert bool(t.loc["A", "differs"]) and bool(t.loc["B", "differs"])
    assert bool(t.loc["C", "small_base"]) and not bool(t.loc["A", "small_base"])


def test_segment_with_no_valid_scores():
    t = nps_by_segment(frame([10, 9, None, None], seg=["A", "A", "B", "B"]), "ltr", "seg").set_index("value")
    assert t.loc["B", "n"] == 0 and pd.isna(t.loc["B", "score"]) and not t.loc["B", "differs"]


def test_weighted_nps_uses_kish_effective_n():
    f = frame([10, 0, 8, 10], w=[2.0, 1.0, 1.0, 0.0])
    r = nps_summary(f, "ltr", "w")
    # weights 2 (promoter), 1 (detractor), 1 (passive); zero weight dropped
    assert r.score == pytest.approx(100 * (2 - 1) / 4)
    assert r.effective_n == pytest.approx(16 / 6)
    p, d = 0.5, 0.25
    assert r.se == pytest.approx(100 * math.sqrt((p + d - (p - d) ** 2) / (16 / 6)))


def test_trend_periods_and_significant_change():
    dates = pd.to_datetime(["2026-01-15"] * 100 + ["2026-04-15"] * 100 + ["2026-05-01"] * 100)
    scores = [10] * 60 + [0] * 40 + [10] * 58 + [0] * 42 + [10] * 10 + [0] * 90
    t = nps_trend(frame(scores, d=dates), "ltr", "d", period="quarter")
    assert t["period"].tolist() == ["2026-Q1", "2026-Q2"]
    assert t["n"].tolist() == [100, 200]
    assert t["significant_change"].tolist() == [False, True]
    m = nps_trend(frame(scores, d=dates), "ltr", "d", period="month")
    assert m["period"].tolist() == ["2026-01", "2026-04", "2026-05"]
    assert m["significant_change"].tolist() == [False, False, True]


def test_a_change_on_a_handful_of_answers_is_significant_but_not_reported():
    """Q1: 40 answers at NPS +50; Q2: 4 detractors (NPS -100, Wald interval of zero width). The z-test
    (the contract's significant_change) finds the fall; with 4 < 30 answers it is not a reportable change,
    nor is the next quarter's change from that small base."""
    dates = pd.to_datetime(["2026-02-01"] * 40 + ["2026-05-01"] * 4 + ["2026-08-01"] * 40)
    scores = [10] * 24 + [8] * 12 + [0] * 4 + [0] * 4 + [10] * 24 + [8] * 12 + [0] * 4
    t = nps_trend(frame(scores, d=dates), "ltr", "d")
    assert t["n"].tolist() == [40, 4, 40] and t["score"].tolist() == pytest.approx([50.0, -100.0, 50.0])
    assert t["ci_low"][1] == pytest.approx(-100.0) and t["ci_high"][1] == pytest.approx(-100.0)
    assert t["significant_change"].tolist() == [False, True, True]
    assert t["small_base"].tolist() == [False, True, False]
    assert t["reportable_change"].tolist() == [False, False, False]
    items = trend_rows_to_dict(t)
    assert [i["small_base"] for i in items] == [False, True, False]
    assert [i["significant_change"] for i in items] == [False, True, True]


def test_period_labels():
    s = pd.Series(pd.to_datetime(["2025-12-31", "2026-01-01", None]))
    assert period_labels(s, "quarter").tolist()[:2] == ["2025-Q4", "2026-Q1"]
    assert pd.isna(period_labels(s, "month").iloc[2])


def test_distribution():
    d = score_distribution(frame([0, 10, 10, 7]), "ltr")
    assert d["count"].sum() == 4 and d.loc[10, "count"] == 2 and d.loc[10, "group"] == "Promoter"


def test_period_codes_match_calendar_months_and_quarters():
    import numpy as np

    from cx.nps import _period_codes

    rng = np.random.default_rng(7)
    days = rng.integers(-800, 20_000, 2_000)  # days around 1970, before and after
    dates = pd.Series(pd.to_datetime(days, unit="D"))
    dates[rng.random(2_000) < 0.1] = pd.NaT
    for period, fmt in (("month", lambda d: f"{d.year:04d}-{d.month:02d}"),
                        ("quarter", lambda d: f"{d.year:04d}-Q{d.quarter}")):
        codes, labels = _period_codes(dates, period)
        got = [labels[c] if c >= 0 else None for c in codes]
        assert got == [fmt(d) if pd.notna(d) else None for d in dates]
        assert labels == sorted(labels)
    local = pd.Series(pd.to_datetime(["2026-03-31 23:30", "2026-04-01 00:30"]).tz_localize("Europe/Paris"))
    assert _period_codes(local, "quarter")[1] == ["2026-Q1", "2026-Q2"]  # the respondent's calendar date
    assert _period_codes(pd.Series(pd.to_datetime([None, None])), "month")[1] == []
