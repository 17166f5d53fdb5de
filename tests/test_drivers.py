"""Key driver analysis: published reference values, hand-computed cases, invariants, edge cases."""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx import drivers as kda
from cx.charts import drivers as charts
from cx.errors import CxInputError

REF = Path(__file__).resolve().parents[2] / "shared" / "data" / "reference"
needs_reference = pytest.mark.skipif(not REF.exists(), reason=f"{REF} is not available")

SWISS_X = ["Agriculture", "Examination", "Education", "Catholic", "Infant.Mortality"]


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


def assert_same(a: kda.DriverAnalysis, b: kda.DriverAnalysis) -> None:
    """Same items (NaN fields compare equal here, unlike dataclass equality)."""
    pd.testing.assert_frame_equal(a.to_frame(), b.to_frame())


def brute_force_r2(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None) -> dict[tuple[int, ...], float]:
    """R² of OLS (intercept + subset) for every subset, by np.linalg.lstsq on the raw data."""
    n, p = X.shape
    w = np.ones(n) if w is None else w
    sw = np.sqrt(w)
    ybar = w @ y / w.sum()
    sst = w @ (y - ybar) ** 2
    out = {(): 0.0}
    for k in range(1, p + 1):
        for S in itertools.combinations(range(p), k):
            A = np.column_stack([np.ones(n), X[:, S]])
            b, *_ = np.linalg.lstsq(A * sw[:, None], y * sw, rcond=None)
            r = y - A @ b
            out[S] = 1 - (w @ r**2) / sst
    return out


def brute_force_shapley(table: dict[tuple[int, ...], float], p: int) -> np.ndarray:
    """Shapley values by averaging the R² gain over all p! orderings."""
    phi = np.zeros(p)
    perms = list(itertools.permutations(range(p)))
    for order in perms:
        seen: tuple[int, ...] = ()
        for j in order:
            new = tuple(sorted(seen + (j,)))
            phi[j] += table[new] - table[seen]
            seen = new
    return phi / len(perms)


# ─── published reference values ─────────────────────────────────────────────────────────────────


@needs_reference
def test_shapley_on_swiss_matches_brute_force_and_r_summary():
    """LMG on R's swiss data (Fertility on the other five columns).

    Expected values: relaimpo's printed LMG table (Grömping 2006, JSS 17(1)) was not retrievable
    offline, so the shares are checked against an independent brute-force computation (OLS on
    every subset of the raw data with lstsq, averaged over all 120 orderings). The model R² and the
    sequential sums of squares are R's published output for lm(Fertility ~ ., swiss):
    "Multiple R-squared: 0.7067"; anova(): Agriculture 894.84, Examination 2210.38, Education
    891.81, Catholic 667.13, Infant.Mortality 408.75, Residuals 2105.04.
    """
    sw = _ref("swiss.csv")
    res = kda.key_drivers(sw, SWISS_X, "Fertility")
    assert res.method == "shapley" and res.n == 47
    assert round(res.r2, 4) == 0.7067
    table = brute_force_r2(sw[SWISS_X].to_numpy(float), sw["Fertility"].to_numpy(float))
    expected = brute_force_shapley(table, 5)
    got = np.array([res.item(d).r2_contribution for d in SWISS_X])
    np.testing.assert_allclose(got, expected, atol=1e-12)
    np.testing.assert_allclose(got, [0.0570912208, 0.1711730289, 0.2601346786, 0.1055701504, 0.1127659229],
                               atol=5e-11)
    assert res.drivers == ("Education", "Examination", "Infant.Mortality", "Catholic", "Agriculture")
    # sequential (type I) sums of squares from R's anova(), through the subset R² table
    R = np.corrcoef(sw[SWISS_X + ["Fertility"]].to_numpy(float), rowvar=False)
    v = kda._subset_r2(R[None])[0]
    sst = 894.84 + 2210.38 + 891.81 + 667.13 + 408.75 + 2105.04
    nested = [v[(1 << k) - 1] for k in range(1, 6)]
    seq = np.diff([0.0, *nested]) * sst
    np.testing.assert_allclose(seq, [894.84, 2210.38, 891.81, 667.13, 408.75], atol=0.01)


@needs_reference
def test_relative_weights_on_mtcars_match_rwa():
    """Johnson's relative weights, mtcars, mpg on cyl, disp, hp, gear.

    Expected values: rwa package README (martinctc/rwa), ``rwa(mtcars, "mpg", c("cyl", "disp",
    "hp", "gear"))``: rsquare 0.7791896; Raw.RelWeight cyl 0.2284797, disp 0.2221469, hp 0.2321744,
    gear 0.0963886; Rescaled.RelWeight 29.32274, 28.50999, 29.79691, 12.37037; n 32.
    """
    mt = _ref("mtcars.csv")
    res = kda.key_drivers(mt, ["cyl", "disp", "hp", "gear"], "mpg", "relative_weights")
    assert res.n == 32
    assert abs(res.r2 - 0.7791896) < 5e-8
    raw = {"cyl": 0.2284797, "disp": 0.2221469, "hp": 0.2321744, "gear": 0.0963886}
    rescaled = {"cyl": 29.32274, "disp": 28.50999, "hp": 29.79691, "gear": 12.37037}
    for d in raw:
        assert abs(res.item(d).r2_contribution - raw[d]) < 5e-8
        assert abs(100 * res.item(d).importance - rescaled[d]) < 5e-6
        assert abs(res.item(d).relative_weight - raw[d]) < 5e-8
    assert res.drivers == ("hp", "cyl", "disp", "gear")


@needs_reference
def test_general_and_conditional_dominance_on_mtcars_match_domir():
    """Dominance analysis, mtcars, mpg on am, cyl, carb.

    Expected values: domir vignette "Conceptual Introduction to Dominance Analysis" (Luchman):
    Overall Value 0.8113023; General Dominance am 0.2156848, cyl 0.4173094, carb 0.1783081;
    Standardized 0.2658501, 0.5143698, 0.2197801; Conditional Dominance (include at 1, 2, 3):
    am 0.3597989 0.2164938 0.07076149, cyl 0.7261800 0.4181185 0.10762967,
    carb 0.3035184 0.1791172 0.05228872.
    """
    mt = _ref("mtcars.csv")
    xs = ["am", "cyl", "carb"]
    res = kda.key_drivers(mt, xs, "mpg")
    assert abs(res.r2 - 0.8113023) < 5e-8
    general = {"am": 0.2156848, "cyl": 0.4173094, "carb": 0.1783081}
    standardized = {"am": 0.2658501, "cyl": 0.5143698, "carb": 0.2197801}
    for d in xs:
        assert abs(res.item(d).r2_contribution - general[d]) < 5e-8
        assert abs(res.item(d).importance - standardized[d]) < 5e-8
    cd = kda.conditional_dominance_from_correlation(np.corrcoef(mt[["mpg", *xs]].to_numpy(float), rowvar=False))
    expected = [[0.3597989, 0.2164938, 0.07076149], [0.7261800, 0.4181185, 0.10762967],
                [0.3035184, 0.1791172, 0.05228872]]
    np.testing.assert_allclose(cd, expected, atol=5e-8)


@needs_reference
def test_conditional_dominance_matches_azen_budescu_2003():
    """Azen & Budescu (2003), correlation matrix of y and x1..x4.

    Expected values: the average additional R² of each predictor by model size, at the printed
    three decimals, as transcribed in dominanceanalysis's test-daAzenBudescu2003.R:
    x1 .360 .300 .263 .246; x2 .090 .074 .069 .071; x3 .160 .095 .063 .061; x4 .250 .152 .073 .010.
    """
    R = pd.read_csv(REF / "azen_budescu_2003_cor.csv", index_col=0).to_numpy(float)
    cd = kda.conditional_dominance_from_correlation(R)
    expected = np.array([[0.360, 0.300, 0.263, 0.246], [0.090, 0.074, 0.069, 0.071],
                         [0.160, 0.095, 0.063, 0.061], [0.250, 0.152, 0.073, 0.010]])
    assert np.abs(cd - expected).max() <= 0.0005 + 1e-9
    r2, phi = kda.lmg_from_correlation(R)
    np.testing.assert_allclose(phi, cd.mean(axis=1), atol=1e-12)
    assert abs(phi.sum() - r2) < 1e-12


