"""What the reports page draws, as tables: each chart of the page is one table taken from the report JSON
(``GET /api/reports/summary``), drawn as SVG by :mod:`atende.console.charts` and served as CSV, so the
picture, the CSV and the JSON cannot disagree.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from atende.console import charts, i18n

Cell = str | int | float | None


@dataclass(frozen=True, slots=True)
class Chart:
    id: str
    kind: str  # bar | stacked | line
    axes: charts.Axes
    labels: list[str]
    series: dict[str, list[Any]]
    percent: bool
    header: list[str]
    rows: list[list[Cell]]
    missing: str = "n/a"

    def svg(self) -> str:
        if self.kind == "line":
            return charts.line(self.axes, self.labels, self.series, percent=self.percent)
        if self.kind == "stacked":
            return charts.stacked_bar(self.axes, self.labels, self.series, percent=self.percent)
        (values,) = self.series.values()
        return charts.bar(self.axes, self.labels, values, percent=self.percent, missing=self.missing)

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(self.header)
        writer.writerows([[_cell(v) for v in row] for row in self.rows])
        return out.getvalue()


def _cell(value: Cell) -> str | int | float:
    """Empty for null; text a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``) is quoted."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _daily(report: dict[str, Any], key: str, chart_id: str, t: Callable[..., str],
           names: Callable[[str], str] = str) -> Chart:
    series = report[key]
    days: list[str] = report["days"]
    return Chart(
        id=chart_id,
        kind="stacked",
        axes=charts.Axes(
            t(f"reports.{chart_id}"),
            t(f"reports.{chart_id}.desc", first=report["from"], last=report["to"], tz=report["tz"]),
            t("reports.axis.day"),
            t("reports.axis.tickets"),
        ),
        labels=days,
        series={names(k): v for k, v in series.items()},
        percent=False,
        header=["day", *series],
        rows=[[d, *(v[i] for v in series.values())] for i, d in enumerate(days)],
    )


def _sla(report: dict[str, Any], target: str, t: Callable[..., str]) -> Chart:
    per: dict[str, dict[str, Any]] = report["sla_by_priority"]
    chart_id = f"sla_{target}"
    return Chart(
        id=chart_id,
        kind="bar",
        axes=charts.Axes(t(f"reports.{chart_id}"), t(f"reports.{chart_id}.desc"), t("reports.axis.priority"),
                         t("reports.axis.met")),
        labels=list(per),
        series={"": [row[f"{target}_met_rate"] for row in per.values()]},
        percent=True,
        header=["priority", "met", "total", "met_rate"],
        missing=t("reports.na"),
        rows=[[p, row[f"{target}_met"], row[f"{target}_total"], row[f"{target}_met_rate"]]
              for p, row in per.items()],
    )


def build(report: dict[str, Any], lang: str) -> list[Chart]:
    """Every chart of the page, in page order, with its words in ``lang``."""

    def t(key: str, **kw: object) -> str:
        return i18n.t(lang, key, **kw)

    ageing: dict[str, int] = report["backlog_ageing"]
    csat: dict[str, int] = report["csat_distribution"]
    weeks: list[dict[str, Any]] = report["drift_by_week"]
    return [
        _daily(report, "volume_by_channel", "volume_by_channel", t),
        _daily(report, "volume_by_origin", "volume_by_origin", t, lambda k: t(f"reports.origin.{k}")),
        _daily(report, "volume_by_category", "volume_by_category", t),
        _daily(report, "volume_by_language", "volume_by_language", t),
        _sla(report, "first_response", t),
        _sla(report, "resolution", t),
        Chart(
            id="backlog_ageing",
            kind="bar",
            axes=charts.Axes(t("reports.backlog_ageing"), t("reports.backlog_ageing.desc"),
                             t("reports.axis.age"), t("reports.axis.open")),
            labels=[t(f"reports.bucket.{b}") for b in ageing],
            series={"": list(ageing.values())},
            percent=False,
            header=["bucket", "open"],
            rows=[[b, n] for b, n in ageing.items()],
        ),
        Chart(
            id="csat_distribution",
            kind="bar",
            axes=charts.Axes(t("reports.csat_distribution"), t("reports.csat_distribution.desc"),
                             t("reports.axis.score"), t("reports.axis.responses")),
            labels=list(csat),
            series={"": list(csat.values())},
            percent=False,
            header=["score", "responses"],
            rows=[[s, n] for s, n in csat.items()],
        ),
        Chart(
            id="drift_by_week",
            kind="line",
            axes=charts.Axes(t("reports.drift_by_week"), t("reports.drift_by_week.desc"),
                             t("reports.axis.week"), t("reports.axis.corrected")),
            labels=[w["week"] for w in weeks],
            series={t("reports.drift.series"): [w["rate"] for w in weeks]},
            percent=True,
            header=["week", "user_opened", "corrected", "rate"],
            rows=[[w["week"], w["user_opened"], w["corrected"], w["rate"]] for w in weeks],
        ),
    ]


CHART_IDS: Sequence[str] = (
    "volume_by_channel", "volume_by_origin", "volume_by_category", "volume_by_language",
    "sla_first_response", "sla_resolution", "backlog_ageing", "csat_distribution", "drift_by_week",
)
