"""Comment coding, the Pareto of themes and the vital few: exact numbers on hand-built comments.

Every expected number below is counted by hand from the comments in the test (written out in the
test's docstring), following the definitions of ../shared/CONTRACT.md ("Themes").
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from cx.errors import CxInputError
from cx.themes import (
    WEIGHTINGS,
    CodedComments,
    ThemePareto,
    ThemeShare,
    add_theme,
    code_comments,
    codebook_to_csv,
    compare_vital_few,
    delete_theme,
    highlight_segments,
    load_codebook,
    matched_spans,
    merge_themes,
    nps_impact,
    pareto_table,
    phrase_pattern,
    rename_theme,
    roll_up_to_parents,
    starter_codebook,
    suggest_themes,
    theme_sentiment,
    validate_codebook,
    verbatims,
    weighted_pareto,
)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample_survey.csv"

BOOK = {"Billing": "invoice", "Delivery": "late|deliver", "Price": "price", "Praise": "great",
        "Documentation": "manual"}
COMMENTS = pd.Series([
    "late delivery",            # Delivery
    "Invoice wrong",            # Billing
    "late and wrong invoice",   # Billing, Delivery
    "price too high",           # Price
    "   ",                      # empty (whitespace only)
    None,                       # empty (missing)
    "late again",               # Delivery
    "great service",            # Praise
    "INVOICE late",             # Billing, Delivery
    "ok thanks",                # non-empty, no theme
])


def items(p: ThemePareto) -> list[tuple]:
    return [(i.theme, i.count, i.share, i.cumulative_share, i.vital_few) for i in p.items]


def contract_invariants(section: dict) -> None:
    """The checks of ../shared/tools/check_contract.py on the themes section."""
    counts = [i["count"] for i in section["items"]]
    assert counts == sorted(counts, reverse=True)
    assert sum(counts) == section["mentions"]
    cum, done = 0.0, False
    for i in section["items"]:
        m = section["mentions"] or 1
        cum += i["count"] / m
        assert abs(i["share"] - i["count"] / m) < 1e-9
        assert abs(i["cumulative_share"] - cum) < 1e-9
        assert i["vital_few"] is (not done)
        if cum >= 0.8 - 1e-12:
            done = True


# ------------------------------------------------------------------------------------------
# Pareto: counts, shares, cumulative shares, vital few
# ------------------------------------------------------------------------------------------

def test_pareto_counts_shares_and_vital_few_on_hand_comments():
    """10 rows, 2 empty (whitespace-only, missing): 8 non-empty comments, 7 coded.

    Delivery 4 (rows 0, 2, 6, 8), Billing 3 (1, 2, 8), Praise 1, Price 1, Documentation 0.
    Mentions 9. Cumulative: 4/9, 7/9 = 0.778 (< 0.8), 8/9 = 0.889 (reaches 0.8: Praise is the
    last vital theme). Price ties Praise at 1 and sorts after it by name, so it is not vital.
    Documentation (count 0) is listed last with share 0. Coverage 7/8.
    """
    coded = code_comments(COMMENTS, BOOK)
    assert coded.n_rows == 10 and coded.n_comments == 8 and coded.n_coded == 7
    assert coded.coverage == 7 / 8
    p = pareto_table(coded)
    assert (p.comments, p.mentions, p.coded) == (8, 9, 7)
    assert items(p) == [
        ("Delivery", 4, 4 / 9, 4 / 9, True),
        ("Billing", 3, 3 / 9, 7 / 9, True),
        ("Praise", 1, 1 / 9, 8 / 9, True),
        ("Price", 1, 1 / 9, 9 / 9, False),
        ("Documentation", 0, 0.0, 1.0, False),
    ]
    assert p.vital_few == ("Delivery", "Billing", "Praise")
    assert p.coverage == 7 / 8
    assert p.themes_with_mentions == 4


def test_multi_theme_comment_counts_once_per_theme():
    """"late and wrong invoice" (row 2) and "INVOICE late" (row 8) count for Billing and for Delivery,
    case-insensitively, so mentions (9) exceed coded comments (7)."""
    coded = code_comments(COMMENTS, BOOK)
    frame = coded.to_frame()
    assert frame.loc[2, ["Billing", "Delivery"]].tolist() == [True, True]
    assert frame.loc[8, ["Billing", "Delivery"]].tolist() == [True, True]
    assert int(frame.sum(axis=1).sum()) == 9


def test_whitespace_only_and_missing_comments_are_empty():
    """Spaces, tabs, newlines and a no-break space are empty: they count nowhere."""
    s = pd.Series([" \t\n ", "\u00a0", None, np.nan, "", " late "])
    coded = code_comments(s, {"Delivery": "late", "Any": "."})
    assert coded.non_empty.tolist() == [False, False, False, False, False, True]
    assert coded.counts.to_dict() == {"Delivery": 1, "Any": 1}
    assert pareto_table(coded).comments == 1


def test_exact_80_percent_is_vital_and_ties_break_by_name():
    """Counts Zulu 3, X-ray 1, Yankee 1: mentions 5. Zulu 0.6, X-ray (before Yankee by name)
    reaches exactly 0.8, so it is the last vital theme; Yankee, tied with X-ray, is not."""
    s = pd.Series(["zulu"] * 3 + ["xray", "yankee"])
    p = pareto_table(code_comments(s, {"Yankee": "yankee", "Zulu": "zulu", "X-ray": "xray"}))
    assert items(p) == [("Zulu", 3, 0.6, 0.6, True), ("X-ray", 1, 0.2, 0.8, True),
                        ("Yankee", 1, 0.2, 1.0, False)]
    assert p.items[1].cumulative_share == 0.8


def test_exact_80_percent_boundary_with_many_themes():
    """Counts 4, 4, 1, 1 (mentions 10): cumulative 0.4, 0.8 → only the first two are vital."""
    s = pd.Series(["alpha"] * 4 + ["bravo"] * 4 + ["charlie", "delta"])
    p = pareto_table(code_comments(s, {t.capitalize(): t for t in ["alpha", "bravo", "charlie", "delta"]}))
    assert [i.cumulative_share for i in p.items] == [0.4, 0.8, 0.9, 1.0]
    assert p.vital_few == ("Alpha", "Bravo")
    assert p.vital_few_share == 0.8


def test_just_below_80_percent_takes_the_next_theme():
    """Counts 79, 20, 1: cumulative 0.79 (< 0.8) then 0.99 → two vital themes."""
    s = pd.Series(["aa"] * 79 + ["bb"] * 20 + ["cc"])
    p = pareto_table(code_comments(s, {"A": "aa", "B": "bb", "C": "cc"}))
    assert [(i.theme, i.vital_few) for i in p.items] == [("A", True), ("B", True), ("C", False)]
    assert p.items[0].cumulative_share == 0.79


def test_single_theme_over_80_percent_is_the_only_vital_one():
    """Counts 9, 1: the first theme alone reaches 0.9."""
    p = pareto_table(code_comments(pd.Series(["aa"] * 9 + ["bb"]), {"A": "aa", "B": "bb"}))
    assert p.vital_few == ("A",)


def test_no_mentions_gives_an_empty_pareto():
    """Nothing matches: there is nothing to rank, items is empty; comments still counted."""
    p = pareto_table(code_comments(pd.Series(["hello", "  "]), {"Billing": "invoice"}))
    assert p.items == () and p.comments == 1 and p.mentions == 0 and p.coverage == 0.0
    assert p.to_dict()["items"] == []


def test_no_comments_at_all():
    p = pareto_table(code_comments(pd.Series([None, " "], dtype="str"), {"Billing": "invoice"}))
    assert p.comments == 0 and p.items == ()
    assert math.isnan(p.coverage) and p.to_dict()["coverage"] is None


def test_to_dict_matches_the_contract():
    """Keys of CONTRACT.md's themes section, and check_contract.py's invariants, hold."""
    d = pareto_table(code_comments(COMMENTS, BOOK)).to_dict()
    assert {"comments", "mentions", "items"} <= set(d)
    assert d["comments"] == 8 and d["mentions"] == 9
    for item in d["items"]:
        assert {"theme", "count", "share", "cumulative_share", "vital_few"} <= set(item)
        assert isinstance(item["vital_few"], bool) and isinstance(item["count"], int)
    contract_invariants(d)
    assert d["items"][0] == {"theme": "Delivery", "count": 4, "share": 4 / 9, "cumulative_share": 4 / 9,
                             "vital_few": True, "weight": 4.0}


def test_to_frame_columns_and_values():
    f = pareto_table(code_comments(COMMENTS, BOOK)).to_frame()
    assert f.columns.tolist() == ["theme", "count", "weight", "share", "cumulative_share", "vital_few"]
    assert f["count"].tolist() == [4, 3, 1, 1, 0]
    assert f["vital_few"].tolist() == [True, True, True, False, False]


def test_subset_then_pareto_equals_coding_the_subset():
    """The filter path (code once, subset) gives the same Pareto as coding the filtered comments."""
    coded = code_comments(COMMENTS, BOOK)
    mask = np.array([True, False, True, True, True, False, True, False, True, True])
    a = pareto_table(coded.subset(mask))
    b = pareto_table(code_comments(COMMENTS[mask], BOOK))
    assert items(a) == items(b)
    assert items(a)[:2] == [("Delivery", 4, 4 / 7, 4 / 7, True), ("Billing", 2, 2 / 7, 6 / 7, True)]
    # a boolean Series aligned on the index works too
    assert items(pareto_table(coded.subset(pd.Series(mask, index=COMMENTS.index)))) == items(a)
    with pytest.raises(CxInputError):
        coded.subset(mask[:3])


# ------------------------------------------------------------------------------------------
# Weightings
# ------------------------------------------------------------------------------------------

FRAME = pd.DataFrame({
    "comment": ["late delivery", "wrong invoice", "late invoice", "late again", "price high", "",
                "invoice late again"],
    "ltr": [3.0, 5.0, 9.0, 10.0, 6.0, 2.0, 0.0],
    "revenue": [100.0, 1000.0, 50.0, 10.0, np.nan, 500.0, 200.0],
    "region": ["EU", "US", "EU", "US", "EU", "US", "EU"],
})
FBOOK = {"Billing": "invoice", "Delivery": "late", "Price": "price"}


def test_weighting_by_detractor_mentions():
    """Detractors (0–6) who comment: rows 0, 1, 4, 6 (row 5 is empty).
    Delivery: rows 0, 6 → 2; Billing: rows 1, 6 → 2; Price: row 4 → 1. Total 5.
    Billing and Delivery tie at 2 (Billing first by name): cumulative 0.4, 0.8 (vital), 1.0.
    Counts stay the comment counts: Delivery 4, Billing 3, Price 1."""
    coded = code_comments(FRAME["comment"], FBOOK)
    p = weighted_pareto(FRAME, coded, "detractor mentions", loyalty_col="ltr")
    assert [(i.theme, i.count, i.weight, i.share, i.cumulative_share, i.vital_few) for i in p.items] == [
        ("Billing", 3, 2.0, 0.4, 0.4, True), ("Delivery", 4, 2.0, 0.4, 0.8, True),
        ("Price", 1, 1.0, 0.2, 1.0, False)]
    assert p.weighting == "detractor mentions" and p.mentions == 8


def test_weighting_by_revenue():
    """Delivery: rows 0, 2, 3, 6 → 100 + 50 + 10 + 200 = 360; Billing: rows 1, 2, 6 → 1,250;
    Price: row 4, revenue missing → 0. Total 1,610: Billing 1250/1610 = 0.7764 (not yet 0.8),
    Delivery reaches 1.0; Price is listed with weight 0 and is not vital."""
    coded = code_comments(FRAME["comment"], FBOOK)
    p = weighted_pareto(FRAME, coded, "revenue", revenue_col="revenue")
    assert [(i.theme, i.weight, i.vital_few) for i in p.items] == [
        ("Billing", 1250.0, True), ("Delivery", 360.0, True), ("Price", 0.0, False)]
    assert p.items[0].share == pytest.approx(1250 / 1610)
    assert p.total_weight == 1610.0


def test_nps_impact_and_its_pareto():
    """Base: non-empty comments with a score, rows 0-4 and 6 (N = 6); promoters rows 2, 3;
    detractors rows 0, 1, 4, 6.
    Delivery {0,2,3,6}: NPS 100×(2−2)/4 = 0; others {1,4}: −100 → impact +100, at stake 0.
    Billing {1,2,6}: 100×(1−2)/3 = −33.3; others {0,3,4}: −33.3 → impact 0, at stake 0.
    Price {4}: −100; others {0,1,2,3,6}: 100×(2−3)/5 = −20 → impact −80, at stake 80×1/6 = 13.33."""
    coded = code_comments(FRAME["comment"], FBOOK)
    t = nps_impact(FRAME, coded, "ltr").set_index("theme")
    assert t.loc["Delivery", ["n_mentioning", "nps_mentioning", "n_other", "nps_other", "impact"]].tolist() == [
        4, 0.0, 2, -100.0, 100.0]
    assert t.loc["Billing", "impact"] == pytest.approx(0.0, abs=1e-12)
    assert t.loc["Price", "nps_other"] == -20.0 and t.loc["Price", "impact"] == -80.0
    assert t["points_at_stake"].tolist() == [0.0, 0.0, pytest.approx(80 / 6)]
    p = weighted_pareto(FRAME, coded, "nps impact", loyalty_col="ltr")
    assert [(i.theme, i.weight, i.share, i.vital_few) for i in p.items] == [
        ("Price", pytest.approx(80 / 6), 1.0, True), ("Billing", 0.0, 0.0, False), ("Delivery", 0.0, 0.0, False)]


def test_compare_vital_few_across_weightings():
    """Mentions: Delivery 4, Billing 3, Price 1 (of 8): cumulative 0.5, 0.875 → vital Delivery,
    Billing. NPS impact: Price alone. So Price enters, Delivery and Billing leave."""
    coded = code_comments(FRAME["comment"], FBOOK)
    ps = {w: weighted_pareto(FRAME, coded, w, loyalty_col="ltr", revenue_col="revenue") for w in WEIGHTINGS}
    s = compare_vital_few(ps)
    assert s.baseline == "mentions" and s.weightings == WEIGHTINGS
    assert s.vital["mentions"] == ("Delivery", "Billing")
    assert s.entered["nps impact"] == ("Price",) and s.left["nps impact"] == ("Delivery", "Billing")
    assert s.entered["detractor mentions"] == () and s.left["detractor mentions"] == ()
    assert s.always_vital == ()
    t = s.to_frame().set_index(["weighting", "theme"])
    assert t.loc[("nps impact", "Price"), "change"] == "enters"
    assert t.loc[("nps impact", "Delivery"), "change"] == "leaves"
    assert t.loc[("revenue", "Billing"), "change"] == "stays"
    assert t.loc[("mentions", "Price"), "change"] == "" and t.loc[("mentions", "Delivery"), "change"] == "baseline"
    assert t.loc[("revenue", "Price"), "rank"] == 3
    assert s.to_dict()["weightings"][3] == {"weighting": "nps impact", "vital_few": ["Price"],
                                            "entered": ["Price"], "left": ["Delivery", "Billing"]}


def test_weightings_need_their_columns():
    coded = code_comments(FRAME["comment"], FBOOK)
    with pytest.raises(CxInputError, match="loyalty"):
        weighted_pareto(FRAME, coded, "detractor mentions")
    with pytest.raises(CxInputError, match="revenue"):
        weighted_pareto(FRAME, coded, "revenue")
    with pytest.raises(CxInputError, match="Unknown weighting"):
        weighted_pareto(FRAME, coded, "loudness")
    with pytest.raises(CxInputError, match="negative"):
        pareto_table(coded, [-1.0] * 7)
    with pytest.raises(CxInputError, match="not in the data"):
        weighted_pareto(FRAME, coded, "revenue", revenue_col="Revenue")


def test_custom_weights_series_aligned_on_index():
    """Weights 1 on rows 2 and 6 only (Billing and Delivery both): each theme weighs 2."""
    coded = code_comments(FRAME["comment"], FBOOK)
    w = pd.Series([1.0, 1.0], index=[6, 2])
    p = pareto_table(coded, w.reindex(FRAME.index))
    assert [(i.theme, i.weight) for i in p.items] == [("Billing", 2.0), ("Delivery", 2.0), ("Price", 0.0)]
    assert p.weighting == "custom"


# ------------------------------------------------------------------------------------------
# Codebook: validation, invalid rows, editing, CSV
# ------------------------------------------------------------------------------------------

def test_invalid_regex_row_is_flagged_and_the_rest_still_codes():
    """Row 0 "invoice(" is invalid (missing parenthesis): flagged on row 0 and left out;
    Delivery still codes its 2 comments."""
    book = pd.DataFrame({"theme": ["Billing", "Delivery"], "pattern": ["invoice(", "late"]})
    problems = validate_codebook(book)
    assert problems["row"].tolist() == [0] and problems["skipped"].tolist() == [True]
    assert "invalid pattern: missing ), unterminated subpattern at position 7" in problems["problem"].iloc[0]
    coded = code_comments(pd.Series(["late invoice", "late", "invoice"]), book)
    assert coded.themes == ("Delivery",) and coded.skipped == ("Billing",)
    assert coded.counts.to_dict() == {"Delivery": 2}


def test_validate_codebook_lists_every_kind_of_problem():
    book = pd.DataFrame({
        "Theme": ["Billing", "", "Price", "Delivery", "billing", "Praise", "Ordering"],
        "Pattern": ["invoice", "x", "", "late|", "bill", r"(?<!not )happy", "order"],
        "Parent": ["", "", "", "", "", "", "Ordering"],
    })
    p = validate_codebook(book)
    got = {(r.row, r.skipped): r.problem.split(" ")[0] for r in p.itertuples()}
    assert got == {(1, True): "the", (2, True): "empty", (3, True): "the", (4, False): "duplicate",
                   (5, False): "uses", (6, False): "the"}
    assert "matches an empty text" in p.set_index("row").loc[3, "problem"]
    assert "also on row 0" in p.set_index("row").loc[4, "problem"]


def test_duplicate_theme_rows_are_combined():
    """Two "Billing" rows: a comment matching either counts once for Billing."""
    book = pd.DataFrame({"theme": ["Billing", "billing"], "pattern": ["invoice", "bill"]})
    coded = code_comments(pd.Series(["invoice", "bill", "invoice bill", "none"]), book)
    assert coded.themes == ("Billing",) and coded.patterns == ("invoice|bill",)
    assert coded.counts.to_dict() == {"Billing": 3}


def test_python_fallback_for_lookbehind():
    """RE2 rejects look-behind; Python's re codes it: "not happy" does not match (?<!not )happy."""
    coded = code_comments(pd.Series(["happy", "not happy", "very happy"]), {"Praise": r"(?<!not )happy"})
    assert coded.to_frame()["Praise"].tolist() == [True, False, True]


