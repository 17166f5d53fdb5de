"""Chart theme shared by every Altair spec in the app: palette, fonts, titles with the base n.

One place for colours: promoters, passives and detractors keep the same colours on every chart,
and the palette is colour-blind safe (Okabe & Ito, 2008).
"""

from __future__ import annotations

import copy

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


def stable_spec(spec: dict) -> dict:
    """The spec with its datasets named by position and its subtitle read from the data.

    Altair names datasets by a hash of their rows and the subtitle states the base n, so every filter
    change made a new spec, which the browser compiles and draws from scratch. With both taken out of
    the spec, a filter change changes only the data, and the browser updates the drawn chart in place.
    """
    datasets = spec.get("datasets")
    if not datasets:
        return spec
    names: dict[str, str] = {}

    def rename(node, parent_key: str | None = None):
        if isinstance(node, dict):
            if parent_key == "data" and isinstance(node.get("name"), str) and node["name"] in datasets:
                node["name"] = names.setdefault(node["name"], f"ds{len(names)}")
            for k, v in node.items():
                rename(v, k)
        elif isinstance(node, list):
            for v in node:
                rename(v, parent_key)

    out = copy.deepcopy({k: v for k, v in spec.items() if k != "datasets"})
    rename(out)
    out["datasets"] = {new: [dict(row) for row in datasets[old]] for old, new in names.items()}
    title = out.get("title")
    first = out["datasets"].get("ds0")
    if isinstance(title, dict) and isinstance(title.get("subtitle"), str) and first:
        for row in first:
            row["_subtitle"] = title["subtitle"]
        out["title"] = {**title, "subtitle": {"expr": "length(data('ds0')) ? data('ds0')[0]._subtitle : ''"}}
    return out
