"""Sample smartly: survey sample sizes, stratified allocation, the draw, and post-stratification.

The last link of the method: survey as often as things change, with stratified random samples so
the results extrapolate to the whole customer base with a known margin of error, while asking
fewer customers. Four steps, one function each:

1. `nps_sample_size` / `nps_margin_of_error`: completes needed for a target NPS margin of error
   (and the inverse), with the finite-population correction.
2. `allocate_sample`: completes per stratum (proportional, Neyman, with a minimum per stratum so
   every business unit gets a readable score), the expected margin of error per stratum and
   overall, and the invitations needed at the expected response rate.
3. `draw_sample`: the seeded, reproducible stratified random draw from the customer list, with an
   optional contact-frequency rule.
4. `representativeness`: respondent mix of an existing survey against the customer base, and the
   post-stratification weights that correct it (a weight column any other page can use).

The customer base is a small frame with one row per stratum: ``stratum``, ``N`` and, when last
wave's results are known, ``p`` and ``d`` (promoter and detractor shares). Build it from an
uploaded customer list (`base_from_customers`) or from sizes typed in (`base_from_sizes`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.errors import CxInputError

#: NPS variance per respondent in the worst case (half promoters, half detractors).
NPS_WORST_CASE_VARIANCE = 1.0
#: Label of a stratum whose value is missing in the customer list or the survey.
MISSING_STRATUM = "(missing)"
#: Separator between the values of several strata columns in a stratum label.
STRATUM_SEPARATOR = " / "

ALLOCATION_METHODS = ("neyman", "proportional")


# ---------------------------------------------------------------------------------------------
# Small shared pieces
# ---------------------------------------------------------------------------------------------


def z_value(confidence: float = 0.95) -> float:
    """Two-sided normal quantile for a confidence level.

    Parameters
    ----------
    confidence : float
        Confidence level strictly between 0 and 1.

    Returns
    -------
    float
        1.96 at 95% (the value every NPS margin of error in the app uses, see the contract's
        ``ci95``), otherwise ``Phi^-1(1 - (1 - confidence) / 2)``.
    """
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise CxInputError(f"confidence must be between 0 and 1 (e.g. 0.95); got {confidence!r}.")
    if abs(confidence - 0.95) < 1e-12:
        return 1.96
    from statistics import NormalDist

    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def nps_variance(p: float | np.ndarray, d: float | np.ndarray) -> float | np.ndarray:
    """NPS variance per respondent on the proportion scale: ``p + d - (p - d)**2``.

    Parameters
    ----------
    p, d : float or array
        Promoter and detractor shares (0..1).

    Returns
    -------
    float or array
        The variance of one respondent's score (+1 promoter, 0 passive, -1 detractor).

    Notes
    -----
    A respondent scores +1 with probability p, -1 with probability d, 0 otherwise (trinomial), so
    E[X] = p - d and E[X^2] = p + d, hence Var = p + d - (p - d)^2. The maximum, 1, is at
    p = d = 0.5. Multiply by 100^2 for the -100..100 scale.
    """
    return p + d - (p - d) ** 2


def _check_shares(p: float | None, d: float | None) -> tuple[float | None, float | None]:
    if (p is None) != (d is None):
        raise CxInputError("Give both the promoter share p and the detractor share d, or neither "
                           "(the worst case is then used).")
    if p is None:
        return None, None
    for name, v in (("p", p), ("d", d)):
        if not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1:
            raise CxInputError(f"The share {name} must be between 0 and 1 (e.g. 0.35 for 35%); got {v!r}.")
    if p + d > 1 + 1e-9:
        raise CxInputError(f"Promoter and detractor shares add up to more than 1 ({p} + {d}); check them.")
    return float(p), float(d)


def _check_population(population: int | None) -> int | None:
    if population is None:
        return None
    if isinstance(population, bool) or not isinstance(population, (int, np.integer, float)) or \
            not math.isfinite(population) or population < 1 or int(population) != population:
        raise CxInputError(f"The population (customer base size) must be a whole number of at least 1; "
                           f"got {population!r}.")
    return int(population)


def _fpc(population: np.ndarray | float, n: np.ndarray | float) -> np.ndarray | float:
    """Finite-population factor (N - n) / (N - 1) on the variance; 0 for a one-customer census."""
    population = np.asarray(population, dtype=float)
    n = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(population > 1, (population - n) / (population - 1), 0.0)
    return np.clip(out, 0.0, 1.0)


# ---------------------------------------------------------------------------------------------
# 1. Sample size for a target margin of error
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SampleSizePlan:
    """Completes needed for a target NPS margin of error.

    Attributes
    ----------
    moe_points : float
        Target half-width of the confidence interval, in NPS points (-100..100 scale).
    confidence : float
        Confidence level (0.95 by default).
    z : float
        Normal quantile used (1.96 at 95%).
    promoter_share, detractor_share : float or None
        Last wave's shares used for the variance; None when the worst case was used.
    variance : float
        NPS variance per respondent ``p + d - (p - d)^2`` (1 in the worst case).
    population : int or None
        Customer base size N; None for an infinite population (no correction).
    n0 : float
        Sample size before the finite-population correction.
    n : float
        Sample size after the correction (equal to n0 without a population).
    notes : tuple of str
        The formulas used, in words.
    """

    moe_points: float
    confidence: float
    z: float
    promoter_share: float | None
    detractor_share: float | None
    variance: float
    population: int | None
    n0: float
    n: float
    notes: tuple[str, ...] = ()

    @property
    def completes(self) -> int:
        """Completed surveys needed: ``n`` rounded up."""
        return max(1, math.ceil(self.n - 1e-9))

    @property
    def worst_case(self) -> bool:
        """True when no last-wave shares were given and the variance is the worst case, 1."""
        return self.promoter_share is None

    def to_dict(self) -> dict:
        """JSON-ready summary (keys used by the CLI's ``sample`` command)."""
        return {
            "moe_points": self.moe_points,
            "confidence": self.confidence,
            "z": self.z,
            "p": self.promoter_share,
            "d": self.detractor_share,
            "variance": self.variance,
            "worst_case": self.worst_case,
            "population": self.population,
            "n0": round(self.n0, 2),
            "n": round(self.n, 2),
            "completes": self.completes,
            "notes": list(self.notes),
        }


def nps_sample_size(moe_points: float, p: float | None = None, d: float | None = None,
                    population: int | None = None, confidence: float = 0.95) -> SampleSizePlan:
    """Completes needed so that the NPS margin of error is at most ``moe_points``.

    Parameters
    ----------
    moe_points : float
        Target margin of error (half-width of the interval) in NPS points, e.g. 5 for ±5.
    p, d : float, optional
        Last wave's promoter and detractor shares (0..1). Without them the worst case,
        variance 1 (p = d = 0.5), is used.
    population : int, optional
        Number of customers in the base (N); applies the finite-population correction.
    confidence : float
        Confidence level, 0.95 by default (z = 1.96).

    Returns
    -------
    SampleSizePlan
        ``n0``, ``n`` (after the correction), ``completes`` (rounded up) and the formulas.

    Raises
    ------
    CxInputError
        When the margin of error is not positive, the shares are invalid or the population is not
        a whole number of at least 1.

    Notes
    -----
    With V = p + d - (p - d)^2 the variance per respondent of a +1/0/-1 score,

    ``n0 = (z * 100)^2 * V / moe^2``

    and the finite-population correction (Cochran 1977, eq. 4.2 form)

    ``n = n0 / (1 + (n0 - 1) / N)``

    which is exactly the n at which ``z * 100 * sqrt(V / n * (N - n) / (N - 1)) = moe``, so it
    agrees with `nps_margin_of_error`. With d = 0 the formula is Cochran's n0 = z^2 p q / e^2 for a
    proportion (e = moe / 100); the worst case V = 1 is four times the worst case p q = 1/4 of a
    proportion, because NPS is a difference of two shares.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., Wiley, sections 4.4-4.5.

    Examples
    --------
    >>> round(nps_sample_size(10).n0, 2)
    384.16
    >>> nps_sample_size(10, population=1000).completes
    278
    """
    if isinstance(moe_points, bool) or not isinstance(moe_points, (int, float)) or \
            not math.isfinite(moe_points) or moe_points <= 0:
        raise CxInputError(f"The target margin of error must be a positive number of NPS points "
                           f"(e.g. 5 for ±5); got {moe_points!r}.")
    if moe_points > 200:
        raise CxInputError(f"A margin of error of {moe_points} NPS points is wider than the whole "
                           f"-100..100 scale; give a value such as 5.")
    p, d = _check_shares(p, d)
    population = _check_population(population)
    z = z_value(confidence)
    v = NPS_WORST_CASE_VARIANCE if p is None else float(nps_variance(p, d))
    n0 = (z * 100) ** 2 * v / moe_points**2
    notes = [
        f"V = p + d - (p - d)^2 = {v:.4g}" + (" (worst case, p = d = 0.5)" if p is None else ""),
        f"n0 = (z * 100)^2 * V / moe^2 = ({z:.4g} * 100)^2 * {v:.4g} / {moe_points:g}^2 = {n0:.2f}",
    ]
    if population is None:
        n = n0
        notes.append("No population size given: no finite-population correction.")
    else:
        n = n0 / (1 + (n0 - 1) / population)
        notes.append(f"Finite-population correction (Cochran 1977, eq. 4.2 form): "
                     f"n = n0 / (1 + (n0 - 1) / N) = {n:.2f} with N = {population:,}")
        n = min(n, float(population))
    return SampleSizePlan(moe_points=float(moe_points), confidence=float(confidence), z=z,
                          promoter_share=p, detractor_share=d, variance=v, population=population,
                          n0=n0, n=n, notes=tuple(notes))


def nps_margin_of_error(n: int, p: float | None = None, d: float | None = None,
                        population: int | None = None, confidence: float = 0.95) -> float:
    """Expected NPS margin of error (in points) for ``n`` completes.

    Parameters
    ----------
    n : int
        Completed surveys.
    p, d : float, optional
        Expected promoter and detractor shares; the worst case (V = 1) without them.
    population : int, optional
        Customer base size N, for the finite-population correction.
    confidence : float
        Confidence level, 0.95 by default.

    Returns
    -------
    float
        ``z * 100 * sqrt(V / n) * sqrt((N - n) / (N - 1))`` (the last factor only with N).

    Notes
    -----
    The inverse of `nps_sample_size`; a census (n = N) has margin 0.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., Wiley, eq. 3.5 and 4.2.

    Examples
    --------
    >>> round(nps_margin_of_error(385), 2)
    9.99
    """
    if isinstance(n, bool) or not isinstance(n, (int, float, np.integer)) or not n >= 1:
        raise CxInputError(f"The number of completes must be at least 1; got {n!r}.")
    p, d = _check_shares(p, d)
    population = _check_population(population)
    if population is not None and n > population:
        raise CxInputError(f"{n:,} completes is more than the {population:,} customers in the base.")
    z = z_value(confidence)
    v = NPS_WORST_CASE_VARIANCE if p is None else float(nps_variance(p, d))
    fpc = 1.0 if population is None else float(_fpc(population, n))
    return float(z * 100 * math.sqrt(v / n * fpc))


# ---------------------------------------------------------------------------------------------
# The customer base: one row per stratum
# ---------------------------------------------------------------------------------------------


def _as_text(values: pd.Series) -> pd.Series:
    """A strata column as clean text: whole floats lose their ``.0``, missing becomes ``(missing)``."""
    s = values
    if pd.api.types.is_float_dtype(s.dtype):
        finite = s.dropna()
        if len(finite) and np.all(np.mod(finite.to_numpy(dtype=float), 1) == 0):
            s = s.astype("Int64")
    if isinstance(s.dtype, pd.CategoricalDtype):
        s = s.astype("object")
    out = s.astype("string").str.strip()
    return out.mask(out.isna() | (out == ""), MISSING_STRATUM).astype("string")


def _check_columns(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        shown = ", ".join(map(repr, list(frame.columns)[:12]))
        raise CxInputError(f"{what}: column(s) {', '.join(map(repr, missing))} not found. "
                           f"Columns are: {shown}.")


def stratum_codes(frame: pd.DataFrame, strata_cols: Sequence[str] | str) -> tuple[np.ndarray, np.ndarray]:
    """Stratum of every row as an integer code, plus the label of each code.

    Parameters
    ----------
    frame : pandas.DataFrame
        Customer list or survey.
    strata_cols : str or sequence of str
        Columns that define the strata (business unit, region, tier, ...).

    Returns
    -------
    codes : numpy.ndarray of int64
        One code per row, indexing ``labels``.
    labels : numpy.ndarray of str
        The stratum labels: the values of the strata columns joined by ``" / "`` (missing
        values as ``"(missing)"``), sorted.
    """
    cols = [strata_cols] if isinstance(strata_cols, str) else list(strata_cols)
    if not cols:
        raise CxInputError("Choose at least one column that defines the strata (e.g. business unit).")
    _check_columns(frame, cols, "Strata")
    if len(frame) == 0:
        return np.zeros(0, dtype=np.int64), np.array([], dtype=object)
    combined = np.zeros(len(frame), dtype=np.int64)
    parts: list[np.ndarray] = []
    for col in cols:
        # Clean the distinct values only (strip, whole floats, missing), then map rows through them.
        raw_codes, raw_uniques = pd.factorize(frame[col], use_na_sentinel=True)
        clean = _as_text(pd.Series(raw_uniques, dtype=frame[col].dtype))
        clean = pd.concat([clean, pd.Series([MISSING_STRATUM], dtype="string")], ignore_index=True)
        map_codes, uniques = pd.factorize(clean, sort=False)
        codes = map_codes[raw_codes]  # the sentinel -1 picks the appended "(missing)"
        parts.append(np.asarray(uniques, dtype=object))
        combined = combined * len(uniques) + codes
    row_group, group_keys = pd.factorize(combined, sort=False)
    # Decode each group's mixed-radix key back into its column values to build the label.
    labels = []
    for key in group_keys:
        vals = []
        for uniques in reversed(parts):
            key, idx = divmod(int(key), len(uniques))
            vals.append(str(uniques[idx]))
        labels.append(STRATUM_SEPARATOR.join(reversed(vals)))
    labels_arr = np.array(labels, dtype=object)
    order = np.argsort(labels_arr, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[row_group].astype(np.int64), labels_arr[order]


def stratum_labels(frame: pd.DataFrame, strata_cols: Sequence[str] | str) -> pd.Series:
    """The stratum label of every row (values of the strata columns joined by ``" / "``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Customer list or survey.
    strata_cols : str or sequence of str
        Columns that define the strata.

    Returns
    -------
    pandas.Series
        String labels aligned to ``frame.index``.
    """
    codes, labels = stratum_codes(frame, strata_cols)
    return pd.Series(labels[codes] if len(codes) else [], index=frame.index, dtype="string",
                     name="stratum")


def _loyalty_shares(loyalty: pd.Series) -> tuple[int, float, float]:
    x = pd.to_numeric(loyalty, errors="coerce").to_numpy(dtype=float)
    valid = np.isfinite(x) & (x >= 0) & (x <= 10)
    n = int(valid.sum())
    if n == 0:
        return 0, math.nan, math.nan
    return n, float((x[valid] >= 9).sum() / n), float((x[valid] <= 6).sum() / n)


def last_wave_shares(survey: pd.DataFrame, loyalty_col: str, strata_cols: Sequence[str] | str) -> pd.DataFrame:
    """Promoter and detractor shares per stratum from last wave's survey.

    Parameters
    ----------
    survey : pandas.DataFrame
        Last wave's cleaned survey frame.
    loyalty_col : str
        The 0-10 likelihood-to-recommend column.
    strata_cols : str or sequence of str
        The columns that define the strata (same as in the customer list).

    Returns
    -------
    pandas.DataFrame
        Columns ``stratum``, ``n`` (valid loyalty answers), ``p``, ``d``.

    Notes
    -----
    Promoter = 9-10, detractor = 0-6, over valid 0-10 answers.
    """
    _check_columns(survey, [loyalty_col], "Loyalty")
    codes, labels = stratum_codes(survey, strata_cols)
    rows = []
    for i, label in enumerate(labels):
        n, p, d = _loyalty_shares(survey[loyalty_col][codes == i])
        rows.append({"stratum": label, "n": n, "p": p, "d": d})
    out = pd.DataFrame(rows, columns=["stratum", "n", "p", "d"])
    return out.astype({"stratum": "string", "n": "int64", "p": "float64", "d": "float64"})


def _finish_base(base: pd.DataFrame) -> pd.DataFrame:
    base = base.astype({"stratum": "string", "N": "int64", "p": "float64", "d": "float64"})
    return base.sort_values("stratum", kind="stable").reset_index(drop=True)


def base_from_customers(customers: pd.DataFrame, strata_cols: Sequence[str] | str,
                        id_col: str | None = None, last_wave: pd.DataFrame | None = None) -> pd.DataFrame:
    """Customer base per stratum from an uploaded customer list.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer (account), with the strata columns.
    strata_cols : str or sequence of str
        Columns that define the strata (business unit, region, tier, ...).
    id_col : str, optional
        Customer id column; when given, ids must be unique.
    last_wave : pandas.DataFrame, optional
        Output of `last_wave_shares` (``stratum``, ``p``, ``d``), matched on the stratum label.

    Returns
    -------
    pandas.DataFrame
        Columns ``stratum``, ``N``, ``p``, ``d`` (NaN when last wave is unknown for the stratum),
        sorted by stratum.

    Raises
    ------
    CxInputError
        On an empty list, a missing column or duplicate ids.
    """
    if len(customers) == 0:
        raise CxInputError("The customer list has no rows; upload the list of customers to sample from.")
    if id_col is not None:
        _check_columns(customers, [id_col], "Customer id")
        dup = customers[id_col].duplicated()
        if dup.any():
            raise CxInputError(f"The customer id column {id_col!r} has {int(dup.sum()):,} duplicate ids "
                               f"(e.g. {customers.loc[dup, id_col].iloc[0]!r}); give one row per customer.")
    codes, labels = stratum_codes(customers, strata_cols)
    counts = np.bincount(codes, minlength=len(labels))
    base = pd.DataFrame({"stratum": pd.array(labels, dtype="string"), "N": counts, "p": np.nan, "d": np.nan})
    if last_wave is not None:
        base = _merge_last_wave(base, last_wave)
    return _finish_base(base)


def _merge_last_wave(base: pd.DataFrame, last_wave: pd.DataFrame) -> pd.DataFrame:
    _check_columns(last_wave, ["stratum", "p", "d"], "Last wave")
    lw = last_wave[["stratum", "p", "d"]].astype({"stratum": "string"})
    lw = lw.drop_duplicates("stratum")
    merged = base.drop(columns=["p", "d"]).merge(lw, on="stratum", how="left")
    return merged


def with_last_wave(base: pd.DataFrame, last_wave: pd.DataFrame | None) -> pd.DataFrame:
    """Attach last wave's promoter and detractor shares to a customer base, by stratum label.

    Parameters
    ----------
    base : pandas.DataFrame
        Customer base per stratum (``stratum``, ``N``; ``p``, ``d`` are replaced), e.g. from
        `base_from_sizes`.
    last_wave : pandas.DataFrame or None
        Output of `last_wave_shares` (``stratum``, ``p``, ``d``). None removes the shares: every
        stratum then uses the worst case.

    Returns
    -------
    pandas.DataFrame
        Columns ``stratum``, ``N``, ``p``, ``d`` sorted by stratum; ``p`` and ``d`` are NaN for
        strata that last wave does not cover (the worst case is used for them).

    Examples
    --------
    >>> base = pd.DataFrame({"stratum": ["A", "B"], "N": [100, 50]})
    >>> lw = pd.DataFrame({"stratum": ["A"], "p": [0.5], "d": [0.2]})
    >>> with_last_wave(base, lw)["p"].tolist()
    [0.5, nan]
    """
    tab = _validate_base(base)
    if last_wave is None:
        return _finish_base(tab.assign(p=np.nan, d=np.nan))
    return _finish_base(_merge_last_wave(tab, last_wave))


def base_from_sizes(sizes: pd.DataFrame, stratum_col: str = "stratum", size_col: str = "N",
                    promoter_col: str | None = None, detractor_col: str | None = None) -> pd.DataFrame:
    """Customer base per stratum from sizes entered directly.

    Parameters
    ----------
    sizes : pandas.DataFrame
        One row per stratum.
    stratum_col, size_col : str
        Stratum label and number of customers (N) columns.
    promoter_col, detractor_col : str, optional
        Last wave's promoter and detractor shares (0..1) per stratum; blank cells mean unknown
        (the worst case is then used for that stratum).

    Returns
    -------
    pandas.DataFrame
        Columns ``stratum``, ``N``, ``p``, ``d``, sorted by stratum.

    Raises
    ------
    CxInputError
        On duplicate strata, sizes that are not whole numbers >= 0, or shares outside 0..1.
    """
    cols = [stratum_col, size_col] + [c for c in (promoter_col, detractor_col) if c is not None]
    _check_columns(sizes, cols, "Stratum sizes")
    if len(sizes) == 0:
        raise CxInputError("Enter at least one stratum with its number of customers.")
    stratum = _as_text(sizes[stratum_col])
    if stratum.duplicated().any():
        raise CxInputError(f"Stratum {stratum[stratum.duplicated()].iloc[0]!r} is listed twice; "
                           f"give one row per stratum.")
    n = pd.to_numeric(sizes[size_col], errors="coerce").to_numpy(dtype=float)
    if not np.all(np.isfinite(n)) or np.any(n < 0) or np.any(np.mod(n, 1) != 0):
        raise CxInputError(f"Every stratum size in {size_col!r} must be a whole number of customers (0 or more).")
    if n.sum() < 1:
        raise CxInputError("The customer base is empty: every stratum size is 0.")
    if (promoter_col is None) != (detractor_col is None):
        raise CxInputError("Give both the promoter and the detractor share columns, or neither.")
    base = pd.DataFrame({"stratum": stratum.to_numpy(), "N": n.astype(np.int64)})
    if promoter_col is not None:
        p = pd.to_numeric(sizes[promoter_col], errors="coerce").to_numpy(dtype=float)
        d = pd.to_numeric(sizes[detractor_col], errors="coerce").to_numpy(dtype=float)
        if (np.isfinite(p) != np.isfinite(d)).any():
            raise CxInputError("Each stratum needs both shares (promoters and detractors) or neither.")
        ok = np.isfinite(p)
        if np.any((p[ok] < 0) | (p[ok] > 1) | (d[ok] < 0) | (d[ok] > 1)):
            raise CxInputError("Promoter and detractor shares must be between 0 and 1 (e.g. 0.35 for 35%).")
        if np.any(p[ok] + d[ok] > 1 + 1e-9):
            raise CxInputError("In some stratum the promoter and detractor shares add up to more than 1.")
        base["p"], base["d"] = p, d
    else:
        base["p"], base["d"] = np.nan, np.nan
    return _finish_base(base)


def _validate_base(base: pd.DataFrame) -> pd.DataFrame:
    _check_columns(base, ["stratum", "N"], "Customer base")
    out = base.copy()
    for c in ("p", "d"):
        if c not in out.columns:
            out[c] = np.nan
    return base_from_sizes(out, "stratum", "N", "p", "d")


# ---------------------------------------------------------------------------------------------
# 2. Allocation across strata
# ---------------------------------------------------------------------------------------------


def optimum_allocation(n: float, a: Sequence[float] | np.ndarray, lower: Sequence[float] | np.ndarray | None = None,
                       upper: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """Tschuprow-Neyman allocation of ``n`` with optional lower and upper bounds per stratum.

    Minimises the stratified variance ``sum(a_h^2 / x_h)`` subject to ``sum(x_h) = n`` and
    ``lower_h <= x_h <= upper_h``.

    Parameters
    ----------
    n : float
        Total sample size to allocate.
    a : array of float
        ``N_h * S_h`` for Neyman allocation, ``N_h`` for proportional allocation (>= 0).
    lower, upper : array of float, optional
        Bounds per stratum (minimum completes; stratum size). Default 0 and infinity.

    Returns
    -------
    numpy.ndarray
        Non-integer allocation summing to ``n`` (see `round_allocation`).

    Raises
    ------
    CxInputError
        When ``sum(lower) > n`` or ``sum(upper) < n``, or bounds or ``a`` are invalid.

    Notes
    -----
    The objective is separable and convex, so by the Karush-Kuhn-Tucker conditions the optimum is
    ``x_h = clip(t * a_h, lower_h, upper_h)`` for the one scalar t at which the total is n. In
    words: strata whose Neyman share falls below their minimum get the minimum, strata whose share
    exceeds their size are taken whole, and the rest of the sample is shared among the remaining
    strata in proportion to ``a_h``. t is found exactly: the total is piecewise linear in t with
    breakpoints ``lower_h / a_h`` and ``upper_h / a_h``. This gives the same allocations as the
    RNABOX algorithm of the R package stratallo (Wójciak 2023). Strata with ``a_h = 0`` (no
    variance) get their minimum unless the others are full.

    References
    ----------
    Neyman, J. (1934). On the two different aspects of the representative method. *JRSS* 97(4).
    Wójciak, W. (2023). Optimal allocation in stratified sampling schemes under box constraints.
    arXiv:2304.07034; R package stratallo, function ``opt()``.

    Examples
    --------
    >>> optimum_allocation(190, [144000, 316000, 380000, 32000]).round(6).tolist()
    [31.376147, 68.853211, 82.798165, 6.972477]
    """
    a = np.asarray(a, dtype=float)
    h = len(a)
    lo = np.zeros(h) if lower is None else np.asarray(lower, dtype=float)
    hi = np.full(h, np.inf) if upper is None else np.asarray(upper, dtype=float)
    if lo.shape != a.shape or hi.shape != a.shape:
        raise CxInputError("a, lower and upper must have one value per stratum.")
    if h == 0:
        raise CxInputError("There are no strata to allocate the sample to.")
    if not np.all(np.isfinite(a)) or np.any(a < 0) or np.any(~np.isfinite(lo)) or np.any(lo < 0) or np.any(hi < lo):
        raise CxInputError("Allocation weights must be >= 0 and each lower bound between 0 and its upper bound.")
    if not math.isfinite(n) or n < 0:
        raise CxInputError(f"The sample size must be a number >= 0; got {n!r}.")
    tol = 1e-9 * max(1.0, n)
    if lo.sum() > n + tol:
        raise CxInputError(f"The minimum per stratum needs {lo.sum():,.0f} completes, more than the "
                           f"{n:,.0f} to allocate; raise the sample size or lower the minimum.")
    if hi.sum() < n - tol:
        raise CxInputError(f"{n:,.0f} completes is more than the {hi.sum():,.0f} customers in the base; "
                           f"lower the sample size.")
    pos = a > 0
    reach = np.where(pos, hi, lo).sum()
    if n > reach + tol:
        # Only variance-free strata (a = 0) have room left: any split of the rest is optimal.
        x = np.where(pos, hi, lo)
        room = np.where(pos, 0.0, hi - lo)
        room = np.where(np.isfinite(room), room, 0.0)
        x = x + (n - reach) * room / room.sum() if room.sum() > 0 else x
        return x

    def total(t: np.ndarray) -> np.ndarray:
        return np.clip(np.outer(t, a), lo, hi).sum(axis=1)

    with np.errstate(divide="ignore", invalid="ignore"):
        bps = np.concatenate([[0.0], (lo / a)[pos], (hi / a)[pos]])
    bps = np.unique(bps[np.isfinite(bps)])
    f = total(bps)
    j = int(np.searchsorted(f, n, side="right")) - 1
    j = max(j, 0)
    if j >= len(bps) - 1:
        t = bps[-1]
        if f[-1] < n - tol:
            free = pos & ~np.isfinite(hi)
            t = bps[-1] + (n - f[-1]) / a[free].sum()
    else:
        t0, t1 = bps[j], bps[j + 1]
        t = t0 + (n - f[j]) * (t1 - t0) / (f[j + 1] - f[j]) if f[j + 1] > f[j] else t0
    x = np.clip(t * a, lo, hi)
    # Re-share the remainder among the free strata exactly (removes rounding in t).
    free = pos & (x > lo) & (x < hi)
    if free.any():
        rest = n - x[~free].sum()
        x[free] = rest * a[free] / a[free].sum()
    return x


def round_allocation(x: Sequence[float] | np.ndarray, lower: Sequence[float] | np.ndarray | None = None,
                     upper: Sequence[float] | np.ndarray | None = None) -> np.ndarray:
    """Round a non-integer allocation to whole completes keeping its total.

    Parameters
    ----------
    x : array of float
        Allocation whose sum is (close to) a whole number.
    lower, upper : array of float, optional
        Whole-number bounds the rounded values must keep.

    Returns
    -------
    numpy.ndarray of int64
        Floors, plus one for the strata with the largest fractional parts until the total is
        ``round(sum(x))`` (largest-remainder rounding; ties go to the first stratum).
    """
    x = np.asarray(x, dtype=float)
    target = int(round(x.sum()))
    base = np.floor(x + 1e-9)
    if lower is not None:
        base = np.maximum(base, np.asarray(lower, dtype=float))
    if upper is not None:
        base = np.minimum(base, np.asarray(upper, dtype=float))
    short = target - int(base.sum())
    if short > 0:
        frac = x - base
        if upper is not None:
            frac = np.where(base + 1 <= np.asarray(upper, dtype=float), frac, -np.inf)
        order = np.argsort(-frac, kind="stable")[:short]
        base[order] += 1
    return base.astype(np.int64)


def stratified_variance(sizes: Sequence[float] | np.ndarray, s2: Sequence[float] | np.ndarray,
                        n: Sequence[float] | np.ndarray) -> float:
    """Variance of the stratified mean under stratified simple random sampling without replacement.

    Parameters
    ----------
    sizes : array of float
        Stratum sizes N_h.
    s2 : array of float
        Stratum variances S_h^2 (with the N_h - 1 denominator).
    n : array of float
        Sample sizes n_h (> 0).

    Returns
    -------
    float
        ``sum(W_h^2 * S_h^2 / n_h * (1 - n_h / N_h))`` with ``W_h = N_h / N``.

    Notes
    -----
    Cochran (1977), Theorem 5.3. Multiplied by N^2 it is the variance of the estimated total,
    ``sum(N_h^2 S_h^2 / n_h) - sum(N_h S_h^2)`` (stratallo's ``var_st_tsi``). For an NPS,
    ``S_h^2 (1 - f_h) / n_h = V_h / n_h * (N_h - n_h) / (N_h - 1)`` with V_h the per-respondent
    variance ``p + d - (p - d)^2``.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., Wiley, eq. 5.6.
    """
    sizes = np.asarray(sizes, dtype=float)
    s2 = np.asarray(s2, dtype=float)
    n = np.asarray(n, dtype=float)
    w = sizes / sizes.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = w**2 * s2 / n * (1 - n / sizes)
    terms = np.where((s2 == 0) | (n >= sizes), 0.0, terms)
    return float(terms.sum())


@dataclass(frozen=True, eq=False)
class SampleAllocation:
    """Completes and invitations per stratum, with the expected margins of error.

    Attributes
    ----------
    method : str
        ``"neyman"`` or ``"proportional"``.
    n : int
        Total completes.
    minimum : int
        Minimum completes asked per stratum (capped at the stratum's size).
    confidence : float
        Confidence level of the margins of error.
    response_rate : float or None
        Expected response rate used to turn completes into invitations.
    target_moe : float or None
        The overall margin of error the plan was sized for, when one was given.
    strata : pandas.DataFrame
        One row per stratum: ``stratum``, ``N``, ``p``, ``d``, ``sd`` (NPS standard deviation per
        respondent, ``sqrt(V_h)``), ``worst_case`` (no last-wave shares), ``completes``,
        ``at_minimum``, ``census`` (whole stratum), ``moe`` (expected margin of error, points),
        ``invitations`` and ``enough`` (False when the stratum cannot yield the completes at the
        expected response rate).
    overall_moe : float
        Expected margin of error of the whole-base NPS (stratified estimate), in points.
    notes : tuple of str
        The formulas and the algorithm, in words.
    """

    method: str
    n: int
    minimum: int
    confidence: float
    response_rate: float | None
    target_moe: float | None
    strata: pd.DataFrame
    overall_moe: float
    notes: tuple[str, ...] = field(default=())

    @property
    def invitations(self) -> int:
        """Total invitations to send."""
        return int(self.strata["invitations"].sum())

    @property
    def population(self) -> int:
        """Customers in the base."""
        return int(self.strata["N"].sum())

    @property
    def short_strata(self) -> list[str]:
        """Strata that cannot yield their completes at the expected response rate."""
        return self.strata.loc[~self.strata["enough"], "stratum"].tolist()

    def to_frame(self) -> pd.DataFrame:
        """The per-stratum table (a copy)."""
        return self.strata.copy()

    def to_dict(self) -> dict:
        """JSON-ready summary (the ``allocation`` of the CLI's ``sample`` command)."""
        def num(v: float) -> float | None:
            return None if v is None or (isinstance(v, float) and not math.isfinite(v)) else round(float(v), 4)

        items = []
        for row in self.strata.itertuples(index=False):
            items.append({
                "stratum": str(row.stratum), "N": int(row.N), "p": num(row.p), "d": num(row.d),
                "sd": num(row.sd), "worst_case": bool(row.worst_case), "completes": int(row.completes),
                "at_minimum": bool(row.at_minimum), "census": bool(row.census), "moe": num(row.moe),
                "invitations": int(row.invitations), "enough": bool(row.enough),
            })
        return {
            "method": self.method, "n": self.n, "minimum": self.minimum, "confidence": self.confidence,
            "response_rate": self.response_rate, "target_moe": self.target_moe,
            "population": self.population, "overall_moe": num(self.overall_moe),
            "invitations": self.invitations, "short_strata": self.short_strata,
            "strata": items, "notes": list(self.notes),
        }


def _check_rate(response_rate: float | None) -> float | None:
    if response_rate is None:
        return None
    if isinstance(response_rate, bool) or not isinstance(response_rate, (int, float)) or \
            not math.isfinite(response_rate) or not 0 < response_rate <= 1:
        raise CxInputError(f"The expected response rate must be above 0 and at most 1 (e.g. 0.2 for 20%); "
                           f"got {response_rate!r}.")
    return float(response_rate)


def _allocate_counts(n: int, a: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    x = optimum_allocation(n, a, lo, hi)
    return round_allocation(x, lo, hi)


def _moe_table(sizes: np.ndarray, v: np.ndarray, counts: np.ndarray, z: float) -> tuple[np.ndarray, float]:
    fpc = _fpc(sizes, counts)
    with np.errstate(divide="ignore", invalid="ignore"):
        var_h = np.where(counts > 0, v / counts * fpc, np.nan)
    moe_h = z * 100 * np.sqrt(var_h)
    w = sizes / sizes.sum()
    if np.any((counts == 0) & (sizes > 0)):
        overall = math.nan
    else:
        overall = z * 100 * math.sqrt(float(np.nansum(w**2 * var_h)))
    return moe_h, overall


def allocate_sample(base: pd.DataFrame, n: int | None = None, *, moe_points: float | None = None,
                    method: str = "neyman", minimum: int = 0, response_rate: float | None = None,
                    confidence: float = 0.95) -> SampleAllocation:
    """Allocate completes across strata and turn them into invitations.

    Parameters
    ----------
    base : pandas.DataFrame
        Customer base per stratum: ``stratum``, ``N`` and optionally ``p``, ``d`` (last wave's
        promoter and detractor shares), as from `base_from_customers` or `base_from_sizes`.
    n : int, optional
        Total completes to allocate. Give either ``n`` or ``moe_points``.
    moe_points : float, optional
        Target overall margin of error in NPS points: the smallest n that reaches it under this
        allocation is used.
    method : {"neyman", "proportional"}
        Neyman: ``n_h`` proportional to ``N_h * S_h`` with ``S_h = sqrt(p_h + d_h - (p_h - d_h)^2)``
        from last wave (1, the worst case, where unknown). Proportional: ``n_h`` proportional to
        ``N_h``.
    minimum : int
        Minimum completes per stratum so every business unit gets a readable score (capped at the
        stratum's size: a smaller stratum is taken whole).
    response_rate : float, optional
        Expected share of invited customers who complete (0 < rate <= 1).
    confidence : float
        Confidence level of the margins of error (0.95: z = 1.96).

    Returns
    -------
    SampleAllocation
        Completes, expected margin of error and invitations per stratum; overall margin of error.

    Raises
    ------
    CxInputError
        For an unknown method, a response rate outside (0, 1], a minimum that needs more than n
        completes, n larger than the base, or neither / both of ``n`` and ``moe_points``.

    Notes
    -----
    Algorithm: (1) every stratum gets a lower bound ``m_h = min(max(minimum, 1), N_h)`` (at least
    one complete, since a stratum without respondents has no estimate) and an upper bound ``N_h``; (2) the optimum ``x_h = clip(t * a_h, m_h, N_h)`` with ``a_h = N_h S_h`` (Neyman) or
    ``N_h`` (proportional) is found exactly (`optimum_allocation`): strata below their minimum get
    the minimum, strata above their size are taken whole, and the rest of the sample is allocated
    among the others by the chosen rule; (3) largest-remainder rounding to whole completes.

    Expected margin of error per stratum: ``z * 100 * sqrt(V_h / n_h * (N_h - n_h) / (N_h - 1))``;
    overall (stratified NPS, weights W_h = N_h / N): ``z * 100 * sqrt(sum W_h^2 V_h / n_h *
    (N_h - n_h) / (N_h - 1))`` (Cochran 1977, eq. 5.6). Invitations: ``ceil(n_h / rate)``, capped
    at N_h; ``enough`` is False when ``ceil(n_h / rate) > N_h``.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., Wiley, sections 5.5-5.9.
    Wójciak, W. (2023). R package stratallo (optimum allocation under box constraints).
    """
    if method not in ALLOCATION_METHODS:
        raise CxInputError(f"Unknown allocation method {method!r}; choose 'neyman' or 'proportional'.")
    if isinstance(minimum, bool) or not isinstance(minimum, (int, np.integer)) or minimum < 0:
        raise CxInputError(f"The minimum per stratum must be a whole number >= 0; got {minimum!r}.")
    rate = _check_rate(response_rate)
    z = z_value(confidence)
    tab = _validate_base(base)
    sizes = tab["N"].to_numpy(dtype=float)
    p = tab["p"].to_numpy(dtype=float)
    d = tab["d"].to_numpy(dtype=float)
    worst = ~np.isfinite(p)
    v = np.where(worst, NPS_WORST_CASE_VARIANCE, nps_variance(np.nan_to_num(p), np.nan_to_num(d)))
    sd = np.sqrt(v)
    a = sizes * sd if method == "neyman" else sizes.copy()
    # At least one complete per stratum: the stratified estimate needs every stratum.
    lo = np.minimum(float(max(minimum, 1)), sizes)
    hi = sizes.copy()
    total = int(sizes.sum())

    if (n is None) == (moe_points is None):
        raise CxInputError("Give either the total number of completes n or a target margin of error, not both.")
    if moe_points is not None:
        if isinstance(moe_points, bool) or not isinstance(moe_points, (int, float)) or \
                not math.isfinite(moe_points) or moe_points <= 0:
            raise CxInputError(f"The target margin of error must be a positive number of NPS points; "
                               f"got {moe_points!r}.")
        n = _smallest_n(float(moe_points), a, lo, hi, sizes, v, z)
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) and not (isinstance(n, float) and n.is_integer()):
        raise CxInputError(f"The number of completes must be a whole number; got {n!r}.")
    n = int(n)
    if n < 1:
        raise CxInputError("The number of completes must be at least 1.")
    if n > total:
        raise CxInputError(f"{n:,} completes is more than the {total:,} customers in the base; lower it.")
    if lo.sum() > n and minimum <= 1:
        raise CxInputError(f"The {int((sizes > 0).sum()):,} strata need at least one complete each, more than the "
                           f"{n:,} planned; raise the sample size or use fewer strata.")
    if lo.sum() > n:
        short = [str(s) for s, lo_h, n_h in zip(tab["stratum"], lo, sizes) if lo_h < minimum and n_h > 0]
        extra = f" ({', '.join(short[:3])} {'are' if len(short) > 1 else 'is'} smaller and taken whole)" if short else ""
        raise CxInputError(f"A minimum of {minimum:,} completes in each of {len(tab)} strata needs "
                           f"{int(lo.sum()):,} completes{extra}, more than the {n:,} planned; raise the "
                           f"sample size or lower the minimum.")

    counts = _allocate_counts(n, a, lo, hi)
    moe_h, overall = _moe_table(sizes, v, counts, z)
    if rate is None:
        needed = counts.copy()
    else:
        needed = np.ceil(counts / rate - 1e-9).astype(np.int64)
    invitations = np.minimum(needed, sizes.astype(np.int64))
    enough = needed <= sizes

    strata = pd.DataFrame({
        "stratum": tab["stratum"].to_numpy(), "N": tab["N"].to_numpy(), "p": p, "d": d, "sd": sd,
        "worst_case": worst, "completes": counts, "at_minimum": (counts <= lo) & (minimum > 0) & (counts < sizes),
        "census": (counts >= sizes) & (sizes > 0), "moe": moe_h, "invitations": invitations, "enough": enough,
    })
    strata = strata.astype({"stratum": "string"})
    rule = "N_h * S_h, S_h = sqrt(p_h + d_h - (p_h - d_h)^2)" if method == "neyman" else "N_h"
    notes = [
        f"Allocation ({method}): each stratum gets at least min({max(minimum, 1)}, N_h) completes and at most "
        f"N_h; the rest is shared in proportion to {rule} (optimum under these bounds), then "
        f"rounded by largest remainder.",
        "S_h is the worst case 1 where last wave's shares are unknown." if worst.any() and method == "neyman" else "",
        "Strata that were unanimous last wave (S_h = 0) get only their minimum: set a minimum per stratum."
        if method == "neyman" and np.any((sd == 0) & (sizes > 0)) else "",
        "Margin of error per stratum: z * 100 * sqrt(V_h / n_h * (N_h - n_h) / (N_h - 1)); overall: "
        "z * 100 * sqrt(sum (N_h / N)^2 * V_h / n_h * (N_h - n_h) / (N_h - 1)).",
        f"Invitations = ceil(completes / {rate:g}), capped at N_h." if rate is not None else
        "No response rate given: invitations equal completes.",
    ]
    return SampleAllocation(method=method, n=n, minimum=int(minimum), confidence=float(confidence),
                            response_rate=rate, target_moe=None if moe_points is None else float(moe_points),
                            strata=strata, overall_moe=overall, notes=tuple(s for s in notes if s))


def _smallest_n(target: float, a: np.ndarray, lo: np.ndarray, hi: np.ndarray, sizes: np.ndarray,
                v: np.ndarray, z: float) -> int:
    """Smallest total n whose allocation reaches the target overall margin of error (bisection)."""
    def moe(n: int) -> float:
        counts = _allocate_counts(n, a, lo, hi)
        m = _moe_table(sizes, v, counts, z)[1]
        return math.inf if not math.isfinite(m) else m

    low = max(1, math.ceil(lo.sum()))
    high = int(sizes.sum())
    if low > high:
        raise CxInputError("The minimum per stratum needs more completes than there are customers.")
    if moe(low) <= target:
        return low
    while high - low > 1:
        mid = (low + high) // 2
        if moe(mid) <= target:
            high = mid
        else:
            low = mid
    return high


# ---------------------------------------------------------------------------------------------
# 3. The draw
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SampleDraw:
    """A stratified random sample drawn from the customer list.

    Attributes
    ----------
    seed : int
        Random seed: the same list, allocation and seed give the same sample.
    sample : pandas.DataFrame
        The drawn customers (their rows of the list, in list order) with a ``stratum`` column.
    strata : pandas.DataFrame
        Per stratum: ``stratum``, ``N``, ``excluded_recent`` (surveyed too recently),
        ``eligible``, ``requested``, ``drawn``, ``short`` (fewer eligible than requested).
    exclude_recent_days : int or None
        The contact-frequency rule applied, if any.
    notes : tuple of str
        What was done, in words.
    """

    seed: int
    sample: pd.DataFrame
    strata: pd.DataFrame
    exclude_recent_days: int | None
    notes: tuple[str, ...] = field(default=())

    @property
    def n_drawn(self) -> int:
        """Customers drawn."""
        return int(self.strata["drawn"].sum())

    @property
    def n_excluded(self) -> int:
        """Customers excluded by the contact-frequency rule."""
        return int(self.strata["excluded_recent"].sum())

    def to_frame(self) -> pd.DataFrame:
        """The drawn customers (for the CSV download)."""
        return self.sample.copy()

    def to_dict(self) -> dict:
        """JSON-ready summary of the draw (without the customer rows)."""
        return {
            "seed": self.seed, "n_drawn": self.n_drawn, "exclude_recent_days": self.exclude_recent_days,
            "excluded_recent": self.n_excluded,
            "strata": [{"stratum": str(r.stratum), "N": int(r.N), "excluded_recent": int(r.excluded_recent),
                        "eligible": int(r.eligible), "requested": int(r.requested), "drawn": int(r.drawn),
                        "short": bool(r.short)} for r in self.strata.itertuples(index=False)],
            "notes": list(self.notes),
        }


def _requested(allocation: SampleAllocation | pd.Series | Mapping[str, int], labels: np.ndarray) -> np.ndarray:
    if isinstance(allocation, SampleAllocation):
        mapping = dict(zip(allocation.strata["stratum"].astype(str), allocation.strata["invitations"]))
    elif isinstance(allocation, (pd.Series, Mapping)):
        mapping = {str(k): v for k, v in allocation.items()}
    else:
        raise CxInputError("The allocation must be a SampleAllocation or a mapping stratum -> count.")
    unknown = sorted(set(mapping) - set(map(str, labels)))
    if unknown:
        raise CxInputError(f"The allocation names stratum {unknown[0]!r}, which is not in the customer "
                           f"list; plan the allocation on the same list and strata columns.")
    req = np.array([mapping.get(str(lab), 0) for lab in labels], dtype=float)
    if np.any(~np.isfinite(req)) or np.any(req < 0) or np.any(np.mod(req, 1) != 0):
        raise CxInputError("Counts in the allocation must be whole numbers >= 0.")
    return req.astype(np.int64)


def draw_sample(customers: pd.DataFrame, strata_cols: Sequence[str] | str,
                allocation: SampleAllocation | pd.Series | Mapping[str, int], seed: int | None,
                exclude_recent_days: int | None = None, last_surveyed_col: str | None = None,
                today: str | pd.Timestamp | None = None, id_col: str | None = None) -> SampleDraw:
    """Draw a seeded, reproducible stratified random sample of customers to invite.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customer list (one row per customer).
    strata_cols : str or sequence of str
        The strata columns the allocation was planned on.
    allocation : SampleAllocation or mapping stratum -> count
        How many to draw per stratum: a `SampleAllocation`'s ``invitations``, or counts directly.
    seed : int or None
        Random seed (>= 0). None picks one at random; it is reported, so the draw can be repeated.
    exclude_recent_days : int, optional
        Contact-frequency rule: exclude customers last surveyed fewer than this many days before
        ``today``. Needs ``last_surveyed_col``.
    last_surveyed_col : str, optional
        Date each customer was last surveyed (blank = never).
    today : date-like, optional
        Reference date for the rule (default: today's date).
    id_col : str, optional
        Customer id column. When given, ids must be unique and the draw no longer depends on the
        order of the rows in the file.

    Returns
    -------
    SampleDraw
        The sample (rows of ``customers`` plus ``stratum``) and per-stratum counts.

    Raises
    ------
    CxInputError
        On missing columns, a rule without a date column, unreadable dates or duplicate ids.

    Notes
    -----
    Every customer gets a uniform random key from ``numpy.random.default_rng(seed)`` (in row order,
    or in id order when ``id_col`` is given); within each stratum the eligible customers with the
    smallest keys are drawn: a simple random sample without replacement per stratum. A customer
    surveyed exactly ``exclude_recent_days`` days ago is eligible again; a last-surveyed date after
    ``today`` counts as recent. When a stratum has fewer eligible customers than requested, all of
    them are drawn and the stratum is flagged ``short``.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., Wiley, section 5.1.
    """
    if len(customers) == 0:
        raise CxInputError("The customer list has no rows; upload the list of customers to sample from.")
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % (2**32))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise CxInputError(f"The random seed must be a whole number >= 0; got {seed!r}.")
    seed = int(seed)
    codes, labels = stratum_codes(customers, strata_cols)
    requested = _requested(allocation, labels)
    n_rows = len(customers)
    notes = []

    rng = np.random.default_rng(seed)
    if id_col is not None:
        _check_columns(customers, [id_col], "Customer id")
        ids = customers[id_col]
        if ids.duplicated().any():
            raise CxInputError(f"The customer id column {id_col!r} has duplicate ids; give one row per customer.")
        try:
            order = np.asarray(ids.argsort(kind="stable"))
        except TypeError:  # mixed numbers and text: order by the ids' text
            order = np.asarray(_as_text(ids).argsort(kind="stable"))
        keys = np.empty(n_rows)
        keys[order] = rng.random(n_rows)
    else:
        keys = rng.random(n_rows)

    excluded = np.zeros(n_rows, dtype=bool)
    if exclude_recent_days is not None:
        if isinstance(exclude_recent_days, bool) or not isinstance(exclude_recent_days, (int, np.integer)) \
                or exclude_recent_days < 0:
            raise CxInputError(f"The contact-frequency rule needs a whole number of days >= 0; "
                               f"got {exclude_recent_days!r}.")
        if last_surveyed_col is None:
            raise CxInputError("The contact-frequency rule needs the column with the date each customer was "
                               "last surveyed; choose it or switch the rule off.")
        _check_columns(customers, [last_surveyed_col], "Last surveyed date")
        raw = customers[last_surveyed_col]
        if pd.api.types.is_datetime64_any_dtype(raw.dtype):
            dates = raw
        else:
            dates = pd.to_datetime(raw, errors="coerce", format="mixed")
            text = raw.astype("string").str.strip()
            given = (text.notna() & (text != "")).fillna(False).to_numpy(dtype=bool)
            bad = given & dates.isna().to_numpy()
            if bad.any():
                raise CxInputError(f"{int(bad.sum()):,} value(s) in {last_surveyed_col!r} are not dates "
                                   f"(e.g. {raw[bad].iloc[0]!r}); use dates such as 2026-03-31 or leave blank.")
        ref = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
        if dates.dt.tz is not None:
            dates = dates.dt.tz_localize(None)
        days = (ref - dates).dt.days.to_numpy(dtype=float, na_value=np.nan)
        excluded = np.isfinite(days) & (days < exclude_recent_days)
        notes.append(f"Contact-frequency rule: excluded customers last surveyed fewer than "
                     f"{exclude_recent_days} days before {ref.date()} ({int(excluded.sum()):,}).")

    h = len(labels)
    sizes = np.bincount(codes, minlength=h)
    n_excl = np.bincount(codes[excluded], minlength=h)
    eligible_idx = np.flatnonzero(~excluded)
    e_codes = codes[eligible_idx]
    if h < 2**20:
        # One integer sort key (stratum in the high bits, random key in the low 44) sorts faster than
        # a two-key lexsort; equal keys (odds ~1e-13 per pair) fall back to row order.
        composite = (e_codes.astype(np.uint64) << np.uint64(44)) | (keys[eligible_idx] * 2.0**44).astype(np.uint64)
        order = np.argsort(composite, kind="stable")
    else:
        order = np.lexsort((keys[eligible_idx], e_codes))
    sorted_codes = e_codes[order]
    starts = np.searchsorted(sorted_codes, np.arange(h))
    rank = np.arange(len(order)) - starts[sorted_codes]
    chosen = np.sort(eligible_idx[order[rank < requested[sorted_codes]]])
    drawn = np.bincount(codes[chosen], minlength=h)
    eligible = sizes - n_excl

    sample = customers.iloc[chosen].copy()
    col = "stratum" if "stratum" not in sample.columns else "sample_stratum"
    sample[col] = pd.array(labels[codes[chosen]] if len(chosen) else [], dtype="string")
    strata = pd.DataFrame({"stratum": pd.array(labels, dtype="string"), "N": sizes, "excluded_recent": n_excl,
                           "eligible": eligible, "requested": requested, "drawn": drawn,
                           "short": eligible < requested})
    notes.insert(0, f"Stratified simple random sample without replacement, seed {seed}.")
    if strata["short"].any():
        notes.append("Short strata (fewer eligible customers than requested, all drawn): "
                     + ", ".join(strata.loc[strata["short"], "stratum"].astype(str)) + ".")
    return SampleDraw(seed=seed, sample=sample, strata=strata, exclude_recent_days=exclude_recent_days,
                      notes=tuple(notes))


# ---------------------------------------------------------------------------------------------
# 4. Representativeness and post-stratification weights
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Representativeness:
    """Respondent mix against the customer base, and the post-stratification weights.

    Attributes
    ----------
    strata : pandas.DataFrame
        Per stratum: ``stratum``, ``N``, ``base_share`` (N_h / N), ``n`` (respondents),
        ``sample_share`` (n_h / n), ``difference`` (sample - base share), ``weight``.
    weights : pandas.Series
        Post-stratification weight per respondent, aligned to the survey frame's index (NaN for
        respondents whose stratum is missing from the base). Name: ``"weight"``.
    chi2 : float
        Chi-square goodness-of-fit statistic of the respondent counts against the base shares.
    dof : int
        Degrees of freedom (strata in the base - 1).
    p_value : float
        Its p-value.
    n : int
        Respondents in strata of the base.
    n_effective : float
        Kish effective sample size ``(sum w)^2 / sum w^2``.
    n_unmatched : int
        Respondents whose stratum is not in the base (weight NaN).
    warnings : tuple of str
        Strata without respondents, small expected counts, unmatched respondents.
    """

    strata: pd.DataFrame
    weights: pd.Series
    chi2: float
    dof: int
    p_value: float
    n: int
    n_effective: float
    n_unmatched: int
    warnings: tuple[str, ...] = field(default=())

    @property
    def design_effect(self) -> float:
        """Kish design effect of the weighting: ``n / n_effective``."""
        return self.n / self.n_effective if self.n_effective > 0 else math.nan

    @property
    def representative(self) -> bool:
        """True when the chi-square test does not reject the base mix at the 5% level."""
        return bool(self.p_value >= 0.05) if math.isfinite(self.p_value) else True

    def to_frame(self) -> pd.DataFrame:
        """The per-stratum table (a copy)."""
        return self.strata.copy()

    def largest_gaps(self) -> tuple[dict | None, dict | None]:
        """The most over- and the most under-represented stratum (rows of ``strata`` as dicts).

        Returns
        -------
        tuple of dict or None
            ``(over, under)``: the stratum with the largest positive ``difference`` (respondent
            share minus base share) and the one with the most negative; None when no stratum is
            over (or under) represented.
        """
        tab = self.strata
        diff = tab["difference"].to_numpy(dtype=float)
        over = tab.iloc[int(np.nanargmax(diff))].to_dict() if np.any(diff > 0) else None
        under = tab.iloc[int(np.nanargmin(diff))].to_dict() if np.any(diff < 0) else None
        return over, under

    def stratum_weights(self) -> dict[str, float]:
        """Weight per stratum label, for strata with respondents (what `cx.ui.use_stratum_weights` takes)."""
        return {str(s): float(w) for s, w in zip(self.strata["stratum"], self.strata["weight"]) if math.isfinite(w)}

    def to_dict(self) -> dict:
        """JSON-ready summary: the ``weights`` section of ``analyze`` when a base is given."""
        def num(v: float, k: int = 4) -> float | None:
            return round(float(v), k) if v is not None and math.isfinite(v) else None

        return {
            "n": self.n, "n_effective": num(self.n_effective, 1), "design_effect": num(self.design_effect),
            "n_unmatched": self.n_unmatched, "chi2": num(self.chi2), "dof": self.dof,
            "p_value": num(self.p_value, 6), "representative": self.representative,
            "strata": [{"stratum": str(r.stratum), "N": int(r.N), "base_share": num(r.base_share),
                        "n": int(r.n), "sample_share": num(r.sample_share), "difference": num(r.difference),
                        "weight": num(r.weight, 6)} for r in self.strata.itertuples(index=False)],
            "warnings": list(self.warnings),
        }


def representativeness(survey: pd.DataFrame, strata_cols: Sequence[str] | str, base: pd.DataFrame) -> Representativeness:
    """Compare the respondent mix with the customer base and compute post-stratification weights.

    Parameters
    ----------
    survey : pandas.DataFrame
        The (cleaned) survey frame.
    strata_cols : str or sequence of str
        The survey's strata columns (the same strata as the base).
    base : pandas.DataFrame
        Customer base per stratum (``stratum``, ``N``), from `base_from_customers` or
        `base_from_sizes`.

    Returns
    -------
    Representativeness
        Mix table, chi-square test, weights per respondent and the Kish effective sample size.

    Raises
    ------
    CxInputError
        When no respondent falls in a stratum of the base.

    Notes
    -----
    Weight of a respondent in stratum h: ``w_h = (N_h / N) / (n_h / n)``, over the strata that
    have respondents (N and n are summed over those strata, so the weights sum to n and average
    1). Strata of the base without respondents cannot be weighted up: they are listed in the
    warnings. Goodness of fit: Pearson chi-square of the counts n_h against ``n * N_h / N`` over all
    strata of the base, with H - 1 degrees of freedom (expected counts under 5 are warned about).
    Kish effective sample size ``n_eff = (sum w)^2 / sum w^2``.

    References
    ----------
    Holt, D. and Smith, T. M. F. (1979). Post stratification. *JRSS A* 142(1), 33-46.
    Kish, L. (1965). *Survey Sampling*, Wiley, section 11.7.
    """
    tab = _validate_base(base)
    if len(survey) == 0:
        raise CxInputError("The survey has no rows.")
    labels = stratum_labels(survey, strata_cols)
    base_index = pd.Index(tab["stratum"].astype(str))
    pos = base_index.get_indexer(labels.astype(str))
    matched = pos >= 0
    n_unmatched = int((~matched).sum())
    counts = np.bincount(pos[matched], minlength=len(tab))
    n = int(counts.sum())
    if n == 0:
        shown = ", ".join(base_index[:5])
        raise CxInputError(f"No respondent falls in a stratum of the customer base (base strata: {shown}); "
                           f"check that the survey's strata columns match the base.")
    sizes = tab["N"].to_numpy(dtype=float)
    covered = counts > 0
    base_share = sizes / sizes.sum()
    sample_share = counts / n
    with np.errstate(divide="ignore", invalid="ignore"):
        cov_share = np.where(covered, sizes / sizes[covered].sum(), np.nan)
        weight = np.where(covered, cov_share / sample_share, np.nan)
    w_row = np.full(len(survey), np.nan)
    w_row[matched] = weight[pos[matched]]
    weights = pd.Series(w_row, index=survey.index, name="weight", dtype="float64")
    w_valid = w_row[matched]
    n_eff = float(w_valid.sum() ** 2 / (w_valid**2).sum())

    warnings = []
    in_base = sizes > 0
    expected = n * base_share
    k = int(in_base.sum())
    if k >= 2:
        from scipy.stats import chi2 as chi2_dist

        obs, exp = counts[in_base], expected[in_base]
        stat = float(((obs - exp) ** 2 / exp).sum())
        dof = k - 1
        p_value = float(chi2_dist.sf(stat, dof))
        if np.any(exp < 5):
            warnings.append("Some strata expect fewer than 5 respondents: the chi-square p-value is approximate.")
    else:
        stat, dof, p_value = math.nan, 0, math.nan
    empty = tab.loc[~covered & in_base, "stratum"].astype(str).tolist()
    if empty:
        warnings.append(f"No respondents in {len(empty)} stratum(s) of the base ({', '.join(empty[:5])}): "
                        f"the weights represent only the strata with respondents.")
    if n_unmatched:
        warnings.append(f"{n_unmatched:,} respondent(s) are in strata not in the customer base: weight left blank.")
    strata = pd.DataFrame({
        "stratum": tab["stratum"].to_numpy(), "N": tab["N"].to_numpy(), "base_share": base_share,
        "n": counts, "sample_share": sample_share, "difference": sample_share - base_share, "weight": weight,
    }).astype({"stratum": "string"})
    return Representativeness(strata=strata, weights=weights, chi2=stat, dof=dof, p_value=p_value, n=n,
                              n_effective=n_eff, n_unmatched=n_unmatched, warnings=tuple(warnings))


def post_stratified_nps(survey: pd.DataFrame, loyalty_col: str, strata_cols: Sequence[str] | str,
                        base: pd.DataFrame):
    """NPS of the survey weighted by its post-stratification weights against the customer base.

    Parameters
    ----------
    survey : pandas.DataFrame
        The cleaned survey frame.
    loyalty_col : str
        The 0-10 likelihood-to-recommend column.
    strata_cols : str or sequence of str
        The survey's strata columns.
    base : pandas.DataFrame
        Customer base per stratum (``stratum``, ``N``).

    Returns
    -------
    cx.nps.NpsResult
        The weighted NPS, with the Kish effective sample size in its interval (respondents whose
        stratum is not in the base are left out).

    Notes
    -----
    The same weights as `representativeness` (``w_h = (N_h / N) / (n_h / n)``), applied by
    `cx.nps.nps_summary`: what every page shows once these weights are in use.
    """
    from cx.nps import nps_summary

    _check_columns(survey, [loyalty_col], "Loyalty")
    rep = representativeness(survey, strata_cols, base)
    weight = "__post_stratification_weight__"
    return nps_summary(survey[[loyalty_col]].assign(**{weight: rep.weights}), loyalty_col, weight)


def last_wave_overall(last_wave: pd.DataFrame | None) -> tuple[float | None, float | None]:
    """Overall promoter and detractor shares from last wave's per-stratum table.

    Parameters
    ----------
    last_wave : pandas.DataFrame or None
        Output of `last_wave_shares` (``n``, ``p``, ``d`` per stratum).

    Returns
    -------
    tuple of float or None
        ``(p, d)`` pooled over all strata (``sum(n_h p_h) / sum(n_h)``), i.e. the shares among all
        of last wave's valid answers; ``(None, None)`` (worst case) without last wave or answers.

    Examples
    --------
    >>> lw = pd.DataFrame({"stratum": ["A", "B"], "n": [30, 10], "p": [0.5, 0.1], "d": [0.2, 0.6]})
    >>> last_wave_overall(lw)
    (0.4, 0.3)
    """
    if last_wave is None or len(last_wave) == 0:
        return None, None
    _check_columns(last_wave, ["n", "p", "d"], "Last wave")
    n = last_wave["n"].to_numpy(dtype=float)
    ok = (n > 0) & np.isfinite(last_wave["p"].to_numpy(dtype=float))
    if not ok.any():
        return None, None
    total = n[ok].sum()
    p = float((n[ok] * last_wave["p"].to_numpy(dtype=float)[ok]).sum() / total)
    d = float((n[ok] * last_wave["d"].to_numpy(dtype=float)[ok]).sum() / total)
    return round(p, 12), round(d, 12)


# ---------------------------------------------------------------------------------------------
# The whole plan in one call (the CLI's `sample` command)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SamplePlan:
    """Sample size, allocation and (optionally) the draw for one customer list.

    Attributes
    ----------
    strata_cols : tuple of str
        Columns that define the strata.
    base : pandas.DataFrame
        Customer base per stratum (``stratum``, ``N``, ``p``, ``d``).
    size : SampleSizePlan
        Completes a simple random sample would need for the target margin of error.
    allocation : SampleAllocation
        Completes, margins and invitations per stratum for the stratified design.
    draw : SampleDraw or None
        The customers drawn, when a draw was asked for.
    """

    strata_cols: tuple[str, ...]
    base: pd.DataFrame
    size: SampleSizePlan
    allocation: SampleAllocation
    draw: SampleDraw | None = None

    def to_dict(self) -> dict:
        """JSON-ready plan: ``strata``, ``population``, ``sample_size``, ``allocation``, ``draw``."""
        return {"strata": list(self.strata_cols), "population": self.allocation.population,
                "sample_size": self.size.to_dict(), "allocation": self.allocation.to_dict(),
                "draw": None if self.draw is None else self.draw.to_dict()}


def plan_sample(customers: pd.DataFrame, strata_cols: Sequence[str] | str, *, moe_points: float = 5.0,
                method: str = "neyman", minimum: int = 0, response_rate: float | None = None,
                confidence: float = 0.95, id_col: str | None = None, last_wave: pd.DataFrame | None = None,
                draw: bool = True, seed: int | None = None, exclude_recent_days: int | None = None,
                last_surveyed_col: str | None = None, today: str | pd.Timestamp | None = None) -> SamplePlan:
    """Plan the next wave from a customer list: sample size, allocation and the seeded draw.

    Parameters
    ----------
    customers : pandas.DataFrame
        One row per customer with the strata columns.
    strata_cols : str or sequence of str
        Columns that define the strata.
    moe_points : float
        Target overall NPS margin of error at the confidence level, in points.
    method, minimum, response_rate, confidence
        As in `allocate_sample`.
    id_col : str, optional
        Customer id column (ids must be unique; makes the draw independent of row order).
    last_wave : pandas.DataFrame, optional
        Output of `last_wave_shares` on last wave's survey with the same strata; without it the
        worst case is used.
    draw : bool
        Draw the sample (True) or only plan it.
    seed, exclude_recent_days, last_surveyed_col, today
        As in `draw_sample`.

    Returns
    -------
    SamplePlan
        The same numbers the Sampling page shows for these inputs.

    Notes
    -----
    ``size`` is `nps_sample_size` with last wave's pooled shares (`last_wave_overall`) and the
    finite-population correction for the whole list; ``allocation`` is `allocate_sample` sized for
    the same target margin under the stratified design; ``draw`` is `draw_sample` of the
    allocation's invitations.
    """
    cols = (strata_cols,) if isinstance(strata_cols, str) else tuple(strata_cols)
    base = base_from_customers(customers, cols, id_col, last_wave)
    p, d = last_wave_overall(last_wave)
    size = nps_sample_size(moe_points, p, d, population=int(base["N"].sum()), confidence=confidence)
    allocation = allocate_sample(base, moe_points=moe_points, method=method, minimum=minimum,
                                 response_rate=response_rate, confidence=confidence)
    drawn = None
    if draw:
        drawn = draw_sample(customers, cols, allocation, seed, exclude_recent_days=exclude_recent_days,
                            last_surveyed_col=last_surveyed_col, today=today, id_col=id_col)
    return SamplePlan(strata_cols=cols, base=base, size=size, allocation=allocation, draw=drawn)


def base_weights(survey: pd.DataFrame, customers: pd.DataFrame, strata_cols: Sequence[str] | str,
                 id_col: str | None = None) -> Representativeness:
    """Representativeness and post-stratification weights of a survey against a customer list.

    Parameters
    ----------
    survey : pandas.DataFrame
        The cleaned survey frame.
    customers : pandas.DataFrame
        The customer base, one row per customer, with the same strata columns.
    strata_cols : str or sequence of str
        Columns that define the strata in both files.
    id_col : str, optional
        Customer id column of the list (checked for duplicates).

    Returns
    -------
    Representativeness
        `representativeness` against `base_from_customers` (the ``weights`` section of
        ``analyze --base``).
    """
    return representativeness(survey, strata_cols, base_from_customers(customers, strata_cols, id_col))


@dataclass(frozen=True)
class CustomerColumns:
    """A guess of a customer list's columns (the Sampling page's default choices).

    Attributes
    ----------
    id_col : str or None
        Customer id column.
    strata : tuple of str
        Suggested strata columns: the survey's segment columns found in the list (the first one,
        usually the business unit, when several are).
    candidates : tuple of str
        Columns that can define strata: text columns with 2 to 200 distinct values.
    last_surveyed_col : str or None
        Column with the date each customer was last surveyed.
    """

    id_col: str | None
    strata: tuple[str, ...]
    candidates: tuple[str, ...]
    last_surveyed_col: str | None


def guess_customer_columns(customers: pd.DataFrame, id_hint: str | None = None,
                           segments: Sequence[str] = ()) -> CustomerColumns:
    """Guess the id, strata and last-surveyed columns of a customer list.

    Parameters
    ----------
    customers : pandas.DataFrame
        The customer list as read.
    id_hint : str, optional
        The survey's customer id column name: a column with the same name (any case) is the id.
    segments : sequence of str
        The survey's segment columns, in order.

    Returns
    -------
    CustomerColumns
        Id: named like ``id_hint``, else the first column with the word "id", "account",
        "customer" or "client" whose values are unique. Strata candidates: text columns (not the
        id) with 2 to 200 distinct values, plus the survey's segments. Suggested strata: the first
        survey segment present in the list, else the first candidate. Last surveyed: the first column
        whose name mentions "surveyed" or "last contact".

    Examples
    --------
    >>> frame = pd.DataFrame({"Account ID": ["a", "b", "c"], "Business unit": ["X", "Y", "X"],
    ...                       "Last surveyed": ["2026-01-02", "", ""]})
    >>> guess_customer_columns(frame, "account id", ["Region", "Business unit"])
    CustomerColumns(id_col='Account ID', strata=('Business unit',), candidates=('Business unit',), last_surveyed_col='Last surveyed')
    """
    cols = [str(c) for c in customers.columns]
    low = {c: c.lower() for c in cols}
    id_col = None
    if id_hint:
        id_col = next((c for c in cols if low[c] == id_hint.strip().lower()), None)
    if id_col is None:
        for c in cols:
            if re.search(r"(?<![a-z])(id|account|customer|client)(?![a-z])", low[c]) and \
                    not customers[c].duplicated().any():
                id_col = c
                break
    last = next((c for c in cols if "surveyed" in low[c] or "last contact" in low[c]), None)
    candidates = []
    for c in cols:
        if c in (id_col, last):
            continue
        s = customers[c]
        if pd.api.types.is_numeric_dtype(s.dtype) and c not in segments:
            continue
        if c in segments or 2 <= s.nunique(dropna=True) <= 200:
            candidates.append(c)
    in_list = [s for s in segments if s in candidates]
    strata = tuple(in_list[:1]) if in_list else tuple(candidates[:1])
    return CustomerColumns(id_col=id_col, strata=strata, candidates=tuple(candidates), last_surveyed_col=last)
