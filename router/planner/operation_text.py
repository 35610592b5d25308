"""Print a fetch group's selection as subgraph operation text, as graphql-core prints it.

`print_ast` on a built AST costs about a millisecond per fetch; plans with a hundred
fetches spent most of their time there. This writes the same text straight from the
selection tree and collects the variables it uses on the way, in the order graphql-core's
visitor meets them. Fields with arguments print their head through `print_ast` (its
line-wrapping rules), memoised per node.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql import (
    ArgumentNode,
    BooleanValueNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NameNode,
    NullValueNode,
    ObjectValueNode,
    StringValueNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    print_ast,
)
from graphql.language.print_string import print_string

from router.planner.conditions import Condition
from router.planner.selection import SelNode

_ENTITIES = "_entities(representations: $representations)"
REPRESENTATIONS_DEFINITION = "$representations: [_Any!]!"
_MAX_LINE_LENGTH = 80  # graphql-core wraps longer argument lists


class OperationPrinter:
    """Prints selections and remembers, per argument tuple, their printed head."""

    def __init__(self) -> None:
        self._heads: dict[tuple[str | None, str, int], tuple[str, tuple[str, ...]]] = {}
        self._definitions: dict[int, str] = {}

    def operation(
        self,
        root: SelNode,
        *,
        kind: str,
        name: str | None,
        entity: bool,
        definitions: Mapping[str, VariableDefinitionNode],
        variables: dict[str, None],
    ) -> str:
        """The whole operation; `variables` receives the names used, in order, and their
        `definitions` are printed in that order."""
        body: list[str] = []
        if entity:
            body.append("{\n  " + _ENTITIES + " ")
            self.block(root, "  ", body, variables)
            body.append("\n}")
        else:
            self.block(root, "", body, variables)
        printed = [self._definition(definitions[n]) for n in variables if n in definitions]
        if entity:
            printed.insert(0, REPRESENTATIONS_DEFINITION)
        header = _header(kind, name, printed)
        return header + "".join(body)

    def block(self, node: SelNode, indent: str, out: list[str], variables: dict[str, None]) -> None:
        inner = indent + "  "
        out.append("{")
        if not node.children:
            out.append("\n" + inner + "__typename")
        for child in node.children.values():
            out.append("\n" + inner)
            self.selection(child, inner, out, variables)
        out.append("\n" + indent + "}")

    def selection(
        self, node: SelNode, indent: str, out: list[str], variables: dict[str, None]
    ) -> None:
        wrappers = node.conditions[:-1]
        for depth, condition in enumerate(wrappers):
            variables.setdefault(condition[0], None)
            out.append("... " + _directive(condition) + " {\n" + indent + "  " * (depth + 1))
        here = indent + "  " * len(wrappers)
        if node.name is None:
            out.append("... on " + (node.type_condition or ""))
        else:
            out.append(self._head(node, here, variables))
        if node.conditions:
            variables.setdefault(node.conditions[-1][0], None)
            out.append(" " + _directive(node.conditions[-1]))
        if node.name is None or node.composite:
            out.append(" ")
            self.block(node, here, out, variables)
        for depth in range(len(wrappers) - 1, -1, -1):
            out.append("\n" + indent + "  " * depth + "}")

    def _head(self, node: SelNode, indent: str, variables: dict[str, None]) -> str:
        assert node.name is not None
        if not node.arguments:
            return f"{node.alias}: {node.name}" if node.alias else node.name
        key = (node.alias, node.name, id(node.arguments))
        known = self._heads.get(key)
        if known is None:
            field = FieldNode(
                alias=NameNode(value=node.alias) if node.alias else None,
                name=NameNode(value=node.name),
                arguments=node.arguments,
            )
            used: dict[str, None] = {}
            for argument in node.arguments:
                _variables_in(argument, used)
            known = self._heads[key] = (_field_head(field), tuple(used))
        for name in known[1]:
            variables.setdefault(name, None)
        return known[0].replace("\n", "\n" + indent)

    def _definition(self, definition: VariableDefinitionNode) -> str:
        printed = self._definitions.get(id(definition))
        if printed is None:
            printed = self._definitions[id(definition)] = print_ast(definition)
        return printed


def _field_head(field: FieldNode) -> str:
    """`alias: name(arguments)` as print_ast writes it; scalars and variables directly."""
    printed = [_argument(a) for a in field.arguments or ()]
    if any(p is None for p in printed):
        return print_ast(field)
    prefix = f"{field.alias.value}: {field.name.value}" if field.alias else field.name.value
    joined = ", ".join(p for p in printed if p is not None)
    if len(prefix) + len(joined) + 2 > _MAX_LINE_LENGTH:
        return print_ast(field)
    return f"{prefix}({joined})"


def _argument(argument: ArgumentNode) -> str | None:
    value = argument.value
    if isinstance(value, VariableNode):
        text = "$" + value.name.value
    elif isinstance(value, IntValueNode | FloatValueNode | EnumValueNode):
        text = value.value
    elif isinstance(value, BooleanValueNode):
        text = "true" if value.value else "false"
    elif isinstance(value, NullValueNode):
        text = "null"
    elif isinstance(value, StringValueNode) and not value.block:
        text = print_string(value.value)
    else:
        return None
    return f"{argument.name.value}: {text}"


def _header(kind: str, name: str | None, definitions: list[str]) -> str:
    if any("\n" in d for d in definitions):  # graphql-core does not indent these
        variables = "(\n" + "\n".join(definitions) + "\n)"
    else:
        variables = f"({', '.join(definitions)})" if definitions else ""
    head = (name or "") + variables
    if kind == "query" and not head:
        return ""
    return f"{kind} {head} " if head else f"{kind} "


def _directive(condition: Condition) -> str:
    variable, include_when = condition
    return f"@{'include' if include_when else 'skip'}(if: ${variable})"


def _variables_in(node: ArgumentNode | ValueNode, found: dict[str, None]) -> None:
    value = node.value if isinstance(node, ArgumentNode) else node
    if isinstance(value, VariableNode):
        found.setdefault(value.name.value, None)
    elif isinstance(value, ListValueNode):
        for item in value.values:
            _variables_in(item, found)
    elif isinstance(value, ObjectValueNode):
        for object_field in value.fields:
            _variables_in(object_field.value, found)
