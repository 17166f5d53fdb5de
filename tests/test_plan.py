"""The action plan engine: hand-computed numbers on a tiny survey, scopes, root causes, missing parts in
words, masking, and the same numbers as `python -m cx analyze` on the sample survey."""

from __future__ import annotations

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT, SAMPLE

from cx.errors import CxInputError
from cx.plan import (
    SECTIONS,
    ActionPlan,
    build_action_plan,
    is_praise,
    money_settings,
    plan_inputs_from_settings,
    plan_inputs_from_work,
    plans_by,
    scope_values,
    with_fields,
)
from cx.revenue import ClvAssumptions
from cx.roles import Roles

CODEBOOK = pd.DataFrame({"theme": ["Billing errors", "Late delivery", "Praise"],
                         "pattern": ["invoice|bill", r"\blate\b", "great|excellent"], "parent": ["", "", ""]})


def small_survey() -> tuple[pd.DataFrame, Roles]:
    """12 respondents in two business units, two drivers, comments, revenue, two quarters.

    Loyalty 10 9 9 8 7 6 | 5 3 0 10 9 10: overall 6 promoters, 2 passives, 4 detractors, NPS +16.7;
    unit A: 3 / 2 / 1, NPS +33.3; unit B: 3 / 0 / 3, NPS 0.
    """
    frame = pd.DataFrame({
        "Likelihood to recommend": [10, 9, 9, 8, 7, 6, 5, 3, 0, 10, 9, 10],
        "Billing accuracy": [5, 4, 5, 4, 3, 2, 2, 1, 1, 5, 4, 5],
        "On-time delivery": [4, 5, 3, 4, 4, 3, 3, 2, 2, 4, 5, 3],
        "Business unit": ["A"] * 6 + ["B"] * 6,
        "Annual revenue": [100.0, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1100, 1200],
        "Response date": pd.to_datetime(["2026-01-15", "2026-02-01", "2026-04-10", "2026-05-01", "2026-03-03",
                                         "2026-06-30", "2026-01-20", "2026-02-11", "2026-04-02", "2026-05-05",
                                         "2026-03-30", "2026-06-01"]),
        "Comment": ["Great people", "Excellent support", None, "Invoice was wrong", "late again",
                    "Invoice wrong, call me on +44 20 7946 0958", "Every bill is wrong and deliveries are late",
                    "Late late late", "Wrong invoice, mail a.b@example.com", "", "Great", "Excellent"],
    })
    frame["Likelihood to recommend"] = frame["Likelihood to recommend"].astype("float64")
    for c in ("Billing accuracy", "On-time delivery"):
        frame[c] = frame[c].astype("float64")
    frame["Business unit"] = frame["Business unit"].astype("str")
    frame["Comment"] = frame["Comment"].astype("str")
    roles = Roles(loyalty="Likelihood to recommend", drivers=("Billing accuracy", "On-time delivery"),
                  comments="Comment", segments=("Business unit",), revenue="Annual revenue", date="Response date")
    return frame, roles


def root_cause(theme: str, scope: str, fifth: str = "No check before release", **indicator) -> dict:
    return {"id": theme[:4] + scope, "theme": theme, "scope": scope, "count": 1,
            "examples": ["Call me on 020 7946 0958 about the invoice"],
            "whys": ["w1", "w2", "w3", "w4", fifth], "diamond": "Invoice release: approve or hold",
            "indicator": {"name": "% invoices right first time", "definition": "right / all", "baseline": "80%",
                          "target": "97%", "cadence": "Weekly", "owner": "Head of billing", "due": "2027-03-31",
                          **indicator}}


def plan_of(**kw) -> ActionPlan:
    frame, roles = small_survey()
    kw.setdefault("codebook", CODEBOOK)
    kw.setdefault("as_of", "2026-07-01")
    return build_action_plan(frame, roles, **kw)


