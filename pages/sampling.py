import datetime as dt
import secrets

import pandas as pd
import streamlit as st

from cx import fmt, ui
from cx.charts.sampling import allocation_chart, mix_chart
from cx.errors import CxInputError
from cx.load import read_table
from cx.nps import MIN_BASE, nps_summary
from cx.privacy import safe_csv
from cx.sampling import (
    allocate_sample,
    base_from_customers,
    base_from_sizes,
    draw_sample,
    guess_customer_columns,
    last_wave_overall,
    last_wave_shares,
    nps_sample_size,
    post_stratified_nps,
    representativeness,
    with_last_wave,
)

DEMO = ui.ROOT / "data" / "demo_customer_base.csv"
WEIGHT = "Post-stratification weight"
DEMO_SRC, UPLOAD_SRC, SIZES_SRC = "Demo customer base", "Upload a customer list", "Enter stratum sizes"
SOURCES = [DEMO_SRC, UPLOAD_SRC, SIZES_SRC]
FROM_SURVEY, WORST = "From the loaded survey", "Worst case (no last wave)"
METHODS = {"neyman": "Neyman (optimal)", "proportional": "Proportional"}
NONE = "(none)"

v = ui.page_header("Sampling", "How many customers should the next wave survey, which ones, and does the last "
                   "wave represent the whole customer base?")
r = v.roles
state = st.session_state






def drawn_with_csv(*args, **kwargs):
    draw = draw_sample(*args, **kwargs)
    return draw, safe_csv(draw.to_frame(), mask=False)


# --- 1. The customer base ------------------------------------------------------------------------

st.subheader("1. Customer base", help="Every customer you could survey, split into strata (business unit, "
             "region, tier...). The sample is planned per stratum so the results extrapolate to the whole base.")
ui.keep_choice("sampling_source", SOURCES, DEMO_SRC)
source = st.radio("Where the customer base comes from", SOURCES, key="sampling_source", horizontal=True)

customers = None
if source == DEMO_SRC:
    customers = ui.bundled_table(DEMO)
    st.caption(f"A demo list of {fmt.count(len(customers))} accounts that matches the sample survey "
               f"(data/{DEMO.name}). Upload your own customer list to plan a real wave.")
    if not ui.dataset().is_sample:
        st.info("The demo customer base belongs to the sample survey: upload your own customer list to plan "
                "your next wave.", icon="📥")
elif source == UPLOAD_SRC:
    uploaded = ui.uploaded_table(
        "sampling_upload", "Customer list", reader=read_table, work_name="sampling_customer_file",
        help="CSV or Excel, one row per customer: an id column and the columns that define the strata (business "
             "unit, region, tier...). Optionally the date each customer was last surveyed.")
    if uploaded is None:
        st.info("Upload the list of customers you could survey, or use the demo customer base.", icon="📥")
        st.stop()
    list_name, customers = uploaded
    st.caption(f"{list_name}: {fmt.count(len(customers))} customers, {customers.shape[1]} columns.")

if customers is not None:
    guess = guess_customer_columns(customers, r.customer_id, r.segments)
    columns = [str(c) for c in customers.columns]
    # A different list starts from the columns guessed for it; the same list keeps the user's choices.
    list_id = "demo" if source == DEMO_SRC else (ui.work("sampling_customer_file", None) or {}).get("sha")
    if ui.work("sampling_columns_for", None) != list_id:
        ui.set_work("sampling_columns_for", list_id)
        for key in ("sampling_id_col", "sampling_strata", "sampling_last_surveyed"):
            ui.keep(key)
            state[key] = None
    c1, c2 = st.columns([1, 2])
    ui.keep_choice("sampling_id_col", [NONE, *columns], guess.id_col or NONE)
    id_choice = c1.selectbox("Customer id", [NONE, *columns], key="sampling_id_col",
                             help="One row per customer: duplicate ids are refused. With an id the draw does not "
                                  "depend on the order of the rows in the file.")
    id_col = None if id_choice == NONE else id_choice
    strata_options = [c for c in columns if c != id_col]
    ui.keep_choices("sampling_strata", strata_options, list(guess.strata))
    strata = c2.multiselect("Strata: the columns that split the base", strata_options, key="sampling_strata",
                            help="Each combination of values is a stratum, e.g. business unit, or business unit "
                                 "and tier. The survey needs the same columns to compare its mix with the base.")
