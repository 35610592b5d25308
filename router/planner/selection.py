"""A mutable builder for one subgraph selection, printable as graphql-core AST."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionNode,
    SelectionSetNode,
    VariableNode,
)

from router.planner.conditions import Condition
from router.planner.plan import Field, InlineFragment, Selection

NodeKey: TypeAlias = tuple[str, str, tuple[Condition, ...]]


@dataclass(eq=False)
class SelNode:
    """A field or inline fragment in a subgraph selection being built."""

    name: str | None = None
    alias: str | None = None
    arguments: tuple[ArgumentNode, ...] = ()
    type_condition: str | None = None
    conditions: tuple[Condition, ...] = ()
    composite: bool = False
    children: dict[NodeKey, SelNode] = field(default_factory=dict)

    @property
    def response_name(self) -> str:
        return self.alias or self.name or ""

    def field(
        self,
        name: str,
        *,
        alias: str | None = None,
        arguments: tuple[ArgumentNode, ...] = (),
        conditions: tuple[Condition, ...] = (),
        composite: bool = False,
    ) -> SelNode:
        key: NodeKey = ("field", alias or name, conditions)
        node = self.children.get(key)
        if node is None:
            node = SelNode(name, alias, arguments, None, conditions, composite)
            self.children[key] = node
        return node

    def fragment(self, type_condition: str, conditions: tuple[Condition, ...] = ()) -> SelNode:
        key: NodeKey = ("fragment", type_condition, conditions)
        node = self.children.get(key)
        if node is None:
            node = SelNode(type_condition=type_condition, conditions=conditions, composite=True)
            self.children[key] = node
        return node

    def add_field_set(self, selection_set: SelectionSetNode) -> None:
        """Add a parsed field set (a key or @requires); keeps its aliases, drops arguments."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                sub = selection.selection_set
                alias = selection.alias.value if selection.alias else None
                child = self.field(selection.name.value, alias=alias, composite=sub is not None)
                if sub is not None:
                    child.add_field_set(sub)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                target = self.fragment(condition.name.value) if condition else self
                target.add_field_set(selection.selection_set)

    def clashes(self, selection_set: SelectionSetNode) -> bool:
        """Whether adding the field set would write one field from two response names (a
        representation cannot carry `price` for two different `price(currency:)`)."""
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = (
                    self.children.get(("fragment", condition.name.value, ())) if condition else self
                )
                if inner is not None and inner.clashes(selection.selection_set):
                    return True
                continue
            if not isinstance(selection, FieldNode):
                continue
            response = (selection.alias or selection.name).value
            for child in self.children.values():
                if child.name != selection.name.value:
                    continue
                if child.response_name != response:
                    return True
                sub = selection.selection_set
                if sub is not None and child.clashes(sub):
                    return True
        return False

    def to_selection_set(self) -> SelectionSetNode:
        selections = [child.to_ast() for child in self.children.values()]
        if not selections:
            selections = [FieldNode(name=NameNode(value="__typename"))]
        return SelectionSetNode(selections=tuple(selections))

    def to_ast(self) -> SelectionNode:
        directives = tuple(_directive(c) for c in self.conditions[-1:])
        node: SelectionNode
        if self.name is None:
            node = InlineFragmentNode(
                type_condition=NamedTypeNode(name=NameNode(value=self.type_condition or "")),
                directives=directives,
                selection_set=self.to_selection_set(),
            )
        else:
            node = FieldNode(
                alias=NameNode(value=self.alias) if self.alias else None,
                name=NameNode(value=self.name),
                arguments=self.arguments,
                directives=directives,
                selection_set=self.to_selection_set() if self.composite else None,
            )
        for condition in reversed(self.conditions[:-1]):
            wrapper = SelectionSetNode(selections=(node,))
            node = InlineFragmentNode(directives=(_directive(condition),), selection_set=wrapper)
        return node

    def to_plan_selections(self) -> tuple[Selection, ...]:
        """The selection as the plan's `requires` model (conditions do not apply there)."""
        result: list[Selection] = []
        for child in self.children.values():
            inner = child.to_plan_selections()
            if child.name is None:
                result.append(InlineFragment(child.type_condition, inner))
            else:
                result.append(Field(child.name, child.alias, inner))
        return tuple(result)


def _directive(condition: Condition) -> DirectiveNode:
    variable, include_when = condition
    argument = ArgumentNode(
        name=NameNode(value="if"), value=VariableNode(name=NameNode(value=variable))
    )
    name = "include" if include_when else "skip"
    return DirectiveNode(name=NameNode(value=name), arguments=(argument,))
