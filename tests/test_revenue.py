"""Revenue at risk, CLV, what-ifs, talking points, money parsing and the revenue charts.

Hand-built frames with every number worked out by hand in the comments; the CLV formula against
Gupta & Lehmann's published margin multiple.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from cx.charts import GREEN, VERMILLION
from cx.charts.revenue import (
    value_by_driver_chart,
    value_by_segment_chart,
    value_by_theme_chart,
    value_waterfall_chart,
    waterfall_data,
)
from cx.errors import CxInputError
from cx.revenue import (
    ClvAssumptions,
    ClvSummary,
    DriverResponse,
    RevenueBasis,
    RevenueSummary,
    _nps_group,
    assumed_revenue,
    clv_by_group,
    clv_summary,
    convert_detractors,
    driver_change_value,
    driver_response,
    extrapolation_problem,
    extrapolation_weights,
    headline,
    margin_multiple,
    merge_segment_inputs,
    parse_money,
    rating_steps,
    retention_change,
    revenue_by_group,
    segment_inputs,
    talking_points,
    value_by_driver,
    value_by_segment,
    value_by_theme,
)

# Value of 1 unit of annual revenue with the default assumptions (margin 30%, d = 10%):
VM_DET = 0.3 * 0.65 / 0.45  # 0.4333...
VM_PAS = 0.3 * 0.80 / 0.30  # 0.8
VM_PRO = 0.3 * 0.90 / 0.20  # 1.35


@pytest.fixture
def survey() -> pd.DataFrame:
    """Nine respondents: every NPS group, missing loyalty and missing revenue, two segments."""
    return pd.DataFrame({
        "LTR": [10, 9, 8, 7, 6, 0, 3, np.nan, np.nan],
        "Revenue": [100.0, 200.0, 50.0, np.nan, 300.0, 150.0, np.nan, 80.0, np.nan],
        "Unit": pd.Series(["A", "B", "A", "B", "A", "B", "A", "B", "A"], dtype="str"),
        "Billing accuracy": [5, 4, 3, 2, 1, 2, np.nan, 1, 4],
        "Ease": [10, 9, 8, 7, 6, 5, 0, 2, np.nan],
    })


# ---------------------------------------------------------------------------- revenue by group

def test_revenue_by_group_sums_by_hand(survey):
    """total = 100+200+50+300+150+80 = 880 (the unscored 80 included); groups 450/50/300."""
    s = revenue_by_group(survey, "LTR", "Revenue")
    assert s.total == 880.0
    assert (s.detractors, s.passives, s.promoters, s.unscored) == (450.0, 50.0, 300.0, 80.0)
    assert s.detractors + s.passives + s.promoters + s.unscored == s.total
    assert (s.n_detractors, s.n_passives, s.n_promoters, s.n_unscored) == (3, 2, 2, 2)
    assert (s.detractors_with_revenue, s.passives_with_revenue, s.promoters_with_revenue) == (2, 1, 2)
    assert (s.n_with_revenue, s.n_missing_revenue) == (6, 3)
    assert s.nps == pytest.approx(100 * (2 - 3) / 7)
    assert s.detractor_share == pytest.approx(450 / 880)


def test_revenue_to_dict_matches_contract(survey):
    d = revenue_by_group(survey, "LTR", "Revenue").to_dict()
    assert {"total", "detractors", "passives", "promoters"} <= set(d)
    assert d["total"] == 880.0 and d["detractors"] == 450.0
    # CONTRACT.md invariant (checked by check_contract.py): the groups never exceed the total.
    assert d["detractors"] + d["passives"] + d["promoters"] <= d["total"] + 0.01
    assert d["n_missing_revenue"] == 3


def test_revenue_to_frame(survey):
    t = revenue_by_group(survey, "LTR", "Revenue").to_frame()
    assert list(t["group"]) == ["Detractor", "Passive", "Promoter", "(no loyalty answer)", "Total"]
    assert list(t["respondents"]) == [3, 2, 2, 2, 9]
    assert list(t["with_revenue"]) == [2, 1, 2, 1, 6]
    assert list(t["mean_revenue"]) == [225.0, 50.0, 150.0, 80.0, pytest.approx(880 / 6)]


def test_nps_group_labels(survey):
    g = _nps_group(survey["LTR"])
    assert list(g.astype("object").fillna("NA")) == [
        "Promoter", "Promoter", "Passive", "Passive", "Detractor", "Detractor", "Detractor", "NA", "NA"]


def test_text_revenue_and_missing_columns_are_refused(survey):
    text = survey.assign(Revenue=["$1"] * 9)
    with pytest.raises(CxInputError, match="parse_money"):
        revenue_by_group(text, "LTR", "Revenue")
    with pytest.raises(CxInputError, match="Turnover"):
        revenue_by_group(survey, "LTR", "Turnover")


def test_assumed_revenue(survey):
    per = assumed_revenue(survey, "Unit", per_segment={"A": 1000.0, "B": 2000.0})
    assert per.tolist() == [1000.0, 2000.0] * 4 + [1000.0]
    s = revenue_by_group(survey, "LTR", per)
    # Detractors: rows 5 (A), 6 (B), 7 (A) = 1000 + 2000 + 1000; no revenue is missing now.
    assert s.detractors == 4000.0 and s.n_missing_revenue == 0 and s.total == 13000.0
    mixed = assumed_revenue(survey, "Unit", average=500.0, per_segment={"B": 2000.0})
    assert mixed.tolist()[:2] == [500.0, 2000.0]
    with pytest.raises(CxInputError, match="A"):
        assumed_revenue(survey, "Unit", per_segment={"B": 2000.0})
    with pytest.raises(CxInputError):
        assumed_revenue(survey)
    with pytest.raises(CxInputError):
        assumed_revenue(survey, average=-1.0)


# ---------------------------------------------------------------------------- CLV

def test_gupta_lehmann_margin_multiple():
    """Expected value: Gupta & Lehmann (2003), Customers as assets, J. Interactive Marketing
    17(1), margin multiple table: retention 80%, discount rate 10% gives 2.67 (= 0.8 / 0.3)."""
    assert margin_multiple(0.8, 0.1) == pytest.approx(2.667, abs=5e-4)
    assert margin_multiple(0.9, 0.1) == pytest.approx(4.5)  # 0.9 / 0.2
    assert margin_multiple(0.6, 0.1) == pytest.approx(1.2)  # 0.6 / 0.5


def test_margin_multiple_is_the_discounted_sum():
    """Closed form = Σ_{t≥1} r^t / (1 + d)^t, margins at the end of each year retained."""
    r, d = 0.65, 0.1
    t = np.arange(1, 2000)
    assert margin_multiple(r, d) == pytest.approx(np.sum(r**t / (1 + d) ** t))


def test_clv_by_group_by_hand(survey):
    c = clv_by_group(survey, "LTR", "Revenue")
    # 450 × 0.3 × 0.65/0.45 = 195; 50 × 0.3 × 0.8/0.3 = 40; 300 × 0.3 × 0.9/0.2 = 405.
    assert c.detractors == pytest.approx(195.0)
    assert c.passives == pytest.approx(40.0)
    assert c.promoters == pytest.approx(405.0)
    assert c.total == pytest.approx(640.0)
    quick = clv_by_group(survey, "LTR", "Revenue", ClvAssumptions(quick=True))
    assert (quick.detractors, quick.passives, quick.promoters) == (450.0, 50.0, 300.0)


def test_clv_assumptions_describe_and_dict():
    a = ClvAssumptions()
    text = a.describe()
    for piece in ("r / (1 + d − r)", "Gross margin: 30%", "Discount rate d: 10%", "promoters 90%",
                  "passives 80%", "detractors 65%", "1.35 from a promoter", "2.9 years for detractors"):
        assert piece in text
    d = a.to_dict()
    assert d["mode"] == "lifetime" and d["gross_margin"] == 0.3 and d["discount_rate"] == 0.1
    assert d["retention"] == {"promoters": 0.9, "passives": 0.8, "detractors": 0.65}
    assert d["value_multiple"]["passives"] == pytest.approx(0.8)
    q = ClvAssumptions(quick=True)
    assert "this year's revenue only" in q.describe() and q.to_dict()["mode"] == "this_year_revenue"
    assert q.value_multiple("detractor") == 1.0


@pytest.mark.parametrize("kwargs", [{"retention_detractors": 1.0}, {"retention_promoters": -0.1},
                                    {"discount_rate": -0.05}, {"gross_margin": 1.5}])
def test_clv_assumptions_refuse_impossible_values(kwargs):
    with pytest.raises(CxInputError):
        ClvAssumptions(**kwargs)


def test_clv_summary_to_dict_is_the_cli_section(survey):
    d = clv_by_group(survey, "LTR", "Revenue").to_dict()
    assert d["mode"] == "lifetime" and d["retention"]["detractors"] == 0.65
    assert d["detractors"] == pytest.approx(195.0) and d["total"] == pytest.approx(640.0)


# ---------------------------------------------------------------------------- segments, themes, drivers

def test_value_by_segment_by_hand(survey):
    t = value_by_segment(survey, "LTR", "Revenue", "Unit")
    assert list(t["segment"]) == ["A", "B"]  # A holds 300 at risk, B 150
    a, b = t.iloc[0], t.iloc[1]
    assert (a.respondents, a.scored, a.detractors, a.with_revenue) == (5, 4, 2, 3)
    assert a.nps == pytest.approx(-25.0)  # (1 promoter − 2 detractors) / 4
    assert (a.revenue, a.detractor_revenue) == (450.0, 300.0)
    assert a.at_risk_share == pytest.approx(2 / 3)
    assert a.value == pytest.approx(100 * VM_PRO + 50 * VM_PAS + 300 * VM_DET)  # 305
    assert a.value_at_risk == pytest.approx(130.0)
    assert (b.respondents, b.scored, b.detractors, b.with_revenue) == (4, 3, 1, 3)
    assert b.nps == pytest.approx(0.0)
    assert (b.revenue, b.detractor_revenue) == (430.0, 150.0)
    assert b.value == pytest.approx(200 * VM_PRO + 150 * VM_DET)  # the unscored 80 has no CLV
    assert t["revenue"].sum() == 880.0


def test_value_by_segment_keeps_missing_segment_rows(survey):
    s = survey.assign(Unit=pd.Series(["A", "B", "A", "B", "A", None, "A", "B", "A"], dtype="str"))
    t = value_by_segment(s, "LTR", "Revenue", "Unit").set_index("segment")
    assert t.loc["(missing)", "detractor_revenue"] == 150.0
    assert t["revenue"].sum() == 880.0


def test_extrapolation_by_hand(survey):
    """Base: A has 50 customers, B 300. Respondents with revenue: A 3, B 3 → weights 50/3 and 100."""
    base = {"A": 50, "B": 300}
    w = extrapolation_weights(survey, "Unit", "Revenue", base)
    assert w.iloc[0] == pytest.approx(50 / 3) and w.iloc[1] == pytest.approx(100.0)
    assert math.isnan(w.iloc[3])  # no revenue: nothing to scale
    s = revenue_by_group(survey, "LTR", "Revenue", weights=w)
    # A: 450 × 50/3 = 7,500; B: 430 × 100 = 43,000.
    assert s.total == pytest.approx(50_500.0)
    assert s.detractors == pytest.approx(300 * 50 / 3 + 150 * 100)  # 20,000
    assert s.extrapolated
    t = value_by_segment(survey, "LTR", "Revenue", "Unit", base_size=base).set_index("segment")
    assert t.loc["A", "revenue"] == pytest.approx(7_500.0)
    assert t.loc["B", "detractor_revenue"] == pytest.approx(15_000.0)
    assert t.loc["B", "base_size"] == 300 and t.loc["B", "weight"] == pytest.approx(100.0)
    with pytest.raises(CxInputError, match="B"):
        extrapolation_weights(survey, "Unit", "Revenue", {"A": 50})
    with pytest.raises(CxInputError):
        extrapolation_weights(survey, "Unit", "Revenue", {"A": 50, "B": 0})


def test_value_by_theme_by_hand(survey):
    themes = pd.DataFrame({
        "Billing errors": [False, False, False, False, True, True, True, False, False],
        "Late delivery": pd.array([True, False, False, False, True, False, False, False, pd.NA], dtype="boolean"),
    })
    t = value_by_theme(survey, themes, "LTR", "Revenue").set_index("theme")
    assert list(t.index) == ["Billing errors", "Late delivery"]
    # Billing: detractors 300 + 150 (+ one without revenue); Late delivery: promoter 100, detractor 300.
    assert t.loc["Billing errors", ["mentions", "detractor_mentions"]].tolist() == [3, 3]
    assert t.loc["Billing errors", "detractor_revenue"] == 450.0
    assert t.loc["Billing errors", "share_of_detractor_revenue"] == pytest.approx(1.0)
    assert t.loc["Billing errors", "value_at_risk"] == pytest.approx(195.0)
    assert t.loc["Late delivery", ["mentions", "detractor_mentions"]].tolist() == [2, 1]
    assert t.loc["Late delivery", "revenue"] == 400.0
    assert t.loc["Late delivery", "detractor_revenue"] == 300.0
    with pytest.raises(CxInputError):
        value_by_theme(survey, themes.iloc[:5], "LTR", "Revenue")


def test_value_by_driver_by_hand(survey):
    t = value_by_driver(survey, ["Billing accuracy", "Ease"], "LTR", "Revenue").set_index("driver")
    b = t.loc["Billing accuracy"]
    # 1–5 scale: low = 1 or 2 → rows 4 (no revenue), 5 (300, detractor), 6 (150, detractor), 8 (80).
    assert b.low_rule == "rated 2 or lower"
    assert (b.rated, b.low_raters) == (8, 4) and b.low_share == 0.5
    assert (b.revenue_low, b.revenue_at_risk) == (530.0, 450.0)
    assert b.share_of_revenue == pytest.approx(530 / 880)
    assert b.value_low == pytest.approx(195.0) and b.value_at_risk == pytest.approx(195.0)
    e = t.loc["Ease"]
    # 0–10 scale: low = 0–6 → rows 5 (300), 6 (150), 7 (none), 8 (80).
    assert e.low_rule == "rated 6 or lower" and e.low_raters == 4 and e.revenue_low == 530.0
    one = value_by_driver(survey, ["Billing accuracy"], "LTR", "Revenue", threshold=1).iloc[0]
    assert (one.low_raters, one.revenue_low, one.revenue_at_risk) == (2, 380.0, 300.0)
    mask = pd.Series([True] + [False] * 8)
    given = value_by_driver(survey, ["Ease"], "LTR", "Revenue", low={"Ease": mask}).iloc[0]
    assert (given.low_rule, given.revenue_low, given.revenue_at_risk) == ("as given", 100.0, 0.0)


# ---------------------------------------------------------------------------- what-ifs

@pytest.fixture
def twenty() -> RevenueSummary:
    """5 promoters, 5 passives, 10 detractors each holding 1,000 of annual revenue: NPS −25."""
    return RevenueSummary.from_counts(5, 5, 10, promoters=5_000.0, passives=5_000.0, detractors=10_000.0)


def test_convert_detractors_to_passives_by_hand(twenty):
    w = convert_detractors(twenty, 0.2, "passive")
    assert w.converted == pytest.approx(2.0)
    assert w.nps_before == pytest.approx(-25.0)
    assert w.nps_after == pytest.approx(-15.0)  # (5 − 8) / 20
    assert (w.promoters_after, w.passives_after, w.detractors_after) == (5, 7, 8)
    assert w.converted_revenue == pytest.approx(2_000.0)
    assert w.revenue_retained == pytest.approx(300.0)  # 2,000 × (0.80 − 0.65)
    assert w.value_retained == pytest.approx(2_000 * 0.3 * (0.8 / 0.3 - 0.65 / 0.45))  # 733.33
    assert w.value_retained == pytest.approx(733.3333, abs=1e-3)


def test_convert_detractors_to_promoters_and_quick_mode(twenty):
    w = convert_detractors(twenty, 0.2, "promoters")
    assert w.nps_after == pytest.approx(-5.0)  # (7 − 8) / 20
    assert w.revenue_retained == pytest.approx(500.0)  # 2,000 × (0.90 − 0.65)
    assert w.value_retained == pytest.approx(2_000 * (VM_PRO - VM_DET))  # 1,833.33
    q = convert_detractors(twenty, 0.2, "passive", ClvAssumptions(quick=True))
    assert q.value_retained == q.revenue_retained == pytest.approx(300.0)
    with pytest.raises(CxInputError):
        convert_detractors(twenty, 1.5)
    with pytest.raises(CxInputError):
        convert_detractors(twenty, 0.1, "detractor")


def test_retention_change_by_hand(twenty):
    w = retention_change(ClvAssumptions(), ClvAssumptions(retention_detractors=0.70), twenty)
    # Detractor value multiple 0.3 × 0.65/0.45 → 0.3 × 0.70/0.40 = 0.525.
    assert w.change == pytest.approx(10_000 * (0.525 - VM_DET))  # 916.67
    assert w.change_by_group == pytest.approx({"detractors": 916.6667, "passives": 0.0, "promoters": 0.0}, abs=1e-3)
    assert w.revenue_change_per_year == pytest.approx(500.0)  # 10,000 × 0.05


def test_driver_change_value(twenty):
    up = driver_change_value(twenty, 10.0, driver="Billing accuracy", delta=1)
    # +10 points of n = 20 → 2 detractors become passives: the 20% conversion above.
    assert up.moved == pytest.approx(2.0)
    assert up.revenue_per_year == pytest.approx(300.0) and up.value == pytest.approx(733.3333, abs=1e-3)
    assert up.nps_after == pytest.approx(-15.0)
    to_pro = driver_change_value(twenty, 10.0, to="promoter")
    assert to_pro.moved == pytest.approx(1.0) and to_pro.revenue_per_year == pytest.approx(250.0)
    down = driver_change_value(twenty, -5.0)
    # −5 points → 1 passive (holding 1,000) becomes a detractor: 1,000 × (0.80 − 0.65) lost a year.
    assert down.revenue_per_year == pytest.approx(-150.0)
    assert down.value == pytest.approx(-1_000 * (VM_PAS - VM_DET))
    with pytest.raises(CxInputError):
        driver_change_value(twenty, 60.0)
    assert up.to_dict()["model_estimate"] is True


# ---------------------------------------------------------------------------- talking points

def test_talking_points_figures():
    """Detractors 612.4M of 1,612.4M = 38%; 10% → passives keeps 61.24M × 0.15 = 9.186M a year."""
    s = RevenueSummary.from_counts(40, 22, 38, promoters=700e6, passives=300e6, detractors=612.4e6)
    w = convert_detractors(s, 0.10, "passive")
    points = talking_points(clv_summary(s), what_if=w)
    assert points[0] == "Detractors hold $612.4M of annual revenue (38% of the $1.6B total)."
    conv = next(p for p in points if p.startswith("Converting"))
    assert "10% of detractors to passives keeps $9.2M of revenue a year" in conv
    # Lifetime: 61.24M × 0.3 × (0.8/0.3 − 0.65/0.45) = 22.455M.
    assert "($22.5M of lifetime value)" in conv
    assert "detractors renew at 65% and passives at 80%" in conv
    assert "NPS would move from +2 to +6" in conv  # (40 − 38) → (40 − 34.2) of 100
    assert any("30% gross margin" in p and "(1 + 10% − r)" in p for p in points)
    assert any("lifetime value, detractors represent $265.4M" in p for p in points)  # 612.4M × 0.4333


def test_talking_points_currency_quick_mode_and_caveats(survey):
    s = revenue_by_group(survey, "LTR", "Revenue")
    points = talking_points(s, ClvAssumptions(quick=True), currency="€")
    assert points[0] == "Detractors hold €450 of annual revenue (51% of the €880 total)."
    assert "These figures count this year's revenue only: no margin, no future years." in points
    assert any("€80 belongs to respondents who did not answer" in p for p in points)
    assert "3 respondents without a revenue value are left out of these sums." in points


def test_talking_points_other_what_ifs(twenty):
    r = retention_change(ClvAssumptions(), ClvAssumptions(retention_detractors=0.70), twenty)
    d = driver_change_value(twenty, 10.0, driver="Billing accuracy", delta=1)
    points = talking_points(twenty, what_if=[r, d])
    assert any(p.startswith("If detractors renewed at 70% instead of 65%, lifetime value would rise by $917 "
                            "($500 more revenue renewing each year)") for p in points)
    assert any(p.startswith("Raising Billing accuracy by 1 point would lift NPS by about 10.0 points "
                            "(a model estimate), worth $300 of revenue a year") for p in points)


# ---------------------------------------------------------------------------- parse_money

@pytest.mark.parametrize(("text", "value"), [
    ("$1,234.50", 1234.5), ("€ 2 500", 2500.0), ("1.2M", 1.2e6), ("(1,000)", -1000.0), ("-$3", -3.0),
    ("1,000-", -1000.0), ("USD 5k", 5000.0), ("2.5 bn", 2.5e9), ("1'234.50 CHF", 1234.5), ("0", 0.0),
    ("£12", 12.0), ("R$ 1.234,56", 1234.56), ("1.234.567,89", 1234567.89), ("€\u00a02\u202f500", 2500.0),
])
def test_parse_money_formats(text, value):
    values, report = parse_money(pd.Series([text]))
    assert values.iloc[0] == pytest.approx(value)
    assert report.n_parsed == 1 and report.n_unparseable == 0


def test_parse_money_decimal_comma_column():
    values, report = parse_money(pd.Series(["1.234,50", "2.000,00", "12,5", "3.000"]))
    assert report.decimal_mark == ","
    assert values.tolist() == [1234.5, 2000.0, 12.5, 3000.0]  # "3.000" follows the column: thousands
    assert "decimal comma" in " ".join(report.messages())


def test_parse_money_ambiguous_column_reads_thousands():
    assert parse_money(pd.Series(["1,234", "5,000"]))[0].tolist() == [1234.0, 5000.0]
    assert parse_money(pd.Series(["1.234", "5.000"]))[0].tolist() == [1234.0, 5000.0]
    # With decimals elsewhere in the column, "1,234" follows the column's decimal comma.
    assert parse_money(pd.Series(["1,234", "7,50", "8,25"]))[0].tolist() == [1.234, 7.5, 8.25]


def test_parse_money_blanks_and_junk_are_reported_never_zero():
    s = pd.Series(["$1,234.50", "", "  ", None, "N/A", "call me", "1,23,4", "$100"])
    values, report = parse_money(s)
    assert values.isna().tolist() == [False, True, True, True, True, True, True, False]
    assert (values.fillna(-1) != 0).all()
    assert (report.n, report.n_parsed, report.n_blank, report.n_unparseable) == (8, 2, 4, 2)
    assert report.examples == ("call me", "1,23,4")
    msgs = " ".join(report.messages())
    assert "4 of 8 revenue values are blank" in msgs and '"call me"' in msgs and not report.ok


def test_parse_money_mixed_marks_and_numbers():
    values, report = parse_money(pd.Series(["$1,234.50", "$2,000.00", "1.234,50"]))
    assert values.tolist() == [1234.5, 2000.0, 1234.5]
    assert report.decimal_mark == "." and report.n_other_mark == 1
    obj = pd.Series([1.5, "2,5", None, "x", 7], dtype=object)
    values, report = parse_money(obj)
    assert values.tolist()[:2] == [1.5, 2.5] and values.iloc[4] == 7.0
    assert (report.n_blank, report.n_unparseable) == (1, 1)
    nums, report = parse_money(pd.Series([1.0, np.nan, -2.0]))
    assert nums.iloc[2] == -2.0 and (report.n_blank, report.n_negative) == (1, 1)
    assert values.index.equals(obj.index)


# ---------------------------------------------------------------------------- charts

def _data(spec: dict) -> list[dict]:
    (values,) = spec["datasets"].values()
    return values


def test_segment_chart_spec(survey):
    spec = value_by_segment_chart(value_by_segment(survey, "LTR", "Revenue", "Unit")).to_dict()
    assert [r["segment"] for r in _data(spec)] == ["A", "B"]
    assert [r["money"] for r in _data(spec)] == ["$300", "$150"]
    bars = spec["layer"][0]
    assert bars["mark"]["color"] == VERMILLION
    (param,) = spec["params"]
    assert param["name"] == "revenue_segment" and param["select"]["fields"] == ["segment"]
    assert "'G', 'B'" in bars["encoding"]["x"]["axis"]["labelExpr"]
    assert spec["title"]["subtitle"] == "n = 9"


def test_theme_chart_spec(survey):
    themes = pd.DataFrame({"Billing": [False] * 4 + [True] * 3 + [False] * 2, "Web": [False] * 9})
    spec = value_by_theme_chart(value_by_theme(survey, themes, "LTR", "Revenue"), currency="€").to_dict()
    assert [r["theme"] for r in _data(spec)] == ["Billing", "Web"]
    (param,) = spec["params"]
    assert param["name"] == "revenue_theme" and param["select"]["fields"] == ["theme"]
    assert '"€"' in spec["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]


def test_waterfall_by_hand(twenty):
    w = convert_detractors(twenty, 0.2)
    d = waterfall_data(twenty, w)
    assert list(d["kind"]) == ["Total", "Not at risk", "At risk", "Kept", "At risk"]
    assert list(d["start"]) == [0, 20_000, 0, 10_000, 0]
    assert list(d["end"]) == [20_000, 10_000, 10_000, 9_700, 9_700]
    assert list(d["label"]) == ["$20.0K", "$10.0K", "$10.0K", "$300", "$9.7K"]
    spec = value_waterfall_chart(twenty, w).to_dict()
    color = spec["layer"][0]["encoding"]["color"]["scale"]
    assert color["domain"][2:] == ["At risk", "Kept"] and color["range"][2:] == [VERMILLION, GREEN]
    assert len(_data(spec)) == 5
    assert len(waterfall_data(twenty)) == 3


def test_clv_summary_feeds_charts_and_what_ifs(twenty):
    c = clv_summary(twenty, ClvAssumptions(gross_margin=0.5))
    assert isinstance(c, ClvSummary)
    w = convert_detractors(c, 0.2)  # takes the ClvSummary's assumptions
    assert w.value_retained == pytest.approx(2_000 * 0.5 * (0.8 / 0.3 - 0.65 / 0.45))
    assert waterfall_data(c, w)["end"].iloc[-1] == pytest.approx(9_700.0)


def test_every_result_serialises_to_json(survey, twenty):
    import json

    s = revenue_by_group(survey, "LTR", "Revenue")
    c = clv_summary(s)
    results = [s, c, c.assumptions, convert_detractors(c, 0.1),
               retention_change(ClvAssumptions(), ClvAssumptions(retention_passives=0.85), twenty),
               driver_change_value(twenty, 5.0, driver="Billing accuracy", delta=0.5),
               parse_money(pd.Series(["$1", "x"]))[1]]
    for r in results:
        assert json.loads(json.dumps(r.to_dict(), allow_nan=False)) == r.to_dict()


def test_weights_from_another_column_keep_the_missing_segment_row(survey):
    s = survey.assign(Unit=pd.Series(["A", "B", "A", "B", "A", None, "A", "B", "A"], dtype="str"))
    weights = pd.Series(np.where(s["Revenue"].notna(), 2.0, np.nan))
    t = value_by_segment(s, "LTR", "Revenue", "Unit", weights=weights).set_index("segment")
    assert t.loc["(missing)", "detractor_revenue"] == 300.0  # 150 × 2
    assert t["revenue"].sum() == 1760.0


# ---------------------------------------------------------------------------- the page's helpers

def test_revenue_basis_column_or_assumptions(survey):
    col = RevenueBasis.build(column="Revenue", average=5.0, segment="Unit", per_segment={"A": 1.0})
    assert (col.column, col.average, col.per_segment, col.is_assumed) == ("Revenue", None, (), False)
    assert revenue_by_group(survey, "LTR", col) == revenue_by_group(survey, "LTR", "Revenue")
    flat = RevenueBasis.build(average=500.0)
    s = revenue_by_group(survey, "LTR", flat)
    # 3 detractors and 9 respondents at 500 each; no revenue is missing.
    assert (s.detractors, s.total, s.n_missing_revenue) == (1_500.0, 4_500.0, 0)
    # Blank cells are dropped; B falls back to the average.
    per = RevenueBasis.build(average=100.0, segment="Unit", per_segment={"A": 1_000.0, "B": None})
    assert per.per_segment == (("A", 1_000.0),)
    assert per.revenue(survey).tolist() == [1_000.0, 100.0] * 4 + [1_000.0]
    # Detractors: rows 4 (A), 5 (B), 6 (A) = 1,000 + 100 + 1,000.
    assert revenue_by_group(survey, "LTR", per).detractors == 2_100.0
    with pytest.raises(CxInputError, match="average annual revenue"):
        RevenueBasis.build()
    with pytest.raises(CxInputError, match="segment column"):
        RevenueBasis(average=1.0, per_segment=(("A", 1.0),))


def test_revenue_basis_extrapolates_every_sum(survey):
    """Base: A 50 customers, B 40; respondents with revenue: A 3, B 3 → weights 50/3 and 40/3."""
    basis = RevenueBasis.build(column="Revenue", base_segment="Unit", base_size={"A": 50, "B": 40})
    assert basis.is_extrapolated and not basis.respondents_only().is_extrapolated
    s = revenue_by_group(survey, "LTR", basis)
    assert s.extrapolated
    assert s.detractors == pytest.approx(300 * 50 / 3 + 150 * 40 / 3)  # 7,000
    assert s.total == pytest.approx(450 * 50 / 3 + 430 * 40 / 3)  # 13,233.33
    w = extrapolation_weights(survey, "Unit", "Revenue", {"A": 50, "B": 40})
    assert s == revenue_by_group(survey, "LTR", "Revenue", weights=w)
    pd.testing.assert_frame_equal(value_by_segment(survey, "LTR", basis, "Unit"),
                                  value_by_segment(survey, "LTR", "Revenue", "Unit", weights=w))
    themes = pd.DataFrame({"Billing": [False] * 4 + [True] * 3 + [False] * 2})
    pd.testing.assert_frame_equal(value_by_theme(survey, themes, "LTR", basis),
                                  value_by_theme(survey, themes, "LTR", "Revenue", weights=w))
    pd.testing.assert_frame_equal(value_by_driver(survey, ["Billing accuracy"], "LTR", basis),
                                  value_by_driver(survey, ["Billing accuracy"], "LTR", "Revenue", weights=w))
    with pytest.raises(CxInputError, match="not both"):
        revenue_by_group(survey, "LTR", basis, weights=w)
    with pytest.raises(CxInputError, match="B"):
        revenue_by_group(survey, "LTR", RevenueBasis.build(column="Revenue", base_segment="Unit",
                                                           base_size={"A": 50}))


def test_revenue_basis_describe():
    assert RevenueBasis.build(column="Annual revenue").describe() == (
        'Revenue is each respondent\'s annual revenue from the column "Annual revenue".')
    assert RevenueBasis.build(average=50_000).describe("€") == (
        "Revenue is assumed, not measured: €50,000 a year per customer.")
    per = RevenueBasis.build(average=10_000, segment="Unit", per_segment={"B": 20_000, "A": 5_000})
    assert per.describe() == ("Revenue is assumed, not measured: a year per customer by Unit, A $5,000, B $20,000; "
                              "$10,000 for every other customer.")
    ext = RevenueBasis.build(column="R", base_segment="Unit", base_size={"A": 1200, "B": 300})
    assert ext.describe().endswith("Figures are extrapolated to the whole customer base from the number of "
                                   "customers per Unit (A 1,200, B 300), assuming the respondents of each represent "
                                   "it; NPS and counts stay those of the respondents.")


def test_segment_inputs_and_merge(survey):
    t = segment_inputs(survey, "Unit", {"B": 2_000.0, "Z": 1.0}, "revenue")
    assert t["value"].tolist() == ["A", "B"] and t["respondents"].tolist() == [5, 4]
    assert math.isnan(t["revenue"].iloc[0]) and t["revenue"].iloc[1] == 2_000.0
    edited = t.assign(revenue=[1_500.0, np.nan])
    # A typed, B cleared, Z (not in view) kept.
    assert merge_segment_inputs({"B": 2_000.0, "Z": 1.0}, edited, "revenue") == {"Z": 1.0, "A": 1_500.0}


def test_extrapolation_problem_with_the_filter():
    import datetime as dt

    from cx.filters import FilterSpec

    assert extrapolation_problem(FilterSpec(), "Unit") is None
    assert extrapolation_problem(FilterSpec.build({"Unit": ["A"]}), "Unit") is None
    assert extrapolation_problem(FilterSpec.build(date_from=dt.date(2026, 1, 1)), "Unit") is None
    msg = extrapolation_problem(FilterSpec.build({"Region": ["EMEA"], "Unit": ["A"]}), "Unit")
    assert msg.startswith("The filter (Region) keeps only part of each Unit")
    core = FilterSpec.build(core_growth=True, icp={"Tier": ["Key"]})
    assert "core-growth customers" in extrapolation_problem(core, "Unit")


def test_rating_steps():
    assert rating_steps(pd.Series([1, 3, 5, np.nan])) == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    assert rating_steps(pd.Series([0.0, 10.0])) == [float(k) for k in range(1, 11)]
    assert len(rating_steps(pd.Series([1, 7]))) == 12
    assert rating_steps(pd.Series([4, 4])) == [] and rating_steps(pd.Series([np.nan])) == []


def test_driver_response_is_the_driver_model_for_each_rise():
    from cx.drivers import predicted_outcome_change

    rng = np.random.default_rng(7)
    a, b = rng.integers(1, 6, 60).astype(float), rng.integers(1, 6, 60).astype(float)
    ltr = np.clip(np.round(1.2 * a + 0.6 * b + rng.normal(0, 1.2, 60)), 0, 10)
    f = pd.DataFrame({"LTR": ltr, "Billing": a, "Ease": b})
    resp = driver_response(f, ["Billing", "Ease"], "LTR", "Billing")
    assert resp.deltas == [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    for c in resp.changes:
        assert c == predicted_outcome_change(f, ["Billing", "Ease"], "LTR", "Billing", c.delta)
    assert resp.at(1.2).delta == 1.0
    assert list(resp.to_frame()["nps_change"]) == [c.nps_change for c in resp.changes]
    with pytest.raises(CxInputError):
        driver_response(f.assign(Ease=3.0), ["Billing", "Ease"], "LTR", "Ease")


def test_driver_response_offers_only_rises_the_survey_can_carry(twenty):
    """n = 20, D = 10: +10 points moves 2 detractors to passives; +60 needs 12 (too many), or 6 to promoters."""
    from types import SimpleNamespace

    resp = DriverResponse("Billing", (SimpleNamespace(delta=1.0, nps_change=10.0),
                                      SimpleNamespace(delta=2.0, nps_change=60.0),
                                      SimpleNamespace(delta=3.0, nps_change=float("nan"))))
    assert resp.feasible_deltas(twenty, "passive") == [1.0]
    assert resp.feasible_deltas(twenty, "promoter") == [1.0, 2.0]


def test_headline_and_talking_point_notes(twenty):
    assert headline(clv_summary(twenty)) == ("The loyalty gap is worth $10.0K a year: detractors hold 50% of the "
                                             "$20.0K revenue, $4.3K in lifetime value.")  # 10,000 × 0.4333
    assert headline(clv_summary(twenty, ClvAssumptions(quick=True)), "£") == (
        "The loyalty gap is worth £10.0K a year: detractors hold 50% of the £20.0K revenue.")
    points = talking_points(twenty, notes=["Revenue is assumed.", "", "These figures cover Region: EMEA."])
    assert points[2:4] == ["Revenue is assumed.", "These figures cover Region: EMEA."]


def test_value_by_theme_takes_coded_comments(survey):
    from cx.themes import CodedComments

    matrix = np.array([[False, True], [False, False], [False, False], [False, False], [True, True],
                       [True, False], [True, False], [False, False], [False, False]])
    coded = CodedComments(("Billing errors", "Late delivery"), ("bill", "late"), matrix, np.ones(9, dtype=bool),
                          survey.index)
    pd.testing.assert_frame_equal(value_by_theme(survey, coded, "LTR", "Revenue"),
                                  value_by_theme(survey, coded.to_frame(), "LTR", "Revenue"))


def test_driver_chart_spec(survey):
    spec = value_by_driver_chart(value_by_driver(survey, ["Billing accuracy", "Ease"], "LTR", "Revenue",
                                                 threshold={"Billing accuracy": 1, "Ease": 6})).to_dict()
    # Low raters' revenue: Ease 530, Billing (rated 1) 380.
    assert [r["driver"] for r in _data(spec)] == ["Ease", "Billing accuracy"]
    assert [r["money"] for r in _data(spec)] == ["$530", "$380"]
    (param,) = spec["params"]
    assert param["name"] == "revenue_driver" and param["select"]["fields"] == ["driver"]


def test_bar_charts_give_each_bar_a_step(survey):
    """A fixed height let Streamlit squash the bars of a short table under the title: one step per bar."""
    spec = value_by_segment_chart(value_by_segment(survey, "LTR", "Revenue", "Unit")).to_dict()
    assert spec["height"] == {"step": 28}
