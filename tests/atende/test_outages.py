"""The known-outage adapter (atende/adapters/outages.py) on a real ticket store: which reports match an
active outage in es/pt/en, which must not (a printer jam is never offered the ERP outage), joining as a
child, and the web chat's banner rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from atende.adapters.outages import StoreOutages, TextMatcher
from atende.adapters.tickets import TicketServiceAdapter
from atende.dispatch.context import current_message_key
from atende.settings import SettingsError, load_settings
from dialog.messages import Identity
from dialog.ports import TicketDraft
from ticket_core import TicketStore
from ticket_core.domain import NewTicket, RequesterIdentity

ANA = Identity("web", "ana", "Ana")
THRESHOLD = 0.25


def file_alert(store: TicketStore, title: str, description: str, *, service: str | None,
               category: str = "outage", major: bool = True, answers: dict[str, str] | None = None) -> str:
    ticket = store.create_ticket(NewTicket(
        title=title, description=description, category=category, type="incident", impact="organization",
        urgency="high", channel="alert", requester=RequesterIdentity("alert", "alertmanager"),
        service=service, answers=answers or {}))
    if major:
        store.declare_major_incident(ticket.reference, actor="agent:marta")
    return ticket.reference


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[TicketStore]:
    with TicketStore.open(f"sqlite:///{tmp_path}/t.db") as s:
        yield s


@pytest.fixture()
def outages(store: TicketStore) -> StoreOutages:
    return StoreOutages(store, TicketServiceAdapter(store), THRESHOLD)


@pytest.fixture()
def erp(store: TicketStore) -> str:
    return file_alert(store, "ERP is down", "ERP application servers are not responding to health checks.\n"
                      "severity: critical\nhttps://grafana.example.com/d/erp?orgId=1", service="ERP")


def draft(text: str, language: str = "es") -> TicketDraft:
    return TicketDraft(title=text, description=text, category="software", type="incident",
                       impact="individual", urgency="medium", channel="web", requester=ANA, language=language,
                       conversation_key=ANA.key)


@pytest.mark.parametrize(("language", "text"), [
    ("es", "el ERP no carga"),
    ("es", "ERP caído desde hace un rato"),
    ("es", "no puedo entrar al ERP, sale error 500"),
    ("pt", "o ERP está fora do ar"),
    ("pt", "o erp não carrega desde cedo"),
    ("en", "The ERP is down again"),
    ("en", "erp not loading for anyone in finance"),
])
async def test_reports_about_the_service_match_in_each_language(
        outages: StoreOutages, erp: str, language: str, text: str) -> None:
    found = await outages.match(text, language, None)
    assert found is not None and found.reference == erp
    assert (found.service, found.major, found.title) == ("ERP", True, "ERP is down")


@pytest.mark.parametrize(("language", "text", "category"), [
    ("es", "la impresora del segundo piso se atascó", "printing"),
    ("es", "mi contraseña caducó y no puedo entrar", "access"),
    ("pt", "a impressora não imprime, papel preso", "printing"),
    ("pt", "meu notebook não liga", "hardware"),
    ("en", "The printer on floor 2 is jammed", "printing"),
    ("en", "my laptop screen is broken", "outage"),  # same category, but nothing alike: not offered
])
async def test_other_problems_do_not_match(outages: StoreOutages, erp: str, language: str, text: str,
                                           category: str) -> None:
    assert await outages.match(text, language, category) is None


async def test_the_category_stands_in_for_an_unnamed_service(outages: StoreOutages, erp: str) -> None:
    assert await outages.match("el sistema está caído", "es", "software") is None
    found = await outages.match("el sistema está caído", "es", "outage")
    assert found is not None and found.reference == erp


async def test_an_alias_from_the_labels_names_the_service(store: TicketStore, outages: StoreOutages) -> None:
    ref = file_alert(store, "Payroll API returns 503", "payroll-api 5xx ratio above 20%",
                     service="payroll-api", answers={"job": "nominas, folha"})
    for text, lang in (("las nóminas dan error 503", "es"), ("a folha de pagamento dá erro 503", "pt"),
                       ("payroll-api keeps failing with 503", "en")):
        found = await outages.match(text, lang, None)
        assert found is not None and found.reference == ref, text


async def test_the_threshold_is_a_setting(store: TicketStore, erp: str) -> None:
    strict = StoreOutages(store, TicketServiceAdapter(store), 0.9)
    assert await strict.match("no puedo entrar al ERP, sale error 500", "es", None) is None
    assert (await strict.match("el ERP no carga", "es", None)) is not None


async def test_nothing_active_nothing_matched(store: TicketStore, outages: StoreOutages, erp: str) -> None:
    store.transition(erp, "resolved", "agent:marta")
    assert await outages.match("el ERP no carga", "es", "outage") is None


async def test_join_files_a_child_once_and_refuses_a_resolved_outage(
        store: TicketStore, outages: StoreOutages, erp: str) -> None:
    token = current_message_key.set("web:ana:m1")
    try:
        child = await outages.join(erp, draft("el ERP no carga"))
        again = await outages.join(erp, draft("el ERP no carga"))  # the same message processed twice
    finally:
        current_message_key.reset(token)
    assert again.reference == child.reference
    stored = store.get(child.reference)
    assert stored is not None and stored.parent_reference == erp
    assert (stored.category, stored.service) == ("outage", "ERP")
    assert [t.reference for t in store.children(erp)] == [child.reference]
    store.transition(erp, "resolved", "agent:marta")
    assert store.get(child.reference).status == "resolved"  # type: ignore[union-attr]
    with pytest.raises(LookupError):
        await outages.join(erp, draft("el ERP sigue sin cargar"))


async def test_banner_lists_active_major_incidents_without_their_text(store: TicketStore) -> None:
    outages = StoreOutages(store, TicketServiceAdapter(store), THRESHOLD, banner_seconds=0)
    assert await outages.banner() == []
    file_alert(store, "disk 91% on db01", "internal host db01.corp", service="db", major=False)
    major = file_alert(store, "ERP is down", "erp01.corp.internal unreachable", service="ERP")
    rows = await outages.banner()
    assert [(r["reference"], r["service"]) for r in rows] == [(major, "ERP")]
    assert "corp" not in repr(rows) and "down" not in repr(rows)


def test_the_glossary_unifies_the_three_languages() -> None:
    m = TextMatcher()
    same = {m.normalize(t) for t in ("El ERP no carga", "o ERP está fora do ar", "ERP is down")}
    assert same == {"erp down"}
    assert m.mentions("el ERP no carga", ["erp"]) and not m.mentions("ERPNext no carga", ["erp"])


async def test_aliases_come_from_the_label_lines_the_receivers_write(store: TicketStore,
                                                                    outages: StoreOutages) -> None:
    ref = file_alert(store, "Payroll API returns 503", "5xx ratio above 20%\n\nLabels:\n  alertname=Api5xx\n"
                     "  instance=pay01:9100\n  job=nominas\n  service=payroll-api", service="payroll-api")
    found = await outages.match("las nominas no cargan", "es", None)
    assert found is not None and found.reference == ref
    assert await outages.match("pay01 no carga", "es", None) is None  # a host name is not a service alias


def test_timezone_and_threshold_settings_are_validated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ATENDE_TIMEZONE", "Mars/Olympus_Mons")
    monkeypatch.setenv("ATENDE_OUTAGE_MATCH_THRESHOLD", "1.5")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "ATENDE_TIMEZONE" in str(err.value) and "ATENDE_OUTAGE_MATCH_THRESHOLD" in str(err.value)
    monkeypatch.setenv("ATENDE_TIMEZONE", "America/Sao_Paulo")
    monkeypatch.setenv("ATENDE_OUTAGE_MATCH_THRESHOLD", "0.4")
    settings = load_settings()
    assert (settings.timezone, settings.outage_match_threshold) == ("America/Sao_Paulo", 0.4)


async def test_a_major_incident_dates_from_its_oldest_active_alert(tmp_path: Path) -> None:
    now = [datetime(2026, 12, 6, 8, 15, tzinfo=UTC)]
    with TicketStore.open(f"sqlite:///{tmp_path}/clock.db", clock=lambda: now[0]) as store:
        first = file_alert(store, "ERP API is down", "erp-api does not answer", service="ERP", major=False)
        now[0] += timedelta(minutes=20)
        major = file_alert(store, "Major incident: ERP", "Several alerts for ERP", service="ERP")
        store.link_parent(first, major, "agent:marta")
        outages = StoreOutages(store, TicketServiceAdapter(store), THRESHOLD, banner_seconds=0)
        found = await outages.match("el ERP no carga", "es", None)
        assert found is not None and found.reference == major
        assert found.since == datetime(2026, 12, 6, 8, 15, tzinfo=UTC)
        assert (await outages.banner())[0]["since"] == "2026-12-06T08:15:00+00:00"
