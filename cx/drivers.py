"""Key driver analysis: which rated drivers move loyalty (or any outcome), robust to a halo.

Driver ratings are strongly inter-correlated, so plain regression betas mislead and one-at-a-time
correlations overstate everything. The default method decomposes the model's R² into each
driver's share by the exact Shapley value (LMG; Lindeman, Merenda & Gold 1980), computed from the
correlation matrix over all 2^p subsets of drivers. Johnson's (2000) relative weights, Pratt's
measure on standardised betas and squared correlations are offered too; all four share one
result type, :class:`DriverAnalysis`, whose ``to_dict()`` is the ``drivers`` section of the
headless contract.

Everything downstream of the correlation matrix works on stacks of matrices, so the bootstrap
(resampled cross-product matrices, then the same Shapley code on all of them at once) is fast on
a million respondents.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.errors import CxInputError

METHODS = ("shapley", "relative_weights", "beta", "correlation")
OUTCOME_TYPES = ("numeric", "detractor")
MISSING = ("listwise", "pairwise")
EXACT_SHAPLEY_MAX_DRIVERS = 15
LOGISTIC_SHAPLEY_MAX_DRIVERS = 10
DEFAULT_N_BOOT = 200
DEFAULT_PERMUTATIONS = 2000
# Below this R² (McFadden's for the detractor model) the drivers explain almost nothing of the outcome:
# their shares of it are shares of noise, and no driver is named as the one that matters or to fix.
WEAK_R2 = 0.05
QUADRANTS = ("Fix first", "Keep", "Maintain", "Secondary")

_PIVOT_TOL = 1e-10  # residual variance (on the correlation scale) below which a driver is redundant
_MULTINOMIAL_MAX_N = 100_000  # above this the bootstrap uses Poisson(1) weights, row chunk by row chunk
_LOGISTIC_BUDGET = 2e7  # answer patterns × subsets fitted by IRLS before falling back to a random sample
_CAVEAT = ("Derived importance measures association with the outcome, not causation: it says where "
           "loyalty and ratings move together, not what will happen if a rating changes.")


# ─── result types ────────────────────────────────────────────────────────────────────────────────


def _clean(x: object) -> object:
    """JSON-safe scalar: NaN and infinities become None, numpy scalars become Python ones."""
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


@dataclass(frozen=True)
class DriverImportance:
    """One driver's numbers in a key driver analysis.

    ``importance`` and ``r2_contribution`` follow the analysis method (see ``DriverAnalysis``);
    the other fields are the same whatever the method.
    """

    driver: str
    importance: float  # r2_contribution / r2: importances sum to 1
    r2_contribution: float  # the driver's share of R² under the method (sums to R²)
    correlation: float  # Pearson r with the outcome over the rows used
    spearman: float  # Spearman rank correlation with the outcome over the rows used
    mean: float  # mean rating over the rows used (weighted when a weight is given)
    top_box: float  # share rating in the top box over the rows used (NaN if the scale is unknown)
    beta: float  # standardised OLS coefficient (linear model; linear probability model for detractors)
    vif: float  # variance inflation factor: 1 / (1 − R² of this driver on the other drivers)
    relative_weight: float  # Johnson's raw relative weight (sums to R² of the linear model)
    n_answered: int  # respondents with a valid outcome who answered this driver
    ci_low: float = math.nan  # bootstrap 95% percentile interval of importance
    ci_high: float = math.nan
    sampling_error: float = math.nan  # standard error of r2_contribution from sampled Shapley

    def to_dict(self) -> dict:
        """The contract's item keys first, then the extra diagnostics (NaN becomes null)."""
        keys = ("driver", "importance", "r2_contribution", "correlation", "mean", "spearman", "top_box",
                "beta", "vif", "relative_weight", "n_answered", "ci_low", "ci_high", "sampling_error")
        return {k: _clean(getattr(self, k)) for k in keys}


@dataclass(frozen=True)
class DriverAnalysis:
    """Result of a key driver analysis: one item per driver, sorted by importance, largest first.

    ``n`` is the number of respondents the model rests on: the listwise n, or with pairwise
    deletion the smallest number of respondents behind any correlation used (``n_listwise`` is
    then reported too). ``r2`` is the R² of the OLS regression of the outcome on the drivers
    (McFadden's pseudo-R² for the logistic detractor model). ``boot_importance`` holds the
    bootstrap importances, one column per item in item order, when intervals were computed.
    """

    method: str
    outcome: str
    n: int
    r2: float
    items: tuple[DriverImportance, ...]
    warnings: tuple[str, ...] = ()
    notes: str = ""
    outcome_type: str = "numeric"
    model: str = "linear regression"
    missing: str = "listwise"
    n_listwise: int = 0
    n_total: int = 0
    weight: str | None = None
    effective_n: float = math.nan
    dropped: tuple[str, ...] = ()
    n_boot: int = 0
    seed: int | None = None
    sampling_error: float = math.nan
    boot_importance: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def explains_little(self) -> bool:
        """True when the drivers explain almost nothing of the outcome (R² under `WEAK_R2`, or unknown)."""
        return not self.r2 >= WEAK_R2

    @property
    def drivers(self) -> tuple[str, ...]:
        """Driver names, most important first."""
        return tuple(i.driver for i in self.items)

    @property
    def top_driver(self) -> str:
        """The most important driver."""
        return self.items[0].driver

    @property
    def importance(self) -> dict[str, float]:
        """Importance by driver, most important first."""
        return {i.driver: i.importance for i in self.items}

    @property
    def has_intervals(self) -> bool:
        """True when bootstrap intervals were computed."""
        return self.boot_importance is not None

    def item(self, driver: str) -> DriverImportance:
        """The item of one driver."""
        for i in self.items:
            if i.driver == driver:
                return i
        raise CxInputError(f"'{driver}' is not a driver in this analysis; choose one of: {', '.join(self.drivers)}.")

    def to_frame(self) -> pd.DataFrame:
        """One row per driver, most important first, with every diagnostic."""
        return pd.DataFrame([vars(i) for i in self.items],
                            columns=list(DriverImportance.__dataclass_fields__))

    def to_dict(self) -> dict:
        """The ``drivers`` section of the headless contract, plus extra keys."""
        return {
            "method": self.method,
            "n": int(self.n),
            "r2": _clean(float(self.r2)),
            "items": [i.to_dict() for i in self.items],
            "outcome": self.outcome,
            "outcome_type": self.outcome_type,
            "model": self.model,
            "missing": self.missing,
            "n_listwise": int(self.n_listwise),
            "n_total": int(self.n_total),
            "weight": self.weight,
            "effective_n": _clean(float(self.effective_n)),
            "dropped": list(self.dropped),
            "n_boot": int(self.n_boot),
            "seed": self.seed,
            "sampling_error": _clean(float(self.sampling_error)),
            "warnings": list(self.warnings),
            "notes": self.notes,
        }

    def distinguishable(self) -> pd.DataFrame:
        """Which pairs of drivers the bootstrap can tell apart; see :func:`distinguishable`."""
        return distinguishable(self)


# ─── correlation-matrix kernels (stacks of matrices, outcome in the last row and column) ────────


def _subset_r2(R: np.ndarray) -> np.ndarray:
    """R² of the outcome on every subset of drivers, for a stack of correlation matrices.

    ``R`` has shape (B, q, q) with the outcome last; returns (B, 2^p), indexed by the subset's
    bitmask. Each subset is one sweep of its parent (the subset without its largest driver) on
    the new driver; after sweeping, the outcome's residual variance is 1 − R². A subset whose
    largest driver is j only ever needs the block of drivers after j (and the outcome), so all
    subsets with the same largest driver sit in one stack of small blocks, and each (parent group,
    new driver) pair is one vectorised numpy operation. A driver whose residual variance given the
    others is ~0 is redundant (perfect collinearity): its sweep is skipped and R² stays as it was,
    the R² of least squares with a rank-deficient design.
    """
    B, q, _ = R.shape
    p = q - 1
    v = np.zeros((B, 1 << p))
    groups = [(np.zeros(1, dtype=np.int64), R[None])]  # groups[t + 1]: subsets whose largest driver is t
    for j in range(p):
        masks, blocks = [], []
        for t in range(-1, j):
            m, A = groups[t + 1]
            pos = j - t - 1
            col = A[..., pos + 1:, pos]
            row = A[..., pos, pos + 1:]
            piv = A[..., pos, pos]
            inv = np.where(piv > _PIVOT_TOL, 1.0 / np.where(piv > _PIVOT_TOL, piv, 1.0), 0.0)
            blocks.append(A[..., pos + 1:, pos + 1:] - (col * inv[..., None])[..., :, None] * row[..., None, :])
            masks.append(m | (np.int64(1) << j))
        m, A = np.concatenate(masks), np.concatenate(blocks)
        v[:, m] = (1.0 - A[:, :, -1, -1]).T
        groups.append((m, A))
    return v


def _size_weights(p: int) -> np.ndarray:
    """Shapley weight |S|!(p−|S|−1)!/p! of a subset S not containing the driver, by |S|."""
    return np.array([math.factorial(k) * math.factorial(p - k - 1) / math.factorial(p) for k in range(p)])


def _shapley_from_table(v: np.ndarray, p: int) -> np.ndarray:
    """Shapley values (B, p) from a table of subset values (B, 2^p) indexed by bitmask."""
    masks = np.arange(1 << p, dtype=np.int64)
    size = np.bitwise_count(masks).astype(np.int64)
    w = _size_weights(p)
    phi = np.empty((v.shape[0], p))
    for j in range(p):
        without = masks[((masks >> j) & 1) == 0]
        # multiply-and-sum rather than a BLAS matrix-vector product: a threaded gemv of this size
        # stalls for 100+ ms when the cores are busy
        phi[:, j] = ((v[:, without | (1 << j)] - v[:, without]) * w[size[without]]).sum(axis=1)
    return phi


def _conditional_from_table(v: np.ndarray, p: int) -> np.ndarray:
    """Average gain of each driver (rows) when added to models with k other drivers (columns)."""
    masks = np.arange(1 << p, dtype=np.int64)
    size = np.bitwise_count(masks).astype(np.int64)
    out = np.empty((p, p))
    for j in range(p):
        without = masks[((masks >> j) & 1) == 0]
        gain = v[0, without | (1 << j)] - v[0, without]
        out[j] = np.bincount(size[without], weights=gain, minlength=p) / np.bincount(size[without], minlength=p)
    return out


