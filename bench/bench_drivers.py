"""Speed of the key driver engine on a generated 1,000,000-response survey (seeded).

Prints medians. Goals (issue 4): exact Shapley + relative weights + correlations after load < 1 s;
bootstrap with 200 resamples < 10 s; 15-driver exact Shapley well under 1 s; 30 drivers with
relative weights < 1 s.

Run: .venv/bin/python bench/bench_drivers.py [--rows N] [--repeat K]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cx import drivers as kda  # noqa: E402


def make_survey(rows: int, n_drivers: int, seed: int = 7, missing: float = 0.03) -> tuple[pd.DataFrame, list[str]]:
    """Correlated 1–5 driver ratings (a shared halo), a 0–10 loyalty score, some N/A answers."""
    rng = np.random.default_rng(seed)
    halo = rng.normal(size=rows)
    latent = 0.7 * halo[:, None] + 0.7 * rng.normal(size=(rows, n_drivers))
    ratings = np.clip(np.round(3.2 + 1.1 * latent), 1, 5)
    weights = np.linspace(1.0, 0.1, n_drivers)
    loyalty = np.clip(np.round(7 + 1.2 * (latent @ weights) / weights.sum() * 2 + rng.normal(size=rows)), 0, 10)
    ratings[rng.random(size=ratings.shape) < missing] = np.nan
    names = [f"Driver {k + 1:02d}" for k in range(n_drivers)]
    frame = pd.DataFrame(ratings, columns=names)
    frame["Likelihood to recommend"] = loyalty
    frame["Weight"] = rng.uniform(0.5, 1.5, size=rows)
    return frame, names


def timed(fn, repeat: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    y = "Likelihood to recommend"

    frame, names = make_survey(args.rows, 12)
    print(f"{args.rows:,} respondents, 12 drivers (1–5), 3% N/A per rating")
    t_sh, res = timed(lambda: kda.key_drivers(frame, names, y, "shapley"), args.repeat)
    print(f"  exact Shapley + relative weights + correlations (one call): {t_sh:.3f} s  "
          f"(n = {res.n:,}, R² = {res.r2:.3f}; goal < 1 s)")
    t_rw, _ = timed(lambda: kda.key_drivers(frame, names, y, "relative_weights"), args.repeat)
    print(f"  relative weights call alone: {t_rw:.3f} s")
    t_w, _ = timed(lambda: kda.key_drivers(frame, names, y, "shapley", weight="Weight"), args.repeat)
    print(f"  weighted exact Shapley call: {t_w:.3f} s")
    t_pw, _ = timed(lambda: kda.key_drivers(frame, names, y, "shapley", missing="pairwise"), args.repeat)
    print(f"  pairwise exact Shapley call: {t_pw:.3f} s")
    t_b, res = timed(lambda: kda.key_drivers(frame, names, y, "shapley", n_boot=200, seed=1), 1)
    print(f"  bootstrap, 200 resamples (exact Shapley): {t_b:.2f} s  (goal < 10 s; top driver "
          f"{res.top_driver} {res.items[0].ci_low:.3f}..{res.items[0].ci_high:.3f})")

    R = np.corrcoef(np.random.default_rng(3).normal(size=(500, 16)) + np.random.default_rng(4).normal(size=(500, 1)),
                    rowvar=False)
    t15, _ = timed(lambda: kda.lmg_from_correlation(R), args.repeat)
    print(f"  exact Shapley from a 15-driver correlation matrix (32,768 subsets): {t15 * 1000:.1f} ms")
    small15, names15 = make_survey(50_000, 15, seed=9)
    t15f, _ = timed(lambda: kda.key_drivers(small15, names15, y, "shapley"), args.repeat)
    print(f"  exact Shapley, 15 drivers, 50,000 respondents (one call): {t15f:.3f} s")

    frame30, names30 = make_survey(args.rows, 30, seed=11)
    t30, res = timed(lambda: kda.key_drivers(frame30, names30, y, "relative_weights"), args.repeat)
    print(f"  30 drivers, relative weights (one call): {t30:.3f} s  (n = {res.n:,}; goal < 1 s)")
    t30s, res = timed(lambda: kda.key_drivers(frame30, names30, y, "shapley"), 1)
    print(f"  30 drivers, sampled Shapley ({kda.DEFAULT_PERMUTATIONS:,} orderings): {t30s:.3f} s  "
          f"(largest SE {res.sampling_error:.1e})")

    small10, names10 = make_survey(5_000, 10, seed=5)
    tlog, _ = timed(lambda: kda.key_drivers(small10, names10, y, "shapley", outcome_type="detractor"), args.repeat)
    print(f"  detractor logistic Shapley, 10 drivers, 5,000 respondents: {tlog:.3f} s")


if __name__ == "__main__":
    main()
