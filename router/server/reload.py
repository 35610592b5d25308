"""Supergraph hot reload: poll the file, load a changed one, swap it in; on failure keep serving."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger("switchboard.router")
SETTLE_SECONDS = 0.1  # a change must hold this long before it is read: writers finish first


@dataclass(frozen=True, slots=True)
class FileSignature:
    """What a cheap ``stat`` tells about a file; a different signature means "look again"."""

    inode: int
    size: int
    mtime_ns: int


def signature_of(path: Path) -> FileSignature | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return FileSignature(stat.st_ino, stat.st_size, stat.st_mtime_ns)


def digest_of(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


class SupergraphWatcher:
    """Calls ``apply(text)`` once per new content of ``path`` (by SHA-256), polling its stat.

    ``apply`` returns whether the content was taken; either way the same content is not
    offered again, so a broken file is reported once, and fixing it is picked up.
    """

    def __init__(
        self,
        path: Path,
        *,
        interval: float,
        loaded_text: str,
        apply: Callable[[str], Awaitable[bool]],
    ) -> None:
        self.path = path
        self.interval = interval
        self._apply = apply
        self._signature: FileSignature | None = None  # first poll reads: catches early edits
        self._digest = digest_of(loaded_text)
        self._missing_reported = False

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self.poll()
            except Exception as exc:  # the watcher must outlive any surprise; the router serves on
                logger.error("supergraph watcher: %s", one_line(exc))

    async def poll(self) -> bool:
        """Look at the file once; True when new content was offered to ``apply``."""
        signature = signature_of(self.path)
        if signature is None:
            if not self._missing_reported:
                logger.error("supergraph %s is missing; the previous one keeps serving", self.path)
                self._missing_reported = True
            return False
        self._missing_reported = False
        if signature == self._signature:
            return False
        await asyncio.sleep(min(SETTLE_SECONDS, self.interval))
        if signature_of(self.path) != signature:
            return False  # still being written: look again at the next poll
        try:
            text = await asyncio.to_thread(self.path.read_text)
        except (OSError, UnicodeDecodeError) as exc:
            logger.error("supergraph %s cannot be read: %s", self.path, one_line(exc))
            return False
        self._signature = signature
        digest = digest_of(text)
        if digest == self._digest:
            return False
        self._digest = digest
        await self._apply(text)
        return True
