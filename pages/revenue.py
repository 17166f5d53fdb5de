import dataclasses
from pathlib import Path

import streamlit as st

from cx import fmt, ui
from cx.charts.revenue import (
    value_by_driver_chart,
    value_by_segment_chart,
    value_by_theme_chart,
    value_waterfall_chart,
)
from cx.errors import CxInputError
from cx.revenue import (
    ClvAssumptions,
    RevenueBasis,
    clv_summary,
    convert_detractors,
    driver_change_value,
    driver_response,
    extrapolation_problem,
    headline,
    merge_segment_inputs,
    retention_change,
    revenue_by_group,
    segment_inputs,
    talking_points,
    value_by_driver,
    value_by_segment,
    value_by_theme,
)

v = ui.page_header("Revenue at risk", "What is the loyalty gap worth in money, and what would closing part of it "
                   "be worth?")
ui.require(v, "loyalty", what="revenue at risk")
r = v.roles
ui.breadcrumb(("driver", "theme"))
PAGES = Path(__file__).resolve().parent
SAME = "(same for every customer)"



def money_column(label: str, currency: str, **kwargs):
    return st.column_config.NumberColumn(label, format=f"{currency}%,.0f", **kwargs)


top = st.container()  # the headline and metrics, drawn once the assumptions below are read

# --- assumptions ---------------------------------------------------------------------------------
needs_revenue = not r.revenue and ui.keep("revenue_avg", None) is None and not ui.work("revenue_assumed_per_segment",
                                                                                        {})
