"""The web chat endpoint: the contract of POST /api/chat/messages and bad input over HTTP."""

from __future__ import annotations

import httpx
import pytest

from atende.runtime import Runtime
from tests.atende.conftest import Chat


async def test_page_and_static_assets_are_served(client: httpx.AsyncClient) -> None:
    r = await client.get("/")
    assert r.status_code == 200 and "chat.js" in r.text
    assert (await client.get("/webchat/chat.js")).status_code == 200
    assert (await client.get("/healthz")).json()["status"] == "ok"


async def test_reply_shape_matches_the_contract(chat: Chat) -> None:
    replies = await chat.say("Hello, my password expired and I cannot log in to my laptop")
    assert replies
    for r in replies:
        assert set(r) == {"text", "options", "ticket"}
        assert isinstance(r["text"], str) and r["text"]
        for o in r["options"]:
            assert set(o) == {"id", "label"}


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b'{"session": "short", "text": "hi"}',
        b'{"session": "session-aaaaaaaaaaaaaaaa"}',
        b'{"session": "session-aaaaaaaaaaaaaaaa", "text": "hi", "option": "x"}',
        b'{"session": "session-aaaaaaaaaaaaaaaa", "text": 12}',
        b"[]",
    ],
)
async def test_malformed_requests_get_a_clear_4xx_and_store_nothing(
    client: httpx.AsyncClient, runtime: Runtime, body: bytes
) -> None:
    r = await client.post("/api/chat/messages", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 422
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    assert runtime.conv_store.inbox_count() == 0


async def test_oversized_body_is_refused_before_parsing(client: httpx.AsyncClient, runtime: Runtime) -> None:
    big = "x" * (runtime.settings.max_body_bytes + 10)
    r = await client.post("/api/chat/messages", json={"session": "session-aaaaaaaaaaaaaaaa", "text": big})
    assert r.status_code == 413
    assert runtime.conv_store.inbox_count() == 0


async def test_bad_text_gets_a_polite_reply_and_keeps_the_pending_question(
    chat: Chat, runtime: Runtime
) -> None:
    await chat.say("Olá, o computador do escritório está muito lento desde ontem")
    pending = chat.options
    assert pending
    state_before = await runtime.conv_store.load(f"web:{chat.session}")
    for text in ["", "   ", "\x00\x07\x1b[31m", "😀😀😀", "x" * 100_000]:
        replies = await chat.say(text)
        assert replies and all(r["text"] for r in replies)
    await chat.pick("no-such-option")
    assert chat.last and chat.options
    state_after = await runtime.conv_store.load(f"web:{chat.session}")
    assert state_before is not None and state_after is not None
    assert state_after.get("stage") == state_before.get("stage")
    await chat.pick(pending[0])  # the original question can still be answered
    assert chat.last


async def test_resent_message_id_is_a_no_op(chat: Chat, runtime: Runtime) -> None:
    first = await chat.say("Mi impresora no imprime", message_id="m-1")
    again = await chat.say("Mi impresora no imprime", message_id="m-1")
    assert again == first
    assert runtime.conv_store.inbox_count(f"web:{chat.session}") == 1


async def test_unknown_language_is_answered_politely(chat: Chat) -> None:
    replies = await chat.say("Mein Drucker druckt seit gestern nicht mehr, bitte helfen Sie mir")
    assert replies and replies[0]["text"]


async def test_a_kb_answer_carries_its_steps_as_safe_html(chat: Chat) -> None:
    await chat.say("I forgot my password and cannot log in")
    for _ in range(10):
        article = next((r for r in chat.last if r.get("html")), None)
        if article:
            break
        opts = chat.options
        await (chat.pick(opts[0]) if opts else chat.say("since this morning"))
    assert article is not None, chat.last
    assert "<strong>" in article["html"] and "<script" not in article["html"]
    assert article["text"]  # API clients keep the Markdown text
    assert chat.options == ["kb:yes:1", "kb:no"]  # asked after the content
