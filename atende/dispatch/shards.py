"""Names and arithmetic of the scaled mode, shared by ingress (``atende serve``) and ``atende worker``.

A conversation lives on one stream shard, chosen by a stable hash of its key (Python's ``hash`` changes
between processes): every process must agree on it, so ATENDE_STREAM_SHARDS must be the same everywhere.
A stream entry is a pointer (conversation key, idempotency key); the message itself is the SQL inbox row,
which stays the durable record and the de-duplication (its unique idempotency key).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from atende.dispatch.dispatcher import Outcome
from dialog.state import reply_from_dict, reply_to_dict

GROUP = "atende-workers"
MEMBERS = "atende:workers"  # sorted set: worker id -> last heartbeat (unix seconds)
#: Approximate cap of a stream's length (XADD MAXLEN ~): acknowledged entries are dropped with it. An entry
#: trimmed before it was read is not lost: the sweeper queues its inbox row again.
STREAM_MAXLEN = 100_000
#: How long replies wait for an ingress that asked for them (it gives up after its own timeout anyway).
REPLY_TTL_S = 120


def shard_of(conversation_key: str, shards: int) -> int:
    digest = hashlib.blake2b(conversation_key.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") % shards


def stream_key(shard: int) -> str:
    return f"atende:stream:{shard}"


def shard_lease(shard: int) -> str:
    return f"shard:{shard}"


def waiting_key(message_key: str) -> str:
    """Set by an ingress that waits in its request (web chat, voice); the worker claims it atomically."""
    return f"atende:waiting:{message_key}"


def reply_key(message_key: str) -> str:
    return f"atende:reply:{message_key}"


def outcome_to_json(outcome: Outcome) -> str:
    return json.dumps({"replies": [reply_to_dict(r) for r in outcome.replies], "delivered": outcome.delivered,
                       "error": outcome.error})


def outcome_from_json(raw: str | bytes) -> Outcome:
    data: dict[str, Any] = json.loads(raw)
    return Outcome([reply_from_dict(r) for r in data["replies"]], data.get("delivered"), data.get("error"))


async def enqueue(redis: Any, shards: int, conversation_key: str, message_key: str) -> None:
    """XADD the pointer to the conversation's shard."""
    await redis.xadd(stream_key(shard_of(conversation_key, shards)),
                     {"c": conversation_key, "k": message_key}, maxlen=STREAM_MAXLEN, approximate=True)
