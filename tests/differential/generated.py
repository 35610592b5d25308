"""Random valid operations for an API schema: hypothesis-graphql's, then decorated.

hypothesis-graphql draws a selection of fields with literal arguments (inline fragments on
the members of abstract types). ``operations`` adds what it does not write and what
routers get wrong: ``__typename``, aliases (fresh ones and ones that shadow another
field's name), ``@skip``/``@include`` with literals and variables, arguments passed as
variables, named fragments and inline fragments without a type condition. Argument
values favour those of the case's data, so lookups find something.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import graphql
import hypothesis
import hypothesis_graphql
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLArgument,
    GraphQLInputType,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    OperationDefinitionNode,
    SelectionNode,
    SelectionSetNode,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
)
from hypothesis import strategies as st

OPERATION_NAME = "Generated"
NEUTRAL_PREFIX = "neutral_alias_"


@dataclass(frozen=True)
class GeneratedOperation:
    """One request to send to both gateways; its repr is the query, for failure reports."""

    document: str
    variables: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        return {
            "query": self.document,
            "operationName": OPERATION_NAME,
            "variables": self.variables,
        }

    def __repr__(self) -> str:
        return f"\n{self.document}\nvariables: {json.dumps(self.variables)}\n"

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        """How hypothesis prints a falsifying example: the query itself."""
        printer.text(repr(self))


@dataclass(frozen=True)
class Samples:
    """Scalar values found in a case's data: arguments drawn from them find something."""

    strings: tuple[str, ...] = ()
    ints: tuple[int, ...] = ()

    @classmethod
    def of(cls, values: Iterable[Any]) -> Samples:
        strings: set[str] = set()
        ints: set[int] = set()
        for value in values:
            if isinstance(value, str) and not value.startswith("@") and "{" not in value:
                strings.add(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                ints.add(value)
        return cls(tuple(sorted(strings)), tuple(sorted(ints)))


def leaves(value: Any) -> Iterable[Any]:
    """Every scalar inside JSON-like data or (frozen) dataclasses."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for item in dataclasses.fields(value):
            yield from leaves(getattr(value, item.name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from leaves(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from leaves(item)
    else:
        yield value


def case_samples(case_dir: Path) -> Samples:
    return Samples.of(
        value
        for path in sorted((case_dir / "data").glob("*.json"))
        for value in leaves(json.loads(path.read_text()))
    )


def api_schema(introspection: dict[str, Any]) -> GraphQLSchema:
    """The schema an introspection result describes (the ``data`` of the response)."""
    return graphql.build_client_schema(introspection)  # type: ignore[arg-type]


INTROSPECTION_QUERY = graphql.get_introspection_query(descriptions=False)


def _scalars(schema: GraphQLSchema, samples: Samples) -> dict[str, st.SearchStrategy[ValueNode]]:
    """Value strategies for ``String``/``ID``/``Int`` (favouring samples) and custom scalars."""
    text = st.text(max_size=8)
    if samples.strings:
        text = st.sampled_from(samples.strings) | text
    numbers = st.integers(min_value=-(2**31), max_value=2**31 - 1)
    if samples.ints:
        numbers = st.sampled_from(samples.ints) | numbers
    strings = text.map(lambda s: graphql.StringValueNode(value=s))
    scalars: dict[str, st.SearchStrategy[ValueNode]] = {
        "String": strings,
        "ID": strings,
        "Int": numbers.map(lambda n: graphql.IntValueNode(value=str(n))),
    }
    for name, type_ in schema.type_map.items():
        custom = name not in graphql.specified_scalar_types and not name.startswith("__")
        if isinstance(type_, graphql.GraphQLScalarType) and custom:
            scalars[name] = strings
    return scalars


def operations(
    schema: GraphQLSchema,
    samples: Samples,
    *,
    mutations: bool,
    fields: Iterable[str] | None = None,
) -> st.SearchStrategy[GeneratedOperation]:
    """Valid operations (queries, and mutations when asked and the schema has them);
    with ``fields``, queries select only those root fields."""
    scalars = _scalars(schema, samples)
    base: st.SearchStrategy[DocumentNode] = hypothesis_graphql.queries(
        schema, fields=fields, custom_scalars=scalars, print_ast=_identity
    )
    if mutations and schema.mutation_type is not None:
        base = base | hypothesis_graphql.mutations(
            schema, custom_scalars=scalars, print_ast=_identity
        )
    return _decorated(schema, base)


def _identity(document: DocumentNode) -> DocumentNode:
    return document


@st.composite
def _decorated(
    draw: st.DrawFn, schema: GraphQLSchema, base: st.SearchStrategy[DocumentNode]
) -> GeneratedOperation:
    """The drawn document, decorated; with fewer decorations where those made it invalid."""
    document = draw(base)
    for shadowing in (True, False):
        decorator = _Decorator(draw, schema, shadowing=shadowing)
        candidate = decorator.document(document)
        if not graphql.validate(schema, candidate):
            return GeneratedOperation(graphql.print_ast(candidate), decorator.variables)
    plain = _named(document, ())
    problems = graphql.validate(schema, plain)
    assert not problems, f"hypothesis-graphql drew an invalid operation: {problems}"
    return GeneratedOperation(graphql.print_ast(plain))


def _named(document: DocumentNode, variables: tuple[VariableDefinitionNode, ...]) -> DocumentNode:
    operation = document.definitions[0]
    assert isinstance(operation, OperationDefinitionNode)
    named = OperationDefinitionNode(
        operation=operation.operation,
        name=NameNode(value=OPERATION_NAME),
        variable_definitions=variables,
        directives=(),
        selection_set=operation.selection_set,
    )
    return DocumentNode(definitions=(named, *document.definitions[1:]))


class _Decorator:
    """Rewrites one document with drawn decorations, collecting variables and fragments."""

    def __init__(self, draw: st.DrawFn, schema: GraphQLSchema, *, shadowing: bool) -> None:
        self.draw = draw
        self.schema = schema
        self.shadowing = shadowing
        self.variables: dict[str, Any] = {}
        self.definitions: list[VariableDefinitionNode] = []
        self.fragments: list[FragmentDefinitionNode] = []
        self.count = 0

    def chance(self, tenths: int) -> bool:
        """True with probability ``tenths``/10; shrinks to False."""
        return bool(self.draw(st.sampled_from([False] * (10 - tenths) + [True] * tenths)))

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def document(self, document: DocumentNode) -> DocumentNode:
        operation = document.definitions[0]
        assert isinstance(operation, OperationDefinitionNode)
        root = self.schema.get_root_type(operation.operation)
        assert root is not None
        selection_set = self.selection_set(operation.selection_set, root)
        body = DocumentNode(
            definitions=(
                OperationDefinitionNode(operation=operation.operation, selection_set=selection_set),
            )
        )
        named = _named(body, tuple(self.definitions))
        return DocumentNode(definitions=(*named.definitions, *self.fragments))

    def selection_set(self, node: SelectionSetNode, parent: GraphQLNamedType) -> SelectionSetNode:
        selections = [self.selection(item, parent) for item in node.selections]
        if self.chance(3):
            position = self.draw(st.integers(0, len(selections)))
            selections.insert(position, FieldNode(name=NameNode(value="__typename")))
        if self.chance(1):
            selections = self.wrap(selections, parent)
        return SelectionSetNode(selections=tuple(selections))

    def wrap(
        self, selections: list[SelectionNode], parent: GraphQLNamedType
    ) -> list[SelectionNode]:
        """A slice of the selections moved into an inline fragment or a named fragment."""
        start = self.draw(st.integers(0, len(selections) - 1))
        end = self.draw(st.integers(start + 1, len(selections)))
        inner = SelectionSetNode(selections=tuple(selections[start:end]))
        condition = NamedTypeNode(name=NameNode(value=parent.name))
        wrapper: SelectionNode
        if self.chance(5):
            name = self.fresh("Fragment")
            self.fragments.append(
                FragmentDefinitionNode(
                    name=NameNode(value=name), type_condition=condition, selection_set=inner
                )
            )
            wrapper = FragmentSpreadNode(name=NameNode(value=name), directives=self.conditions())
        else:
            typed = condition if self.chance(5) else None
            wrapper = InlineFragmentNode(
                type_condition=typed, directives=self.conditions(), selection_set=inner
            )
        return [*selections[:start], wrapper, *selections[end:]]

    def selection(self, node: SelectionNode, parent: GraphQLNamedType) -> SelectionNode:
        if isinstance(node, InlineFragmentNode):
            target = parent
            if node.type_condition is not None:
                found = self.schema.get_type(node.type_condition.name.value)
                assert found is not None
                target = found
            return InlineFragmentNode(
                type_condition=node.type_condition,
                directives=self.conditions(),
                selection_set=self.selection_set(node.selection_set, target),
            )
        assert isinstance(node, FieldNode)
        if node.name.value == "__typename":
            return node
        assert isinstance(parent, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType)
        definition = parent.fields[node.name.value]
        selection_set = None
        if node.selection_set is not None:
            target = graphql.get_named_type(definition.type)
            selection_set = self.selection_set(node.selection_set, target)
        arguments = tuple(
            self.argument(item, definition.args[item.name.value]) for item in node.arguments or ()
        )
        return FieldNode(
            alias=node.alias or self.alias(node.name.value, parent),
            name=node.name,
            arguments=arguments,
            directives=self.conditions(),
            selection_set=selection_set,
        )

    def alias(
        self, name: str, parent: graphql.GraphQLObjectType | graphql.GraphQLInterfaceType
    ) -> NameNode | None:
        if not self.chance(2):
            return None
        others = sorted(set(parent.fields) - {name})
        if self.shadowing and self.chance(5):
            return NameNode(value=self.draw(st.sampled_from(["__typename", *others])))
        return NameNode(value=self.fresh("alias"))

    def argument(self, node: ArgumentNode, definition: GraphQLArgument) -> ArgumentNode:
        if not self.chance(2):
            return node
        value = self.variable(definition.type, graphql.value_from_ast_untyped(node.value))
        return ArgumentNode(name=node.name, value=value)

    def variable(self, type_: GraphQLInputType, value: Any) -> VariableNode:
        name = self.fresh("var")
        variable = VariableNode(name=NameNode(value=name))
        self.definitions.append(
            VariableDefinitionNode(
                variable=variable, type=graphql.parse_type(str(type_)), directives=()
            )
        )
        self.variables[name] = value
        return variable

    def conditions(self) -> tuple[DirectiveNode, ...]:
        """Maybe an ``@include`` or ``@skip``, with a literal or a variable."""
        if not self.chance(1):
            return ()
        name = "include" if self.chance(5) else "skip"
        flag = bool(self.draw(st.booleans()))
        value: ValueNode = BooleanValueNode(value=flag)
        if self.chance(5):
            value = self.variable(graphql.GraphQLNonNull(graphql.GraphQLBoolean), flag)
        argument = ArgumentNode(name=NameNode(value="if"), value=value)
        return (DirectiveNode(name=NameNode(value=name), arguments=(argument,)),)


def shadows(schema: GraphQLSchema, document: str) -> bool:
    """Whether an alias names ``__typename`` or another field of its parent type."""
    found = False

    def enter_field(node: FieldNode, parent: GraphQLNamedType | None) -> None:
        nonlocal found
        if node.alias is None or node.alias.value == node.name.value:
            return
        fields = getattr(parent, "fields", {})
        if node.alias.value == "__typename" or node.alias.value in fields:
            found = True

    info = graphql.TypeInfo(schema)

    class Visitor(graphql.Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            enter_field(node, info.get_parent_type())

    graphql.visit(graphql.parse(document), graphql.TypeInfoVisitor(info, Visitor()))
    return found


NEUTRAL_TYPENAME = "neutral_typename"


def typename_beside(document: str, fields: frozenset[str]) -> bool:
    """Whether one object's selection (its fragments included) has a plain ``__typename``
    and one of ``fields``."""
    parsed = graphql.parse(document)
    fragments = {
        d.name.value: d.selection_set
        for d in parsed.definitions
        if isinstance(d, FragmentDefinitionNode)
    }

    def names(selection_set: SelectionSetNode) -> Iterable[tuple[str, FieldNode]]:
        for node in selection_set.selections:
            if isinstance(node, FieldNode):
                yield (node.alias or node.name).value, node
            elif isinstance(node, InlineFragmentNode):
                yield from names(node.selection_set)
            elif isinstance(node, FragmentSpreadNode):
                yield from names(fragments[node.name.value])

    pending = [d.selection_set for d in parsed.definitions if hasattr(d, "selection_set")]
    while pending:
        found = list(names(pending.pop()))
        keys = {key for key, node in found if node.name.value in fields}
        if keys and any(key == node.name.value == "__typename" for key, node in found):
            return True
        pending.extend(node.selection_set for _, node in found if node.selection_set)
    return False


def typename_aliased(operation: GeneratedOperation) -> tuple[GeneratedOperation, dict[str, str]]:
    """The operation with every plain ``__typename`` aliased, and the way back."""

    class Aliaser(graphql.Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> FieldNode | None:
            if node.alias is not None or node.name.value != "__typename":
                return None
            return FieldNode(
                alias=NameNode(value=NEUTRAL_TYPENAME), name=node.name, directives=node.directives
            )

    document = graphql.visit(graphql.parse(operation.document), Aliaser())
    aliased = GeneratedOperation(graphql.print_ast(document), operation.variables)
    return aliased, {NEUTRAL_TYPENAME: "__typename"}


def _conditions(node: SelectionNode, variables: dict[str, Any]) -> tuple[bool, bool]:
    """Whether the node is included, and whether a variable decides it (@include/@skip)."""
    included, variable = True, False
    for directive in node.directives or ():
        if directive.name.value not in ("include", "skip") or not directive.arguments:
            continue
        value = directive.arguments[0].value
        if isinstance(value, VariableNode):
            variable = True
            flag = bool(variables.get(value.name.value))
        else:
            flag = bool(graphql.value_from_ast_untyped(value))
        included = included and flag == (directive.name.value == "include")
    return included, variable


def conditioned_on_nothing(operation: GeneratedOperation) -> bool:
    """Whether an included selection under a variable @include/@skip selects nothing once
    every condition applies: ``f @include(if: $v) { a @skip(if: true) }``, ``$v`` true."""
    parsed = graphql.parse(operation.document)
    fragments = {
        d.name.value: d.selection_set
        for d in parsed.definitions
        if isinstance(d, FragmentDefinitionNode)
    }

    def inner(node: SelectionNode) -> SelectionSetNode | None:
        if isinstance(node, FragmentSpreadNode):
            return fragments[node.name.value]
        return node.selection_set  # type: ignore[attr-defined, no-any-return]

    def selects(selection_set: SelectionSetNode) -> bool:
        for node in selection_set.selections:
            if not _conditions(node, operation.variables)[0]:
                continue
            below = inner(node)
            if isinstance(node, FieldNode) or (below is not None and selects(below)):
                return True
        return False

    found = False

    class Finder(graphql.Visitor):
        def enter(self, node: Any, *_: Any) -> None:
            nonlocal found
            if isinstance(node, FieldNode | InlineFragmentNode | FragmentSpreadNode):
                included, variable = _conditions(node, operation.variables)
                below = inner(node)
                if included and variable and below is not None and not selects(below):
                    found = True

    graphql.visit(parsed, Finder())
    return found


def literal_conditions(operation: GeneratedOperation) -> GeneratedOperation:
    """The operation with each @include/@skip variable replaced by its value (the same
    meaning), and the variables no longer used dropped."""

    class Inliner(graphql.Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> DirectiveNode | None:
            value = node.arguments[0].value if node.arguments else None
            if node.name.value not in ("include", "skip") or not isinstance(value, VariableNode):
                return None
            flag = BooleanValueNode(value=bool(operation.variables[value.name.value]))
            argument = ArgumentNode(name=NameNode(value="if"), value=flag)
            return DirectiveNode(name=node.name, arguments=(argument,))

    document = graphql.visit(graphql.parse(operation.document), Inliner())
    used: set[str] = set()

    class Uses(graphql.Visitor):
        def enter_variable_definition(self, *_: Any) -> Any:
            return graphql.SKIP

        def enter_variable(self, node: VariableNode, *_: Any) -> None:
            used.add(node.name.value)

    graphql.visit(document, Uses())

    class Pruner(graphql.Visitor):
        def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> Any:
            return None if node.variable.name.value in used else graphql.REMOVE

    pruned = graphql.visit(document, Pruner())
    variables = {name: value for name, value in operation.variables.items() if name in used}
    return GeneratedOperation(graphql.print_ast(pruned), variables)


def neutral_aliases(operation: GeneratedOperation) -> tuple[GeneratedOperation, dict[str, str]]:
    """The operation with every alias renamed to a fresh name, and the way back."""
    neutral: dict[str, str] = {}

    class Renamer(graphql.Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> FieldNode | None:
            if node.alias is None or node.alias.value == node.name.value:
                return None
            name = neutral.setdefault(node.alias.value, f"{NEUTRAL_PREFIX}{len(neutral)}")
            return FieldNode(
                alias=NameNode(value=name),
                name=node.name,
                arguments=node.arguments,
                directives=node.directives,
                selection_set=node.selection_set,
            )

    document = graphql.visit(graphql.parse(operation.document), Renamer())
    back = {name: alias for alias, name in neutral.items()}
    return GeneratedOperation(graphql.print_ast(document), operation.variables), back


def renamed_back(value: Any, back: dict[str, str]) -> Any:
    """Response data with the neutral response keys renamed to the original aliases."""
    if isinstance(value, dict):
        return {back.get(key, key): renamed_back(item, back) for key, item in value.items()}
    if isinstance(value, list):
        return [renamed_back(item, back) for item in value]
    return value


BREAKAGES = ("unknownField", "__typename(unknownArgument: 1)", "__typename @skip(if: $undeclared)")


@st.composite
def invalid_operations(
    draw: st.DrawFn, schema: GraphQLSchema, valid: st.SearchStrategy[GeneratedOperation]
) -> GeneratedOperation:
    """A valid operation broken one way: cut short, or an unknown field, argument or variable."""
    operation = draw(valid)
    text = operation.document
    breakage = draw(st.sampled_from(("cut", *BREAKAGES)))
    if breakage == "cut":
        text = text[: draw(st.integers(0, len(text) - 1))]
    else:
        openings = [i + 1 for i, c in enumerate(text) if c == "{"]
        position = draw(st.sampled_from(openings))
        text = f"{text[:position]} {breakage} {text[position:]}"
    hypothesis.assume(_rejected(schema, text))
    return GeneratedOperation(text, operation.variables)


def _rejected(schema: GraphQLSchema, text: str) -> bool:
    try:
        return bool(graphql.validate(schema, graphql.parse(text)))
    except graphql.GraphQLError:
        return True
