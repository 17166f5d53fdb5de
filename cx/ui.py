"""The one module that imports Streamlit: session state, caching, the shared filter and page frame.

Pages stay flat: they call `page_header`, read widgets, call one `cx` function through `cached`,
and draw. Expensive work is cached on what it depends on: the dataset's content hash, the roles,
the filter and the call's own arguments.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from cx import fmt
from cx.clean import Survey, inspect_survey, prepare_survey
from cx.errors import CxInputError
from cx.filters import FilterSpec, apply_filter
from cx.load import RawSurvey, read_survey
from cx.roles import Inspection, Roles

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATH = ROOT / "data" / "sample_survey.csv"
DATA_PAGE = "pages/data.py"


@dataclass(frozen=True)
class Dataset:
    """A loaded file: what was read, its column profiles, and a content hash for caching."""

    raw: RawSurvey
    inspection: Inspection
    token: str
    is_sample: bool = False


@dataclass(frozen=True)
class View:
    """The survey under the active filter."""

    survey: Survey
    frame: pd.DataFrame
    spec: FilterSpec
    key: str

    @property
    def roles(self) -> Roles:
        """The active roles."""
        return self.survey.roles

    @property
    def n(self) -> int:
        """Respondents in view."""
        return len(self.frame)

    @property
    def total(self) -> int:
        """Respondents in the file."""
        return self.survey.n_rows


# --- loading -----------------------------------------------------------------------------------


@st.cache_data(show_spinner=False, max_entries=4)
def _read_cached(data: bytes, name: str) -> tuple[RawSurvey, Inspection]:
    raw = read_survey(data, name)
    return raw, inspect_survey(raw)


def dataset_from_bytes(data: bytes, name: str, is_sample: bool = False, progress=None) -> Dataset:
    """Read and profile a file (small files through the cache; large ones once, kept in session)."""
    token = hashlib.blake2b(data, digest_size=16).hexdigest() + ":" + name
    if len(data) < 20_000_000:
        raw, inspection = _read_cached(data, name)
    else:
        raw = read_survey(data, name, progress)
        inspection = inspect_survey(raw)
    return Dataset(raw=raw, inspection=inspection, token=token, is_sample=is_sample)


def load_sample() -> Dataset:
    """The bundled sample survey."""
    return dataset_from_bytes(SAMPLE_PATH.read_bytes(), SAMPLE_PATH.name, is_sample=True)


def init_session() -> None:
    """Shared session keys, set once per session: the sample survey is loaded before any upload."""
    state = st.session_state
    if "dataset" not in state:
        set_dataset(load_sample())
    state.setdefault("filter", FilterSpec())
    state.setdefault("drill", {})


def set_dataset(ds: Dataset, roles: Roles | None = None) -> None:
    """Make a dataset current: inferred roles, filter and drill-downs cleared."""
    state = st.session_state
    state["dataset"] = ds
    state["roles"] = roles or ds.inspection.roles
    state["filter"] = FilterSpec()
    state["drill"] = {}
    for key in [k for k in state if str(k).startswith("flt_")]:
        del state[key]


def dataset() -> Dataset:
    """The current dataset."""
    return st.session_state["dataset"]


def roles() -> Roles:
    """The current roles."""
    return st.session_state["roles"]


def set_roles(new: Roles) -> None:
    """Apply a new column mapping (clears filters on columns that are no longer segments)."""
    st.session_state["roles"] = new
    spec: FilterSpec = st.session_state.get("filter", FilterSpec())
    keep = set(new.segments)
    st.session_state["filter"] = FilterSpec(tuple(s for s in spec.segments if s[0] in keep), spec.date_from,
                                            spec.date_to, spec.core_growth, tuple(s for s in spec.icp if s[0] in keep))


@st.cache_data(show_spinner=False, max_entries=8)
def _prepare_cached(token: str, roles: Roles, _ds: Dataset) -> Survey:
    return prepare_survey(_ds.raw, roles, _ds.inspection)


def survey() -> Survey:
    """The cleaned survey for the current dataset and roles."""
    ds = dataset()
    return _prepare_cached(ds.token, roles(), ds)


def view() -> View:
    """The cleaned survey under the shared filter."""
    s = survey()
    spec: FilterSpec = st.session_state.get("filter", FilterSpec())
    key = hashlib.blake2b(repr((dataset().token, s.roles, spec)).encode(), digest_size=12).hexdigest()
    frame = _filtered(key, s, spec)
    return View(survey=s, frame=frame, spec=spec, key=key)


@st.cache_data(show_spinner=False, max_entries=16)
def _filtered(key: str, _survey: Survey, spec: FilterSpec) -> pd.DataFrame:
    return apply_filter(_survey.frame, spec, _survey.roles.date)


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_call(name: str, view_key: str, args: tuple, kwargs: tuple, _fn, _frame):
    return _fn(_frame, *args, **dict(kwargs))


def cached(fn, v: View, *args, **kwargs):
    """Call ``fn(v.frame, *args, **kwargs)`` once per (view, arguments); reruns reuse the result."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached_call(name, v.key, args, tuple(sorted(kwargs.items())), fn, v.frame)