@needs_reference
def test_weighted_relative_weights_match_displayr():
    """Relative importance with and without survey weights (Displayr's flipRegression).

    Expected values: flipRegression tests/testthat/test-relativeimportance.R on the same data
    (y on v1, v2, v3, weight w): unweighted R² 0.0409055316886271, raw weight of v1
    0.00427583141764991, importance of v3 84.254254422183%; weighted R² 0.0488985219292419, raw
    weight of v1 0.00356269285452153, importance of v3 80.657438103125%.
    """
    f = _ref("flip_ria_test.csv")
    plain = kda.key_drivers(f, ["v1", "v2", "v3"], "y", "relative_weights")
    assert plain.r2 == pytest.approx(0.0409055316886271, rel=1e-10)
    assert plain.item("v1").r2_contribution == pytest.approx(0.00427583141764991, rel=1e-9)
    assert 100 * plain.item("v3").importance == pytest.approx(84.254254422183, rel=1e-10)
    weighted = kda.key_drivers(f, ["v1", "v2", "v3"], "y", "relative_weights", weight="w")
    assert weighted.r2 == pytest.approx(0.0488985219292419, rel=1e-10)
    assert weighted.item("v1").r2_contribution == pytest.approx(0.00356269285452153, rel=1e-9)
    assert 100 * weighted.item("v3").importance == pytest.approx(80.657438103125, rel=1e-10)
    assert weighted.weight == "w" and "weighted by 'w'" in weighted.notes


@needs_reference
def test_spearman_and_unstandardised_coefficient_on_swiss():
    """Spearman matches scipy.stats.spearmanr; the what-if coefficient is R's lm() estimate.

    Expected values: summary(lm(Fertility ~ ., swiss)) Agriculture estimate -0.17211 (R output).
    """
    from scipy.stats import spearmanr

    sw = _ref("swiss.csv")
    res = kda.key_drivers(sw, SWISS_X, "Fertility")
    for d in SWISS_X:
        assert res.item(d).spearman == pytest.approx(spearmanr(sw[d], sw["Fertility"])[0], abs=1e-12)
        assert res.item(d).correlation == pytest.approx(np.corrcoef(sw[d], sw["Fertility"])[0, 1], abs=1e-12)
    pc = kda.predicted_outcome_change(sw, SWISS_X, "Fertility", "Agriculture", 1, scale_max=1e9)
    assert round(pc.coefficient, 5) == -0.17211
    assert pc.mean_shift == pytest.approx(1.0) and pc.outcome_change == pytest.approx(pc.coefficient)
    assert math.isnan(pc.nps_change)  # Fertility is not a 0–10 score


@needs_reference
def test_vif_on_swiss_matches_car():
    """Variance inflation factors for lm(Fertility ~ Agriculture + Education + Catholic +
    Infant.Mortality, swiss).

    Expected values: car::vif() as printed on RPubs (rstudio-pubs-static 1404095): Agriculture
    2.147153, Education 1.816361, Catholic 1.299916, Infant.Mortality 1.107528; "Multiple
    R-squared: 0.6993".
    """
    xs = ["Agriculture", "Education", "Catholic", "Infant.Mortality"]
    res = kda.key_drivers(_ref("swiss.csv"), xs, "Fertility")
    expected = {"Agriculture": 2.147153, "Education": 1.816361, "Catholic": 1.299916, "Infant.Mortality": 1.107528}
    for d, v in expected.items():
        assert abs(res.item(d).vif - v) < 5e-7
    assert round(res.r2, 4) == 0.6993


# ─── hand-computed cases ────────────────────────────────────────────────────────────────────────


def test_two_drivers_shapley_is_the_analytic_formula():
    """Two drivers: R² = (r1² + r2² − 2 r1 r2 r12) / (1 − r12²); φ1 = (r1² + R² − r2²) / 2.

    With r1 = .6, r2 = .5, r12 = .4: R² = .37/.84 = .440476…, φ1 = .275238…, φ2 = .165238….
    """
    R = np.array([[1.0, 0.6, 0.5], [0.6, 1.0, 0.4], [0.5, 0.4, 1.0]])  # outcome first
    r2, phi = kda.lmg_from_correlation(R)
    assert r2 == pytest.approx(0.37 / 0.84, abs=1e-15)
    assert phi[0] == pytest.approx((0.36 + 0.37 / 0.84 - 0.25) / 2, abs=1e-15)
    assert phi[1] == pytest.approx((0.25 + 0.37 / 0.84 - 0.36) / 2, abs=1e-15)
    # relative weights, from the closed-form square root of a 2×2 correlation matrix
    a = (math.sqrt(1.4) + math.sqrt(0.6)) / 2
    b = (math.sqrt(1.4) - math.sqrt(0.6)) / 2
    lam = np.array([[a, b], [b, a]])
    beta = np.linalg.solve(lam, [0.6, 0.5])
    r2w, raw = kda.relative_weights_from_correlation(R)
    np.testing.assert_allclose(raw, (lam**2) @ beta**2, atol=1e-15)
    assert r2w == pytest.approx(r2, abs=1e-15)


def _orthogonal_frame(copies: int = 3) -> pd.DataFrame:
    """y = 1.5 + x1 + 0.5 x2 exactly, with x1 ⟂ x2: r1² = .8, r2² = .2, R² = 1."""
    base = pd.DataFrame({"x1": [1.0, -1, 1, -1], "x2": [1.0, 1, -1, -1], "y": [3.0, 1, 2, 0]})
    return pd.concat([base] * copies, ignore_index=True)


@pytest.mark.parametrize("method", kda.METHODS)
def test_uncorrelated_drivers_every_method_agrees(method):
    """With orthogonal drivers every method gives r²: .8 and .2 of R² = 1 (hand-computed)."""
    res = kda.key_drivers(_orthogonal_frame(), ["x1", "x2"], "y", method)
    assert res.r2 == pytest.approx(1.0, abs=1e-12)
    assert [i.driver for i in res.items] == ["x1", "x2"]
    np.testing.assert_allclose([i.r2_contribution for i in res.items], [0.8, 0.2], atol=1e-12)
    np.testing.assert_allclose([i.importance for i in res.items], [0.8, 0.2], atol=1e-12)
    x1 = res.item("x1")
    assert x1.correlation == pytest.approx(math.sqrt(0.8)) and x1.beta == pytest.approx(math.sqrt(0.8))
    assert x1.vif == pytest.approx(1.0) and x1.mean == 0.0
    assert any("Only 12 respondents" in w for w in res.warnings)


def test_beta_method_is_pratt_and_can_be_negative():
    """Suppressor: x2 correlates with y at 0 but gets a negative beta; Pratt β·r = 0 for it.

    R: r1 = .5, r2 = 0, r12 = .5 → β = (2/3, −1/3), Pratt = (1/3, 0), R² = 1/3.
    """
    rng = np.random.default_rng(0)
    z = rng.normal(size=(400, 3))
    # impose the exact correlation matrix on the sample (whitening then colouring)
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    C = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]])  # y, x1, x2
    data = z @ np.linalg.cholesky(C).T
    df = pd.DataFrame(data, columns=["y", "x1", "x2"])
    res = kda.key_drivers(df, ["x1", "x2"], "y", "beta")
    assert res.r2 == pytest.approx(1 / 3, abs=1e-12)
    assert res.item("x1").beta == pytest.approx(2 / 3, abs=1e-12)
    assert res.item("x2").beta == pytest.approx(-1 / 3, abs=1e-12)
    assert res.item("x1").r2_contribution == pytest.approx(1 / 3, abs=1e-12)
    assert res.item("x2").r2_contribution == pytest.approx(0.0, abs=1e-12)
    assert res.item("x1").vif == pytest.approx(4 / 3, abs=1e-12)


