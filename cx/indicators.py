"""Leading indicators: check that the workflow-diamond metric moves ahead of loyalty.

The 5 Whys end at a workflow diamond, and a metric on it (first-time invoice accuracy, % orders
shipped complete) is meant to be a *leading* indicator: the team sees it before customers do.
This module validates that claim with the surveys: it joins operational metrics (per customer and
period) to survey responses by customer id and period, and correlates each metric with loyalty at
lags of 0 to 3 periods (the metric at period t - k against loyalty at period t).

Periods are calendar months (``2026-01``) or quarters (``2026-Q1``), as in the contract's trend:
a response dated 2026-02-15 belongs to ``2026-02`` (month) or ``2026-Q1`` (quarter). Metric
periods may be dates (any day of the period), ``2026-01``-style months or ``2026-Q1``-style
quarters; monthly metrics are averaged per customer into quarters when the period is a quarter.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist

import numpy as np
import pandas as pd

from cx.errors import CxInputError

PERIODS = ("month", "quarter")
LEVELS = ("respondent", "period")
#: The level whose correlations decide the verdict.
PRIMARY_LEVEL = "respondent"

SUPPORTED = "supported"
NOT_SUPPORTED = "not supported"
NOT_ENOUGH = "not enough data"

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*Q([1-4])\s*$", re.IGNORECASE)
_QUARTER_RE2 = re.compile(r"^\s*Q([1-4])\s*[-/ ]?\s*(\d{4})\s*$", re.IGNORECASE)


# ---------------------------------------------------------------------------------------------
# Periods
# ---------------------------------------------------------------------------------------------


def _check_period(period: str) -> str:
    if period not in PERIODS:
        raise CxInputError(f"Unknown period {period!r}; choose 'month' or 'quarter'.")
    return period


def period_label(ordinal: int, period: str) -> str:
    """Label of a period ordinal: ``2026-01`` (month) or ``2026-Q1`` (quarter).

    Parameters
    ----------
    ordinal : int
        ``year * 12 + month - 1`` for months, ``year * 4 + quarter - 1`` for quarters.
    period : {"month", "quarter"}
        Granularity.

    Returns
    -------
    str
        The label used in tables, charts and the JSON.
    """
    o = int(ordinal)
    if _check_period(period) == "month":
        return f"{o // 12}-{o % 12 + 1:02d}"
    return f"{o // 4}-Q{o % 4 + 1}"


def _ordinal_from_dates(dates: pd.Series, period: str) -> np.ndarray:
    year = dates.dt.year.to_numpy(dtype=float, na_value=np.nan)
    month = dates.dt.month.to_numpy(dtype=float, na_value=np.nan)
    if period == "month":
        return year * 12 + month - 1
    return year * 4 + np.floor((month - 1) / 3)


def period_ordinals(values: pd.Series, period: str, what: str = "Period") -> np.ndarray:
    """Map dates or period labels to integer period ordinals (NaN where missing).

    Parameters
    ----------
    values : pandas.Series
        Dates (datetime64 or date strings), month labels such as ``2026-01``, quarter labels such
        as ``2026-Q1`` / ``Q1 2026``, pandas Periods, or ``YYYYMM`` integers.
    period : {"month", "quarter"}
        Granularity: a date maps to its calendar month or quarter.
    what : str
        Name of the column, for error messages.

    Returns
    -------
    numpy.ndarray of float
        ``year * 12 + month - 1`` (month) or ``year * 4 + quarter - 1`` (quarter); NaN for blanks.

    Raises
    ------
    CxInputError
        For values that are not dates or periods, or quarters when months are asked for.
    """
    _check_period(period)
    s = values
    if isinstance(s.dtype, pd.PeriodDtype):
        if s.dt.freqstr.upper().startswith("Q") and period == "month":
            raise CxInputError(f"{what} holds quarters; choose quarterly periods for this analysis.")
        return _ordinal_from_dates(s.dt.start_time, period)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _ordinal_from_dates(s, period)
    if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_float_dtype(s.dtype):
        v = pd.to_numeric(s, errors="coerce")
        ok = v.dropna()
        if len(ok) and ((ok % 1 == 0) & (ok >= 190001) & (ok <= 210012) & (ok % 100 >= 1) & (ok % 100 <= 12)).all():
            dates = pd.to_datetime(v.astype("Int64").astype("string"), format="%Y%m", errors="coerce")
            return _ordinal_from_dates(dates, period)
        raise CxInputError(f"{what} holds numbers that are not periods; use dates (2026-01-31), months "
                           f"(2026-01) or quarters (2026-Q1).")
    text = s.astype("string").str.strip()
    text = text.mask(text == "")
    out = np.full(len(s), np.nan)
    present = text.notna().to_numpy(dtype=bool)
    if not present.any():
        return out
    t = text[present]
    q1 = t.str.extract(_QUARTER_RE)
    q2 = t.str.extract(_QUARTER_RE2)
    year = pd.to_numeric(q1[0].fillna(q2[1]), errors="coerce")
    quarter = pd.to_numeric(q1[1].fillna(q2[0]), errors="coerce")
    is_q = year.notna().to_numpy(dtype=bool)
    if is_q.any():
        if period == "month":
            raise CxInputError(f"{what} holds quarters (e.g. {t[is_q].iloc[0]!r}); choose quarterly periods.")
        vals = np.full(len(t), np.nan)
        vals[is_q] = (year[is_q] * 4 + quarter[is_q] - 1).to_numpy(dtype=float)
        rest = ~is_q
        if rest.any():
            vals[rest] = _ordinal_from_dates(_parse_dates(t[rest], what), period)
        out[present] = vals
        return out
    out[present] = _parse_dates(t, what).pipe(_ordinal_from_dates, period)
    return out


def _parse_dates(text: pd.Series, what: str) -> pd.Series:
    dates = pd.to_datetime(text, errors="coerce", format="mixed")
    bad = dates.isna()
    if bad.any():
        raise CxInputError(f"{int(bad.sum()):,} value(s) in {what} are not dates or periods "
                           f"(e.g. {text[bad].iloc[0]!r}); use dates (2026-01-31), months (2026-01) or "
                           f"quarters (2026-Q1).")
    return dates


# ---------------------------------------------------------------------------------------------
# Correlation with a Fisher-z interval
# ---------------------------------------------------------------------------------------------


def correlation_ci(r: float, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Fisher-z confidence interval of a Pearson correlation.

    Parameters
    ----------
    r : float
        Sample correlation.
    n : int
        Number of pairs (at least 4).
    confidence : float
        Confidence level (0.95: z = 1.96).

    Returns
    -------
    tuple of float
        ``(tanh(atanh(r) - z / sqrt(n - 3)), tanh(atanh(r) + z / sqrt(n - 3)))``; NaNs when
        ``n < 4`` or r is undefined.

    References
    ----------
    Fisher, R. A. (1921). On the "probable error" of a coefficient of correlation deduced from a
    small sample. *Metron* 1, 3-32.

    Examples
    --------
    >>> [round(v, 3) for v in correlation_ci(0.5, 28)]
    [0.156, 0.736]
    """
    if not math.isfinite(r) or n < 4:
        return math.nan, math.nan
    if abs(confidence - 0.95) < 1e-12:
        z = 1.96
    else:
        z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    r = min(max(r, -1.0), 1.0)
    if abs(r) == 1.0:
        return r, r
    zr = math.atanh(r)
    se = 1 / math.sqrt(n - 3)
    return math.tanh(zr - z * se), math.tanh(zr + z * se)


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[int, float]:
    """Pearson r of two arrays, centred first; NaN when either is constant or n < 2."""
    n = len(x)
    if n < 2:
        return n, math.nan
    dx = x - x.mean()
    dy = y - y.mean()
    sxx, syy = float(dx @ dx), float(dy @ dy)
    denom = math.sqrt(sxx * syy)
    if denom <= 1e-12 * max(1.0, sxx + syy):
        return n, math.nan
    return n, float(dx @ dy) / denom


