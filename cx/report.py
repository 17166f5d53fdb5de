"""Exports of the single-page action plan, and the close-the-loop message to all customers.

Every function here is pure and returns bytes (or text): the page offers them as downloads, the
CLI writes them to files, tests read them back.

- `plan_pdf`: exactly one landscape A4 page, charts as PNG images, DejaVu Sans embedded (the PDF
  core fonts cannot print "–", "€" or accents); content is fitted by shrinking fonts, then by
  truncating lists ("…and N more") and long texts.
- `plan_html`: one self-contained file, CSS inline (scoped to ``.cx-plan`` so a preview inside the
  app styles nothing else), charts as SVG images in data URIs; every piece of text from the data
  or the user goes through `html.escape`.
- `plan_markdown`: the same content as Markdown, text from the data escaped so it renders as text.
- `plan_xlsx`: a Plan sheet and the tables behind it; every text cell is written with
  ``write_string`` (text starting with =, +, -, @, tab or CR stays text, with Excel's quote
  prefix), so no cell is ever a live formula.
- `close_the_loop` and `loop_text` / `loop_markdown` / `loop_html`: the draft message to all
  customers, not only respondents.

Personal data in verbatims stays masked: the plan holds masked examples (`cx.privacy.mask_text`).
Heavy imports (fpdf2, vl-convert, xlsxwriter) happen inside the functions that need them.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import math
import re
import zipfile
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

from cx import fmt
from cx.errors import CxInputError
from cx.fmt import md_escape
from cx.nps import METHOD_NOTE
from cx.plan import ActionPlan

ASSETS = Path(__file__).resolve().parent / "assets"
FONT_REGULAR = ASSETS / "DejaVuSans.ttf"
FONT_BOLD = ASSETS / "DejaVuSans-Bold.ttf"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A cell starting with one of these could be read as a formula by a spreadsheet."""

FORMATS = ("pdf", "html", "md", "xlsx")
MIME = {"pdf": "application/pdf", "html": "text/html", "md": "text/markdown",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "txt": "text/plain",
        "zip": "application/zip"}

_NO_ROOT_CAUSE = "No 5 Whys yet"


# --- escaping -----------------------------------------------------------------------------------