with st.expander("Assumptions: revenue, currency, lifetime value, whole customer base", expanded=needs_revenue):
    a1, a2 = st.columns([1, 3])
    ui.keep("revenue_currency", "$")
    currency = a1.radio("Currency", ["$", "€", "£"], key="revenue_currency", horizontal=True)
    average = avg_segment = per_segment = None
    if r.revenue:
        a2.markdown(f"**Revenue:** the mapped column “{ui.escape_md(r.revenue)}”, annual revenue per "
                    "respondent's account.")
    else:
        a2.info("No revenue column is mapped: enter what an average customer brings in a year (or map a revenue "
                "column on the Data page).", icon="💡")
        b1, b2 = st.columns(2)
        ui.keep("revenue_avg", None)
        average = b1.number_input(f"Average annual revenue per customer ({currency})", min_value=0.0, step=1000.0,
                                  key="revenue_avg", placeholder="e.g. 50000",
                                  help="Every respondent is counted at this revenue (or at their segment's value "
                                       "below). Revenue at risk then measures how many customers are detractors, "
                                       "priced at this average.")
        seg_options = [SAME, *r.segments]
        ui.keep_choice("revenue_avg_segment", seg_options, SAME)
        avg_segment = b2.selectbox("Vary it by segment", seg_options, key="revenue_avg_segment",
                                   help="Give a different average for some segment values; the others use the "
                                        "overall average.")
        if avg_segment != SAME:
            saved_all = ui.work("revenue_assumed_per_segment", {})
            saved = saved_all.get(avg_segment, {})
            edited = st.data_editor(
                ui.cached(segment_inputs, v, avg_segment, saved, "revenue"), key=f"revenue_avg_editor_{avg_segment}",
                hide_index=True, num_rows="fixed", disabled=["value", "respondents"], width="stretch",
                column_config={"value": st.column_config.TextColumn(avg_segment),
                               "respondents": st.column_config.NumberColumn("Respondents", format="%,d"),
                               "revenue": money_column("Average annual revenue per customer", currency,
                                                       min_value=0.0)})
            per_segment = merge_segment_inputs(saved, edited, "revenue")
            if per_segment != saved:
                ui.set_work("revenue_assumed_per_segment", {**saved_all, avg_segment: per_segment})

    st.markdown("**Customer lifetime value**")
    ui.keep("revenue_quick", False)
    quick = st.toggle("Quick and dirty: this year's revenue only", key="revenue_quick",
                      help="Value = this year's revenue, with no margin and no future years. Retention rates are "
                           "then used by the what-ifs only.")
    c = st.columns(5)
    for key, default in (("revenue_margin", 30), ("revenue_discount", 10), ("revenue_ret_promoters", 90),
                         ("revenue_ret_passives", 80), ("revenue_ret_detractors", 65)):
        ui.keep(key, default)
    margin = c[0].number_input("Gross margin (%)", min_value=0, max_value=100, step=1, key="revenue_margin",
                               disabled=quick, help="Share of revenue left after direct costs: use your company's "
                                                    "contribution margin.")
    discount = c[1].number_input("Discount rate (%)", min_value=0, max_value=50, step=1, key="revenue_discount",
                                 disabled=quick, help="What a dollar next year is worth today: typically your cost "
                                                      "of capital.")
    ret_p = c[2].number_input("Promoters renew (%)", min_value=0, max_value=99, step=1, key="revenue_ret_promoters",
                              help="Retention r: the share of promoters who stay a customer each year.")
    ret_a = c[3].number_input("Passives renew (%)", min_value=0, max_value=99, step=1, key="revenue_ret_passives",
                              help="Retention r: the share of passives who stay a customer each year.")
    ret_d = c[4].number_input("Detractors renew (%)", min_value=0, max_value=99, step=1,
                              key="revenue_ret_detractors",
                              help="Retention r: the share of detractors who stay a customer each year.")
    assumptions = ClvAssumptions(retention_promoters=ret_p / 100, retention_passives=ret_a / 100,
                                 retention_detractors=ret_d / 100, discount_rate=discount / 100,
                                 gross_margin=margin / 100, quick=quick)
    if not quick:
        st.latex(r"\text{CLV} = \underbrace{\text{annual revenue} \times \text{gross margin}}_{\text{annual margin}}"
                 r" \times \frac{r}{1 + d - r}")
    st.markdown("\n".join("- " + ui.escape_md(line) for line in assumptions.describe().splitlines()))

    st.markdown("**Whole customer base**")
    base_segment = base_size = None
    if not r.segments:
        st.caption("Map a segment column on the Data page to extrapolate to the whole customer base.")
    else:
        ui.keep("revenue_extrapolate", False)
        if st.toggle("Extrapolate to the whole customer base", key="revenue_extrapolate",
                     help="Scale each segment value's respondents up to its number of customers, so the money is "
                          "for every customer, not only those who answered. Assumes the respondents of each value "
                          "represent it."):
            ui.keep_choice("revenue_base_segment", list(r.segments), r.segments[0])
            base_segment = st.selectbox("Number of customers per", list(r.segments), key="revenue_base_segment")
            saved_all = ui.work("revenue_base_size", {})
            saved = saved_all.get(base_segment, {})
            edited = st.data_editor(
                ui.cached(segment_inputs, v, base_segment, saved, "customers"),
                key=f"revenue_base_editor_{base_segment}", hide_index=True, num_rows="fixed",
                disabled=["value", "respondents"], width="stretch",
                column_config={"value": st.column_config.TextColumn(base_segment),
                               "respondents": st.column_config.NumberColumn("Respondents", format="%,d"),
                               "customers": st.column_config.NumberColumn("Customers in the whole base",
                                                                          min_value=1, step=1, format="%,d")})
            base_size = merge_segment_inputs(saved, edited, "customers")
            if base_size != saved:
                ui.set_work("revenue_base_size", {**saved_all, base_segment: base_size})
            problem = extrapolation_problem(v.spec, base_segment)
            if problem:
                top.warning(ui.escape_md(problem + " Showing the respondents only."), icon="⚠️")
                base_segment = base_size = None
            elif not base_size:
                top.info(ui.escape_md(f"To extrapolate, type the number of customers of each {base_segment} in the "
                                      "table under Assumptions. Until then the figures are for the respondents."),
                         icon="💡")

# --- revenue by NPS group ------------------------------------------------------------------------
try:
    basis = RevenueBasis.build(column=r.revenue, average=average,
                               segment=None if avg_segment in (None, SAME) else avg_segment,
                               per_segment=per_segment, base_segment=base_segment, base_size=base_size)
    try:
        rev = ui.cached(revenue_by_group, v, r.loyalty, basis)
    except CxInputError as exc:
        if not basis.is_extrapolated:
            raise
        top.warning(ui.escape_md(f"{exc} Showing the respondents only."), icon="⚠️")
        basis = basis.respondents_only()
        rev = ui.cached(revenue_by_group, v, r.loyalty, basis)
except CxInputError as exc:
    top.info(ui.escape_md(str(exc)), icon="💡")
    if not r.revenue:
        top.page_link(ui.DATA_PAGE, label="Map a revenue column on the Data page", icon="📥")
    st.stop()
