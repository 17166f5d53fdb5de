from pathlib import Path

import streamlit as st

from cx import fmt, ui
from cx.charts.indicators import lag_chart, metric_vs_nps_chart
from cx.errors import CxInputError
from cx.indicators import (
    NOT_SUPPORTED,
    SUPPORTED,
    guess_metrics_layout,
    indicators_from_root_causes,
    validate_leading_indicators,
)
from cx.load import read_table

DEMO = ui.ROOT / "data" / "demo_operational_metrics.csv"
# Absolute: page_link resolves relative paths against the entry script, which differs under AppTest.
ROOT_CAUSE_PAGE = str(ui.ROOT / "pages" / "root_cause.py")
DEMO_SRC, UPLOAD_SRC = "Demo operational metrics", "Upload metrics"
WIDE, LONG = "One column per metric", "A metric-name column and a value column"
PERIODS = {"month": "Month", "quarter": "Quarter"}
LEVELS = {"respondent": "Each respondent's own account", "period": "All customers per period"}
ICONS = {SUPPORTED: "✅", NOT_SUPPORTED: "✖️"}
NONE = "(none)"

v = ui.page_header("Leading indicators", "Do the metrics chosen in the 5 Whys move before loyalty does, so teams "
                   "can act on them before customers feel it?")
ui.require(v, "loyalty", "customer_id", "date", what="validating leading indicators")
r = v.roles
state = st.session_state




# --- The metrics -------------------------------------------------------------------------------

st.subheader("Operational metrics", help="Per customer (account) and period: e.g. % invoices right first time, "
             "% orders shipped complete. They are joined to the survey by customer id and period.")
ui.keep_choice("indicators_source", [DEMO_SRC, UPLOAD_SRC], DEMO_SRC)
source = st.radio("Where the metrics come from", [DEMO_SRC, UPLOAD_SRC], key="indicators_source", horizontal=True)
if source == DEMO_SRC:
    metrics = ui.bundled_table(DEMO)
    st.caption(f"Demo metrics for the sample survey's accounts ({fmt.count(len(metrics))} account-months, "
               f"data/{DEMO.name}). Upload your own export to validate your indicators.")
    if not ui.dataset().is_sample:
        st.info("The demo metrics belong to the sample survey's accounts: upload your own metrics to match your "
                "survey.", icon="📥")
else:
    uploaded = ui.uploaded_table(
        "indicators_upload", "Operational metrics", reader=read_table, work_name="indicators_metrics_file",
        help="CSV or Excel. Wide: one row per customer and period, one column per metric. Long: one row per "
             "customer, period and metric, with a value column. Periods can be dates, months (2026-01) or "
             "quarters (2026-Q1).")
    if uploaded is None:
        st.info("Upload the operational metrics per customer and period, or use the demo metrics.", icon="📥")
        st.stop()
    name, metrics = uploaded
    st.caption(f"{name}: {fmt.count(len(metrics))} rows, {metrics.shape[1]} columns.")

layout = guess_metrics_layout(metrics, r.customer_id)
columns = [str(c) for c in metrics.columns]
# A different file starts from the columns guessed for it; the same file keeps the user's choices.
file_id = "demo" if source == DEMO_SRC else (ui.work("indicators_metrics_file", None) or {}).get("sha")
if ui.work("indicators_columns_for", None) != file_id:
    ui.set_work("indicators_columns_for", file_id)
    for key in ("indicators_id_col", "indicators_period_col", "indicators_period", "indicators_format",
                "indicators_metric_cols", "indicators_name_col", "indicators_value_col", "indicators_metric"):
        ui.keep(key)
        state[key] = None
c1, c2, c3 = st.columns(3)
ui.keep_choice("indicators_id_col", columns, layout.id_col or columns[0])
id_col = c1.selectbox("Customer id column", columns, key="indicators_id_col",
                      help=f"Matched to the survey's {r.customer_id} (ids compared as text).")
period_options = [c for c in columns if c != id_col] or columns
ui.keep_choice("indicators_period_col", period_options, layout.period_col or period_options[0])
period_col = c2.selectbox("Period column", period_options, key="indicators_period_col",
                          help="Dates, months (2026-01) or quarters (2026-Q1).")
ui.keep_choice("indicators_period", list(PERIODS), "quarter" if layout.period_col and
       "quarter" in layout.period_col.lower() else "month")
period = c3.radio("Join by", list(PERIODS), key="indicators_period", format_func=PERIODS.get, horizontal=True,
                  help="A response dated 2026-02-15 meets the metrics of 2026-02 (month) or 2026-Q1 (quarter); "
                       "monthly metrics are averaged per customer into quarters.")
ui.keep_choice("indicators_format", [WIDE, LONG], LONG if layout.long else WIDE)
shape = st.radio("Layout", [WIDE, LONG], key="indicators_format", horizontal=True)
rest = [c for c in columns if c not in (id_col, period_col)]
kwargs = {}
if shape == WIDE:
    default = [c for c in layout.metric_cols if c in rest]
    ui.keep("indicators_metric_cols", default)
    if not isinstance(state["indicators_metric_cols"], list) or \
            any(c not in rest for c in state["indicators_metric_cols"]):
        state["indicators_metric_cols"] = default
    metric_cols = st.multiselect("Metric columns", rest, key="indicators_metric_cols")
    if not metric_cols:
        st.info("Choose the columns that hold the metrics.", icon="🧭")
        st.stop()
    kwargs["metric_cols"] = tuple(metric_cols)
