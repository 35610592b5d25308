"""Hot reload for `switchboard dev`: notice changed sources and SDLs, recompose the supergraph."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from schema.cli import write_atomically
from schema.compose import SubgraphSource, compose
from schema.config import SERVICE_QUERY
from schema.errors import CompositionFailed, SchemaError

Snapshot = dict[Path, int]


def snapshot(directories: Sequence[Path]) -> Snapshot:
    """Every ``.py`` file under ``directories`` with its modification time (ns)."""
    found: Snapshot = {}
    for directory in directories:
        for path in directory.rglob("*.py"):
            with contextlib.suppress(OSError):  # deleted while we looked
                found[path] = path.stat().st_mtime_ns
    return found


@dataclass
class SourceWatcher:
    """Says when a ``.py`` file under ``directories`` was added, changed or removed."""

    directories: tuple[Path, ...]
    last: Snapshot = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.last = snapshot(self.directories)

    def changed(self) -> list[Path]:
        """The files that differ since the previous call (empty when nothing did)."""
        now = snapshot(self.directories)
        differ = [p for p in now.keys() | self.last.keys() if now.get(p) != self.last.get(p)]
        self.last = now
        return sorted(differ)


class CompositionProblem(Exception):
    """The live subgraphs do not compose; the message is one line naming every error."""


@dataclass(frozen=True)
class LiveSubgraph:
    name: str
    url: str  # the GraphQL endpoint, which is also the routing URL in the supergraph


def compose_to_file(sdls: Mapping[str, str], subgraphs: Sequence[LiveSubgraph], path: Path) -> bool:
    """Compose and atomically replace ``path``; True if its content changed.

    CompositionProblem (``path`` untouched) when the SDLs do not compose.
    """
    sources = [SubgraphSource(s.name, s.url, sdls[s.name]) for s in subgraphs]
    try:
        supergraph = compose(sources)
    except CompositionFailed as failed:
        raise CompositionProblem("; ".join(str(e) for e in failed.errors)) from None
    except SchemaError as exc:
        raise CompositionProblem(str(exc)) from None
    with contextlib.suppress(OSError):
        if path.read_text() == supergraph:
            return False
    write_atomically(path, supergraph)
    return True


async def fetch_sdl(client: httpx.AsyncClient, url: str) -> str | None:
    """What ``url`` answers to ``{ _service { sdl } }``; None while it cannot answer."""
    try:
        response = await client.post(url, json={"query": SERVICE_QUERY})
        sdl = response.json()["data"]["_service"]["sdl"]
    except (httpx.HTTPError, ValueError, KeyError, TypeError):
        return None
    return sdl if isinstance(sdl, str) else None


def _digest(sdls: Mapping[str, str]) -> str:
    text = "\0".join(f"{name}\0{sdl}" for name, sdl in sorted(sdls.items()))
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Recomposer:
    """Polls each subgraph's SDL; when one changes, recomposes into ``path``.

    A subgraph that does not answer (e.g. while it restarts) keeps its last SDL. A set of
    SDLs is composed once: a failure is reported once, and the file keeps the last good
    supergraph until a later change composes again.
    """

    subgraphs: tuple[LiveSubgraph, ...]
    path: Path
    report: Callable[[str], None]
    sdls: dict[str, str] = field(default_factory=dict)
    attempted: str = ""
    failing: bool = False

    async def compose_first(self, client: httpx.AsyncClient) -> None:
        """Compose from every subgraph's SDL; CompositionProblem if one does not answer."""
        answers = await asyncio.gather(*(fetch_sdl(client, s.url) for s in self.subgraphs))
        for subgraph, sdl in zip(self.subgraphs, answers, strict=True):
            if sdl is None:
                raise CompositionProblem(
                    f"{subgraph.name} did not answer {SERVICE_QUERY} at {subgraph.url}"
                )
            self.sdls[subgraph.name] = sdl
        self.attempted = _digest(self.sdls)
        await asyncio.to_thread(compose_to_file, self.sdls, self.subgraphs, self.path)

    async def poll(self, client: httpx.AsyncClient) -> None:
        answers = await asyncio.gather(*(fetch_sdl(client, s.url) for s in self.subgraphs))
        before = dict(self.sdls)
        for subgraph, sdl in zip(self.subgraphs, answers, strict=True):
            if sdl is not None:
                self.sdls[subgraph.name] = sdl
        if len(self.sdls) < len(self.subgraphs) or _digest(self.sdls) == self.attempted:
            return
        changed = sorted(n for n in self.sdls if before.get(n) != self.sdls[n])
        await self.recompose(", ".join(changed))

    async def recompose(self, changed: str) -> None:
        self.attempted = _digest(self.sdls)
        try:
            wrote = await asyncio.to_thread(compose_to_file, self.sdls, self.subgraphs, self.path)
        except CompositionProblem as problem:
            self.failing = True
            self.report(
                f"composition failed after a change in {changed}; the router keeps the "
                f"previous supergraph: {problem}"
            )
            return
        if wrote:
            self.report(f"recomposed {self.path} after a change in {changed}")
        elif self.failing:
            self.report(f"the subgraphs compose again; {self.path} is unchanged")
        self.failing = False
