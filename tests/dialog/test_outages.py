"""Known outages (issue 12 §3): a report that matches an active major incident or alert ticket is offered it
before anything else; yes files it as a child (no questions), no continues the normal intake.

The engine runs with the real adapter (atende.adapters.outages.StoreOutages) on the real ticket store; the
outages are filed the way the alert receivers file them (channel "alert", a service, a major incident)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from atende.adapters.language import LinguaDetector
from atende.adapters.standins import KeywordClassifier
from dialog.engine import DialogEngine
from dialog.messages import Reply
from tests.dialog.conftest import AGENT, Desk
from tests.dialog.keywords import IT_KEYWORDS
from tests.dialog.transcript import contains, converse, press
from ticket_core.domain import NewTicket, RequesterIdentity

OFFER = ["outage:yes", "outage:no"]


def alert(desk: Desk, *, service: str | None = "ERP", title: str = "ERP is down",
          description: str = "The ERP application servers are not responding to health checks.",
          major: bool = True, category: str = "outage", at_minutes: float = -45) -> str:
    """An alert ticket filed ``at_minutes`` from the desk's clock (09:00 UTC, so 08:15 by default),
    declared a major incident unless ``major`` is False."""
    now = desk.clock.now
    desk.clock.now = now + timedelta(minutes=at_minutes)
    try:
        ticket = desk.tickets.create_ticket(NewTicket(
            title=title, description=description, category=category, type="incident", impact="organization",
            urgency="high", channel="alert", requester=RequesterIdentity("alert", "alertmanager"),
            service=service), f"alert:{title}:{at_minutes}")
        if major:
            desk.tickets.declare_major_incident(ticket.reference, actor=AGENT)
    finally:
        desk.clock.now = now
    return ticket.reference


def offers(replies: list[Reply]) -> list[Reply]:
    return [r for r in replies if [o.id for o in r.options] == OFFER]


async def test_es_yes_joins_the_outage_without_questions_and_the_parent_resolves_it(
        make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    parent = alert(desk)
    await converse(desk, [
        ("user", "el ERP no carga"),
        ("bot", contains("Sabemos de un problema con ERP desde las 08:15 (INC-000001)",
                         "¿Es esto lo que te ocurre?", options=OFFER)),
        ("user", "sí"),
        ("bot", contains("He añadido tu aviso a INC-000001 como INC-000002", "no te preguntaré nada más",
                         "Te avisaré", ticket=True, kind="ticket")),
    ])
    child = desk.ticket("INC-000002")
    assert child.parent_reference == parent
    assert (child.category, child.service, child.channel, child.language) == ("outage", "ERP", "web", "es")
    assert child.description == "el ERP no carga"
    assert child.answers == {}  # no diagnostic question was asked
    assert [text for way, text in desk.transcript("INC-000002") if way == "in"] == ["el ERP no carga", "sí"]
    state = await desk.state()
    assert state is not None and state["active_ticket"] == "INC-000002" and state["stage"] == "start"
    desk.set_status(parent, "resolved")
    assert desk.ticket("INC-000002").status == "resolved"


async def test_pt_no_continues_the_normal_intake_with_the_same_description(
        make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    alert(desk)
    conv = await converse(desk, [
        ("user", "o ERP está fora do ar"),
        ("bot", contains("Sabemos de um problema com ERP desde as 08:15 (INC-000001)",
                         "É isso que está acontecendo com você?", options=OFFER)),
        ("user", "não"),
        ("bot", contains("Entendido, é outra coisa.")),
    ])
    after = conv.last[1:]
    assert after and after[0].options, "the normal intake asks its next question at once"
    assert not any("descreva" in r.text.lower() for r in after)  # the description is not asked again
    state = await desk.state()
    assert state is not None and state["draft"]["description"] == "o ERP está fora do ar"
    assert state["draft"]["outage_offered"] is True and state["stage"] in ("clarify", "question")


async def test_en_typed_number_answers_the_offer_and_the_time_is_in_the_desk_time_zone(
        make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25, timezone="America/Sao_Paulo")
    alert(desk)
    await converse(desk, [
        ("user", "The ERP is down again, nobody can post invoices"),
        ("bot", contains("We know about a problem with ERP since 05:15 (INC-000001)", options=OFFER)),
        ("user", "1"),
        ("bot", contains("I've added your report to INC-000001 as INC-000002", ticket=True)),
    ])
    assert desk.ticket("INC-000002").parent_reference == "INC-000001"


async def test_an_outage_from_another_day_shows_its_date(make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    alert(desk, at_minutes=-(24 * 60 + 45))
    await converse(desk, [
        ("user", "el ERP no carga"),
        ("bot", contains("desde el 25/11 a las 08:15 (INC-000001)", options=OFFER)),
    ])


async def test_without_a_service_the_offer_names_the_title(make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    alert(desk, service=None, title="Mail server unreachable", category="email",
          description="The SMTP relay does not answer.")
    await converse(desk, [
        ("user", "el correo no funciona, no me llegan los emails"),
        ("bot", contains("Sabemos de un problema desde las 08:15 (INC-000001): Mail server unreachable",
                         options=OFFER)),
    ])


async def test_a_printer_jam_is_not_offered_the_erp_outage(make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    alert(desk)
    for text, who in (("la impresora del segundo piso se atascó", "u1"),
                      ("a impressora do segundo andar travou com papel", "u2"),
                      ("The printer on the 2nd floor is jammed", "u3")):
        conv = await converse(desk, [("user", text)], conversation=f"web:{who}")
        assert not offers(conv.last), conv.dump()


async def test_offered_once_per_report_and_the_answer_survives_a_restart(
        make_engine: Callable[..., Desk], detector: LinguaDetector) -> None:
    desk = make_engine(outages=0.25)
    alert(desk)
    conv = await converse(desk, [("user", "el ERP no carga"), ("bot", contains(options=OFFER))])
    # Another process (or a restart) answers: the pending offer is in the stored state.
    desk.engine = DialogEngine(KeywordClassifier(IT_KEYWORDS), desk.kb, desk.service, desk.store, detector,
                               desk.settings, clock=desk.clock, outages=desk.outages)
    conv = await converse(desk, [("user", "no"), ("bot", contains("Entendido, es otra cosa."))], conv=conv)
    conv = await converse(desk, [("user", "el ERP sigue sin cargar, error 500 en la pantalla de facturas")],
                          conv=conv)
    assert len([r for _, replies in conv.turns for r in offers(replies)]) == 1, conv.dump()


async def test_an_outage_resolved_before_the_yes_continues_the_normal_intake(
        make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    parent = alert(desk)
    await converse(desk, [("user", "el ERP no carga"), ("bot", contains(options=OFFER))])
    desk.set_status(parent, "resolved")
    conv = await converse(desk, [("user", press("outage:yes")),
                                 ("bot", contains("Ese problema se acaba de resolver"))])
    assert not any(r.ticket for r in conv.last)
    assert [t.reference for t in desk.all()] == [parent]


async def test_an_unclear_answer_is_asked_again_and_a_description_counts_as_no(
        make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    alert(desk)
    await converse(desk, [
        ("user", "el ERP no carga"),
        ("bot", contains(options=OFFER)),
        ("user", "quizás"),
        ("bot", contains("Responde sí o no")),
        ("bot", contains("Sabemos de un problema con ERP", options=OFFER)),
        ("user", "es la pantalla de facturas del ERP, que muestra un error raro"),
    ])
    state = await desk.state()
    assert state is not None and "pantalla de facturas" in state["draft"]["description"]
    assert state["stage"] != "outage"


async def test_without_the_port_nothing_is_offered(make_engine: Callable[..., Desk]) -> None:
    desk = make_engine()
    alert(desk)
    conv = await converse(desk, [("user", "el ERP no carga")])
    assert not offers(conv.last)


async def test_a_child_alert_stands_back_for_its_major_incident(make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    child = alert(desk, major=False, title="ERP API returns 503", at_minutes=-50)
    parent = alert(desk, major=False, title="ERP is down", at_minutes=-45)
    desk.tickets.declare_major_incident(parent, [child], actor=AGENT)
    await converse(desk, [
        ("user", "el ERP no carga, da error 503"),
        ("bot", contains(f"({parent})", options=OFFER)),
    ])


async def test_a_pending_offer_is_resumed_after_the_idle_timeout(make_engine: Callable[..., Desk]) -> None:
    desk = make_engine(outages=0.25)
    alert(desk)
    await converse(desk, [
        ("user", "el ERP no carga"),
        ("bot", contains(options=OFFER)),
        ("clock", timedelta(hours=1)),
        ("user", "perdona, ya estoy aquí"),
        ("bot", contains(has=["resume:continue"])),
        ("user", press("resume:continue")),
        ("bot", contains("Sabemos de un problema con ERP", options=OFFER)),
        ("user", "sí"),
        ("bot", contains("He añadido tu aviso a INC-000001 como INC-000002", ticket=True)),
    ])


@pytest.mark.parametrize(("report", "answer", "joined"), [
    ("el ERP no carga", "si", True),
    ("el ERP no carga", "Sí, es eso", True),
    ("o ERP está fora do ar", "sim", True),
    ("o ERP está fora do ar", "Sim, é isso", True),
    ("the ERP is down", "yes", True),
    ("the ERP is down", "1", True),
    ("el ERP no carga", "2", False),
    ("o ERP está fora do ar", "não", False),
    ("the ERP is down", "No, it's something else", False),
])
async def test_typed_answers_in_each_language(make_engine: Callable[..., Desk], report: str, answer: str,
                                              joined: bool) -> None:
    desk = make_engine(outages=0.25)
    alert(desk)
    conv = await converse(desk, [("user", report), ("bot", contains(options=OFFER)), ("user", answer)])
    assert any(r.ticket for r in conv.last) is joined, conv.dump()
    filed = [t.parent_reference for t in desk.all() if t.channel == "web"]
    assert filed == (["INC-000001"] if joined else [])  # "no": the intake goes on asking
