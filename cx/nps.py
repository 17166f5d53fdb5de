"""Net Promoter Score with its margin of error, by segment and over time.

Every score carries its uncertainty, and a difference is called real only when a two-sided z-test
at the 5% level says so, so analysts stop reading noise as change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

Z95 = 1.959963984540054
MIN_BASE = 30
GROUPS = ("Detractor", "Passive", "Promoter")

METHOD_NOTE = (
    "NPS = % promoters (9–10) − % detractors (0–6). 95% interval: normal approximation with the "
    "trinomial variance, score ± 1.96 × 100 × √((p + d − (p − d)²) / n), p and d the promoter and "
    "detractor shares. A difference is significant when a two-sided z-test (standard errors added in "
    "quadrature) gives p < 0.05. A segment or period with fewer than 30 answers is too small to judge: no "
    "difference or change is reported for it."
)


def nps_group(loyalty: pd.Series) -> pd.Series:
    """Promoter (9–10), Passive (7–8) or Detractor (0–6) for each 0–10 answer; missing stays missing."""
    values = loyalty.to_numpy(dtype="float64", na_value=np.nan)
    out = np.where(values >= 9, "Promoter", np.where(values >= 7, "Passive", "Detractor")).astype(object)
    out[np.isnan(values)] = None
    return pd.Series(out, index=loyalty.index, name="NPS group", dtype="str")


@dataclass(frozen=True)
class NpsResult:
    """NPS of one group of respondents, with its 95% interval.

    ``score`` is on the −100..100 scale. With weights, shares are weighted and the interval uses the
    Kish effective sample size; counts stay unweighted.
    """

    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    se: float | None
    weighted: bool = False
    effective_n: float | None = None

    @property
    def ci95(self) -> tuple[float, float] | None:
        """The 95% interval (normal approximation)."""
        if self.score is None or self.se is None:
            return None
        return (self.score - Z95 * self.se, self.score + Z95 * self.se)

    @property
    def margin(self) -> float | None:
        """Half-width of the 95% interval, in NPS points."""
        return None if self.se is None else Z95 * self.se

    @property
    def shares(self) -> dict[str, float]:
        """Unweighted shares of detractors, passives and promoters."""
        if not self.n:
            return {g: math.nan for g in GROUPS}
        return {"Detractor": self.detractors / self.n, "Passive": self.passives / self.n,
                "Promoter": self.promoters / self.n}

    def to_dict(self) -> dict:
        """The contract's ``nps`` object: n, score, promoters, passives, detractors, ci95."""
        ci = self.ci95
        return {"n": self.n, "score": _round(self.score), "promoters": self.promoters, "passives": self.passives,
                "detractors": self.detractors, "ci95": [_round(ci[0]), _round(ci[1])] if ci else None,
                **({"weighted": True, "effective_n": _round(self.effective_n)} if self.weighted else {})}


def _round(x: float | None, digits: int = 6) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), digits)


def nps_from_counts(promoters: int, passives: int, detractors: int) -> NpsResult:
    """NPS and its standard error from the three counts.

    Notes
    -----
    score = 100 (p − d); Var = (p + d − (p − d)²) / n (the variance of a ticket worth +1, 0, −1).

    References
    ----------
    whuber, "How can I calculate margin of error in a NPS result?", Cross Validated 18603 (answer
    18609); B. Rocks, R package NPS, ``nps_var``.
    """
    n = promoters + passives + detractors
    if n == 0:
        return NpsResult(0, 0, 0, 0, None, None)
    p, d = promoters / n, detractors / n
    var = max(p + d - (p - d) ** 2, 0.0)
    return NpsResult(n, promoters, passives, detractors, 100 * (p - d), 100 * math.sqrt(var / n))


def _codes(loyalty: pd.Series) -> np.ndarray:
    """0 detractor, 1 passive, 2 promoter, -1 missing (one byte each)."""
    v = loyalty.to_numpy(dtype="float64", na_value=np.nan)
    codes = (v >= 7).astype(np.int8)
    codes += v >= 9
    codes[np.isnan(v)] = -1
    return codes


def nps_summary(frame: pd.DataFrame, loyalty: str, weight: str | None = None) -> NpsResult:
    """NPS of all respondents with a valid 0–10 answer.

    Parameters
    ----------
    frame : the cleaned survey (loyalty already numeric 0–10, NaN when missing).
    loyalty : the loyalty column.
    weight : optional weight column; weighted shares, Kish effective n in the interval.

    Returns
    -------
    NpsResult

    Examples
    --------
    >>> import pandas as pd
    >>> r = nps_summary(pd.DataFrame({"ltr": [10, 9, 8, 6, None]}), "ltr")
    >>> (r.n, r.score)
    (4, 25.0)
    """
    codes = _codes(frame[loyalty])
    w = None if weight is None else frame[weight].to_numpy(dtype="float64", na_value=np.nan)
    return _nps_of_codes(codes, w)


