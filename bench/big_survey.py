"""Generate the benchmark survey: 1,000,000 responses, 12 drivers, comments on 40% of rows,
a business unit with 8 values (plus region and tier), revenue, dates. Seeded; cached in bench/out/.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

OUT = Path(__file__).resolve().parent / "out"
DRIVERS = ["Ease of doing business", "Billing accuracy", "On-time delivery", "Support responsiveness",
           "Product quality", "Technical expertise", "Account manager", "Ordering process", "Price and value",
           "Onboarding", "Communication", "Website and portal"]
UNITS = ["Logistics", "Industrial Supplies", "Packaging", "Field Services", "Chemicals", "Energy", "Retail",
         "Healthcare"]
PHRASES = [
    "Invoices are wrong almost every month and credit notes take weeks.",
    "Deliveries are late more often than not and tracking is never up to date.",
    "Support takes days to answer a simple ticket.",
    "Too much paperwork and too many approvals for simple requests.",
    "Product quality has slipped; a batch had defects last month.",
    "Prices went up with no notice, too expensive compared to competitors.",
    "Our account manager changed three times this year.",
    "The customer portal is slow and keeps logging us out.",
    "Great partner overall, keep up the good work.",
    "Excellent service and a pleasure to work with.",
]


def big_survey(n: int = 1_000_000, seed: int = 7) -> Path:
    """Write (once) and return the path of the n-row benchmark CSV."""
    OUT.mkdir(exist_ok=True)
    path = OUT / f"survey_{n}.csv"
    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    halo = rng.normal(0, 1, n)
    frame = pd.DataFrame({
        "Respondent ID": np.arange(n),
        "Response date": (pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 640, n), unit="D")).strftime(
            "%Y-%m-%d"),
        "Business unit": rng.choice(UNITS, n),
        "Region": rng.choice(["North America", "EMEA", "APAC", "Latin America"], n),
        "Account tier": rng.choice(["Strategic", "Key", "Core", "Transactional"], n),
        "Annual revenue": np.round(rng.lognormal(11.5, 1.2, n), -2),
    })
    signal = np.zeros(n)
    weights = np.linspace(0.9, 0.1, len(DRIVERS))
    ratings = {}
    for name, w in zip(DRIVERS, weights):
        latent = 0.75 * halo + rng.normal(0, 0.75, n)
        signal += w * latent
        ratings[name] = np.digitize(latent, [-1.4, -0.6, 0.3, 1.15]) + 1
    ltr = np.clip(np.round(7.5 + 2.0 * signal / signal.std() + rng.normal(0, 1.2, n)), 0, 10).astype(int)
    frame["Likelihood to recommend"] = ltr
    for name in DRIVERS:
        frame[name] = ratings[name]
    has = rng.random(n) < 0.4
    phrases = np.array(PHRASES, dtype=object)
    first = phrases[rng.integers(0, len(PHRASES), n)]
    second = np.where(rng.random(n) < 0.4, " " + phrases[rng.integers(0, len(PHRASES), n)], "")
    ref = np.where(rng.random(n) < 0.5, " Ref " + rng.integers(1000, 99999, n).astype(str) + ".", "")
    frame["Comment"] = np.where(has, first + second + ref, "")
    frame.to_csv(path, index=False)
    return path


if __name__ == "__main__":
    print(big_survey(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000))