def test_unicode_word_boundaries_follow_python():
    r"""RE2's \b and \w are ASCII-only; coding follows Python's Unicode semantics: \bété\b matches
    "un été chaud" and \w+é matches "café"; results equal re.search for every comment."""
    import re

    s = pd.Series(["un été chaud", "étéx", "le café", "plain ascii", "Ça coûte cher"])
    book = {"Summer": r"\bété\b", "Cafe": r"\w+é\b", "Cost": r"\bco[uû]te?\b"}
    coded = code_comments(s, book)
    for j, (_, pattern) in enumerate(book.items()):
        expected = [re.search(pattern, t, re.IGNORECASE) is not None for t in s]
        assert coded.matrix[:, j].tolist() == expected
    assert coded.to_frame()["Summer"].tolist() == [True, False, False, False, False]


def test_plain_patterns_skip_the_search_for_non_ascii_comments():
    r"""Only patterns whose meaning differs outside ASCII (\b \w \d \s $) need the non-ASCII comments
    found: a codebook of plain words is coded without that pass over all the text, with the same result."""
    import pyarrow as pa

    from cx.themes import _Matcher

    texts = pa.array(["prix élevé", "late invoice", "Ça coûte cher", "INVOICE late"])
    matcher = _Matcher(texts)
    assert matcher.match("invoice|élevé").tolist() == [True, True, False, True]
    assert matcher.match("co[uû]te").tolist() == [False, False, True, False]
    assert matcher._unusual is None
    assert matcher.match(r"\bé").tolist() == [True, False, False, False]  # Python's Unicode \b
    assert matcher.unusual.tolist() == [0, 2]


