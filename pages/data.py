import datetime as dt

import streamlit as st

from cx import fmt, ui
from cx.clean import prepare_survey, require_analysable
from cx.errors import CxInputError
from cx.roles import Roles

v = ui.page_header("Data", "Load a survey export (Qualtrics, SurveyMonkey, Excel, CSV) and check how every column is read.")
ds = ui.dataset()
raw = ds.raw

upload = st.file_uploader(
    "Load a survey export", key="data_upload",
    help="CSV or TSV (any delimiter and encoding), XLSX or XLS (any sheet, header below title rows), or Parquet. "
         "Qualtrics and SurveyMonkey multi-row headers are recognised.")
if upload is not None and st.session_state.get("data_loaded_id") != upload.file_id:
    st.session_state["data_loaded_id"] = upload.file_id
    bar = st.progress(0.0, text=f"Reading {upload.name}")
    try:
        new = ui.dataset_from_bytes(upload.getvalue(), upload.name, progress=lambda f, m: bar.progress(f, text=m))
        require_analysable(prepare_survey(new.raw, new.inspection.roles, new.inspection))
    except CxInputError as exc:
        st.session_state["data_error"] = str(exc)
        st.session_state.pop("data_flash", None)
    else:
        ui.use_dataset(new, upload.getvalue())
        st.session_state.pop("data_error", None)
        n = new.raw.n_rows
        st.session_state["data_flash"] = ui.escape_md(f"Loaded {new.raw.source}: {fmt.count(n)} "
                                                      f"response{'' if n == 1 else 's'}.")
        st.rerun()
    finally:
        bar.empty()
if st.session_state.get("data_error"):
    st.error(st.session_state["data_error"] + " The data loaded before is still in use.", icon="⚠️")
if st.session_state.get("data_flash"):
    st.success(st.session_state["data_flash"], icon="✅")
if not ds.is_sample and st.button("Go back to the sample survey", key="data_use_sample"):
    ui.use_sample()
    st.session_state.pop("data_error", None)
    st.session_state["data_flash"] = "Loaded the sample survey."
    st.rerun()

with st.expander("Workspace: your work is saved automatically", icon="💾"):
    current = ui.current_workspace()
    st.caption("Everything you do (column roles, filters, codebook, 5 Whys, plan fields, what-ifs) is saved under "
               "this page's address. Bookmark it, reload it, or open it in another tab: nothing is lost. Share the "
               "address only with people who may see this workspace.")
    w1, w2 = st.columns([3, 1])
    st.session_state.setdefault("data_ws_name", current["name"])
    name = w1.text_input("Workspace name", key="data_ws_name")
    if w2.button("Rename", key="data_ws_rename"):
        try:
            ui.rename_workspace(name)
            st.toast("Workspace renamed.")
        except CxInputError as exc:
            ui.show_input_error(exc)
    listing = ui.desk_workspaces()
    if len(listing) > 1:
        st.dataframe([{"name": w.name, "file": w.source,
                       "last saved": dt.datetime.fromtimestamp(w.updated).strftime("%Y-%m-%d %H:%M"),
                       "open": "✓" if w.id == current["id"] else ""} for w in listing],
                     hide_index=True, width="stretch")
        others = {w.id: f"{w.name} ({w.source})" for w in listing if w.id != current["id"]}
        o1, o2, o3 = st.columns([3, 1, 1])
        target = o1.selectbox("Other workspaces", list(others), format_func=others.get, key="data_ws_target")
        if o2.button("Open", key="data_ws_open"):
            ui.switch_workspace(target)
            st.session_state.pop("data_ws_name", None)
            st.rerun()
        if o3.button("Delete", key="data_ws_delete"):
            ui.delete_workspace(target)
            st.rerun()
    n1, n2, n3 = st.columns(3)
    if n1.button("New workspace", key="data_ws_new"):
        ui.new_workspace()
        st.session_state.pop("data_ws_name", None)
        st.rerun()
    n2.download_button("Download this workspace (.cxw)", data=ui.export_workspace,
                       file_name=f"{current['name'] or 'workspace'}.cxw", mime="application/zip", key="data_ws_export",
                       help="Data plus every setting, to move the work to another machine.")
    moved = n3.file_uploader("Open a workspace file", type=["cxw"], key="data_ws_import")
    if moved is not None and st.session_state.get("data_ws_imported") != moved.file_id:
        st.session_state["data_ws_imported"] = moved.file_id
        try:
            ui.import_workspace(moved.getvalue())
        except CxInputError as exc:
            ui.show_input_error(exc)
        else:
            st.session_state.pop("data_ws_name", None)
            st.rerun()

