import pandas as pd
import streamlit as st

from cx import fmt, ui
from cx.charts.overview import (
    distribution_chart,
    outcome_distribution_chart,
    outcome_segment_chart,
    outcome_trend_chart,
    segment_chart,
    trend_chart,
)
from cx.nps import (
    METHOD_NOTE,
    MIN_BASE,
    nps_by_segment,
    nps_summary,
    nps_trend,
    nps_trend_by_segment,
    score_distribution,
)
from cx.outcome import METHOD_NOTE as OUTCOME_METHOD
from cx.outcome import (
    bottom_box_values,
    box_label,
    difference_text,
    is_yes_no,
    mean_label,
    mean_text,
    outcome_by_segment,
    outcome_distribution,
    outcome_summary,
    outcome_trend,
    top_box_values,
)

v = ui.page_header("Overview", lambda roles: (
    f"Where does {ui.escape_md(roles.outcome)} stand, how sure are we, and where and when is it different?"
    if roles.outcome and not roles.loyalty else "What is our NPS, how sure are we, and where and when is it different?"))
r = v.roles


def outcome_overview() -> None:
    """No 0–10 loyalty question: the outcome chosen on the Data page, read like NPS (mean and top box)."""
    scale = v.survey.scales.get(r.outcome)
    scale_text = f" ({scale[0]}–{scale[1]})" if scale else ""
    st.info(f"This survey has no 0–10 likelihood-to-recommend question, so there is no NPS. The overview reads "
            f"the outcome **{ui.escape_md(r.outcome)}**{scale_text} instead; map a loyalty column on the Data page "
            "for NPS.", icon="ℹ️")
    res = ui.cached(outcome_summary, v, r.outcome, scale, r.weight)
    if res.n == 0:
        st.warning(f"No respondent in view has a valid answer to {ui.escape_md(r.outcome)}. Widen the filter or "
                   "check the outcome column on the Data page.", icon="🔎")
        st.stop()
    top, bottom, yes_no = top_box_values(scale), bottom_box_values(scale), is_yes_no(scale)
    c1, c2, c3 = st.columns(3)
    c1.metric(mean_label(scale) + (" (weighted)" if r.weight else ""), mean_text(res.mean, res.ci95, scale),
              help="The average answer with its 95% margin of error. " + OUTCOME_METHOD)
    if res.top_box is not None and not yes_no:  # on yes / no the top box is the share answering yes
        lo, hi = res.top_box_ci95
        c2.metric(box_label(top, scale), fmt.share(res.top_box), f"95% interval {fmt.share(lo)} to {fmt.share(hi)}",
                  delta_color="off", delta_arrow="off")
        c3.metric(box_label(bottom, scale), fmt.share(res.bottom_box), delta_color="off", delta_arrow="off")
    base = f"Base: {fmt.count(res.n)} respondents with a valid answer"
    if r.weight:
        base += f"; weighted by {r.weight}, effective sample size {fmt.count(res.effective_n)} (Kish)"
    st.caption(ui.escape_md(base) + ".")
    if scale:
        ui.chart(outcome_distribution_chart, ui.cached(outcome_distribution, v, r.outcome, scale, r.weight), r.outcome, res.n,
                 v.total, key="overview_outcome_distribution")
    if r.segments:
        st.subheader(f"{r.outcome} by segment", help=f"Each segment's mean is tested against all other respondents. "
                     f"Segments with fewer than {MIN_BASE} respondents are greyed: too few to judge.")
        segment = st.selectbox("Segment", list(r.segments), key="overview_segment")
        table = ui.cached(outcome_by_segment, v, r.outcome, segment, scale, r.weight)
        ui.chart(outcome_segment_chart, table, r.outcome, segment, res.mean, res.n, v.total, yes_no=yes_no,
                 key="overview_outcome_segment_chart")
        ui.static_table(pd.DataFrame({
            segment: [fmt.md_escape(x, codes=True) for x in table["value"]],
            "n": [fmt.count(n) for n in table["n"]],
            mean_label(scale).lower(): [mean_text(m, (lo, hi), scale) if not small else
                                        f"{mean_text(m, None, scale)} (base too small)" for m, lo, hi, small in
                                        zip(table["mean"], table["ci_low"], table["ci_high"], table["small_base"])],
            **({} if yes_no else {box_label(top, scale) or "top box": [fmt.share(x) for x in table["top_box"]]}),
            "gap vs rest": [difference_text(d, scale) for d in table["difference"]],
            "p-value": [fmt.number(p, 3) for p in table["p_value"]],
            "vs rest": ["base too small" if small else "rest too small to judge" if rest_small else
                        "significantly different" if d else "not significant"
                        for d, small, rest_small in zip(table["differs"], table["small_base"], table["rest_small"])],
        }))
    st.subheader("Trend", help="A change between consecutive periods is marked only when significant (two-sided "
                 f"z-test at the 5% level) and both periods have at least {MIN_BASE} respondents.")
    if not r.date:
        st.info("Map a response-date column on the Data page to see the trend.", icon="🧭")
    else:
        period = st.radio("Period", ["quarter", "month"], horizontal=True, key="overview_period",
                          format_func=str.capitalize)
        trend = ui.cached(outcome_trend, v, r.outcome, scale, date=r.date, period=period, weight=r.weight)
        ui.chart(outcome_trend_chart, trend, r.outcome, scale, res.n, v.total, key="overview_outcome_trend_chart")
        moved = trend[trend["reportable_change"]]
        st.markdown("**Significant changes:** " + "; ".join(
            f"{ui.escape_md(p)} {difference_text(c, scale)} (p = {pv:.3f})" for p, c, pv in zip(moved["period"], moved["change"],
                                                                            moved["p_value"]))
            if len(moved) else "No change between consecutive periods is statistically significant.")
    st.caption("Method: " + OUTCOME_METHOD)