def test_dollar_and_vertical_tab_follow_python():
    r"""Python's $ matches before a final newline and its \s includes \v; RE2's do not."""
    s = pd.Series(["very good\n", "very good", "good job", "a\vb", "a b"])
    coded = code_comments(s, {"Short praise": r"good$", "Spaced": r"a\sb"})
    assert coded.to_frame()["Short praise"].tolist() == [True, True, False, False, False]
    assert coded.to_frame()["Spaced"].tolist() == [False, False, False, True, True]


def test_repeated_comments_are_coded_once_with_the_same_result(monkeypatch):
    """60,000 rows drawn from 6 texts take the distinct-text path; it equals the row-by-row path."""
    import cx.themes as themes

    texts = ["late delivery", "wrong invoice", "late invoice", "  ", "great", "prix élevé", None]
    s = pd.Series(np.random.default_rng(3).choice(np.array(texts, dtype=object), size=60_000), dtype="str")
    book = {"Billing": "invoice", "Delivery": r"\blate\b", "Price": r"\bprix\b|\w+é\b"}
    fast = code_comments(s, book)
    monkeypatch.setattr(themes, "_DEDUP_BELOW", 0.0)
    slow = code_comments(s, book)
    assert np.array_equal(fast.matrix, slow.matrix) and np.array_equal(fast.non_empty, slow.non_empty)
    expected = {"Billing": int(s.isin(["wrong invoice", "late invoice"]).sum()),
                "Delivery": int(s.isin(["late delivery", "late invoice"]).sum()),
                "Price": int((s == "prix élevé").sum())}
    assert fast.counts.to_dict() == expected


def test_load_codebook_from_bytes_with_bom_and_mixed_case_headers():
    raw = "\ufeffTheme,PATTERN,Parent\nBilling errors,\"invoice|bill(ing)?\",Billing\n,,\n Price , price ,\n".encode()
    book = load_codebook(raw)
    assert book.to_dict("records") == [
        {"theme": "Billing errors", "pattern": "invoice|bill(ing)?", "parent": "Billing"},
        {"theme": "Price", "pattern": "price", "parent": ""}]


