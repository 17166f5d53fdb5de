import datetime as dt

import streamlit as st

from cx import fmt, ui
from cx.charts.story import for_screen
from cx.deck import deck_file_name, storyline_pdf, storyline_pptx
from cx.plan import MONEY_KEYS, money_settings
from cx.rootcause import OVERALL
from cx.story import (
    GLOSSARY,
    REVENUE_KEYS,
    SCREEN_SIZES,
    SCREENS,
    build_storyline,
    build_with_coding,
    chart_height,
    revenue_basis,
)
from cx.themes import bind_coding, codebook_version

DATA_PAGE = ui.ROOT / "pages" / "data.py"
PAGE_FOR = {"why": ("root_cause.py", "Root cause", "🔍"), "plan": ("root_cause.py", "Root cause", "🔍"),
            "money": ("revenue.py", "Revenue at risk", "💰"), "themes": ("comments.py", "Comments", "💬")}
TERMS = {"nps": ("NPS", "interval", "significant"), "drivers": ("importance", "R²"), "themes": ("vital few",),
         "why": ("workflow diamond",), "money": ("CLV",), "plan": ("leading indicator",)}
PREVIEW_HEIGHT = 360
CONVERT_TO = {"passives": "passive", "promoters": "promoter"}
MODE_HELP = ("One screen at a time in large type, app controls hidden. Move with the Previous / Next buttons or the "
             "← and → keys; turn it off to see the whole storyline, the screen size and the deck downloads.")

# Static CSS written here (no data in it): in presentation mode, large type and no app chrome, so the
# screen looks like a slide. Every piece of data text is drawn by st.markdown after ui.escape_md.
PRESENTATION_CSS = """
<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"],
.st-key-present_header, .st-key-present_clicker { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.75rem 2.5rem 0.5rem 2.5rem !important; max-width: 100% !important; }
.st-key-present_title h2 { font-size: 2.3rem !important; padding: 0.1rem 0 0 0 !important; }
.st-key-present_takeaway p { font-size: 1.55rem !important; line-height: 1.35 !important; color: #0F3B5F; }
.st-key-present_side [data-testid="stMarkdown"] p { font-size: 1.05rem !important; }
.st-key-present_side [data-testid="stMetricValue"] { font-size: 2.1rem !important; }
.st-key-present_side [data-testid="stMetricLabel"] p { font-size: 1rem !important; }
.st-key-present_counter p { font-size: 1rem !important; color: #5F6368; margin-top: 0.35rem; }
</style>
"""

with st.container(key="present_header"):
    v = ui.page_header("Present", "The story for an offsite, one insight per screen in the method's order: where "
                       "we stand, what moves it, what customers say, why, what it is worth, what we will do.")
ui.require(v, what="the storyline")
r = v.roles

presenting = bool(ui.keep("present_mode", False))
ui.keep("present_index", 0)
sizes = list(SCREEN_SIZES)
if ui.keep("present_screen_size", sizes[0]) not in sizes:
    st.session_state["present_screen_size"] = sizes[0]
ui.keep("present_convert_to", "passives")
if st.session_state["present_convert_to"] not in CONVERT_TO:
    st.session_state["present_convert_to"] = "passives"
# The what-if starts where the Revenue at risk page left it.
ui.keep("present_convert_share", ui.keep("revenue_convert_share", 10))

# --- the storyline (cached per filtered view and inputs) ---------------------------------------------
clv, currency = money_settings({key: ui.keep(key, default) for key, default in MONEY_KEYS.items()})
basis, basis_note = revenue_basis(
    r, {key: ui.keep(key, default) for key, default in REVENUE_KEYS.items()},
    {"revenue_assumed_per_segment": ui.work("revenue_assumed_per_segment", {}),
     "revenue_base_size": ui.work("revenue_base_size", {})}, v.spec)
options = dict(root_causes=list(ui.work("root_causes", [])), plan_fields=(ui.work("plan", {}) or {}).get(OVERALL),
               revenue=basis, assumptions=clv, currency=currency, revenue_note=basis_note, total=v.total,
               source=ui.dataset().raw.source, filter_text=v.spec.describe() if v.spec.is_active else "",
               as_of=dt.date.today().isoformat(), outcome_scale=v.survey.scales.get(r.outcome))
coded = ui.coded(v)
if coded is not None:
    story = ui.cached(bind_coding(build_with_coding, coded), v, codebook_version(ui.codebook()), r, **options)
else:
    story = ui.cached(build_storyline, v, r, **options)
share = int(st.session_state["present_convert_share"] or 0)
story = story.with_what_if(share / 100, CONVERT_TO[st.session_state["present_convert_to"]])
index = min(max(int(st.session_state["present_index"] or 0), 0), len(story) - 1)
st.session_state["present_index"] = index


def step(delta: int) -> None:
    st.session_state["present_index"] = min(max(int(st.session_state.get("present_index") or 0) + delta, 0),
                                            len(SCREENS) - 1)


def restore(key: str) -> None:
    """Hand a saved value to a widget that was not drawn on the previous run.

    Streamlit forgets a widget's value in the browser while the widget is not drawn (another screen
    is shown); assigning the saved value again before drawing it makes the browser show that value
    instead of the widget's default.
    """
    st.session_state[key] = st.session_state[key]


