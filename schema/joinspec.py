"""Definitions the supergraph carries for the link and join specs and the features it links."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping

from schema.specs import FEATURE_SPECS

LINK = (
    "directive @link(url: String, as: String, for: link__Purpose, import: [link__Import]) "
    "repeatable on SCHEMA"
)
_PURPOSE = '''enum link__Purpose {
  """
  `SECURITY` features provide metadata necessary to securely resolve fields.
  """
  SECURITY

  """
  `EXECUTION` features provide metadata necessary for operation execution.
  """
  EXECUTION
}'''


def _join_field(version: tuple[int, int]) -> str:
    args = (
        "graph: join__Graph, requires: join__FieldSet, provides: join__FieldSet, type: String, "
        "external: Boolean, override: String, usedOverridden: Boolean"
    )
    if version >= (0, 4):
        args += ", overrideLabel: String"
    if version >= (0, 5):
        args += ", contextArguments: [join__ContextArgument!]"
    return f"directive @join__field({args}) repeatable on FIELD_DEFINITION | INPUT_FIELD_DEFINITION"


def directive_definitions(version: tuple[int, int], features: Mapping[str, str]) -> list[str]:
    """Directive definitions for join at ``version``, link, and the features linked."""
    defs = [
        "directive @join__enumValue(graph: join__Graph!) repeatable on ENUM_VALUE",
        _join_field(version),
        "directive @join__graph(name: String!, url: String!) on ENUM_VALUE",
        "directive @join__implements(graph: join__Graph!, interface: String!) repeatable on OBJECT "
        "| INTERFACE",
        "directive @join__type(graph: join__Graph!, key: join__FieldSet, extension: Boolean! = "
        "false, resolvable: Boolean! = true, isInterfaceObject: Boolean! = false) repeatable on "
        "OBJECT | INTERFACE | UNION | ENUM | INPUT_OBJECT | SCALAR",
        "directive @join__unionMember(graph: join__Graph!, member: String!) repeatable on UNION",
        LINK,
    ]
    if version >= (0, 4):
        defs.append(
            "directive @join__directive(graphs: [join__Graph!], name: String!, args: "
            "join__DirectiveArguments) repeatable on SCHEMA | OBJECT | INTERFACE | FIELD_DEFINITION"
        )
    for feature, name in features.items():
        defs.append(f"directive @{name}{FEATURE_SPECS[feature].signature}")
    return defs


def link_definitions(
    version: tuple[int, int], graphs: Iterable[tuple[str, str, str]]
) -> Iterator[tuple[str, str]]:
    """(name, SDL) of join__Graph, join__FieldSet, link__Import, link__Purpose and friends."""
    values = "\n".join(
        f"  {enum} @join__graph(name: {json.dumps(name)}, url: {json.dumps(url)})"
        for enum, name, url in graphs
    )
    yield "join__FieldSet", "scalar join__FieldSet"
    yield "join__Graph", "enum join__Graph {\n" + values + "\n}"
    yield "link__Import", "scalar link__Import"
    yield "link__Purpose", _PURPOSE
    if version >= (0, 4):
        yield "join__DirectiveArguments", "scalar join__DirectiveArguments"
    if version >= (0, 5):
        yield "join__FieldValue", "scalar join__FieldValue"
        yield (
            "join__ContextArgument",
            "input join__ContextArgument {\n  name: String!\n  type: String!\n  context: String!\n"
            "  selection: join__FieldValue!\n}",
        )
