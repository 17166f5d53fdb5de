"""Apply the roles to a raw survey: numbers on their scales, dates, segments, and a validation report.

The cleaned frame keeps display names and converts role columns: loyalty to float 0–10 (NaN when
blank, "Don't know", out of range), drivers and outcome to floats on their scale, revenue and
weight to floats, the date to datetime64, segments and comments to strings. Every value set
aside is counted by reason, so the report can say what was excluded and why.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from cx.errors import CxInputError
from cx.load import RawSurvey
from cx.roles import ColumnProfile, Inspection, Roles, infer_roles, profile_columns
from cx.scales import REASON_WORDS, SENTINELS, is_na_answer, map_values, parse_number

LOYALTY_SCALE = (0, 10)


@dataclass(frozen=True)
class ColumnCheck:
    """How one role column's values were read."""

    column: str
    role: str
    valid: int
    blank: int = 0
    na_answer: int = 0
    sentinel: int = 0
    out_of_range: int = 0
    not_a_number: int = 0
    scale: tuple[int, int] | None = None
    invalid_examples: tuple[str, ...] = ()

    @property
    def excluded(self) -> int:
        """Answers set aside (not blank): "Don't know", sentinels, out of range, not a number."""
        return self.na_answer + self.sentinel + self.out_of_range + self.not_a_number

    def sentence(self) -> str:
        """The check in one plain sentence."""
        parts = [f"{getattr(self, k):,} {REASON_WORDS[k]}" for k in
                 ("na_answer", "sentinel", "out_of_range", "not_a_number") if getattr(self, k)]
        text = f'{self.role.capitalize()} "{self.column}": {self.valid:,} valid answer{"" if self.valid == 1 else "s"}'
        if self.scale:
            text += f" on a {self.scale[0]}–{self.scale[1]} scale"
        if self.blank:
            text += f", {self.blank:,} blank"
        if parts:
            text += "; set aside as missing: " + ", ".join(parts)
        if self.invalid_examples:
            text += " (e.g. " + ", ".join(f'"{e}"' for e in self.invalid_examples) + ")"
        return text + "."


