"""Column profiles and role inference: which column is the loyalty question, which are drivers...

Roles are inferred from a sample of rows (fast on a million responses) and the user stays in
charge: the Data page and the CLI options override any of them.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd

from cx.scales import map_values

SAMPLE_ROWS = 20_000

LOYALTY_HINT = re.compile(r"recommend|\bnps\b|nps_|_nps|\bltr\b|likelihood|net promoter|promoter score", re.I)
OUTCOME_HINT = re.compile(r"overall|satisf|\bcsat\b|repurchase|renew|loyal|recommend", re.I)
COMMENT_HINT = re.compile(r"comment|verbatim|feedback|why|reason|review|text|content|open|suggest|remark|explain|"
                          r"improve|describe|anything else|tell us", re.I)
SEGMENT_HINT = re.compile(r"unit|region|tier|segment|country|division|department|type|class|channel|plan|"
                          r"product|industry|size|market|area|branch|team|category|contract|cabin|group|"
                          r"quarter|wave|sub_type|subtype|district|zone|line of business|\blob\b", re.I)
ID_HINT = re.compile(r"(^|[\s_])(id|uuid|guid|key|number|no)$|^id$|identifier|response ?id|respondent|"
                     r"(?-i:[a-z](?:ID|Id)$)", re.I)  # the last: camelCase, as in "CustomerID"
CUSTOMER_HINT = re.compile(r"customer|account|client|company|member|cust", re.I)
REVENUE_HINT = re.compile(r"revenue|\barr\b|\bmrr\b|spend|sales|amount|charges|turnover|income|value \(|"
                          r"contract value|billing amount|annual value|ltv|cltv|clv|\$|€|£", re.I)
# An amount's change or ratio is not revenue ("OrderAmountHikeFromlastYear", "Spend growth %").
NOT_REVENUE_HINT = re.compile(r"hike|growth|increase|decrease|change|pct|percent|%|\brate\b|ratio|share|margin|"
                              r"discount|cashback|refund|rebate|count|number", re.I)
DATE_HINT = re.compile(r"date|time|recorded|submitted|created|timestamp|completed|\bend\b|day|month|period", re.I)
WEIGHT_HINT = re.compile(r"weight|\bwt\b|wgt|_wt$|^wt_|expansion factor", re.I)
NOT_DRIVER_HINT = re.compile(r"\bage\b|year|zip|postcode|postal|\bcount\b|number ?of|numberof|tenure|duration|progress|"
                             r"finished|status|score\b.*churn|churn|referral|dependents|income|"
                             r"importan|^qi|weight|household|children|employees", re.I)

MAX_SEGMENT_VALUES = 40
MAX_DRIVERS = 40


@dataclass(frozen=True)
class ColumnProfile:
    """What a column looks like, from a sample of its rows."""

    name: str
    code: str
    kind: str  # empty | rating | number | money | date | category | text | id
    n: int
    n_missing: int
    n_distinct: int
    scale: tuple[int, int] | None = None
    labelled: bool = False
    mean_length: float = 0.0
    examples: tuple[str, ...] = ()
    dayfirst: bool = False
    metadata: bool = False

    @property
    def scale_text(self) -> str:
        """The scale in words, e.g. "1–5"."""
        if self.scale is None:
            return ""
        return f"{self.scale[0]}–{self.scale[1]}" + (" (labels)" if self.labelled else "")


@dataclass(frozen=True)
class Roles:
    """Which column plays which part in the analysis (display names)."""

    loyalty: str | None = None
    drivers: tuple[str, ...] = ()
    comments: str | None = None
    segments: tuple[str, ...] = ()
    customer_id: str | None = None
    revenue: str | None = None
    date: str | None = None
    weight: str | None = None
    outcome: str | None = None

    def replace(self, **changes) -> Roles:
        """A copy with some roles changed (tuples for drivers and segments)."""
        for key in ("drivers", "segments"):
            if key in changes and changes[key] is not None:
                changes[key] = tuple(changes[key])
        return replace(self, **changes)

    def assignments(self) -> list[str]:
        """The column of every role, in role order; a column with two roles appears twice."""
        cols = [self.loyalty, self.outcome, *self.drivers, self.comments, *self.segments, self.customer_id,
                self.revenue, self.date, self.weight]
        return [c for c in cols if c]

    def columns(self) -> list[str]:
        """Every column that has a role, each once."""
        return list(dict.fromkeys(self.assignments()))

    def to_dict(self) -> dict:
        """The ``columns`` section of the CLI JSON."""
        d = asdict(self)
        d["drivers"] = list(self.drivers)
        d["segments"] = list(self.segments)
        return d


@dataclass(frozen=True)
class Inspection:
    """Profiles of every column and the roles inferred from them."""

    profiles: dict[str, ColumnProfile] = field(default_factory=dict)
    roles: Roles = field(default_factory=Roles)


def _sample(frame: pd.DataFrame, rows: int, blocks: int = 40) -> pd.DataFrame:
    """Rows spread over the whole file: `blocks` evenly spaced runs (slices are cheap, random picks are not)."""
    if len(frame) <= rows:
        return frame
    size = rows // blocks
    starts = np.linspace(0, len(frame) - size, blocks).astype(int)
    return pd.concat([frame.iloc[s:s + size] for s in starts])


def profile_columns(frame: pd.DataFrame, codes: dict[str, str] | None = None,
                    metadata: tuple[str, ...] = (), sample_rows: int = SAMPLE_ROWS) -> dict[str, ColumnProfile]:
    """Profile every column from a sample of rows.

    Parameters
    ----------
    frame : the survey as read (`RawSurvey.frame`).
    codes : display name -> raw column code.
    metadata : survey-platform bookkeeping columns (never drivers or segments).
    sample_rows : rows sampled for the profile (the whole frame when smaller).
    """
    codes = codes or {}
    sample = _sample(frame, sample_rows)
    return {col: _profile(col, sample[col], codes.get(col, col), col in metadata) for col in frame.columns}


def _profile(name: str, s: pd.Series, code: str, metadata: bool) -> ColumnProfile:
    n = len(s)
    counts, head = _answers(s)
    n_missing = n - int(counts.sum())
    base = {"name": name, "code": code, "n": n, "n_missing": n_missing, "metadata": metadata}
    if counts.empty:
        return ColumnProfile(kind="empty", n_distinct=0, **base)
    present = n - n_missing
    n_distinct = len(counts)
    examples = tuple(str(v)[:80] for v in counts.sort_values(ascending=False).index[:3])
    base.update(n_distinct=n_distinct, examples=examples)
    kind = (s.cat.categories.dtype if isinstance(s.dtype, pd.CategoricalDtype) else s.dtype).kind  # of the answers
    if kind == "M":
        return ColumnProfile(kind="date", **base)
    if kind == "b":
        return ColumnProfile(kind="category", **base)
    numeric = kind in "iuf"
    if n_distinct <= 200 or numeric:
        vm = map_values(pd.Series(counts.index, dtype=object), counts.to_numpy()) if n_distinct <= 5000 else None
        if vm is not None and vm.scale is not None and n_distinct >= 3:
            mapped = sum(int(c) for v, c in zip(counts.index, counts.to_numpy()) if v in vm.numbers)
            if mapped >= 0.6 * present:
                return ColumnProfile(kind="rating", scale=vm.scale, labelled=vm.labelled, **base)
        if vm is not None and vm.scale is None and LOYALTY_HINT.search(name):
            # A loyalty question with many out-of-range entries is still the 0-10 question: cleaning sets the
            # invalid answers aside and counts them.
            on_scale = sum(int(c) for v, c in zip(counts.index, counts.to_numpy())
                           if v in vm.numbers and float(vm.numbers[v]).is_integer() and 0 <= vm.numbers[v] <= 10)
            if on_scale >= 0.7 * present:
                return ColumnProfile(kind="rating", scale=(0, 10), **base)
    if numeric:
        if n_distinct >= 0.95 * present and kind in "iu" and ID_HINT.search(name):
            return ColumnProfile(kind="id", **base)
        return ColumnProfile(kind="number", **base)
    # Text statistics over the distinct answers, each weighted by how often it occurs: a column of a
    # few labels costs as little as its labels. The date, money and letter checks read the first rows.
    distinct = pd.Series(counts.index, copy=False)
    if str(distinct.dtype) not in ("str", "string"):
        distinct = distinct.astype(object).astype(str)
    weights = counts.to_numpy()
    lengths = distinct.str.len().to_numpy()
    mean_length = float(np.average(lengths, weights=weights))
    base["mean_length"] = mean_length
    head = [str(v) for v in head.tolist()]
    date_kind = _date_like(head)
    if date_kind is not None:
        return ColumnProfile(kind="date", dayfirst=date_kind, **base)
    if _money_like(head):
        return ColumnProfile(kind="money", **base)
    unique_ratio = n_distinct / present
    spaced = np.average(distinct.str.contains(" ", regex=False).to_numpy(), weights=weights)
    if unique_ratio > 0.9 and mean_length < 40 and not spaced > 0.5:
        return ColumnProfile(kind="id", **base)
    letters = sum(len(_LETTER.findall(v)) for v in head) / max(1, sum(map(len, head)))
    if letters < 0.3:
        return ColumnProfile(kind="id" if unique_ratio > 0.5 else "category", **base)
    # spaces counted as a length difference: `str.count` always takes a regex (ten times slower)
    words = float(np.average(lengths - distinct.str.replace(" ", "", regex=False).str.len().to_numpy() + 1,
                             weights=weights))
    if (words >= 2.5 and unique_ratio >= 0.5) or (
            COMMENT_HINT.search(name) and mean_length >= 10 and (unique_ratio >= 0.3 or words >= 4)):
        return ColumnProfile(kind="text", **base)
    if n_distinct > MAX_SEGMENT_VALUES and (mean_length >= 20 or words >= 4 or lengths.max() > 80):
        return ColumnProfile(kind="text", **base)
    if n_distinct <= MAX_SEGMENT_VALUES or unique_ratio < 0.05:
        return ColumnProfile(kind="category", **base)
    return ColumnProfile(kind="text" if mean_length >= 15 else "id", **base)


_DATE_PATTERNS = (
    re.compile(r"^\d{4}-\d{1,2}-\d{1,2}([ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"),
    re.compile(r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}( \d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?)?$", re.I),
    re.compile(r"^\d{4}/\d{1,2}/\d{1,2}( \d{1,2}:\d{2}(:\d{2})?( ?[AP]M)?)?( GMT[+-]\d+)?$", re.I),
    re.compile(r"^\d{1,2}[- ][A-Za-z]{3,9}[- ]\d{2,4}$"),
    re.compile(r"^[A-Za-z]{3,9} \d{1,2},? \d{4}$"),
    re.compile(r"^\d{1,2}(st|nd|rd|th)? [A-Za-z]{3,9} \d{4}$"),
)


def _answers(s: pd.Series, head_rows: int = 500) -> tuple[pd.Series, pd.Series]:
    """How often each answer occurs (blanks left out), and the first `head_rows` answers in row order.

    A categorical is counted by its codes and only its first answers are spelled out.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        cats = s.cat.categories
        kept = ~np.asarray(cats.astype(str).str.strip() == "") if _is_text(cats.dtype) else np.ones(len(cats), bool)
        codes = s.cat.codes.to_numpy()
        answered_codes = codes[codes >= 0]
        tally = np.bincount(answered_codes, minlength=len(cats))
        order = pd.unique(answered_codes)  # as a text column counts them: in order of first appearance
        order = order[kept[order]]
        counts = pd.Series(tally[order], index=cats.take(order), name="count")
        answered = np.flatnonzero(np.append(kept, False)[codes])[:head_rows]  # code -1 (missing) is not kept
        return counts, pd.Series(cats.take(codes[answered]), dtype=cats.dtype)
    present = s.dropna()
    if _is_text(present.dtype):
        present = present[present.astype(str).str.strip() != ""]
    return present.value_counts(sort=False), present.head(head_rows)


