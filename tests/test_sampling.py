"""Sampling planner: sample size, allocation, the draw, post-stratification weights, charts."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from cx.charts.sampling import allocation_chart, mix_chart
from cx.errors import CxInputError
from cx.sampling import (
    allocate_sample,
    base_from_customers,
    base_from_sizes,
    base_weights,
    draw_sample,
    guess_customer_columns,
    last_wave_overall,
    last_wave_shares,
    nps_margin_of_error,
    nps_sample_size,
    nps_variance,
    optimum_allocation,
    plan_sample,
    post_stratified_nps,
    representativeness,
    round_allocation,
    stratified_variance,
    stratum_labels,
    with_last_wave,
)

# ---------------------------------------------------------------------------------------------
# Sample size (Cochran 1977)
# ---------------------------------------------------------------------------------------------


def test_cochran_worked_example_worst_case():
    """Expected values: Cochran (1977) n0 = z^2 p q / e^2 = 1.96^2 * 0.25 / 0.05^2 = 384.16, and with
    N = 1000, n = n0 / (1 + (n0 - 1) / N) = 277.7.

    On the NPS scale the worst-case variance is 1 (four times p q = 1/4), so a ±10-point NPS margin is
    the same computation as a ±5% margin on a proportion.
    """
    plan = nps_sample_size(10)
    assert plan.n0 == pytest.approx(384.16, abs=1e-9)
    assert plan.variance == 1.0 and plan.worst_case
    assert plan.completes == 385
    with_fpc = nps_sample_size(10, population=1000)
    assert with_fpc.n0 == pytest.approx(384.16, abs=1e-9)
    assert round(with_fpc.n, 1) == 277.7
    assert with_fpc.n == pytest.approx(384.16 / (1 + 383.16 / 1000), rel=1e-12)
    assert with_fpc.completes == 278
    assert any("n0 / (1 + (n0 - 1) / N)" in note for note in with_fpc.notes)


def test_sample_size_with_last_wave_shares():
    """Binomial case d = 0 reproduces Cochran's z^2 p q / e^2 (p = 0.5, e = 0.05: 384.16); with
    p = 0.3, d = 0.2: V = 0.5 - 0.1^2 = 0.49, n0 = 196^2 * 0.49 / 5^2 = 752.9536 (hand)."""
    assert nps_sample_size(5, p=0.5, d=0.0).n0 == pytest.approx(384.16, abs=1e-9)
    plan = nps_sample_size(5, p=0.3, d=0.2)
    assert plan.variance == pytest.approx(0.49)
    assert plan.n0 == pytest.approx(752.9536, abs=1e-9)
    assert plan.completes == 753
    assert nps_variance(0.5, 0.5) == 1.0


def test_margin_of_error_is_the_inverse():
    """Hand: n = 400, worst case: 1.96 * 100 * sqrt(1/400) = 9.8; with N = 1000 times
    sqrt(600/999) = 7.5948457."""
    assert nps_margin_of_error(400) == pytest.approx(9.8, abs=1e-12)
    assert nps_margin_of_error(400, population=1000) == pytest.approx(7.5948457313, abs=1e-9)
    plan = nps_sample_size(10, population=1000)
    assert nps_margin_of_error(plan.n, population=1000) == pytest.approx(10.0, abs=1e-9)
    assert nps_margin_of_error(1000, population=1000) == 0.0


def test_other_confidence_uses_normal_quantile():
    """z for 90% is 1.6448536 (standard normal table): n0 = 164.485^2 / 10^2 = 270.55."""
    plan = nps_sample_size(10, confidence=0.90)
    assert plan.z == pytest.approx(1.6448536, abs=1e-7)
    assert plan.n0 == pytest.approx(270.5543, abs=1e-3)


@pytest.mark.parametrize("kwargs", [
    {"moe_points": 0}, {"moe_points": -3}, {"moe_points": 5, "p": 0.5},
    {"moe_points": 5, "p": 0.7, "d": 0.4}, {"moe_points": 5, "p": 1.2, "d": 0.0},
    {"moe_points": 5, "population": 0}, {"moe_points": 5, "confidence": 1.0},
])
def test_sample_size_bad_input(kwargs):
    with pytest.raises(CxInputError):
        nps_sample_size(**kwargs)


# ---------------------------------------------------------------------------------------------
# Allocation: stratallo's documented examples
# ---------------------------------------------------------------------------------------------

N4 = np.array([3000, 4000, 5000, 2000.0])
S4 = np.array([48, 79, 76, 16.0])


def test_neyman_matches_stratallo_readme():
    """Expected values: stratallo README (Wójciak), N = (3000, 4000, 5000, 2000), S = (48, 79, 76, 16),
    n = 190: opt() = 31.376147 68.853211 82.798165 6.972477 and var_st_tsi() = 3940753053."""
    x = optimum_allocation(190, N4 * S4)
    np.testing.assert_allclose(x, [31.376147, 68.853211, 82.798165, 6.972477], atol=5e-7)
    assert x.sum() == pytest.approx(190)
    var_total = stratified_variance(N4, S4**2, x) * N4.sum() ** 2
    assert round(var_total) == 3940753053


def test_bounded_neyman_matches_stratallo_readme():
    """Expected values: stratallo README. Upper bounds M = (100, 90, 70, 80): 35.121951 77.073171
    70.000000 7.804878; lower bounds m = (50, 120, 1, 2): 50 120 18 2; box m = (100, 90, 500, 50),
    M = (300, 400, 800, 90), n = 1284: 228.9496 400.0000 604.1727 50.8777."""
    a = N4 * S4
    np.testing.assert_allclose(optimum_allocation(190, a, upper=[100, 90, 70, 80]),
                               [35.121951, 77.073171, 70.0, 7.804878], atol=5e-7)
    np.testing.assert_allclose(optimum_allocation(190, a, lower=[50, 120, 1, 2]), [50, 120, 18, 2], atol=1e-9)
    np.testing.assert_allclose(optimum_allocation(1284, a, lower=[100, 90, 500, 50], upper=[300, 400, 800, 90]),
                               [228.9496, 400.0, 604.1727, 50.8777], atol=5e-5)


def test_bounded_allocation_matches_stratallo_opt_reference():
    """Expected values: stratallo reference page for opt(), A = (3000, 4000, 5000, 2000),
    m = (100, 90, 70, 50), M = (300, 400, 200, 90); var_st(x, A, A0 = 45000) = 220522.9 for n = 800."""
    a = np.array([3000, 4000, 5000, 2000.0])
    m = [100, 90, 70, 50]
    big_m = [300, 400, 200, 90]
    cases = [
        ({"lower": m}, 340, [100, 90, 100, 50]),
        ({"lower": m}, 400, [100.0, 109.09091, 136.36364, 54.54545]),
        ({"lower": m}, 700, [150, 200, 250, 100]),
        ({"upper": big_m}, 190, [40.71429, 54.28571, 67.85714, 27.14286]),
        ({"upper": big_m}, 700, [175.7143, 234.2857, 200.0, 90.0]),
        ({"lower": m, "upper": big_m}, 340, [100, 90, 100, 50]),
        ({"lower": m, "upper": big_m}, 500, [107.14286, 142.85714, 178.57143, 71.42857]),
        ({"lower": m, "upper": big_m}, 800, [218.5714, 291.4286, 200.0, 90.0]),
    ]
    for bounds, n, expected in cases:
        np.testing.assert_allclose(optimum_allocation(n, a, **bounds), expected, atol=5e-5, err_msg=str((bounds, n)))
    x = optimum_allocation(800, a, lower=m, upper=big_m)
    assert round(float((a**2 / x).sum() - 45000), 1) == 220522.9


def test_rounding_matches_stratallo_round_oric_example():
    """Expected values: stratallo README, round_oric(c(297.4286, 396.5714, 500, 90)) = 297 397 500 90."""
    x = optimum_allocation(1284, [3000, 4000, 5000, 2000], lower=[100, 90, 500, 50], upper=[300, 400, 800, 90])
    np.testing.assert_allclose(x, [297.4286, 396.5714, 500.0, 90.0], atol=5e-5)
    assert round_allocation(x).tolist() == [297, 397, 500, 90]


def test_optimum_allocation_rejects_impossible_bounds():
    with pytest.raises(CxInputError, match="minimum"):
        optimum_allocation(100, [1, 1], lower=[60, 60])
    with pytest.raises(CxInputError, match="more than"):
        optimum_allocation(100, [1, 1], upper=[40, 40])


# ---------------------------------------------------------------------------------------------
# allocate_sample on hand-computed cases
# ---------------------------------------------------------------------------------------------


def sizes(n, p=None, d=None, names=None):
    names = names or [f"S{i + 1}" for i in range(len(n))]
    frame = pd.DataFrame({"stratum": names, "N": n})
    if p is not None:
        frame["p"], frame["d"] = p, d
        return base_from_sizes(frame, promoter_col="p", detractor_col="d")
    return base_from_sizes(frame)


def test_proportional_allocation_and_margins_by_hand():
    """Hand: N = (600, 400), n = 100, proportional: 60 and 40. Worst case V = 1:
    MOE_A = 196 * sqrt(1/60 * 540/599) = 24.025029; overall = 196 * sqrt(0.36/60 * 540/599 +
    0.16/40 * 360/399) = 18.612816."""
    plan = allocate_sample(sizes([600, 400]), 100, method="proportional")
    tab = plan.to_frame()
    assert tab["completes"].tolist() == [60, 40]
    assert tab["moe"].iloc[0] == pytest.approx(24.025029, abs=1e-6)
    assert tab["moe"].iloc[1] == pytest.approx(196 * math.sqrt(1 / 40 * 360 / 399), abs=1e-9)
    assert plan.overall_moe == pytest.approx(18.612816, abs=1e-6)
    assert plan.invitations == 100 and plan.population == 1000


def test_neyman_uses_last_wave_standard_deviations():
    """Hand: A (N 1000, p = d = 0.5, S = 1) and B (N 1000, p = 0.8, d = 0, S = sqrt(0.8 - 0.64) = 0.4);
    n = 140 splits 1000 : 400, i.e. 100 and 40."""
    plan = allocate_sample(sizes([1000, 1000], p=[0.5, 0.8], d=[0.5, 0.0]), 140)
    tab = plan.to_frame()
    assert tab["sd"].round(12).tolist() == [1.0, 0.4]
    assert tab["completes"].tolist() == [100, 40]
    unknown = allocate_sample(sizes([1000, 1000], p=[np.nan, 0.8], d=[np.nan, 0.0]), 140).to_frame()
    assert unknown["worst_case"].tolist() == [True, False]
    assert unknown["completes"].tolist() == [100, 40]


def test_minimum_per_stratum_then_the_rest():
    """Hand: N = (5000, 3000, 40, 10), worst case, proportional, n = 400, minimum 30. Proportional
    shares of the small strata (1.99, 0.50) are below the minimum: they get 30 and 10 (the whole
    stratum, smaller than the minimum); the other 360 go 5000 : 3000, i.e. 225 and 135."""
    plan = allocate_sample(sizes([5000, 3000, 40, 10]), 400, method="proportional", minimum=30)
    tab = plan.to_frame()
    assert tab["completes"].tolist() == [225, 135, 30, 10]
    assert tab["at_minimum"].tolist() == [False, False, True, False]
    assert tab["census"].tolist() == [False, False, False, True]
    assert tab["moe"].iloc[3] == 0.0
    assert plan.n == 400


def test_every_stratum_gets_at_least_one_complete():
    """A 5-customer stratum beside a million would round to 0 completes and leave the stratified NPS
    undefined: it gets 1, so sizing for ±3 points stays near Cochran's single-stratum n (4,252 here),
    not a near-census."""
    base = sizes([1_000_000, 5, 20_000], names=["Big", "Tiny", "Mid"])
    plan = allocate_sample(base, moe_points=3, method="proportional")
    assert dict(zip(plan.strata["stratum"], plan.strata["completes"])) == {"Big": 4168, "Mid": 83, "Tiny": 1}
    assert plan.n == 4252 and plan.overall_moe <= 3
    with pytest.raises(CxInputError, match="at least one complete each"):
        allocate_sample(base, 2)


def test_minimum_that_does_not_fit_is_an_error():
    with pytest.raises(CxInputError, match="minimum of 30"):
        allocate_sample(sizes([500, 500, 500]), 60, minimum=30)


def test_response_rate_turns_completes_into_invitations():
    """Hand: completes (225, 135, 30, 10) at a 25% response rate need ceil(c / 0.25) = 900, 540, 120, 40
    invitations; the 40- and 10-customer strata are capped at their size and flagged."""
    plan = allocate_sample(sizes([5000, 3000, 40, 10]), 400, method="proportional", minimum=30,
                           response_rate=0.25)
    tab = plan.to_frame()
    assert tab["invitations"].tolist() == [900, 540, 40, 10]
    assert tab["enough"].tolist() == [True, True, False, False]
    assert plan.short_strata == ["S3", "S4"]
    assert plan.invitations == 1490
    full = allocate_sample(sizes([600, 400]), 100, method="proportional", response_rate=1.0)
    assert full.invitations == 100


@pytest.mark.parametrize("rate", [0, 0.0, -0.1, 1.5, float("nan")])
def test_bad_response_rate(rate):
    with pytest.raises(CxInputError, match="response rate"):
        allocate_sample(sizes([600, 400]), 100, response_rate=rate)


def test_sized_for_a_target_margin():
    """One stratum of 1000 at ±10 points needs Cochran's 277.7 -> 278 completes; for several strata the
    smallest n whose stratified margin reaches the target is used."""
    one = allocate_sample(sizes([1000]), moe_points=10)
    assert one.n == 278
    assert one.overall_moe <= 10 < allocate_sample(sizes([1000]), 277).overall_moe
    base = sizes([5000, 3000, 400, 100], p=[0.4, 0.3, 0.2, np.nan], d=[0.2, 0.3, 0.5, np.nan])
    plan = allocate_sample(base, moe_points=4, minimum=30)
    assert plan.overall_moe <= 4
    assert allocate_sample(base, plan.n - 1, minimum=30).overall_moe > 4
    assert plan.target_moe == 4


@pytest.mark.parametrize("kwargs", [
    {"n": 100, "method": "random"}, {"n": None}, {"n": 100, "moe_points": 5}, {"n": 2000},
    {"n": 100, "minimum": -1},
])
def test_allocation_bad_input(kwargs):
    with pytest.raises(CxInputError):
        allocate_sample(sizes([600, 400]), **kwargs)


def test_allocation_to_dict():
    plan = allocate_sample(sizes([600, 400]), 100, method="proportional", response_rate=0.5)
    d = json.loads(json.dumps(plan.to_dict()))
    assert d["n"] == 100 and d["invitations"] == 200 and d["method"] == "proportional"
    assert [s["completes"] for s in d["strata"]] == [60, 40]
    assert d["overall_moe"] == pytest.approx(18.6128, abs=1e-4)


# ---------------------------------------------------------------------------------------------
# The customer base
# ---------------------------------------------------------------------------------------------


def customers():
    return pd.DataFrame({
        "id": [f"C{i:02d}" for i in range(12)],
        "unit": ["Logistics"] * 6 + ["Retail"] * 4 + [None, " Energy "],
        "tier": [1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 2.0, 2.0, 1.0, 1.0],
    })


def test_base_from_customer_list():
    base = base_from_customers(customers(), "unit", id_col="id")
    assert base["stratum"].tolist() == ["(missing)", "Energy", "Logistics", "Retail"]
    assert base["N"].tolist() == [1, 1, 6, 4]
    two = base_from_customers(customers(), ["unit", "tier"])
    assert dict(zip(two["stratum"], two["N"])) == {
        "(missing) / 1": 1, "Energy / 1": 1, "Logistics / 1": 3, "Logistics / 2": 3, "Retail / 1": 2,
        "Retail / 2": 2}
    labels = stratum_labels(customers().set_index("id"), ["unit", "tier"])
    assert labels.loc["C02"] == "Logistics / 2" and labels.index.equals(customers().set_index("id").index)


def test_duplicate_ids_are_an_error():
    frame = customers()
    frame.loc[3, "id"] = "C00"
    with pytest.raises(CxInputError, match="duplicate"):
        base_from_customers(frame, "unit", id_col="id")


def test_last_wave_shares_merge_into_the_base():
    """Hand: Logistics answers 10, 9, 3, 7 -> p = 0.5, d = 0.25; Retail 0, 6 -> p = 0, d = 1."""
    last = pd.DataFrame({"unit": ["Logistics"] * 4 + ["Retail"] * 2 + ["Retail"],
                         "ltr": [10, 9, 3, 7, 0, 6, np.nan]})
    shares = last_wave_shares(last, "ltr", "unit")
    assert shares["n"].tolist() == [4, 2]
    assert shares["p"].tolist() == [0.5, 0.0] and shares["d"].tolist() == [0.25, 1.0]
    base = base_from_customers(customers(), "unit", last_wave=shares)
    got = base.set_index("stratum")
    assert got.loc["Logistics", "p"] == 0.5 and got.loc["Retail", "d"] == 1.0
    assert math.isnan(got.loc["Energy", "p"])


def test_entered_sizes_are_checked():
    with pytest.raises(CxInputError, match="whole number"):
        base_from_sizes(pd.DataFrame({"stratum": ["A"], "N": [10.5]}))
    with pytest.raises(CxInputError, match="twice"):
        base_from_sizes(pd.DataFrame({"stratum": ["A", "A"], "N": [10, 5]}))
    with pytest.raises(CxInputError, match="between 0 and 1"):
        base_from_sizes(pd.DataFrame({"stratum": ["A"], "N": [10], "p": [35], "d": [20]}),
                        promoter_col="p", detractor_col="d")


# ---------------------------------------------------------------------------------------------
# The draw
# ---------------------------------------------------------------------------------------------


def big_list(n=2000, seed=3):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"id": np.arange(n), "unit": rng.choice(["A", "B", "C"], n, p=[0.6, 0.3, 0.1])})


def test_draw_is_reproducible_and_stratified():
    frame = big_list()
    base = base_from_customers(frame, "unit")
    plan = allocate_sample(base, 150, method="proportional", minimum=20)
    first = draw_sample(frame, "unit", plan, seed=42)
    again = draw_sample(frame, "unit", plan, seed=42)
    other = draw_sample(frame, "unit", plan, seed=43)
    assert first.sample["id"].tolist() == again.sample["id"].tolist()
    assert first.sample["id"].tolist() != other.sample["id"].tolist()
    counts = first.sample.groupby("unit").size()
    assert counts.to_dict() == dict(zip(plan.strata["stratum"], plan.strata["invitations"]))
    assert first.n_drawn == 150 and first.sample["id"].is_unique
    assert (first.sample["stratum"] == first.sample["unit"]).all()
    # With id_col the draw does not depend on the order of the rows in the file.
    shuffled = frame.sample(frac=1, random_state=1)
    a = draw_sample(frame, "unit", plan, seed=7, id_col="id").sample["id"]
    b = draw_sample(shuffled, "unit", plan, seed=7, id_col="id").sample["id"]
    assert sorted(a) == sorted(b)


def test_draw_is_a_simple_random_sample_within_stratum():
    """Over 4000 seeds, drawing 2 of 5 customers includes each with frequency close to 2/5
    (binomial standard error 0.0077: all within 0.03)."""
    frame = pd.DataFrame({"id": range(5), "unit": ["A"] * 5})
    hits = np.zeros(5)
    for seed in range(4000):
        hits[draw_sample(frame, "unit", {"A": 2}, seed=seed).sample["id"].to_numpy()] += 1
    np.testing.assert_allclose(hits / 4000, 0.4, atol=0.03)


def test_contact_frequency_rule():
    """Today 2026-03-31, rule 30 days: surveyed 0, 29 days ago or in the future -> excluded (3);
    30 and 31 days ago, never, or blank -> eligible."""
    frame = pd.DataFrame({
        "id": range(7), "unit": ["A"] * 7,
        "last": ["2026-03-31", "2026-03-02", "2026-03-01", "2026-02-28", None, "2026-04-05", ""],
    })
    draw = draw_sample(frame, "unit", {"A": 7}, seed=1, exclude_recent_days=30, last_surveyed_col="last",
                       today="2026-03-31")
    assert sorted(draw.sample["id"]) == [2, 3, 4, 6]
    assert draw.n_excluded == 3
    row = draw.strata.iloc[0]
    assert (row["N"], row["excluded_recent"], row["eligible"], row["requested"], row["drawn"]) == (7, 3, 4, 7, 4)
    assert bool(row["short"])
    d = draw.to_dict()
    assert d["excluded_recent"] == 3 and d["strata"][0]["short"] is True


def test_draw_input_errors():
    frame = pd.DataFrame({"id": range(4), "unit": ["A", "A", "B", "B"], "last": ["2026-01-01", "x", None, None]})
    with pytest.raises(CxInputError, match="last surveyed"):
        draw_sample(frame, "unit", {"A": 1}, seed=1, exclude_recent_days=30)
    with pytest.raises(CxInputError, match="not dates"):
        draw_sample(frame, "unit", {"A": 1}, seed=1, exclude_recent_days=30, last_surveyed_col="last")
    with pytest.raises(CxInputError, match="not in the customer"):
        draw_sample(frame, "unit", {"Z": 1}, seed=1)
    with pytest.raises(CxInputError, match="seed"):
        draw_sample(frame, "unit", {"A": 1}, seed=-1)


# ---------------------------------------------------------------------------------------------
# Representativeness and post-stratification weights
# ---------------------------------------------------------------------------------------------


def test_post_stratification_by_hand():
    """Hand: base A 600, B 400 (N = 1000); respondents 3 in A, 7 in B (n = 10).
    w_A = 0.6 / 0.3 = 2, w_B = 0.4 / 0.7 = 0.5714286; sum w = 10; Kish n_eff = 10^2 / (3 * 4 + 7 *
    (4/7)^2) = 100 / 14.285714 = 7.0. Chi-square: expected 6 and 4, (3-6)^2/6 + (7-4)^2/4 = 3.75,
    1 dof, p = 0.052808."""
    survey = pd.DataFrame({"unit": ["A"] * 3 + ["B"] * 7}, index=range(100, 110))
    rep = representativeness(survey, "unit", sizes([600, 400], names=["A", "B"]))
    assert rep.weights.index.equals(survey.index) and rep.weights.name == "weight"
    np.testing.assert_allclose(rep.weights.to_numpy(), [2.0] * 3 + [4 / 7] * 7, rtol=1e-12)
    assert rep.weights.sum() == pytest.approx(10.0)
    assert rep.n_effective == pytest.approx(7.0, abs=1e-12)
    assert rep.design_effect == pytest.approx(10 / 7)
    assert rep.chi2 == pytest.approx(3.75) and rep.dof == 1
    assert rep.p_value == pytest.approx(0.052808, abs=1e-6)
    tab = rep.to_frame()
    assert tab["sample_share"].tolist() == [0.3, 0.7]
    assert tab["difference"].round(12).tolist() == [-0.3, 0.3]
    d = rep.to_dict()
    assert d["n"] == 10 and d["n_effective"] == 7.0 and d["strata"][0]["weight"] == 2.0


def test_weights_with_uncovered_strata_and_unknown_respondents():
    """Base A 600, B 300, C 100; respondents 2 A, 2 B, 1 X (not in base). Covered strata A, B
    (N = 900): w_A = (600/900)/(2/4) = 4/3, w_B = (300/900)/(2/4) = 2/3; X gets NaN."""
    survey = pd.DataFrame({"unit": ["A", "A", "B", "B", "X"]})
    rep = representativeness(survey, "unit", sizes([600, 300, 100], names=["A", "B", "C"]))
    np.testing.assert_allclose(rep.weights.to_numpy()[:4], [4 / 3, 4 / 3, 2 / 3, 2 / 3])
    assert math.isnan(rep.weights.iloc[4])
    assert rep.n == 4 and rep.n_unmatched == 1
    assert any("No respondents in 1 stratum" in w for w in rep.warnings)
    with pytest.raises(CxInputError, match="No respondent"):
        representativeness(pd.DataFrame({"unit": ["X"]}), "unit", sizes([10], names=["A"]))


# ---------------------------------------------------------------------------------------------
# Charts
# ---------------------------------------------------------------------------------------------


def _params(spec):
    found = []

    def walk(node):
        if isinstance(node, dict):
            for p in node.get("params", []) or []:
                found.append(p)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


def test_allocation_chart_spec():
    plan = allocate_sample(sizes([5000, 3000, 40, 10]), 400, method="proportional", minimum=30,
                           response_rate=0.25)
    spec = allocation_chart(plan).to_dict()
    params = _params(spec)
    assert any(p["name"] == "sampling_stratum" and p["select"]["fields"] == ["stratum"] for p in params)
    data = next(iter(spec["datasets"].values()))
    assert [r["completes"] for r in data] == [225, 135, 30, 10]
    assert [r["moe_label"] for r in data][2:] == [f"±{plan.strata['moe'].iloc[2]:.1f}", "census"]
    assert [r["status"] for r in data][2:] == ["Short of customers"] * 2
    assert "n = 400" in spec["title"]["subtitle"]


def test_mix_chart_spec():
    survey = pd.DataFrame({"unit": ["A"] * 3 + ["B"] * 7})
    rep = representativeness(survey, "unit", sizes([600, 400], names=["A", "B"]))
    spec = mix_chart(rep).to_dict()
    assert any(p["name"] == "mix_stratum" for p in _params(spec))
    data = next(iter(spec["datasets"].values()))
    shares = {(r["stratum"], r["source"]): r["share"] for r in data}
    assert shares == {("A", "Customer base"): 0.6, ("B", "Customer base"): 0.4,
                      ("A", "Respondents"): 0.3, ("B", "Respondents"): 0.7}
    assert spec["encoding"]["yOffset"]["field"] == "source"
    assert "p = 0.053" in spec["title"]["text"]


# ---------------------------------------------------------------------------------------------
# Page and CLI helpers: last wave, weighted NPS, the whole plan, column guesses
# ---------------------------------------------------------------------------------------------


def test_with_last_wave_matches_strata_by_label():
    base = base_from_sizes(pd.DataFrame({"stratum": ["B", "A"], "N": [50, 100]}))
    lw = pd.DataFrame({"stratum": ["A", "Z"], "n": [40, 5], "p": [0.5, 0.1], "d": [0.2, 0.3]})
    out = with_last_wave(base, lw)
    assert out["stratum"].tolist() == ["A", "B"] and out["N"].tolist() == [100, 50]
    assert out["p"].tolist()[0] == 0.5 and out["d"].tolist()[0] == 0.2
    assert math.isnan(out["p"].iloc[1]) and math.isnan(out["d"].iloc[1])
    assert with_last_wave(out, None)["p"].isna().all()


def test_last_wave_overall_pools_the_strata():
    """Hand: A has 30 answers (p 0.5, d 0.2), B 10 (p 0.1, d 0.6): p = (15 + 1) / 40 = 0.4,
    d = (6 + 6) / 40 = 0.3; the same as the shares over all 40 answers."""
    lw = pd.DataFrame({"stratum": ["A", "B", "C"], "n": [30, 10, 0], "p": [0.5, 0.1, np.nan],
                       "d": [0.2, 0.6, np.nan]})
    assert last_wave_overall(lw) == (0.4, 0.3)
    survey = pd.DataFrame({"unit": ["A"] * 4 + ["B"] * 2, "ltr": [10, 9, 0, 7, 3, 10]})
    p, d = last_wave_overall(last_wave_shares(survey, "ltr", "unit"))
    assert (p, d) == (pytest.approx(3 / 6), pytest.approx(2 / 6))
    assert last_wave_overall(None) == (None, None)
    assert last_wave_overall(lw.iloc[2:]) == (None, None)


def test_post_stratified_nps_by_hand():
    """Hand: A (N 50) has answers 10, 10, 0; B (N 50) has 0. Weights w_A = 0.5 / 0.75 = 2/3,
    w_B = 0.5 / 0.25 = 2; weighted promoters 4/3 and detractors 2/3 + 2 = 8/3 of 4, so
    NPS = 100 * (1/3 - 2/3) = -33.33; Kish n_eff = 4^2 / (3 * 4/9 + 4) = 3."""
    survey = pd.DataFrame({"unit": ["A", "A", "A", "B"], "ltr": [10.0, 10.0, 0.0, 0.0]})
    base = base_from_sizes(pd.DataFrame({"stratum": ["A", "B", "C"], "N": [50, 50, 0]}))
    result = post_stratified_nps(survey, "ltr", "unit", base)
    assert result.weighted and result.n == 4
    assert result.score == pytest.approx(-100 / 3)
    assert result.effective_n == pytest.approx(3.0)
    rep = representativeness(survey, "unit", base)
    assert rep.stratum_weights() == {"A": pytest.approx(2 / 3), "B": pytest.approx(2.0)}
    over, under = rep.largest_gaps()
    assert over["stratum"] == "A" and over["difference"] == pytest.approx(0.25)
    assert under["stratum"] == "B" and under["difference"] == pytest.approx(-0.25)
    with pytest.raises(CxInputError, match="Loyalty"):
        post_stratified_nps(survey, "missing", "unit", base)


def test_largest_gaps_when_the_mix_matches():
    survey = pd.DataFrame({"unit": ["A", "B"]})
    rep = representativeness(survey, "unit", sizes([10, 10], names=["A", "B"]))
    assert rep.largest_gaps() == (None, None)


def test_plan_sample_is_the_pieces_put_together():
    customers = pd.DataFrame({"id": [f"C{i:03d}" for i in range(300)],
                              "unit": ["A"] * 200 + ["B"] * 100,
                              "last": ["2026-11-01"] * 20 + [""] * 280})
    survey = pd.DataFrame({"unit": ["A"] * 6 + ["B"] * 4, "ltr": [10, 9, 9, 7, 3, 0, 10, 8, 6, 6]})
    lw = last_wave_shares(survey, "ltr", "unit")
    plan = plan_sample(customers, "unit", moe_points=15, method="neyman", minimum=10, response_rate=0.5,
                       id_col="id", last_wave=lw, seed=11, exclude_recent_days=30, last_surveyed_col="last",
                       today="2026-11-22")
    base = base_from_customers(customers, "unit", "id", lw)
    pd.testing.assert_frame_equal(plan.base, base)
    assert plan.size.completes == nps_sample_size(15, *last_wave_overall(lw), population=300).completes
    alloc = allocate_sample(base, moe_points=15, method="neyman", minimum=10, response_rate=0.5)
    pd.testing.assert_frame_equal(plan.allocation.strata, alloc.strata)
    draw = draw_sample(customers, "unit", alloc, 11, exclude_recent_days=30, last_surveyed_col="last",
                       today="2026-11-22", id_col="id")
    pd.testing.assert_frame_equal(plan.draw.sample, draw.sample)
    assert plan.draw.n_excluded == 20
    d = plan.to_dict()
    assert set(d) == {"strata", "population", "sample_size", "allocation", "draw"}
    assert d["strata"] == ["unit"] and d["population"] == 300 and d["draw"]["seed"] == 11
    json.dumps(d)
    assert plan_sample(customers, ["unit"], moe_points=15, draw=False).draw is None


def test_base_weights_is_representativeness_against_the_list():
    customers = pd.DataFrame({"id": range(10), "unit": ["A"] * 6 + ["B"] * 4})
    survey = pd.DataFrame({"unit": ["A"] * 3 + ["B"] * 7})
    rep = base_weights(survey, customers, "unit", id_col="id")
    np.testing.assert_allclose(rep.weights.to_numpy(), [2.0] * 3 + [4 / 7] * 7)
    with pytest.raises(CxInputError, match="duplicate"):
        base_weights(survey, pd.DataFrame({"id": [1, 1], "unit": ["A", "B"]}), "unit", id_col="id")


def test_guess_customer_columns():
    frame = pd.DataFrame({
        "Paid invoices": [1, 2, 3, 4], "Customer no": ["c1", "c2", "c3", "c4"], "Region": ["N", "S", "N", "S"],
        "Tier": ["x", "y", "x", "z"], "Revenue": [1.0, 2.0, 3.0, 4.0], "Date last surveyed": ["", "", "", ""]})
    g = guess_customer_columns(frame, segments=["Tier", "Business unit"])
    assert g.id_col == "Customer no"
    assert g.candidates == ("Region", "Tier") and g.strata == ("Tier",)
    assert g.last_surveyed_col == "Date last surveyed"
    g = guess_customer_columns(frame, id_hint="paid invoices")
    assert g.id_col == "Paid invoices" and g.strata == ("Customer no",)
    dup = pd.DataFrame({"account": ["a", "a"], "unit": ["A", "B"]})
    assert guess_customer_columns(dup).id_col is None


def test_charts_keep_their_height_for_the_plot():
    """Streamlit's default autosize "fit" squeezes title, axes and legend into the height."""
    plan = allocate_sample(sizes([5000, 3000]), 400, method="proportional")
    assert allocation_chart(plan).to_dict()["autosize"] == {"type": "fit-x", "contains": "padding"}
    rep = representativeness(pd.DataFrame({"unit": ["A", "B", "B"]}), "unit", sizes([10, 10], names=["A", "B"]))
    assert mix_chart(rep).to_dict()["autosize"] == {"type": "fit-x", "contains": "padding"}
