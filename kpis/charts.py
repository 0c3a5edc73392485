"""Server-rendered SVG charts: the same markup in the dashboard and in the PDF report.

Colour is never the only signal: every chart has a text title with the values, and bands are
also written as words next to the charts.
"""

from __future__ import annotations

from django.utils.formats import number_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

BAND_COLOURS = {"green": "#1e7b3a", "amber": "#b26b00", "red": "#a12622", None: "#8c96a3"}


def band_words(band: str | None) -> str:
    """A band as people read it, in their language (colour is never the only signal)."""
    return {"green": _("green"), "amber": _("amber"), "red": _("red")}.get(band, _("none"))


def bar(percent: float | None, band: str | None, *, width: int = 160) -> str:
    """A 0-100 % bar with the 50 % and 80 % marks."""
    value = 0 if percent is None else max(0.0, min(percent, 100.0))
    filled = round(width * value / 100, 1)
    title = _("no percentage") if percent is None else f"{number_format(percent, 1)} % ({band_words(band)})"
    return mark_safe(  # noqa: S308 - numbers and escaped text only
        f'<svg class="kpi-bar" width="{width}" height="14" viewBox="0 0 {width} 14" role="img">'
        f"<title>{escape(title)}</title>"
        f'<rect x="0" y="2" width="{width}" height="10" fill="#eef1f5"/>'
        f'<rect x="0" y="2" width="{filled}" height="10" fill="{BAND_COLOURS.get(band, "#8c96a3")}"/>'
        f'<line x1="{width * 0.5}" y1="0" x2="{width * 0.5}" y2="14" stroke="#1d2430" stroke-width="1"/>'
        f'<line x1="{width * 0.8}" y1="0" x2="{width * 0.8}" y2="14" stroke="#1d2430" stroke-width="1"/>'
        "</svg>"
    )


def trend(points: list[tuple[str, float | None]], *, width: int = 168, height: int = 40) -> str:
    """A line over the last quarters (0-100 %), with a text title listing every value."""
    if not points:
        return ""
    step = width / max(len(points) - 1, 1)
    coords = []
    for index, (_label, percent) in enumerate(points):
        if percent is not None:
            y = height - 4 - (height - 8) * max(0.0, min(percent, 100.0)) / 100
            coords.append((round(index * step, 1), round(y, 1)))
    title = "; ".join(f"{label}: {'—' if p is None else number_format(p, 1) + ' %'}" for label, p in points)
    parts = [
        f'<svg class="kpi-trend" width="{width}" height="{height}" viewBox="-4 0 {width + 8} {height}" role="img">',
        f"<title>{escape(title)}</title>",
        f'<line x1="0" y1="{height / 2}" x2="{width}" y2="{height / 2}" stroke="#d5dae1" stroke-dasharray="2 2"/>',
    ]
    if len(coords) > 1:
        path = " ".join(f"{x},{y}" for x, y in coords)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#0b5d8c" stroke-width="2"/>')
    parts += [f'<circle cx="{x}" cy="{y}" r="2.5" fill="#0b5d8c"/>' for x, y in coords]
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - numbers and escaped text only
