import streamlit as st

from cx import fmt, ui
from cx.charts.themes import THEME_PICK, pareto_chart, vital_few_shift_chart
from cx.drivers import bottom_box_mask
from cx.errors import CxInputError
from cx.privacy import safe_csv
from cx.sentiment import frame_sentiment
from cx.themes import (
    NPS_GROUP_FILTERS,
    add_suggestion,
    apply_codebook_edits,
    bind_coding,
    codebook_editor_table,
    codebook_to_csv,
    codebook_version,
    comments_view,
    example_verbatims,
    load_codebook,
    segment_values,
    starter_codebook,
    theme_suggestions,
    validate_codebook,
    verbatim_markdown,
    verbatims,
)

ROOT_CAUSE = ui.ROOT / "pages" / "root_cause.py"
ALL = "(all segments)"
HIGHLIGHTED = 12
LISTED = 1000
WEIGHT_LABELS = {"mentions": "Mentions", "detractor mentions": "Detractor mentions",
                 "revenue": "Revenue of the commenters", "nps impact": "NPS impact"}
WEIGHT_HELP = ("Mentions: every comment that mentions a theme counts once. Detractor mentions: only comments "
               "of detractors (0–6) count. Revenue: each comment counts the annual revenue of its account. NPS "
               "impact: the NPS points the commenters would gain if those who mention the theme scored like "
               "those who do not.")
VITAL_HELP = "The vital few: the fewest themes, largest first, that together reach 80% of the total."
ORDERS = ("detractors first", "promoters first", "original")

v = ui.page_header("Comments", "Which themes make up most of what customers say?")
ui.require(v, "comments", what="the Pareto of comment themes")
r = v.roles
ui.breadcrumb(("driver", "theme"))

for kind in ("success", "error"):
    flash = st.session_state.pop(f"comments_flash_{kind}", None)
    if flash:
        getattr(st, kind)(flash, icon="✅" if kind == "success" else "⚠️")

coded = ui.coded(v)
book = ui.codebook()
version = codebook_version(book)
if coded.skipped:
    st.warning(f"Not coded because their pattern has a problem: {ui.escape_md(', '.join(coded.skipped))}. "
               "The Problem column of the codebook below says why; every other theme is coded.", icon="⚠️")

# --- scope: NPS group, segment value, driver drill ------------------------------------------------
f1, f2, f3 = st.columns(3)
group = "all"
if r.loyalty:
    if ui.keep("comments_group", "all") not in NPS_GROUP_FILTERS:
        st.session_state["comments_group"] = "all"
    group = f1.selectbox("NPS group", NPS_GROUP_FILTERS, key="comments_group", format_func=str.capitalize,
                         help="Detractors scored 0–6, passives 7–8, promoters 9–10.")
segment = value = None
if r.segments:
    seg_options = [ALL, *r.segments]
    if ui.keep("comments_segment", ALL) not in seg_options:
        st.session_state["comments_segment"] = ALL
    picked_segment = f2.selectbox("Segment", seg_options, key="comments_segment")
    if picked_segment != ALL:
        values = ui.cached(segment_values, v, picked_segment)
        if values:
            if ui.keep("comments_segment_value", values[0]) not in values:
                st.session_state["comments_segment_value"] = values[0]
            segment = picked_segment
            value = f3.selectbox(f"{ui.escape_md(picked_segment)} value", values, key="comments_segment_value")

driver = ui.drill().get("driver")
driver_mask = None
if driver:
    if driver not in v.frame.columns:
        st.info(f"The driver {ui.escape_md(str(driver))} is not in this data: its drill is ignored.", icon="🧭")
        driver = None
    else:
        try:
            driver_mask = ui.cached(bottom_box_mask, v, driver, *(v.survey.scales.get(driver) or ()))
        except CxInputError as exc:
            ui.show_input_error(exc)
            driver = None

sentiment = ui.cached_with_progress(frame_sentiment, v, "Scoring the sentiment of every comment…", r.comments)
try:
    # The coding is bound, and identified for the cache by the codebook's version (and the scope).
    cv = ui.cached(bind_coding(comments_view, coded), v, version, loyalty_col=r.loyalty, revenue_col=r.revenue,
                   group=group, segment=segment, value=value, driver_mask=driver_mask, sentiment=sentiment)
    scope_key = (version, group, segment, value, driver)
except CxInputError as exc:
    ui.show_input_error(exc)
    st.stop()

scope_parts = []
if group != "all":
    scope_parts.append(group)
