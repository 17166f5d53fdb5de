"""Rating values: numbers, label text ("10 - Extremely likely", "Very satisfied") and non-answers.

A rating column is turned into numbers on its own scale. "Don't know", "N/A", "Not applicable",
"Prefer not to say" and sentinel codes outside the scale (9 on a 1–5 scale, 98, 99, -1, -99) are
missing answers, counted by reason so the validation report can say how many.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

NA_ANSWERS = {
    "n/a", "na", "n.a.", "n.a", "not applicable", "does not apply", "don't know", "dont know", "do not know",
    "don't know / not applicable", "dk", "dk/na", "not sure", "unsure", "no opinion", "prefer not to say",
    "prefer not to answer", "refused", "no answer", "#n/a", "-", "--", "—", "–", "?", "none", "null", "nan",
    "not rated", "skip", "skipped", "weiß nicht", "keine angabe", "ne sais pas", "no sé", "no sabe",
}
SENTINELS = {-99.0, -98.0, -9.0, -1.0, 9.0, 97.0, 98.0, 99.0, 999.0, 9999.0}

# Standard scales, smallest first: a column takes the first that covers its values.
STANDARD_SCALES = ((1, 3), (1, 4), (1, 5), (0, 5), (1, 7), (0, 10), (1, 10))

LABEL_SETS: tuple[tuple[str, ...], ...] = (
    ("very dissatisfied", "dissatisfied", "neither satisfied nor dissatisfied", "satisfied", "very satisfied"),
    ("very dissatisfied", "somewhat dissatisfied", "neither satisfied nor dissatisfied", "somewhat satisfied",
     "very satisfied"),
    ("extremely dissatisfied", "dissatisfied", "neutral", "satisfied", "extremely satisfied"),
    ("very dissatisfied", "dissatisfied", "neutral", "satisfied", "very satisfied"),
    ("strongly disagree", "disagree", "neither agree nor disagree", "agree", "strongly agree"),
    ("strongly disagree", "somewhat disagree", "neither agree nor disagree", "somewhat agree", "strongly agree"),
    ("strongly disagree", "disagree", "neutral", "agree", "strongly agree"),
    ("very poor", "poor", "fair", "good", "very good"),
    ("poor", "fair", "good", "very good", "excellent"),
    ("very poor", "poor", "average", "good", "excellent"),
    ("very poor", "poor", "acceptable", "good", "very good"),
    ("terrible", "poor", "average", "good", "excellent"),
    ("extremely unlikely", "unlikely", "neither likely nor unlikely", "likely", "extremely likely"),
    ("very unlikely", "unlikely", "neutral", "likely", "very likely"),
    ("very unlikely", "somewhat unlikely", "neither likely nor unlikely", "somewhat likely", "very likely"),
    ("much worse than expected", "worse than expected", "as expected", "better than expected",
     "much better than expected"),
    ("very difficult", "difficult", "neither easy nor difficult", "easy", "very easy"),
    ("very difficult", "somewhat difficult", "neither easy nor difficult", "somewhat easy", "very easy"),
    ("not at all satisfied", "slightly satisfied", "moderately satisfied", "very satisfied",
     "extremely satisfied"),
    ("dissatisfied", "neutral", "satisfied"),
    ("disagree", "neutral", "agree"),
    ("poor", "average", "good"),
)

_LEADING_NUMBER = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*(?:$|[-–—=:.)(/]|\s+\D)")
_TRAILING_NUMBER = re.compile(r"[-–—=:(]\s*(-?\d+(?:[.,]\d+)?)\s*\)?\s*$")


def normalise_label(text: str) -> str:
    """Lower-case, straight apostrophes, single spaces, no trailing punctuation."""
    text = str(text).replace("’", "'").replace("‘", "'").strip().lower()
    text = re.sub(r"\s+", " ", text)
    return text.rstrip(".!")


def is_na_answer(text: str) -> bool:
    """True for "Don't know", "N/A", "Prefer not to say" and the like."""
    return normalise_label(text) in NA_ANSWERS


def parse_number(text: str) -> float | None:
    """The number a rating answer carries: "7", "10 - Extremely likely", "Not at all likely - 0"."""
    s = str(text).strip()
    try:
        return float(s.replace(",", ".")) if re.fullmatch(r"-?\d+(?:[.,]\d+)?", s) else float(s)
    except ValueError:
        pass
    m = _LEADING_NUMBER.match(s) or _TRAILING_NUMBER.search(s)
    if m:
        return float(m.group(1).replace(",", "."))
    return None


def label_set_for(labels: set[str]) -> tuple[str, ...] | None:
    """The smallest known ordered label set that covers all the given (normalised) labels."""
    best = None
    for candidate in LABEL_SETS:
        if labels <= set(candidate) and (best is None or len(candidate) < len(best)):
            best = candidate
    return best


@dataclass(frozen=True)
class ValueMap:
    """How each distinct raw value of a column maps to a number, and why the rest are missing."""

    numbers: dict[object, float]
    reasons: dict[object, str]  # raw value -> "na_answer" | "sentinel" | "out_of_range" | "not_a_number"
    scale: tuple[int, int] | None
    labelled: bool


def infer_scale(values: np.ndarray, weights: np.ndarray | None = None) -> tuple[tuple[int, int] | None, set[float]]:
    """The standard rating scale covering the values, and which values are sentinel codes.

    A scale is accepted when at least 97% of answers fall on it as whole numbers, or when all the
    rest all sentinel codes (9 on a 1–5 scale, 98, 99, -1, -99...) and at least half on the scale.
    """
    values = np.asarray(values, dtype="float64")
    w = np.ones(len(values)) if weights is None else np.asarray(weights, dtype="float64")
    ok = ~np.isnan(values)
    values, w = values[ok], w[ok]
    total = w.sum()
    if total == 0:
        return None, set()
    integer = np.isclose(values, np.round(values))
    if w[integer].sum() < 0.97 * total:
        return None, set()
    for lo, hi in STANDARD_SCALES:
        inside = (values >= lo) & (values <= hi) & integer
        share = w[inside].sum() / total
        outside = set(np.unique(values[~inside]).tolist())
        if share >= 0.97 or (share >= 0.5 and outside <= SENTINELS):
            sentinels = outside & SENTINELS
            # 0 is not a sentinel for 0-based scales; values 1 above the top of a 0-10 scale are plain errors
            return (lo, hi), sentinels
    return None, set()


def map_values(uniques: pd.Series, counts: np.ndarray | None = None) -> ValueMap:
    """Decide how a column's distinct values map to ratings.

    Parameters
    ----------
    uniques : the column's distinct non-missing values (numbers or text).
    counts : how often each occurs (weights the scale decision); equal weights when None.
    """
    numbers: dict[object, float] = {}
    reasons: dict[object, str] = {}
    labels: dict[object, str] = {}
    for value in uniques.tolist():
        if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
            numbers[value] = float(value)
            continue
        text = str(value)
        if not text.strip():
            continue
        if is_na_answer(text):
            reasons[value] = "na_answer"
            continue
        number = parse_number(text)
        if number is not None:
            numbers[value] = number
        else:
            labels[value] = normalise_label(text)
    labelled = False
    if labels:
        label_set = label_set_for(set(labels.values()))
        if label_set is not None and not numbers:
            labelled = True
            for value, label in labels.items():
                numbers[value] = float(label_set.index(label) + 1)
        else:
            for value in labels:
                reasons[value] = "not_a_number"
    keys = list(numbers)
    vals = np.array([numbers[k] for k in keys], dtype="float64")
    if counts is not None:
        index = {v: i for i, v in enumerate(uniques.tolist())}
        w = np.array([counts[index[k]] for k in keys], dtype="float64")
    else:
        w = None
    scale, sentinels = infer_scale(vals, w) if len(vals) else (None, set())
    if labelled and scale is None:
        scale = (1, int(vals.max()))
    if scale is not None:
        lo, hi = scale
        for k in keys:
            v = numbers[k]
            if v < lo or v > hi or not float(v).is_integer():
                reasons[k] = "sentinel" if v in sentinels else "out_of_range"
                del numbers[k]
    return ValueMap(numbers=numbers, reasons=reasons, scale=scale, labelled=labelled)


REASON_WORDS = {
    "blank": "blank",
    "na_answer": '"Don\'t know" / "N/A" answers',
    "sentinel": "sentinel codes outside the scale (such as 9, 98, 99, -1)",
    "out_of_range": "values outside the scale",
    "not_a_number": "text that is not a rating",
}
