"""Sampling planner on a generated 1,000,000-customer list: base, allocation, draw, weights.

Run: .venv/bin/python bench/bench_sampling.py  (prints the median of several runs per step)
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cx.indicators import validate_leading_indicators  # noqa: E402
from cx.sampling import (  # noqa: E402
    allocate_sample,
    base_from_customers,
    draw_sample,
    representativeness,
)

N_CUSTOMERS = 1_000_000
REPEATS = 5


def make_customers(n: int, seed: int = 2026) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    units = np.array(["Logistics", "Retail", "Energy", "Healthcare", "Public sector", "Telecom", "Finance", "Mining"])
    regions = np.array(["North", "South", "East", "West", "Central"])
    tiers = np.array(["Gold", "Silver", "Bronze"])
    last = pd.Timestamp("2026-03-31") - pd.to_timedelta(rng.integers(0, 720, n), unit="D")
    last = pd.Series(last).where(rng.random(n) < 0.6)
    return pd.DataFrame({
        "customer_id": pd.array([f"C{i:07d}" for i in range(n)], dtype="string"),
        "business_unit": pd.array(units[rng.choice(len(units), n, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.08, 0.05, 0.02])],
                                  dtype="string"),
        "region": pd.array(regions[rng.integers(0, len(regions), n)], dtype="string"),
        "tier": pd.array(tiers[rng.choice(3, n, p=[0.1, 0.3, 0.6])], dtype="string"),
        "last_surveyed": last,
    })


def median_time(fn, repeats: int = REPEATS) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def main() -> None:
    t0 = time.perf_counter()
    customers = make_customers(N_CUSTOMERS)
    print(f"generated {len(customers):,} customers in {time.perf_counter() - t0:.1f} s")
    strata = ["business_unit", "region", "tier"]
    rows = []

    t, base1 = median_time(lambda: base_from_customers(customers, "business_unit", id_col="customer_id"))
    rows.append(("customer base, 1 strata column (8 strata), ids checked", t))
    t, base3 = median_time(lambda: base_from_customers(customers, strata))
    rows.append((f"customer base, 3 strata columns ({len(base3)} strata)", t))

    t, plan = median_time(lambda: allocate_sample(base3, 3000, method="neyman", minimum=20, response_rate=0.2), 20)
    rows.append(("allocate 3,000 completes (Neyman, minimum 20, 20% response)", t))
    t, plan_moe = median_time(lambda: allocate_sample(base3, moe_points=2, minimum=20, response_rate=0.2), 20)
    rows.append((f"allocate for ±2 points overall (n = {plan_moe.n:,}, bisection)", t))

    t, draw = median_time(lambda: draw_sample(customers, strata, plan, seed=7))
    rows.append((f"draw {draw.n_drawn:,} invitations", t))
    t, draw = median_time(lambda: draw_sample(customers, strata, plan, seed=7, exclude_recent_days=180,
                                              last_surveyed_col="last_surveyed", today="2026-03-31"))
    rows.append((f"draw with the 180-day contact rule ({draw.n_excluded:,} excluded)", t))
    t, _ = median_time(lambda: draw_sample(customers, strata, plan, seed=7, id_col="customer_id"))
    rows.append(("draw, order-independent (by customer id)", t))

    survey = customers.sample(100_000, random_state=1)
    t, rep = median_time(lambda: representativeness(survey, strata, base3))
    rows.append((f"post-stratification weights, 100,000 respondents (n_eff {rep.n_effective:,.0f})", t))

    # Leading indicators: 50,000 accounts x 24 months x 2 metrics joined to 100,000 responses.
    rng = np.random.default_rng(5)
    accounts, months = 50_000, 24
    metrics = pd.DataFrame({
        "customer_id": np.repeat(np.arange(accounts), months),
        "month": np.tile(pd.date_range("2024-01-01", periods=months, freq="MS"), accounts),
        "invoice_accuracy": rng.normal(95, 3, accounts * months),
        "pct_shipped_complete": rng.normal(0.9, 0.05, accounts * months),
    })
    responses = pd.DataFrame({
        "customer_id": rng.integers(0, accounts, 100_000),
        "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, 100_000), unit="D"),
        "ltr": rng.integers(0, 11, 100_000).astype(float),
    })
    t, _ = median_time(lambda: validate_leading_indicators(
        responses, metrics, id_col="customer_id", date_col="date", loyalty_col="ltr",
        metrics_id_col="customer_id", metrics_period_col="month"))
    rows.append(("leading indicators: 2.4M metric values x 100,000 responses, lags 0-3", t))

    width = max(len(name) for name, _ in rows)
    print(f"\nmedians over {REPEATS} runs (allocations over 20), 1,000,000 customers")
    for name, t in rows:
        print(f"  {name:<{width}}  {t * 1000:9.1f} ms")


if __name__ == "__main__":
    main()
