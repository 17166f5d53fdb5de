"""The single-page action plan: one business unit (or everyone) on one page.

The last link of the method: per business unit, the NPS with its interval and trend, the key
drivers (and the fix-first quadrant), the vital-few comment themes, each theme's 5th why, workflow
diamond and leading indicator with owner and dates, and the money at stake. `build_action_plan`
gathers it from the cleaned survey with the same functions the pages and ``python -m cx analyze``
use, so every number agrees with them; `cx.report` renders it (PDF, HTML, Markdown, XLSX) and
drafts the close-the-loop message to all customers.

A part that cannot be filled (no drivers mapped, no comments, no revenue, no 5 Whys yet) is stated
in words in ``ActionPlan.statements``, never left blank.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from cx import fmt
from cx.errors import CxInputError
from cx.nps import MIN_BASE, NpsResult, nps_summary, nps_trend
from cx.privacy import mask_text
from cx.rootcause import OVERALL, fifth_why, for_scope, missing_parts, normalise, scope_mask

TREND_PERIODS = 6
"""Periods of trend shown on the plan (the most recent ones)."""

EXAMPLES_PER_THEME = 3
PLAN_FIELDS = ("title", "owner", "next_review", "commitment")
"""Plan-level fields the user may fill per scope (``ui.work("plan")[scope]``)."""

# Themes that name praise rather than a problem: kept in the plan's Pareto (the numbers must match
# the Comments page), but not offered to customers as "the problems you raised".
_POSITIVE_THEME = re.compile(r"prais|positive|compliment|thank", re.IGNORECASE)

SECTIONS = ("nps", "trend", "drivers", "themes", "root_causes", "revenue")


@dataclass(frozen=True)
class PlanTrendPoint:
    """NPS of one period, with the change from the previous period and whether it is significant.

    ``significant_change`` is `cx.nps.nps_trend`'s ``reportable_change``: significant, on bases of at
    least 30 respondents in both periods.
    """

    period: str
    n: int
    score: float
    ci_low: float
    ci_high: float
    change: float | None
    significant_change: bool


@dataclass(frozen=True)
class PlanDriver:
    """One key driver: its importance, its performance in scope and its quadrant."""

    driver: str
    importance: float  # share of the explained variance (sums to 1 over the drivers)
    performance: float  # mean rating in scope
    quadrant: str  # "Fix first", "Keep", "Maintain" or "Secondary"
    correlation: float


@dataclass(frozen=True)
class PlanTheme:
    """One bar of the scope's Pareto of comment themes, with masked example verbatims."""

    theme: str
    count: int
    share: float
    cumulative_share: float
    vital_few: bool
    examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class PlanIndicator:
    """The leading-indicator metric on a workflow diamond."""

    name: str = ""
    definition: str = ""
    baseline: str = ""
    target: str = ""
    cadence: str = ""
    owner: str = ""
    due: str = ""

    def describe(self) -> str:
        """The indicator in one line: name, baseline → target, cadence (empty when unnamed)."""
        if not self.name.strip():
            return ""
        parts = [self.name.strip()]
        if self.baseline.strip() or self.target.strip():
            parts.append(f"{self.baseline.strip() or '?'} → {self.target.strip() or '?'}")
        if self.cadence.strip():
            parts.append(self.cadence.strip().lower())
        return ", ".join(parts)


@dataclass(frozen=True)
class PlanRootCause:
    """A 5 Whys canvas as it goes in the plan."""

    theme: str
    scope: str
    count: int | None  # mentions of the theme in the plan's scope (else as recorded)
    whys: tuple[str, ...]
    fifth_why: str  # the deepest why answered so far
    diamond: str
    indicator: PlanIndicator
    examples: tuple[str, ...]  # masked verbatims
    missing: tuple[str, ...]  # what the canvas still lacks, in words
    vital_few: bool  # the theme is in the scope's vital few


@dataclass(frozen=True)
class RevenueAtStake:
    """Money at stake in the scope: detractors' annual revenue and lifetime value."""

    currency: str
    total: float
    detractors: float
    detractor_share: float
    clv_at_risk: float
    clv_total: float
    n_with_revenue: int
    n_missing_revenue: int
    assumptions: str  # the CLV formula and assumptions in one line

    def sentence(self) -> str:
        """The money at stake in one sentence."""
        return (f"Detractors hold {fmt.money(self.detractors, self.currency)} of annual revenue "
                f"({fmt.share(self.detractor_share)} of {fmt.money(self.total, self.currency)}); "
                f"their customer lifetime value at risk is {fmt.money(self.clv_at_risk, self.currency)}.")


