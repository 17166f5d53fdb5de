"""CX Workbench: from a raw customer-survey export to decisions. Run with `make run`."""

from pathlib import Path

import streamlit as st

from cx import ui

HERE = Path(__file__).parent

st.set_page_config(page_title="CX Workbench", page_icon="🧭", layout="wide")
ui.frame_app()

pages = {
    "Listen": [
        st.Page(HERE / "pages" / "data.py", title="Data", icon="📥", url_path="data"),
    ],
    "Understand": [
        st.Page(HERE / "pages" / "overview.py", title="Overview", icon="📊", url_path="overview", default=True),
    ],
}
pg = st.navigation(pages)
ui.sidebar_filter()
try:
    pg.run()
finally:
    ui.autosave()
