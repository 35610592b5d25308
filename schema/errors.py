"""Composition errors: Apollo's error code, the subgraphs involved and a schema coordinate.

Tree::

    SchemaError                 anything reported to the user as one line
    ├── ConfigError             supergraph.yaml unreadable or invalid
    ├── SubgraphFetchError      a subgraph file or URL did not yield an SDL
    └── CompositionFailed       composition stopped; carries every CompositionError found
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class CompositionError:
    """One broken rule, named by Apollo's code (e.g. ``INVALID_FIELD_SHARING``)."""

    code: str
    message: str
    subgraphs: tuple[str, ...] = ()
    coordinate: str | None = None

    def __str__(self) -> str:
        where = f" [{', '.join(self.subgraphs)}]" if self.subgraphs else ""
        at = f" at {self.coordinate}" if self.coordinate else ""
        return f"{self.code}{where}{at}: {' '.join(self.message.split())}"


class SchemaError(Exception):
    """A failure reported to the user as one line, without a traceback."""


class ConfigError(SchemaError):
    """The supergraph config cannot be read or is invalid."""


class SubgraphFetchError(SchemaError):
    """A subgraph's SDL could not be read from its file or URL."""


class CompositionFailed(SchemaError):
    """Composition found errors; ``errors`` holds all of them."""

    def __init__(self, errors: Iterable[CompositionError]) -> None:
        self.errors = tuple(errors)
        super().__init__("\n".join(str(e) for e in self.errors))


def error(
    code: str, message: str, subgraphs: Iterable[str] = (), coordinate: str | None = None
) -> CompositionError:
    """Shorthand for a CompositionError with subgraph names as a tuple."""
    return CompositionError(code, message, tuple(subgraphs), coordinate)
