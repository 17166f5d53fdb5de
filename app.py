"""CX Workbench: from a raw customer-survey export to decisions. Run with `make run`."""

from pathlib import Path

import streamlit as st

from cx import ui

HERE = Path(__file__).parent

# Sections follow the method: listen → understand → act → plan → present.
PAGES = {
    "Listen": [("data.py", "Data", "📥")],
    "Understand": [("overview.py", "Overview", "📊"), ("drivers.py", "Key drivers", "🎯"),
                   ("comments.py", "Comments", "💬")],
    "Act": [("root_cause.py", "Root cause", "🔍"), ("revenue.py", "Revenue at risk", "💰"),
            ("action_plan.py", "Action plan", "📋")],
    "Plan": [("sampling.py", "Sampling", "🎲"), ("indicators.py", "Leading indicators", "📈")],
    "Present": [("present.py", "Present", "🎤")],
}

st.set_page_config(page_title="CX Workbench", page_icon="🧭", layout="wide")
ui.frame_app()

pages = {
    section: [st.Page(HERE / "pages" / file, title=title, icon=icon, url_path=file[:-3].replace("_", "-"),
                      default=file == "overview.py")
              for file, title, icon in entries if (HERE / "pages" / file).exists()]
    for section, entries in PAGES.items()
}
pg = st.navigation({section: items for section, items in pages.items() if items})
ui.sidebar_filter()
try:
    pg.run()
finally:
    ui.autosave()