def _grouped_pearson(keys: pd.DataFrame, x: np.ndarray, y: np.ndarray, by: list[str]) -> pd.DataFrame:
    """Pearson r and n per group, centred within each group (no large-value cancellation)."""
    frame = keys[by].copy()
    frame["x"], frame["y"] = x, y
    g = frame.groupby(by, sort=False, observed=True)
    dx = frame["x"] - g["x"].transform("mean")
    dy = frame["y"] - g["y"].transform("mean")
    frame["sxy"], frame["sxx"], frame["syy"] = dx * dy, dx * dx, dy * dy
    agg = frame.groupby(by, sort=False, observed=True).agg(n=("x", "size"), sxy=("sxy", "sum"),
                                                          sxx=("sxx", "sum"), syy=("syy", "sum"))
    denom = np.sqrt(agg["sxx"] * agg["syy"])
    agg["r"] = np.where(denom > 1e-12 * np.maximum(1.0, agg["sxx"] + agg["syy"]), agg["sxy"] / denom, np.nan)
    return agg.reset_index()[[*by, "n", "r"]]


# ---------------------------------------------------------------------------------------------
# Tidy operational metrics
# ---------------------------------------------------------------------------------------------


def _ids(values: pd.Series) -> pd.Series:
    """Customer ids as text, so ``123``, ``123.0`` and ``"123"`` match across files."""
    s = values
    if pd.api.types.is_float_dtype(s.dtype):
        finite = s.dropna()
        if len(finite) and np.all(np.mod(finite.to_numpy(dtype=float), 1) == 0):
            s = s.astype("Int64")
    out = s.astype("string").str.strip()
    return out.mask(out == "")