if segment:
    scope_parts.append(f"{segment} = {value}")
if driver:
    scope_parts.append(f"respondents who rated {driver} in the bottom box")
if scope_parts:
    st.caption("Scope: " + ui.escape_md(" · ".join(scope_parts)) + (
        " · detractors first" if driver else ""),
        help="Bottom box: the lowest two points of a 1–5 or 1–7 scale, 0–6 of a 0–10 scale." if driver else None)

mentions = cv.paretos["mentions"]
m1, m2, m3, m4 = st.columns(4)
m1.metric("Respondents in scope", fmt.count(cv.respondents))
m2.metric("Comments", fmt.count(cv.comments), help="Non-empty comments in scope: the base of the Pareto.")
m3.metric("Coverage", fmt.share(cv.coverage),
          help="Share of the non-empty comments that at least one theme of the codebook codes. When it is low, "
               "read the theme suggestions below and extend the codebook.")
m4.metric("Vital few", f"{len(mentions.vital_few)} of {mentions.themes_with_mentions} themes", help=VITAL_HELP)
for note in cv.notes:
    st.caption(ui.escape_md(note))

# --- Pareto -------------------------------------------------------------------------------------------
if cv.comments == 0 or not mentions.items:
    st.info("No comment in this scope mentions a theme. Widen the scope above or the filter in the sidebar, or "
            "extend the codebook below.", icon="🔎")
