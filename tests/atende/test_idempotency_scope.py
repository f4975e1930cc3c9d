"""Security (issue 8, high): a client message id is an idempotency key only within its own conversation.

Before the fix the key was ``channel:message_id``: a second web user who reused another user's
``message_id`` received that user's stored replies (their ticket list) and their own message was dropped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from dialog.messages import Identity, InboundMessage
from tests.atende.conftest import Chat


def _msg(conversation: str, pid: str | None) -> InboundMessage:
    return InboundMessage(channel="web", conversation_key=conversation,
                          sender=Identity("web", conversation), text="hi", provider_message_id=pid,
                          received_at=datetime(2026, 1, 1, tzinfo=UTC))


def test_the_key_is_scoped_to_the_conversation() -> None:
    a, b = _msg("web:victim-session-0001", "1"), _msg("web:other-session-00001", "1")
    assert a.idempotency_key and b.idempotency_key
    assert a.idempotency_key != b.idempotency_key
    assert _msg("web:victim-session-0001", "1").idempotency_key == a.idempotency_key
    assert _msg("web:x", None).idempotency_key is None


def test_a_very_long_key_stays_bounded_and_distinct() -> None:
    long_a = _msg("email:" + "a" * 250 + "@corp.test", "<" + "m" * 900 + "@x>")
    long_b = _msg("email:" + "b" * 250 + "@corp.test", "<" + "m" * 900 + "@x>")
    assert long_a.idempotency_key and long_b.idempotency_key
    assert len(long_a.idempotency_key) <= 300
    assert long_a.idempotency_key != long_b.idempotency_key


async def test_a_reused_message_id_never_returns_another_users_replies(chat: Chat, other_chat: Chat) -> None:
    victim, attacker = chat, other_chat
    await victim.report("My VPN fails with error 809 since this morning, I cannot work from home")
    listed = await victim.say("status", message_id="1")
    victim_refs = {r["ticket"] for r in listed if r["ticket"]} | {
        w for r in listed for w in r["text"].split() if w.startswith(("INC-", "REQ-"))}
    replies = await attacker.say("hi", message_id="1")
    assert replies, "the attacker's own message must be processed"
    text = " ".join(r["text"] for r in replies)
    for ref in victim_refs:
        assert ref.strip(".,:;()") not in text
    # The attacker's message was recorded and processed as its own.
    again = await attacker.say("hi", message_id="1")
    assert again == replies  # a true resend in the same conversation is a no-op with the same answer