@dataclass(frozen=True)
class ActionPlan:
    """A single-page action plan for one scope (a business unit, or everyone).

    ``drivers`` and ``themes`` hold every driver and theme (the tables behind the plan);
    ``top_drivers`` and ``vital_few_themes`` are what the page shows. ``statements`` says, in
    words, why a section is empty; ``warnings`` what to read with care.
    """

    title: str
    scope: str
    scope_col: str | None
    source: str
    filter_text: str
    as_of: str
    n_rows: int
    loyalty: str | None
    nps: NpsResult | None
    trend_period: str | None
    trend: tuple[PlanTrendPoint, ...]
    n_periods: int
    driver_outcome: str | None
    driver_method: str | None
    driver_n: int
    driver_r2: float | None
    drivers: tuple[PlanDriver, ...]
    n_top: int
    themes: tuple[PlanTheme, ...]
    n_comments: int
    mentions: int
    root_causes: tuple[PlanRootCause, ...]
    revenue: RevenueAtStake | None
    owner: str = ""
    next_review: str = ""
    commitment: str = ""
    statements: tuple[tuple[str, str], ...] = ()
    warnings: tuple[str, ...] = ()
    weighted: bool = False
    outcome: str | None = None  # the outcome that stands in for NPS when there is no loyalty column

    # --- derived -------------------------------------------------------------------------------

    @property
    def headline_label(self) -> str:
        """Title of the "where we stand" figure: NPS, or the outcome of a survey without a 0–10 question."""
        return self.outcome if self.outcome and not self.loyalty else "NPS"

    @property
    def drivers_heading(self) -> str:
        """What the drivers explain, as a heading: "What drives loyalty" (or the outcome they explain)."""
        return f"What drives {self.driver_outcome}" if self.driver_outcome and not self.loyalty else \
            "What drives loyalty"

    @property
    def top_drivers(self) -> tuple[PlanDriver, ...]:
        """The most important drivers (``n_top`` of them)."""
        return self.drivers[: self.n_top]

    @property
    def top_driver(self) -> str | None:
        """The most important driver, None when unknown."""
        return self.drivers[0].driver if self.drivers else None

    @property
    def fix_first(self) -> tuple[str, ...]:
        """Drivers of high importance and low performance, most important first."""
        return tuple(d.driver for d in self.drivers if d.quadrant == "Fix first")

    @property
    def vital_few_themes(self) -> tuple[PlanTheme, ...]:
        """The vital-few themes, most mentioned first."""
        return tuple(t for t in self.themes if t.vital_few)

    @property
    def vital_few(self) -> tuple[str, ...]:
        """Names of the vital-few themes, most mentioned first."""
        return tuple(t.theme for t in self.vital_few_themes)

    @property
    def top_theme(self) -> str | None:
        """The most mentioned vital-few problem (praise is not one), None when there is none."""
        return next((t for t in self.vital_few if not is_praise(t)), None)

    @property
    def significant_changes(self) -> tuple[PlanTrendPoint, ...]:
        """Periods shown whose change from the previous period is significant."""
        return tuple(p for p in self.trend if p.significant_change)

    @property
    def scope_label(self) -> str:
        """The scope in words: "Business unit: Logistics" or "All respondents"."""
        if self.scope == OVERALL or not self.scope_col:
            return "All respondents"
        return f"{self.scope_col}: {self.scope}"

    def statement(self, section: str) -> str:
        """Why a section is empty (or a note on it), in words; "" when there is nothing to say."""
        return " ".join(text for key, text in self.statements if key == section)

    def root_cause_for(self, theme: str) -> PlanRootCause | None:
        """The first 5 Whys canvas of a theme in this plan."""
        return next((rc for rc in self.root_causes if rc.theme == theme), None)

    def nps_text(self) -> str:
        """The headline NPS with its margin of error ("+12 (±4)"), or a dash."""
        if self.nps is None or self.nps.score is None:
            return "–"
        return fmt.nps_with_moe(self.nps.score, self.nps.ci95)

    def trend_text(self) -> str:
        """The trend in one sentence: the significant changes, or that there is none."""
        if not self.trend:
            return self.statement("trend")
        unit = self.trend_period or "period"
        sig = self.significant_changes
        first, last = self.trend[0].period, self.trend[-1].period
        if not sig:
            text = (f"No significant change between consecutive {unit}s from {first} to {last}."
                    if len(self.trend) > 1 else "")
        else:
            text = "Significant changes: " + "; ".join(
                f"{p.period} {fmt.signed_int(p.change)} points" for p in sig) + "."
        note = self.statement("trend")
        return " ".join(t for t in (text, note) if t)

    def heard_themes(self, limit: int = 3) -> tuple[str, ...]:
        """Problems customers raised most, for the close-the-loop message.

        Themes with a 5 Whys canvas first (those are being worked on), then the other vital-few
        themes; themes that name praise are left out.
        """
        worked = [rc.theme for rc in self.root_causes if rc.theme.strip()]
        ordered = list(dict.fromkeys(worked + list(self.vital_few)))
        return tuple(t for t in ordered if not is_praise(t))[:limit]

    # --- tables --------------------------------------------------------------------------------

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables behind the plan: NPS, trend, drivers, themes, root causes, revenue."""
        nps = self.nps
        nps_rows = []
        if nps is not None and nps.n:
            ci = nps.ci95
            nps_rows.append({"scope": self.scope, "n": nps.n, "promoters": nps.promoters, "passives": nps.passives,
                             "detractors": nps.detractors, "nps": nps.score,
                             "ci95_low": ci[0] if ci else None, "ci95_high": ci[1] if ci else None,
                             "weighted": self.weighted})
        trend = pd.DataFrame([vars(p) for p in self.trend],
                             columns=["period", "n", "score", "ci_low", "ci_high", "change", "significant_change"])
        drivers = pd.DataFrame([{**vars(d), "rank": k + 1, "top": k < self.n_top} for k, d in enumerate(self.drivers)],
                               columns=["rank", "driver", "importance", "performance", "quadrant", "correlation", "top"])
        themes = pd.DataFrame(
            [{"theme": t.theme, "count": t.count, "share": t.share, "cumulative_share": t.cumulative_share,
              "vital_few": t.vital_few, **{f"example_{k + 1}": (t.examples[k] if k < len(t.examples) else "")
                                           for k in range(EXAMPLES_PER_THEME)}} for t in self.themes],
            columns=["theme", "count", "share", "cumulative_share", "vital_few",
                     *[f"example_{k + 1}" for k in range(EXAMPLES_PER_THEME)]])
        rc_cols = ["theme", "scope", "count", "why_1", "why_2", "why_3", "why_4", "why_5", "fifth_why", "diamond",
                   "indicator", "definition", "baseline", "target", "cadence", "owner", "due", "examples",
                   "still_missing"]
        roots = pd.DataFrame([{
            "theme": rc.theme, "scope": rc.scope, "count": rc.count,
            **{f"why_{k + 1}": (rc.whys[k] if k < len(rc.whys) else "") for k in range(5)},
            "fifth_why": rc.fifth_why, "diamond": rc.diamond, "indicator": rc.indicator.name,
            "definition": rc.indicator.definition, "baseline": rc.indicator.baseline, "target": rc.indicator.target,
            "cadence": rc.indicator.cadence, "owner": rc.indicator.owner, "due": rc.indicator.due,
            "examples": " | ".join(rc.examples), "still_missing": "; ".join(rc.missing)} for rc in self.root_causes],
            columns=rc_cols)
        rev = self.revenue
        revenue = pd.DataFrame(
            [{"measure": "Annual revenue, all respondents", "value": rev.total},
             {"measure": "Annual revenue of detractors", "value": rev.detractors},
             {"measure": "Detractors' share of revenue", "value": rev.detractor_share},
             {"measure": "Customer lifetime value, all scored respondents", "value": rev.clv_total},
             {"measure": "Customer lifetime value at risk (detractors)", "value": rev.clv_at_risk},
             {"measure": "Respondents without a revenue value", "value": float(rev.n_missing_revenue)}]
            if rev else [], columns=["measure", "value"])
        return {"NPS": pd.DataFrame(nps_rows, columns=["scope", "n", "promoters", "passives", "detractors", "nps",
                                                       "ci95_low", "ci95_high", "weighted"]),
                "Trend": trend, "Drivers": drivers, "Themes": themes, "Root causes": roots, "Revenue": revenue}

    def to_dict(self) -> dict:
        """The plan as JSON-able data (NaN becomes None)."""
        def clean(x):
            if isinstance(x, float) and not math.isfinite(x):
                return None
            if isinstance(x, (np.generic,)):
                return clean(x.item())
            if isinstance(x, dict):
                return {k: clean(v) for k, v in x.items()}
            if isinstance(x, (list, tuple)):
                return [clean(v) for v in x]
            return x

        return clean({
            "title": self.title, "scope": self.scope, "scope_column": self.scope_col, "source": self.source,
            "filter": self.filter_text, "as_of": self.as_of, "n_rows": self.n_rows,
            "nps": self.nps.to_dict() if self.nps is not None else None,
            "trend": {"period": self.trend_period, "items": [vars(p) for p in self.trend]} if self.trend else None,
            "drivers": {"outcome": self.driver_outcome, "method": self.driver_method, "n": self.driver_n,
                        "r2": self.driver_r2, "top": [d.driver for d in self.top_drivers],
                        "fix_first": list(self.fix_first), "items": [vars(d) for d in self.drivers]}
            if self.drivers else None,
            "themes": {"comments": self.n_comments, "mentions": self.mentions, "vital_few": list(self.vital_few),
                       "items": [{**vars(t), "examples": list(t.examples)} for t in self.themes]}
            if self.themes else None,
            "root_causes": [{**vars(rc), "indicator": vars(rc.indicator), "whys": list(rc.whys),
                             "examples": list(rc.examples), "missing": list(rc.missing)} for rc in self.root_causes],
            "revenue": vars(self.revenue) if self.revenue else None,
            "owner": self.owner, "next_review": self.next_review, "commitment": self.commitment,
            "statements": {k: self.statement(k) for k in SECTIONS if self.statement(k)},
            "warnings": list(self.warnings),
        })


def is_praise(theme: str) -> bool:
    """True for a theme that names praise rather than a problem ("Praise (general positive)")."""
    return bool(_POSITIVE_THEME.search(str(theme)))


# --- building ----------------------------------------------------------------------------------


def scope_values(frame: pd.DataFrame, col: str) -> list[str]:
    """The values of a segment column present in the frame, as text, sorted (the plan scopes)."""
    if col not in frame.columns:
        raise CxInputError(f"Column {col!r} is not in the data. Pick one of: {', '.join(map(str, frame.columns))}.")
    from cx.filters import present_labels

    return present_labels(frame[col])


def _text(x) -> str:
    return "" if x is None or (isinstance(x, float) and math.isnan(x)) else str(x)


def _plan_fields(fields: Mapping | None) -> dict[str, str]:
    fields = fields or {}
    return {k: _text(fields.get(k)).strip() for k in PLAN_FIELDS}


def _trend(frame: pd.DataFrame, roles, period: str, periods: int, statements: list) -> tuple:
    if not roles.loyalty:
        return (), 0
    if not roles.date:
        statements.append(("trend", "No response-date column is mapped, so there is no trend: map it on the Data "
                                    "page (or name it with --date)."))
        return (), 0
    table = nps_trend(frame, roles.loyalty, roles.date, period=period, weight=roles.weight)
    if table.empty:
        statements.append(("trend", "No respondent in scope has both a valid score and a response date, so there "
                                    "is no trend."))
        return (), 0
    points = tuple(PlanTrendPoint(period=str(r.period), n=int(r.n), score=float(r.score), ci_low=float(r.ci_low),
                                  ci_high=float(r.ci_high), change=None if pd.isna(r.change) else float(r.change),
                                  significant_change=bool(r.reportable_change))
                   for r in table.itertuples(index=False))
    if len(points) == 1:
        statements.append(("trend", f"Only one {period} of responses: no change to test yet."))
    elif len(points) > periods:
        statements.append(("trend", f"The last {periods} of {len(points)} {period}s are shown."))
    return points[-periods:], len(points)


def _outcome_trend_statement(frame: pd.DataFrame, roles, scale: tuple[int, int] | None, period: str, periods: int,
                             statements: list) -> None:
    """The outcome's trend in words (the trend box of a plan without NPS), as the Overview computes it."""
    from cx.outcome import difference_text, is_yes_no, outcome_trend

    if not roles.date:
        statements.append(("trend", "No response-date column is mapped, so there is no trend: map it on the Data "
                                    "page (or name it with --date)."))
        return
    table = outcome_trend(frame, roles.outcome, scale, date=roles.date, period=period, weight=roles.weight)
    if table.empty:
        statements.append(("trend", f"No respondent in scope has both an answer to {roles.outcome} and a response "
                                    "date, so there is no trend."))
        return
    shown = table.tail(periods)
    value = (lambda m: f"{100 * m:.0f}%") if is_yes_no(scale) else (lambda m: f"{m:.2f}")
    text = f"{roles.outcome} by {period}: " + ", ".join(
        f"{p} {value(m)}" for p, m in zip(shown["period"], shown["mean"])) + "."
    moved = shown[shown["reportable_change"]]
    if len(moved):
        text += " Significant changes: " + ", ".join(
            f"{p} {difference_text(c, scale)}" for p, c in zip(moved["period"], moved["change"])) + "."
    elif len(table) > 1:
        text += f" No change between consecutive {period}s is statistically significant."
    statements.append(("trend", text))