def test_load_codebook_errors():
    with pytest.raises(CxInputError, match="needs the columns 'theme' and 'pattern'.*missing: pattern"):
        load_codebook(b"theme,regexx\nA,a\n")
    with pytest.raises(CxInputError, match="empty"):
        load_codebook(b"  \n")
    with pytest.raises(CxInputError, match="not found"):
        load_codebook("/nonexistent/codebook.csv")


def test_codebook_csv_round_trip(tmp_path):
    book = pd.DataFrame({"theme": ["Billing", "Late, damaged"], "pattern": ["invoice|bill", r"late|(\w+\W+){0,2}damag"],
                         "parent": ["Money", ""]})
    raw = codebook_to_csv(book)
    assert raw.splitlines()[0] == b"theme,pattern,parent"
    assert load_codebook(raw).equals(load_codebook(codebook_to_csv(load_codebook(raw))))
    assert load_codebook(raw).to_dict("records") == book.to_dict("records")
    path = tmp_path / "book.csv"
    path.write_bytes(raw)
    assert load_codebook(path).to_dict("records") == book.to_dict("records")
    assert codebook_to_csv({"A": "a"}) == b"theme,pattern\nA,a\n"


def test_editor_helpers():
    book = pd.DataFrame({"theme": ["Late", "Delay", "Price", "Damaged"], "pattern": ["late", "(?i)delay", "price", "damag"],
                         "parent": ["", "", "", "Late"]})
    merged = merge_themes(book, ["Late", "Delay"], into="Delivery delays")
    assert merged.to_dict("records") == [
        {"theme": "Delivery delays", "pattern": "late|delay", "parent": ""},
        {"theme": "Price", "pattern": "price", "parent": ""},
        {"theme": "Damaged", "pattern": "damag", "parent": "Delivery delays"}]
    assert merge_themes(book, ["delay", "Late"])["theme"].tolist() == ["Delay", "Price", "Damaged"]
    renamed = rename_theme(book, "late", "Delivery")
    assert renamed["theme"].tolist() == ["Delivery", "Delay", "Price", "Damaged"]
    assert renamed["parent"].tolist() == ["", "", "", "Delivery"]
    deleted = delete_theme(book, "Late")
    assert deleted["theme"].tolist() == ["Delay", "Price", "Damaged"] and deleted["parent"].tolist() == ["", "", ""]
    added = add_theme(book, "Credit notes", phrase_pattern("credit note"))
    assert added.iloc[-1].tolist() == ["Credit notes", r"\bcredit\W+note\b", ""]
    assert book["theme"].tolist() == ["Late", "Delay", "Price", "Damaged"]  # input untouched
    with pytest.raises(CxInputError, match="already exists"):
        add_theme(book, "price", "x")
    with pytest.raises(CxInputError, match="already exists"):
        rename_theme(book, "Late", "Price")
    with pytest.raises(CxInputError, match="No theme named"):
        delete_theme(book, "Nope")
    with pytest.raises(CxInputError, match="already exists"):
        merge_themes(book, ["Late", "Delay"], into="Price")


def test_merged_theme_counts_comments_matching_either():
    """Late 2 (rows 0, 2), Delay 2 (rows 1, 2): merged 3 comments, not 4."""
    s = pd.Series(["late", "delay", "late and delay", "price"])
    book = merge_themes({"Late": "late", "Delay": "delay", "Price": "price"}, ["Late", "Delay"])
    assert code_comments(s, book).counts.to_dict() == {"Late": 3, "Price": 1}


def test_roll_up_to_parents():
    """Late (rows 0, 2) and Damaged (rows 1, 2) roll up to Delivery: 3 comments; Price stays."""
    book = pd.DataFrame({"theme": ["Late", "Damaged", "Price"], "pattern": ["late", "damag", "price"],
                         "parent": ["Delivery", "Delivery", ""]})
    s = pd.Series(["late", "damaged", "late and damaged", "price"])
    up = roll_up_to_parents(code_comments(s, book), book)
    assert up.themes == ("Delivery", "Price") and up.counts.to_dict() == {"Delivery": 3, "Price": 1}
    assert up.patterns[0] == "late|damag"


# ------------------------------------------------------------------------------------------
# Suggestions
# ------------------------------------------------------------------------------------------

SUGGEST = pd.Series(["late delivery", "late again", "the portal login fails", "portal login is slow",
                     "Portal login broken", "portal login broken", "credit note missing", "credit note late",
                     "credit note wrong"])


def test_suggestions_exact_values():
    """Uncoded: rows 2-6 and 8 (U = 6); coded by "late": rows 0, 1, 7 (C = 3).
    "portal login": in 4 of 6 uncoded, 0 coded: p = 4/9, score = 2/3·log2((2/3)/(4/9)) = 0.389975.
    "portal", "login" only occur inside "portal login" (same count 4): dropped.
    "portal login broken": 2 uncoded: score 1/3·log2(1.5) = 0.194988 ("login broken", "broken"
    dropped). "credit note": 2/6 uncoded, 1/3 coded: p = 1/3, score 0."""
    coded = code_comments(SUGGEST, {"Delivery": "late"})
    s = suggest_themes(SUGGEST, coded, min_count=2)
    assert s["phrase"].tolist() == ["portal login", "portal login broken", "credit note"]
    assert s["count"].tolist() == [4, 2, 2]
    assert s["score"].tolist() == pytest.approx([2 / 3 * math.log2(1.5), 1 / 3 * math.log2(1.5), 0.0])
    assert s["pattern"].iloc[0] == r"\bportal\W+login\b"
    assert s["examples"].iloc[0] == ("the portal login fails", "portal login is slow", "Portal login broken")
    assert s["coded_rate"].tolist() == pytest.approx([0.0, 0.0, 1 / 3])


def test_suggestions_are_deterministic_and_addable():
    coded = code_comments(SUGGEST, {"Delivery": "late"})
    a = suggest_themes(SUGGEST, coded, min_count=2)
    b = suggest_themes(SUGGEST.copy(), code_comments(SUGGEST, {"Delivery": "late"}), min_count=2)
    pd.testing.assert_frame_equal(a, b)
    book = add_theme({"Delivery": "late"}, "Portal login", a["pattern"].iloc[0])
    assert code_comments(SUGGEST, book).coverage == 7 / 9


def test_suggestions_when_everything_is_coded():
    s = pd.Series(["late", "late again"])
    assert suggest_themes(s, code_comments(s, {"D": "late"})).empty


def test_suggestion_examples_are_masked():
    s = pd.Series(["call portal team +44 20 7946 0958", "portal team slow", "portal team again", "late"])
    out = suggest_themes(s, code_comments(s, {"D": "late"}), min_count=2)
    assert out["examples"].iloc[0][0] == "call portal team [phone]"


# ------------------------------------------------------------------------------------------
# Matched words and verbatims
# ------------------------------------------------------------------------------------------

def test_matched_spans_and_segments():
    text = "Late delivery, wrong INVOICE"
    spans = matched_spans(text, {"Billing": "invoice", "Delivery": "late|deliver", "Bad": "invoice("})
    assert spans == [(0, 4, "Delivery"), (5, 12, "Delivery"), (21, 28, "Billing")]
    assert [text[a:b] for a, b, _ in spans] == ["Late", "deliver", "INVOICE"]
    segs = highlight_segments(text, spans)
    assert "".join(s for s, _ in segs) == text
    assert segs == [("Late", ("Delivery",)), (" ", ()), ("deliver", ("Delivery",)), ("y, wrong ", ()),
                    ("INVOICE", ("Billing",))]
    overlap = highlight_segments("abcd", [(0, 3, "A"), (1, 4, "B")])
    assert overlap == [("a", ("A",)), ("bc", ("A", "B")), ("d", ("B",))]
    assert matched_spans(None, {"A": "a"}) == [] and highlight_segments("", []) == []


