"""Charts for the revenue-at-risk page: value at risk by segment and by theme, and the what-if waterfall.

Money axes read like the rest of the app ("$1.2M", "$350K"); bars of money held by detractors use
the detractor colour, money kept by a what-if the promoter colour.
"""

from __future__ import annotations

import json

import altair as alt
import pandas as pd

from cx import fmt
from cx.charts import BLUE, GREEN, GROUP_COLORS, LIGHT_GREY, finish
from cx.errors import CxInputError
from cx.revenue import ClvSummary, ConversionWhatIf, RevenueSummary

AT_RISK = GROUP_COLORS["Detractor"]

_MEASURES = {
    "detractor_revenue": "Detractor revenue (annual)",
    "value_at_risk": "Detractor lifetime value",
    "revenue": "Annual revenue",
    "value": "Lifetime value",
    "revenue_low": "Revenue of low raters (annual)",
    "revenue_at_risk": "Revenue of low-rating detractors (annual)",
    "value_low": "Lifetime value of low raters",
}


# Long axis labels go on two lines, split at the middle word, so five steps fit side by side.
_WRAP = ("length(datum.label) > 16 ? [join(slice(split(datum.label, ' '), 0, "
         "ceil(length(split(datum.label, ' ')) / 2)), ' '), join(slice(split(datum.label, ' '), "
         "ceil(length(split(datum.label, ' ')) / 2)), ' ')] : datum.label")


def money_axis(currency: str = "$", title: str | None = None) -> alt.Axis:
    """A quantitative axis labelled as money: ``$1.2M``, ``$350K``, ``$1.5B``, ``$900``.

    Parameters
    ----------
    currency : str
        Currency symbol put before the amount.
    title : str, optional
        Axis title.

    Returns
    -------
    altair.Axis
        Labels built with a Vega expression from d3's SI format, with "G" shown as "B" and "k" as
        "K" to match `cx.fmt.money`.
    """
    cur = json.dumps(currency, ensure_ascii=False)
    expr = (f"(datum.value < 0 ? '-' : '') + {cur} + (abs(datum.value) < 1000 ? "
            "format(abs(datum.value), ',.0f') : "
            "replace(replace(format(abs(datum.value), '.3~s'), 'G', 'B'), 'k', 'K'))")
    return alt.Axis(title=title, labelExpr=expr, format="~s")


def _finish(chart: alt.TopLevelMixin, title: str, n: int | None, height) -> alt.TopLevelMixin:
    if n is not None:
        return finish(chart, title, n=n, height=height)
    # finish() cannot take n=None yet (it passes subtitle=None): give it a base, then drop the subtitle.
    return finish(chart, title, n=0, height=height).properties(
        title=alt.TitleParams(title, anchor="start", fontSize=15))


def _bar_chart(table: pd.DataFrame, category: str, measure: str, currency: str, title: str,
               selection: str, label: str, n: int | None, top: int | None) -> alt.TopLevelMixin:
    if category not in table.columns or measure not in table.columns:
        raise CxInputError(f"The table needs the columns {category!r} and {measure!r}.")
    data = table.sort_values(measure, ascending=False, kind="stable")
    if top is not None:
        data = data.head(top)
    data = data.assign(money=[fmt.money(v, currency) for v in data[measure]])
    tooltip = [alt.Tooltip(f"{category}:N", title=label), alt.Tooltip("money:N", title=_MEASURES.get(measure, measure))]
    for col, name in (("respondents", "Respondents"), ("detractors", "Detractors"), ("mentions", "Mentions"),
                      ("detractor_mentions", "Detractors mentioning it"), ("low_raters", "Low raters")):
        if col in data.columns:
            tooltip.append(alt.Tooltip(f"{col}:Q", title=name, format=","))
    for col, name in (("at_risk_share", "Share of the segment's revenue"),
                      ("share_of_detractor_revenue", "Share of detractor revenue"),
                      ("share_of_revenue", "Share of all revenue")):
        if col in data.columns:
            tooltip.append(alt.Tooltip(f"{col}:Q", title=name, format=".0%"))
    pick = alt.selection_point(name=selection, fields=[category], on="click", clear="dblclick")
    order = list(data[category])
    y = alt.Y(f"{category}:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    bars = (
        alt.Chart(data)
        .mark_bar(color=AT_RISK, cornerRadiusEnd=2)
        .encode(x=alt.X(f"{measure}:Q", axis=money_axis(currency, _MEASURES.get(measure, measure))), y=y,
                opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)), tooltip=tooltip)
        .add_params(pick)
    )
    text = (alt.Chart(data).mark_text(align="left", dx=4, color="#3C4043")
            .encode(x=alt.X(f"{measure}:Q"), y=y, text="money:N"))
    # A step per bar, not a fixed height: Streamlit fits a fixed height around the title and axis
    # too, which squashed the bars of a short table into a few pixels.
    return _finish(alt.layer(bars, text), title, n, alt.Step(28))


def value_by_segment_chart(table: pd.DataFrame, measure: str = "detractor_revenue", currency: str = "$",
                           title: str = "Revenue at risk by segment", n: int | None = None) -> alt.TopLevelMixin:
    """Bars of value at risk per segment, largest first; click a bar to select the segment.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of `cx.revenue.value_by_segment`.
    measure : str
        Column to plot: "detractor_revenue" (default), "value_at_risk", "revenue" or "value".
    currency : str
        Currency symbol.
    title : str
        Chart title.
    n : int, optional
        Base n for the subtitle (default: the respondents in the table).

    Returns
    -------
    altair.LayerChart
        Named selection ``revenue_segment`` on the field ``segment``.
    """
    if n is None and "respondents" in table.columns:
        n = int(table["respondents"].sum())
    return _bar_chart(table, "segment", measure, currency, title, "revenue_segment", "Segment", n, None)


