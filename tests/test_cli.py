"""`python -m cx`: the same numbers as the pages, the contract's keys, and clear errors."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import pytest
from conftest import ROOT, SAMPLE, SHARED, needs_shared

from cx.analysis import AnalyzeOptions, analyze, load_survey
from cx.drivers import key_drivers
from cx.nps import nps_summary
from cx.themes import code_comments, pareto_table, starter_codebook


def cli(*args: str, ok: bool = True):
    out = subprocess.run([sys.executable, "-m", "cx", *args], cwd=ROOT, capture_output=True, text=True, timeout=180)
    if ok:
        assert out.returncode == 0, out.stderr
        return json.loads(out.stdout)
    return out


@pytest.fixture(scope="module")
def sample_json():
    return cli("analyze", str(SAMPLE))


def test_analyze_equals_the_engine(sample_json):
    _, survey = load_survey(SAMPLE)
    r = survey.roles
    assert sample_json["nps"] == nps_summary(survey.frame, r.loyalty).to_dict()
    drivers = key_drivers(survey.frame, list(r.drivers), r.loyalty)
    assert [i["driver"] for i in sample_json["drivers"]["items"]] == [i.driver for i in drivers.items]
    assert sample_json["drivers"]["r2"] == pytest.approx(drivers.r2)
    themes = pareto_table(code_comments(survey.frame[r.comments], starter_codebook()))
    assert [(i["theme"], i["count"]) for i in sample_json["themes"]["items"]] == [(i.theme, i.count)
                                                                                  for i in themes.items]
    assert sample_json["themes"]["items"][0]["theme"] == "Billing errors"
    assert sample_json["drivers"]["items"][0]["driver"] == "Ease of doing business"


def test_sections_and_planted_story(sample_json):
    assert set(sample_json) >= {"source", "n_rows", "columns", "nps", "segments", "drivers", "themes", "trend",
                                "revenue", "warnings", "clv"}
    trend = {i["period"]: i for i in sample_json["trend"]["items"]}
    assert trend["2026-Q2"]["significant_change"] and trend["2026-Q2"]["change"] < -10
    logistics = next(s for s in sample_json["segments"]["Business unit"] if s["value"] == "Logistics")
    assert logistics["differs"] and logistics["score"] < sample_json["nps"]["score"]
    rev = sample_json["revenue"]
    assert rev["detractors"] + rev["passives"] + rev["promoters"] == pytest.approx(rev["total"])


def test_where_method_period_outcome():
    emea = cli("analyze", str(SAMPLE), "--where", "Region=EMEA", "--method", "relative_weights", "--period", "month")
    assert emea["n_rows"] == 1629 and emea["drivers"]["method"] == "relative_weights"
    assert emea["trend"]["period"] == "month" and emea["trend"]["items"][0]["period"] == "2025-04"
    two = cli("analyze", str(SAMPLE), "--where", "Region=EMEA", "--where", "Region=APAC")
    assert two["n_rows"] == 1629 + sum(1 for s in two["segments"]["Region"] if s["value"] == "APAC") * 0 + \
        next(s["n"] for s in two["segments"]["Region"] if s["value"] == "APAC")
    out = cli("analyze", str(SAMPLE), "--outcome", "Billing accuracy", "--drivers",
              "Ease of doing business,On-time delivery")
    assert out["columns"]["outcome"] == "Billing accuracy"
    assert {i["driver"] for i in out["drivers"]["items"]} == {"Ease of doing business", "On-time delivery"}


def test_options_match_the_api():
    options = AnalyzeOptions(segments=("Account tier",), where=("Business unit=Logistics",))
    _, survey = load_survey(SAMPLE, options)
    api = analyze(survey, options)
    out = cli("analyze", str(SAMPLE), "--segment", "Account tier", "--where", "Business unit=Logistics")
    assert out["nps"] == api["nps"] and list(out["segments"]) == ["Account tier"]


def test_custom_codebook(tmp_path):
    book = tmp_path / "book.csv"
    book.write_text("theme,pattern\nInvoices,invoice|billing\nLate,late|delay\n")
    out = cli("analyze", str(SAMPLE), "--codebook", str(book))
    assert {i["theme"] for i in out["themes"]["items"]} == {"Invoices", "Late"}
    bad = cli("analyze", str(SAMPLE), "--codebook", str(tmp_path / "missing.csv"), ok=False)
    assert bad.returncode == 2 and bad.stderr.startswith("error:")


def test_inspect():
    out = cli("inspect", str(SAMPLE))
    assert out["roles"]["loyalty"] == "Likelihood to recommend"
    kinds = {c["name"]: c["kind"] for c in out["columns"]}
    assert kinds["Billing accuracy"] == "rating" and kinds["Comment"] == "text"


def test_sample_and_weights(tmp_path):
    base = ROOT / "data" / "demo_customer_base.csv"
    out_csv = tmp_path / "wave.csv"
    plan = cli("sample", str(base), "--strata", "Business unit", "--moe", "5", "--response-rate", "0.25",
               "--seed", "7", "--out", str(out_csv))
    assert plan["sample_size"]["n0"] == pytest.approx(1536.64)
    assert plan["allocation"]["n"] >= plan["sample_size"]["completes"]
    with out_csv.open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == plan["draw"]["n_drawn"]
    again = cli("sample", str(base), "--strata", "Business unit", "--moe", "5", "--response-rate", "0.25",
                "--seed", "7", "--out", str(tmp_path / "again.csv"))
    assert (tmp_path / "again.csv").read_bytes() == out_csv.read_bytes() and again["draw"] == plan["draw"]
    w = cli("analyze", str(SAMPLE), "--base", str(base), "--strata", "Business unit")["weights"]
    assert w["strata_columns"] == ["Business unit"] and w["nps"]["weighted"] is True
    assert 0 < w["n_effective"] <= w["n"]


@needs_shared(SHARED / "tools" / "check_contract.py")
@pytest.mark.parametrize("args", [[], ["--where", "Region=APAC"], ["--method", "beta"], ["--method", "correlation"],
                                  ["--method", "relative_weights"], ["--period", "month"]])
def test_contract_checker_holds(args):
    out = subprocess.run([sys.executable, str(SHARED / "tools" / "check_contract.py"), str(SAMPLE), *args], cwd=ROOT,
                         capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stdout + out.stderr


def test_report_pdf_one_page_and_by_unit(tmp_path):
    import pypdf

    out = cli("report", str(SAMPLE), "--format", "pdf", "--out", str(tmp_path / "plan.pdf"))
    assert out["files"] == [str(tmp_path / "plan.pdf")]
    reader = pypdf.PdfReader(tmp_path / "plan.pdf")
    text = reader.pages[0].extract_text()
    assert len(reader.pages) == 1 and "Ease of doing business" in text and "Billing errors" in text
    by = cli("report", str(SAMPLE), "--format", "xlsx", "--out", str(tmp_path / "units"), "--by", "Business unit")
    assert sorted(p.rsplit("/", 1)[1] for p in by["files"]) == [
        "action-plan-field-services.xlsx", "action-plan-industrial-supplies.xlsx", "action-plan-logistics.xlsx",
        "action-plan-packaging.xlsx"]


def test_report_reads_the_workspace_file(tmp_path):
    from cx.rootcause import new_root_cause
    from cx.workspace import SAMPLE as SAMPLE_SHA
    from cx.workspace import WorkspaceStore

    rc = new_root_cause("Billing errors", "Overall", 1358, ["Invoices are wrong"])
    rc["whys"] = ["Wrong prices", "Price list not synced", "Manual upload", "No owner", "No validation step"]
    rc["diamond"] = "Invoice released without validation"
    rc["indicator"].update(name="% invoices passing validation first time", owner="Billing lead", target="97%",
                           due="2027-03-31")
    store = WorkspaceStore(tmp_path / "ws.sqlite")
    wid = store.create("d", "Plan", "sample_survey.csv", SAMPLE_SHA, {"work": {"root_causes": [rc]}})
    (tmp_path / "plan.cxw").write_bytes(store.export_bytes(wid))
    cli("report", str(SAMPLE), "--format", "md", "--out", str(tmp_path / "plan.md"), "--workspace",
        str(tmp_path / "plan.cxw"))
    text = (tmp_path / "plan.md").read_text()
    assert "% invoices passing validation first time" in text and "Billing lead" in text
    bad = cli("report", str(SAMPLE), "--format", "md", "--out", str(tmp_path / "x.md"), "--workspace",
              str(SAMPLE), ok=False)
    assert bad.returncode == 2 and "workspace file" in bad.stderr


@pytest.mark.parametrize("options", [AnalyzeOptions(), AnalyzeOptions(where=("Region=EMEA",)),
                                     AnalyzeOptions(comments="Comment", codebook=str(ROOT / "data" / "codebook.csv"))])
def test_coding_comments_early_changes_nothing(options):
    """`analyze_file` codes the comments while the other columns are cleaned (not with --where); the summary
    is the one `analyze` gives on the cleaned survey."""
    from cx.analysis import analyze_file

    _, survey = load_survey(SAMPLE, options)
    assert analyze_file(SAMPLE, options) == analyze(survey, options)


def _parsed_columns(path):
    """The file read as `analyze` reads it, with the Arrow columns handed to ``on_table``."""
    from cx.load import read_survey_file

    got = []
    raw = read_survey_file(path, meanwhile=lambda: None, on_table=lambda table, names: got.append(
        (list(table.columns), names)))
    return raw, got


@pytest.mark.parametrize("options", [AnalyzeOptions(), AnalyzeOptions(where=("Region=EMEA",)),
                                     AnalyzeOptions(codebook=str(ROOT / "data" / "codebook.csv"))])
def test_coding_a_guessed_column_changes_nothing(options):
    """Coding begun on the column guessed from the parsed table is kept when inspection agrees, and dropped
    for the right column when it does not (or with --where): the summary is always `analyze`'s."""
    from cx.analysis import ThemeCoding, analyze_file

    _, survey = load_survey(SAMPLE, options)
    expected = analyze(survey, options)
    raw, got = _parsed_columns(SAMPLE)
    columns, names = got[0]
    right = ThemeCoding.guessed(columns, names, options)
    assert (right is None) == bool(options.where) and (right is None or right.column == "Comment")
    assert analyze_file(SAMPLE, options, raw=raw, guessed=right) == expected
    raw, got = _parsed_columns(SAMPLE)
    wrong = ThemeCoding(columns[names.index("Region")], options, column="Region")
    assert analyze_file(SAMPLE, options, raw=raw, guessed=wrong) == expected


