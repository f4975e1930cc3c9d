"""Attachment storage shared by the connectors: safe file names, the size cap, and what the engine is told.

Every channel downloads a user's files into ``data_dir/attachments/<channel>/`` under the same rules: a file
over ``max_attachment_bytes`` is never written (checked against the declared size first, then while
streaming, so a wrong or missing size cannot fill the disk), a partial file is never left behind, and a file
that was too large or could not be fetched stays listed on the message (without a path) with the reason in
its extras, so the engine can tell the user.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import AsyncIterable, Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from connectors.base import ChannelError
from dialog.messages import Attachment, InboundMessage

log = logging.getLogger(__name__)


class TooLarge(Exception):
    """The file is over the attachment cap. ``size`` is what was declared or read before stopping."""

    def __init__(self, message: str, size: int | None = None) -> None:
        super().__init__(message)
        self.size = size


def safe_name(name: str) -> str:
    """A provider's file id or a user's file name, reduced to something safe in a path."""
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "file"
    return cleaned[-100:]


async def write_capped(chunks: AsyncIterable[bytes], dest: Path, max_bytes: int) -> int:
    """Stream ``chunks`` into ``dest`` (through ``dest.part``); TooLarge past ``max_bytes``, with no partial
    file left. Returns the size written. Errors of the stream pass through untranslated: the caller's
    client translates them."""
    tmp = dest.with_name(dest.name + ".part")
    written = 0
    try:
        with tmp.open("wb") as fh:  # small chunks; local disk writes are not worth a thread hop
            async for chunk in chunks:
                written += len(chunk)
                if written > max_bytes:
                    raise TooLarge(f"over {max_bytes} bytes", written)
                fh.write(chunk)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return written


def write_private(path: Path, data: bytes) -> bool:
    """Write ``data`` to a new file readable by its owner only (0600), never over an existing one: the
    file appears whole (a temporary file linked into place) or not at all. False when it already exists;
    its modification time is then refreshed, since a new message refers to it (atende.retention prunes
    files by age)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.exists():
        os.utime(path)
        return False
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{id(data):x}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.link(tmp, path)  # fails when the name exists: no overwrite, even racing another writer
    except FileExistsError:
        os.utime(path)
        return False
    finally:
        tmp.unlink(missing_ok=True)
    return True


def attachment_extras(too_large: Sequence[str], failed: Sequence[str], max_bytes: int) -> dict[str, Any]:
    """The extras that tell the engine which files were refused by the cap and which could not be fetched."""
    extras: dict[str, Any] = {}
    if too_large:
        extras["attachments_too_large"] = list(too_large)
        extras["max_attachment_bytes"] = max_bytes
    if failed:
        extras["attachments_failed"] = list(failed)
    return extras


Ref = Mapping[str, Any]


async def store_attachments(msg: InboundMessage, refs: Sequence[Ref], folder: Path, max_bytes: int, *,
                            file_name: Callable[[Ref, Attachment], str],
                            fetch: Callable[[Ref, Path], Awaitable[int]]) -> InboundMessage:
    """Download the files a chat message refers to (``refs``, one per attachment, each with its declared
    ``size``) into ``folder``; the returned message has their stored paths and sizes.

    A file already stored (a redelivery) is not fetched again. ``fetch`` raises TooLarge or ChannelError.
    """
    if not refs:
        return msg
    await asyncio.to_thread(folder.mkdir, parents=True, exist_ok=True)
    stored: list[Attachment] = []
    too_large: list[str] = []
    failed: list[str] = []
    for att, ref in zip(msg.attachments, refs, strict=True):
        if ref.get("size", 0) > max_bytes:
            too_large.append(att.name)
            stored.append(att)
            continue
        dest = folder / file_name(ref, att)
        try:
            size = dest.stat().st_size if dest.exists() else await fetch(ref, dest)
        except TooLarge:
            too_large.append(att.name)
            stored.append(att)
            continue
        except ChannelError as exc:
            log.warning("%s attachment %s not downloaded: %s", msg.channel, att.name, exc)
            failed.append(att.name)
            stored.append(att)
            continue
        stored.append(replace(att, path=str(dest), size=size))
    extras = {**msg.extras, **attachment_extras(too_large, failed, max_bytes)}
    return replace(msg, attachments=tuple(stored), extras=extras)