def test_correlation_method_normalises_squared_r():
    """Importance = r² / Σ r²; r2 stays the regression R²."""
    R = np.array([[1.0, 0.6, 0.5], [0.6, 1.0, 0.4], [0.5, 0.4, 1.0]])
    rng = np.random.default_rng(1)
    z = rng.normal(size=(300, 3))
    z = (z - z.mean(0)) @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False))).T
    df = pd.DataFrame(z @ np.linalg.cholesky(R).T, columns=["y", "a", "b"])
    res = kda.key_drivers(df, ["a", "b"], "y", "correlation")
    assert res.item("a").importance == pytest.approx(0.36 / 0.61, abs=1e-12)
    assert res.item("b").r2_contribution == pytest.approx(0.25, abs=1e-12)
    assert res.r2 == pytest.approx(0.37 / 0.84, abs=1e-12)


def test_top_box_mean_and_answered_counts_by_hand():
    """1–5 ratings: top box = share rating 4–5, over the rows used; n_answered before listwise."""
    df = pd.DataFrame({"a": [5.0, 4, 3, 2, 1, 5, np.nan, 3], "b": [1.0, 2, 3, 4, 5, 3, 2, np.nan],
                       "y": [10.0, 9, 6, 4, 2, 8, 7, 5]})
    res = kda.key_drivers(df, ["a", "b"], "y")
    assert res.n == 6 and res.n_listwise == 6 and res.n_total == 8
    a = res.item("a")
    assert a.mean == pytest.approx(20 / 6) and a.top_box == pytest.approx(3 / 6)
    assert a.n_answered == 7 and res.item("b").n_answered == 7
    assert res.item("b").top_box == pytest.approx(2 / 6)  # 1, 2, 3, 4, 5, 3 once rows 7–8 drop


# ─── invariants ─────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("weighted", [False, True])
def test_blockwise_sums_equal_the_whole_matrix(weighted, monkeypatch):
    """Cross-products summed over blocks of rows (here 7 rows, so many blocks and a short last one), about a
    shifted origin, give numpy's (weighted) correlations and the all-drivers R² of weighted least squares."""
    monkeypatch.setattr(kda, "_BLOCK_ROWS", 7)
    rng = np.random.default_rng(5)
    n = 500
    X = 1000 + rng.normal(size=(n, 3)) + rng.normal(size=(n, 1))  # far from 0: the shift matters
    y = X @ [1.0, 0.5, 0.2] + rng.normal(size=n)
    X[rng.random(X.shape) < 0.05] = np.nan
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y, w=rng.uniform(0.2, 3, n))
    res = kda.key_drivers(df, ["a", "b", "c"], "y", weight="w" if weighted else None)
    used = df.dropna()
    w = used["w"].to_numpy() if weighted else np.ones(len(used))
    for d in "abc":
        cov = np.cov(used[d], used["y"], aweights=w)
        assert res.item(d).correlation == pytest.approx(cov[0, 1] / np.sqrt(cov[0, 0] * cov[1, 1]), abs=1e-12)
    full = brute_force_r2(used[["a", "b", "c"]].to_numpy(), used["y"].to_numpy(), w)[(0, 1, 2)]
    assert res.r2 == pytest.approx(full, abs=1e-10)


def test_rating_descriptives_match_their_elementwise_definitions():
    """Whole-number ratings are tallied in a joint table with the outcome: the mean, top box and Spearman from
    it equal numpy's mean, the share at the top of the scale and scipy's spearmanr over the complete rows, for
    1–5 and 0–10 ratings, a -2..2 scale (no top box) and a non-integer driver (the elementwise path)."""
    from scipy.stats import spearmanr

    rng = np.random.default_rng(11)
    n = 3_000
    halo = rng.normal(size=n)
    df = pd.DataFrame({
        "five": np.clip(np.round(3 + halo + rng.normal(size=n)), 1, 5),
        "ten": np.clip(np.round(7 + 2 * halo + rng.normal(size=n)), 0, 10),
        "signed": np.clip(np.round(halo + rng.normal(size=n)), -2, 2),
        "score": halo + rng.normal(size=n),
    })
    df["y"] = np.clip(np.round(7 + 1.5 * halo + rng.normal(size=n)), 0, 10)
    df.loc[rng.random(n) < 0.05, "five"] = np.nan
    df.loc[rng.random(n) < 0.05, "y"] = np.nan
    names = ["five", "ten", "signed", "score"]
    res = kda.key_drivers(df, names, "y")
    used = df.dropna()
    assert res.n == len(used)
    for d in names:
        item = res.item(d)
        assert item.mean == pytest.approx(used[d].mean(), abs=1e-12)
        assert item.spearman == pytest.approx(spearmanr(used[d], used["y"])[0], abs=1e-12)
    assert res.item("five").top_box == pytest.approx((used["five"] >= 4).mean(), abs=1e-12)
    assert res.item("ten").top_box == pytest.approx((used["ten"] >= 9).mean(), abs=1e-12)
    assert math.isnan(res.item("signed").top_box) and math.isnan(res.item("score").top_box)
    given = kda.key_drivers(df, names, "y", scale={"signed": (-2, 2)})
    assert given.item("signed").top_box == pytest.approx((used["signed"] >= 1).mean(), abs=1e-12)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=st.integers(1, 5), n=st.integers(12, 60), seed=st.integers(0, 10_000), halo=st.floats(0, 2))
