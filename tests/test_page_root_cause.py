"""Root cause page: 5 Whys canvases from the vital few, prefilled from the Comments drill, saved as work."""

from __future__ import annotations

from conftest import APP, plain
from streamlit.testing.v1 import AppTest

from cx.rootcause import (
    fifth_why,
    leading_indicator_names,
    missing_parts,
    move,
    new_root_cause,
    normalise,
    remove,
)


def open_page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("../pages/root_cause.py")
    at.run()
    assert not at.exception, at.exception
    return at


def test_vital_few_and_adding_canvases():
    at = open_page()
    assert any("Billing errors" in m.value for m in at.markdown)
    # Praise is in the sample's vital few (the third most mentioned theme) but is not a problem to root-cause.
    assert at.multiselect(key="rc_pick").options == [
        "Billing errors", "Ease of doing business", "Returns and credits", "Support responsiveness", "Product quality"]
    assert any("Praise (general positive) is praise, not a problem" in plain(c.value) for c in at.caption)
    at.multiselect(key="rc_pick").set_value(["Billing errors", "Ease of doing business"]).run()
    at.button(key="rc_add").click().run()
    assert not at.exception
    entries = at.session_state["work"]["root_causes"]
    assert [e["theme"] for e in entries] == ["Billing errors", "Ease of doing business"]
    assert entries[0]["count"] == 1358 and len(entries[0]["examples"]) == 3
    rid = entries[0]["id"]
    at.text_input(key=f"rc_{rid}_why0").input("Invoices carry wrong prices").run()
    at.text_input(key=f"rc_{rid}_name").input("% invoices passing validation first time").run()
    assert not at.exception
    saved = at.session_state["work"]["root_causes"][0]
    assert saved["whys"][0] == "Invoices carry wrong prices"
    assert saved["indicator"]["name"] == "% invoices passing validation first time"
    at.button(key=f"rc_{entries[1]['id']}_up").click().run()
    assert [e["theme"] for e in at.session_state["work"]["root_causes"]] == ["Ease of doing business", "Billing errors"]
    at.button(key=f"rc_{rid}_remove").click().run()
    assert [e["theme"] for e in at.session_state["work"]["root_causes"]] == ["Ease of doing business"]


def test_theme_from_comments_arrives_prefilled():
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.session_state["drill"] = {"theme": "Billing errors", "theme_count": 1358,
                                 "examples": ["one", "two", "three"], "from": "Comments"}
    at.switch_page("../pages/root_cause.py")
    at.run()
    assert not at.exception
    entry = at.session_state["work"]["root_causes"][0]
    assert (entry["theme"], entry["count"], entry["examples"]) == ("Billing errors", 1358, ["one", "two", "three"])
    at.run()  # a rerun does not add it twice
    assert len(at.session_state["work"]["root_causes"]) == 1


def test_scope_per_business_unit():
    at = open_page()
    at.selectbox(key="rc_scope").set_value("Logistics").run()
    assert not at.exception
    assert any(m.value.startswith("Logistics") for m in at.markdown)


def test_root_cause_records():
    e = new_root_cause("Billing errors", "Logistics", 12, ["a", "b", "c", "d"])
    assert e["examples"] == ["a", "b", "c"] and len(e["whys"]) == 5 and e["scope"] == "Logistics"
    assert "5 of the 5 whys" in missing_parts(e) and "the workflow diamond" in missing_parts(e)
    e["whys"] = ["w1", "w2", "w3", "", ""]
    assert fifth_why(e) == "w3"
    assert normalise({"theme": "x", "whys": ["a"]})["whys"] == ["a", "", "", "", ""]
    a, b, c = (new_root_cause(t) for t in "abc")
    assert [x["theme"] for x in move([a, b, c], c["id"], -1)] == ["a", "c", "b"]
    assert [x["theme"] for x in move([a, b, c], a["id"], -5)] == ["a", "b", "c"]
    assert [x["theme"] for x in remove([a, b, c], b["id"])] == ["a", "c"]
    b["indicator"]["name"] = "First-time invoice accuracy"
    c["indicator"]["name"] = "First-time invoice accuracy"
    assert leading_indicator_names([a, b, c]) == ["First-time invoice accuracy"]
