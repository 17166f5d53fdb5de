"""A satisfaction outcome summarised like NPS: mean and top box with margins of error, by segment, over time.

For surveys without a 0–10 likelihood-to-recommend question, the outcome chosen on the Data page (CSAT
1–5, a 1–7 rating, yes / no) is what the drivers explain, and these are the figures a CX manager reads
first. As with NPS, a difference is called real only when a two-sided z-test at the 5% level says so,
and bases under 30 are flagged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from cx import fmt
from cx.nps import MIN_BASE, Z95, _natural_key, period_groups, segment_codes

METHOD_NOTE = (
    "Mean with its 95% interval: mean ± 1.96 × s / √n (s the standard deviation; with weights, n is Kish's "
    "effective sample size). Top box: the share answering one of the top two points of the scale (the top "
    "point on scales of 2 or 3 points), with a Wilson 95% interval. A yes / no outcome is read as the share "
    "answering yes, with its Wilson interval. A difference of means is significant when a two-sided z-test "
    "(standard errors added in quadrature; for yes / no the pooled two-proportion test) gives p < 0.05; a segment "
    "or period with fewer than 30 answers, or a rest of fewer than 30, is too small to judge."
)


def top_box_values(scale: tuple[int, int] | None) -> tuple[int, ...]:
    """The answers that count as top box: the top two points of a scale of 4 points or more, else the top one."""
    if scale is None:
        return ()
    lo, hi = scale
    return (hi - 1, hi) if hi - lo + 1 >= 4 else (hi,)


def bottom_box_values(scale: tuple[int, int] | None) -> tuple[int, ...]:
    """The answers that count as bottom box (the mirror of `top_box_values`)."""
    if scale is None:
        return ()
    lo, hi = scale
    return (lo, lo + 1) if hi - lo + 1 >= 4 else (lo,)


def box_label(values: tuple[int, ...], scale: tuple[int, int] | None) -> str:
    """'Top-2-box (4–5)', 'Yes' on a 0–1 (yes / no) outcome."""
    if not values:
        return ""
    if scale == (0, 1):
        return "Yes" if values == (1,) else "No"
    span = f"{values[0]}–{values[-1]}" if len(values) > 1 else f"{values[0]}"
    return (f"Top-{len(values)}-box" if values[-1] == scale[1] else f"Bottom-{len(values)}-box") + f" ({span})"


def is_yes_no(scale: tuple[int, int] | None) -> bool:
    """A 0–1 outcome (yes / no): its mean is the share answering yes."""
    return scale == (0, 1)


def mean_label(scale: tuple[int, int] | None) -> str:
    """What the mean of the outcome is called: 'Answering yes' on a yes / no outcome, else 'Mean'."""
    return "Answering yes" if is_yes_no(scale) else "Mean"


def mean_text(mean: float | None, ci95: tuple[float, float] | None, scale: tuple[int, int] | None) -> str:
    """'3.81 ± 0.03' (half the 95% interval); on a yes / no outcome the share and its interval: '45% (43–47%)'."""
    if mean is None or (isinstance(mean, float) and math.isnan(mean)):
        return "–"
    known = ci95 is not None and not any(v is None or math.isnan(v) for v in ci95)
    if not is_yes_no(scale):
        return f"{mean:.2f}" + (f" ± {(ci95[1] - ci95[0]) / 2:.2f}" if known else "")
    return f"{100 * mean:.0f}%" + (f" ({100 * ci95[0]:.0f}–{100 * ci95[1]:.0f}%)" if known else "")


def difference_text(diff: float | None, scale: tuple[int, int] | None) -> str:
    """A difference of means: '+0.06'; on a yes / no outcome in percentage points: '+1.2 pts'."""
    if not is_yes_no(scale):
        return fmt.signed(diff, 2)
    text = fmt.signed(None if diff is None else 100 * diff, 1)
    return text if text == "–" else f"{text} pts"


@dataclass(frozen=True)
class OutcomeResult:
    """The outcome over a set of respondents."""

    n: int  # valid answers
    mean: float | None
    ci95: tuple[float, float] | None  # of the mean
    top_box: float | None  # share, 0–1
    top_box_ci95: tuple[float, float] | None
    bottom_box: float | None
    effective_n: float  # Kish; equals n without weights
    scale: tuple[int, int] | None

    @property
    def margin(self) -> float | None:
        """Half the width of the mean's 95% interval."""
        return None if self.ci95 is None else (self.ci95[1] - self.ci95[0]) / 2


