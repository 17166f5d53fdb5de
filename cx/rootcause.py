"""5 Whys canvases: from a vital-few theme to the workflow diamond and its leading indicator.

A root cause is a plain JSON-able dict saved with the workspace, so the Root cause page, the
action plan, the leading-indicator check and `python -m cx report --workspace` all read the same
record:

``{"id", "theme", "scope", "count", "examples", "whys" (five strings), "diamond",
"indicator": {"name", "definition", "baseline", "target", "cadence", "owner", "due"}}``
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence

import numpy as np
import pandas as pd

OVERALL = "Overall"
CADENCES = ("Daily", "Weekly", "Monthly", "Quarterly")
INDICATOR_FIELDS = ("name", "definition", "baseline", "target", "cadence", "owner", "due")
N_WHYS = 5


def new_root_cause(theme: str, scope: str = OVERALL, count: int | None = None,
                   examples: Sequence[str] = ()) -> dict:
    """A fresh 5 Whys canvas for a theme (examples are kept as given: pass them masked)."""
    return normalise({"id": secrets.token_hex(4), "theme": theme, "scope": scope, "count": count,
                      "examples": list(examples)[:3]})


def normalise(entry: dict) -> dict:
    """Fill every field a root cause has (older or partial records), keeping what is there."""
    whys = [str(w or "") for w in (entry.get("whys") or [])][:N_WHYS]
    whys += [""] * (N_WHYS - len(whys))
    indicator = {k: str((entry.get("indicator") or {}).get(k) or "") for k in INDICATOR_FIELDS}
    count = entry.get("count")
    return {"id": str(entry.get("id") or secrets.token_hex(4)), "theme": str(entry.get("theme") or ""),
            "scope": str(entry.get("scope") or OVERALL),
            "count": int(count) if isinstance(count, (int, float)) and not pd.isna(count) else None,
            "examples": [str(e) for e in (entry.get("examples") or [])][:3], "whys": whys,
            "diamond": str(entry.get("diamond") or ""), "indicator": indicator}


def fifth_why(entry: dict) -> str:
    """The deepest why answered so far (the fifth, or the last one filled in)."""
    filled = [w for w in normalise(entry)["whys"] if w.strip()]
    return filled[-1] if filled else ""


def missing_parts(entry: dict) -> list[str]:
    """What a canvas still lacks before it can go in a plan, in words."""
    e = normalise(entry)
    out = []
    n_whys = sum(1 for w in e["whys"] if w.strip())
    if n_whys < N_WHYS:
        out.append(f"{N_WHYS - n_whys} of the 5 whys")
    if not e["diamond"].strip():
        out.append("the workflow diamond")
    for field in ("name", "owner", "target", "due"):
        if not e["indicator"][field].strip():
            out.append(f"the indicator's {field}")
    return out


def move(entries: list[dict], entry_id: str, delta: int) -> list[dict]:
    """Move one canvas up (delta -1) or down (+1); other order kept."""
    out = list(entries)
    i = next((k for k, e in enumerate(out) if e.get("id") == entry_id), None)
    if i is None:
        return out
    j = min(max(i + delta, 0), len(out) - 1)
    out.insert(j, out.pop(i))
    return out


def remove(entries: list[dict], entry_id: str) -> list[dict]:
    """Drop one canvas."""
    return [e for e in entries if e.get("id") != entry_id]


def scope_mask(frame: pd.DataFrame, scope_col: str | None, scope: str) -> np.ndarray:
    """Rows in a scope: everyone for "Overall", else rows whose scope column equals the value."""
    if not scope_col or scope == OVERALL:
        return np.ones(len(frame), dtype=bool)
    from cx.filters import is_one_of

    return is_one_of(frame[scope_col], [scope])


def for_scope(entries: Sequence[dict], scope: str) -> list[dict]:
    """Canvases that belong in a scope's plan: the scope's own, then the overall ones."""
    own = [normalise(e) for e in entries if normalise(e)["scope"] == scope]
    if scope == OVERALL:
        return own
    return own + [normalise(e) for e in entries if normalise(e)["scope"] == OVERALL]


def leading_indicator_names(entries: Sequence[dict]) -> list[str]:
    """The leading-indicator metrics named in the 5 Whys, each once, in canvas order."""
    names = [normalise(e)["indicator"]["name"].strip() for e in entries]
    return list(dict.fromkeys(n for n in names if n))


def vital_few_in_scope(frame: pd.DataFrame, coded, scope_col: str | None, scope: str):
    """The Pareto of comment themes (`cx.themes.ThemePareto`) of one scope's respondents."""
    from cx.themes import pareto_table

    return pareto_table(coded.subset(scope_mask(frame, scope_col, scope)))


def theme_examples(frame: pd.DataFrame, coded, theme: str, comment_col: str, loyalty_col: str | None,
                   scope_col: str | None, scope: str, n: int = 3) -> list[str]:
    """Up to n verbatims of a theme in a scope, detractors first, personal data masked."""
    from cx.themes import verbatims

    mask = scope_mask(frame, scope_col, scope)
    if theme not in coded.themes:
        return []
    table = verbatims(frame[mask], coded.subset(mask), theme, comment_col, loyalty_col, limit=n)
    return [str(t) for t in table["comment"].tolist()[:n]]
