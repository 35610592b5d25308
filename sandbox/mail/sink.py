"""The SMTP sink: accepts any message over SMTP and writes it to ``<dir>/<n>.eml``.

``switchboard mailsink`` runs it on 127.0.0.1:4025 writing to ``data/mail/``; tests start it
on a free loopback port with ``running_sink`` and read what arrived with ``read_messages``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session

DEFAULT_PORT = 4025
DEFAULT_HTTP_PORT = 4026


class EmlWriter:
    """aiosmtpd handler: each accepted message is written whole, then renamed into place."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._counter = itertools.count(1)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        # Stored with the platform's newlines rather than SMTP's CRLF, for readers and diffs.
        content = (envelope.original_content or b"").replace(b"\r\n", b"\n")
        name = f"{time.time_ns()}-{os.getpid()}-{next(self._counter):06d}.eml"
        await asyncio.to_thread(self._write, name, content)
        return "250 Message accepted for delivery"

    def _write(self, name: str, content: bytes) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        partial = self.directory / f".{name}.part"
        partial.write_bytes(content)
        partial.replace(self.directory / name)  # readers never see half a message


@dataclass(frozen=True)
class MailSink:
    host: str
    port: int
    directory: Path


@asynccontextmanager
async def running_sink(
    directory: Path, host: str = "127.0.0.1", port: int = 0
) -> AsyncIterator[MailSink]:
    """Serve SMTP on ``host:port`` (0: a free port) in this event loop until the block ends."""
    handler = EmlWriter(directory)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="switchboard-mailsink"), host=host, port=port
    )
    bound: Any = server.sockets[0].getsockname()
    try:
        yield MailSink(host=host, port=int(bound[1]), directory=directory)
    finally:
        server.close()
        await server.wait_closed()


def message_files(directory: Path) -> list[Path]:
    """The .eml files in ``directory``, oldest first."""
    return sorted(directory.glob("*.eml")) if directory.exists() else []


def read_messages(directory: Path) -> list[EmailMessage]:
    """Every message in ``directory``, parsed, oldest first."""
    parser = BytesParser(policy=policy.default)
    return [parser.parsebytes(path.read_bytes()) for path in message_files(directory)]


async def serve(
    directory: Path, host: str = "127.0.0.1", port: int = DEFAULT_PORT, http_port: int = 0
) -> None:
    """Run until SIGINT or SIGTERM; with ``http_port``, also serve the page of messages."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with running_sink(directory, host, port) as sink:
        print(
            f"mail sink on smtp://{sink.host}:{sink.port}, writing to {sink.directory}/", flush=True
        )
        if not http_port:
            await stop.wait()
            return
        await _serve_page(directory, host, http_port, stop)


class _PageServer(uvicorn.Server):
    """uvicorn, leaving SIGINT/SIGTERM to ``serve``, which stops the SMTP side too."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


async def _serve_page(directory: Path, host: str, port: int, stop: asyncio.Event) -> None:
    from .web import create_app

    config = uvicorn.Config(
        create_app(directory), host=host, port=port, log_level="warning", lifespan="off"
    )
    server = _PageServer(config)
    page = asyncio.create_task(server.serve())
    print(f"mail page on http://{host}:{port}/", flush=True)
    await stop.wait()
    server.should_exit = True
    await page
