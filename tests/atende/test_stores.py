"""The conversation-side store: inbox de-duplication, atomic state + replies, the web outbox."""

from __future__ import annotations

from pathlib import Path

import pytest

from atende.adapters.stores import SqlConversationStore
from dialog.messages import Identity, InboundMessage


def _msg(mid: str | None, text: str = "hola") -> InboundMessage:
    return InboundMessage(
        channel="web",
        conversation_key="web:abc",
        sender=Identity("web", "abc"),
        text=text,
        provider_message_id=mid,
        extras={"raw": object()},
    )


@pytest.fixture()
def store(tmp_path: Path) -> SqlConversationStore:
    s = SqlConversationStore(f"sqlite:///{tmp_path / 'c.db'}")
    yield s
    s.close()


async def test_inbox_refuses_a_second_delivery_of_the_same_provider_id(store: SqlConversationStore) -> None:
    assert await store.record_inbound(_msg("m1")) is True
    assert await store.record_inbound(_msg("m1", "other text")) is False
    assert await store.record_inbound(_msg("m2")) is True
    rows = store.inbox_rows("web:abc")
    assert [r["text"] for r in rows] == ["hola", "hola"]


async def test_messages_without_provider_id_are_all_recorded(store: SqlConversationStore) -> None:
    assert await store.record_inbound(_msg(None))
    assert await store.record_inbound(_msg(None))
    assert store.inbox_count("web:abc") == 2


async def test_state_and_replies_are_saved_together_and_survive_a_restart(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'c.db'}"
    s1 = SqlConversationStore(url)
    await s1.record_inbound(_msg("m1"))
    key = _msg("m1").idempotency_key
    await s1.save("web:abc", {"stage": "asking", "n": 1}, key, [{"text": "hi", "options": []}])
    s1.close()
    s2 = SqlConversationStore(url)
    assert await s2.load("web:abc") == {"stage": "asking", "n": 1}
    assert key is not None and await s2.processed(key) == [{"text": "hi", "options": []}]
    assert await s2.processed("web:unknown") is None
    assert s2.inbox_rows("web:abc")[0]["status"] == "processed"
    s2.close()


async def test_loaded_state_is_a_copy(store: SqlConversationStore) -> None:
    await store.save("k", {"answers": {"a": 1}})
    state = await store.load("k")
    assert state is not None
    state["answers"]["a"] = 2
    assert await store.load("k") == {"answers": {"a": 1}}


def test_outbox_pops_in_order_once(store: SqlConversationStore) -> None:
    store.push_sync("web:abc", [{"text": "one"}, {"text": "two"}])
    assert [r["text"] for r in store.pop_sync("web:abc")] == ["one", "two"]
    assert store.pop_sync("web:abc") == []