def test_verbatims_detractors_first_with_matched_words():
    """Billing comments: rows 1 (score 5), 2 (9), 6 (0) → ordered 6, 1, 2."""
    coded = code_comments(FRAME["comment"], FBOOK)
    v = verbatims(FRAME, coded, "Billing", "comment", "ltr", ["region"])
    assert v.index.tolist() == [6, 1, 2]
    assert v.columns.tolist() == ["comment", "score", "nps_group", "region", "matched_words", "themes"]
    assert v["nps_group"].tolist() == ["Detractor", "Detractor", "Promoter"]
    assert v["matched_words"].tolist() == ["invoice"] * 3
    assert v["themes"].tolist() == ["Billing; Delivery", "Billing", "Billing; Delivery"]
    assert verbatims(FRAME, coded, "Billing", "comment", "ltr", order="promoters first").index.tolist() == [2, 1, 6]
    assert verbatims(FRAME, coded, "Billing", "comment", order="original", limit=2).index.tolist() == [1, 2]
    with pytest.raises(CxInputError):
        verbatims(FRAME, coded, "Nope", "comment")
    with pytest.raises(CxInputError):
        verbatims(FRAME, coded, "Billing", "comment", order="loudest")


def test_verbatims_mask_personal_data_by_default():
    f = pd.DataFrame({"c": ["invoice wrong, call +1 (312) 555-0187", "invoice to a.b@example.com"],
                      "ltr": [2.0, np.nan]})
    coded = code_comments(f["c"], {"Billing": "invoice"})
    v = verbatims(f, coded, "Billing", "c", "ltr")
    assert v["comment"].tolist() == ["invoice wrong, call [phone]", "invoice to [email]"]
    assert v["nps_group"].isna().tolist() == [False, True]
    raw = verbatims(f, coded, "Billing", "c", "ltr", mask_personal=False)
    assert raw["comment"].iloc[0].endswith("555-0187")


def test_verbatims_on_a_filtered_coding():
    coded = code_comments(FRAME["comment"], FBOOK).subset((FRAME["region"] == "EU").to_numpy())
    v = verbatims(FRAME, coded, "Billing", "comment", "ltr")
    assert v.index.tolist() == [6, 2]


# ------------------------------------------------------------------------------------------
# Sentiment
# ------------------------------------------------------------------------------------------

def test_sentiment_labels_on_obvious_sentences():
    """Expected values: vaderSentiment 3.3.2 compound scores (lexicon shipped with the package):
    0.8126, -0.5267, 0.0; thresholds ±0.05 from the VADER README."""
    from cx.sentiment import comment_sentiment, score_comment, sentiment_label

    s = pd.Series(["Excellent service and a pleasure to work with", "terrible, awful support",
                   "The order arrived on Tuesday", "  ", None, "terrible, awful support"])
    out = comment_sentiment(s)
    assert out["compound"].iloc[:3].tolist() == [0.8126, -0.5267, 0.0]
    assert out["label"].tolist()[:4] == ["positive", "negative", "neutral", out["label"].iloc[3]]
    assert out["label"].isna().tolist() == [False, False, False, True, True, False]
    assert out["compound"].iloc[5] == out["compound"].iloc[1]
    assert score_comment("terrible, awful support") == -0.5267 and math.isnan(score_comment(" "))
    assert [sentiment_label(x) for x in (0.05, 0.0499, -0.05, -0.0499)] == ["positive", "neutral", "negative", "neutral"]


def test_net_sentiment_per_theme():
    """Delivery comments: rows 0 (negative), 2 (neutral), 6 (positive), 8 (negative) → (1 − 2)/4.
    Billing: rows 1 (positive), 2 (neutral), 8 (negative) → 0. Documentation: none → NaN."""
    coded = code_comments(COMMENTS, BOOK)
    labels = pd.Series(["negative", "positive", "neutral", "negative", None, None, "positive", "positive",
                        "negative", "neutral"])
    t = theme_sentiment(coded, labels).set_index("theme")
    assert t.loc["Delivery", ["comments", "positive", "neutral", "negative"]].tolist() == [4, 1, 1, 2]
    assert t.loc["Delivery", "net_sentiment"] == -0.25
    assert t.loc["Billing", "net_sentiment"] == 0.0
    assert math.isnan(t.loc["Documentation", "net_sentiment"])
    frame = pd.DataFrame({"label": labels})
    pd.testing.assert_frame_equal(theme_sentiment(coded, frame), theme_sentiment(coded, labels))


# ------------------------------------------------------------------------------------------
# Starter codebook and charts
# ------------------------------------------------------------------------------------------

STARTER_CASES = {
    "We were invoiced twice for the same order": "Billing errors",
    "The invoice layout is confusing": "Invoice clarity",
    "Still waiting for the credit note": "Returns and credits",
    "Deliveries are late again": "Delivery delays",
    "Two pallets arrived damaged": "Damaged or wrong shipments",
    "The tracking link never works": "Shipment tracking",
    "We wait on hold for ages": "Support responsiveness",
    "Your engineers really know the product": "Technical support quality",
    "Several parts failed early": "Product quality",
    "The order form is painful": "Ease of ordering",
    "The portal keeps logging us out": "Website and portal",
    "The manuals are outdated": "Documentation",
    "Prices went up again": "Price and value",
    "Contract terms are rigid": "Contract and terms",
    "Our account manager never visits": "Account manager / people",
    "New users got no training": "Onboarding and training",
    "Nobody told us about the change": "Communication",
    "Too much paperwork": "Ease of doing business",
    "Great partner, thank you": "Praise (general positive)",
}


def test_starter_codebook_is_valid_and_codes_typical_phrases():
    book = starter_codebook()
    assert validate_codebook(book)["skipped"].sum() == 0
    assert set(STARTER_CASES.values()) <= set(book["theme"])
    coded = code_comments(pd.Series(list(STARTER_CASES)), book)
    frame = coded.to_frame()
    for i, (text, theme) in enumerate(STARTER_CASES.items()):
        assert frame.iloc[i][theme], f"{text!r} should be coded {theme!r}"


def test_starter_codebook_onboarding_is_the_b2b_sense_only():
    """"Onboard" on a plane is not onboarding new users (airline reviews were coded Onboarding)."""
    texts = ["We onboarded 40 new users in a week", "Onboarding took months", "Hard to onboard new employees",
             "The onboard service was excellent", "Onboard wifi did not work", "Food on-board was cold"]
    frame = code_comments(pd.Series(texts), starter_codebook()).to_frame()
    assert frame["Onboarding and training"].tolist() == [True, True, True, False, False, False]


@pytest.mark.skipif(not SAMPLE.exists(), reason="sample survey not built")
def test_starter_codebook_covers_the_sample_survey():
    """Tuned so the bundled sample's non-empty comments are coded (goal: at least 85%)."""
    df = pd.read_csv(SAMPLE)
    coded = code_comments(df["Comment"], starter_codebook())
    assert coded.coverage >= 0.85
    contract_invariants(pareto_table(coded).to_dict())