def _drivers(frame: pd.DataFrame, roles, scope: str, statements: list):
    from cx.analysis import driver_outcome
    from cx.drivers import importance_performance, key_drivers

    outcome = driver_outcome(roles)
    drivers = [d for d in roles.drivers if d != outcome]
    if not drivers or not outcome:
        statements.append(("drivers", "No driver ratings are mapped, so the key drivers are not known: map the "
                                      "driver rating columns on the Data page (or name them with --drivers)."))
        return None, ()
    try:
        analysis = key_drivers(frame, drivers, outcome, None, weight=roles.weight)
        table = importance_performance(analysis, frame)
    except CxInputError as exc:
        statements.append(("drivers", f"The key drivers could not be computed for {scope}: {exc}"))
        return None, ()
    if analysis.explains_little:
        statements.append(("drivers", f"The drivers explain only {fmt.share(analysis.r2)} of the variation in "
                                      f"{analysis.outcome} (R² = {analysis.r2:.3f}) in {scope}: no driver is named "
                                      "as the one to fix."))
        return analysis, ()
    items = tuple(PlanDriver(driver=str(r.driver), importance=float(r.importance), performance=float(r.performance),
                             quadrant=str(r.quadrant), correlation=float(analysis.item(r.driver).correlation))
                  for r in table.itertuples(index=False))
    return analysis, items