else:
    segment_options = list(r.segments)
    if not segment_options:
        st.warning("To enter stratum sizes, map segment columns (business unit, region...) on the Data page, or "
                   "use a customer list.", icon="🧭")
        st.page_link(str(ui.ROOT / ui.DATA_PAGE), label="Go to the Data page", icon="📥")
        st.stop()
    ui.keep_choices("sampling_size_strata", segment_options, segment_options[:1])
    strata = st.multiselect("Strata: the survey's columns the sizes are for", segment_options,
                            key="sampling_size_strata",
                            help="The stratum labels below are the values of these columns (joined by \" / \").")
if not strata:
    st.info("Choose at least one column that defines the strata (e.g. business unit).", icon="🧭")
    st.stop()

survey_has_strata = bool(r.loyalty) and all(c in v.frame.columns for c in strata)
ui.keep_choice("sampling_last_wave", [FROM_SURVEY, WORST], FROM_SURVEY)
last_choice = st.radio(
    "Last wave's results", [FROM_SURVEY, WORST], key="sampling_last_wave", horizontal=True,
    help="Promoter and detractor shares per stratum from the loaded survey set each stratum's NPS standard "
         "deviation (for Neyman allocation and the margins). The worst case assumes half promoters and half "
         "detractors: the largest sample, never too small.")
last_wave = None
if last_choice == FROM_SURVEY:
    if survey_has_strata:
        last_wave = ui.cached(last_wave_shares, v, r.loyalty, tuple(strata))
    else:
        missing = [c for c in strata if c not in v.frame.columns]
        why = "has no loyalty column" if not r.loyalty else f"has no column {', '.join(missing)}"
        st.caption(ui.escape_md(f"The loaded survey {why}: the worst case is used."))

try:
    if customers is not None:
        base = ui.remembered("_sampling_base", (list_id, tuple(strata), id_col, v.key if last_wave is not None else None),
                          base_from_customers, customers, strata, id_col, last_wave)
    else:
        sizes_work = ui.work("sampling_sizes", None)
        if not sizes_work or sizes_work.get("strata") != list(strata):
            demo = ui.bundled_table(DEMO)
            if all(c in demo.columns for c in strata):
                template = base_from_customers(demo, strata)[["stratum", "N"]]
            else:
                template = last_wave_shares(v.survey.frame, r.loyalty, strata)[["stratum"]].assign(N=0) \
                    if r.loyalty else pd.DataFrame({"stratum": [""], "N": [0]})
            sizes_work = {"strata": list(strata), "rows": template.astype({"stratum": str}).to_dict("records"),
                          "version": int((sizes_work or {}).get("version", 0)) + 1}
            ui.set_work("sampling_sizes", sizes_work)
        with st.form("sampling_sizes_form"):
            st.caption("Customers per stratum (prefilled from the demo base: type your own numbers). Add or "
                       "delete rows as needed.")
            edited = st.data_editor(
                pd.DataFrame(sizes_work["rows"], columns=["stratum", "N"]), num_rows="dynamic", hide_index=True,
                key=f"sampling_sizes_editor_{sizes_work.get('version', 0)}", width="stretch",
                column_config={"stratum": st.column_config.TextColumn("Stratum", required=True),
                               "N": st.column_config.NumberColumn("Customers", min_value=0, step=1, format="%d",
                                                                  required=True)})
            if st.form_submit_button("Apply sizes", type="primary"):
                ui.set_work("sampling_sizes", {"strata": list(strata), "version": sizes_work.get("version", 0) + 1,
                                               "rows": edited.astype({"stratum": str}).to_dict("records")})
                st.rerun()
        base = with_last_wave(base_from_sizes(pd.DataFrame(sizes_work["rows"], columns=["stratum", "N"])),
                              last_wave)
except CxInputError as exc:
    ui.show_input_error(exc)
    st.stop()

population = int(base["N"].sum())
m1, m2, m3 = st.columns(3)
m1.metric("Customers in the base", fmt.count(population))
m2.metric("Strata", fmt.count(len(base)))
m3.metric("Strata with last wave's results", f"{fmt.count(int(base['p'].notna().sum()))} of {fmt.count(len(base))}",
          help="The others use the worst case (half promoters, half detractors).")