def _is_text(dtype) -> bool:
    return dtype.kind in "OUT" or str(dtype) in ("str", "string")


def _date_like(head: list[str]) -> bool | None:
    """None when the first answers are not dates; else whether the day comes first (DD/MM/YYYY)."""
    head = [v.strip() for v in head[:300]]
    if not head:
        return None
    allowed = len(head) - 0.9 * len(head)  # misses tolerated; stop at the first one over
    misses = 0
    for v in head:
        if not any(p.match(v) for p in _DATE_PATTERNS):
            misses += 1
            if misses > allowed:
                return None
    slashed = [m for m in map(_SLASHED.match, head) if m]
    if not slashed:
        return False
    if any(int(m.group(1)) > 12 for m in slashed):
        return True
    if any(int(m.group(2)) > 12 for m in slashed):
        return False
    first = slashed[0].string
    return "." in first or "-" in first[:6]


_SLASHED = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-]\d{2,4}")
_MONEY = re.compile(r"^\(?-?\s*[$€£¥]?\s*-?\d[\d,.\s']*(\.\d+|,\d+)?\s*[kKmMbB]?\s*(USD|EUR|GBP|€|\$|£)?\)?$")
_LETTER = re.compile(r"[^\W\d_]")


def _money_like(head: list[str]) -> bool:
    answers = [v for v in (v.strip() for v in head[:300]) if v]
    return bool(answers) and sum(1 for v in answers if _MONEY.match(v)) / len(answers) >= 0.9


