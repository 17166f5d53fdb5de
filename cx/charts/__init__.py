"""Chart theme shared by every Altair spec in the app: palette, fonts, titles with the base n.

One place for colours: promoters, passives and detractors keep the same colours on every chart,
and the palette is colour-blind safe (Okabe & Ito, 2008).
"""

from __future__ import annotations

import altair as alt

# Okabe-Ito colour-blind-safe palette.
BLUE = "#0072B2"
SKY = "#56B4E9"
GREEN = "#009E73"
ORANGE = "#E69F00"
VERMILLION = "#D55E00"
PURPLE = "#CC79A7"
YELLOW = "#F0E442"
GREY = "#9AA0A6"
LIGHT_GREY = "#D5D8DC"
INK = "#1B1F24"

GROUP_COLORS = {"Detractor": VERMILLION, "Passive": "#A8A8A8", "Promoter": GREEN}
GROUP_ORDER = ["Detractor", "Passive", "Promoter"]
CATEGORY_RANGE = [BLUE, ORANGE, GREEN, VERMILLION, PURPLE, SKY, YELLOW, INK]

FONT = "Source Sans Pro, Helvetica, Arial, sans-serif"


def group_scale() -> alt.Scale:
    """Colour scale for NPS groups (detractor, passive, promoter)."""
    return alt.Scale(domain=GROUP_ORDER, range=[GROUP_COLORS[g] for g in GROUP_ORDER])


def base_n_subtitle(n: int | None, total: int | None = None) -> str:
    """The line under every chart title: the base it was computed on."""
    if n is None:
        return ""
    if total is not None and total != n:
        return f"n = {n:,} of {total:,} respondents"
    return f"n = {n:,}"


def finish(chart: alt.TopLevelMixin, title: str, n: int | None = None, total: int | None = None,
           height: int | None = None) -> alt.TopLevelMixin:
    """Apply the app's title, base n and typography to a finished chart.

    Every chart carries its title and base n inside the spec, so a PNG or SVG export of it
    is self-explanatory.
    """
    sub = base_n_subtitle(n, total)
    title_params = {"anchor": "start", "fontSize": 15, "subtitleColor": "#5F6368", "subtitleFontSize": 12}
    if sub:
        title_params["subtitle"] = sub
    props = {"title": alt.TitleParams(title, **title_params)}
    if height is not None:
        props["height"] = height
    if not isinstance(chart, (alt.HConcatChart, alt.VConcatChart, alt.ConcatChart, alt.FacetChart)):
        # Streamlit otherwise sizes a stretched chart with autosize "fit", which squeezes the title,
        # axes and legend into the chart's height and leaves the plot a sliver.
        props["autosize"] = alt.AutoSizeParams(type="fit-x", contains="padding")
    return (
        chart.properties(**props)
        .configure(font=FONT)
        .configure_axis(labelFontSize=12, titleFontSize=12, titleColor="#3C4043", labelColor="#3C4043",
                        gridColor="#ECEFF1", domainColor="#B0B6BC")
        .configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom")
        .configure_view(strokeWidth=0)
    )
