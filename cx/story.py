"""The offsite storyline: the method's chain as six screens, one insight each, written from the data.

Executives at a strategy offsite do not read tables. The storyline walks them through the method
in its order, one screen per link, each with a one-sentence takeaway computed from the same `cx`
functions the pages and ``python -m cx analyze`` use, so every number agrees with them:

1. **Where do we stand?** The headline NPS with its 95% interval, and the trend's last
   significant change (`cx.nps.nps_summary`, `cx.nps.nps_trend`).
2. **What moves loyalty?** The top key driver's share of the importance, and whether it is rated
   below or above the average driver (`cx.drivers.key_drivers`, `cx.drivers.importance_performance`).
3. **What do customers say?** The vital few comment themes (`cx.themes.pareto_table`).
4. **Why does it happen?** The 5th whys and workflow diamonds of the 5 Whys canvases
   (`cx.rootcause`), or which theme to start with when there is none yet.
5. **What is it worth?** Revenue at risk, with the convert-detractors what-if
   (`cx.revenue.revenue_by_group`, `cx.revenue.clv_summary`, `cx.revenue.convert_detractors`).
6. **What will we do?** The leading indicators with their owners and due dates.

A screen whose input is missing (no comments column, no revenue) says what to map instead of
failing. Text typed by people (5 Whys, indicators) and verbatims are masked with
`cx.privacy.mask_text` and are plain text: the page shows them escaped, the deck as plain text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cx import fmt
from cx.errors import CxInputError
from cx.privacy import mask_text

SCREENS = ("nps", "drivers", "themes", "why", "money", "plan")
"""Screen keys in the method's order."""

STEPS = {"nps": "Headline NPS", "drivers": "Key drivers", "themes": "Vital few", "why": "5 Whys",
         "money": "Revenue at risk", "plan": "Action plan"}
"""Short name of each screen, for the screen counter and the deck's footer."""

DEFAULT_CONVERT_SHARE = 0.10
MAX_QUOTE = 220  # characters of a verbatim on a slide
SAME_FOR_EVERY_CUSTOMER = "(same for every customer)"  # the Revenue page's "no segment" choice

REVENUE_KEYS = {"revenue_avg": None, "revenue_avg_segment": SAME_FOR_EVERY_CUSTOMER, "revenue_extrapolate": False,
                "revenue_base_segment": None}
"""The Revenue at risk page's saved choices (widget keys) that say where revenue comes from, with defaults.

Its currency and lifetime-value assumptions are `cx.plan.MONEY_KEYS` (read with
`cx.plan.money_settings`); its per-segment tables are saved work (``revenue_assumed_per_segment``,
``revenue_base_size``).
"""

GLOSSARY = {
    "NPS": "Net Promoter Score: % promoters (9–10) minus % detractors (0–6), from −100 to +100.",
    "interval": "The ± is the 95% margin of error: with another sample of the same size, the score would "
                "fall in this range 95 times out of 100.",
    "significant": "A change is called significant when a two-sided z-test says it is unlikely to be noise "
                   "(p < 0.05).",
    "importance": "A driver's share of what the drivers together explain of loyalty (Shapley share of R²): the "
                  "shares add up to 100%.",
    "R²": "How much of the variation in loyalty the drivers explain together, from 0 (nothing) to 1 (all).",
    "vital few": "The fewest themes, most mentioned first, that together reach 80% of all mentions.",
    "workflow diamond": "The decision point in an internal process (approve/reject, pass/rework) whose failure "
                        "lets a bad output reach customers.",
    "leading indicator": "A metric on the workflow diamond that teams see move before customers do.",
    "CLV": "Customer lifetime value: annual revenue × gross margin × r / (1 + d − r), r the yearly retention, "
           "d the discount rate.",
}
"""Plain-words explanations of the statistical terms on the screens (the page's help tooltips)."""


# ─── result types ────────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class Figure:
    """A big number on a screen: ``("NPS", "-5 (±2)")``."""

    label: str
    value: str
    help: str = ""


@dataclass(frozen=True)
class StoryScreen:
    """One screen of the storyline: one insight.

    Attributes
    ----------
    key : str
        One of `SCREENS`.
    step : str
        Short name for the counter ("Key drivers").
    title : str
        The question the screen answers ("What moves loyalty?").
    takeaway : str
        The answer in one sentence, written from the data (plain text).
    chart : altair chart or None
        The picture (a chart of `cx.charts`), None when the input is missing or there is nothing
        to draw.
    n : int or None
        The base the screen's numbers rest on.
    base : str
        That base in words ("5,000 respondents with a valid 0–10 answer").
    figures : tuple of Figure
        Big numbers to show beside the chart.
    points : tuple of str
        Supporting sentences (plain text; the speaker's notes in the deck).
    quotes : tuple of str
        Verbatims, personal data masked (plain text).
    missing : str
        When the screen's input is missing: what to map, and where. Empty otherwise.
    """

    key: str
    step: str
    title: str
    takeaway: str
    chart: Any = field(default=None, compare=False, repr=False)
    n: int | None = None
    base: str = ""
    figures: tuple[Figure, ...] = ()
    points: tuple[str, ...] = ()
    quotes: tuple[str, ...] = ()
    missing: str = ""

    @property
    def ready(self) -> bool:
        """True when the screen has its input (nothing to map first)."""
        return not self.missing

    @property
    def spec(self) -> dict | None:
        """The chart's Vega-Lite spec (None without a chart)."""
        return None if self.chart is None else self.chart.to_dict()

    def to_dict(self) -> dict:
        """The screen as JSON-able data (the chart as its Vega-Lite spec)."""
        return {"key": self.key, "step": self.step, "title": self.title, "takeaway": self.takeaway, "n": self.n,
                "base": self.base, "figures": [dataclasses.asdict(f) for f in self.figures],
                "points": list(self.points), "quotes": list(self.quotes), "missing": self.missing,
                "chart": self.spec}