if rev.n == 0:
    top.warning("No respondent in view has a valid 0–10 answer. Widen the filter or check the loyalty column on "
                "the Data page.", icon="🔎")
    st.stop()
clv = clv_summary(rev, assumptions)


def money(x: float) -> str:
    return fmt.money(x, currency)


def signed_money(x: float) -> str:
    """A change of money: "+$1.2M", "-$0.4M"."""
    return ("+" if x > 0 else "") + money(x)


with top:
    st.subheader(ui.escape_md(headline(clv, currency)))
    m = st.columns(4)
    whole = ", whole base" if rev.extrapolated else ""  # extrapolated money says so on its face
    m[0].metric(f"Total annual revenue{whole}", money(rev.total),
                help=f"Sum over {fmt.count(rev.n_with_revenue)} respondents with a revenue value"
                     + (", scaled up to the whole customer base." if rev.extrapolated else "."))
    m[1].metric(f"Detractor revenue (at risk){whole}", money(rev.detractors),
                f"{fmt.share(rev.detractor_share)} of revenue", delta_color="off", delta_arrow="off",
                help="Annual revenue of respondents who score 0–6: the customers most likely to leave.")
    if quick:
        m[2].metric(f"Value at risk (this year){whole}", money(clv.detractors),
                    help="Quick and dirty: this year's revenue of detractors, no margin and no future years.")
    else:
        m[2].metric(f"Lifetime value at risk{whole}", money(clv.detractors),
                    f"of {money(clv.total)} in all", delta_color="off", delta_arrow="off",
                    help="Customer lifetime value (CLV) of detractors: annual revenue × gross margin × r / (1 + d − r), "
                         "with r their yearly retention and d the discount rate.")
    m[3].metric("Detractors", fmt.count(rev.n_detractors), f"of {fmt.count(rev.n)} respondents", delta_color="off",
                delta_arrow="off")
    notes = [basis.describe(currency)]
    if rev.unscored:
        notes.append(f"A further {money(rev.unscored)} belongs to {fmt.count(rev.n_unscored)} respondents without a "
                     "valid 0–10 answer: in the total, in no group.")
    if rev.n_missing_revenue:
        notes.append(f"{fmt.count(rev.n_missing_revenue)} respondents without a revenue value are left out of the sums.")
    if r.weight:
        notes.append("Revenue is summed over accounts as they are, not weighted by the survey weights.")
    st.caption(ui.escape_md(" ".join(notes)))

# --- where the value at risk sits ----------------------------------------------------------------
st.subheader("Where the value at risk sits")
if quick:
    lifetime = False
else:
    ui.keep_choice("revenue_measure", ["Annual revenue", "Lifetime value"], "Annual revenue")
    lifetime = st.radio("Measure", ["Annual revenue", "Lifetime value"], key="revenue_measure",
                        horizontal=True) == "Lifetime value"
t_seg, t_theme, t_driver = st.tabs(["By segment", "By comment theme", "By key driver"])

with t_seg:
    if not r.segments:
        st.info("Map segment columns (business unit, region, tier) on the Data page to see where the value at "
                "risk sits.", icon="🧭")
    else:
        ui.keep_choice("revenue_segment", list(r.segments), r.segments[0])
        seg = st.selectbox("Segment", list(r.segments), key="revenue_segment")
        table = ui.cached(value_by_segment, v, r.loyalty, basis, seg, assumptions)
        measure = "value_at_risk" if lifetime else "detractor_revenue"
        title = f"{'Lifetime value' if lifetime else 'Revenue'} at risk by {seg}"
        ui.show_chart(value_by_segment_chart(table, measure, currency, title), key="revenue_segment_chart")
        shown = table[["segment", "respondents", "detractors", "nps", "revenue", "detractor_revenue",
                       "at_risk_share", "value_at_risk"]]
        st.dataframe(shown, hide_index=True, width="stretch", key="revenue_segment_table",
                     column_config={"segment": st.column_config.TextColumn(seg),
                                    "respondents": st.column_config.NumberColumn("Respondents", format="%,d"),
                                    "detractors": st.column_config.NumberColumn("Detractors", format="%,d"),
                                    "nps": st.column_config.NumberColumn("NPS", format="%+.0f"),
                                    "revenue": money_column("Annual revenue", currency),
                                    "detractor_revenue": money_column("Detractor revenue (at risk)", currency),
                                    "at_risk_share": st.column_config.NumberColumn("Share at risk", format="percent"),
                                    "value_at_risk": money_column("Lifetime value at risk" if not quick
                                                                  else "Value at risk (this year)", currency)})