@dataclass(frozen=True)
class _Moments:
    """Weighted sums per group: the pieces every statistic here is built from."""

    n: np.ndarray
    w: np.ndarray
    w2: np.ndarray
    mean: np.ndarray
    m2: np.ndarray  # sum of w (x - mean)^2
    top: np.ndarray  # sum of w over top-box answers
    bottom: np.ndarray

    def minus(self, other: _Moments) -> _Moments:
        """The moments of this set without `other` (a subset of it), combined as Chan et al. (1979)."""
        w = self.w - other.w
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(w > 0, (self.w * self.mean - other.w * other.mean) / np.where(w > 0, w, 1), np.nan)
            delta = np.nan_to_num(mean - other.mean)
            m2 = np.maximum(self.m2 - other.m2 - delta ** 2 * other.w * w / np.where(self.w > 0, self.w, 1), 0.0)
        return _Moments(self.n - other.n, w, self.w2 - other.w2, mean, m2, self.top - other.top,
                        self.bottom - other.bottom)


def _moments(x: np.ndarray, w: np.ndarray | None, groups: np.ndarray, k: int,
             scale: tuple[int, int] | None) -> _Moments:
    valid = ~np.isnan(x) & (groups >= 0)
    if w is not None:
        valid &= np.isfinite(w) & (w > 0)
    x, g = x[valid], groups[valid]
    ww = np.ones(len(x)) if w is None else w[valid]
    n = np.bincount(g, minlength=k)
    sw = np.bincount(g, weights=ww, minlength=k)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.bincount(g, weights=ww * x, minlength=k) / sw
    m2 = np.bincount(g, weights=ww * (x - mean[g]) ** 2, minlength=k)
    top = np.bincount(g, weights=ww * np.isin(x, top_box_values(scale)), minlength=k)
    bottom = np.bincount(g, weights=ww * np.isin(x, bottom_box_values(scale)), minlength=k)
    return _Moments(n, sw, np.bincount(g, weights=ww * ww, minlength=k), mean, m2, top, bottom)


def _result(m: _Moments, i: int, scale: tuple[int, int] | None) -> OutcomeResult:
    n = int(m.n[i])
    if n == 0:
        return OutcomeResult(0, None, None, None, None, None, 0.0, scale)
    n_eff = float(m.w[i] ** 2 / m.w2[i])
    mean = float(m.mean[i])
    if is_yes_no(scale):  # a share: Wilson's interval stays within 0–1 and is not 0 wide when all say yes
        ci = wilson(mean, n_eff)
    else:
        se = _standard_error(m, i)
        ci = (mean - Z95 * se, mean + Z95 * se) if se is not None else None
    top = float(m.top[i] / m.w[i]) if scale is not None else None
    bottom = float(m.bottom[i] / m.w[i]) if scale is not None else None
    return OutcomeResult(n, mean, ci, top, wilson(top, n_eff) if top is not None else None, bottom, n_eff, scale)


def _standard_error(m: _Moments, i: int) -> float | None:
    """The mean's standard error s / √n_eff, s² the (weighted) variance with the n_eff / (n_eff − 1) correction; None below 2 answers."""
    n_eff = m.w[i] ** 2 / m.w2[i] if m.w[i] > 0 else 0.0
    if m.n[i] < 2 or n_eff <= 1:
        return None
    variance = m.m2[i] / m.w[i] * n_eff / (n_eff - 1)
    return float(math.sqrt(variance / n_eff))


