"""Leading indicators: periods, the join, lag correlations, verdicts, charts."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cx.charts.indicators import lag_chart, metric_vs_nps_chart
from cx.errors import CxInputError
from cx.indicators import (
    MetricsLayout,
    correlation_ci,
    guess_metrics_layout,
    indicators_from_root_causes,
    period_label,
    period_ordinals,
    tidy_metrics,
    validate_leading_indicators,
)

# ---------------------------------------------------------------------------------------------
# Periods and intervals
# ---------------------------------------------------------------------------------------------


def test_response_dates_map_to_calendar_months_and_quarters():
    dates = pd.Series(pd.to_datetime(["2026-02-15", "2025-12-31", None]))
    months = period_ordinals(dates, "month")
    quarters = period_ordinals(dates, "quarter")
    assert [period_label(o, "month") for o in months[:2]] == ["2026-02", "2025-12"]
    assert [period_label(o, "quarter") for o in quarters[:2]] == ["2026-Q1", "2025-Q4"]
    assert math.isnan(months[2])


def test_metric_period_labels_are_read():
    text = pd.Series(["2026-01", "2026-01-31", "Mar 2026", ""])
    assert [period_label(o, "month") for o in period_ordinals(text, "month")[:3]] == ["2026-01", "2026-01", "2026-03"]
    q = pd.Series(["2026-Q1", "2025Q4", "Q3 2025", "2026-05-01"])
    assert [period_label(o, "quarter") for o in period_ordinals(q, "quarter")] == \
        ["2026-Q1", "2025-Q4", "2025-Q3", "2026-Q2"]
    ints = pd.Series([202601, 202612])
    assert [period_label(o, "month") for o in period_ordinals(ints, "month")] == ["2026-01", "2026-12"]
    with pytest.raises(CxInputError, match="quarters"):
        period_ordinals(pd.Series(["2026-Q1"]), "month")
    with pytest.raises(CxInputError, match="not dates"):
        period_ordinals(pd.Series(["2026-01", "soon"]), "month")


def test_fisher_interval_by_hand():
    """Hand: r = 0.5, n = 28: atanh(0.5) = 0.549306, se = 1/5, tanh(0.549306 -+ 0.392) =
    (0.156021, 0.735822)."""
    lo, hi = correlation_ci(0.5, 28)
    assert lo == pytest.approx(0.156021, abs=1e-6) and hi == pytest.approx(0.735822, abs=1e-6)
    assert all(math.isnan(v) for v in correlation_ci(0.5, 3))


# ---------------------------------------------------------------------------------------------
# Metrics in wide or long format
# ---------------------------------------------------------------------------------------------


def test_wide_and_long_metrics_agree_and_average_into_quarters():
    """Hand: customer 1's invoice accuracy 90, 96 in Jan and Feb 2026 -> 93 for 2026-Q1."""
    wide = pd.DataFrame({"customer_id": [1, 1, 2], "month": ["2026-01", "2026-02", "2026-01"],
                         "invoice_accuracy": [90.0, 96.0, 80.0], "pct_shipped_complete": [0.9, np.nan, 0.7]})
    long = wide.melt(id_vars=["customer_id", "month"], var_name="metric", value_name="value")
    a = tidy_metrics(wide, "customer_id", "month")
    b = tidy_metrics(long, "customer_id", "month", metric_col="metric", value_col="value")
    pd.testing.assert_frame_equal(a, b)
    assert a["metric"].drop_duplicates().tolist() == ["invoice_accuracy", "pct_shipped_complete"]
    assert len(a) == 5  # the blank value is dropped
    q = tidy_metrics(wide, "customer_id", "month", ["invoice_accuracy"], period="quarter")
    got = dict(zip(q["customer_id"], q["value"]))
    assert got == {"1": 93.0, "2": 80.0}
    assert period_label(q["period"].iloc[0], "quarter") == "2026-Q1"


# ---------------------------------------------------------------------------------------------
# Respondent-level and period-level lag correlations, hand-computed
# ---------------------------------------------------------------------------------------------


def small_case():
    """Five customers: metric in January, loyalty in February (lag 1)."""
    metrics = pd.DataFrame({"cust": ["1", "2", "3", "4", "5"], "month": ["2026-01"] * 5,
                            "accuracy": [1.0, 2.0, 3.0, 4.0, 5.0]})
    survey = pd.DataFrame({"Customer": [1, 2, 3, 4, 5.0, np.nan],
                           "Date": pd.to_datetime(["2026-02-03"] * 5 + ["2026-02-04"]),
                           "LTR": [2.0, 4.0, 5.0, 4.0, 5.0, 10.0]})
    return survey, metrics