# --- 2. Sample size and allocation ------------------------------------------------------------

st.subheader("2. How many to survey")
ui.keep("sampling_moe", 5.0)
ui.keep("sampling_method", "neyman")
ui.keep("sampling_minimum", MIN_BASE)
ui.keep("sampling_response_rate", 20.0)
a1, a2, a3, a4 = st.columns(4)
moe = a1.number_input("Target margin of error (NPS points, 95%)", min_value=0.5, max_value=50.0, step=0.5,
                      key="sampling_moe",
                      help="Half-width of the 95% interval around the whole-base NPS: 5 means ±5 points.")
method = a2.radio("Allocation across strata", list(METHODS), key="sampling_method", format_func=METHODS.get,
                  help="Proportional: each stratum in proportion to its size. Neyman: more completes where "
                       "opinions vary more (from last wave), which reaches the same precision with fewer completes.")
minimum = a3.number_input("Minimum completes per stratum", min_value=0, max_value=100_000, step=5,
                          key="sampling_minimum",
                          help=f"So every stratum gets a readable score of its own (the app greys scores on fewer "
                               f"than {MIN_BASE} respondents). A stratum smaller than this is surveyed whole.")
rate = a4.number_input("Expected response rate (%)", min_value=1.0, max_value=100.0, step=1.0,
                       key="sampling_response_rate",
                       help="Share of invited customers who complete the survey: turns completes into invitations.")

p_all, d_all = last_wave_overall(last_wave)
try:
    size = nps_sample_size(float(moe), p_all, d_all, population=population)
    alloc = allocate_sample(base, moe_points=float(moe), method=method, minimum=int(minimum), response_rate=rate / 100)
except CxInputError as exc:
    ui.show_input_error(exc)
    st.stop()

b1, b2, b3, b4 = st.columns(4)
b1.metric("Simple random sample", fmt.count(size.completes),
          help="Completed surveys a simple random sample of the whole base would need for the target margin.")
b2.metric(f"Stratified ({method})", fmt.count(alloc.n),
          help="Completed surveys: the smallest total whose allocation across strata (with the minimum per stratum) reaches the "
               "target margin of error for the whole-base NPS.")
b3.metric("Invitations to send", fmt.count(alloc.invitations), f"at {rate:g}% response", delta_color="off", delta_arrow="off")
b4.metric("Expected margin of error", f"±{fmt.number(alloc.overall_moe, 1)} points",
          help="Of the whole-base NPS, weighting each stratum by its share of the base (95% interval).")
shares = "worst case V = 1 (half promoters, half detractors)" if size.worst_case else \
    f"last wave's {fmt.share(p_all)} promoters and {fmt.share(d_all)} detractors, V = {size.variance:.3f}"
st.markdown(ui.escape_md(
    f"Sample size: n0 = (1.96 × 100)² × V / moe² = {size.n0:,.1f}, with V = p + d − (p − d)² from {shares}; "
    f"finite-population correction (Cochran 1977): n = n0 / (1 + (n0 − 1) / N) = {size.n:,.1f} with "
    f"N = {population:,}, so {size.completes:,} completes."))

ui.chart(allocation_chart, alloc, key="sampling_allocation_chart")
if alloc.short_strata:
    st.warning(ui.escape_md(f"{len(alloc.short_strata)} stratum(s) cannot yield their completes at {rate:g}% "
                            f"response, even inviting everyone: {', '.join(alloc.short_strata[:6])}. Expect "
                            f"fewer completes there, or plan reminders."), icon="⚠️")
table = alloc.to_frame()
table["last wave"] = ["worst case" if w else "last wave" for w in table["worst_case"]]
st.dataframe(
    table[["stratum", "N", "p", "d", "last wave", "completes", "moe", "invitations", "census", "enough"]],
    hide_index=True, width="stretch",
    column_config={
        "stratum": "Stratum", "N": st.column_config.NumberColumn("Customers", format="%d"),
        "p": st.column_config.NumberColumn("Promoters last wave", format="percent"),
        "d": st.column_config.NumberColumn("Detractors last wave", format="percent"),
        "last wave": "Shares from", "completes": st.column_config.NumberColumn("Completes", format="%d"),
        "moe": st.column_config.NumberColumn("Expected ± (points)", format="%.1f",
                                             help="Expected 95% margin of error of the stratum's own NPS."),
        "invitations": st.column_config.NumberColumn("Invitations", format="%d"),
        "census": st.column_config.CheckboxColumn("Whole stratum"),
        "enough": st.column_config.CheckboxColumn("Enough customers"),
    })