def _themes(frame: pd.DataFrame, roles, codebook, scope: str, statements: list):
    from cx.themes import code_comments, pareto_table, starter_codebook

    col = roles.comments
    if not col:
        statements.append(("themes", "No comments column is mapped, so there are no themes: map the free-text "
                                     "column on the Data page (or name it with --comments)."))
        return (), 0, 0
    book = starter_codebook() if codebook is None else codebook
    coded = code_comments(frame[col], book)
    pareto = pareto_table(coded)
    if coded.n_comments == 0:
        statements.append(("themes", f"No respondent in {scope} left a comment, so there is no vital few."))
    elif not pareto.items:
        statements.append(("themes", f"No comment in {scope} matches a theme of the codebook, so there is no vital "
                                     "few yet: add themes on the Comments page."))
    items = []
    for i in pareto.items:
        examples: tuple[str, ...] = ()
        if i.vital_few:
            examples = _examples(frame, coded, i.theme, col, roles.loyalty)
        items.append(PlanTheme(theme=i.theme, count=int(i.count), share=float(i.share),
                               cumulative_share=float(i.cumulative_share), vital_few=bool(i.vital_few),
                               examples=examples))
    return tuple(items), pareto.comments, pareto.mentions


def _examples(frame: pd.DataFrame, coded, theme: str, col: str, loyalty: str | None) -> tuple[str, ...]:
    """Up to `EXAMPLES_PER_THEME` masked verbatims of a theme, lowest scores first (as on the Comments page)."""
    from cx.themes import verbatims

    hit = coded.theme_mask(theme) & coded.non_empty
    pos = np.flatnonzero(hit)
    if loyalty:
        score = frame[loyalty].to_numpy(dtype="float64", na_value=np.nan)[pos]
        pos = pos[np.lexsort((np.arange(pos.size), np.where(np.isnan(score), np.inf, score)))]
    keep = np.zeros(len(frame), dtype=bool)
    keep[pos[:EXAMPLES_PER_THEME]] = True
    # Only the few rows shown go through verbatims (matched words, masking): cheap on any survey size.
    table = verbatims(frame[keep], coded.subset(keep), theme, col, loyalty, limit=EXAMPLES_PER_THEME)
    return tuple(str(t) for t in table["comment"].tolist())