def test_respondent_level_lag_correlation_by_hand():
    """Hand: x = 1..5, y = 2, 4, 5, 4, 5: Sxy = 6, Sxx = 10, Syy = 6, r = 6 / sqrt(60) = 0.774597 at
    lag 1, n = 5 (float ids 1.0 match text ids "1"); no pairs at lags 0, 2, 3."""
    survey, metrics = small_case()
    res = validate_leading_indicators(survey, metrics, id_col="Customer", date_col="Date", loyalty_col="LTR",
                                      metrics_id_col="cust", metrics_period_col="month")
    resp = res.lags[res.lags["level"] == "respondent"].set_index("lag")
    assert resp.loc[1, "n"] == 5
    assert resp.loc[1, "r"] == pytest.approx(6 / math.sqrt(60), abs=1e-12)
    lo, hi = correlation_ci(6 / math.sqrt(60), 5)
    assert (resp.loc[1, "ci_low"], resp.loc[1, "ci_high"]) == pytest.approx((lo, hi))
    assert resp.loc[[0, 2, 3], "n"].tolist() == [0, 0, 0]
    assert res.n_responses == 5 and res.n_matched == 5
    assert any("no customer id" in w for w in res.warnings)
    v = res.verdict("accuracy")
    assert v.status == "not enough data" and v.n == 5


def test_period_table_nps_follows_the_contract():
    """Hand: February has 6 valid answers 2, 4, 5, 4, 5, 10 (the one without an id counts in the
    period's NPS): 1 promoter, 5 detractors, NPS = -66.67, V = 1/6 + 5/6 - (4/6)^2 = 0.555556,
    ci = -66.67 -+ 196 * sqrt(0.555556 / 6)."""
    survey, metrics = small_case()
    res = validate_leading_indicators(survey, metrics, id_col="Customer", date_col="Date", loyalty_col="LTR",
                                      metrics_id_col="cust", metrics_period_col="month")
    tab = res.periods.set_index("period")
    assert tab.loc["2026-01", "metric_mean"] == 3.0 and tab.loc["2026-01", "n_customers"] == 5
    assert tab.loc["2026-01", "nps_n"] == 0 and math.isnan(tab.loc["2026-01", "nps"])
    feb = tab.loc["2026-02"]
    half = 196 * math.sqrt((1 / 6 + 5 / 6 - (4 / 6) ** 2) / 6)
    assert feb["nps_n"] == 6 and feb["nps"] == pytest.approx(-200 / 3)
    assert feb["nps_ci_low"] == pytest.approx(-200 / 3 - half) and feb["nps_ci_high"] == pytest.approx(-200 / 3 + half)
    assert math.isnan(feb["metric_mean"])


def test_period_level_correlation_by_hand():
    """Hand: one customer; metric m = 1, 2, 3, 4, 5 in Jan-May; two answers a month from Feb to Jun,
    (10, 0), (10, 8), (9, 7), (10, 9), (9, 10), give NPS 0, 50, 50, 100, 100. Lag 1 pairs (1, 0),
    (2, 50), (3, 50), (4, 100), (5, 100): Sxy = 250, Sxx = 10, Syy = 7000, r = 250 / sqrt(70000)."""
    metrics = pd.DataFrame({"cust": [1] * 5, "month": ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"],
                            "m": [1.0, 2.0, 3.0, 4.0, 5.0]})
    answers = {"2026-02-10": [10, 0], "2026-03-10": [10, 8], "2026-04-10": [9, 7],
               "2026-05-10": [10, 9], "2026-06-10": [9, 10]}
    rows = [(1, d, s) for d, scores in answers.items() for s in scores]
    survey = pd.DataFrame(rows, columns=["cust", "date", "ltr"]).assign(date=lambda f: pd.to_datetime(f["date"]))
    res = validate_leading_indicators(survey, metrics, id_col="cust", date_col="date", loyalty_col="ltr",
                                      metrics_id_col="cust", metrics_period_col="month")
    per = res.lags[res.lags["level"] == "period"].set_index("lag")
    assert per.loc[1, "n"] == 5
    assert per.loc[1, "r"] == pytest.approx(250 / math.sqrt(10 * 7000), abs=1e-12)
    # Lag 0 pairs Feb-May: metric (2, 3, 4, 5) with NPS (0, 50, 50, 100).
    assert per.loc[0, "n"] == 4
    assert per.loc[0, "r"] == pytest.approx(150 / math.sqrt(5 * 5000), abs=1e-12)


# ---------------------------------------------------------------------------------------------
# A planted lag
# ---------------------------------------------------------------------------------------------


