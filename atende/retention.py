"""Retention of raw inbound data (ATENDE_RETENTION_DAYS, default 90): what was kept to record, replay and
de-duplicate messages is deleted once it is older than that; tickets and their event log are kept.

Pruned: inbox rows, the replies stored per processed message (idempotency), pushes nobody fetched from the
web outbox, raw .eml files (``data/email/{raw,rejected}/``) and attachment files (``data/attachments/``).
A redelivery older than the window is long past every provider's retry schedule, so forgetting its key
cannot turn it into a second message in practice. Files are judged by their modification time, so an
attachment that a new message stored again (same content, same name) lives on.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import delete

from atende.adapters.stores import SqlConversationStore, inbox, outbox, outbox_rows, processed

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 6 * 3600

#: Folders under the data dir holding raw inbound files.
RAW_FOLDERS = ("email/raw", "email/rejected", "attachments")


@dataclass(frozen=True, slots=True)
class Pruned:
    inbox: int = 0
    processed: int = 0
    outbox: int = 0
    files: int = 0


def prune(store: SqlConversationStore, data_dir: Path, days: float, now: datetime | None = None) -> Pruned:
    """Delete raw inbound data older than ``days``; returns what was removed."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=days)
    with store.writer.begin() as conn:
        n_inbox = conn.execute(delete(inbox).where(inbox.c.received_at < cutoff)).rowcount
        n_processed = conn.execute(delete(processed).where(processed.c.at < cutoff)).rowcount
        n_outbox = conn.execute(delete(outbox).where(outbox.c.at < cutoff)).rowcount
        # Replies already sent (or given up on); one still pending is kept until it goes out.
        n_outbox += conn.execute(delete(outbox_rows).where(outbox_rows.c.created_at < cutoff,
                                                           outbox_rows.c.status != "pending")).rowcount
    files = _prune_files((data_dir / folder for folder in RAW_FOLDERS), cutoff.timestamp())
    return Pruned(n_inbox or 0, n_processed or 0, n_outbox or 0, files)


def _prune_files(roots: Iterable[Path], cutoff: float) -> int:
    removed = 0
    for root in roots:
        if not root.is_dir():
            continue
        for dirpath, _, names in os.walk(root, topdown=False):
            for name in names:
                path = Path(dirpath) / name
                try:
                    if path.lstat().st_mtime < cutoff:
                        path.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
            if Path(dirpath) != root:
                with contextlib.suppress(OSError):
                    Path(dirpath).rmdir()  # only when empty
    return removed


async def prune_loop(store: SqlConversationStore, data_dir: Path, days: float,
                     every_s: float = PRUNE_EVERY_S) -> None:
    """The periodic job the runtime starts: prune now, then every ``every_s`` seconds."""
    while True:
        try:
            result = await asyncio.to_thread(prune, store, data_dir, days)
            if any((result.inbox, result.processed, result.outbox, result.files)):
                log.info("retention (%g days): removed %s", days, result)
        except Exception:
            log.exception("retention pruning failed")
        await asyncio.sleep(every_s)
