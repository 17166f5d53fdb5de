"""Charts for the leading-indicators page: correlation by lag, and a metric against NPS over time."""

from __future__ import annotations

import altair as alt

from cx.charts import BLUE, GREEN, GREY, ORANGE, finish
from cx.charts.sampling import fit_width
from cx.errors import CxInputError
from cx.indicators import LEVELS, LeadingIndicators


def lag_chart(result: LeadingIndicators, level: str = "respondent", columns: int = 3) -> alt.TopLevelMixin:
    """Correlation with loyalty at each lag, with its 95% interval, one panel per metric.

    Parameters
    ----------
    result : LeadingIndicators
        Output of `cx.indicators.validate_leading_indicators`.
    level : {"respondent", "period"}
        Which correlations to show (respondent level decides the verdicts).
    columns : int
        Panels per row.

    Returns
    -------
    altair.FacetChart
        Points (r) with interval bars per lag and a zero line; panels in the verdicts' order (5 Whys
        metrics first). Points whose interval excludes 0 are green. Click a point to select its
        metric (selection ``indicator_metric``, field ``metric``).
    """
    if level not in LEVELS:
        raise CxInputError(f"Unknown level {level!r}; choose 'respondent' or 'period'.")
    data = result.lags[result.lags["level"] == level].copy()
    data["metric"] = data["metric"].astype(str)
    data["level"] = data["level"].astype(str)
    data["clear"] = ["Interval excludes 0" if (lo > 0 or hi < 0) else "Interval includes 0"
                     for lo, hi in zip(data["ci_low"], data["ci_high"])]
    whys = {v.metric for v in result.verdicts if v.from_5_whys}
    data["panel"] = [f"{m} (5 Whys)" if m in whys else m for m in data["metric"]]
    order = [f"{m} (5 Whys)" if m in whys else m for m in result.metrics]
    unit = "months" if result.period == "month" else "quarters"
    pick = alt.selection_point(name="indicator_metric", fields=["metric"], on="click", clear="dblclick")
    x = alt.X("lag:O", title=f"Lag ({unit} before the survey)", axis=alt.Axis(labelAngle=0))
    tooltip = [alt.Tooltip("metric:N", title="Metric"), alt.Tooltip("lag:O", title="Lag"),
               alt.Tooltip("r:Q", title="Correlation", format=".2f"),
               alt.Tooltip("ci_low:Q", title="95% interval from", format=".2f"),
               alt.Tooltip("ci_high:Q", title="to", format=".2f"), alt.Tooltip("n:Q", title="Pairs", format=",")]
    color = alt.Color("clear:N", title=None, scale=alt.Scale(domain=["Interval excludes 0", "Interval includes 0"],
                                                             range=[GREEN, GREY]))
    bars = alt.Chart().mark_rule(strokeWidth=2).encode(
        x=x, y=alt.Y("ci_low:Q", title="Correlation with loyalty", scale=alt.Scale(domain=[-1, 1])),
        y2="ci_high:Q", color=color, tooltip=tooltip)
    points = alt.Chart().mark_point(filled=True, size=70).encode(
        x=x, y="r:Q", color=color, opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
        tooltip=tooltip).add_params(pick)
    zero = alt.Chart().mark_rule(color="#5F6368", strokeDash=[4, 3]).encode(y=alt.datum(0))
    chart = alt.layer(zero, bars, points, data=data).properties(width=200, height=160).facet(
        facet=alt.Facet("panel:N", sort=order, title=None), columns=columns)
    title = f"Correlation of each metric with loyalty, by lag ({level} level)"
    n = int(data["n"].max()) if len(data) else None
    return finish(chart, title, n=n)


def metric_vs_nps_chart(result: LeadingIndicators, metric: str, height: int = 260) -> alt.TopLevelMixin:
    """A metric and NPS over time, on two axes.

    Parameters
    ----------
    result : LeadingIndicators
        Output of `cx.indicators.validate_leading_indicators`.
    metric : str
        The metric to show.
    height : int
        Chart height in pixels.

    Returns
    -------
    altair.LayerChart
        The metric's mean per period (left axis, blue line) and the NPS per period with its 95%
        interval (right axis, orange line and bars). Click a period to select it (selection
        ``indicator_period``, field ``period``).
    """
    result.verdict(metric)  # raises a clear error for an unknown metric
    data = result.periods[result.periods["metric"] == metric].copy()
    data["metric"] = data["metric"].astype(str)
    order = list(data.sort_values("period_index")["period"])
    x = alt.X("period:O", sort=order, title=None, axis=alt.Axis(labelAngle=-45 if len(order) > 8 else 0))
    pick = alt.selection_point(name="indicator_period", fields=["period"], on="click", clear="dblclick")
    metric_tip = [alt.Tooltip("period:O", title="Period"), alt.Tooltip("metric_mean:Q", title=metric, format=",.3~f"),
                  alt.Tooltip("n_customers:Q", title="Customers", format=",")]
    nps_tip = [alt.Tooltip("period:O", title="Period"), alt.Tooltip("nps:Q", title="NPS", format="+.1f"),
               alt.Tooltip("nps_ci_low:Q", title="95% interval from", format="+.1f"),
               alt.Tooltip("nps_ci_high:Q", title="to", format="+.1f"),
               alt.Tooltip("nps_n:Q", title="Respondents", format=",")]
    base = alt.Chart(data)
    metric_line = base.mark_line(color=BLUE, point=alt.OverlayMarkDef(color=BLUE, size=40)).encode(
        x=x, y=alt.Y("metric_mean:Q", title=metric, scale=alt.Scale(zero=False),
                     axis=alt.Axis(titleColor=BLUE)),
        opacity=alt.condition(pick, alt.value(1.0), alt.value(0.4)), tooltip=metric_tip).add_params(pick)
    nps_y = alt.Y("nps:Q", title="NPS", axis=alt.Axis(titleColor=ORANGE, orient="right"))
    nps_bars = base.mark_rule(color=ORANGE, opacity=0.5).encode(
        x=x, y=alt.Y("nps_ci_low:Q", title="NPS", axis=alt.Axis(titleColor=ORANGE, orient="right")),
        y2="nps_ci_high:Q", tooltip=nps_tip)
    nps_line = base.mark_line(color=ORANGE, strokeDash=[6, 3], point=alt.OverlayMarkDef(color=ORANGE, size=40)).encode(
        x=x, y=nps_y, tooltip=nps_tip)
    chart = alt.layer(metric_line, alt.layer(nps_bars, nps_line)).resolve_scale(y="independent")
    v = result.verdict(metric)
    title = f"{metric} and NPS by {result.period}: {v.status}"
    return fit_width(finish(chart, title, n=int(data["nps_n"].sum()), height=height))
