from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
REAL = SHARED / "data" / "real"
REFERENCE = SHARED / "data" / "reference"
SAMPLE = ROOT / "data" / "sample_survey.csv"
APP = str(ROOT / "tests" / "app_entry.py")

sys.path.insert(0, str(Path(__file__).resolve().parent))
# Tests see full error details (the app itself redacts them for users).
os.environ.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")


@pytest.fixture(autouse=True)
def full_error_details():
    from streamlit import config

    config.set_option("client.showErrorDetails", "full")
    yield


@pytest.fixture(scope="session")
def shapes_dir(tmp_path_factory) -> Path:
    """Every export shape of tests/survey_shapes.py written to disk once."""
    from survey_shapes import SHAPES

    folder = tmp_path_factory.mktemp("shapes")
    for name, make in SHAPES.items():
        (folder / name).write_bytes(make())
    return folder


def needs_shared(path: Path):
    """Skip when ../shared (the real public files) is not beside the project."""
    return pytest.mark.skipif(not path.exists(), reason=f"{path} is not available")


@pytest.fixture(autouse=True, scope="session")
def workspace_db(tmp_path_factory):
    """Workspaces of the test run go to a temporary database, never the user's."""
    import os

    path = tmp_path_factory.mktemp("workspaces") / "ws.sqlite"
    os.environ["CX_WORKBENCH_DB"] = str(path)
    yield path


@pytest.fixture(autouse=True)
def clear_caches():
    """`st.cache_data` is shared by every AppTest of a run: each test starts and ends with it empty."""
    import streamlit as st

    st.cache_data.clear()
    yield
    st.cache_data.clear()


def open_app(page: str | None = None, timeout: float = 120, at=None):
    """Run the app (AppTest) from its entry, then switch to ``pages/<page>.py``; no exception allowed."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(APP, default_timeout=timeout) if at is None else at
    at.run()
    assert not at.exception, at.exception
    if page:
        at.switch_page(f"../pages/{page}.py")
        at.run()
        assert not at.exception, at.exception
    return at


def plain(markdown: str) -> str:
    """What escaped markdown shows: backslash escapes resolved, invisible word joiners dropped."""
    import re

    return re.sub(r"\\(.)", r"\1", markdown.replace("\u2060", ""))


def shown_table(at, first_column: str):
    """The table `ui.static_table` drew whose first header is ``first_column``: cells as shown (escapes resolved)."""
    import pandas as pd

    def cells(line: str) -> list[str]:
        out, cell, chars = [], "", iter(line.strip()[1:])
        for ch in chars:
            if ch == "\\":
                cell += ch + next(chars, "")
            elif ch == "|":
                out.append(plain(cell.strip()))
                cell = ""
            else:
                cell += ch
        return out

    for m in at.markdown:
        lines = m.value.splitlines()
        if len(lines) >= 2 and lines[0].startswith("| ") and set(lines[1]) <= set("|- "):
            rows = [cells(line) for line in lines]
            if rows[0][0] == first_column:
                return pd.DataFrame(rows[2:], columns=rows[0])
    raise AssertionError(f"no table headed {first_column!r}")