else:
    if len(rest) < 2:
        st.warning("A long file needs a metric-name column and a value column besides the id and the period.",
                   icon="⚠️")
        st.stop()
    l1, l2 = st.columns(2)
    ui.keep_choice("indicators_name_col", rest, layout.metric_col or rest[0])
    kwargs["metric_col"] = l1.selectbox("Metric-name column", rest, key="indicators_name_col")
    value_options = [c for c in rest if c != kwargs["metric_col"]]
    ui.keep_choice("indicators_value_col", value_options, layout.value_col or value_options[0])
    kwargs["value_col"] = l2.selectbox("Value column", value_options, key="indicators_value_col")

focus = indicators_from_root_causes(ui.work("root_causes", []))
if focus:
    st.caption(ui.escape_md("Named in the 5 Whys, listed first: " + ", ".join(focus) + "."))
else:
    st.caption("No leading indicator is named in the 5 Whys yet: every metric is validated, in the file's order.")
    if Path(ROOT_CAUSE_PAGE).exists():
        st.page_link(ROOT_CAUSE_PAGE, label="Name one on the Root cause page", icon="🔍")

try:
    result = ui.cached(validate_leading_indicators, v, metrics, id_col=r.customer_id, date_col=r.date,
                       loyalty_col=r.loyalty, metrics_id_col=id_col, metrics_period_col=period_col, period=period,
                       max_lag=3, focus_metrics=tuple(focus), **kwargs)
except CxInputError as exc:
    ui.show_input_error(exc)
    st.stop()

# --- The verdicts ------------------------------------------------------------------------------

st.subheader("Verdicts", help="Supported: loyalty follows the metric, i.e. the metric 1 to 3 periods before the "
             "survey correlates clearly with the customer's 0–10 answer. A metric that only moves in the same "
             "period is not an early warning.")
m1, m2, m3 = st.columns(3)
m1.metric("Responses with an id, a date and a score", fmt.count(result.n_responses))
m2.metric("Matched to a metric", fmt.count(result.n_matched),
          f"{fmt.share(result.n_matched / result.n_responses)} of them" if result.n_responses else None,
          delta_color="off", delta_arrow="off", help="Responses whose customer has a metric value in the same period or up to 3 "
                                  "periods earlier.")
m3.metric("Supported as leading indicators",
          f"{sum(x.supported for x in result.verdicts)} of {len(result.verdicts)}")
for verdict in result.verdicts:
    tag = " (5 Whys)" if verdict.from_5_whys else ""
    st.markdown(f"{ICONS.get(verdict.status, '❔')} **{ui.escape_md(verdict.metric + tag)}**: "
                f"{ui.escape_md(verdict.text)}.")
for warning in result.warnings:
    st.warning(ui.escape_md(warning), icon="⚠️")
st.dataframe(result.to_frame(), hide_index=True, width="stretch", column_config={
    "metric": "Metric", "from_5_whys": st.column_config.CheckboxColumn("5 Whys"), "status": "Verdict",
    "lag": st.column_config.NumberColumn("Lag", help="Periods between the metric and the survey."),
    "r": st.column_config.NumberColumn("Correlation", format="%.2f",
                                       help="Pearson correlation of the metric with the 0–10 loyalty answer."),
    "ci_low": st.column_config.NumberColumn("95% from", format="%.2f"),
    "ci_high": st.column_config.NumberColumn("95% to", format="%.2f"),
    "n": st.column_config.NumberColumn("Pairs", format="%d"), "verdict": "In words"})

# --- Charts ------------------------------------------------------------------------------------

st.subheader("Correlation with loyalty by lag",
             help="Each point is a correlation with its 95% interval (Fisher z). Green: the interval excludes 0. "
                  "Lag 1 = the metric one period before the survey.")
ui.keep_choice("indicators_level", list(LEVELS), "respondent")
level = st.radio("Correlate", list(LEVELS), key="indicators_level", format_func=LEVELS.get, horizontal=True,
                 help="Each respondent's own account: the account's metric against its 0–10 answer (decides the "
                      "verdict). All customers per period: the average metric against the NPS of the period; with "
                      "few periods its intervals are wide and a shared trend can fake a correlation.")
ui.chart(lag_chart, result, level=level, key="indicators_lag_chart")

st.subheader("A metric against NPS over time")
ui.keep_choice("indicators_metric", result.metrics, result.metrics[0])
metric = st.selectbox("Metric", result.metrics, key="indicators_metric")
ui.chart(metric_vs_nps_chart, result, metric, key="indicators_trend_chart")
st.markdown(ui.escape_md(f"{metric}: {result.verdict(metric).text}."))
with st.expander("Method"):
    st.text("Lag k pairs the metric of customer i in period t - k with customer i's 0-10 answer in period t.\n"
            "Correlation: Pearson r; 95% interval: Fisher z, tanh(atanh(r) ± 1.96 / sqrt(n - 3)).\n"
            "Supported: at some lag from 1 to 3, with at least 30 pairs, |r| >= 0.10 and an interval that excludes 0\n"
            "after a Bonferroni correction for the 3 lags looked at. Customers answering in several periods make\n"
            "the intervals somewhat too narrow. A correlation is not proof of cause: it says the metric is worth\n"
            "watching, not that moving it will move loyalty.")
    st.dataframe(result.lags, hide_index=True, width="stretch")