@dataclass(frozen=True)
class ValidationReport:
    """What was read, what was set aside and why."""

    rows_read: int
    rows_with_loyalty: int | None
    checks: tuple[ColumnCheck, ...] = ()
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per role column with counts by reason."""
        rows = [{"column": c.column, "role": c.role, "scale": f"{c.scale[0]}–{c.scale[1]}" if c.scale else "",
                 "valid": c.valid, "blank": c.blank, "don't know / N/A": c.na_answer, "sentinel codes": c.sentinel,
                 "out of range": c.out_of_range, "not a number": c.not_a_number} for c in self.checks]
        return pd.DataFrame(rows)


@dataclass(frozen=True)
class Survey:
    """A survey ready for analysis: the cleaned frame, its roles and scales, and the validation report."""

    frame: pd.DataFrame
    roles: Roles
    scales: dict[str, tuple[int, int]] = field(default_factory=dict)
    report: ValidationReport | None = None
    source: str = ""
    profiles: dict[str, ColumnProfile] = field(default_factory=dict)

    @property
    def n_rows(self) -> int:
        """Response rows in the file."""
        return len(self.frame)


def inspect_survey(raw: RawSurvey) -> Inspection:
    """Profile the columns and infer roles."""
    profiles = profile_columns(raw.frame, raw.codes, raw.metadata)
    return Inspection(profiles=profiles, roles=infer_roles(profiles))


def rating_values(s: pd.Series, force_scale: tuple[int, int] | None = None) -> tuple[pd.Series, ColumnCheck]:
    """Convert a rating column to floats on its scale, counting what was set aside and why.

    Parameters
    ----------
    s : the raw column (numbers or text such as "10 - Extremely likely", "Very satisfied", "N/A").
    force_scale : the scale to use (the loyalty question is always 0–10); inferred when None.
    """
    n = len(s)
    if s.dtype.kind in "iuf" and n:
        fast = _whole_number_rating_values(s, force_scale)
        if fast is not None:
            return fast
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques)) if len(uniques) else np.zeros(0, int)
    blank_values = np.zeros(len(uniques), dtype=bool)
    if len(uniques) and uniques.dtype.kind in "OUT" or str(getattr(uniques, "dtype", "")) in ("str", "string"):
        blank_values = np.array([str(u).strip() == "" for u in uniques], dtype=bool)
    vm = map_values(pd.Series(np.asarray(uniques, dtype=object)), counts)
    scale = force_scale or vm.scale
    lookup = np.full(len(uniques), np.nan)
    reason = np.array([""] * len(uniques), dtype=object)
    for i, u in enumerate(np.asarray(uniques, dtype=object)):
        if blank_values[i]:
            reason[i] = "blank"
            continue
        if vm.reasons.get(u) == "na_answer":
            reason[i] = "na_answer"
            continue
        v = vm.numbers.get(u)
        if v is None and vm.reasons.get(u) in ("sentinel", "out_of_range"):
            v = float(u) if not isinstance(u, str) else parse_number(u)
        if v is None:
            reason[i] = "not_a_number"
            continue
        if scale is not None and (v < scale[0] or v > scale[1] or not float(v).is_integer()):
            reason[i] = "sentinel" if v in SENTINELS else "out_of_range"
            continue
        lookup[i] = v
    values = np.where(codes >= 0, lookup[np.maximum(codes, 0)] if len(lookup) else np.nan, np.nan)
    tally = {k: 0 for k in ("blank", "na_answer", "sentinel", "out_of_range", "not_a_number")}
    tally["blank"] += int((codes < 0).sum())
    examples = []
    for i, r in enumerate(reason):
        if r:
            tally[r] += int(counts[i])
            if r in ("out_of_range", "not_a_number") and len(examples) < 3:
                examples.append(str(uniques[i])[:40])
    valid = int(np.isfinite(values).sum())
    check = ColumnCheck(column=str(s.name), role="", valid=valid, scale=scale, invalid_examples=tuple(examples),
                        **tally)
    assert valid + sum(tally.values()) == n
    return pd.Series(values, index=s.index, name=s.name, dtype="float64", copy=False), check


YES = frozenset({"yes", "y", "true", "recommended", "would recommend"})
NO = frozenset({"no", "n", "false", "not recommended", "would not recommend"})


def yes_no_values(s: pd.Series) -> tuple[pd.Series, ColumnCheck] | None:
    """A yes/no answer as 1 / 0 (for an outcome: the drivers then explain the share answering yes).

    None when the answers are not yes and no (more than 5% other answers). "Don't know" and the like are
    missing; blanks stay blank. Each distinct answer is classified once.
    """
    codes, uniques = pd.factorize(s.astype("str").str.strip().str.lower())
    kinds = np.array(["yes" if u in YES else "no" if u in NO else "blank" if u == "" else
                      "na" if is_na_answer(u) else "other" for u in uniques] + ["blank"])  # code -1: missing
    kind = kinds[codes]
    n = {k: int((kind == k).sum()) for k in ("yes", "no", "na", "other", "blank")}
    present = len(s) - n["blank"]
    if not (n["yes"] and n["no"]) or n["other"] > 0.05 * present:
        return None
    values = pd.Series(np.where(kind == "yes", 1.0, np.where(kind == "no", 0.0, np.nan)), index=s.index,
                       name=s.name, dtype="float64")
    examples = tuple(dict.fromkeys(s[kind == "other"].astype("str").str.strip()))[:3]
    return values, ColumnCheck(column=str(s.name), role="", valid=n["yes"] + n["no"], blank=n["blank"],
                               na_answer=n["na"], not_a_number=n["other"], scale=(0, 1), invalid_examples=examples)


def _whole_number_rating_values(s: pd.Series, force_scale) -> tuple[pd.Series, ColumnCheck] | None:
    """Fast path for numeric columns of whole numbers (blanks allowed): counts by value with bincount.

    None when the column holds anything else (fractions, infinities, a range over 10,000): the general
    path decides then.
    """
    arr = s.to_numpy()
    finite = None
    ints = arr
    if arr.dtype.kind == "f":
        finite = ~np.isnan(arr)
        answered = arr if finite.all() else arr[finite]
        if not answered.size or not np.isfinite(answered).all():
            return None
        lo, hi = answered.min(), answered.max()
        if max(abs(lo), abs(hi)) > 2**53:  # beyond whole numbers a float holds exactly
            return None
        ints = answered.astype(np.int64)
        if not np.array_equal(ints, answered):
            return None
        if finite.all():
            finite = None
    else:
        lo, hi = arr.min(), arr.max()
    lo_v, hi_v = int(lo), int(hi)
    if hi_v - lo_v > 10_000:
        return None
    counts = _counts_by_value(ints, lo_v, hi_v)
    present = np.nonzero(counts)[0]
    uniques = pd.Series((present + lo_v).astype("float64"))
    vm = map_values(uniques, counts[present])
    scale = force_scale or vm.scale
    keep = np.zeros(len(counts), dtype=bool)
    tally = {"blank": 0 if finite is None else int(len(arr) - finite.sum()), "na_answer": 0, "sentinel": 0,
             "out_of_range": 0, "not_a_number": 0}
    examples = []
    for k, value in zip(present, uniques):
        if scale is None or scale[0] <= value <= scale[1]:
            keep[k] = True
        else:
            reason = "sentinel" if value in SENTINELS else "out_of_range"
            tally[reason] += int(counts[k])
            if reason == "out_of_range" and len(examples) < 3:
                examples.append(str(int(value)))
    values = arr if arr.dtype == np.float64 else _float64(arr)
    if not keep[present].all():
        kept = keep[ints.astype(np.intp) - lo_v]
        if finite is not None:
            kept, kept_present = np.zeros(len(arr), dtype=bool), kept
            kept[finite] = kept_present
        values = np.where(kept, values, np.nan)
    check = ColumnCheck(column=str(s.name), role="", valid=int(counts[keep].sum()), scale=scale,
                        invalid_examples=tuple(examples), **tally)
    return pd.Series(values, index=s.index, name=s.name, copy=False), check


def _counts_by_value(ints: np.ndarray, lo: int, hi: int, step: int = 1 << 16) -> np.ndarray:
    """How often each whole number from lo to hi occurs.

    A one-byte column (a rating read as int8) with few values is counted one value at a time (each pass reads
    a megabyte per million rows: 0.3 ms for five values, against 1.4 ms for `bincount`, which widens every
    value to 8 bytes); otherwise `bincount` in slices, whose widened copy stays small.
    """
    if ints.itemsize == 1 and hi - lo < 16:
        return np.array([np.count_nonzero(ints == v) for v in range(lo, hi + 1)], dtype=np.int64)
    counts = np.zeros(hi - lo + 1, dtype=np.int64)
    for i in range(0, len(ints), step):
        counts += np.bincount(ints[i:i + step].astype(np.intp) - lo, minlength=len(counts))
    return counts


def _float64(values: np.ndarray) -> np.ndarray:
    """The values as float64 (read-only), in memory from Arrow's pool when there are many.

    The pool keeps the pages the CSV parser used and freed. Fresh pages from the kernel cost more
    than the conversion itself on a million rows: they are zeroed, and on a virtual machine the host
    faults them in too (13 rating columns: 0.05–0.2 s by NumPy, 0.02 s from the pool).
    """
    if values.size < 1 << 16:
        return values.astype("float64")
    import pyarrow as pa

    return pa.array(values).cast(pa.float64()).to_numpy(zero_copy_only=True)


def money_values(s: pd.Series) -> tuple[pd.Series, ColumnCheck]:
    """Revenue as floats: numbers as they are; text such as "$1,234.50" or "1.234,50" parsed."""
    if s.dtype.kind in "iuf":
        values = s.astype("float64")
        check = ColumnCheck(column=str(s.name), role="revenue", valid=int(values.notna().sum()),
                            blank=int(values.isna().sum()))
        return values, check
    from cx.revenue import parse_money

    values, report = parse_money(s)
    check = ColumnCheck(column=str(s.name), role="revenue", valid=int(report.n_parsed), blank=int(report.n_blank),
                        not_a_number=int(report.n_unparseable),
                        invalid_examples=tuple(str(e)[:40] for e in report.examples[:3]))
    return values.astype("float64"), check


def date_values(s: pd.Series, dayfirst: bool = False) -> tuple[pd.Series, ColumnCheck]:
    """Response dates as datetime64 (timezones dropped); unparseable values counted."""
    if s.dtype.kind == "M":
        values = s
        if getattr(values.dt, "tz", None) is not None:
            values = values.dt.tz_convert(None)
    else:
        text = s.astype("str").str.strip()
        text = text.str.replace(r"\s*GMT[+-]\d+$", "", regex=True)
        codes, uniques = pd.factorize(text)
        parsed = pd.to_datetime(pd.Series(uniques), errors="coerce", dayfirst=dayfirst, format="mixed")
        if getattr(parsed.dt, "tz", None) is not None:
            parsed = parsed.dt.tz_convert(None)
        arr = parsed.to_numpy(dtype="datetime64[ns]")
        values = pd.Series(np.where(codes >= 0, arr[np.maximum(codes, 0)] if len(arr) else np.datetime64("NaT"),
                                    np.datetime64("NaT")), index=s.index, name=s.name, copy=False).astype("datetime64[ns]")
    blank = int(s.isna().sum())
    valid = int(values.notna().sum())
    examples = tuple(str(v)[:40] for v in s[values.isna() & s.notna()].unique()[:3])
    return values, ColumnCheck(column=str(s.name), role="date", valid=valid, blank=blank,
                               not_a_number=len(s) - valid - blank, invalid_examples=examples)


def segment_values(s: pd.Series) -> pd.Series:
    """Segment labels as a categorical of strings (fast to filter and group).

    Blanks become missing; whole numbers lose their ".0".
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        labels = np.asarray(s.cat.categories, dtype=object)
        codes = s.cat.codes.to_numpy()
    else:
        codes, labels = pd.factorize(s, use_na_sentinel=True)
        labels = np.asarray(labels, dtype=object)
    names = [_segment_label(v) for v in labels]
    categories = sorted({n for n in names if n})
    position = {name: i for i, name in enumerate(categories)}
    # codes as narrow as the categorical keeps them (a million rows: 1 MB as int8, not 8 MB as int64)
    width = np.int8 if len(categories) < 127 else np.int16 if len(categories) < 32_767 else np.int32
    remap = np.array([position.get(n, -1) for n in names] + [-1], dtype=width)
    new_codes = remap[codes] if len(codes) else codes.astype(np.int64)
    dtype = pd.CategoricalDtype(pd.Index(categories, dtype="str"))
    return pd.Series(pd.Categorical.from_codes(new_codes, dtype=dtype), index=s.index, name=s.name, copy=False)


