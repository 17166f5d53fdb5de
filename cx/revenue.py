"""Revenue at risk and customer lifetime value (CLV): survey sentiment sized in money.

The chain: each respondent's annual revenue (a mapped column, or the user's assumptions) is summed
by NPS group (detractor 0–6, passive 7–8, promoter 9–10), by segment, by comment theme and by
low-rated driver; CLV turns annual revenue into lifetime value with the Gupta & Lehmann margin
multiple; what-ifs (convert detractors, change retention, raise a driver) are pure arithmetic on
the group totals, so a slider recomputes them in microseconds without touching the survey frame.

Every money figure here is in the currency of the revenue column; formatting is `cx.fmt.money`.

References
----------
Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing*,
17(1), 9–24.
Gupta, S. & Lehmann, D. R. (2005). *Managing Customers as Investments*. Wharton School Publishing.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cx import fmt
from cx.errors import CxInputError

GROUPS = ("Detractor", "Passive", "Promoter")
"""NPS groups in index order: code 0, 1, 2 (code -1 = no valid loyalty answer)."""

_PLURAL = {"Detractor": "detractors", "Passive": "passives", "Promoter": "promoters"}
_GROUP_ALIASES = {
    "detractor": "Detractor", "detractors": "Detractor",
    "passive": "Passive", "passives": "Passive",
    "promoter": "Promoter", "promoters": "Promoter",
}
UNSCORED = "(no loyalty answer)"

# Defaults, chosen to be stated openly and replaced by the user's own figures.
DEFAULT_RETENTION = {"Promoter": 0.90, "Passive": 0.80, "Detractor": 0.65}
DEFAULT_DISCOUNT_RATE = 0.10
DEFAULT_GROSS_MARGIN = 0.30


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def _group_name(group: str) -> str:
    key = str(group).strip().lower()
    if key not in _GROUP_ALIASES:
        raise CxInputError(f"Unknown NPS group {group!r}: use 'detractor', 'passive' or 'promoter'.")
    return _GROUP_ALIASES[key]


def _nps_codes(values: np.ndarray) -> np.ndarray:
    # -1 = no valid 0-10 answer, 0 = detractor (0-6), 1 = passive (7-8), 2 = promoter (9-10).
    v = np.asarray(values, dtype="float64")
    valid = (v >= 0) & (v <= 10)  # NaN compares False
    codes = (v >= 7).astype(np.int8) + (v >= 9).astype(np.int8)
    return np.where(valid, codes, np.int8(-1)).astype(np.int8)


def _nps_group(series: pd.Series) -> pd.Series:
    """NPS group label per respondent ("Detractor", "Passive", "Promoter"; NA without a score)."""
    codes = _nps_codes(pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan))
    cat = pd.Categorical.from_codes(codes, categories=list(GROUPS))
    return pd.Series(cat, index=series.index, name="NPS group")


def _series(frame: pd.DataFrame, column: str | pd.Series, what: str) -> pd.Series:
    if isinstance(column, pd.Series):
        if len(column) != len(frame):
            raise CxInputError(
                f"The {what} values have {len(column):,} rows but the survey has {len(frame):,}: "
                "compute them from the same (filtered) survey."
            )
        return column
    if column not in frame.columns:
        raise CxInputError(f"There is no column {column!r} for {what} in the data: pick one of its columns.")
    return frame[column]


def _numeric(frame: pd.DataFrame, column: str | pd.Series, what: str) -> np.ndarray:
    s = _series(frame, column, what)
    if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
        name = s.name if s.name is not None else what
        hint = (" Parse it with cx.revenue.parse_money first: it reads '$1,234.50', '1.234,50' or "
                "'1.2M' and reports blanks and values it cannot read." if what == "revenue" else "")
        raise CxInputError(f"The {what} column {name!r} does not hold numbers.{hint}")
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _prepare(frame: pd.DataFrame, loyalty: str | pd.Series, revenue: str | pd.Series,
             weights: pd.Series | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NPS codes, revenue (0 where unusable) and the usable-revenue mask."""
    revenue, weights = _resolve(frame, revenue, weights)
    codes = _nps_codes(_numeric(frame, loyalty, "loyalty"))
    rev = _numeric(frame, revenue, "revenue")
    if weights is not None:
        rev = rev * _numeric(frame, weights, "extrapolation weight")
    has = np.isfinite(rev)
    return codes, np.where(has, rev, 0.0), has


def _masked_sums(mask: np.ndarray, *values: np.ndarray) -> list[float]:
    # Take-and-sum: a bool-mask matmul goes through multi-threaded BLAS, which stalls (10x) on a
    # busy two-core machine; this stays single-threaded and fast for sparse and dense masks alike.
    rows = np.flatnonzero(mask)
    return [float(v.take(rows).sum()) for v in values]