def _id_codes(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer code per row (-1 when missing) and the id text of each code.

    Only the distinct ids are turned into text, so a million rows cost one factorize.
    """
    raw_codes, raw_uniques = pd.factorize(values, use_na_sentinel=True)
    text = _ids(pd.Series(raw_uniques, dtype=values.dtype if not isinstance(values.dtype, pd.CategoricalDtype)
                          else values.dtype.categories.dtype))
    map_codes, uniques = pd.factorize(text, use_na_sentinel=True)
    map_codes = np.append(map_codes, -1)  # the row sentinel -1 picks this "missing"
    return map_codes[raw_codes].astype(np.int64), pd.Index(uniques, dtype="string")


def _check_columns(frame: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        shown = ", ".join(map(repr, list(frame.columns)[:12]))
        raise CxInputError(f"{what}: column(s) {', '.join(map(repr, missing))} not found. Columns are: {shown}.")


def _tidy_codes(metrics: pd.DataFrame, id_col: str, period_col: str, metric_cols: Sequence[str] | None,
                metric_col: str | None, value_col: str | None, period: str) -> tuple[pd.DataFrame, pd.Index, list[str]]:
    """Metrics as integer columns ``cust``, ``period``, ``metric`` (codes) and ``value``."""
    _check_period(period)
    _check_columns(metrics, [id_col, period_col], "Operational metrics")
    if (metric_col is None) != (value_col is None):
        raise CxInputError("Long format needs both the metric-name column and the value column.")
    if len(metrics) == 0:
        raise CxInputError("The operational metrics file has no rows.")
    ordinals = period_ordinals(metrics[period_col], period, what=repr(period_col))
    cust, id_index = _id_codes(metrics[id_col])
    if metric_col is not None:
        _check_columns(metrics, [metric_col, value_col], "Operational metrics")
        name_codes, name_uniques = pd.factorize(metrics[metric_col].astype("string").str.strip(), use_na_sentinel=True)
        names = [str(v) for v in name_uniques]
        values = pd.to_numeric(metrics[value_col], errors="coerce").to_numpy(dtype=float)
        long = pd.DataFrame({"cust": cust, "period": ordinals, "metric": name_codes, "value": values})
    else:
        if metric_cols is None:
            metric_cols = [c for c in metrics.columns if c not in (id_col, period_col)
                           and pd.api.types.is_numeric_dtype(metrics[c].dtype)
                           and not pd.api.types.is_bool_dtype(metrics[c].dtype)]
        metric_cols = list(metric_cols)
        if not metric_cols:
            raise CxInputError("No metric columns found: choose the numeric columns that hold the metrics.")
        _check_columns(metrics, metric_cols, "Operational metrics")
        parts = []
        for i, c in enumerate(metric_cols):
            vals = pd.to_numeric(metrics[c], errors="coerce").to_numpy(dtype=float)
            if not np.isfinite(vals).any():
                raise CxInputError(f"Metric {c!r} has no numeric values; choose numeric metric columns.")
            parts.append(pd.DataFrame({"cust": cust, "period": ordinals, "metric": i, "value": vals}))
        long = pd.concat(parts, ignore_index=True)
        names = [str(c) for c in metric_cols]
    keep = (long["cust"].to_numpy() >= 0) & np.isfinite(long["period"].to_numpy()) \
        & np.isfinite(long["value"].to_numpy()) & (long["metric"].to_numpy() >= 0)
    long = long[keep]
    metric = long["metric"].to_numpy().astype(np.int64)
    cust_c = long["cust"].to_numpy().astype(np.int64)
    per = long["period"].to_numpy().astype(np.int64)
    # Mean per (metric, customer, period) through one integer key: much faster than a 3-key groupby.
    p0 = int(per.min()) if len(per) else 0
    span_p = (int(per.max()) - p0 + 1) if len(per) else 1
    span_c = max(len(id_index), 1)
    key = (metric * span_c + cust_c) * span_p + (per - p0)
    uniq, inv = np.unique(key, return_inverse=True)
    sums = np.bincount(inv, weights=long["value"].to_numpy(dtype=float), minlength=len(uniq))
    counts = np.bincount(inv, minlength=len(uniq))
    rest, per_u = np.divmod(uniq, span_p)
    metric_u, cust_u = np.divmod(rest, span_c)
    out = pd.DataFrame({"metric": metric_u, "cust": cust_u, "period": per_u + p0, "value": sums / counts})
    return out, id_index, names


def tidy_metrics(metrics: pd.DataFrame, id_col: str, period_col: str, metric_cols: Sequence[str] | None = None,
                 *, metric_col: str | None = None, value_col: str | None = None,
                 period: str = "month") -> pd.DataFrame:
    """Operational metrics as one value per customer, period and metric.

    Parameters
    ----------
    metrics : pandas.DataFrame
        Wide (``customer_id, month, pct_shipped_complete, invoice_accuracy``) or long
        (``customer_id, month, metric, value``) format.
    id_col, period_col : str
        Customer id and period columns.
    metric_cols : sequence of str, optional
        Wide format: the metric columns (default: every numeric column but id and period).
    metric_col, value_col : str, optional
        Long format: the column naming the metric and the column holding its value.
    period : {"month", "quarter"}
        Granularity of the join.

    Returns
    -------
    pandas.DataFrame
        Columns ``customer_id`` (string), ``period`` (int ordinal), ``metric`` (string, in the
        file's order), ``value`` (float): the mean of the customer's values in the period. Sorted by
        metric (file order), then customer (order of first appearance), then period.

    Raises
    ------
    CxInputError
        On missing columns, no metric column, or a metric with no numeric value.
    """
    codes, id_index, names = _tidy_codes(metrics, id_col, period_col, metric_cols, metric_col, value_col, period)
    out = pd.DataFrame({
        "customer_id": pd.array(id_index.to_numpy()[codes["cust"].to_numpy()], dtype="string"),
        "period": codes["period"].to_numpy(),
        "metric": pd.array(np.asarray(names, dtype=object)[codes["metric"].to_numpy()], dtype="string"),
        "value": codes["value"].to_numpy(),
    })
    return out


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MetricVerdict:
    """Whether the data support a metric as a leading indicator of loyalty.

    Attributes
    ----------
    metric : str
        Metric name.
    from_5_whys : bool
        True when the metric was named in the 5 Whys (listed first).
    status : str
        ``"supported"``, ``"not supported"`` or ``"not enough data"``.
    lag : int or None
        The lag (periods) the verdict quotes.
    r, ci_low, ci_high : float
        Respondent-level correlation at that lag and its 95% interval (NaN when none).
    n : int
        Pairs behind it.
    text : str
        The verdict in words.
    """

    metric: str
    from_5_whys: bool
    status: str
    lag: int | None
    r: float
    ci_low: float
    ci_high: float
    n: int
    text: str

    @property
    def supported(self) -> bool:
        """True when the metric is supported as a leading indicator."""
        return self.status == SUPPORTED

    def to_dict(self) -> dict:
        """JSON-ready verdict."""
        def num(v: float) -> float | None:
            return round(float(v), 4) if math.isfinite(v) else None

        return {"metric": self.metric, "from_5_whys": self.from_5_whys, "status": self.status,
                "lag": self.lag, "r": num(self.r), "ci95": [num(self.ci_low), num(self.ci_high)],
                "n": self.n, "text": self.text}


@dataclass(frozen=True, eq=False)
class LeadingIndicators:
    """Lag correlations of operational metrics with loyalty, and the verdict per metric.

    Attributes
    ----------
    period : str
        ``"month"`` or ``"quarter"``.
    max_lag : int
        Largest lag examined (periods).
    primary_level : str
        ``"respondent"``: the level whose correlations decide the verdicts.
    lags : pandas.DataFrame
        ``metric``, ``level`` (respondent / period), ``lag``, ``n``, ``r``, ``ci_low``, ``ci_high``.
    verdicts : tuple of MetricVerdict
        One per metric, metrics named in the 5 Whys first.
    periods : pandas.DataFrame
        ``metric``, ``period`` (label), ``period_index``, ``metric_mean``, ``n_customers``, ``nps``,
        ``nps_n``, ``nps_ci_low``, ``nps_ci_high``: the metric against NPS over time.
    n_responses : int
        Survey responses with a customer id, a date and a valid 0-10 loyalty answer.
    n_matched : int
        Of those, responses matched to at least one metric value at some lag.
    warnings : tuple of str
        Things the reader should know (unmatched 5 Whys metrics, dropped responses).
    """

    period: str
    max_lag: int
    primary_level: str
    lags: pd.DataFrame
    verdicts: tuple[MetricVerdict, ...]
    periods: pd.DataFrame
    n_responses: int
    n_matched: int
    warnings: tuple[str, ...] = field(default=())

    @property
    def metrics(self) -> list[str]:
        """Metric names in display order (5 Whys first)."""
        return [v.metric for v in self.verdicts]

    def verdict(self, metric: str) -> MetricVerdict:
        """The verdict for one metric."""
        for v in self.verdicts:
            if v.metric == metric:
                return v
        raise CxInputError(f"No metric named {metric!r}; metrics are: {', '.join(self.metrics)}.")

    def to_frame(self) -> pd.DataFrame:
        """One row per metric: the verdict table."""
        return pd.DataFrame([{"metric": v.metric, "from_5_whys": v.from_5_whys, "status": v.status,
                              "lag": v.lag, "r": v.r, "ci_low": v.ci_low, "ci_high": v.ci_high, "n": v.n,
                              "verdict": v.text} for v in self.verdicts])

    def to_dict(self) -> dict:
        """JSON-ready summary: verdicts, lag correlations and the period table."""
        def num(v: float, k: int = 4) -> float | None:
            return round(float(v), k) if v is not None and math.isfinite(v) else None

        lags = [{"metric": str(r.metric), "level": str(r.level), "lag": int(r.lag), "n": int(r.n), "r": num(r.r),
                 "ci95": [num(r.ci_low), num(r.ci_high)]} for r in self.lags.itertuples(index=False)]
        periods = [{"metric": str(r.metric), "period": str(r.period), "metric_mean": num(r.metric_mean, 6),
                    "n_customers": int(r.n_customers), "nps": num(r.nps, 2), "nps_n": int(r.nps_n),
                    "ci95": [num(r.nps_ci_low, 2), num(r.nps_ci_high, 2)]}
                   for r in self.periods.itertuples(index=False)]
        return {"period": self.period, "max_lag": self.max_lag, "primary_level": self.primary_level,
                "n_responses": self.n_responses, "n_matched": self.n_matched,
                "items": [v.to_dict() for v in self.verdicts], "lags": lags, "periods": periods,
                "warnings": list(self.warnings)}


def _nps_by_period(per: np.ndarray, loyalty: np.ndarray) -> pd.DataFrame:
    frame = pd.DataFrame({"period": per.astype(np.int64), "pro": loyalty >= 9, "det": loyalty <= 6})
    g = frame.groupby("period", sort=True).agg(nps_n=("pro", "size"), p=("pro", "mean"), d=("det", "mean"))
    half = 1.96 * 100 * np.sqrt((g["p"] + g["d"] - (g["p"] - g["d"]) ** 2) / g["nps_n"])
    g["nps"] = 100 * (g["p"] - g["d"])
    g["nps_ci_low"], g["nps_ci_high"] = g["nps"] - half, g["nps"] + half
    return g[["nps", "nps_n", "nps_ci_low", "nps_ci_high"]].reset_index()


def _fmt_r(r: float, lo: float, hi: float) -> str:
    return f"{r:.2f} ({lo:.2f} to {hi:.2f})"


def _clear(frame: pd.DataFrame, min_correlation: float, lo_col: str = "ci_low", hi_col: str = "ci_high") -> pd.Series:
    return ((frame[lo_col] > 0) | (frame[hi_col] < 0)) & (frame["r"].abs() >= min_correlation)


def _verdict(metric: str, focus: bool, rows: pd.DataFrame, min_pairs: int, max_lag: int,
             min_correlation: float) -> MetricVerdict:
    usable = rows[(rows["n"] >= min_pairs) & np.isfinite(rows["r"]) & np.isfinite(rows["ci_low"])]
    lead = usable[usable["lag"] >= 1]

    def pick(frame: pd.DataFrame) -> pd.Series:
        return frame.loc[frame["r"].abs().idxmax()]

    if len(lead) == 0:
        most = int(rows.loc[rows["lag"] >= 1, "n"].max()) if (rows["lag"] >= 1).any() else 0
        text = (f"not enough data: at most {most:,} responses matched to the metric 1 to {max_lag} periods "
                f"earlier (need {min_pairs})")
        same = usable[usable["lag"] == 0]
        if len(same):
            s = same.iloc[0]
            text += f"; in the same period the correlation is {_fmt_r(s.r, s.ci_low, s.ci_high)}, n = {int(s.n):,}"
        return MetricVerdict(metric, focus, NOT_ENOUGH, None, math.nan, math.nan, math.nan, most, text)
    # The decision uses Bonferroni intervals over the lags 1..max_lag (several lags are looked at);
    # the text quotes the ordinary 95% interval.
    adj = [correlation_ci(r, n, 1 - 0.05 / max_lag) for r, n in zip(lead["r"], lead["n"])]
    lead = lead.assign(adj_low=[a[0] for a in adj], adj_high=[a[1] for a in adj])
    clear = _clear(lead, min_correlation, "adj_low", "adj_high")
    if clear.any():
        best = pick(lead[clear])
        status = SUPPORTED
        text = (f"supported as a leading indicator: correlation at lag {int(best.lag)} is "
                f"{_fmt_r(best.r, best.ci_low, best.ci_high)}, n = {int(best.n):,}")
    else:
        same = usable[(usable["lag"] == 0)]
        same = same[_clear(same, min_correlation)]
        status = NOT_SUPPORTED
        if len(same):
            best = same.iloc[0]
            text = (f"not supported as a leading indicator: it moves with loyalty in the same period "
                    f"(lag 0: {_fmt_r(best.r, best.ci_low, best.ci_high)}, n = {int(best.n):,}) but not ahead of it")
        else:
            best = pick(lead)
            text = (f"not supported: no lag from 1 to {max_lag} shows a correlation of at least "
                    f"{min_correlation:.2f} that is clearly different from 0 (largest: lag {int(best.lag)}, "
                    f"{_fmt_r(best.r, best.ci_low, best.ci_high)}, n = {int(best.n):,})")
    return MetricVerdict(metric, focus, status, int(best.lag), float(best.r), float(best.ci_low),
                         float(best.ci_high), int(best.n), text)


def validate_leading_indicators(survey: pd.DataFrame, metrics: pd.DataFrame, *, id_col: str, date_col: str,
                                loyalty_col: str, metrics_id_col: str, metrics_period_col: str,
                                metric_cols: Sequence[str] | None = None, metric_col: str | None = None,
                                value_col: str | None = None, period: str = "month", max_lag: int = 3,
                                focus_metrics: Sequence[str] | None = None,
                                min_pairs: int = 30, min_correlation: float = 0.1) -> LeadingIndicators:
    """Correlate operational metrics with loyalty at lags 0 to ``max_lag`` and judge each metric.

    Parameters
    ----------
    survey : pandas.DataFrame
        Cleaned survey frame with a customer id, a response date and the 0-10 loyalty score.
    metrics : pandas.DataFrame
        Operational metrics per customer and period, wide or long (see `tidy_metrics`).
    id_col, date_col, loyalty_col : str
        Survey columns: customer id, response date, likelihood to recommend (0-10).
    metrics_id_col, metrics_period_col : str
        Metrics columns: customer id and period (date, ``2026-01`` or ``2026-Q1``).
    metric_cols : sequence of str, optional
        Wide format metric columns (default: every numeric column).
    metric_col, value_col : str, optional
        Long format: metric-name and value columns.
    period : {"month", "quarter"}
        Calendar month or quarter of the response date.
    max_lag : int
        Largest lag in periods (3 by default: lags 0, 1, 2, 3).
    focus_metrics : sequence of str, optional
        Metrics named in the 5 Whys: listed first, in this order.
    min_pairs : int
        Fewest respondent-level pairs at a lag for the lag to count in the verdict (30).
    min_correlation : float
        Smallest absolute correlation worth acting on (0.1, Cohen's "small" effect).

    Returns
    -------
    LeadingIndicators
        Lag correlations at both levels, verdicts and the period table.

    Raises
    ------
    CxInputError
        On missing columns, no usable responses or unreadable periods.

    Notes
    -----
    Lag k pairs the metric of customer i at period t - k with the loyalty answer of customer i at
    period t. Two levels:

    - *respondent* (primary): Pearson r between the customer's metric value (its mean over the
      period) and its 0-10 loyalty answer, over all responses that have the metric k periods
      earlier. It uses the account's own experience and has far more pairs than periods.
    - *period*: Pearson r between the mean metric over all customers at t - k and the NPS of all
      respondents at t. With few periods its intervals are wide, and a shared trend can create a
      correlation, so it supports the chart rather than the verdict.

    Intervals: Fisher z, ``tanh(atanh(r) +- 1.96 / sqrt(n - 3))``. They assume independent pairs;
    customers answering in several periods make them somewhat too narrow. Verdict: *supported*
    when a lag k from 1 to ``max_lag`` with at least ``min_pairs`` pairs has ``|r| >=
    min_correlation`` and a Bonferroni interval (confidence ``1 - 0.05 / max_lag``, because several
    lags are looked at) that excludes 0; the qualifying lag with the largest ``|r|`` is quoted with
    its ordinary 95% interval, and its sign gives the direction. *Not supported* otherwise (with a
    note when only lag 0 is clear); *not enough data* when no lag from 1 to ``max_lag`` has
    ``min_pairs`` pairs. NPS per period and its interval follow the contract: score +- 1.96 * 100 *
    sqrt((p + d - (p - d)^2) / n).

    References
    ----------
    Fisher, R. A. (1921). *Metron* 1, 3-32.
    Kaplan, R. S. and Norton, D. P. (1996). *The Balanced Scorecard*, HBS Press (leading and
    lagging indicators).
    """
    _check_period(period)
    if isinstance(max_lag, bool) or not isinstance(max_lag, (int, np.integer)) or not 1 <= max_lag <= 24:
        raise CxInputError(f"The largest lag must be a whole number from 1 to 24; got {max_lag!r}.")
    if not isinstance(min_correlation, (int, float)) or not 0 <= min_correlation < 1:
        raise CxInputError(f"The smallest correlation worth acting on must be from 0 to 1; got {min_correlation!r}.")
    if isinstance(min_pairs, bool) or not isinstance(min_pairs, (int, np.integer)) or min_pairs < 4:
        raise CxInputError(f"The minimum number of pairs must be a whole number of at least 4; got {min_pairs!r}.")
    _check_columns(survey, [id_col, date_col, loyalty_col], "Survey")
    warnings: list[str] = []

    tidy, id_index, names = _tidy_codes(metrics, metrics_id_col, metrics_period_col, metric_cols, metric_col,
                                        value_col, period)
    if len(tidy) == 0:
        raise CxInputError("No usable metric values (each needs a customer id, a period and a number).")

    loyalty = pd.to_numeric(survey[loyalty_col], errors="coerce").to_numpy(dtype=float)
    valid_loyalty = np.isfinite(loyalty) & (loyalty >= 0) & (loyalty <= 10)
    per = period_ordinals(survey[date_col], period, what=repr(date_col))
    s_codes, s_index = _id_codes(survey[id_col])
    has_date = np.isfinite(per)
    has_id = s_codes >= 0
    ok = valid_loyalty & has_date & has_id
    n_responses = int(ok.sum())
    dropped = int((valid_loyalty & ~(has_date & has_id)).sum())
    if dropped:
        warnings.append(f"{dropped:,} response(s) with a loyalty score but no customer id or date were left out.")
    if n_responses == 0:
        raise CxInputError("No survey response has a customer id, a date and a valid 0-10 loyalty score.")
    # Survey ids as codes of the metrics file's ids (-1: customer without metrics).
    to_metric = np.append(id_index.get_indexer(s_index), -1)
    resp = pd.DataFrame({"cust": to_metric[s_codes[ok]], "period": per[ok].astype(np.int64), "loyalty": loyalty[ok]})
    resp["row"] = np.arange(len(resp))
    resp = resp[resp["cust"] >= 0]

    # Respondent level: the customer's metric k periods before the response, found through one
    # integer key per (customer, period); base keeps period - k - base >= 1 for every lag.
    rows = []
    matched = np.zeros(n_responses, dtype=bool)
    name_of = np.asarray(names, dtype=object)
    base = int(min(tidy["period"].min(), resp["period"].min() if len(resp) else 0)) - max_lag - 1
    span = int(max(tidy["period"].max(), resp["period"].max() if len(resp) else 0)) - base + 1
    r_key = resp["cust"].to_numpy() * span + (resp["period"].to_numpy() - base)
    r_row = resp["row"].to_numpy()
    r_y = resp["loyalty"].to_numpy(dtype=float)
    for m, sub in tidy.groupby("metric", sort=True):
        index = pd.Index(sub["cust"].to_numpy() * span + (sub["period"].to_numpy() - base))
        values = sub["value"].to_numpy(dtype=float)
        for k in range(max_lag + 1):
            pos = index.get_indexer(r_key - k)
            hit = pos >= 0
            matched[r_row[hit]] = True
            n_k, r_k = _pearson(values[pos[hit]], r_y[hit])
            rows.append({"metric": names[int(m)], "n": n_k, "r": r_k, "lag": k})
    # Period level: mean metric at t - k against NPS at t.
    per_metric = tidy.groupby(["metric", "period"], sort=True, observed=True)["value"].agg(
        metric_mean="mean", n_customers="size").reset_index()
    per_metric["metric"] = name_of[per_metric["metric"].to_numpy()]
    # Responses without a customer id still count in the NPS of their period.
    all_resp = valid_loyalty & has_date
    nps = _nps_by_period(per[all_resp], loyalty[all_resp])
    prow = []
    for k in range(max_lag + 1):
        pairs = per_metric.assign(period=per_metric["period"] + k).merge(nps, on="period", how="inner")
        if len(pairs):
            res = _grouped_pearson(pairs, pairs["metric_mean"].to_numpy(float), pairs["nps"].to_numpy(float),
                                   ["metric"])
            res["lag"] = k
            prow.append(res)

    lag_cols = ["metric", "level", "lag", "n", "r", "ci_low", "ci_high"]
    full = pd.MultiIndex.from_product([names, LEVELS, range(max_lag + 1)], names=["metric", "level", "lag"])
    found = []
    if rows:
        found.append(pd.DataFrame(rows).assign(level="respondent"))
    if prow:
        found.append(pd.concat(prow, ignore_index=True).assign(level="period"))
    if found:
        lags = pd.concat(found, ignore_index=True).astype({"metric": str})
        lags = lags.set_index(["metric", "level", "lag"]).reindex(full).reset_index()
    else:
        lags = full.to_frame(index=False).assign(n=0, r=np.nan)
    lags["n"] = lags["n"].fillna(0).astype("int64")
    cis = [correlation_ci(r, n) for r, n in zip(lags["r"].to_numpy(float), lags["n"].to_numpy())]
    lags["ci_low"] = [c[0] for c in cis]
    lags["ci_high"] = [c[1] for c in cis]
    lags = lags[lag_cols].astype({"metric": "string", "level": "string", "lag": "int64"})

    # 5 Whys metrics first, in the order given.
    focus_order: list[str] = []
    lower = {m.strip().lower(): m for m in names}
    for f in focus_metrics or []:
        m = f if f in names else lower.get(str(f).strip().lower())
        if m is None:
            warnings.append(f"The 5 Whys metric {f!r} is not in the metrics file.")
        elif m not in focus_order:
            focus_order.append(m)
    ordered = focus_order + [m for m in names if m not in focus_order]
    resp_lags = lags[lags["level"] == PRIMARY_LEVEL]
    verdicts = tuple(_verdict(m, m in focus_order, resp_lags[resp_lags["metric"] == m], min_pairs, max_lag,
                              float(min_correlation)) for m in ordered)
    no_match = [v.metric for v in verdicts if v.n == 0]
    if no_match:
        warnings.append(f"No survey response matched {', '.join(no_match[:5])} by customer id and period; "
                        f"check that ids and periods are the same in both files.")

    # Every period with a metric value or an NPS, per metric (NPS-only periods show the NPS line).
    parts = []
    for m in ordered:
        sub = per_metric[per_metric["metric"] == m].drop(columns="metric").merge(nps, on="period", how="outer")
        sub.insert(0, "metric", m)
        parts.append(sub)
    table = pd.concat(parts, ignore_index=True)
    table["metric"] = pd.Categorical(table["metric"].astype(str), categories=ordered)
    table = table.sort_values(["metric", "period"], kind="stable").reset_index(drop=True)
    table["period_index"] = table["period"].astype("int64")
    table["period"] = [period_label(o, period) for o in table["period_index"]]
    table["n_customers"] = table["n_customers"].fillna(0).astype("int64")
    table["nps_n"] = table["nps_n"].fillna(0).astype("int64")
    table["metric"] = table["metric"].astype("string")
    table = table[["metric", "period", "period_index", "metric_mean", "n_customers", "nps", "nps_n",
                   "nps_ci_low", "nps_ci_high"]]

    return LeadingIndicators(period=period, max_lag=int(max_lag), primary_level=PRIMARY_LEVEL, lags=lags,
                             verdicts=verdicts, periods=table, n_responses=n_responses,
                             n_matched=int(matched.sum()), warnings=tuple(warnings))


# ---------------------------------------------------------------------------------------------
# Inputs from other pages and files
# ---------------------------------------------------------------------------------------------


def indicators_from_root_causes(root_causes) -> list[str]:
    """Names of the leading-indicator metrics chosen in the 5 Whys, in order, without repeats.

    Parameters
    ----------
    root_causes : list of dict or None
        The Root cause page's work: one dict per 5 Whys, each may hold ``indicator: {"name": ...}``
        (a plain string is accepted too). Anything else is ignored.

    Returns
    -------
    list of str
        Stripped, non-empty names, first mention first.

    Examples
    --------
    >>> indicators_from_root_causes([{"indicator": {"name": " Invoice accuracy "}}, {"theme": "x"},
    ...                              {"indicator": {"name": "Invoice accuracy"}}, None])
    ['Invoice accuracy']
    """
    if not isinstance(root_causes, (list, tuple)):
        return []
    names: list[str] = []
    for item in root_causes:
        if not isinstance(item, dict):
            continue
        ind = item.get("indicator")
        name = ind.get("name") if isinstance(ind, dict) else ind
        if isinstance(name, str) and name.strip() and name.strip() not in names:
            names.append(name.strip())
    return names


@dataclass(frozen=True)
class MetricsLayout:
    """A guess of how an operational-metrics file is laid out (the page's default choices).

    Attributes
    ----------
    id_col : str or None
        Customer id column.
    period_col : str or None
        Month, quarter or date column.
    metric_cols : tuple of str
        Wide format: the numeric metric columns.
    metric_col, value_col : str or None
        Long format: metric-name and value columns (both set when the file looks long).
    """

    id_col: str | None
    period_col: str | None
    metric_cols: tuple[str, ...]
    metric_col: str | None = None
    value_col: str | None = None

    @property
    def long(self) -> bool:
        """True when the file looks long (one row per customer, period and metric)."""
        return self.metric_col is not None and self.value_col is not None


def guess_metrics_layout(metrics: pd.DataFrame, id_hint: str | None = None) -> MetricsLayout:
    """Guess the id, period and metric columns of an operational-metrics file.

    Parameters
    ----------
    metrics : pandas.DataFrame
        The metrics file as read.
    id_hint : str, optional
        The survey's customer id column name: a column with the same name (any case) is the id.

    Returns
    -------
    MetricsLayout
        Id: the column named like ``id_hint``, else the first whose name has the word "id",
        "account", "customer" or "client". Period: the first with the word "month", "period",
        "quarter" or "date". Long format when a text column is named "metric"/"kpi"/"measure" and a
        numeric one "value"; otherwise wide, with every other numeric column as a metric.
    """
    cols = [str(c) for c in metrics.columns]
    low = {c: c.lower() for c in cols}

    def first(words: tuple[str, ...], exclude: tuple[str | None, ...] = ()) -> str | None:
        for c in cols:
            if c not in exclude and any(re.search(rf"(?<![a-z]){w}(?![a-z])", low[c]) for w in words):
                return c
        return None

    id_col = None
    if id_hint:
        id_col = next((c for c in cols if low[c] == id_hint.strip().lower()), None)
    id_col = id_col or first(("id", "account", "customer", "client"))
    period_col = first(("month", "period", "quarter", "date"), (id_col,))
    numeric = [c for c in cols if c not in (id_col, period_col)
               and pd.api.types.is_numeric_dtype(metrics[c].dtype) and not pd.api.types.is_bool_dtype(metrics[c].dtype)]
    metric_col = next((c for c in cols if c not in (id_col, period_col) and c not in numeric
                       and low[c] in ("metric", "kpi", "measure", "metric name", "indicator")), None)
    value_col = next((c for c in numeric if low[c] in ("value", "metric value", "amount")), None)
    if metric_col and value_col:
        return MetricsLayout(id_col, period_col, (), metric_col, value_col)
    return MetricsLayout(id_col, period_col, tuple(numeric))