@dataclass(frozen=True)
class Storyline:
    """The six screens, with what they were computed on.

    ``clv`` (and ``revenue_notes``) keep what the money screen needs to redo its what-if without
    touching the survey: see `Storyline.with_what_if`.
    """

    screens: tuple[StoryScreen, ...]
    title: str = "Customer experience: what we heard and what we will do"
    source: str = ""
    filter_text: str = ""
    n: int = 0
    total: int = 0
    as_of: str = ""
    currency: str = "$"
    clv: Any = field(default=None, compare=False, repr=False)
    revenue_notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.screens)

    def __iter__(self):
        return iter(self.screens)

    def __getitem__(self, i: int) -> StoryScreen:
        return self.screens[i]

    @property
    def keys(self) -> tuple[str, ...]:
        """Screen keys in order."""
        return tuple(s.key for s in self.screens)

    def screen(self, key: str) -> StoryScreen:
        """The screen with this key."""
        for s in self.screens:
            if s.key == key:
                return s
        raise CxInputError(f"There is no screen {key!r} in the storyline; screens: {', '.join(self.keys)}.")

    @property
    def scope(self) -> str:
        """Whom the story covers, in words: the source, the filter and n of N."""
        who = "all respondents" if not self.filter_text else self.filter_text
        n = f"{fmt.count(self.n)} of {fmt.count(self.total)} respondents" if self.total != self.n else \
            f"{fmt.count(self.n)} respondents"
        return " · ".join(p for p in (self.source, who, n) if p)

    def with_what_if(self, share: float, to: str = "passive") -> Storyline:
        """The same storyline with the money screen's what-if redone for another share of detractors.

        Parameters
        ----------
        share : float
            Share of detractors converted, 0–1.
        to : {"passive", "promoter"}
            The group they move to.

        Returns
        -------
        Storyline
            Only the money screen changes; pure arithmetic on the revenue already summed.
        """
        if self.clv is None or "money" not in self.keys:
            return self
        screen = money_screen(self.clv, share, to, currency=self.currency, notes=self.revenue_notes)
        return dataclasses.replace(self, screens=tuple(screen if s.key == "money" else s for s in self.screens))

    def to_dict(self) -> dict:
        """The storyline as JSON-able data."""
        return {"title": self.title, "source": self.source, "filter": self.filter_text, "n": self.n,
                "total": self.total, "as_of": self.as_of, "screens": [s.to_dict() for s in self.screens]}


# ─── helpers ─────────────────────────────────────────────────────────────────────────────────────


def _plain(text: object, limit: int | None = None) -> str:
    """Text typed by people as one masked, single-line string (cut at `limit` characters)."""
    s = " ".join(str(mask_text(str(text)) if text is not None else "").split())
    if limit is not None and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    return s


def _names(names: Sequence[str], limit: int = 5) -> str:
    """"A", "A and B", "A, B and C", "A, B, C, D, E and 2 more"."""
    names = [str(n) for n in names]
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _plural(k: int, word: str, many: str | None = None) -> str:
    return f"{fmt.count(k)} {word if k == 1 else (many or word + 's')}"


# ─── 1. headline NPS ─────────────────────────────────────────────────────────────────────────────


def last_significant_change(trend: pd.DataFrame) -> dict | None:
    """The most recent period whose NPS differs significantly from the period before it.

    Both periods need a base of at least `cx.nps.MIN_BASE` respondents (``reportable_change``).

    Parameters
    ----------
    trend : pandas.DataFrame
        Output of `cx.nps.nps_trend` (oldest period first).

    Returns
    -------
    dict or None
        ``period``, ``previous`` (the period before), ``change`` (points), ``before`` and
        ``after`` (the two scores); None when no change is significant.
    """
    if trend is None or len(trend) < 2:
        return None
    rows = trend.reset_index(drop=True)
    sig = np.flatnonzero(rows["reportable_change"].to_numpy(dtype=bool))
    if not len(sig) or sig[-1] == 0:
        return None
    i = int(sig[-1])
    return {"period": str(rows.loc[i, "period"]), "previous": str(rows.loc[i - 1, "period"]),
            "change": float(rows.loc[i, "change"]), "before": float(rows.loc[i - 1, "score"]),
            "after": float(rows.loc[i, "score"])}


def nps_takeaway(result, trend: pd.DataFrame | None = None, period: str = "quarter") -> str:
    """The headline NPS with its interval, and the trend's last significant change, in one sentence.

    Parameters
    ----------
    result : cx.nps.NpsResult
        The headline NPS (weighted when a weight is used).
    trend : pandas.DataFrame, optional
        `cx.nps.nps_trend` of the same respondents.
    period : str
        The trend's period ("quarter", "month" or "wave").

    Returns
    -------
    str
        E.g. "NPS is -5 (±2) across 5,000 respondents; the last significant change was a
        16-point rise in 2026-Q3 (from -22 to -6)."
    """
    what = "NPS (weighted)" if getattr(result, "weighted", False) else "NPS"
    text = f"{what} is {fmt.nps_with_moe(result.score, result.ci95)} across {_plural(result.n, 'respondent')}"
    change = last_significant_change(trend) if trend is not None else None
    if change is not None:
        size = round(abs(change["change"]))
        verb = "rise" if change["change"] > 0 else "fall"
        text += (f"; the last significant change was a {size}-point {verb} in {change['period']} "
                 f"(from {fmt.signed_int(change['before'])} to {fmt.signed_int(change['after'])})")
    elif trend is not None and len(trend) >= 2:
        text += f"; no change between consecutive {period}s is statistically significant"
    return text + "."


