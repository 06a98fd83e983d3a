"""The supervisor dashboard: a console page of charts (drawn by the server as plain HTML bars: no script,
no chart library to load), the same figures as JSON, and each figure as CSV.

`period` is `day` or `week`, `days` how far back (default 30 days, or 12 weeks).
"""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Optional

from aiohttp import web

from bot.api.auth import current_staff, page_staff
from bot.api.errors import bad_request, dumps
from bot.api.leads import csv_cell, csv_response
from bot.api.pages import render
from bot.api.places import region_label
from bot.dashboard import PERIODS, Dashboard, DashboardError, DashboardService, Figure, TrackerEvents
from bot.dashboard.service import MAX_DAYS, figure_keys

DASHBOARD_KEY = web.AppKey("dashboard", DashboardService)
TRACKER_KEY = web.AppKey("tracker", TrackerEvents)  # Rasa's tracker store, for transcripts
PALETTE = ["#1f77b4", "#e07b00", "#2ca02c", "#c00000", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]


def setup(app: web.Application) -> None:
    app.router.add_get("/console/dashboard", dashboard_page)
    app.router.add_get("/api/v1/dashboard", dashboard_json)
    app.router.add_get("/api/v1/dashboard/export.csv", dashboard_csv)


def _query(request: web.Request) -> tuple:
    period = request.query.get("period") or "day"
    if period not in PERIODS:
        raise bad_request("invalid_period", "period must be day or week", "统计周期应为 day（按日）或 week（按周）")
    raw = request.query.get("days") or ""
    days: Optional[int] = None
    if raw:
        if not (raw.isascii() and raw.isdigit() and 1 <= int(raw) <= MAX_DAYS):
            raise bad_request(
                "invalid_days", f"days must be an integer from 1 to {MAX_DAYS}", f"统计天数应为1到{MAX_DAYS}的整数"
            )
        days = int(raw)
    return period, days


async def _build(request: web.Request, staff) -> Dashboard:
    period, days = _query(request)
    return await asyncio.to_thread(request.app[DASHBOARD_KEY].build, staff, period, days)


async def dashboard_json(request: web.Request) -> web.Response:
    staff = await current_staff(request)
    return web.json_response((await _build(request, staff)).to_dict(), dumps=dumps)


async def dashboard_csv(request: web.Request) -> web.Response:
    """One figure (`figure=by_cause`) as its table; without `figure`, every figure one after another."""
    staff = await current_staff(request)
    key = request.query.get("figure") or None
    if key is not None and key not in figure_keys():
        raise bad_request("invalid_figure", f"figure must be one of {', '.join(figure_keys())}", "没有这个统计图表")
    dashboard = await _build(request, staff)
    out = io.StringIO()
    writer = csv.writer(out)
    for figure in [dashboard.figure(key)] if key else dashboard.figures:
        if key is None:
            writer.writerow([figure.title])
        writer.writerow([name for _, name in figure.columns])
        for row in figure.rows + ([figure.total] if figure.total else []):
            writer.writerow([csv_cell("" if row.get(k) is None else row.get(k)) for k, _ in figure.columns])
        if key is None:
            writer.writerow([])
    name = f"dashboard-{key or 'all'}-{dashboard.period}-{dashboard.until.isoformat()}.csv"
    return csv_response(out.getvalue(), name)


def _chart(figure: Figure) -> dict:
    """What the page draws: bars with their widths in percent of the longest, and the legend."""
    names = dict(figure.columns)
    if figure.chart == "stacked":
        # One column per period (a month of days fits one line), split by series; the legend gives totals.
        colors = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(figure.series)}
        longest = max([sum(row.get(s) or 0 for s in figure.series) for row in figure.rows] + [1])
        every = max(1, len(figure.rows) // 10)  # label about ten columns, the rest on hover
        bars = []
        for i, row in enumerate(figure.rows):
            label = str(row[figure.columns[0][0]])
            parts = [
                {"name": names[s], "value": row[s], "color": colors[s], "height": 100 * row[s] / longest}
                for s in figure.series
                if row.get(s)
            ]
            total = sum(p["value"] for p in parts)
            bars.append({"label": label, "short": label[5:] if i % every == 0 else "", "parts": parts, "total": total})
        totals = {s: sum(row.get(s) or 0 for row in figure.rows) for s in figure.series}
        return {
            "bars": bars,
            "legend": [(names[s], colors[s], totals[s]) for s in figure.series],
            "facts": _facts(figure, set(figure.series)),
        }
    if figure.chart == "summary":  # percentages of the whole window, one bar each
        row = figure.total or {}
        bars = [
            {"label": names[k], "value": row.get(k), "width": row.get(k) or 0, "extra": None} for k in figure.series
        ]
        return {"bars": bars, "legend": [], "facts": _facts(figure, set(figure.series))}
    label_key = figure.columns[1][0] if figure.key == "open_by_township" else figure.columns[0][0]
    values = [row.get(figure.bar) for row in figure.rows]
    longest = max([v for v in values if v is not None] + [1])
    if figure.unit == "%":
        longest = 100
    bars = []
    for row, value in zip(figure.rows, values, strict=True):
        extra = row.get(figure.series[0]) if figure.series else None
        bars.append(
            {
                "label": row.get(label_key) or row[figure.columns[0][0]],
                "value": value,
                "width": 0 if value is None else 100 * value / longest,
                "extra": extra,
                "extra_width": 0 if not extra else 100 * extra / longest,
                "extra_name": names.get(figure.series[0]) if figure.series else None,
            }
        )
    legend = [(names[figure.bar], PALETTE[0], None)]
    if figure.series:
        legend.append((names[figure.series[0]], PALETTE[3], None))
    return {"bars": bars, "legend": legend, "facts": []}


def _facts(figure: Figure, drawn: set) -> list:
    """The whole window's other figures, in words under the chart: 开始测算 12 · 紧急情况 3 · …"""
    if not figure.total:
        return []
    return [
        (name, "—" if figure.total.get(k) is None else f"{figure.total[k]}{'%' if k.endswith('_pct') else ''}")
        for k, name in figure.columns[1:]
        if k not in drawn
    ]


async def dashboard_page(request: web.Request) -> web.Response:
    staff = await page_staff(request)
    try:
        DashboardService.check(staff)
    except DashboardError as error:
        return render(request, "dashboard.html", {"staff": staff, "refused": error.message_zh}, status=403)
    dashboard = await _build(request, staff)
    period, days = _query(request)
    query = f"period={period}" + (f"&days={days}" if days else "")
    figures = [{"figure": f, "chart": _chart(f)} for f in dashboard.figures]
    return render(
        request,
        "dashboard.html",
        {
            "staff": staff,
            "dashboard": dashboard,
            "figures": figures,
            "periods": PERIODS,
            "period": period,
            "days": days or "",
            "query": query,
            "region_label": region_label(staff.region),
        },
    )
