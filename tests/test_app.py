"""Every page opens on the sample survey without an exception; uploads replace the data or say why not."""

from __future__ import annotations

import pytest
from conftest import APP, ROOT, open_app
from streamlit.testing.v1 import AppTest

PAGES = ["overview", "data"]



def run_app(page: str | None = None) -> AppTest:
    return open_app(page)


@pytest.mark.parametrize("page", PAGES)
def test_page_opens_on_sample(page):
    at = run_app(page)
    assert any("5,000 of 5,000 respondents" in m.value for m in at.markdown)


def test_overview_headline_matches_cli_numbers():
    at = run_app()
    assert at.metric[0].value == "-5 (±2)"
    assert at.metric[1].value == "31%"


def test_filter_changes_every_number():
    at = run_app()
    at.multiselect(key="flt_seg_Region").set_value(["EMEA"]).run()
    assert not at.exception
    assert any("1,629 of 5,000 respondents" in m.value for m in at.markdown)


def test_core_growth_customers_defined_on_the_data_page_filter_every_page():
    import pandas as pd

    frame = pd.read_csv(ROOT / "data" / "sample_survey.csv")
    tier = next(c for c in frame.columns if "tier" in c.lower())
    chosen = sorted(frame[tier].dropna().unique())[:2]
    expected = int(frame[tier].isin(chosen).sum())
    at = run_app("data")
    at.toggle(key="flt_core").set_value(True).run()
    assert any("Mark who your core-growth customers are" in c.value for c in at.caption)
    assert any("5,000 of 5,000 respondents" in m.value for m in at.markdown)  # nothing marked: no filter yet
    at.multiselect(key=f"flt_icp_{tier}").set_value(chosen).run()
    assert not at.exception
    assert any(f"{expected:,} of 5,000 respondents" in m.value for m in at.markdown)
    at.switch_page("../pages/overview.py").run()
    assert not at.exception
    assert any(f"{expected:,} of 5,000 respondents" in m.value for m in at.markdown)


def test_upload_replaces_data_and_bad_upload_keeps_it(shapes_dir):
    at = run_app("data")
    at.file_uploader(key="data_upload").upload("surveymonkey.csv", (shapes_dir / "surveymonkey.csv").read_bytes(),
                                                "text/csv").run()
    assert not at.exception
    assert any("22 of 22 respondents" in m.value for m in at.markdown)
    at.file_uploader(key="data_upload").upload("garbage.xlsx", b"\x00\x01binary garbage" * 50,
                                                "application/octet-stream").run()
    assert not at.exception
    assert any("not one" in e.value or "damaged" in e.value for e in at.error)
    assert any("22 of 22 respondents" in m.value for m in at.markdown)


def test_remapping_a_role():
    at = run_app("data")
    token = at.session_state["dataset"].token[:10]
    at.multiselect(key=f"data_role_segments_{token}").set_value(["Region"])
    next(b for b in at.button if b.label == "Apply mapping").click().run()
    assert not at.exception
    assert at.session_state["roles"].segments == ("Region",)
    assert [w.label for w in at.sidebar.multiselect][:1] == ["Region"]


def test_choosing_a_text_column_as_loyalty_is_refused():
    at = run_app("data")
    token = at.session_state["dataset"].token[:10]
    at.selectbox(key=f"data_role_loyalty_{token}").set_value("Region")
    next(b for b in at.button if b.label == "Apply mapping").click().run()
    assert not at.exception
    assert any("no valid 0–10 answers" in e.value for e in at.error)
    assert at.session_state["roles"].loyalty == "Likelihood to recommend"


def test_work_survives_a_new_session_on_the_same_url():
    at = run_app()
    at.multiselect(key="flt_seg_Region").set_value(["EMEA"]).run()
    ws, desk = at.query_params["ws"], at.query_params["desk"]
    assert ws and desk
    again = AppTest.from_file(APP, default_timeout=90)
    again.query_params["ws"] = ws
    again.query_params["desk"] = desk
    again.run()
    assert not again.exception
    assert any("1,629 of 5,000 respondents" in m.value for m in again.markdown)
    other = AppTest.from_file(APP, default_timeout=90)
    other.run()
    assert other.query_params["ws"] != ws
    assert any("5,000 of 5,000 respondents" in m.value for m in other.markdown)


def test_workspace_rename_new_and_switch():
    at = run_app("data")
    first = at.query_params["ws"]
    at.text_input(key="data_ws_name").input("Q3 offsite").run()
    at.button(key="data_ws_rename").click().run()
    assert not at.exception
    at.button(key="data_ws_new").click().run()
    assert not at.exception and at.query_params["ws"] != first
    names = [r["name"] for r in at.dataframe[0].value.to_dict("records")] if at.dataframe else []
    assert "Q3 offsite" in names
    at.selectbox(key="data_ws_target").set_value(first)
    at.button(key="data_ws_open").click().run()
    assert not at.exception and at.query_params["ws"] == first


def test_overview_tables_show_the_segment_and_trend_numbers():
    """The NPS-by-segment and trend tables show the numbers of nps_by_segment and nps_trend, as text."""
    from conftest import shown_table

    from cx import fmt
    from cx.analysis import load_survey
    from cx.nps import nps_by_segment, nps_trend

    at = run_app()
    segment = at.selectbox(key="overview_segment").value
    _, survey = load_survey(ROOT / "data" / "sample_survey.csv")
    r = survey.roles
    table = nps_by_segment(survey.frame, r.loyalty, segment, r.weight)
    shown = shown_table(at, segment)
    assert shown[segment].tolist() == table["value"].tolist()
    assert shown["n"].tolist() == [fmt.count(n) for n in table["n"]]
    assert shown["score (exact)"].tolist() == [fmt.signed(s, 1) for s in table["score"]]
    trend = nps_trend(survey.frame, r.loyalty, date=r.date, period="quarter", weight=r.weight)
    shown = shown_table(at, "period")
    assert shown["period"].tolist() == trend["period"].tolist()
    assert shown["NPS"].tolist() == [fmt.signed(s, 1) for s in trend["score"]]


def test_static_table_shows_pipes_and_markup_as_text():
    from conftest import shown_table

    def page():
        import pandas as pd

        from cx import fmt, ui

        ui.static_table(pd.DataFrame({"a | <b>": [fmt.md_escape("x | **y** [z](http://e.example)", codes=True), "1"],
                                      "n": ["2", ""]}))

    at = AppTest.from_function(page).run()
    assert not at.exception
    shown = shown_table(at, "a | <b>")
    assert shown.values.tolist() == [["x | **y** [z](http://e.example)", "2"], ["1", ""]]
