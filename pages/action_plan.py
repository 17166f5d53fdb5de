import datetime as dt
from pathlib import Path

import streamlit as st

from cx import ui
from cx.errors import CxInputError
from cx.plan import (
    MONEY_KEYS,
    OVERALL,
    build_action_plan,
    money_settings,
    plans_by,
    scope_values,
    with_fields,
)
from cx.report import (
    FORMATS,
    MIME,
    close_the_loop,
    html_fragment,
    loop_html,
    loop_markdown,
    loop_text,
    plan_filename,
    plan_html,
    plan_markdown,
    plan_pdf,
    plan_xlsx,
    plans_zip,
    zip_filename,
)

v = ui.page_header("Action plan", "What will each business unit fix first, who owns it, by when, and what is at "
                   "stake? One page to download and show at ops reviews.")
r = v.roles
if not r.outcome:  # with only an outcome (a 1–5 satisfaction) the plan has its drivers, themes and 5 Whys
    ui.require(v, "loyalty", what="the action plan")
PAGES = Path(__file__).resolve().parent

# --- scope: a business unit, or everyone -------------------------------------------------------
s1, s2 = st.columns(2)
if r.segments:
    segs = list(r.segments)
    # Open on what the Root cause page was working on, so its canvases are already in the plan.
    ui.keep("plan_scope_col", st.session_state.get("rc_scope_col") if st.session_state.get("rc_scope_col") in segs
            else segs[0])
    if st.session_state["plan_scope_col"] not in segs:
        st.session_state["plan_scope_col"] = segs[0]
    scope_col = s1.selectbox("Plans per", segs, key="plan_scope_col",
                             help="Usually the business unit: each unit gets its own single-page plan.")
    values = ui.cached(scope_values, v, scope_col)
    ui.keep("plan_scope", st.session_state.get("rc_scope", OVERALL))
    if st.session_state["plan_scope"] not in [OVERALL, *values]:
        st.session_state["plan_scope"] = OVERALL
    scope = s2.selectbox("Scope", [OVERALL, *values], key="plan_scope",
                         format_func=lambda x: "Overall (all respondents in view)" if x == OVERALL else x)
else:
    scope_col, scope, values = None, OVERALL, []
    s1.caption("Map a segment column (e.g. business unit) on the Data page to make one plan per unit.")

# --- plan fields (saved with the workspace, per scope) ------------------------------------------
all_fields = ui.work("plan", {})
saved_fields = dict(all_fields.get(scope) or {})
fields = dict(saved_fields)
with st.expander("Plan details: title, owner, next review, commitment", expanded=not saved_fields.get("owner")):
    f1, f2, f3 = st.columns([2, 1, 1])
    for name in ("title", "owner", "commitment"):
        st.session_state.setdefault(f"plan_{name}_{scope}", saved_fields.get(name, ""))
    key = f"plan_next_review_{scope}"
    if key not in st.session_state:
        try:
            st.session_state[key] = dt.date.fromisoformat(saved_fields.get("next_review") or "")
        except ValueError:
            st.session_state[key] = None
    fields["title"] = f1.text_input("Title", key=f"plan_title_{scope}",
                                    placeholder="Action plan" + ("" if scope == OVERALL else f": {scope}"))
    fields["owner"] = f2.text_input("Plan owner", key=f"plan_owner_{scope}", placeholder="name or role")
    review = f3.date_input("Next review", key=key, help="The ops review where this plan is checked next.")
    fields["next_review"] = review.isoformat() if isinstance(review, dt.date) else ""
    fields["commitment"] = st.text_area("Our commitment (optional)", key=f"plan_commitment_{scope}", height=68,
                                        placeholder="e.g. Every invoice right first time by the end of Q1.")
if fields != saved_fields:
    ui.set_work("plan", {**all_fields, scope: fields})
    all_fields = ui.work("plan", {})

# Money uses the Revenue at risk page's currency and lifetime-value assumptions (its saved settings).
clv, currency = money_settings({key: ui.keep(key, default) for key, default in MONEY_KEYS.items()})

options = dict(codebook=ui.codebook(), root_causes=list(ui.work("root_causes", [])), clv=clv, currency=currency,
               filter_text=v.spec.describe() if v.spec.is_active else "", source=ui.dataset().raw.source,
               outcome_scale=v.survey.scales.get(r.outcome))
try:
    # The analysis is cached per scope; the plan fields typed above are applied without recomputing it.
    plan = with_fields(ui.cached(build_action_plan, v, r, scope_col=scope_col,
                                 scope_value=None if scope == OVERALL else scope, **options), fields)
except CxInputError as exc:
    ui.show_input_error(exc)
    st.stop()

# --- what is still missing ----------------------------------------------------------------------
open_themes = plan.statement("root_causes")
if open_themes:
    c1, c2 = st.columns([4, 1])
    c1.caption(ui.escape_md(open_themes))
    if (PAGES / "root_cause.py").exists():
        # Absolute: page_link resolves relative paths against the entry script, which differs under AppTest.
        c2.page_link(str(PAGES / "root_cause.py"), label="Root cause page", icon="🔍")