def nps_screen(frame: pd.DataFrame, roles, *, period: str = "quarter", total: int | None = None,
               outcome_scale: tuple[int, int] | None = None) -> StoryScreen:
    """Screen 1: the headline NPS with its interval, over the trend (or the 0–10 distribution).

    Without a loyalty question, the outcome's mean and top box (`outcome_screen`).

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey under the shared filter.
    roles : cx.roles.Roles
        Column roles (loyalty, date, weight).
    period : {"quarter", "month"}
        Trend granularity.
    total : int, optional
        Respondents in the file, for the charts' "n of N".
    outcome_scale : (int, int), optional
        The scale of the outcome column (`Survey.scales`), used when there is no loyalty column.

    Returns
    -------
    StoryScreen
    """
    from cx.charts.overview import distribution_chart, trend_chart
    from cx.nps import nps_summary, nps_trend, score_distribution

    title, step = "Where do we stand?", STEPS["nps"]
    if not roles.loyalty and roles.outcome:
        return outcome_screen(frame, roles, outcome_scale, period=period, total=total)
    if not roles.loyalty:
        return StoryScreen("nps", step, title, "There is no NPS yet: no loyalty question is mapped.",
                           missing="Map the 0–10 likelihood-to-recommend (loyalty) column on the Data page.")
    overall = nps_summary(frame, roles.loyalty)
    headline = nps_summary(frame, roles.loyalty, roles.weight) if roles.weight else overall
    if overall.n == 0:
        return StoryScreen("nps", step, title, "No respondent in view has a valid 0–10 answer.",
                           missing="Widen the filter, or check the loyalty column on the Data page.")
    trend = None
    points = []
    if roles.date:
        trend = nps_trend(frame, roles.loyalty, roles.date, period=period, weight=roles.weight)
        if len(trend) < 2:
            points.append(f"Only {_plural(len(trend), period)} of responses: no change to test yet.")
    else:
        points.append("Map a response-date column on the Data page to see the trend and its significant changes.")
    takeaway = nps_takeaway(headline, trend, period)
    shares = overall.shares
    figures = (
        Figure("NPS", fmt.nps_with_moe(headline.score, headline.ci95), GLOSSARY["NPS"] + " " + GLOSSARY["interval"]),
        Figure("Promoters (9–10)", fmt.share(shares["Promoter"])),
        Figure("Passives (7–8)", fmt.share(shares["Passive"])),
        Figure("Detractors (0–6)", fmt.share(shares["Detractor"])),
    )
    ci = headline.ci95
    points.insert(0, f"95% interval: {fmt.number(ci[0], 1)} to {fmt.number(ci[1], 1)}; {fmt.count(overall.promoters)} "
                     f"promoters, {fmt.count(overall.passives)} passives, {fmt.count(overall.detractors)} detractors.")
    if headline.weighted:
        points.append(f"Weighted by {roles.weight}: effective sample size {fmt.count(headline.effective_n)} (Kish).")
    total = total or len(frame)
    if trend is not None and len(trend) >= 2:
        chart = trend_chart(trend, overall.n, total)
    else:
        chart = distribution_chart(score_distribution(frame, roles.loyalty), overall.n, total)
    return StoryScreen("nps", step, title, takeaway, chart=chart, n=overall.n,
                       base=f"{fmt.count(overall.n)} respondents with a valid 0–10 answer", figures=figures,
                       points=tuple(points))


def outcome_screen(frame: pd.DataFrame, roles, scale: tuple[int, int] | None, *, period: str = "quarter",
                   total: int | None = None) -> StoryScreen:
    """Screen 1 of a survey without a 0–10 loyalty question: the outcome's mean and top box, over the trend.

    The numbers are those of the Overview page (`cx.outcome.outcome_summary` and `cx.outcome.outcome_trend`).
    """
    from cx.charts.overview import outcome_distribution_chart, outcome_trend_chart
    from cx.outcome import (
        box_label,
        is_yes_no,
        mean_label,
        mean_text,
        outcome_distribution,
        outcome_summary,
        outcome_trend,
        top_box_values,
    )

    title, step, col = "Where do we stand?", "Headline outcome", roles.outcome
    res = outcome_summary(frame, col, scale, roles.weight)
    if res.n == 0:
        return StoryScreen("nps", step, title, f"No respondent in view has a valid answer to {col}.",
                           missing="Widen the filter, or check the outcome column on the Data page.")
    top, yes_no = box_label(top_box_values(scale), scale), is_yes_no(scale)
    if yes_no:
        takeaway = f"{col}: {mean_text(res.mean, res.ci95, scale)} answer yes across {_plural(res.n, 'respondent')}"
    else:
        on = f" on {scale[0]}–{scale[1]}" if scale else ""
        takeaway = f"{col} averages {mean_text(res.mean, res.ci95, scale)}{on} across {_plural(res.n, 'respondent')}"
        if res.top_box is not None:
            takeaway += f" ({fmt.share(res.top_box)} {top.lower()})"
    trend, points = None, ["There is no 0–10 likelihood-to-recommend question, so no NPS: this is the outcome the "
                           "drivers explain."]
    if roles.date:
        trend = outcome_trend(frame, col, scale, date=roles.date, period=period, weight=roles.weight)
        moved = trend[trend["reportable_change"]]
        if len(moved):
            last = moved.iloc[-1]
            size = f"{100 * abs(last['change']):.1f}-point" if yes_no else f"{abs(last['change']):.2f}"
            takeaway += f"; the last significant change was a {size} {'rise' if last['change'] > 0 else 'fall'} in " \
                        f"{last['period']}"
        elif len(trend) >= 2:
            takeaway += f"; no change between consecutive {period}s is statistically significant"
    figures = [Figure(mean_label(scale), mean_text(res.mean, res.ci95, scale), "The average answer with its 95% "
                      "margin of error.")]
    if res.top_box is not None and not yes_no:
        figures.append(Figure(top, fmt.share(res.top_box)))
    if res.effective_n != res.n:
        points.append(f"Weighted by {roles.weight}: effective sample size {fmt.count(res.effective_n)} (Kish).")
    total = total or len(frame)
    if trend is not None and len(trend) >= 2:
        chart = outcome_trend_chart(trend, col, scale, res.n, total)
    elif scale:
        chart = outcome_distribution_chart(outcome_distribution(frame, col, scale, roles.weight), col, res.n, total)
    else:
        chart = None
    return StoryScreen("nps", step, title, takeaway + ".", chart=chart, n=res.n,
                       base=f"{fmt.count(res.n)} respondents with a valid answer", figures=tuple(figures),
                       points=tuple(points))


# ─── 2. key drivers ──────────────────────────────────────────────────────────────────────────────


def driver_standing(matrix: pd.DataFrame, driver: str) -> tuple[float, float, str]:
    """A driver's mean rating against the average of all drivers' mean ratings.

    Parameters
    ----------
    matrix : pandas.DataFrame
        `cx.drivers.importance_performance` with ``performance="mean"``.
    driver : str
        The driver.

    Returns
    -------
    (mean, average, verdict)
        The driver's mean rating, the average of every driver's mean rating, and "below",
        "above" or "about" (equal at two decimals).
    """
    perf = matrix.set_index("driver")["performance"].astype("float64")
    if driver not in perf.index:
        raise CxInputError(f"'{driver}' is not in the importance–performance table.")
    mean = float(perf[driver])
    average = float(perf.mean(skipna=True))
    if round(mean, 2) == round(average, 2) or not (math.isfinite(mean) and math.isfinite(average)):
        verdict = "about"
    else:
        verdict = "below" if mean < average else "above"
    return mean, average, verdict