def _segment_label(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (float, np.floating)) and np.isnan(value):
        return ""
    return str(value).strip()


def text_values(s: pd.Series) -> pd.Series:
    """Free text as strings; missing stays missing."""
    return s if str(s.dtype) in ("str", "string") else s.astype("str")


def prepare_survey(raw: RawSurvey, roles: Roles | None = None, inspection: Inspection | None = None) -> Survey:
    """Clean the role columns of a raw survey and report what was set aside.

    Parameters
    ----------
    raw : the survey as read.
    roles : the roles to apply; inferred when None.
    inspection : column profiles already computed (saves a second profile).

    Raises
    ------
    CxInputError
        When a role names a column that is not in the file.
    """
    inspection = inspection or inspect_survey(raw)
    roles = roles or inspection.roles
    scored = {roles.loyalty, roles.outcome, *roles.drivers} - {None}
    if scored & set(roles.segments):  # a yes/no outcome also picked as a segment: it is read as the outcome
        roles = roles.replace(segments=tuple(c for c in roles.segments if c not in scored))
    frame = _Columns(raw.frame)
    for col in roles.columns():
        if col not in frame.columns:
            raise CxInputError(f'There is no column "{col}" in {raw.source}. Choose one of its columns.')
    checks: list[ColumnCheck] = []
    scales: dict[str, tuple[int, int]] = {}
    problems: list[str] = []
    rated = [(c, "driver") for c in roles.drivers] + ([(roles.outcome, "outcome")] if roles.outcome else [])
    rated = [(c, role) for c, role in rated if c != roles.loyalty]
    wanted = list(dict.fromkeys(([(roles.loyalty, LOYALTY_SCALE)] if roles.loyalty else [])
                                + [(c, None) for c, _ in rated]))  # a column both outcome and driver: once
    converted = dict(zip(wanted, _rating_columns(frame, wanted)))
    if roles.loyalty:
        values, check = converted[(roles.loyalty, LOYALTY_SCALE)]
        frame[roles.loyalty] = values
        checks.append(_with_role(check, "loyalty"))
        scales[roles.loyalty] = LOYALTY_SCALE
        if check.valid == 0:
            problems.append(
                f'The loyalty column "{roles.loyalty}" has no valid 0–10 answers'
                + (f" (it holds values such as {', '.join(repr(e) for e in check.invalid_examples)})"
                   if check.invalid_examples else "")
                + ". Choose the likelihood-to-recommend question as the loyalty column.")
    for col, role in rated:
        values, check = converted[(col, None)]
        if role == "outcome" and check.valid == 0:  # "Would you recommend us?" answered yes / no
            values, check = yes_no_values(frame[col]) or (values, check)
        elif role == "outcome" and check.valid and np.isin(values.dropna().unique(), (0.0, 1.0)).all():
            check = replace(check, scale=(0, 1))  # a 0 / 1 outcome is yes / no, not a 0–5 rating
        frame[col] = values
        checks.append(_with_role(check, role))
        if check.scale:
            scales[col] = check.scale
        if check.valid == 0:
            problems.append(f'The {role} column "{col}" has no numeric answers; remove it from the {role}s.')
    if roles.revenue:
        values, check = money_values(frame[roles.revenue])
        frame[roles.revenue] = values
        checks.append(check)
    if roles.weight:
        values = pd.to_numeric(frame[roles.weight], errors="coerce").astype("float64")
        bad = int((values <= 0).sum())
        values = values.where(values > 0)
        frame[roles.weight] = values
        checks.append(ColumnCheck(column=roles.weight, role="weight", valid=int(values.notna().sum()),
                                  blank=int(raw.frame[roles.weight].isna().sum()), out_of_range=bad))
    if roles.date:
        profile = inspection.profiles.get(roles.date)
        values, check = date_values(frame[roles.date], dayfirst=bool(profile and profile.dayfirst))
        frame[roles.date] = values
        checks.append(check)
    for col in roles.segments:
        frame[col] = segment_values(frame[col])
    if roles.comments:
        frame[roles.comments] = text_values(frame[roles.comments])
    frame = frame.to_frame()
    rows_with_loyalty = int(frame[roles.loyalty].notna().sum()) if roles.loyalty else None
    report = ValidationReport(rows_read=len(frame), rows_with_loyalty=rows_with_loyalty, checks=tuple(checks),
                              notes=raw.notes, problems=tuple(problems))
    return Survey(frame=frame, roles=roles, scales=scales, report=report, source=raw.source,
                  profiles=inspection.profiles)


