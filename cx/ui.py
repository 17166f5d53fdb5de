"""The one module that imports Streamlit: session state, caching, the shared filter and page frame.

Pages stay flat: they call `page_header`, read widgets, call one `cx` function through `cached`,
and draw. Expensive work is cached on what it depends on: the dataset's content hash, the roles,
the filter and the call's own arguments.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
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
from cx.workspace import SAMPLE, WorkspaceStore, new_id

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_PATH = ROOT / "data" / "sample_survey.csv"
DATA_PAGE = ROOT / "pages" / "data.py"


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
    """Shared session keys, set once per session.

    The workspace named in the URL (``?desk=...&ws=...``) is restored: its file, column roles and
    every saved widget value and piece of work. Without one, a new workspace opens on the sample
    survey, so every page shows results before any upload.
    """
    state = st.session_state
    if "dataset" in state:
        return
    state["work"] = {}
    state["_saved"] = {}
    store = workspace_store()
    params = st.query_params
    desk = params.get("desk") or new_id()
    wid = params.get("ws")
    loaded = store.load(wid) if wid else None
    if loaded is not None:
        store.add_to_desk(desk, wid)
        _restore(loaded)
    else:
        set_dataset(load_sample())
        wid = store.create(desk, _default_name(), SAMPLE_PATH.name)
    state["ws_id"], state["ws_desk"] = wid, desk
    state["_ws_last"] = None
    st.query_params.update({"desk": desk, "ws": wid})


def _default_name() -> str:
    return "Workspace " + dt.datetime.now().strftime("%Y-%m-%d %H:%M")


@st.cache_resource(show_spinner=False)
def workspace_store() -> WorkspaceStore:
    """The process-wide workspace database ($CX_WORKBENCH_DB or the user's data folder)."""
    return WorkspaceStore()


def _restore(ws: dict) -> None:
    """Put a stored workspace into the session: dataset, roles, saved widget values, work."""
    state = st.session_state
    settings = ws.get("settings") or {}
    ds = None
    if ws["file_sha"] != SAMPLE:
        stored = workspace_store().get_file(ws["file_sha"])
        if stored is not None:
            try:
                ds = dataset_from_bytes(stored[1], stored[0])
            except CxInputError:
                ds = None
    ds = ds or load_sample()
    ps = (settings.get("work") or {}).get("post_stratification") or {}
    roles = _roles_from_dict(settings.get("roles"), ds, extra={ps.get("name")} - {None})
    set_dataset(ds, roles)
    state["_saved"] = {k: _decode(v) for k, v in (settings.get("keys") or {}).items()}
    state["work"] = settings.get("work") or {}
    for key, value in state["_saved"].items():
        state[key] = value


def _roles_from_dict(d: dict | None, ds: Dataset, extra: set[str] = frozenset()) -> Roles | None:
    if not d:
        return None
    cols = set(map(str, ds.raw.frame.columns)) | set(extra)
    ok = {k: v for k, v in d.items() if k in Roles.__dataclass_fields__}
    for k in ("drivers", "segments"):
        ok[k] = tuple(c for c in ok.get(k) or () if c in cols)
    for k, v in list(ok.items()):
        if k not in ("drivers", "segments") and v is not None and v not in cols:
            ok[k] = None
    return Roles(**ok)


def switch_workspace(wid: str) -> None:
    """Open another workspace of this desk in this session."""
    ws = workspace_store().load(wid)
    if ws is None:
        raise CxInputError("That workspace no longer exists.")
    for key in [k for k in st.session_state if k in PERSISTED or str(k).startswith("flt_")]:
        del st.session_state[key]
    _restore(ws)
    st.session_state["ws_id"] = wid
    st.session_state["_ws_last"] = None
    st.query_params["ws"] = wid


def new_workspace() -> None:
    """Start a new workspace on the sample survey (this desk)."""
    for key in [k for k in st.session_state if k in PERSISTED or str(k).startswith("flt_")]:
        del st.session_state[key]
    st.session_state["_saved"] = {}
    st.session_state["work"] = {}
    set_dataset(load_sample())
    wid = workspace_store().create(st.session_state["ws_desk"], _default_name(), SAMPLE_PATH.name)
    st.session_state["ws_id"] = wid
    st.session_state["_ws_last"] = None
    st.query_params["ws"] = wid


def use_dataset(ds: Dataset, data: bytes) -> None:
    """Make an uploaded file current and store it in the workspace."""
    set_dataset(ds)
    store = workspace_store()
    sha = store.put_file(ds.raw.source, data)
    store.set_file(st.session_state["ws_id"], sha, ds.raw.source)


def use_sample() -> None:
    """Go back to the sample survey in this workspace."""
    set_dataset(load_sample())
    workspace_store().set_file(st.session_state["ws_id"], SAMPLE, SAMPLE_PATH.name)


def current_workspace() -> dict:
    """The open workspace's record: id, name, source, timestamps."""
    return workspace_store().load(st.session_state["ws_id"]) or {"id": st.session_state["ws_id"], "name": ""}


def desk_workspaces():
    """The workspaces on this desk (`cx.workspace.WorkspaceInfo`), most recent first."""
    return workspace_store().list_desk(st.session_state["ws_desk"])


def rename_workspace(name: str) -> None:
    """Rename the open workspace."""
    workspace_store().rename(st.session_state["ws_id"], name)


def delete_workspace(wid: str) -> None:
    """Delete a workspace; deleting the open one opens a new workspace on the sample."""
    workspace_store().delete(wid)
    if wid == st.session_state["ws_id"]:
        new_workspace()


def export_workspace() -> bytes:
    """The open workspace as one .cxw file (data plus settings), saved first."""
    autosave()
    return workspace_store().export_bytes(st.session_state["ws_id"])


def import_workspace(data: bytes) -> None:
    """Open a .cxw file as a new workspace on this desk."""
    wid = workspace_store().import_bytes(st.session_state["ws_desk"], data)
    switch_workspace(wid)


def bundled_table(path: Path) -> pd.DataFrame:
    """A table file shipped in data/ (demo customer base, demo metrics), read once per session."""
    from cx.load import read_table

    return _session_memo("bundled", str(path), lambda: read_table(path.read_bytes(), path.name), keep=4)


def uploaded_table(key: str, label: str, help: str, reader, work_name: str):
    """A file upload kept with the workspace: read once, restored after a refresh or a restart.

    ``reader(bytes, name)`` returns a DataFrame or raises `CxInputError`, whose message is shown while the
    table read before stays in use. Returns (file name, frame), or None before any upload.
    """
    state = st.session_state
    table_key = f"_{key}_table"
    upload = st.file_uploader(label, key=key, help=help)
    if upload is not None and state.get(f"{key}_id") != upload.file_id:
        state[f"{key}_id"] = upload.file_id
        try:
            frame = reader(upload.getvalue(), upload.name)
        except CxInputError as exc:
            state[f"{key}_error"] = str(exc)
        else:
            state.pop(f"{key}_error", None)
            state[table_key] = (upload.name, frame)
            sha = workspace_store().put_file(upload.name, upload.getvalue())
            set_work(work_name, {"sha": sha, "name": upload.name})
    saved = state.get("work", {}).get(work_name)
    if table_key not in state and saved:
        stored = workspace_store().get_file(saved.get("sha", ""))
        if stored is not None:
            with contextlib.suppress(CxInputError):
                state[table_key] = (stored[0], reader(stored[1], stored[0]))
    if state.get(f"{key}_error"):
        st.error(state[f"{key}_error"], icon="⚠️")
    return state.get(table_key)


PERSISTED: set[str] = set()


def keep(key: str, default=None):
    """Declare a widget key whose value is saved with the workspace; return its initial value.

    Call before creating the widget with ``key=key`` and no default of its own. The value
    survives page switches (Streamlit forgets widgets that are not drawn), refreshes and restarts.
    """
    PERSISTED.add(key)
    state = st.session_state
    if key not in state:
        state[key] = state.get("_saved", {}).get(key, default)
    return state[key]


def drill() -> dict:
    """The current drill-down: e.g. {"driver": "Billing accuracy", "theme": "Billing errors", "from": "Key drivers"}."""
    return st.session_state.setdefault("drill", {})


def set_drill(**selection) -> None:
    """Set (or, with None values, clear) parts of the drill-down that leads from page to page."""
    d = drill()
    for key, value in selection.items():
        if value is None:
            d.pop(key, None)
        else:
            d[key] = value


def breadcrumb(keys: tuple[str, ...] = ("driver", "theme")) -> None:
    """Where the current selection came from, with one click to clear it."""
    d = drill()
    parts = [f"{k}: {d[k]}" for k in keys if d.get(k)]
    if not parts:
        return
    c1, c2 = st.columns([5, 1])
    c1.caption("Drill-down · " + " → ".join(parts) + (f" (from {d['from']})" if d.get("from") else ""))
    if c2.button("Clear selection", key=f"drill_clear_{'_'.join(keys)}"):
        for k in keys:
            d.pop(k, None)
        st.rerun()


def keep_choice(key: str, options: list, default):
    """A saved single choice (see `keep`) that is still one of the options, else the default; returns it."""
    keep(key, default)
    if st.session_state[key] not in options:
        st.session_state[key] = default if default in options or not options else options[0]
    return st.session_state[key]


def keep_choices(key: str, options: list, default: list) -> list:
    """A saved multiselect value (see `keep`) restricted to the options that still exist; returns it."""
    keep(key, list(default))
    current = st.session_state[key]
    fallback = [c for c in default if c in options]
    if not isinstance(current, list):
        st.session_state[key] = fallback
    else:
        kept = [c for c in current if c in options]
        st.session_state[key] = kept if kept or not current else fallback
    return st.session_state[key]


def work(name: str, default=None):
    """A piece of the user's work (5 Whys, plan fields, codebook...), saved with the workspace."""
    return st.session_state["work"].setdefault(name, default)


def set_work(name: str, value) -> None:
    """Replace a piece of the user's work."""
    st.session_state["work"][name] = value


def autosave() -> None:
    """Save the workspace when anything changed since the last save (called at the end of every run)."""
    state = st.session_state
    if "ws_id" not in state or "dataset" not in state:
        return
    saved = state.setdefault("_saved", {})
    for key in PERSISTED | {k for k in state if str(k).startswith("flt_")}:
        if key in state:
            saved[key] = state[key]
    doc = {"roles": roles().to_dict(), "keys": {k: _encode(v) for k, v in saved.items()},
           "work": state.get("work", {})}
    text = json.dumps(doc, sort_keys=True, default=str)
    if text != state.get("_ws_last"):
        workspace_store().save_settings(state["ws_id"], json.loads(text))
        state["_ws_last"] = text


def _encode(value):
    if isinstance(value, dt.datetime):
        return {"__datetime__": value.isoformat()}
    if isinstance(value, dt.date):
        return {"__date__": value.isoformat()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _decode(value):
    if isinstance(value, dict):
        if set(value) == {"__date__"}:
            return dt.date.fromisoformat(value["__date__"])
        if set(value) == {"__datetime__"}:
            return dt.datetime.fromisoformat(value["__datetime__"])
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        decoded = [_decode(v) for v in value]
        return tuple(decoded) if decoded and all(isinstance(v, dt.date) for v in decoded) else decoded
    return value


def set_dataset(ds: Dataset, roles: Roles | None = None) -> None:
    """Make a dataset current: its roles (inferred unless given); filter and drill-downs cleared."""
    state = st.session_state
    state["dataset"] = ds
    state["roles"] = roles or ds.inspection.roles
    state["filter"] = FilterSpec()
    state["drill"] = {}
    for key in [k for k in state if str(k).startswith("flt_")]:
        del state[key]
    for key in [k for k in state.get("_saved", {}) if str(k).startswith("flt_")]:
        del state["_saved"][key]


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


def _session_memo(slot: str, key, compute, keep: int = 2):
    """Big objects (cleaned survey, filtered frame, coded comments) kept in this session's state.

    `st.cache_data` would hand back a pickled copy on every rerun (a million rows each time) and
    share them across sessions; here each session keeps its last few, used as they are.
    """
    memo = st.session_state.setdefault("_memo", {}).setdefault(slot, {})
    if key in memo:
        memo[key] = memo.pop(key)  # most recently used last
        return memo[key]
    value = compute()
    memo[key] = value
    while len(memo) > keep:
        memo.pop(next(iter(memo)))
    return value


def remembered(slot: str, key, fn, *args, **kwargs):
    """``fn(*args, **kwargs)`` computed once per ``key`` and kept in this session; the last result per slot.

    For big inputs, such as a million-row customer list, that `cached` would hash on every rerun.
    """
    return _session_memo(slot, key, lambda: fn(*args, **kwargs), keep=1)


def _prepare_cached(token: str, roles: Roles, ds: Dataset) -> Survey:
    return _session_memo("survey", (token, roles), lambda: prepare_survey(ds.raw, roles, ds.inspection), keep=1)


def _with_stratum_weights(token: str, roles: Roles, spec: str, base: Survey, ps: dict) -> Survey:
    return _session_memo("weighted", (token, roles, spec), lambda: _add_stratum_weights(roles, base, ps))


def _add_stratum_weights(roles: Roles, _base: Survey, ps: dict) -> Survey:
    from cx.sampling import stratum_labels

    labels = stratum_labels(_base.frame, ps["strata"]).astype(object)
    weights = labels.map(ps["weights"]).astype("float64")
    frame = _base.frame.assign(**{ps["name"]: weights})
    return Survey(frame=frame, roles=roles, scales=_base.scales, report=_base.report, source=_base.source,
                  profiles=_base.profiles)


def survey() -> Survey:
    """The cleaned survey for the current dataset and roles.

    When post-stratification weights are in use (set on the Sampling page), their column is added
    from the saved weight per stratum, so every page can weight by it.
    """
    ds = dataset()
    r = roles()
    ps = st.session_state.get("work", {}).get("post_stratification")
    if ps and r.weight == ps.get("name"):
        base = _prepare_cached(ds.token, r.replace(weight=None), ds)
        return _with_stratum_weights(ds.token, r, json.dumps(ps, sort_keys=True), base, ps)
    return _prepare_cached(ds.token, r, ds)


def use_stratum_weights(name: str, strata: list[str], weights: dict[str, float]) -> None:
    """Weight every page by post-stratification weights (one weight per stratum label)."""
    set_work("post_stratification", {"name": name, "strata": list(strata),
                                     "weights": {str(k): float(v) for k, v in weights.items()}})
    set_roles(roles().replace(weight=name))


def stop_stratum_weights() -> None:
    """Stop weighting by post-stratification weights."""
    ps = st.session_state.get("work", {}).pop("post_stratification", None)
    if ps and roles().weight == ps.get("name"):
        set_roles(roles().replace(weight=None))


def view() -> View:
    """The cleaned survey under the shared filter."""
    s = survey()
    spec: FilterSpec = st.session_state.get("filter", FilterSpec())
    key = hashlib.blake2b(repr((dataset().token, s.roles, spec)).encode(), digest_size=12).hexdigest()
    # two filtered views: switching back and forth between two filters is instant (a million rows each at most)
    frame = _session_memo("view", key, lambda: apply_filter(s.frame, spec, s.roles.date), keep=2)
    return View(survey=s, frame=frame, spec=spec, key=key)


@st.cache_data(show_spinner=False, max_entries=256)
def _cached_call(name: str, view_key: str, args: tuple, kwargs: tuple, _fn, _frame):
    return _fn(_frame, *args, **dict(kwargs))


def cached(fn, v: View, *args, **kwargs):
    """Call ``fn(v.frame, *args, **kwargs)`` once per (view, arguments); reruns reuse the result."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached_call(name, v.key, args, tuple(sorted(kwargs.items())), fn, v.frame)


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_progress_call(name: str, view_key: str, label: str, args: tuple, kwargs: tuple, _fn, _frame):
    # The bar is created inside the cached call, so a cache hit replays create → fill → empty.
    bar = st.progress(0.0, text=label)
    last = [-1]

    def report(fraction: float) -> None:
        step = int(min(max(float(fraction), 0.0), 1.0) * 50)  # at most 50 recorded updates
        if step != last[0]:
            last[0] = step
            bar.progress(step / 50, text=label)

    try:
        return _fn(_frame, *args, progress=report, **dict(kwargs))
    finally:
        bar.empty()


def cached_with_progress(fn, v: View, label: str, *args, **kwargs):
    """Like `cached`, for long work that reports progress: a progress bar shows while it computes.

    ``fn`` must accept ``progress=callable(fraction)``.
    """
    name = f"{fn.__module__}.{fn.__qualname__}"
    return _cached_progress_call(name, v.key, label, args, tuple(sorted(kwargs.items())), fn, v.frame)


# --- comments: one coding per file and codebook, filtered without re-coding -------------------


def codebook() -> pd.DataFrame:
    """The workspace's codebook (the starter codebook until the user edits it)."""
    from cx.themes import starter_codebook

    records = st.session_state.get("work", {}).get("codebook")
    if records is None:
        return starter_codebook()
    return pd.DataFrame(records, columns=["theme", "pattern", "parent"]).fillna("")


def set_codebook(book: pd.DataFrame) -> None:
    """Save an edited codebook with the workspace (every page re-codes from it)."""
    cols = ["theme", "pattern", "parent"]
    book = book.reindex(columns=cols).fillna("")
    set_work("codebook", book.astype(str).to_dict("records"))


def _code(frame: pd.DataFrame, comments: str, book: pd.DataFrame):
    from cx.themes import code_comments

    with st.spinner("Coding comments…"):
        return code_comments(frame[comments], book)


def coded_key(v: View) -> str:
    """Fingerprint of the coding behind `coded(v)` (comment column and codebook), for cache keys."""
    book = codebook()
    return hashlib.blake2b((str(v.roles.comments) + book.to_csv(index=False)).encode(), digest_size=12).hexdigest()


def coded(v: View):
    """Comments of the view coded into themes (`cx.themes.CodedComments`); None without a comments column.

    Coding runs once per file, comment column and codebook; a filter change only subsets it.
    """
    col = v.roles.comments
    if not col:
        return None
    book = codebook()
    book_key = hashlib.blake2b(book.to_csv(index=False).encode(), digest_size=12).hexdigest()
    full = _session_memo("coded", (dataset().token, v.survey.roles, book_key),
                         lambda: _code(v.survey.frame, col, book), keep=1)
    if len(v.frame) == len(v.survey.frame):
        return full
    return _session_memo("coded_view", (v.key, book_key),
                         lambda: full.subset(v.survey.frame.index.isin(v.frame.index)), keep=2)


# --- charts ------------------------------------------------------------------------------------


def _fingerprint(value) -> str:
    """A content hash of chart arguments (small tables, results, strings)."""
    import pickle

    try:
        data = pickle.dumps(value, protocol=5)
    except Exception:  # an argument pickle cannot take: fall back to its text
        data = repr(value).encode()
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def chart(fn, *args, key: str, on_select: str | None = None, downloads: bool = True, **kwargs):
    """Draw ``fn(*args, **kwargs)``, a chart function of `cx.charts`, building its spec once per arguments.

    Building and serialising Altair charts is most of a page's rerun time; a filter change that does
    not change a chart's data reuses its spec. Returns the selection state with ``on_select="rerun"``.
    """
    from cx.charts import stable_spec
    from cx.charts.export import chart_file_name

    fingerprint = _fingerprint((fn.__module__, fn.__qualname__, args, sorted(kwargs.items())))

    def build():
        built = fn(*args, **kwargs)
        spec = stable_spec(built.to_dict(validate=False))
        return spec, _with_arrow_datasets(spec), chart_file_name(built, key)

    spec, drawn, name = _session_memo("charts", (key, fingerprint), build, keep=64)
    return _draw_spec(spec, name, key, on_select, downloads, drawn)


def _with_arrow_datasets(spec: dict) -> dict:
    """The spec with its inline datasets as the Arrow bytes Streamlit sends.

    Converted once per chart data, not on every rerun; a rerun's copy of the spec no longer copies every row.
    """
    from streamlit import dataframe_util

    if not spec.get("datasets"):
        return spec
    return {**spec, "datasets": {name: dataframe_util.convert_anything_to_arrow_bytes(rows)
                                 for name, rows in spec["datasets"].items()}}


def _draw_spec(spec: dict, name: str, key: str, on_select: str | None, downloads: bool, drawn: dict | None = None):
    """Draw a spec (``drawn``: the same with its datasets already as Arrow bytes); exports render ``spec``."""
    import copy

    from cx.charts.export import chart_png, chart_svg

    kwargs = {"on_select": on_select} if on_select else {}
    state = st.vega_lite_chart(spec=copy.deepcopy(drawn or spec), width="stretch", theme=None, key=key, **kwargs)
    if downloads:
        with st.popover("Download chart", icon="⬇️"):  # pictures are rendered only when clicked
            st.download_button("PNG", data=lambda: chart_png(spec), file_name=f"{name}.png", mime="image/png",
                               key=f"{key}_png")
            st.download_button("SVG", data=lambda: chart_svg(spec), file_name=f"{name}.svg", mime="image/svg+xml",
                               key=f"{key}_svg")
    return state


def static_table(frame: pd.DataFrame) -> None:
    """A small table of formatted text (segments, periods), drawn with the page as one Markdown table.

    `st.table` renders every cell as a Markdown element of its own: a segment table is 60 of them, and
    about a tenth of a filter change's time in the browser. Cells holding text from the data come escaped
    (`fmt.md_escape`); the headers are escaped here.
    """
    def row(cells) -> str:
        return "| " + " | ".join(" ".join(str(c).split()) for c in cells) + " |"

    st.markdown("\n".join([row(fmt.md_escape(c, codes=True) for c in frame.columns), row("---" for _ in frame.columns),
                           *(row(cells) for cells in frame.itertuples(index=False))]))


def show_chart(chart, key: str, on_select: str | None = None, downloads: bool = True, file_name: str | None = None):
    """Draw an Altair chart (the app's own theme) with PNG and SVG downloads rendered offline.

    Returns the selection state when ``on_select="rerun"``. The exported pictures carry the chart's
    title and base n, which `cx.charts.finish` puts in every spec.
    """
    # The spec was validated when the chart function's tests ran; skipping Altair's validation on every
    # rerun halves the cost of drawing (charts here carry small aggregated tables, inlined).
    from cx.charts import stable_spec
    from cx.charts.export import chart_file_name

    return _draw_spec(stable_spec(chart.to_dict(validate=False)), file_name or chart_file_name(chart, key), key,
                      on_select, downloads)


# --- page frame --------------------------------------------------------------------------------


_run = threading.local()


def frame_app() -> None:
    """Called by app.py at the top of every run: marks the run as framed and sets up the session."""
    _run.framed = True
    init_session()
    # Streamlit clears the query string when the page changes: put the workspace back in the URL, so a
    # refresh or a copied address always reopens this workspace.
    state = st.session_state
    if st.query_params.get("ws") != state["ws_id"] or st.query_params.get("desk") != state["ws_desk"]:
        st.query_params.update({"desk": state["ws_desk"], "ws": state["ws_id"]})


def _frame_page_run() -> None:
    """Rerun through app.py when Streamlit ran a page file on its own.

    Streamlit treats a `pages/` folder as its old multipage mode until `st.navigation` is first
    called in the process, so the first visit straight to a page URL runs the page file alone.
    Switch the process to `st.navigation` mode and rerun, so app.py frames every page.
    """
    from streamlit.runtime.pages_manager import PagesManager

    PagesManager.uses_pages_directory = False
    st.rerun()


def page_header(title: str, question) -> View:
    """Title, the one question the page answers, the sample banner and "n of N respondents".

    ``question`` is the text, or a function of the roles returning it (a page that reads differently
    without a loyalty question); it is markdown, so names from the data must be escaped.
    """
    if not getattr(_run, "framed", False):
        _frame_page_run()
    _run.framed = False
    st.title(title)
    asked = st.empty()
    ds = dataset()
    if ds.is_sample:
        st.caption("ℹ️ You are looking at a sample B2B survey. Load your own export on the Data page.")
    v = view()
    asked.caption(question(v.roles) if callable(question) else question)
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


# Markdown punctuation, escaped with a backslash; "&" too, or "&amp;" would show as "&".
_MD_SPECIAL = frozenset("\\`*_{}[]()#+-.!|<>~$&:@")


def _escape_md(text: str) -> str:
    """Text that may come from the data (comments, column names, segment values) as inert markdown.

    It shows as the same characters: no emphasis, heading, list, link, image, HTML, formula, colour,
    icon or emoji comes out of it (`fmt.defuse_links` for what backslashes cannot stop).
    """
    return fmt.defuse_links("".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in text), codes=True)


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
        token = dataset().token
        for col in r.segments:
            options = _segment_options(token, r, col, frame)
            keep_choices(f"flt_seg_{col}", options, [])
            chosen[col] = st.multiselect(col, options, key=f"flt_seg_{col}", placeholder="All")
        date_from = date_to = None
        if r.date and frame[r.date].notna().any():
            lo, hi = _date_bounds(token, r, frame)
            key = f"flt_date_{r.date}"
            current = keep(key, (lo, hi))
            if not (isinstance(current, (tuple, list)) and all(isinstance(d, dt.date) and lo <= d <= hi
                                                               for d in current)):
                st.session_state[key] = (lo, hi)
            picked = st.date_input("Response date", min_value=lo, max_value=hi, key=key)
            if isinstance(picked, (tuple, list)) and len(picked) == 2:
                date_from = picked[0] if picked[0] > lo else None
                date_to = picked[1] if picked[1] < hi else None
        icp: dict[str, list[str]] = {}
        core = False
        if r.segments:
            keep("flt_core", False)
            core = st.toggle("Core-growth customers only", key="flt_core",
                             help="Your ideal customer profile: the segment values marked on the Data page.")
            for col in r.segments:
                icp[col] = keep_choices(f"flt_icp_{col}", _segment_options(token, r, col, frame), [])
            if core and not any(icp.values()):
                st.caption("Mark who your core-growth customers are on the Data page.")
        spec = FilterSpec.build(chosen, date_from, date_to, core, icp)
        st.session_state["filter"] = spec
        if spec.is_active:
            st.caption(f"Active: {spec.describe()}")


def core_growth_editor() -> None:
    """The definition of core-growth customers (the sidebar's "core-growth only" filter): segment values.

    Drawn on the Data page rather than in the sidebar, so that every rerun of every page does not redraw
    a multiselect per segment. The saved choices were restored by `sidebar_filter`, earlier in the run.
    """
    s = survey()
    r = s.roles
    token = dataset().token
    for col in r.segments:
        st.multiselect(col, _segment_options(token, r, col, s.frame), key=f"flt_icp_{col}", placeholder="Any")


@st.cache_data(show_spinner=False, max_entries=64)
def _segment_options(token: str, r: Roles, col: str, _frame: pd.DataFrame) -> list[str]:
    from cx.filters import present_labels

    return present_labels(_frame[col])


@st.cache_data(show_spinner=False, max_entries=16)
def _date_bounds(token: str, r: Roles, _frame: pd.DataFrame) -> tuple[dt.date, dt.date]:
    d = _frame[r.date].dropna()
    return d.min().date(), d.max().date()
