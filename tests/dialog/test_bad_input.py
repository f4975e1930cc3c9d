"""Input we cannot use gets a clear, polite reply, and nothing already stored changes."""

from __future__ import annotations

from dialog.messages import Identity
from tests.dialog.conftest import Desk
from tests.dialog.transcript import Say, contains, converse, message, press


async def test_empty_message_changes_nothing(desk: Desk) -> None:
    await converse(desk, [("user", "mi portátil no enciende"),
                          ("bot", contains("¿Puedes seguir trabajando"))])
    before = await desk.state()
    await converse(desk, [
        ("user", ""),
        ("bot", contains("Recibí un mensaje vacío")),
        ("bot", contains("¿Puedes seguir trabajando")),
        ("user", "   \n\t "),
        ("bot", contains("Recibí un mensaje vacío")),
    ])
    assert await desk.state() == before


async def test_emoji_only_and_punctuation_only(desk: Desk) -> None:
    await converse(desk, [
        ("user", "😀😀🎉"),
        ("bot", contains("I can only understand words")),
        ("user", "?!..."),
        ("bot", contains("I can only understand words")),
    ])
    assert await desk.state() is not None  # replies stored for idempotency, state untouched
    state = await desk.state()
    assert state is not None and state["draft"] is None and state["updated_at"] is None


async def test_100kb_of_text_is_truncated_politely(make_engine) -> None:  # type: ignore[no-untyped-def]
    desk = make_engine(max_text_chars=2000)
    huge = "My laptop shows a blue screen when docking. " + "Log line: kernel panic at 0xdeadbeef. " * 2700
    assert len(huge) > 100_000
    await converse(desk, [
        ("user", huge),
        ("bot", contains("Your message was very long; I kept the first 2000 characters.", kind="notice")),
        ("bot", contains("What happens?")),  # the device (laptop) was in the text: not asked
    ])
    state = await desk.state()
    assert state is not None
    assert len(state["draft"]["description"]) <= 2000
    assert all(len(line["text"]) <= 2000 for line in state["transcript"])


async def test_control_characters_are_stripped(desk: Desk) -> None:
    await converse(desk, [
        ("user", "\x00\x07mi impresora\u202e no imprime\x1b[31m nada\r\n"),
        ("bot", contains("¿Qué impresora es")),
    ])
    state = await desk.state()
    assert state is not None and state["draft"]["description"] == "mi impresora no imprime[31m nada"


async def test_unknown_option_id_keeps_state_and_lists_the_choices(desk: Desk) -> None:
    await converse(desk, [("user", "el equipo hace un ruido raro y no arranca desde ayer")])
    before = await desk.state()
    await converse(desk, [
        ("user", press("ans:device:maybe")),
        ("bot", contains("Esa opción ya no está disponible")),
        ("bot", contains("¿Qué equipo es?", has=["ans:device:laptop", "ans:device:unknown"])),
        ("user", press("totally-bogus")),
        ("bot", contains("Esa opción ya no está disponible")),
    ])
    assert await desk.state() == before


async def test_answer_to_a_question_no_longer_pending(desk: Desk) -> None:
    await converse(desk, [
        ("user", "el equipo hace un ruido raro y no arranca desde ayer"),
        ("user", press("ans:device:peripheral")),
        ("bot", contains("¿A quién afecta esto?")),
    ])
    before = await desk.state()
    await converse(desk, [
        ("user", press("ans:device:peripheral")),  # the same button again (double tap, late delivery)
        ("bot", contains("Esa opción ya no está disponible")),
        ("bot", contains("¿A quién afecta esto?")),
    ])
    assert await desk.state() == before


async def test_option_when_nothing_is_pending(desk: Desk) -> None:
    await converse(desk, [("user", press("cat:technical_support")),
                          ("bot", contains("That question has already been answered"))])


async def test_idempotent_replay_returns_the_same_replies_and_changes_nothing(desk: Desk) -> None:
    await converse(desk, [("user", "no me llegan los correos en el móvil desde ayer"), ("user", "solo a mí")])
    final = Say("sí, puede esperar", message_id="provider-42")
    first = await converse(desk, [("user", final), ("bot", contains("INC-000001"))])
    state = await desk.state()
    log = desk.tickets.events("INC-000001")
    again = await converse(desk, [("user", final)])
    assert again.last == first.last
    assert len(desk.all()) == 1 and desk.tickets.events("INC-000001") == log
    assert await desk.state() == state


async def test_replayed_message_after_other_messages_still_changes_nothing(desk: Desk) -> None:
    msg = message("my laptop does not start", message_id="tg-1")
    first = await desk.engine.handle(msg)
    await desk.engine.handle(message("skip", message_id="tg-2"))
    state = await desk.state()
    assert await desk.engine.handle(msg) == first
    assert await desk.state() == state


async def test_attachment_without_text_starts_a_report(desk: Desk) -> None:
    from dialog.messages import Attachment

    shot = Attachment("error.png", "image/png", 2048, "/data/att/error.png")
    await converse(desk, [
        ("user", Say(attachments=(shot,))),
        ("bot", contains("Thanks for the file. Please also describe the problem")),
        ("user", "the export feature of the app fails every time"),
        ("bot", contains("Which application is it")),
    ])
    state = await desk.state()
    assert state is not None and state["draft"]["attachments"][0]["name"] == "error.png"


async def test_users_do_not_see_each_others_conversations(desk: Desk) -> None:
    await converse(desk, [("user", "mi portátil no enciende")])
    await converse(desk, [("user", "hello"), ("bot", contains("Hello, Bea!"))],
                   sender=Identity("web", "u2", "Bea"))
    state = await desk.state("web:u2")
    assert state is not None and state["draft"] is None


async def test_files_over_the_cap_are_named_to_the_user(desk: Desk) -> None:
    from dialog.messages import Attachment, InboundMessage

    who = Identity("telegram", "42", "Ana")
    big = Attachment(name="backup.zip", content_type="application/zip", size=50_000_000, path=None)
    msg = InboundMessage(channel="telegram", conversation_key="telegram:42", sender=who,
                         text="my laptop does not start since this morning", attachments=(big,),
                         provider_message_id="t-1",
                         extras={"attachments_too_large": ["backup.zip"], "attachments_failed": ["voice.ogg"],
                                 "max_attachment_bytes": 10 * 1_048_576})
    replies = await desk.engine.handle(msg)
    notices = [r.text for r in replies if r.kind == "notice"]
    assert any("backup.zip" in t and "10 MB" in t for t in notices)
    assert any("voice.ogg" in t for t in notices)
    assert any(r.kind == "question" for r in replies)  # the report goes on
