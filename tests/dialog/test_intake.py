"""The intake conversation end to end: description, classification, questions, articles, ticket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.dialog.conftest import START, Desk
from tests.dialog.transcript import contains, converse, press

TIME_OPTIONS = ["ans:since:today", "ans:since:yesterday", "ans:since:this_week", "ans:since:earlier"]


async def test_es_ticket_with_questions_and_inferred_answers(desk: Desk) -> None:
    await converse(desk, [
        ("user", "hola, mi cuenta está bloqueada y no puedo entrar"),
        ("bot", contains("¡Hola, Ana!")),
        # access: "bloqueada" answers what happens, "mi cuenta" says it is one person; the system is asked.
        ("bot", contains("¿A qué sistema o aplicación no puedes acceder")),
        ("user", "el portal de nóminas"),
        ("bot", contains("¿Puedes seguir trabajando")),
        ("user", "no, estoy bloqueado"),
        ("bot", contains("He creado el ticket INC-000001", "Accesos y cuentas", "Prioridad: P3 (moderada)",
                         "Resolución prevista: 27/11/2026 09:00 UTC", "24 horas", ticket=True,
                         kind="ticket")),
    ])
    ticket = desk.last()
    assert (ticket.reference, ticket.status, ticket.priority, ticket.type) == ("INC-000001", "new", "P3",
                                                                               "incident")
    assert (ticket.category, ticket.impact, ticket.urgency) == ("access", "individual", "high")
    assert ticket.resolution_due == START + timedelta(hours=24)
    assert ticket.language == "es"
    assert ticket.answers == {"problem": "locked", "impact": "individual", "system": "el portal de nóminas",
                              "urgency": "high"}
    assert ticket.title == ("Accesos y cuentas: Mi cuenta está bloqueada y no puedo entrar "
                            "(el portal de nóminas)")
    assert ticket.description == "hola, mi cuenta está bloqueada y no puedo entrar"
    assert ticket.classification is not None and ticket.classification["model_version"] == "keyword-standin-1"
    assert ticket.classification["category"]["label"] == "access"
    assert ticket.conversation_key == "web:u1" and ticket.channel == "web"
    assert ticket.requester.display_name == "Ana"
    said = [text for direction, text in desk.transcript() if direction == "in"]
    assert said == ["hola, mi cuenta está bloqueada y no puedo entrar", "el portal de nóminas",
                    "no, estoy bloqueado"]
    assert any("¿Puedes seguir trabajando" in text for way, text in desk.transcript() if way == "out")
    outbound = desk.outbound()
    assert outbound and "INC-000001" in outbound[0]
    assert desk.kb.events == []  # no article matched: straight to the ticket


PT_SELF_SERVICE: list[tuple[str, Any]] = [
    ("user", "Olá, esqueci minha senha do sistema"),
    ("bot", contains("Olá, Ana!")),
    ("bot", contains("Qual sistema ou aplicativo")),
    ("user", "o SAP"),
    ("bot", contains("Você consegue continuar trabalhando")),
    ("user", "sim, pode esperar"),
    ("bot", contains("Este artigo pode resolver", "**Redefinir a sua senha**",
                     "portal de autoatendimento")),
    ("bot", contains("Isso resolveu o seu problema?", options=["kb:yes:1", "kb:no"])),
    ("user", "sim, funcionou"),
    ("bot", contains("que bom que resolveu", "INC-000001", ticket=True)),
]


async def test_pt_deflection_yes_records_self_service(desk: Desk) -> None:
    await converse(desk, PT_SELF_SERVICE)
    ticket = desk.last()
    assert ticket.status == "self_service_resolved" and ticket.resolution_due is None
    assert ticket.kb_article_id == "kb-password-reset-pt"
    linked = desk.tickets.events(ticket.reference)
    assert [e.payload for e in linked if e.kind == "kb_linked"] == [
        {"article_id": "kb-password-reset-pt", "solved": True}]
    assert desk.kb.events == [("kb-password-reset-pt", "shown", "web:u1"),
                              ("kb-password-reset-pt", "accepted", "web:u1")]
    state = await desk.state()
    assert state is not None and state["stage"] == "start" and state["draft"] is None
    assert state["active_ticket"] is None  # nothing left open to add messages to


async def test_en_deflection_no_opens_ticket_and_rejects_articles(desk: Desk) -> None:
    await converse(desk, [
        ("user", "My printer shows offline and will not print"),
        ("bot", contains("Hello, Ana!")),
        # printing: what happens (offline) and who is affected ("my printer") are inferred.
        ("bot", contains("Which printer is it, or where is it")),
        ("user", "the HP by the kitchen"),
        ("bot", contains("Can you keep working")),
        ("user", "it can wait"),
        ("bot", contains("**Printer shows offline**", "Turn the printer off and on")),
        ("bot", contains("Did this solve your problem?")),
        ("user", "no, I still need help"),
        ("bot", contains("I've created ticket INC-000001 (Printing and scanning)", "Priority: P5 (planning)",
                         "Target resolution: 12/06/2026 09:00 UTC", "10 days")),
    ])
    ticket = desk.last()
    assert ticket.answers == {"symptom": "not_printing", "impact": "individual",
                              "printer": "the HP by the kitchen", "urgency": "low"}
    assert ticket.title == ("Printing and scanning: My printer shows offline and will not print "
                            "(the HP by the kitchen)")
    assert ticket.status == "new" and ticket.kb_article_id is None
    assert ("kb-printer-en", "rejected", "web:u1") in desk.kb.events


async def test_several_articles_only_the_delivered_one_can_be_accepted(make_engine) -> None:  # type: ignore[no-untyped-def]
    from atende.adapters.standins import DEMO_ARTICLES, KeywordArticle

    extra = KeywordArticle("kb-vpn-mfa-en", "VPN asks for a code", "en", "Approve the push in your app.",
                           ("vpn",), "network")
    desk = make_engine(articles=[*DEMO_ARTICLES, extra])
    await converse(desk, [
        ("user", "The VPN disconnects all the time since yesterday, urgent, whole company affected"),
        ("bot", contains("Which VPN client")),
        ("user", "not sure"),
        # The best article with its content, then the other match as a link (its content is not shown).
        ("bot", contains("**Connecting to the VPN**", "Restart the VPN client",
                         "Other articles that may help:")),
        ("bot", contains("Did this solve your problem?", options=["kb:yes:1", "kb:no"])),
        ("user", "yes"),
        ("bot", contains("glad it's solved")),
    ])
    assert desk.last().status == "self_service_resolved"
    shown = [e[0] for e in desk.kb.events if e[1] == "shown"]
    accepted = [e[0] for e in desk.kb.events if e[1] == "accepted"]
    assert shown == accepted == [desk.last().kb_article_id]  # only the delivered article counts
    assert "kb-vpn-mfa-en" not in shown


async def test_es_everything_in_the_description_asks_only_what_is_missing(desk: Desk) -> None:
    await converse(desk, [
        ("user", "Nadie puede acceder a la VPN con GlobalProtect desde ayer, es urgente"),
        ("bot", contains("**Conectarse a la VPN**")),
        ("user", "no"),
        ("bot", contains("INC-000001", "Prioridad: P1 (crítica)", "4 horas")),
    ])
    ticket = desk.last()
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("organization", "high", "P1")
    assert ticket.answers["connection"] == "vpn" and ticket.answers["vpn_client"] == "globalprotect"


async def test_low_confidence_asks_one_clarifying_question_es(desk: Desk) -> None:
    await converse(desk, [
        ("user", "tengo una consulta sobre algo raro que me pasa"),
        ("bot", contains("¿cuál de estas opciones lo describe mejor?",
                         options=["cat:printing", "cat:security", "cat:outage", "cat:other"])),
        ("user", "banana"),
        ("bot", contains("Elige una de las opciones")),
        ("bot", contains("¿cuál de estas opciones")),
        ("user", press("cat:other")),
        ("bot", contains("¿A quién afecta esto?")),  # other: only the common questions
    ])
    state = await desk.state()
    assert state is not None
    assert state["draft"]["category"] == "other" and state["draft"]["category_source"] == "fallback"


async def test_low_confidence_answered_by_number_pt_and_by_words_en(make_engine) -> None:  # type: ignore[no-untyped-def]
    desk = make_engine()
    await converse(desk, [
        ("user", "aconteceu uma coisa estranha comigo hoje"),
        ("bot", contains("qual destas opções descreve melhor?")),
        ("user", "2"),
        ("bot", contains("O que aconteceu?")),  # security's first question
    ])
    state = await desk.state()
    assert state is not None and state["draft"]["category"] == "security"
    desk = make_engine()
    await converse(desk, [
        ("user", "something odd is going on with a thing"),
        ("bot", contains("which of these describes it best?")),
        ("user", "network and vpn"),
        ("bot", contains("What kind of connection is it?")),
    ])


async def test_free_phrases_are_kept_and_only_impact_and_urgency_ask_once_more(desk: Desk) -> None:
    await converse(desk, [
        ("user", "Excel is very slow since the last update"),
        ("bot", contains("Who is affected")),
        ("user", "the cat"),
        ("bot", contains("Please choose one of the options")),
        ("user", "the cat again"),  # kept as given, never a third time
        ("bot", contains("Can you keep working")),
        ("user", "2"),
        ("bot", contains("I've created ticket")),
    ])
    ticket = desk.last()
    assert ticket.answers["impact"] == "the cat again" and ticket.impact == "individual"
    assert ticket.answers["application"] == "excel" and ticket.answers["symptom"] == "slow"


async def test_short_description_asks_for_more_detail_once(desk: Desk) -> None:
    await converse(desk, [
        ("user", "printer"),
        ("bot", contains("Could you give me a little more detail?")),
        ("user", "it prints blank pages"),
        ("bot", contains("Which printer is it")),
    ])
    state = await desk.state()
    assert state is not None and state["draft"]["description"] == "printer\nit prints blank pages"


async def test_greeting_only_then_description(desk: Desk) -> None:
    await converse(desk, [
        ("user", "Buenos días"),
        ("bot", contains("¡Hola, Ana!", "Cuéntame brevemente")),
        ("user", "gracias"),
        ("bot", contains("¡De nada!")),
        ("user", "el monitor parpadea todo el rato"),
        ("bot", contains("¿Qué le pasa?")),  # hardware: the device (monitor) is inferred
    ])


async def test_free_text_after_articles_counts_as_not_solved_and_is_kept(desk: Desk) -> None:
    await converse(desk, [
        ("user", "A VPN cai toda hora desde ontem, urgente"),
        ("bot", contains("Qual cliente de VPN")),
        ("user", "não sei"),
        ("bot", contains("Quem é afetado")),
        ("user", "minha equipe"),
        ("bot", contains("**Conectar à VPN**")),
        ("user", "já reiniciei o cliente e continua caindo"),
        ("bot", contains("Abri o chamado INC-000001", "P2")),
    ])
    assert desk.last().description.endswith("já reiniciei o cliente e continua caindo")
    assert desk.last().answers["vpn_client"] == "unknown"
    assert ("kb-vpn-pt", "rejected", "web:u1") in desk.kb.events


async def test_reopening_a_self_service_report_counts_against_the_article(desk: Desk) -> None:
    await converse(desk, PT_SELF_SERVICE)
    ref = desk.last().reference
    await converse(desk, [("user", f"reabrir {ref}"), ("bot", contains(ref))])
    assert desk.ticket(ref).status == "open"
    assert desk.kb.events[-1] == ("kb-password-reset-pt", "reopened", "web:u1")
