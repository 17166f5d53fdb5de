"""Overview of a survey without a 0–10 loyalty question: the outcome (a 1–5 satisfaction) read like NPS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import REAL, SAMPLE, needs_shared, open_app, plain, shown_table

from cx.outcome import outcome_by_segment, outcome_summary, outcome_trend


@pytest.fixture(scope="module")
def csat_survey() -> tuple[bytes, pd.DataFrame]:
    """The sample survey with its 0–10 question replaced by a 1–5 overall satisfaction (⌈LTR / 2⌉, 0 → 1)."""
    frame = pd.read_csv(SAMPLE)
    ltr = frame.pop("Likelihood to recommend")
    frame.insert(6, "Overall satisfaction", np.clip(np.ceil(ltr / 2), 1, 5).astype("Int64"))
    return frame.to_csv(index=False).encode(), frame


def open_overview(data: bytes, name: str = "csat_only.csv", outcome: str = "Overall satisfaction"):
    at = open_app("data")
    at.file_uploader(key="data_upload").upload(name, data, "text/csv").run()
    assert not at.exception, at.exception
    assert at.session_state["roles"].loyalty is None
    assert at.session_state["roles"].outcome == outcome
    at.switch_page("../pages/overview.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_overview_reads_the_outcome_when_there_is_no_nps(csat_survey):
    data, frame = csat_survey
    at = open_overview(data)
    assert any("there is no NPS" in plain(i.value) for i in at.info)
    assert plain(at.caption[0].value) == ("Where does Overall satisfaction stand, how sure are we, and where and when "
                                          "is it different?")
    expected = outcome_summary(frame, "Overall satisfaction", (1, 5))
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Mean"] == f"{expected.mean:.2f} ± {expected.margin:.2f}"
    assert metrics["Top-2-box (4–5)"] == f"{100 * expected.top_box:.0f}%"
    assert metrics["Bottom-2-box (1–2)"] == f"{100 * expected.bottom_box:.0f}%"
    assert any(f"Base: {expected.n:,} respondents" in plain(c.value) for c in at.caption)
    # Segments: the table of the first segment has the rows of outcome_by_segment.
    segment = at.selectbox(key="overview_segment").value
    table = outcome_by_segment(frame, "Overall satisfaction", segment, (1, 5))
    shown = shown_table(at, segment)
    assert shown[segment].tolist() == table["value"].tolist()
    assert shown["n"].tolist() == [f"{n:,}" for n in table["n"]]
    # Trend by quarter: the significant changes listed are those of outcome_trend.
    trend = outcome_trend(frame.assign(**{"Response date": pd.to_datetime(frame["Response date"])}),
                          "Overall satisfaction", (1, 5), date="Response date", period="quarter")
    moved = trend[trend["reportable_change"]]
    text = next(plain(m.value) for m in at.markdown if "Significant changes" in m.value or "No change" in m.value)
    assert all(p in text for p in moved["period"]) and (len(moved) > 0) == ("Significant changes" in text)


def test_outcome_overview_follows_the_filter(csat_survey):
    data, frame = csat_survey
    at = open_overview(data)
    at.sidebar.multiselect(key="flt_seg_Region").set_value(["EMEA"]).run()
    assert not at.exception, at.exception
    expected = outcome_summary(frame[frame["Region"] == "EMEA"], "Overall satisfaction", (1, 5))
    assert {m.label: m.value for m in at.metric}["Mean"] == f"{expected.mean:.2f} ± {expected.margin:.2f}"


def test_present_opens_on_the_outcome(csat_survey):
    from cx.roles import Roles
    from cx.story import nps_screen

    data, frame = csat_survey
    at = open_overview(data)
    at.switch_page("../pages/present.py")
    at.run()
    assert not at.exception, at.exception
    at.toggle(key="present_mode").set_value(True).run()
    assert not at.exception, at.exception
    frame = frame.assign(**{"Response date": pd.to_datetime(frame["Response date"])})
    expected = nps_screen(frame, Roles(outcome="Overall satisfaction", date="Response date"),
                          outcome_scale=(1, 5)).takeaway
    assert expected.startswith("Overall satisfaction averages 3.81 ± 0.03 on 1–5 across 5,000 respondents")
    assert any(expected == plain(m.value) for m in at.markdown)


@needs_shared(REAL)
@pytest.mark.parametrize("name, outcome", [("womens_clothing_ecommerce_reviews.csv", "Rating"),
                                           ("skytrax_lounge_reviews.csv", "overall_rating"),
                                           ("amazon_alexa_reviews.tsv", "rating")])
def test_real_rating_only_surveys_get_an_overview(name, outcome):
    """Real public files with a 1–5 rating and no 0–10 question: the Overview shows their outcome."""
    from cx.clean import prepare_survey
    from cx.load import read_survey_file

    survey = prepare_survey(read_survey_file(REAL / name))
    expected = outcome_summary(survey.frame, outcome, survey.scales[outcome])
    at = open_overview((REAL / name).read_bytes(), name, outcome)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Mean"] == f"{expected.mean:.2f} ± {expected.margin:.2f}"
    assert metrics["Top-2-box (4–5)"] == f"{100 * expected.top_box:.0f}%"


def test_a_yes_no_outcome_chosen_on_the_data_page():
    """'Would you recommend us?' answered yes / no (yes for 9–10): chosen as the outcome, read as a share."""
    frame = pd.read_csv(SAMPLE)
    ltr = frame.pop("Likelihood to recommend")
    frame.insert(6, "Would you recommend us?", np.where(ltr >= 9, "Yes", "No"))
    at = open_app("data")
    at.file_uploader(key="data_upload").upload("yes_no.csv", frame.to_csv(index=False).encode(), "text/csv").run()
    assert not at.exception, at.exception
    token = at.session_state["dataset"].token[:10]
    at.selectbox(key=f"data_role_outcome_{token}").set_value("Would you recommend us?")
    next(b for b in at.button if b.label == "Apply mapping").click().run()
    assert not at.exception, at.exception
    assert at.session_state["roles"].outcome == "Would you recommend us?"
    at.switch_page("../pages/overview.py")
    at.run()
    assert not at.exception, at.exception
    yes = (ltr >= 9).mean()
    metric = {m.label: m.value for m in at.metric}["Answering yes"]
    assert metric.startswith(f"{100 * yes:.0f}% (") and metric.endswith("%)")
    segment = at.selectbox(key="overview_segment").value
    table = shown_table(at, segment)
    assert list(table.columns) == [segment, "n", "answering yes", "gap vs rest", "p-value", "vs rest"]


PAGES = ["data", "overview", "drivers", "comments", "root_cause", "revenue", "action_plan", "sampling", "indicators",
         "present"]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_on_a_survey_without_nps(csat_survey, page):
    """No page fails on a survey whose only score is a 1–5 satisfaction: each shows it or says what to map."""
    at = open_overview(csat_survey[0])
    at.switch_page(f"../pages/{page}.py")
    at.run()
    assert not at.exception, at.exception
    assert any("5,000 of 5,000 respondents" in m.value for m in at.markdown)
