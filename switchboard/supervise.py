"""The processes `switchboard dev` runs: start, prefix their logs, wait until ready, stop."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import socket
import sys
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx

READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
COLOURS = ("36", "33", "35", "32", "34", "31", "96", "93")
NAME_WIDTH = 13
_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '([\w.]+)'")
_OUR_PACKAGES = ("subgraphs", "router", "schema", "switchboard")


@dataclass(frozen=True)
class ProcessSpec:
    """One process of the dev loop: how to start it, where it listens, what restarts it.

    ``health_path`` None means "ready once the port accepts connections" (e.g. an SMTP
    sink). A process with ``watch`` directories is restarted when a ``.py`` file under
    them changes, and its exit does not end the dev loop; any other process exiting does.
    """

    name: str
    argv: tuple[str, ...]
    host: str
    port: int
    port_env: str
    health_path: str | None = "/health"
    watch: tuple[Path, ...] = ()
    address: str | None = None  # what the banner shows; the GraphQL endpoint by default
    pass_fds: tuple[int, ...] = ()  # inherited file descriptors (a shared listening socket)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def shown_address(self) -> str:
        return self.address or f"{self.url}/graphql"


def switchboard_argv(*args: str) -> tuple[str, ...]:
    """``python -m switchboard ARGS`` with this interpreter."""
    return (sys.executable, "-m", "switchboard", *args)


def check_port_free(spec: ProcessSpec) -> None:
    """ValueError (one line: what and how to fix it) when ``spec``'s port is taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((spec.host, spec.port))
        except OSError:
            raise ValueError(
                f"port {spec.host}:{spec.port} for {spec.name} is already in use: stop what is "
                f"listening there (`ss -ltnp 'sport = :{spec.port}'`) or set {spec.port_env}"
            ) from None


@dataclass
class Child:
    """A running (or exited) process of ``spec``; its output is copied to our stdout."""

    spec: ProcessSpec
    colour: str
    process: asyncio.subprocess.Process | None = None
    pipe: asyncio.Task[None] | None = None
    tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))
    exit_reported: bool = False

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def returncode(self) -> int | None:
        return None if self.process is None else self.process.returncode

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.returncode is None

    async def start(self) -> None:
        self.tail.clear()
        self.exit_reported = False
        self.process = await asyncio.create_subprocess_exec(
            *self.spec.argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches only us; we stop the children in order
            pass_fds=self.spec.pass_fds,
        )
        assert self.process.stdout is not None
        self.pipe = asyncio.create_task(self._copy(self.process.stdout))

    async def _copy(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            text = line.decode(errors="replace")
            self.tail.append(text.rstrip("\n"))
            emit(self.name, text, self.colour)

    async def stop(self) -> None:
        process = self.process
        if process is not None and process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), timeout=STOP_TIMEOUT)
            except TimeoutError:
                process.kill()
                await process.wait()
        await self.drain()

    async def drain(self) -> None:
        """Wait until the output of an exited process has been copied (for ``failure``)."""
        if self.pipe is not None:
            await asyncio.gather(self.pipe, return_exceptions=True)

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def is_ready(self, client: httpx.AsyncClient) -> bool:
        if self.spec.health_path is None:
            try:
                _, writer = await asyncio.open_connection(self.spec.host, self.spec.port)
            except OSError:
                return False
            writer.close()
            await writer.wait_closed()
            return True
        with contextlib.suppress(httpx.HTTPError):
            response = await client.get(self.spec.url + self.spec.health_path)
            return response.status_code == 200
        return False

    def failure(self) -> str:
        """One line on why this process exited: its own error line, with a fix if we know one."""
        reason = last_error_line(self.tail).removeprefix(f"{self.name}: ") or "(no output)"
        missing = _MISSING_MODULE.search(reason)
        if missing and missing.group(1).split(".")[0] not in _OUR_PACKAGES:
            return (
                f"{self.name} cannot start: Python module {missing.group(1)!r} is missing: run "
                "`make install` to install the locked dependencies into .venv/ (a new "
                "dependency goes into pyproject.toml first)"
            )
        return f"{self.name} exited with code {self.returncode}: {reason}"


def last_error_line(lines: deque[str]) -> str:
    """The line that says what went wrong: a `switchboard …: error:` line or an exception."""
    for line in reversed(lines):
        if ": error: " in line and line.startswith("switchboard "):
            return line.split(": error: ", 1)[1]
    for line in reversed(lines):
        if re.match(r"^[\w.]*(Error|Exception)\b.*:", line):
            return line
    return next((line for line in reversed(lines) if line.strip()), "")


def emit(name: str, text: str, colour: str = "0") -> None:
    """Write ``text`` (one or more lines) to stdout, each line prefixed with ``name``."""
    plain = f"{name:<{NAME_WIDTH}} | "
    prefix = f"\x1b[{colour}m{plain[:-1]}\x1b[0m " if sys.stdout.isatty() else plain
    for line in text.rstrip("\n").split("\n"):
        sys.stdout.write(prefix + line + "\n")
    sys.stdout.flush()


async def wait_ready(children: list[Child]) -> None:
    """Return when every child is ready; ValueError (one line) if one exits or time runs out."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READY_TIMEOUT
    pending = list(children)
    async with httpx.AsyncClient(timeout=2.0) as client:
        while pending:
            for child in list(pending):
                if child.returncode is not None:
                    await child.drain()  # read its last words before quoting them
                    raise ValueError(child.failure())
                if await child.is_ready(client):
                    pending.remove(child)
            if pending and loop.time() > deadline:
                names = ", ".join(c.name for c in pending)
                raise ValueError(
                    f"not ready after {READY_TIMEOUT:.0f}s: {names} (see the log above)"
                )
            if pending:
                await asyncio.sleep(0.2)
