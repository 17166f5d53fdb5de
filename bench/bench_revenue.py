"""Revenue at risk on a generated 1,000,000-respondent survey: medians of repeated runs.

Run standalone: .venv/bin/python bench/bench_revenue.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cx.revenue import (  # noqa: E402
    ClvAssumptions,
    assumed_revenue,
    clv_summary,
    convert_detractors,
    driver_change_value,
    parse_money,
    retention_change,
    revenue_by_group,
    talking_points,
    value_by_driver,
    value_by_segment,
    value_by_theme,
)

N = 1_000_000
REPEAT = 7


def make_frame(n: int = N, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    loyalty = rng.integers(0, 11, n).astype("float64")
    loyalty[rng.random(n) < 0.03] = np.nan
    revenue = np.round(rng.lognormal(11, 1.2, n), 2)
    revenue[rng.random(n) < 0.05] = np.nan
    units = np.array(["Logistics", "Industrial Supplies", "Packaging", "Field Services"])
    frame = pd.DataFrame({
        "Likelihood to recommend": loyalty,
        "Annual revenue": revenue,
        "Business unit": pd.Series(units[rng.integers(0, 4, n)], dtype="str"),
        **{f"Driver {i}": rng.integers(1, 6, n).astype("float64") for i in range(1, 7)},
    })
    themes = pd.DataFrame({f"Theme {i}": rng.random(n) < 0.02 + 0.01 * i for i in range(12)})
    return frame, themes


def median_ms(fn, repeat: int = REPEAT) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1000 * statistics.median(times)


def main() -> None:
    t = time.perf_counter()
    frame, themes = make_frame()
    print(f"generated {N:,} respondents in {time.perf_counter() - t:.2f} s")
    loy, rev, seg = "Likelihood to recommend", "Annual revenue", "Business unit"
    summary = revenue_by_group(frame, loy, rev)
    a = ClvAssumptions()
    clv = clv_summary(summary, a)
    what_if = convert_detractors(clv, 0.1)
    text = pd.Series([f"${v:,.2f}" if np.isfinite(v) else "" for v in frame[rev]], dtype="str")
    drivers = [f"Driver {i}" for i in range(1, 7)]
    rows = [
        ("revenue_by_group", lambda: revenue_by_group(frame, loy, rev)),
        ("value_by_segment (4 segments)", lambda: value_by_segment(frame, loy, rev, seg, a)),
        ("value_by_segment with base sizes", lambda: value_by_segment(
            frame, loy, rev, seg, a, base_size={"Logistics": 4e6, "Industrial Supplies": 5e6,
                                                "Packaging": 3e6, "Field Services": 2e6})),
        ("value_by_theme (12 themes)", lambda: value_by_theme(frame, themes, loy, rev, a)),
        ("value_by_driver (6 drivers)", lambda: value_by_driver(frame, drivers, loy, rev, assumptions=a)),
        ("assumed_revenue per segment", lambda: assumed_revenue(frame, seg, per_segment={
            "Logistics": 1e5, "Industrial Supplies": 2e5, "Packaging": 5e4, "Field Services": 8e4})),
        ("what-if: clv_summary + convert_detractors", lambda: convert_detractors(clv_summary(summary, a), 0.1)),
        ("what-if: retention_change", lambda: retention_change(a, ClvAssumptions(retention_detractors=0.7),
                                                               summary)),
        ("what-if: driver_change_value", lambda: driver_change_value(clv, 2.5, driver="Driver 1", delta=1)),
        ("talking_points", lambda: talking_points(clv, what_if=what_if)),
        ("parse_money on 1M '$1,234.50' strings", lambda: parse_money(text)),
    ]
    print(f"{'operation':45s} {'median':>12s}")
    for name, fn in rows:
        ms = median_ms(fn, 3 if "parse_money" in name else REPEAT)
        print(f"{name:45s} {ms:10.3f} ms")


if __name__ == "__main__":
    main()
