"""Property-based tests (hypothesis) of the loaders and the statistics on random small inputs."""

from __future__ import annotations

import contextlib
import csv
import io
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cx.errors import CxInputError
from cx.load import read_survey
from cx.nps import nps_by_segment, nps_from_counts, nps_summary, nps_trend
from cx.themes import code_comments, pareto_table

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
scores = st.lists(st.one_of(st.none(), st.integers(0, 10)), min_size=0, max_size=60)


@SETTINGS
@given(scores)
def test_nps_invariants(values):
    frame = pd.DataFrame({"ltr": pd.Series(values, dtype="float64")})
    r = nps_summary(frame, "ltr")
    valid = [v for v in values if v is not None]
    assert r.n == len(valid) == r.promoters + r.passives + r.detractors
    assert r.promoters == sum(v >= 9 for v in valid) and r.detractors == sum(v <= 6 for v in valid)
    if r.n:
        assert math.isclose(r.score, 100 * (r.promoters - r.detractors) / r.n)
        lo, hi = r.ci95
        assert lo <= r.score <= hi and -100 - 1e-9 <= r.score <= 100 + 1e-9
    else:
        assert r.score is None


@SETTINGS
@given(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50))
def test_interval_matches_the_contract(p, q, d):
    r = nps_from_counts(p, q, d)
    if r.n:
        ps, ds = p / r.n, d / r.n
        half = 1.96 * 100 * math.sqrt(max(ps + ds - (ps - ds) ** 2, 0) / r.n)
        assert math.isclose(r.ci95[1] - r.score, half, rel_tol=1e-3, abs_tol=1e-9)


@SETTINGS
@given(scores, st.lists(st.sampled_from(["A", "B", "C", None]), min_size=60, max_size=60))
def test_segments_partition_the_respondents(values, segs):
    frame = pd.DataFrame({"ltr": pd.Series(values, dtype="float64"), "seg": pd.Series(segs[:len(values)],
                                                                                        dtype="object")})
    table = nps_by_segment(frame, "ltr", "seg")
    in_a_segment = frame["ltr"].notna() & frame["seg"].notna()
    assert int(table["n"].sum()) == int(in_a_segment.sum())
    assert table["differs"].dtype == bool


@SETTINGS
@given(scores, st.lists(st.dates(), min_size=60, max_size=60))
def test_trend_periods_cover_every_dated_answer(values, dates):
    frame = pd.DataFrame({"ltr": pd.Series(values, dtype="float64"),
                          "d": pd.to_datetime(pd.Series(dates[:len(values)], dtype="object"))})
    t = nps_trend(frame, "ltr", "d")
    assert int(t["n"].sum()) == int(frame["ltr"].notna().sum())
    assert list(t["period"]) == sorted(t["period"])
    if len(t):
        assert not t["significant_change"].iloc[0]


words = st.sampled_from(["invoice", "late", "support", "price", "great", "", "  ", "slow portal", "billing error"])


@SETTINGS
@given(st.lists(st.lists(words, min_size=1, max_size=3).map(" ".join), min_size=0, max_size=40))
def test_pareto_invariants(comments):
    book = pd.DataFrame({"theme": ["Billing", "Delivery", "Support", "Price"],
                         "pattern": ["invoice|billing", "late", "support", "price"]})
    p = pareto_table(code_comments(pd.Series(comments, dtype="str"), book))
    counts = [i.count for i in p.items]
    assert counts == sorted(counts, reverse=True) and sum(counts) == p.mentions
    cum = 0.0
    reached = False
    for item in p.items:
        cum += item.count / p.mentions if p.mentions else 0
        assert item.vital_few == (not reached and item.count > 0)
        reached = reached or cum >= 0.8 - 1e-12
    assert p.comments == sum(1 for c in comments if c.strip())


cells = st.one_of(st.integers(-5, 15).map(str), st.text(alphabet="abc é,;\"\n\t", max_size=8), st.just(""),
                  st.sampled_from(["N/A", "Don't know", "10 - Extremely likely", "99"]))


@SETTINGS
@given(st.lists(st.lists(cells, min_size=3, max_size=3), min_size=1, max_size=25), st.sampled_from([",", ";", "\t"]),
       st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"]))
def test_loader_round_trip_or_clear_error(rows, delimiter, encoding):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["Likelihood to recommend", "Comment", "Region"])
    writer.writerows(rows)
    text = buf.getvalue()
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    try:
        raw = read_survey(data, "random.csv")
    except CxInputError as exc:
        assert str(exc)
        return
    assert list(raw.frame.columns)[:3] == ["Likelihood to recommend", "Comment", "Region"] or raw.n_rows >= 0
    assert raw.n_rows <= len(rows)


