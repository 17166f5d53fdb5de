"""Sampling page on the sample survey and the demo customer base: every number is the cx functions' number."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import APP, ROOT, SAMPLE, open_app
from streamlit.testing.v1 import AppTest

from cx import fmt
from cx.clean import inspect_survey, prepare_survey
from cx.load import read_survey
from cx.nps import nps_summary
from cx.sampling import (
    allocate_sample,
    base_from_customers,
    base_from_sizes,
    draw_sample,
    last_wave_overall,
    last_wave_shares,
    nps_sample_size,
    post_stratified_nps,
    representativeness,
    with_last_wave,
)

DEMO = ROOT / "data" / "demo_customer_base.csv"
LOYALTY = "Likelihood to recommend"



@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    raw = read_survey(SAMPLE.read_bytes(), SAMPLE.name)
    inspection = inspect_survey(raw)
    return prepare_survey(raw, inspection.roles, inspection).frame


@pytest.fixture(scope="module")
def customers() -> pd.DataFrame:
    return read_survey(DEMO.read_bytes(), DEMO.name).frame


def run_app(page: str | None = "sampling") -> AppTest:
    return open_app(page)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label.startswith(label))


def plan(survey, customers, strata=("Business unit",), moe=5.0, method="neyman", minimum=30, rate=0.2):
    lw = last_wave_shares(survey, LOYALTY, list(strata))
    base = base_from_customers(customers, list(strata), "Account ID", lw)
    p, d = last_wave_overall(lw)
    size = nps_sample_size(moe, p, d, population=int(base["N"].sum()))
    alloc = allocate_sample(base, moe_points=moe, method=method, minimum=minimum, response_rate=rate)
    return base, size, alloc


def preview(at: AppTest) -> pd.DataFrame:
    """The first customers drawn (the table that has an Account ID column)."""
    return next(d.value for d in at.dataframe if "Account ID" in d.value.columns)


def test_opens_on_the_demo_base_with_the_cx_plan(survey, customers):
    at = run_app()
    assert any("5,000 of 5,000 respondents" in m.value for m in at.markdown)
    base, size, alloc = plan(survey, customers)
    assert metric(at, "Customers in the base") == "15,000"
    assert metric(at, "Strata") == "4"
    assert metric(at, "Simple random sample") == fmt.count(size.completes) == "969"
    assert metric(at, "Stratified") == fmt.count(alloc.n) == "965"
    assert metric(at, "Invitations to send") == fmt.count(alloc.invitations) == "4,825"
    assert metric(at, "Expected margin of error") == f"±{fmt.number(alloc.overall_moe, 1)} points"
    table = next(d.value for d in at.dataframe if "completes" in d.value.columns)
    assert table["stratum"].astype(str).tolist() == alloc.strata["stratum"].astype(str).tolist()
    assert table["completes"].tolist() == alloc.strata["completes"].tolist()
    assert table["invitations"].tolist() == alloc.strata["invitations"].tolist()
    formula = next(m.value for m in at.markdown if m.value.startswith("Sample size"))
    assert "finite\\-population correction" in formula and "n0 / \\(1 \\+ \\(n0 − 1\\) / N\\)" in formula


def test_plan_inputs_change_every_number(survey, customers):
    at = run_app()
    at.number_input(key="sampling_moe").set_value(3.0)
    at.radio(key="sampling_method").set_value("proportional")
    at.number_input(key="sampling_minimum").set_value(100)
    at.number_input(key="sampling_response_rate").set_value(25.0)
    at.multiselect(key="sampling_strata").set_value(["Business unit", "Account tier"]).run()
    assert not at.exception
    _, size, alloc = plan(survey, customers, ("Business unit", "Account tier"), 3.0, "proportional", 100, 0.25)
    assert metric(at, "Strata") == "16"
    assert metric(at, "Simple random sample") == fmt.count(size.completes)
    assert metric(at, "Stratified (proportional)") == fmt.count(alloc.n)
    assert metric(at, "Invitations to send") == fmt.count(alloc.invitations)
    assert alloc.strata["at_minimum"].any()  # the minimum binds somewhere: the test exercises it


def test_worst_case_when_last_wave_is_not_used(customers):
    at = run_app()
    at.radio(key="sampling_last_wave").set_value("Worst case (no last wave)").run()
    assert not at.exception
    base = base_from_customers(customers, ["Business unit"], "Account ID")
    alloc = allocate_sample(base, moe_points=5.0, method="neyman", minimum=30, response_rate=0.2)
    assert metric(at, "Simple random sample") == fmt.count(nps_sample_size(5.0, population=15000).completes)
    assert metric(at, "Stratified") == fmt.count(alloc.n)
    assert metric(at, "Strata with last wave's results") == "0 of 4"


def test_the_draw_is_reproducible_for_a_seed(survey, customers):
    at = run_app()
    _, _, alloc = plan(survey, customers)
    expected = draw_sample(customers, ["Business unit"], alloc, 2026, id_col="Account ID")
    assert metric(at, "Seed") == "2026"
    assert metric(at, "Customers drawn") == fmt.count(expected.n_drawn) == "4,825"
    first = preview(at)
    assert first["Account ID"].tolist() == expected.sample["Account ID"].head(100).tolist()
    url = at.download_button(key="sampling_download").proto.url

    again = run_app()  # a new session, same seed: the same customers and the same file
    assert preview(again)["Account ID"].tolist() == first["Account ID"].tolist()
    assert again.download_button(key="sampling_download").proto.url == url

    again.number_input(key="sampling_seed").set_value(7).run()
    assert not again.exception
    other = draw_sample(customers, ["Business unit"], alloc, 7, id_col="Account ID")
    assert preview(again)["Account ID"].tolist() == other.sample["Account ID"].head(100).tolist()
    assert preview(again)["Account ID"].tolist() != first["Account ID"].tolist()
    again.button(key="sampling_new_seed").click().run()
    assert not again.exception
    assert metric(again, "Seed") == str(again.session_state["sampling_seed"])


def test_contact_frequency_rule(survey, customers):
    at = run_app()
    at.toggle(key="sampling_contact").set_value(True).run()
    assert not at.exception
    assert at.selectbox(key="sampling_last_surveyed").value == "Last surveyed"
    _, _, alloc = plan(survey, customers)
    expected = draw_sample(customers, ["Business unit"], alloc, 2026, exclude_recent_days=90,
                           last_surveyed_col="Last surveyed", id_col="Account ID")
    assert expected.n_excluded > 0
    assert metric(at, "Left out by the contact rule") == fmt.count(expected.n_excluded)
    assert preview(at)["Account ID"].tolist() == expected.sample["Account ID"].head(100).tolist()
    at.selectbox(key="sampling_last_surveyed").set_value("(none)").run()
    assert not at.exception
    assert any("last surveyed" in w.value for w in at.warning)


def test_representativeness_and_weights_reach_the_overview(survey, customers):
    at = run_app()
    base, _, _ = plan(survey, customers)
    sizes = base[["stratum", "N"]]
    rep = representativeness(survey, ["Business unit"], sizes)
    weighted = post_stratified_nps(survey, LOYALTY, ["Business unit"], sizes)
    assert metric(at, "NPS weighted to the base") == fmt.nps_with_moe(weighted.score, weighted.ci95)
    assert metric(at, "Effective sample size (Kish)") == fmt.count(rep.n_effective)
    assert any("differs from the customer base" in m.value and "p \\< 0\\.001" in m.value for m in at.markdown)

    at.button(key="sampling_apply_weights").click().run()
    assert not at.exception
    assert at.session_state["roles"].weight == "Post-stratification weight"
    assert at.session_state["work"]["post_stratification"]["weights"] == rep.stratum_weights()
    assert any("now shows weighted scores" in s.value for s in at.success)
    at.switch_page("../pages/overview.py").run()
    assert not at.exception
    assert at.metric[0].label == "NPS (weighted)"
    assert at.metric[0].value == fmt.nps_with_moe(weighted.score, weighted.ci95)
    assert any(f"effective sample size {fmt.count(weighted.effective_n)} (Kish)" in c.value for c in at.caption)

    at.switch_page("../pages/sampling.py").run()
    at.button(key="sampling_stop_weights").click().run()
    assert not at.exception
    assert at.session_state["roles"].weight is None
    at.switch_page("../pages/overview.py").run()
    assert at.metric[0].label == "NPS"
    assert at.metric[0].value == fmt.nps_with_moe(nps_summary(survey, LOYALTY).score, nps_summary(survey, LOYALTY).ci95)


def test_weighting_waits_for_the_filter_to_be_cleared():
    at = run_app()
    at.multiselect(key="flt_seg_Region").set_value(["EMEA"]).run()
    assert not at.exception
    assert at.button(key="sampling_apply_weights").disabled
    assert any("Clear the sidebar filter" in c.value for c in at.caption)


def test_upload_a_customer_list_and_a_bad_file(survey, customers):
    at = run_app()
    at.radio(key="sampling_source").set_value("Upload a customer list").run()
    assert not at.exception
    assert any("Upload the list of customers" in i.value for i in at.info)
    at.file_uploader(key="sampling_upload").upload("customers.csv", DEMO.read_bytes(), "text/csv").run()
    assert not at.exception
    _, size, alloc = plan(survey, customers)
    assert metric(at, "Stratified") == fmt.count(alloc.n)
    assert at.session_state["work"]["sampling_customer_file"]["name"] == "customers.csv"
    at.file_uploader(key="sampling_upload").upload("bad.xlsx", b"\x00\x01binary garbage" * 50,
                                                    "application/octet-stream").run()
    assert not at.exception
    assert at.error  # says what is wrong; the list loaded before stays in use
    assert metric(at, "Stratified") == fmt.count(alloc.n)


def test_duplicate_ids_are_refused_in_words(customers):
    at = run_app()
    at.radio(key="sampling_source").set_value("Upload a customer list").run()
    doubled = pd.concat([customers.head(50), customers.head(50)]).to_csv(index=False).encode()
    at.file_uploader(key="sampling_upload").upload("dup.csv", doubled, "text/csv").run()
    assert not at.exception
    assert any("duplicate ids" in e.value for e in at.error)


def test_stratum_sizes_entered_by_hand(survey, customers):
    at = run_app()
    at.radio(key="sampling_source").set_value("Enter stratum sizes").run()
    assert not at.exception
    lw = last_wave_shares(survey, LOYALTY, ["Business unit"])
    prefilled = with_last_wave(base_from_customers(customers, ["Business unit"])[["stratum", "N"]], lw)
    alloc = allocate_sample(prefilled, moe_points=5.0, method="neyman", minimum=30, response_rate=0.2)
    assert metric(at, "Stratified") == fmt.count(alloc.n)
    assert any("Drawing needs the customer list" in i.value for i in at.info)

    rows = [{"stratum": "Logistics", "N": 900}, {"stratum": "Packaging", "N": 300},
            {"stratum": "Field Services", "N": 200}, {"stratum": "Industrial Supplies", "N": 600}]
    at.session_state["work"]["sampling_sizes"] = {"strata": ["Business unit"], "rows": rows, "version": 9}
    at.run()
    assert not at.exception
    typed = with_last_wave(base_from_sizes(pd.DataFrame(rows)), lw)
    alloc = allocate_sample(typed, moe_points=5.0, method="neyman", minimum=30, response_rate=0.2)
    assert metric(at, "Customers in the base") == "2,000"
    assert metric(at, "Stratified") == fmt.count(alloc.n)
    rep = representativeness(survey, ["Business unit"], typed)
    assert metric(at, "Effective sample size (Kish)") == fmt.count(rep.n_effective)


def test_inputs_and_the_uploaded_list_survive_a_new_session(survey, customers):
    at = run_app()
    at.radio(key="sampling_source").set_value("Upload a customer list").run()
    small = customers[customers["Business unit"] != "Packaging"]
    at.file_uploader(key="sampling_upload").upload("three_units.csv", small.to_csv(index=False).encode(),
                                                    "text/csv").run()
    at.number_input(key="sampling_moe").set_value(4.0)
    at.number_input(key="sampling_seed").set_value(99).run()
    assert not at.exception
    first = preview(at)["Account ID"].tolist()
    again = AppTest.from_file(APP, default_timeout=90)
    again.query_params["ws"], again.query_params["desk"] = at.query_params["ws"], at.query_params["desk"]
    again.run()
    again.switch_page("../pages/sampling.py").run()
    assert not again.exception
    assert again.radio(key="sampling_source").value == "Upload a customer list"
    assert again.number_input(key="sampling_moe").value == 4.0
    assert metric(again, "Strata") == "3" and metric(again, "Seed") == "99"
    assert preview(again)["Account ID"].tolist() == first
