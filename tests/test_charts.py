"""Chart specs drawn in the browser: a filter change changes only their data, so charts update in place."""

from __future__ import annotations

import json

import pandas as pd
import vl_convert as vlc

from cx.charts import stable_spec
from cx.charts.overview import distribution_chart, segment_chart, trend_chart
from cx.nps import nps_by_segment, nps_trend, score_distribution

SURVEY = pd.DataFrame({
    "ltr": [10, 9, 8, 7, 6, 3, 10, 0, 9, 5, 8, 10],
    "unit": ["A", "A", "B", "B", "A", "C", "C", "B", "A", "C", "A", "B"],
    "date": pd.to_datetime(["2026-01-05", "2026-02-01", "2026-04-03", "2026-05-09", "2026-07-01", "2026-08-30",
                            "2026-01-20", "2026-04-28", "2026-07-15", "2026-09-30", "2026-03-03", "2026-06-06"]),
})


def _specs(frame: pd.DataFrame) -> list[dict]:
    n = len(frame)
    return [
        stable_spec(distribution_chart(score_distribution(frame, "ltr"), n, 12).to_dict(validate=False)),
        stable_spec(segment_chart(nps_by_segment(frame, "ltr", "unit"), "unit", 0.0, n, 12).to_dict(validate=False)),
        stable_spec(trend_chart(nps_trend(frame, "ltr", "date"), n, 12).to_dict(validate=False)),
    ]


def _without_data(spec: dict) -> str:
    return json.dumps({k: v for k, v in spec.items() if k != "datasets"}, sort_keys=True)


def test_filter_changes_only_the_data_of_overview_charts():
    everyone, some = _specs(SURVEY), _specs(SURVEY[SURVEY["ltr"] != 8])
    for a, b in zip(everyone, some):
        assert _without_data(a) == _without_data(b)
        assert a["datasets"] != b["datasets"]
        assert set(a["datasets"]) == {f"ds{i}" for i in range(len(a["datasets"]))}


def test_base_n_comes_from_the_data_and_still_shows_in_pictures():
    spec = _specs(SURVEY[SURVEY["unit"] == "A"])[0]
    assert spec["title"]["subtitle"] == {"expr": "length(data('ds0')) ? data('ds0')[0]._subtitle : ''"}
    assert {row["_subtitle"] for row in spec["datasets"]["ds0"]} == {"n = 5 of 12 respondents"}
    assert "n = 5 of 12 respondents" in vlc.vegalite_to_svg(spec)


def test_layers_sharing_data_share_one_dataset_and_the_input_is_left_alone():
    raw = trend_chart(nps_trend(SURVEY, "ltr", "date"), 12).to_dict(validate=False)
    before = json.dumps(raw, sort_keys=True)
    spec = stable_spec(raw)
    assert json.dumps(raw, sort_keys=True) == before
    names = [layer["data"]["name"] for layer in spec["layer"]]
    assert names[0] == names[1] == "ds0"  # the band and the line draw the same rows
    assert stable_spec({"mark": "bar"}) == {"mark": "bar"}  # no inline data: nothing to do


def test_datasets_converted_once_are_sent_as_streamlit_sends_them():
    """The app converts a chart's rows to Arrow once per data; the chart element Streamlit sends is the same."""
    import copy

    from streamlit.elements.vega_charts import _marshall_chart_data
    from streamlit.proto.VegaLiteChart_pb2 import VegaLiteChart

    from cx.ui import _with_arrow_datasets

    for spec in _specs(SURVEY) + [{"mark": "bar"}]:
        sent, converted = VegaLiteChart(), VegaLiteChart()
        _marshall_chart_data(sent, copy.deepcopy(spec))
        _marshall_chart_data(converted, copy.deepcopy(_with_arrow_datasets(spec)))
        assert sent.SerializeToString() == converted.SerializeToString()
        assert len(sent.datasets) == len(spec.get("datasets", {}))