@SETTINGS
@given(st.binary(max_size=3000), st.sampled_from(["x.csv", "x.xlsx", "x.xls", "x.parquet", "x.tsv", "x"]))
def test_loader_never_raises_anything_else(data, name):
    with contextlib.suppress(CxInputError):
        read_survey(data, name)


def test_shuffled_rows_give_the_same_nps():
    rng = np.random.default_rng(1)
    f = pd.DataFrame({"ltr": rng.integers(0, 11, 500).astype(float)})
    assert nps_summary(f, "ltr") == nps_summary(f.sample(frac=1, random_state=3), "ltr")


@given(st.lists(st.one_of(st.none(), st.integers(-3, 12), st.sampled_from([99, 999, 10_000, 2.5])), min_size=1,
                max_size=80),
       st.sampled_from([None, (0, 10), (1, 5)]), st.sampled_from(["float64", "int64", "int8"]))
def test_whole_number_ratings_fast_path_equals_the_general_one(values, scale, dtype):
    """Numeric columns of whole numbers (with blanks; int8 as small ones are read) are tallied by value; the
    result is the general path's (which the same values as objects take): same numbers, counts and examples."""
    from cx.clean import rating_values
    from cx.scales import SENTINELS

    if dtype != "float64":
        values = [v for v in values if v is not None and float(v).is_integer()
                  and (dtype == "int64" or -128 <= v <= 127)] or [1]
        numeric = pd.Series(values, dtype=dtype, name="q")
    else:
        numeric = pd.Series([np.nan if v is None else float(v) for v in values], dtype="float64", name="q")
    general = numeric.astype(object).where(numeric.notna(), None)  # object dtype: the general path
    fast, fast_check = rating_values(numeric, scale)
    slow, slow_check = rating_values(general, scale)
    pd.testing.assert_series_equal(fast, slow, check_dtype=True)
    assert fast_check.scale == slow_check.scale
    for field in ("valid", "blank", "na_answer", "sentinel", "out_of_range", "not_a_number"):
        assert getattr(fast_check, field) == getattr(slow_check, field), field
    # up to 3 examples of out-of-range answers: the fast path takes the lowest, the general one the first seen
    out_of_range = set()
    if fast_check.scale:  # without a scale every number is kept
        lo, hi = fast_check.scale
        out_of_range = {float(v) for v in numeric.dropna()
                        if v not in SENTINELS and (not lo <= v <= hi or not float(v).is_integer())}
    fast_examples, slow_examples = set(map(float, fast_check.invalid_examples)), set(map(float, slow_check.invalid_examples))
    assert len(fast_examples) == len(slow_examples) == min(3, len(out_of_range))
    assert fast_examples <= out_of_range and slow_examples <= out_of_range
    if len(out_of_range) <= 3:
        assert fast_examples == slow_examples


answers = st.lists(st.one_of(st.none(), st.sampled_from(
    ["EMEA", "APAC", " ", "N/A", "Don't know", "7", "10 - Extremely likely", "Very satisfied", "Satisfied",
     "2024-01-05", "05/01/2024", "$1,200", "late delivery again", "x y"])), min_size=0, max_size=80)


@SETTINGS
@given(answers, st.booleans())
def test_a_column_profiles_the_same_as_categorical_or_text(values, unused_category):
    """Profiles count a categorical by its codes; the answers must read the same as the plain texts."""
    from cx.roles import _profile

    text = pd.Series(values, dtype="str")
    categorical = pd.Series(values, dtype="category")
    if unused_category:
        categorical = categorical.cat.add_categories(["never answered"])
    a, b = _profile("Region", text, "Region", False), _profile("Region", categorical, "Region", False)
    assert (a.kind, a.n, a.n_missing, a.n_distinct, a.scale, a.examples) == (
        b.kind, b.n, b.n_missing, b.n_distinct, b.scale, b.examples)
    assert math.isclose(a.mean_length, b.mean_length)
    answered = [v for v in values if v is not None and v.strip()]
    assert a.n_missing == len(values) - len(answered) and a.n_distinct == len(set(answered))
