"""The compliance figures as a CSV file, a printable HTML report with charts, and a PDF.

All three show, per group and in total for the chosen period: incidents, share assessed,
share with history searched, category kept at close, category right by review, reassessment
on time, reviews and mean review score. The shares come from ``domain.compliance``; this
module only writes them out. The PDF is the HTML printed by Debian's Chromium through
Playwright, so the two never differ.
"""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from thriives.adapters.web.charts import bar_chart, percent, score_text

# (field of Figures, CSV column, heading, kind): kind is count, share (0..1) or score (0..100).
COLUMNS = (
    ("incidents", "incidents", "Incidents", "count"),
    ("assessed", "share_assessed", "Assessed", "share"),
    ("searched", "share_searched", "History searched", "share"),
    ("category_at_close", "category_kept_at_close", "Category kept at close", "share"),
    ("category_by_review", "category_right_by_review", "Category right by review", "share"),
    ("reassessed_on_time", "reassessment_on_time", "Reassessment on time", "share"),
    ("reviews", "reviews", "Reviews", "count"),
    ("score", "mean_score", "Mean review score", "score"),
)
DEFINITIONS = (
    ("Incidents", "incidents received in the period, by the local day they came in"),
    ("Assessed", "share of those incidents with a complete risk assessment"),
    ("History searched", "share with the history and intelligence searched"),
    ("Category kept at close", "share of closed incidents closed under their opening category"),
    ("Category right by review", "share of reviews that judged the opening category right"),
    ("Reassessment on time", "share of reassessment tasks finished before their first escalation"),
    ("Reviews", "supervisors' reviews of those incidents"),
    ("Mean review score", "the mean score of those reviews, 0 to 100, against the form they used"),
)
GROUP_TITLES = {"handler": "By call handler", "team": "By team", "shift": "By shift", "week": "By week"}
TOTAL_LABEL = "(total)"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CHROMIUM = Path("/usr/bin/chromium")
# As the browser tests launch it: headless, and no network chatter on a closed network.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
# Each print starts a browser (about 150 MB for a second or two): at most two at once.
_printers = threading.BoundedSemaphore(2)
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)


class PrinterUnavailable(Exception):
    """Chromium (or Playwright) is not installed, or could not print."""


def _decimal(value: float | None, places: int) -> str:
    if value is None:
        return ""
    text = f"{value:.{places}f}".rstrip("0").rstrip(".")
    return text or "0"


def _cell(figures: dict[str, Any], field: str, kind: str) -> str:
    value = figures[field]
    if kind == "count":
        return str(value)
    return _decimal(value, 4 if kind == "share" else 1)


def _safe(label: str) -> str:
    """A group label a spreadsheet will not run as a formula."""
    return "'" + label if label.startswith(FORMULA_START) else label


def csv_text(dashboard: dict[str, Any]) -> str:
    """One row per group and a last row for the total; shares as fractions (0.5 is half)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([dashboard["by"], *(column for _, column, _, _ in COLUMNS)])
    for row in [*dashboard["rows"], dashboard["total"] | {"group": TOTAL_LABEL}]:
        writer.writerow([_safe(row["group"]), *(_cell(row, f, kind) for f, _, _, kind in COLUMNS)])
    return out.getvalue()


def _shown(value: float | int | None, kind: str) -> str:
    if value is None:
        return "–"
    if kind == "count":
        return f"{value:,}"
    return percent(value) if kind == "share" else score_text(value / 100)


def _section(dashboard: dict[str, Any]) -> dict[str, Any]:
    rows: Sequence[dict[str, Any]] = dashboard["rows"]
    charts = []
    for field, _, heading, kind in COLUMNS:
        if kind == "count":
            continue
        points = [
            (r["group"], None if r[field] is None else (r[field] / 100 if kind == "score" else r[field]))
            for r in rows
        ]
        charts.append(bar_chart(heading, points, value_text=score_text if kind == "score" else percent))
    cells = [
        {"group": r["group"], "cells": [_shown(r[f], kind) for f, _, _, kind in COLUMNS]}
        for r in [*rows, dashboard["total"] | {"group": "Total"}]
    ]
    return {"by": dashboard["by"], "title": GROUP_TITLES[dashboard["by"]], "rows": cells, "charts": charts}


def report_html(
    dashboards: Sequence[dict[str, Any]], generated_at: datetime, generated_by: str, demo: bool
) -> str:
    """The printable report: the period's definitions, then each grouping's table and charts.
    ``generated_at`` is shown as given (pass the force's local time)."""
    first = dashboards[0]
    return _templates.get_template("compliance_report.html").render(
        start=first["start"],
        end=first["end"],
        total=[_shown(first["total"][f], kind) for f, _, _, kind in COLUMNS],
        headings=[heading for _, _, heading, _ in COLUMNS],
        definitions=DEFINITIONS,
        sections=[_section(d) for d in dashboards],
        generated_at=generated_at.strftime("%Y-%m-%d %H:%M %Z"),
        generated_by=generated_by,
        demo=demo,
    )


def print_pdf(html: str, chromium: Path | None = None) -> bytes:
    """The HTML printed to an A4 PDF by Chromium (blocking: call it from a worker thread).

    1. Refuse at once, naming it, when Chromium or Playwright is not installed.
    2. Launch Chromium headless with no network; every request the page makes is refused
       (the report is self-contained: inline CSS and SVG).
    3. Print with backgrounds, then close the browser whatever happened.
    """
    chromium = chromium or CHROMIUM
    if not chromium.exists():
        raise PrinterUnavailable(f"Chromium ({chromium}) is not installed; apt-get install chromium")
    try:
        from playwright.sync_api import Error, sync_playwright
    except ImportError as error:
        raise PrinterUnavailable("Playwright is not installed; pip install playwright") from error
    with _printers:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
                try:
                    page = browser.new_page()
                    page.route("**/*", lambda route: route.abort())
                    page.set_content(html, wait_until="load")
                    return page.pdf(format="A4", print_background=True, prefer_css_page_size=True)
                finally:
                    browser.close()
        except Error as error:
            raise PrinterUnavailable(f"Chromium could not print the report: {error.message}") from error