def test_invariants_and_brute_force_agreement(p, n, seed, halo):
    """For random correlated data: Shapley = brute-force all-subset lstsq; shares sum to R²;
    importances sum to 1; relative weights and Pratt sum to R²; Shapley shares are ≥ 0."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, p)) + halo * rng.normal(size=(n, 1))
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    df = pd.DataFrame(X, columns=[f"d{k}" for k in range(p)]).assign(y=y)
    names = list(df.columns[:-1])
    sh = kda.key_drivers(df, names, "y", "shapley")
    table = brute_force_r2(X, y)
    np.testing.assert_allclose([sh.item(d).r2_contribution for d in names], brute_force_shapley(table, p),
                               atol=1e-9)
    assert sh.r2 == pytest.approx(table[tuple(range(p))], abs=1e-9)
    for method in kda.METHODS:
        res = kda.key_drivers(df, names, "y", method)
        assert sum(i.importance for i in res.items) == pytest.approx(1.0, abs=1e-9)
        imp = [i.importance for i in res.items]
        assert imp == sorted(imp, reverse=True)
        if method != "correlation":
            assert sum(i.r2_contribution for i in res.items) == pytest.approx(res.r2, abs=1e-9)
    assert min(i.r2_contribution for i in sh.items) >= -1e-12


@pytest.mark.parametrize("missing", kda.MISSING)
def test_frequency_weights_equal_duplicated_rows(missing):
    """Integer weights give the same numbers as repeating each respondent that many times
    (listwise and pairwise, with some answers missing)."""
    rng = np.random.default_rng(3)
    X = np.clip(np.round(3 + rng.normal(size=(40, 3)) + rng.normal(size=(40, 1))), 1, 5)
    y = np.clip(np.round(X @ [1.0, 0.5, 0.2] - 4 + rng.normal(size=40)), 0, 10)
    X[rng.random(X.shape) < 0.1] = np.nan
    df = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=y, w=rng.integers(1, 4, size=40).astype(float))
    weighted = kda.key_drivers(df, ["a", "b", "c"], "y", weight="w", missing=missing)
    expanded = df.loc[df.index.repeat(df["w"].astype(int))].reset_index(drop=True)
    plain = kda.key_drivers(expanded, ["a", "b", "c"], "y", missing=missing)
    for d in "abc":
        a, b = weighted.item(d), plain.item(d)
        for field in ("importance", "r2_contribution", "correlation", "spearman", "mean", "top_box", "beta", "vif",
                      "relative_weight"):
            assert getattr(a, field) == pytest.approx(getattr(b, field), abs=1e-12), field
    if missing == "listwise":
        used = df[df[["a", "b", "c"]].notna().all(axis=1)]
        assert weighted.n == len(used) and plain.n == int(used["w"].sum())
        assert weighted.effective_n == pytest.approx(used["w"].sum() ** 2 / (used["w"] ** 2).sum())


def test_sampled_shapley_above_15_drivers_is_close_to_exact():
    """17 drivers: sampled Shapley (seeded orderings) lands within 4 standard errors of the exact
    values (computed by the exact engine on all 131,072 subsets), and sums to R² exactly."""
    rng = np.random.default_rng(11)
    p = 17
    X = rng.normal(size=(3000, p)) + rng.normal(size=(3000, 1))
    y = X @ np.linspace(1, 0, p) + rng.normal(size=3000) * 2
    names = [f"d{k:02d}" for k in range(p)]
    df = pd.DataFrame(X, columns=names).assign(y=y)
    auto = kda.key_drivers(df, names, "y")
    assert auto.method == "relative_weights"
    res = kda.key_drivers(df, names, "y", "shapley", seed=4)
    R = np.corrcoef(np.column_stack([X, y]), rowvar=False)
    exact, r2 = kda._stat_shapley(R[None])
    got = np.array([res.item(d).r2_contribution for d in names])
    se = np.array([res.item(d).sampling_error for d in names])
    assert np.all(np.abs(got - exact[0]) <= 4 * se + 1e-12)
    assert got.sum() == pytest.approx(r2[0], abs=1e-12)
    assert res.sampling_error == pytest.approx(se.max()) and "random orderings" in res.notes
    assert_same(kda.key_drivers(df, names, "y", "shapley", seed=4), res)


# ─── edge cases ─────────────────────────────────────────────────────────────────────────────────


def _survey(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    halo = rng.normal(size=n)
    X = np.clip(np.round(3 + 0.8 * halo[:, None] + rng.normal(size=(n, 4))), 1, 5)
    y = np.clip(np.round(2 + X @ [0.9, 0.5, 0.3, 0.1] * 0.6 + rng.normal(size=n)), 0, 10)
    return pd.DataFrame(X, columns=["Billing", "Delivery", "Support", "Price"]).assign(LTR=y)


def test_constant_driver_is_dropped_and_named():
    df = _survey().assign(Flat=4.0)
    res = kda.key_drivers(df, ["Billing", "Delivery", "Flat", "Support", "Price"], "LTR")
    assert res.dropped == ("Flat",)
    assert "Flat" not in res.drivers and len(res.items) == 4
    assert any("'Flat' was answered the same way by everyone" in w for w in res.warnings)
    assert sum(i.importance for i in res.items) == pytest.approx(1.0)


def test_too_few_respondents_raise_and_few_warn():
    df = _survey(5)
    with pytest.raises(CxInputError, match="needs at least 6"):
        kda.key_drivers(df.head(5), ["Billing", "Delivery", "Support", "Price"], "LTR")
    res = kda.key_drivers(_survey(60), ["Billing", "Delivery", "Support", "Price"], "LTR")
    assert any(w.startswith("Only 60 respondents") for w in res.warnings)


def test_perfectly_collinear_drivers():
    """Total = Billing + Delivery exactly: Shapley still equals brute-force lstsq (rank-deficient
    fits), shares sum to R², VIF is infinite and a warning names the drivers."""
    df = _survey().assign(Total=lambda d: d["Billing"] + d["Delivery"])
    names = ["Billing", "Delivery", "Total", "Support"]
    res = kda.key_drivers(df, names, "LTR")
    table = brute_force_r2(df[names].to_numpy(float), df["LTR"].to_numpy(float))
    np.testing.assert_allclose([res.item(d).r2_contribution for d in names], brute_force_shapley(table, 4),
                               atol=1e-9)
    assert sum(i.r2_contribution for i in res.items) == pytest.approx(res.r2, abs=1e-12)
    assert all(math.isinf(res.item(d).vif) for d in ["Billing", "Delivery", "Total"])
    assert math.isfinite(res.item("Support").vif)
    assert any("perfectly collinear" in w for w in res.warnings)
    for method in ("relative_weights", "beta"):
        other = kda.key_drivers(df, names, "LTR", method)
        assert sum(i.r2_contribution for i in other.items) == pytest.approx(res.r2, abs=1e-9)


def test_near_collinear_drivers_warn_about_vif():
    df = _survey(500)
    df["Billing2"] = df["Billing"] + np.random.default_rng(9).normal(scale=0.05, size=len(df))
    res = kda.key_drivers(df, ["Billing", "Billing2", "Delivery"], "LTR")
    assert any("VIF above 10" in w and "'Billing'" in w and "'Billing2'" in w for w in res.warnings)


def test_all_missing_inputs_raise_clear_errors():
    df = _survey()
    with pytest.raises(CxInputError, match="No respondent answered the outcome and every selected driver"):
        kda.key_drivers(df.assign(Billing=np.where(np.arange(len(df)) % 2, np.nan, df["Billing"]),
                                  Delivery=np.where(np.arange(len(df)) % 2, df["Delivery"], np.nan)),
                        ["Billing", "Delivery"], "LTR")
    with pytest.raises(CxInputError, match="No respondent with an outcome score answered 'Price'"):
        kda.key_drivers(df.assign(Price=np.nan), ["Billing", "Price"], "LTR")
    with pytest.raises(CxInputError, match="No respondent has a valid 'LTR'"):
        kda.key_drivers(df.assign(LTR=np.nan), ["Billing"], "LTR")
    with pytest.raises(CxInputError, match="same 'LTR' answer"):
        kda.key_drivers(df.assign(LTR=7.0), ["Billing"], "LTR")
    with pytest.raises(CxInputError, match="Every selected driver has the same answer"):
        kda.key_drivers(df.assign(Billing=3.0), ["Billing"], "LTR")


def test_bad_usage_raises():
    df = _survey().assign(Region="EMEA")
    with pytest.raises(CxInputError, match="not in the data: Nope"):
        kda.key_drivers(df, ["Billing", "Nope"], "LTR")
    with pytest.raises(CxInputError, match="'Region' is not numeric"):
        kda.key_drivers(df, ["Billing", "Region"], "LTR")
    with pytest.raises(CxInputError, match="Unknown key driver method 'lasso'"):
        kda.key_drivers(df, ["Billing"], "LTR", "lasso")
    with pytest.raises(CxInputError, match="cannot also be a driver"):
        kda.key_drivers(df, ["Billing", "LTR"], "LTR")
    with pytest.raises(CxInputError, match="at least one driver"):
        kda.key_drivers(df, [], "LTR")
    with pytest.raises(CxInputError, match="negative"):
        kda.key_drivers(df.assign(w=-1.0), ["Billing"], "LTR", weight="w")


def test_mostly_missing_driver_warns_and_pairwise_uses_all_answers():
    """Pairwise correlations equal pandas' pairwise-complete DataFrame.corr(); n is the smallest
    pair base, and n_listwise is reported too."""
    df = _survey(400, seed=2)
    rng = np.random.default_rng(5)
    df.loc[rng.random(len(df)) < 0.6, "Price"] = np.nan
    df.loc[rng.random(len(df)) < 0.1, "Support"] = np.nan
    names = ["Billing", "Delivery", "Support", "Price"]
    lw = kda.key_drivers(df, names, "LTR")
    assert any("'Price' was answered by only" in w and "pairwise" in w for w in lw.warnings)
    pw = kda.key_drivers(df, names, "LTR", missing="pairwise")
    C = df[names + ["LTR"]].corr()
    for d in names:
        assert pw.item(d).correlation == pytest.approx(C.loc[d, "LTR"], abs=1e-12)
    counts = df[names + ["LTR"]].notna().astype(int)
    assert pw.n == int((counts.T @ counts).to_numpy().min())
    assert pw.n_listwise == lw.n == int(df[names + ["LTR"]].notna().all(axis=1).sum())
    assert pw.missing == "pairwise" and "Pairwise deletion" in pw.notes
    R = C.loc[names, names].to_numpy()
    r = C.loc[names, "LTR"].to_numpy()
    r2, phi = kda.lmg_from_correlation(np.block([[np.ones((1, 1)), r[None]], [r[:, None], R]]))
    np.testing.assert_allclose([pw.item(d).r2_contribution for d in names], phi, atol=1e-12)


# ─── bootstrap ──────────────────────────────────────────────────────────────────────────────────


def test_bootstrap_resample_equals_explicit_resampling():
    """Resample 0's correlation matrix equals np.corrcoef of the rows drawn with the same seed."""
    Z = _survey(200).to_numpy(float)
    corrs = kda._bootstrap_corrs(Z, None, False, 3, np.random.default_rng(42), lambda f: None)
    rows = np.random.default_rng(42).integers(0, len(Z), len(Z))
    np.testing.assert_allclose(corrs[0], np.corrcoef(Z[rows], rowvar=False), atol=1e-12)
    # pairwise: the same rows through pandas' pairwise-complete correlation
    Zm = Z.copy()
    Zm[np.random.default_rng(1).random(Zm.shape) < 0.15] = np.nan
    pc = kda._bootstrap_corrs(Zm, None, True, 2, np.random.default_rng(7), lambda f: None)
    rows = np.random.default_rng(7).integers(0, len(Zm), len(Zm))
    np.testing.assert_allclose(pc[0], pd.DataFrame(Zm[rows]).corr().to_numpy(), atol=1e-12)