def test_pareto_chart_spec():
    from cx.charts import BLUE, LIGHT_GREY
    from cx.charts.themes import pareto_chart

    p = pareto_table(code_comments(COMMENTS, BOOK))
    d = pareto_chart(p).to_dict()
    assert [x["name"] for x in d["params"]] == ["theme_pick"]
    assert d["params"][0]["select"] == {"type": "point", "fields": ["theme"], "on": "click", "clear": "dblclick"}
    bars, cumulative = d["layer"]
    assert bars["mark"]["type"] == "bar"
    assert [i.count for i in p.items][-1] == 0  # Documentation: in the codebook, in no comment, not a bar
    assert bars["encoding"]["x"]["sort"] == ["Delivery", "Billing", "Praise", "Price"]
    assert bars["encoding"]["color"]["scale"] == {"domain": ["Vital few", "Other themes"], "range": [BLUE, LIGHT_GREY]}
    assert d["resolve"] == {"scale": {"y": "independent"}}
    line, _, rule, _ = cumulative["layer"]
    assert line["encoding"]["y"]["field"] == "cumulative_share"
    assert line["encoding"]["y"]["scale"] == {"domain": [0, 1]} and line["encoding"]["y"]["axis"]["format"] == "%"
    assert rule["mark"]["strokeDash"] == [6, 4]
    rule_data = d["datasets"][rule["data"]["name"]]
    assert rule_data[0]["cut"] == 0.8
    bar_data = d["datasets"][bars["data"]["name"]]
    assert [(r["theme"], r["group"]) for r in bar_data][:4] == [
        ("Delivery", "Vital few"), ("Billing", "Vital few"), ("Praise", "Vital few"), ("Price", "Other themes")]
    assert d["title"]["subtitle"] == "n = 8"


def test_vital_few_shift_chart_spec():
    from cx.charts.themes import pareto_chart, vital_few_shift_chart

    coded = code_comments(FRAME["comment"], FBOOK)
    ps = {w: weighted_pareto(FRAME, coded, w, loyalty_col="ltr", revenue_col="revenue") for w in WEIGHTINGS}
    d = vital_few_shift_chart(compare_vital_few(ps)).to_dict()
    assert [x["name"] for x in d["params"]] == ["theme_pick"]
    cells = d["layer"][0]
    assert cells["encoding"]["x"]["sort"] == list(WEIGHTINGS)
    assert cells["encoding"]["y"]["sort"] == ["Delivery", "Billing", "Price"]
    rows = d["datasets"][cells.get("data", d.get("data"))["name"]]
    assert {(r["weighting"], r["theme"]): r["status"] for r in rows}[("nps impact", "Price")] == "Enters the vital few"
    empty = pareto_chart(pareto_table(code_comments(pd.Series(["x"]), {"A": "a"}))).to_dict()
    assert empty["mark"]["type"] == "text"


def test_coded_comments_type():
    coded = code_comments(COMMENTS, BOOK)
    assert isinstance(coded, CodedComments)
    assert coded.matrix.dtype == bool and coded.matrix.shape == (10, 5)
    assert coded.index.equals(COMMENTS.index)
    with pytest.raises(CxInputError):
        coded.theme_mask("Nope")


def test_compare_vital_few_errors():
    a = ThemePareto((ThemeShare("A", 1, 1.0, 1.0, 1.0, True),), 1, 1, 1)
    with pytest.raises(CxInputError):
        compare_vital_few({})
    with pytest.raises(CxInputError):
        compare_vital_few({"mentions": a}, baseline="revenue")


# ------------------------------------------------------------------------------------------
# Comments page helpers (scope, view, highlighting, editor, suggestions)
# ------------------------------------------------------------------------------------------

def test_comment_scope_combines_group_segment_and_driver_mask():
    """FRAME scores 3, 5, 9, 10, 6, 2, 0: detractors rows 0, 1, 4, 5, 6; passives none; promoters 2, 3.
    EU rows 0, 2, 4, 6. Detractors in EU: 0, 4, 6; with a driver mask keeping rows 4-6: 4, 6."""
    from cx.themes import comment_scope

    coded = code_comments(FRAME["comment"], FBOOK)
    assert comment_scope(FRAME, coded).tolist() == [True] * 7
    assert np.flatnonzero(comment_scope(FRAME, coded, "ltr", "detractors")).tolist() == [0, 1, 4, 5, 6]
    assert np.flatnonzero(comment_scope(FRAME, coded, "ltr", "Promoters")).tolist() == [2, 3]
    assert not comment_scope(FRAME, coded, "ltr", "passives").any()
    assert np.flatnonzero(comment_scope(FRAME, coded, "ltr", "detractors", "region", "EU")).tolist() == [0, 4, 6]
    driver = pd.Series([False, False, False, False, True, True, True], index=FRAME.index)
    assert np.flatnonzero(comment_scope(FRAME, coded, "ltr", "detractors", "region", "EU", driver)).tolist() == [4, 6]
    # a mask Series is aligned on the index; rows it does not list are dropped
    sub = coded.subset((FRAME["region"] == "EU").to_numpy())  # rows 0, 2, 4, 6
    assert comment_scope(FRAME, sub, driver_mask=driver.iloc[[6, 4]]).tolist() == [False, False, True, True]
    with pytest.raises(CxInputError, match="loyalty"):
        comment_scope(FRAME, coded, group="detractors")
    with pytest.raises(CxInputError, match="Unknown NPS group"):
        comment_scope(FRAME, coded, "ltr", "fans")
    with pytest.raises(CxInputError, match="value"):
        comment_scope(FRAME, coded, segment="region")
    with pytest.raises(CxInputError, match="rows"):
        comment_scope(FRAME, coded, driver_mask=np.ones(3, dtype=bool))


def test_segment_values_and_available_weightings():
    from cx.themes import available_weightings, segment_values

    assert segment_values(FRAME, "region") == ["EU", "US"]
    assert segment_values(pd.DataFrame({"s": pd.Series(["b", None, "a"], dtype="str")}), "s") == ["a", "b"]
    with pytest.raises(CxInputError):
        segment_values(FRAME, "nope")
    assert available_weightings(None, None) == ("mentions",)
    assert available_weightings("ltr", "rev") == WEIGHTINGS
    assert available_weightings(None, "rev") == ("mentions", "revenue")


def test_comments_view_scopes_and_compares_weightings():
    """Detractors in FRAME who comment: rows 0 (late), 1 (invoice), 4 (price), 6 (invoice late) of the
    5 detractors (row 5 is empty). Mentions: Billing 2, Delivery 2, Price 1 → shares 0.4, 0.4, 0.2;
    cumulative 0.4, 0.8 → Billing and Delivery vital (tie broken by name). Every commenter is a detractor,
    so the detractor-mentions Pareto equals it. Net sentiment: Billing rows 1 (neg), 6 (pos) → 0;
    Delivery rows 0 (neg), 6 (pos) → 0; Price row 4 (neg) → −100."""
    from cx.themes import comments_view

    coded = code_comments(FRAME["comment"], FBOOK)
    labels = pd.Series(["negative", "negative", "positive", "positive", "negative", None, "positive"])
    cv = comments_view(FRAME, coded, loyalty_col="ltr", revenue_col="revenue", group="detractors",
                       sentiment=labels)
    assert cv.respondents == 5 and cv.comments == 4 and cv.coverage == 1.0
    assert tuple(cv.paretos) == WEIGHTINGS
    assert items(cv.paretos["mentions"]) == [("Billing", 2, 0.4, 0.4, True), ("Delivery", 2, 0.4, 0.8, True),
                                             ("Price", 1, 0.2, 1.0, False)]
    assert cv.paretos["detractor mentions"].vital_few == ("Billing", "Delivery")
    assert cv.themes_mentioned == ("Billing", "Delivery", "Price") and cv.count("Price") == 1
    assert cv.count("Nope") == 0
    t = cv.table("mentions")
    assert t.columns.tolist() == ["theme", "count", "share", "cumulative_share", "vital_few", "net_sentiment"]
    assert t["net_sentiment"].tolist() == [0.0, 0.0, -100.0]
    assert "weight" in cv.table("revenue").columns
    assert cv.shift.baseline == "mentions" and cv.notes == ()
    # the whole frame without a loyalty column: mentions only
    everyone = comments_view(FRAME, coded)
    assert tuple(everyone.paretos) == ("mentions",) and everyone.respondents == 7 and everyone.sentiment is None
    # a weighting that fails on the data is left out, with the reason
    bad = FRAME.assign(revenue=[-1.0] * 7)
    cv_bad = comments_view(bad, coded, loyalty_col="ltr", revenue_col="revenue")
    assert "revenue" not in cv_bad.paretos and "negative revenue" in cv_bad.notes[0]


