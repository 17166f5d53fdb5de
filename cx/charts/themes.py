"""Charts for the Comments page: the Pareto of themes and how the vital few shift by weighting."""

from __future__ import annotations

import altair as alt
import pandas as pd

from cx.charts import BLUE, GREY, INK, LIGHT_GREY, ORANGE, VERMILLION, finish
from cx.themes import ThemePareto, VitalFewShift

THEME_PICK = "theme_pick"

_WEIGHT_TITLES = {
    "mentions": "Mentions",
    "detractor mentions": "Detractor mentions",
    "revenue": "Revenue of commenters",
    "nps impact": "NPS points at stake",
    "custom": "Weight",
}
_AXIS_FORMATS = {"revenue": "$~s", "nps impact": "~r"}
_VITAL, _OTHER = "Vital few", "Other themes"
_CHANGE_LABELS = {
    "baseline": "Vital (baseline)",
    "stays": "Stays vital",
    "enters": "Enters the vital few",
    "leaves": "Leaves the vital few",
    "": "Not vital",
}
_CHANGE_COLORS = [BLUE, BLUE, ORANGE, VERMILLION, LIGHT_GREY]


def _message(text: str, title: str, n: int) -> alt.TopLevelMixin:
    chart = alt.Chart(pd.DataFrame({"text": [text]})).mark_text(color=GREY, fontSize=14).encode(text="text:N")
    return finish(chart.properties(width="container"), title, n=n, height=80)


def pareto_chart(pareto: ThemePareto, title: str = "Pareto of comment themes", *, total: int | None = None,
                 height: int = 340) -> alt.TopLevelMixin:
    """A true Pareto chart of themes: sorted bars, cumulative-share line, the 80% cut.

    Parameters
    ----------
    pareto : ThemePareto
        From :func:`cx.themes.pareto_table` or :func:`cx.themes.weighted_pareto`.
    title : str, optional
        Chart title.
    total : int, optional
        All non-empty comments before filtering, for the "n of N" subtitle.
    height : int, default 340
        Plot height in pixels.

    Returns
    -------
    altair.LayerChart
        Bars (weight per theme, largest first; vital few in the primary colour, the rest muted),
        the cumulative share on a second axis from 0 to 100% with points, and a dashed rule at
        80%; themes no comment mentions are left out. Clicking a bar selects its theme through the
        point selection ``theme_pick`` (field ``theme``). A message chart when no theme is mentioned.

    Notes
    -----
    The x order is the Pareto's order (weight, then theme name), given explicitly so Vega-Lite
    does not re-sort. The subtitle gives the base: non-empty comments.

    References
    ----------
    Juran, J.M. (1951). *Quality Control Handbook*; Wilkinson, L. (2006). Revising the Pareto
    Chart. *The American Statistician* 60(4).
    """
    if not pareto.items:
        return _message("No comment mentions a theme yet: check the codebook or the filter.", title,
                        pareto.comments)
    data = pareto.to_frame()
    data = data[data["count"] > 0].reset_index(drop=True)  # the codebook's other themes are not bars of it
    if data.empty:
        return _message("No comment mentions a theme yet: check the codebook or the filter.", title,
                        pareto.comments)
    data["group"] = data["vital_few"].map({True: _VITAL, False: _OTHER})
    data["rank"] = range(1, len(data) + 1)
    order = data["theme"].tolist()
    y_title = _WEIGHT_TITLES.get(pareto.weighting, pareto.weighting.capitalize())
    weight_format = "$,.3s" if pareto.weighting == "revenue" else (",.1f" if pareto.weighting == "nps impact" else ",d")
    pick = alt.selection_point(name=THEME_PICK, fields=["theme"], on="click", clear="dblclick")
    x = alt.X("theme:N", sort=order, title=None, axis=alt.Axis(labelAngle=-35, labelLimit=160))
    tooltip = [
        alt.Tooltip("theme:N", title="Theme"),
        alt.Tooltip("count:Q", title="Comments", format=",d"),
        alt.Tooltip("weight:Q", title=y_title, format=weight_format),
        alt.Tooltip("share:Q", title="Share", format=".1%"),
        alt.Tooltip("cumulative_share:Q", title="Cumulative share", format=".1%"),
    ]
    base = alt.Chart(data)
    bars = base.mark_bar(cornerRadiusTopLeft=2, cornerRadiusTopRight=2).encode(
        x=x,
        y=alt.Y("weight:Q", title=y_title, axis=alt.Axis(format=_AXIS_FORMATS.get(pareto.weighting, "~s"))),
        color=alt.Color("group:N", scale=alt.Scale(domain=[_VITAL, _OTHER], range=[BLUE, LIGHT_GREY]),
                        legend=alt.Legend(title=None)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.45)),
        tooltip=tooltip,
    ).add_params(pick)
    cum_scale = alt.Scale(domain=[0, 1])
    cum_axis = alt.Axis(format="%", orient="right", values=[0, 0.2, 0.4, 0.6, 0.8, 1.0], grid=False)
    line = base.mark_line(color=INK, strokeWidth=1.8).encode(
        x=x, y=alt.Y("cumulative_share:Q", scale=cum_scale, axis=cum_axis, title="Cumulative share"))
    points = base.mark_point(color=INK, filled=True, size=28).encode(
        x=x, y=alt.Y("cumulative_share:Q", scale=cum_scale), tooltip=tooltip)
    cut = alt.Chart(pd.DataFrame({"cut": [0.8], "label": ["80%"]}))
    rule = cut.mark_rule(color=VERMILLION, strokeDash=[6, 4], strokeWidth=1.5).encode(
        y=alt.Y("cut:Q", scale=cum_scale))
    label = cut.mark_text(color=VERMILLION, align="left", baseline="bottom", dx=4, dy=-2, fontSize=11).encode(
        y=alt.Y("cut:Q", scale=cum_scale), x=alt.value(0), text="label:N")
    cumulative = alt.layer(line, points, rule, label)
    chart = alt.layer(bars, cumulative).resolve_scale(y="independent").properties(width="container")
    return finish(chart, title, n=pareto.comments, total=total, height=height)


