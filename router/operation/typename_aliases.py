"""Client aliases named ``__typename``: moved out of the router's way before planning.

A client may write ``{ stock { __typename: sku } }``. The router itself relies on the
``__typename`` key in subgraph data (entity representations, runtime types of abstract
fields), so such an alias would collide with it. Before planning, every field aliased
``__typename`` that is not the ``__typename`` meta-field gets one internal alias instead;
validation already guarantees that all fields sharing that response key in a selection
set merge, so one internal name for all of them keeps them merging. The shaper writes the
value back under ``__typename``, and error paths are renamed back too.
"""

from __future__ import annotations

from typing import Any

from graphql import DocumentNode, FieldNode, NameNode, Visitor, visit

CLIENT_TYPENAME_ALIAS = "__sbc_typename"


def rename_typename_aliases(document: DocumentNode) -> tuple[DocumentNode, dict[str, str]]:
    """The document with such aliases renamed, and internal → client response keys."""
    renamer = _Renamer()
    renamed = visit(document, renamer)
    if not renamer.found:
        return document, {}
    assert isinstance(renamed, DocumentNode)
    return renamed, {CLIENT_TYPENAME_ALIAS: "__typename"}


class _Renamer(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_: Any) -> FieldNode | None:
        alias = node.alias
        if alias is None or alias.value != "__typename" or node.name.value == "__typename":
            return None
        self.found = True
        return FieldNode(
            alias=NameNode(value=CLIENT_TYPENAME_ALIAS),
            name=node.name,
            arguments=node.arguments,
            directives=node.directives,
            selection_set=node.selection_set,
        )


def rename_error_paths(errors: list[dict[str, Any]], keys: dict[str, str]) -> None:
    """Error paths in client response keys (in place)."""
    for error in errors:
        path = error.get("path")
        if isinstance(path, list):
            error["path"] = [keys.get(p, p) if isinstance(p, str) else p for p in path]