if not r.loyalty and r.outcome:
    outcome_overview()
    st.stop()
ui.require(v, "loyalty", what="NPS")

overall = ui.cached(nps_summary, v, r.loyalty)
weighted = ui.cached(nps_summary, v, r.loyalty, r.weight) if r.weight else None
headline = weighted or overall
if headline.n == 0:
    st.warning("No respondent in view has a valid 0–10 answer. Widen the filter or check the loyalty column on "
               "the Data page.", icon="🔎")
    st.stop()

c1, c2, c3, c4 = st.columns(4)
c1.metric("NPS" + (" (weighted)" if weighted else ""), fmt.nps_with_moe(headline.score, headline.ci95),
          help="Net Promoter Score with its 95% margin of error. " + METHOD_NOTE)
shares = overall.shares
c2.metric("Promoters (9–10)", fmt.share(shares["Promoter"]), f"{fmt.count(overall.promoters)} respondents",
          delta_color="off", delta_arrow="off")
c3.metric("Passives (7–8)", fmt.share(shares["Passive"]), f"{fmt.count(overall.passives)} respondents",
          delta_color="off", delta_arrow="off")
c4.metric("Detractors (0–6)", fmt.share(shares["Detractor"]), f"{fmt.count(overall.detractors)} respondents",
          delta_color="off", delta_arrow="off")
base = f"Base: {fmt.count(overall.n)} respondents with a valid 0–10 answer"
if weighted:
    base += f"; weighted by {r.weight}, effective sample size {fmt.count(weighted.effective_n)} (Kish)"
st.caption(base + ".")

ui.chart(distribution_chart, ui.cached(score_distribution, v, r.loyalty), overall.n, v.total,
         key="overview_distribution")

