"""Agents' events pushed to the user (in the user's language) and the CSAT survey after resolution."""

from __future__ import annotations

from collections.abc import Callable

from dialog.ports import TicketEvent
from tests.dialog.conftest import Desk
from tests.dialog.test_commands import FILE_ES
from tests.dialog.transcript import contains, converse, press

FILE_PT = [
    ("user", "meu notebook não liga desde ontem"),  # device, symptom and who are in the description
    ("user", "não, estou parado"),
    ("bot", contains("Abri o chamado INC-000001")),
]
CSAT_OPTIONS = ["csat:1", "csat:2", "csat:3", "csat:4", "csat:5", "csat:reopen"]


def resolved(note: str | None = None) -> Callable[[Desk], TicketEvent]:
    """The agent resolves the last ticket in the ticket core, which then notifies the conversation."""
    def event(desk: Desk) -> TicketEvent:
        ref = desk.last().reference
        desk.set_status(ref, "resolved")
        return TicketEvent("resolved", ref, text=note)
    return event


def pending_user(desk: Desk) -> TicketEvent:
    """The agent asks the requester something: the ticket waits for them."""
    desk.set_status("INC-000001", "open")
    desk.set_status("INC-000001", "pending_user")
    return TicketEvent("status_changed", "INC-000001", status="pending_user")


async def test_csat_rating_and_comment_pt(desk: Desk) -> None:
    await converse(desk, [
        *FILE_PT,
        ("notify", resolved("Trocamos a fonte do notebook.")),
        ("bot", contains("Seu chamado INC-000001 foi resolvido.", "Trocamos a fonte", kind="notice")),
        ("bot", contains("Qual o seu grau de satisfação", options=CSAT_OPTIONS, kind="csat")),
        ("user", "5"),
        ("bot", contains("Quer deixar um comentário?", options=["csat:skip"])),
        ("user", "Muito rápido, obrigado!"),
        ("bot", contains("Obrigado pela sua avaliação!")),
        ("user", "obrigado"),
        ("bot", contains("De nada!")),
    ])
    assert desk.csat() == [(5, None), (5, "Muito rápido, obrigado!")]
    ticket = desk.last()
    assert (ticket.csat_score, ticket.csat_comment) == (5, "Muito rápido, obrigado!")


async def test_csat_by_button_and_skip_comment_es(desk: Desk) -> None:
    await converse(desk, [
        *FILE_ES,
        ("notify", resolved()),
        ("bot", contains("Tu ticket INC-000001 ha sido resuelto.")),
        ("user", press("csat:4")),
        ("bot", contains("¿Quieres añadir un comentario?")),
        ("user", press("csat:skip")),
        ("bot", contains("¡Gracias por tu opinión!")),
        ("user", press("csat:2")),  # an old button: no longer pending
        ("bot", contains("Esa pregunta ya fue respondida")),
    ])
    assert desk.csat() == [(4, None)]


async def test_csat_invalid_rating_gets_a_hint_then_words_work_en(desk: Desk) -> None:
    await converse(desk, [
        ("user", "my laptop screen flickers all the time"),
        ("user", "skip"),  # what happens: not sure
        ("user", "it can wait"),
        ("bot", contains("I've created ticket INC-000001")),
        ("notify", resolved()),
        ("user", "hmm"),
        ("bot", contains("Please answer with a number from 1 to 5.")),
        ("bot", contains("How satisfied are you", options=CSAT_OPTIONS)),
        ("user", "excellent"),
        ("bot", contains("Would you like to add a comment?")),
        ("user", "skip"),
        ("bot", contains("Thank you for your feedback!")),
    ])
    assert desk.csat() == [(5, None)]


async def test_csat_is_dropped_when_the_user_moves_on(desk: Desk) -> None:
    await converse(desk, [
        *FILE_ES,
        ("notify", resolved()),
        ("user", "hola"),
        ("bot", contains("Responde con un número del 1 al 5")),
        ("user", "ahora la impresora imprime hojas en blanco"),
        ("bot", contains("¿Qué impresora es")),  # a new report, not a third CSAT prompt
    ])
    assert desk.csat() == []


async def test_csat_not_solved_reopens_the_ticket(desk: Desk) -> None:
    await converse(desk, [
        *FILE_ES,
        ("notify", resolved()),
        ("user", press("csat:reopen")),
        ("bot", contains("He reabierto INC-000001")),
        ("user", "sigue sin funcionar el correo"),
        ("bot", contains("Añadido a tu ticket INC-000001")),
    ])
    assert desk.last().status == "open" and desk.csat() == []


async def test_csat_resumes_a_report_in_progress_afterwards(desk: Desk) -> None:
    await converse(desk, [
        *FILE_ES,
        ("user", "nuevo"),
        ("user", "el monitor parpadea todo el tiempo"),
        ("bot", contains("¿Qué le pasa?")),
        ("notify", resolved()),
        ("user", "3"),
        ("user", "omitir"),
        ("bot", contains("¡Gracias por tu opinión!")),
        ("bot", contains("¿Qué le pasa?")),  # back to the open question
    ])
    assert desk.csat("INC-000001") == [(3, None)]


async def test_agent_reply_and_status_change_in_the_users_language(desk: Desk) -> None:
    await converse(desk, [
        *FILE_PT,
        ("notify", lambda d: TicketEvent("agent_reply", "INC-000001", text="Pode testar outra tomada?")),
        ("bot", contains("Resposta da central de atendimento sobre INC-000001:", "Pode testar outra tomada?",
                         ticket=True)),
        ("notify", pending_user),
        ("bot", contains("A equipe aguarda a sua resposta", ticket=True)),  # one message, not two
        ("user", "testei, continua sem ligar"),
        ("bot", contains("Adicionado ao seu chamado INC-000001")),
    ])
    assert desk.messages() == [("testei, continua sem ligar", [])]
    assert desk.last().status == "open"  # the answer puts the ticket back in the queue


async def test_notify_does_not_count_as_user_activity(desk: Desk) -> None:
    await converse(desk, FILE_ES)
    before = await desk.state()
    await desk.engine.notify("web:u1", TicketEvent("agent_reply", "INC-000001", text="Hola"))
    after = await desk.state()
    assert before is not None and after is not None and before["updated_at"] == after["updated_at"]


async def test_notify_for_an_unknown_conversation_answers_in_the_default_language(desk: Desk) -> None:
    event = TicketEvent("status_changed", "REQ-000007", status="in_progress")
    replies = await desk.engine.notify("telegram:999", event)
    assert [r.text for r in replies] == ["Your ticket REQ-000007 is now: in progress."]
