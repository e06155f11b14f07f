"""Charts drawn on the server as inline SVG: no JavaScript, no internet, and they print as drawn.

One kind of chart is enough for the compliance figures: a horizontal bar per group showing a
share from 0 to 1, with the group's label on the left and its value on the right, over light
gridlines at every quarter. A group with no figure (nothing to take a share of) gets no bar and
says "no data", so it is never mistaken for 0%.

    from thriives.adapters.web.charts import bar_chart, score_text
    bar_chart("Share assessed", [("alice", 0.5), ("bob", 1.0), ("carol", None)])
    bar_chart("Mean review score", [("alice", 0.72)], value_text=score_text)  # a score / 100

The result is ``Markup``: put it straight into a Jinja template (``{{ chart }}``). Colours are
attributes, not CSS, so the chart looks the same on screen, printed, and as a PDF. Each chart
is an ``img`` for assistive technology, its ``<title>`` the chart's title and its ``<desc>``
every group's value in words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from markupsafe import Markup, escape

Row = tuple[str, float | None]
ROW_HEIGHT = 22
BAR_HEIGHT = 14
TITLE_HEIGHT = 26
AXIS_HEIGHT = 18
VALUE_WIDTH = 64
LONGEST_LABEL = 28  # characters; a longer label is cut, in full in its tooltip
CHAR_WIDTH = 7.0  # average width of a 12 px sans-serif character, for sizing the label column
BAR = "#0b4f8a"
GRID = "#ccd"
MUTED = "#555"
INK = "#111"


def percent(value: float) -> str:
    """A share as a percentage, one decimal only when it is not whole: ``0.5`` -> ``50%``."""
    return _number(value * 100) + "%"


def score_text(value: float) -> str:
    """A score out of 100 given as a share of 100: ``0.725`` -> ``72.5``."""
    return _number(value * 100)


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _short(label: str) -> str:
    return label if len(label) <= LONGEST_LABEL else label[: LONGEST_LABEL - 1] + "…"


def bar_chart(
    title: str,
    rows: Sequence[Row],
    *,
    value_text: Callable[[float], str] = percent,
    width: int = 500,
) -> Markup:
    """A horizontal bar chart of one share per group, as an inline ``<svg>`` element.

    1. ``rows`` are ``(label, value)`` in the order to draw them; ``value`` is a share from 0
       to 1, or ``None`` when the group has nothing to take a share of ("no data", no bar).
       A value outside 0..1 is drawn clamped and labelled as it is.
    2. ``value_text`` writes each value beside its bar (a percentage by default; pass
       ``score_text`` for a score out of 100 given as ``score / 100``).
    3. The label column is as wide as the longest label (cut at 28 characters); the chart is
       ``width`` pixels wide and grows in height with the number of rows.
    """
    key = hashlib.blake2b(repr((title, list(rows))).encode(), digest_size=4).hexdigest()
    label_width = max(60, min(LONGEST_LABEL, max((len(_short(r[0])) for r in rows), default=0)) * CHAR_WIDTH)
    left = label_width + 8
    plot = max(40.0, width - left - VALUE_WIDTH)
    height = TITLE_HEIGHT + max(1, len(rows)) * ROW_HEIGHT + AXIS_HEIGHT
    bottom = TITLE_HEIGHT + max(1, len(rows)) * ROW_HEIGHT
    words = "; ".join(f"{label}: {value_text(v) if v is not None else 'no data'}" for label, v in rows)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" aria-labelledby="c{key}t c{key}d" '
        f'font-family="system-ui, sans-serif" font-size="12">',
        f'<title id="c{key}t">{escape(title)}</title>',
        f'<desc id="c{key}d">{escape(words or "no groups")}</desc>',
        f'<text x="0" y="16" font-size="14" font-weight="700" fill="{INK}">{escape(title)}</text>',
    ]
    for quarter in range(5):
        x = left + plot * quarter / 4
        parts.append(
            f'<line x1="{x:.1f}" y1="{TITLE_HEIGHT - 4}" x2="{x:.1f}" y2="{bottom}" stroke="{GRID}"/>'
            f'<text x="{x:.1f}" y="{bottom + 13}" fill="{MUTED}" font-size="10" '
            f'text-anchor="middle">{escape(value_text(quarter / 4))}</text>'
        )
    if not rows:
        parts.append(f'<text x="{left + 4}" y="{TITLE_HEIGHT + 15}" fill="{MUTED}">no groups</text>')
    for index, (label, value) in enumerate(rows):
        top = TITLE_HEIGHT + index * ROW_HEIGHT
        middle = top + ROW_HEIGHT / 2 + 4
        parts.append(
            f'<text x="{label_width:.1f}" y="{middle:.1f}" fill="{INK}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        if value is None:
            parts.append(f'<text x="{left + 4:.1f}" y="{middle:.1f}" fill="{MUTED}">no data</text>')
            continue
        length = plot * min(1.0, max(0.0, value))
        bar_top = top + (ROW_HEIGHT - BAR_HEIGHT) / 2
        parts.append(
            f'<rect x="{left:.1f}" y="{bar_top:.1f}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'fill="{BAR}"/><text x="{left + plot + 6:.1f}" y="{middle:.1f}" fill="{INK}">'
            f"{escape(value_text(value))}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))