def test_bootstrap_intervals_are_seeded_and_report_progress():
    df = _survey(500)
    names = ["Billing", "Delivery", "Support", "Price"]
    seen = []
    res = kda.bootstrap_drivers(df, names, "LTR", n_boot=60, seed=3, progress=seen.append)
    assert seen and seen[-1] == 1.0 and seen == sorted(seen)
    assert res.n_boot == 60 and res.seed == 3 and res.boot_importance.shape == (60, 4)
    for it in res.items:
        assert it.ci_low <= it.importance <= it.ci_high
    again = kda.bootstrap_drivers(df, names, "LTR", n_boot=60, seed=3)
    assert_same(again, res)
    other = kda.bootstrap_drivers(df, names, "LTR", n_boot=60, seed=4)
    assert other.items[0].ci_low != res.items[0].ci_low
    table = res.distinguishable()
    assert len(table) == 6 and list(table.columns) == ["driver", "other", "difference", "ci_low", "ci_high",
                                                       "distinguishable"]
    first = table[(table["driver"] == "Billing") & (table["other"] == "Price")].iloc[0]
    assert bool(first["distinguishable"]) and first["ci_low"] > 0
    assert "percentile bootstrap over 60 resamples" in res.notes
    with pytest.raises(CxInputError, match="bootstrap"):
        kda.key_drivers(df, names, "LTR").distinguishable()


def test_identical_drivers_are_not_distinguishable():
    """Two exchangeable drivers (same loading on y): their difference's interval covers 0."""
    rng = np.random.default_rng(8)
    n = 600
    a, b = rng.normal(size=n), rng.normal(size=n)
    df = pd.DataFrame({"a": a, "b": b, "y": a + b + rng.normal(size=n)})
    res = kda.bootstrap_drivers(df, ["a", "b"], "y", n_boot=100, seed=1)
    assert not bool(res.distinguishable()["distinguishable"].iloc[0])


@pytest.mark.parametrize("method", kda.METHODS)
def test_bootstrap_every_method_and_the_poisson_path(method, monkeypatch):
    """Every method bootstraps; the Poisson(1) path (used above 100,000 rows) gives intervals
    around the estimate too."""
    df = _survey(400)
    names = ["Billing", "Delivery", "Support", "Price"]
    res = kda.key_drivers(df, names, "LTR", method, n_boot=40, seed=2, weight=None)
    assert all(i.ci_low <= i.ci_high for i in res.items)
    monkeypatch.setattr(kda, "_MULTINOMIAL_MAX_N", 10)
    pois = kda.key_drivers(df.assign(w=1.5), names, "LTR", method, n_boot=40, seed=2, weight="w")
    assert all(i.ci_low <= i.importance <= i.ci_high for i in pois.items[:2])
    assert "Poisson(1)" in pois.notes


# ─── detractor (binary) outcome ─────────────────────────────────────────────────────────────────


def _logit_mcfadden_brute_force(X: np.ndarray, y: np.ndarray) -> dict[tuple[int, ...], float]:
    """McFadden R² of every subset, maximising the log-likelihood with scipy (BFGS): independent code."""
    from scipy.optimize import minimize

    ybar = y.mean()
    ll0 = len(y) * (ybar * math.log(ybar) + (1 - ybar) * math.log(1 - ybar))
    out = {(): 0.0}
    for k in range(1, X.shape[1] + 1):
        for S in itertools.combinations(range(X.shape[1]), k):
            A = np.column_stack([np.ones(len(y)), X[:, S]])

            def nll(b, A=A):
                eta = A @ b
                return -(y * eta - np.logaddexp(0, eta)).sum()

            fit = minimize(nll, np.zeros(A.shape[1]), method="BFGS", options={"gtol": 1e-10})
            out[S] = 1 - (-fit.fun) / ll0
    return out


def test_detractor_outcome_is_shapley_of_mcfadden():
    """Detractor (0–6) vs not: Shapley of McFadden's pseudo-R² equals a brute-force fit of every
    logistic subset model with scipy's optimiser."""
    df = _survey(300, seed=4)
    names = ["Billing", "Delivery", "Support"]
    res = kda.key_drivers(df, names, "LTR", outcome_type="detractor")
    assert res.model == "logistic regression" and res.outcome_type == "detractor"
    y = (df["LTR"].to_numpy() <= 6).astype(float)
    table = _logit_mcfadden_brute_force(df[names].to_numpy(float), y)
    np.testing.assert_allclose([res.item(d).r2_contribution for d in names], brute_force_shapley(table, 3),
                               atol=1e-6)
    assert res.r2 == pytest.approx(table[(0, 1, 2)], abs=1e-7)
    assert sum(i.importance for i in res.items) == pytest.approx(1.0)
    assert "McFadden" in res.notes and "detractor (score 0–6)" in res.notes
    boot = kda.key_drivers(df, names, "LTR", outcome_type="detractor", n_boot=20, seed=1)
    assert all(i.ci_low <= i.ci_high for i in boot.items)


def test_detractor_outcome_with_many_drivers_uses_linear_probability_weights():
    rng = np.random.default_rng(2)
    X = np.clip(np.round(3 + rng.normal(size=(400, 11)) + rng.normal(size=(400, 1))), 1, 5)
    y = np.clip(np.round(X.mean(axis=1) * 2 + rng.normal(size=400)), 0, 10)
    names = [f"d{k}" for k in range(11)]
    df = pd.DataFrame(X, columns=names).assign(LTR=y)
    res = kda.key_drivers(df, names, "LTR", "shapley", outcome_type="detractor")
    assert res.method == "relative_weights" and res.model == "linear probability model"
    assert "linear probability model" in res.notes
    assert any("linear probability model" in w for w in res.warnings)
    ind = df.assign(det=(df["LTR"] <= 6).astype(float))
    lpm = kda.key_drivers(ind, names, "det", "relative_weights")
    np.testing.assert_allclose([res.item(d).r2_contribution for d in names],
                               [lpm.item(d).r2_contribution for d in names], atol=1e-12)
    with pytest.raises(CxInputError, match="outside 0–10"):
        kda.key_drivers(df.assign(LTR=df["LTR"] * 10), names, "LTR", outcome_type="detractor")


