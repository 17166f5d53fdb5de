"""The shared filter gives the same rows whether segments are categoricals (as cleaned) or plain text."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cx.filters import FilterSpec, apply_filter, is_one_of, present_labels

FRAME = pd.DataFrame({"Region": ["EMEA", "APAC", None, "EMEA", "LATAM"], "Tier": ["Key", "Core", "Key", None, "Core"],
                      "ltr": [10.0, 9.0, 3.0, 7.0, 0.0]})


def test_text_and_categorical_segments_filter_alike():
    spec = FilterSpec.build({"Region": ["EMEA", "LATAM"]}, core_growth=True, icp={"Tier": ["Core"]})
    text = apply_filter(FRAME, spec)
    cats = apply_filter(FRAME.astype({"Region": "category", "Tier": "category"}), spec)
    assert text.index.tolist() == cats.index.tolist() == [4]
    unused = FRAME["Region"].astype(pd.CategoricalDtype(["APAC", "EMEA", "LATAM", "NORAM"]))
    assert is_one_of(unused, ["NORAM", "APAC"]).tolist() == [False, True, False, False, False]
    assert np.array_equal(is_one_of(FRAME["Region"], ["APAC"]), is_one_of(unused, ["APAC"]))


def test_present_labels_leave_out_values_not_in_view():
    view = FRAME.astype({"Region": "category"}).iloc[:2]
    assert present_labels(view["Region"]) == ["APAC", "EMEA"]
    assert present_labels(pd.Series([2.0, 1.0, None, 2.0])) == ["1.0", "2.0"]