def _rating_columns(frame: _Columns, columns: list[tuple[str, tuple[int, int] | None]]) -> list:
    """`rating_values` of each (column, scale), in two threads on a big survey.

    Most of a column's time is its float copy and its counts, which NumPy and Arrow run without the GIL.
    """
    if len(frame.index) * len(columns) < 2_000_000:
        return [rating_values(frame[c], scale) for c, scale in columns]
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(lambda item: rating_values(frame[item[0]], item[1]), columns))


class _Columns(dict):
    """Columns by name, replaced one by one, assembled into a frame once (no copy per assignment)."""

    def __init__(self, frame: pd.DataFrame):
        super().__init__(frame.items())
        self.index = frame.index
        self.columns = frame.columns

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(dict(self), index=self.index, copy=False)


def _with_role(check: ColumnCheck, role: str) -> ColumnCheck:
    from dataclasses import replace

    return replace(check, role=role)


def require_analysable(survey: Survey) -> None:
    """Refuse a survey with nothing to analyse: no valid loyalty answers, no outcome and no comments."""
    roles = survey.roles
    has_loyalty = bool(roles.loyalty) and survey.report is not None and (survey.report.rows_with_loyalty or 0) > 0
    if has_loyalty or roles.outcome or roles.comments:
        return
    if roles.loyalty:
        raise CxInputError(survey.report.problems[0] if survey.report and survey.report.problems else
                           f'"{roles.loyalty}" has no valid 0–10 answers.')
    raise CxInputError(
        f"No 0–10 likelihood-to-recommend column was found in {survey.source}, and no other outcome or comment "
        "column is named. Name the loyalty column (on the Data page, or with --loyalty COL), or name what to "
        "analyse instead (--outcome COL or --comments COL)."
    )


