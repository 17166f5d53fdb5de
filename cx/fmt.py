"""Numbers formatted for people: one place, so every page, chart and export agrees."""

from __future__ import annotations

import math
import re


def _missing(x: float | None) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def signed_int(x: float | None) -> str:
    """An NPS-like score as a signed integer: ``+12``, ``-3``, ``0``; a dash when unknown."""
    if _missing(x):
        return "–"
    v = round(x)
    return f"+{v}" if v > 0 else str(v)


def signed(x: float | None, digits: int = 1) -> str:
    """A signed number with fixed decimals: ``+12.3``, ``-0.4``; a dash when unknown."""
    if _missing(x) or (isinstance(x, (int, float)) and not math.isfinite(x)):
        return "–"
    return f"{round(x, digits) + 0.0:+.{digits}f}"  # + 0.0: a difference that rounds to zero is not "-0.00"


def nps_with_moe(score: float | None, ci95: tuple[float, float] | None) -> str:
    """NPS with its 95% margin of error: ``+12 (±4)``."""
    if _missing(score):
        return "–"
    if ci95 is None or _missing(ci95[0]) or _missing(ci95[1]):
        return signed_int(score)
    half = (ci95[1] - ci95[0]) / 2
    return f"{signed_int(score)} (±{half:.0f})" if half >= 0.5 else f"{signed_int(score)} (±{half:.1f})"


def share(x: float | None, digits: int = 0) -> str:
    """A proportion (0..1) as a percentage: ``24%``."""
    if _missing(x):
        return "–"
    return f"{100 * x:.{digits}f}%"


def count(x: float | None) -> str:
    """A count with thousands separators: ``5,012``."""
    if _missing(x):
        return "–"
    return f"{round(x):,}"


def money(x: float | None, currency: str = "$", digits: int = 1) -> str:
    """Money with currency and a readable magnitude: ``$612.4M``, ``$48.2K``, ``-$1.3B``."""
    if _missing(x):
        return "–"
    sign = "-" if x < 0 else ""
    v = abs(x)
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= limit:
            return f"{sign}{currency}{v / limit:,.{digits}f}{suffix}"
    return f"{sign}{currency}{v:,.0f}"


def money_exact(x: float | None, currency: str = "$") -> str:
    """Money in full with thousands separators: ``$1,234,567``."""
    if _missing(x):
        return "–"
    sign = "-" if x < 0 else ""
    return f"{sign}{currency}{abs(x):,.0f}"


def number(x: float | None, digits: int = 2) -> str:
    """A plain number with thousands separators and fixed decimals."""
    if _missing(x):
        return "–"
    return f"{x:,.{digits}f}"


_MD_SPECIAL = set("\\`*_[]<>!|~$&#")
# What backslashes cannot stop: renderers find bare links ("https://…", "www.…", "name@host.tld") and
# Streamlit its ":material/icon:", ":emoji:" and ":red[…]" codes in the text itself, after escapes.
_LINK = re.compile(r"(?i)(:(?=\\?/)|@|\bwww(?=\\?\.))")
_LINK_OR_CODE = re.compile(r"(?i)(:|@|\bwww(?=\\?\.))")
WORD_JOINER = "\u2060"


def defuse_links(md: str, codes: bool = False) -> str:
    """Markdown with an invisible word joiner (U+2060) inside "://", after "@" and inside "www.".

    The text shows the same, yet no bare link or e-mail link is recognised in it. ``codes``: after every
    ":" too, so that Streamlit draws no colour, icon or emoji either (for text shown in the app).
    """
    return (_LINK_OR_CODE if codes else _LINK).sub(lambda m: m.group(1) + WORD_JOINER, md)


def md_escape(text, codes: bool = False) -> str:
    r"""Text from the data made safe for Markdown: markup characters escaped, line breaks flattened.

    A comment such as ``![x](http://host/pixel)`` or ``<script>`` then renders as the literal
    text, never as an image, a link, HTML or a table break; bare links stay text (`defuse_links`;
    ``codes`` for text shown in the app).

    Examples
    --------
    >>> print(md_escape("<b>5 * 3</b> | [x](y)"))
    \<b\>5 \* 3\</b\> \| \[x\](y)
    """
    s = " ".join(str(text).split()) if text is not None else ""
    return defuse_links("".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in s), codes)
