"""Charts for the sampling planner: completes by stratum with their margins, and respondent mix.

Bars of a stratum that cannot yield its completes at the expected response rate use the detractor
colour, so a short stratum stands out before the invitations go out.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from cx import fmt
from cx.charts import BLUE, GREY, ORANGE, VERMILLION, finish
from cx.sampling import Representativeness, SampleAllocation


def fit_width(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """Stretch the chart to the page width and keep ``height`` as the height of the plot itself.

    Streamlit otherwise sizes a chart with ``autosize: fit``, which squeezes the title, axes and
    legend into ``height`` too: a bar chart of four strata at 120 pixels collapsed to a line.
    """
    return chart.properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))


def allocation_chart(allocation: SampleAllocation, height: int | None = None) -> alt.TopLevelMixin:
    """Completes per stratum (bars) labelled with the expected margin of error.

    Parameters
    ----------
    allocation : SampleAllocation
        Output of `cx.sampling.allocate_sample`.
    height : int, optional
        Chart height in pixels (default: 28 per stratum).

    Returns
    -------
    altair.Chart
        Horizontal bars, one per stratum, with a ``±MOE`` label at the end of each bar; a stratum
        that cannot yield its completes is drawn in the detractor colour. Click a bar to select the
        stratum (selection ``sampling_stratum``, field ``stratum``).
    """
    data = allocation.to_frame()
    data["stratum"] = data["stratum"].astype(str)
    data["moe_label"] = ["census" if c else ("±–" if pd.isna(m) else f"±{m:.1f}")
                         for m, c in zip(data["moe"], data["census"])]
    data["status"] = ["Short of customers" if not e else "Enough customers" for e in data["enough"]]
    pick = alt.selection_point(name="sampling_stratum", fields=["stratum"], on="click", clear="dblclick")
    order = list(data["stratum"])
    y = alt.Y("stratum:N", sort=order, title=None, axis=alt.Axis(labelLimit=260))
    tooltip = [
        alt.Tooltip("stratum:N", title="Stratum"), alt.Tooltip("N:Q", title="Customers", format=","),
        alt.Tooltip("completes:Q", title="Completes", format=","),
        alt.Tooltip("invitations:Q", title="Invitations", format=","),
        alt.Tooltip("moe:Q", title="Expected margin of error (points)", format=".1f"),
        alt.Tooltip("status:N", title="Status"),
    ]
    color = alt.Color("status:N", title=None,
                      scale=alt.Scale(domain=["Enough customers", "Short of customers"], range=[BLUE, VERMILLION]))
    bars = (
        alt.Chart(data)
        .mark_bar(cornerRadiusEnd=2)
        .encode(x=alt.X("completes:Q", title="Completes"), y=y, color=color,
                opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)), tooltip=tooltip)
        .add_params(pick)
    )
    labels = (
        alt.Chart(data)
        .mark_text(align="left", dx=4, color="#3C4043")
        .encode(x="completes:Q", y=y, text="moe_label:N", tooltip=tooltip)
    )
    title = (f"Completes by stratum ({allocation.method}): overall NPS ±"
             f"{fmt.number(allocation.overall_moe, 1)} points")
    h = height if height is not None else max(120, 28 * len(data))
    return fit_width(finish(alt.layer(bars, labels), title, n=allocation.n, height=h))


def mix_chart(rep: Representativeness, height: int | None = None) -> alt.TopLevelMixin:
    """Respondent mix against the customer base: grouped bars of shares per stratum.

    Parameters
    ----------
    rep : Representativeness
        Output of `cx.sampling.representativeness`.
    height : int, optional
        Chart height in pixels (default: 40 per stratum).

    Returns
    -------
    altair.Chart
        For each stratum, its share of the customer base and of the respondents, side by side.
        Click a stratum to select it (selection ``mix_stratum``, field ``stratum``).
    """
    tab = rep.to_frame()
    tab["stratum"] = tab["stratum"].astype(str)
    base = tab[["stratum", "N", "base_share", "weight"]].rename(columns={"base_share": "share", "N": "count"})
    base["source"] = "Customer base"
    resp = tab[["stratum", "n", "sample_share", "weight"]].rename(columns={"sample_share": "share", "n": "count"})
    resp["source"] = "Respondents"
    data = pd.concat([base, resp], ignore_index=True)
    pick = alt.selection_point(name="mix_stratum", fields=["stratum"], on="click", clear="dblclick")
    order = list(tab["stratum"])
    chart = (
        alt.Chart(data)
        .mark_bar(cornerRadiusEnd=2)
        .encode(
            y=alt.Y("stratum:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            yOffset=alt.YOffset("source:N", sort=["Customer base", "Respondents"]),
            x=alt.X("share:Q", title="Share", axis=alt.Axis(format="%")),
            color=alt.Color("source:N", title=None,
                            scale=alt.Scale(domain=["Customer base", "Respondents"], range=[GREY, ORANGE])),
            opacity=alt.condition(pick, alt.value(1.0), alt.value(0.35)),
            tooltip=[alt.Tooltip("stratum:N", title="Stratum"), alt.Tooltip("source:N", title="Of"),
                     alt.Tooltip("share:Q", title="Share", format=".1%"),
                     alt.Tooltip("count:Q", title="Count", format=","),
                     alt.Tooltip("weight:Q", title="Weight", format=".3f")],
        )
        .add_params(pick)
    )
    verdict = "matches the base" if rep.representative else "differs from the base"
    if rep.p_value != rep.p_value:
        p = "p –"
    else:
        p = "p < 0.001" if rep.p_value < 0.001 else f"p = {rep.p_value:.3f}"
    title = f"Respondent mix {verdict} (chi-square {p})"
    h = height if height is not None else max(120, 40 * len(tab))
    return fit_width(finish(chart, title, n=rep.n, height=h))