def _root_causes(entries: Sequence[Mapping], scope: str, themes: Sequence[PlanTheme], statements: list):
    counts = {t.theme: t.count for t in themes}
    vital = {t.theme for t in themes if t.vital_few}
    out = []
    for e in for_scope([dict(x) for x in entries], scope):
        if not e["theme"].strip():
            continue
        ind = PlanIndicator(**{k: e["indicator"].get(k, "") for k in PlanIndicator.__dataclass_fields__})
        out.append(PlanRootCause(
            theme=e["theme"], scope=e["scope"], count=counts.get(e["theme"], e["count"]),
            whys=tuple(mask_text(w) for w in e["whys"]), fifth_why=mask_text(fifth_why(e)),
            diamond=mask_text(e["diamond"]), indicator=ind,
            examples=tuple(mask_text(x) for x in e["examples"] if str(x).strip()),
            missing=tuple(missing_parts(e)), vital_few=e["theme"] in vital))
    if not out:
        others = sorted({normalise(dict(x))["scope"] for x in entries} - {scope, OVERALL})
        text = f"No 5 Whys recorded for {scope} yet: start one for the top vital-few theme on the Root cause page."
        if scope == OVERALL and others:
            text += f" ({len(entries)} canvas(es) are recorded for {', '.join(others)}: see their own plans.)"
        statements.append(("root_causes", text))
    else:
        open_ = [t.theme for t in themes if t.vital_few and t.theme not in {rc.theme for rc in out}
                 and not is_praise(t.theme)]
        if open_:
            statements.append(("root_causes", "No 5 Whys yet for: " + ", ".join(open_) + "."))
    return tuple(out)


