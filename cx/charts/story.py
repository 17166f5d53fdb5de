"""Charts for the Present page: the storyline's own two pictures, and sizing any chart to a screen.

The storyline reuses the pages' charts (NPS trend, importance–performance, Pareto, revenue
waterfall). Two screens have no chart elsewhere: *why* (which vital-few themes have a root cause
traced) and *what we will do* (the leading indicators on a timeline to their due dates).
`for_screen` sizes any chart so that, title, axes and legend included, it is exactly as tall as
the room left on a projector, with type large enough to read from the back of the room.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from cx.charts import BLUE, GREEN, INK, LIGHT_GREY, ORANGE, finish

ROOT_CAUSE_STATUS = ("Root cause found", "In progress", "Not started")
"""How far the 5 Whys of a theme got: 5 whys and a workflow diamond, some of it, nothing yet."""
_STATUS_COLORS = [GREEN, ORANGE, LIGHT_GREY]

# Presentation type sizes (pixels): the app's charts use 12 px labels and a 15 px title.
_LABEL = 14
_TITLE = 19
_SUBTITLE = 13


def root_cause_chart(table: pd.DataFrame, n: int | None = None,
                     title: str = "Vital-few themes and how far their 5 Whys got") -> alt.TopLevelMixin:
    """Bars of the vital-few themes' mentions, coloured by how far their root-cause analysis got.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``theme``, ``count`` (comments mentioning it) and ``status`` (one of
        `ROOT_CAUSE_STATUS`), most mentioned first.
    n : int, optional
        Base n for the subtitle (non-empty comments).
    title : str
        Chart title.

    Returns
    -------
    altair.LayerChart
        Horizontal bars, most mentioned theme on top, with the count printed at the end of each bar.
    """
    data = table[["theme", "count", "status"]].copy()
    data["theme"] = data["theme"].astype(str)
    order = list(data["theme"])
    y = alt.Y("theme:N", sort=order, title=None, axis=alt.Axis(labelLimit=300))
    x = alt.X("count:Q", title="Comments mentioning the theme", axis=alt.Axis(format=",d"))
    tooltip = [alt.Tooltip("theme:N", title="Theme"), alt.Tooltip("count:Q", title="Comments", format=","),
               alt.Tooltip("status:N", title="5 Whys")]
    bars = alt.Chart(data).mark_bar(cornerRadiusEnd=2).encode(
        x=x, y=y, tooltip=tooltip,
        color=alt.Color("status:N", title=None,
                        scale=alt.Scale(domain=list(ROOT_CAUSE_STATUS), range=_STATUS_COLORS)))
    text = alt.Chart(data).mark_text(align="left", dx=4, color="#3C4043").encode(
        x=x, y=y, text=alt.Text("count:Q", format=","))
    chart = alt.layer(bars, text).properties(height=max(120, 34 * len(data)))
    return finish(chart, title, n=n or 0) if n else _no_subtitle(finish(chart, title, n=0), title)


def indicator_timeline_chart(table: pd.DataFrame, as_of: dt.date | str,
                             title: str = "Leading indicators: owners and due dates") -> alt.TopLevelMixin:
    """A timeline from today to each leading indicator's due date, labelled with its owner.

    Parameters
    ----------
    table : pandas.DataFrame
        Columns ``indicator``, ``owner``, ``due`` (ISO date text) and ``theme``; rows without a
        valid due date are left out.
    as_of : date or str
        Today (the start of every bar).
    title : str
        Chart title.

    Returns
    -------
    altair.LayerChart
        One bar per indicator from ``as_of`` to its due date (overdue ones end before today and
        are drawn in orange), the owner written after the bar, a rule at today.
    """
    start = pd.Timestamp(as_of).normalize()
    data = table[["indicator", "owner", "due", "theme"]].copy()
    data["due_date"] = pd.to_datetime(data["due"], errors="coerce")
    data = data[data["due_date"].notna()].copy()
    data["start"] = start
    data["status"] = ["Overdue" if d < start else "Planned" for d in data["due_date"]]
    data["label"] = [f"{o or 'no owner yet'} · {d:%d %b %Y}" for o, d in zip(data["owner"], data["due_date"])]
    data["due_text"] = data["due_date"].dt.strftime("%Y-%m-%d")
    order = list(data["indicator"].astype(str))
    y = alt.Y("indicator:N", sort=order, title=None, axis=alt.Axis(labelLimit=320))
    tooltip = [alt.Tooltip("indicator:N", title="Leading indicator"), alt.Tooltip("theme:N", title="Theme"),
               alt.Tooltip("owner:N", title="Owner"), alt.Tooltip("due_text:N", title="Due")]
    bars = alt.Chart(data).mark_bar(height=18, cornerRadius=2).encode(
        x=alt.X("start:T", title=None, scale=alt.Scale(nice="month"),
                 axis=alt.Axis(format="%b %Y", labelAngle=0, tickCount="month", labelOverlap=True)),
        x2="due_date:T", y=y,
        color=alt.Color("status:N", title=None, scale=alt.Scale(domain=["Planned", "Overdue"], range=[BLUE, ORANGE])),
        tooltip=tooltip)
    ends = data.assign(end=[max(a, b) for a, b in zip(data["start"], data["due_date"])])
    text = alt.Chart(ends).mark_text(align="left", dx=6, color=INK).encode(x="end:T", y=y, text="label:N")
    today = alt.Chart(pd.DataFrame({"today": [start]})).mark_rule(color="#5F6368", strokeDash=[4, 3]).encode(
        x="today:T")
    chart = alt.layer(bars, text, today).properties(height=max(120, 44 * len(data)))
    return _no_subtitle(finish(chart, title, n=0), title)


def _angled_labels(spec) -> bool:
    """True when some axis of the spec has labels slanting to the left (negative labelAngle)."""
    if isinstance(spec, dict):
        angle = spec.get("labelAngle")
        if isinstance(angle, (int, float)) and angle < 0:
            return True
        return any(_angled_labels(v) for k, v in spec.items() if k not in ("data", "datasets"))
    if isinstance(spec, list):
        return any(_angled_labels(v) for v in spec)
    return False


def _no_subtitle(chart: alt.TopLevelMixin, title: str) -> alt.TopLevelMixin:
    # finish() needs an n for its subtitle; charts without a respondent base drop it again.
    return chart.properties(title=alt.TitleParams(title, anchor="start", fontSize=15))


def for_screen(chart: alt.TopLevelMixin, height: int, *, large_type: bool = True) -> alt.TopLevelMixin:
    """A copy of a chart sized to fit a screen: exactly ``height`` pixels tall, as wide as its column.

    Parameters
    ----------
    chart : altair chart
        A finished chart (`cx.charts.finish`).
    height : int
        Total height in pixels, title, axes and legend included.
    large_type : bool
        Use presentation type sizes (14 px labels, 19 px title) instead of the app's 12 / 15 px.

    Returns
    -------
    altair chart
        The same chart with ``autosize`` "fit" (the whole chart, not only the plot, fits the
        height and the width of its container), a fixed width step replaced by the container's
        width, and larger type.

    Notes
    -----
    Vega-Lite's ``fit`` autosize shrinks the plot so that padding, title, axes and legend fit in
    the given size, so a chart never grows past the pixels reserved for it on the slide.
    """
    c = chart.copy(deep=True)
    if isinstance(getattr(c, "width", None), alt.Step) or (isinstance(getattr(c, "width", None), dict)
                                                           and "step" in c.width):
        c.width = alt.Undefined
    c = c.properties(height=int(height), autosize=alt.AutoSizeParams(type="fit", contains="padding"))
    if _angled_labels(c.to_dict()):
        # Vega's fit leaves labels slanting left of the first band outside the picture: make room.
        c = c.properties(padding={"left": 60, "top": 5, "right": 5, "bottom": 5})
    if not large_type:
        return c
    title = c.title
    if isinstance(title, alt.TitleParams):
        params = title.to_dict()
        params.pop("text", None)
        params.update(fontSize=_TITLE, subtitleFontSize=_SUBTITLE)
        c = c.properties(title=alt.TitleParams(title.text, **params))
    return (c.configure_axis(labelFontSize=_LABEL, titleFontSize=_LABEL, titleColor="#3C4043", labelColor="#3C4043",
                             gridColor="#ECEFF1", domainColor="#B0B6BC")
            .configure_legend(labelFontSize=_LABEL, titleFontSize=_LABEL, orient="bottom"))
