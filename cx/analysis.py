"""The whole analysis of one survey as one JSON-able summary (``python -m cx analyze``).

Pages call the same section functions, so the numbers on screen and in the JSON agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cx.clean import (
    Survey,
    inspect_survey,
    prepare_survey,
    require_analysable,
    roles_with_overrides,
    text_values,
)
from cx.errors import CxInputError
from cx.filters import parse_where, where_mask
from cx.load import RawSurvey, read_survey_file
from cx.nps import nps_by_segment, nps_summary, nps_trend, segment_rows_to_dict, trend_rows_to_dict


@dataclass(frozen=True)
class AnalyzeOptions:
    """Column choices and analysis settings (CLI options); None means infer."""

    loyalty: str | None = None
    outcome: str | None = None
    drivers: tuple[str, ...] | None = None
    comments: str | None = None
    segments: tuple[str, ...] | None = None
    revenue: str | None = None
    date: str | None = None
    codebook: str | None = None
    method: str | None = None
    where: tuple[str, ...] = ()
    period: str = "quarter"
    extra: dict = field(default_factory=dict)


def load_survey(path: str | Path, options: AnalyzeOptions | None = None,
                raw: RawSurvey | None = None, on_roles=None) -> tuple[RawSurvey, Survey]:
    """Read, inspect, apply the user's column choices, clean, and refuse what cannot be analysed.

    ``raw`` is the file already read, when the caller read it (the command line reads while importing).
    ``on_roles(raw, roles)`` is called once the columns' roles are settled, before cleaning.
    """
    options = options or AnalyzeOptions()
    if raw is None:
        raw = read_survey_file(path)
    inspection = inspect_survey(raw)
    roles = roles_with_overrides(
        inspection, raw, loyalty=options.loyalty, outcome=options.outcome, drivers=options.drivers,
        comments=options.comments, segments=options.segments, revenue=options.revenue, date=options.date,
    )
    if on_roles is not None:
        on_roles(raw, roles)
    survey = prepare_survey(raw, roles, inspection)
    if options.loyalty and survey.report and survey.report.problems and not survey.report.rows_with_loyalty:
        raise CxInputError(survey.report.problems[0])
    require_analysable(survey)
    if options.where:
        where = parse_where(list(options.where), list(survey.frame.columns), raw.column_for)
        mask = where_mask(survey.frame, where)
        if not mask.any():
            raise CxInputError("No respondent matches --where " + " ".join(options.where)
                               + ". Check the spelling of the value (values are compared as text).")
        survey = Survey(frame=survey.frame[mask], roles=survey.roles, scales=survey.scales, report=survey.report,
                        source=survey.source, profiles=survey.profiles)
    return raw, survey


def analyze_file(path: str | Path, options: AnalyzeOptions | None = None, raw: RawSurvey | None = None,
                 guessed: ThemeCoding | None = None) -> dict:
    """`analyze` of a survey file; its comments are coded from the moment their column is known.

    The comment column is cleaned on its own (`text_values`, as `prepare_survey` does), so coding runs
    while the other columns are cleaned. With ``--where`` the rows are known only after cleaning.
    ``guessed``: coding already started on the column guessed from the parsed table (`guess_comment_column`);
    kept when inspection settles on that column, else stopped.
    """
    options = options or AnalyzeOptions()
    early: list[ThemeCoding] = [guessed] if guessed is not None else []

    def start_coding(raw: RawSurvey, roles) -> None:
        # a comment column with another role too is cleaned as that role: code it from the cleaned survey
        usable = not options.where and roles.assignments().count(roles.comments) <= 1
        if early and not (usable and roles.comments and early[0].column == roles.comments):
            early.pop().result(cancel=True)
        if usable and not early:
            early.append(ThemeCoding(text_values(raw.frame[roles.comments]) if roles.comments else None, options))

    try:
        _, survey = load_survey(path, options, raw=raw, on_roles=start_coding)
    except BaseException:
        for job in early:
            job.result(cancel=True)
        raise
    return analyze(survey, options, themes=early[0] if early else None)


def guess_comment_column(columns: list, names: list[str], options: AnalyzeOptions) -> str | None:
    """The column inspection will most likely take for the comments, judged from the parsed Arrow columns.

    A cheap look (names and text lengths) so that coding can start before the columns are profiled; the
    guess is checked against the inferred roles (`analyze_file`). None when there is no safe guess.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from cx.roles import COMMENT_HINT

    if options.where:
        return None
    if options.comments:
        return options.comments if options.comments in names else None
    best, best_score = None, 0.0
    for name, column in zip(names, columns):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue  # categoricals (few distinct texts) are segments, not comments
        present = len(column) - column.null_count
        if not present or not COMMENT_HINT.search(name):
            continue
        mean_length = (pc.sum(pc.binary_length(column)).as_py() or 0) / present
        score = mean_length * present / len(column)
        if mean_length >= 15 and score > best_score:
            best, best_score = name, score
    return best