c1, c2, c3, c4 = st.columns(4)
c1.caption("File")
c1.markdown(f"**{ui.escape_md(raw.source)}**")
c2.metric("Responses", fmt.count(raw.n_rows))
c3.metric("Columns", fmt.count(raw.frame.shape[1]))
c4.metric("Format", {"qualtrics": "Qualtrics", "qualtrics-legacy": "Qualtrics (legacy)",
                     "surveymonkey": "SurveyMonkey"}.get(raw.platform, raw.file_format.upper()))
for note in raw.notes:
    st.caption(note)

st.subheader("Column roles", help="Inferred from the columns' names and values. Change any of them: the mapping "
             "drives every other page.")
r = ui.roles()
cols = [str(c) for c in raw.frame.columns]
none = "(none)"
key = ds.token[:10]


def pick(label: str, current: str | None, slot: str, help: str):
    options = [none, *cols]
    return st.selectbox(label, options, index=options.index(current) if current in options else 0,
                        key=f"data_role_{slot}_{key}", help=help)


with st.form(f"data_roles_{key}"):
    a, b = st.columns(2)
    with a:
        loyalty = pick("Loyalty: 0–10 likelihood to recommend", r.loyalty, "loyalty",
                       "The NPS question. Answers 9–10 are promoters, 7–8 passives, 0–6 detractors.")
        comments = pick("Comments", r.comments, "comments", "The free-text question.")
        date = pick("Response date", r.date, "date", "Used for trends and the date filter.")
        customer = pick("Customer id", r.customer_id, "customer", "Joins operational metrics to responses.")
    with b:
        outcome = pick("Other outcome for key drivers (optional)", r.outcome, "outcome",
                       "A numeric outcome such as overall satisfaction, when there is no loyalty question "
                       "or you want drivers of something else.")
        revenue = pick("Annual revenue", r.revenue, "revenue", "Annual revenue per account, for revenue at risk.")
        weight = pick("Weight", r.weight, "weight", "Survey weights; NPS is then weighted, with the Kish "
                      "effective sample size in its interval.")
    drivers = st.multiselect("Drivers: ratings of aspects of the experience", cols, default=list(r.drivers),
                             key=f"data_role_drivers_{key}")
    segments = st.multiselect("Segments: business unit, region, tier...", cols, default=list(r.segments),
                              key=f"data_role_segments_{key}")
    applied = st.form_submit_button("Apply mapping", type="primary")

if applied:
    def value(x):
        return None if x == none else x

    new_roles = Roles(loyalty=value(loyalty), drivers=tuple(d for d in drivers if d != value(loyalty)),
                      comments=value(comments), segments=tuple(segments), customer_id=value(customer),
                      revenue=value(revenue), date=value(date), weight=value(weight), outcome=value(outcome))
    try:
        trial = prepare_survey(raw, new_roles, ds.inspection)
        if new_roles.loyalty and not trial.report.rows_with_loyalty:
            raise CxInputError(trial.report.problems[0])
        require_analysable(trial)
    except CxInputError as exc:
        st.error(f"{exc} The mapping was not changed.", icon="⚠️")
    else:
        ui.set_roles(new_roles)
        st.session_state["data_flash"] = "Mapping applied to every page."
        st.rerun()

if r.segments:
    st.subheader("Core-growth customers", help="Your ideal customer profile: the customers you most want to keep "
                 "and grow. The sidebar's “Core-growth customers only” filter keeps the respondents matching "
                 "every segment marked here (any value where none is marked).")
    ui.core_growth_editor()

st.subheader("Validation report")
report = v.survey.report
m1, m2 = st.columns(2)
m1.metric("Rows read", fmt.count(report.rows_read))
if report.rows_with_loyalty is not None:
    m2.metric("Rows with a valid 0–10 loyalty answer", fmt.count(report.rows_with_loyalty),
              help="Only these count in NPS; the rest are blank, \"Don't know\" or out of range.")
for problem in report.problems:
    st.warning(problem, icon="⚠️")
for check in report.checks:
    st.text(check.sentence())
if report.checks:
    st.dataframe(report.to_frame(), hide_index=True, width="stretch")

st.subheader("Columns as read")
profiles = v.survey.profiles
role_of = {}
for role, colnames in (("loyalty", [r.loyalty]), ("outcome", [r.outcome]), ("driver", r.drivers),
                       ("comments", [r.comments]), ("segment", r.segments), ("customer id", [r.customer_id]),
                       ("revenue", [r.revenue]), ("date", [r.date]), ("weight", [r.weight])):
    for c in colnames:
        if c:
            role_of[c] = role
table = [{"column": p.name, "code": p.code if p.code != p.name else "", "role": role_of.get(p.name, ""),
          "kind": p.kind, "scale": p.scale_text, "missing": p.n_missing, "distinct": p.n_distinct,
          "examples": " | ".join(p.examples)} for p in profiles.values()]
st.dataframe(table, hide_index=True, width="stretch")
with st.expander("First 50 rows"):
    st.dataframe(raw.frame.head(50), width="stretch")