def _nps_of_codes(codes: np.ndarray, w: np.ndarray | None) -> NpsResult:
    return _grouped(np.zeros(len(codes), dtype=np.int64), 1, codes, w)[0]


def _grouped(groups: np.ndarray, k: int, codes: np.ndarray, w: np.ndarray | None) -> list[NpsResult]:
    """NPS of each of k groups in one pass (group -1 and code -1 are left out)."""
    if w is None:
        return [nps_from_counts(int(p_), int(q_), int(d_)) for d_, q_, p_ in _group_counts(groups, k, codes)]
    w = np.where(np.isfinite(w) & (w > 0), w, 0.0)
    counts = _group_counts(groups, k, codes)
    wsum = _group_counts(groups, k, codes, w)
    w2sum = _group_counts(groups, k, codes, w**2).sum(axis=1)
    out = []
    for g in range(k):
        d_, q_, p_ = (int(x) for x in counts[g])
        base = nps_from_counts(p_, q_, d_)
        if base.n == 0 or wsum[g].sum() <= 0:
            out.append(base)
            continue
        total = wsum[g].sum()
        p, d = wsum[g, 2] / total, wsum[g, 0] / total
        n_eff = total**2 / w2sum[g]
        var = max(p + d - (p - d) ** 2, 0.0)
        out.append(NpsResult(base.n, base.promoters, base.passives, base.detractors, 100 * (p - d),
                             100 * math.sqrt(var / n_eff), weighted=True, effective_n=float(n_eff)))
    return out