with st.expander("How these numbers are computed"):
    for note in (*size.notes, *alloc.notes):
        st.text(note)

# --- 3. The draw ---------------------------------------------------------------------------------

st.subheader("3. Draw the sample")
if customers is None:
    st.info("Drawing needs the customer list itself: upload it or use the demo customer base.", icon="📥")
else:
    ui.keep("sampling_seed", 2026)
    ui.keep("sampling_contact", False)
    ui.keep("sampling_contact_days", 90)
    ui.keep_choice("sampling_last_surveyed", [NONE, *columns], guess.last_surveyed_col or NONE)

    def new_seed():
        state["sampling_seed"] = secrets.randbelow(1_000_000)

    d1, d2, d3, d4 = st.columns([1, 1, 1, 2])
    seed = d1.number_input("Random seed", min_value=0, max_value=2**32 - 1, step=1, key="sampling_seed",
                           help="The same list, plan and seed always draw the same customers: note it to "
                                "reproduce the sample.")
    d1.button("New random seed", key="sampling_new_seed", on_click=new_seed)
    contact = d2.toggle("Contact-frequency rule", key="sampling_contact",
                        help="Leave out customers surveyed recently, so nobody is asked too often.")
    days = d3.number_input("Not surveyed in the last (days)", min_value=0, max_value=3650, step=15,
                           key="sampling_contact_days", disabled=not contact)
    last_col = d4.selectbox("Date last surveyed", [NONE, *columns], key="sampling_last_surveyed",
                            disabled=not contact)
    if contact and last_col == NONE:
        st.warning("Choose the column with the date each customer was last surveyed, or switch the rule off.",
                   icon="🧭")
        st.stop()
    try:
        rule = (int(days), last_col) if contact else (None, None)
        plan_key = tuple(zip(alloc.strata["stratum"].astype(str), alloc.strata["invitations"].astype(int)))
        draw, csv = ui.remembered("_sampling_draw", (list_id, tuple(strata), id_col, plan_key, int(seed), rule,
                                                  dt.date.today()),
                               drawn_with_csv, customers, strata, alloc, int(seed), exclude_recent_days=rule[0],
                               last_surveyed_col=rule[1], id_col=id_col)
    except CxInputError as exc:
        ui.show_input_error(exc)
        st.stop()
    e1, e2, e3 = st.columns(3)
    e1.metric("Customers drawn", fmt.count(draw.n_drawn))
    e2.metric("Left out by the contact rule", fmt.count(draw.n_excluded))
    e3.metric("Seed", str(draw.seed))
    for note in draw.notes:
        st.caption(ui.escape_md(note))
    st.download_button("Download the sample (CSV)", data=csv,
                       file_name=f"sample_seed{draw.seed}.csv", mime="text/csv", key="sampling_download",
                       type="primary")
    with st.expander("Drawn per stratum and the first 100 customers"):
        st.dataframe(draw.strata, hide_index=True, width="stretch")
        st.dataframe(draw.sample.head(100), hide_index=True, width="stretch")

# --- 4. Representativeness and weights -----------------------------------------------------------

st.subheader("4. Does the loaded survey represent the base?",
             help="Compares who answered with who the customers are, stratum by stratum. Post-stratification "
                  "weights then count each respondent for their stratum's share of the base.")
if not survey_has_strata:
    missing = [c for c in strata if c not in v.frame.columns]
    st.info(ui.escape_md("Map the loyalty column on the Data page to compare the survey with the base."
                         if not r.loyalty else f"The loaded survey has no column {', '.join(missing)}: choose "
                         "strata columns that the survey has too."), icon="🧭")
    st.stop()
try:
    sizes_only = base[["stratum", "N"]]
    rep = ui.cached(representativeness, v, tuple(strata), sizes_only)
    weighted = ui.cached(post_stratified_nps, v, r.loyalty, tuple(strata), sizes_only)