def _personal(p: ColumnProfile) -> bool:
    """E-mail addresses, or names with fewer than 5 answers each on average (people's names): never a segment.

    A "... Name" column whose values repeat ("Division Name": General, Petite...) is a segment.
    """
    if re.search(r"e-?mail", p.name, re.I):
        return True
    return bool(re.search(r"name$", p.name, re.I)) and p.n_distinct > (p.n - p.n_missing) / 5


def _nps_groups(p: ColumnProfile) -> bool:
    """A column of NPS groups (Promoter / Passive / Detractor): the loyalty score in words, not a segment."""
    return p.n_distinct <= 3 and all(e.strip().lower().rstrip("s") in ("promoter", "passive", "detractor")
                                     for e in p.examples)


def infer_roles(profiles: dict[str, ColumnProfile]) -> Roles:
    """Infer each column's role from its profile and name.

    Loyalty: a 0–10 (or 1–10) rating, preferring names about recommending. Drivers: the rating
    columns sharing the most common scale. Comments: the longest free text. Segments: categories
    with 2–40 values. Customer id, revenue, date and weight: by kind and name.
    """
    cols = list(profiles.values())
    usable = [p for p in cols if not p.metadata and p.kind != "empty"]

    def score_name(p: ColumnProfile, pattern: re.Pattern) -> bool:
        return bool(pattern.search(p.name) or pattern.search(p.code))

    ratings = [p for p in usable if p.kind == "rating"]
    ten = [p for p in ratings if p.scale in ((0, 10), (1, 10)) and not NOT_DRIVER_HINT.search(p.name)]
    loyalty = next((p for p in ten if score_name(p, LOYALTY_HINT)), None)
    if loyalty is None:
        hinted = [p for p in ten if re.search(r"rating|score|overall|recommend", p.name, re.I)]
        if hinted:
            loyalty = hinted[0]
    outcome = None
    if loyalty is None:
        outcome = next((p for p in ratings if score_name(p, OUTCOME_HINT) and not NOT_DRIVER_HINT.search(p.name)),
                       None) or next((p for p in ratings if re.fullmatch(r"(overall )?(rating|score)", p.name, re.I)),
                                     None)

    taken = {p.name for p in (loyalty, outcome) if p is not None}
    candidates = [p for p in ratings if p.name not in taken and not NOT_DRIVER_HINT.search(p.name)
                  and not NOT_DRIVER_HINT.search(p.code) and not score_name(p, LOYALTY_HINT)
                  and not re.search(r"overall", p.name, re.I) and p.n_missing < 0.8 * p.n]
    drivers: list[ColumnProfile] = []
    if candidates:
        scales = pd.Series([p.scale for p in candidates]).value_counts()
        common = scales.index[0]
        drivers = [p for p in candidates if p.scale == common][:MAX_DRIVERS]
        if len(drivers) < 2:
            drivers = []
    taken |= {p.name for p in drivers}

    texts = [p for p in usable if p.kind == "text" and p.name not in taken]
    comments = None
    if texts:
        comments = max(texts, key=lambda p: (score_name(p, COMMENT_HINT) and p.mean_length >= 15,
                                              p.mean_length * (1 - p.n_missing / max(p.n, 1))))
        taken.add(comments.name)

    cats = [p for p in usable if p.kind in ("category",) and p.name not in taken and 2 <= p.n_distinct
            <= MAX_SEGMENT_VALUES and not WEIGHT_HINT.search(p.name) and not _personal(p) and not _nps_groups(p)]
    cats.sort(key=lambda p: (not score_name(p, SEGMENT_HINT), p.n_missing / max(p.n, 1) > 0.5, p.n_distinct))
    segments = [p for p in cats if p.n_missing < 0.5 * p.n][:6]
    taken |= {p.name for p in segments}

    ids = [p for p in usable if p.kind in ("id", "number", "category") and p.name not in taken]
    customer = next((p for p in ids if p.kind == "id" and score_name(p, CUSTOMER_HINT)), None)
    if customer is None:
        customer = next((p for p in ids if score_name(p, CUSTOMER_HINT) and ID_HINT.search(p.name)
                         and p.n_distinct >= 0.5 * (p.n - p.n_missing)), None)
    if customer is not None:
        taken.add(customer.name)

    money = [p for p in usable if p.kind in ("number", "money") and p.name not in taken]
    revenue = next((p for p in money if score_name(p, REVENUE_HINT) and not NOT_REVENUE_HINT.search(p.name)), None)
    if revenue is not None:
        taken.add(revenue.name)

    dates = [p for p in cols if p.kind == "date" and p.name not in taken]
    date = None
    if dates:
        date = max(dates, key=lambda p: (p.code == "RecordedDate", p.code == "EndDate",
                                          bool(DATE_HINT.search(p.name)) and not re.search(r"start", p.name, re.I),
                                          -p.n_missing))
    weight = next((p for p in usable if p.kind in ("number", "rating") and WEIGHT_HINT.search(p.name)
                   and p.name not in taken), None)

    return Roles(
        loyalty=loyalty.name if loyalty else None,
        drivers=tuple(p.name for p in drivers),
        comments=comments.name if comments else None,
        segments=tuple(p.name for p in segments),
        customer_id=customer.name if customer else None,
        revenue=revenue.name if revenue else None,
        date=date.name if date else None,
        weight=weight.name if weight else None,
        outcome=outcome.name if outcome else None,
    )
