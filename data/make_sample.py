"""Make the bundled sample survey: a seeded, realistic B2B relationship survey.

Run `make sample` (or `python data/make_sample.py`); the output is identical every time.
What is planted, so every page has a story to tell, is listed in data/README.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

SEED = 20261122
N = 5000
OUT = Path(__file__).with_name("sample_survey.csv")

BUSINESS_UNITS = {"Logistics": 0.26, "Industrial Supplies": 0.30, "Packaging": 0.24, "Field Services": 0.20}
REGIONS = {"North America": 0.40, "EMEA": 0.32, "APAC": 0.18, "Latin America": 0.10}
TIERS = {"Strategic": 0.08, "Key": 0.22, "Core": 0.40, "Transactional": 0.30}
TIER_REVENUE = {"Strategic": 2_400_000, "Key": 520_000, "Core": 115_000, "Transactional": 24_000}

# name: (weight in loyalty, mean performance on the latent scale, share answering N/A)
DRIVERS = {
    "Ease of doing business": (1.25, 0.05, 0.00),
    "Billing accuracy": (1.05, -0.45, 0.03),
    "On-time delivery": (0.60, -0.20, 0.04),
    "Support responsiveness": (0.55, -0.05, 0.06),
    "Product quality": (0.45, 0.55, 0.01),
    "Technical expertise": (0.30, 0.35, 0.07),
    "Account manager": (0.30, 0.30, 0.08),
    "Ordering process": (0.25, 0.10, 0.05),
    "Price and value": (0.20, -0.55, 0.02),
    "Onboarding": (0.10, 0.00, 0.12),
    "Communication": (0.20, -0.10, 0.03),
    "Website and portal": (0.10, -0.15, 0.08),
}

# Which comment theme a low rating of a driver leads to.
DRIVER_THEME = {
    "Ease of doing business": "ease",
    "Billing accuracy": "billing",
    "On-time delivery": "delivery",
    "Support responsiveness": "support",
    "Product quality": "quality",
    "Technical expertise": "tech",
    "Account manager": "people",
    "Ordering process": "ordering",
    "Price and value": "price",
    "Onboarding": "onboarding",
    "Communication": "communication",
    "Website and portal": "website",
}

NEGATIVE = {
    "billing": [
        "Invoices are wrong almost every month and it takes weeks to get a credit note.",
        "We keep getting billing errors: wrong prices, duplicate charges, missing PO numbers.",
        "The invoice never matches the quote, so our AP team has to chase every bill.",
        "Billing mistakes again this quarter. We were invoiced twice for the same order.",
        "Since the new billing system your invoices show the wrong tax and the wrong unit price.",
        "Credit notes take forever and the invoicing is a mess.",
        "Incorrect invoices are costing us hours of reconciliation every month.",
    ],
    "delivery": [
        "Deliveries are late more often than not and nobody tells us in advance.",
        "Shipments arrive days after the promised date, which stops our production line.",
        "Late deliveries again. The tracking information is never up to date.",
        "Orders ship incomplete and the back-ordered items turn up weeks later.",
        "Delivery dates are missed and we have to expedite at our own cost.",
        "We received damaged goods twice this year and the wrong items once.",
    ],
    "support": [
        "Support takes days to answer a simple ticket.",
        "When we call support we wait on hold for 40 minutes and then get transferred.",
        "Slow response from customer service; tickets get closed without a fix.",
        "Nobody calls back when we escalate an issue. Support response times are poor.",
        "It is hard to reach anyone in support after 4pm.",
    ],
    "ease": [
        "Doing business with you is too complicated: too many forms and approvals.",
        "Everything takes three emails and two phone calls. Make it easier to work with you.",
        "Too much paperwork and bureaucracy for simple requests.",
        "The process to change anything on our account is complicated and slow.",
    ],
    "quality": [
        "Product quality has slipped; we had a batch with defects last month.",
        "Several parts failed early and had to be replaced.",
        "Quality is inconsistent from one batch to the next.",
    ],
    "tech": [
        "Your technical team does not know the product well enough to solve our problems.",
        "The engineers we speak to lack technical expertise on the newer product lines.",
    ],
    "people": [
        "Our account manager changed three times this year and never visits.",
        "The sales rep does not understand our business and does not follow up.",
        "We never hear from our account manager unless there is a renewal.",
    ],
    "ordering": [
        "Placing an order is painful: the order form is confusing and the catalogue is out of date.",
        "Reordering the same items takes far too long; we need a simple reorder option.",
        "Order confirmations take a day to arrive and sometimes are wrong.",
    ],
    "price": [
        "Prices went up 12% with no notice. Too expensive compared to competitors.",
        "Price increases every year without any improvement in service.",
        "Good product but too expensive for what we get.",
        "Your pricing is not competitive any more.",
    ],
    "onboarding": [
        "Onboarding was chaotic: no training plan and the wrong contacts.",
        "New users get no training; the onboarding documentation is thin.",
    ],
    "communication": [
        "Communication is poor; we learn about changes after they happen.",
        "Nobody informed us about the price change or the new delivery schedule.",
        "Please communicate proactively when there is a problem.",
    ],
    "website": [
        "The customer portal is slow and keeps logging us out.",
        "The website search never finds the part numbers we need.",
        "Downloading invoices from the portal does not work half the time.",
    ],
}

POSITIVE = {
    "people": [
        "Our account manager is excellent and always responsive.",
        "Great people to work with; the team really knows us.",
        "Friendly and helpful staff, especially our account manager.",
    ],
    "quality": [
        "Product quality is excellent and consistent.",
        "Reliable products that last, which is why we stay.",
    ],
    "support": [
        "Support resolved our issue the same day. Very impressed.",
        "Quick response from customer service whenever we call.",
    ],
    "delivery": [
        "Deliveries are always on time and complete.",
        "Fast delivery, well packed, no complaints.",
    ],
    "tech": ["Your technical experts helped us redesign our line; real expertise."],
    "ease": ["Easy to do business with; everything just works."],
    "praise": [
        "Great partner overall, keep up the good work.",
        "Very happy with the service this year.",
        "Excellent service and a pleasure to work with.",
        "Overall a good supplier, thank you.",
    ],
}

SUGGESTIONS = [
    " Please fix this.",
    " This needs to improve before our renewal.",
    " We are looking at other suppliers.",
    "",
    "",
    "",
    " Otherwise fine.",
]

CONTACTS = [
    " Call me on +1 (312) 555-0187 to discuss.",
    " Please contact me at j.miller@example-corp.com.",
    " My direct line is 020 7946 0958.",
    " Email dana.kowalski@acme-industrial.example if you want details.",
]


def main() -> None:
    rng = np.random.default_rng(SEED)

    def pick(choices: dict[str, float], size: int) -> np.ndarray:
        keys = list(choices)
        probs = np.array(list(choices.values()))
        return rng.choice(keys, size=size, p=probs / probs.sum())

    bu = pick(BUSINESS_UNITS, N)
    region = pick(REGIONS, N)
    tier = pick(TIERS, N)

    start = pd.Timestamp("2025-04-01")
    days = (pd.Timestamp("2026-09-30") - start).days + 1
    date = start + pd.to_timedelta(np.sort(rng.integers(0, days, N)), unit="D")
    date = pd.DatetimeIndex(date)
    quarter = date.to_period("Q").astype(str)
    rng.shuffle(idx := np.arange(N))  # responses are not in date order in a real export
    date = date[idx]
    quarter = np.asarray(quarter)[idx]

    halo = rng.normal(0, 1, N)  # general goodwill: makes drivers inter-correlated
    latent = {}
    for name, (_, mean, _) in DRIVERS.items():
        shift = np.zeros(N)
        if name == "On-time delivery":
            shift += np.where(bu == "Logistics", -0.75, 0.0)
        if name == "Billing accuracy":
            # a billing-system migration in 2026-Q2 hurt everyone, partly fixed in Q3
            shift += np.where(quarter == "2026Q2", -1.5, np.where(quarter == "2026Q3", -0.7, 0.0))
        if name == "Ease of doing business":
            # a simplification programme that pays off quarter by quarter
            shift += 0.12 * np.searchsorted(np.unique(quarter), quarter)
        if name == "Support responsiveness":
            shift += np.where(region == "APAC", -0.45, 0.0)
        if name == "Account manager":
            shift += np.where(tier == "Strategic", 0.6, np.where(tier == "Transactional", -0.5, 0.0))
        if name == "Product quality":
            shift += np.where(bu == "Packaging", 0.3, 0.0)
        latent[name] = mean + shift + 0.55 * halo + rng.normal(0, 0.85, N)

    loyalty_signal = sum(w * latent[name] for name, (w, _, _) in DRIVERS.items())
    loyalty_signal = loyalty_signal / np.std(loyalty_signal)
    ltr_cont = 7.6 + 2.1 * loyalty_signal + rng.normal(0, 1.15, N)
    ltr = np.clip(np.round(ltr_cont), 0, 10).astype(int)

    frame = pd.DataFrame(
        {
            "Respondent ID": [f"R{100000 + i}" for i in range(N)],
            "Account ID": [f"A-{rng.integers(10000, 99999)}" for _ in range(N)],
            "Response date": date.strftime("%Y-%m-%d"),
            "Business unit": bu,
            "Region": region,
            "Account tier": tier,
        }
    )
    revenue = np.array([TIER_REVENUE[t] for t in tier]) * rng.lognormal(0, 0.55, N)
    frame["Annual revenue"] = np.round(revenue, -2)
    frame["Likelihood to recommend"] = ltr

    ratings = {}
    for name, (_, _, na_share) in DRIVERS.items():
        z = latent[name] + rng.normal(0, 0.35, N)
        r = np.digitize(z, [-1.45, -0.6, 0.3, 1.15]) + 1  # 1..5
        ratings[name] = r
        col = pd.Series(r.astype(str), dtype=object)
        col[rng.random(N) < na_share] = "N/A"
        frame[name] = col

    frame["Comment"] = [make_comment(rng, ltr[i], {k: ratings[k][i] for k in DRIVERS}) for i in range(N)]
    frame.to_csv(OUT, index=False)
    print(f"wrote {OUT} ({len(frame):,} rows, {frame.shape[1]} columns)")


def make_comment(rng: np.random.Generator, ltr: int, ratings: dict[str, int]) -> str:
    """A comment whose themes follow the respondent's lowest-rated drivers, more negative for detractors."""
    p_comment = 0.85 if ltr <= 6 else (0.55 if ltr <= 8 else 0.45)
    if rng.random() > p_comment:
        return ""
    parts: list[str] = []
    if ltr <= 8:
        # complaints follow low ratings of the drivers that matter most: a sharp Pareto
        names = list(ratings)
        pull = np.array([DRIVERS[k][0] ** 2.5 * (6 - ratings[k]) ** 2 for k in names])
        n_themes = 1 + int(rng.random() < (0.45 if ltr <= 6 else 0.2))
        picked = rng.choice(len(names), size=n_themes, replace=False, p=pull / pull.sum())
        for j in picked:
            parts.append(str(rng.choice(NEGATIVE[DRIVER_THEME[names[j]]])))
        if ltr <= 6:
            parts.append(str(rng.choice(SUGGESTIONS)))
        elif rng.random() < 0.3:
            high = max(ratings, key=lambda k: (ratings[k], rng.random()))
            theme = DRIVER_THEME[high] if DRIVER_THEME[high] in POSITIVE else "praise"
            first = parts[0]
            parts[0] = f"{rng.choice(POSITIVE[theme])} But {first[0].lower()}{first[1:]}"
    else:
        high = max(ratings, key=lambda k: (ratings[k], rng.random()))
        theme = DRIVER_THEME[high] if DRIVER_THEME[high] in POSITIVE else "praise"
        parts.append(str(rng.choice(POSITIVE[theme])))
        if rng.random() < 0.35:
            parts.append(str(rng.choice(POSITIVE["praise"])))
    if rng.random() < 0.012:
        parts.append(str(rng.choice(CONTACTS)))
    text = " ".join(p.strip() for p in parts if p.strip())
    if rng.random() < 0.15:
        text = text.lower()
    return text


if __name__ == "__main__":
    main()