class SectionThread:
    """One section of ``analyze`` computed in a thread of its own while the others run.

    RE2 and NumPy release the GIL. The section's warnings are kept apart, for the caller to add in the
    section's place.
    """

    def __init__(self, fn, data, options: AnalyzeOptions, strict: bool):
        from concurrent.futures import ThreadPoolExecutor

        self.warnings: list[str] = []
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._future = self._pool.submit(_section, fn, data, options, self.warnings, strict=strict)

    def result(self, cancel: bool = False) -> dict | None:
        """The section; waits for it (its error is raised here). ``cancel``: drop it unless already running."""
        try:
            return None if cancel else self._future.result()
        finally:
            self._pool.shutdown(wait=not cancel, cancel_futures=True)


class ThemeCoding(SectionThread):
    """The ``themes`` section, computed in a second thread while the rest runs.

    ``comments``: the cleaned comment column, or an Arrow column of it (turned into one in that thread);
    ``column`` names it.
    """

    def __init__(self, comments, options: AnalyzeOptions, column: str | None = None):
        self.column = column if column is not None else getattr(comments, "name", None)
        super().__init__(_theme_pareto, comments, options, strict=bool(options.comments or options.codebook))

    @classmethod
    def guessed(cls, columns: list, names: list[str], options: AnalyzeOptions) -> ThemeCoding | None:
        """Coding begun on the comment column guessed from a file's parsed Arrow columns (None: no guess).

        It starts before the pandas frame is built and the columns are profiled, on a core that would
        otherwise wait; `analyze_file` keeps it when inspection settles on the same column.
        """
        column = guess_comment_column(columns, names, options)
        return None if column is None else cls(columns[names.index(column)], options, column=column)


def analyze(survey: Survey, options: AnalyzeOptions | None = None, themes: ThemeCoding | None = None) -> dict:
    """Every section of the contract's ``analyze`` JSON for a cleaned (and filtered) survey.

    ``themes``: the comments' coding already under way (see `analyze_file`).
    """
    options = options or AnalyzeOptions()
    roles = survey.roles
    frame = survey.frame
    warnings: list[str] = list(survey.report.problems) if survey.report else []
    out: dict = {
        "source": survey.source,
        "n_rows": int(len(frame)),
        "columns": roles.to_dict(),
        "nps": None,
        "segments": None,
        "drivers": None,
        "themes": None,
        "trend": None,
        "revenue": None,
        "warnings": warnings,
    }
    if themes is None:
        themes = ThemeCoding(frame[roles.comments] if roles.comments else None, options)
    # the key drivers too, beside NPS, segments and trend: the coding may end first, leaving a core free
    explicit = bool(options.drivers or options.outcome or options.method)
    drivers = SectionThread(driver_section, survey, options, strict=explicit)
    try:  # the comments are being coded meanwhile: stop that if anything here fails
        has_loyalty = bool(roles.loyalty) and bool(np.isfinite(frame[roles.loyalty].to_numpy(dtype="float64",
                                                                                             na_value=np.nan)).any())
        if has_loyalty:
            out["nps"] = nps_summary(frame, roles.loyalty).to_dict()
            if roles.weight:
                out["nps_weighted"] = nps_summary(frame, roles.loyalty, roles.weight).to_dict()
            if roles.segments:
                out["segments"] = {seg: segment_rows_to_dict(nps_by_segment(frame, roles.loyalty, seg))
                                   for seg in roles.segments}
            if roles.date:
                trend = nps_trend(frame, roles.loyalty, roles.date, period=options.period)
                out["trend"] = {"period": options.period, "items": trend_rows_to_dict(trend)}
        elif roles.loyalty is None:
            warnings.append("No 0–10 likelihood-to-recommend column was found, so there is no NPS. "
                            "Name it with --loyalty COL.")
        # revenue before waiting for the other two; its warnings and error still come after theirs
        revenue_warnings: list[str] = []
        revenue_error = None
        if roles.revenue and has_loyalty:
            try:
                out["revenue"] = _section(revenue_section, survey, options, revenue_warnings,
                                          strict=bool(options.revenue))
                if out["revenue"] is not None:
                    out["clv"] = clv_section(survey)
            except CxInputError as exc:
                revenue_error = exc
        out["drivers"] = drivers.result()
        out["themes"] = themes.result()
    except BaseException:
        drivers.result(cancel=True)
        themes.result(cancel=True)
        raise
    if revenue_error is not None:
        raise revenue_error
    warnings.extend(drivers.warnings + themes.warnings + revenue_warnings)
    if options.extra.get("base"):
        out["weights"] = weights_section(survey, options)
    return out