def wilson(p: float, n: float) -> tuple[float, float] | None:
    """Wilson score 95% interval of a share p observed on n answers (n may be an effective sample size)."""
    if n <= 0:
        return None
    z2 = Z95 ** 2
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _values(frame: pd.DataFrame, col: str) -> np.ndarray:
    return frame[col].to_numpy(dtype="float64", na_value=np.nan)


def _weights(frame: pd.DataFrame, weight: str | None) -> np.ndarray | None:
    return None if weight is None else frame[weight].to_numpy(dtype="float64", na_value=np.nan)


def outcome_summary(frame: pd.DataFrame, col: str, scale: tuple[int, int] | None,
                    weight: str | None = None) -> OutcomeResult:
    """Mean, top box and bottom box of the outcome over every respondent with a valid answer."""
    x = _values(frame, col)
    m = _moments(x, _weights(frame, weight), np.zeros(len(x), dtype=np.int64), 1, scale)
    return _result(m, 0, scale)


def outcome_distribution(frame: pd.DataFrame, col: str, scale: tuple[int, int], weight: str | None = None) -> pd.DataFrame:
    """Count, share, label ("No" / "Yes" on a yes / no outcome) and box (top, bottom, middle) of each point.

    With a weight the shares are weighted (as the mean and top box are) and rows without a valid weight
    are left out; ``count`` stays the number of respondents.
    """
    lo, hi = scale
    x, w = _values(frame, col), _weights(frame, weight)
    valid = ~np.isnan(x) if w is None else ~np.isnan(x) & np.isfinite(w) & (w > 0)
    points = np.arange(lo, hi + 1)
    inside = valid & (x >= lo) & (x <= hi) & (x == np.round(x))
    codes = (x[inside] - lo).astype(np.int64)
    counts = np.bincount(codes, minlength=len(points))[:len(points)]
    weights = counts if w is None else np.bincount(codes, weights=w[inside], minlength=len(points))[:len(points)]
    total = float(weights.sum())
    top, bottom = top_box_values(scale), bottom_box_values(scale)
    return pd.DataFrame({
        "value": points, "label": ["No", "Yes"] if is_yes_no(scale) else [str(p) for p in points],
        "count": counts, "share": weights / total if total else np.zeros(len(points)),
        "box": ["top" if p in top else "bottom" if p in bottom else "middle" for p in points],
    })


def _difference(a: _Moments, i: int, b: _Moments, j: int, yes_no: bool = False) -> tuple[float | None, float | None]:
    """Mean of group i of a minus mean of group j of b, and the two-sided z-test's p-value.

    Standard errors added in quadrature; on a yes / no outcome the pooled two-proportion z-test (a
    group where everyone says yes has no variance of its own). A difference within rounding noise
    of the means (the rest's mean is derived by subtraction) is 0.
    """
    if a.n[i] == 0 or b.n[j] == 0:
        return None, None
    diff = float(a.mean[i] - b.mean[j])
    if abs(diff) < 1e-9 * max(1.0, abs(float(a.mean[i])), abs(float(b.mean[j]))):
        diff = 0.0
    if yes_no:
        n_a, n_b = a.w[i] ** 2 / a.w2[i], b.w[j] ** 2 / b.w2[j]
        pooled = (a.w[i] * a.mean[i] + b.w[j] * b.mean[j]) / (a.w[i] + b.w[j])
        se = math.sqrt(max(pooled * (1 - pooled), 0.0) * (1 / n_a + 1 / n_b))
    else:
        se_a, se_b = _standard_error(a, i), _standard_error(b, j)
        if se_a is None or se_b is None:
            return diff, None
        se = math.hypot(se_a, se_b)
    if se < 1e-12:
        return diff, (1.0 if diff == 0 else 0.0)
    return diff, float(math.erfc(abs(diff) / se / math.sqrt(2)))