def _stat_shapley(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    p = R.shape[-1] - 1
    chunk = max(1, (1 << 21) >> p)  # bounds the subset table at ~2 million values per batch
    phi, r2 = np.empty((R.shape[0], p)), np.empty(R.shape[0])
    for s in range(0, R.shape[0], chunk):
        v = _subset_r2(R[s:s + chunk])
        phi[s:s + chunk] = _shapley_from_table(v, p)
        r2[s:s + chunk] = v[:, -1]
    return phi, r2


def _stat_shapley_sampled(R: np.ndarray, perms: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shapley values from driver orderings (antithetic pairs: each ordering and its reverse).

    Returns contributions (B, p), R² (B,) and the standard error of each contribution (B, p),
    computed over the pairs (an ordering and its reverse are averaged first).
    """
    B, q, _ = R.shape
    p = q - 1
    both = np.concatenate([perms, perms[:, ::-1]])
    m = len(both)
    phi, r2, se = np.empty((B, p)), np.empty(B), np.empty((B, p))
    k = np.arange(m)
    for b in range(B):
        A = np.broadcast_to(R[b], (m, q, q)).copy()
        gain = np.empty((m, p))
        prev = np.zeros(m)
        for t in range(p):
            j = both[:, t]
            col = A[k, :, j]
            row = A[k, j, :]
            piv = A[k, j, j]
            inv = np.where(piv > _PIVOT_TOL, 1.0 / np.where(piv > _PIVOT_TOL, piv, 1.0), 0.0)
            A -= (col * inv[:, None])[:, :, None] * row[:, None, :]
            cur = 1.0 - A[:, -1, -1]
            gain[k, j] = cur - prev
            prev = cur
        pairs = 0.5 * (gain[: len(perms)] + gain[len(perms):])
        phi[b] = pairs.mean(axis=0)
        se[b] = pairs.std(axis=0, ddof=1) / math.sqrt(len(perms)) if len(perms) > 1 else math.nan
        r2[b] = prev[0]
    return phi, r2, se


def _sqrt_psd(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric square root and its pseudo-inverse for a stack of PSD matrices."""
    ev, V = np.linalg.eigh(R)
    ev = np.clip(ev, 0.0, None)
    s = np.sqrt(ev)
    keep = ev > _PIVOT_TOL * np.maximum(ev.max(axis=-1, keepdims=True), 1.0)
    sinv = np.where(keep, 1.0 / np.where(keep, s, 1.0), 0.0)
    root = (V * s[..., None, :]) @ np.swapaxes(V, -1, -2)
    root_inv = (V * sinv[..., None, :]) @ np.swapaxes(V, -1, -2)
    return root, root_inv


def _stat_relative_weights(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Johnson's raw relative weights (B, p) and R² (B,)."""
    Rxx, rxy = R[:, :-1, :-1], R[:, :-1, -1]
    root, root_inv = _sqrt_psd(Rxx)
    beta = (root_inv @ rxy[..., None])[..., 0]
    raw = (root**2) @ (beta**2)[..., None]
    raw = raw[..., 0]
    return raw, raw.sum(axis=1)


def _ols_beta(R: np.ndarray) -> np.ndarray:
    """Standardised OLS betas (B, p): the minimum-norm solution when drivers are collinear."""
    Rxx, rxy = R[:, :-1, :-1], R[:, :-1, -1]
    return (np.linalg.pinv(Rxx, hermitian=True) @ rxy[..., None])[..., 0]


def _stat_beta(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pratt's measure beta·r (B, p) and R² (B,)."""
    pratt = _ols_beta(R) * R[:, :-1, -1]
    return pratt, pratt.sum(axis=1)


def _stat_correlation(R: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Squared correlations (B, p) and the regression R² (B,)."""
    r = R[:, :-1, -1]
    return r**2, (_ols_beta(R) * r).sum(axis=1)


def _vif(Rxx: np.ndarray) -> np.ndarray:
    """Variance inflation factors, infinite for a driver that is an exact mix of the others."""
    p = Rxx.shape[0]
    out = np.empty(p)
    if p == 1:
        return np.ones(1)
    if np.linalg.eigvalsh(Rxx).min() > 1e-8:
        return np.diag(np.linalg.inv(Rxx)).copy()
    for j in range(p):
        o = [k for k in range(p) if k != j]
        r = Rxx[o, j]
        r2 = float(r @ np.linalg.pinv(Rxx[np.ix_(o, o)], hermitian=True) @ r)
        resid = 1.0 - r2
        out[j] = math.inf if resid < 1e-9 else 1.0 / resid
    return out


def _outcome_last(corr: np.ndarray) -> np.ndarray:
    corr = np.asarray(corr, dtype=float)
    if corr.ndim != 2 or corr.shape[0] != corr.shape[1] or corr.shape[0] < 2:
        raise CxInputError("The correlation matrix must be square with the outcome first and at least one driver.")
    order = list(range(1, corr.shape[0])) + [0]
    return corr[np.ix_(order, order)]


def lmg_from_correlation(corr: np.ndarray) -> tuple[float, np.ndarray]:
    """Exact Shapley (LMG) decomposition of R² from a correlation matrix.

    Parameters
    ----------
    corr : ndarray, shape (p + 1, p + 1)
        Correlation (or covariance) matrix with the outcome in the first row and column, as in
        relaimpo's ``calc.relimp`` on a covariance matrix.

    Returns
    -------
    r2 : float
        R² of the regression of the outcome on all p drivers.
    contributions : ndarray, shape (p,)
        Each driver's share of R², in the matrix's driver order; they sum to ``r2``.

    Notes
    -----
    With v(S) the R² of the outcome on the drivers in S,
    ``phi_j = sum over S not containing j of |S|! (p − |S| − 1)! / p! · (v(S ∪ {j}) − v(S))``,
    which equals the average over all p! orderings of the R² gained when j enters (LMG), and the
    general dominance statistic of Azen & Budescu (2003). All 2^p values v(S) come from sweeps of
    the correlation matrix, batched by subset size.

    References
    ----------
    Lindeman, Merenda & Gold (1980), *Introduction to Bivariate and Multivariate Analysis*, p. 119.
    Grömping (2006), Relative importance for linear regression in R: the package relaimpo, *JSS* 17(1).
    """
    R = _cov_to_corr(_outcome_last(corr))[None]
    phi, r2 = _stat_shapley(R)
    return float(r2[0]), phi[0]


def conditional_dominance_from_correlation(corr: np.ndarray) -> np.ndarray:
    """Conditional dominance statistics: each driver's average R² gain by model size.

    Parameters
    ----------
    corr : ndarray, shape (p + 1, p + 1)
        Correlation matrix with the outcome in the first row and column.

    Returns
    -------
    ndarray, shape (p, p)
        Row j, column k: the mean of v(S ∪ {j}) − v(S) over the subsets S of k other drivers.
        Each row's mean is the driver's general dominance (= Shapley) statistic.

    References
    ----------
    Azen & Budescu (2003), The dominance analysis approach for comparing predictors in multiple
    regression, *Psychological Methods* 8(2), 129–148.
    """
    R = _cov_to_corr(_outcome_last(corr))[None]
    p = R.shape[-1] - 1
    return _conditional_from_table(_subset_r2(R), p)


def relative_weights_from_correlation(corr: np.ndarray) -> tuple[float, np.ndarray]:
    """Johnson's (2000) raw relative weights from a correlation matrix (outcome first).

    Returns
    -------
    r2 : float
        R² of the regression of the outcome on all drivers (the weights' sum).
    weights : ndarray, shape (p,)
        Raw relative weights in the matrix's driver order.

    Notes
    -----
    With R_xx = P Δ P' and Λ = P Δ^½ P' (the drivers' closest orthogonal counterparts Z = X Λ^-1),
    β = Λ^-1 r_xy and the raw weight of driver j is ε_j = Σ_k Λ_jk² β_k².

    References
    ----------
    Johnson (2000), A heuristic method for estimating the relative weight of predictor variables
    in multiple regression, *Multivariate Behavioral Research* 35(1), 1–19.
    """
    R = _cov_to_corr(_outcome_last(corr))[None]
    raw, r2 = _stat_relative_weights(R)
    return float(r2[0]), raw[0]


def _cov_to_corr(C: np.ndarray) -> np.ndarray:
    """Correlations from a stack of covariance matrices; a constant variable gets r = 0."""
    C = np.asarray(C, dtype=float)
    d = np.diagonal(C, axis1=-2, axis2=-1)
    ok = d > 1e-12 * np.maximum(np.abs(d).max(axis=-1, keepdims=True), 1e-300)
    s = np.where(ok, np.sqrt(np.where(ok, d, 1.0)), 1.0)
    R = C / (s[..., :, None] * s[..., None, :])
    both = ok[..., :, None] & ok[..., None, :]
    R = np.where(both, R, 0.0)
    eye = np.eye(C.shape[-1], dtype=bool)
    R = np.where(eye, 1.0, np.clip(R, -1.0, 1.0))
    return R


# ─── data preparation ───────────────────────────────────────────────────────────────────────────


def _numeric(frame: pd.DataFrame, col: str, what: str) -> np.ndarray:
    s = frame[col]
    if not (pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)):
        raise CxInputError(f"The {what} column '{col}' is not numeric. Map it as a rating or number on the Data "
                           "page, or choose another column.")
    return s.to_numpy(dtype="float64", na_value=np.nan)


def _check_columns(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, weight: str | None) -> list[str]:
    if not isinstance(frame, pd.DataFrame):
        raise CxInputError("Key driver analysis needs a table of responses (a pandas DataFrame).")
    if isinstance(drivers, str):
        drivers = [drivers]
    drivers = list(drivers)
    if not drivers:
        raise CxInputError("Choose at least one driver rating to analyse.")
    dupes = sorted({d for d in drivers if drivers.count(d) > 1})
    if dupes:
        raise CxInputError(f"Each driver can be chosen once; repeated: {', '.join(dupes)}.")
    if outcome in drivers:
        raise CxInputError(f"'{outcome}' is the outcome; it cannot also be a driver. Remove it from the drivers.")
    wanted = [*drivers, outcome] + ([weight] if weight else [])
    absent = [c for c in wanted if c not in frame.columns]
    if absent:
        raise CxInputError(f"These columns are not in the data: {', '.join(absent)}. Check the names on the Data page.")
    return drivers


_BLOCK_ROWS = 1 << 15


class _Rows:
    """The analysis columns (kept drivers, outcome last) over the rows used, read where they lie.

    A million respondents × 13 columns is 100 MB: listwise analysis reads each column in place (or
    gathers it into a reused buffer) and sums cross-products block by block instead. The matrix is
    built only for the passes that need it (pairwise correlations, logistic models, the bootstrap).
    """

    def __init__(self, cols: list[np.ndarray], take: np.ndarray | None, n: int):
        self.cols, self.take, self.n = cols, take, n
        self._matrix: np.ndarray | None = None

    @property
    def width(self) -> int:
        return len(self.cols)

    def column(self, k: int, out: np.ndarray | None = None) -> np.ndarray:
        """Column k over the rows used: the column itself when every row is used, else gathered into ``out``."""
        if self._matrix is not None:
            return self._matrix[:, k]
        if self.take is None:
            return self.cols[k]
        return np.take(self.cols[k], self.take, out=out)

    def block(self, start: int, stop: int, out: np.ndarray) -> np.ndarray:
        """Rows start..stop of every column, copied into the (rows × width, column-major) buffer ``out``."""
        b = out[: stop - start]
        for k, c in enumerate(self.cols):
            if self.take is None:
                b[:, k] = c[start:stop]
            else:
                np.take(c, self.take[start:stop], out=b[:, k])
        return b

    def select(self, ks: Sequence[int]) -> _Rows:
        return _Rows([self.cols[k] for k in ks], self.take, self.n)

    def matrix(self) -> np.ndarray:
        """The rows × width matrix (column-major), built once."""
        if self._matrix is None:
            self._matrix = self.block(0, self.n, np.empty((self.n, self.width), order="F"))
        return self._matrix


@dataclass
class _Prepared:
    names: list[str]  # kept drivers
    dropped: list[str]  # constant drivers
    rows: _Rows  # rows × (p + 1), outcome last; NaN only in pairwise mode
    w: np.ndarray | None
    n: int  # listwise n, or the smallest pairwise n
    n_listwise: int
    n_total: int
    n_answered: dict[str, int]
    effective_n: float
    warnings: list[str]
    outcome_type: str

    @property
    def Z(self) -> np.ndarray:  # noqa: N802 (the data matrix's usual name)
        return self.rows.matrix()


def _prepare(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, *, weight: str | None,
             missing: str, outcome_type: str) -> _Prepared:
    drivers = _check_columns(frame, drivers, outcome, weight)
    if missing not in MISSING:
        raise CxInputError(f"Missing-data handling must be one of {', '.join(MISSING)}; got '{missing}'.")
    if outcome_type not in OUTCOME_TYPES:
        raise CxInputError(f"The outcome type must be one of {', '.join(OUTCOME_TYPES)}; got '{outcome_type}'.")
    warnings: list[str] = []
    n_total = len(frame)
    y = _numeric(frame, outcome, "outcome")
    valid = np.isfinite(y)
    if outcome_type == "detractor":
        bad = valid & ((y < 0) | (y > 10))
        if bad.any():
            raise CxInputError(f"'{outcome}' has values outside 0–10, so it is not a likelihood-to-recommend score; "
                               "the detractor outcome needs the 0–10 loyalty column.")
        y = np.where(valid, (y <= 6).astype(float), np.nan)
    w = None
    if weight:
        w = _numeric(frame, weight, "weight")
        if np.any(w[np.isfinite(w)] < 0):
            raise CxInputError(f"The weight column '{weight}' has negative values; weights must be zero or more.")
        wok = np.isfinite(w) & (w > 0)
        lost = int((valid & ~wok).sum())
        if lost:
            warnings.append(f"{lost:,} respondents with a missing or zero weight in '{weight}' were left out.")
        valid &= wok
    cols = [_numeric(frame, d, "driver") for d in drivers]
    n_valid = int(valid.sum())
    if n_valid == 0:
        raise CxInputError(f"No respondent has a valid '{outcome}' answer, so there is nothing to explain. "
                           "Check the outcome column on the Data page.")
    complete = valid.copy()
    n_answered = {}
    for d, c in zip(drivers, cols):
        fin = np.isfinite(c)
        n_answered[d] = int((fin & valid).sum())
        complete &= fin
        share = n_answered[d] / n_valid
        if n_answered[d] == 0:
            raise CxInputError(f"No respondent with an outcome score answered '{d}'. Leave it out of the drivers.")
        if share < 0.5:
            warnings.append(f"'{d}' was answered by only {share:.0%} of respondents with an outcome score. "
                            + ("Listwise analysis keeps only respondents who answered every driver: consider "
                               "leaving it out or using pairwise deletion." if missing == "listwise" else
                               "Its correlations rest on fewer respondents than the others."))
    n_listwise = int(complete.sum())
    rows = complete if missing == "listwise" else valid
    if missing == "listwise" and n_listwise == 0:
        raise CxInputError("No respondent answered the outcome and every selected driver, so listwise analysis "
                           "has no data. Leave out the drivers most often skipped, or use pairwise deletion.")
    n_rows = int(rows.sum())
    take = None if n_rows == len(rows) else np.flatnonzero(rows)
    wr = w if w is None or take is None else w[take]
    data = _Rows([*cols, y], take, n_rows)
    buf = np.empty(n_rows) if take is not None else None
    # constant drivers (over the rows each driver is used on) are left out
    keep, dropped = [], []
    for k, d in enumerate(drivers):
        col = data.column(k, out=buf)
        seen = col[np.isfinite(col)] if missing == "pairwise" else col
        if seen.size and seen.min() < seen.max():
            keep.append(d)
        else:
            dropped.append(d)
    yr = data.column(len(drivers), out=buf)
    if dropped:
        one = len(dropped) == 1
        warnings.append("'" + "', '".join(dropped) + "' "
                        + ("was answered the same way by everyone in the analysis, so it cannot explain anything "
                           "and was left out." if one else
                           "were answered the same way by everyone in the analysis, so they cannot explain "
                           "anything and were left out."))
    if not keep:
        raise CxInputError("Every selected driver has the same answer from everyone in the analysis; there is no "
                           "variation to relate to the outcome. Choose other drivers.")
    if yr.min() == yr.max():
        raise CxInputError(f"Everyone in the analysis gave the same '{outcome}' "
                           + ("group" if outcome_type == "detractor" else "answer")
                           + ", so there is nothing to explain. Widen the filter or choose another outcome.")
    if dropped:
        data = data.select([drivers.index(d) for d in keep] + [len(drivers)])
    names = keep
    if missing == "pairwise":
        M = np.isfinite(data.matrix()).astype(float)
        pair_n = M.T @ M
        n = int(pair_n.min())
    else:
        n = n_listwise
    p = len(names)
    if n < p + 2:
        raise CxInputError(f"Only {n:,} respondents answered the outcome and the drivers; a model of {p} drivers "
                           f"needs at least {p + 2}. Use fewer drivers or a wider filter.")
    if n < max(100, 10 * p):
        warnings.append(f"Only {n:,} respondents are behind this analysis. Results from fewer than 100 respondents, "
                        f"or fewer than 10 per driver ({10 * p:,} here), are unstable: treat the ranking as a rough "
                        "guide and look at the intervals.")
    if wr is not None:
        eff = float(wr.sum() ** 2 / (wr**2).sum())
    else:
        eff = float(n)
    return _Prepared(names, dropped, data, wr, n, n_listwise, n_total, {d: n_answered[d] for d in names}, eff,
                     warnings, outcome_type)


def _weighted_cov(data: _Rows, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Weighted mean and covariance matrix (up to a constant factor) of complete data, block by block.

    Sums are taken about the first block's mean (a shift that keeps them small), then corrected:
    Σ w(x−μ)(x−μ)ᵀ = Σ w(x−s)(x−s)ᵀ − S Sᵀ / W with S = Σ w(x−s), W = Σ w.
    """
    q = data.width
    buf = np.empty((min(data.n, _BLOCK_ROWS), q), order="F")
    weighted = np.empty_like(buf) if w is not None else None
    C, S, shift = np.zeros((q, q)), np.zeros(q), None
    for start in range(0, data.n, _BLOCK_ROWS):
        stop = min(start + _BLOCK_ROWS, data.n)
        b = data.block(start, stop, buf)
        if shift is None:
            shift = b.mean(axis=0)
        b -= shift
        if w is None:
            C += b.T @ b
            S += b.sum(axis=0)
        else:
            wb = w[start:stop]
            bw = np.multiply(b, wb[:, None], out=weighted[: stop - start])
            C += b.T @ bw
            S += bw.sum(axis=0)
    W = float(data.n) if w is None else float(w.sum())
    C -= np.outer(S, S) / W
    return shift + S / W, C


def _pairwise_corr(Z: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
    """Pairwise-complete correlation matrix (as R's ``use = "pairwise.complete.obs"``) and pair counts."""
    M = np.isfinite(Z)
    Mf = M.astype(float)
    center = np.nanmean(Z, axis=0)
    Z0 = np.where(M, Z - center, 0.0)
    Mw = Mf if w is None else Mf * w[:, None]
    N = Mw.T @ Mf  # weighted pair counts (symmetric)
    Sx = (Z0 * (1.0 if w is None else w[:, None])).T @ Mf  # Sx[i, j]: sum of i over rows with i and j
    Sxx = (Z0**2 * (1.0 if w is None else w[:, None])).T @ Mf
    Sxy = (Z0 * (1.0 if w is None else w[:, None])).T @ Z0
    counts = Mf.T @ Mf
    return _corr_from_pair_sums(N[None], Sx[None], Sxx[None], Sxy[None])[0], counts


def _corr_from_pair_sums(N, Sx, Sxx, Sxy):
    Nsafe = np.where(N > 0, N, 1.0)
    cov = Sxy - Sx * np.swapaxes(Sx, -1, -2) / Nsafe
    var_i = Sxx - Sx**2 / Nsafe  # variance of i over the pair (i, j)
    den = np.sqrt(np.clip(var_i, 0, None) * np.clip(np.swapaxes(var_i, -1, -2), 0, None))
    ok = den > 1e-12
    R = np.where(ok, cov / np.where(ok, den, 1.0), 0.0)
    q = R.shape[-1]
    R[..., np.arange(q), np.arange(q)] = 1.0
    return np.clip(R, -1.0, 1.0)


def _nearest_correlation(R: np.ndarray) -> np.ndarray:
    """Clip negative eigenvalues and rescale to a unit diagonal (a consistent correlation matrix)."""
    ev, V = np.linalg.eigh(R)
    ev = np.clip(ev, 1e-8, None)
    C = (V * ev) @ V.T
    d = np.sqrt(np.diag(C))
    C = C / np.outer(d, d)
    np.fill_diagonal(C, 1.0)
    return C


def _descriptives(data: _Rows, w: np.ndarray | None, names: Sequence[str], scale,
                  pairwise: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each driver's (weighted) mean, top-box share and Spearman correlation with the outcome (last column).

    Over the rows used: listwise, every row; pairwise, the rows answering the driver and the outcome.
    Whole-number ratings are tallied in one joint table with the outcome, from which all three follow.
    """
    p = data.width - 1
    means, tops, spearman = np.empty(p), np.empty(p), np.empty(p)
    Z = data.matrix() if pairwise else None
    y = Z[:, -1] if pairwise else data.column(p, out=np.empty(data.n) if data.take is not None else None)
    codes = None if pairwise else np.empty(data.n, dtype=np.intp)
    y_codes = None if pairwise else _rank_codes(y, w, out=np.empty(data.n, dtype=np.intp))
    x_buf = None if pairwise or data.take is None else np.empty(data.n)
    for j, d in enumerate(names):
        if pairwise:
            rows = np.isfinite(Z[:, j]) & np.isfinite(y)
            x, yy, ww = Z[rows, j], y[rows], None if w is None else w[rows]
        else:
            x, yy, ww = data.column(j, out=x_buf), y, w
            span = _small_int_codes(x, codes)
            ny = len(y_codes[1])
            if span is not None and (span[1] - span[0] + 1) * ny <= 2_000_000:
                np.multiply(codes, ny, out=codes)
                codes += y_codes[0]
                table = np.bincount(codes, weights=w, minlength=int(span[1] - span[0] + 1) * ny).reshape(-1, ny)
                px = table.sum(axis=1)
                values = span[0] + np.arange(len(px))
                W = px.sum()
                means[j] = float(px @ values / W)
                sc = _resolve_scale(scale, d, None, observed=span)
                tops[j] = math.nan if sc is None else float(px[values >= _box_cuts(*sc)[1]].sum() / W)
                spearman[j] = _spearman_from_table(table, np.cumsum(px) - px / 2.0, y_codes[1])
                continue
        means[j] = float(np.average(x, weights=ww))
        sc = _resolve_scale(scale, d, x)
        tops[j] = math.nan if sc is None else float(np.average(x >= _box_cuts(*sc)[1], weights=ww))
        spearman[j] = _spearman(x, yy, ww, y_codes)
    return means, tops, spearman


def _small_int_codes(x: np.ndarray, out: np.ndarray) -> tuple[float, float] | None:
    """``x - min(x)`` written into the integer buffer ``out``, and (min, max); None unless x is ratings.

    Ratings here: whole numbers spanning at most 100,000. On None, ``out`` holds nothing useful.
    """
    if not x.size:
        return None
    lo, hi = float(x.min()), float(x.max())
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi - lo > 100_000 or max(abs(lo), abs(hi)) > 2**52:
        return None
    np.copyto(out, x, casting="unsafe")
    if not np.array_equal(out, x):
        return None
    out -= int(lo)
    return lo, hi


def _rank_codes(x: np.ndarray, w: np.ndarray | None, out: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Integer code of each value (in sorted order) and the (weighted) mid-rank of each code.

    O(n) by counting when the values are small integers, as ratings are (codes written into ``out``
    when given); a sort otherwise.
    """
    k = np.empty(len(x), dtype=np.intp) if out is None else out
    if _small_int_codes(x, k) is None:
        _, k = np.unique(x, return_inverse=True)
    cw = np.bincount(k, weights=w)
    return k, np.cumsum(cw) - cw / 2.0


def _spearman(x: np.ndarray, y: np.ndarray, w: np.ndarray | None,
              y_codes: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """(Weighted) Spearman correlation: Pearson correlation of mid-ranks.

    For rating scales the ranks take few values, so the correlation is computed from the joint
    frequency table of the two answers instead of from a million rank pairs.
    """
    kx, rx = _rank_codes(x, w)
    ky, ry = y_codes if y_codes is not None else _rank_codes(y, w)
    nx, ny = len(rx), len(ry)
    if nx * ny <= 2_000_000:
        return _spearman_from_table(np.bincount(kx * ny + ky, weights=w, minlength=nx * ny).reshape(nx, ny), rx, ry)
    a, b = rx[kx], ry[ky]
    ww = np.ones(len(a)) if w is None else w
    W = ww.sum()
    a, b = a - ww @ a / W, b - ww @ b / W
    cov = (ww * a) @ b
    den = math.sqrt(((ww * a) @ a) * ((ww * b) @ b))
    return float(cov / den) if den > 0 else math.nan


def _spearman_from_table(T: np.ndarray, rx: np.ndarray, ry: np.ndarray) -> float:
    """Spearman correlation from the joint (weighted) frequency table of two answers and their mid-ranks."""
    W = T.sum()
    px, py = T.sum(axis=1), T.sum(axis=0)
    mx, my = px @ rx / W, py @ ry / W
    cov = (rx - mx) @ T @ (ry - my)
    den = math.sqrt((px @ (rx - mx) ** 2) * (py @ (ry - my) ** 2))
    return float(cov / den) if den > 0 else math.nan


def _infer_scale(values: np.ndarray) -> tuple[float, float] | None:
    """The rating scale behind observed answers: 1–5, 1–7, 0–10 or 1–10 (None when not a rating)."""
    v = values[np.isfinite(values)]
    if v.size == 0 or not np.array_equal(v, np.floor(v)):
        return None
    return _scale_of_range(float(v.min()), float(v.max()))


def _scale_of_range(lo: float, hi: float) -> tuple[float, float] | None:
    """The rating scale of whole-number answers from lo to hi (None when not a rating)."""
    if lo < 0 or hi > 10:
        return None
    if lo >= 1 and hi <= 5:
        return (1.0, 5.0)
    if lo >= 1 and hi <= 7:
        return (1.0, 7.0)
    return (0.0, 10.0) if lo == 0 else (1.0, 10.0)


def _resolve_scale(scale, driver: str, values: np.ndarray | None, *,
                   observed: tuple[float, float] | None = None) -> tuple[float, float] | None:
    """The given scale of a driver, else the one its answers show.

    ``observed`` is the (min, max) of answers already known to be whole numbers; else ``values`` are checked.
    """
    if isinstance(scale, dict):
        scale = scale.get(driver)
    if scale is not None:
        lo, hi = float(scale[0]), float(scale[1])
        if not lo < hi:
            raise CxInputError(f"The scale of '{driver}' must run from a low to a higher value; got {scale}.")
        return lo, hi
    return _scale_of_range(*observed) if observed is not None else _infer_scale(values)


def _box_cuts(lo: float, hi: float) -> tuple[float, float]:
    """(bottom-box upper limit, top-box lower limit) of a scale.

    Up to 9 scale points (1–5, 1–7): the bottom and top two points. 10 points or more (0–10,
    1–10): bottom box is 0–6 (the detractor range) and top box 9–10, as in NPS.
    """
    points = hi - lo + 1
    if points < 10:
        return lo + 1, hi - 1
    return math.floor(lo + 0.6 * (hi - lo)), hi - 1


# ─── logistic (detractor) model ─────────────────────────────────────────────────────────────────


def _compress(X: np.ndarray, y: np.ndarray, f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Collapse identical answer patterns into one row with a frequency (exact for the likelihood)."""
    D = np.column_stack([X, y])
    if np.array_equal(D, np.floor(D)):
        lo = D.min(axis=0)
        span = (D.max(axis=0) - lo + 1).astype(np.int64)
        if np.prod(span.astype(float)) < 2**62:
            key = np.zeros(len(D), dtype=np.int64)
            for k in range(D.shape[1]):
                key = key * span[k] + (D[:, k] - lo[k]).astype(np.int64)
            _, first, inv = np.unique(key, return_index=True, return_inverse=True)
            freq = np.bincount(inv, weights=f)
            return X[first], y[first], freq, inv
    inv = np.arange(len(D))
    return X, y, f, inv


def _logistic_table(X: np.ndarray, y: np.ndarray, f: np.ndarray, warm: np.ndarray | None = None,
                    loc: np.ndarray | None = None, spread: np.ndarray | None = None,
                    max_iter: int = 30, tol: float = 1e-8) -> tuple[np.ndarray, np.ndarray, bool]:
    """McFadden pseudo-R² of the logistic regression on every subset of drivers (batched IRLS).

    Every subset is fitted at once: coefficients live in a (subsets × (p + 1)) matrix with zeros
    for the drivers a subset leaves out, so the linear predictors of all subsets are one matrix
    product, and the Hessians are gathered from one product of the IRLS weights with the per-row
    cross-products of all drivers. Returns the table (1, 2^p) indexed by bitmask, the
    coefficients (for warm starts in the bootstrap) and whether every fit converged. Drivers are
    centred and scaled by ``loc`` and ``spread`` (their own mean and SD by default) for a
    well-conditioned fit; the likelihood does not depend on it.
    """
    n, p = X.shape
    loc = X.mean(axis=0) if loc is None else loc
    spread = X.std(axis=0) if spread is None else spread
    A = np.column_stack([np.ones(n), (X - loc) / np.where(spread > 0, spread, 1.0)])
    iu, ju = np.triu_indices(p + 1)
    P = A[:, iu] * A[:, ju]
    pos = np.empty((p + 1, p + 1), dtype=np.int64)
    pos[iu, ju] = np.arange(len(iu))
    pos[ju, iu] = np.arange(len(iu))
    masks = np.arange(1, 1 << p, dtype=np.int64)
    incl = np.column_stack([np.ones(len(masks), dtype=bool), ((masks[:, None] >> np.arange(p)) & 1).astype(bool)])
    both = incl[:, :, None] & incl[:, None, :]
    eye = np.eye(p + 1)
    ybar = float(f @ y / f.sum())
    ll0 = float(f.sum() * (ybar * math.log(ybar) + (1 - ybar) * math.log(1 - ybar)))
    if warm is not None:
        beta = warm.copy()
    else:
        beta = np.zeros((len(masks), p + 1))
        beta[:, 0] = math.log(ybar / (1 - ybar))
    ll = np.empty(len(masks))
    converged = True
    step = int(max(1, 4e6 // n))
    fy = f * y
    for s in range(0, len(masks), step):
        sl = slice(s, s + step)
        b = beta[sl]
        for _ in range(max_iter):
            # in-place arithmetic: these arrays are subsets × respondents (scipy's expit is ~6× slower)
            mu = b @ A.T
            np.negative(mu, out=mu)
            with np.errstate(over="ignore"):
                np.exp(mu, out=mu)
            mu += 1.0
            np.reciprocal(mu, out=mu)
            wv = 1.0 - mu
            wv *= mu
            wv *= f
            H = (wv @ P)[:, pos]
            H = np.where(both[sl], H, eye) + 1e-9 * eye
            mu *= -f
            mu += fy
            g = np.where(incl[sl], mu @ A, 0.0)
            delta = np.linalg.solve(H, g[..., None])[..., 0]
            b += delta
            if np.abs(delta).max() < tol:
                break
        else:
            converged = False
        eta = b @ A.T
        ll[sl] = (fy * eta - f * np.logaddexp(0.0, eta)).sum(axis=1)
    v = np.zeros((1, 1 << p))
    v[0, masks] = 1.0 - ll / ll0
    return v, beta, converged


# ─── bootstrap ──────────────────────────────────────────────────────────────────────────────────


def _poisson_table(bits: int = 16) -> np.ndarray:
    """Inverse CDF of Poisson(1) on a grid of 2^bits cells, for fast resampling weights."""
    cdf = np.cumsum([math.exp(-1) / math.factorial(k) for k in range(20)])
    u = (np.arange(1 << bits) + 0.5) / (1 << bits)
    return np.searchsorted(cdf, u).astype(np.float64)


def _features(Z0: np.ndarray, M: np.ndarray | None) -> np.ndarray:
    """Per-row moment features whose weighted sums give a (pairwise) covariance matrix."""
    n, q = Z0.shape
    iu, ju = np.triu_indices(q)
    if M is None:
        F = np.empty((n, len(iu) + q + 1))
        for a in range(q):  # products row by row of the upper triangle, in triu order
            sl = slice(np.searchsorted(iu, a), np.searchsorted(iu, a, side="right"))
            np.multiply(Z0[:, a:], Z0[:, a:a + 1], out=F[:, sl])
        F[:, len(iu):len(iu) + q] = Z0
        F[:, -1] = 1.0
        return F
    Mf = M.astype(float)
    t = len(iu)
    F = np.empty((n, 2 * t + 2 * q * q))
    F[:, :t] = Mf[:, iu] * Mf[:, ju]
    F[:, t:t + q * q] = (Z0[:, :, None] * Mf[:, None, :]).reshape(n, q * q)
    F[:, t + q * q:t + 2 * q * q] = ((Z0**2)[:, :, None] * Mf[:, None, :]).reshape(n, q * q)
    F[:, t + 2 * q * q:] = Z0[:, iu] * Z0[:, ju]
    return F


def _corr_from_features(S: np.ndarray, q: int, pairwise: bool) -> np.ndarray:
    """Stack of correlation matrices from summed features (B, n_features)."""
    B = S.shape[0]
    iu, ju = np.triu_indices(q)
    t = len(iu)

    def sym(vals):
        out = np.empty((B, q, q))
        out[:, iu, ju] = vals
        out[:, ju, iu] = vals
        return out

    if not pairwise:
        C = sym(S[:, :t])
        s = S[:, t:t + q]
        W = S[:, -1]
        C = C - s[:, :, None] * s[:, None, :] / np.where(W > 0, W, 1.0)[:, None, None]
        return _cov_to_corr(C)
    N = sym(S[:, :t])
    Sx = S[:, t:t + q * q].reshape(B, q, q)
    Sxx = S[:, t + q * q:t + 2 * q * q].reshape(B, q, q)
    Sxy = sym(S[:, t + 2 * q * q:])
    return _corr_from_pair_sums(N, Sx, Sxx, Sxy)


def _bootstrap_corrs(Z: np.ndarray, w: np.ndarray | None, pairwise: bool, n_boot: int,
                     rng: np.random.Generator, tick: Callable[[float], None]) -> np.ndarray:
    """Correlation matrices of ``n_boot`` bootstrap resamples of the rows of Z (B, q, q).

    Up to 100,000 rows, each resample draws n rows with replacement (multinomial counts). Above
    that, each row gets an independent Poisson(1) count (the Poisson bootstrap, equivalent for
    large n), which lets one pass over the rows serve every resample at once: the per-row moment
    features are multiplied by the (resamples × rows) count matrix with one matrix product.
    """
    n, q = Z.shape
    M = np.isfinite(Z) if pairwise else None
    center = np.nanmean(Z, axis=0) if pairwise else Z.mean(axis=0)
    Z0 = np.ascontiguousarray(np.where(M, Z - center, 0.0) if pairwise else Z - center)
    M = None if M is None else np.ascontiguousarray(M)
    nf = len(_features(Z0[:1], None if M is None else M[:1])[0])
    chunk = int(max(1000, min(50_000, 4e6 // nf)))
    S = np.zeros((n_boot, nf))
    if n <= _MULTINOMIAL_MAX_N:
        block = int(max(1, min(n_boot, 4e6 // n)))
        blocks = list(range(0, n_boot, block))
        steps = len(blocks) * math.ceil(n / chunk)
        done = 0
        for b0 in blocks:
            b1 = min(n_boot, b0 + block)
            counts = np.stack([np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(b0, b1)]).astype(float)
            for s in range(0, n, chunk):
                F = _features(Z0[s:s + chunk], None if M is None else M[s:s + chunk])
                if w is not None:
                    F *= w[s:s + chunk, None]
                S[b0:b1] += counts[:, s:s + chunk] @ F
                done += 1
                tick(done / steps)
    else:
        table = _poisson_table()
        steps = math.ceil(n / chunk)
        buf = np.empty((n_boot, chunk))
        for i, s in enumerate(range(0, n, chunk)):
            rows = min(chunk, n - s)
            W = buf[:, :rows]
            # 16 uniform random bits per count, straight from the bit generator (4 per 64-bit draw)
            bits = rng.bit_generator.random_raw(math.ceil(n_boot * rows / 4)).view(np.uint16)
            np.take(table, bits[: n_boot * rows].reshape(n_boot, rows), out=W, mode="clip")
            F = _features(Z0[s:s + rows], None if M is None else M[s:s + rows])
            if w is not None:
                F *= w[s:s + rows, None]
            S += W @ F
            tick((i + 1) / steps)
    return _corr_from_features(S, q, pairwise)


# ─── the analysis ───────────────────────────────────────────────────────────────────────────────


_METHOD_WORDS = {
    "shapley": ("Shapley value (LMG) decomposition of R²: each driver's share is its average gain in R² when it "
                "is added to every possible combination of the other drivers, computed exactly over all {subsets} "
                "subsets from the correlation matrix. The shares add up to the model's R²; importance is the "
                "share divided by R², so importances add up to 100%. Overlapping drivers share the credit "
                "instead of one taking it all."),
    "shapley_sampled": ("Shapley value (LMG) decomposition of R², estimated: with {p} drivers there are too many "
                        "subsets to visit, so each driver's share is its average gain in R² over {perms:,} random "
                        "orderings of the drivers (each with its reverse; seed {seed}). The largest standard error "
                        "of a share is {se:.2g}. The shares add up to the model's R²; importance is the share "
                        "divided by R²."),
    "relative_weights": ("Johnson's relative weights: the drivers are replaced by their closest uncorrelated "
                         "counterparts, the outcome is regressed on those, and the explained variance is mapped "
                         "back to the original drivers. The raw weights add up to the model's R² and closely track "
                         "the Shapley shares; importance is the weight divided by R²."),
    "beta": ("Standardised regression coefficients (betas) from one regression of the outcome on all drivers. The "
             "share of R² is Pratt's measure, beta × correlation, which adds up to R² but turns negative when "
             "drivers overlap strongly. Betas mislead when drivers are correlated: check the VIF column and "
             "prefer the Shapley method."),
    "correlation": ("Correlation of each driver with the outcome, one driver at a time. Importance is the squared "
                    "correlation as a share of the sum of squared correlations. It ignores the overlap between "
                    "drivers, so a halo makes every driver look important."),
    "logistic_shapley": ("Outcome: detractor (score 0–6) versus not (7–10). A logistic regression of that outcome "
                         "is fitted on every one of the {subsets} subsets of drivers; each driver's share is its "
                         "Shapley value of McFadden's pseudo-R² (1 − log-likelihood of the model ÷ log-likelihood "
                         "with no drivers), its average gain over all subsets. Shares add up to the full model's "
                         "pseudo-R²; importance is the share divided by it."),
    "lpm": ("Outcome: detractor (score 0–6) versus not (7–10), analysed as a linear probability model (a linear "
            "regression of the 0/1 detractor indicator), so R², betas and the method below refer to that model."),
}


def _method_notes(method: str, prep: _Prepared, outcome: str, weight: str | None, missing: str, *,
                  logistic: bool, sampled: dict | None, n_boot: int, seed: int | None, boot_kind: str) -> str:
    p = len(prep.names)
    parts = []
    if logistic:
        parts.append(_METHOD_WORDS["logistic_shapley"].format(subsets=f"{2**p:,}"))
    else:
        if prep.outcome_type == "detractor":
            parts.append(_METHOD_WORDS["lpm"])
        if sampled is not None:
            parts.append(_METHOD_WORDS["shapley_sampled"].format(p=p, **sampled))
        else:
            parts.append(_METHOD_WORDS[method].format(subsets=f"{2**p:,}"))
    if missing == "listwise":
        parts.append(f"Respondents used: those with a valid '{outcome}' who answered every driver (n = {prep.n:,}).")
    else:
        parts.append(f"Pairwise deletion: each correlation uses every respondent with a valid '{outcome}' who "
                     f"answered both questions; the "
                     f"smallest such base is n = {prep.n:,} ({prep.n_listwise:,} answered everything).")
    if weight:
        parts.append(f"Respondents are weighted by '{weight}' (effective sample size {prep.effective_n:,.0f}).")
    if n_boot:
        parts.append(f"95% intervals: percentile bootstrap over {n_boot:,} resamples of respondents (seed {seed}"
                     f"{'; Poisson(1) weights per respondent' if boot_kind == 'poisson' else ''}).")
    parts.append(_CAVEAT)
    return " ".join(parts)


def key_drivers(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, method: str | None = None, *,
                weight: str | None = None, missing: str = "listwise", outcome_type: str = "numeric",
                scale: tuple[float, float] | dict[str, tuple[float, float]] | None = None, n_boot: int = 0,
                seed: int = 0, progress: Callable[[float], None] | None = None,
                n_permutations: int = DEFAULT_PERMUTATIONS) -> DriverAnalysis:
    """Key driver analysis: each driver's share of the explained variance in the outcome.

    Parameters
    ----------
    frame : DataFrame
        The cleaned survey frame: float64 driver ratings with NaN for missing answers.
    drivers : list of str
        Driver rating columns.
    outcome : str
        The outcome column: the 0–10 loyalty score or any numeric column.
    method : {"shapley", "relative_weights", "beta", "correlation"}, optional
        Default ``"shapley"`` up to 15 drivers (exact), ``"relative_weights"`` above. Asking for
        ``"shapley"`` with more than 15 drivers gives a sampled Shapley with its standard error.
    weight : str, optional
        A respondent weight column: weighted correlations and regressions.
    missing : {"listwise", "pairwise"}
        Listwise (default, per the contract): respondents with a valid outcome and every driver
        answered. Pairwise: each correlation from the respondents who answered both questions.
    outcome_type : {"numeric", "detractor"}
        ``"detractor"`` models detractor (0–6) versus not (7–10) from a 0–10 outcome: Shapley of
        McFadden's pseudo-R² over logistic regressions up to 10 drivers, otherwise relative weights
        of the linear probability model (the ``notes`` say which).
    scale : (low, high) or dict of driver to (low, high), optional
        Rating scale for the top-box share; inferred from the answers when omitted.
    n_boot : int
        Bootstrap resamples for 95% percentile intervals on every importance (0: none; the page
        uses :data:`DEFAULT_N_BOOT`).
    seed : int
        Seed of ``np.random.default_rng`` for the bootstrap and sampled Shapley.
    progress : callable, optional
        Called with the fraction of the bootstrap done (0..1).
    n_permutations : int
        Driver orderings for sampled Shapley (more than 15 drivers).

    Returns
    -------
    DriverAnalysis
        Items sorted by importance, largest first; ``to_dict()`` is the contract's ``drivers``.

    Raises
    ------
    CxInputError
        Unknown columns or method, non-numeric columns, no usable respondents, fewer respondents
        than drivers + 2, no variation in the outcome or in every driver.

    Notes
    -----
    With v(S) the R² of the outcome on the drivers in S (from the correlation matrix R):
    Shapley ``phi_j = Σ_{S ∌ j} |S|!(p−|S|−1)!/p! · (v(S∪{j}) − v(S))``; relative weights
    ``ε_j = Σ_k Λ_jk² β_k²`` with ``Λ = R_xx^½``, ``β = Λ^-1 r_xy``; Pratt ``β_j r_j`` with
    ``β = R_xx^-1 r_xy``; correlation ``r_j²``. ``importance = r2_contribution / r2``
    (for correlation ``r_j² / Σ r_k²``), so importances sum to 1.

    References
    ----------
    Lindeman, Merenda & Gold (1980); Grömping (2006), *JSS* 17(1); Johnson (2000), *Multivariate
    Behavioral Research* 35(1); Pratt (1987); Azen & Budescu (2003), *Psychological Methods* 8(2);
    Azen & Traxel (2009), *J. Educ. Behav. Stat.* 34(3) (dominance analysis for logistic
    regression); McFadden (1974).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"y": [1, 2, 3, 4, 5, 6.], "a": [1, 3, 2, 5, 4, 6.], "b": [2, 1, 4, 3, 6, 5.]})
    >>> res = key_drivers(df, ["a", "b"], "y")
    >>> round(sum(i.importance for i in res.items), 6)
    1.0
    """
    if method is not None and method not in METHODS:
        raise CxInputError(f"Unknown key driver method '{method}'; choose one of: {', '.join(METHODS)}.")
    if n_boot < 0 or int(n_boot) != n_boot:
        raise CxInputError("The number of bootstrap resamples must be a whole number, 0 or more.")
    prep = _prepare(frame, drivers, outcome, weight=weight, missing=missing, outcome_type=outcome_type)
    p = len(prep.names)
    warnings = list(prep.warnings)
    requested = method
    if method is None:
        method = "shapley" if p <= EXACT_SHAPLEY_MAX_DRIVERS else "relative_weights"
    logistic = prep.outcome_type == "detractor" and method == "shapley" and p <= LOGISTIC_SHAPLEY_MAX_DRIVERS
    if prep.outcome_type == "detractor" and method == "shapley" and not logistic:
        method = "relative_weights"
        if requested == "shapley":
            warnings.append(f"With more than {LOGISTIC_SHAPLEY_MAX_DRIVERS} drivers the detractor model uses relative "
                            "weights of a linear probability model instead of logistic Shapley values.")
    sampled_shapley = method == "shapley" and not logistic and p > EXACT_SHAPLEY_MAX_DRIVERS
    tick = progress or (lambda _f: None)
    rng = np.random.default_rng(seed)

    w = prep.w
    pairwise = missing == "pairwise"
    if pairwise:
        R, _ = _pairwise_corr(prep.Z, w)
        corr = R[:-1, -1].copy()  # each driver's own pairwise r, before any adjustment
        if np.linalg.eigvalsh(R).min() < -1e-10:
            R = _nearest_correlation(R)
            warnings.append("Pairwise correlations come from different groups of respondents and do not fit together "
                            "(the matrix is not positive definite); they were adjusted to the nearest consistent "
                            "matrix. Prefer listwise deletion if you can.")
    else:
        _, C = _weighted_cov(prep.rows, w)
        R = _cov_to_corr(C)
    Rs = R[None]

    # diagnostics shared by every method (linear model; linear probability model for detractors)
    Rxx = R[:-1, :-1]
    vif = _vif(Rxx)
    beta = _ols_beta(Rs)[0]
    rw, r2_lin = _stat_relative_weights(Rs)
    rw = rw[0]
    if not pairwise:
        corr = R[:-1, -1]
    perfect = [prep.names[j] for j in range(p) if math.isinf(vif[j])]
    high = [prep.names[j] for j in range(p) if 10 < vif[j] < math.inf]
    if perfect:
        warnings.append("'" + "', '".join(perfect) + "' " + ("is an exact combination" if len(perfect) == 1
                        else "are exact combinations") + " of other drivers (perfectly collinear): a regression "
                        "cannot separate them, betas are arbitrary, and Shapley splits their shared credit.")
    if high:
        warnings.append("Some drivers overlap so strongly that a regression can hardly tell them apart (VIF above "
                        "10: '" + "', '".join(high) + "'). Betas are unreliable here; Shapley and relative-weight "
                        "shares remain usable, but expect wide intervals.")
    if p > 1 and not perfect and not high:
        ev = np.linalg.eigvalsh(Rxx)
        cond = math.sqrt(ev.max() / max(ev.min(), 1e-300))
        if cond > 30:
            warnings.append(f"The drivers' correlation matrix is nearly singular (condition index {cond:.0f}): some "
                            "combinations of drivers carry almost the same information, so betas are unstable.")

    # the chosen method
    sampled_info = None
    se = np.full(p, math.nan)
    perms = None
    model = "linear regression" if prep.outcome_type == "numeric" else "linear probability model"
    if logistic:
        model = "logistic regression"
        Z = prep.Z
        Xl, yl = Z[:, :-1], Z[:, -1]
        fl = np.ones(len(yl)) if w is None else w
        if pairwise:
            ok = np.isfinite(Z).all(axis=1)
            Xl, yl, fl = Xl[ok], yl[ok], fl[ok]
            warnings.append("The logistic detractor model needs complete answers, so it uses the listwise "
                            f"respondents ({prep.n_listwise:,}); correlations and means use pairwise data.")
        Xc, yc, fc, inv = _compress(Xl, yl, fl)
        sub_rows = None
        if len(yc) * 2**p > _LOGISTIC_BUDGET:
            m = int(_LOGISTIC_BUDGET // 2**p)
            sub_rows = np.sort(rng.choice(len(yl), size=m, replace=False))
            Xc, yc, fc, inv = _compress(Xl[sub_rows], yl[sub_rows], fl[sub_rows])
            warnings.append(f"For speed, the logistic models were fitted on a random sample of {m:,} of the "
                            f"{len(yl):,} respondents (seed {seed}).")
        loc, spread = Xc.mean(axis=0), Xc.std(axis=0)
        v, coefs, converged = _logistic_table(Xc, yc, fc, loc=loc, spread=spread)
        if not converged:
            warnings.append("Some logistic models did not converge (drivers may separate detractors perfectly); "
                            "treat the detractor importances with caution.")
        contrib = _shapley_from_table(v, p)[0]
        r2 = float(v[0, -1])
    elif method == "shapley" and not sampled_shapley:
        c, r = _stat_shapley(Rs)
        contrib, r2 = c[0], float(r[0])
    elif method == "shapley":
        pairs = max(2, n_permutations // 2)
        perms = rng.permuted(np.tile(np.arange(p), (pairs, 1)), axis=1)
        c, r, s = _stat_shapley_sampled(Rs, perms)
        contrib, r2, se = c[0], float(r[0]), s[0]
        sampled_info = {"perms": 2 * pairs, "seed": seed, "se": float(np.nanmax(se))}
    elif method == "relative_weights":
        contrib, r2 = rw.copy(), float(r2_lin[0])
    elif method == "beta":
        c, r = _stat_beta(Rs)
        contrib, r2 = c[0], float(r[0])
    else:
        c, r = _stat_correlation(Rs)
        contrib, r2 = c[0], float(r[0])
    total = float(contrib.sum())
    if method == "correlation":
        importance = contrib / total if total > 0 else np.full(p, 1.0 / p)
    else:
        importance = contrib / r2 if r2 > 1e-12 else np.full(p, 1.0 / p)
    if r2 <= 1e-12 or (method == "correlation" and total <= 0):
        warnings.append("The drivers explain none of the variation in the outcome; importances are shown as equal "
                        "shares and mean nothing.")
    elif not r2 >= WEAK_R2:
        warnings.append(f"The drivers explain only {r2:.1%} of the variation in {outcome} (R² = {r2:.3f}): their "
                        "shares of it are shares of noise, so no driver is named as the one that matters most. Check "
                        "that the outcome is the right column, and ask what the survey did not measure.")

    # bootstrap
    boot = None
    boot_kind = "multinomial" if prep.rows.n <= _MULTINOMIAL_MAX_N else "poisson"
    if n_boot:
        if logistic:
            boot = _bootstrap_logistic(Xl if sub_rows is None else Xl[sub_rows],
                                       yl if sub_rows is None else yl[sub_rows],
                                       fl if sub_rows is None else fl[sub_rows], coefs, (loc, spread),
                                       n_boot, rng, tick)
            boot_kind = "multinomial"
        else:
            corrs = _bootstrap_corrs(prep.Z, w, pairwise, n_boot, rng, lambda f: tick(0.7 * f))
            if pairwise:
                for b in range(n_boot):
                    if np.linalg.eigvalsh(corrs[b]).min() < -1e-10:
                        corrs[b] = _nearest_correlation(corrs[b])
            boot = np.empty((n_boot, p))
            step = max(1, (1 << 21) >> p) if method == "shapley" and not sampled_shapley else 25
            for s in range(0, n_boot, step):
                Rb = corrs[s:s + step]
                if method == "shapley" and sampled_shapley:
                    cb, rb, _ = _stat_shapley_sampled(Rb, perms[: max(2, min(len(perms), 128))])
                elif method == "shapley":
                    cb, rb = _stat_shapley(Rb)
                elif method == "relative_weights":
                    cb, rb = _stat_relative_weights(Rb)
                elif method == "beta":
                    cb, rb = _stat_beta(Rb)
                else:
                    cb, rb = _stat_correlation(Rb)
                    rb = cb.sum(axis=1)
                with np.errstate(divide="ignore", invalid="ignore"):
                    boot[s:s + step] = cb / rb[:, None]
                tick(0.7 + 0.3 * min(1.0, (s + step) / n_boot))
        tick(1.0)

    # descriptive numbers per driver, over the rows used
    means, tops, spearman = _descriptives(prep.rows, w, prep.names, scale, pairwise)

    if boot is not None:
        lo = np.nanpercentile(boot, 2.5, axis=0)
        hi = np.nanpercentile(boot, 97.5, axis=0)
    else:
        lo = hi = np.full(p, math.nan)
    order = sorted(range(p), key=lambda j: (-importance[j], j))
    items = tuple(
        DriverImportance(driver=prep.names[j], importance=float(importance[j]), r2_contribution=float(contrib[j]),
                         correlation=float(corr[j]), spearman=float(spearman[j]), mean=float(means[j]),
                         top_box=float(tops[j]), beta=float(beta[j]), vif=float(vif[j]),
                         relative_weight=float(rw[j]), n_answered=prep.n_answered[prep.names[j]],
                         ci_low=float(lo[j]), ci_high=float(hi[j]), sampling_error=float(se[j]))
        for j in order)
    notes = _method_notes(method, prep, outcome, weight, missing, logistic=logistic, sampled=sampled_info,
                          n_boot=n_boot, seed=seed, boot_kind=boot_kind)
    return DriverAnalysis(
        method=method, outcome=outcome, n=prep.n, r2=r2, items=items, warnings=tuple(warnings), notes=notes,
        outcome_type=prep.outcome_type, model=model, missing=missing, n_listwise=prep.n_listwise,
        n_total=prep.n_total, weight=weight, effective_n=prep.effective_n, dropped=tuple(prep.dropped),
        n_boot=int(n_boot), seed=seed if (n_boot or sampled_shapley or logistic) else None,
        sampling_error=float(np.nanmax(se)) if sampled_info else math.nan,
        boot_importance=None if boot is None else boot[:, order])


def _bootstrap_logistic(X, y, f, coefs, scaling, n_boot, rng, tick) -> np.ndarray:
    """Bootstrap importances of the logistic Shapley model (warm-started IRLS per resample)."""
    n, p = X.shape
    Xc, yc, _, inv = _compress(X, y, np.ones(n))
    out = np.empty((n_boot, p))
    for b in range(n_boot):
        counts = np.bincount(rng.integers(0, n, n), minlength=n).astype(float)
        freq = np.bincount(inv, weights=counts * f, minlength=len(yc))
        keep = freq > 0
        yk = yc[keep]
        if yk.min() == yk.max():
            out[b] = math.nan
            continue
        # warm-started Newton steps converge in two or three iterations from the full-sample fit
        v, _, _ = _logistic_table(Xc[keep], yk, freq[keep], warm=coefs, loc=scaling[0], spread=scaling[1],
                                  max_iter=8, tol=1e-6)
        phi = _shapley_from_table(v, p)[0]
        out[b] = phi / v[0, -1] if v[0, -1] > 1e-12 else math.nan
        tick((b + 1) / n_boot)
    return out


def shapley_importance(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, **options) -> DriverAnalysis:
    """Shapley (LMG) key driver analysis; a shortcut for ``key_drivers(..., method="shapley")``.

    Parameters
    ----------
    frame, drivers, outcome, **options
        As for :func:`key_drivers`.

    Returns
    -------
    DriverAnalysis
        See :func:`key_drivers`.
    """
    return key_drivers(frame, drivers, outcome, "shapley", **options)


def relative_weights(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, **options) -> DriverAnalysis:
    """Johnson's relative weights; a shortcut for ``key_drivers(..., method="relative_weights")``.

    Parameters
    ----------
    frame, drivers, outcome, **options
        As for :func:`key_drivers`.

    Returns
    -------
    DriverAnalysis
        See :func:`key_drivers`.
    """
    return key_drivers(frame, drivers, outcome, "relative_weights", **options)


def bootstrap_drivers(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, method: str | None = None, *,
                      n_boot: int = DEFAULT_N_BOOT, seed: int = 0, progress: Callable[[float], None] | None = None,
                      **options) -> DriverAnalysis:
    """Key driver analysis with bootstrap 95% intervals on every importance.

    Parameters
    ----------
    frame, drivers, outcome, method, **options
        As for :func:`key_drivers`.
    n_boot : int
        Bootstrap resamples (default 200).
    seed : int
        Seed for ``np.random.default_rng``: the same seed gives the same intervals.
    progress : callable, optional
        Called with the fraction done, for a progress bar.

    Returns
    -------
    DriverAnalysis
        With ``ci_low``/``ci_high`` on every item and ``boot_importance`` for
        :func:`distinguishable`.

    Notes
    -----
    Percentile intervals: the 2.5th and 97.5th percentiles of the importance over resamples of
    respondents. Each resample's correlation matrix comes from its cross-product matrix
    (resampling counts as weights), then the same method runs on all matrices at once.

    References
    ----------
    Efron & Tibshirani (1993), *An Introduction to the Bootstrap*, ch. 13; Hanley & MacGibbon
    (2006), Creating non-parametric bootstrap samples using Poisson frequencies, *Computer Methods
    and Programs in Biomedicine* 83(1).
    """
    return key_drivers(frame, drivers, outcome, method, n_boot=n_boot, seed=seed, progress=progress, **options)


def distinguishable(analysis: DriverAnalysis) -> pd.DataFrame:
    """Pairs of drivers whose importances the bootstrap can tell apart.

    Parameters
    ----------
    analysis : DriverAnalysis
        A result computed with bootstrap intervals (``n_boot > 0``).

    Returns
    -------
    DataFrame
        One row per pair (``driver`` ranked above ``other``): ``difference`` in importance,
        ``ci_low``/``ci_high`` (95% percentile bootstrap interval of the difference) and
        ``distinguishable`` (the interval excludes 0).

    Notes
    -----
    The difference is computed within each resample, so drivers that move together across
    resamples can be distinguishable even when their own intervals overlap.
    """
    if analysis.boot_importance is None:
        raise CxInputError("Run the analysis with bootstrap resamples (n_boot > 0) to see which drivers differ.")
    B = analysis.boot_importance
    rows = []
    for a, b in itertools.combinations(range(len(analysis.items)), 2):
        d = B[:, a] - B[:, b]
        lo, hi = np.nanpercentile(d, [2.5, 97.5])
        rows.append({"driver": analysis.items[a].driver, "other": analysis.items[b].driver,
                     "difference": analysis.items[a].importance - analysis.items[b].importance,
                     "ci_low": float(lo), "ci_high": float(hi), "distinguishable": bool(lo > 0 or hi < 0)})
    return pd.DataFrame(rows, columns=["driver", "other", "difference", "ci_low", "ci_high", "distinguishable"])


# ─── importance-performance, bottom box, segments, what-if ─────────────────────────────────────


def importance_performance(analysis: DriverAnalysis, frame: pd.DataFrame, *, performance: str = "mean",
                           weight: str | None = None,
                           scale: tuple[float, float] | dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Importance–performance matrix: where to act first.

    Parameters
    ----------
    analysis : DriverAnalysis
        The key driver result (importance per driver).
    frame : DataFrame
        The responses to measure performance on (e.g. the filtered frame).
    performance : {"mean", "top_box"}
        Mean rating, or the share rating in the top box (top two points of a 1–5 or 1–7 scale,
        9–10 of a 0–10 scale).
    weight : str, optional
        Weight column; defaults to the analysis's weight.
    scale : (low, high) or dict, optional
        Rating scale for the top box; inferred from the answers when omitted.

    Returns
    -------
    DataFrame
        ``driver, importance, ci_low, ci_high, performance, n_answered, quadrant,
        importance_cut, performance_cut``, in the analysis's order.

    Notes
    -----
    Performance is measured over every respondent in ``frame`` who answered the driver. The
    quadrants split at the mean importance and the mean performance of the drivers shown (a value
    equal to the mean counts as high): high importance and low performance = "Fix first",
    high/high = "Keep", low importance and high performance = "Maintain", low/low = "Secondary".

    References
    ----------
    Martilla & James (1977), Importance-performance analysis, *Journal of Marketing* 41(1).
    """
    if performance not in ("mean", "top_box"):
        raise CxInputError("Performance must be 'mean' (average rating) or 'top_box' (share in the top box).")
    weight = weight if weight is not None else (analysis.weight if analysis.weight in frame.columns else None)
    wcol = _numeric(frame, weight, "weight") if weight else None
    rows = []
    for it in analysis.items:
        if it.driver not in frame.columns:
            raise CxInputError(f"The driver '{it.driver}' is not in this data; run the analysis on the same columns.")
        x = _numeric(frame, it.driver, "driver")
        ok = np.isfinite(x)
        if wcol is not None:
            ok &= np.isfinite(wcol) & (wcol > 0)
        ww = None if wcol is None else wcol[ok]
        xs = x[ok]
        if xs.size == 0:
            perf = math.nan
        elif performance == "mean":
            perf = float(np.average(xs, weights=ww))
        else:
            sc = _resolve_scale(scale, it.driver, xs)
            perf = math.nan if sc is None else float(np.average(xs >= _box_cuts(*sc)[1], weights=ww))
        rows.append({"driver": it.driver, "importance": it.importance, "ci_low": it.ci_low, "ci_high": it.ci_high,
                     "performance": perf, "n_answered": int(ok.sum())})
    out = pd.DataFrame(rows)
    icut = float(out["importance"].mean())
    pcut = float(out["performance"].mean())
    hi_i = out["importance"] >= icut
    hi_p = out["performance"] >= pcut
    out["quadrant"] = np.select([hi_i & ~hi_p, hi_i & hi_p, ~hi_i & hi_p], list(QUADRANTS[:3]), QUADRANTS[3])
    out["importance_cut"] = icut
    out["performance_cut"] = pcut
    return out


def bottom_box_mask(frame: pd.DataFrame, driver: str, scale_low: float | None = None,
                    scale_high: float | None = None) -> pd.Series:
    """Respondents who rated a driver in the bottom box, for drilling into their comments.

    Parameters
    ----------
    frame : DataFrame
        The responses.
    driver : str
        The driver rating column.
    scale_low, scale_high : float, optional
        The rating scale's ends; inferred from the answers (1–5, 1–7, 0–10, 1–10) when omitted.

    Returns
    -------
    Series of bool
        Aligned to ``frame.index``; True for a bottom-box rating, False otherwise (including
        missing answers).

    Notes
    -----
    Bottom box: the lowest two points of a scale with fewer than 10 points (1–2 of 1–5, 1–2 of
    1–7); for 10 or more points, up to low + 60% of the range, i.e. 0–6 of 0–10 (the detractor
    range) and 1–6 of 1–10.
    """
    if driver not in frame.columns:
        raise CxInputError(f"The driver '{driver}' is not in this data.")
    x = _numeric(frame, driver, "driver")
    if scale_low is None or scale_high is None:
        sc = _infer_scale(x)
        if sc is None:
            raise CxInputError(f"'{driver}' does not look like a rating scale; give its scale (low and high) to "
                               "define the bottom box.")
        scale_low = sc[0] if scale_low is None else scale_low
        scale_high = sc[1] if scale_high is None else scale_high
    cut = _box_cuts(float(scale_low), float(scale_high))[0]
    return pd.Series(np.isfinite(x) & (x <= cut), index=frame.index, name=f"{driver} bottom box")


@dataclass(frozen=True)
class SegmentDrivers:
    """Key drivers of one segment value: its own model, or the pooled one when the base is too small."""

    value: str
    n: int  # respondents in the segment with the outcome and every driver answered
    pooled: bool  # True when the pooled (all respondents) result stands in for this segment
    analysis: DriverAnalysis
    reason: str = ""


@dataclass(frozen=True)
class DriversBySegment:
    """Key drivers per segment value, side by side, with the pooled result for small segments."""

    segment: str
    method: str
    min_n: int
    pooled: DriverAnalysis
    results: tuple[SegmentDrivers, ...]

    @property
    def pooled_values(self) -> tuple[str, ...]:
        """Segment values shown with the pooled result."""
        return tuple(r.value for r in self.results if r.pooled)

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per segment value and driver."""
        rows = []
        for r in self.results:
            for it in r.analysis.items:
                rows.append({"segment": r.value, "driver": it.driver, "importance": it.importance,
                             "r2_contribution": it.r2_contribution, "ci_low": it.ci_low, "ci_high": it.ci_high,
                             "mean": it.mean, "n": r.n, "model_n": r.analysis.n, "r2": r.analysis.r2,
                             "pooled": r.pooled})
        return pd.DataFrame(rows, columns=["segment", "driver", "importance", "r2_contribution", "ci_low", "ci_high",
                                           "mean", "n", "model_n", "r2", "pooled"])

    def to_dict(self) -> dict:
        """JSON-ready: the pooled analysis and one entry per segment value."""
        return {"segment": self.segment, "method": self.method, "min_n": self.min_n,
                "pooled": self.pooled.to_dict(),
                "items": [{"value": r.value, "n": r.n, "pooled": r.pooled, "reason": r.reason,
                           "drivers": r.analysis.to_dict()} for r in self.results]}


def drivers_by_segment(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, segment: str,
                       method: str | None = None, min_per_driver: int = 10, **options) -> DriversBySegment:
    """Key drivers per segment value, falling back to the pooled result for small segments.

    Parameters
    ----------
    frame, drivers, outcome, method, **options
        As for :func:`key_drivers`.
    segment : str
        The segment column (business unit, region, tier).
    min_per_driver : int
        A segment gets its own model when at least ``min_per_driver`` × (number of drivers)
        respondents answered the outcome and every driver; otherwise it shows the pooled result,
        labelled ``pooled=True``.

    Returns
    -------
    DriversBySegment
        Segment values ordered by base size, largest first.

    Notes
    -----
    Ten respondents per driver is a common floor for a stable regression (Harrell 2015, ch. 4).
    """
    drivers = _check_columns(frame, drivers, outcome, options.get("weight"))
    if segment not in frame.columns:
        raise CxInputError(f"The segment column '{segment}' is not in the data.")
    pooled = key_drivers(frame, drivers, outcome, method, **options)
    min_n = int(min_per_driver * len(drivers))
    cols = [*drivers, outcome] + ([options["weight"]] if options.get("weight") else [])
    seg = frame[segment]
    y = _numeric(frame, outcome, "outcome")
    complete = np.isfinite(y)
    for d in drivers:
        complete &= np.isfinite(_numeric(frame, d, "driver"))
    results = []
    values = seg.dropna().unique()
    sizes = {str(v): int(complete[(seg == v).to_numpy(dtype=bool, na_value=False)].sum()) for v in values}
    for v in sorted(values, key=lambda v: (-sizes[str(v)], str(v))):
        label = str(v)
        n = sizes[label]
        if n < min_n:
            results.append(SegmentDrivers(label, n, True, pooled,
                                          f"{n:,} respondents answered everything, fewer than {min_n:,} "
                                          f"({min_per_driver} per driver): showing all respondents instead."))
            continue
        sub = frame.loc[(seg == v).to_numpy(dtype=bool, na_value=False), cols]
        try:
            res = key_drivers(sub, drivers, outcome, pooled.method, **options)
        except CxInputError as exc:
            results.append(SegmentDrivers(label, n, True, pooled, f"Own model not possible ({exc}); showing all "
                                                                  "respondents instead."))
            continue
        results.append(SegmentDrivers(label, n, False, res))
    return DriversBySegment(segment, pooled.method, min_n, pooled, tuple(results))


@dataclass(frozen=True)
class PredictedChange:
    """Model estimate of what happens to the outcome and NPS when one driver's rating rises."""

    driver: str
    delta: float
    n: int
    coefficient: float  # outcome points per rating point (unstandardised OLS)
    mean_shift: float  # average actual rise in the rating after capping at the scale's top
    baseline_mean: float
    outcome_change: float
    baseline_nps: float
    promoter_change: float  # change in the promoter share (0..1)
    detractor_change: float
    nps_change: float  # NPS points (−100..100 scale)
    notes: str = ""

    def to_dict(self) -> dict:
        """JSON-ready fields."""
        return {k: _clean(v) for k, v in vars(self).items()}


def predicted_outcome_change(frame: pd.DataFrame, drivers: Sequence[str], outcome: str, driver: str, delta: float,
                             *, weight: str | None = None, scale_max: float | None = None,
                             scale_min: float | None = None) -> PredictedChange:
    """Model estimate of the change in mean outcome and NPS if one driver's ratings rise.

    Parameters
    ----------
    frame, drivers, outcome
        As for :func:`key_drivers` (listwise respondents).
    driver : str
        The driver to improve; must be one of ``drivers``.
    delta : float
        Rating points added to every respondent's rating of ``driver`` (negative to lower it).
    weight : str, optional
        Respondent weight column.
    scale_max, scale_min : float, optional
        The rating scale's ends; a rating never rises above ``scale_max`` (nor falls below
        ``scale_min``). Inferred from the answers when omitted.

    Returns
    -------
    PredictedChange
        Mean outcome change, and (when the outcome is a 0–10 score) the change in promoter and
        detractor shares and in NPS.

    Notes
    -----
    Three unstandardised OLS models on the same respondents and drivers: the outcome, the promoter
    indicator (score 9–10) and the detractor indicator (0–6). Each respondent's rating moves by
    ``Δx_i = min(x_i + delta, scale_max) − x_i``; the outcome changes by ``b · mean(Δx)``, the
    promoter share by ``b_P · mean(Δx)`` and the detractor share by ``b_D · mean(Δx)`` (linear
    probability models, shares kept within 0..1), and NPS by 100 × (Δpromoters − Δdetractors).
    This is a linear model's association, not a causal promise: it is a what-if, not a forecast.
    """
    drivers = _check_columns(frame, drivers, outcome, weight)
    if driver not in drivers:
        raise CxInputError(f"'{driver}' must be one of the drivers in the model.")
    prep = _prepare(frame, drivers, outcome, weight=weight, missing="listwise", outcome_type="numeric")
    if driver in prep.dropped:
        raise CxInputError(f"'{driver}' has the same answer from everyone, so the model cannot say what raising it does.")
    Z, w = prep.Z, prep.w
    X = np.column_stack([np.ones(len(Z)), Z[:, :-1]])
    y = Z[:, -1]
    sw = np.ones(len(y)) if w is None else np.sqrt(w)
    j = prep.names.index(driver) + 1
    x = Z[:, j - 1]
    sc = _infer_scale(x)
    hi = scale_max if scale_max is not None else (sc[1] if sc else float(x.max()))
    lo = scale_min if scale_min is not None else (sc[0] if sc else float(x.min()))
    shift = np.clip(x + delta, lo, hi) - x
    mean_shift = float(np.average(shift, weights=w))

    def coef(target: np.ndarray) -> float:
        b, *_ = np.linalg.lstsq(X * sw[:, None], target * sw, rcond=None)
        return float(b[j])

    b = coef(y)
    base_mean = float(np.average(y, weights=w))
    is_loyalty = _infer_scale(y) in ((0.0, 10.0), (1.0, 10.0))
    if is_loyalty:
        prom, det = (y >= 9).astype(float), (y <= 6).astype(float)
        p0, d0 = float(np.average(prom, weights=w)), float(np.average(det, weights=w))
        p1 = min(1.0, max(0.0, p0 + coef(prom) * mean_shift))
        d1 = min(1.0, max(0.0, d0 + coef(det) * mean_shift))
        dp, dd = p1 - p0, d1 - d0
        base_nps, dnps = 100 * (p0 - d0), 100 * (dp - dd)
    else:
        dp = dd = base_nps = dnps = math.nan
    notes = (f"Linear models of '{outcome}' and of the promoter and detractor shares on all {len(prep.names)} drivers "
             f"(n = {prep.n:,}): raising '{driver}' by {delta:g} point(s), capped at {hi:g}, raises it by "
             f"{mean_shift:.2f} on average. " + _CAVEAT)
    return PredictedChange(driver=driver, delta=float(delta), n=prep.n, coefficient=b, mean_shift=mean_shift,
                           baseline_mean=base_mean, outcome_change=b * mean_shift, baseline_nps=base_nps,
                           promoter_change=dp, detractor_change=dd, nps_change=dnps, notes=notes)


# ─── the Key drivers page: choices, words, tables, drill-down ──────────────────────────────────


CAVEAT = _CAVEAT
BOOTSTRAP_AUTO_MAX_ROWS = 50_000  # up to this many respondents in view, intervals compute without asking
DETRACTOR_OUTCOME = "__detractor_vs_not__"  # outcome choice: detractor (0–6) vs not, from the loyalty score
LISTWISE_DROP_WARN = 0.3  # warn when listwise deletion leaves out more than this share of respondents
METHOD_NAMES = {
    "shapley": "Shapley value (share of R²)",
    "relative_weights": "Relative weights (Johnson)",
    "beta": "Standardised betas, with VIF",
    "correlation": "Correlation only",
}
_METHOD_SHORT = {
    "shapley": "each driver's average gain in R² when it joins every combination of the other drivers, so "
               "drivers that overlap share the credit",
    "relative_weights": "each driver's share of R² after the drivers are made uncorrelated (Johnson's relative "
                        "weights); close to Shapley and fast with many drivers",
    "beta": "one regression of the outcome on all drivers: standardised betas, with each driver's share of R² "
            "as beta × correlation (Pratt). Betas mislead when drivers overlap: check the VIF",
    "correlation": "each driver's squared correlation with the outcome, one driver at a time, as a share of the "
                   "total; it ignores the overlap between drivers, so a halo inflates every driver",
}
_NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
                 10: "ten", 11: "eleven", 12: "twelve"}


def default_method(n_drivers: int) -> str:
    """The method the page starts on: exact Shapley up to 15 drivers, relative weights above.

    Parameters
    ----------
    n_drivers : int
        Number of drivers in the model.

    Returns
    -------
    str
        ``"shapley"`` or ``"relative_weights"``, as :func:`key_drivers` chooses with ``method=None``.
    """
    return "shapley" if n_drivers <= EXACT_SHAPLEY_MAX_DRIVERS else "relative_weights"


def outcome_options(frame: pd.DataFrame, loyalty: str | None, outcome: str | None = None,
                    exclude: Sequence[str] = ()) -> list[str]:
    """Outcomes a key driver analysis can explain, default first.

    Parameters
    ----------
    frame : DataFrame
        The cleaned survey frame.
    loyalty : str, optional
        The 0–10 loyalty column.
    outcome : str, optional
        The mapped outcome column (overall satisfaction...), listed first when given.
    exclude : sequence of str
        Columns that cannot be the outcome (the drivers, the weight, identifiers).

    Returns
    -------
    list of str
        The mapped outcome, the loyalty column, :data:`DETRACTOR_OUTCOME` (detractor vs not, when
        there is a loyalty column), then every other numeric column in the frame's order.
    """
    skip = set(exclude)
    first = [c for c in dict.fromkeys([outcome, loyalty]) if c and c in frame.columns]
    out = list(first)
    if loyalty and loyalty in frame.columns:
        out.append(DETRACTOR_OUTCOME)
    for c in frame.columns:
        if c in out or c in skip:
            continue
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and s.notna().any():
            out.append(str(c))
    return out


def resolve_outcome(choice: str, loyalty: str | None) -> tuple[str, str]:
    """The outcome column and outcome type behind an outcome choice.

    Parameters
    ----------
    choice : str
        A value from :func:`outcome_options`.
    loyalty : str, optional
        The 0–10 loyalty column (needed for :data:`DETRACTOR_OUTCOME`).

    Returns
    -------
    (str, str)
        ``(column, outcome_type)`` for :func:`key_drivers`: ``(loyalty, "detractor")`` for detractor
        vs not, otherwise ``(choice, "numeric")``.
    """
    if choice == DETRACTOR_OUTCOME:
        if not loyalty:
            raise CxInputError("Detractor vs not needs the 0–10 loyalty column: map it on the Data page.")
        return loyalty, "detractor"
    return choice, "numeric"


def outcome_label(choice: str, loyalty: str | None = None) -> str:
    """How an outcome choice reads in the page's selector."""
    if choice == DETRACTOR_OUTCOME:
        return f"Detractor vs not (0–6 on {loyalty})" if loyalty else "Detractor vs not"
    if loyalty and choice == loyalty:
        return f"{choice} (loyalty score)"
    return choice


def outcome_definition(analysis: DriverAnalysis) -> str:
    """What the outcome and importance mean for this analysis, in plain words.

    For the detractor outcome: how importance is defined for a yes/no outcome (logistic Shapley
    of McFadden's pseudo-R², or relative weights of a linear probability model).
    """
    if analysis.outcome_type != "detractor":
        return (f"Importance is each driver's share of how much of the variation in '{analysis.outcome}' the drivers "
                "explain together (R²); the shares add up to 100%.")
    base = (f"The outcome is whether a respondent is a detractor (0–6 on '{analysis.outcome}') or not (7–10). "
            "Importance is each driver's share of how well the drivers together tell detractors from the rest: ")
    if analysis.model == "logistic regression":
        return base + ("its Shapley share of McFadden's pseudo-R² over logistic regressions on every combination "
                       "of drivers (pseudo-R² = 1 − log-likelihood of the model ÷ log-likelihood without drivers). "
                       "The shares add up to 100%.")
    return base + (f"its share of R² in a linear probability model (a linear regression of the 0/1 detractor flag), "
                   f"by the {METHOD_NAMES.get(analysis.method, analysis.method).lower()} method. "
                   "The shares add up to 100%.")


def method_in_words(analysis: DriverAnalysis) -> str:
    """One sentence on how importance was computed (the long form is ``analysis.notes``)."""
    if analysis.model == "logistic regression":
        return ("Shapley value of a logistic model: each driver's average gain in pseudo-R² when it joins every "
                "combination of the other drivers.")
    words = _METHOD_SHORT.get(analysis.method, analysis.method)
    name = METHOD_NAMES.get(analysis.method, analysis.method)
    if analysis.method == "shapley" and math.isfinite(analysis.sampling_error):
        words += f" (estimated from random orderings of the drivers; standard error up to {analysis.sampling_error:.2g})"
    return f"{name}: {words}."


def base_sentence(analysis: DriverAnalysis) -> str:
    """How many respondents the analysis rests on, and how many were left out and why.

    Examples
    --------
    "Based on 2,678 of 5,000 respondents: the other 2,322 have no valid 'Likelihood to recommend'
    or skipped at least one driver (listwise deletion)."
    """
    total = analysis.n_total
    if analysis.missing == "pairwise":
        return (f"Pairwise deletion: each correlation uses everyone who answered both questions; the smallest base "
                f"is {analysis.n:,} of {total:,} respondents ({analysis.n_listwise:,} answered the outcome and "
                "every driver).")
    left = total - analysis.n
    if left <= 0:
        return f"Based on all {total:,} respondents: everyone answered the outcome and every driver."
    weight = f", or have no weight in '{analysis.weight}'" if analysis.weight else ""
    return (f"Based on {analysis.n:,} of {total:,} respondents: the other {left:,} have no valid '{analysis.outcome}' "
            f"or skipped at least one driver{weight} (listwise deletion).")


def analysis_warnings(analysis: DriverAnalysis, max_dropped_share: float = LISTWISE_DROP_WARN) -> tuple[str, ...]:
    """Every warning the page shows: the analysis's own, plus listwise losses and inflated betas.

    Parameters
    ----------
    analysis : DriverAnalysis
        The key driver result.
    max_dropped_share : float
        Warn when listwise deletion leaves out more than this share of respondents.

    Returns
    -------
    tuple of str
        The engine's warnings (low n, near-singular matrix, constant drivers, collinearity), then a
        warning when listwise deletion dropped many respondents (naming the least-answered drivers)
        and, for the beta method, drivers with a VIF between 5 and 10.
    """
    out = list(analysis.warnings)
    total = analysis.n_total
    if analysis.missing == "listwise" and total and (total - analysis.n) / total > max_dropped_share:
        low = sorted(analysis.items, key=lambda i: (i.n_answered, i.driver))[:3]
        names = ", ".join(f"'{i.driver}' ({i.n_answered:,})" for i in low)
        out.append(f"Listwise deletion left out {total - analysis.n:,} of {total:,} respondents "
                   f"({(total - analysis.n) / total:.0%}): only those who answered the outcome and every driver count. "
                   f"The least-answered drivers are {names}. Leave some out, or switch to pairwise deletion, to use "
                   "more respondents.")
    if analysis.method == "beta":
        mid = [i.driver for i in analysis.items if 5 < i.vif <= 10]
        if mid:
            out.append("VIF above 5 for '" + "', '".join(mid) + "': these drivers overlap with others, so their betas "
                       "are inflated or deflated by the overlap. Prefer the Shapley method for ranking.")
    return tuple(out)


def driver_tiers(analysis: DriverAnalysis) -> tuple[tuple[str, ...], ...]:
    """Groups of drivers that the bootstrap separates cleanly, most important first.

    Parameters
    ----------
    analysis : DriverAnalysis
        A result with bootstrap intervals.

    Returns
    -------
    tuple of tuples of str
        The ranked drivers cut wherever every driver above the cut is distinguishable (see
        :func:`distinguishable`) from every driver below it. Drivers in one group are not
        cleanly separated: some pairs in it cannot be told apart.

    Notes
    -----
    A cut after rank k is made when, for all i ≤ k < j, the 95% bootstrap interval of
    importance_i − importance_j excludes 0.
    """
    names = analysis.drivers
    p = len(names)
    if p <= 1:
        return (tuple(names),)
    D = _distinct_matrix(analysis)
    cuts = [k for k in range(1, p) if D[:k, k:].all()]
    bounds = [0, *cuts, p]
    return tuple(tuple(names[a:b]) for a, b in zip(bounds[:-1], bounds[1:]))


def _distinct_matrix(analysis: DriverAnalysis) -> np.ndarray:
    pairs = distinguishable(analysis)
    pos = {d: k for k, d in enumerate(analysis.drivers)}
    p = len(pos)
    D = np.zeros((p, p), dtype=bool)
    for a, b, ok in zip(pairs["driver"], pairs["other"], pairs["distinguishable"]):
        D[pos[a], pos[b]] = D[pos[b], pos[a]] = bool(ok)
    return D


def _name_group(names: Sequence[str]) -> str:
    names = [str(n) for n in names]
    if len(names) == 1:
        return names[0]
    if len(names) <= 3:
        return ", ".join(names[:-1]) + " and " + names[-1]
    return f"{names[0]} to {names[-1]}"


def _count_word(k: int) -> str:
    return _NUMBER_WORDS.get(k, f"{k:,}")


def describe_tiers(analysis: DriverAnalysis) -> str:
    """Which drivers the bootstrap can tell apart, in one sentence for a manager.

    Parameters
    ----------
    analysis : DriverAnalysis
        A result with bootstrap intervals.

    Returns
    -------
    str
        E.g. "Ease of doing business is clearly ahead of the rest; Billing accuracy is next,
        clearly ahead of the drivers after it; the remaining ten (Support responsiveness to
        Website and portal) overlap, so their order is uncertain."

    Notes
    -----
    Groups come from :func:`driver_tiers`. A group "cannot be told apart" when no pair in it is
    distinguishable; otherwise it "overlaps": some pairs differ, but no clean cut exists.
    """
    tiers = driver_tiers(analysis)
    names = analysis.drivers
    p = len(names)
    if p == 1:
        return f"There is only one driver, {names[0]}."
    D = _distinct_matrix(analysis)
    pos = {d: k for k, d in enumerate(names)}

    def apart(tier: Sequence[str]) -> bool:
        idx = [pos[d] for d in tier]
        return not D[np.ix_(idx, idx)].any()

    if len(tiers) == 1:
        if apart(tiers[0]):
            return (f"None of the {_count_word(p)} drivers can be told apart: their bootstrap intervals overlap, so "
                    "read the order as uncertain.")
        return ("No driver stands clearly apart from all those below it: the intervals overlap, so read the ranking "
                "as approximate.")
    if len(tiers) == p:
        return "Every driver is clearly ahead of the next one: the ranking is reliable."
    parts = []
    for k, tier in enumerate(tiers):
        size = len(tier)
        if k == 0:
            if size == 1:
                parts.append(f"{tier[0]} is clearly ahead of the rest")
            else:
                subject = _name_group(tier) if size <= 3 else f"the top {_count_word(size)} ({_name_group(tier)})"
                inner = "but cannot be told apart from each other" if apart(tier) else "in no clear order among themselves"
                parts.append(f"{subject} are clearly ahead of the rest, {inner}")
        elif k < len(tiers) - 1:
            if size == 1:
                parts.append(f"{tier[0]} is next, clearly ahead of the drivers after it")
            else:
                inner = "cannot be told apart" if apart(tier) else "overlap among themselves"
                parts.append(f"the next {_count_word(size)} ({_name_group(tier)}) {inner} but are clearly ahead of "
                             "the drivers after them")
        else:
            if size == 1:
                parts.append(f"{tier[0]} is clearly last")
            else:
                inner = "cannot be told apart" if apart(tier) else "overlap, so their order is uncertain"
                parts.append(f"the remaining {_count_word(size)} ({_name_group(tier)}) {inner}")
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:] if text.startswith("the ") else text


def headline(analysis: DriverAnalysis, tiers: bool = True) -> str:
    """The page's answer in one or two sentences: the top drivers, and how clearly they lead.

    Parameters
    ----------
    analysis : DriverAnalysis
        The key driver result.
    tiers : bool
        Add :func:`describe_tiers` as a second sentence when the analysis has bootstrap intervals.

    Returns
    -------
    str
        E.g. "Ease of doing business matters most (19% of the importance), followed by Billing
        accuracy (15%) and Support responsiveness (9%)."
    """
    items = analysis.items
    if analysis.explains_little:
        return (f"No driver stands out: together they explain {analysis.r2:.0%} of the variation in "
                f"{analysis.outcome} (R² = {analysis.r2:.3f}).")
    top = f"{items[0].driver} matters most ({items[0].importance:.0%} of the importance)"
    if len(items) > 1:
        rest = [f"{i.driver} ({i.importance:.0%})" for i in items[1:3]]
        top += ", followed by " + " and ".join(rest)
    top += "."
    if tiers and analysis.has_intervals and len(items) > 1:
        return top + " " + describe_tiers(analysis)
    return top


_TABLE_COLUMNS = {
    "driver": "Driver", "importance": "Importance", "ci_low": "95% interval from", "ci_high": "95% interval to",
    "r2_contribution": "Share of R²", "correlation": "Correlation (Pearson)", "spearman": "Correlation (Spearman)",
    "beta": "Beta (standardised)", "vif": "VIF", "relative_weight": "Relative weight", "mean": "Mean rating",
    "top_box": "Top-box share", "n_answered": "Answered", "sampling_error": "Sampling error",
}


def importance_table(analysis: DriverAnalysis) -> pd.DataFrame:
    """The numbers behind the ranked-importance chart, with readable column names.

    Returns
    -------
    DataFrame
        One row per driver, most important first: ``Rank, Driver, Group`` (the bootstrap group
        from :func:`driver_tiers`, only with intervals), ``Importance`` and its interval (only
        with intervals), ``Share of R²``, Pearson and Spearman correlations, standardised beta,
        VIF, relative weight, mean rating, top-box share, respondents who answered, and the
        sampling error (sampled Shapley only). Shares are fractions (0.19 = 19%).
    """
    f = analysis.to_frame()
    cols = ["driver", "importance", "ci_low", "ci_high", "r2_contribution", "correlation", "spearman", "beta", "vif",
            "relative_weight", "mean", "top_box", "n_answered", "sampling_error"]
    if not analysis.has_intervals:
        cols = [c for c in cols if c not in ("ci_low", "ci_high")]
    if not f["sampling_error"].notna().any():
        cols.remove("sampling_error")
    out = f[cols].rename(columns=_TABLE_COLUMNS)
    out.insert(0, "Rank", np.arange(1, len(out) + 1))
    if analysis.has_intervals:
        group = {d: k + 1 for k, tier in enumerate(driver_tiers(analysis)) for d in tier}
        out.insert(2, "Group", [group[d] for d in out["Driver"]])
    return out.reset_index(drop=True)


def _spreadsheet_safe(text: object) -> object:
    """Text a spreadsheet will not run as a formula (a leading =, +, -, @, tab or CR gets a quote)."""
    if isinstance(text, str) and text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def importance_csv(analysis: DriverAnalysis) -> bytes:
    """The importance table as CSV bytes (UTF-8) for download.

    Returns
    -------
    bytes
        :func:`importance_table` plus ``Outcome, Method, n, R²`` columns (the same on every row),
        with text that a spreadsheet would run as a formula prefixed by a quote.
    """
    t = importance_table(analysis)
    t["Outcome"] = ("Detractor vs not: " if analysis.outcome_type == "detractor" else "") + analysis.outcome
    t["Method"] = METHOD_NAMES.get(analysis.method, analysis.method) + (
        " (logistic)" if analysis.model == "logistic regression" else "")
    t["n"] = analysis.n
    t["R²"] = analysis.r2
    for c in ("Driver", "Outcome"):
        t[c] = t[c].map(_spreadsheet_safe)
    return t.to_csv(index=False).encode("utf-8")


def performance_matrix(frame: pd.DataFrame, analysis: DriverAnalysis, performance: str = "mean") -> pd.DataFrame:
    """:func:`importance_performance` with the frame first (the page's cached-call convention).

    Parameters
    ----------
    frame : DataFrame
        The responses in view.
    analysis : DriverAnalysis
        The key driver result.
    performance : {"mean", "top_box"}
        Mean rating or top-box share.

    Returns
    -------
    DataFrame
        See :func:`importance_performance`.
    """
    return importance_performance(analysis, frame, performance=performance)


@dataclass(frozen=True)
class LowRaters:
    """Respondents who rated a driver in the bottom box: the people whose comments to read."""

    driver: str
    answered: int  # respondents who rated the driver
    bottom_box: int  # of those, rated it in the bottom box
    detractors: int  # of the bottom box, detractors (0–6); 0 without a loyalty column
    with_comment: int  # of the bottom box, left a non-empty comment; 0 without a comments column
    box_low: float  # bottom-box range, e.g. 1–2 of a 1–5 scale
    box_high: float
    has_loyalty: bool = True
    has_comments: bool = True

    def sentence(self) -> str:
        """The counts in one sentence ("612 of 4,845 respondents who rated ... gave it 1–2 ...")."""
        text = (f"{self.bottom_box:,} of {self.answered:,} respondents who rated {self.driver} gave it "
                f"{self.box_low:g}–{self.box_high:g} (the bottom box)")
        extra = []
        if self.has_loyalty:
            extra.append(f"{self.detractors:,} of them are detractors")
        if self.has_comments:
            extra.append(f"{self.with_comment:,} left a comment")
        return text + ("; " + " and ".join(extra) if extra else "") + "."


def low_raters(frame: pd.DataFrame, driver: str, loyalty: str | None = None,
               comments: str | None = None) -> LowRaters:
    """Count the respondents who rated a driver in the bottom box, as the Comments page will read them.

    Parameters
    ----------
    frame : DataFrame
        The responses in view.
    driver : str
        The driver rating column.
    loyalty : str, optional
        The 0–10 loyalty column, to count detractors (0–6) among low raters.
    comments : str, optional
        The comments column, to count low raters who left a comment.

    Returns
    -------
    LowRaters
        Unweighted counts (these are people to read, not estimates).

    Notes
    -----
    The bottom box is :func:`bottom_box_mask`'s: 1–2 of a 1–5 or 1–7 scale, 0–6 of 0–10.
    """
    mask = bottom_box_mask(frame, driver).to_numpy()
    x = _numeric(frame, driver, "driver")
    sc = _infer_scale(x)
    lo, hi = (sc[0], _box_cuts(*sc)[0]) if sc else (math.nan, math.nan)
    det = 0
    if loyalty:
        y = _numeric(frame, loyalty, "loyalty")
        det = int((mask & np.isfinite(y) & (y <= 6)).sum())
    com = 0
    if comments:
        text = frame[comments].astype("string").str.strip()
        com = int((mask & text.fillna("").ne("").to_numpy(dtype=bool)).sum())
    return LowRaters(driver=driver, answered=int(np.isfinite(x).sum()), bottom_box=int(mask.sum()), detractors=det,
                     with_comment=com, box_low=lo, box_high=hi, has_loyalty=bool(loyalty),
                     has_comments=bool(comments))