def _group_counts(groups: np.ndarray, k: int, codes: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Detractors, passives and promoters of each of k groups, a (k, 3) array (group or code -1 left out).

    With ``weights``, their summed weights instead of counts.
    """
    key = groups.astype(np.int64) * 3
    key += codes
    key[(groups < 0) | (codes < 0)] = 3 * k  # one bin past the end for what is left out
    return np.bincount(key, weights=weights, minlength=3 * k + 1)[:3 * k].reshape(k, 3)


@dataclass(frozen=True)
class Difference:
    """A two-sided z-test of the difference between two NPS scores."""

    difference: float | None
    se: float | None
    z: float | None
    p_value: float | None

    @property
    def significant(self) -> bool:
        """True when p < 0.05."""
        return self.p_value is not None and self.p_value < 0.05


def nps_difference(a: NpsResult, b: NpsResult) -> Difference:
    """Test a's NPS against b's: z = (a − b) / √(se_a² + se_b²), two-sided normal p-value.

    Notes
    -----
    Independent samples; standard errors added in quadrature. When both standard errors are zero
    (e.g. everyone a promoter in both groups) the difference is significant only if non-zero.
    """
    if a.score is None or b.score is None or a.se is None or b.se is None:
        return Difference(None, None, None, None)
    diff = a.score - b.score
    se = math.sqrt(a.se**2 + b.se**2)
    if se == 0:
        return Difference(diff, 0.0, None, 0.0 if diff != 0 else 1.0)
    z = diff / se
    return Difference(diff, se, z, math.erfc(abs(z) / math.sqrt(2)))


def nps_by_segment(frame: pd.DataFrame, loyalty: str, segment: str, weight: str | None = None,
                   min_base: int = MIN_BASE) -> pd.DataFrame:
    """NPS of every value of a segment column, each tested against all other respondents.

    Returns
    -------
    DataFrame
        One row per segment value (values with no valid score included, n = 0): value, n,
        promoters, passives, detractors, score, ci_low, ci_high, margin, difference (segment minus
        the rest), p_value, differs (significant at 5%), small_base (n < `min_base`). Sorted by n,
        largest first.
    """
    codes = _codes(frame[loyalty])
    seg_codes, values = segment_codes(frame[segment])
    seen = np.bincount(seg_codes + 1, minlength=len(values) + 1)[1:] > 0
    groups = [g for g in range(len(values)) if seen[g]]  # values present in this view only
    w = None if weight is None else frame[weight].to_numpy(dtype="float64", na_value=np.nan)
    k = len(values)
    if w is None:
        # segment k holds the respondents without a segment value: they belong to every "rest"
        counts = _group_counts(np.where(seg_codes >= 0, seg_codes, k), k + 1, codes)
        total = counts.sum(axis=0)
        inside = {g: nps_from_counts(int(counts[g, 2]), int(counts[g, 1]), int(counts[g, 0])) for g in groups}
    else:
        inside = dict(enumerate(_grouped(seg_codes, k, codes, w)))
    rows = []
    for g in groups:
        value = values[g]
        res = inside[g]
        if w is None:
            d_, q_, p_ = (int(x) for x in total - counts[g])
            rest_g = nps_from_counts(p_, q_, d_)
        else:
            rest_g = _nps_of_codes(np.where(seg_codes == g, -1, codes), w)
        diff = nps_difference(res, rest_g) if res.n and rest_g.n else Difference(None, None, None, None)
        ci = res.ci95
        rows.append({
            "value": str(value), "n": res.n, "promoters": res.promoters, "passives": res.passives,
            "detractors": res.detractors, "score": res.score, "ci_low": ci[0] if ci else None,
            "ci_high": ci[1] if ci else None, "margin": res.margin, "difference": diff.difference,
            "p_value": diff.p_value, "differs": bool(diff.significant),
            "small_base": res.n < min_base,
        })
    out = pd.DataFrame(rows, columns=["value", "n", "promoters", "passives", "detractors", "score", "ci_low",
                                      "ci_high", "margin", "difference", "p_value", "differs", "small_base"])
    out = out.astype({"n": "int64", "promoters": "int64", "passives": "int64", "detractors": "int64",
                      "differs": bool, "small_base": bool})
    return out.sort_values(["n", "value"], ascending=[False, True], kind="stable").reset_index(drop=True)


def segment_rows_to_dict(table: pd.DataFrame) -> list[dict]:
    """Rows of `nps_by_segment` as the contract's ``segments`` items."""
    out = []
    for r in table.itertuples(index=False):
        item = {"value": r.value, "n": int(r.n), "score": _round(r.score), "promoters": int(r.promoters),
                "passives": int(r.passives), "detractors": int(r.detractors),
                "ci95": [_round(r.ci_low), _round(r.ci_high)] if r.score is not None and not pd.isna(r.score)
                else None,
                "differs": bool(r.differs), "p_value": _round(r.p_value), "small_base": bool(r.small_base)}
        out.append(item)
    return out


PERIODS = {"month": "M", "quarter": "Q"}


def period_labels(dates: pd.Series, period: str) -> pd.Series:
    """Calendar month ("2026-01") or quarter ("2026-Q1") of each date; missing where the date is."""
    codes, labels = _period_codes(dates, period)
    return pd.Series(np.array([*labels, None], dtype=object)[codes], index=getattr(dates, "index", None), dtype="str")


TREND_COLUMNS = ["period", "n", "score", "ci_low", "ci_high", "margin", "change", "p_value", "significant_change",
                 "small_base", "reportable_change"]


def nps_trend(frame: pd.DataFrame, loyalty: str, date: str | None = None, period: str = "quarter",
              wave: str | None = None, weight: str | None = None) -> pd.DataFrame:
    """NPS per period, oldest first, each tested against the previous period.

    Parameters
    ----------
    frame, loyalty : the cleaned survey and its loyalty column.
    date : the response-date column (periods are calendar months or quarters).
    period : "month" or "quarter".
    wave : instead of a date, a column naming the survey wave (ordered by its values).
    weight : optional weight column.

    Returns
    -------
    DataFrame
        period, n, score, ci_low, ci_high, margin, change (vs previous), p_value,
        significant_change (the z-test at 5%; false for the first period), small_base (n < `MIN_BASE`),
        reportable_change (significant, and neither period has a small base: what reports call a
        change, since a handful of answers swings by chance).
    """
    period_codes, keys = period_groups(frame, date, period, wave)
    codes = _codes(frame[loyalty])
    order = sorted(range(len(keys)), key=lambda i: _natural_key(keys[i]))
    w = None if weight is None else frame[weight].to_numpy(dtype="float64", na_value=np.nan)
    results = _grouped(period_codes, len(keys), codes, w)
    rows, previous = [], None
    for i in order:
        res = results[i]
        if res.n == 0:
            continue
        diff = nps_difference(res, previous) if previous is not None else Difference(None, None, None, None)
        ci = res.ci95
        significant = bool(previous is not None and diff.significant)
        rows.append({"period": str(keys[i]), "n": res.n, "score": res.score, "ci_low": ci[0], "ci_high": ci[1],
                     "margin": res.margin, "change": diff.difference, "p_value": diff.p_value,
                     "significant_change": significant, "small_base": res.n < MIN_BASE,
                     "reportable_change": significant and min(res.n, previous.n) >= MIN_BASE})
        previous = res
    return pd.DataFrame(rows, columns=TREND_COLUMNS).astype({"significant_change": bool, "small_base": bool,
                                                             "reportable_change": bool})


def segment_codes(column: pd.Series) -> tuple[np.ndarray, list]:
    """Each respondent's segment value as a code (-1 when missing), and the values the codes index.

    A cleaned segment is categorical: its codes are used as they are, with no hashing.
    """
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy().astype(np.int64), list(column.cat.categories)
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return codes.astype(np.int64), list(uniques)


def period_groups(frame: pd.DataFrame, date: str | None, period: str = "quarter",
                  wave: str | None = None) -> tuple[np.ndarray, list[str]]:
    """Each respondent's period as a code (-1 when unknown), and the period labels.

    The period is the survey wave when ``wave`` names its column, else the calendar month or quarter
    of the ``date`` column.
    """
    if wave is not None:
        labels = frame[wave].astype("str").where(frame[wave].notna())
        codes, keys = pd.factorize(labels, use_na_sentinel=True)
        return codes, [str(k) for k in keys]
    if date is not None:
        return _period_codes(frame[date], period)
    raise ValueError("a trend needs a date column or a wave column")


def _period_codes(dates: pd.Series, period: str) -> tuple[np.ndarray, list[str]]:
    """Period of each date as a code into the list of period labels (numeric: fast on a million rows)."""
    if period not in PERIODS:
        raise ValueError(f"period must be 'month' or 'quarter', not {period!r}")
    d = pd.to_datetime(dates)
    if getattr(d.dt, "tz", None) is not None:
        d = d.dt.tz_localize(None)  # the local calendar date
    values = d.to_numpy()
    ok = ~np.isnat(values)
    if not ok.any():
        return np.full(len(values), -1, dtype=np.int64), []
    per_year = 12 if period == "month" else 4
    # Calendar arithmetic only for the distinct days (a few hundred), then a table lookup per response;
    # one array of a million day numbers, reused in place (missing dates count as the first day, then -1).
    days = values.astype("datetime64[D]").view(np.int64)
    first_day = int(np.min(days, where=ok, initial=np.iinfo(np.int64).max))
    np.subtract(days, first_day, out=days, where=ok)
    days[~ok] = 0
    day_seen = np.flatnonzero(np.bincount(days))
    months = (np.datetime64(first_day, "D") + day_seen).astype("datetime64[M]").astype(np.int64)
    day_period = months if period == "month" else np.floor_divide(months, 3)  # since January 1970
    present, index = np.unique(day_period, return_inverse=True)
    lookup = np.full(int(day_seen[-1]) + 1, -1, dtype=np.int64)
    lookup[day_seen] = index
    codes = lookup[days]
    codes[~ok] = -1
    labels = []
    for o in present.tolist():
        year, sub = 1970 + o // per_year, o % per_year + 1
        labels.append(f"{year:04d}-{sub:02d}" if period == "month" else f"{year:04d}-Q{sub}")
    return codes, labels


def nps_trend_by_segment(frame: pd.DataFrame, loyalty: str, segment: str, date: str | None = None,
                         period: str = "quarter", wave: str | None = None, weight: str | None = None) -> pd.DataFrame:
    """`nps_trend` for each value of a segment (a ``segment`` column added), each against its own previous period."""
    parts = []
    for value, part in frame.groupby(segment, sort=True, observed=True):
        t = nps_trend(part, loyalty, date=date, period=period, wave=wave, weight=weight)
        t.insert(0, "segment", str(value))
        parts.append(t)
    if not parts:
        return pd.DataFrame(columns=["segment", *TREND_COLUMNS])
    return pd.concat(parts, ignore_index=True)


def trend_rows_to_dict(table: pd.DataFrame) -> list[dict]:
    """Rows of `nps_trend` as the contract's ``trend.items``."""
    return [{"period": r.period, "n": int(r.n), "score": _round(r.score), "ci95": [_round(r.ci_low), _round(r.ci_high)],
             "significant_change": bool(r.significant_change), "change": _round(r.change),
             "small_base": bool(r.small_base)}
            for r in table.itertuples(index=False)]


def score_distribution(frame: pd.DataFrame, loyalty: str) -> pd.DataFrame:
    """Counts and shares of each answer 0–10 with its NPS group (for the distribution chart)."""
    v = frame[loyalty].to_numpy(dtype="float64", na_value=np.nan)
    v = v[~np.isnan(v)].astype(int)
    counts = np.bincount(v, minlength=11)[:11]
    n = counts.sum()
    return pd.DataFrame({
        "score": np.arange(11), "count": counts, "share": counts / n if n else np.zeros(11),
        "group": ["Detractor"] * 7 + ["Passive"] * 2 + ["Promoter"] * 2,
    })


def _natural_key(value: str):
    import re

    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", str(value))]
