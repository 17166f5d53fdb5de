"""Make the demo customer base and operational metrics that go with the sample survey.

Run `python data/make_demo_base.py`; the output is identical every time (seeded). Both files are
built from `sample_survey.csv`, so their Account IDs, business units, regions and tiers agree with
the survey, and the Sampling and Leading indicators pages show results before any upload.

`demo_customer_base.csv`: 15,000 accounts, one row each.

| column | what it is |
| --- | --- |
| Account ID | every account of the survey, plus 10,155 accounts never surveyed |
| Business unit, Region, Account tier | as in the survey (an account's latest response) |
| Annual revenue | USD |
| Last surveyed | date of the account's latest survey response; older waves (2024) for some others; blank = never |

Planted: the base holds more Transactional accounts (42%) and Logistics accounts (30%) than the
survey's respondents (29% and 26%), so the respondent mix differs significantly from the base and
post-stratification weights lower the NPS a little.

`demo_operational_metrics.csv`: per surveyed account and month (`2025-01`), the six months up to
and including the month of each of its responses, three metrics in percent:

| column | planted relation to loyalty |
| --- | --- |
| First-time invoice accuracy | leading indicator at lag 1: the month before a response tracks that respondent's billing experience (weaker at lag 2); accuracy also dips across all accounts in 2026-03..05 (the billing-system migration of the survey) |
| Orders shipped complete | none: noise around each account's own level |
| Tickets resolved within SLA | moves with loyalty in the same month only (lag 0): not a leading indicator |
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261123
HERE = Path(__file__).parent
SURVEY = HERE / "sample_survey.csv"
BASE_OUT = HERE / "demo_customer_base.csv"
METRICS_OUT = HERE / "demo_operational_metrics.csv"

N_BASE = 15_000
BASE_MIX = {
    "Business unit": {"Logistics": 0.30, "Industrial Supplies": 0.28, "Packaging": 0.22, "Field Services": 0.20},
    "Region": {"North America": 0.38, "EMEA": 0.30, "APAC": 0.20, "Latin America": 0.12},
    "Account tier": {"Strategic": 0.04, "Key": 0.16, "Core": 0.38, "Transactional": 0.42},
}
TIER_REVENUE = {"Strategic": 2_400_000, "Key": 520_000, "Core": 115_000, "Transactional": 24_000}
WINDOW = 6  # months of metrics up to and including each response's month
INVOICE = "First-time invoice accuracy"
SHIPPED = "Orders shipped complete"
SLA = "Tickets resolved within SLA"


def _zscore(x: np.ndarray) -> np.ndarray:
    return (x - np.nanmean(x)) / np.nanstd(x)


def make_base(survey: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Every surveyed account (latest response) plus accounts never surveyed, to the target mix."""
    latest = survey.sort_values(["Response date", "Respondent ID"]).groupby("Account ID", sort=True).tail(1)
    surveyed = pd.DataFrame({
        "Account ID": latest["Account ID"].to_numpy(),
        "Business unit": latest["Business unit"].to_numpy(),
        "Region": latest["Region"].to_numpy(),
        "Account tier": latest["Account tier"].to_numpy(),
        "Annual revenue": latest["Annual revenue"].to_numpy(),
        "Last surveyed": latest["Response date"].to_numpy(),
    })
    n_extra = N_BASE - len(surveyed)
    extra = {}
    for col, mix in BASE_MIX.items():
        have = surveyed[col].value_counts()
        need = np.array([max(mix[k] * N_BASE - have.get(k, 0), 0.0) for k in mix])
        extra[col] = rng.choice(list(mix), size=n_extra, p=need / need.sum())
    used = set(surveyed["Account ID"])
    pool = np.array([f"A-{i}" for i in range(10000, 99999) if f"A-{i}" not in used])
    ids = rng.choice(pool, size=n_extra, replace=False)
    revenue = np.array([TIER_REVENUE[t] for t in extra["Account tier"]]) * rng.lognormal(0, 0.55, n_extra)
    older = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 366, n_extra), unit="D")
    last = np.where(rng.random(n_extra) < 0.3, older.strftime("%Y-%m-%d"), "")
    others = pd.DataFrame({"Account ID": ids, **extra, "Annual revenue": np.round(revenue, -2),
                           "Last surveyed": last})
    base = pd.concat([surveyed, others], ignore_index=True)
    return base.iloc[rng.permutation(len(base))].reset_index(drop=True)