SEGMENT_COLUMNS = ["value", "n", "mean", "ci_low", "ci_high", "margin", "top_box", "difference", "p_value",
                   "differs", "small_base", "rest_small"]


def outcome_by_segment(frame: pd.DataFrame, col: str, segment: str, scale: tuple[int, int] | None,
                       weight: str | None = None, min_base: int = MIN_BASE) -> pd.DataFrame:
    """The outcome of every value of a segment column, each tested against all other respondents.

    Returns
    -------
    DataFrame
        value, n, mean, ci_low, ci_high, margin, top_box (share), difference (mean of the segment minus
        the mean of the rest), p_value, differs (significant at 5%, both bases at least `min_base`),
        small_base (n < `min_base`), rest_small (the other respondents number under `min_base`). Sorted
        by n, largest first.
    """
    codes, values = segment_codes(frame[segment])
    values = [str(v) for v in values]
    x, w, k = _values(frame, col), _weights(frame, weight), len(values)
    inside = _moments(x, w, codes, k, scale)
    everyone = _moments(x, w, np.zeros(len(x), dtype=np.int64), 1, scale)
    rest = everyone.minus(inside)  # respondents without a segment value belong to every rest
    rows = []
    for i in np.flatnonzero(inside.n > 0):
        res = _result(inside, i, scale)
        diff, p = _difference(inside, i, rest, i, is_yes_no(scale))
        small = res.n < min_base
        rows.append({"value": values[i], "n": res.n, "mean": res.mean,
                     "ci_low": res.ci95[0] if res.ci95 else None, "ci_high": res.ci95[1] if res.ci95 else None,
                     "margin": res.margin, "top_box": res.top_box, "difference": diff, "p_value": p,
                     "differs": bool(p is not None and p < 0.05 and not small and rest.n[i] >= min_base),
                     "small_base": small, "rest_small": bool(rest.n[i] < min_base)})
    out = pd.DataFrame(rows, columns=SEGMENT_COLUMNS).astype({"n": "int64", "differs": bool, "small_base": bool,
                                                              "rest_small": bool})
    return out.sort_values(["n", "value"], ascending=[False, True], kind="stable").reset_index(drop=True)


TREND_COLUMNS = ["period", "n", "mean", "ci_low", "ci_high", "top_box", "change", "p_value", "small_base",
                 "reportable_change"]


def outcome_trend(frame: pd.DataFrame, col: str, scale: tuple[int, int] | None, date: str | None = None,
                  period: str = "quarter", wave: str | None = None, weight: str | None = None) -> pd.DataFrame:
    """The outcome per period, oldest first, each period's mean tested against the previous one.

    ``reportable_change`` is true when the change is significant at 5% and both periods have at least
    `MIN_BASE` answers (as for the NPS trend).
    """
    codes, keys = period_groups(frame, date, period, wave)
    m = _moments(_values(frame, col), _weights(frame, weight), np.asarray(codes, dtype=np.int64), len(keys), scale)
    rows, previous = [], None
    for i in sorted(range(len(keys)), key=lambda j: _natural_key(keys[j])):
        if m.n[i] == 0:
            continue
        res = _result(m, i, scale)
        change, p = _difference(m, i, m, previous, is_yes_no(scale)) if previous is not None else (None, None)
        rows.append({"period": str(keys[i]), "n": res.n, "mean": res.mean,
                     "ci_low": res.ci95[0] if res.ci95 else None, "ci_high": res.ci95[1] if res.ci95 else None,
                     "top_box": res.top_box, "change": change, "p_value": p, "small_base": res.n < MIN_BASE,
                     "reportable_change": bool(p is not None and p < 0.05 and res.n >= MIN_BASE
                                               and m.n[previous] >= MIN_BASE)})
        previous = i
    return pd.DataFrame(rows, columns=TREND_COLUMNS).astype({"small_base": bool, "reportable_change": bool})
