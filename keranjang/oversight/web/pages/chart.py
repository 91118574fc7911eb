"""The migration's progress over time as an inline SVG drawn on the server: one line per
category and a bolder one for the whole, each with its own dash so colour is not the only cue.
Written by hand: the chart is a few polylines, and no charting library renders SVG without a
browser-side script or a heavy dependency."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

from keranjang.oversight.views import ProgressPointView
from keranjang.oversight.web.pages.formatting import CATEGORY, label, percent, wib
from keranjang.oversight.web.pages.i18n import Words

WIDTH, HEIGHT = 640, 280
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 14, 56
MAX_DOTS = 40  # past this many observations the line alone reads better


@dataclass(frozen=True)
class Line:
    key: str
    colour: str
    dash: str
    stroke: float


LINES = (
    Line("payment", "#0b5cad", "", 2),
    Line("data", "#8a4b00", "6 4", 2),
    Line("merchant_operations", "#6a1b9a", "2 3", 2),
    Line("overall", "#1b5e20", "", 4),
)


def _x(at: datetime, first: datetime, span: float) -> float:
    share = (at - first).total_seconds() / span if span else 1.0
    return LEFT + share * (WIDTH - LEFT - RIGHT)


def _y(value: float) -> float:
    return TOP + (100 - max(0.0, min(100.0, value))) / 100 * (HEIGHT - TOP - BOTTOM)


def _grid(words: Words) -> list[str]:
    parts = []
    for value in (0, 25, 50, 75, 100):
        y = _y(value)
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" stroke="#c9ced6"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value}%</text>'
        )
    return parts


def _axis(series: Sequence[ProgressPointView], words: Words) -> list[str]:
    first, last = series[0].at, series[-1].at
    y = HEIGHT - BOTTOM + 22
    start = escape(wib(first, words))
    end = escape(wib(last, words))
    return [
        f'<text x="{LEFT}" y="{y}" text-anchor="start">{start}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{y + 24}" text-anchor="end">{end}</text>',
    ]


def _line(series: Sequence[ProgressPointView], line: Line, words: Words) -> str:
    first = series[0].at
    span = (series[-1].at - first).total_seconds()
    points = [(_x(p.at, first, span), _y(getattr(p, line.key))) for p in series]
    name = escape(label(CATEGORY, line.key, words))
    shown = zip(points, series, strict=True) if len(series) <= MAX_DOTS else ()
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{line.stroke + 1}" fill="{line.colour}">'
        f"<title>{name}: {escape(percent(getattr(p, line.key), words))} · "
        f"{escape(wib(p.at, words))}</title></circle>"
        for (x, y), p in shown
    )
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    dash = f' stroke-dasharray="{line.dash}"' if line.dash else ""
    return (
        f'<g class="series" data-category="{line.key}"><polyline points="{path}" fill="none" '
        f'stroke="{line.colour}" stroke-width="{line.stroke}"{dash}/>{dots}</g>'
    )


def progress_svg(series: Sequence[ProgressPointView], words: Words) -> Markup:
    """The chart, or a sentence when the monitor has not observed the migration yet."""
    if not series:
        return Markup('<p class="muted">{}</p>').format(
            words._("Belum ada riwayat kemajuan migrasi yang teramati.")
        )
    title = escape(words._("Kemajuan migrasi per kategori dari waktu ke waktu"))
    newest = series[-1]
    shown = [f"{label(CATEGORY, ln.key, words)} {percent(getattr(newest, ln.key), words)}"
             for ln in LINES]  # fmt: skip
    desc = escape(", ".join(shown))
    body = [*_grid(words), *_axis(series, words), *(_line(series, ln, words) for ln in LINES)]
    # Every text interpolated here is escaped above; the rest are numbers and constants.
    return Markup(  # noqa: S704
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="chart-title">{title}</title><desc id="chart-desc">{desc}</desc>'
        f"{''.join(body)}</svg>"
    )


def legend(words: Words) -> list[tuple[str, str, str]]:
    """(name, colour, dash) of each line, for the legend under the chart."""
    return [(label(CATEGORY, ln.key, words), ln.colour, ln.dash) for ln in LINES]