def drivers_takeaway(analysis, matrix: pd.DataFrame, outcome_name: str = "loyalty") -> str:
    """The top key driver's share of the importance, and whether it is rated below average, in one sentence.

    Parameters
    ----------
    analysis : cx.drivers.DriverAnalysis
        The key driver result.
    matrix : pandas.DataFrame
        `cx.drivers.importance_performance` of the same analysis (mean ratings).
    outcome_name : str
        What the drivers explain, in words ("loyalty").

    Returns
    -------
    str
        E.g. "Ease of doing business explains 19% of what drives loyalty; it is rated below
        average (2.95 against 3.11 for the average driver)." When the top driver is rated above
        average, the most important driver rated below average (the "fix first" quadrant) is
        named too.

    Notes
    -----
    "Rated below average": the driver's mean rating is below the average of all drivers' mean
    ratings (`driver_standing`), the split of the importance–performance matrix.
    """
    if analysis.explains_little:
        return (f"No driver stands out: together they explain {fmt.share(analysis.r2)} of what drives "
                f"{outcome_name}, too little to name one to fix.")
    top = analysis.items[0]
    mean, average, verdict = driver_standing(matrix, top.driver)
    text = f"{top.driver} explains {fmt.share(top.importance)} of what drives {outcome_name}"
    vs = f"({fmt.number(mean)} against {fmt.number(average)} for the average driver)"
    if verdict == "below":
        return text + f"; it is rated below average {vs}."
    if verdict == "about":
        return text + f"; it is rated about average {vs}."
    fix = [d for d, q in zip(matrix["driver"], matrix["quadrant"]) if q == "Fix first" and d != top.driver]
    if fix:
        other = analysis.item(fix[0])
        other_mean = driver_standing(matrix, fix[0])[0]
        return (text + f" and is rated above average ({fmt.number(mean)} against {fmt.number(average)}); "
                f"{fix[0]} ({fmt.share(other.importance)}) is rated below average ({fmt.number(other_mean)}): "
                "fix it first.")
    return text + f"; it is rated above average {vs}."


def drivers_screen(frame: pd.DataFrame, roles) -> StoryScreen:
    """Screen 2: what moves loyalty (key drivers on the importance–performance matrix).

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey under the shared filter.
    roles : cx.roles.Roles
        Column roles (drivers, loyalty or outcome, weight).

    Returns
    -------
    StoryScreen

    Notes
    -----
    The analysis is the one ``python -m cx analyze`` and the action plan run: `cx.drivers.key_drivers`
    with the default method on every mapped driver, listwise.
    """
    from cx.analysis import driver_outcome
    from cx.charts.drivers import importance_performance_chart
    from cx.drivers import CAVEAT, base_sentence, headline, importance_performance, key_drivers

    outcome = driver_outcome(roles)
    what = "loyalty" if outcome == roles.loyalty else str(outcome)
    title, step = f"What moves {what}?", STEPS["drivers"]
    drivers = [d for d in roles.drivers if d != outcome and d in frame.columns]
    if not drivers or not outcome:
        need = "driver rating columns" if not drivers else "the 0–10 loyalty column (or another outcome)"
        return StoryScreen("drivers", step, title, "The key drivers are not known yet.",
                           missing=f"Map {need} on the Data page.")
    try:
        analysis = key_drivers(frame, drivers, outcome, None, weight=roles.weight)
        matrix = importance_performance(analysis, frame)
    except CxInputError as exc:
        return StoryScreen("drivers", step, title, "The key drivers cannot be computed on the respondents in view.",
                           missing=str(exc))
    fix = [d for d, q in zip(matrix["driver"], matrix["quadrant"]) if q == "Fix first"]
    points = [headline(analysis, tiers=False)]
    if fix:
        points.append(f"Fix first (important, rated below average): {_names(fix)}.")
    points.append(f"Together the {len(analysis.items)} drivers explain {fmt.share(analysis.r2)} of the variation in "
                  f"{what} (R² = {analysis.r2:.2f}).")
    points.append(base_sentence(analysis))
    points.append(CAVEAT)
    top = analysis.items[0]
    figures = (Figure("Top driver", fmt.share(top.importance), GLOSSARY["importance"]),
               Figure("R²", f"{analysis.r2:.2f}", GLOSSARY["R²"]))
    chart = importance_performance_chart(matrix, n=analysis.n, total=analysis.n_total or None)
    return StoryScreen("drivers", step, title, drivers_takeaway(analysis, matrix, what), chart=chart, n=analysis.n,
                       base=f"{fmt.count(analysis.n)} respondents who answered {what} and every driver",
                       figures=figures, points=tuple(points))


# ─── 3. vital few ────────────────────────────────────────────────────────────────────────────────


def themes_takeaway(pareto) -> str:
    """The vital few in one sentence.

    Parameters
    ----------
    pareto : cx.themes.ThemePareto
        The Pareto of comment themes.

    Returns
    -------
    str
        E.g. "3 of 12 themes make up 81% of what customers mention: Billing errors, Delivery
        delays and Support response."
    """
    vital = pareto.vital_few
    if not vital:
        return "No comment mentions a theme of the codebook yet."
    k, m = len(vital), pareto.themes_with_mentions
    verb = "makes" if k == 1 else "make"
    return (f"{k} of {_plural(m, 'theme')} {verb} up {fmt.share(pareto.vital_few_share)} of what customers "
            f"mention: {_names(vital, 6)}.")


def themes_screen(frame: pd.DataFrame, roles, coded, pareto=None) -> StoryScreen:
    """Screen 3: what customers say (the Pareto of comment themes and its vital few).

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey under the shared filter.
    roles : cx.roles.Roles
        Column roles (comments, loyalty).
    coded : cx.themes.CodedComments or None
        The comments coded into themes, aligned with ``frame``.
    pareto : cx.themes.ThemePareto, optional
        `cx.themes.pareto_table` of ``coded`` (computed when omitted).

    Returns
    -------
    StoryScreen
    """
    from cx.charts.themes import pareto_chart
    from cx.plan import is_praise
    from cx.themes import example_verbatims, pareto_table

    title, step = "What do customers say?", STEPS["themes"]
    if not roles.comments or coded is None:
        return StoryScreen("themes", step, title, "There are no comment themes yet: no comments column is mapped.",
                           missing="Map the free-text comments column on the Data page.")
    pareto = pareto if pareto is not None else pareto_table(coded)
    if pareto.comments == 0:
        return StoryScreen("themes", step, title, "No respondent in view left a comment.", n=0,
                           missing="Widen the filter, or check the comments column on the Data page.")
    if not pareto.items:
        return StoryScreen("themes", step, title, themes_takeaway(pareto), n=pareto.comments,
                           base=f"{fmt.count(pareto.comments)} comments",
                           missing="Add themes to the codebook on the Comments page: no comment matches one yet.")
    top = pareto.items[0]
    points = [f"{top.theme}: {fmt.count(top.count)} comments, {fmt.share(top.share)} of all mentions.",
              f"{fmt.share(pareto.coverage)} of the {fmt.count(pareto.comments)} comments mention at least one theme."]
    quotes: tuple[str, ...] = ()
    problem = next((i.theme for i in pareto.items if i.vital_few and not is_praise(i.theme)), None)
    if problem is not None:
        examples = example_verbatims(frame, coded, problem, roles.comments, roles.loyalty, k=2)
        quotes = tuple(_plain(q, MAX_QUOTE) for q in examples)
        if quotes:
            points.append(f"In their words ({problem}), lowest scores first:")
    figures = (Figure("Vital few", f"{len(pareto.vital_few)} of {pareto.themes_with_mentions} themes",
                      GLOSSARY["vital few"]),
               Figure("Their share of mentions", fmt.share(pareto.vital_few_share)))
    return StoryScreen("themes", step, title, themes_takeaway(pareto), chart=pareto_chart(pareto), n=pareto.comments,
                       base=f"{fmt.count(pareto.comments)} non-empty comments", figures=figures,
                       points=tuple(points), quotes=quotes)


