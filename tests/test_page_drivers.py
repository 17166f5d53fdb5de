"""Key drivers page on the sample survey: the numbers are key_drivers' (and the CLI's), controls switch them."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache

import numpy as np
import pandas as pd
import pytest
from browser import chromium_path
from conftest import ROOT, SAMPLE, open_app
from streamlit.testing.v1 import AppTest

from cx import drivers as kda
from cx.clean import inspect_survey, prepare_survey
from cx.load import read_survey


def run_app(page: str | None = "drivers") -> AppTest:
    return open_app(page)


@cache
def sample() -> tuple[pd.DataFrame, tuple[str, ...], str]:
    """The cleaned sample survey, its drivers and its loyalty column (as the app infers them)."""
    raw = read_survey(SAMPLE.read_bytes(), SAMPLE.name)
    inspection = inspect_survey(raw)
    survey = prepare_survey(raw, inspection.roles, inspection)
    return survey.frame, tuple(survey.roles.drivers), survey.roles.loyalty


def importance_table(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "Importance" in df.value.columns and "Rank" in df.value.columns)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def assert_table_is(table: pd.DataFrame, expected: kda.DriverAnalysis) -> None:
    assert list(table["Driver"]) == list(expected.drivers)
    np.testing.assert_allclose(table["Importance"], [i.importance for i in expected.items], rtol=1e-12)
    np.testing.assert_allclose(table["Share of R²"], [i.r2_contribution for i in expected.items], rtol=1e-12)


def test_default_numbers_are_key_drivers_and_the_cli():
    """Shapley, loyalty outcome, listwise: the same function and data as `python -m cx analyze`."""
    frame, drivers, loyalty = sample()
    expected = kda.bootstrap_drivers(frame, drivers, loyalty, "shapley")
    at = run_app()
    table = importance_table(at)
    assert_table_is(table, expected)
    np.testing.assert_allclose(table["95% interval from"], [i.ci_low for i in expected.items], rtol=1e-12)
    np.testing.assert_allclose(table["95% interval to"], [i.ci_high for i in expected.items], rtol=1e-12)
    assert list(table["Group"]) == [1, 2] + [3] * 10
    assert metric(at, "R²") == f"{expected.r2:.2f}" == "0.66"
    assert metric(at, "Respondents used") == "2,678"

    out = subprocess.run([sys.executable, "-m", "cx", "analyze", str(SAMPLE)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    cli = json.loads(out.stdout)["drivers"]
    assert cli["method"] == "shapley" and cli["n"] == 2678
    assert list(table["Driver"]) == [i["driver"] for i in cli["items"]]
    np.testing.assert_allclose(table["Importance"], [i["importance"] for i in cli["items"]], rtol=1e-12)
    np.testing.assert_allclose(table["Mean rating"], [i["mean"] for i in cli["items"]], rtol=1e-12)
    assert abs(expected.r2 - cli["r2"]) < 1e-12

    text = " ".join(m.value for m in at.markdown)
    assert "Ease of doing business matters most \\(19% of the importance\\)" in text
    assert "Ease of doing business is clearly ahead of the rest; Billing accuracy is next" in text
    assert "the remaining ten" in text
    assert any("not causation" in i.value for i in at.info)
    assert any("Listwise deletion left out 2,322 of 5,000 respondents" in w.value for w in at.warning)
    assert any("Based on 2,678 of 5,000 respondents" in c.value for c in at.caption)


def test_method_switch_recomputes_with_that_method():
    frame, drivers, loyalty = sample()
    at = run_app()
    at.selectbox(key="drivers_method").set_value("relative_weights").run()
    assert not at.exception
    assert_table_is(importance_table(at), kda.key_drivers(frame, drivers, loyalty, "relative_weights"))
    at.selectbox(key="drivers_method").set_value("beta").run()
    assert not at.exception
    beta = kda.key_drivers(frame, drivers, loyalty, "beta")
    table = importance_table(at)
    assert_table_is(table, beta)
    np.testing.assert_allclose(table["VIF"], [i.vif for i in beta.items], rtol=1e-12)
    assert any("Standardised betas, with VIF" in c.value for c in at.caption)


def test_detractor_outcome_says_how_importance_is_defined():
    frame, drivers, loyalty = sample()
    at = run_app()
    at.selectbox(key="drivers_outcome").set_value(kda.DETRACTOR_OUTCOME).run()
    assert not at.exception
    expected = kda.key_drivers(frame, drivers, loyalty, "shapley", outcome_type="detractor")
    assert_table_is(importance_table(at), expected)
    assert any("whether a respondent is a detractor" in i.value and "linear probability model" in i.value
               for i in at.info)
    # twelve drivers are more than the logistic Shapley handles: the page says what it did instead
    assert any("relative weights of a linear probability model" in w.value for w in at.warning)


def test_detractor_outcome_with_few_drivers_is_logistic_shapley():
    frame, drivers, loyalty = sample()
    at = run_app()
    at.toggle(key="drivers_bootstrap").set_value(False)
    at.multiselect(key="drivers_subset").set_value(list(drivers[:4]))
    at.selectbox(key="drivers_outcome").set_value(kda.DETRACTOR_OUTCOME).run()
    assert not at.exception
    expected = kda.key_drivers(frame, drivers[:4], loyalty, "shapley", outcome_type="detractor")
    assert expected.model == "logistic regression"
    assert_table_is(importance_table(at), expected)
    assert metric(at, "Pseudo-R²") == f"{expected.r2:.2f}"
    assert any("McFadden's pseudo" in i.value for i in at.info)


def test_pairwise_missing_data_and_driver_subset():
    frame, drivers, loyalty = sample()
    at = run_app()
    at.toggle(key="drivers_bootstrap").set_value(False)
    at.radio(key="drivers_missing").set_value("pairwise").run()
    assert not at.exception
    expected = kda.key_drivers(frame, drivers, loyalty, "shapley", missing="pairwise")
    assert_table_is(importance_table(at), expected)
    assert metric(at, "Respondents used") == f"{expected.n:,}"
    assert any("Pairwise deletion" in c.value for c in at.caption)
    assert "95% interval from" not in importance_table(at).columns
    at.multiselect(key="drivers_subset").set_value(["Billing accuracy", "Onboarding", "Communication"]).run()
    assert not at.exception
    assert_table_is(importance_table(at), kda.key_drivers(frame, ["Billing accuracy", "Onboarding", "Communication"],
                                                          loyalty, "shapley", missing="pairwise"))


def test_driver_selectbox_and_button_set_the_drill():
    at = run_app()
    assert at.selectbox(key="drivers_pick").value == "Billing accuracy"  # the most important "Fix first" driver
    at.selectbox(key="drivers_pick").set_value("Ease of doing business").run()
    assert not at.exception
    frame, _, loyalty = sample()
    low = kda.low_raters(frame, "Ease of doing business", loyalty, "Comment")
    assert any(c.value.startswith(f"{low.bottom_box:,} of {low.answered:,} respondents who rated Ease of doing")
               for c in at.caption)
    at.button(key="drivers_read_comments").click().run()
    assert not at.exception, at.exception
    assert at.session_state["drill"] == {"driver": "Ease of doing business", "from": "Key drivers"}


def test_settings_survive_a_page_switch_and_filter_applies():
    frame, drivers, loyalty = sample()
    at = run_app()
    at.selectbox(key="drivers_method").set_value("correlation")
    at.toggle(key="drivers_bootstrap").set_value(False).run()
    at.switch_page("../pages/overview.py").run()
    assert not at.exception
    at.multiselect(key="flt_seg_Region").set_value(["EMEA"]).run()
    at.switch_page("../pages/drivers.py").run()
    assert not at.exception
    assert at.selectbox(key="drivers_method").value == "correlation"
    emea = frame[frame["Region"] == "EMEA"]
    assert_table_is(importance_table(at), kda.key_drivers(emea, drivers, loyalty, "correlation"))


def test_large_samples_compute_intervals_on_request(monkeypatch):
    monkeypatch.setattr(kda, "BOOTSTRAP_AUTO_MAX_ROWS", 1000)
    at = run_app()
    assert "95% interval from" not in importance_table(at).columns
    at.button(key="drivers_boot_run").click().run()
    assert not at.exception
    frame, drivers, loyalty = sample()
    expected = kda.bootstrap_drivers(frame, drivers, loyalty, "shapley")
    np.testing.assert_allclose(importance_table(at)["95% interval from"], [i.ci_low for i in expected.items],
                               rtol=1e-12)


def test_segments_side_by_side_and_matrix_tables():
    frame, drivers, loyalty = sample()
    at = run_app()
    at.selectbox(key="drivers_segment").set_value("Account tier")
    at.radio(key="drivers_performance").set_value("top_box").run()
    assert not at.exception
    seg = next(df.value for df in at.dataframe if "segment" in df.value.columns and "pooled" in df.value.columns)
    expected = kda.drivers_by_segment(frame, drivers, loyalty, "Account tier", "shapley").to_frame()
    assert list(seg["segment"].unique()) == ["Core", "Transactional", "Key", "Strategic"]
    np.testing.assert_allclose(seg["importance"], expected["importance"], rtol=1e-12)
    matrix = next(df.value for df in at.dataframe if "quadrant" in df.value.columns)
    analysis = kda.key_drivers(frame, drivers, loyalty, "shapley")
    np.testing.assert_allclose(matrix["performance"],
                               kda.importance_performance(analysis, frame, performance="top_box")["performance"])
    assert matrix.loc[matrix["driver"] == "Billing accuracy", "quadrant"].item() == "Fix first"


@pytest.mark.browser
@pytest.mark.skipif(chromium_path() is None, reason="chromium is not installed")
def test_clicking_a_driver_in_the_charts_selects_it_and_opens_its_comments():
    """Real browser (AppTest cannot click charts): a click on the matrix or the bars picks the driver."""
    from browser import exceptions, launch, running_app, settle
    from playwright.sync_api import sync_playwright

    with running_app() as url, sync_playwright() as pw:
        browser = launch(pw)
        page = browser.new_context(viewport={"width": 1366, "height": 900}).new_page()
        page.goto(url + "/drivers")
        settle(page)
        assert not exceptions(page), exceptions(page)
        pick = page.locator(".st-key-drivers_pick input")
        assert pick.input_value() == "Billing accuracy"
        page.wait_for_selector(".st-key-drivers_matrix svg.marks")
        page.locator('.st-key-drivers_matrix path[aria-label*="Driver: Ease of doing business"]').first.click(force=True)
        settle(page)
        assert pick.input_value() == "Ease of doing business"
        page.locator(".st-key-drivers_bars").scroll_into_view_if_needed()
        page.locator('.st-key-drivers_bars path[aria-label*="Website and portal"]').first.click(force=True)
        settle(page)
        assert pick.input_value() == "Website and portal"
        assert not exceptions(page), exceptions(page)
        if (ROOT / "pages" / "comments.py").exists():
            page.locator(".st-key-drivers_read_comments button").click()
            settle(page)
            assert page.url.split("?")[0].endswith("/comments")
            assert page.locator("h1").first.inner_text() == "Comments"
        browser.close()
