"""Charts for the key drivers page: ranked importance, importance–performance matrix, segments.

A click on a driver (selection ``driver_pick``, field ``driver``) is how the page hands a driver to
the Comments page, which then opens on the respondents who rated it in the bottom box.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from cx.charts import BLUE, GREEN, GREY, INK, VERMILLION, base_n_subtitle, finish
from cx.drivers import QUADRANTS, DriverAnalysis, DriversBySegment
from cx.errors import CxInputError

PICK = "driver_pick"
QUADRANT_COLORS = {"Fix first": VERMILLION, "Keep": GREEN, "Maintain": BLUE, "Secondary": GREY}

_METHOD_LABELS = {
    "shapley": "Shapley share of R²",
    "relative_weights": "relative weight",
    "beta": "Pratt's measure (beta × r)",
    "correlation": "squared correlation",
}


# Streamlit sizes a stretched chart with autosize "fit" unless the spec says otherwise, which squeezes
# the title, axes and legend into the height and leaves the rows a few pixels each; "fit-x" stretches
# the width and keeps the height for the rows.
_FIT_WIDTH = alt.AutoSizeParams(type="fit-x", contains="padding")


def _pick() -> alt.Parameter:
    return alt.selection_point(name=PICK, fields=["driver"], on="click", clear="dblclick")


def _method_label(analysis: DriverAnalysis) -> str:
    if analysis.model == "logistic regression":
        return "Shapley share of McFadden's pseudo-R² (detractor vs not)"
    return _METHOD_LABELS.get(analysis.method, analysis.method)


def importance_bars(analysis: DriverAnalysis, height: int | None = None) -> alt.TopLevelMixin:
    """Ranked importance bars, with bootstrap 95% interval whiskers when computed.

    Parameters
    ----------
    analysis : DriverAnalysis
        Output of `cx.drivers.key_drivers`.
    height : int, optional
        Chart height in pixels (default: 26 per driver).

    Returns
    -------
    altair.LayerChart
        Horizontal bars, most important driver on top, importance as a share of the explained
        variance (sums to 100%). Whiskers show the 95% interval when the analysis was bootstrapped.
        Tooltips give importance, share of R², correlation and mean rating. Click a bar to select
        the driver (selection ``driver_pick``, field ``driver``).
    """
    data = analysis.to_frame()
    data["has_ci"] = data["ci_low"].notna()
    order = list(data["driver"])
    pick = _pick()
    y = alt.Y("driver:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    tooltip = [alt.Tooltip("driver:N", title="Driver"),
               alt.Tooltip("importance:Q", title="Importance", format=".1%"),
               alt.Tooltip("r2_contribution:Q", title="Share of R²", format=".3f"),
               alt.Tooltip("correlation:Q", title="Correlation with outcome", format=".2f"),
               alt.Tooltip("mean:Q", title="Mean rating", format=".2f"),
               alt.Tooltip("n_answered:Q", title="Answered", format=",")]
    if data["has_ci"].any():
        tooltip += [alt.Tooltip("ci_low:Q", title="95% interval from", format=".1%"),
                    alt.Tooltip("ci_high:Q", title="to", format=".1%")]
    bars = alt.Chart(data).mark_bar(color=BLUE, cornerRadiusEnd=2).encode(
        x=alt.X("importance:Q", title=f"Importance ({_method_label(analysis)}, % of total)",
                axis=alt.Axis(format="%")),
        y=y, opacity=alt.condition(pick, alt.value(1.0), alt.value(0.4)), tooltip=tooltip).add_params(pick)
    layers = [bars]
    if data["has_ci"].any():
        ci = data[data["has_ci"]]
        layers.append(alt.Chart(ci).mark_rule(color=INK, strokeWidth=1.5).encode(
            x="ci_low:Q", x2="ci_high:Q", y=y, tooltip=tooltip))
        layers.append(alt.Chart(ci).mark_tick(color=INK, thickness=1.5, size=10).encode(x="ci_low:Q", y=y))
        layers.append(alt.Chart(ci).mark_tick(color=INK, thickness=1.5, size=10).encode(x="ci_high:Q", y=y))
    chart = alt.layer(*layers).properties(height=height or max(120, 26 * len(data)), autosize=_FIT_WIDTH)
    r2_name = "pseudo-R²" if analysis.model == "logistic regression" else "R²"
    title = f"What drives {analysis.outcome}: importance of each driver ({r2_name} = {analysis.r2:.2f})"
    return finish(chart, title, n=analysis.n, total=analysis.n_total or None)


def importance_performance_chart(table: pd.DataFrame, n: int | None = None, total: int | None = None,
                                 performance_title: str = "Performance (mean rating)",
                                 height: int = 380) -> alt.TopLevelMixin:
    """Importance–performance matrix: importance against performance, quadrants labelled.

    Parameters
    ----------
    table : DataFrame
        Output of `cx.drivers.importance_performance`.
    n, total : int, optional
        Base of the analysis, for the subtitle.
    performance_title : str
        Axis title for performance (say "Top-box share" when that was used).
    height : int
        Chart height in pixels.

    Returns
    -------
    altair.LayerChart
        One point per driver, coloured by quadrant ("Fix first" = high importance, low
        performance), with the driver's name beside it, dashed lines at the mean importance and
        mean performance (the quadrant splits) and the quadrant names in the corners. Click a
        point to select the driver (selection ``driver_pick``, field ``driver``).
    """
    need = {"driver", "importance", "performance", "quadrant", "importance_cut", "performance_cut"}
    if not need <= set(table.columns):
        raise CxInputError("The importance–performance chart needs the table from cx.drivers.importance_performance.")
    data = table.copy()
    data["driver"] = data["driver"].astype(str)
    data["quadrant"] = data["quadrant"].astype(str)
    icut = float(data["importance_cut"].iloc[0])
    pcut = float(data["performance_cut"].iloc[0])
    top_box = data["performance"].max() <= 1.0 and "share" in performance_title.lower()
    pfmt = ".0%" if top_box else ".2f"
    pick = _pick()
    x = alt.X("performance:Q", title=performance_title, scale=alt.Scale(zero=False, padding=24),
              axis=alt.Axis(format=pfmt))
    y = alt.Y("importance:Q", title="Importance (% of explained variance)", scale=alt.Scale(zero=False, padding=24),
              axis=alt.Axis(format="%"))
    color = alt.Color("quadrant:N", title="Quadrant",
                      scale=alt.Scale(domain=list(QUADRANTS), range=[QUADRANT_COLORS[q] for q in QUADRANTS]))
    tooltip = [alt.Tooltip("driver:N", title="Driver"), alt.Tooltip("quadrant:N", title="Quadrant"),
               alt.Tooltip("importance:Q", title="Importance", format=".1%"),
               alt.Tooltip("performance:Q", title=performance_title, format=pfmt)]
    if "n_answered" in data:
        tooltip.append(alt.Tooltip("n_answered:Q", title="Answered", format=","))
    base = alt.Chart(data)
    points = base.mark_point(filled=True, size=140, stroke="white", strokeWidth=1).encode(
        x=x, y=y, color=color, tooltip=tooltip,
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        size=alt.condition(pick, alt.value(180), alt.value(140))).add_params(pick)
    labels = base.mark_text(align="left", dx=9, dy=-7, fontSize=11, color=INK).encode(
        x=x, y=y, text="driver:N", tooltip=tooltip)
    vline = alt.Chart(pd.DataFrame({"v": [pcut]})).mark_rule(color="#5F6368", strokeDash=[5, 4]).encode(x="v:Q")
    hline = alt.Chart(pd.DataFrame({"v": [icut]})).mark_rule(color="#5F6368", strokeDash=[5, 4]).encode(y="v:Q")
    pmin, pmax = float(data["performance"].min()), float(data["performance"].max())
    imin, imax = float(data["importance"].min()), float(data["importance"].max())
    corners = [("Fix first", pmin, imax, "left", -16), ("Keep", pmax, imax, "right", -16),
               ("Maintain", pmax, imin, "right", 16), ("Secondary", pmin, imin, "left", 16)]
    corner_layers = [
        alt.Chart(pd.DataFrame({"quadrant": [q], "performance": [px], "importance": [iy]})).mark_text(
            align=align, baseline="middle", fontSize=12, fontWeight="bold", opacity=0.75, dy=dy,
            color=QUADRANT_COLORS[q]).encode(x="performance:Q", y="importance:Q", text="quadrant:N")
        for q, px, iy, align, dy in corners]
    chart = alt.layer(vline, hline, *corner_layers, points, labels).properties(height=height)
    title = "Importance against performance: act where importance is high and performance low"
    split = f"Quadrants split at the mean importance ({icut:.1%}) and the mean performance ({format(pcut, pfmt)})"
    return _with_subtitle(finish(chart, title, n=n or 0), title, [base_n_subtitle(n, total), split])


def _with_subtitle(chart: alt.TopLevelMixin, title: str, lines: list[str]) -> alt.TopLevelMixin:
    """Replace the title block with the same title and several subtitle lines (base n first).

    ``finish`` is called with an n first because it sets ``subtitle=None`` without one, which the
    Vega-Lite schema rejects; its subtitle is then replaced here.
    """
    lines = [s for s in lines if s]
    extra = {"subtitle": lines} if lines else {}
    return chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=15, subtitleColor="#5F6368",
                                                  subtitleFontSize=12, **extra))


def segment_importance_chart(result: DriversBySegment, height: int | None = None) -> alt.TopLevelMixin:
    """Importance of each driver per segment value, side by side (heatmap).

    Parameters
    ----------
    result : DriversBySegment
        Output of `cx.drivers.drivers_by_segment`.
    height : int, optional
        Chart height in pixels (default: 26 per driver).

    Returns
    -------
    altair.LayerChart
        Drivers as rows (in the pooled order), segment values as columns with their base n, cells
        shaded by importance with the percentage printed. Segments too small for their own model
        show the pooled result, faded and labelled "(pooled)". Click a cell to select the driver
        (selection ``driver_pick``, field ``driver``).
    """
    data = result.to_frame()
    if data.empty:
        raise CxInputError("There are no segments to show.")
    data["column"] = [f"{s} (pooled)" if p else f"{s}" for s, p in zip(data["segment"], data["pooled"])]
    data["column"] = [f"{c}\nn = {n:,}" for c, n in zip(data["column"], data["n"])]
    data["basis"] = ["Pooled: all respondents (segment too small)" if p else "Own model"
                     for p in data["pooled"]]
    cols = list(dict.fromkeys(data["column"]))
    rows = list(result.pooled.drivers)
    pick = _pick()
    x = alt.X("column:N", sort=cols, title=None, axis=alt.Axis(labelAngle=0, orient="top", labelLimit=160,
                                                              labelExpr="split(datum.label, '\\n')",
                                                              labelBaseline="line-bottom", labelPadding=20))
    y = alt.Y("driver:N", sort=rows, title=None, axis=alt.Axis(labelLimit=260))
    tooltip = [alt.Tooltip("segment:N", title=result.segment), alt.Tooltip("driver:N", title="Driver"),
               alt.Tooltip("importance:Q", title="Importance", format=".1%"),
               alt.Tooltip("basis:N", title="Model"), alt.Tooltip("n:Q", title="Respondents", format=",")]
    vmax = float(data["importance"].max()) if len(data) else 1.0
    cells = alt.Chart(data).mark_rect(stroke="white", strokeWidth=1).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("importance:Q", title="Importance",
                        scale=alt.Scale(scheme="blues", domain=[0, vmax if math.isfinite(vmax) else 1]),
                        legend=alt.Legend(format="%")),
        opacity=alt.condition("datum.pooled", alt.value(0.35), alt.value(1.0)),
        strokeDash=alt.condition("datum.pooled", alt.value([3, 3]), alt.value([1, 0])),
    ).add_params(pick)
    text = alt.Chart(data).mark_text(fontSize=11).encode(
        x=x, y=y, text=alt.Text("importance:Q", format=".0%"), tooltip=tooltip,
        color=alt.condition(f"datum.importance > {0.6 * vmax} && !datum.pooled", alt.value("white"), alt.value(INK)))
    chart = alt.layer(cells, text).properties(height=height or max(120, 26 * len(rows)), width=alt.Step(118),
                                              autosize=_FIT_WIDTH)
    pooled = result.pooled_values
    title = f"Key drivers by {result.segment}"
    note = (f"Faded columns ({', '.join(pooled)}) have fewer than {result.min_n:,} complete answers and show the "
            "pooled result" if pooled else "")
    return _with_subtitle(finish(chart, title, n=result.pooled.n), title, [base_n_subtitle(result.pooled.n), note])


def picked_driver(selection: object, drivers: tuple[str, ...] | list[str]) -> str | None:
    """The driver a click selected, from the selection state Streamlit returns for a chart.

    Parameters
    ----------
    selection : mapping
        ``state.selection`` of ``st.altair_chart(..., on_select="rerun")``: ``{"driver_pick": [{"driver":
        "Billing accuracy"}, ...]}`` (an empty list or no entry when nothing is selected).
    drivers : sequence of str
        The drivers on the chart; a selected value that is not one of them is ignored.

    Returns
    -------
    str or None
        The first selected driver, or None.
    """
    points = selection.get(PICK) if hasattr(selection, "get") else None
    for point in points or []:
        name = point.get("driver") if hasattr(point, "get") else None
        if name is not None and str(name) in drivers:
            return str(name)
    return None