def test_pareto_report_weighting_column_and_sentiment_scale():
    from cx.themes import pareto_report

    coded = code_comments(FRAME["comment"], FBOOK)
    p = weighted_pareto(FRAME, coded, "revenue", revenue_col="revenue")
    t = pareto_report(p)
    assert t.columns.tolist() == ["theme", "count", "weight", "share", "cumulative_share", "vital_few"]
    assert t["weight"].tolist() == [1250.0, 360.0, 0.0]
    sent = pd.DataFrame({"theme": ["Delivery"], "net_sentiment": [0.25]})
    t2 = pareto_report(pareto_table(coded), sent)
    assert t2["net_sentiment"].iloc[0] == 25.0 and t2["net_sentiment"].iloc[1:].isna().all()
    pct = pareto_report(pareto_table(coded), percent=True)
    assert pct["share"].tolist() == [50.0, 37.5, 12.5] and pct["cumulative_share"].tolist() == [50.0, 87.5, 100.0]


def test_shift_summary_lists_vital_entering_and_leaving():
    coded = code_comments(FRAME["comment"], FBOOK)
    ps = {w: weighted_pareto(FRAME, coded, w, loyalty_col="ltr", revenue_col="revenue") for w in WEIGHTINGS}
    s = compare_vital_few(ps).summary()
    assert s.to_dict("records")[0] == {"weighting": "mentions", "vital_few": "Delivery; Billing", "enters": "",
                                       "leaves": "", "n_vital": 2}
    assert s.to_dict("records")[3] == {"weighting": "nps impact", "vital_few": "Price", "enters": "Price",
                                       "leaves": "Delivery; Billing", "n_vital": 1}


def _md(text: str) -> str:
    from cx.ui import escape_md

    return escape_md(text)


def test_highlight_markdown_escapes_every_piece_and_bolds_matches():
    """Markup from the comment (asterisks, links, HTML, headings) is escaped; only the ** marks remain."""
    from cx.themes import highlight_markdown

    text = "# *Late* [click](http://x) <b>invoice</b>\nlate_again"
    md = highlight_markdown(text, {"Delivery": "late", "Billing": "invoice"}, _md, theme="Delivery")
    # the link's colon is followed by an invisible word joiner: no bare link is recognised either
    assert md == ("\\# \\***Late**\\* \\[click\\]\\(http\\:\u2060//x\\) \\<b\\>invoice\\</b\\> **late**\\_again")
    both = highlight_markdown("late invoice", {"Delivery": "late", "Billing": "invoice"}, _md)
    assert both == "**late** **invoice**"
    # spaces at the edges of a match stay outside the marks
    assert highlight_markdown("a  late  b", {"D": r"\s+late\s+"}, _md) == "a **late** b"
    assert highlight_markdown(None, {"D": "x"}, _md) == "" and highlight_markdown("no match", {"D": "x"}, _md) == "no match"


def test_verbatims_sentiment_column_and_limit_cut_before_work():
    """Billing rows 6 (score 0), 1 (5), 2 (9); labels by row; the limit keeps the lowest scores."""
    coded = code_comments(FRAME["comment"], FBOOK)
    labels = pd.DataFrame({"label": ["negative", "neutral", "positive", None, None, None, "negative"]})
    v = verbatims(FRAME, coded, "Billing", "comment", "ltr", ["region"], sentiment=labels)
    assert v.columns.tolist() == ["comment", "score", "nps_group", "sentiment", "region", "matched_words", "themes"]
    assert v["sentiment"].tolist() == ["negative", "neutral", "positive"]
    limited = verbatims(FRAME, coded, "Billing", "comment", "ltr", ["region"], sentiment=labels, limit=2)
    pd.testing.assert_frame_equal(limited, v.head(2))
    assert verbatims(FRAME, coded, "Billing", "comment", limit=0).empty
    with pytest.raises(CxInputError, match="label"):
        verbatims(FRAME, coded, "Billing", "comment", sentiment=pd.DataFrame({"x": [1] * 7}))


def test_verbatim_markdown_lines():
    from cx.themes import verbatim_markdown

    coded = code_comments(FRAME["comment"], FBOOK)
    v = verbatims(FRAME, coded, "Billing", "comment", "ltr", ["region"], sentiment=pd.Series(["negative"] * 7))
    lines = verbatim_markdown(v, coded, _md, theme="Billing", segment_cols=["region"], limit=2)
    assert lines == ["- *0/10 · Detractor · negative · EU*: **invoice** late again",
                     "- *5/10 · Detractor · negative · US*: wrong **invoice**"]
    no_score = verbatims(FRAME, coded, "Billing", "comment")
    assert verbatim_markdown(no_score, coded, _md, limit=1) == ["- *no score*: wrong **invoice**"]


def test_example_verbatims_distinct_detractors_first_masked():
    """Scores 5, 2, 9, 1: order rows 3, 1, 0, 2; row 1 repeats row 3's text (case and spaces aside)."""
    from cx.themes import example_verbatims

    f = pd.DataFrame({"c": ["late, mail a@b.org", "Late  again", "late promoter", "late AGAIN"],
                      "ltr": [5.0, 2.0, 9.0, 1.0]})
    coded = code_comments(f["c"], {"D": "late"})
    assert example_verbatims(f, coded, "D", "c", "ltr") == ["late AGAIN", "late, mail [email]", "late promoter"]
    assert example_verbatims(f, coded, "D", "c", k=2) == ["late, mail [email]", "Late  again"]


def test_codebook_editor_table_counts_and_problems():
    from cx.themes import codebook_editor_table

    book = pd.DataFrame({"theme": ["Billing", "Delivery", "Bad", ""], "pattern": ["invoice", "late", "(", "x"],
                         "parent": ["", "", "", ""]})
    coded = code_comments(FRAME["comment"], book)
    t = codebook_editor_table(book, coded)
    assert t.columns.tolist() == ["merge", "theme", "pattern", "parent", "comments", "problem"]
    assert t["comments"].tolist()[:2] == [3, 4] and t["comments"].isna().tolist() == [False, False, True, True]
    assert t["problem"].tolist()[:2] == ["", ""]
    assert t["problem"].iloc[2].startswith("invalid pattern") and "no name" in t["problem"].iloc[3]
    assert not t["merge"].any()
    assert codebook_editor_table(book)["comments"].isna().all()


