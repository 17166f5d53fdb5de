import streamlit as st

from cx import drivers as kda
from cx import fmt, ui
from cx.analysis import driver_outcome
from cx.charts.drivers import (
    importance_bars,
    importance_performance_chart,
    picked_driver,
    segment_importance_chart,
)
from cx.errors import CxInputError

COMMENTS_PAGE = ui.ROOT / "pages" / "comments.py"
DATA_PAGE = ui.ROOT / "pages" / "data.py"
CHARTS = ("drivers_bars", "drivers_matrix", "drivers_segments")

v = ui.page_header("Key drivers", "Which aspects of the experience move loyalty, and which should we fix first?")
ui.require(v, "drivers", what="key driver analysis")
r = v.roles
if not driver_outcome(r):
    st.warning("For key driver analysis, map the 0–10 likelihood-to-recommend (loyalty) column, or another outcome "
               "such as overall satisfaction, on the Data page.", icon="🧭")
    st.page_link(DATA_PAGE, label="Go to the Data page", icon="📥")
    st.stop()
ui.breadcrumb(("driver",))



# ─── controls ───────────────────────────────────────────────────────────────────────────────────
all_drivers = [d for d in r.drivers if d in v.frame.columns]
outcomes = kda.outcome_options(v.frame, r.loyalty, r.outcome,
                               exclude=[*r.drivers, r.weight, r.customer_id])
ui.keep_choice("drivers_outcome", outcomes, driver_outcome(r))
ui.keep_choice("drivers_method", list(kda.METHODS), kda.default_method(len(all_drivers)))
ui.keep_choice("drivers_missing", list(kda.MISSING), "listwise")
ui.keep("drivers_bootstrap", True)
saved = ui.keep("drivers_subset", list(all_drivers))
if not isinstance(saved, list) or not set(saved) <= set(all_drivers) or not saved:
    st.session_state["drivers_subset"] = [d for d in (saved or []) if d in all_drivers] or list(all_drivers)

c1, c2, c3, c4 = st.columns([1.3, 1.3, 1, 1])
choice = c1.selectbox(
    "Outcome", outcomes, key="drivers_outcome", format_func=lambda c: kda.outcome_label(c, r.loyalty),
    help="What the drivers should explain: the loyalty score, another numeric answer (such as overall "
         "satisfaction), or whether a respondent is a detractor (0–6) or not.")
method = c2.selectbox(
    "Method", list(kda.METHODS), key="drivers_method", format_func=kda.METHOD_NAMES.get,
    help="Shapley (recommended): each driver's fair share of the explained variation, even when ratings overlap. "
         "Relative weights: a fast close cousin of Shapley. Betas: one regression, misleading when drivers "
         "overlap. Correlation: one driver at a time, ignores overlap.")
missing = c3.radio(
    "Missing answers", list(kda.MISSING), key="drivers_missing", horizontal=True, format_func=str.capitalize,
    help="Listwise: only respondents who answered the outcome and every driver. Pairwise: each correlation uses "
         "everyone who answered both questions (more respondents, but the bases differ).")
boot_on = c4.toggle(
    "95% intervals", key="drivers_bootstrap",
    help=f"Bootstrap: the analysis is repeated on {kda.DEFAULT_N_BOOT} random resamples of respondents (fixed seed, "
         "so the same data gives the same intervals). The spread shows how sure each importance is, and which "
         "drivers can be told apart.")
with st.expander(f"Drivers in the model ({len(st.session_state['drivers_subset'])} of {len(all_drivers)})"):
    subset = st.multiselect("Drivers", all_drivers, key="drivers_subset",
                            help="Leave out drivers to see how the others share the credit, or to keep more "
                                 "respondents when a driver is often skipped.")

outcome, outcome_type = kda.resolve_outcome(choice, r.loyalty)
drivers = tuple(d for d in subset if d != outcome)
if not drivers:
    st.warning("Choose at least one driver for the model.", icon="🧭")
    st.stop()
options = {"weight": r.weight, "missing": missing, "outcome_type": outcome_type}
request = (v.key, drivers, outcome, outcome_type, method, missing)
want_boot = boot_on and (v.n <= kda.BOOTSTRAP_AUTO_MAX_ROWS or st.session_state.get("drivers_boot_for") == request)
if boot_on and not want_boot:
    st.info(f"{fmt.count(v.n)} respondents in view: bootstrap intervals take a few seconds on a sample this size.",
            icon="⏱️")
    if st.button(f"Compute 95% intervals ({kda.DEFAULT_N_BOOT} resamples)", key="drivers_boot_run"):
        st.session_state["drivers_boot_for"] = request
        want_boot = True

# ─── the analysis ───────────────────────────────────────────────────────────────────────────────
try:
    if want_boot:
        analysis = ui.cached_with_progress(
            kda.bootstrap_drivers, v, f"Bootstrapping 95% intervals ({kda.DEFAULT_N_BOOT} resamples)…", drivers,
            outcome, method, n_boot=kda.DEFAULT_N_BOOT, **options)
    else:
        analysis = ui.cached(kda.key_drivers, v, drivers, outcome, method, **options)
