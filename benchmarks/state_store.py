"""Where the scaled mode keeps conversation state: one turn's write in PostgreSQL (state + processed
replies + outbox row + inbox status in one transaction: SqlConversationStore.save_sync) against Redis (a
MULTI of the same state JSON and a processed key), on loopback, with the test fixtures' servers.

    .venv/bin/python benchmarks/state_store.py
"""

from __future__ import annotations

import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis

from atende.adapters.stores import SqlConversationStore
from dialog.messages import Identity, InboundMessage
from tests.services import start_postgres, start_redis


def main(turns: int = 600) -> None:
    pg = start_postgres()
    rs = start_redis(appendonly=True)
    try:
        store = SqlConversationStore(pg.create_database("state"), cache=False)
        r = redis.Redis.from_url(rs.url)
        state = {"stage": "asking", "answers": {f"q{i}": "x" * 40 for i in range(12)},
                 "history": ["y" * 80] * 10}
        replies = [{"text": "Which of these fits?",
                    "options": [{"id": f"o{i}", "label": "l" * 20} for i in range(5)]}]
        pg_t: list[float] = []
        redis_t: list[float] = []
        for i in range(turns):
            key = f"web:{i % 50:032x}"
            msg = InboundMessage(channel="web", conversation_key=key, text="t",
                                 sender=Identity(channel="web", native_id=key),
                                 provider_message_id=uuid.uuid4().hex)
            store.record_inbound_sync(msg)
            t = time.perf_counter()
            store.save_sync(key, state, msg.idempotency_key, replies)
            pg_t.append(time.perf_counter() - t)
            t = time.perf_counter()
            pipe = r.pipeline(transaction=True)
            pipe.set(f"s:{key}", json.dumps(state))
            pipe.set(f"p:{msg.idempotency_key}", json.dumps(replies))
            pipe.execute()
            redis_t.append(time.perf_counter() - t)

        def q(v: list[float], k: float) -> float:
            return sorted(v)[int(k * (len(v) - 1))] * 1000

        print(f"PostgreSQL turn transaction: p50 {q(pg_t, .5):.2f} ms p99 {q(pg_t, .99):.2f} ms; "
              f"Redis MULTI SET state+processed: p50 {q(redis_t, .5):.2f} ms p99 {q(redis_t, .99):.2f} ms "
              f"(n={turns})")
        store.close()
    finally:
        pg.stop()
        rs.stop()


if __name__ == "__main__":
    main()