def _h(text) -> str:
    """Text for HTML: every character that could start markup escaped (quotes too, for attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def _plain(text: str) -> str:
    """A driver or theme name in running text: first letter lower-case unless it starts an acronym."""
    t = str(text).strip()
    if len(t) > 1 and t[0].isupper() and not t[1].isupper():
        return t[0].lower() + t[1:]
    return t


def _join_words(items) -> str:
    items = [str(i) for i in items if str(i).strip()]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")  # not strftime("%B"): that follows the machine's locale


def _date_words(value: str) -> str:
    """An ISO date as "31 March 2027"; any other text unchanged."""
    try:
        d = dt.date.fromisoformat(str(value).strip())
    except ValueError:
        return str(value).strip()
    return f"{d.day} {_MONTHS[d.month - 1]} {d.year}"


# --- shared wording -----------------------------------------------------------------------------


def _meta_line(plan: ActionPlan) -> str:
    parts = [plan.scope_label, f"{fmt.count(plan.n_rows)} respondents"]
    if plan.filter_text:
        parts.append(f"filter: {plan.filter_text}")
    if plan.source:
        parts.append(f"source: {plan.source}")
    parts.append(f"as of {plan.as_of}")
    return " · ".join(parts)


def _owner_line(plan: ActionPlan) -> str:
    owner = plan.owner or "not named yet"
    review = _date_words(plan.next_review) if plan.next_review else "not set yet"
    return f"Plan owner: {owner} · Next review: {review}"


def _nps_detail(plan: ActionPlan) -> str:
    nps = plan.nps
    if nps is None:
        return ""
    s = nps.shares
    text = (f"Promoters {fmt.share(s['Promoter'])} · Passives {fmt.share(s['Passive'])} · "
            f"Detractors {fmt.share(s['Detractor'])} · n = {fmt.count(nps.n)}")
    if plan.weighted:
        text += f" (weighted; effective n = {fmt.count(nps.effective_n)})"
    return text


def _driver_detail(d) -> str:
    perf = "–" if d.performance is None or (isinstance(d.performance, float) and math.isnan(d.performance)) \
        else fmt.number(d.performance, 1)
    # the quadrant first: it says what to do, and a line too long for its column is cut at its end
    return f"{d.quadrant} · {fmt.share(d.importance)} of explained variance · mean rating {perf}"


def _fix_first_text(plan: ActionPlan) -> str:
    if not plan.drivers:
        return ""
    if not plan.fix_first:
        return "No driver is in the fix-first quadrant (high importance, low performance)."
    return "Fix first (high importance, low performance): " + ", ".join(plan.fix_first) + "."


def _indicator_text(rc) -> str:
    ind = rc.indicator
    text = ind.describe()
    if not text:
        return "not named yet"
    if ind.definition.strip():
        text += f" ({ind.definition.strip()})"
    return text


def _root_cause_row(rc) -> dict[str, str]:
    ind = rc.indicator
    return {
        "Theme": rc.theme,
        "Mentions": fmt.count(rc.count) if rc.count is not None else "–",
        "5th why": rc.fifth_why or "not answered yet",
        "Workflow diamond": rc.diamond or "not named yet",
        "Leading indicator": _indicator_text(rc),
        "Owner": ind.owner or "not named yet",
        "Due": ind.due or "–",
    }


def _method_lines(plan: ActionPlan) -> list[str]:
    lines = [METHOD_NOTE]
    if plan.drivers:
        label = {"shapley": "Shapley share of R² (LMG)", "relative_weights": "Johnson's relative weights",
                 "beta": "Pratt's measure", "correlation": "squared correlation"}.get(plan.driver_method or "",
                                                                                       plan.driver_method or "")
        r2 = "" if plan.driver_r2 is None else f", R² = {plan.driver_r2:.2f}"
        lines.append(f"Key drivers: {label} of {plan.driver_outcome}, n = {fmt.count(plan.driver_n)}{r2}; "
                     "importance is association, not proof of cause.")
    if plan.themes:
        lines.append(f"Vital few: the themes that together first reach 80% of mentions "
                     f"({fmt.count(plan.mentions)} mentions in {fmt.count(plan.n_comments)} comments).")
    if plan.revenue:
        lines.append(f"Money: {plan.revenue.assumptions}.")
    return lines


def _quotes(plan: ActionPlan, limit: int = 3) -> list[tuple[str, str]]:
    """One masked verbatim for each of the first vital-few themes, never the same comment twice."""
    from cx.plan import is_praise

    out, used = [], set()
    for t in plan.vital_few_themes:
        if is_praise(t.theme):
            continue
        quote = next((x for x in t.examples if x not in used), None)
        if quote:
            used.add(quote)
            out.append((t.theme, quote))
        if len(out) >= limit:
            break
    return out


def _theme_status(plan: ActionPlan, theme: str) -> str:
    rc = plan.root_cause_for(theme)
    if rc is None:
        return _NO_ROOT_CAUSE
    return rc.fifth_why or "5 Whys started"


# --- charts --------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _register_fonts() -> None:
    import vl_convert as vlc

    vlc.register_font_directory(str(ASSETS))


@lru_cache(maxsize=64)
def _svg_of(spec: str) -> str:
    import vl_convert as vlc

    _register_fonts()
    return vlc.vegalite_to_svg(json.loads(spec))


@lru_cache(maxsize=64)
def _png_of(spec: str, scale: float) -> bytes:
    import vl_convert as vlc

    _register_fonts()
    return vlc.vegalite_to_png(json.loads(spec), scale=scale)


def _spec(chart) -> str:
    return json.dumps(chart.to_dict(), sort_keys=True)


def chart_svg(chart) -> str:
    """An Altair chart rendered offline to SVG text (vl-convert; cached by spec)."""
    return _svg_of(_spec(chart))


def chart_png(chart, scale: float = 2.0) -> bytes:
    """An Altair chart rendered offline to PNG bytes (vl-convert; cached by spec)."""
    return _png_of(_spec(chart), float(scale))


def _charts(plan: ActionPlan) -> dict:
    from cx.charts.plan import plan_charts

    return plan_charts(plan)


# --- Markdown -------------------------------------------------------------------------------------


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return out


def plan_markdown(plan: ActionPlan) -> bytes:
    """The action plan as Markdown (UTF-8 bytes); text from the data is escaped (`md_escape`).

    Parameters
    ----------
    plan : ActionPlan

    Returns
    -------
    bytes
    """
    e = md_escape
    out = [f"# {e(plan.title)}", "", e(_meta_line(plan)), "", e(_owner_line(plan))]
    if plan.commitment:
        out += ["", f"**Our commitment:** {e(plan.commitment)}"]
    for w in plan.warnings:
        out += ["", f"> {e(w)}"]
    out += ["", "## Where we stand", ""]
    if plan.nps is not None:
        out += [f"**NPS {e(plan.nps_text())}** · {e(_nps_detail(plan))}"]
    else:
        out += [f"_{e(plan.statement('nps'))}_"]
    if plan.trend:
        out += ["", *_md_table(["Period", "n", "NPS", "Change", "Significant"], [
            [e(p.period), fmt.count(p.n), e(fmt.nps_with_moe(p.score, (p.ci_low, p.ci_high))),
             e("–" if p.change is None else fmt.signed_int(p.change)), "yes" if p.significant_change else "no"]
            for p in plan.trend]), "", e(plan.trend_text())]
    elif plan.statement("trend"):
        out += ["", f"_{e(plan.statement('trend'))}_"]

    out += ["", f"## {e(plan.drivers_heading)}", ""]
    if plan.drivers:
        out += _md_table(["#", "Key driver", "Importance", "Mean rating", "Quadrant"], [
            [str(k + 1), e(d.driver), fmt.share(d.importance), fmt.number(d.performance, 1), e(d.quadrant)]
            for k, d in enumerate(plan.top_drivers)])
        out += ["", e(_fix_first_text(plan))]
    else:
        out += [f"_{e(plan.statement('drivers'))}_"]

    out += ["", "## What customers raise most: the vital few", ""]
    if plan.vital_few_themes:
        out += _md_table(["Theme", "Mentions", "Share", "Cumulative", "5th why"], [
            [e(t.theme), fmt.count(t.count), fmt.share(t.share), fmt.share(t.cumulative_share),
             e(_theme_status(plan, t.theme))] for t in plan.vital_few_themes])
        for theme, quote in _quotes(plan):
            out += ["", f"In customers' words ({e(theme)}): “{e(quote)}”"]
    else:
        out += [f"_{e(plan.statement('themes'))}_"]

    out += ["", "## Root causes and leading indicators", ""]
    for rc in plan.root_causes:
        row = _root_cause_row(rc)
        mentions = "not counted" if rc.count is None else \
            f"{fmt.count(rc.count)} mention{'' if rc.count == 1 else 's'}"
        out += [f"### {e(rc.theme)} ({e(mentions)})", "",
                f"- **5th why:** {e(row['5th why'])}",
                f"- **Workflow diamond:** {e(row['Workflow diamond'])}",
                f"- **Leading indicator:** {e(row['Leading indicator'])}",
                f"- **Owner:** {e(row['Owner'])} · **Due:** {e(row['Due'])}"]
        if rc.missing:
            out += [f"- Still to fill: {e(', '.join(rc.missing))}"]
        if rc.examples:
            out += [f"- In customers' words: “{e(rc.examples[0])}”"]
        out += [""]
    if plan.statement("root_causes"):
        out += [f"_{e(plan.statement('root_causes'))}_", ""]

    out += ["## Money at stake", ""]
    if plan.revenue:
        out += [e(plan.revenue.sentence())]
    if plan.statement("revenue"):
        out += ["", f"_{e(plan.statement('revenue'))}_"]
    out += ["", "---", "", "Method: " + " ".join(e(x) for x in _method_lines(plan)), ""]
    return "\n".join(out).encode("utf-8")


# --- HTML ------------------------------------------------------------------------------------------

_CSS = """
.cx-plan{font-family:"DejaVu Sans",Helvetica,Arial,sans-serif;color:#1B1F24;background:#fff;max-width:1180px;
margin:0 auto;padding:18px 22px;font-size:14px;line-height:1.45;border-radius:6px}
.cx-plan h1{font-size:24px;margin:0 0 4px 0;color:#1B1F24}
.cx-plan h2{font-size:17px;margin:18px 0 6px 0;color:#1B1F24;border-bottom:2px solid #0072B2;padding-bottom:2px}
.cx-plan h3{font-size:15px;margin:10px 0 4px 0;color:#1B1F24}
.cx-plan p{margin:4px 0}
.cx-plan .meta{color:#5F6368;font-size:12.5px}
.cx-plan .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:12px;margin-top:8px}
.cx-plan .split{display:grid;grid-template-columns:repeat(auto-fit,minmax(380px,1fr));gap:16px;margin-top:8px}
.cx-plan .card{border:1px solid #D5D8DC;border-radius:6px;padding:10px 12px}
.cx-plan .big{font-size:34px;font-weight:700;line-height:1.1}
.cx-plan table{border-collapse:collapse;width:100%;font-size:13px;margin:4px 0}
.cx-plan th,.cx-plan td{border-bottom:1px solid #E3E6E8;text-align:left;padding:4px 6px;vertical-align:top;color:#1B1F24}
.cx-plan th{background:#F3F5F7;font-weight:600}
.cx-plan td.num,.cx-plan th.num{text-align:right;white-space:nowrap}
.cx-plan .missing{color:#5F6368;font-style:italic}
.cx-plan .fix{color:#B34700;font-weight:600}
.cx-plan .sig{color:#B34700;font-weight:600}
.cx-plan .warn{background:#FFF4E0;border-left:4px solid #E69F00;padding:4px 8px;margin:6px 0}
.cx-plan .quote{color:#3C4043;font-style:italic;margin:2px 0 2px 12px}
.cx-plan img.chart{max-width:100%;height:auto;display:block;margin-top:6px}
.cx-plan .foot{color:#5F6368;font-size:11.5px;margin-top:16px;border-top:1px solid #D5D8DC;padding-top:6px}
@media print{.cx-plan{max-width:none;padding:0}.cx-plan .card{break-inside:avoid}}
"""


def _img(svg: str, alt: str) -> str:
    # An SVG shown through <img> cannot run script, and its text (driver and theme names) cannot
    # become markup of the page: the chart stays a picture wherever the file is opened.
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f'<img class="chart" alt="{_h(alt)}" src="data:image/svg+xml;base64,{data}">'


def _html_table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    head = "".join(f'<th{" class=num" if k in numeric else ""}>{_h(c)}</th>' for k, c in enumerate(header))
    body = "".join("<tr>" + "".join(f'<td{" class=num" if k in numeric else ""}>{_h(c)}</td>'
                                    for k, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _missing_html(text: str) -> str:
    return f'<p class="missing">{_h(text)}</p>' if text else ""


def plan_html(plan: ActionPlan, charts: bool = True) -> bytes:
    """The action plan as one self-contained HTML file (UTF-8 bytes).

    Parameters
    ----------
    plan : ActionPlan
    charts : bool
        Include the charts (SVG rendered offline by vl-convert, as data-URI images).

    Returns
    -------
    bytes

    Notes
    -----
    Every piece of text from the data or the user (titles, segment values, driver and theme
    names, 5 Whys, verbatims, file names) goes through ``html.escape(..., quote=True)``, so a
    comment such as ``<script>`` or ``<img onerror=...>`` is shown as text. The CSS is scoped to
    ``.cx-plan`` and sits inside the body, so the same markup previews inside the app unchanged.
    """
    pics = {k: _img(chart_svg(c), k) for k, c in _charts(plan).items()} if charts else {}
    parts = [f"<h1>{_h(plan.title)}</h1>", f'<p class="meta">{_h(_meta_line(plan))}</p>',
             f"<p>{_h(_owner_line(plan))}</p>"]
    if plan.commitment:
        parts.append(f"<p><strong>Our commitment:</strong> {_h(plan.commitment)}</p>")
    parts += [f'<p class="warn">{_h(w)}</p>' for w in plan.warnings]

    nps_card = [f'<div class="card"><h3>{_h(plan.headline_label)}</h3>']
    if plan.nps is not None:
        nps_card += [f'<div class="big">{_h(plan.nps_text())}</div>', f'<p class="meta">{_h(_nps_detail(plan))}</p>']
    else:
        nps_card.append(_missing_html(plan.statement("nps")))
    nps_card.append("</div>")
    trend_card = ['<div class="card"><h3>Trend</h3>']
    if plan.trend:
        trend_card.append(f"<p>{_h(plan.trend_text())}</p>")
        trend_card.append(pics.get("trend", ""))
    else:
        trend_card.append(_missing_html(plan.statement("trend") or "No trend."))
    trend_card.append("</div>")
    money_card = ['<div class="card"><h3>Money at stake</h3>']
    if plan.revenue:
        r = plan.revenue
        money_card += [f'<div class="big">{_h(fmt.money(r.detractors, r.currency))}</div>',
                       f"<p>{_h(r.sentence())}</p>"]
    money_card.append(_missing_html(plan.statement("revenue")))
    money_card.append("</div>")
    parts += ["<h2>Where we stand</h2>", '<div class="grid">', *nps_card, *trend_card, *money_card, "</div>"]

    parts.append(f"<h2>{_h(plan.drivers_heading)}</h2>")
    if plan.drivers:
        rows = [[str(k + 1), d.driver, fmt.share(d.importance), fmt.number(d.performance, 1), d.quadrant]
                for k, d in enumerate(plan.top_drivers)]
        parts += ['<div class="split"><div>',
                  _html_table(["#", "Key driver", "Importance", "Mean rating", "Quadrant"], rows, {0, 2, 3}),
                  f'<p class="fix">{_h(_fix_first_text(plan))}</p>' if plan.fix_first
                  else f"<p>{_h(_fix_first_text(plan))}</p>",
                  "</div>", f"<div>{pics.get('drivers', '')}</div></div>"]
    else:
        parts.append(_missing_html(plan.statement("drivers")))

    parts.append("<h2>What customers raise most: the vital few</h2>")
    if plan.vital_few_themes:
        rows = [[t.theme, fmt.count(t.count), fmt.share(t.share), fmt.share(t.cumulative_share),
                 _theme_status(plan, t.theme)] for t in plan.vital_few_themes]
        quotes = "".join(f'<p class="quote">{_h(theme)}: “{_h(quote)}”</p>' for theme, quote in _quotes(plan))
        parts += ['<div class="split"><div>',
                  _html_table(["Theme", "Mentions", "Share", "Cumulative", "5th why"], rows, {1, 2, 3}),
                  "</div>", f"<div>{pics.get('themes', '')}</div></div>"]
        if quotes:
            parts += ["<h3>In customers' words</h3>", quotes]
    else:
        parts.append(_missing_html(plan.statement("themes")))

    parts.append("<h2>Root causes and leading indicators</h2>")
    if plan.root_causes:
        header = ["Theme", "Mentions", "5th why", "Workflow diamond", "Leading indicator", "Owner", "Due"]
        parts.append(_html_table(header, [[_root_cause_row(rc)[h] for h in header] for rc in plan.root_causes],
                                 {1}))
        for rc in plan.root_causes:
            if rc.examples:
                parts.append(f'<p class="quote">{_h(rc.theme)}: “{_h(rc.examples[0])}”</p>')
            if rc.missing:
                parts.append(f'<p class="missing">{_h(rc.theme)}: still to fill: {_h(", ".join(rc.missing))}.</p>')
    parts.append(_missing_html(plan.statement("root_causes")))
    parts.append(f'<div class="foot">{"<br>".join(_h(x) for x in _method_lines(plan))}'
                 f"<br>Made with CX Workbench.</div>")
    body = "\n".join(p for p in parts if p)
    doc = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
           f"<title>{_h(plan.title)}</title></head>\n<body style=\"margin:0;background:#fff\">"
           f"<div class=\"cx-plan\"><style>{_CSS}</style>\n{body}\n</div></body></html>\n")
    return doc.encode("utf-8")


def html_fragment(document: bytes) -> str:
    """The ``<div class="cx-plan">`` part of an exported HTML plan (for a preview inside a page)."""
    text = document.decode("utf-8")
    start = text.find('<div class="cx-plan">')
    end = text.rfind("</div></body>")
    if start < 0 or end < 0:
        raise CxInputError("This is not an HTML action plan made by CX Workbench.")
    return text[start:end + len("</div>")]


# --- PDF -------------------------------------------------------------------------------------------


class _Overflow(Exception):
    """The content does not fit on one page with these settings."""


_PAGE_W, _PAGE_H, _MARGIN = 297.0, 210.0, 9.0
_INK = (27, 31, 36)
_GREY = (95, 99, 104)
_RULE = (213, 216, 220)
_ACCENT = (0, 114, 178)
_FIX = (179, 71, 0)


def _cap(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: max(n - 1, 1)].rstrip() + "…"


class _PdfPage:
    """One attempt at laying the plan out on one page; raises _Overflow when it does not fit."""

    def __init__(self, plan: ActionPlan, k: float, max_rows: int, cap: int, max_themes: int, images: dict,
                 pdf=None):
        self.plan, self.k, self.max_rows, self.cap, self.max_themes = plan, k, max_rows, cap, max_themes
        self.images = images
        if pdf is None:
            pdf = _new_pdf()
            pdf.set_title(_cap(plan.title, 200))
        self.pdf = pdf
        self.width = _PAGE_W - 2 * _MARGIN
        self.bottom = _PAGE_H - _MARGIN

    # text helpers
    def font(self, size: float, bold: bool = False, color=_INK) -> None:
        self.pdf.set_font("DejaVu", "B" if bold else "", size * self.k)
        self.pdf.set_text_color(*color)

    def lh(self, size: float) -> float:
        return size * self.k * 0.42

    def fit(self, text: str, width: float) -> str:
        """Truncate to one line of the given width (with …)."""
        text = " ".join(str(text).split())
        if self.pdf.get_string_width(text) <= width:
            return text
        lo, hi = 0, len(text)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.pdf.get_string_width(text[:mid].rstrip() + "…") <= width:
                lo = mid
            else:
                hi = mid - 1
        return text[:lo].rstrip() + "…"

    def wrap(self, text: str, width: float) -> list[str]:
        """Greedy word wrap in the current font (a word longer than the line is cut by characters).

        Word by word, so measuring a long table many times stays fast; fpdf's own line breaking
        re-measures the growing line at every character.
        """
        width = max(width - 0.5, 1.0)  # cell() keeps a small inner margin
        measure = self.pdf.get_string_width
        space = measure(" ")
        lines: list[str] = []
        for paragraph in str(text).split("\n"):
            current, cur_w = "", 0.0
            for word in paragraph.split():
                ww = measure(word)
                while ww > width:  # a word wider than the line: cut it
                    if current:
                        lines.append(current)
                        current, cur_w = "", 0.0
                    lo, hi = 1, len(word) - 1
                    while lo < hi:  # the longest head of the word that fits (at least one character)
                        mid = (lo + hi + 1) // 2
                        if measure(word[:mid]) <= width:
                            lo = mid
                        else:
                            hi = mid - 1
                    cut = lo
                    lines.append(word[:cut])
                    word = word[cut:]
                    ww = measure(word)
                if not word:
                    continue
                if current and cur_w + space + ww <= width:
                    current, cur_w = current + " " + word, cur_w + space + ww
                elif current:
                    lines.append(current)
                    current, cur_w = word, ww
                else:
                    current, cur_w = word, ww
            lines.append(current)
        return lines or [""]

    def line(self, x: float, y: float, w: float, text: str, size: float, bold: bool = False, color=_INK,
             align: str = "L") -> float:
        self.font(size, bold, color)
        h = self.lh(size)
        self.pdf.set_xy(x, y)
        self.pdf.cell(w, h, self.fit(text, w), align=align)
        return y + h

    def para(self, x: float, y: float, w: float, text: str, size: float, bold: bool = False, color=_INK,
             max_lines: int | None = None, limit: float | None = None) -> float:
        self.font(size, bold, color)
        h = self.lh(size)
        lines = self.wrap(_cap(text, self.cap * 3), w)
        if max_lines is not None and len(lines) > max_lines:
            lines = lines[:max_lines]
            lines[-1] = self.fit(lines[-1] + " …", w)
        if y + h * len(lines) > (limit or self.bottom) + 0.01:
            raise _Overflow
        for i, ln in enumerate(lines):
            self.pdf.set_xy(x, y + i * h)
            self.pdf.cell(w, h, ln)
        return y + h * len(lines)

    def cell_lines(self, text: str, w: float, size: float, bold: bool = False) -> list[str]:
        self.font(size, bold)
        return self.wrap(_cap(text, self.cap), w)

    def image(self, name: str, x: float, y: float, w: float, h: float) -> None:
        if name in self.images:
            self.pdf.image(io.BytesIO(self.images[name]), x=x, y=y, w=w, h=h, keep_aspect_ratio=True)

    def rule(self, y: float, color=_RULE) -> None:
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(0.3)
        self.pdf.line(_MARGIN, y, _MARGIN + self.width, y)

    def box_title(self, x: float, y: float, w: float, text: str) -> float:
        y = self.line(x, y, w, text, 9.5, bold=True, color=_ACCENT)
        return y + 0.6 * self.k

    def render(self) -> bytes:
        """Lay the page out and return the PDF (raises _Overflow when it does not fit)."""
        self.layout()
        if self.pdf.page_no() != 1 or len(self.pdf.pages) != 1:
            raise _Overflow
        return bytes(self.pdf.output())

    def layout(self) -> None:
        p, k, x0 = self.plan, self.k, _MARGIN
        foot_lines = _method_lines(p)
        foot_size = 6.0
        self.font(foot_size)
        foot = " ".join(foot_lines)
        foot_lines = self.wrap(foot, self.width)
        foot_h = len(foot_lines) * self.lh(foot_size)
        limit = self.bottom - foot_h - 2
        # header
        y = self.line(x0, _MARGIN, self.width - 40, p.title, 16, bold=True)
        self.line(x0 + self.width - 40, _MARGIN, 40, f"As of {p.as_of}", 7.5, color=_GREY, align="R")
        y = self.para(x0, y + 0.8, self.width, _meta_line(p), 8, color=_GREY, max_lines=2)
        y = self.para(x0, y + 0.4, self.width, _owner_line(p), 8.5, max_lines=1)
        if p.commitment:
            y = self.para(x0, y + 0.4, self.width, "Our commitment: " + p.commitment, 8.5, bold=True, max_lines=2)
        for w in p.warnings:
            y = self.para(x0, y + 0.4, self.width, w, 8, color=_FIX, max_lines=1)
        y += 1.5
        self.rule(y)
        y += 2

        # row 1: NPS | trend | money
        gap = 5.0
        w1, w2 = 62.0, 112.0
        w3 = self.width - w1 - w2 - 2 * gap
        xa, xb, xc = x0, x0 + w1 + gap, x0 + w1 + w2 + 2 * gap
        chart_h = 40 * k
        ya = self.box_title(xa, y, w1, p.headline_label)
        if p.nps is not None:
            ya = self.line(xa, ya + 1, w1, p.nps_text(), 24, bold=True)
            ya = self.para(xa, ya + 1.5, w1, _nps_detail(p), 7.5, color=_GREY, max_lines=3, limit=limit)
        else:
            ya = self.para(xa, ya, w1, p.statement("nps"), 7.5, color=_GREY, max_lines=5, limit=limit)
        yb = self.box_title(xb, y, w2, "Trend")
        if p.trend:
            yb = self.para(xb, yb, w2, p.trend_text(), 7.5, max_lines=2, limit=limit)
            self.image("trend", xb, yb + 0.5, w2, chart_h)
            yb += chart_h + 1
        else:
            yb = self.para(xb, yb, w2, p.statement("trend") or "No trend.", 7.5, color=_GREY, max_lines=3,
                           limit=limit)
        yc = self.box_title(xc, y, w3, "Money at stake")
        if p.revenue:
            r = p.revenue
            yc = self.line(xc, yc + 1, w3, fmt.money(r.detractors, r.currency) + " a year", 16, bold=True)
            yc = self.para(xc, yc + 1, w3, r.sentence(), 7.5, max_lines=4, limit=limit)
        if p.statement("revenue"):
            yc = self.para(xc, yc + 0.5, w3, p.statement("revenue"), 7, color=_GREY, max_lines=4, limit=limit)
        y = max(ya, yb, yc) + 2
        self.rule(y)
        y += 2

        # row 2: drivers | themes
        half = (self.width - gap) / 2
        text_w = half * 0.5
        img_w = half - text_w - 2
        xd, xt = x0, x0 + half + gap
        yd = self.box_title(xd, y, half, f"{p.drivers_heading}: key drivers")
        ytop = yd
        if p.drivers:
            for n, d in enumerate(p.top_drivers, start=1):
                yd = self.line(xd, yd, text_w, f"{n}. {d.driver}", 8.5, bold=True,
                               color=_FIX if d.quadrant == "Fix first" else _INK)
                yd = self.line(xd + 3, yd, text_w - 3, _driver_detail(d), 7, color=_GREY) + 0.6
            yd = self.para(xd, yd + 0.5, text_w, _fix_first_text(p), 7, max_lines=3, limit=limit)
            n_bars = min(len(p.drivers), 8)
            ih = max(yd - ytop, (10 + 5.2 * n_bars) * k)
            self.image("drivers", xd + text_w + 2, ytop, img_w, ih)
            yd = max(yd, ytop + ih)
        else:
            yd = self.para(xd, yd, half, p.statement("drivers"), 7.5, color=_GREY, max_lines=4, limit=limit)
        yt = self.box_title(xt, y, half, "What customers raise most: the vital few")
        ttop = yt
        vital = p.vital_few_themes
        if vital:
            shown = vital[: self.max_themes]
            for t in shown:
                status = _theme_status(p, t.theme)
                yt = self.line(xt, yt, text_w, f"{t.theme}: {fmt.count(t.count)} ({fmt.share(t.share)})", 8,
                               bold=True)
                yt = self.line(xt + 3, yt, text_w - 3, "5th why: " + status if status != _NO_ROOT_CAUSE
                               else status, 6.8, color=_GREY) + 0.4
            if len(vital) > len(shown):
                yt = self.line(xt, yt, text_w, f"…and {len(vital) - len(shown)} more", 7, color=_GREY)
            n_bars = min(len([t for t in p.themes if t.count > 0]), 8)
            ih = max(yt - ttop, (10 + 5.2 * n_bars) * k)
            self.image("themes", xt + text_w + 2, ttop, img_w, ih)
            yt = max(yt, ttop + ih)
        else:
            yt = self.para(xt, yt, half, p.statement("themes"), 7.5, color=_GREY, max_lines=4, limit=limit)
        y = max(yd, yt) + 2
        if y > limit:
            raise _Overflow
        self.rule(y)
        y += 2

        # row 3: root causes
        y = self.box_title(x0, y, self.width, "Root causes and leading indicators")
        if p.root_causes:
            y = self.table(x0, y, p.root_causes, limit)
        note = p.statement("root_causes")
        if note:
            y = self.para(x0, y + 0.8, self.width, note, 7.5, color=_GREY, max_lines=2, limit=limit)
        if y > limit + 0.01:
            raise _Overflow
        # footer
        self.font(foot_size, color=_GREY)
        for i, text in enumerate(foot_lines):
            self.pdf.set_xy(x0, self.bottom - foot_h + i * self.lh(foot_size))
            self.pdf.cell(self.width, self.lh(foot_size), text)

    def table(self, x0: float, y: float, roots, limit: float) -> float:
        header = ["Theme", "Mentions", "5th why", "Workflow diamond", "Leading indicator", "Owner", "Due"]
        shares = [0.13, 0.07, 0.24, 0.2, 0.2, 0.09, 0.07]
        widths = [self.width * s for s in shares]
        size, pad = 7.0, 0.8
        shown = list(roots[: self.max_rows])
        more = len(roots) - len(shown)
        rows = [[_root_cause_row(rc)[h] for h in header] for rc in shown]
        y = self.row(x0, y, widths, header, size, bold=True, pad=pad, limit=limit, fill=True)
        for r in rows:
            y = self.row(x0, y, widths, r, size, bold=False, pad=pad, limit=limit)
        if more:
            y = self.line(x0, y + 0.5, self.width, f"…and {more} more root cause(s): see the HTML or XLSX export.",
                          7, color=_GREY)
        return y

    def row(self, x0: float, y: float, widths, cells, size: float, bold: bool, pad: float, limit: float,
            fill: bool = False) -> float:
        h = self.lh(size)
        lines = [self.cell_lines(c, w - 2 * pad, size, bold) for c, w in zip(cells, widths)]
        height = max(len(ln) for ln in lines) * h + 2 * pad
        if y + height > limit + 0.01:
            raise _Overflow
        if fill:
            self.pdf.set_fill_color(243, 245, 247)
            self.pdf.rect(x0, y, sum(widths), height, style="F")
        x = x0
        self.font(size, bold)
        for ln, w in zip(lines, widths):
            for i, t in enumerate(ln):
                self.pdf.set_xy(x + pad, y + pad + i * h)
                self.pdf.cell(w - 2 * pad, h, t)
            x += w
        self.pdf.set_draw_color(*_RULE)
        self.pdf.set_line_width(0.2)
        self.pdf.line(x0, y + height, x0 + sum(widths), y + height)
        return y + height


def _new_pdf():
    from fpdf import FPDF

    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.add_font("DejaVu", "", str(FONT_REGULAR))
    pdf.add_font("DejaVu", "B", str(FONT_BOLD))
    pdf.set_creator("CX Workbench")
    pdf.add_page()
    return pdf


def _pdf_images(plan: ActionPlan) -> dict[str, bytes]:
    return {name: chart_png(chart, 2.0) for name, chart in _charts(plan).items()}


def plan_pdf(plan: ActionPlan, charts: bool = True) -> bytes:
    """The action plan as a PDF of exactly one landscape A4 page.

    Parameters
    ----------
    plan : ActionPlan
    charts : bool
        Include the charts (PNG rendered offline by vl-convert).

    Returns
    -------
    bytes

    Notes
    -----
    The layout is tried at decreasing font scales (100% down to 60%); if it still does not fit,
    the root-cause table keeps fewer rows ("…and N more"), long texts are cut shorter ("…") and
    fewer vital-few themes are listed, until it fits. Text is set in DejaVu Sans (embedded), so
    dashes, currency signs and accents print.
    """
    images = _pdf_images(plan) if charts else {}
    n_rc = len(plan.root_causes)
    n_th = len(plan.vital_few_themes)
    # Settings are measured on one scratch document (never written out: what an attempt drew there
    # does not matter, and the fonts are parsed once); only the setting that fits is drawn for real.
    scratch = _new_pdf()

    def fits(k: float, rows: int, cap: int, themes: int) -> bool:
        try:
            _PdfPage(plan, k, rows, cap, themes, {}, pdf=scratch).layout()
        except _Overflow:
            return False
        return True

    chosen = next(((k, n_rc, 260, n_th) for k in (1.0, 0.92, 0.85, 0.78, 0.72, 0.66, 0.6)
                   if fits(k, n_rc, 260, n_th)), None)
    if chosen is None:
        chosen = next(((0.6, n_rc, cap, min(n_th, 8)) for cap in (160, 90) if fits(0.6, n_rc, cap, min(n_th, 8))),
                      None)
    for cap, themes in ((90, min(n_th, 6)), (50, min(n_th, 3))):
        if chosen is not None:
            break
        # The most root-cause rows that fit ("…and N more" for the rest): fewer rows never take more room.
        lo, hi = -1, n_rc - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if fits(0.6, mid, cap, themes):
                lo = mid
            else:
                hi = mid - 1
        if lo >= 0:
            chosen = (0.6, lo, cap, themes)
    if chosen is not None:
        try:
            return _PdfPage(plan, *chosen, images).render()
        except _Overflow:  # pragma: no cover - the same layout as measured
            pass
    # Last resort, never reached with real plans: no charts, nothing but what fits by construction.
    return _PdfPage(plan, 0.6, 0, 40, 1, {}).render()


# --- XLSX ------------------------------------------------------------------------------------------


class _Sheet:
    """Writes cells with the right type: text always as a string (never a formula), numbers as numbers."""

    def __init__(self, wb, ws, formats: dict):
        self.wb, self.ws, self.f = wb, ws, formats

    def put(self, r: int, c: int, value, style: str = "text") -> None:
        import numpy as np

        ws = self.ws
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            ws.write_blank(r, c, None, self.f[style])
            return
        if isinstance(value, (bool, np.bool_)):
            ws.write_boolean(r, c, bool(value), self.f[style])
            return
        if isinstance(value, (int, float, np.integer, np.floating)):
            v = float(value)
            if not math.isfinite(v):
                ws.write_blank(r, c, None, self.f[style])
            else:
                ws.write_number(r, c, v, self.f["number" if style == "text" else style])
            return
        try:
            import pandas as pd

            if value is pd.NA or value is pd.NaT:
                ws.write_blank(r, c, None, self.f[style])
                return
        except ImportError:  # pragma: no cover
            pass
        s = str(value)[:32767]
        # Text that a spreadsheet could read as a formula stays text: written as a string, with the
        # quote prefix so that editing the cell later does not turn it into one either.
        key = style + "_quoted" if s.startswith(FORMULA_START) and style + "_quoted" in self.f else style
        ws.write_string(r, c, s, self.f[key])


def _xlsx_formats(wb) -> dict:
    base = {"font_name": "Calibri", "font_size": 11, "valign": "top"}
    specs = {
        "text": {}, "wrap": {"text_wrap": True}, "bold": {"bold": True}, "title": {"bold": True, "font_size": 16},
        "head": {"bold": True, "bg_color": "#F3F5F7", "bottom": 1, "text_wrap": True},
        "section": {"bold": True, "font_size": 13, "font_color": "#0072B2"},
        "grey": {"font_color": "#5F6368", "text_wrap": True, "italic": True},
        "number": {"num_format": "#,##0.00"}, "int": {"num_format": "#,##0"}, "pct": {"num_format": "0.0%"},
        "score": {"num_format": "+0.0;-0.0;0.0"}, "money": {"num_format": "#,##0"},
    }
    out = {}
    for name, spec in specs.items():
        out[name] = wb.add_format({**base, **spec})
        if name in ("text", "wrap", "bold", "grey", "head", "title", "section"):
            out[name + "_quoted"] = wb.add_format({**base, **spec, "quote_prefix": True})
    return out


_COLUMN_STYLES = {"share": "pct", "cumulative_share": "pct", "importance": "pct", "n": "int", "count": "int",
                  "promoters": "int", "passives": "int", "detractors": "int", "score": "score", "nps": "score",
                  "ci_low": "score", "ci_high": "score", "ci95_low": "score", "ci95_high": "score",
                  "change": "score", "performance": "number", "correlation": "number", "rank": "int"}


def plan_xlsx(plan: ActionPlan) -> bytes:
    """The action plan as an XLSX workbook: a Plan sheet plus the tables behind it.

    Parameters
    ----------
    plan : ActionPlan

    Returns
    -------
    bytes
        Sheets: Plan, NPS, Trend, Drivers, Themes, Root causes, Revenue.

    Notes
    -----
    No cell is ever a formula: every text cell is written with ``write_string`` (and
    ``strings_to_formulas``, ``strings_to_urls`` and ``strings_to_numbers`` are off); text that
    begins with ``=``, ``+``, ``-``, ``@``, tab or CR also gets Excel's quote prefix, so editing
    the cell later keeps it text.
    """
    import xlsxwriter

    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                   "strings_to_numbers": False, "nan_inf_to_errors": False})
    wb.set_properties({"title": _cap(plan.title, 250), "comments": "Made with CX Workbench"})
    f = _xlsx_formats(wb)
    ws = wb.add_worksheet("Plan")
    ws.set_column(0, 0, 30)
    ws.set_column(1, 1, 16)
    ws.set_column(2, 6, 34)
    s = _Sheet(wb, ws, f)
    r = 0
    s.put(r, 0, plan.title, "title")
    r += 1
    s.put(r, 0, _meta_line(plan), "grey")
    r += 1
    s.put(r, 0, "Plan owner", "bold")
    s.put(r, 1, plan.owner or "not named yet")
    r += 1
    s.put(r, 0, "Next review", "bold")
    s.put(r, 1, plan.next_review or "not set yet")
    r += 1
    if plan.commitment:
        s.put(r, 0, "Our commitment", "bold")
        s.put(r, 1, plan.commitment, "wrap")
        r += 1
    for w in plan.warnings:
        s.put(r, 0, w, "grey")
        r += 1

    def section(title: str) -> None:
        nonlocal r
        r += 1
        s.put(r, 0, title, "section")
        r += 1

    def note(text: str) -> None:
        nonlocal r
        if text:
            s.put(r, 0, text, "grey")
            r += 1

    section("Where we stand")
    if plan.nps is not None:
        nps = plan.nps
        ci = nps.ci95
        for label, value, style in (("NPS", nps.score, "score"), ("95% interval, low", ci[0] if ci else None, "score"),
                                    ("95% interval, high", ci[1] if ci else None, "score"),
                                    ("Respondents (n)", nps.n, "int"), ("Promoters", nps.promoters, "int"),
                                    ("Passives", nps.passives, "int"), ("Detractors", nps.detractors, "int")):
            s.put(r, 0, label, "bold")
            s.put(r, 1, value, style)
            r += 1
        s.put(r, 0, "NPS (as shown)", "bold")
        s.put(r, 1, plan.nps_text())
        r += 1
    note(plan.statement("nps"))
    if plan.trend:
        s.put(r, 0, "Trend", "bold")
        s.put(r, 1, plan.trend_text(), "wrap")
        r += 1
    else:
        note(plan.statement("trend"))

    section(f"{plan.drivers_heading}: key drivers")
    if plan.drivers:
        for c, h in enumerate(["Key driver", "Importance", "Mean rating", "Quadrant"]):
            s.put(r, c, h, "head")
        r += 1
        for d in plan.top_drivers:
            s.put(r, 0, d.driver)
            s.put(r, 1, d.importance, "pct")
            s.put(r, 2, d.performance, "number")
            s.put(r, 3, d.quadrant)
            r += 1
        note(_fix_first_text(plan))
    else:
        note(plan.statement("drivers"))

    section("What customers raise most: the vital few")
    if plan.vital_few_themes:
        for c, h in enumerate(["Theme", "Mentions", "Share", "5th why", "Example (masked)"]):
            s.put(r, c, h, "head")
        r += 1
        for t in plan.vital_few_themes:
            s.put(r, 0, t.theme)
            s.put(r, 1, t.count, "int")
            s.put(r, 2, t.share, "pct")
            s.put(r, 3, _theme_status(plan, t.theme), "wrap")
            s.put(r, 4, t.examples[0] if t.examples else "", "wrap")
            r += 1
    else:
        note(plan.statement("themes"))

    section("Root causes and leading indicators")
    if plan.root_causes:
        header = ["Theme", "Mentions", "5th why", "Workflow diamond", "Leading indicator", "Owner", "Due"]
        for c, h in enumerate(header):
            s.put(r, c, h, "head")
        r += 1
        for rc in plan.root_causes:
            row = _root_cause_row(rc)
            for c, h in enumerate(header):
                s.put(r, c, rc.count if h == "Mentions" and rc.count is not None else row[h],
                      "int" if h == "Mentions" and rc.count is not None else "wrap")
            r += 1
    note(plan.statement("root_causes"))

    section("Money at stake")
    if plan.revenue:
        rev = plan.revenue
        for label, value, style in (("Annual revenue of detractors", rev.detractors, "money"),
                                    ("Detractors' share of revenue", rev.detractor_share, "pct"),
                                    ("Annual revenue, all respondents", rev.total, "money"),
                                    ("Customer lifetime value at risk", rev.clv_at_risk, "money")):
            s.put(r, 0, label, "bold")
            s.put(r, 1, value, style)
            r += 1
        note(f"Currency: {rev.currency}. {rev.assumptions}.")
    note(plan.statement("revenue"))
    r += 1
    for line in _method_lines(plan):
        note(line)

    for name, table in plan.tables().items():
        sheet = wb.add_worksheet(name)
        t = _Sheet(wb, sheet, f)
        for c, col in enumerate(table.columns):
            t.put(0, c, str(col), "head")
            sheet.set_column(c, c, 14 if col in _COLUMN_STYLES else 26)
        for i, row in enumerate(table.itertuples(index=False), start=1):
            for c, (col, value) in enumerate(zip(table.columns, row)):
                t.put(i, c, value, _COLUMN_STYLES.get(col, "text") if not isinstance(value, str) else "text")
        if table.empty:
            t.put(1, 0, plan.statement({"NPS": "nps", "Trend": "trend", "Drivers": "drivers", "Themes": "themes",
                                        "Root causes": "root_causes", "Revenue": "revenue"}[name]) or "No data.",
                  "grey")
        sheet.freeze_panes(1, 0)
    wb.close()
    return buf.getvalue()


# --- close the loop --------------------------------------------------------------------------------


def _loop_parts(plan: ActionPlan, what_we_do: str | None, report_back: str | None, company: str,
                sign_off: str | None) -> list[tuple[str, str]]:
    """The message as (kind, text) parts: subject, para, bullet, sign."""
    name = (company or "").strip()
    named = name.lower() not in ("", "we")
    parts: list[tuple[str, str]] = [("subject", "What you told us, and what we are doing about it"),
                                    ("para", "Dear customer,")]
    survey = f"the recent {name} customer survey" if named else "our recent customer survey"
    parts.append(("para", f"Thank you to everyone who answered {survey}. We are writing to all our customers, "
                          "not only to those who replied, because what we heard affects everyone who works with us."))
    drivers = [_plain(d.driver) for d in plan.top_drivers]
    themes = [_plain(t) for t in plan.heard_themes()]
    heard = []
    if drivers:
        heard.append(f"What matters most to how you feel about working with us is {_join_words(drivers)}.")
    if themes:
        heard.append(f"The problems you raised most often were {_join_words(themes)}.")
    if not heard:
        heard.append("Your answers and comments have been read and counted, and they shape the plan below.")
    parts.append(("heading", "What we heard"))
    parts.append(("para", " ".join(heard)))
    parts.append(("heading", "What we are doing"))
    if what_we_do and what_we_do.strip():
        for para in [p.strip() for p in what_we_do.strip().split("\n") if p.strip()]:
            parts.append(("para", para))
    else:
        actions = []
        for rc in plan.root_causes[:3]:
            if not (rc.fifth_why or rc.diamond or rc.indicator.name):
                continue
            text = f"{rc.theme}: "
            if rc.diamond:
                text += f"we are fixing it where it starts ({_plain(rc.diamond).rstrip('.')})"
            elif rc.fifth_why:
                text += f"we traced it to its cause ({_plain(rc.fifth_why).rstrip('.')}) and are fixing that"
            else:
                text += "we are fixing its cause"
            ind = rc.indicator
            if ind.name:
                text += f", and we check {_plain(ind.name)} {ind.cadence.lower() + ' ' if ind.cadence else ''}"\
                        .rstrip() + " so we see problems before you do"
                if ind.target and ind.due:
                    text += f", aiming for {ind.target} by {_date_words(ind.due)}"
            actions.append(text + ".")
        if actions:
            parts.append(("para", "We have looked for the root cause of what you raised most:"))
            parts += [("bullet", a) for a in actions]
        else:
            focus = [x for x in (_plain(plan.top_driver) if plan.top_driver else "",
                                 themes[0] if themes else "") if x]
            parts.append(("para", f"We are starting with {_join_words(focus) or 'what you raised most'}: a team from "
                                  "across the company is finding the root cause, and we will tell you what we "
                                  "change."))
    when = (report_back or "").strip() or plan.next_review
    when_text = f"by {_date_words(when)}" if when else "within three months"
    parts.append(("heading", "When you will hear from us"))
    parts.append(("para", f"We will report on our progress {when_text}, whether or not you answered the survey. "
                          "If you have more to tell us in the meantime, reply to this message: every reply is read."))
    parts.append(("sign", (sign_off or "").strip() or (f"The {name} team" if named else "Your customer team")))
    return parts


def close_the_loop(plan: ActionPlan, what_we_do: str | None = None, report_back: str | None = None,
                   company: str = "we", sign_off: str | None = None) -> str:
    """A draft message to ALL customers: what we heard, what we are doing, when we report back.

    Parameters
    ----------
    plan : ActionPlan
    what_we_do : str, optional
        The user's own words for what the company is doing; drafted from the plan's root causes
        (workflow diamond, leading indicator, target and date) when omitted.
    report_back : str, optional
        When customers will hear of progress (an ISO date is written out); the plan's next
        review date when omitted, else "within three months".
    company : str
        The company's name, or "we".
    sign_off : str, optional
        Signature line.

    Returns
    -------
    str
        Plain text, first line the subject.

    Notes
    -----
    The message goes to the whole customer base, not only respondents: most customers never
    answer a survey, and hearing what changed is what makes the next survey worth answering.
    "What we heard" names the top key drivers and the problems raised most (themes with a 5 Whys
    canvas first, then the vital few; themes that name praise are left out).
    """
    out = []
    for kind, text in _loop_parts(plan, what_we_do, report_back, company, sign_off):
        if kind != "bullet" and out and out[-1].startswith("- "):
            out.append("")
        if kind == "subject":
            out += [f"Subject: {text}", ""]
        elif kind == "bullet":
            out += [f"- {text}"]
        else:
            out += [text, ""]
    return "\n".join(out).rstrip() + "\n"


def loop_text(plan: ActionPlan, **options) -> bytes:
    """`close_the_loop` as UTF-8 text bytes (options as for `close_the_loop`)."""
    return close_the_loop(plan, **options).encode("utf-8")


def loop_markdown(plan: ActionPlan, what_we_do: str | None = None, report_back: str | None = None,
                  company: str = "we", sign_off: str | None = None) -> bytes:
    """The close-the-loop message as Markdown (UTF-8 bytes); all text escaped (`md_escape`)."""
    out = []
    for kind, text in _loop_parts(plan, what_we_do, report_back, company, sign_off):
        t = md_escape(text)
        if kind != "bullet" and out and out[-1].startswith("- "):
            out.append("")
        if kind == "subject":
            out += [f"# {t}", ""]
        elif kind == "heading":
            out += [f"## {t}", ""]
        elif kind == "bullet":
            out += [f"- {t}"]
        else:
            out += [t, ""]
    return ("\n".join(out).rstrip() + "\n").encode("utf-8")


def loop_html(plan: ActionPlan, what_we_do: str | None = None, report_back: str | None = None,
              company: str = "we", sign_off: str | None = None) -> bytes:
    """The close-the-loop message as a self-contained HTML e-mail body (UTF-8 bytes); all text escaped."""
    body, bullets = [], []
    subject = ""
    for kind, text in _loop_parts(plan, what_we_do, report_back, company, sign_off):
        if kind != "bullet" and bullets:
            body.append("<ul>" + "".join(f"<li>{_h(b)}</li>" for b in bullets) + "</ul>")
            bullets = []
        if kind == "subject":
            subject = text
            body.append(f"<h1>{_h(text)}</h1>")
        elif kind == "heading":
            body.append(f"<h2>{_h(text)}</h2>")
        elif kind == "bullet":
            bullets.append(text)
        elif kind == "sign":
            body.append(f"<p><strong>{_h(text)}</strong></p>")
        else:
            body.append(f"<p>{_h(text)}</p>")
    if bullets:
        body.append("<ul>" + "".join(f"<li>{_h(b)}</li>" for b in bullets) + "</ul>")
    style = ("body{font-family:Helvetica,Arial,sans-serif;color:#1B1F24;max-width:640px;margin:24px auto;"
             "line-height:1.5;font-size:15px}h1{font-size:21px}h2{font-size:16px;margin-top:20px}")
    doc = (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{_h(subject)}</title>"
           f"<style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    return doc.encode("utf-8")


# --- dispatch -----------------------------------------------------------------------------------------


def export_plan(plan: ActionPlan, format: str) -> bytes:
    """The plan in one of `FORMATS`: "pdf", "html", "md" or "xlsx"."""
    writers = {"pdf": plan_pdf, "html": plan_html, "md": plan_markdown, "xlsx": plan_xlsx}
    if format not in writers:
        raise CxInputError(f"Unknown report format {format!r}: choose one of {', '.join(FORMATS)}.")
    return writers[format](plan)


def plan_filename(plan: ActionPlan, format: str) -> str:
    """A safe file name for a plan: ``action-plan-logistics.pdf``; ``action-plan.pdf`` overall."""
    from cx.rootcause import OVERALL

    slug = re.sub(r"[^\w]+", "-", plan.scope.lower(), flags=re.UNICODE).strip("-_")[:60]
    stem = "action-plan" if plan.scope == OVERALL or not slug else f"action-plan-{slug}"
    return f"{stem}.{format}"


def zip_filename(by_col: str) -> str:
    """A safe file name for the zip of one plan per value of a column: ``action-plans-by-business-unit.zip``."""
    slug = re.sub(r"[^\w]+", "-", str(by_col).lower(), flags=re.UNICODE).strip("-_")[:60] or "segment"
    return f"action-plans-by-{slug}.zip"


def plan_files(plans: Mapping[str, ActionPlan], format: str) -> dict[str, bytes]:
    """Several plans (e.g. `cx.plan.plans_by`) as files: unique file name → bytes, in the plans' order.

    Two values whose names make the same file name ("A/B", "A B") get ``-2``, ``-3``... suffixes.
    """
    out: dict[str, bytes] = {}
    for plan in plans.values():
        name = plan_filename(plan, format)
        stem, ext = name.rsplit(".", 1)
        k = 2
        while name in out:
            name = f"{stem}-{k}.{ext}"
            k += 1
        out[name] = export_plan(plan, format)
    return out


def plans_zip(plans: Mapping[str, ActionPlan], format: str) -> bytes:
    """Several plans in one zip, one file per plan (names as `plan_files`)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in plan_files(plans, format).items():
            z.writestr(name, data)
    return buf.getvalue()