def test_overall_numbers_by_hand():
    p = plan_of()
    assert (p.nps.n, p.nps.promoters, p.nps.passives, p.nps.detractors) == (12, 6, 2, 4)
    assert p.nps.score == pytest.approx(100 * (6 - 4) / 12)
    assert p.n_rows == 12
    assert p.scope == "Overall" and p.scope_label == "All respondents" and p.title == "Action plan"
    # Two quarters: Q1 = 10 9 7 5 3 9 (3 P, 1 A, 2 D) -> +16.7; Q2 = 9 8 6 0 10 10 (3 P, 1 A, 2 D) -> +16.7.
    assert [(t.period, t.n, round(t.score, 3)) for t in p.trend] == [("2026-Q1", 6, 16.667), ("2026-Q2", 6, 16.667)]
    assert not any(t.significant_change for t in p.trend)
    assert "No significant change" in p.trend_text()


def test_themes_vital_few_and_masked_examples():
    p = plan_of()
    # Non-empty comments: 10 (one None, one ""). Billing: rows 3, 5, 6, 8 = 4; Late: 4, 6, 7 = 3;
    # Praise: 0, 1, 10, 11 = 4. Mentions 11: Billing 4 (36%), Praise 4 (73%), Late 3 (100%): all vital.
    assert [(t.theme, t.count) for t in p.themes] == [("Billing errors", 4), ("Praise", 4), ("Late delivery", 3)]
    assert p.vital_few == ("Billing errors", "Praise", "Late delivery")
    assert (p.n_comments, p.mentions) == (10, 11)
    billing = p.vital_few_themes[0]
    # Detractors first: score 0 (mail), 5 (bill), 6 (phone).
    assert billing.examples == ("Wrong invoice, mail [email]", "Every bill is wrong and deliveries are late",
                                "Invoice wrong, call me on [phone]")
    assert p.top_theme == "Billing errors"
    assert p.heard_themes() == ("Billing errors", "Late delivery")


def test_drivers_and_fix_first_quadrant():
    p = plan_of(top_drivers=1)
    from cx.drivers import importance_performance, key_drivers

    frame, roles = small_survey()
    a = key_drivers(frame, list(roles.drivers), roles.loyalty)
    ip = importance_performance(a, frame)
    assert [d.driver for d in p.drivers] == list(a.drivers)
    assert [d.importance for d in p.drivers] == pytest.approx([i.importance for i in a.items])
    assert [d.quadrant for d in p.drivers] == list(ip["quadrant"])
    assert p.top_drivers == p.drivers[:1]
    assert p.top_driver == a.top_driver
    assert p.fix_first == tuple(ip.loc[ip["quadrant"] == "Fix first", "driver"])
    assert p.driver_n == 12 and p.driver_method == "shapley"


def test_business_unit_scope_numbers_and_root_causes():
    entries = [root_cause("Billing errors", "A"), root_cause("Late delivery", "B"),
               root_cause("Praise", "Overall", fifth=""), {"theme": "", "scope": "A"}]
    p = plan_of(scope_col="Business unit", scope_value="A", root_causes=entries,
                fields={"owner": "Ana", "next_review": "2026-09-01", "title": ""})
    assert p.n_rows == 6 and p.nps.n == 6
    assert p.nps.score == pytest.approx(100 * (3 - 1) / 6)
    assert p.scope_label == "Business unit: A" and p.title == "Action plan: A"
    assert (p.owner, p.next_review) == ("Ana", "2026-09-01")
    # Own scope first, then the overall canvases; unit B's canvas and the empty one are left out.
    assert [(rc.theme, rc.scope) for rc in p.root_causes] == [("Billing errors", "A"), ("Praise", "Overall")]
    billing = p.root_causes[0]
    assert billing.count == 2  # mentions in unit A now, not the count recorded when the canvas started
    assert billing.fifth_why == "No check before release"
    assert billing.examples == ("Call me on [phone] about the invoice",)
    assert billing.indicator.describe() == "% invoices right first time, 80% → 97%, weekly"
    assert billing.missing == ()
    praise = p.root_causes[1]
    assert praise.fifth_why == "w4" and "1 of the 5 whys" in praise.missing
    b = plan_of(scope_col="Business unit", scope_value="B", root_causes=entries)
    assert b.nps.score == pytest.approx(0.0)
    assert [rc.theme for rc in b.root_causes] == ["Late delivery", "Praise"]