def _group_counts(key: np.ndarray, has: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Respondents and respondents with revenue per key, in one counting pass."""
    both = np.bincount(key * 2 + has, minlength=2 * size).reshape(size, 2)
    return both.sum(axis=1), both[:, 1]


def _check_share(x: float, what: str) -> float:
    x = float(x)
    if not (0.0 <= x <= 1.0):
        raise CxInputError(f"The {what} must be between 0 and 1 (0% and 100%), not {x:g}.")
    return x


def _pct(x: float) -> str:
    """A rate as a percentage, with a decimal only when it needs one: 65%, 67.5%."""
    return fmt.share(x, 0 if abs(100 * x - round(100 * x)) < 1e-9 else 1)


def _points(x: float) -> str:
    """A number of rating points: "1 point", "0.5 points"."""
    text = f"{x:g}" if float(x).is_integer() else fmt.number(x, 1)
    return f"{text} point" if abs(x) == 1 else f"{text} points"


def _json(x: float) -> float | None:
    """NaN as None, so ``to_dict()`` is valid JSON."""
    return None if isinstance(x, float) and math.isnan(x) else x


def _nps_score(p: float, d: float, n: float) -> float:
    return 100.0 * (p - d) / n if n > 0 else math.nan


# --------------------------------------------------------------------------------------------
# Revenue by NPS group
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RevenueSummary:
    """Annual revenue by NPS group.

    Revenue sums count respondents with a revenue value; ``total`` includes those with no valid
    loyalty answer (``unscored``), so ``detractors + passives + promoters + unscored == total``.
    Counts ``n_detractors`` etc. are respondents in each group whether or not their revenue is
    known (they define the NPS, as in the ``nps`` section).
    """

    total: float
    detractors: float
    passives: float
    promoters: float
    unscored: float
    n_detractors: int
    n_passives: int
    n_promoters: int
    n_unscored: int
    detractors_with_revenue: int
    passives_with_revenue: int
    promoters_with_revenue: int
    n_with_revenue: int
    n_missing_revenue: int
    extrapolated: bool = False

    @classmethod
    def from_counts(cls, n_promoters: int, n_passives: int, n_detractors: int, promoters: float = 0.0,
                    passives: float = 0.0, detractors: float = 0.0) -> RevenueSummary:
        """A summary from group counts and group revenue (everyone's revenue known), for what-ifs."""
        counts = (int(n_detractors), int(n_passives), int(n_promoters))
        if min(counts) < 0:
            raise CxInputError("Group counts cannot be negative.")
        return cls(total=float(detractors + passives + promoters), detractors=float(detractors),
                   passives=float(passives), promoters=float(promoters), unscored=0.0,
                   n_detractors=counts[0], n_passives=counts[1], n_promoters=counts[2], n_unscored=0,
                   detractors_with_revenue=counts[0], passives_with_revenue=counts[1],
                   promoters_with_revenue=counts[2], n_with_revenue=sum(counts), n_missing_revenue=0)

    @property
    def n(self) -> int:
        """Respondents with a valid loyalty answer (the NPS base)."""
        return self.n_detractors + self.n_passives + self.n_promoters

    @property
    def n_rows(self) -> int:
        """All respondents."""
        return self.n_with_revenue + self.n_missing_revenue

    @property
    def nps(self) -> float:
        """NPS of the respondents with a valid loyalty answer (−100..100)."""
        return _nps_score(self.n_promoters, self.n_detractors, self.n)

    @property
    def at_risk(self) -> float:
        """Revenue at risk: the annual revenue of detractors."""
        return self.detractors

    @property
    def detractor_share(self) -> float:
        """Detractors' share of total revenue (NaN when the total is 0)."""
        return self.detractors / self.total if self.total else math.nan

    def revenue_of(self, group: str) -> float:
        """Annual revenue of one NPS group."""
        return getattr(self, _PLURAL[_group_name(group)])

    def count_of(self, group: str) -> int:
        """Respondents in one NPS group."""
        return getattr(self, "n_" + _PLURAL[_group_name(group)])

    def to_frame(self) -> pd.DataFrame:
        """One row per NPS group, then respondents without a loyalty answer, then the total."""
        revenue = [self.detractors, self.passives, self.promoters, self.unscored, self.total]
        with_rev = [self.detractors_with_revenue, self.passives_with_revenue, self.promoters_with_revenue,
                    self.n_with_revenue - self.detractors_with_revenue - self.passives_with_revenue
                    - self.promoters_with_revenue, self.n_with_revenue]
        table = pd.DataFrame({
            "group": [*GROUPS, UNSCORED, "Total"],
            "respondents": [self.n_detractors, self.n_passives, self.n_promoters, self.n_unscored, self.n_rows],
            "with_revenue": with_rev,
            "revenue": revenue,
        })
        table["share_of_revenue"] = table["revenue"] / self.total if self.total else np.nan
        table["mean_revenue"] = table["revenue"] / table["with_revenue"].where(table["with_revenue"] > 0)
        return table

    def to_dict(self) -> dict:
        """The CLI's ``revenue`` section (CONTRACT.md): total and the three groups, plus extras."""
        share = self.detractor_share
        return {
            "total": self.total, "detractors": self.detractors, "passives": self.passives,
            "promoters": self.promoters, "unscored": self.unscored,
            "n_with_revenue": self.n_with_revenue, "n_missing_revenue": self.n_missing_revenue,
            "detractor_share": None if math.isnan(share) else share,
            "extrapolated": self.extrapolated,
        }


def revenue_by_group(frame: pd.DataFrame, loyalty: str | pd.Series, revenue: str | pd.Series,
                     weights: pd.Series | None = None) -> RevenueSummary:
    """Sum annual revenue over all respondents and over each NPS group.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey (loyalty float64 0–10, NaN when missing).
    loyalty : str or pandas.Series
        The likelihood-to-recommend column.
    revenue : str, pandas.Series or RevenueBasis
        The annual revenue column (float64, NaN when unknown), a Series aligned with the rows
        such as the one `assumed_revenue` returns, or a `RevenueBasis` (column or assumptions,
        and extrapolation weights when it has base sizes).
    weights : pandas.Series, optional
        Extrapolation weights (`extrapolation_weights`): each respondent's revenue is multiplied
        by its weight, so the sums estimate the whole customer base.

    Returns
    -------
    RevenueSummary
        Sums and counts; ``to_dict()`` is the CLI's ``revenue`` section.

    Raises
    ------
    CxInputError
        When a column is missing or the revenue column holds text (parse it with `parse_money`).

    Notes
    -----
    total = Σ revenue over respondents with a revenue value, whatever their loyalty answer;
    detractors = Σ revenue over respondents scoring 0–6, passives 7–8, promoters 9–10.
    A missing revenue value is left out of every sum, never read as zero; ``n_missing_revenue``
    counts those rows (with weights, rows without a weight count as missing too).

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business Review*, 81(12).

    Examples
    --------
    >>> f = pd.DataFrame({"LTR": [10, 6, 8, None], "Revenue": [100.0, 50.0, None, 30.0]})
    >>> s = revenue_by_group(f, "LTR", "Revenue")
    >>> (s.total, s.detractors, s.passives, s.promoters, s.unscored)
    (180.0, 50.0, 0.0, 100.0, 30.0)
    """
    revenue, weights = _resolve(frame, revenue, weights)
    codes, rev, has = _prepare(frame, loyalty, revenue, weights)
    idx = codes.astype(np.intp) + 1  # 0 = unscored, 1 detractor, 2 passive, 3 promoter
    counts, with_rev = _group_counts(idx, has, 4)
    sums = np.bincount(idx, weights=rev, minlength=4)
    n_with = int(has.sum())
    return RevenueSummary(
        total=float(sums.sum()), detractors=float(sums[1]), passives=float(sums[2]),
        promoters=float(sums[3]), unscored=float(sums[0]),
        n_detractors=int(counts[1]), n_passives=int(counts[2]), n_promoters=int(counts[3]),
        n_unscored=int(counts[0]),
        detractors_with_revenue=int(with_rev[1]), passives_with_revenue=int(with_rev[2]),
        promoters_with_revenue=int(with_rev[3]),
        n_with_revenue=n_with, n_missing_revenue=int(len(codes) - n_with),
        extrapolated=weights is not None,
    )


def assumed_revenue(frame: pd.DataFrame, segment: str | None = None, average: float | None = None,
                    per_segment: Mapping[str, float] | None = None) -> pd.Series:
    """Annual revenue per respondent from the user's assumptions, when the file has no revenue column.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey.
    segment : str, optional
        The segment column that ``per_segment`` refers to.
    average : float, optional
        Average annual revenue per customer, used for every respondent (or for respondents whose
        segment has no value in ``per_segment``).
    per_segment : mapping of str to float, optional
        Average annual revenue per customer for each segment value.

    Returns
    -------
    pandas.Series
        float64, aligned with ``frame``, named "Assumed annual revenue": pass it as ``revenue``
        to any function here.

    Raises
    ------
    CxInputError
        When no assumption is given, a value is negative, or a respondent's segment has no value
        and no ``average`` covers it.

    Notes
    -----
    revenue_i = per_segment[segment_i] if given, else average. Every respondent of a segment
    gets the same value, so revenue at risk then measures how many customers are detractors,
    priced at the stated average.
    """
    name = "Assumed annual revenue"
    if average is None and not per_segment:
        raise CxInputError("Give an average annual revenue per customer, or one per segment.")
    for label, v in ([("average", average)] if average is not None else []) + list((per_segment or {}).items()):
        if not (isinstance(v, int | float) and math.isfinite(v) and v >= 0):
            raise CxInputError(f"The assumed revenue for {label!r} must be a number of 0 or more, not {v!r}.")
    base = float(average) if average is not None else np.nan
    values = np.full(len(frame), base, dtype="float64")
    if per_segment:
        if segment is None:
            raise CxInputError("Revenue per segment needs the segment column it refers to.")
        seg = _series(frame, segment, "segment")
        codes, uniques = pd.factorize(seg, use_na_sentinel=True)
        lookup = np.array([float(per_segment.get(u, per_segment.get(str(u), np.nan))) for u in uniques] + [np.nan])
        mapped = lookup[codes]  # code -1 (no segment) reads the trailing NaN
        values = np.where(np.isnan(mapped), values, mapped)
        if average is None and np.isnan(values).any():
            missing = sorted({str(uniques[c]) if c >= 0 else "(missing)" for c in np.unique(codes[np.isnan(values)])})
            raise CxInputError(
                f"No assumed revenue for segment value(s) {', '.join(missing[:8])}: give them a value "
                "or an overall average."
            )
    return pd.Series(values, index=frame.index, name=name)


# --------------------------------------------------------------------------------------------
# Customer lifetime value
# --------------------------------------------------------------------------------------------

def margin_multiple(retention: float, discount_rate: float) -> float:
    """Gupta & Lehmann's margin multiple: lifetime value of 1 unit of annual margin.

    Parameters
    ----------
    retention : float
        Yearly retention rate r (share of customers who renew each year), 0 ≤ r < 1.
    discount_rate : float
        Yearly discount rate d (cost of capital), d ≥ 0.

    Returns
    -------
    float
        r / (1 + d − r).

    Notes
    -----
    CLV = Σ_{t≥1} m r^t / (1 + d)^t = m × r / (1 + d − r), for a constant annual margin m
    received at the end of each year the customer is still there (Gupta & Lehmann 2003, eq. 3).

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing*,
    17(1), 9–24 (Table 1: r = 80%, d = 10% gives 2.67).

    Examples
    --------
    >>> round(margin_multiple(0.8, 0.1), 3)
    2.667
    """
    r, d = float(retention), float(discount_rate)
    if not (0.0 <= r < 1.0):
        raise CxInputError(f"A retention rate must be at least 0 and below 1 (100%), not {r:g}.")
    if not (0.0 <= d < 1.0):
        raise CxInputError(f"The discount rate must be at least 0 and below 1 (100%), not {d:g}.")
    return r / (1.0 + d - r)


@dataclass(frozen=True)
class ClvAssumptions:
    """The assumptions behind customer lifetime value, all editable by the user.

    Defaults: yearly retention 90% for promoters, 80% for passives, 65% for detractors (the
    issue's example, in line with the common finding that promoters renew more); a 10% discount
    rate (a typical cost of capital, and the rate of Gupta & Lehmann's examples); a 30% gross
    margin, a deliberately conservative placeholder that finance should replace with the
    company's contribution margin. ``quick=True`` is the quick-and-dirty mode: value = this
    year's revenue only (no margin, no future years); retention is then used by what-ifs only.
    """

    retention_promoters: float = DEFAULT_RETENTION["Promoter"]
    retention_passives: float = DEFAULT_RETENTION["Passive"]
    retention_detractors: float = DEFAULT_RETENTION["Detractor"]
    discount_rate: float = DEFAULT_DISCOUNT_RATE
    gross_margin: float = DEFAULT_GROSS_MARGIN
    quick: bool = False

    def __post_init__(self) -> None:
        for group in GROUPS:
            margin_multiple(self.retention(group), 0.0)  # validates the rate
        margin_multiple(0.0, self.discount_rate)
        if not (0.0 <= float(self.gross_margin) <= 1.0):
            raise CxInputError(f"The gross margin must be between 0 and 1 (0% and 100%), not {self.gross_margin:g}.")

    def retention(self, group: str) -> float:
        """Yearly retention rate r of an NPS group."""
        return float(getattr(self, "retention_" + _PLURAL[_group_name(group)]))

    def margin_multiple(self, group: str) -> float:
        """Gupta & Lehmann margin multiple of the group, r / (1 + d − r)."""
        return margin_multiple(self.retention(group), self.discount_rate)

    def value_multiple(self, group: str) -> float:
        """Value of 1 unit of annual revenue: gross margin × margin multiple, or 1 in quick mode."""
        return 1.0 if self.quick else float(self.gross_margin) * self.margin_multiple(group)

    def expected_lifetime(self, group: str) -> float:
        """Average remaining years as a customer, 1 / (1 − r)."""
        return 1.0 / (1.0 - self.retention(group))

    @property
    def formula(self) -> str:
        """The value formula in one line."""
        if self.quick:
            return "value = this year's annual revenue"
        return "CLV = annual revenue × gross margin × r / (1 + d − r)"

    def describe(self) -> str:
        """The formula and every assumption in plain words, one sentence per line."""
        rates = ", ".join(f"{_PLURAL[g]} {_pct(self.retention(g))}" for g in reversed(GROUPS))
        life = ", ".join(f"{self.expected_lifetime(g):.1f} years for {_PLURAL[g]}" for g in reversed(GROUPS))
        if self.quick:
            return "\n".join([
                "Quick and dirty: value is this year's revenue only, with no margin and no future years.",
                f"Share of customers expected to renew each year (used by the what-ifs): {rates}.",
                "Revenue kept by a what-if = revenue of the customers who move × the rise in their renewal rate.",
            ])
        per_unit = ", ".join(f"{fmt.number(self.value_multiple(g), 2)} from a {g.lower()}" for g in reversed(GROUPS))
        return "\n".join([
            "Customer lifetime value (CLV) = annual revenue × gross margin × r / (1 + d − r) "
            "(Gupta & Lehmann): the margin a customer brings each year they stay, discounted "
            "and summed over all future years.",
            f"Gross margin: {_pct(self.gross_margin)} of revenue (replace it with your own contribution margin).",
            f"Discount rate d: {_pct(self.discount_rate)} a year.",
            f"Yearly retention r, the share of customers who renew each year: {rates}.",
            f"So 1 unit of annual revenue is worth {per_unit} in lifetime value.",
            f"Average expected lifetime, 1 / (1 − r): {life}.",
            "Revenue, margin and retention are assumed constant, with margins arriving at the end "
            "of each year the customer stays.",
        ])

    def to_dict(self) -> dict:
        """The assumptions for the CLI's ``clv`` section."""
        return {
            "mode": "this_year_revenue" if self.quick else "lifetime",
            "formula": self.formula,
            "gross_margin": None if self.quick else float(self.gross_margin),
            "discount_rate": None if self.quick else float(self.discount_rate),
            "retention": {_PLURAL[g]: self.retention(g) for g in reversed(GROUPS)},
            "value_multiple": {_PLURAL[g]: self.value_multiple(g) for g in reversed(GROUPS)},
            "description": self.describe(),
        }


def _value_multiples(assumptions: ClvAssumptions) -> np.ndarray:
    # Index 0 = unscored (no group, so no lifetime value), then detractor, passive, promoter.
    return np.array([0.0, *(assumptions.value_multiple(g) for g in GROUPS)])


@dataclass(frozen=True)
class ClvSummary:
    """Customer lifetime value by NPS group, with the revenue and assumptions it came from.

    Respondents without a valid loyalty answer have no retention rate, so they carry no lifetime
    value; their revenue stays visible in ``revenue.unscored``.
    """

    assumptions: ClvAssumptions
    revenue: RevenueSummary
    detractors: float
    passives: float
    promoters: float

    @property
    def total(self) -> float:
        """Lifetime value of all respondents with a loyalty answer."""
        return self.detractors + self.passives + self.promoters

    @property
    def at_risk(self) -> float:
        """Lifetime value at risk: the detractors' CLV."""
        return self.detractors

    def value_of(self, group: str) -> float:
        """Lifetime value of one NPS group."""
        return getattr(self, _PLURAL[_group_name(group)])

    def to_frame(self) -> pd.DataFrame:
        """One row per NPS group and a total: respondents, revenue, retention, value multiple, CLV."""
        a, r = self.assumptions, self.revenue
        rows = [{"group": g, "respondents": r.count_of(g), "revenue": r.revenue_of(g),
                 "retention": a.retention(g), "value_multiple": a.value_multiple(g),
                 "value": self.value_of(g)} for g in GROUPS]
        rows.append({"group": "Total", "respondents": r.n, "revenue": r.total - r.unscored,
                     "retention": np.nan, "value_multiple": np.nan, "value": self.total})
        return pd.DataFrame(rows)

    def to_dict(self) -> dict:
        """The CLI's ``clv`` section: the assumptions used and lifetime value by group."""
        return {**self.assumptions.to_dict(), "total": self.total, "detractors": self.detractors,
                "passives": self.passives, "promoters": self.promoters}


def clv_summary(summary: RevenueSummary, assumptions: ClvAssumptions | None = None) -> ClvSummary:
    """Customer lifetime value by NPS group from revenue already summed by group.

    Parameters
    ----------
    summary : RevenueSummary
        Revenue by NPS group (`revenue_by_group`).
    assumptions : ClvAssumptions, optional
        Margin, discount rate, retention per group (defaults when omitted).

    Returns
    -------
    ClvSummary

    Notes
    -----
    CLV_g = revenue_g × gross margin × r_g / (1 + d − r_g) for each group g (Gupta & Lehmann);
    in quick mode CLV_g = revenue_g. CLV is linear in revenue, so summing first is exact and a
    change of assumptions recomputes without touching the survey.

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing*, 17(1).
    """
    a = assumptions or ClvAssumptions()
    return ClvSummary(assumptions=a, revenue=summary,
                      **{_PLURAL[g]: summary.revenue_of(g) * a.value_multiple(g) for g in GROUPS})


def clv_by_group(frame: pd.DataFrame, loyalty: str | pd.Series, revenue: str | pd.Series,
                 assumptions: ClvAssumptions | None = None, weights: pd.Series | None = None) -> ClvSummary:
    """Customer lifetime value of detractors, passives and promoters.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey.
    loyalty : str or pandas.Series
        The 0–10 likelihood-to-recommend column.
    revenue : str or pandas.Series
        Annual revenue per respondent (column name or aligned Series).
    assumptions : ClvAssumptions, optional
        Margin, discount rate and retention per group (defaults when omitted).
    weights : pandas.Series, optional
        Extrapolation weights (`extrapolation_weights`).

    Returns
    -------
    ClvSummary

    Notes
    -----
    CLV_g = Σ_{i in g} revenue_i × gross margin × r_g / (1 + d − r_g) (Gupta & Lehmann 2003).

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing*, 17(1).
    """
    return clv_summary(revenue_by_group(frame, loyalty, revenue, weights), assumptions)


# --------------------------------------------------------------------------------------------
# Extrapolation to the customer base
# --------------------------------------------------------------------------------------------

def extrapolation_weights(frame: pd.DataFrame, segment: str, revenue: str | pd.Series,
                          base_size: Mapping[str, float]) -> pd.Series:
    """Weights that scale respondents' revenue up to the whole customer base, segment by segment.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey.
    segment : str
        The segment column the base sizes refer to.
    revenue : str or pandas.Series
        Annual revenue per respondent.
    base_size : mapping of str to float
        Number of customers in the whole base for each segment value.

    Returns
    -------
    pandas.Series
        float64 weight per respondent, named "weight": base size of its segment / respondents of
        that segment with a revenue value; NaN for respondents without revenue or segment.

    Raises
    ------
    CxInputError
        When a segment in the survey has no base size, a base size is not a positive number, or a
        segment has respondents but none with a revenue value.

    Notes
    -----
    w_i = N_s / n_s, with N_s the customers of segment s in the base and n_s its respondents with
    a revenue value, so Σ w_i revenue_i = N_s × (mean revenue of the segment's respondents).
    This assumes the respondents of each segment represent their segment (same mix of detractors,
    passives and promoters, same revenue). Segments in ``base_size`` with no respondents in the
    (filtered) survey are ignored: there is nothing to scale.

    References
    ----------
    Cochran, W. G. (1977). *Sampling Techniques*, 3rd ed., ch. 5 (stratified estimation of totals).
    """
    codes, uniques = pd.factorize(_series(frame, segment, "segment"), use_na_sentinel=True)
    w = _weights_from_codes(codes, uniques, _numeric(frame, revenue, "revenue"), base_size)
    return pd.Series(w, index=frame.index, name="weight")


def _weights_from_codes(codes: np.ndarray, uniques: pd.Index, rev: np.ndarray,
                        base_size: Mapping[str, float]) -> np.ndarray:
    sizes = np.full(len(uniques), np.nan)
    missing = []
    for i, u in enumerate(uniques):
        v = base_size.get(u, base_size.get(str(u)))
        if v is None:
            missing.append(str(u))
            continue
        if not (isinstance(v, int | float) and math.isfinite(v) and v > 0):
            raise CxInputError(f"The base size of segment {u!r} must be a positive number of customers, not {v!r}.")
        sizes[i] = float(v)
    if missing:
        raise CxInputError(
            f"No customer-base size for segment(s) {', '.join(missing[:8])}: give the number of customers "
            "in every segment, or filter the others out."
        )
    has = np.isfinite(rev) & (codes >= 0)
    n_s = np.bincount(codes[has], minlength=len(uniques)).astype("float64")
    empty = [str(u) for u, n in zip(uniques, n_s, strict=True) if n == 0]
    if empty:
        raise CxInputError(
            f"Segment(s) {', '.join(empty[:8])} have respondents but none with a revenue value, so their "
            "value cannot be extrapolated: map a revenue column or use assumed revenue."
        )
    per_segment = np.append(sizes / n_s, np.nan)
    return np.where(has, per_segment[codes], np.nan)  # code -1 (no segment) reads the trailing NaN


# --------------------------------------------------------------------------------------------
# Where revenue comes from
# --------------------------------------------------------------------------------------------

def _pairs(mapping: Mapping[str, float] | None) -> tuple[tuple[str, float], ...]:
    """A mapping as sorted (str, float) pairs, blanks dropped, so equal inputs compare (and cache) equal."""
    out = []
    for k, v in (mapping or {}).items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        out.append((str(k), float(v)))
    return tuple(sorted(out))


def _money_list(pairs: Sequence[tuple[str, float]], currency: str | None, limit: int = 8) -> str:
    shown = [f"{k} {fmt.money_exact(v, currency) if currency is not None else fmt.count(v)}" for k, v in pairs[:limit]]
    return ", ".join(shown) + (f" and {len(pairs) - limit} more" if len(pairs) > limit else "")


@dataclass(frozen=True)
class RevenueBasis:
    """Where each respondent's annual revenue comes from, and whether sums cover the whole base.

    Pass it as ``revenue`` to `revenue_by_group`, `clv_by_group`, `value_by_segment`,
    `value_by_theme` or `value_by_driver`: the revenue is then the mapped column, or the user's
    assumptions (`assumed_revenue`), and with base sizes every sum is extrapolated to the whole
    customer base (`extrapolation_weights`). Build it with `RevenueBasis.build`.

    Attributes
    ----------
    column : str, optional
        The mapped annual revenue column; when given, the assumptions are not used.
    average : float, optional
        Assumed average annual revenue per customer.
    segment : str, optional
        The segment column ``per_segment`` refers to.
    per_segment : tuple of (str, float)
        Assumed average annual revenue per customer for some values of ``segment``.
    base_segment : str, optional
        The segment column ``base_size`` refers to.
    base_size : tuple of (str, float)
        Customers in the whole base per value of ``base_segment``; empty = respondents only.
    """

    column: str | None = None
    average: float | None = None
    segment: str | None = None
    per_segment: tuple[tuple[str, float], ...] = ()
    base_segment: str | None = None
    base_size: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.column is None and self.average is None and not self.per_segment:
            raise CxInputError("Map a revenue column on the Data page, or give an average annual revenue per "
                               "customer (or one per segment value).")
        if self.per_segment and not self.segment:
            raise CxInputError("Revenue per segment needs the segment column it refers to.")
        if self.base_size and not self.base_segment:
            raise CxInputError("Customer-base sizes need the segment column they refer to.")

    @classmethod
    def build(cls, column: str | None = None, average: float | None = None, segment: str | None = None,
              per_segment: Mapping[str, float] | None = None, base_segment: str | None = None,
              base_size: Mapping[str, float] | None = None) -> RevenueBasis:
        """A basis from plain values (dicts as saved with the workspace; blanks dropped).

        With a ``column``, the assumptions are ignored: measured revenue wins. Without
        ``base_size`` (or with an empty one) the figures are for the respondents only.
        """
        if column:
            average, segment, per_segment = None, None, None
        pairs = _pairs(per_segment) if segment else ()
        sizes = _pairs(base_size) if base_segment else ()
        avg = None if average is None or (isinstance(average, float) and math.isnan(average)) else float(average)
        return cls(column=column or None, average=avg, segment=segment if pairs else None, per_segment=pairs,
                   base_segment=base_segment if sizes else None, base_size=sizes)

    @property
    def is_assumed(self) -> bool:
        """True when revenue comes from the user's assumptions, not a column."""
        return self.column is None

    @property
    def is_extrapolated(self) -> bool:
        """True when sums are scaled up to the whole customer base."""
        return bool(self.base_size)

    def respondents_only(self) -> RevenueBasis:
        """The same revenue, without extrapolation."""
        return RevenueBasis(self.column, self.average, self.segment, self.per_segment)

    def revenue(self, frame: pd.DataFrame) -> str | pd.Series:
        """The revenue to sum: the column's name, or the assumed revenue per respondent."""
        if self.column is not None:
            return self.column
        return assumed_revenue(frame, self.segment, self.average, dict(self.per_segment) or None)

    def weights(self, frame: pd.DataFrame) -> pd.Series | None:
        """Extrapolation weights (`extrapolation_weights`), or None for respondents only."""
        if not self.is_extrapolated:
            return None
        return extrapolation_weights(frame, self.base_segment, self.revenue(frame), dict(self.base_size))

    def describe(self, currency: str = "$") -> str:
        """Where the revenue comes from, in plain sentences (for the page and the talking points).

        Examples
        --------
        >>> RevenueBasis.build(average=50_000).describe()
        'Revenue is assumed, not measured: $50,000 a year per customer.'
        """
        if self.column is not None:
            text = f"Revenue is each respondent's annual revenue from the column \"{self.column}\"."
        elif self.per_segment:
            listed = _money_list(self.per_segment, currency)
            rest = (f"; {fmt.money_exact(self.average, currency)} for every other customer"
                    if self.average is not None else "")
            text = (f"Revenue is assumed, not measured: a year per customer by {self.segment}, "
                    f"{listed}{rest}.")
        else:
            text = f"Revenue is assumed, not measured: {fmt.money_exact(self.average, currency)} a year per customer."
        if self.is_extrapolated:
            text += (f" Figures are extrapolated to the whole customer base from the number of customers per "
                     f"{self.base_segment} ({_money_list(self.base_size, None)}), assuming the respondents of "
                     "each represent it; NPS and counts stay those of the respondents.")
        return text


def _resolve(frame: pd.DataFrame, revenue, weights: pd.Series | None) -> tuple[str | pd.Series, pd.Series | None]:
    """Revenue and weights from a `RevenueBasis` (anything else passes through)."""
    if not isinstance(revenue, RevenueBasis):
        return revenue, weights
    basis_weights = revenue.weights(frame)
    if basis_weights is not None and weights is not None:
        raise CxInputError("Give extrapolation weights or a basis with customer-base sizes, not both.")
    return revenue.revenue(frame), basis_weights if basis_weights is not None else weights


def segment_inputs(frame: pd.DataFrame, segment: str, saved: Mapping[str, float] | None = None,
                   column: str = "value") -> pd.DataFrame:
    """A table to type one number per segment value into (assumed revenue, customers in the base).

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey (its values of ``segment`` become the rows).
    segment : str
        The segment column.
    saved : mapping of str to float, optional
        Numbers already entered, by segment value.
    column : str
        Name of the number column.

    Returns
    -------
    pandas.DataFrame
        ``value`` (the segment value, text), ``respondents`` and ``column`` (the saved number,
        NaN when none), most respondents first.

    Examples
    --------
    >>> f = pd.DataFrame({"Unit": ["A", "B", "B", None]})
    >>> segment_inputs(f, "Unit", {"A": 10.0}, "customers").to_dict("list")
    {'value': ['B', 'A'], 'respondents': [2, 1], 'customers': [nan, 10.0]}
    """
    labels = _series(frame, segment, "segment").dropna()
    if isinstance(labels.dtype, pd.CategoricalDtype):  # counted by code, then named
        counts = labels.value_counts(sort=False)
        counts = counts[counts > 0]
        counts.index = counts.index.astype("str")
    else:
        counts = labels.astype("str").value_counts(sort=False)
    table = pd.DataFrame({"value": counts.index.astype("object"), "respondents": counts.to_numpy(dtype=np.int64)})
    table = table.sort_values(["respondents", "value"], ascending=[False, True], kind="stable").reset_index(drop=True)
    saved = {str(k): v for k, v in (saved or {}).items()}
    table[column] = [float(saved[v]) if saved.get(v) is not None else np.nan for v in table["value"]]
    return table


def merge_segment_inputs(saved: Mapping[str, float] | None, table: pd.DataFrame, column: str = "value") -> dict:
    """The saved numbers per segment value, updated from an edited `segment_inputs` table.

    A blank cell removes the value; values not in the table (filtered out of view) are kept.

    Examples
    --------
    >>> t = pd.DataFrame({"value": ["A", "B"], "n": [1.0, float("nan")]})
    >>> merge_segment_inputs({"B": 5.0, "C": 7.0}, t, "n")
    {'C': 7.0, 'A': 1.0}
    """
    out = {str(k): float(v) for k, v in (saved or {}).items() if v is not None}
    for value, number in zip(table["value"], table[column], strict=True):
        key = str(value)
        if number is None or pd.isna(number):
            out.pop(key, None)
        else:
            out[key] = float(number)
    return out


def extrapolation_problem(spec, segment: str) -> str | None:
    """Why the respondents in view cannot be scaled up to the base sizes of ``segment`` (None when they can).

    Parameters
    ----------
    spec : cx.filters.FilterSpec
        The shared filter.
    segment : str
        The segment column the base sizes are given for.

    Returns
    -------
    str or None
        A plain sentence, or None.

    Notes
    -----
    Extrapolation scales each segment value's respondents up to all its customers. A filter on
    the same column, or on dates, keeps whole values (or a period of them): still representative.
    A filter on another column keeps only part of each value, so scaling it up to the value's
    whole base would overstate it.
    """
    others = [col for col, _ in getattr(spec, "segments", ()) if col != segment]
    if getattr(spec, "core_growth", False) and getattr(spec, "icp", ()):
        others.append("core-growth customers")
    if not others:
        return None
    return (f"The filter ({', '.join(others)}) keeps only part of each {segment}: scaling it up to all "
            f"customers of each {segment} would overstate the money. Filter on {segment} only (or clear the "
            "filter) to extrapolate.")


# --------------------------------------------------------------------------------------------
# Raising a driver: the driver model's estimate for a range of rises
# --------------------------------------------------------------------------------------------

def rating_steps(values: pd.Series | np.ndarray) -> list[float]:
    """Rises to offer for a driver: half points up to the scale's span (whole points on 0–10).

    Examples
    --------
    >>> rating_steps(pd.Series([1, 3, 5]))
    [0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]
    """
    x = np.asarray(pd.to_numeric(pd.Series(values), errors="coerce"), dtype="float64")
    x = x[np.isfinite(x)]
    span = float(x.max() - x.min()) if len(x) else 0.0
    if span <= 0:
        return []
    step = 0.5 if span <= 6 else 1.0
    return [step * k for k in range(1, int(math.floor(span / step + 1e-9)) + 1)]


@dataclass(frozen=True)
class DriverResponse:
    """The driver model's estimate (`cx.drivers.predicted_outcome_change`) for each rise of one driver.

    Computed once per driver, so a slider over the rises is a lookup, never a refit.
    """

    driver: str
    changes: tuple  # cx.drivers.PredictedChange, one per rise, smallest first

    @property
    def deltas(self) -> list[float]:
        """The rises computed, in rating points."""
        return [c.delta for c in self.changes]

    def at(self, delta: float):
        """The estimate for the computed rise closest to ``delta``."""
        if not self.changes:
            raise CxInputError(f"No rise of {self.driver!r} was computed.")
        return min(self.changes, key=lambda c: abs(c.delta - float(delta)))

    def feasible_deltas(self, summary: RevenueSummary | ClvSummary, to: str = "passive") -> list[float]:
        """Rises whose predicted NPS change the survey can carry (`driver_change_value` does not refuse).

        A rise of Δ NPS points moves Δ/100 × n detractors to passives (half as many to promoters):
        never more than the survey's detractors.
        """
        out = []
        for c in self.changes:
            if not math.isfinite(c.nps_change):
                continue
            try:
                driver_change_value(summary, c.nps_change, to=to)
            except CxInputError:
                continue
            out.append(c.delta)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per rise: delta, mean_shift, nps_change, promoter_change, detractor_change, n."""
        return pd.DataFrame([{"delta": c.delta, "mean_shift": c.mean_shift, "nps_change": c.nps_change,
                              "promoter_change": c.promoter_change, "detractor_change": c.detractor_change,
                              "n": c.n} for c in self.changes],
                            columns=["delta", "mean_shift", "nps_change", "promoter_change", "detractor_change", "n"])


def driver_response(frame: pd.DataFrame, drivers: Sequence[str], loyalty: str, driver: str,
                    weight: str | None = None, deltas: Sequence[float] | None = None) -> DriverResponse:
    """Model estimate of the NPS change for each rise of one driver's rating.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey.
    drivers : sequence of str
        All driver columns of the model.
    loyalty : str
        The 0–10 likelihood-to-recommend column (the model's outcome).
    driver : str
        The driver to raise.
    weight : str, optional
        Respondent weight column.
    deltas : sequence of float, optional
        Rises in rating points (default: `rating_steps` of the driver's answers).

    Returns
    -------
    DriverResponse

    Raises
    ------
    CxInputError
        When the driver has a single rating (nothing to raise) or the model cannot be fitted (see
        `cx.drivers.predicted_outcome_change`).

    Notes
    -----
    Each rise calls `cx.drivers.predicted_outcome_change`: linear models of the score and of the
    promoter and detractor shares on all drivers; ratings are capped at the top of the scale.
    An association, not a causal promise: label it a model estimate.
    """
    from cx.drivers import predicted_outcome_change

    steps = rating_steps(_series(frame, driver, "driver")) if deltas is None else [float(d) for d in deltas]
    if not steps:
        raise CxInputError(f"Every respondent gives '{driver}' the same rating (or none), so there is no rise to "
                           "estimate.")
    changes = tuple(predicted_outcome_change(frame, list(drivers), loyalty, driver, d, weight=weight)
                    for d in sorted(steps))
    return DriverResponse(driver=driver, changes=changes)


def headline(summary: ClvSummary, currency: str = "$") -> str:
    """What the loyalty gap is worth, in one line for the top of the page.

    Examples
    --------
    >>> s = RevenueSummary.from_counts(40, 22, 38, promoters=700e6, passives=300e6, detractors=612.4e6)
    >>> headline(clv_summary(s))
    'The loyalty gap is worth $612.4M a year: detractors hold 38% of the $1.6B revenue, $265.4M in lifetime value.'
    """
    rev = summary.revenue
    money = lambda x: fmt.money(x, currency)  # noqa: E731
    share = fmt.share(rev.detractor_share) if rev.total else "–"
    base = " across the whole customer base" if rev.extrapolated else ""
    text = (f"The loyalty gap is worth {money(rev.detractors)} a year{base}: detractors hold {share} of the "
            f"{money(rev.total)} revenue")
    if not summary.assumptions.quick:
        text += f", {money(summary.detractors)} in lifetime value"
    return text + "."


# --------------------------------------------------------------------------------------------
# Value by segment, theme and driver
# --------------------------------------------------------------------------------------------

def value_by_segment(frame: pd.DataFrame, loyalty: str | pd.Series, revenue: str | pd.Series, segment: str,
                     assumptions: ClvAssumptions | None = None, base_size: Mapping[str, float] | None = None,
                     weights: pd.Series | None = None) -> pd.DataFrame:
    """Revenue and lifetime value at risk (held by detractors) in each segment.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey.
    loyalty : str or pandas.Series
        The 0–10 likelihood-to-recommend column.
    revenue : str or pandas.Series
        Annual revenue per respondent.
    segment : str
        The segment column (business unit, region, tier).
    assumptions : ClvAssumptions, optional
        For the lifetime-value columns (defaults when omitted).
    base_size : mapping of str to float, optional
        Customers in the whole base per segment: sums are then extrapolated (`extrapolation_weights`)
        and respondents with no segment are left out.
    weights : pandas.Series, optional
        Precomputed extrapolation weights (instead of ``base_size``).

    Returns
    -------
    pandas.DataFrame
        One row per segment, sorted by ``detractor_revenue`` (largest first): ``segment``,
        ``respondents``, ``scored`` (valid loyalty), ``detractors`` (count), ``nps``,
        ``with_revenue``, ``revenue``, ``detractor_revenue`` (revenue at risk), ``at_risk_share``
        (detractor_revenue / revenue), ``value`` (CLV of scored respondents), ``value_at_risk``
        (CLV of detractors); with ``base_size`` also ``base_size`` and ``weight``. Respondents with
        no segment value form a "(missing)" row, except with ``base_size`` (they have no base to
        be scaled to).

    Raises
    ------
    CxInputError
        For missing columns, text revenue, or both ``base_size`` and ``weights``.

    Notes
    -----
    detractor_revenue_s = Σ revenue_i over detractors (0–6) of segment s;
    value_at_risk_s = detractor_revenue_s × gross margin × r_D / (1 + d − r_D).
    """
    a = assumptions or ClvAssumptions()
    revenue, weights = _resolve(frame, revenue, weights)
    if base_size is not None and weights is not None:
        raise CxInputError("Give base sizes or extrapolation weights, not both.")
    seg_codes, uniques = pd.factorize(_series(frame, segment, "segment"), use_na_sentinel=True)
    if base_size is not None:
        weights = pd.Series(_weights_from_codes(seg_codes, uniques, _numeric(frame, revenue, "revenue"), base_size))
    codes, rev, has = _prepare(frame, loyalty, revenue, weights)
    k = len(uniques) + 1
    seg_codes = np.where(seg_codes < 0, k - 1, seg_codes)
    key = seg_codes.astype(np.intp) * 4 + codes.astype(np.intp) + 1
    size = k * 4
    counts, with_rev = (c.reshape(k, 4) for c in _group_counts(key, has, size))
    sums = np.bincount(key, weights=rev, minlength=size).reshape(k, 4)
    multiples = _value_multiples(a)
    scored = counts[:, 1:].sum(axis=1)
    table = pd.DataFrame({
        "segment": [*map(str, uniques), "(missing)"],
        "respondents": counts.sum(axis=1),
        "scored": scored,
        "detractors": counts[:, 1],
        "nps": np.divide(100.0 * (counts[:, 3] - counts[:, 1]), scored, out=np.full(k, np.nan),
                         where=scored > 0),
        "with_revenue": with_rev.sum(axis=1).astype(np.int64),
        "revenue": sums.sum(axis=1),
        "detractor_revenue": sums[:, 1],
    })
    table["at_risk_share"] = table["detractor_revenue"] / table["revenue"].where(table["revenue"] != 0)
    table["value"] = sums @ multiples
    table["value_at_risk"] = sums[:, 1] * multiples[1]
    if base_size is not None:
        table["base_size"] = [float(base_size.get(u, base_size.get(str(u), np.nan))) for u in uniques] + [np.nan]
        table["weight"] = table["base_size"] / table["with_revenue"].where(table["with_revenue"] > 0)
    if counts[-1].sum() == 0 or base_size is not None:
        table = table.iloc[:-1]
    return table.sort_values(["detractor_revenue", "revenue"], ascending=False, kind="stable").reset_index(drop=True)


def value_by_theme(frame: pd.DataFrame, themes: pd.DataFrame, loyalty: str | pd.Series,
                   revenue: str | pd.Series, assumptions: ClvAssumptions | None = None,
                   weights: pd.Series | None = None) -> pd.DataFrame:
    """Revenue and lifetime value of the detractors who mention each comment theme.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey.
    themes : pandas.DataFrame or cx.themes.CodedComments
        Coded comments: one boolean column per theme, rows aligned with ``frame`` (True = the
        respondent's comment mentions the theme; NA counts as False), or the `CodedComments`
        whose ``to_frame()`` gives that matrix.
    loyalty : str or pandas.Series
        The 0–10 likelihood-to-recommend column.
    revenue : str or pandas.Series
        Annual revenue per respondent.
    assumptions : ClvAssumptions, optional
        For the lifetime-value column (defaults when omitted).
    weights : pandas.Series, optional
        Extrapolation weights (`extrapolation_weights`).

    Returns
    -------
    pandas.DataFrame
        One row per theme, sorted by ``detractor_revenue`` (largest first): ``theme``,
        ``mentions`` (respondents mentioning it), ``detractor_mentions``, ``revenue`` (of everyone
        mentioning it), ``detractor_revenue`` (revenue at risk), ``share_of_detractor_revenue``
        (of all detractors' revenue), ``value_at_risk`` (detractors' CLV).

    Raises
    ------
    CxInputError
        When the theme matrix does not have the survey's rows.

    Notes
    -----
    detractor_revenue_t = Σ revenue_i over detractors i whose comment mentions theme t. A comment
    can mention several themes, so the rows do not add up to the detractors' total.
    """
    a = assumptions or ClvAssumptions()
    if not isinstance(themes, pd.DataFrame) and hasattr(themes, "to_frame"):
        themes = themes.to_frame()  # cx.themes.CodedComments
    if len(themes) != len(frame):
        raise CxInputError(
            f"The coded themes have {len(themes):,} rows but the survey has {len(frame):,}: code the "
            "comments of the same (filtered) survey."
        )
    codes, rev, _ = _prepare(frame, loyalty, revenue, weights)
    det = codes == 0
    det_rev = np.where(det, rev, 0.0)
    total_det = float(det_rev.sum())
    rows = []
    for theme in themes.columns:
        m = themes[theme].to_numpy(dtype=bool, na_value=False)
        revenue_t, det_revenue_t, det_n = _masked_sums(m, rev, det_rev, det)
        rows.append({"theme": str(theme), "mentions": int(np.count_nonzero(m)), "detractor_mentions": int(det_n),
                     "revenue": revenue_t, "detractor_revenue": det_revenue_t})
    table = pd.DataFrame(rows, columns=["theme", "mentions", "detractor_mentions", "revenue", "detractor_revenue"])
    table["share_of_detractor_revenue"] = table["detractor_revenue"] / total_det if total_det else np.nan
    table["value_at_risk"] = table["detractor_revenue"] * a.value_multiple("Detractor")
    return table.sort_values(["detractor_revenue", "mentions"], ascending=False, kind="stable").reset_index(drop=True)


def _bottom_box(values: np.ndarray) -> float:
    top = np.nanmax(values) if np.isfinite(values).any() else np.nan
    if not np.isfinite(top) or top <= 5:
        return 2.0
    if top <= 7:
        return 3.0
    if top <= 10:
        return 6.0
    raise CxInputError("A driver's ratings go above 10, so its scale is unknown: give the low-rating threshold.")


def value_by_driver(frame: pd.DataFrame, drivers: Sequence[str], loyalty: str | pd.Series,
                    revenue: str | pd.Series, low: Mapping[str, pd.Series] | None = None,
                    threshold: float | Mapping[str, float] | None = None,
                    assumptions: ClvAssumptions | None = None, weights: pd.Series | None = None) -> pd.DataFrame:
    """Revenue of the respondents who rate each driver low.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey.
    drivers : sequence of str
        Driver rating columns.
    loyalty : str or pandas.Series
        The 0–10 likelihood-to-recommend column.
    revenue : str or pandas.Series
        Annual revenue per respondent.
    low : mapping of str to pandas.Series, optional
        Boolean mask per driver (True = rated low), aligned with ``frame``; overrides the rule.
    threshold : float or mapping of str to float, optional
        A rating at or below this counts as low (one for all drivers or one per driver). Without
        it, the bottom box of the scale: 1–2 on a 1–5 scale, 1–3 on 1–7, 0–6 on 0–10 (the scale
        is read from the highest rating given).
    assumptions : ClvAssumptions, optional
        For the lifetime-value columns (defaults when omitted).
    weights : pandas.Series, optional
        Extrapolation weights (`extrapolation_weights`).

    Returns
    -------
    pandas.DataFrame
        One row per driver, sorted by ``revenue_low`` (largest first): ``driver``, ``low_rule``,
        ``rated`` (answered), ``low_raters``, ``low_share`` (of rated), ``revenue_low`` (revenue of
        low raters), ``share_of_revenue`` (of total revenue), ``revenue_at_risk`` (revenue of low
        raters who are detractors), ``value_low`` (CLV of scored low raters), ``value_at_risk``
        (CLV of low-rating detractors).

    Notes
    -----
    revenue_low_k = Σ revenue_i over respondents i whose rating of driver k is low. A respondent
    may rate several drivers low, so the rows do not add up to the total.
    """
    a = assumptions or ClvAssumptions()
    codes, rev, _ = _prepare(frame, loyalty, revenue, weights)
    multiples = _value_multiples(a)
    clv = rev * multiples[codes.astype(np.intp) + 1]
    det_rev = np.where(codes == 0, rev, 0.0)
    total = float(rev.sum())
    rows = []
    for d in drivers:
        ratings = _numeric(frame, d, "driver")
        rated = np.isfinite(ratings)
        if low is not None and d in low:
            mask = _series(frame, low[d], "low-rating").to_numpy(dtype=bool, na_value=False)
            rule = "as given"
        else:
            t = threshold.get(d) if isinstance(threshold, Mapping) else threshold
            t = _bottom_box(ratings) if t is None else float(t)
            mask = rated & (ratings <= t)
            rule = f"rated {t:g} or lower"
        revenue_low, at_risk, value_low = _masked_sums(mask, rev, det_rev, clv)
        rows.append({"driver": d, "low_rule": rule, "rated": int(np.count_nonzero(rated)),
                     "low_raters": int(np.count_nonzero(mask)), "revenue_low": revenue_low,
                     "revenue_at_risk": at_risk, "value_low": value_low, "value_at_risk": at_risk * multiples[1]})
    cols = ["driver", "low_rule", "rated", "low_raters", "revenue_low", "revenue_at_risk", "value_low",
            "value_at_risk"]
    table = pd.DataFrame(rows, columns=cols)
    table.insert(4, "low_share", table["low_raters"] / table["rated"].where(table["rated"] > 0))
    table.insert(6, "share_of_revenue", table["revenue_low"] / total if total else np.nan)
    return table.sort_values("revenue_low", ascending=False, kind="stable").reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# What-ifs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ConversionWhatIf:
    """What-if: a share of detractors become passives (or promoters)."""

    share: float
    target: str
    n_promoters: int
    n_passives: int
    n_detractors: int
    converted_revenue: float
    revenue_retained: float
    value_retained: float
    assumptions: ClvAssumptions
    extrapolated: bool = False

    @property
    def converted(self) -> float:
        """Expected number of detractors converted, share × detractors (may be fractional)."""
        return self.share * self.n_detractors

    @property
    def n(self) -> int:
        """Respondents with a valid loyalty answer."""
        return self.n_promoters + self.n_passives + self.n_detractors

    @property
    def promoters_after(self) -> float:
        """Promoters after the conversion."""
        return self.n_promoters + (self.converted if self.target == "Promoter" else 0.0)

    @property
    def passives_after(self) -> float:
        """Passives after the conversion."""
        return self.n_passives + (self.converted if self.target == "Passive" else 0.0)

    @property
    def detractors_after(self) -> float:
        """Detractors after the conversion."""
        return self.n_detractors - self.converted

    @property
    def nps_before(self) -> float:
        """NPS now."""
        return _nps_score(self.n_promoters, self.n_detractors, self.n)

    @property
    def nps_after(self) -> float:
        """NPS after the conversion."""
        return _nps_score(self.promoters_after, self.detractors_after, self.n)

    @property
    def nps_change(self) -> float:
        """NPS points gained."""
        return self.nps_after - self.nps_before

    def to_dict(self) -> dict:
        """Inputs and results as plain numbers."""
        return {"share": self.share, "to": _PLURAL[self.target], "converted": self.converted,
                "nps_before": _json(self.nps_before), "nps_after": _json(self.nps_after),
                "promoters_after": self.promoters_after, "passives_after": self.passives_after,
                "detractors_after": self.detractors_after, "converted_revenue": self.converted_revenue,
                "revenue_retained_per_year": self.revenue_retained, "value_retained": self.value_retained,
                "extrapolated": self.extrapolated}


def convert_detractors(summary: RevenueSummary | ClvSummary, share: float, to: str = "passive",
                       assumptions: ClvAssumptions | None = None) -> ConversionWhatIf:
    """What if ``share`` of detractors became passives (or promoters)? New NPS and value kept.

    Parameters
    ----------
    summary : RevenueSummary or ClvSummary
        Revenue and counts by NPS group (`revenue_by_group`, or `RevenueSummary.from_counts`).
        A ClvSummary brings its own assumptions.
    share : float
        Share of detractors converted, 0–1.
    to : {"passive", "promoter"}
        The group they move to.
    assumptions : ClvAssumptions, optional
        Retention, margin, discount rate (the ClvSummary's, else defaults).

    Returns
    -------
    ConversionWhatIf

    Raises
    ------
    CxInputError
        For a share outside 0–1 or an unknown target group.

    Notes
    -----
    converted = share × D (expected count; may be fractional). With n = P + A + D respondents,
    NPS_after = 100 × (P' − D') / n, D' = D − converted, P' = P + converted when they become
    promoters (P' = P when they become passives). The converted detractors are assumed to hold
    the average detractor revenue: converted_revenue = share × detractor revenue.

    Revenue retained per year = converted_revenue × (r_target − r_detractor): the extra revenue
    expected to renew next year because these customers now renew at the target group's rate.

    Value retained (lifetime) = converted_revenue × gross margin × (M(r_target) − M(r_detractor)),
    M(r) = r / (1 + d − r); in quick mode it equals the revenue retained per year.

    With an extrapolated summary the money is for the whole customer base, while counts and NPS
    stay those of the respondents.
    """
    a = assumptions or (summary.assumptions if isinstance(summary, ClvSummary) else ClvAssumptions())
    rev = summary.revenue if isinstance(summary, ClvSummary) else summary
    share = _check_share(share, "share of detractors converted")
    target = _group_name(to)
    if target == "Detractor":
        raise CxInputError("Detractors can be converted to passives or promoters, not to detractors.")
    converted_revenue = share * rev.detractors
    per_year = converted_revenue * (a.retention(target) - a.retention("Detractor"))
    value = per_year if a.quick else converted_revenue * (a.value_multiple(target) - a.value_multiple("Detractor"))
    return ConversionWhatIf(share=share, target=target, n_promoters=rev.n_promoters, n_passives=rev.n_passives,
                            n_detractors=rev.n_detractors, converted_revenue=converted_revenue,
                            revenue_retained=per_year, value_retained=value, assumptions=a,
                            extrapolated=rev.extrapolated)


@dataclass(frozen=True)
class RetentionWhatIf:
    """What-if: the retention (or margin, or discount rate) assumptions change."""

    before: ClvSummary
    after: ClvSummary

    @property
    def change(self) -> float:
        """Change in total lifetime value."""
        return self.after.total - self.before.total

    @property
    def change_by_group(self) -> dict[str, float]:
        """Change in lifetime value per NPS group."""
        return {_PLURAL[g]: self.after.value_of(g) - self.before.value_of(g) for g in GROUPS}

    @property
    def revenue_change_per_year(self) -> float:
        """Extra revenue expected to renew next year: Σ_g revenue_g × (r'_g − r_g)."""
        a, b, r = self.after.assumptions, self.before.assumptions, self.before.revenue
        return sum(r.revenue_of(g) * (a.retention(g) - b.retention(g)) for g in GROUPS)

    def to_dict(self) -> dict:
        """Before, after and the change."""
        return {"before": self.before.total, "after": self.after.total, "change": self.change,
                "change_by_group": self.change_by_group,
                "revenue_change_per_year": self.revenue_change_per_year}


def retention_change(assumptions: ClvAssumptions, new_assumptions: ClvAssumptions,
                     summary: RevenueSummary) -> RetentionWhatIf:
    """Change in lifetime value when the CLV assumptions change (e.g. detractors renew at 70%).

    Parameters
    ----------
    assumptions : ClvAssumptions
        Current assumptions.
    new_assumptions : ClvAssumptions
        Changed assumptions.
    summary : RevenueSummary
        Revenue by NPS group.

    Returns
    -------
    RetentionWhatIf

    Notes
    -----
    ΔCLV = Σ_g revenue_g × (V'_g − V_g), V_g = gross margin × r_g / (1 + d − r_g) (1 in quick
    mode); revenue renewing next year changes by Σ_g revenue_g × (r'_g − r_g).

    References
    ----------
    Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing*, 17(1).
    """
    return RetentionWhatIf(before=clv_summary(summary, assumptions), after=clv_summary(summary, new_assumptions))


@dataclass(frozen=True)
class DriverWhatIf:
    """Value of a predicted NPS change (from the driver model: a model estimate, not a measurement)."""

    driver: str | None
    delta: float | None
    nps_change: float
    target: str
    moved: float
    revenue_per_year: float
    value: float
    nps_before: float
    assumptions: ClvAssumptions

    @property
    def nps_after(self) -> float:
        """Predicted NPS."""
        return self.nps_before + self.nps_change

    def to_dict(self) -> dict:
        """Inputs and results as plain numbers."""
        return {"driver": self.driver, "delta": self.delta, "nps_change": self.nps_change,
                "nps_before": _json(self.nps_before), "nps_after": _json(self.nps_after), "moved": self.moved,
                "to": _PLURAL[self.target], "revenue_per_year": self.revenue_per_year, "value": self.value,
                "model_estimate": True}


def driver_change_value(summary: RevenueSummary | ClvSummary, nps_change: float,
                        assumptions: ClvAssumptions | None = None, to: str = "passive",
                        driver: str | None = None, delta: float | None = None) -> DriverWhatIf:
    """Turn a predicted NPS change (from the driver model) into revenue and lifetime value.

    Parameters
    ----------
    summary : RevenueSummary or ClvSummary
        Revenue and counts by NPS group.
    nps_change : float
        Predicted change in NPS points, computed by the driver engine for "raise driver D by Δ".
    assumptions : ClvAssumptions, optional
        Retention, margin, discount rate (the ClvSummary's, else defaults).
    to : {"passive", "promoter"}
        Where the detractors who move go, for a rise.
    driver, delta : optional
        The driver and the rise in its rating, for labels only.

    Returns
    -------
    DriverWhatIf

    Raises
    ------
    CxInputError
        When the change needs more detractors (or passives, for a drop) than there are.

    Notes
    -----
    A rise of Δ NPS points is read as detractors moving up: moved = Δ / 100 × n / k, k = 1 to
    passives, 2 to promoters, valued as `convert_detractors` with share = moved / D. A drop is
    read as passives slipping to detractors: moved = |Δ| / 100 × n, revenue lost per year =
    moved / A × passive revenue × (r_passive − r_detractor), and likewise in lifetime value.
    """
    a = assumptions or (summary.assumptions if isinstance(summary, ClvSummary) else ClvAssumptions())
    rev = summary.revenue if isinstance(summary, ClvSummary) else summary
    target = _group_name(to)
    if target == "Detractor":
        raise CxInputError("Detractors can move to passives or promoters, not to detractors.")
    x = float(nps_change)
    if x >= 0:
        moved = x / 100.0 * rev.n / (2.0 if target == "Promoter" else 1.0)
        if moved > rev.n_detractors + 1e-9:
            raise CxInputError(
                f"A rise of {x:.1f} NPS points needs more detractors than the survey has: try a smaller change "
                "or converting them to promoters."
            )
        w = convert_detractors(rev, moved / rev.n_detractors if rev.n_detractors else 0.0, target, a)
        per_year, value = w.revenue_retained, w.value_retained
    else:
        target = "Passive"
        moved = -x / 100.0 * rev.n
        if moved > rev.n_passives + 1e-9:
            raise CxInputError(f"A drop of {-x:.1f} NPS points needs more passives than the survey has.")
        moved_revenue = (moved / rev.n_passives if rev.n_passives else 0.0) * rev.passives
        per_year = -moved_revenue * (a.retention("Passive") - a.retention("Detractor"))
        value = per_year if a.quick else -moved_revenue * (a.value_multiple("Passive") - a.value_multiple("Detractor"))
    return DriverWhatIf(driver=driver, delta=None if delta is None else float(delta), nps_change=x, target=target,
                        moved=moved, revenue_per_year=per_year, value=value, nps_before=rev.nps, assumptions=a)


# --------------------------------------------------------------------------------------------
# Talking points
# --------------------------------------------------------------------------------------------

def talking_points(summary: RevenueSummary | ClvSummary, assumptions: ClvAssumptions | None = None,
                   what_if: ConversionWhatIf | RetentionWhatIf | DriverWhatIf
                   | Sequence[ConversionWhatIf | RetentionWhatIf | DriverWhatIf] | None = None,
                   currency: str = "$", notes: Sequence[str] = ()) -> list[str]:
    """The figures and their assumptions as a few plain sentences, ready to paste into a deck.

    Parameters
    ----------
    summary : RevenueSummary or ClvSummary
        Revenue (and lifetime value) by NPS group.
    assumptions : ClvAssumptions, optional
        The CLV assumptions (the ClvSummary's, else defaults).
    what_if : ConversionWhatIf, RetentionWhatIf, DriverWhatIf or a sequence of them, optional
        What-ifs to put in words.
    currency : str
        Currency symbol for `cx.fmt.money`.
    notes : sequence of str, optional
        Sentences about where the figures come from (`RevenueBasis.describe`, the filter in
        view), placed right after the revenue figures.

    Returns
    -------
    list of str
        Plain-text sentences (no markdown), money as ``$612.4M``.

    Examples
    --------
    >>> s = RevenueSummary.from_counts(40, 22, 38, promoters=700e6, passives=300e6, detractors=612.4e6)
    >>> talking_points(s)[0]
    'Detractors hold $612.4M of annual revenue (38% of the $1.6B total).'
    """
    clv = summary if isinstance(summary, ClvSummary) else None
    rev = clv.revenue if clv is not None else summary
    a = assumptions or (clv.assumptions if clv is not None else ClvAssumptions())

    def money(x: float) -> str:
        return fmt.money(x, currency)

    def share_of_total(x: float) -> str:
        return fmt.share(x / rev.total) if rev.total else "–"

    base = " across the whole customer base (extrapolated from respondents)" if rev.extrapolated else ""
    points = [f"Detractors hold {money(rev.detractors)} of annual revenue{base} "
              f"({share_of_total(rev.detractors)} of the {money(rev.total)} total)."]
    points.append(f"Promoters hold {money(rev.promoters)} ({share_of_total(rev.promoters)}) and passives "
                  f"{money(rev.passives)} ({share_of_total(rev.passives)}).")
    points.extend(str(n) for n in notes if n)
    if clv is not None and not a.quick:
        points.append(f"In lifetime value, detractors represent {money(clv.detractors)} and promoters "
                      f"{money(clv.promoters)}, at a {_pct(a.gross_margin)} gross margin and a "
                      f"{_pct(a.discount_rate)} discount rate.")
    items = [] if what_if is None else [what_if] if not isinstance(what_if, Sequence) else list(what_if)
    for w in items:
        if isinstance(w, ConversionWhatIf):
            wa = w.assumptions
            life = "" if wa.quick else f" ({money(w.value_retained)} of lifetime value)"
            points.append(
                f"Converting {_pct(w.share)} of detractors to {_PLURAL[w.target]} keeps "
                f"{money(w.revenue_retained)} of revenue a year{life}, assuming detractors renew at "
                f"{_pct(wa.retention('Detractor'))} and {_PLURAL[w.target]} at {_pct(wa.retention(w.target))}; "
                f"NPS would move from {fmt.signed_int(w.nps_before)} to {fmt.signed_int(w.nps_after)}."
            )
        elif isinstance(w, RetentionWhatIf):
            b, n = w.before.assumptions, w.after.assumptions
            changes = [f"{_PLURAL[g]} renewed at {_pct(n.retention(g))} instead of {_pct(b.retention(g))}"
                       for g in GROUPS if n.retention(g) != b.retention(g)]
            if not n.quick and not b.quick:
                if n.gross_margin != b.gross_margin:
                    changes.append(f"the gross margin were {_pct(n.gross_margin)} instead of {_pct(b.gross_margin)}")
                if n.discount_rate != b.discount_rate:
                    changes.append(f"the discount rate were {_pct(n.discount_rate)} instead of {_pct(b.discount_rate)}")
            if not changes:
                continue
            verb = "rise" if w.change >= 0 else "fall"
            per_year = w.revenue_change_per_year
            points.append(
                f"If {' and '.join(changes)}, lifetime value would {verb} by {money(abs(w.change))}"
                + (f" ({money(abs(per_year))} {'more' if per_year >= 0 else 'less'} revenue renewing each year)."
                   if per_year else ".")
            )
        elif isinstance(w, DriverWhatIf):
            what = (f"Raising {w.driver}" + (f" by {_points(w.delta)}" if w.delta is not None else "")
                    if w.driver else "The driver change")
            verb = "lift" if w.nps_change >= 0 else "lower"
            life = "" if w.assumptions.quick else f" ({money(abs(w.value))} of lifetime value)"
            gain = "worth" if w.revenue_per_year >= 0 else "costing"
            points.append(f"{what} would {verb} NPS by about {fmt.number(abs(w.nps_change), 1)} points "
                          f"(a model estimate), {gain} {money(abs(w.revenue_per_year))} of revenue a year{life}.")
    if a.quick:
        points.append("These figures count this year's revenue only: no margin, no future years.")
    else:
        points.append(f"Lifetime value = annual revenue × {_pct(a.gross_margin)} gross margin × r / "
                      f"(1 + {_pct(a.discount_rate)} − r), with r the share renewing each year: "
                      f"{_pct(a.retention('Promoter'))} for promoters, {_pct(a.retention('Passive'))} for passives, "
                      f"{_pct(a.retention('Detractor'))} for detractors (Gupta & Lehmann).")
    if rev.unscored:
        points.append(f"A further {money(rev.unscored)} belongs to respondents who did not answer the "
                      "recommendation question.")
    if rev.n_missing_revenue:
        points.append(f"{fmt.count(rev.n_missing_revenue)} respondents without a revenue value are left out of "
                      "these sums.")
    return points


# --------------------------------------------------------------------------------------------
# Parsing revenue text
# --------------------------------------------------------------------------------------------

_MISSING_MARKERS = ["-", "--", "—", "–", "n/a", "na", "#n/a", "none", "null", "nan", "?", "n.a.", "unknown"]
_CURRENCY = (r"(?:[a-z]{0,3}[$€£¥₹₩₽¢]|usd|eur|gbp|chf|jpy|cny|rmb|inr|cad|aud|nzd|sek|nok|dkk|pln|czk|huf|"
             r"brl|mxn|zar|sgd|hkd|krw|try|rub|aed|sar|ils|thb|myr|idr|php|kr|zł|fr\.?)")
_SUFFIX = r"(?:thousand|million|billion|mio|mrd|tsd|mm|mn|bn|k|m|b)"
_MONEY = (rf"(?i)^(?P<s1>[-+])?\s*(?:(?P<c1>{_CURRENCY})\s*)?(?P<s2>[-+])?\s*"
          r"(?P<num>[0-9][0-9 .,']*[0-9]|[0-9]|[.,][0-9]+)\s*"
          rf"(?P<suf>{_SUFFIX})?\.?\s*(?:(?P<c2>{_CURRENCY}))?\s*(?P<s3>-)?$")
_MONEY_SYMBOL_ONLY = r"^[-+]?\s*[$€£¥]?\s*[-+]?\s*[0-9](?:[0-9., ']*[0-9])?\s*[$€£¥]?\s*-?$"
_MULTIPLIER = {"thousand": 1e3, "tsd": 1e3, "k": 1e3, "million": 1e6, "mio": 1e6, "mm": 1e6, "mn": 1e6,
               "m": 1e6, "billion": 1e9, "mrd": 1e9, "bn": 1e9, "b": 1e9}
_INT = {".": r"(?:[0-9]+|[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]{1,3}(?:'[0-9]{3})+)",
        ",": r"(?:[0-9]+|[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]{1,3}(?: [0-9]{3})+|[0-9]{1,3}(?:'[0-9]{3})+)"}


@dataclass(frozen=True)
class MoneyParseReport:
    """What `parse_money` did: how many values it read, which it could not, and how."""

    n: int
    n_parsed: int
    n_blank: int
    n_unparseable: int
    examples: tuple[str, ...]
    decimal_mark: str
    n_negative: int
    n_scaled: int
    n_other_mark: int = 0

    @property
    def ok(self) -> bool:
        """True when every non-blank value was read."""
        return self.n_unparseable == 0

    def messages(self) -> list[str]:
        """Plain sentences for the data validation report (empty when there is nothing to say)."""
        out = []
        if self.n_blank:
            out.append(f"{fmt.count(self.n_blank)} of {fmt.count(self.n)} revenue values are blank: they count "
                       "as missing, not as zero.")
        if self.n_unparseable:
            ex = ", ".join(json.dumps(e, ensure_ascii=False) for e in self.examples)
            out.append(f"{fmt.count(self.n_unparseable)} revenue values could not be read as money (for example "
                       f"{ex}): they count as missing; correct them in the file.")
        if self.decimal_mark == ",":
            out.append("Revenue uses a decimal comma (1.234,50 read as 1234.50).")
        if self.n_other_mark:
            mark = "point" if self.decimal_mark == "," else "comma"
            out.append(f"{fmt.count(self.n_other_mark)} revenue values use a decimal {mark}, unlike the rest of "
                       "the column: each was read by its own separators; check them.")
        if self.n_negative:
            out.append(f"{fmt.count(self.n_negative)} revenue values are negative (credits or refunds?).")
        return out

    def to_dict(self) -> dict:
        """All fields as plain values."""
        return {"n": self.n, "n_parsed": self.n_parsed, "n_blank": self.n_blank,
                "n_unparseable": self.n_unparseable, "examples": list(self.examples),
                "decimal_mark": self.decimal_mark, "n_negative": self.n_negative, "n_scaled": self.n_scaled,
                "n_other_mark": self.n_other_mark}


def _parse_money_text(u: pd.Series) -> tuple:
    """Parse text values: values, blank, unreadable, decimal mark, scaled, other-mark (per row)."""
    # pyarrow.compute runs RE2 over the whole column; pandas' str.extract with several groups and
    # str.rfind fall back to a Python loop (7 s on a million values). Plain values ("1234.50",
    # "$1,234.50") skip the full pattern, which is the slow part.
    import pyarrow as pa
    import pyarrow.compute as pc

    def np_bool(x: pa.Array) -> np.ndarray:
        return pc.fill_null(x, False).to_numpy(zero_copy_only=False).astype(bool)

    def field(parts: pa.Array, name: str) -> pa.Array:
        return pc.fill_null(pc.struct_field(parts, name), "")

    if u.dtype == object:
        u = u.map(lambda x: x if x is None or isinstance(x, str) else str(x))  # dates etc. as their text
    t = pc.utf8_trim_whitespace(pc.cast(pa.array(u, from_pandas=True), pa.large_string()))
    n = len(t)
    simple = np_bool(pc.match_substring_regex(t, "^[$€£¥]?[0-9](?:[0-9.,]*[0-9])?$"))
    num = pc.utf8_ltrim(t, characters="$€£¥")
    blank = np_bool(pc.is_null(t)) | np_bool(pc.equal(t, ""))
    negative = np.zeros(n, dtype=bool)
    mult = np.ones(n)
    idx = np.flatnonzero(~simple & ~blank)
    if len(idx):
        c = pc.take(t, pa.array(idx))
        for odd, plain in (("\u00a0", " "), ("\u202f", " "), ("\u2009", " "), ("\u2007", " "), ("\u2212", "-")):
            if pc.any(pc.match_substring(c, odd)).as_py():  # a match costs less than a replace
                c = pc.replace_substring(c, odd, plain)
        c = pc.utf8_trim_whitespace(c)
        blank[idx] = np_bool(pc.is_in(pc.utf8_lower(c), value_set=pa.array(_MISSING_MARKERS)))
        paren = pc.match_substring_regex(c, r"^\(.*\)$")
        c = pc.utf8_trim_whitespace(pc.if_else(paren, pc.utf8_slice_codeunits(c, 1, -1), c))
        # Second tier: signs, parentheses, a currency symbol and spaces, but no code or suffix.
        tier2 = np_bool(pc.match_substring_regex(c, _MONEY_SYMBOL_ONLY))
        c_num = pc.utf8_trim(c, characters="$€£¥+- ")
        neg = np_bool(paren) | (pc.count_substring(c, "-").to_numpy() > 0)
        full = np.flatnonzero(~tier2)
        if len(full):
            parts = pc.extract_regex(pc.take(c, pa.array(full)), _MONEY)
            neg_full = np.zeros(len(full), dtype=bool)
            for s in ("s1", "s2", "s3"):
                neg_full |= np_bool(pc.equal(field(parts, s), "-"))
            neg[full] = np_bool(pc.take(paren, pa.array(full))) | neg_full
            keys = list(_MULTIPLIER)
            k = pc.fill_null(pc.index_in(pc.utf8_lower(field(parts, "suf")), value_set=pa.array(keys)), -1)
            mult[idx[full]] = np.append(np.array([_MULTIPLIER[x] for x in keys]), 1.0)[k.to_numpy()]
            where = np.full(len(idx), -1)
            where[full] = np.arange(len(full))
            full_num = pc.take(pc.utf8_trim_whitespace(field(parts, "num")), pa.array(where, mask=where < 0))
            c_num = pc.if_else(pa.array(tier2), c_num, pc.fill_null(full_num, ""))
        negative[idx] = neg
        pos = np.full(n, -1)
        pos[idx] = np.arange(len(idx))
        taken = pc.take(c_num, pa.array(pos, mask=pos < 0))
        num = pc.if_else(pa.array(simple), num, pc.fill_null(taken, ""))
    num = pc.if_else(pa.array(blank), "", num)
    matched = np_bool(pc.not_equal(num, ""))

    # One decimal mark for the whole column, from the values whose separators say it clearly.
    n_dot = pc.count_substring(num, ".").to_numpy()
    n_comma = pc.count_substring(num, ",").to_numpy()
    rev = pc.utf8_reverse(num)
    after_dot = pc.find_substring(rev, ".").to_numpy()  # digits after the last ".", -1 if none
    after_comma = pc.find_substring(rev, ",").to_numpy()
    both = (n_dot > 0) & (n_comma > 0)
    only_c, only_d = (n_comma > 0) & (n_dot == 0), (n_dot > 0) & (n_comma == 0)
    votes_comma = (both & (after_comma < after_dot)) | (only_d & (n_dot > 1)) | (
        only_c & (n_comma == 1) & (after_comma != 3))
    votes_dot = (both & (after_dot < after_comma)) | (only_c & (n_comma > 1)) | (
        only_d & (n_dot == 1) & (after_dot != 3))
    vc, vd = int(votes_comma.sum()), int(votes_dot.sum())
    if vc != vd:
        decimal = "," if vc > vd else "."
    else:
        # Only "1,234" / "1.234"-like values: three digits after a lone separator mean thousands.
        amb_dot = int((only_d & (n_dot == 1)).sum())
        amb_comma = int((only_c & (n_comma == 1)).sum())
        decimal = "," if amb_dot > amb_comma else "."

    # Unambiguous values are read by their own separators; the column's mark settles the rest.
    mark_comma = votes_comma | (~votes_dot & (decimal == ","))
    other = (votes_comma if decimal == "." else votes_dot) & matched
    # Only non-plain values can hold spaces or apostrophes.
    spaced = [ch for ch in " '" if len(idx) and pc.any(pc.match_substring(num, ch)).as_py()]
    valid = np.zeros(n, dtype=bool)
    clean = num
    for mark, rows in ((".", ~mark_comma), (",", mark_comma)):
        if not (rows & matched).any():
            continue
        sep = "," if mark == "." else "."
        pattern = rf"^{_INT[mark]}?(?:{re.escape(mark)}[0-9]+)?$"
        valid |= rows & np_bool(pc.match_substring_regex(num, pattern))
        x = pc.replace_substring(num, sep, "")
        for ch in spaced:
            x = pc.replace_substring(x, ch, "")
        if mark == ",":
            x = pc.replace_substring(x, ",", ".")
        clean = pc.if_else(pa.array(rows), x, clean)
    ok = matched & valid
    clean = pc.if_else(pa.array(ok), clean, pa.scalar(None, pa.large_string()))
    values = pc.cast(clean, pa.float64()).to_numpy(zero_copy_only=False).astype("float64")
    values = np.where(negative, -1.0, 1.0) * values * mult
    ok &= np.isfinite(values)
    values = np.where(ok, values, np.nan)
    return values, blank, ~ok & ~blank, decimal, ok & (mult != 1.0), ok & other


def parse_money(series: pd.Series) -> tuple[pd.Series, MoneyParseReport]:
    """Read a revenue column written as text into numbers, reporting what could not be read.

    Parameters
    ----------
    series : pandas.Series
        Revenue as text ("$1,234.50", "1.234,50", "€ 2 500", "1.2M", "(1,000)"), as numbers, or a
        mix (spreadsheet columns).

    Returns
    -------
    values : pandas.Series
        float64, same index and name; NaN for blanks and for values that could not be read.
    report : MoneyParseReport
        Counts of values read, blank and unreadable (with up to five examples), the decimal mark
        used, negatives and values with a K/M/B suffix.

    Notes
    -----
    Accepted: currency symbols or codes before or after the number ($, €, £, R$, USD, CHF, kr…);
    thousands separators "," "." space or apostrophe (groups of three digits); a minus sign
    before or after, or parentheses, for negatives; suffixes K / M (MM, Mn, Mio) / B (Bn, Mrd)
    and thousand / million / billion. Blanks and missing markers ("", "-", "N/A", "none") are
    missing and counted; nothing is ever read as zero unless it says 0.

    The decimal mark is decided once for the column: a value with both "." and "," uses the last
    one as decimal mark; a lone separator followed by other than three digits is a decimal mark;
    repeated separators are thousands separators. The majority of these votes (counted over all
    values) is the column's decimal mark; when no value decides, a lone separator followed by
    three digits is read as a thousands separator ("1,234" and "1.234" = 1234). The column's
    mark settles only the ambiguous values (a lone separator followed by three digits): a value
    whose own separators are unambiguous is read by them and counted in ``n_other_mark`` when it
    disagrees with the column. Malformed grouping ("1,23,4") is reported as unreadable, never
    guessed.

    Examples
    --------
    >>> v, r = parse_money(pd.Series(["$1,234.50", "(1,000)", "", "1.2M"]))
    >>> v.tolist(), r.n_blank
    ([1234.5, -1000.0, nan, 1200000.0], 1)
    """
    if not isinstance(series, pd.Series):
        series = pd.Series(series)
    n = len(series)
    out = np.full(n, np.nan)
    if pd.api.types.is_bool_dtype(series):
        raise CxInputError("The revenue column holds true/false values, not money: map another column.")
    if pd.api.types.is_numeric_dtype(series):
        out = np.array(series.to_numpy(dtype="float64", na_value=np.nan))  # a writable copy
        nan = ~np.isfinite(out)
        out[nan] = np.nan
        report = MoneyParseReport(n=n, n_parsed=int(n - nan.sum()), n_blank=int(nan.sum()), n_unparseable=0,
                                  examples=(), decimal_mark=".", n_negative=int((out < 0).sum()), n_scaled=0,
                                  n_other_mark=0)
        return pd.Series(out, index=series.index, name=series.name), report

    obj = series.astype("object") if series.dtype == object else series
    if series.dtype == object:
        is_num = obj.map(lambda x: isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool))
        is_num = is_num.to_numpy(dtype=bool)
    else:
        is_num = np.zeros(n, dtype=bool)
    if is_num.any():
        out[is_num] = pd.to_numeric(obj[is_num], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    num_missing = is_num & np.isnan(out)
    text = obj[~is_num]
    if len(text):
        values, blank, bad, decimal, scaled, other = _parse_money_text(text)
    else:
        values, blank, bad, scaled, other = np.zeros(0), *(np.zeros(0, dtype=bool),) * 4
        decimal = "."
    out[~is_num] = values
    n_blank = int(num_missing.sum()) + int(blank.sum())
    bad_rows = np.flatnonzero(bad)
    n_bad = len(bad_rows)
    examples = tuple(str(x) for x in pd.unique(text.iloc[bad_rows[:1000]].astype("object"))[:5])
    finite = np.isfinite(out)
    report = MoneyParseReport(n=n, n_parsed=int(finite.sum()), n_blank=n_blank, n_unparseable=n_bad,
                              examples=examples, decimal_mark=decimal, n_negative=int((out[finite] < 0).sum()),
                              n_scaled=int(scaled.sum()), n_other_mark=int(other.sum()))
    return pd.Series(out, index=series.index, name=series.name), report