# ─── 4. 5 Whys ───────────────────────────────────────────────────────────────────────────────────


def root_cause_rows(records: Sequence[Mapping], pareto=None) -> list[dict]:
    """The 5 Whys canvases as plain rows for the storyline, most advanced first.

    Parameters
    ----------
    records : sequence of dict
        Root-cause records (``ui.work("root_causes")``, see `cx.rootcause`), any scope.
    pareto : cx.themes.ThemePareto, optional
        The Pareto in view: gives each theme's count and whether it is in the vital few.

    Returns
    -------
    list of dict
        ``theme, scope, count, vital_few, whys_done, fifth_why, diamond, indicator, owner, due,
        baseline, target, cadence, status, missing`` for every canvas with a theme; text masked
        (`cx.privacy.mask_text`) and on one line. Sorted by status ("Root cause found" first),
        then vital-few themes in Pareto order, then as recorded.
    """
    from cx.charts.story import ROOT_CAUSE_STATUS
    from cx.rootcause import N_WHYS, fifth_why, missing_parts, normalise

    order = {}
    counts = {}
    vital = set()
    if pareto is not None:
        order = {i.theme: k for k, i in enumerate(pareto.items)}
        counts = {i.theme: int(i.count) for i in pareto.items}
        vital = set(pareto.vital_few)
    rows = []
    for pos, record in enumerate(records):
        e = normalise(dict(record))
        if not e["theme"].strip():
            continue
        done = sum(1 for w in e["whys"] if w.strip())
        diamond = _plain(e["diamond"])
        if done == N_WHYS and diamond:
            status = ROOT_CAUSE_STATUS[0]
        elif done or diamond:
            status = ROOT_CAUSE_STATUS[1]
        else:
            status = ROOT_CAUSE_STATUS[2]
        ind = e["indicator"]
        rows.append({"theme": e["theme"], "scope": e["scope"], "count": counts.get(e["theme"], e["count"]),
                     "vital_few": e["theme"] in vital, "whys_done": done, "fifth_why": _plain(fifth_why(e)),
                     "diamond": diamond, "indicator": _plain(ind["name"]), "owner": _plain(ind["owner"]),
                     "due": ind["due"].strip(), "baseline": _plain(ind["baseline"]), "target": _plain(ind["target"]),
                     "cadence": ind["cadence"].strip(), "status": status, "missing": missing_parts(e),
                     "_order": (ROOT_CAUSE_STATUS.index(status), order.get(e["theme"], len(order)), pos)})
    rows.sort(key=lambda r: r["_order"])
    for r in rows:
        del r["_order"]
    return rows


def _where(row: dict) -> str:
    from cx.rootcause import OVERALL

    return "" if row["scope"] == OVERALL else f" ({row['scope']})"


def why_takeaway(rows: Sequence[dict], pareto=None) -> str:
    """The deepest root cause found so far, or where to start, in one sentence.

    Parameters
    ----------
    rows : sequence of dict
        `root_cause_rows`.
    pareto : cx.themes.ThemePareto, optional
        The Pareto in view, to name the theme to start with when there is no canvas.

    Returns
    -------
    str
        E.g. "For Billing errors, the fifth why is “no validation before invoices are released”,
        at the workflow diamond “invoice release approval”; 1 more theme is being traced."
    """
    from cx.charts.story import ROOT_CAUSE_STATUS
    from cx.plan import is_praise

    if not rows:
        problems = [i for i in (pareto.items if pareto is not None else ()) if not is_praise(i.theme)]
        start = next((i for i in problems if i.vital_few), problems[0] if problems else None)
        if start is None:
            return "No 5 Whys yet: start one for each vital-few theme on the Root cause page."
        which = "the most mentioned vital-few theme" if start.vital_few else "the most mentioned problem"
        return (f"No 5 Whys yet: start with {start.theme}, {which} ({_plural(start.count, 'comment')}), on the Root "
                "cause page.")
    best = rows[0]
    others = len(rows) - 1
    more = f"; {_plural(others, 'more theme')} {'is' if others == 1 else 'are'} being traced" if others else ""
    if best["status"] == ROOT_CAUSE_STATUS[0]:
        return (f"For {best['theme']}{_where(best)}, the fifth why is “{best['fifth_why']}”, at the workflow "
                f"diamond “{best['diamond']}”{more}.")
    if best["status"] == ROOT_CAUSE_STATUS[1]:
        deepest = f", the deepest so far “{best['fifth_why']}”" if best["fifth_why"] else ""
        return (f"The 5 Whys for {best['theme']}{_where(best)} are under way ({best['whys_done']} of 5 whys"
                f"{deepest}); still to fill: {_names(best['missing'], 3)}{more}.")
    return (f"5 Whys canvases are open for {_names([r['theme'] for r in rows], 3)}, none answered yet: "
            "ask why five times on the Root cause page.")


