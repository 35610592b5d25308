"""supergraph.yaml in rover's format, and fetching each subgraph's SDL from a file or a URL."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import yaml

from schema.compose import SubgraphSource
from schema.errors import ConfigError, SubgraphFetchError

SERVICE_QUERY = "{ _service { sdl } }"


@dataclass(frozen=True)
class SubgraphConfig:
    """One subgraph entry: where it is routed, and where its schema comes from."""

    name: str
    routing_url: str
    file: Path | None = None
    subgraph_url: str | None = None
    sdl: str | None = None


@dataclass(frozen=True)
class SupergraphConfig:
    """The whole config file."""

    federation_version: str
    subgraphs: tuple[SubgraphConfig, ...]


def load_config(path: Path) -> SupergraphConfig:
    """Parse ``path``; ConfigError with one readable line when it is missing or malformed."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise ConfigError(f"{path} is not valid YAML{where}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("subgraphs"), Mapping):
        raise ConfigError(f"{path}: expected a mapping with a 'subgraphs' mapping")
    entries = tuple(_subgraph(path, str(n), e) for n, e in data["subgraphs"].items())
    if not entries:
        raise ConfigError(f"{path}: 'subgraphs' is empty")
    return SupergraphConfig(str(data.get("federation_version", "2")), entries)


def _subgraph(path: Path, name: str, entry: Any) -> SubgraphConfig:
    if not isinstance(entry, Mapping) or not isinstance(entry.get("schema"), Mapping):
        raise ConfigError(f"{path}: subgraph {name!r} needs a 'schema' mapping")
    schema = entry["schema"]
    routing = entry.get("routing_url") or schema.get("subgraph_url")
    if not isinstance(routing, str):
        raise ConfigError(f"{path}: subgraph {name!r} needs a 'routing_url'")
    if isinstance(schema.get("file"), str):
        return SubgraphConfig(name, routing, file=(path.parent / schema["file"]))
    if isinstance(schema.get("subgraph_url"), str):
        return SubgraphConfig(name, routing, subgraph_url=schema["subgraph_url"])
    if isinstance(schema.get("sdl"), str):
        return SubgraphConfig(name, routing, sdl=schema["sdl"])
    raise ConfigError(f"{path}: subgraph {name!r}: schema needs 'file', 'subgraph_url' or 'sdl'")


def fetch_sources(config: SupergraphConfig, timeout: float = 10.0) -> list[SubgraphSource]:
    """Every subgraph's SDL; SubgraphFetchError naming the first one that cannot be read."""
    return [SubgraphSource(s.name, s.routing_url, _sdl(s, timeout)) for s in config.subgraphs]


def _sdl(s: SubgraphConfig, timeout: float) -> str:
    if s.file is not None:
        try:
            return s.file.read_text()
        except OSError as exc:
            raise SubgraphFetchError(
                f"subgraph {s.name!r}: cannot read {s.file}: {exc.strerror or exc}"
            ) from None
    if s.subgraph_url is not None:
        return introspect(s.name, s.subgraph_url, timeout)
    assert s.sdl is not None
    return s.sdl


def introspect(name: str, url: str, timeout: float = 10.0) -> str:
    """The SDL a live subgraph answers to ``{ _service { sdl } }``."""
    try:
        response = httpx.post(url, json={"query": SERVICE_QUERY}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise SubgraphFetchError(
            f"subgraph {name!r}: cannot reach {url}: {type(exc).__name__}: {exc}"
        ) from None
    if response.status_code != 200:
        raise SubgraphFetchError(f"subgraph {name!r}: {url} answered HTTP {response.status_code}")
    try:
        sdl = response.json()["data"]["_service"]["sdl"]
    except (ValueError, KeyError, TypeError):
        raise SubgraphFetchError(
            f"subgraph {name!r}: {url} did not answer {SERVICE_QUERY} with data._service.sdl"
        ) from None
    if not isinstance(sdl, str):
        raise SubgraphFetchError(f"subgraph {name!r}: {url} returned a non-string _service.sdl")
    return sdl