def test_apply_codebook_edits_renames_into_parents_drops_blank_rows_and_merges():
    from cx.themes import apply_codebook_edits

    before = pd.DataFrame({"theme": ["Late", "Delay", "Price"], "pattern": ["late", "delay", "price"],
                           "parent": ["", "Late", ""]})
    table = before.assign(merge=False, comments=pd.array([1, 2, 3], dtype="Int64"), problem="")
    edited = table.copy()
    edited.loc[0, "theme"] = " Lateness "
    edited.loc[3] = {"theme": None, "pattern": None, "parent": None, "merge": False, "comments": None, "problem": ""}
    edited.loc[4] = {"theme": "Portal", "pattern": "portal(", "parent": None, "merge": False, "comments": None,
                     "problem": ""}
    out = apply_codebook_edits(before, edited)
    assert out.to_dict("records") == [
        {"theme": "Lateness", "pattern": "late", "parent": ""},
        {"theme": "Delay", "pattern": "delay", "parent": "Lateness"},
        {"theme": "Price", "pattern": "price", "parent": ""},
        {"theme": "Portal", "pattern": "portal(", "parent": ""},  # invalid, kept to be flagged
    ]
    ticked = table.assign(merge=[True, True, False])
    merged = apply_codebook_edits(before, ticked, merge=True, into="Delivery delays")
    assert merged.to_dict("records") == [{"theme": "Delivery delays", "pattern": "late|delay", "parent": ""},
                                         {"theme": "Price", "pattern": "price", "parent": ""}]
    with pytest.raises(CxInputError, match="at least two"):
        apply_codebook_edits(before, table.assign(merge=[True, False, False]), merge=True)
    # deleting a row is just its absence
    assert apply_codebook_edits(before, table.drop(index=1))["theme"].tolist() == ["Late", "Price"]


def test_add_suggestion_picks_a_free_name():
    from cx.themes import add_suggestion

    book = add_suggestion({"Price": "price"}, "portal  login", r"\bportal\W+login\b")
    assert book.to_dict("records")[-1] == {"theme": "Portal login", "pattern": r"\bportal\W+login\b", "parent": ""}
    again = add_suggestion(add_suggestion(book, "portal login", "p2"), "Portal login", "p3")
    assert again["theme"].tolist() == ["Price", "Portal login", "Portal login (suggested)",
                                       "Portal login (suggested 2)"]


def test_theme_suggestions_on_a_frame_equal_suggest_themes():
    from cx.themes import theme_suggestions

    f = pd.DataFrame({"c": ["late again", "slow portal login", "portal login broken", "portal login fails", "late"]},
                     index=[10, 11, 12, 13, 14])
    coded = code_comments(f["c"], {"Delivery": "late"})
    pd.testing.assert_frame_equal(theme_suggestions(f, coded, "c", min_count=2),
                                  suggest_themes(f["c"], coded, min_count=2))
    sub = coded.subset([False, True, True, False, True])
    assert theme_suggestions(f, sub, "c", min_count=2)["count"].tolist() == [2]


def test_codebook_version_and_bind_coding():
    from cx.themes import bind_coding, codebook_version, comments_view

    a = codebook_version({"Price": "price"})
    assert len(a) == 12 and a == codebook_version(pd.DataFrame({"theme": ["Price"], "pattern": ["price"]}))
    assert a != codebook_version({"Price": "prices"})
    coded = code_comments(FRAME["comment"], FBOOK)
    g = bind_coding(comments_view, coded)
    assert g.__qualname__ == "comments_view" and g.__module__ == "cx.themes"
    assert g(FRAME, "any key", loyalty_col="ltr").paretos["mentions"].vital_few == ("Delivery", "Billing")


def test_frame_sentiment_reports_progress():
    from cx.sentiment import comment_sentiment, frame_sentiment

    f = pd.DataFrame({"c": ["Great partner", "terrible, awful support", None, "Great partner"]})
    seen: list[float] = []
    out = frame_sentiment(f, "c", progress=seen.append)
    pd.testing.assert_frame_equal(out, comment_sentiment(f["c"]))
    assert seen[-1] == 1.0 and seen == sorted(seen)
    with pytest.raises(CxInputError):
        frame_sentiment(f, "Comment")


@pytest.mark.parametrize("dedupe", [False, True])
def test_rows_coded_in_parts_equal_the_whole(monkeypatch, dedupe):
    """The rows are split between the cores and each part coded on its own (deduplicated or not); the matrix
    and the non-empty flags are those of coding all rows at once, whatever the part boundaries."""
    import cx.themes as themes

    texts = ["late delivery", "wrong invoice", "late invoice", "  ", "great", "prix élevé", None, "café\vok"]
    s = pd.Series(np.random.default_rng(5).choice(np.array(texts, dtype=object), size=997), dtype="str")
    book = {"Billing": "invoice", "Delivery": r"\blate\b", "Price": r"\bprix\b|\w+é\b", "Spaced": r"é\sok"}
    monkeypatch.setattr(themes, "_DEDUP_MIN_ROWS", 10 if dedupe else 10**9)
    monkeypatch.setattr(themes, "_PART_MIN_ROWS", 10**9)
    whole = code_comments(s, book)
    monkeypatch.setattr(themes, "_PART_MIN_ROWS", 7)
    monkeypatch.setattr(themes.os, "cpu_count", lambda: 5)
    parts = code_comments(s, book)
    assert np.array_equal(parts.matrix, whole.matrix) and np.array_equal(parts.non_empty, whole.non_empty)
    assert parts.counts.to_dict() == whole.counts.to_dict() and whole.counts["Billing"] > 0


@pytest.mark.parametrize("dedupe", [False, True])
def test_coding_reads_a_chunked_column_in_place_as_one_array(monkeypatch, dedupe):
    """A column read from CSV arrives in many Arrow chunks (some empty): coded in place, same as one array."""
    import pyarrow as pa

    from cx import themes

    texts = ["late delivery", "wrong invoice", "  ", None, "prix élevé", "café\vok", "great"]
    values = list(np.random.default_rng(9).choice(np.array(texts, dtype=object), size=503))
    cuts = [0, 0, 17, 200, 200, 411, 503]
    chunked = pa.chunked_array([pa.array(values[a:b], type=pa.string()) for a, b in zip(cuts, cuts[1:])])
    s_chunked = pa.table({"c": chunked}).to_pandas()["c"]
    s_whole = pd.Series(values, dtype="str")
    book = {"Billing": "invoice", "Delivery": r"\blate\b", "Price": r"\bprix\b|\w+é\b", "Spaced": r"é\sok"}
    monkeypatch.setattr(themes, "_DEDUP_MIN_ROWS", 10 if dedupe else 10**9)
    monkeypatch.setattr(themes, "_PART_MIN_ROWS", 50)
    monkeypatch.setattr(themes.os, "cpu_count", lambda: 3)
    a, b = code_comments(s_chunked, book), code_comments(s_whole, book)
    assert np.array_equal(a.matrix, b.matrix) and np.array_equal(a.non_empty, b.non_empty)
    assert a.counts.to_dict() == b.counts.to_dict()
    assert a.n_comments == sum(1 for v in values if v is not None and v.strip())


def test_blank_comments_are_those_arrow_trims_to_nothing_for_every_code_point():
    """Whitespace-only test without copying the text agrees with trimming and `str.isspace`, over all of Unicode."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from cx.themes import _non_empty

    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000]
    texts = pa.chunked_array([pa.array(chars), pa.array([" " + c + "\t" for c in chars] + ["", None])])
    trimmed = pc.fill_null(pc.greater(pc.utf8_length(pc.utf8_trim_whitespace(texts)), 0), False)
    expected = trimmed.to_numpy(zero_copy_only=False)
    assert np.array_equal(_non_empty(texts), expected)
    assert expected.sum() == 2 * (len(chars) - sum(c.isspace() for c in chars))  # Python's whitespace too
