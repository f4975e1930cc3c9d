"""After the ticket: later messages, quoted references, the idle timeout (resume a draft, route a message)."""

from __future__ import annotations

from datetime import timedelta

from dialog.messages import Attachment, Identity
from tests.dialog.conftest import Desk
from tests.dialog.test_commands import FILE_ES
from tests.dialog.transcript import Say, contains, converse, press

LATER = timedelta(minutes=45)


async def test_later_messages_are_added_to_the_open_ticket(desk: Desk) -> None:
    shot = Attachment("screen.png", "image/png", 1200, "/data/att/screen.png")
    await converse(desk, [
        *FILE_ES,
        ("user", "gracias"),
        ("bot", contains("¡De nada!")),
        ("user", "ahora tampoco entro desde el móvil"),
        ("bot", contains("Añadido a tu ticket INC-000001", ticket=True)),
        ("user", Say(attachments=(shot,))),
        ("bot", contains("Añadido a tu ticket INC-000001")),
    ])
    assert desk.messages() == [("ahora tampoco entro desde el móvil", []), ("", ["screen.png"])]
    [stored] = desk.last().attachments
    assert (stored.name, stored.content_type, stored.size, stored.path) == (
        "screen.png", "image/png", 1200, "/data/att/screen.png")
    assert any("Añadido" in text for text in desk.outbound())


async def test_quoting_my_reference_from_another_conversation(desk: Desk) -> None:
    email = Identity("web", "u1", "Ana")
    await converse(desk, FILE_ES, sender=email)
    await converse(desk, [
        ("user", "Sobre INC-000001: ya reinicié el equipo y sigue igual"),
        ("bot", contains("Añadido a tu ticket INC-000001")),
    ], sender=email, conversation="web:u1:second-tab")
    assert desk.messages()[0][0].startswith("Sobre INC-000001")


async def test_a_ticket_filed_by_email_is_reachable_from_a_chat_with_the_same_verified_address(
        desk: Desk) -> None:
    by_mail = Identity("email", "ana@example.com", "Ana", email="ana@example.com")
    await converse(desk, FILE_ES, sender=by_mail)
    on_slack = Identity("slack", "U123", "Ana", email="ana@example.com")
    await converse(desk, [
        ("user", "/estado"),
        ("bot", contains("Tus tickets abiertos:", "INC-000001")),
        ("user", "Sobre INC-000001: ahora tampoco desde el portátil"),
        ("bot", contains("Añadido a tu ticket INC-000001")),
    ], sender=on_slack)
    assert desk.messages() == [("Sobre INC-000001: ahora tampoco desde el portátil", [])]
    await converse(desk, [("user", "status"), ("bot", contains("You have no open tickets."))],
                   sender=Identity("slack", "U999", "Eve"))


async def test_quoting_a_foreign_reference_is_not_found_and_not_added(desk: Desk) -> None:
    await converse(desk, FILE_ES)
    await converse(desk, [
        ("user", "Please add this to INC-000001, it is urgent"),
        ("bot", contains("I couldn't find ticket INC-000001 among your tickets.")),
    ], sender=Identity("web", "mallory"))
    assert desk.messages() == []


async def test_message_to_a_closed_ticket_starts_a_new_report(desk: Desk) -> None:
    await converse(desk, FILE_ES)
    desk.set_status("INC-000001", "closed")
    await converse(desk, [
        ("user", "ahora el teclado no responde"),
        ("bot", contains("El ticket INC-000001 ya no está abierto")),
        ("bot", contains("¿Qué le pasa?")),
    ])


async def test_idle_timeout_offers_resume_and_continue(desk: Desk) -> None:
    await converse(desk, [
        ("user", "my vpn drops every few minutes"),
        ("bot", contains("Which VPN client")),
        ("clock", LATER),
        ("user", "hello again"),
        ("bot", contains("Welcome back!", "my vpn drops every few minutes",
                         options=["resume:continue", "resume:restart"])),
        ("user", "continue"),
        ("bot", contains("pick up where we left off")),
        ("bot", contains("Which VPN client")),
        ("user", "AnyConnect on a Mac"),
        ("bot", contains("Who is affected")),
    ])


async def test_idle_timeout_start_over_uses_the_new_message(desk: Desk) -> None:
    await converse(desk, [
        ("user", "mi vpn se corta cada pocos minutos"),
        ("bot", contains("¿Qué cliente de VPN")),
        ("clock", LATER),
        ("user", "ahora es la impresora, imprime hojas en blanco"),
        ("bot", contains("¡Hola de nuevo!", "mi vpn se corta")),
        ("user", "empezar de nuevo"),
        ("bot", contains("¿Qué impresora es")),
    ])
    state = await desk.state()
    assert state is not None
    assert state["draft"]["description"] == "ahora es la impresora, imprime hojas en blanco"
    assert state["draft"]["answers"]["symptom"] == "quality"


async def test_idle_timeout_late_button_press_just_continues(desk: Desk) -> None:
    await converse(desk, [
        ("user", "o mouse do computador parou de funcionar"),
        ("bot", contains("O que acontece?")),
        ("clock", LATER),
        ("user", press("ans:symptom:not_detected")),
        ("bot", contains("Quem é afetado")),
    ])


async def test_idle_timeout_with_open_ticket_asks_where_a_message_goes(desk: Desk) -> None:
    await converse(desk, [
        *FILE_ES,
        ("clock", timedelta(days=2)),
        ("user", "el ratón tampoco funciona"),
        ("bot", contains("¿Es sobre tu ticket INC-000001 o es un problema nuevo?",
                         options=["route:ticket", "route:new"])),
        ("user", press("route:ticket")),
        ("bot", contains("Añadido a tu ticket INC-000001")),
        ("clock", timedelta(days=2)),
        ("user", "otra cosa: necesito permisos de acceso a la aplicación de finanzas"),
        ("bot", contains("¿Es sobre tu ticket INC-000001")),
        ("user", "es un problema nuevo"),
        ("bot", contains("¿Para cuándo lo necesitas?")),  # a request for access: request questions
    ])
    assert desk.ticket("INC-000001").status == "new"
    assert desk.messages("INC-000001") == [("el ratón tampoco funciona", [])]
    state = await desk.state()
    assert state is not None and state["draft"]["description"].startswith("otra cosa")


async def test_what_the_bot_answers_itself_about_the_ticket_is_on_its_log_for_the_desk(desk: Desk) -> None:
    await converse(desk, [*FILE_ES, ("user", "gracias"), ("bot", contains("¡De nada!")),
                          ("user", "estado"), ("bot", contains("INC-000001"))])
    log = desk.exchanges()
    assert log[-4][0] == "in" and log[-4][1] == "gracias" and log[-3] == ("out", log[-3][1])
    assert "De nada" in log[-3][1] and log[-2] == ("in", "estado") and "INC-000001" in log[-1][1]
    assert desk.messages() == []  # none of it is a follow-up for the desk
    desk.set_status("INC-000001", "open")
    desk.set_status("INC-000001", "pending_user")
    await converse(desk, [("user", "gracias"), ("bot", contains("¡De nada!"))])
    assert desk.last().status == "pending_user"  # "thanks" is no answer to the desk's question
    before = len(desk.exchanges())
    await converse(desk, [("user", "nuevo"), ("bot", contains("nuevo"))])
    assert len(desk.exchanges()) == before  # a new report is not about this ticket