def why_screen(rows: Sequence[dict], pareto=None, *, has_comments: bool = True) -> StoryScreen:
    """Screen 4: why it happens (5th whys and workflow diamonds of the 5 Whys canvases).

    Parameters
    ----------
    rows : sequence of dict
        `root_cause_rows`.
    pareto : cx.themes.ThemePareto, optional
        The Pareto in view (the chart's bars and the theme to start with).
    has_comments : bool
        Whether a comments column is mapped.

    Returns
    -------
    StoryScreen
        The chart shows the vital-few themes (praise left out) coloured by how far their 5 Whys got.
    """
    from cx.charts.story import ROOT_CAUSE_STATUS, root_cause_chart
    from cx.plan import is_praise

    title, step = "Why does it happen?", STEPS["why"]
    points = []
    for r in rows:
        if r["status"] == ROOT_CAUSE_STATUS[0]:
            points.append(f"{r['theme']}{_where(r)}: 5th why “{r['fifth_why']}” → diamond “{r['diamond']}”.")
        elif r["status"] == ROOT_CAUSE_STATUS[1]:
            points.append(f"{r['theme']}{_where(r)}: {r['whys_done']} of 5 whys; still to fill: "
                          f"{_names(r['missing'], 4)}.")
        else:
            points.append(f"{r['theme']}{_where(r)}: canvas open, no why answered yet.")
    chart, n = None, None
    if pareto is not None and pareto.items:
        best = {}
        for r in rows:
            best.setdefault(r["theme"], r["status"])
        problems = [i for i in pareto.items if i.vital_few and not is_praise(i.theme)]
        open_ = [i.theme for i in problems if i.theme not in best]
        if open_:
            points.append(f"No 5 Whys yet for: {_names(open_, 6)}.")
        if problems:
            table = pd.DataFrame({"theme": [i.theme for i in problems], "count": [int(i.count) for i in problems],
                                  "status": [best.get(i.theme, ROOT_CAUSE_STATUS[2]) for i in problems]})
            chart = root_cause_chart(table, n=pareto.comments)
            n = pareto.comments
    missing = ""
    if not rows and not has_comments:
        missing = "Map a comments column on the Data page to find the vital few, then ask why on the Root cause page."
    figures = ()
    if rows:
        found = sum(1 for r in rows if r["status"] == ROOT_CAUSE_STATUS[0])
        figures = (Figure("Root causes found", f"{found} of {len(rows)}", GLOSSARY["workflow diamond"]),)
    return StoryScreen("why", step, title, why_takeaway(rows, pareto), chart=chart, n=n,
                       base=f"{fmt.count(n)} non-empty comments" if n else "", figures=figures,
                       points=tuple(points), missing=missing)


# ─── 5. revenue at risk ──────────────────────────────────────────────────────────────────────────


def money_takeaway(clv, what_if=None, currency: str = "$") -> str:
    """Revenue at risk, and what converting some detractors would keep, in one sentence.

    Parameters
    ----------
    clv : cx.revenue.ClvSummary
        Revenue and lifetime value by NPS group.
    what_if : cx.revenue.ConversionWhatIf, optional
        The convert-detractors what-if (left out when None or a 0% share).
    currency : str
        Currency symbol.

    Returns
    -------
    str
        E.g. "Detractors hold $612.4M of annual revenue (38% of $1.6B); winning back 10% of them
        as passives would keep $9.2M a year and move NPS from -5 to -1."
    """
    rev = clv.revenue
    whole = " across the whole customer base" if rev.extrapolated else ""
    share = fmt.share(rev.detractor_share) if rev.total else "–"
    text = (f"Detractors hold {fmt.money(rev.detractors, currency)} of annual revenue{whole} ({share} of "
            f"{fmt.money(rev.total, currency)})")
    if what_if is not None and what_if.share > 0:
        group = "promoters" if what_if.target == "Promoter" else "passives"
        text += (f"; winning back {fmt.share(what_if.share)} of them as {group} would keep "
                 f"{fmt.money(what_if.revenue_retained, currency)} a year and move NPS from "
                 f"{fmt.signed_int(what_if.nps_before)} to {fmt.signed_int(what_if.nps_after)}")
    return text + "."


def money_screen(clv, share: float = DEFAULT_CONVERT_SHARE, to: str = "passive", *, currency: str = "$",
                 notes: Sequence[str] = ()) -> StoryScreen:
    """Screen 5: what it is worth (revenue at risk, with the convert-detractors what-if).

    Parameters
    ----------
    clv : cx.revenue.ClvSummary
        Revenue and lifetime value by NPS group.
    share : float
        Share of detractors won back in the what-if, 0–1.
    to : {"passive", "promoter"}
        The group they move to.
    currency : str
        Currency symbol.
    notes : sequence of str
        Where the revenue comes from (`cx.revenue.RevenueBasis.describe`), for the points.

    Returns
    -------
    StoryScreen
        The chart is the revenue waterfall (`cx.charts.revenue.value_waterfall_chart`).
    """
    from cx.charts.revenue import value_waterfall_chart
    from cx.revenue import convert_detractors, talking_points

    rev = clv.revenue
    what_if = convert_detractors(clv, share, to) if rev.n_detractors else None
    shown = what_if if what_if is not None and what_if.share > 0 else None
    figures = [Figure("Revenue at risk a year", fmt.money(rev.detractors, currency),
                      "Annual revenue of detractors (0–6): the customers most likely to leave.")]
    if not clv.assumptions.quick:
        figures.append(Figure("Lifetime value at risk", fmt.money(clv.detractors, currency), GLOSSARY["CLV"]))
    if shown is not None:
        figures.append(Figure("Kept a year (what-if)", fmt.money(shown.revenue_retained, currency),
                              "Won-back detractors' revenue × the rise in their yearly renewal rate."))
        figures.append(Figure("NPS after (what-if)", fmt.signed_int(shown.nps_after),
                              "The same respondents, with the won-back detractors moved."))
    points = talking_points(clv, what_if=shown, currency=currency, notes=notes)
    return StoryScreen("money", STEPS["money"], "What is it worth?", money_takeaway(clv, shown, currency),
                       chart=value_waterfall_chart(clv, shown, currency), n=rev.n_with_revenue,
                       base=f"{fmt.count(rev.n_with_revenue)} respondents with a revenue value",
                       figures=tuple(figures), points=tuple(points))


def _money_missing(text: str, missing: str) -> StoryScreen:
    return StoryScreen("money", STEPS["money"], "What is it worth?", text, missing=missing)


