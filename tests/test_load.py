"""Import: every export shape gives the same n and NPS, with the right roles, in cx and from the CLI."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from conftest import REAL, ROOT, SAMPLE, needs_shared
from survey_shapes import EXPECTED, EXPECTED_N, EXPECTED_NPS, SHAPES

from cx.analysis import load_survey
from cx.clean import inspect_survey, prepare_survey
from cx.load import _count_newlines, read_survey, read_survey_file
from cx.nps import nps_summary


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_every_shape_gives_the_same_nps(shapes_dir, name):
    raw = read_survey_file(shapes_dir / name)
    survey = prepare_survey(raw)
    r = survey.roles
    assert r.loyalty is not None, raw.frame.columns
    result = nps_summary(survey.frame, r.loyalty)
    assert result.n == EXPECTED_N
    assert result.score == pytest.approx(EXPECTED_NPS)
    assert (result.promoters, result.passives, result.detractors) == tuple(EXPECTED.values())
    assert len(r.drivers) == 3
    assert r.comments is not None and r.segments, r
    assert r.date is not None


@pytest.mark.parametrize("name", sorted(SHAPES))
def test_cli_prints_the_same_nps_without_column_flags(shapes_dir, name):
    out = subprocess.run([sys.executable, "-m", "cx", "analyze", str(shapes_dir / name)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    nps = json.loads(out.stdout)["nps"]
    assert nps["n"] == EXPECTED_N and nps["score"] == pytest.approx(EXPECTED_NPS)


def test_qualtrics_display_names_are_the_question_text(shapes_dir):
    raw = read_survey_file(shapes_dir / "qualtrics_values.csv")
    assert raw.platform == "qualtrics"
    cols = list(raw.frame.columns)
    assert "Billing accuracy" in cols and "Support responsiveness" in cols
    assert "How likely are you to recommend Acme to a friend or colleague?" in cols
    assert raw.codes["Billing accuracy"] == "Q2_1"
    assert raw.column_for("Q2_1") == "Billing accuracy"
    roles = inspect_survey(raw).roles
    assert roles.drivers == ("Billing accuracy", "On-time delivery", "Support responsiveness")
    assert roles.loyalty == "How likely are you to recommend Acme to a friend or colleague?"
    assert roles.comments == "What is the main reason for your score?"
    assert roles.segments == ("Which region are you in?",)
    assert roles.date == "RecordedDate"
    # platform bookkeeping never becomes a segment
    assert "Status" not in roles.segments and "DistributionChannel" not in roles.segments


def test_labels_map_to_numbers_on_their_scale(shapes_dir):
    survey = prepare_survey(read_survey_file(shapes_dir / "qualtrics_labels.csv"))
    billing = survey.frame["Billing accuracy"]
    assert survey.scales["Billing accuracy"] == (1, 5)
    assert billing.iloc[0] == 5 and billing.iloc[12] == 1
    check = next(c for c in survey.report.checks if c.column == "Billing accuracy")
    assert check.na_answer == 1 and check.valid == 21
    loyalty = next(c for c in survey.report.checks if c.role == "loyalty")
    assert (loyalty.valid, loyalty.na_answer, loyalty.blank) == (20, 1, 1)


def test_surveymonkey_subquestions_become_column_names(shapes_dir):
    raw = read_survey_file(shapes_dir / "surveymonkey.csv")
    assert raw.platform == "surveymonkey"
    assert {"Billing accuracy", "On-time delivery", "Support responsiveness"} <= set(raw.frame.columns)
    assert "What region are you in?" in raw.frame.columns


def test_european_csv(shapes_dir):
    raw = read_survey_file(shapes_dir / "european_semicolon.csv")
    assert raw.delimiter == ";" and raw.decimal == ","
    assert "Région Europe" in set(raw.frame["Region"])
    assert raw.frame["Revenue (€)"].iloc[1] == pytest.approx(1250.5)
    roles = inspect_survey(raw).roles
    assert roles.revenue == "Revenue (€)"


def test_utf16_tsv(shapes_dir):
    raw = read_survey_file(shapes_dir / "qualtrics_utf16.tsv")
    assert raw.encoding == "UTF-16" and raw.delimiter == "\t"
    assert raw.n_rows == 22


def test_xlsx_title_row_and_second_sheet(shapes_dir):
    raw = read_survey_file(shapes_dir / "title_row_two_sheets.xlsx")
    assert raw.sheet == "Responses"
    assert raw.n_rows == 22
    assert any("title row" in n for n in raw.notes)
    assert any("Read me" in n for n in raw.notes)


def test_sample_survey_roles():
    raw = read_survey_file(SAMPLE)
    roles = inspect_survey(raw).roles
    assert roles.loyalty == "Likelihood to recommend"
    assert len(roles.drivers) == 12
    assert roles.comments == "Comment"
    assert roles.segments == ("Business unit", "Region", "Account tier")
    assert (roles.revenue, roles.date, roles.customer_id) == ("Annual revenue", "Response date", "Account ID")


def test_camel_case_customer_id_and_no_revenue_guess_from_a_change_in_an_amount():
    """E-commerce export shape: "CustomerID" is the customer id; "OrderAmountHikeFromlastYear" (a % change)
    and "CashbackAmount" (money paid back) are not revenue, while "Order amount" is."""
    rng = np.random.default_rng(4)
    n = 200
    frame = pd.DataFrame({"CustomerID": np.arange(50001, 50001 + n), "SatisfactionScore": rng.integers(1, 6, n),
                          "OrderAmountHikeFromlastYear": rng.integers(11, 27, n),
                          "CashbackAmount": rng.uniform(100, 300, n).round(2)})
    roles = inspect_survey(read_survey(frame.to_csv(index=False).encode(), "shop.csv")).roles
    assert roles.customer_id == "CustomerID" and roles.revenue is None
    frame["Order amount"] = rng.uniform(500, 5000, n).round(2)
    roles = inspect_survey(read_survey(frame.to_csv(index=False).encode(), "shop.csv")).roles
    assert roles.revenue == "Order amount"


def test_a_column_of_nps_groups_is_not_a_segment():
    """NPS_RATING (Promoter / Passive / Detractor) restates the score: splitting NPS by it is circular."""
    scores = [10, 9, 8, 7, 6, 3, 0, 10, 9, 5] * 6
    groups = ["Promoter" if v >= 9 else "Passive" if v >= 7 else "Detractor" for v in scores]
    text = "id,NPS_SCORE,NPS_RATING,Journey\n" + "\n".join(
        f"{i},{v},{g},{'Order' if i % 2 else 'Billing'}" for i, (v, g) in enumerate(zip(scores, groups)))
    roles = inspect_survey(read_survey(text.encode(), "nps.csv")).roles
    assert roles.loyalty == "NPS_SCORE" and roles.segments == ("Journey",)


def test_a_name_column_is_a_segment_only_when_its_values_repeat():
    """ "Division Name" (3 values over 60 rows) groups respondents; "First name" (30 names, 2 answers each on
    average: fewer than 5) is personal data."""
    rows = "\n".join(f"{i},{i % 11},{['General', 'Petite', 'Intimates'][i % 3]},Person{i % 30}" for i in range(60))
    roles = inspect_survey(read_survey(("id,Likelihood to recommend,Division Name,First name\n" + rows).encode(),
                                       "names.csv")).roles
    assert roles.segments == ("Division Name",)
    few = "\n".join(f"{i},{i % 11},Person{i}" for i in range(30))
    assert inspect_survey(read_survey(("id,Likelihood to recommend,First name\n" + few).encode(), "n.csv")).roles.segments == ()


def test_a_yes_no_outcome_is_read_as_one_and_zero_even_when_also_picked_as_a_segment():
    """"Would you recommend us?" answered yes / no: 1 and 0 for the key drivers; "Don't know" is missing.
    The column was also inferred as a segment: as the outcome it is no longer one."""
    from cx.analysis import roles_with_overrides

    answers = ["yes", "no", "Yes", "no", "Don't know", ""] * 10
    text = "id,ease,recommended,region\n" + "\n".join(
        f"{i},{1 + i % 5},{a},{'North' if i % 3 else 'South'}" for i, a in enumerate(answers))
    raw = read_survey(text.encode(), "yn.csv")
    inspection = inspect_survey(raw)
    roles = roles_with_overrides(inspection, raw, outcome="recommended", drivers=["ease"])
    assert roles.outcome == "recommended" and "recommended" not in roles.segments
    survey = prepare_survey(raw, roles.replace(segments=("recommended", "region")), inspection)
    assert survey.roles.segments == ("region",)
    assert np.array_equal(survey.frame["recommended"].to_numpy()[:6], [1, 0, 1, 0, np.nan, np.nan], equal_nan=True)
    check = next(c for c in survey.report.checks if c.role == "outcome")
    assert (check.valid, check.na_answer, check.blank, check.scale) == (40, 10, 10, (0, 1))
    assert not survey.report.problems


def test_sentinels_and_out_of_range_are_missing_and_counted():
    text = "id,ltr,q1\n" + "\n".join(f"{i},{v},{q}" for i, (v, q) in enumerate(
        [(10, 1), (9, 2), (11, 3), (-3, 4), (5, 9), (99, 5), (7, 99), (0, 5), (8, 4), (6, 3)] * 2))
    raw = read_survey(text.encode(), "s.csv")
    survey = prepare_survey(raw, inspect_survey(raw).roles.replace(loyalty="ltr", drivers=("q1",)))
    ltr = next(c for c in survey.report.checks if c.role == "loyalty")
    assert (ltr.valid, ltr.out_of_range, ltr.sentinel) == (14, 4, 2)
    q1 = next(c for c in survey.report.checks if c.column == "q1")
    assert q1.scale == (1, 5) and q1.sentinel == 4 and q1.valid == 16


@needs_shared(REAL)
@pytest.mark.real
def test_real_qualtrics_exports_read(tmp_path):
    for name, platform in (("qualtrics_sample_3row_header_de.csv", "qualtrics"),
                           ("qualtrics_sample_legacy_2row_header.csv", "qualtrics-legacy")):
        raw = read_survey_file(REAL / "format_fixtures" / name)
        assert raw.platform == platform and raw.n_rows == 1
        assert "This is a multiple choice question." in raw.frame.columns


@needs_shared(REAL)
@pytest.mark.real
@pytest.mark.parametrize("name,loyalty,n", [
    ("telecom_nps_verbatims.csv", "NPS_SCORE", 2353),
    ("ba_airline_reviews.csv", "rating", 1324),
])
def test_real_nps_files(name, loyalty, n):
    _, survey = load_survey(REAL / name)
    assert survey.roles.loyalty == loyalty
    assert nps_summary(survey.frame, loyalty).n == n


@needs_shared(REAL)
@pytest.mark.real
def test_every_real_file_loads_or_says_what_to_fix():
    from cx.errors import CxInputError

    files = sorted(p for p in REAL.rglob("*") if p.suffix in (".csv", ".tsv", ".xlsx") and p.name != "manifest.csv")
    assert len(files) >= 20
    for path in files:
        try:
            load_survey(path)
        except CxInputError as exc:
            assert "--loyalty" in str(exc) or "Data page" in str(exc), (path.name, str(exc))


def test_segments_become_categoricals_with_trimmed_labels():
    import numpy as np

    from cx.clean import segment_values

    text = pd.Series(["EMEA", "EMEA ", " APAC", "", None, "APAC"], dtype="str")
    for column in (text, text.astype("category")):
        out = segment_values(column)
        assert isinstance(out.dtype, pd.CategoricalDtype)
        assert list(out.cat.categories) == ["APAC", "EMEA"]
        assert out.tolist()[:4] == ["EMEA", "EMEA", "APAC", np.nan] and pd.isna(out.iloc[4])
    assert segment_values(pd.Series([1.0, 2.0, np.nan, 2.5])).tolist()[:2] == ["1", "2"]
    assert segment_values(pd.Series([3, 1, 3])).cat.categories.tolist() == ["1", "3"]


def test_csv_reads_few_distinct_texts_as_categoricals(tmp_path):
    from cx.load import read_survey_file

    path = tmp_path / "s.csv"
    path.write_text("Region,Comment\n" + "".join(f"{'EMEA' if i % 2 else 'APAC'},comment number {i}\n"
                                                 for i in range(3000)))
    frame = read_survey_file(path).frame
    assert isinstance(frame["Region"].dtype, pd.CategoricalDtype)
    assert not isinstance(frame["Comment"].dtype, pd.CategoricalDtype)  # 3,000 distinct texts: kept as text


@pytest.mark.parametrize("late,reason", [(None, None), ("N/A", "na_answer"), ("200", "out_of_range")])
def test_small_whole_numbers_read_as_int8_unless_a_later_answer_does_not_fit(late, reason):
    """Columns sampled (start, middle and end of the file) as whole numbers from -128 to 127 are read as int8,
    an eighth of the memory; an answer between the samples that does not fit makes the file read again with its
    types inferred: the same answers and the same counts either way."""
    rows, odd = 40_000, 12_000  # the odd answer lies past the first 256 kB, before the middle sample
    q1 = [str(1 + i % 5) for i in range(rows)]
    if late:
        q1[odd] = late
    text = "id,Likelihood to recommend,Q1 ease,Comment\n" + "".join(
        f"{i},{(i * 7) % 11},{q},comment {i % 97}\n" for i, q in enumerate(q1))
    raw = read_survey(text.encode(), "s.csv")
    assert str(raw.frame["Likelihood to recommend"].dtype) == "int8" and str(raw.frame["id"].dtype) == "int64"
    assert (str(raw.frame["Q1 ease"].dtype) == "int8") == (late is None)
    survey = prepare_survey(raw, inspect_survey(raw).roles.replace(loyalty="Likelihood to recommend",
                                                                   drivers=("Q1 ease",)))
    expected = np.array([1.0 + i % 5 for i in range(rows)])
    if late:
        expected[odd] = np.nan
    np.testing.assert_array_equal(survey.frame["Q1 ease"].to_numpy(), expected)
    check = next(c for c in survey.report.checks if c.column == "Q1 ease")
    assert (check.valid, check.scale) == (rows - bool(late), (1, 5))
    assert (getattr(check, reason) if reason else 0) == bool(late)
    ltr = survey.frame["Likelihood to recommend"].to_numpy()
    np.testing.assert_array_equal(ltr, [float((i * 7) % 11) for i in range(rows)])


def test_bytes_that_are_not_utf8_past_the_first_rows_are_read_as_windows_1252():
    """Arrow reads a column with a stray Windows-1252 byte past the sniffed head as binary (it does not fail);
    the file is read again in the encoding its lines are in, and the survey cleans with the text as typed."""
    rows = [b"%d,%d,%s,comment number %d here\n" % (i, i % 11, [b"North", b"South"][i % 2], i) for i in range(30_000)]
    rows[10_000] = b"10000,7,North,caf\xe9 was cold\n"
    rows[10_001] = b"10001,8,Nor\xe9th,fine\n"
    raw = read_survey(b"id,Likelihood to recommend,Region,Comment\n" + b"".join(rows), "s.csv")
    assert raw.encoding == "Windows-1252" and "Read as Windows-1252." in raw.notes
    survey = prepare_survey(raw)
    assert survey.frame["Comment"].iloc[10_000] == "caf\u00e9 was cold"
    assert set(survey.frame["Region"].cat.categories) == {"North", "South", "Nor\u00e9th"}
    assert nps_summary(survey.frame, "Likelihood to recommend").n == 30_000


TEXT_PAYLOADS = {
    "plain": b"id,Likelihood to recommend,Comment\n1,9,fine\n2,3,\"late, again\"\n3,10,ok\n",
    "nul_bytes": b"id,Likelihood to recommend\n1,9\x00\n2,\x003\n3,10\n",
    "utf8_bom": "\ufeffid,Likelihood to recommend,Comment\n1,9,café\n2,3,naïve\n".encode(),
    "utf16": "id\tLikelihood to recommend\tComment\n1\t9\tcafé\n2\t3\tok\n".encode("utf-16"),
    "cp1252": "id,Likelihood to recommend,Comment\n1,9,café € 5\n2,3,ok\n".encode("cp1252"),
    "mac_line_endings": b"id,Likelihood to recommend\r1,9\r2,3\r3,10\r",
    "line_breaks_in_values": b'id,Likelihood to recommend,Comment\n1,9,"two\nlines"\n2,3,ok\n',
}


@pytest.mark.parametrize("name", sorted(TEXT_PAYLOADS))
@pytest.mark.parametrize("meanwhile", [None, lambda: None])
def test_a_mapped_file_reads_as_its_bytes(tmp_path, name, meanwhile):
    """From disk the file is mapped and read in place (in a second thread when the CLI imports meanwhile);
    the frame, encoding and notes are those of the same bytes uploaded."""
    data = TEXT_PAYLOADS[name]
    path = tmp_path / f"{name}.csv"
    path.write_bytes(data)
    mapped, uploaded = read_survey_file(path, meanwhile=meanwhile), read_survey(data, path.name)
    pd.testing.assert_frame_equal(mapped.frame, uploaded.frame)
    assert (mapped.encoding, mapped.notes, mapped.delimiter) == (uploaded.encoding, uploaded.notes,
                                                                 uploaded.delimiter)
    assert len(mapped.frame) >= 2


def test_newlines_are_counted_across_slices():
    """The line-feed count (which decides whether to look for a quote left open) spans its 8 MB slices."""
    rng = np.random.default_rng(3)
    data = rng.choice(np.frombuffer(b"ab,\n\r\"", dtype=np.uint8), size=(8 << 20) * 2 + 12_345).tobytes()
    assert _count_newlines(data) == data.count(b"\n")
    assert _count_newlines(b"") == 0
    assert _count_newlines(b"a\nb\n") == 2