if r.segments:
    st.subheader("NPS by segment", help=f"Each segment is tested against all other respondents. Segments with "
                 f"fewer than {MIN_BASE} respondents are greyed: their score is too uncertain to read.")
    segment = st.selectbox("Segment", list(r.segments), key="overview_segment")
    table = ui.cached(nps_by_segment, v, r.loyalty, segment, r.weight)
    ui.chart(segment_chart, table, segment, headline.score, overall.n, v.total, key="overview_segment_chart")
    small = table[table["small_base"]]
    if len(small):
        st.warning(f"{len(small)} value(s) of {segment} have fewer than {MIN_BASE} respondents "
                   f"({', '.join(small['value'].astype(str).head(8))}): read their scores as indicative only.",
                   icon="⚠️")
    # A small static table: drawn with the page at once (the interactive grid draws itself later).
    ui.static_table(pd.DataFrame({
        segment: [fmt.md_escape(v, codes=True) for v in table["value"]],
        "n": [fmt.count(n) for n in table["n"]],
        "NPS": [fmt.nps_with_moe(s, (lo, hi)) if not small_ else f"{fmt.signed_int(s)} (base too small)"
                for s, lo, hi, small_ in zip(table["score"], table["ci_low"], table["ci_high"], table["small_base"])],
        "score (exact)": [fmt.signed(s, 1) for s in table["score"]],
        "gap vs rest": [fmt.signed(d, 1) for d in table["difference"]],
        "p-value": [fmt.number(p, 3) for p in table["p_value"]],
        "vs rest": ["significantly different" if d else "not significant" for d in table["differs"]],
    }))

st.subheader("Trend", help="A change between consecutive periods is marked only when significant (two-sided "
             f"z-test at the 5% level) and both periods have at least {MIN_BASE} respondents.")
wave_options = [c for c in r.segments if any(w in c.lower() for w in ("wave", "quarter", "qtr", "period", "month"))]
modes = (["quarter", "month"] if r.date else []) + [f"wave: {c}" for c in wave_options]
if not modes:
    st.info("Map a response-date column (or a survey-wave segment) on the Data page to see the trend.", icon="🧭")
else:
    t1, t2 = st.columns(2)
    mode = t1.radio("Period", modes, horizontal=True, key="overview_period",
                    format_func=lambda m: m.replace("wave: ", "Wave: ").capitalize() if not m.startswith("wave") else m)
    split = t2.selectbox("Split by", ["(none)", *r.segments], key="overview_trend_split")
    kwargs = {"wave": mode[6:]} if mode.startswith("wave: ") else {"date": r.date, "period": mode}
    if split == "(none)":
        trend = ui.cached(nps_trend, v, r.loyalty, weight=r.weight, **kwargs)
        ui.chart(trend_chart, trend, overall.n, v.total, key="overview_trend_chart")
        sig = trend[trend["reportable_change"]]
        if len(sig):
            st.markdown("**Significant changes:** " + "; ".join(
                f"{p} {c:+.1f} points (p = {pv:.3f})" for p, c, pv in zip(sig["period"], sig["change"], sig["p_value"])))
        else:
            st.markdown("No change between consecutive periods is statistically significant.")
        if trend["small_base"].any():
            st.caption(f"{fmt.count(int(trend['small_base'].sum()))} of {fmt.count(len(trend))} periods have fewer "
                       f"than {MIN_BASE} respondents: too few to judge, so no change is reported for them or the "
                       "period after.")
    else:
        trend = ui.cached(nps_trend_by_segment, v, r.loyalty, split, weight=r.weight, **kwargs)
        ui.chart(trend_chart, trend, overall.n, v.total, segment=split, key="overview_trend_split_chart")
    with st.expander("Trend table"):
        ui.static_table(pd.DataFrame({
            **({"segment": [fmt.md_escape(v, codes=True) for v in trend["segment"]]} if "segment" in trend else {}),
            "period": [fmt.md_escape(p, codes=True) for p in trend["period"]],
            "n": [fmt.count(n) for n in trend["n"]],
            "NPS": [fmt.signed(s, 1) for s in trend["score"]],
            "95% interval": [f"{fmt.signed(lo, 1)} to {fmt.signed(hi, 1)}" if not small_ else "base too small"
                             for lo, hi, small_ in zip(trend["ci_low"], trend["ci_high"], trend["small_base"])],
            "change": [fmt.signed(c, 1) for c in trend["change"]],
            "p-value": [fmt.number(p, 3) for p in trend["p_value"]],
            "significant": ["yes" if x else ("base too small" if s else "")
                            for x, s in zip(trend["reportable_change"], trend["significant_change"])],
        }))
st.caption("Method: " + METHOD_NOTE)