def test_guessed_comment_column_only_for_csv_and_named_like_comments(shapes_dir):
    from cx.analysis import guess_comment_column

    raw, got = _parsed_columns(SAMPLE)
    assert guess_comment_column(*got[0], AnalyzeOptions()) == "Comment"
    assert guess_comment_column(*got[0], AnalyzeOptions(comments="Region")) == "Region"
    assert guess_comment_column(*got[0], AnalyzeOptions(comments="Region", where=("Region=EMEA",))) is None
    renamed = [n if n != "Comment" else "Notes" for n in got[0][1]]  # no comment-like name: no guess
    assert guess_comment_column(got[0][0], renamed, AnalyzeOptions()) is None
    _, got = _parsed_columns(shapes_dir / "title_row_two_sheets.xlsx")
    assert got == []  # workbooks are not parsed by Arrow: nothing to guess from


@needs_shared(SHARED / "data" / "real")
@pytest.mark.real
def test_guessed_comment_column_is_the_inferred_one_on_real_files():
    """Where a guess is made it is inspection's choice, on every real CSV export."""
    from cx.analysis import guess_comment_column
    from cx.clean import inspect_survey
    from cx.errors import CxInputError

    guesses = 0
    for path in sorted((SHARED / "data" / "real").rglob("*")):
        if path.suffix.lower() not in (".csv", ".tsv"):
            continue
        try:
            raw, got = _parsed_columns(path)
        except CxInputError:
            continue
        guess = guess_comment_column(*got[0], AnalyzeOptions())
        assert guess in (None, inspect_survey(raw).roles.comments), path.name
        guesses += guess is not None
    assert guesses >= 5


