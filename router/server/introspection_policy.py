"""Production mode's introspection switch: refuse operations asking for ``__schema``/``__type``."""

from __future__ import annotations

from graphql import DocumentNode, FieldNode, Visitor, visit

from router.gateway import OperationRejected

INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
INTROSPECTION_MESSAGE = "Introspection is disabled on this router."
_ROOTS = frozenset({"__schema", "__type"})


class _Finder(Visitor):
    def __init__(self) -> None:
        super().__init__()
        self.found = False

    def enter_field(self, node: FieldNode, *_args: object) -> object:
        if node.name.value in _ROOTS:
            self.found = True
            return Visitor.BREAK
        return None


def uses_introspection(document: DocumentNode) -> bool:
    """True when any field of the document (fragments included) is ``__schema`` or ``__type``.

    Validation allows these only on the query root, but through fragments and inline
    fragments too, so the whole document is searched, not only the top-level selections.
    """
    finder = _Finder()
    visit(document, finder)
    return finder.found


def reject_introspection(document: DocumentNode) -> None:
    """A gateway guard: refuse operations that introspect the schema."""
    if uses_introspection(document):
        raise OperationRejected(INTROSPECTION_MESSAGE, INTROSPECTION_DISABLED)