def _revenue(frame: pd.DataFrame, roles, clv, currency: str, statements: list) -> RevenueAtStake | None:
    from cx.revenue import ClvAssumptions, clv_summary, revenue_by_group

    if not roles.revenue:
        statements.append(("revenue", "No revenue column is mapped, so the money at stake is not sized: map annual "
                                      "revenue per account on the Data page (or name it with --revenue)."))
        return None
    if not roles.loyalty:
        statements.append(("revenue", "Without a loyalty column there are no detractors to size in money."))
        return None
    summary = revenue_by_group(frame, roles.loyalty, roles.revenue)
    if summary.n_with_revenue == 0:
        statements.append(("revenue", "No respondent in scope has a revenue value, so the money at stake is not "
                                      "sized."))
        return None
    value = clv_summary(summary, clv or ClvAssumptions())
    if summary.n_missing_revenue:
        statements.append(("revenue", f"{fmt.count(summary.n_missing_revenue)} respondent(s) have no revenue value "
                                      "and are left out of the sums."))
    return RevenueAtStake(currency=currency, total=summary.total, detractors=summary.detractors,
                          detractor_share=summary.detractor_share, clv_at_risk=value.at_risk, clv_total=value.total,
                          n_with_revenue=summary.n_with_revenue, n_missing_revenue=summary.n_missing_revenue,
                          assumptions=value.assumptions.formula + " (" + ", ".join(
                              f"{k} retention {fmt.share(v)}" for k, v in
                              value.assumptions.to_dict()["retention"].items()) + (
                              "" if value.assumptions.quick else
                              f", margin {fmt.share(value.assumptions.gross_margin)}, discount rate "
                              f"{fmt.share(value.assumptions.discount_rate)}") + ")")