with t_theme:
    coded = ui.coded(v)
    if coded is None:
        st.info("Map the comments column on the Data page to see the revenue of detractors who mention each "
                "theme.", icon="🧭")
    elif not coded.themes:
        st.info("The codebook has no theme yet: add themes on the Comments page.", icon="💬")
    else:
        table = ui.cached(value_by_theme, v, coded.to_frame(), r.loyalty, basis, assumptions)
        measure = "value_at_risk" if lifetime else "detractor_revenue"
        state = ui.show_chart(
            value_by_theme_chart(table, measure, currency, f"{'Lifetime value' if lifetime else 'Revenue'} of "
                                 "detractors mentioning each theme", n=rev.n_detractors),
            key="revenue_theme_chart", on_select="rerun")
        picked = [p.get("theme") for p in (state.selection.get("revenue_theme") or []) if p.get("theme")]
        if picked and picked[0] != st.session_state.get("revenue_theme_seen"):
            st.session_state["revenue_theme_seen"] = picked[0]
            st.session_state["revenue_theme_pick"] = picked[0]
        st.caption("A comment can mention several themes, so the rows add up to more than the detractors' revenue.")
        st.dataframe(table[["theme", "mentions", "detractor_mentions", "detractor_revenue",
                            "share_of_detractor_revenue", "value_at_risk"]],
                     hide_index=True, width="stretch", key="revenue_theme_table",
                     column_config={"theme": "Theme",
                                    "mentions": st.column_config.NumberColumn("Comments mentioning it", format="%,d"),
                                    "detractor_mentions": st.column_config.NumberColumn("From detractors",
                                                                                        format="%,d"),
                                    "detractor_revenue": money_column("Detractor revenue", currency),
                                    "share_of_detractor_revenue": st.column_config.NumberColumn(
                                        "Share of detractor revenue", format="percent"),
                                    "value_at_risk": money_column("Lifetime value at risk" if not quick
                                                                  else "Value at risk (this year)", currency)})
        if (PAGES / "comments.py").exists():
            themes = list(table["theme"])
            ui.keep_choice("revenue_theme_pick", themes, themes[0])
            d1, d2 = st.columns([3, 1], vertical_alignment="bottom")
            theme = d1.selectbox("Read the comments of a theme", themes, key="revenue_theme_pick",
                                 help="Click a bar or pick a theme here.")
            if d2.button("Open in Comments", key="revenue_theme_open"):
                ui.set_drill(theme=theme, **{"from": "Revenue at risk"})
                st.switch_page(PAGES / "comments.py")

with t_driver:
    if not r.drivers:
        st.info("Map driver rating columns on the Data page to see the revenue of customers who rate each driver "
                "low.", icon="🧭")
    else:
        driver_table = ui.cached(value_by_driver, v, tuple(r.drivers), r.loyalty, basis, assumptions=assumptions)
        measure = "value_low" if lifetime else "revenue_low"
        state = ui.show_chart(
            value_by_driver_chart(driver_table, measure, currency, f"{'Lifetime value' if lifetime else 'Revenue'} "
                                  "of customers rating each driver low", n=rev.n_with_revenue),
            key="revenue_driver_chart", on_select="rerun")
        picked = [p.get("driver") for p in (state.selection.get("revenue_driver") or []) if p.get("driver")]
        if picked and picked[0] != st.session_state.get("revenue_driver_seen"):
            st.session_state["revenue_driver_seen"] = picked[0]
            st.session_state["revenue_driver"] = picked[0]  # the what-if below follows the click
        st.caption("Low = the bottom of each driver's scale (1–2 of 1–5, 0–6 of 0–10). A customer can rate several "
                   "drivers low, so the rows add up to more than the total. Click a bar to try raising that driver "
                   "below.")
        st.dataframe(driver_table[["driver", "low_rule", "low_raters", "low_share", "revenue_low", "share_of_revenue",
                                   "revenue_at_risk", "value_low"]],
                     hide_index=True, width="stretch", key="revenue_driver_table",
                     column_config={"driver": "Driver", "low_rule": "Low means",
                                    "low_raters": st.column_config.NumberColumn("Low raters", format="%,d"),
                                    "low_share": st.column_config.NumberColumn("Share of raters", format="percent"),
                                    "revenue_low": money_column("Their annual revenue", currency),
                                    "share_of_revenue": st.column_config.NumberColumn("Share of revenue",
                                                                                      format="percent"),
                                    "revenue_at_risk": money_column("Of which detractors", currency),
                                    "value_low": money_column("Their lifetime value" if not quick
                                                              else "Their value (this year)", currency)})