# ─── importance–performance, bottom box, segments, what-if ─────────────────────────────────────


def _analysis(importances: dict[str, float]) -> kda.DriverAnalysis:
    items = tuple(kda.DriverImportance(driver=d, importance=v, r2_contribution=v / 2, correlation=0.5,
                                       spearman=0.5, mean=3.0, top_box=0.4, beta=0.2, vif=1.0, relative_weight=v / 2,
                                       n_answered=4)
                  for d, v in importances.items())
    return kda.DriverAnalysis(method="shapley", outcome="LTR", n=4, r2=0.5, items=items)


def test_importance_performance_quadrants_by_hand():
    """Importance .4/.3/.2/.1 (mean .25) against mean ratings 2/4/4/2 (mean 3)."""
    analysis = _analysis({"A": 0.4, "B": 0.3, "C": 0.2, "D": 0.1})
    frame = pd.DataFrame({"A": [1.0, 3, 2, 2], "B": [5.0, 3, 4, 4], "C": [4.0, 4, 4, np.nan], "D": [2.0, 2, 2, 2]})
    t = kda.importance_performance(analysis, frame)
    assert list(t["quadrant"]) == ["Fix first", "Keep", "Maintain", "Secondary"]
    assert list(t["performance"]) == [2.0, 4.0, 4.0, 2.0]
    assert t["importance_cut"].iloc[0] == pytest.approx(0.25) and t["performance_cut"].iloc[0] == 3.0
    assert list(t["n_answered"]) == [4, 4, 3, 4]
    top = kda.importance_performance(analysis, frame, performance="top_box", scale=(1, 5))
    assert list(top["performance"]) == [0.0, 0.75, 1.0, 0.0]


def test_bottom_box_mask():
    """Bottom box: 1–2 of a 1–5 scale, 0–6 of a 0–10 scale; missing answers are not bottom box."""
    f = pd.DataFrame({"r5": [1.0, 2, 3, 4, 5, np.nan], "r10": [0.0, 6, 7, 9, 10, 3]}, index=list("abcdef"))
    m5 = kda.bottom_box_mask(f, "r5")
    assert list(m5) == [True, True, False, False, False, False] and list(m5.index) == list("abcdef")
    assert list(kda.bottom_box_mask(f, "r10")) == [True, True, False, False, False, True]
    assert list(kda.bottom_box_mask(f, "r5", 1, 7)) == [True, True, False, False, False, False]
    with pytest.raises(CxInputError, match="rating scale"):
        kda.bottom_box_mask(pd.DataFrame({"x": [0.5, 1.7]}), "x")


def test_drivers_by_segment_own_models_and_pooled_fallback():
    df = pd.concat([_survey(300, 1).assign(Unit="Big"), _survey(30, 2).assign(Unit="Small")], ignore_index=True)
    names = ["Billing", "Delivery", "Support", "Price"]
    res = kda.drivers_by_segment(df, names, "LTR", "Unit")
    assert res.min_n == 40
    big, small = res.results
    assert (big.value, big.pooled, small.value, small.pooled) == ("Big", False, "Small", True)
    assert_same(big.analysis, kda.key_drivers(df[df["Unit"] == "Big"], names, "LTR"))
    assert small.analysis is res.pooled and small.n == 30 and "fewer than 40" in small.reason
    t = res.to_frame()
    assert len(t) == 8 and t.loc[t["segment"] == "Small", "pooled"].all()
    json.dumps(res.to_dict())
    chart = charts.segment_importance_chart(res).to_dict()
    assert any(v == "Small (pooled)\nn = 30" for v in (r["column"] for r in _chart_rows(chart)))


def test_predicted_change_in_nps_from_linear_probability_models():
    """ΔNPS = 100 × (b_P − b_D) × mean(Δx), with b from lstsq of the promoter and detractor
    indicators; ratings capped at the scale top (5)."""
    df = _survey(400, seed=6)
    names = ["Billing", "Delivery", "Support", "Price"]
    pc = kda.predicted_outcome_change(df, names, "LTR", "Billing", 1)
    X = np.column_stack([np.ones(len(df)), df[names].to_numpy(float)])
    y = df["LTR"].to_numpy(float)

    def b(t):
        return np.linalg.lstsq(X, t, rcond=None)[0][1]

    shift = np.minimum(df["Billing"] + 1, 5) - df["Billing"]
    assert pc.mean_shift == pytest.approx(shift.mean())
    assert pc.outcome_change == pytest.approx(b(y) * shift.mean())
    assert pc.promoter_change == pytest.approx(b((y >= 9).astype(float)) * shift.mean())
    assert pc.detractor_change == pytest.approx(b((y <= 6).astype(float)) * shift.mean())
    assert pc.nps_change == pytest.approx(100 * (pc.promoter_change - pc.detractor_change))
    assert pc.baseline_nps == pytest.approx(100 * ((y >= 9).mean() - (y <= 6).mean()))
    json.dumps(pc.to_dict())


# ─── contract and charts ────────────────────────────────────────────────────────────────────────


def test_to_dict_matches_the_contract():
    res = kda.key_drivers(_survey(), ["Billing", "Delivery", "Support", "Price"], "LTR")
    d = json.loads(json.dumps(res.to_dict()))
    assert {"method", "n", "r2", "items"} <= set(d)
    assert d["method"] == "shapley" and d["n"] == 300
    for item in d["items"]:
        assert list(item)[:5] == ["driver", "importance", "r2_contribution", "correlation", "mean"]
        assert item["ci_low"] is None  # NaN becomes null
    imp = [i["importance"] for i in d["items"]]
    assert abs(sum(imp) - 1) < 1e-6 and imp == sorted(imp, reverse=True)
    assert abs(sum(i["r2_contribution"] for i in d["items"]) - d["r2"]) < 1e-6
    frame = res.to_frame()
    assert list(frame["driver"]) == list(res.drivers) and "vif" in frame


def _chart_rows(spec: dict) -> list[dict]:
    rows = []
    for ds in spec.get("datasets", {}).values():
        rows.extend(ds)
    return rows


def _params(spec: dict) -> list[dict]:
    return spec.get("params", []) + [p for layer in spec.get("layer", []) for p in layer.get("params", [])]


def test_importance_bars_chart():
    df = _survey()
    names = ["Billing", "Delivery", "Support", "Price"]
    plain = charts.importance_bars(kda.key_drivers(df, names, "LTR")).to_dict()
    assert [p["name"] for p in _params(plain)] == [charts.PICK]
    assert _params(plain)[0]["select"]["fields"] == ["driver"]
    assert len(plain["layer"]) == 1 and plain["title"]["subtitle"] == "n = 300"
    boot = charts.importance_bars(kda.key_drivers(df, names, "LTR", n_boot=20, seed=1)).to_dict()
    assert [layer["mark"]["type"] for layer in boot["layer"]] == ["bar", "rule", "tick", "tick"]
    assert boot["layer"][0]["encoding"]["y"]["sort"] == list(kda.key_drivers(df, names, "LTR").drivers)
    assert any(t.get("title") == "95% interval from" for t in boot["layer"][0]["encoding"]["tooltip"])


