"""Leading indicators page on the sample survey and the demo metrics; the demo files are made by their script."""

from __future__ import annotations

import importlib.util
import io

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SAMPLE, open_app, plain
from streamlit.testing.v1 import AppTest

from cx import fmt
from cx.clean import inspect_survey, prepare_survey
from cx.indicators import SUPPORTED, validate_leading_indicators
from cx.load import read_survey

METRICS = ROOT / "data" / "demo_operational_metrics.csv"
INVOICE, SHIPPED, SLA = "First-time invoice accuracy", "Orders shipped complete", "Tickets resolved within SLA"



@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    raw = read_survey(SAMPLE.read_bytes(), SAMPLE.name)
    inspection = inspect_survey(raw)
    return prepare_survey(raw, inspection.roles, inspection).frame


@pytest.fixture(scope="module")
def metrics() -> pd.DataFrame:
    return read_survey(METRICS.read_bytes(), METRICS.name).frame


def run_app(page: str | None = "indicators") -> AppTest:
    return open_app(page)


def validate(survey, metrics, **kwargs):
    args = dict(id_col="Account ID", date_col="Response date", loyalty_col="Likelihood to recommend",
                metrics_id_col="Account ID", metrics_period_col="Month", metric_cols=(INVOICE, SHIPPED, SLA),
                period="month", max_lag=3, focus_metrics=())
    args.update(kwargs)
    return validate_leading_indicators(survey, metrics, **args)


def verdict_lines(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith(("✅", "✖️", "❔"))]


def test_opens_on_the_demo_metrics_with_the_planted_verdicts(survey, metrics):
    at = run_app()
    assert any("5,000 of 5,000 respondents" in m.value for m in at.markdown)
    res = validate(survey, metrics)
    assert res.verdict(INVOICE).status == SUPPORTED and res.verdict(INVOICE).lag == 1
    assert res.verdict(SHIPPED).status != SUPPORTED
    assert res.verdict(SLA).status != SUPPORTED and res.verdict(SLA).lag == 0
    lines = verdict_lines(at)
    assert len(lines) == 3
    assert lines[0].startswith("✅ **First\\-time invoice accuracy**: supported as a leading indicator")
    assert f"{res.verdict(INVOICE).r:.2f}".replace(".", "\\.") in lines[0]
    assert lines[1].startswith("✖️ **Orders shipped complete**: not supported")
    assert lines[2].startswith("✖️ **Tickets resolved within SLA**: not supported")
    assert next(m.value for m in at.metric if m.label.startswith("Supported")) == "1 of 3"
    assert next(m.value for m in at.metric if m.label.startswith("Matched")) == fmt.count(res.n_matched)
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert table["status"].tolist() == [v.status for v in res.verdicts]
    assert np.allclose(table["r"], [v.r for v in res.verdicts])
    assert at.selectbox(key="indicators_metric").value == INVOICE


def test_5_whys_metrics_come_first(survey, metrics):
    at = run_app()
    at.session_state["work"]["root_causes"] = [
        {"theme": "Billing errors", "indicator": {"name": "tickets resolved within sla"}},
        {"theme": "Late deliveries"},  # no indicator named yet
        "not a dict",
        {"indicator": {"name": "Not in the file"}},
    ]
    at.run()
    assert not at.exception
    lines = verdict_lines(at)
    assert lines[0].startswith("✖️ **Tickets resolved within SLA \\(5 Whys\\)**")
    assert lines[1].startswith("✅ **First\\-time invoice accuracy**")
    assert any("Not in the file" in w.value for w in at.warning)
    res = validate(survey, metrics, focus_metrics=("tickets resolved within sla", "Not in the file"))
    assert [v.metric for v in res.verdicts] == [SLA, INVOICE, SHIPPED]


def test_no_root_causes_yet_is_fine():
    at = run_app()
    at.session_state["work"].pop("root_causes", None)
    at.session_state["work"]["root_causes"] = None
    at.run()
    assert not at.exception
    assert any("No leading indicator is named in the 5 Whys yet" in c.value for c in at.caption)


def test_metric_choice_and_quarters(survey, metrics):
    at = run_app()
    at.selectbox(key="indicators_metric").set_value(SHIPPED).run()
    assert not at.exception
    res = validate(survey, metrics)
    assert plain(at.markdown[-1].value).startswith("Orders shipped complete: not supported")
    at.radio(key="indicators_period").set_value("quarter").run()
    assert not at.exception
    quarterly = validate(survey, metrics, period="quarter")
    table = next(d.value for d in at.dataframe if "verdict" in d.value.columns)
    assert table["status"].tolist() == [v.status for v in quarterly.verdicts]
    assert res.verdict(INVOICE).status == SUPPORTED


def test_a_long_upload_gives_the_same_verdicts(survey, metrics):
    long = metrics.melt(id_vars=["Account ID", "Month"], var_name="metric", value_name="value")
    at = run_app()
    at.radio(key="indicators_source").set_value("Upload metrics").run()
    assert not at.exception
    assert any("Upload the operational metrics" in i.value for i in at.info)
    at.file_uploader(key="indicators_upload").upload("long.csv", long.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception
    assert at.radio(key="indicators_format").value == "A metric-name column and a value column"
    assert at.selectbox(key="indicators_name_col").value == "metric"
    lines = verdict_lines(at)
    assert lines[0].startswith("✅ **First\\-time invoice accuracy**")
    assert at.session_state["work"]["indicators_metrics_file"]["name"] == "long.csv"


def test_survey_without_customer_id_points_to_the_data_page():
    at = run_app()
    at.session_state["roles"] = at.session_state["roles"].replace(customer_id=None)
    at.run()
    assert any("map a customer id column on the Data page" in w.value for w in at.warning)
    assert not at.exception
    assert not verdict_lines(at)


def test_demo_files_are_what_their_script_makes():
    spec = importlib.util.spec_from_file_location("make_demo_base", ROOT / "data" / "make_demo_base.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    survey = pd.read_csv(SAMPLE, dtype={"Account ID": str})
    rng = np.random.default_rng(module.SEED)
    base = module.make_base(survey, rng)
    made = module.make_metrics(survey, rng)
    for frame, path in ((base, module.BASE_OUT), (made, module.METRICS_OUT)):
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        assert buffer.getvalue() == path.read_text()
    assert len(base) == 15_000 and base["Account ID"].is_unique
    assert set(survey["Account ID"]) <= set(base["Account ID"])
    assert set(made["Account ID"]) == set(survey["Account ID"])