except CxInputError as exc:
    ui.show_input_error(exc)
    st.stop()

st.markdown("**" + ui.escape_md(kda.headline(analysis, tiers=False)) + "**")
if analysis.has_intervals and len(analysis.items) > 1:
    st.markdown(ui.escape_md(kda.describe_tiers(analysis)))
elif not analysis.has_intervals:
    st.caption("Turn on 95% intervals to see which drivers can be told apart.")
r2_name = "Pseudo-R²" if analysis.model == "logistic regression" else "R²"
m1, m2, m3 = st.columns(3)
m1.metric(r2_name, f"{analysis.r2:.2f}",
          help="How much of the outcome the drivers explain together, from 0 (nothing) to 1 (everything)."
          + (" For the yes/no detractor outcome: McFadden's pseudo-R², how much better the model predicts "
             "detractors than a guess without drivers." if r2_name != "R²" else ""))
m2.metric("Respondents used", fmt.count(analysis.n), f"of {fmt.count(analysis.n_total)} in view", delta_color="off",
          delta_arrow="off",
          help="Listwise: respondents who answered the outcome and every driver. Pairwise: the smallest number "
               "behind any one correlation.")
m3.metric("Drivers in the model", fmt.count(len(analysis.items)))
st.caption(ui.escape_md(kda.base_sentence(analysis)))
st.caption("Method: " + ui.escape_md(kda.method_in_words(analysis)))
if analysis.outcome_type == "detractor":
    st.info(ui.escape_md(kda.outcome_definition(analysis)), icon="ℹ️")
for warning in kda.analysis_warnings(analysis):
    st.warning(ui.escape_md(warning), icon="⚠️")
st.info(kda.CAVEAT, icon="🧭")

ui.chart(importance_bars, analysis, key="drivers_bars", on_select="rerun")
if analysis.has_intervals:
    st.caption("Whiskers: 95% bootstrap intervals. Drivers in the same group in the table below cannot be cleanly "
               "separated from each other.")
table = kda.importance_table(analysis)
st.dataframe(table, hide_index=True, width="stretch", key="drivers_table", column_config={
    "Importance": st.column_config.NumberColumn(format="percent", help="Share of the explained variation (sums "
                                                "to 100%)."),
    "95% interval from": st.column_config.NumberColumn(format="percent"),
    "95% interval to": st.column_config.NumberColumn(format="percent"),
    "Group": st.column_config.NumberColumn(help="Drivers in one group cannot be cleanly separated by the "
                                           "bootstrap; a lower group number is clearly more important."),
    "Share of R²": st.column_config.NumberColumn(format="%.3f"),
    "Correlation (Pearson)": st.column_config.NumberColumn(format="%.2f"),
    "Correlation (Spearman)": st.column_config.NumberColumn(format="%.2f", help="Correlation of the ranks: "
                                                            "robust to uneven gaps between scale points."),
    "Beta (standardised)": st.column_config.NumberColumn(format="%.2f", help="Change in the outcome, in standard "
                                                         "deviations, per standard deviation of the driver, others "
                                                         "held fixed."),
    "VIF": st.column_config.NumberColumn(format="%.2f", help="Variance inflation factor: how much a driver overlaps "
                                         "with the others. Above 5–10, its beta is unreliable."),
    "Relative weight": st.column_config.NumberColumn(format="%.3f"),
    "Mean rating": st.column_config.NumberColumn(format="%.2f"),
    "Top-box share": st.column_config.NumberColumn(format="percent"),
    "Answered": st.column_config.NumberColumn(format="localized"),
})
st.download_button("Download the importance table (CSV)", kda.importance_csv(analysis),
                   file_name="key_drivers.csv", mime="text/csv", key="drivers_download")
if analysis.has_intervals:
    with st.expander("Which pairs of drivers can be told apart"):
        st.caption("For each pair, the 95% bootstrap interval of the difference in importance. A pair is "
                   "distinguishable when the interval excludes zero.")
        st.dataframe(analysis.distinguishable(), hide_index=True, width="stretch", column_config={
            "difference": st.column_config.NumberColumn(format="percent"),
            "ci_low": st.column_config.NumberColumn("95% interval from", format="percent"),
            "ci_high": st.column_config.NumberColumn("95% interval to", format="percent")})
with st.expander("How importance is computed"):
    st.markdown(ui.escape_md(kda.outcome_definition(analysis)))
    st.markdown(ui.escape_md(analysis.notes))

# ─── importance–performance ─────────────────────────────────────────────────────────────────────
st.subheader("Where to act first", help="Importance–performance matrix: drivers that matter a lot but score low "
             "(Fix first) are where improvement should move loyalty most.")
ui.keep("drivers_performance", "mean")
performance = st.radio("Performance", ["mean", "top_box"], key="drivers_performance", horizontal=True,
                       format_func={"mean": "Mean rating", "top_box": "Top-box share"}.get,
                       help="Top box: the share rating the top two points of a 1–5 or 1–7 scale (9–10 of 0–10).")