def _failing(message: str, delay: float = 0.0):
    def section(data, options):
        import time

        from cx.errors import CxInputError

        time.sleep(delay)
        raise CxInputError(message)
    return section


def test_sections_in_threads_keep_the_order_of_warnings_and_errors(monkeypatch):
    """Drivers and themes run in threads beside NPS and revenue; their warnings still come in the sections'
    order (drivers, themes, revenue) and the first section's error wins, however the threads finish."""
    import cx.analysis as analysis

    _, survey = load_survey(SAMPLE)
    expected = analyze(survey)
    monkeypatch.setattr(analysis, "driver_section", _failing("drivers: slow and failing", delay=0.3))
    monkeypatch.setattr(analysis, "_theme_pareto", _failing("themes: failing", delay=0.1))
    monkeypatch.setattr(analysis, "revenue_section", _failing("revenue: failing at once"))
    out = analyze(survey)
    assert out["warnings"] == expected["warnings"] + ["drivers: slow and failing", "themes: failing",
                                                      "revenue: failing at once"]
    assert out["drivers"] is None and out["themes"] is None and out["revenue"] is None and "clv" not in out
    assert (out["nps"], out["segments"], out["trend"]) == (expected["nps"], expected["segments"], expected["trend"])
    from cx.errors import CxInputError

    strict = AnalyzeOptions(method="shapley", codebook=str(ROOT / "data" / "codebook.csv"), revenue="Annual revenue")
    with pytest.raises(CxInputError, match="drivers: slow"):
        analyze(survey, strict)
    monkeypatch.setattr(analysis, "driver_section", lambda data, options: None)
    with pytest.raises(CxInputError, match="themes: failing"):
        analyze(survey, strict)
    monkeypatch.setattr(analysis, "_theme_pareto", lambda comments, options: None)
    with pytest.raises(CxInputError, match="revenue: failing"):
        analyze(survey, strict)