def revenue_basis(roles, saved: Mapping | None = None, work: Mapping | None = None, spec=None):
    """Where revenue comes from, as the Revenue at risk page set it: its column, or its assumptions.

    Parameters
    ----------
    roles : cx.roles.Roles
        Column roles (revenue, segments).
    saved : mapping, optional
        The Revenue at risk page's saved widget values (`REVENUE_KEYS`).
    work : mapping, optional
        Saved work: ``revenue_assumed_per_segment`` and ``revenue_base_size`` (per segment column).
    spec : cx.filters.FilterSpec, optional
        The shared filter: extrapolation is dropped when it would overstate the money
        (`cx.revenue.extrapolation_problem`).

    Returns
    -------
    (cx.revenue.RevenueBasis or None, str)
        The basis (None when there is neither a revenue column nor an assumed average) and a note
        ("" or why extrapolation was dropped).
    """
    from cx.revenue import RevenueBasis, extrapolation_problem

    saved, work = saved or {}, work or {}
    segments = set(roles.segments)
    average = saved.get("revenue_avg")
    average = float(average) if isinstance(average, (int, float)) and not isinstance(average, bool) else None
    seg = saved.get("revenue_avg_segment")
    seg = seg if seg in segments else None
    per_segment = dict((work.get("revenue_assumed_per_segment") or {}).get(seg) or {}) if seg else None
    base_segment = base_size = None
    note = ""
    if saved.get("revenue_extrapolate") is True and saved.get("revenue_base_segment") in segments:
        base_segment = saved["revenue_base_segment"]
        base_size = dict((work.get("revenue_base_size") or {}).get(base_segment) or {}) or None
        problem = extrapolation_problem(spec, base_segment) if spec is not None and base_size else None
        if problem:
            note = problem + " Showing the respondents only."
            base_segment = base_size = None
    try:
        return RevenueBasis.build(column=roles.revenue, average=average, segment=seg, per_segment=per_segment,
                                  base_segment=base_segment, base_size=base_size), note
    except CxInputError:
        return None, note


# ─── 6. the plan ─────────────────────────────────────────────────────────────────────────────────


def indicator_rows(rows: Sequence[dict]) -> list[dict]:
    """The leading indicators named in the 5 Whys (one per canvas with an indicator name).

    Parameters
    ----------
    rows : sequence of dict
        `root_cause_rows`.

    Returns
    -------
    list of dict
        ``indicator, theme, scope, owner, due, baseline, target, cadence``, in the rows' order.
    """
    keys = ("indicator", "theme", "scope", "owner", "due", "baseline", "target", "cadence")
    return [{k: r[k] for k in keys} for r in rows if r["indicator"]]


def _indicator_phrase(ind: dict) -> str:
    parts = []
    if ind["owner"]:
        parts.append(f"owner {ind['owner']}")
    if ind["due"]:
        parts.append(f"due {ind['due']}")
    return ind["indicator"] + (f" ({', '.join(parts)})" if parts else "")


def plan_takeaway(indicators: Sequence[dict]) -> str:
    """What we will do, in one sentence: the leading indicators with their owners and dates.

    Parameters
    ----------
    indicators : sequence of dict
        `indicator_rows`.

    Returns
    -------
    str
        E.g. "We will track 2 leading indicators: % invoices right first time (owner Finance ops,
        due 2026-12-31) and % orders shipped on the promised day (owner Logistics, due 2027-03-31)."
    """
    if not indicators:
        return ("No leading indicator is named yet: on the Root cause page, give each vital-few theme a metric on "
                "its workflow diamond, with an owner and a due date.")
    k = len(indicators)
    listed = [_indicator_phrase(i) for i in indicators[:2]]
    text = (f"We will track {_plural(k, 'leading indicator')}: "
            + (" and ".join(listed) if k <= 2 else ", ".join(listed) + f" and {k - 2} more"))
    open_ = sum(1 for i in indicators if not (i["owner"] and i["due"]))
    if open_:
        text += f"; {_plural(open_, 'indicator')} still {'needs' if open_ == 1 else 'need'} an owner or a due date"
    return text + "."


def plan_screen(rows: Sequence[dict], *, fields: Mapping | None = None, as_of: str | dt.date | None = None) -> StoryScreen:
    """Screen 6: what we will do (leading indicators with owners and due dates, on a timeline).

    Parameters
    ----------
    rows : sequence of dict
        `root_cause_rows`.
    fields : mapping, optional
        The overall plan's fields (``title, owner, next_review, commitment``, see `cx.plan`).
    as_of : str or date, optional
        Today, where the timeline starts.

    Returns
    -------
    StoryScreen
    """
    from cx.charts.story import indicator_timeline_chart

    indicators = indicator_rows(rows)
    fields = fields or {}
    points = []
    for i in indicators:
        move = ""
        if i["baseline"] or i["target"]:
            move = f": {i['baseline'] or '?'} → {i['target'] or '?'}"
        cadence = f", {i['cadence'].lower()}" if i["cadence"] else ""
        points.append(f"{i['indicator']}{move}{cadence} · {i['theme']}{_where(i)} · owner {i['owner'] or 'to name'}"
                      f" · due {i['due'] or 'to set'}.")
    if fields.get("commitment"):
        points.append("Our commitment: " + _plain(fields["commitment"]))
    who = [f"plan owner {_plain(fields['owner'])}" if fields.get("owner") else "",
           f"next review {fields['next_review']}" if fields.get("next_review") else ""]
    if any(who):
        points.append(", ".join(w for w in who if w).capitalize() + ".")
    today = as_of or dt.date.today()
    dated = [i for i in indicators if pd.notna(pd.to_datetime(i["due"] or None, errors="coerce"))]
    chart = indicator_timeline_chart(pd.DataFrame(dated), today) if dated else None
    figures = ()
    if indicators:
        owned = sum(1 for i in indicators if i["owner"] and i["due"])
        figures = (Figure("Leading indicators", fmt.count(len(indicators)), GLOSSARY["leading indicator"]),
                   Figure("With owner and date", f"{owned} of {len(indicators)}"))
    return StoryScreen("plan", STEPS["plan"], "What will we do?", plan_takeaway(indicators), chart=chart,
                       figures=figures, points=tuple(points))


# ─── the whole story ─────────────────────────────────────────────────────────────────────────────