def make_metrics(survey: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Monthly metrics per surveyed account, with the planted lag-1 leading indicator."""
    month = pd.to_datetime(survey["Response date"]).dt.to_period("M")
    t = (month.dt.year * 12 + month.dt.month - 1).to_numpy()
    ltr = survey["Likelihood to recommend"].to_numpy(dtype=float)
    billing = pd.to_numeric(survey["Billing accuracy"], errors="coerce").to_numpy(dtype=float)
    support = pd.to_numeric(survey["Support responsiveness"], errors="coerce").to_numpy(dtype=float)
    # What the respondent lived through: their rating of that area, blended with loyalty.
    bill_signal = _zscore(np.where(np.isfinite(billing), 0.5 * _zscore(billing) + 0.5 * _zscore(ltr), _zscore(ltr)))
    sup_signal = _zscore(np.where(np.isfinite(support), 0.5 * _zscore(support) + 0.5 * _zscore(ltr), _zscore(ltr)))

    accounts = survey["Account ID"].to_numpy()
    keys = {}
    for a, ti in zip(accounts, t):
        for m in range(ti - WINDOW + 1, ti + 1):
            keys[(a, m)] = None
    rows = pd.DataFrame(list(keys), columns=["Account ID", "ordinal"]).sort_values(["Account ID", "ordinal"])
    rows = rows.reset_index(drop=True)
    pos = {k: i for i, k in enumerate(zip(rows["Account ID"], rows["ordinal"]))}
    n = len(rows)

    acct_ids, acct_codes = np.unique(rows["Account ID"].to_numpy(), return_inverse=True)
    level = {name: rng.normal(0, sd, len(acct_ids))[acct_codes] for name, sd in
             ((INVOICE, 1.2), (SHIPPED, 2.0), (SLA, 2.5))}
    migration = {2026 * 12 + 2: -2.5, 2026 * 12 + 3: -4.0, 2026 * 12 + 4: -2.5, 2026 * 12 + 5: -1.0}
    dip = np.array([migration.get(o, 0.0) for o in rows["ordinal"]])
    invoice = 95.5 + level[INVOICE] + dip + rng.normal(0, 1.0, n)
    shipped = 92.0 + level[SHIPPED] + 0.8 * np.sin(rows["ordinal"].to_numpy() * np.pi / 6) + rng.normal(0, 1.8, n)
    sla = 87.0 + level[SLA] + rng.normal(0, 2.5, n)
    for a, ti, b, s in zip(accounts, t, bill_signal, sup_signal):
        invoice[pos[(a, ti - 1)]] += 0.75 * b  # the month before the response: the leading signal
        invoice[pos[(a, ti - 2)]] += 0.3 * b
        sla[pos[(a, ti)]] += 1.3 * s  # same month only: coincident, not leading
    out = pd.DataFrame({
        "Account ID": rows["Account ID"].to_numpy(),
        "Month": [f"{o // 12}-{o % 12 + 1:02d}" for o in rows["ordinal"]],
        INVOICE: np.round(np.clip(invoice, 0, 100), 1),
        SHIPPED: np.round(np.clip(shipped, 0, 100), 1),
        SLA: np.round(np.clip(sla, 0, 100), 1),
    })
    return out


def main() -> None:
    survey = pd.read_csv(SURVEY, dtype={"Account ID": str})
    rng = np.random.default_rng(SEED)
    base = make_base(survey, rng)
    base.to_csv(BASE_OUT, index=False)
    metrics = make_metrics(survey, rng)
    metrics.to_csv(METRICS_OUT, index=False)
    print(f"wrote {BASE_OUT.name} ({len(base):,} accounts) and {METRICS_OUT.name} ({len(metrics):,} rows)")


if __name__ == "__main__":
    main()