def what_if_controls() -> None:
    restore("present_convert_share")
    restore("present_convert_to")
    st.slider("Detractors won back", 0, 100, step=5, key="present_convert_share", format="%d%%",
              help="What if this share of detractors became passives (or promoters)? Pure arithmetic on the "
                   "revenue above: the takeaway, the numbers and the waterfall follow the slider.")
    st.radio("They become", list(CONVERT_TO), key="present_convert_to", horizontal=True)


def draw(screen, *, chart_key: str, height: int | None, large: bool) -> None:
    """One screen: title, takeaway, chart beside its big numbers and points, base and scope."""
    terms = " ".join(GLOSSARY[t] for t in TERMS.get(screen.key, ()))
    with st.container(key="present_title" if large else None):
        (st.header if large else st.subheader)(ui.escape_md(screen.title), help=terms or None, anchor=False)
    with st.container(key="present_takeaway" if large else None):
        st.markdown(ui.escape_md(screen.takeaway) if large else "**" + ui.escape_md(screen.takeaway) + "**")
    if screen.missing:
        st.warning(ui.escape_md(screen.missing), icon="🧭")
        if "Data page" in screen.missing:
            st.page_link(DATA_PAGE, label="Go to the Data page", icon="📥")
        elif screen.key in PAGE_FOR and (ui.ROOT / "pages" / PAGE_FOR[screen.key][0]).exists():
            file, label, icon = PAGE_FOR[screen.key]
            st.page_link(ui.ROOT / "pages" / file, label=f"Go to the {label} page", icon=icon)
    left, right = st.columns([7, 3], gap="medium")
    with left:
        if screen.chart is not None:
            chart = for_screen(screen.chart, height) if height else screen.chart
            ui.show_chart(chart, key=chart_key)
    with right, st.container(key="present_side" if large else None):
        if screen.key == "money" and story.clv is not None:
            what_if_controls()
        grid = st.columns(2) if large and len(screen.figures) > 2 else [st.container()]
        for k, fig in enumerate(screen.figures):
            grid[k % len(grid)].metric(fig.label, fig.value, help=fig.help or None)
        for quote in screen.quotes:
            st.markdown("> " + ui.escape_md(quote))
        points = screen.points if not large else ()
        for point in points:
            st.markdown("- " + ui.escape_md(point))
    if large and screen.points:
        with st.expander("Speaker notes"):
            st.markdown("\n".join("- " + ui.escape_md(p) for p in screen.points))
    base = f"Base: {screen.base} · " if screen.base else ""
    st.caption(ui.escape_md(base + story.scope))


if presenting:
    st.html(PRESENTATION_CSS)
    screen = story[index]
    c = st.columns([5, 1.3, 1.3, 1.6], vertical_alignment="center")
    with c[0], st.container(key="present_counter"):
        st.markdown(ui.escape_md(f"{index + 1} / {len(story)} · {screen.step}")
                    + (ui.escape_md(f" · filter: {v.spec.describe()}") if v.spec.is_active else ""))
    c[1].button("Previous", key="present_prev", on_click=step, args=(-1,), disabled=index == 0,
                shortcut="Left", width="stretch")
    c[2].button("Next", key="present_next", on_click=step, args=(1,), disabled=index == len(story) - 1,
                shortcut="Right", width="stretch", type="primary")
    c[3].toggle("Presentation mode", key="present_mode", help=MODE_HELP)
    with st.container(key="present_clicker"):
        # Presenter remotes send Page Down / Page Up: the same steps, on buttons hidden by the CSS above.
        st.button("Next screen", key="present_next_page", on_click=step, args=(1,), shortcut="PageDown")
        st.button("Previous screen", key="present_prev_page", on_click=step, args=(-1,), shortcut="PageUp")
    _, screen_h = SCREEN_SIZES[st.session_state["present_screen_size"]]
    extra = 40 if len(screen.takeaway) > 190 else 0  # a third line of takeaway at 1366 px
    if screen.missing:
        extra += 110
    draw(screen, chart_key=f"present_chart_{screen.key}", height=chart_height(screen_h, extra=extra), large=True)
else:
    c = st.columns([1.2, 1.6, 1, 1], vertical_alignment="bottom")
    c[0].toggle("Presentation mode", key="present_mode", help=MODE_HELP)
    restore("present_screen_size")
    c[1].selectbox("Screen", sizes, key="present_screen_size",
                   help="Charts are sized so that none is scrolled out of view on this screen.")
    c[2].download_button("Deck (PDF)", data=lambda: storyline_pdf(story), file_name=deck_file_name(story, "pdf"),
                         mime="application/pdf", key="present_dl_pdf", icon="📄", on_click="ignore",
                         help="One landscape page per screen: takeaway, chart, numbers and notes.")
    c[3].download_button(
        "Deck (PPTX)", data=lambda: storyline_pptx(story), file_name=deck_file_name(story, "pptx"),
        mime="application/vnd.openxmlformats-officedocument.presentationml.presentation", key="present_dl_pptx",
        icon="📊", on_click="ignore", help="One slide per screen, the points as speaker notes.")
    st.caption(ui.escape_md(f"{len(story)} screens · {story.scope} · {fmt.count(sum(s.ready for s in story))} "
                            "ready to present. Every chart downloads as PNG and SVG."))
    for k, screen in enumerate(story, start=1):
        st.divider()
        st.caption(ui.escape_md(f"{k} / {len(story)} · {screen.step}"))
        draw(screen, chart_key=f"present_preview_{screen.key}", height=None, large=False)