def planted(seed=11, customers=500, months=18):
    """Loyalty at month t driven by the customer's invoice accuracy at t - 2; a second metric is noise.

    The metric is independent from month to month, so its true correlation with loyalty is 0 at lags
    0, 1 and 3.
    """
    rng = np.random.default_rng(seed)
    acc = 92 + 4 * rng.standard_normal((customers, months))
    noise = rng.standard_normal((customers, months))
    month_labels = [f"{2025 + m // 12}-{m % 12 + 1:02d}" for m in range(months)]
    metrics = pd.DataFrame({
        "customer_id": np.repeat(np.arange(customers), months),
        "month": np.tile(month_labels, customers),
        "First-time invoice accuracy": acc.ravel(),
        "Shipped complete": noise.ravel(),
    })
    rows = []
    for c in range(customers):
        for t in range(3, months):
            if rng.random() < 0.25:
                ltr = np.clip(np.round(7 + 0.3 * (acc[c, t - 2] - 92) + rng.normal(0, 1.5)), 0, 10)
                rows.append((f"{c}", pd.Timestamp(2025 + t // 12, t % 12 + 1, 20), ltr))
    survey = pd.DataFrame(rows, columns=["Account", "Response date", "LTR"])
    return survey, metrics


def test_planted_lag_two_is_found():
    """Constructed data with a planted lag of 2 months: the lag-2 correlation is the largest, its
    interval excludes 0, and lags 0, 1, 3 are near 0 (|r| < 0.1) with intervals that include 0."""
    survey, metrics = planted()
    res = validate_leading_indicators(survey, metrics, id_col="Account", date_col="Response date",
                                      loyalty_col="LTR", metrics_id_col="customer_id", metrics_period_col="month",
                                      focus_metrics=["shipped complete"])
    resp = res.lags[(res.lags["level"] == "respondent") & (res.lags["metric"] == "First-time invoice accuracy")]
    resp = resp.set_index("lag")
    assert resp["r"].idxmax() == 2
    assert resp.loc[2, "r"] > 0.4 and resp.loc[2, "ci_low"] > 0
    for k in (0, 1, 3):
        assert abs(resp.loc[k, "r"]) < 0.1
        assert resp.loc[k, "ci_low"] < 0 < resp.loc[k, "ci_high"]
    v = res.verdict("First-time invoice accuracy")
    assert v.status == "supported" and v.lag == 2 and not v.from_5_whys
    assert v.text == (f"supported as a leading indicator: correlation at lag 2 is {v.r:.2f} "
                      f"({v.ci_low:.2f} to {v.ci_high:.2f}), n = {v.n:,}")
    noise = res.verdict("Shipped complete")
    assert noise.status == "not supported" and noise.from_5_whys
    # The metric named in the 5 Whys is listed first (matched without regard to case).
    assert res.metrics == ["Shipped complete", "First-time invoice accuracy"]
    assert res.to_frame()["metric"].tolist() == res.metrics


def test_planted_lag_at_quarter_grain_and_json():
    survey, metrics = planted()
    res = validate_leading_indicators(survey, metrics, id_col="Account", date_col="Response date",
                                      loyalty_col="LTR", metrics_id_col="customer_id", metrics_period_col="month",
                                      period="quarter", focus_metrics=["Not a metric"])
    assert res.periods["period"].iloc[0] == "2025-Q1"
    assert any("Not a metric" in w for w in res.warnings)
    d = res.to_dict()
    assert d["period"] == "quarter" and d["primary_level"] == "respondent"
    assert {i["metric"] for i in d["items"]} == {"First-time invoice accuracy", "Shipped complete"}
    assert len(d["lags"]) == 2 * 2 * 4


def test_same_period_only_is_not_a_leading_indicator():
    """Loyalty driven by the metric in the same month only: lag 0 is clear, lags 1-3 are not, so the
    verdict is 'not supported' with a same-period note."""
    rng = np.random.default_rng(5)
    c, t = 400, 10
    x = rng.standard_normal((c, t))
    metrics = pd.DataFrame({"id": np.repeat(np.arange(c), t), "month": np.tile([f"2026-{m + 1:02d}" for m in range(t)], c),
                            "m": x.ravel()})
    rows = [(i, pd.Timestamp(2026, m + 1, 5), float(np.clip(np.round(7 + 1.5 * x[i, m] + rng.normal(0, 1)), 0, 10)))
            for i in range(c) for m in range(3, t) if rng.random() < 0.3]
    survey = pd.DataFrame(rows, columns=["id", "date", "ltr"])
    v = validate_leading_indicators(survey, metrics, id_col="id", date_col="date", loyalty_col="ltr",
                                    metrics_id_col="id", metrics_period_col="month").verdict("m")
    assert v.status == "not supported" and v.lag == 0
    assert v.text.startswith("not supported as a leading indicator: it moves with loyalty in the same period")


def test_bad_input():
    survey, metrics = small_case()
    kw = {"id_col": "Customer", "date_col": "Date", "loyalty_col": "LTR", "metrics_id_col": "cust",
          "metrics_period_col": "month"}
    with pytest.raises(CxInputError, match="period"):
        validate_leading_indicators(survey, metrics, period="week", **kw)
    with pytest.raises(CxInputError, match="not found"):
        validate_leading_indicators(survey, metrics, **{**kw, "loyalty_col": "Nope"})
    with pytest.raises(CxInputError, match="lag"):
        validate_leading_indicators(survey, metrics, max_lag=0, **kw)
    with pytest.raises(CxInputError, match="valid 0-10"):
        validate_leading_indicators(survey.assign(LTR=np.nan), metrics, **kw)


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------


def _params(spec):
    out = []

    def walk(node):
        if isinstance(node, dict):
            out.extend(node.get("params", []) or [])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return out


def test_lag_chart_spec():
    survey, metrics = planted(customers=200)
    res = validate_leading_indicators(survey, metrics, id_col="Account", date_col="Response date",
                                      loyalty_col="LTR", metrics_id_col="customer_id", metrics_period_col="month",
                                      focus_metrics=["Shipped complete"])
    spec = lag_chart(res).to_dict()
    assert any(p["name"] == "indicator_metric" and p["select"]["fields"] == ["metric"] for p in _params(spec))
    assert spec["facet"]["sort"] == ["Shipped complete (5 Whys)", "First-time invoice accuracy"]
    data = next(iter(spec["datasets"].values()))
    assert len(data) == 8 and {r["level"] for r in data} == {"respondent"}
    lag2 = next(r for r in data if r["metric"] == "First-time invoice accuracy" and r["lag"] == 2)
    assert lag2["clear"] == "Interval excludes 0"
    with pytest.raises(CxInputError):
        lag_chart(res, level="customer")


def test_metric_vs_nps_chart_spec():
    survey, metrics = small_case()
    res = validate_leading_indicators(survey, metrics, id_col="Customer", date_col="Date", loyalty_col="LTR",
                                      metrics_id_col="cust", metrics_period_col="month")
    spec = metric_vs_nps_chart(res, "accuracy").to_dict()
    assert spec["resolve"]["scale"]["y"] == "independent"
    assert any(p["name"] == "indicator_period" for p in _params(spec))
    data = next(iter(spec["datasets"].values()))
    assert [r["period"] for r in data] == ["2026-01", "2026-02"]
    assert data[0]["metric_mean"] == 3.0 and data[1]["nps_n"] == 6
    with pytest.raises(CxInputError, match="No metric"):
        metric_vs_nps_chart(res, "missing")


# ---------------------------------------------------------------------------------------------
# Inputs from the Root cause page and from files
# ---------------------------------------------------------------------------------------------


def test_indicators_from_root_causes():
    work = [
        {"theme": "Billing errors", "indicator": {"name": " First-time invoice accuracy ", "owner": "AR"}},
        {"theme": "Late deliveries"},
        {"theme": "x", "indicator": {"name": ""}},
        {"theme": "y", "indicator": "Orders shipped complete"},
        {"theme": "z", "indicator": {"name": "First-time invoice accuracy"}},
        {"indicator": {"name": 3}},
        "not a dict",
        None,
    ]
    assert indicators_from_root_causes(work) == ["First-time invoice accuracy", "Orders shipped complete"]
    assert indicators_from_root_causes([]) == []
    assert indicators_from_root_causes(None) == []
    assert indicators_from_root_causes({"indicator": {"name": "x"}}) == []


def test_guess_metrics_layout():
    wide = pd.DataFrame({"Paid invoices": [1.0], "Client ID": ["c1"], "Reporting month": ["2026-01"],
                         "Accuracy": [0.9], "Flag": [True], "Note": ["x"]})
    g = guess_metrics_layout(wide)
    assert (g.id_col, g.period_col, g.metric_cols, g.long) == ("Client ID", "Reporting month",
                                                                ("Paid invoices", "Accuracy"), False)
    g = guess_metrics_layout(wide, id_hint="paid invoices")
    assert g.id_col == "Paid invoices" and g.metric_cols == ("Accuracy",)
    long = pd.DataFrame({"customer_id": ["a"], "Quarter": ["2026-Q1"], "KPI": ["accuracy"], "Value": [0.9]})
    g = guess_metrics_layout(long)
    assert (g.id_col, g.period_col, g.metric_col, g.value_col, g.long) == ("customer_id", "Quarter", "KPI",
                                                                            "Value", True)
    assert guess_metrics_layout(pd.DataFrame({"a": [1.0]})) == MetricsLayout(None, None, ("a",))