def test_importance_performance_chart():
    analysis = _analysis({"A": 0.4, "B": 0.3, "C": 0.2, "D": 0.1})
    frame = pd.DataFrame({"A": [1.0, 3, 2, 2], "B": [5.0, 3, 4, 4], "C": [4.0, 4, 4, 4], "D": [2.0, 2, 2, 2]})
    spec = charts.importance_performance_chart(kda.importance_performance(analysis, frame), n=4).to_dict()
    assert [p["name"] for p in _params(spec)] == ["driver_pick"]
    rules = [layer for layer in spec["layer"] if layer["mark"]["type"] == "rule"]
    assert len(rules) == 2
    texts = [layer for layer in spec["layer"] if layer["mark"]["type"] == "text"]
    assert {r["quadrant"] for r in _chart_rows(spec) if "align" not in r and "quadrant" in r} >= set(kda.QUADRANTS)
    points = next(layer for layer in spec["layer"] if layer["mark"]["type"] == "point")
    assert points["encoding"]["color"]["scale"]["domain"] == list(kda.QUADRANTS)
    assert points["encoding"]["color"]["scale"]["range"][0] == charts.QUADRANT_COLORS["Fix first"]
    assert any(t["field"] == "driver" for t in points["encoding"]["tooltip"])
    assert len(texts) == 5  # four quadrant names and the driver labels
    assert "mean importance (25.0%)" in spec["title"]["subtitle"][1]


# ─── the Key drivers page: groups in words, tables, outcomes, low raters, chart picks ──────────


def _tiered_analysis() -> kda.DriverAnalysis:
    """Five drivers whose bootstrap importances are straight lines in one resample index u.

    With u = linspace(-1, 1, 40): A − B = 0.05 + 0.10u and C − D = D − E = ±(0.05 + 0.10u) cross
    zero inside their 2.5–97.5 percentiles (u ≈ ±0.95), so those pairs cannot be told apart; every
    pair across {A, B} | {C, D, E} and the pair C − E = 0.10 stay away from zero.
    """
    u = np.linspace(-1, 1, 40)
    boot = np.column_stack([0.40 + 0.05 * u, 0.35 - 0.05 * u, 0.15 + 0.05 * u, 0.10 - 0.05 * u, 0.05 + 0.05 * u])
    imp = [0.40, 0.33, 0.15, 0.07, 0.05]
    items = tuple(kda.DriverImportance(driver=d, importance=v, r2_contribution=v / 2, correlation=0.5, spearman=0.4,
                                       mean=3.0, top_box=0.4, beta=0.2, vif=1.5, relative_weight=v / 2,
                                       n_answered=100 - 10 * k, ci_low=v - 0.05, ci_high=v + 0.05)
                  for k, (d, v) in enumerate(zip("ABCDE", imp)))
    return kda.DriverAnalysis(method="shapley", outcome="LTR", n=80, r2=0.5, items=items, n_total=100, n_listwise=80,
                              n_boot=40, seed=0, boot_importance=boot)


def test_driver_tiers_cut_only_where_every_pair_across_differs():
    a = _tiered_analysis()
    pairs = kda.distinguishable(a).set_index(["driver", "other"])["distinguishable"]
    assert not pairs[("A", "B")] and not pairs[("C", "D")] and not pairs[("D", "E")]
    assert pairs[("C", "E")] and pairs[("B", "C")] and pairs[("A", "E")]
    assert kda.driver_tiers(a) == (("A", "B"), ("C", "D", "E"))
    assert kda.describe_tiers(a) == ("A and B are clearly ahead of the rest, but cannot be told apart from each other; "
                                     "the remaining three (C, D and E) overlap, so their order is uncertain.")


def test_describe_tiers_single_groups_and_edge_cases():
    """Four drivers 0.4/0.3/0.2/0.1 with bootstrap noise ±0.01: every neighbour differs."""
    u = np.linspace(-1, 1, 40)
    clear = dataclasses.replace(_analysis({"A": 0.4, "B": 0.3, "C": 0.2, "D": 0.1}),
                                boot_importance=np.column_stack([m + 0.01 * u for m in (0.4, 0.3, 0.2, 0.1)]))
    assert kda.driver_tiers(clear) == (("A",), ("B",), ("C",), ("D",))
    assert kda.describe_tiers(clear) == "Every driver is clearly ahead of the next one: the ranking is reliable."
    # A clear of the rest, then B, then C and D together
    mixed = dataclasses.replace(clear, boot_importance=np.column_stack(
        [0.4 + 0.01 * u, 0.3 + 0.01 * u, 0.15 + 0.05 * u, 0.15 - 0.05 * u]))
    assert kda.describe_tiers(mixed) == ("A is clearly ahead of the rest; B is next, clearly ahead of the drivers after "
                                         "it; the remaining two (C and D) cannot be told apart.")
    same = dataclasses.replace(clear, boot_importance=np.column_stack([0.25 + s * 0.05 * u for s in (1, -1, 1, -1)]))
    assert kda.driver_tiers(same) == (("A", "B", "C", "D"),)
    assert kda.describe_tiers(same).startswith("None of the four drivers can be told apart")
    last = dataclasses.replace(clear, boot_importance=np.column_stack(
        [0.3 + 0.05 * u, 0.3 - 0.05 * u, 0.3 + 0.05 * u, 0.1 + 0.01 * u]))
    assert kda.describe_tiers(last) == ("A, B and C are clearly ahead of the rest, but cannot be told apart from each "
                                        "other; D is clearly last.")
    with pytest.raises(CxInputError, match="bootstrap"):
        kda.driver_tiers(_analysis({"A": 0.6, "B": 0.4}))
    assert kda.describe_tiers(dataclasses.replace(_analysis({"A": 1.0}), boot_importance=np.ones((5, 1)))) == (
        "There is only one driver, A.")


def test_headline_names_the_top_drivers():
    a = _tiered_analysis()
    assert kda.headline(a, tiers=False) == "A matters most (40% of the importance), followed by B (33%) and C (15%)."
    assert kda.headline(a).endswith("overlap, so their order is uncertain.")
    plain = _analysis({"A": 0.6, "B": 0.4})
    assert kda.headline(plain) == "A matters most (60% of the importance), followed by B (40%)."


def test_importance_table_and_csv():
    a = _tiered_analysis()
    t = kda.importance_table(a)
    assert list(t.columns[:6]) == ["Rank", "Driver", "Group", "Importance", "95% interval from", "95% interval to"]
    assert list(t["Rank"]) == [1, 2, 3, 4, 5] and list(t["Group"]) == [1, 1, 2, 2, 2]
    assert list(t["Importance"]) == [0.40, 0.33, 0.15, 0.07, 0.05]
    assert "Sampling error" not in t.columns
    plain = kda.importance_table(_analysis({"A": 0.6, "B": 0.4}))
    assert "Group" not in plain.columns and "95% interval from" not in plain.columns
    evil = dataclasses.replace(a, items=(dataclasses.replace(a.items[0], driver="=HYPERLINK(1)"), *a.items[1:]),
                               boot_importance=None)
    text = kda.importance_csv(evil).decode("utf-8")
    lines = text.splitlines()
    assert lines[0].startswith("Rank,Driver,Importance,Share of R²,") and lines[0].endswith(",Outcome,Method,n,R²")
    assert lines[1].startswith("1,'=HYPERLINK(1),0.4,0.2,")
    assert lines[1].endswith(",LTR,Shapley value (share of R²),80,0.5")
    assert len(lines) == 6


def test_base_sentence_and_listwise_warning():
    """100 respondents, 80 used: 20% left out (no warning at the 30% default, one at 10%)."""
    a = _tiered_analysis()
    assert kda.base_sentence(a) == ("Based on 80 of 100 respondents: the other 20 have no valid 'LTR' or skipped at "
                                    "least one driver (listwise deletion).")
    assert kda.analysis_warnings(a) == ()
    (w,) = kda.analysis_warnings(a, max_dropped_share=0.1)
    assert w.startswith("Listwise deletion left out 20 of 100 respondents (20%)")
    assert "'E' (60), 'D' (70), 'C' (80)" in w
    pw = dataclasses.replace(a, missing="pairwise", n=90, n_listwise=80)
    assert kda.base_sentence(pw).startswith("Pairwise deletion: each correlation uses everyone who answered both")
    assert "90 of 100 respondents (80 answered" in kda.base_sentence(pw)
    assert kda.analysis_warnings(pw, max_dropped_share=0.0) == ()
    everyone = dataclasses.replace(a, n=100)
    assert kda.base_sentence(everyone) == ("Based on all 100 respondents: everyone answered the outcome and every "
                                           "driver.")
    beta = dataclasses.replace(a, method="beta", items=(dataclasses.replace(a.items[0], vif=7.0), *a.items[1:]))
    assert any("VIF above 5 for 'A'" in w for w in kda.analysis_warnings(beta))