def test_revenue_at_stake_by_hand():
    p = plan_of(scope_col="Business unit", scope_value="B", currency="€")
    # Unit B detractors: scores 5, 3, 0 -> revenue 700 + 800 + 900 = 2400 of 700 + ... + 1200 = 5700.
    r = p.revenue
    assert (r.total, r.detractors, r.currency) == (5700.0, 2400.0, "€")
    assert r.detractor_share == pytest.approx(2400 / 5700)
    # Default CLV: 30% margin, 10% discount, detractor retention 65%: multiple 0.3 * 0.65 / 0.45.
    assert r.clv_at_risk == pytest.approx(2400 * 0.3 * 0.65 / 0.45)
    assert "€2.4K" in r.sentence() and "42%" in r.sentence()
    quick = plan_of(scope_col="Business unit", scope_value="B", clv=ClvAssumptions(quick=True))
    assert quick.revenue.clv_at_risk == pytest.approx(2400.0)


def test_missing_parts_are_stated_in_words_never_blank():
    frame, _ = small_survey()
    bare = build_action_plan(frame, Roles(loyalty="Likelihood to recommend"))
    for section in ("trend", "drivers", "themes", "root_causes", "revenue"):
        assert len(bare.statement(section)) > 20, section
    assert "driver" in bare.statement("drivers") and "Data page" in bare.statement("drivers")
    assert "comments" in bare.statement("themes")
    assert "revenue" in bare.statement("revenue")
    assert "5 Whys" in bare.statement("root_causes")
    no_loyalty = build_action_plan(frame, Roles(drivers=("Billing accuracy",), outcome="On-time delivery"))
    assert no_loyalty.nps is None and no_loyalty.statement("nps").startswith("On-time delivery: 3.50 ± ")
    assert "no NPS" in no_loyalty.statement("nps")
    nothing = build_action_plan(frame, Roles(drivers=("Billing accuracy",)))
    assert "loyalty" in nothing.statement("nps") and "Data page" in nothing.statement("nps")
    assert no_loyalty.drivers  # key drivers of the other outcome still work
    # Every section of a full plan has content or a statement.
    full = plan_of()
    has = {"nps": full.nps is not None, "trend": bool(full.trend), "drivers": bool(full.drivers),
           "themes": bool(full.themes), "root_causes": bool(full.root_causes), "revenue": full.revenue is not None}
    for section in SECTIONS:
        assert has[section] or full.statement(section), section


def test_no_comments_matching_and_empty_scope():
    frame, roles = small_survey()
    p = build_action_plan(frame, roles, codebook={"Pricing": "expensive"})
    assert p.vital_few == () and "codebook" in p.statement("themes")
    tiny = build_action_plan(frame.iloc[:3], roles)
    assert "Only 3 respondents" in tiny.warnings[0]
    assert tiny.statement("drivers").startswith("The key drivers could not be computed")
    none = build_action_plan(frame, roles, scope_col="Business unit", scope_value="Z")
    assert none.n_rows == 0 and none.nps is None and "no NPS" in none.statement("nps")


def test_overall_plan_mentions_canvases_of_units():
    p = plan_of(root_causes=[root_cause("Billing errors", "A")])
    assert p.root_causes == ()
    assert "recorded for A" in p.statement("root_causes")


def test_plans_by_and_scope_values():
    frame, roles = small_survey()
    plans = plans_by(frame, roles, "Business unit", fields_by_scope={"A": {"owner": "Ana"}}, codebook=CODEBOOK)
    assert list(plans) == ["A", "B"] == scope_values(frame, "Business unit")
    assert plans["A"].owner == "Ana" and plans["B"].owner == ""
    assert [p.nps.n for p in plans.values()] == [6, 6]
    with pytest.raises(CxInputError):
        plans_by(frame, roles, "No such column")
    with pytest.raises(CxInputError):
        build_action_plan(frame, roles, scope_value="A")


def test_plan_inputs_from_work_and_to_dict():
    work = {"root_causes": [root_cause("Billing errors", "A")], "plan": {"A": {"owner": "Ana"}},
            "codebook": [{"theme": "Billing errors", "pattern": "invoice", "parent": ""}]}
    kw = plan_inputs_from_work(work)
    assert kw["fields_by_scope"] == {"A": {"owner": "Ana"}}
    assert list(kw["codebook"]["theme"]) == ["Billing errors"]
    frame, roles = small_survey()
    plans = plans_by(frame, roles, "Business unit", **kw)
    assert plans["A"].vital_few == ("Billing errors",) and plans["A"].root_causes[0].theme == "Billing errors"
    assert plan_inputs_from_work({}) == {"root_causes": [], "codebook": None, "fields_by_scope": {}}
    d = plans["A"].to_dict()
    json.dumps(d)  # JSON-able
    assert d["nps"]["n"] == 6 and d["themes"]["vital_few"] == ["Billing errors"]
    tables = plans["A"].tables()
    assert list(tables) == ["NPS", "Trend", "Drivers", "Themes", "Root causes", "Revenue"]
    assert tables["Root causes"].loc[0, "why_5"] == "No check before release"


