"""The intake conversation end to end: description, classification, questions, articles, ticket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from tests.dialog.conftest import START, Desk
from tests.dialog.transcript import contains, converse, press

TIME_OPTIONS = ["ans:since:today", "ans:since:yesterday", "ans:since:this_week", "ans:since:earlier"]


async def test_es_ticket_with_questions_and_inferred_answers(desk: Desk) -> None:
    await converse(desk, [
        ("user", "hola, no puedo entrar al correo"),
        ("bot", contains("¡Hola, Ana!")),
        # it_support: the system (e-mail) is plain in the description, so it is not asked.
        ("bot", contains("¿Ves algún mensaje de error?", options=["ans:error_message:skip"])),
        ("user", "no"),
        ("bot", contains("¿Desde cuándo ocurre?", options=TIME_OPTIONS)),
        ("user", "desde ayer"),
        ("bot", contains("¿A quién afecta esto?")),
        ("user", "mi equipo"),
        ("bot", contains("¿Puedes seguir trabajando")),
        ("user", "no, estoy bloqueado"),
        ("bot", contains("He creado el ticket INC-000001", "Soporte de TI", "Prioridad: P2 (alta)",
                         "Resolución prevista: 26/11/2026 17:00 UTC", "8 horas", ticket=True, kind="ticket")),
    ])
    ticket = desk.last()
    assert (ticket.reference, ticket.status, ticket.priority) == ("INC-000001", "new", "P2")
    assert (ticket.category, ticket.impact, ticket.urgency) == ("it_support", "team", "high")
    assert ticket.resolution_due == START + timedelta(hours=8)
    assert ticket.language == "es"
    assert ticket.answers["system"] == "email"
    assert ticket.answers["error_message"] == "skipped"
    assert ticket.answers["since"] == "2026-11-25"
    assert ticket.title == "hola, no puedo entrar al correo"
    assert ticket.classification is not None and ticket.classification["model_version"] == "keyword-standin-1"
    assert ticket.classification["category"]["label"] == "it_support"
    assert ticket.conversation_key == "web:u1" and ticket.channel == "web"
    assert ticket.requester.display_name == "Ana"
    said = [text for direction, text in desk.transcript() if direction == "in"]
    assert said == ["hola, no puedo entrar al correo", "no", "desde ayer", "mi equipo", "no, estoy bloqueado"]
    assert any("¿A quién afecta" in text for direction, text in desk.transcript() if direction == "out")
    outbound = desk.outbound()
    assert outbound and "INC-000001" in outbound[0]
    assert desk.kb.events == []  # no article matched: straight to the ticket


PT_SELF_SERVICE: list[tuple[str, Any]] = [
    ("user", "Olá, esqueci minha senha do sistema"),
    ("bot", contains("Olá, Ana!")),
    ("bot", contains("Aparece alguma mensagem de erro?")),
    ("user", "pular"),
    ("bot", contains("Desde quando isso acontece?")),
    ("user", "hoje"),
    ("bot", contains("Quem é afetado por isso?")),
    ("user", "só eu"),
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
        # technical_support: the device (a printer) is inferred.
        ("bot", contains("Do you see an error message?")),
        ("user", press("ans:error_message:skip")),
        ("bot", contains("Since when is this happening?")),
        ("user", "3 days ago"),
        ("bot", contains("Did it work correctly before?",
                         options=["ans:worked_before:yes", "ans:worked_before:no"])),
        ("user", "yes"),
        ("bot", contains("Who is affected by this?")),
        ("user", "just me"),
        ("bot", contains("Can you keep working")),
        ("user", "it can wait"),
        ("bot", contains("**Printer shows offline**", "Turn the printer off and on")),
        ("bot", contains("Did this solve your problem?")),
        ("user", "no, I still need help"),
        ("bot", contains("I've created ticket INC-000001 (Technical support)", "Priority: P5 (planning)",
                         "Target resolution: 12/06/2026 09:00 UTC", "10 days")),
    ])
    ticket = desk.last()
    assert ticket.answers == {"device": "peripheral", "error_message": "skipped", "since": "2026-11-23",
                              "worked_before": "yes", "impact": "individual", "urgency": "low"}
    assert ticket.status == "new" and ticket.kb_article_id is None
    assert ("kb-printer-en", "rejected", "web:u1") in desk.kb.events


async def test_several_articles_only_the_delivered_one_can_be_accepted(make_engine) -> None:  # type: ignore[no-untyped-def]
    from atende.standins import DEMO_ARTICLES, KeywordArticle

    extra = KeywordArticle("kb-vpn-mfa-en", "VPN asks for a code", "en", "Approve the push in your app.",
                           ("vpn",), "it_support")
    desk = make_engine(articles=[*DEMO_ARTICLES, extra])
    await converse(desk, [
        ("user", "The VPN disconnects all the time since yesterday, urgent, whole company affected"),
        ("bot", contains("Do you see an error message?")),
        ("user", "skip"),
        # The best article with its content, then the other match as a link (its content is not shown).
        ("bot", contains("**Connecting to the VPN**", "Restart the VPN client",
                         "Other articles that may help:", "- VPN asks for a code")),
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
        ("user", "Nadie puede acceder a la VPN desde ayer, es urgente"),
        ("bot", contains("¿Ves algún mensaje de error?")),
        ("user", "Error 809: la conexión remota no respondió"),
        ("bot", contains("**Conectarse a la VPN**")),
        ("user", "no"),
        ("bot", contains("INC-000001", "Prioridad: P1 (crítica)", "4 horas")),
    ])
    ticket = desk.last()
    assert (ticket.impact, ticket.urgency, ticket.priority) == ("organization", "high", "P1")
    assert ticket.answers["system"] == "network" and ticket.answers["since"] == "2026-11-25"
    assert ticket.answers["error_message"] == "Error 809: la conexión remota no respondió"


async def test_low_confidence_asks_one_clarifying_question_es(desk: Desk) -> None:
    await converse(desk, [
        ("user", "tengo una consulta sobre algo raro que me pasa"),
        ("bot", contains("¿cuál de estas opciones lo describe mejor?",
                         options=["cat:technical_support", "cat:it_support", "cat:product_support",
                                  "cat:other"])),
        ("user", "banana"),
        ("bot", contains("Elige una de las opciones")),
        ("bot", contains("¿cuál de estas opciones")),
        ("user", press("cat:other")),
        ("bot", contains("¿Hay algo más que debamos saber")),
    ])
    state = await desk.state()
    assert state is not None
    assert state["draft"]["category"] == "general_inquiry" and state["draft"]["category_source"] == "fallback"


async def test_low_confidence_answered_by_number_pt_and_by_words_en(make_engine) -> None:  # type: ignore[no-untyped-def]
    desk = make_engine()
    await converse(desk, [
        ("user", "aconteceu uma coisa estranha comigo hoje"),
        ("bot", contains("qual destas opções descreve melhor?")),
        ("user", "2"),
        ("bot", contains("Do que se trata?")),  # it_support's first question
    ])
    state = await desk.state()
    assert state is not None and state["draft"]["category"] == "it_support"
    desk = make_engine()
    await converse(desk, [
        ("user", "something odd is going on with a thing"),
        ("bot", contains("which of these describes it best?")),
        ("user", "product support"),
        ("bot", contains("Which product or application")),
    ])


async def test_invalid_answers_get_a_hint_then_move_on(desk: Desk) -> None:
    await converse(desk, [
        ("user", "my laptop is very slow when I open big files"),
        ("bot", contains("Do you see an error message?")),
        ("user", "no"),
        ("bot", contains("Since when")),
        ("user", "purple"),
        ("bot", contains("Please tell me when it started", "11/26")),
        ("bot", contains("Since when")),
        ("user", "2026-12-25"),  # in the future
        ("bot", contains("Please tell me when it started")),
        ("user", "whenever"),
        ("bot", contains("No problem, let's move on.")),
        ("bot", contains("Did it work correctly before?")),
        ("user", "maybe"),
        ("bot", contains("Please answer yes or no.")),
        ("user", "👍"),
        ("bot", contains("Who is affected")),
        ("user", "the cat"),
        ("bot", contains("Please choose one of the options")),
        ("user", "2"),
        ("bot", contains("Can you keep working")),
    ])
    state = await desk.state()
    assert state is not None
    assert state["draft"]["answers"]["since"] == "unknown"
    assert state["draft"]["answers"]["worked_before"] == "yes"
    assert state["draft"]["answers"]["impact"] == "team"


async def test_short_description_asks_for_more_detail_once(desk: Desk) -> None:
    await converse(desk, [
        ("user", "printer"),
        ("bot", contains("Could you give me a little more detail?")),
        ("user", "it prints blank pages"),
        ("bot", contains("Do you see an error message?")),
    ])
    state = await desk.state()
    assert state is not None and state["draft"]["description"] == "printer\nit prints blank pages"


async def test_greeting_only_then_description(desk: Desk) -> None:
    await converse(desk, [
        ("user", "Buenos días"),
        ("bot", contains("¡Hola, Ana!", "Cuéntame brevemente")),
        ("user", "gracias"),
        ("bot", contains("¡De nada!")),
        ("user", "mi nómina de este mes no llegó"),
        ("bot", contains("¿Es un asunto confidencial?")),  # human_resources: topic payroll inferred
    ])


async def test_free_text_after_articles_counts_as_not_solved_and_is_kept(desk: Desk) -> None:
    await converse(desk, [
        ("user", "A VPN cai toda hora desde ontem, urgente"),
        ("bot", contains("Aparece alguma mensagem de erro?")),
        ("user", "não"),
        ("bot", contains("Quem é afetado")),
        ("user", "minha equipe"),
        ("bot", contains("**Conectar à VPN**")),
        ("user", "já reiniciei o cliente e continua caindo"),
        ("bot", contains("Abri o chamado INC-000001", "P2")),
    ])
    assert desk.last().description.endswith("já reiniciei o cliente e continua caindo")
    assert ("kb-vpn-pt", "rejected", "web:u1") in desk.kb.events


async def test_reopening_a_self_service_report_counts_against_the_article(desk: Desk) -> None:
    await converse(desk, PT_SELF_SERVICE)
    ref = desk.last().reference
    await converse(desk, [("user", f"reabrir {ref}"), ("bot", contains(ref))])
    assert desk.ticket(ref).status == "open"
    assert desk.kb.events[-1] == ("kb-password-reset-pt", "reopened", "web:u1")