# --- page frame --------------------------------------------------------------------------------


_run = threading.local()


def frame_app() -> None:
    """Called by app.py at the top of every run: marks the run as framed and sets up the session."""
    _run.framed = True
    init_session()


def _frame_page_run() -> None:
    """Rerun through app.py when Streamlit ran a page file on its own.

    Streamlit treats a `pages/` folder as its old multipage mode until `st.navigation` is first
    called in the process, so the first visit straight to a page URL runs the page file alone.
    Switch the process to `st.navigation` mode and rerun, so app.py frames every page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def page_header(title: str, question: str) -> View:
    """Title, the one question the page answers, the sample banner and "n of N respondents"."""
    if not getattr(_run, "framed", False):
        _frame_page_run()
    _run.framed = False
    st.title(title)
    st.caption(question)
    ds = dataset()
    if ds.is_sample:
        st.info("You are looking at a sample B2B survey. Load your own export on the Data page.", icon="ℹ️")
    v = view()
    filt = "" if not v.spec.is_active else f" · filter: {v.spec.describe()}"
    st.markdown(f"**{fmt.count(v.n)} of {fmt.count(v.total)} respondents**{_escape_md(filt)}")
    return v


def require(v: View, *needed: str, what: str = "this page") -> None:
    """Stop the page with a pointer to the Data page when a role it needs is not mapped."""
    labels = {"loyalty": "the 0–10 likelihood-to-recommend (loyalty) column", "drivers": "driver rating columns",
              "comments": "a comments column", "segments": "segment columns", "revenue": "a revenue column",
              "date": "a response-date column", "customer_id": "a customer id column"}
    missing = [n for n in needed if not getattr(v.roles, n)]
    if missing:
        st.warning(f"For {what}, map {' and '.join(labels[m] for m in missing)} on the Data page.", icon="🧭")
        st.page_link(DATA_PAGE, label="Go to the Data page", icon="📥")
        st.stop()
    if v.n == 0:
        st.warning("No respondent matches the filter. Widen it in the sidebar.", icon="🔎")
        st.stop()


def _escape_md(text: str) -> str:
    """Escape markdown in text that may come from the data (column names, segment values)."""
    out = []
    for ch in text:
        if ch in "\\`*_{}[]()#+-.!|<>~$":
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


escape_md = _escape_md


def show_input_error(exc: CxInputError) -> None:
    """A clear message for bad input (never a traceback)."""
    st.error(str(exc), icon="⚠️")


# --- shared filter -----------------------------------------------------------------------------


def sidebar_filter() -> None:
    """The sidebar filter shared by every page: segment values, date range, core-growth customers."""
    s = survey()
    r = s.roles
    frame = s.frame
    with st.sidebar:
        st.subheader("Filter", help="Applies to every page and every number.")
        chosen: dict[str, list[str]] = {}
        for col in r.segments:
            options = _segment_options(dataset().token, r, col, frame)
            chosen[col] = st.multiselect(col, options, key=f"flt_seg_{col}", placeholder="All")
        date_from = date_to = None
        if r.date and frame[r.date].notna().any():
            lo, hi = _date_bounds(dataset().token, r, frame)
            picked = st.date_input("Response date", value=(lo, hi), min_value=lo, max_value=hi,
                                   key=f"flt_date_{r.date}")
            if isinstance(picked, (tuple, list)) and len(picked) == 2:
                date_from = picked[0] if picked[0] > lo else None
                date_to = picked[1] if picked[1] < hi else None
        icp: dict[str, list[str]] = {}
        core = False
        if r.segments:
            core = st.toggle("Core-growth customers only", key="flt_core",
                             help="Your ideal customer profile: the segment values you mark below.")
            with st.expander("Define core-growth customers", expanded=core and not st.session_state.get("flt_icp_set")):
                for col in r.segments:
                    options = _segment_options(dataset().token, r, col, frame)
                    icp[col] = st.multiselect(f"{col} (core-growth)", options, key=f"flt_icp_{col}",
                                              placeholder="Any")
            st.session_state["flt_icp_set"] = any(icp.values())
        spec = FilterSpec.build(chosen, date_from, date_to, core, icp)
        st.session_state["filter"] = spec
        if spec.is_active:
            st.caption(f"Active: {spec.describe()}")


@st.cache_data(show_spinner=False, max_entries=64)
def _segment_options(token: str, r: Roles, col: str, _frame: pd.DataFrame) -> list[str]:
    values = _frame[col].dropna().astype("str").unique().tolist()
    return sorted(values, key=str)


@st.cache_data(show_spinner=False, max_entries=16)
def _date_bounds(token: str, r: Roles, _frame: pd.DataFrame) -> tuple[dt.date, dt.date]:
    d = _frame[r.date].dropna()
    return d.min().date(), d.max().date()
