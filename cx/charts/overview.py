"""Charts of the Overview page: the 0–10 distribution, NPS by segment with intervals, the trend."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cx.charts import BLUE, GREY, INK, LIGHT_GREY, VERMILLION, finish, group_scale
from cx.outcome import difference_text, is_yes_no


def distribution_chart(dist: pd.DataFrame, n: int, total: int | None = None) -> alt.TopLevelMixin:
    """Bars of each 0–10 answer, coloured by NPS group."""
    base = alt.Chart(dist).encode(
        x=alt.X("score:O", title="Likelihood to recommend (0–10)", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="Share of respondents", axis=alt.Axis(format="%")),
        color=alt.Color("group:N", scale=group_scale(), title=None),
        tooltip=[alt.Tooltip("score:O", title="Answer"), alt.Tooltip("count:Q", title="Respondents", format=","),
                 alt.Tooltip("share:Q", title="Share", format=".1%"), alt.Tooltip("group:N", title="Group")],
    )
    return finish(base.mark_bar(), "How respondents answered", n, total, height=260)


def segment_chart(table: pd.DataFrame, segment: str, overall: float | None, n: int,
                  total: int | None = None) -> alt.TopLevelMixin:
    """NPS per segment value with its 95% interval; small bases greyed, significant gaps in colour."""
    data, colors = _segment_status(table)
    # sorted by a field, not by a list of labels, so the spec stays the same when only the scores change
    y = alt.Y("label:N", sort=alt.EncodingSortField("score", order="descending"), title=None)
    tooltip = [alt.Tooltip("value:N", title=segment), alt.Tooltip("n:Q", format=","),
               alt.Tooltip("score:Q", title="NPS", format="+.1f"), alt.Tooltip("ci_low:Q", title="95% low", format="+.1f"),
               alt.Tooltip("ci_high:Q", title="95% high", format="+.1f"), alt.Tooltip("status:N", title="")]
    scored = data[data["score"].notna()]
    rule = alt.Chart(scored).mark_rule(strokeWidth=2).encode(
        y=y, x=alt.X("ci_low:Q", title="NPS (95% interval)", scale=alt.Scale(domain=[-100, 100])), x2="ci_high:Q",
        color=alt.Color("status:N", scale=colors, title=None), tooltip=tooltip)
    point = alt.Chart(scored).mark_point(filled=True, size=90).encode(
        y=y, x="score:Q", color=alt.Color("status:N", scale=colors, title=None), tooltip=tooltip)
    layers = [rule, point]
    if overall is not None:
        layers.append(alt.Chart(pd.DataFrame({"overall": [overall]})).mark_rule(color=INK, strokeDash=[4, 3]).encode(
            x="overall:Q", tooltip=[alt.Tooltip("overall:Q", title="Overall NPS", format="+.1f")]))
    height = max(120, 34 * len(data))
    return finish(alt.layer(*layers), f"NPS by {segment}", n, total, height=height)


def _segment_status(table: pd.DataFrame) -> tuple[pd.DataFrame, alt.Scale]:
    """The segment table with each value's status and label, and the statuses' colours (NPS and outcome alike)."""
    data = table.copy()
    data["status"] = ["Base too small" if small else ("Differs from the rest" if differs else "Not significantly different")
                      for small, differs in zip(data["small_base"], data["differs"])]
    data["label"] = [f"{v} (n={n_:,})" for v, n_ in zip(data["value"], data["n"])]
    colors = alt.Scale(domain=["Differs from the rest", "Not significantly different", "Base too small"],
                       range=[BLUE, GREY, LIGHT_GREY])
    return data, colors


def trend_chart(trend: pd.DataFrame, n: int, total: int | None = None, segment: str | None = None) -> alt.TopLevelMixin:
    """NPS per period with its 95% band; significant changes from the previous period marked.

    A change is marked only on bases of at least 30 (``reportable_change``); the band stops at the
    ends of the scale (the normal approximation runs past them on a handful of answers).
    """
    data = trend.copy()
    data["change_text"] = [
        "first period" if pd.isna(c) else (f"{c:+.1f} (significant)" if r else f"{c:+.1f} (base too small to judge)"
                                           if s else f"{c:+.1f} (not significant)")
        for c, s, r in zip(data["change"], data["significant_change"], data["reportable_change"])]
    data["ci_low"], data["ci_high"] = data["ci_low"].clip(-100, 100), data["ci_high"].clip(-100, 100)
    color = alt.Color("segment:N", title=None) if segment else alt.value(BLUE)
    x = alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0))
    tooltip = [alt.Tooltip("period:O"), alt.Tooltip("n:Q", format=","), alt.Tooltip("score:Q", title="NPS", format="+.1f"),
               alt.Tooltip("ci_low:Q", title="95% low", format="+.1f"), alt.Tooltip("ci_high:Q", title="95% high", format="+.1f"),
               alt.Tooltip("change_text:N", title="Change")]
    if segment:
        tooltip.insert(0, alt.Tooltip("segment:N", title=segment))
    band = alt.Chart(data).mark_area(opacity=0.15).encode(x=x, y=alt.Y("ci_low:Q", title="NPS"), y2="ci_high:Q",
                                                          color=color)
    line = alt.Chart(data).mark_line(point=True).encode(x=x, y="score:Q", color=color, tooltip=tooltip)
    sig = alt.Chart(data[data["reportable_change"]]).mark_point(shape="diamond", size=220, filled=True,
                                                                 color=VERMILLION).encode(x=x, y="score:Q",
                                                                                          tooltip=tooltip)
    title = "NPS over time" + (f" by {segment}" if segment else "")
    return finish(alt.layer(band, line, sig), title, n, total, height=300)


# --- a satisfaction outcome (no 0–10 loyalty question) ----------------------------------------------

BOX_COLORS = alt.Scale(domain=["bottom", "middle", "top"], range=[VERMILLION, "#A8A8A8", BLUE])


def outcome_distribution_chart(dist: pd.DataFrame, outcome: str, n: int, total: int | None = None) -> alt.TopLevelMixin:
    """Bars of each point of the outcome's scale, top and bottom boxes in colour (no and yes on a yes / no outcome)."""
    yes_no = list(dist["label"]) == ["No", "Yes"]
    legend = None if yes_no else alt.Legend(labelExpr=(
        "datum.label == 'top' ? 'Top box' : datum.label == 'bottom' ? 'Bottom box' : 'Middle'"))
    base = alt.Chart(dist).encode(
        x=alt.X("label:O", title=outcome, sort=alt.EncodingSortField("value"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title="Share of respondents", axis=alt.Axis(format="%")),
        color=alt.Color("box:N", scale=BOX_COLORS, title=None, legend=legend),
        tooltip=[alt.Tooltip("label:O", title="Answer"), alt.Tooltip("count:Q", title="Respondents", format=","),
                 alt.Tooltip("share:Q", title="Share", format=".1%")],
    )
    return finish(base.mark_bar(), "How respondents answered", n, total, height=260)


def outcome_segment_chart(table: pd.DataFrame, outcome: str, segment: str, overall: float | None, n: int,
                          total: int | None = None, yes_no: bool = False) -> alt.TopLevelMixin:
    """Mean outcome per segment value with its 95% interval; small bases greyed, significant gaps in colour.

    On a yes / no outcome the mean is the share answering yes, drawn as a percentage.
    """
    data, colors = _segment_status(table)
    y = alt.Y("label:N", sort=alt.EncodingSortField("mean", order="descending"), title=None)
    x_scale = alt.Scale(zero=False)  # the means differ by tenths: the whole scale would hide the intervals
    number = ".1%" if yes_no else ".2f"
    tooltip = [alt.Tooltip("value:N", title=segment), alt.Tooltip("n:Q", format=","),
               alt.Tooltip("mean:Q", title="Share answering yes" if yes_no else "Mean", format=number),
               alt.Tooltip("ci_low:Q", title="95% low", format=number),
               alt.Tooltip("ci_high:Q", title="95% high", format=number), alt.Tooltip("status:N", title="")]
    scored = data[data["ci_low"].notna()]
    title = f"{outcome}: share answering yes (95% interval)" if yes_no else f"Mean {outcome} (95% interval)"
    rule = alt.Chart(scored).mark_rule(strokeWidth=2).encode(
        y=y, x=alt.X("ci_low:Q", title=title, scale=x_scale, axis=alt.Axis(format=".0%") if yes_no else alt.Axis()),
        x2="ci_high:Q",
        color=alt.Color("status:N", scale=colors, title=None), tooltip=tooltip)
    point = alt.Chart(data).mark_point(filled=True, size=90).encode(
        y=y, x=alt.X("mean:Q", scale=x_scale), color=alt.Color("status:N", scale=colors, title=None), tooltip=tooltip)
    layers = [rule, point]
    if overall is not None:
        layers.append(alt.Chart(pd.DataFrame({"overall": [overall]})).mark_rule(color=INK, strokeDash=[4, 3]).encode(
            x="overall:Q", tooltip=[alt.Tooltip("overall:Q", title="Overall", format=number)]))
    return finish(alt.layer(*layers), f"{outcome} by {segment}", n, total, height=max(120, 34 * len(data)))


def outcome_trend_chart(trend: pd.DataFrame, outcome: str, scale: tuple[int, int] | None, n: int,
                        total: int | None = None) -> alt.TopLevelMixin:
    """Mean outcome per period with its 95% band; changes marked only when reportable (bases of 30 or more)."""
    data = trend.copy()
    yes_no = is_yes_no(scale)
    data["change_text"] = [
        "first period" if pd.isna(c) else difference_text(c, scale) + (
            " (significant)" if r else " (base too small to judge)" if s else " (not significant)")
        for c, s, r in zip(data["change"], data["small_base"], data["reportable_change"])]
    if scale:
        data["ci_low"], data["ci_high"] = data["ci_low"].clip(*scale), data["ci_high"].clip(*scale)
    x = alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0))
    number = ".1%" if yes_no else ".2f"
    tooltip = [alt.Tooltip("period:O"), alt.Tooltip("n:Q", format=","),
               alt.Tooltip("mean:Q", title="Share answering yes" if yes_no else "Mean", format=number),
               alt.Tooltip("ci_low:Q", title="95% low", format=number),
               alt.Tooltip("ci_high:Q", title="95% high", format=number), alt.Tooltip("change_text:N", title="Change")]
    y_scale = alt.Scale(zero=False)
    band = alt.Chart(data).mark_area(opacity=0.15, color=BLUE).encode(
        x=x, y=alt.Y("ci_low:Q", title=f"{outcome}: share answering yes" if yes_no else f"Mean {outcome}",
                     scale=y_scale, axis=alt.Axis(format=".0%") if yes_no else alt.Axis()), y2="ci_high:Q")
    line = alt.Chart(data).mark_line(point=True, color=BLUE).encode(x=x, y="mean:Q", tooltip=tooltip)
    sig = alt.Chart(data[data["reportable_change"]]).mark_point(shape="diamond", size=220, filled=True,
                                                                 color=VERMILLION).encode(x=x, y="mean:Q", tooltip=tooltip)
    return finish(alt.layer(band, line, sig), f"{outcome} over time", n, total, height=300)
