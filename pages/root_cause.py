import datetime as dt
from pathlib import Path

import streamlit as st

from cx import fmt, ui
from cx.plan import is_praise
from cx.rootcause import (
    CADENCES,
    N_WHYS,
    OVERALL,
    fifth_why,
    missing_parts,
    move,
    new_root_cause,
    normalise,
    remove,
    theme_examples,
    vital_few_in_scope,
)

v = ui.page_header("Root cause", "Why do the vital-few themes happen, and which leading indicator will show it "
                   "before customers do?")
r = v.roles
st.caption("For each vital-few theme a cross-functional team asks *why?* five times. The fifth why points at a "
           "**workflow diamond**: the decision point in an internal process (approve/reject, pass/rework) that lets "
           "a bad output reach customers. A metric on that diamond is a **leading indicator**: teams see it move "
           "before customers do.")

entries = [normalise(e) for e in ui.work("root_causes", [])]

scope_cols = list(r.segments)
s1, s2 = st.columns(2)
if scope_cols:
    ui.keep_choice("rc_scope_col", scope_cols, scope_cols[0])
    scope_col = s1.selectbox("Plans per", scope_cols, key="rc_scope_col",
                             help="Usually the business unit: each unit gets its own single-page plan.")
    values = sorted(v.frame[scope_col].dropna().astype(str).unique().tolist())
    ui.keep_choice("rc_scope", [OVERALL, *values], OVERALL)
    scope = s2.selectbox("Scope", [OVERALL, *values], key="rc_scope")
else:
    scope_col, scope = None, OVERALL

coded = ui.coded(v)
pareto = vital_few_in_scope(v.frame, coded, scope_col, scope) if coded is not None else None

# A theme chosen on the Comments page arrives prefilled with its count and three example verbatims.
drill = ui.drill()
if drill.get("theme") and drill.get("examples") is not None:
    if not any(e["theme"] == drill["theme"] and e["scope"] == scope for e in entries):
        entries.append(new_root_cause(drill["theme"], scope, drill.get("theme_count"), drill["examples"]))
        st.toast(f"Started a 5 Whys canvas for {drill['theme']}.")
    ui.set_drill(examples=None, theme_count=None)
ui.breadcrumb(("driver", "theme"))

st.subheader("Vital few", help="The themes that together first reach 80% of comment mentions, most frequent first.")
if pareto is None:
    st.info("Map a comments column on the Data page to see the vital-few themes; you can still add canvases for "
            "themes you name yourself.", icon="🧭")
    candidates = []
else:
    vital = [i for i in pareto.items if i.vital_few]
    st.markdown(ui.escape_md(f"{scope}: ") + "; ".join(
        f"**{ui.escape_md(i.theme)}** {fmt.count(i.count)} ({fmt.share(i.share)})" for i in vital)
        if vital else "No theme is mentioned in this scope.")
    praise = [i.theme for i in vital if is_praise(i.theme)]
    if praise:
        st.caption(ui.escape_md(", ".join(praise)) + (" is" if len(praise) == 1 else " are") + " praise, not a "
                   "problem: no 5 Whys is offered for it.")
    candidates = [i.theme for i in vital if i.theme not in praise
                  and not any(e["theme"] == i.theme and e["scope"] == scope for e in entries)]

a1, a2 = st.columns([3, 2])
picked = a1.multiselect("Start canvases for vital-few themes", candidates, key="rc_pick",
                        placeholder="Choose themes" if candidates else "Every vital-few theme has a canvas")
own = a2.text_input("…or name a theme", key="rc_own_theme", placeholder="e.g. Invoice errors")
if st.button("Add canvas", key="rc_add", type="primary", disabled=not (picked or own.strip())):
    for theme in picked + ([own.strip()] if own.strip() else []):
        count = next((i.count for i in pareto.items if i.theme == theme), None) if pareto else None
        examples = (theme_examples(v.frame, coded, theme, r.comments, r.loyalty, scope_col, scope)
                    if coded is not None and count else [])
        entries.append(new_root_cause(theme, scope, count, examples))
    ui.set_work("root_causes", entries)
    for key in ("rc_pick", "rc_own_theme"):
        st.session_state.pop(key, None)
    st.rerun()

shown = [e for e in entries if e["scope"] == scope or scope == OVERALL]
if not shown:
    st.info("No 5 Whys canvas yet for this scope. Start one from a vital-few theme above.", icon="✏️")

for position, entry in enumerate(shown):
    rid = entry["id"]
    with st.container(border=True):
        head = f"{entry['theme']} · {entry['scope']}"
        if entry["count"]:
            head += f" · {fmt.count(entry['count'])} mentions"
        st.markdown("#### " + ui.escape_md(head))
        for example in entry["examples"]:
            st.text("“" + example + "”")
        for i in range(N_WHYS):
            key = f"rc_{rid}_why{i}"
            st.session_state.setdefault(key, entry["whys"][i])
            entry["whys"][i] = st.text_input(f"Why {i + 1}?", key=key,
                                             placeholder="Because…" if i else f"Why do customers say “{entry['theme']}”?")
        key = f"rc_{rid}_diamond"
        st.session_state.setdefault(key, entry["diamond"])
        entry["diamond"] = st.text_area("Workflow diamond", key=key, height=68,
                                        help="The decision point in an internal process that lets the bad output "
                                             "reach customers (e.g. 'invoice released without validation').")
        c = st.columns(4)
        ind = entry["indicator"]
        fields = (("name", "Leading indicator", "e.g. % invoices passing validation first time"),
                  ("definition", "Definition", "numerator / denominator, source system"),
                  ("baseline", "Baseline", "e.g. 82%"), ("target", "Target", "e.g. 97%"),
                  ("owner", "Owner", "name or role"))
        for k, (field, label, hint) in enumerate(fields):
            key = f"rc_{rid}_{field}"
            st.session_state.setdefault(key, ind[field])
            ind[field] = c[k % 4].text_input(label, key=key, placeholder=hint)
        key = f"rc_{rid}_cadence"
        st.session_state.setdefault(key, ind["cadence"] if ind["cadence"] in CADENCES else "Weekly")
        ind["cadence"] = c[1].selectbox("Cadence", CADENCES, key=key)
        key = f"rc_{rid}_due"
        if key not in st.session_state:
            st.session_state[key] = dt.date.fromisoformat(ind["due"]) if ind["due"] else None
        due = c[2].date_input("Due date", key=key)
        ind["due"] = due.isoformat() if isinstance(due, dt.date) else ""
        gaps = missing_parts(entry)
        status = ("Ready for the plan: 5th why “" + fifth_why(entry) + "”") if not gaps else \
            "Still to fill: " + ", ".join(gaps) + "."
        st.caption(ui.escape_md(status))
        b = st.columns([1, 1, 1, 5])
        if b[0].button("↑ Up", key=f"rc_{rid}_up", disabled=position == 0):
            ui.set_work("root_causes", move(entries, rid, -1))
            st.rerun()
        if b[1].button("↓ Down", key=f"rc_{rid}_down", disabled=position == len(shown) - 1):
            ui.set_work("root_causes", move(entries, rid, +1))
            st.rerun()
        if b[2].button("Remove", key=f"rc_{rid}_remove"):
            ui.set_work("root_causes", remove(entries, rid))
            st.rerun()

ui.set_work("root_causes", entries)
if shown and Path(__file__).with_name("action_plan.py").exists():
    st.page_link(str(ui.ROOT / "pages" / "action_plan.py"), label="See them in the action plan", icon="📋")
