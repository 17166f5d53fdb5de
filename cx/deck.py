"""The storyline as a deck to take home: one PDF page or one PowerPoint slide per screen.

Each page or slide holds the screen's counter, title, one-sentence takeaway, its chart as a PNG
(rendered offline by vl-convert, title and base n inside the picture), the big numbers, the
supporting points and verbatims (personal data already masked by `cx.story`), and a footer with
the base, the scope and the date. Pages are 16:9 landscape (13.33 × 7.5 in), the shape of a
projector. Text is set in DejaVu Sans (embedded in the PDF), so "–", "±", "€" and accents print;
every piece of text is plain text, never markup.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from cx.story import Storyline, StoryScreen

ASSETS = Path(__file__).resolve().parent / "assets"
_SYSTEM_FONTS = Path("/usr/share/fonts/truetype/dejavu")
PAGE_W, PAGE_H = 338.67, 190.5  # mm: 13.333 × 7.5 in, 16:9
MARGIN = 12.0
CHART_W, CHART_H = 214.0, 112.0  # mm of the chart area on a page or slide
_PX_PER_MM = 96 / 25.4
INK = (27, 31, 36)
GREY = (95, 99, 104)
BLUE = (0, 114, 178)
WARN = (255, 244, 214)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")


def font_paths() -> tuple[Path, Path]:
    """DejaVu Sans regular and bold: the app's own copies (cx/assets), else Debian's fonts-dejavu-core."""
    for folder in (ASSETS, _SYSTEM_FONTS):
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            return regular, bold
    raise FileNotFoundError("DejaVu Sans is missing: it ships in cx/assets (or install fonts-dejavu-core).")


def _text(value: object) -> str:
    """Plain text safe for a PDF or PowerPoint run: no control characters (XML refuses them)."""
    return _CONTROL.sub(" ", str(value if value is not None else ""))


def screen_picture(screen: StoryScreen, width_mm: float = CHART_W, height_mm: float = CHART_H,
                   scale: float = 2.0) -> bytes | None:
    """The screen's chart as a PNG sized for a slide (None when the screen has no chart).

    Parameters
    ----------
    screen : StoryScreen
        A screen of the storyline.
    width_mm, height_mm : float
        The picture's size on the page; the chart is laid out at 96 pixels per inch.
    scale : float
        Pixel density (2 = sharp on a projector).

    Returns
    -------
    bytes or None
        PNG bytes, rendered offline with vl-convert (`cx.charts.export.chart_png`).
    """
    if screen.chart is None:
        return None
    from cx.charts.export import chart_png
    from cx.charts.story import for_screen

    height = int(round(height_mm * _PX_PER_MM))
    spec = for_screen(screen.chart, height).to_dict()
    spec["width"] = int(round(width_mm * _PX_PER_MM))
    spec["background"] = "white"
    return chart_png(spec, scale=scale)


def _footer(story: Storyline, screen: StoryScreen) -> str:
    base = f"Base: {screen.base}" if screen.base else ""
    parts = [base, story.scope, f"as of {story.as_of}" if story.as_of else ""]
    return " · ".join(p for p in parts if p)


# ─── PDF ─────────────────────────────────────────────────────────────────────────────────────────


class _Page:
    """Text fitting on one fpdf2 page (fonts set, sizes shrunk until a block fits its box)."""

    def __init__(self, pdf):
        self.pdf = pdf

    def font(self, size: float, bold: bool = False, color=INK) -> None:
        self.pdf.set_font("DejaVu", "B" if bold else "", size)
        self.pdf.set_text_color(*color)

    def lines(self, text: str, width: float, size: float, bold: bool = False) -> list[str]:
        self.font(size, bold)
        return self.pdf.multi_cell(width, size * 0.45, text, dry_run=True, output="LINES", align="L")

    def block(self, x: float, y: float, width: float, text: str, size: float, *, bold: bool = False, color=INK,
              max_lines: int = 3, min_size: float = 9.0) -> float:
        """Write text in at most ``max_lines`` lines (smaller type first, then cut); return the new y."""
        text = _text(text)
        while True:
            lines = self.lines(text, width, size, bold)
            if len(lines) <= max_lines or size <= min_size:
                break
            size -= 0.5
        if len(lines) > max_lines:
            kept = " ".join(lines[:max_lines])
            text = kept[: max(0, len(kept) - 2)].rstrip() + "…"
        self.font(size, bold, color)
        self.pdf.set_xy(x, y)
        line_h = size * 0.45
        self.pdf.multi_cell(width, line_h, text, new_x="LMARGIN", new_y="NEXT", align="L")
        return self.pdf.get_y()


def storyline_pdf(story: Storyline) -> bytes:
    """The storyline as one PDF deck: one landscape 16:9 page per screen.

    Parameters
    ----------
    story : Storyline
        From `cx.story.build_storyline` (with the what-if as shown, `Storyline.with_what_if`).

    Returns
    -------
    bytes
        A PDF with exactly ``len(story)`` pages: counter, title, takeaway, chart (PNG), big numbers,
        points and verbatims, footer with the base, scope and date. A screen whose input is
        missing says what to map in place of the chart.

    Notes
    -----
    fpdf2 with DejaVu Sans embedded (`font_paths`), so any Unicode text prints. Long text is set
    smaller, then cut with an ellipsis, so a page never overflows onto a second one.
    """
    from fpdf import FPDF

    regular, bold = font_paths()
    pdf = FPDF(orientation="L", unit="mm", format=(PAGE_H, PAGE_W))
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.set_title(_text(story.title))
    pdf.set_creator("CX Workbench")
    page = _Page(pdf)
    inner = PAGE_W - 2 * MARGIN
    for k, screen in enumerate(story.screens, start=1):
        pdf.add_page()
        page.font(9, color=GREY)
        pdf.set_xy(MARGIN, MARGIN - 4)
        pdf.cell(inner / 2, 5, _text(f"{k} / {len(story)} · {screen.step}"))
        pdf.set_xy(MARGIN + inner / 2, MARGIN - 4)
        pdf.cell(inner / 2, 5, _text(story.title), align="R")
        y = page.block(MARGIN, MARGIN + 3, inner, screen.title, 24, bold=True, max_lines=1, min_size=16)
        y = page.block(MARGIN, y + 2, inner, screen.takeaway, 15, color=BLUE, max_lines=3, min_size=10)
        top = y + 4
        bottom = PAGE_H - MARGIN - 6
        chart_h = min(CHART_H, bottom - top)
        side_x = MARGIN + CHART_W + 6
        side_w = PAGE_W - MARGIN - side_x
        if screen.missing:
            pdf.set_fill_color(*WARN)
            pdf.rect(MARGIN, top, CHART_W, 26, style="F")
            page.block(MARGIN + 4, top + 4, CHART_W - 8, "To complete this screen: " + screen.missing, 12,
                       max_lines=3)
        picture = screen_picture(screen, CHART_W, chart_h)
        if picture is not None:
            from PIL import Image

            # Flattened to RGB: an alpha channel becomes a soft mask that some viewers tint grey.
            pdf.image(Image.open(io.BytesIO(picture)).convert("RGB"), x=MARGIN, y=top, w=CHART_W, h=chart_h)
        sy = top
        for fig in screen.figures[:4]:
            page.font(18, bold=True)
            pdf.set_xy(side_x, sy)
            pdf.cell(side_w, 8, _text(fig.value))
            page.font(9, color=GREY)
            pdf.set_xy(side_x, sy + 8)
            pdf.cell(side_w, 4, _text(fig.label))
            sy += 15
        for point in screen.points:
            if sy > bottom - 8:
                break
            sy = page.block(side_x, sy, side_w, "• " + point, 9.5, max_lines=4, min_size=8) + 1.5
        for quote in screen.quotes:
            if sy > bottom - 8:
                break
            sy = page.block(side_x, sy, side_w, f"“{quote}”", 9.5, color=GREY, max_lines=4, min_size=8) + 1.5
        page.font(8, color=GREY)
        pdf.set_xy(MARGIN, PAGE_H - MARGIN - 3)
        pdf.cell(inner, 4, _text(_footer(story, screen))[:260])
    return bytes(pdf.output())


# ─── PPTX ────────────────────────────────────────────────────────────────────────────────────────


def storyline_pptx(story: Storyline) -> bytes:
    """The storyline as a PowerPoint deck: one 16:9 slide per screen, the points as speaker notes.

    Parameters
    ----------
    story : Storyline
        From `cx.story.build_storyline`.

    Returns
    -------
    bytes
        A .pptx with exactly ``len(story)`` slides: counter, title, takeaway, chart picture, big
        numbers, supporting points, footer; the slide's notes hold the points, verbatims and base.

    Notes
    -----
    python-pptx on its blank layout; every run is plain text (control characters removed, since
    the file format cannot hold them).
    """
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Mm, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Mm(PAGE_W), Mm(PAGE_H)
    blank = prs.slide_layouts[6]

    def box(slide, x, y, w, h, lines, size, *, bold=False, color=INK, first_bold=False):
        tf = slide.shapes.add_textbox(Mm(x), Mm(y), Mm(w), Mm(h)).text_frame
        tf.word_wrap = True
        for i, line in enumerate(lines):
            para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            run = para.add_run()
            run.text = _text(line)
            run.font.size = Pt(size)
            run.font.bold = bold or (first_bold and i == 0)
            run.font.color.rgb = RGBColor(*color)
        return tf

    inner = PAGE_W - 2 * MARGIN
    for k, screen in enumerate(story.screens, start=1):
        slide = prs.slides.add_slide(blank)
        box(slide, MARGIN, MARGIN - 6, inner, 6, [f"{k} / {len(story)} · {screen.step}"], 10, color=GREY)
        box(slide, MARGIN, MARGIN, inner, 12, [screen.title], 28, bold=True)
        box(slide, MARGIN, MARGIN + 14, inner, 20, [screen.takeaway], 16 if len(screen.takeaway) < 170 else 13,
            color=BLUE)
        top = MARGIN + 38
        chart_h = PAGE_H - MARGIN - 8 - top
        if screen.missing:
            box(slide, MARGIN, top, CHART_W, 20, ["To complete this screen: " + screen.missing], 14)
        picture = screen_picture(screen, CHART_W, chart_h)
        if picture is not None:
            slide.shapes.add_picture(io.BytesIO(picture), Mm(MARGIN), Mm(top), Mm(CHART_W), Mm(chart_h))
        side_x = MARGIN + CHART_W + 6
        side_w = PAGE_W - MARGIN - side_x
        y = top
        for fig in screen.figures[:4]:
            box(slide, side_x, y, side_w, 8, [fig.value], 20, bold=True)
            box(slide, side_x, y + 8, side_w, 5, [fig.label], 10, color=GREY)
            y += 15
        if screen.points:
            box(slide, side_x, y, side_w, PAGE_H - MARGIN - 8 - y, ["• " + p for p in screen.points[:4]], 10)
        box(slide, MARGIN, PAGE_H - MARGIN - 4, inner, 5, [_footer(story, screen)], 8, color=GREY)
        notes = [screen.takeaway, *screen.points, *(f"“{q}”" for q in screen.quotes)]
        if screen.missing:
            notes.append("To complete this screen: " + screen.missing)
        if screen.base:
            notes.append("Base: " + screen.base)
        slide.notes_slide.notes_text_frame.text = _text("\n".join(notes))
    out = io.BytesIO()
    prs.save(out)
    return out.getvalue()


def deck_file_name(story: Storyline, ext: str) -> str:
    """A file name for the deck: ``cx-storyline-2026-10-01.pdf``."""
    return f"cx-storyline-{story.as_of or 'deck'}.{ext}"