# --- what-ifs and talking points ------------------------------------------------------------------
# A fragment: moving a what-if slider reruns only this part (pure arithmetic on the summaries above
# and one small chart), not the bar charts, so the numbers follow the slider at once in the room.


@st.fragment
def what_ifs() -> None:
    st.subheader("What if…", help="Pure arithmetic on the figures above, with the assumptions stated: move a "
                 "slider and every number follows.")
    chosen = []

    st.markdown("**Convert detractors**")
    conversion = None
    if rev.n_detractors == 0:
        st.info("No detractor in view: nothing to convert.", icon="🎉")
    else:
        w1, w2 = st.columns([2, 3])
        ui.keep("revenue_convert_share", 10)
        share = w1.slider("Share of detractors converted", 0, 100, step=1, key="revenue_convert_share",
                          format="%d%%", help="Never more than the detractors the survey has: 100% converts them all.")
        ui.keep_choice("revenue_convert_to", ["passives", "promoters"], "passives")
        to = w1.radio("They become", ["passives", "promoters"], key="revenue_convert_to", horizontal=True)
        conversion = convert_detractors(clv, share / 100, to)
        if share:
            chosen.append(conversion)
        k = w2.columns(3)
        k[0].metric("New NPS", fmt.signed_int(conversion.nps_after), f"{conversion.nps_change:+.1f} points",
                    help=f"NPS now {fmt.number(conversion.nps_before, 1)}, after "
                         f"{fmt.number(conversion.nps_after, 1)}: the same respondents, some detractors moved.")
        k[1].metric("Revenue kept a year", money(conversion.revenue_retained),
                    help="Converted detractors' revenue × the rise in their yearly renewal rate.")
        if not quick:
            k[2].metric("Lifetime value kept", money(conversion.value_retained),
                        help="Converted detractors' revenue × gross margin × the rise in their margin multiple "
                             "r / (1 + d − r).")
        w2.caption(f"{fmt.count(conversion.converted)} of {fmt.count(rev.n_detractors)} detractors, holding "
                   f"{money(conversion.converted_revenue)} a year, renew at {fmt.share(assumptions.retention(to))} "
                   f"instead of {fmt.share(assumptions.retention('Detractor'))}.")
    with st.expander("Waterfall: from total revenue to what is still at risk", expanded=True):
        ui.show_chart(value_waterfall_chart(clv, conversion if conversion is not None and conversion.share else None,
                                            currency), key="revenue_waterfall_chart")
        st.dataframe(rev.to_frame(), hide_index=True, width="stretch", key="revenue_group_table",
                     column_config={"group": "NPS group",
                                    "respondents": st.column_config.NumberColumn("Respondents", format="%,d"),
                                    "with_revenue": st.column_config.NumberColumn("With revenue", format="%,d"),
                                    "revenue": money_column("Annual revenue", currency),
                                    "share_of_revenue": st.column_config.NumberColumn("Share", format="percent"),
                                    "mean_revenue": money_column("Average per respondent", currency)})

    st.markdown("**Raise a driver**")
    if not r.drivers:
        st.info("Map driver rating columns on the Data page to estimate what raising one is worth.", icon="🧭")
    else:
        drivers = list(r.drivers)
        ranked = list(driver_table["driver"]) if len(driver_table) else drivers
        ui.keep_choice("revenue_driver", drivers, ranked[0])
        came = ui.drill().get("driver")
        if came in drivers and came != st.session_state.get("revenue_drill_seen"):
            st.session_state["revenue_drill_seen"] = came
            st.session_state["revenue_driver"] = came
        w1, w2 = st.columns([2, 3])
        driver = w1.selectbox("Driver", drivers, key="revenue_driver",
                              help="Click a bar of the chart by key driver, or pick one here.")
        ui.keep_choice("revenue_driver_to", ["passives", "promoters"], "passives")
        driver_to = w1.radio("Detractors who move become", ["passives", "promoters"], key="revenue_driver_to",
                             horizontal=True)
        try:
            response = ui.cached(driver_response, v, tuple(drivers), r.loyalty, driver, weight=r.weight)
        except CxInputError as exc:
            w2.info(f"The driver model cannot estimate this: {exc}", icon="💡")
            response = None
        options = response.feasible_deltas(rev, driver_to) if response is not None else []
        if response is not None and not options:
            w2.info("The model's estimate for this driver asks for more detractors than the survey has, or it "
                    "cannot say: try converting them to promoters, or another driver.", icon="💡")
        if options:
            ui.keep("revenue_driver_delta", options[min(1, len(options) - 1)])
            current = st.session_state["revenue_driver_delta"]
            if current not in options:
                st.session_state["revenue_driver_delta"] = min(options, key=lambda o: abs(o - float(current or 0)))
            delta = w1.select_slider("Raise every rating by (points)", options, key="revenue_driver_delta",
                                     format_func=lambda x: f"+{x:g}",
                                     help="Ratings stop at the top of the scale. Rises the survey cannot carry "
                                          "(more detractors than it has) are not offered.")
            change = response.at(delta)
            driver_wi = driver_change_value(clv, change.nps_change, to=driver_to, driver=driver, delta=delta)
            chosen.append(driver_wi)
            k = w2.columns(3)
            k[0].metric("NPS change (model estimate)", f"{change.nps_change:+.1f} points",
                        help="Predicted by linear models of the score and of the promoter and detractor shares on "
                             "all drivers: an association, not a promise.")
            k[1].metric("Revenue kept a year", money(driver_wi.revenue_per_year))
            if not quick:
                k[2].metric("Lifetime value kept", money(driver_wi.value))
            w2.caption("Model estimate, not a forecast. " + ui.escape_md(change.notes))

    st.markdown("**Change retention**")
    w1, w2 = st.columns([2, 3])
    new_rates = {}
    for group, label in (("Promoter", "Promoters"), ("Passive", "Passives"), ("Detractor", "Detractors")):
        key = f"revenue_wi_ret_{label.lower()}"
        now = round(assumptions.retention(group) * 100)
        ui.keep(key, 0)
        st.session_state[key] = min(max(int(st.session_state[key] or 0), -now), 99 - now)
        step = w1.slider(f"{label} renew (points, now {now}%)", -now, 99 - now, step=1, key=key, format="%+d",
                         help="Change this group's yearly retention; the assumptions above stay as they are.")
        new_rates["retention_" + label.lower()] = (now + step) / 100
    retention = retention_change(assumptions, dataclasses.replace(assumptions, **new_rates), rev)
    if retention.before.assumptions != retention.after.assumptions:
        chosen.append(retention)
    k = w2.columns(2)
    if quick:
        k[0].metric("Value (this year's revenue)", money(retention.after.total),
                    help="Quick mode counts this year's revenue only, so a retention change shows in next year's "
                         "renewals.")
    else:
        k[0].metric("Lifetime value", money(retention.after.total),
                    signed_money(retention.change) if retention.change else None,
                    help="Customer lifetime value of all respondents with a 0–10 answer.")
    k[1].metric("Change in revenue renewing next year", signed_money(retention.revenue_change_per_year),
                help="Σ over groups of revenue × the change in its retention: zero until a slider moves.")

    st.subheader("Talking points", help="The figures and their assumptions in plain sentences, ready to paste into "
                 "a deck. They follow every slider and the filter.")
    notes = [basis.describe(currency)]
    if v.spec.is_active:
        notes.append(f"These figures cover {v.spec.describe()} ({fmt.count(v.n)} of {fmt.count(v.total)} "
                     "respondents).")
    text = "\n".join(talking_points(clv, what_if=chosen, currency=currency, notes=notes))
    st.code(text, language=None, wrap_lines=True)
    st.download_button("Download as .txt", text, file_name="revenue_talking_points.txt", mime="text/plain",
                       key="revenue_talking_points_download")
    ui.autosave()  # a fragment rerun skips app.py's save at the end of the run


what_ifs()
