"""Commands in natural words and as /commands, in the three languages, in the middle of a report too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from dialog.messages import Identity
from tests.dialog.conftest import Desk
from tests.dialog.transcript import contains, converse, press

# A short e-mail report that ends in a ticket (no article matches "correo"): what happens and where are in
# the description, so only impact and urgency are asked.
FILE_ES = [
    ("user", "no me llegan los correos en el móvil desde esta mañana"),
    ("bot", contains("¿A quién afecta esto?")),
    ("user", "solo a mí"),
    ("user", "sí, puede esperar"),
    ("bot", contains("He creado el ticket INC-000001")),
]


async def test_help_in_three_languages_and_mid_question(desk: Desk) -> None:
    await converse(desk, [
        ("user", "ayuda"),
        ("bot", contains("Puedo ayudarte con", "\"estado\"", options=["cmd:new", "cmd:status", "cmd:human"])),
        ("user", "/ajuda"),
        ("bot", contains("Puedo ayudarte")),  # the language was not switched by a command
        ("user", "my e-mails keep bouncing in webmail"),
        ("bot", contains("Who is affected")),
        ("user", "help"),
        ("bot", contains("I can help you with:")),
        ("bot", contains("Who is affected", options=["ans:impact:individual", "ans:impact:team",
                                                     "ans:impact:organization"])),  # asked again
        ("user", press("cmd:help")),
        ("bot", contains("I can help you with:")),
    ])


async def test_status_lists_only_my_open_tickets(desk: Desk) -> None:
    await converse(desk, [*FILE_ES, ("user", "/estado"),
                          ("bot", contains("Tus tickets abiertos:", "INC-000001", "nuevo", "P5"))])
    other = Identity("web", "u2", "Bea")
    await converse(desk, [
        ("user", "status"),
        ("bot", contains("You have no open tickets.")),
        ("user", "status INC-000001"),
        ("bot", contains("I couldn't find ticket INC-000001 among your tickets.")),
    ], sender=other)
    await converse(desk, [("user", "meus chamados"),
                          ("bot", contains("Tus tickets abiertos:", "INC-000001"))])


async def test_new_discards_the_draft_and_starts_over(desk: Desk) -> None:
    await converse(desk, [
        ("user", "mi impresora imprime manchas negras"),
        ("bot", contains("¿Qué impresora es")),
        ("user", "nuevo"),
        ("bot", contains("empecemos un nuevo reporte")),
        ("user", "necesito una licencia de Visio"),
        ("bot", contains("¿Para cuándo lo necesitas?")),  # a request: request questions
    ])
    state = await desk.state()
    assert state is not None and state["draft"]["description"] == "necesito una licencia de Visio"
    assert state["draft"]["category"] == "software" and state["draft"]["type"] == "request"


async def test_new_after_a_ticket_files_a_second_one(desk: Desk) -> None:
    await converse(desk, [
        *FILE_ES,
        ("user", press("cmd:new")),
        ("bot", contains("Describe el problema")),
        ("user", "el monitor parpadea todo el tiempo"),
        ("bot", contains("¿Qué le pasa?")),
    ])
    assert len(desk.all()) == 1 and desk.messages() == []


async def test_cancel_mid_report_and_with_nothing_in_progress(desk: Desk) -> None:
    await converse(desk, [
        ("user", "a VPN não conecta de casa"),
        ("bot", contains("Qual cliente de VPN")),
        ("user", "cancelar"),
        ("bot", contains("cancelei este chamado")),
        ("user", "cancelar"),
        ("bot", contains("Não há nada em andamento")),
    ])
    state = await desk.state()
    assert state is not None and state["draft"] is None and state["stage"] == "start"
    assert desk.all() == []


async def test_close_by_reference_by_choice_foreign_and_twice(desk: Desk) -> None:
    await converse(desk, [
        *FILE_ES,
        ("user", "cerrar"),
        ("bot", contains("¿Qué ticket quieres cerrar?", options=["close:INC-000001"])),
        ("user", press("close:INC-000001")),
        ("bot", contains("El ticket INC-000001 está cerrado.")),
        ("user", "cerrar INC-000001"),
        ("bot", contains("ya está cerrado")),
        ("user", "cerrar"),
        ("bot", contains("No tienes tickets abiertos para cerrar.")),
    ])
    assert desk.last().status == "closed"
    state = await desk.state()
    assert state is not None and state["active_ticket"] is None


async def test_close_someone_elses_ticket_is_not_found(desk: Desk) -> None:
    await converse(desk, FILE_ES)
    await converse(desk, [("user", "close INC-000001"),
                          ("bot", contains("I couldn't find ticket INC-000001"))],
                   sender=Identity("web", "intruder"))
    assert desk.last().status == "new" and desk.events(kind="status_changed") == []


async def test_human_with_an_open_ticket_flags_it(desk: Desk) -> None:
    await converse(desk, [*FILE_ES, ("user", "quiero hablar con un humano"),
                          ("bot", contains("He pedido a una persona del equipo", "INC-000001"))])
    assert desk.last().needs_human


async def test_human_mid_report_files_what_is_known(desk: Desk) -> None:
    await converse(desk, [
        ("user", "a impressora do escritório não imprime"),
        ("bot", contains("Qual é a impressora ou onde ela fica")),
        ("user", "falar com atendente"),
        ("bot", contains("Abri o chamado INC-000001", "Pedi a uma pessoa da equipe")),
    ])
    ticket = desk.last()
    assert ticket.needs_human and ticket.category == "printing"
    assert (ticket.impact, ticket.urgency) == ("individual", "medium")  # safe defaults


async def test_human_without_anything_asks_what_it_is_about(desk: Desk) -> None:
    await converse(desk, [
        ("user", "/human"),
        ("bot", contains("Tell me in a sentence what it is about")),
        ("user", "I have a problem with my laptop, the screen is black"),
        ("bot", contains("I've created ticket", "I've asked a person from the team")),
    ])
    ticket = desk.last()
    assert ticket.needs_human and ticket.category == "hardware"
    assert ticket.title == "Hardware and devices: My laptop, the screen is black"
    assert ticket.answers == {}  # no questions asked of someone who wants a person


async def test_unknown_slash_command_and_start(desk: Desk) -> None:
    await converse(desk, [
        ("user", "/start"),
        ("bot", contains("Hello, Ana!", "Tell me briefly")),
        ("user", "/frobnicate"),
        ("bot", contains("I don't know that command")),
        ("user", "/help@AtendeBot"),
        ("bot", contains("I can help you with")),
    ])


async def test_reopen_by_command(desk: Desk) -> None:
    await converse(desk, FILE_ES)
    desk.set_status("INC-000001", "resolved")
    await converse(desk, [("user", "reabrir INC-000001"), ("bot", contains("He reabierto INC-000001"))])
    assert desk.last().status == "open"


async def test_reopen_an_open_ticket_changes_nothing_and_shows_it(desk: Desk) -> None:
    await converse(desk, FILE_ES)
    desk.set_status("INC-000001", "in_progress")  # an agent is on it: "reopen" must not hand it back
    await converse(desk, [("user", "reabrir INC-000001"),
                          ("bot", contains("INC-000001", "en curso"))])
    assert desk.last().status == "in_progress"
    assert [e.actor for e in desk.events(kind="status_changed")] == ["agent:alice"]


async def test_reopen_after_the_ticket_was_closed_says_so(desk: Desk) -> None:
    await converse(desk, FILE_ES)
    desk.set_status("INC-000001", "resolved")
    desk.clock.advance(timedelta(days=4))
    assert desk.tickets.auto_close() == ["INC-000001"]
    await converse(desk, [("user", "reabrir INC-000001"),
                          ("bot", contains("El ticket INC-000001 ya está cerrado."))])
    assert desk.last().status == "closed"


async def test_commands_do_not_fire_inside_descriptions(make_engine: Callable[..., Desk]) -> None:
    desk = make_engine()
    await converse(desk, [
        ("user", "I cannot close the Excel window, it shows a new error"),
        ("bot", contains("What does the error say?")),
    ])