def weights_section(survey: Survey, options: AnalyzeOptions) -> dict:
    """Post-stratification weights of the survey against a customer list (``--base``)."""
    from cx.sampling import base_from_customers, base_weights, post_stratified_nps

    customers = read_survey_file(options.extra["base"]).frame
    strata = list(options.extra.get("strata") or [])
    if not strata:
        strata = [c for c in survey.roles.segments if c in customers.columns]
    missing = [c for c in strata if c not in customers.columns or c not in survey.frame.columns]
    if not strata or missing:
        raise CxInputError(
            "Name the strata columns that both the survey and the customer list have with --strata COL[,COL]"
            + (f" (not in both: {', '.join(missing)})." if missing else "."))
    rep = base_weights(survey.frame, customers, strata, options.extra.get("base_id"))
    section = {"base": Path(options.extra["base"]).name, "strata_columns": strata, **rep.to_dict()}
    if survey.roles.loyalty:
        section["nps"] = post_stratified_nps(survey.frame, survey.roles.loyalty, strata,
                                             base_from_customers(customers, strata)).to_dict()
    return section


def _section(fn, data, options: AnalyzeOptions, warnings: list[str], strict: bool):
    """Run one section of ``data`` (the survey, or the column it needs).

    With inferred columns a failure becomes a warning instead of an error.
    """
    try:
        return fn(data, options)
    except CxInputError as exc:
        if strict:
            raise
        warnings.append(str(exc))
        return None


def driver_outcome(roles) -> str | None:
    """The key-driver outcome: the mapped outcome (``--outcome``), else the loyalty score."""
    return roles.outcome or roles.loyalty


def driver_section(survey: Survey, options: AnalyzeOptions) -> dict | None:
    """The contract's ``drivers`` section (null without drivers or an outcome)."""
    from cx.drivers import key_drivers

    roles = survey.roles
    outcome = driver_outcome(roles)
    if not roles.drivers or not outcome:
        return None
    drivers = [d for d in roles.drivers if d != outcome]
    analysis = key_drivers(survey.frame, drivers, outcome, options.method, weight=roles.weight)
    return analysis.to_dict()


def _theme_pareto(comments: pd.Series | None, options: AnalyzeOptions) -> dict | None:
    """The contract's ``themes`` section: the Pareto of the comments' themes (null without comments)."""
    from cx.themes import code_comments, load_codebook, pareto_table, starter_codebook

    if comments is None:
        return None
    if not isinstance(comments, pd.Series):  # an Arrow column, as parsed: the same texts `text_values` gives
        comments = text_values(comments.to_pandas())
    book = load_codebook(Path(options.codebook)) if options.codebook else starter_codebook()
    return pareto_table(code_comments(comments, book)).to_dict()


def revenue_section(survey: Survey, options: AnalyzeOptions) -> dict | None:
    """The contract's ``revenue`` section: revenue over all respondents and each NPS group."""
    from cx.revenue import revenue_by_group

    r = survey.roles
    return revenue_by_group(survey.frame, r.loyalty, r.revenue).to_dict()


def clv_section(survey: Survey) -> dict:
    """Customer lifetime value by NPS group with the (default) assumptions used."""
    from cx.revenue import ClvAssumptions, clv_by_group

    r = survey.roles
    return clv_by_group(survey.frame, r.loyalty, r.revenue, ClvAssumptions()).to_dict()