def build_action_plan(frame: pd.DataFrame, roles, *, scope_col: str | None = None, scope_value: str | None = None,
                      codebook: pd.DataFrame | Mapping[str, str] | None = None, root_causes: Sequence[Mapping] = (),
                      clv=None, currency: str = "$", top_drivers: int = 3, filter_text: str = "", source: str = "",
                      fields: Mapping | None = None, period: str = "quarter", trend_periods: int = TREND_PERIODS,
                      as_of: str | dt.date | None = None, outcome_scale: tuple[int, int] | None = None) -> ActionPlan:
    """The single-page action plan of one scope: a business unit, or everyone.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey (`cx.clean.prepare_survey`), already under the shared filter.
    roles : cx.roles.Roles
        Column roles.
    scope_col, scope_value : str, optional
        The segment column and value of the business unit; everyone when ``scope_value`` is None
        or "Overall".
    codebook : DataFrame or mapping, optional
        ``theme, pattern`` codebook (the starter codebook when omitted).
    root_causes : sequence of dict
        The 5 Whys canvases (``ui.work("root_causes")``, see `cx.rootcause`); those of the scope
        and the "Overall" ones go in the plan.
    clv : cx.revenue.ClvAssumptions, optional
        Lifetime-value assumptions (the defaults when omitted).
    currency : str
        Currency symbol for money.
    top_drivers : int
        How many key drivers the plan names.
    filter_text : str
        The shared filter in words ("" or "all respondents" when none).
    source : str
        The survey file's name.
    fields : mapping, optional
        Plan fields of the scope: title, owner, next_review, commitment.
    period : {"quarter", "month"}
        Trend granularity.
    trend_periods : int
        Most recent periods shown.
    as_of : str or date, optional
        The plan's date (today when omitted).
    outcome_scale : (int, int), optional
        The outcome's scale (`Survey.scales`): without a loyalty column the plan says where the outcome stands.

    Returns
    -------
    ActionPlan

    Raises
    ------
    CxInputError
        When the scope column is not in the data.

    Notes
    -----
    Every number comes from the functions ``python -m cx analyze`` uses, on the scope's rows:
    NPS = `cx.nps.nps_summary` (weighted when a weight is mapped), trend = `cx.nps.nps_trend`
    (z-test of each period against the previous), drivers = `cx.drivers.key_drivers` with the
    default method on the mapped drivers against `cx.analysis.driver_outcome`, quadrants =
    `cx.drivers.importance_performance` (fix first = importance at or above the mean and
    performance below it), themes = `cx.themes.pareto_table` of `cx.themes.code_comments`
    (vital few: the shortest run of themes reaching 80% of mentions), money =
    `cx.revenue.revenue_by_group` and `cx.revenue.clv_summary` (CLV at risk = detractors' CLV).
    Example verbatims and 5 Whys text are masked with `cx.privacy.mask_text`.

    References
    ----------
    Reichheld (2003); Lindeman, Merenda & Gold (1980); Martilla & James (1977); Juran (1951);
    Gupta & Lehmann (2003).

    Examples
    --------
    >>> import pandas as pd
    >>> from cx.roles import Roles
    >>> f = pd.DataFrame({"LTR": [10.0, 9, 3, 8], "BU": ["A", "A", "B", "B"]})
    >>> p = build_action_plan(f, Roles(loyalty="LTR", segments=("BU",)), scope_col="BU", scope_value="A")
    >>> (p.n_rows, p.nps.score, p.statement("drivers")[:29])
    (2, 100.0, 'No driver ratings are mapped,')
    """
    scope = OVERALL if scope_value is None else str(scope_value)
    if scope != OVERALL:
        if not scope_col:
            raise CxInputError("A business-unit plan needs the segment column it belongs to (scope_col).")
        if scope_col not in frame.columns:
            raise CxInputError(f"Column {scope_col!r} is not in the data. Pick one of: "
                               f"{', '.join(map(str, frame.columns))}.")
        frame = frame[scope_mask(frame, scope_col, scope)]
    statements: list[tuple[str, str]] = []
    warnings: list[str] = []
    f = _plan_fields(fields)
    nps = None
    if not roles.loyalty and roles.outcome:
        statements.append(("nps", _outcome_statement(frame, roles, outcome_scale, scope, warnings)))
    elif not roles.loyalty:
        statements.append(("nps", "No loyalty column is mapped, so there is no NPS: map the 0–10 "
                                  "likelihood-to-recommend question on the Data page (or name it with --loyalty)."))
    else:
        nps = nps_summary(frame, roles.loyalty, roles.weight)
        if nps.n == 0:
            statements.append(("nps", f"No respondent in {scope} has a valid 0–10 answer, so there is no NPS."))
            nps = None
        elif nps.n < MIN_BASE:
            warnings.append(f"Only {nps.n} respondents in {scope}: read every number as indicative.")
    trend, n_periods = _trend(frame, roles, period, trend_periods, statements) if nps is not None else ((), 0)
    if not roles.loyalty and roles.outcome:
        _outcome_trend_statement(frame, roles, outcome_scale, period, trend_periods, statements)
    analysis, drivers = _drivers(frame, roles, scope, statements)
    themes, n_comments, mentions = _themes(frame, roles, codebook, scope, statements)
    roots = _root_causes(root_causes, scope, themes, statements)
    if nps is None and roles.loyalty and roles.revenue:
        revenue = None
        statements.append(("revenue", "Without scored respondents there are no detractors to size in money."))
    else:
        revenue = _revenue(frame, roles, clv, currency, statements)
    if isinstance(as_of, dt.date):
        as_of = as_of.isoformat()
    title = f["title"] or ("Action plan" if scope == OVERALL else f"Action plan: {scope}")
    return ActionPlan(
        title=title, scope=scope, scope_col=scope_col if scope != OVERALL else None, source=source,
        filter_text="" if filter_text in ("", "all respondents") else filter_text,
        as_of=as_of or dt.date.today().isoformat(), n_rows=int(len(frame)), loyalty=roles.loyalty, nps=nps,
        trend_period=period if trend else None, trend=trend, n_periods=n_periods,
        driver_outcome=analysis.outcome if analysis else None, driver_method=analysis.method if analysis else None,
        driver_n=int(analysis.n) if analysis else 0, driver_r2=float(analysis.r2) if analysis else None,
        drivers=drivers, n_top=max(int(top_drivers), 1), themes=themes, n_comments=int(n_comments),
        mentions=int(mentions), root_causes=roots, revenue=revenue, owner=f["owner"], next_review=f["next_review"],
        commitment=f["commitment"], statements=tuple(statements), warnings=tuple(warnings),
        weighted=bool(nps is not None and nps.weighted), outcome=roles.outcome)


def _outcome_statement(frame: pd.DataFrame, roles, scale: tuple[int, int] | None, scope: str,
                       warnings: list[str]) -> str:
    """Where a survey without a 0–10 question stands: its outcome's mean and top box, as on the Overview."""
    from cx.outcome import box_label, is_yes_no, mean_text, outcome_summary, top_box_values

    res = outcome_summary(frame, roles.outcome, scale, roles.weight)
    if res.n == 0:
        return f"No respondent in {scope} has a valid answer to {roles.outcome}."
    if res.n < MIN_BASE:
        warnings.append(f"Only {res.n} respondents in {scope}: read every number as indicative.")
    text = mean_text(res.mean, res.ci95, scale)
    if is_yes_no(scale):
        text += " answer yes"
    elif scale:
        text += f" on {scale[0]}–{scale[1]}; {fmt.share(res.top_box)} {box_label(top_box_values(scale), scale).lower()}"
    return f"{roles.outcome}: {text} ({fmt.count(res.n)} respondents). There is no 0–10 question, so no NPS."


def with_fields(plan: ActionPlan, fields: Mapping | None) -> ActionPlan:
    """The plan with other plan fields (title, owner, next_review, commitment); numbers unchanged.

    Lets a page cache the analysis and apply what the user types without recomputing it.
    """
    f = _plan_fields(fields)
    title = f["title"] or ("Action plan" if plan.scope == OVERALL else f"Action plan: {plan.scope}")
    return replace(plan, title=title, owner=f["owner"], next_review=f["next_review"], commitment=f["commitment"])


