"""Handoff to a person, at the engine: waiting after "talk to a human", silence while an agent has the
conversation (whatever the user sends), the agent's words as written, the hand-back, and the timeout notice
told once with the desk's hours."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dialog.messages import InboundMessage
from dialog.ports import TicketEvent
from dialog.state import ConversationState
from tests.dialog.conftest import Desk
from tests.dialog.test_commands import FILE_ES
from tests.dialog.transcript import contains, converse, message

KEY = "web:u1"


async def state(desk: Desk) -> ConversationState:
    return ConversationState.from_dict(await desk.state(KEY))


async def filed_and_asked_for_a_human(desk: Desk) -> str:
    await converse(desk, [
        *FILE_ES,
        ("user", "quiero hablar con una persona"),
        ("bot", contains("He pedido a una persona del equipo que se haga cargo de INC-000001")),
    ])
    return "INC-000001"


async def test_asking_for_a_human_waits_and_the_bot_still_answers(desk: Desk) -> None:
    ref = await filed_and_asked_for_a_human(desk)
    st = await state(desk)
    assert st.handoff is not None and st.handoff.status == "waiting" and st.handoff.ref == ref
    assert desk.last().needs_human
    # The bot's reply about the ticket is on the ticket's log, for the console.
    assert any("He pedido a una persona" in t for t in desk.outbound(ref))
    assert await desk.engine.handle(message("gracias"))  # nobody took it yet: the bot still talks


SILENT_INPUTS: list[InboundMessage] = [
    message("sigue sin funcionar, ¿me ayudas?"),
    message("ayuda"), message("help"), message("/help"), message("estado"), message("cancelar"),
    message("nuevo"), message("humano"), message("cerrar INC-000001"), message("english"),
    message("hola"), message("gracias"), message("👍"), message(""), message("x" * 9000),
    message(option="cmd:new"), message(option="kb:no"), message(option="csat:5"),
]


async def test_while_an_agent_has_the_conversation_the_bot_says_nothing(desk: Desk) -> None:
    ref = await filed_and_asked_for_a_human(desk)
    joined = await desk.engine.notify(KEY, TicketEvent("handoff_taken", ref, author="Marta"))
    assert [r.text for r in joined] == [
        "Marta, del centro de soporte, se ha unido a la conversación. Todo lo que escribas aquí ahora le "
        "llega directamente."]
    before = len(desk.messages(ref))
    for msg in SILENT_INPUTS:
        assert await desk.engine.handle(msg) == [], msg
    noisy = replace(message("aquí va la captura"), extras={"attachments_too_large": ["big.png"],
                                                            "max_attachment_bytes": 1024})
    assert await desk.engine.handle(noisy) == []
    texts = [t for t, _ in desk.messages(ref)[before:]]
    assert texts[0] == "sigue sin funcionar, ¿me ayudas?"
    assert "ayuda" in texts and "cerrar INC-000001" in texts
    assert "[cmd:new]" in texts  # a stale button reaches the agent as what it was
    assert texts[-1] == "aquí va la captura\n[big.png: not received]"
    assert "" not in texts  # an empty message appends nothing
    # The agent's words reach the user as written, not as "reply on INC-...".
    said = await desk.engine.notify(KEY, TicketEvent("agent_reply", ref, text="¿Reinicias el móvil?",
                                                     author="Marta"))
    assert [r.text for r in said] == ["¿Reinicias el móvil?"]
    st = await state(desk)
    assert st.handoff is not None and st.handoff.live and st.handoff.agent == "Marta"


async def test_hand_back_tells_the_user_and_the_bot_answers_again(desk: Desk) -> None:
    ref = await filed_and_asked_for_a_human(desk)
    await desk.engine.notify(KEY, TicketEvent("handoff_taken", ref, author="Marta"))
    assert await desk.engine.handle(message("gracias")) == []
    back = await desk.engine.notify(KEY, TicketEvent("handoff_released", ref, author="Marta"))
    assert "Vuelves a hablar con el asistente" in back[0].text
    assert (await state(desk)).handoff is None
    assert await desk.engine.handle(message("gracias"))  # the bot answers again
    # A second release (a double click) says nothing more.
    assert await desk.engine.notify(KEY, TicketEvent("handoff_released", ref)) == []


async def test_resolving_the_ticket_ends_a_live_handoff(desk: Desk) -> None:
    ref = await filed_and_asked_for_a_human(desk)
    await desk.engine.notify(KEY, TicketEvent("handoff_taken", ref, author="Marta"))
    desk.set_status(ref, "resolved")
    await desk.engine.notify(KEY, TicketEvent("resolved", ref))
    assert (await state(desk)).handoff is None
    assert await desk.engine.handle(message("5"))  # the CSAT rating, answered by the bot


@pytest.mark.parametrize(("hours", "expected"), [
    ((), "Horario del centro de soporte: de lunes a viernes, en horario laboral."),
    ((("es", "L-V 8:00-17:00"), ("*", "Mon-Fri 8-17")), "Horario del centro de soporte: L-V 8:00-17:00."),
])
async def test_nobody_took_it_the_user_is_told_once_with_the_desk_hours(
        make_engine: object, hours: tuple[tuple[str, str], ...], expected: str) -> None:
    desk = make_engine(desk_hours=hours)  # type: ignore[operator]
    ref = await filed_and_asked_for_a_human(desk)
    told = await desk.engine.notify(KEY, TicketEvent("handoff_timed_out", ref))
    assert len(told) == 1 and f"Te responderán en tu ticket {ref}" in told[0].text
    assert told[0].text.endswith(expected)
    assert await desk.engine.notify(KEY, TicketEvent("handoff_timed_out", ref)) == []
    # Taken after the notice: still the live chat.
    await desk.engine.notify(KEY, TicketEvent("handoff_taken", ref, author="Marta"))
    assert await desk.engine.handle(message("hola")) == []


async def test_timeout_after_the_take_says_nothing(desk: Desk) -> None:
    ref = await filed_and_asked_for_a_human(desk)
    await desk.engine.notify(KEY, TicketEvent("handoff_taken", ref, author="Marta"))
    assert await desk.engine.notify(KEY, TicketEvent("handoff_timed_out", ref)) == []


async def test_a_closed_ticket_ends_the_live_chat_and_the_bot_answers(desk: Desk) -> None:
    ref = await filed_and_asked_for_a_human(desk)
    await desk.engine.notify(KEY, TicketEvent("handoff_taken", ref, author="Marta"))
    desk.set_status(ref, "closed")  # closed behind the conversation's back (no event reached it)
    assert await desk.engine.handle(message("¿sigue ahí alguien?"))
    assert (await state(desk)).handoff is None


async def test_asking_for_a_human_first_files_the_description_and_waits(desk: Desk) -> None:
    await converse(desk, [
        ("user", "quiero hablar con una persona"),
        ("bot", contains("Dime en una frase de qué se trata")),
        ("user", "la impresora de la segunda planta no imprime nada"),
        ("bot", contains("INC-000001")),  # filed at once: no questions, no articles
    ])
    st = await state(desk)
    assert st.handoff is not None and (st.handoff.status, st.handoff.ref) == ("waiting", "INC-000001")
    assert desk.last().needs_human
