"""The Inbox of an ingress process in the scaled mode (``atende serve`` with ATENDE_REDIS_URL).

It records exactly like the single-process Inbox (the SQL inbox row, unique by idempotency key, is the
durable record and the de-duplication), then XADDs a pointer to the conversation's stream shard instead of
waking an in-process Dispatcher: ``atende worker`` processes run the engine.

Answers inside the request (web chat, voice): before queueing, ingress sets ``atende:waiting:<key>``; the
worker that made the replies durable claims that key atomically (a Lua script: DEL, then LPUSH the outcome
to ``atende:reply:<key>`` with an expiry), and ingress BLPOPs the reply key with its timeout. On timeout,
ingress deletes the waiting key: if that delete wins, the worker finds nothing to claim and pushes the
replies through the channel's Outbound ("we are on it", then the answer by push); if the worker won, the
replies are already in the list and are returned. Either way the user gets them exactly once.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import asdict
from typing import Any

from atende.adapters.stores import SqlConversationStore
from atende.dispatch.dispatcher import Dispatcher, Outcome
from atende.dispatch.inbox import Inbox, keyed
from atende.dispatch.shards import (
    REPLY_TTL_S,
    enqueue,
    outcome_from_json,
    outcome_to_json,
    reply_key,
    waiting_key,
)
from connectors.base import Answered
from dialog.messages import InboundMessage, idempotency_key
from dialog.ports import TicketEvent
from dialog.state import reply_from_dict

log = logging.getLogger(__name__)

#: After a lost race on timeout (the worker claimed the waiting key a moment before our DELETE), how long
#: to wait for the replies it is pushing in the same atomic script: they are already there.
CLAIMED_GRACE_S = 2.0

_ANSWER = """
if redis.call('DEL', KEYS[1]) == 1 then
  redis.call('LPUSH', KEYS[2], ARGV[1])
  redis.call('EXPIRE', KEYS[2], ARGV[2])
  return 1
end
return 0
"""


class RedisWaiters:
    """The worker's side of ``ask``: hand an outcome to the ingress that waits for it, if one still does."""

    def __init__(self, redis: Any) -> None:
        self._script = redis.register_script(_ANSWER)

    async def answer(self, message_key: str, outcome: Outcome) -> bool:
        keys = [waiting_key(message_key), reply_key(message_key)]
        return bool(await self._script(keys=keys, args=[outcome_to_json(outcome), REPLY_TTL_S]))


class RedisInbox(Inbox):
    def __init__(self, store: SqlConversationStore, dispatcher: Dispatcher, redis: Any, shards: int) -> None:
        super().__init__(store, dispatcher)
        self.redis = redis
        self.shards = shards

    async def _enqueue(self, conversation_key: str, key: str) -> None:
        await enqueue(self.redis, self.shards, conversation_key, key)

    async def receive(self, message: InboundMessage) -> bool:
        """Record, then queue. A redelivery of a message still waiting is queued again: the provider retries
        when our earlier answer was an error (Redis down after the row was written), and processing is
        idempotent, so a second pointer costs one empty look-up."""
        message = keyed(message)
        key = message.idempotency_key
        assert key is not None
        first = await self.store.record_inbound(message)
        if first:
            self._counted(message)
            await self._enqueue(message.conversation_key, key)
            return True
        row = await asyncio.to_thread(self.queue.row_by_key, key)
        if row is not None and row["status"] == "received":
            await self._enqueue(message.conversation_key, key)
        log.info("duplicate delivery %s ignored", key)
        return False

    async def ask(self, message: InboundMessage, timeout: float) -> Answered | None:
        message = keyed(message)
        key = message.idempotency_key
        assert key is not None
        first = await self.store.record_inbound(message)
        if first:
            self._counted(message)
        else:
            stored = await self.store.processed(key)
            if stored is not None:
                return Answered([reply_from_dict(r) for r in stored], duplicate=True)
        outcome = await self._wait(message.conversation_key, key, timeout)
        return None if outcome is None else Answered(outcome.replies, duplicate=not first)

    async def _wait(self, conversation_key: str, key: str, timeout: float) -> Outcome | None:
        await self.redis.set(waiting_key(key), "1", ex=max(1, int(timeout) + 30))
        await self._enqueue(conversation_key, key)
        got = await self.redis.blpop([reply_key(key)], timeout=timeout)
        if got is None:
            if await self.redis.delete(waiting_key(key)):
                return None  # we gave up first: the worker will push the replies
            got = await self.redis.blpop([reply_key(key)], timeout=CLAIMED_GRACE_S)
            if got is None:
                log.warning("replies of %s claimed but not found", key)
                return None
        await self.redis.delete(reply_key(key))
        return outcome_from_json(got[1])

    async def post_event(self, conversation_key: str, event: TicketEvent, *, channel: str,
                         wait: float | None = None) -> Outcome | None:
        key = idempotency_key(conversation_key, f"event:{uuid.uuid4().hex}")
        payload: dict[str, Any] = {"event": asdict(event), "channel": channel}
        await asyncio.to_thread(self.queue.record_event, conversation_key, channel, key, payload)
        if not wait:
            await self._enqueue(conversation_key, key)
            return None
        return await self._wait(conversation_key, key, wait)