def plans_by(frame: pd.DataFrame, roles, by_col: str, *, fields_by_scope: Mapping[str, Mapping] | None = None,
             **options) -> dict[str, ActionPlan]:
    """One action plan per value of a segment column (``python -m cx report --by COL``).

    Parameters
    ----------
    frame, roles : the cleaned (filtered) survey and its roles.
    by_col : str
        The segment column, usually the business unit.
    fields_by_scope : mapping, optional
        Plan fields per scope value (``ui.work("plan")``).
    **options
        Passed to `build_action_plan` (codebook, root_causes, clv, currency, top_drivers,
        filter_text, source, period, as_of).

    Returns
    -------
    dict of str to ActionPlan
        In the order of the values (sorted as text).

    Raises
    ------
    CxInputError
        When the column is not in the data or has no value.
    """
    values = scope_values(frame, by_col)
    if not values:
        raise CxInputError(f"The column {by_col!r} has no value in the data, so there is no plan per value.")
    fields_by_scope = fields_by_scope or {}
    return {value: build_action_plan(frame, roles, scope_col=by_col, scope_value=value,
                                     fields=fields_by_scope.get(value), **options) for value in values}


def plan_inputs_from_work(work: Mapping | None) -> dict:
    """Keyword arguments for `build_action_plan` / `plans_by` from a workspace's saved work.

    Parameters
    ----------
    work : mapping
        ``settings["work"]`` of a workspace (`cx.workspace`): root_causes, plan, codebook.

    Returns
    -------
    dict
        ``root_causes`` (list), ``codebook`` (DataFrame or None: the starter codebook) and
        ``fields_by_scope`` (dict). Pass ``fields=fields_by_scope.get(scope)`` to
        `build_action_plan`, or ``fields_by_scope`` to `plans_by`.
    """
    work = work or {}
    book = work.get("codebook")
    codebook = None
    if book is not None:
        codebook = pd.DataFrame(list(book), columns=["theme", "pattern", "parent"]).fillna("")
    plan = work.get("plan") or {}
    return {"root_causes": [dict(e) for e in (work.get("root_causes") or []) if isinstance(e, Mapping)],
            "codebook": codebook,
            "fields_by_scope": {str(k): dict(v) for k, v in plan.items() if isinstance(v, Mapping)}}


MONEY_KEYS = {"revenue_currency": "$", "revenue_ret_promoters": 90, "revenue_ret_passives": 80,
              "revenue_ret_detractors": 65, "revenue_discount": 10, "revenue_margin": 30, "revenue_quick": False}
"""The Revenue at risk page's saved settings (widget keys, percentages) that size the money, with defaults."""


def money_settings(saved: Mapping | None):
    """Currency and lifetime-value assumptions from the Revenue at risk page's saved settings.

    Parameters
    ----------
    saved : mapping, optional
        Widget values by key (`MONEY_KEYS`; a workspace's ``settings["keys"]``). Missing or
        invalid values fall back to the defaults.

    Returns
    -------
    (cx.revenue.ClvAssumptions, str)
        The assumptions and the currency symbol, as the Revenue at risk page uses them.
    """
    from cx.revenue import ClvAssumptions

    saved = saved or {}

    def pct(key: str) -> float:
        value = saved.get(key)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return (value if ok else MONEY_KEYS[key]) / 100

    currency = saved.get("revenue_currency")
    currency = currency if isinstance(currency, str) and currency.strip() else MONEY_KEYS["revenue_currency"]
    try:
        clv = ClvAssumptions(retention_promoters=pct("revenue_ret_promoters"),
                             retention_passives=pct("revenue_ret_passives"),
                             retention_detractors=pct("revenue_ret_detractors"),
                             discount_rate=pct("revenue_discount"), gross_margin=pct("revenue_margin"),
                             quick=saved.get("revenue_quick") is True)
    except CxInputError:
        clv = ClvAssumptions()
    return clv, currency


def plan_inputs_from_settings(settings: Mapping | None) -> dict:
    """Everything a workspace's settings say about its plans, as keyword arguments.

    Parameters
    ----------
    settings : mapping
        A workspace's settings (``manifest.json["settings"]`` of a .cxw file, see
        `cx.workspace.WorkspaceStore.export_bytes`): ``work`` and ``keys``.

    Returns
    -------
    dict
        ``root_causes``, ``codebook``, ``fields_by_scope`` (see `plan_inputs_from_work`), ``clv``
        and ``currency`` (see `money_settings`).
    """
    settings = settings or {}
    clv, currency = money_settings(settings.get("keys"))
    return {**plan_inputs_from_work(settings.get("work")), "clv": clv, "currency": currency}