def value_by_theme_chart(table: pd.DataFrame, measure: str = "detractor_revenue", currency: str = "$",
                         title: str = "Revenue of detractors mentioning each theme", n: int | None = None,
                         top: int | None = 15) -> alt.TopLevelMixin:
    """Bars of detractor revenue (or lifetime value) per comment theme; click a bar to select the theme.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of `cx.revenue.value_by_theme`.
    measure : str
        "detractor_revenue" (default), "value_at_risk" or "revenue".
    currency : str
        Currency symbol.
    title : str
        Chart title.
    n : int, optional
        Base n for the subtitle.
    top : int, optional
        Show only the largest themes (15 by default; None for all).

    Returns
    -------
    altair.LayerChart
        Named selection ``revenue_theme`` on the field ``theme``.
    """
    return _bar_chart(table, "theme", measure, currency, title, "revenue_theme", "Theme", n, top)


def value_by_driver_chart(table: pd.DataFrame, measure: str = "revenue_low", currency: str = "$",
                          title: str = "Revenue of customers rating each driver low", n: int | None = None,
                          top: int | None = 15) -> alt.TopLevelMixin:
    """Bars of the revenue (or lifetime value) of low raters per driver; click a bar to select the driver.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of `cx.revenue.value_by_driver`.
    measure : str
        "revenue_low" (default), "revenue_at_risk" (low raters who are detractors), "value_low"
        or "value_at_risk".
    currency : str
        Currency symbol.
    title : str
        Chart title.
    n : int, optional
        Base n for the subtitle.
    top : int, optional
        Show only the largest drivers (15 by default; None for all).

    Returns
    -------
    altair.LayerChart
        Named selection ``revenue_driver`` on the field ``driver``.
    """
    return _bar_chart(table, "driver", measure, currency, title, "revenue_driver", "Driver", n, top)


def waterfall_data(summary: RevenueSummary | ClvSummary, what_if: ConversionWhatIf | None = None,
                   currency: str = "$") -> pd.DataFrame:
    """The steps of the revenue waterfall, as a table (also the chart's data).

    Parameters
    ----------
    summary : RevenueSummary or ClvSummary
        Revenue by NPS group.
    what_if : ConversionWhatIf, optional
        Detractors converted; adds the revenue kept a year and what is still at risk.
    currency : str
        Currency symbol for the labels.

    Returns
    -------
    pandas.DataFrame
        ``step``, ``kind`` ("Total", "Not at risk", "At risk", "Kept"), ``start``, ``end``,
        ``amount`` (end − start, negative for a decrease) and ``label``.

    Notes
    -----
    Total annual revenue − revenue not held by detractors = detractor revenue at risk;
    − revenue kept a year by the what-if (converted revenue × (r_target − r_detractor)) = still at risk.
    """
    rev = summary.revenue if isinstance(summary, ClvSummary) else summary
    total, det = rev.total, rev.detractors
    rows = [("Total revenue", "Total", 0.0, total),
            ("Not held by detractors", "Not at risk", total, det),
            ("Detractor revenue at risk", "At risk", 0.0, det)]
    if what_if is not None:
        kept = what_if.revenue_retained
        rows += [(f"Kept a year by converting {fmt.share(what_if.share)}", "Kept", det, det - kept),
                 ("Still at risk", "At risk", 0.0, det - kept)]
    data = pd.DataFrame(rows, columns=["step", "kind", "start", "end"])
    data["amount"] = data["end"] - data["start"]
    data["label"] = [fmt.money(abs(a), currency) for a in data["amount"]]
    return data


def value_waterfall_chart(summary: RevenueSummary | ClvSummary, what_if: ConversionWhatIf | None = None,
                          currency: str = "$", title: str = "From total revenue to revenue at risk",
                          n: int | None = None) -> alt.TopLevelMixin:
    """Waterfall: total revenue → detractor revenue at risk → revenue kept by the what-if → still at risk.

    Parameters
    ----------
    summary : RevenueSummary or ClvSummary
        Revenue by NPS group.
    what_if : ConversionWhatIf, optional
        The conversion what-if; without it the chart stops at the revenue at risk.
    currency : str
        Currency symbol.
    title : str
        Chart title.
    n : int, optional
        Base n for the subtitle (default: respondents with a revenue value).

    Returns
    -------
    altair.LayerChart
    """
    data = waterfall_data(summary, what_if, currency)
    rev = summary.revenue if isinstance(summary, ClvSummary) else summary
    kinds = ["Total", "Not at risk", "At risk", "Kept"]
    colours = [BLUE, LIGHT_GREY, AT_RISK, GREEN]
    x = alt.X("step:N", sort=list(data["step"]), title=None,
              axis=alt.Axis(labelAngle=0, labelLimit=130, labelExpr=_WRAP))
    bars = alt.Chart(data).mark_bar(size=48).encode(
        x=x, y=alt.Y("start:Q", axis=money_axis(currency, "Annual revenue")), y2="end:Q",
        color=alt.Color("kind:N", scale=alt.Scale(domain=kinds, range=colours), title=None),
        tooltip=[alt.Tooltip("step:N", title="Step"), alt.Tooltip("label:N", title="Amount")],
    )
    text = alt.Chart(data).transform_calculate(top="max(datum.start, datum.end)").mark_text(
        dy=-6, baseline="bottom", color="#3C4043").encode(x=x, y="top:Q", text="label:N")
    layered = alt.layer(bars, text).properties(width=alt.Step(130))
    return finish(layered, title, n=rev.n_with_revenue if n is None else n, height=320)