def roles_with_overrides(inspection: Inspection, raw: RawSurvey, **overrides) -> Roles:
    """The inferred roles with user choices applied; names may be display names or raw codes."""
    roles = inspection.roles
    changes = {}
    for key, value in overrides.items():
        if value is None:
            continue
        if isinstance(value, (list, tuple)):
            resolved = []
            for v in value:
                col = raw.column_for(v)
                if col is None:
                    raise CxInputError(_unknown_column(v, raw))
                resolved.append(col)
            changes[key] = tuple(resolved)
        else:
            col = raw.column_for(value)
            if col is None:
                raise CxInputError(_unknown_column(value, raw))
            changes[key] = col
    roles = roles.replace(**changes)
    if "drivers" not in changes and roles.drivers:
        taken = {roles.loyalty, roles.outcome}
        roles = roles.replace(drivers=tuple(d for d in roles.drivers if d not in taken))
    if "segments" not in changes and roles.segments:
        taken = set(roles.replace(segments=()).columns())
        roles = roles.replace(segments=tuple(s for s in roles.segments if s not in taken))
    return roles


def _unknown_column(name: str, raw: RawSurvey) -> str:
    import difflib

    close = difflib.get_close_matches(name, [str(c) for c in raw.frame.columns], n=3, cutoff=0.5)
    hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else " Run `python -m cx inspect FILE` to list them."
    return f'There is no column "{name}" in {raw.source}.{hint}'