else:
    st.markdown(f"**{len(mentions.vital_few)} of {mentions.themes_with_mentions} themes make up "
                f"{fmt.share(mentions.vital_few_share)} of mentions:** "
                + ", ".join(ui.escape_md(t) for t in mentions.vital_few) + ".")

    weightings = tuple(cv.paretos)
    if ui.keep("comments_weighting", "mentions") not in weightings:
        st.session_state["comments_weighting"] = "mentions"
    weighting = st.radio("Weight the themes by", weightings, key="comments_weighting", horizontal=True,
                         format_func=WEIGHT_LABELS.get, help=WEIGHT_HELP)
    pareto = cv.paretos[weighting]
    pareto_state = ui.chart(
        # n is the scope's non-empty comments (the chart's "of N" would say respondents, so it is left out)
        pareto_chart, pareto, f"Pareto of comment themes, by {WEIGHT_LABELS[weighting].lower()}",
        key="comments_pareto", on_select="rerun")
    if weighting != "mentions":
        st.caption(f"Vital few by {WEIGHT_LABELS[weighting].lower()}: "
                   + (", ".join(ui.escape_md(t) for t in pareto.vital_few) or "none") + ".")

    with st.expander("How the vital few shift between weightings", expanded=len(weightings) > 1):
        shift_state = ui.chart(vital_few_shift_chart, cv.shift, key="comments_shift", on_select="rerun")
        st.dataframe(cv.shift.summary(), hide_index=True, width="stretch", key="comments_shift_table",
                     column_config={"weighting": "Weighting", "vital_few": "Vital few",
                                    "enters": "Enters (vs mentions)", "leaves": "Leaves (vs mentions)",
                                    "n_vital": st.column_config.NumberColumn("Vital themes", format="%d")})

    # A click on either chart selects the theme (once per new click, so the selectbox stays usable).
    for chart_key, state in (("comments_pareto", pareto_state), ("comments_shift", shift_state)):
        picks = (state.selection.get(THEME_PICK) if state else None) or []
        pick = picks[0].get("theme") if picks else None
        if pick and pick != st.session_state.get(f"{chart_key}_last_pick"):
            ui.set_drill(theme=pick)
        st.session_state[f"{chart_key}_last_pick"] = pick

    st.subheader("Pareto table", help=VITAL_HELP)
    st.dataframe(cv.table(weighting, percent=True), hide_index=True, width="stretch", key="comments_pareto_table", column_config={
        "theme": "Theme",
        "count": st.column_config.NumberColumn("Comments", format="%d"),
        "weight": st.column_config.NumberColumn(WEIGHT_LABELS[weighting],
                                                format="dollar" if weighting == "revenue" else "%.1f"),
        "share": st.column_config.NumberColumn("Share", format="%.0f%%"),
        "cumulative_share": st.column_config.NumberColumn("Cumulative share", format="%.0f%%"),
        "vital_few": st.column_config.CheckboxColumn("Vital few", help=VITAL_HELP),
        "net_sentiment": st.column_config.NumberColumn(
            "Net sentiment", format="%+.0f",
            help="Share of positive minus share of negative comments of the theme, −100 to +100 (offline "
                 "VADER lexicon; English)."),
    })
    table = cv.table(weighting)
    st.download_button("Download the Pareto table (CSV)", lambda: safe_csv(table), file_name="comment_themes_pareto.csv",
                       mime="text/csv", key="comments_pareto_csv")

    # --- verbatims of one theme -------------------------------------------------------------------
    st.subheader("Verbatims", help="The comments behind a theme. Click a bar of the Pareto or pick the theme here.")
    options = list(cv.themes_mentioned)
    wanted = ui.drill().get("theme")
    st.session_state["comments_theme"] = wanted if wanted in options else None

    def _theme_picked() -> None:
        ui.set_drill(theme=st.session_state.get("comments_theme"))

    theme = st.selectbox("Theme", options, key="comments_theme", on_change=_theme_picked,
                         placeholder="Pick a theme, or click a bar of the Pareto",
                         format_func=lambda t: f"{t} ({fmt.count(cv.count(t))} comments)")
    if wanted and wanted not in options:
        st.info(f"No comment in this scope mentions {ui.escape_md(str(wanted))}.", icon="🔎")
    if theme:
        o1, o2 = st.columns([1, 2])
        # Deliberately not kept with the workspace: personal data is masked again on every visit.
        unmask = o1.toggle("Show personal data", value=False, key="comments_unmask",
                           help="E-mail addresses, phone numbers and long digit runs are masked by default. "
                                "Downloads stay masked.")
        if driver:
            order = "detractors first"
            o2.caption("Detractors first: you came here from a driver's low raters.")
        else:
            if ui.keep("comments_order", "detractors first") not in ORDERS:
                st.session_state["comments_order"] = "detractors first"
            order = o2.radio("Order", ORDERS, key="comments_order", horizontal=True, format_func=str.capitalize)
        n_theme = cv.count(theme)
        verb = ui.cached(bind_coding(verbatims, cv.scope), v, scope_key, theme, r.comments, r.loyalty,
                         tuple(r.segments), order, mask_personal=not unmask, limit=LISTED, sentiment=sentiment)
        st.markdown(f"**{fmt.count(n_theme)} comments mention {ui.escape_md(theme)}.** Matched words in bold; the "
                    f"first {min(HIGHLIGHTED, n_theme)} below, "
                    + ("all of them in the table." if n_theme <= LISTED else
                       f"the first {fmt.count(LISTED)} in the table, all of them in the download."))
        st.markdown("\n".join(verbatim_markdown(verb, cv.scope, ui.escape_md, theme=theme, segment_cols=r.segments,
                                                limit=HIGHLIGHTED)))
        st.dataframe(verb, hide_index=True, width="stretch", key="comments_verbatims", column_config={
            "comment": st.column_config.TextColumn("Comment", width="large"),
            "score": st.column_config.NumberColumn("Score", format="%d"),
            "nps_group": "NPS group", "sentiment": "Sentiment", "matched_words": "Matched words",
            "themes": "All themes"})
        d1, d2 = st.columns(2)
        frame, scope, segments = v.frame, cv.scope, tuple(r.segments)
        d1.download_button("Download these verbatims (CSV, personal data masked)",
                           lambda: safe_csv(verbatims(frame, scope, theme, r.comments, r.loyalty, segments, order,
                                                      mask_personal=True, sentiment=sentiment)),
                           file_name="verbatims.csv", mime="text/csv", key="comments_verbatims_csv")
        if d2.button("Start 5 Whys for this theme", key="comments_five_whys", type="primary",
                     help="Opens Root cause with this theme, its count and three example comments."):
            came_from = ui.drill().get("from")
            ui.set_drill(theme=theme, theme_count=int(n_theme),
                         examples=ui.cached(bind_coding(example_verbatims, cv.scope), v, scope_key, theme,
                                            r.comments, r.loyalty),
                         **{"from": "Comments" if not came_from or came_from.endswith("Comments")
                            else f"{came_from} → Comments"})
            if ROOT_CAUSE.exists():
                st.switch_page(ROOT_CAUSE)
            st.info("The Root cause page is not available yet: the theme, its count and three examples are kept "
                    "for it.", icon="🧭")

# --- codebook -------------------------------------------------------------------------------------------
st.subheader("Codebook", help="Each theme codes the comments in which its pattern occurs: a case-insensitive "
             "regular expression (| means or, \\b a word boundary). A comment may mention several themes.")