def test_is_praise():
    assert is_praise("Praise (general positive)") and is_praise("Compliments")
    assert not is_praise("Billing errors")


def test_top_theme_is_a_problem_even_when_praise_is_mentioned_most():
    # Praise: rows 0, 1, 10, 11 and the invoice rows 3, 5, 8 = 7 mentions; Late delivery: rows 4, 6, 7 = 3.
    p = plan_of(codebook={"Praise": "great|excellent|invoice", "Late delivery": "late"})
    assert [(t.theme, t.count) for t in p.themes] == [("Praise", 7), ("Late delivery", 3)]
    assert p.vital_few == ("Praise", "Late delivery") and p.top_theme == "Late delivery"


# --- the same numbers as `python -m cx analyze` ---------------------------------------------------


@pytest.fixture(scope="module")
def analyzed() -> dict:
    out = subprocess.run([sys.executable, "-m", "cx", "analyze", str(SAMPLE)], cwd=ROOT, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def sample():
    from cx.analysis import load_survey

    return load_survey(SAMPLE)[1]


def test_plan_numbers_equal_cli_analyze(analyzed, sample):
    p = build_action_plan(sample.frame, sample.roles, source=SAMPLE.name)
    assert p.nps.n == analyzed["nps"]["n"]
    assert p.nps.score == pytest.approx(analyzed["nps"]["score"], abs=1e-6)
    assert list(p.nps.ci95) == pytest.approx(analyzed["nps"]["ci95"], abs=1e-6)
    assert p.top_driver == analyzed["drivers"]["items"][0]["driver"] == "Ease of doing business"
    assert [d.importance for d in p.drivers] == pytest.approx([i["importance"] for i in analyzed["drivers"]["items"]])
    assert list(p.vital_few) == [i["theme"] for i in analyzed["themes"]["items"] if i["vital_few"]]
    assert p.top_theme == "Billing errors"
    assert [(t.theme, t.count) for t in p.themes] == [(i["theme"], i["count"]) for i in analyzed["themes"]["items"]]
    trend = analyzed["trend"]["items"][-len(p.trend):]
    assert [(t.period, t.significant_change) for t in p.trend] == [(t["period"], t["significant_change"]) for t in trend]
    assert [t.score for t in p.trend] == pytest.approx([t["score"] for t in trend], abs=1e-6)
    assert p.revenue.detractors == pytest.approx(analyzed["revenue"]["detractors"])
    assert p.revenue.clv_at_risk == pytest.approx(analyzed["clv"]["detractors"])
    assert "Billing accuracy" in p.fix_first


def test_unit_plan_equals_cli_segment_and_where(analyzed, sample):
    plans = plans_by(sample.frame, sample.roles, "Business unit")
    segs = {s["value"]: s for s in analyzed["segments"]["Business unit"]}
    assert set(plans) == set(segs)
    for value, plan in plans.items():
        assert plan.nps.n == segs[value]["n"]
        assert plan.nps.score == pytest.approx(segs[value]["score"], abs=1e-6)
    out = subprocess.run([sys.executable, "-m", "cx", "analyze", str(SAMPLE), "--where", "Business unit=Logistics"],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    logistics = json.loads(out.stdout)
    p = plans["Logistics"]
    assert p.top_driver == logistics["drivers"]["items"][0]["driver"]
    assert list(p.vital_few) == [i["theme"] for i in logistics["themes"]["items"] if i["vital_few"]]
    assert p.revenue.detractors == pytest.approx(logistics["revenue"]["detractors"])
    assert not math.isnan(np.float64(p.nps.score))


def test_money_settings_follow_the_revenue_page():
    clv, currency = money_settings({"revenue_currency": "€", "revenue_ret_detractors": 50, "revenue_margin": 40})
    assert currency == "€"
    assert (clv.retention_detractors, clv.gross_margin, clv.retention_promoters) == (0.5, 0.4, 0.9)
    assert money_settings(None) == (ClvAssumptions(), "$")
    # Invalid values fall back to the defaults instead of failing the plan.
    assert money_settings({"revenue_ret_promoters": 150, "revenue_margin": "x"}) == (ClvAssumptions(), "$")
    assert money_settings({"revenue_quick": True})[0].quick


def test_plan_inputs_from_a_workspace_file(tmp_path):
    """The path of `python -m cx report --workspace FILE`: .cxw manifest -> settings -> plans."""
    import io
    import zipfile

    from cx.workspace import WorkspaceStore

    store = WorkspaceStore(tmp_path / "ws.sqlite")
    settings = {"work": {"root_causes": [root_cause("Billing errors", "A")], "plan": {"A": {"owner": "Ana"}},
                         "codebook": CODEBOOK.to_dict("records")},
                "keys": {"revenue_currency": "£", "revenue_ret_detractors": 50}}
    wid = store.create("desk", "My plans", "small.csv", settings=settings)
    with zipfile.ZipFile(io.BytesIO(store.export_bytes(wid))) as z:
        manifest = json.loads(z.read("manifest.json"))
    kw = plan_inputs_from_settings(manifest["settings"])
    assert set(kw) == {"root_causes", "codebook", "fields_by_scope", "clv", "currency"}
    frame, roles = small_survey()
    plans = plans_by(frame, roles, "Business unit", **kw)
    a = plans["A"]
    assert a.owner == "Ana" and a.root_causes[0].theme == "Billing errors" and a.revenue.currency == "£"
    assert a.revenue.clv_at_risk == pytest.approx(a.revenue.detractors * 0.3 * 0.5 / 0.6)
    assert a.vital_few == ("Billing errors", "Praise")


def test_with_fields_changes_words_not_numbers():
    p = plan_of(scope_col="Business unit", scope_value="A")
    q = with_fields(p, {"title": "", "owner": " Ana ", "next_review": "2026-09-01", "commitment": "Fix it"})
    assert (q.title, q.owner, q.next_review, q.commitment) == ("Action plan: A", "Ana", "2026-09-01", "Fix it")
    assert q.nps == p.nps and q.themes == p.themes
    assert q == plan_of(scope_col="Business unit", scope_value="A", fields={"owner": "Ana", "next_review": "2026-09-01",
                                                                            "commitment": "Fix it"})


def test_a_plan_without_a_loyalty_question_stands_on_its_outcome():
    """Billing accuracy 5 4 5 4 3 2 2 1 1 5 4 5 as the outcome: mean 41 / 12, 7 of 12 answers 4–5 (58%)."""
    frame, roles = small_survey()
    roles = roles.replace(loyalty=None, outcome="Billing accuracy", drivers=("On-time delivery", "Annual revenue"))
    p = build_action_plan(frame, roles, codebook=CODEBOOK, as_of="2026-07-01", outcome_scale=(1, 5))
    x = frame["Billing accuracy"].to_numpy()
    margin = 1.959963984540054 * x.std(ddof=1) / np.sqrt(12)
    assert p.statement("nps") == (f"Billing accuracy: {41 / 12:.2f} ± {margin:.2f} on 1–5; 58% top-2-box (4–5) "
                                  "(12 respondents). There is no 0–10 question, so no NPS.")
    assert (p.headline_label, p.drivers_heading) == ("Billing accuracy", "What drives Billing accuracy")
    assert p.warnings == ("Only 12 respondents in Overall: read every number as indicative.",)
    # Q1: 5 4 3 2 1 4 (19 / 6), Q2: 5 4 2 1 5 5 (22 / 6); bases of 6 are too small for a reportable change.
    assert p.statement("trend") == ("Billing accuracy by quarter: 2026-Q1 3.17, 2026-Q2 3.67. No change between "
                                    "consecutive quarters is statistically significant.")
    assert p.nps is None and plan_of().headline_label == "NPS" and plan_of().drivers_heading == "What drives loyalty"
    from cx.report import plan_markdown

    md = plan_markdown(p).decode()
    assert "## What drives Billing accuracy" in md and "3.42 ±" in md
