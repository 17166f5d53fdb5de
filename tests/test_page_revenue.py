"""Revenue at risk page on the sample survey: the numbers on screen are the cx numbers (and the CLI's)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import APP, ROOT, SAMPLE, open_app
from streamlit.testing.v1 import AppTest

from cx import fmt
from cx.analysis import AnalyzeOptions, load_survey, revenue_section
from cx.drivers import predicted_outcome_change
from cx.revenue import (
    ClvAssumptions,
    assumed_revenue,
    clv_summary,
    convert_detractors,
    driver_change_value,
    extrapolation_weights,
    retention_change,
    revenue_by_group,
)
from cx.ui import escape_md

BASE = {"Industrial Supplies": 4000, "Logistics": 3000, "Packaging": 2500, "Field Services": 2000}



@pytest.fixture(scope="module")
def sample():
    """The cleaned sample survey, as `python -m cx analyze` reads it."""
    return load_survey(SAMPLE, AnalyzeOptions())[1]


def run_app(page: str | None = "revenue", at: AppTest | None = None) -> AppTest:
    return open_app(page, timeout=90, at=at)


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


def talking(at: AppTest) -> str:
    return at.code[0].value


def group_table(at: AppTest):
    return next(d.value for d in at.dataframe if "group" in d.value.columns)


@pytest.fixture(scope="module")
def cli_revenue() -> dict:
    """The `revenue` section of `python -m cx analyze data/sample_survey.csv` (no filter)."""
    done = subprocess.run([sys.executable, "-m", "cx", "analyze", str(SAMPLE)], cwd=ROOT, capture_output=True,
                          text=True, check=True)
    return json.loads(done.stdout)["revenue"]


def test_headline_and_metrics_are_the_cli_revenue_section(sample, cli_revenue):
    """Detractor revenue on screen = revenue_by_group on the sample = analyze's `revenue` section."""
    cli = cli_revenue
    assert cli == revenue_section(sample, AnalyzeOptions())
    r = sample.roles
    rev = revenue_by_group(sample.frame, r.loyalty, r.revenue)
    assert (rev.total, rev.detractors, rev.passives, rev.promoters) == (
        cli["total"], cli["detractors"], cli["passives"], cli["promoters"])
    at = run_app()
    assert any("5,000 of 5,000 respondents" in m.value for m in at.markdown)
    assert metric(at, "Total annual revenue").value == fmt.money(cli["total"]) == "$2.2B"
    assert metric(at, "Detractor revenue (at risk)").value == fmt.money(cli["detractors"]) == "$761.7M"
    assert metric(at, "Detractor revenue (at risk)").delta == f"{fmt.share(cli['detractor_share'])} of revenue"
    clv = clv_summary(rev, ClvAssumptions())
    assert metric(at, "Lifetime value at risk").value == fmt.money(clv.detractors)
    assert metric(at, "Detractors").value == "1,822"
    table = group_table(at).set_index("group")
    assert table.loc["Detractor", "revenue"] == cli["detractors"]
    assert table.loc["Total", "revenue"] == cli["total"]
    head = at.subheader[0].value
    assert head.startswith("The loyalty gap is worth ") and escape_md("$761.7M a year") in head
    assert escape_md(fmt.money(clv.detractors)) in head


def test_conversion_slider_moves_nps_exactly_as_convert_detractors(sample):
    r = sample.roles
    clv = clv_summary(revenue_by_group(sample.frame, r.loyalty, r.revenue))
    at = run_app()
    default = convert_detractors(clv, 0.10, "passive")
    assert metric(at, "New NPS").value == fmt.signed_int(default.nps_after)
    at.slider(key="revenue_convert_share").set_value(25).run()
    assert not at.exception
    w = convert_detractors(clv, 0.25, "passive")
    assert metric(at, "New NPS").value == fmt.signed_int(w.nps_after) == "+4"
    assert metric(at, "New NPS").delta == f"{w.nps_change:+.1f} points" == "+9.1 points"
    assert metric(at, "Revenue kept a year").value == fmt.money(w.revenue_retained)
    assert metric(at, "Lifetime value kept").value == fmt.money(w.value_retained)
    at.radio(key="revenue_convert_to").set_value("promoters").run()
    assert not at.exception
    p = convert_detractors(clv, 0.25, "promoter")
    assert metric(at, "New NPS").value == fmt.signed_int(p.nps_after)
    assert metric(at, "New NPS").delta == f"{p.nps_change:+.1f} points"
    assert f"Converting 25% of detractors to promoters keeps {fmt.money(p.revenue_retained)}" in talking(at)


