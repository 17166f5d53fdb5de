"""Charts as pictures, rendered offline with vl-convert (no browser, no network)."""

from __future__ import annotations

import json
import re


def chart_svg(spec: str | dict) -> bytes:
    """The chart as SVG (a Vega-Lite spec, as JSON text or dict)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(_spec(spec)).encode("utf-8")


def chart_png(spec: str | dict, scale: float = 2.0) -> bytes:
    """The chart as PNG at `scale` × its size (2 = sharp on slides and retina screens)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(_spec(spec), scale=scale)


def chart_file_name(chart, fallback: str) -> str:
    """A file name from the chart's title ("NPS by Region" → "nps-by-region")."""
    t = getattr(chart, "title", None)
    text = getattr(t, "text", t)
    title = text if isinstance(text, str) else ""
    slug = re.sub(r"[^a-z0-9]+", "-", str(title).lower()).strip("-")
    return slug[:60] or fallback


def _spec(spec: str | dict) -> str:
    text = spec if isinstance(spec, str) else json.dumps(spec)
    # A chart sized "container" has no width outside a page: give it one for the picture.
    data = json.loads(text)
    for key in ("width", "height"):
        if data.get(key) == "container":
            data[key] = 720 if key == "width" else 360
    if "width" not in data and not any(k in data for k in ("hconcat", "vconcat", "concat", "facet", "repeat")):
        data["width"] = 720
    return json.dumps(data)