def vital_few_shift_chart(shift: VitalFewShift, title: str = "How the vital few shift by weighting",
                          height: int | None = None) -> alt.TopLevelMixin:
    """A grid of themes × weightings showing which themes are vital under each weighting.

    Parameters
    ----------
    shift : VitalFewShift
        From :func:`cx.themes.compare_vital_few`.
    title : str, optional
        Chart title.
    height : int, optional
        Plot height; default 22 px per theme.

    Returns
    -------
    altair.LayerChart
        One cell per theme and weighting, coloured by the change against the baseline (vital in
        the baseline, stays vital, enters, leaves, not vital), labelled with the rank. Clicking a
        cell selects its theme (``theme_pick``), like the Pareto.

    Notes
    -----
    Themes are listed in the baseline's Pareto order, weightings in the order compared.

    References
    ----------
    Juran (1951), see :func:`pareto_chart`.
    """
    data = shift.to_frame()
    if data.empty:
        return _message("No theme to compare.", title, shift.comments)
    data["status"] = data["change"].map(_CHANGE_LABELS)
    data["rank_label"] = data["rank"].map(lambda r: "" if pd.isna(r) else f"#{int(r)}")
    themes = list(dict.fromkeys(data["theme"]))
    pick = alt.selection_point(name=THEME_PICK, fields=["theme"], on="click", clear="dblclick")
    x = alt.X("weighting:N", sort=list(shift.weightings), title=None, axis=alt.Axis(labelAngle=0, orient="top"))
    y = alt.Y("theme:N", sort=themes, title=None, axis=alt.Axis(labelLimit=200))
    base = alt.Chart(data)
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        x=x, y=y,
        color=alt.Color("status:N", scale=alt.Scale(domain=list(_CHANGE_LABELS.values()), range=_CHANGE_COLORS),
                        legend=alt.Legend(title=None)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.5)),
        tooltip=[alt.Tooltip("theme:N", title="Theme"), alt.Tooltip("weighting:N", title="Weighting"),
                 alt.Tooltip("rank:Q", title="Rank"), alt.Tooltip("share:Q", title="Share", format=".1%"),
                 alt.Tooltip("status:N", title="Change")],
    ).add_params(pick)
    text = base.mark_text(fontSize=11).encode(
        x=x, y=y, text="rank_label:N",
        color=alt.condition(alt.datum.vital_few, alt.value("white"), alt.value(INK)))
    chart = alt.layer(cells, text).properties(width="container")
    return finish(chart, title, n=shift.comments, height=height or max(120, 22 * len(themes)))