edited = st.data_editor(
    codebook_editor_table(book, coded), key=f"comments_codebook_{version}", num_rows="dynamic", hide_index=True,
    width="stretch", disabled=["comments", "problem"],
    column_config={
        "merge": st.column_config.CheckboxColumn("Merge", help="Tick two or more themes, then Merge ticked themes."),
        "theme": st.column_config.TextColumn("Theme"),
        "pattern": st.column_config.TextColumn("Pattern", width="large",
                                               help="Case-insensitive regular expression, e.g. invoice|billing"),
        "parent": st.column_config.TextColumn("Parent", help="Optional group of themes."),
        "comments": st.column_config.NumberColumn("Comments", format="%d", help="Comments it codes in the view."),
        "problem": st.column_config.TextColumn("Problem", width="large"),
    })
pending = apply_codebook_edits(book, edited)
b1, b2, b3 = st.columns([1, 2, 1])
if codebook_version(pending) != version:
    b1.caption("Unsaved changes.")
    pending_problems = validate_codebook(pending)
    if len(pending_problems):
        st.dataframe(pending_problems, column_order=["theme", "problem"], hide_index=True, width="stretch",
                     key="comments_codebook_pending_problems",
                     column_config={"theme": "Theme (unsaved)", "problem": "Problem"})
if b1.button("Apply changes", key="comments_codebook_apply", type="primary",
             help="Save the codebook and re-code every comment."):
    ui.set_codebook(pending)
    st.session_state["comments_flash_success"] = "Codebook saved: comments re-coded."
    st.rerun()
ui.keep("comments_merge_name", "")
merge_name = b2.text_input("Name of the merged theme", key="comments_merge_name",
                           placeholder="Default: the first ticked theme")
if b3.button("Merge ticked themes", key="comments_codebook_merge"):
    try:
        merged = apply_codebook_edits(book, edited, merge=True, into=merge_name.strip() or None)
    except CxInputError as exc:
        ui.show_input_error(exc)
    else:
        ui.set_codebook(merged)
        st.session_state["comments_flash_success"] = "Themes merged: comments re-coded."
        st.rerun()

c1, c2, c3 = st.columns(3)
upload = c1.file_uploader("Import a codebook (CSV with theme,pattern)", type=["csv", "txt"],
                          key="comments_codebook_upload")
if upload is not None and st.session_state.get("comments_codebook_loaded") != upload.file_id:
    st.session_state["comments_codebook_loaded"] = upload.file_id
    try:
        imported = load_codebook(upload.getvalue())
    except CxInputError as exc:
        st.session_state["comments_flash_error"] = ui.escape_md(f"{exc} The codebook in use is unchanged.")
    else:
        ui.set_codebook(imported)
        st.session_state["comments_flash_success"] = ("Imported " + fmt.count(len(imported))
                                                       + " codebook rows from " + ui.escape_md(upload.name) + ".")
    st.rerun()
c2.download_button("Export the codebook (CSV)", codebook_to_csv(book), file_name="codebook.csv", mime="text/csv",
                   key="comments_codebook_csv")
with c3.popover("Reset to the starter codebook"):
    st.caption("Replaces your codebook with the built-in one. Export yours first to keep it.")
    if st.button("Reset the codebook", key="comments_codebook_reset"):
        ui.set_codebook(starter_codebook())
        st.session_state["comments_flash_success"] = "Codebook reset to the starter codebook."
        st.rerun()

# --- suggestions ----------------------------------------------------------------------------------------
st.subheader("Theme suggestions", help="Frequent phrases of the comments no theme codes yet, that are rarer in "
             "coded comments. The same comments always give the same suggestions.")
suggestions = ui.cached(bind_coding(theme_suggestions, cv.scope), v, scope_key, r.comments, top=10)
if suggestions.empty:
    st.caption("Every comment in scope is coded, or no phrase recurs among the uncoded ones: nothing to suggest.")
for row in suggestions.to_dict("records"):
    s1, s2, s3 = st.columns([2, 6, 1])
    s1.markdown(f"**{ui.escape_md(row['phrase'])}**  \n{fmt.count(row['count'])} uncoded comments")
    s2.text("\n".join(row["examples"]))
    if s3.button("Add", key=f"comments_suggest_{row['phrase']}", help=f"Add a theme coding {row['pattern']}"):
        ui.set_codebook(add_suggestion(ui.codebook(), row["phrase"], row["pattern"]))
        st.session_state["comments_flash_success"] = ("Added the theme " + ui.escape_md(row["phrase"])
                                                       + " to the codebook.")
        st.rerun()