# --- downloads ----------------------------------------------------------------------------------
html = plan_html(plan)
d = st.columns(4)
# PDF and XLSX are built only when clicked (the callable runs on download), so typing in the plan
# fields stays fast.
d[0].download_button("PDF (one page)", data=lambda: plan_pdf(plan), file_name=plan_filename(plan, "pdf"),
                     mime=MIME["pdf"], key="plan_dl_pdf", icon="📄", on_click="ignore")
d[1].download_button("HTML", data=html, file_name=plan_filename(plan, "html"), mime=MIME["html"], key="plan_dl_html",
                     icon="🌐", on_click="ignore")
d[2].download_button("Markdown", data=plan_markdown(plan), file_name=plan_filename(plan, "md"), mime=MIME["md"],
                     key="plan_dl_md", icon="📝", on_click="ignore")
d[3].download_button("XLSX (plan and tables)", data=lambda: plan_xlsx(plan), file_name=plan_filename(plan, "xlsx"),
                     mime=MIME["xlsx"], key="plan_dl_xlsx", icon="📊", on_click="ignore")

# --- preview: exactly the HTML export -----------------------------------------------------------
# Safe option chosen: the HTML export itself, not the Markdown one. Every piece of text from the
# data in it went through html.escape when it was built (tests/test_report.py checks <script> and
# <img onerror> comments stay text), its charts are SVG inside <img> (no script can run from an
# image), and st.html adds DOMPurify and ignores JavaScript on top. Markdown would be re-read by
# st.markdown's own extensions (colour directives, icons, LaTeX), whose escaping is not ours.
with st.container(border=True):
    st.html(html_fragment(html))

# --- close the loop ------------------------------------------------------------------------------
st.subheader("Close the loop", help="Tell ALL customers, not only those who answered, what you heard, what you "
             "are doing and when they will hear of progress. Most customers never answer a survey; hearing what "
             "changed is what makes the next one worth answering.")
all_loop = ui.work("loop", {})
saved_loop = dict(all_loop.get(scope) or {})
loop = dict(saved_loop)
for name in ("company", "what_we_do", "sign_off"):
    st.session_state.setdefault(f"plan_loop_{name}_{scope}", saved_loop.get(name, ""))
key = f"plan_loop_report_back_{scope}"
if key not in st.session_state:
    try:
        st.session_state[key] = dt.date.fromisoformat(saved_loop.get("report_back") or "")
    except ValueError:
        st.session_state[key] = None
l1, l2, l3 = st.columns(3)
loop["company"] = l1.text_input("Company name", key=f"plan_loop_company_{scope}", placeholder="we")
back = l2.date_input("We report progress by", key=key,
                     help="Left empty: the plan's next review date, else 'within three months'.")
loop["report_back"] = back.isoformat() if isinstance(back, dt.date) else ""
loop["sign_off"] = l3.text_input("Sign-off", key=f"plan_loop_sign_off_{scope}", placeholder="Your customer team")
loop["what_we_do"] = st.text_area("What we are doing (your words; leave empty for a draft from the 5 Whys)",
                                  key=f"plan_loop_what_we_do_{scope}", height=90)
if loop != saved_loop:
    ui.set_work("loop", {**all_loop, scope: loop})
message = dict(what_we_do=loop["what_we_do"] or None, report_back=loop["report_back"] or None,
               company=loop["company"] or "we", sign_off=loop["sign_off"] or None)
st.code(close_the_loop(plan, **message), language=None, wrap_lines=True)
m = st.columns(3)
stem = plan_filename(plan, "txt").replace("action-plan", "message-to-customers").rsplit(".", 1)[0]
m[0].download_button("Message as text", data=loop_text(plan, **message), file_name=stem + ".txt", mime=MIME["txt"],
                     key="plan_loop_dl_txt", on_click="ignore")
m[1].download_button("Message as Markdown", data=loop_markdown(plan, **message), file_name=stem + ".md",
                     mime=MIME["md"], key="plan_loop_dl_md", on_click="ignore")
m[2].download_button("Message as HTML", data=loop_html(plan, **message), file_name=stem + ".html",
                     mime=MIME["html"], key="plan_loop_dl_html", on_click="ignore")

# --- every unit at once --------------------------------------------------------------------------
if scope_col:
    st.subheader(f"A plan for every {ui.escape_md(scope_col)}",
                 help="One single-page plan per value, each with its own 5 Whys and plan details, in one zip: "
                      "ready to send as the monthly report to each unit.")
    z1, z2 = st.columns([2, 3])
    ui.keep("plan_zip_format", "pdf")
    zip_format = z1.radio("Format", list(FORMATS), key="plan_zip_format", horizontal=True,
                          format_func=lambda f: {"md": "Markdown"}.get(f, f.upper()))

    def all_plans() -> bytes:
        return plans_zip(plans_by(v.frame, r, scope_col, fields_by_scope=all_fields, **options), zip_format)

    z2.download_button(f"Download {len(values)} plans (zip)", data=all_plans, file_name=zip_filename(scope_col),
                       mime=MIME["zip"], key="plan_dl_zip", icon="🗂️", on_click="ignore")