def test_quick_mode_counts_this_years_revenue_only(sample):
    at = run_app()
    at.toggle(key="revenue_quick").set_value(True).run()
    assert not at.exception
    assert metric(at, "Value at risk (this year)").value == "$761.7M"
    assert not any(m.label in ("Lifetime value at risk", "Lifetime value kept") for m in at.metric)
    assert "These figures count this year's revenue only: no margin, no future years." in talking(at)
    assert "lifetime value" not in at.subheader[0].value


def test_assumed_revenue_when_the_revenue_role_is_removed(sample):
    at = run_app()
    at.session_state["roles"] = at.session_state["roles"].replace(revenue=None)
    at.run()
    assert not at.exception
    assert not at.metric  # nothing to size until an average is given
    assert any("give an average annual revenue per customer" in i.value for i in at.info)
    at.number_input(key="revenue_avg").set_value(10_000.0).run()
    assert not at.exception
    r = sample.roles
    rev = revenue_by_group(sample.frame, r.loyalty, assumed_revenue(sample.frame, average=10_000.0))
    assert rev.detractors == 1822 * 10_000.0
    assert metric(at, "Detractor revenue (at risk)").value == fmt.money(rev.detractors) == "$18.2M"
    assert metric(at, "Total annual revenue").value == "$50.0M"
    assert "Revenue is assumed, not measured: $10,000 a year per customer." in talking(at)
    # Per segment value: Logistics customers bring 25,000 a year, everyone else the average.
    at.selectbox(key="revenue_avg_segment").set_value("Business unit")
    work = dict(at.session_state["work"])
    work["revenue_assumed_per_segment"] = {"Business unit": {"Logistics": 25_000.0}}
    at.session_state["work"] = work
    at.run()
    assert not at.exception
    per = assumed_revenue(sample.frame, "Business unit", 10_000.0, {"Logistics": 25_000.0})
    rev = revenue_by_group(sample.frame, r.loyalty, per)
    assert metric(at, "Detractor revenue (at risk)").value == fmt.money(rev.detractors)
    assert metric(at, "Total annual revenue").value == fmt.money(rev.total)
    assert "by Business unit, Logistics $25,000; $10,000 for every other customer" in talking(at)


def test_talking_points_carry_the_money_figure_and_download(sample):
    at = run_app()
    text = talking(at)
    assert text.splitlines()[0] == "Detractors hold $761.7M of annual revenue (35% of the $2.2B total)."
    assert 'Revenue is each respondent\'s annual revenue from the column "Annual revenue".' in text
    assert "(a model estimate)" in text  # the driver what-if is on by default
    at.radio(key="revenue_currency").set_value("€").run()
    assert not at.exception
    assert talking(at).startswith("Detractors hold €761.7M of annual revenue")
    assert metric(at, "Total annual revenue").value == "€2.2B"
    assert any(b.label == "Download as .txt" for b in at.get("download_button"))


def test_filter_respected(sample):
    at = run_app()
    at.multiselect(key="flt_seg_Region").set_value(["EMEA"]).run()
    assert not at.exception
    r = sample.roles
    emea = sample.frame[sample.frame["Region"] == "EMEA"]
    rev = revenue_by_group(emea, r.loyalty, r.revenue)
    assert metric(at, "Detractor revenue (at risk)").value == fmt.money(rev.detractors)
    assert group_table(at).set_index("group").loc["Detractor", "revenue"] == rev.detractors
    assert "These figures cover Region: EMEA (1,629 of 5,000 respondents)." in talking(at)


