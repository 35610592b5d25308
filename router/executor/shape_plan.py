"""Compile an operation's selection sets into shaping steps, once per operation.

Field collection (fragments, type conditions, ``@skip``/``@include``, merging same-key
fields) and type lookups do not depend on the data, so they are done once per
(selection set, runtime type, condition values) and memoised; shaping a response then only
walks the data with precomputed steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    SelectionSetNode,
    is_abstract_type,
    is_leaf_type,
    value_from_ast,
)
from graphql import GraphQLBoolean as _Boolean

from router.planner.budget import BudgetMeter

# What a step does with the value at its key.
TYPENAME = 0  # the runtime type's name
COPY = 1  # a nullable scalar: copied as is
SCALAR = 2  # a non-null scalar: copied; null is a violation
META = 3  # introspection meta-field answered elsewhere: copied as is
COMPLETE = 4  # anything else: completed by the type chain
UNAUTHORIZED = "\x00unauthorized"  # the data key of a field the plan does not fetch


@dataclass(frozen=True, slots=True)
class Leaf:
    """A scalar or enum; ``allowed`` is the enum's values (None for scalars)."""

    name: str
    allowed: frozenset[str] | None


@dataclass(frozen=True, slots=True)
class NonNull:
    of: TypeChain


@dataclass(frozen=True, slots=True)
class ListOf:
    of: TypeChain


@dataclass(frozen=True, slots=True)
class Composite:
    """An object, interface or union, with the merged selection sets under it."""

    name: str
    selections: SelectionShape


TypeChain = Leaf | NonNull | ListOf | Composite
Runtime = GraphQLObjectType | GraphQLInterfaceType  # an interface only for interface objects


@dataclass(frozen=True, slots=True)
class Step:
    key: str  # read from the data under this key
    out: str  # written to the response (and error paths) under this one
    kind: int
    coordinate: str  # Parent.field, for error messages
    chain: TypeChain | None = None
    typename: str = ""


@dataclass(eq=False)
class SelectionShape:
    """Merged selection sets of one response position; steps memoised per runtime type."""

    compiler: ShapeCompiler
    selection_sets: tuple[SelectionSetNode, ...]
    conditional: bool
    _steps: dict[Any, tuple[Step, ...]] = field(default_factory=dict)
    _functions: dict[Any, Any] = field(default_factory=dict)
    _independent: dict[Any, bool] = field(default_factory=dict)

    def steps(self, runtime: Runtime, variables: dict[str, Any]) -> tuple[Step, ...]:
        key: Any = runtime.name
        if self.conditional:
            key = (runtime.name, *self.compiler.condition_values(variables))
        steps = self._steps.get(key)
        if steps is None:
            steps = self._steps[key] = self.compiler.compile_steps(self, runtime, variables)
        return steps

    def type_independent(self, interface: GraphQLInterfaceType, variables: dict[str, Any]) -> bool:
        """Whether every implementation of ``interface`` selects exactly the interface's
        own fields here (no ``__typename``, no fragment that applies to some of them)."""
        key: Any = interface.name
        if self.conditional:
            key = (interface.name, *self.compiler.condition_values(variables))
        known = self._independent.get(key)
        if known is None:
            base = [(s.key, s.kind) for s in self.steps(interface, variables)]
            known = all(kind != TYPENAME for _, kind in base) and all(
                [(s.key, s.kind) for s in self.steps(possible, variables)] == base
                for possible in self.compiler.schema.get_possible_types(interface)
            )
            self._independent[key] = known
        return known

    def function(
        self,
        runtime: Runtime,
        variables: dict[str, Any],
        build: Callable[[tuple[Step, ...]], Any],
    ) -> Any:
        """``build(steps)`` for objects of ``runtime`` here, memoised (the generated shaper)."""
        key: Any = runtime.name
        if self.conditional:
            key = (runtime.name, *self.compiler.condition_values(variables))
        function = self._functions.get(key)
        if function is None:
            steps = self.steps(runtime, variables)
            self.compiler.spend(len(steps) + 1)
            function = self._functions[key] = build(steps)
        return function