def build_storyline(frame: pd.DataFrame, roles, *, coded=None, codebook=None, root_causes: Sequence[Mapping] = (),
                    plan_fields: Mapping | None = None, revenue=None, assumptions=None,
                    convert_share: float = DEFAULT_CONVERT_SHARE, convert_to: str = "passive", currency: str = "$",
                    revenue_note: str = "", period: str = "quarter", total: int | None = None, source: str = "",
                    filter_text: str = "", as_of: str | dt.date | None = None,
                    outcome_scale: tuple[int, int] | None = None) -> Storyline:
    """The six screens of the offsite storyline, in the method's order, each with its takeaway.

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey under the shared filter.
    roles : cx.roles.Roles
        Column roles.
    coded : cx.themes.CodedComments, optional
        The comments coded into themes, aligned with ``frame`` (the app's workspace coding); coded
        here with ``codebook`` when omitted.
    codebook : DataFrame or mapping, optional
        The codebook to code with when ``coded`` is omitted (the starter codebook by default).
    root_causes : sequence of dict
        The 5 Whys canvases (``ui.work("root_causes")``), every scope.
    plan_fields : mapping, optional
        The overall action plan's fields (owner, next review, commitment).
    revenue : str, pandas.Series or cx.revenue.RevenueBasis, optional
        Where revenue comes from (`revenue_basis`); the mapped revenue column when omitted.
    assumptions : cx.revenue.ClvAssumptions, optional
        Lifetime-value assumptions (`cx.plan.money_settings`; the defaults when omitted).
    convert_share : float
        Share of detractors won back in the money screen's what-if (0–1).
    convert_to : {"passive", "promoter"}
        Where the won-back detractors go.
    currency : str
        Currency symbol.
    revenue_note : str
        A sentence about the revenue basis to add to the money screen's points (e.g. why
        extrapolation was dropped).
    period : {"quarter", "month"}
        Trend granularity.
    total : int, optional
        Respondents in the file (for "n of N"); the frame's rows when omitted.
    source : str
        The survey file's name.
    filter_text : str
        The shared filter in words ("" when none).
    as_of : str or date, optional
        Today (the plan timeline's start).
    outcome_scale : (int, int), optional
        The outcome column's scale (`Survey.scales`), read when there is no loyalty column.

    Returns
    -------
    Storyline
        Six screens: nps, drivers, themes, why, money, plan.

    Notes
    -----
    Every number comes from the functions the pages and ``python -m cx analyze`` use on the
    same rows: `cx.nps.nps_summary` and `cx.nps.nps_trend`; `cx.drivers.key_drivers` (default
    method, every mapped driver, listwise) and `cx.drivers.importance_performance`;
    `cx.themes.pareto_table`; `cx.revenue.revenue_by_group`, `cx.revenue.clv_summary` and
    `cx.revenue.convert_detractors`. A driver is "rated below average" when its mean rating is
    below the average of all drivers' mean ratings.

    References
    ----------
    Reichheld (2003); Lindeman, Merenda & Gold (1980); Martilla & James (1977); Juran (1951);
    Gupta & Lehmann (2003).
    """
    from cx.revenue import ClvAssumptions, RevenueBasis, clv_summary, revenue_by_group
    from cx.themes import code_comments, pareto_table, starter_codebook

    total = int(total if total is not None else len(frame))
    as_of_date = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else (as_of or dt.date.today())
    screens = [nps_screen(frame, roles, period=period, total=total, outcome_scale=outcome_scale),
               drivers_screen(frame, roles)]

    if roles.comments and coded is None:
        coded = code_comments(frame[roles.comments], starter_codebook() if codebook is None else codebook)
    pareto = pareto_table(coded) if roles.comments and coded is not None else None
    screens.append(themes_screen(frame, roles, coded if roles.comments else None, pareto))

    rows = root_cause_rows(root_causes, pareto)
    screens.append(why_screen(rows, pareto, has_comments=bool(roles.comments)))

    clv = None
    notes: tuple[str, ...] = ()
    basis = revenue if revenue is not None else roles.revenue
    if not roles.loyalty:
        screens.append(_money_missing("Without a loyalty question there are no detractors to size in money.",
                                      "Map the 0–10 likelihood-to-recommend (loyalty) column on the Data page."))
    elif basis is None:
        screens.append(_money_missing("The money at stake is not sized yet: there is no revenue per customer.",
                                      "Map an annual revenue column on the Data page, or enter an average annual "
                                      "revenue per customer on the Revenue at risk page."))
    else:
        try:
            summary = revenue_by_group(frame, roles.loyalty, basis)
        except CxInputError as exc:
            summary = None
            screens.append(_money_missing("The money at stake cannot be sized.", str(exc)))
        if summary is not None:
            if summary.n == 0 or summary.n_with_revenue == 0:
                screens.append(_money_missing("No respondent in view has both a valid 0–10 answer and a revenue "
                                              "value.", "Widen the filter, or check the revenue column on the "
                                                        "Data page."))
            else:
                clv = clv_summary(summary, assumptions or ClvAssumptions())
                notes = tuple(n for n in ((basis.describe(currency) if isinstance(basis, RevenueBasis) else ""),
                                          revenue_note) if n)
                screens.append(money_screen(clv, convert_share, convert_to, currency=currency, notes=notes))

    screens.append(plan_screen(rows, fields=plan_fields, as_of=as_of_date))
    return Storyline(screens=tuple(screens), source=source, filter_text=filter_text, n=int(len(frame)), total=total,
                     as_of=as_of_date.isoformat(), currency=currency, clv=clv, revenue_notes=notes)


def build_with_coding(frame: pd.DataFrame, coded, roles, **kwargs) -> Storyline:
    """`build_storyline` with the coding second, for `cx.themes.bind_coding` (the app's cache).

    Parameters
    ----------
    frame : pandas.DataFrame
        The cleaned survey under the shared filter.
    coded : cx.themes.CodedComments
        The comments coded into themes, aligned with ``frame``.
    roles : cx.roles.Roles
        Column roles.
    **kwargs
        Passed to `build_storyline`.

    Returns
    -------
    Storyline
    """
    return build_storyline(frame, roles, coded=coded, **kwargs)


# ─── fitting a screen ────────────────────────────────────────────────────────────────────────────

SCREEN_SIZES = {"1366 × 768 (projector)": (1366, 768), "1920 × 1080 (full HD)": (1920, 1080)}
"""Screens the presentation is laid out for: label → (width, height) in CSS pixels."""

# Pixels of a 768 px screen taken by everything but the chart in presentation mode: page padding,
# the counter and buttons row, the title, a two-line takeaway, the download button under the chart
# and the footer line. Measured in Chromium at 1366 × 768 (tests/test_browser_present.py).
_RESERVED = 372
_MIN_CHART, _MAX_CHART = 240, 680


def chart_height(screen_height: int, *, extra: int = 0) -> int:
    """How tall a screen's chart may be so that it is never scrolled out of view.

    Parameters
    ----------
    screen_height : int
        The browser window's inner height in CSS pixels (768 on a 1366 × 768 projector).
    extra : int
        Further pixels taken above the chart on this screen (e.g. a long takeaway).

    Returns
    -------
    int
        Chart height in pixels (title, axes and legend included), between 240 and 680.

    Examples
    --------
    >>> chart_height(768), chart_height(1080)
    (396, 680)
    """
    return int(min(max(screen_height - _RESERVED - extra, _MIN_CHART), _MAX_CHART))