def test_extrapolation_to_the_customer_base(sample):
    at = run_app()
    at.toggle(key="revenue_extrapolate").set_value(True).run()
    assert not at.exception
    assert any("type the number of customers" in i.value for i in at.info)
    assert metric(at, "Total annual revenue").value == "$2.2B"  # respondents until sizes are typed
    at.selectbox(key="revenue_base_segment").set_value("Business unit")
    work = dict(at.session_state["work"])
    work["revenue_base_size"] = {"Business unit": BASE}
    at.session_state["work"] = work
    at.run()
    assert not at.exception
    r = sample.roles
    w = extrapolation_weights(sample.frame, "Business unit", r.revenue, BASE)
    rev = revenue_by_group(sample.frame, r.loyalty, r.revenue, weights=w)
    assert rev.extrapolated
    assert metric(at, "Detractor revenue (at risk), whole base").value == fmt.money(rev.detractors)
    assert metric(at, "Total annual revenue, whole base").value == fmt.money(rev.total)
    assert "across the whole customer base" in at.subheader[0].value
    assert "across the whole customer base (extrapolated from respondents)" in talking(at)
    # A filter on another column keeps part of each business unit: no scaling up, and it says so.
    at.multiselect(key="flt_seg_Region").set_value(["EMEA"]).run()
    assert not at.exception
    assert any("keeps only part of each Business unit" in w.value.replace("\\", "") for w in at.warning)
    emea = sample.frame[sample.frame["Region"] == "EMEA"]
    assert metric(at, "Total annual revenue").value == fmt.money(revenue_by_group(emea, r.loyalty, r.revenue).total)


def test_driver_what_if_is_the_driver_model_and_stays_within_the_survey(sample):
    r = sample.roles
    rev = revenue_by_group(sample.frame, r.loyalty, r.revenue)
    at = run_app()
    driver = at.selectbox(key="revenue_driver").value
    assert driver == "Billing accuracy"  # most revenue among its low raters
    at.select_slider(key="revenue_driver_delta").set_value(1.0).run()
    assert not at.exception
    change = predicted_outcome_change(sample.frame, list(r.drivers), r.loyalty, driver, 1.0)
    assert metric(at, "NPS change (model estimate)").value == f"{change.nps_change:+.1f} points"
    value = driver_change_value(clv_summary(rev), change.nps_change, driver=driver, delta=1.0)
    assert fmt.money(value.revenue_per_year) in [m.value for m in at.metric]
    # Every rise offered needs no more detractors than the survey has (to passives: Δ/100 × n ≤ D).
    options = [float(o.lstrip("+")) for o in at.select_slider(key="revenue_driver_delta").options]
    assert options and max(options) < 4.0
    for delta in options:
        nps = predicted_outcome_change(sample.frame, list(r.drivers), r.loyalty, driver, delta).nps_change
        assert nps / 100 * rev.n <= rev.n_detractors
    at.radio(key="revenue_driver_to").set_value("promoters").run()
    assert not at.exception
    assert len(at.select_slider(key="revenue_driver_delta").options) > len(options)


def test_retention_what_if_changes_lifetime_value(sample):
    r = sample.roles
    rev = revenue_by_group(sample.frame, r.loyalty, r.revenue)
    at = run_app()
    at.slider(key="revenue_wi_ret_detractors").set_value(5).run()
    assert not at.exception
    w = retention_change(ClvAssumptions(), ClvAssumptions(retention_detractors=0.70), rev)
    assert metric(at, "Lifetime value").delta == "+" + fmt.money(w.change)
    change = w.revenue_change_per_year
    assert metric(at, "Change in revenue renewing next year").value == ("+" if change > 0 else "") + fmt.money(change)
    assert "If detractors renewed at 70% instead of 65%" in talking(at)


def test_assumptions_survive_a_new_session_on_the_same_url():
    at = run_app()
    at.number_input(key="revenue_margin").set_value(40).run()
    at.slider(key="revenue_convert_share").set_value(30).run()
    assert not at.exception
    assert "40% gross margin" in talking(at)
    again = AppTest.from_file(APP, default_timeout=90)
    again.query_params["ws"] = at.query_params["ws"]
    again.query_params["desk"] = at.query_params["desk"]
    run_app(at=again)
    assert again.number_input(key="revenue_margin").value == 40
    assert again.slider(key="revenue_convert_share").value == 30
    assert "Converting 30% of detractors" in talking(again)


@pytest.mark.skipif(not (ROOT / "pages" / "comments.py").exists(), reason="no Comments page yet")
def test_theme_drill_opens_comments_on_that_theme():
    at = run_app()
    at.selectbox(key="revenue_theme_pick").set_value("Billing errors").run()
    at.button(key="revenue_theme_open").click().run()
    assert not at.exception
    assert at.session_state["drill"] == {"theme": "Billing errors", "from": "Revenue at risk"}
    assert [t.value for t in at.title] == ["Comments"]
