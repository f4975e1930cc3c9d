"""``/console/reports``: the desk's report for agents and admins, with a date range and a time zone, charts
drawn on the server as SVG, and a CSV per chart (``/console/reports/{chart}.csv``) with the JSON's numbers.

No script: the filter is a plain GET form, so a report is a URL that can be bookmarked, shared and printed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from atende import report_query
from atende.console import i18n, report_charts
from atende.console.auth import Principal, require_agent
from atende.console.render import page_headers, render
from ticket_core.reports import zone_named

if TYPE_CHECKING:
    from atende.runtime import Runtime

DEFAULT_DAYS = 28
ZONES = ("UTC", "Europe/Madrid", "Europe/Lisbon", "America/Sao_Paulo", "America/Mexico_City",
         "America/Bogota", "America/Buenos_Aires", "America/New_York", "America/Los_Angeles")


def router(runtime: Runtime) -> APIRouter:
    r = APIRouter(include_in_schema=False)

    def query(request: Request) -> dict[str, str]:
        """The filter: ``from``/``to``/``tz`` as given; absent dates: the 28 days up to today in the zone."""
        params = {k: v for k, v in request.query_params.items() if k in report_query.PARAMS and v}
        if any(len(v) > 64 for v in params.values()):
            raise HTTPException(status_code=400, detail="parameter too long")
        tz = params.setdefault("tz", (runtime.settings.reports_timezone or runtime.settings.timezone))
        if "from" not in params or "to" not in params:
            try:
                today = datetime.now(zone_named(tz)).date()
            except ValueError:
                today = datetime.now().date()
            params.setdefault("to", today.isoformat())
            params.setdefault("from", (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat())
        return params

    @r.get("/reports")
    async def page(request: Request, principal: Principal = Depends(require_agent)) -> Response:
        params = query(request)
        try:
            report: dict[str, Any] | None = await report_query.summary(runtime, params)
            error, status = None, 200
        except HTTPException as exc:
            report, error, status = None, str(exc.detail), 400
        charts = report_charts.build(report, principal.language) if report is not None else []
        return render(request, "reports.html", principal, status_code=status, report=report, charts=charts,
                      kpis=kpis(report, principal.language) if report is not None else [], params=params,
                      error=error, zones=ZONES)

    @r.get("/reports/{chart}.csv")
    async def chart_csv(
        chart: str, request: Request, principal: Principal = Depends(require_agent)
    ) -> Response:
        if chart not in report_charts.CHART_IDS:
            raise HTTPException(status_code=404, detail="no such chart")
        params = query(request)
        report = await report_query.summary(runtime, params)
        (found,) = [c for c in report_charts.build(report, principal.language) if c.id == chart]
        name = f"{chart}_{params['from']}_{params['to']}.csv"
        headers = {**page_headers(), "Content-Disposition": f'attachment; filename="{name}"'}
        return Response(found.csv(), media_type="text/csv; charset=utf-8", headers=headers)

    return r


KPIS = ("tickets_created", "deflection_rate", "first_contact_resolution_rate", "sla_first_response_met_rate",
        "sla_resolution_met_rate", "csat_average", "csat_responses", "backlog_open",
        "category_corrected_rate")


def kpis(report: dict[str, Any], lang: str) -> list[tuple[str, str, str]]:
    """(key, label, shown value) of the headline figures: rates as percentages, n/a without a denominator."""
    out = []
    for key in KPIS:
        value = report[key]
        if value is None:
            shown = i18n.t(lang, "reports.na")
        elif key.endswith("_rate"):
            shown = f"{value * 100:.1f} %"
        else:
            shown = str(value)
        out.append((key, i18n.t(lang, f"reports.kpi.{key}"), shown))
    return out


i18n.register({
    "en": {
        "reports.title": "Reports",
        "reports.from": "From", "reports.to": "To", "reports.tz": "Time zone", "reports.apply": "Show",
        "reports.kpis": "Key figures",
        "reports.kpi.tickets_created": "Tickets created",
        "reports.kpi.deflection_rate": "Self-service deflection",
        "reports.kpi.first_contact_resolution_rate": "First-contact resolution",
        "reports.kpi.sla_first_response_met_rate": "First response within SLA",
        "reports.kpi.sla_resolution_met_rate": "Resolution within SLA",
        "reports.kpi.csat_average": "CSAT average",
        "reports.kpi.csat_responses": "CSAT responses",
        "reports.kpi.backlog_open": "Open backlog",
        "reports.kpi.category_corrected_rate": "Category corrected by an agent",
        "reports.na": "n/a",
        "reports.csv": "CSV",
        "reports.csv.label": "Download the data of “{title}” as CSV",
        "reports.volume_by_channel": "Tickets per day by channel",
        "reports.volume_by_channel.desc": "Tickets created each day from {first} to {last} ({tz}), stacked "
                                          "by channel.",
        "reports.volume_by_origin": "Alert-opened and user-opened tickets per day",
        "reports.volume_by_origin.desc": "Tickets created each day from {first} to {last} ({tz}): opened by "
                                         "a monitoring alert or by a person.",
        "reports.volume_by_category": "Tickets per day by category",
        "reports.volume_by_category.desc": "Tickets created each day from {first} to {last} ({tz}), stacked "
                                           "by category.",
        "reports.volume_by_language": "Tickets per day by language",
        "reports.volume_by_language.desc": "Tickets created each day from {first} to {last} ({tz}), stacked "
                                           "by the requester's language.",
        "reports.sla_first_response": "First response within SLA, by priority",
        "reports.sla_first_response.desc": "Share of first-response targets met, per priority, among the "
                                           "period's tickets whose target was met or has passed.",
        "reports.sla_resolution": "Resolution within SLA, by priority",
        "reports.sla_resolution.desc": "Share of resolution targets met, per priority, among the period's "
                                       "tickets whose target was met or has passed.",
        "reports.backlog_ageing": "Open backlog by age",
        "reports.backlog_ageing.desc": "Tickets open now, created before the end of the period, by age.",
        "reports.csat_distribution": "CSAT scores",
        "reports.csat_distribution.desc": "How many of the period's tickets were rated 1 to 5.",
        "reports.drift_by_week": "Classifier drift: category corrected by an agent, per week",
        "reports.drift_by_week.desc": "Share of user-opened tickets of each ISO week whose category an agent "
                                      "changed.",
        "reports.drift.series": "corrected",
        "reports.origin.user": "user", "reports.origin.alert": "alert",
        "reports.bucket.lt_1d": "< 1 day", "reports.bucket.1_3d": "1–3 days",
        "reports.bucket.3_7d": "3–7 days", "reports.bucket.gt_7d": "> 7 days",
        "reports.axis.day": "Day", "reports.axis.tickets": "Tickets", "reports.axis.priority": "Priority",
        "reports.axis.met": "Met", "reports.axis.age": "Age", "reports.axis.open": "Open tickets",
        "reports.axis.score": "Score", "reports.axis.responses": "Responses", "reports.axis.week": "ISO week",
        "reports.axis.corrected": "Corrected",
        "reports.definitions": "How these figures are counted",
    },
    "es": {
        "reports.title": "Informes",
        "reports.from": "Desde", "reports.to": "Hasta", "reports.tz": "Zona horaria", "reports.apply": "Ver",
        "reports.kpis": "Cifras clave",
        "reports.kpi.tickets_created": "Tickets creados",
        "reports.kpi.deflection_rate": "Resueltos por autoservicio",
        "reports.kpi.first_contact_resolution_rate": "Resolución en el primer contacto",
        "reports.kpi.sla_first_response_met_rate": "Primera respuesta dentro del SLA",
        "reports.kpi.sla_resolution_met_rate": "Resolución dentro del SLA",
        "reports.kpi.csat_average": "CSAT medio",
        "reports.kpi.csat_responses": "Respuestas CSAT",
        "reports.kpi.backlog_open": "Pendientes abiertos",
        "reports.kpi.category_corrected_rate": "Categoría corregida por un agente",
        "reports.na": "n/d",
        "reports.csv": "CSV",
        "reports.csv.label": "Descargar los datos de «{title}» en CSV",
        "reports.volume_by_channel": "Tickets por día y canal",
        "reports.volume_by_channel.desc": "Tickets creados cada día del {first} al {last} ({tz}), apilados "
                                          "por canal.",
        "reports.volume_by_origin": "Tickets abiertos por alertas y por usuarios, por día",
        "reports.volume_by_origin.desc": "Tickets creados cada día del {first} al {last} ({tz}): abiertos "
                                         "por una alerta de monitorización o por una persona.",
        "reports.volume_by_category": "Tickets por día y categoría",
        "reports.volume_by_category.desc": "Tickets creados cada día del {first} al {last} ({tz}), apilados "
                                           "por categoría.",
        "reports.volume_by_language": "Tickets por día e idioma",
        "reports.volume_by_language.desc": "Tickets creados cada día del {first} al {last} ({tz}), apilados "
                                           "por el idioma del usuario.",
        "reports.sla_first_response": "Primera respuesta dentro del SLA, por prioridad",
        "reports.sla_first_response.desc": "Proporción de objetivos de primera respuesta cumplidos, por "
                                           "prioridad, entre los tickets del periodo cuyo objetivo se "
                                           "cumplió o ya venció.",
        "reports.sla_resolution": "Resolución dentro del SLA, por prioridad",
        "reports.sla_resolution.desc": "Proporción de objetivos de resolución cumplidos, por prioridad, "
                                       "entre los tickets del periodo cuyo objetivo se cumplió o ya venció.",
        "reports.backlog_ageing": "Pendientes abiertos por antigüedad",
        "reports.backlog_ageing.desc": "Tickets abiertos ahora, creados antes del final del periodo, por "
                                       "antigüedad.",
        "reports.csat_distribution": "Puntuaciones CSAT",
        "reports.csat_distribution.desc": "Cuántos tickets del periodo recibieron cada puntuación de 1 a 5.",
        "reports.drift_by_week": "Deriva del clasificador: categoría corregida por un agente, por semana",
        "reports.drift_by_week.desc": "Proporción de tickets abiertos por usuarios en cada semana ISO cuya "
                                      "categoría cambió un agente.",
        "reports.drift.series": "corregidos",
        "reports.origin.user": "usuario", "reports.origin.alert": "alerta",
        "reports.bucket.lt_1d": "< 1 día", "reports.bucket.1_3d": "1–3 días",
        "reports.bucket.3_7d": "3–7 días", "reports.bucket.gt_7d": "> 7 días",
        "reports.axis.day": "Día", "reports.axis.tickets": "Tickets", "reports.axis.priority": "Prioridad",
        "reports.axis.met": "Cumplidos", "reports.axis.age": "Antigüedad", "reports.axis.open": "Abiertos",
        "reports.axis.score": "Puntuación", "reports.axis.responses": "Respuestas",
        "reports.axis.week": "Semana ISO", "reports.axis.corrected": "Corregidos",
        "reports.definitions": "Cómo se cuentan estas cifras",
    },
    "pt": {
        "reports.title": "Relatórios",
        "reports.from": "De", "reports.to": "Até", "reports.tz": "Fuso horário", "reports.apply": "Mostrar",
        "reports.kpis": "Números-chave",
        "reports.kpi.tickets_created": "Tickets criados",
        "reports.kpi.deflection_rate": "Resolvidos por autoatendimento",
        "reports.kpi.first_contact_resolution_rate": "Resolução no primeiro contato",
        "reports.kpi.sla_first_response_met_rate": "Primeira resposta dentro do SLA",
        "reports.kpi.sla_resolution_met_rate": "Resolução dentro do SLA",
        "reports.kpi.csat_average": "CSAT médio",
        "reports.kpi.csat_responses": "Respostas CSAT",
        "reports.kpi.backlog_open": "Pendências abertas",
        "reports.kpi.category_corrected_rate": "Categoria corrigida por um agente",
        "reports.na": "n/d",
        "reports.csv": "CSV",
        "reports.csv.label": "Baixar os dados de “{title}” em CSV",
        "reports.volume_by_channel": "Tickets por dia e canal",
        "reports.volume_by_channel.desc": "Tickets criados a cada dia de {first} a {last} ({tz}), empilhados "
                                          "por canal.",
        "reports.volume_by_origin": "Tickets abertos por alertas e por usuários, por dia",
        "reports.volume_by_origin.desc": "Tickets criados a cada dia de {first} a {last} ({tz}): abertos por "
                                         "um alerta de monitoramento ou por uma pessoa.",
        "reports.volume_by_category": "Tickets por dia e categoria",
        "reports.volume_by_category.desc": "Tickets criados a cada dia de {first} a {last} ({tz}), "
                                           "empilhados por categoria.",
        "reports.volume_by_language": "Tickets por dia e idioma",
        "reports.volume_by_language.desc": "Tickets criados a cada dia de {first} a {last} ({tz}), "
                                           "empilhados pelo idioma do usuário.",
        "reports.sla_first_response": "Primeira resposta dentro do SLA, por prioridade",
        "reports.sla_first_response.desc": "Parcela das metas de primeira resposta cumpridas, por "
                                           "prioridade, entre os tickets do período cuja meta foi cumprida "
                                           "ou já venceu.",
        "reports.sla_resolution": "Resolução dentro do SLA, por prioridade",
        "reports.sla_resolution.desc": "Parcela das metas de resolução cumpridas, por prioridade, entre os "
                                       "tickets do período cuja meta foi cumprida ou já venceu.",
        "reports.backlog_ageing": "Pendências abertas por idade",
        "reports.backlog_ageing.desc": "Tickets abertos agora, criados antes do fim do período, por idade.",
        "reports.csat_distribution": "Notas CSAT",
        "reports.csat_distribution.desc": "Quantos tickets do período receberam cada nota de 1 a 5.",
        "reports.drift_by_week": "Deriva do classificador: categoria corrigida por um agente, por semana",
        "reports.drift_by_week.desc": "Parcela dos tickets abertos por usuários em cada semana ISO cuja "
                                      "categoria um agente alterou.",
        "reports.drift.series": "corrigidos",
        "reports.origin.user": "usuário", "reports.origin.alert": "alerta",
        "reports.bucket.lt_1d": "< 1 dia", "reports.bucket.1_3d": "1–3 dias",
        "reports.bucket.3_7d": "3–7 dias", "reports.bucket.gt_7d": "> 7 dias",
        "reports.axis.day": "Dia", "reports.axis.tickets": "Tickets", "reports.axis.priority": "Prioridade",
        "reports.axis.met": "Cumpridas", "reports.axis.age": "Idade", "reports.axis.open": "Abertos",
        "reports.axis.score": "Nota", "reports.axis.responses": "Respostas",
        "reports.axis.week": "Semana ISO", "reports.axis.corrected": "Corrigidos",
        "reports.definitions": "Como estes números são contados",
    },
})