except CxInputError as exc:
    ui.show_input_error(exc)
    st.stop()
unweighted = ui.cached(nps_summary, v, r.loyalty)

ui.chart(mix_chart, rep, key="sampling_mix_chart")
p_text = "p < 0.001" if rep.p_value < 0.001 else f"p = {rep.p_value:.3f}"
over, under = rep.largest_gaps()
if rep.dof == 0:
    sentence = "With a single stratum there is no mix to compare."
elif rep.representative:
    sentence = (f"The respondents' mix matches the customer base: the chi-square test finds no significant "
                f"difference (chi-square {rep.chi2:,.1f} on {rep.dof} degrees of freedom, {p_text}).")
else:
    sentence = (f"The respondents' mix differs from the customer base (chi-square {rep.chi2:,.1f} on {rep.dof} "
                f"degrees of freedom, {p_text}): read unweighted scores with care, or weight them.")
if rep.dof and over is not None and under is not None:
    sentence += (f" Most over-represented: {over['stratum']} ({fmt.share(over['sample_share'])} of respondents, "
                 f"{fmt.share(over['base_share'])} of customers); most under-represented: {under['stratum']} "
                 f"({fmt.share(under['sample_share'])} against {fmt.share(under['base_share'])}).")
st.markdown(ui.escape_md(sentence))
for warning in rep.warnings:
    st.warning(ui.escape_md(warning), icon="⚠️")

w1, w2, w3 = st.columns(3)
w1.metric("NPS as answered", fmt.nps_with_moe(unweighted.score, unweighted.ci95),
          f"{fmt.count(unweighted.n)} respondents", delta_color="off", delta_arrow="off")
w2.metric("NPS weighted to the base", fmt.nps_with_moe(weighted.score, weighted.ci95),
          help="Each respondent counts for their stratum's share of the customer base: weight = (N_h / N) / "
               "(n_h / n). The interval uses the Kish effective sample size.")
w3.metric("Effective sample size (Kish)", fmt.count(rep.n_effective),
          f"design effect {fmt.number(rep.design_effect, 2)}", delta_color="off", delta_arrow="off",
          help="Weighting costs precision: the weighted survey is as precise as a simple random sample of this "
               "many respondents, (Σw)² / Σw².")
st.dataframe(rep.to_frame(), hide_index=True, width="stretch", column_config={
    "stratum": "Stratum", "N": st.column_config.NumberColumn("Customers", format="%d"),
    "base_share": st.column_config.NumberColumn("Share of customers", format="percent"),
    "n": st.column_config.NumberColumn("Respondents", format="%d"),
    "sample_share": st.column_config.NumberColumn("Share of respondents", format="percent"),
    "difference": st.column_config.NumberColumn("Difference (points)", format="percent"),
    "weight": st.column_config.NumberColumn("Weight", format="%.3f")})

current = ui.work("post_stratification", None) if r.weight == WEIGHT else None
proposed = rep.stratum_weights()
if state.get("sampling_flash"):
    st.success(state.pop("sampling_flash"), icon="✅")
if current:
    st.info(ui.escape_md(f"Every page is weighted by these post-stratification weights (strata: "
                         f"{', '.join(current.get('strata', []))})."), icon="⚖️")
stale = not current or current.get("strata") != list(strata) or current.get("weights") != proposed
if v.spec.is_active:
    st.caption("Clear the sidebar filter to weight every page: weights are computed on the whole survey.")
if stale:
    label = "Weight every page by these weights" if not current else "Replace the weights in use by these"
    if st.button(label, key="sampling_apply_weights", disabled=v.spec.is_active,
                 help="Adds a weight column to the survey and maps it as the weight role: NPS and segment "
                      "scores on every page are then weighted, with the Kish effective sample size."):
        ui.use_stratum_weights(WEIGHT, list(strata), proposed)
        state["sampling_flash"] = "Every page now shows weighted scores."
        st.rerun()
if current and st.button("Stop weighting", key="sampling_stop_weights"):
    ui.stop_stratum_weights()
    state["sampling_flash"] = "Weighting stopped: every page shows scores as answered."
    st.rerun()
