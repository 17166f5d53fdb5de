"""Small charts for the single-page action plan: NPS trend, key drivers, vital-few themes.

Sized for a one-pager (a third of a landscape page each) and drawn from the `ActionPlan` alone,
so the HTML export (SVG), the PDF (PNG) and the in-app preview show the same pictures.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cx.charts import BLUE, GREY, VERMILLION, finish
from cx.charts.drivers import QUADRANT_COLORS
from cx.drivers import QUADRANTS
from cx.plan import ActionPlan

WIDTH = 300
BAR_WIDTH = 220
HEIGHT = 110
MAX_BARS = 8
FONT = "DejaVu Sans"  # shipped in cx/assets and registered with vl-convert: exports look the same everywhere


def _export_font(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    # finish() sets the app's font and may size the chart to fit a Streamlit column; exports are
    # static pictures drawn by vl-convert (which has DejaVu Sans): the plot keeps its own size and
    # the picture grows around its axes and title.
    chart.config.font = FONT
    chart.autosize = alt.AutoSizeParams(type="pad")
    return chart


def trend_chart(plan: ActionPlan, width: int = WIDTH, height: int = HEIGHT) -> alt.TopLevelMixin | None:
    """NPS per period with its 95% band; periods whose change is significant marked in vermillion.

    Returns None when the plan has no trend.
    """
    if not plan.trend:
        return None
    data = pd.DataFrame([vars(p) for p in plan.trend])
    data["ci_low"], data["ci_high"] = data["ci_low"].clip(-100, 100), data["ci_high"].clip(-100, 100)
    data["status"] = ["significant change" if s else "no significant change" for s in data["significant_change"]]
    x = alt.X("period:O", title=None, axis=alt.Axis(labelAngle=0, labelFontSize=10))
    y = alt.Y("ci_low:Q", title="NPS")
    band = alt.Chart(data).mark_area(opacity=0.18, color=BLUE).encode(x=x, y=y, y2="ci_high:Q")
    line = alt.Chart(data).mark_line(color=BLUE, point=alt.OverlayMarkDef(color=BLUE, size=30)).encode(
        x=x, y="score:Q")
    sig = alt.Chart(data[data["significant_change"]]).mark_point(shape="diamond", size=110, filled=True,
                                                                 color=VERMILLION).encode(x=x, y="score:Q")
    chart = alt.layer(band, line, sig).properties(width=width)
    n = sum(p.n for p in plan.trend)
    return _export_font(finish(chart, f"NPS by {plan.trend_period or 'period'} (95% band; ◆ significant change)", n,
                               height=height))


def drivers_chart(plan: ActionPlan, width: int = BAR_WIDTH, height: int | None = None) -> alt.TopLevelMixin | None:
    """Importance of the most important drivers, coloured by quadrant (fix first in vermillion).

    Returns None when the plan has no key drivers.
    """
    if not plan.drivers:
        return None
    data = pd.DataFrame([vars(d) for d in plan.drivers[:MAX_BARS]])
    order = list(data["driver"])
    present = [q for q in QUADRANTS if q in set(data["quadrant"])]
    color = alt.Color("quadrant:N", title=None, scale=alt.Scale(domain=present,
                                                                range=[QUADRANT_COLORS[q] for q in present]))
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("importance:Q", title="Importance (% of explained variance)", axis=alt.Axis(format="%")),
        y=alt.Y("driver:N", sort=order, title=None, axis=alt.Axis(labelLimit=170, labelFontSize=11)),
        color=color)
    chart = bars.properties(width=width)
    return _export_font(finish(chart, "Key drivers of " + (plan.driver_outcome or "loyalty"), plan.driver_n,
                               height=height or 18 * len(data)))


def themes_chart(plan: ActionPlan, width: int = BAR_WIDTH, height: int | None = None) -> alt.TopLevelMixin | None:
    """Pareto of comment themes: mentions per theme, the vital few in blue, the rest grey.

    Returns None when no theme is mentioned.
    """
    items = [t for t in plan.themes if t.count > 0][:MAX_BARS]
    if not items:
        return None
    data = pd.DataFrame([{"theme": t.theme, "count": t.count, "share": t.share,
                          "group": "vital few" if t.vital_few else "other themes"} for t in items])
    order = list(data["theme"])
    bars = alt.Chart(data).mark_bar().encode(
        x=alt.X("count:Q", title="Comments mentioning the theme"),
        y=alt.Y("theme:N", sort=order, title=None, axis=alt.Axis(labelLimit=170, labelFontSize=11)),
        color=alt.Color("group:N", title=None, scale=alt.Scale(domain=["vital few", "other themes"],
                                                               range=[BLUE, GREY])))
    chart = bars.properties(width=width)
    return _export_font(finish(chart, "Comment themes (vital few: 80% of mentions)", plan.n_comments,
                               height=height or 18 * len(data)))


def plan_charts(plan: ActionPlan) -> dict[str, alt.TopLevelMixin]:
    """The plan's charts that have data, by name: "trend", "drivers", "themes"."""
    charts = {"trend": trend_chart(plan), "drivers": drivers_chart(plan), "themes": themes_chart(plan)}
    return {k: c for k, c in charts.items() if c is not None}
