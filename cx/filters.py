"""The shared filter: segment values, a date range and the core-growth customers.

One filter applies to every page and to the CLI (`--where`), so every number respects it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from cx.errors import CxInputError


@dataclass(frozen=True)
class FilterSpec:
    """Which respondents are in view.

    Attributes
    ----------
    segments : column -> the values kept (a column absent or with no values keeps everyone).
    date_from, date_to : inclusive date range on the date column (None = open).
    core_growth : keep only core-growth customers (the ideal customer profile).
    icp : column -> the values that define a core-growth customer (all columns must match).
    """

    segments: tuple[tuple[str, tuple[str, ...]], ...] = ()
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    core_growth: bool = False
    icp: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    @classmethod
    def build(cls, segments: dict | None = None, date_from=None, date_to=None, core_growth: bool = False,
              icp: dict | None = None) -> FilterSpec:
        """Build from plain dicts (values sorted, empty selections dropped) so equal filters compare equal."""

        def norm(d):
            return tuple(sorted((str(k), tuple(sorted(str(x) for x in v))) for k, v in (d or {}).items() if v))

        return cls(norm(segments), date_from, date_to, bool(core_growth), norm(icp))

    @property
    def is_active(self) -> bool:
        """True when the filter removes anyone."""
        return bool(self.segments or self.date_from or self.date_to or (self.core_growth and self.icp))

    def describe(self) -> str:
        """The filter in words, e.g. "Region: EMEA, APAC · 2026-01-01 to 2026-06-30 · core-growth customers"."""
        parts = [f"{col}: {', '.join(vals)}" for col, vals in self.segments]
        if self.date_from or self.date_to:
            parts.append(f"{self.date_from or '…'} to {self.date_to or '…'}")
        if self.core_growth and self.icp:
            parts.append("core-growth customers (" + "; ".join(f"{c}: {', '.join(v)}" for c, v in self.icp) + ")")
        return " · ".join(parts) if parts else "all respondents"

    def to_dict(self) -> dict:
        """Plain JSON-able form (for saving the workspace)."""
        return {"segments": {c: list(v) for c, v in self.segments},
                "date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None,
                "core_growth": self.core_growth, "icp": {c: list(v) for c, v in self.icp}}

    @classmethod
    def from_dict(cls, d: dict | None) -> FilterSpec:
        """Inverse of `to_dict` (unknown keys ignored)."""
        d = d or {}

        def date(x):
            return dt.date.fromisoformat(x) if x else None

        return cls.build(d.get("segments"), date(d.get("date_from")), date(d.get("date_to")),
                         d.get("core_growth", False), d.get("icp"))


def filter_mask(frame: pd.DataFrame, spec: FilterSpec, date_col: str | None = None) -> np.ndarray:
    """Boolean mask of the respondents the filter keeps (columns missing from the frame are ignored)."""
    mask = np.ones(len(frame), dtype=bool)
    for col, values in spec.segments:
        if col in frame.columns:
            mask &= is_one_of(frame[col], values)
    if date_col and date_col in frame.columns and (spec.date_from or spec.date_to):
        d = frame[date_col]
        if spec.date_from:
            mask &= (d >= pd.Timestamp(spec.date_from)).to_numpy(dtype=bool, na_value=False)
        if spec.date_to:
            mask &= (d < pd.Timestamp(spec.date_to) + pd.Timedelta(days=1)).to_numpy(dtype=bool, na_value=False)
    if spec.core_growth:
        for col, values in spec.icp:
            if col in frame.columns:
                mask &= is_one_of(frame[col], values)
    return mask


def is_one_of(column: pd.Series, values) -> np.ndarray:
    """Which rows hold one of the values, compared as text (missing values never match)."""
    values = [str(v) for v in values]
    if isinstance(column.dtype, pd.CategoricalDtype):  # decided once per category, then looked up by code
        hit = np.append(column.cat.categories.astype("str").isin(values), False)
        return hit[column.cat.codes.to_numpy()]
    return column.astype("str").isin(values).to_numpy(dtype=bool, na_value=False)


def present_labels(column: pd.Series) -> list[str]:
    """The values present in a column, as text, sorted (a segment's values in the current view)."""
    return sorted({str(v) for v in column.dropna().unique()})


def apply_filter(frame: pd.DataFrame, spec: FilterSpec, date_col: str | None = None) -> pd.DataFrame:
    """The rows of the frame the filter keeps (the frame itself when the filter is inactive)."""
    if not spec.is_active:
        return frame
    return frame[filter_mask(frame, spec, date_col)]


def parse_where(conditions: list[str], columns: list[str], resolve=None) -> dict[str, list[str]]:
    """Parse CLI ``--where COL=VALUE`` conditions into column -> allowed values.

    Repeating a column allows several values (either may hold); different columns must all hold.
    `resolve` maps a user-given name (display name or raw code) to a column, or returns None.
    """
    out: dict[str, list[str]] = {}
    for cond in conditions:
        if "=" not in cond:
            raise CxInputError(f'--where needs COL=VALUE, got "{cond}". Example: --where "Region=EMEA".')
        name, value = cond.split("=", 1)
        col = resolve(name.strip()) if resolve else (name.strip() if name.strip() in columns else None)
        if col is None:
            raise CxInputError(f'--where names no column "{name.strip()}". Run `python -m cx inspect FILE` to list them.')
        out.setdefault(col, []).append(value.strip())
    return out


def where_mask(frame: pd.DataFrame, where: dict[str, list[str]]) -> np.ndarray:
    """Rows where every named column equals one of its values (compared as text; 10 matches 10.0)."""
    mask = np.ones(len(frame), dtype=bool)
    for col, values in where.items():
        s = frame[col]
        if s.dtype.kind in "iuf":
            nums = [float(v) for v in values if _is_number(v)]
            mask &= s.isin(nums).to_numpy(dtype=bool, na_value=False)
        else:
            mask &= s.astype("str").str.strip().isin(values).to_numpy(dtype=bool, na_value=False)
    return mask


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