class ShapeCompiler:
    """Builds and memoises shaping steps for one operation against one schema."""

    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: dict[str, FragmentDefinitionNode],
        condition_variables: tuple[str, ...],
        client_keys: dict[str, str],
        meter: BudgetMeter | None = None,
        nulled: frozenset[int] = frozenset(),
        dropped: frozenset[int] = frozenset(),
    ) -> None:
        """``meter``: the shaper's budget, counting selections read and steps generated
        over the compiler's life (compiling happens lazily, during responses).

        ``nulled``: ids of field nodes answered as null without a look at the data (the
        authorization stage removed them from the plan); ``dropped``: ids of fragment nodes
        it removed, which select nothing."""
        self.nulled = nulled
        self.dropped = dropped
        self.schema = schema
        self.fragments = fragments
        self.condition_variables = condition_variables
        self.client_keys = client_keys
        self.meter = meter
        if meter is not None:
            meter.pause()

    def spend(self, units: int) -> None:
        if self.meter is not None:
            self.meter.resume()
            try:
                self.meter.spend(units)
            finally:
                self.meter.pause()

    def shape_of(self, selection_sets: tuple[SelectionSetNode, ...]) -> SelectionShape:
        return SelectionShape(self, selection_sets, bool(self.condition_variables))

    def condition_values(self, variables: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(variables.get(name) for name in self.condition_variables)

    def compile_steps(
        self, shape: SelectionShape, runtime: Runtime, variables: dict[str, Any]
    ) -> tuple[Step, ...]:
        fields: dict[str, list[FieldNode]] = {}
        if self.meter is not None:
            self.meter.resume()
        try:
            for selection_set in shape.selection_sets:
                self._collect(runtime, selection_set, variables, fields, set())
            return tuple(self._step(runtime, key, nodes) for key, nodes in fields.items())
        finally:
            if self.meter is not None:
                self.meter.pause()

    def _step(self, runtime: Runtime, key: str, nodes: list[FieldNode]) -> Step:
        name = nodes[0].name.value
        coordinate = f"{runtime.name}.{name}"
        out = self.client_keys.get(key, key)
        if self.nulled and any(id(node) in self.nulled for node in nodes):
            return Step(UNAUTHORIZED, out, COPY, coordinate)  # a key no data ever has
        if name == "__typename":
            return Step(key, out, TYPENAME, coordinate, typename=runtime.name)
        definition = runtime.fields.get(name)
        if definition is None:
            return Step(key, out, META, coordinate)
        type_ = definition.type
        if is_leaf_type(type_) and not isinstance(type_, GraphQLEnumType):
            return Step(key, out, COPY, coordinate)
        if (
            isinstance(type_, GraphQLNonNull)
            and is_leaf_type(type_.of_type)
            and not isinstance(type_.of_type, GraphQLEnumType)
        ):
            return Step(key, out, SCALAR, coordinate)
        sets = tuple(n.selection_set for n in nodes if n.selection_set is not None)
        return Step(key, out, COMPLETE, coordinate, self._chain(type_, sets))

    def _chain(self, type_: GraphQLOutputType, sets: tuple[SelectionSetNode, ...]) -> TypeChain:
        if isinstance(type_, GraphQLNonNull):
            return NonNull(self._chain(type_.of_type, sets))
        if isinstance(type_, GraphQLList):
            return ListOf(self._chain(type_.of_type, sets))
        if isinstance(type_, GraphQLEnumType):
            return Leaf(type_.name, frozenset(type_.values))
        if is_leaf_type(type_):
            return Leaf(type_.name, None)
        return Composite(type_.name, self.shape_of(sets))

    def _collect(
        self,
        runtime: Runtime,
        selection_set: SelectionSetNode,
        variables: dict[str, Any],
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        if self.meter is not None:
            self.meter.spend(len(selection_set.selections))
        for selection in selection_set.selections:
            if not self._included(selection, variables):
                continue
            if self.dropped and id(selection) in self.dropped:
                continue
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is None or self.applies(condition.name.value, runtime):
                    self._collect(runtime, selection.selection_set, variables, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if name in visited or fragment is None:
                    continue
                visited.add(name)
                if self.applies(fragment.type_condition.name.value, runtime):
                    self._collect(runtime, fragment.selection_set, variables, fields, visited)

    def applies(self, condition: str, runtime: Runtime) -> bool:
        if condition == runtime.name:
            return True
        named = self.schema.get_type(condition)
        return is_abstract_type(named) and self.schema.is_sub_type(named, runtime)

    def _included(self, node: Any, variables: dict[str, Any]) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("skip", "include"):
                continue
            argument = next((a for a in directive.arguments if a.name.value == "if"), None)
            value = value_from_ast(argument.value, _Boolean, variables) if argument else None
            if (name == "skip" and value is True) or (name == "include" and value is not True):
                return False
        return True
