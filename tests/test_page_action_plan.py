"""The Action plan page on the sample survey: preview = the HTML export, downloads, scopes, saved plan
fields and 5 Whys, close-the-loop draft."""

from __future__ import annotations

import pytest
from conftest import APP, SAMPLE
from streamlit.testing.v1 import AppTest

from cx import fmt
from cx.analysis import load_survey
from cx.nps import nps_summary

DOWNLOADS = {"PDF (one page)", "HTML", "Markdown", "XLSX (plan and tables)", "Message as text",
             "Message as Markdown", "Message as HTML", "Download 4 plans (zip)"}



@pytest.fixture(scope="module")
def survey():
    return load_survey(SAMPLE)[1]


def run_page(work: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    if work is not None:
        at.session_state["work"] = work
    at.switch_page("../pages/action_plan.py")
    at.run()
    assert not at.exception, at.exception
    return at


def preview(at: AppTest) -> str:
    bodies = [h.proto.body for h in at.get("html")]
    assert len(bodies) == 1
    return bodies[0]


def downloads(at: AppTest) -> set[str]:
    return {b.proto.label for b in at.get("download_button")}


def test_page_shows_the_plan_and_offers_every_download(survey):
    at = run_page()
    html = preview(at)
    nps = nps_summary(survey.frame, survey.roles.loyalty)
    expected = fmt.nps_with_moe(nps.score, nps.ci95)
    assert expected == "-5 (±2)" and expected in html
    assert "Ease of doing business" in html and "Billing errors" in html
    assert html.startswith('<div class="cx-plan">') and "<script" not in html
    assert downloads(at) == DOWNLOADS
    assert at.selectbox(key="plan_scope_col").value == "Business unit"
    assert at.selectbox(key="plan_scope").value == "Overall"
    message = at.code[0].value
    assert "ease of doing business" in message and "all our customers" in message


def test_business_unit_scope_changes_every_number(survey):
    at = run_page()
    at.selectbox(key="plan_scope").set_value("Logistics").run()
    assert not at.exception
    html = preview(at)
    part = survey.frame[survey.frame["Business unit"] == "Logistics"]
    nps = nps_summary(part, survey.roles.loyalty)
    assert fmt.nps_with_moe(nps.score, nps.ci95) == "-13 (±4)"
    assert "-13 (±4)" in html and "Action plan: Logistics" in html and "1,313 respondents" in html
    assert "-5 (±2)" not in html


def test_plan_fields_and_loop_fields_are_saved_per_scope():
    at = run_page()
    at.text_input(key="plan_owner_Overall").set_value("Jane Doe").run()
    assert not at.exception
    assert at.session_state["work"]["plan"]["Overall"]["owner"] == "Jane Doe"
    assert "Plan owner: Jane Doe" in preview(at)
    at.text_area(key="plan_loop_what_we_do_Overall").set_value("We now check every invoice twice.").run()
    at.text_input(key="plan_loop_company_Overall").set_value("Acme").run()
    assert not at.exception
    assert at.session_state["work"]["loop"]["Overall"]["what_we_do"] == "We now check every invoice twice."
    message = at.code[0].value
    assert "We now check every invoice twice." in message and "The Acme team" in message
    at.selectbox(key="plan_scope").set_value("Packaging").run()
    assert "Plan owner: not named yet" in preview(at)
    at.selectbox(key="plan_scope").set_value("Overall").run()
    assert not at.exception
    assert "Plan owner: Jane Doe" in preview(at)


def test_root_causes_from_the_workspace_are_in_the_plan():
    canvas = {"id": "abc", "theme": "Billing errors", "scope": "Logistics", "count": 300,
              "examples": ["Invoices wrong, call me on +44 20 7946 0958"],
              "whys": ["w1", "w2", "w3", "w4", "No validation before invoices are released"],
              "diamond": "Invoice release: approve or hold",
              "indicator": {"name": "% invoices right first time", "definition": "", "baseline": "82%",
                            "target": "97%", "cadence": "Weekly", "owner": "Head of billing", "due": "2027-03-31"}}
    at = run_page({"root_causes": [canvas]})
    assert "No 5 Whys recorded for Overall yet" in preview(at)
    at.selectbox(key="plan_scope").set_value("Logistics").run()
    assert not at.exception
    html = preview(at)
    assert "No validation before invoices are released" in html and "Head of billing" in html
    assert "[phone]" in html and "7946" not in html
    assert "Billing errors: we are fixing it where it starts" in at.code[0].value


def test_page_opens_on_the_root_cause_pages_scope():
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.session_state["rc_scope_col"] = "Business unit"
    at.session_state["rc_scope"] = "Packaging"
    at.switch_page("../pages/action_plan.py")
    at.run()
    assert not at.exception
    assert at.selectbox(key="plan_scope").value == "Packaging"
    assert "Action plan: Packaging" in preview(at)