try:
    matrix = ui.cached(kda.performance_matrix, v, analysis, performance=performance)
except CxInputError as exc:
    ui.show_input_error(exc)
    st.stop()
perf_title = "Top-box share" if performance == "top_box" else "Performance (mean rating)"
ui.chart(importance_performance_chart, matrix, n=analysis.n, total=analysis.n_total, performance_title=perf_title,
         key="drivers_matrix", on_select="rerun")
st.caption("Click a driver on any chart, or choose it below, to read the comments of the respondents who rated it "
           "low.")

# a click on a chart selects the driver (only a new click: the selection persists across reruns)
clicks = st.session_state.setdefault("drivers_clicks", {})
for chart_key in CHARTS:
    state = st.session_state.get(chart_key)
    clicked = picked_driver(state.get("selection", {}) if hasattr(state, "get") else {}, analysis.drivers)
    if clicked and clicked != clicks.get(chart_key):
        st.session_state["drivers_pick"] = clicked
    clicks[chart_key] = clicked
fix_first = [d for d, q in zip(matrix["driver"], matrix["quadrant"]) if q == "Fix first"]
default_pick = ui.drill().get("driver") or (fix_first or list(analysis.drivers))[0]
ui.keep_choice("drivers_pick", list(analysis.drivers),
            default_pick if default_pick in analysis.drivers else analysis.drivers[0])
d1, d2 = st.columns([2, 1])
pick = d1.selectbox("Driver to drill into", list(analysis.drivers), key="drivers_pick",
                    help="The Comments page opens on the respondents who rated this driver in the bottom box, "
                         "detractors first.")
try:
    low = ui.cached(kda.low_raters, v, pick, r.loyalty, r.comments)
    d1.caption(ui.escape_md(low.sentence()))
except CxInputError as exc:
    d1.caption(ui.escape_md(str(exc)))
with d2:
    st.write("")
    go = st.button("Read the comments of low raters", key="drivers_read_comments", type="primary",
                   disabled=not r.comments, width="stretch")
if not r.comments:
    st.caption("The Comments page needs a comments column: map one on the Data page.")
    st.page_link(DATA_PAGE, label="Go to the Data page", icon="📥")
if go:
    # a new driver makes any theme picked for the previous one stale
    ui.set_drill(driver=pick, theme=None)
    ui.set_drill(**{"from": "Key drivers"})
    if COMMENTS_PAGE.exists():
        st.switch_page(COMMENTS_PAGE)
    else:
        st.info("The Comments page is not available in this version; the driver is kept as the drill-down "
                "selection.", icon="ℹ️")
with st.expander("Importance–performance table"):
    st.dataframe(matrix, hide_index=True, width="stretch", column_config={
        "importance": st.column_config.NumberColumn("importance", format="percent"),
        "ci_low": st.column_config.NumberColumn("95% interval from", format="percent"),
        "ci_high": st.column_config.NumberColumn("95% interval to", format="percent"),
        "performance": st.column_config.NumberColumn(perf_title, format="percent" if performance == "top_box"
                                                     else "%.2f"),
        "importance_cut": st.column_config.NumberColumn("importance split", format="percent"),
        "performance_cut": st.column_config.NumberColumn("performance split", format="percent"
                                                         if performance == "top_box" else "%.2f")})

# ─── segments ───────────────────────────────────────────────────────────────────────────────────
st.subheader("Key drivers by segment", help="The same analysis within each segment value. A segment with fewer "
             "than 10 complete answers per driver is too small for its own model: it shows the pooled result "
             "(all respondents), faded and labelled.")
if not r.segments:
    st.info("Map segment columns (business unit, region, tier) on the Data page to compare drivers by segment.",
            icon="🧭")
else:
    ui.keep_choice("drivers_segment", list(r.segments), r.segments[0])
    segment = st.selectbox("Segment", list(r.segments), key="drivers_segment")
    try:
        by_segment = ui.cached(kda.drivers_by_segment, v, drivers, outcome, segment, method, **options)
    except CxInputError as exc:
        ui.show_input_error(exc)
        st.stop()
    ui.chart(segment_importance_chart, by_segment, key="drivers_segments", on_select="rerun")
    for res in by_segment.results:
        if res.pooled:
            st.caption(ui.escape_md(f"{res.value}: {res.reason}"))
    with st.expander("Importance by segment (table)"):
        st.dataframe(by_segment.to_frame(), hide_index=True, width="stretch", column_config={
            "importance": st.column_config.NumberColumn(format="percent"),
            "ci_low": st.column_config.NumberColumn(format="percent"),
            "ci_high": st.column_config.NumberColumn(format="percent"),
            "r2_contribution": st.column_config.NumberColumn(format="%.3f"),
            "mean": st.column_config.NumberColumn(format="%.2f"),
            "r2": st.column_config.NumberColumn(format="%.2f")})