def test_outcome_choices_and_definitions():
    f = pd.DataFrame({"LTR": [9.0, 3], "Overall": [4.0, 2], "Billing": [1.0, 5], "Region": ["a", "b"],
                      "Revenue": [10.0, 20], "Empty": [np.nan, np.nan], "W": [1.0, 2]})
    opts = kda.outcome_options(f, "LTR", "Overall", exclude=["Billing", "W"])
    assert opts == ["Overall", "LTR", kda.DETRACTOR_OUTCOME, "Revenue"]
    assert kda.outcome_options(f, None, "Overall", exclude=["Billing"]) == ["Overall", "LTR", "Revenue", "W"]
    assert kda.resolve_outcome(kda.DETRACTOR_OUTCOME, "LTR") == ("LTR", "detractor")
    assert kda.resolve_outcome("Overall", "LTR") == ("Overall", "numeric")
    with pytest.raises(CxInputError, match="loyalty column"):
        kda.resolve_outcome(kda.DETRACTOR_OUTCOME, None)
    assert kda.outcome_label(kda.DETRACTOR_OUTCOME, "LTR") == "Detractor vs not (0–6 on LTR)"
    assert kda.outcome_label("LTR", "LTR") == "LTR (loyalty score)"
    assert kda.outcome_label("Overall", "LTR") == "Overall"
    assert kda.default_method(15) == "shapley" and kda.default_method(16) == "relative_weights"
    df = _survey()
    names = ["Billing", "Delivery", "Support", "Price"]
    logit = kda.key_drivers(df, names, "LTR", "shapley", outcome_type="detractor")
    assert "McFadden's pseudo-R²" in kda.outcome_definition(logit)
    assert kda.outcome_definition(logit).startswith("The outcome is whether a respondent is a detractor (0–6 on 'LTR')")
    lpm = kda.key_drivers(df, names, "LTR", "relative_weights", outcome_type="detractor")
    assert "linear probability model" in kda.outcome_definition(lpm)
    assert kda.method_in_words(logit).startswith("Shapley value of a logistic model")
    assert kda.method_in_words(kda.key_drivers(df, names, "LTR", "beta")).startswith("Standardised betas, with VIF:")


def test_low_raters_counts_by_hand():
    """Ratings 1,2,3,5,–,2 on 1–5: bottom box (1–2) rows 0, 1, 5; detractors there: scores 3 and 6;
    comments there: only 'bad' (blank and whitespace do not count)."""
    f = pd.DataFrame({"Billing": [1.0, 2, 3, 5, np.nan, 2], "LTR": [3.0, 8, 2, 10, 5, 6],
                      "Comment": pd.array(["bad", "", "x", None, "y", "  "], dtype="string")})
    low = kda.low_raters(f, "Billing", "LTR", "Comment")
    assert (low.answered, low.bottom_box, low.detractors, low.with_comment) == (5, 3, 2, 1)
    assert (low.box_low, low.box_high) == (1.0, 2.0)
    assert low.sentence() == ("3 of 5 respondents who rated Billing gave it 1–2 (the bottom box); 2 of them are "
                              "detractors and 1 left a comment.")
    bare = kda.low_raters(f, "Billing")
    assert bare.sentence() == "3 of 5 respondents who rated Billing gave it 1–2 (the bottom box)."
    assert kda.low_raters(f.assign(LTR=[0.0, 10, 2, 10, 5, 6]), "LTR").bottom_box == 4


def test_performance_matrix_is_importance_performance_frame_first():
    analysis = _analysis({"A": 0.4, "B": 0.3, "C": 0.2, "D": 0.1})
    frame = pd.DataFrame({"A": [1.0, 3, 2, 2], "B": [5.0, 3, 4, 4], "C": [4.0, 4, 4, np.nan], "D": [2.0, 2, 2, 2]})
    pd.testing.assert_frame_equal(kda.performance_matrix(frame, analysis, "top_box"),
                                  kda.importance_performance(analysis, frame, performance="top_box"))


def test_picked_driver_reads_the_chart_selection():
    drivers = ("Billing", "Delivery")
    assert charts.picked_driver({"driver_pick": [{"driver": "Delivery"}]}, drivers) == "Delivery"
    assert charts.picked_driver({"driver_pick": []}, drivers) is None
    assert charts.picked_driver({}, drivers) is None
    assert charts.picked_driver(None, drivers) is None
    assert charts.picked_driver({"driver_pick": [{"driver": "Elsewhere"}, {"driver": "Billing"}]}, drivers) == "Billing"
    assert charts.picked_driver({"driver_pick": [{"quadrant": "Keep"}]}, drivers) is None


def test_stretched_driver_charts_keep_their_row_height():
    """Streamlit fits a stretched chart's whole height (title, axes, legend) unless the spec sets autosize."""
    df = _survey()
    names = ["Billing", "Delivery", "Support", "Price"]
    bars = charts.importance_bars(kda.key_drivers(df, names, "LTR")).to_dict()
    assert bars["autosize"] == {"type": "fit-x", "contains": "padding"} and bars["height"] == 120
    seg = charts.segment_importance_chart(kda.drivers_by_segment(df.assign(Unit="All"), names, "LTR", "Unit")).to_dict()
    assert seg["autosize"] == {"type": "fit-x", "contains": "padding"} and seg["height"] == 120


def weak_survey() -> pd.DataFrame:
    """Two uncorrelated drivers (x1, x2 in {1, 3}); the outcome is (x1-2)(x2-2) + 0.2(x1-2) + 5.

    By hand: corr(y, x2) = 0 and corr(y, x1) = 0.2 / sqrt(1.04), so R² = 0.04 / 1.04 = 0.03846.
    """
    x1 = np.tile([1.0, 3.0, 1.0, 3.0], 25)
    x2 = np.tile([1.0, 1.0, 3.0, 3.0], 25)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": (x1 - 2) * (x2 - 2) + 0.2 * (x1 - 2) + 5})


def test_drivers_that_explain_almost_nothing_name_no_winner():
    from cx.plan import build_action_plan
    from cx.roles import Roles
    from cx.story import drivers_takeaway

    a = kda.key_drivers(weak_survey(), ["x1", "x2"], "y", "shapley")
    assert a.r2 == pytest.approx(0.04 / 1.04) and a.explains_little
    assert any("explain only 3.8% of the variation in y" in w for w in a.warnings)
    assert kda.headline(a) == "No driver stands out: together they explain 4% of the variation in y (R² = 0.038)."
    matrix = kda.importance_performance(a, weak_survey())
    assert drivers_takeaway(a, matrix).startswith("No driver stands out: together they explain 4% of what drives")
    plan = build_action_plan(weak_survey(), Roles(outcome="y", drivers=("x1", "x2")), as_of="2026-07-01")
    assert plan.drivers == () and plan.fix_first == () and plan.driver_r2 == pytest.approx(0.04 / 1.04)
    assert "no driver is named as the one to fix" in plan.statement("drivers")
    strong = kda.key_drivers(weak_survey().assign(y=lambda f: f["x1"] + 0.5 * f["x2"]), ["x1", "x2"], "y", "shapley")
    assert not strong.explains_little and kda.headline(strong).startswith("x1 matters most")
