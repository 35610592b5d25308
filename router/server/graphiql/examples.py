"""Example operations GraphiQL opens with: those in ``examples/`` that the API schema accepts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from graphql import GraphQLError, GraphQLSchema, parse, validate

logger = logging.getLogger("switchboard.router")
EXAMPLES = Path(__file__).resolve().parent / "examples"
WELCOME = (
    "# Welcome to Switchboard's GraphiQL.\n"
    "# Docs (top left) shows the schema.\n"
    "# Run a query with Ctrl-Enter: its\n"
    "# query plan shows on the right.\n"
    "{\n  __typename\n}\n"
)


@dataclass(frozen=True)
class Example:
    name: str
    query: str


def load_examples(schema: GraphQLSchema, directory: Path = EXAMPLES) -> list[Example]:
    """The examples in file-name order, leaving out any this schema rejects.

    The router serves any supergraph; the examples are written for the demo one.
    """
    examples = [Example(p.stem, p.read_text()) for p in sorted(directory.glob("*.graphql"))]
    fitting = [e for e in examples if not example_errors(schema, e)]
    if len(fitting) < len(examples):
        left_out = sorted({e.name for e in examples} - {e.name for e in fitting})
        logger.info("GraphiQL examples left out (this supergraph rejects them): %s", left_out)
    return fitting or [Example("welcome", WELCOME)]


def example_errors(schema: GraphQLSchema, example: Example) -> list[GraphQLError]:
    try:
        document = parse(example.query)
    except GraphQLError as error:
        return [error]
    return validate(schema, document)
