"""Generate operations from an API schema: every root field, explored a few levels deep."""

from __future__ import annotations

from collections.abc import Iterator

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    get_named_type,
    is_abstract_type,
    is_composite_type,
)

LITERALS = {"ID": '"1"', "String": '"s"', "Int": "1", "Float": "1.5", "Boolean": "true"}


def operations(schema: GraphQLSchema, depth: int = 3) -> Iterator[str]:
    """One operation per root field with all fields to `depth`, then one per leaf path."""
    for root, keyword in ((schema.query_type, "query"), (schema.mutation_type, "mutation")):
        if root is None:
            continue
        for name, field in root.fields.items():
            call = _call(name, field)
            if call is None:
                continue
            whole = _selection(schema, field, depth, set())
            yield f"{keyword} {{ {call}{whole} }}"
            for path in _leaf_paths(schema, field, depth):
                yield f"{keyword} {{ {call}{path} }}"


def _call(name: str, field: GraphQLField) -> str | None:
    arguments = []
    for arg_name, arg in field.args.items():
        if not isinstance(arg.type, GraphQLNonNull):
            continue
        literal = _literal(arg)
        if literal is None:
            return None
        arguments.append(f"{arg_name}: {literal}")
    return f"{name}({', '.join(arguments)})" if arguments else name


def _literal(arg: GraphQLArgument) -> str | None:
    named = get_named_type(arg.type)
    if isinstance(named, GraphQLEnumType):
        return next(iter(named.values), None)
    if isinstance(named, GraphQLScalarType):
        return LITERALS.get(named.name)
    return None


def _children(schema: GraphQLSchema, named: GraphQLNamedType) -> list[tuple[str, GraphQLField]]:
    if is_abstract_type(named):
        return []
    assert isinstance(named, GraphQLObjectType)
    return [(n, f) for n, f in named.fields.items() if _call(n, f) is not None]


def _selection(schema: GraphQLSchema, field: GraphQLField, depth: int, seen: set[str]) -> str:
    named = get_named_type(field.type)
    if not is_composite_type(named):
        return ""
    if depth == 0 or named.name in seen:
        return " { __typename }"
    parts = [_fragments(schema, named, depth, seen)] if is_abstract_type(named) else []
    for name, child in _children(schema, named):
        parts.append(
            f"{_call(name, child)}{_selection(schema, child, depth - 1, seen | {named.name})}"
        )
    return " { " + " ".join(p for p in parts if p) + " }" if parts else " { __typename }"


def _fragments(schema: GraphQLSchema, named: GraphQLNamedType, depth: int, seen: set[str]) -> str:
    pieces = []
    for possible in schema.get_possible_types(named):  # type: ignore[arg-type]
        inner = [
            f"{_call(n, f)}{_selection(schema, f, depth - 1, seen | {named.name})}"
            for n, f in possible.fields.items()
            if _call(n, f) is not None
        ]
        pieces.append(f"... on {possible.name} {{ {' '.join(inner)} }}")
    return "__typename " + " ".join(pieces)


def _leaf_paths(schema: GraphQLSchema, field: GraphQLField, depth: int) -> Iterator[str]:
    named = get_named_type(field.type)
    if not is_composite_type(named) or depth == 0:
        return
    if is_abstract_type(named):
        for possible in schema.get_possible_types(named):  # type: ignore[arg-type]
            for name, child in possible.fields.items():
                call = _call(name, child)
                if call is None:
                    continue
                for rest in _leaf_paths(schema, child, depth - 1) or ():
                    yield f" {{ ... on {possible.name} {{ {call}{rest} }} }}"
                if not is_composite_type(get_named_type(child.type)):
                    yield f" {{ ... on {possible.name} {{ {call} }} }}"
        return
    for name, child in _children(schema, named):
        call = _call(name, child)
        if is_composite_type(get_named_type(child.type)):
            for rest in _leaf_paths(schema, child, depth - 1):
                yield f" {{ {call}{rest} }}"
        else:
            yield f" {{ {call} }}"


class RandomOperations:
    """Seeded random operations: aliases, fragments, conditions and __typename mixed in."""

    def __init__(self, schema: GraphQLSchema, seed: int) -> None:
        import random

        self.schema = schema
        self.random = random.Random(seed)
        self.fragments: list[str] = []

    def operation(self) -> str:
        self.fragments = []
        root = self.schema.query_type
        assert root is not None
        body = self._selection(root, 3)
        header = "query ($c: Boolean!, $d: Boolean = true)"
        uses = "__typename @include(if: $c) __typename @skip(if: $d)"
        return f"{header} {{ {uses} {body} }}" + "".join(self.fragments)

    def _selection(self, named: GraphQLNamedType, depth: int) -> str:
        if is_abstract_type(named):
            possible = self.schema.get_possible_types(named)  # type: ignore[arg-type]
            picks = self.random.sample(possible, k=min(len(possible), 2))
            return " ".join(f"... on {p.name} {{ {self._selection(p, depth)} }}" for p in picks)
        assert isinstance(named, GraphQLObjectType)
        fields = _children(self.schema, named)
        picks = self.random.sample(fields, k=min(len(fields), self.random.randint(1, 3)))
        parts = [self._field(name, field, depth) for name, field in picks]
        if self.random.random() < 0.2:
            name = f"F{len(self.fragments)}"
            self.fragments.append(f" fragment {name} on {named.name} {{ {' '.join(parts)} }}")
            return f"...{name}"
        return " ".join(parts)

    def _field(self, name: str, field: GraphQLField, depth: int) -> str:
        call = _call(name, field) or name
        roll = self.random.random()
        alias = f"a{self.random.randint(0, 9)}_{name}: " if roll < 0.15 else ""
        directive = ""
        if 0.15 <= roll < 0.3:
            directive = " @include(if: $c)" if roll < 0.22 else " @skip(if: $d)"
        named = get_named_type(field.type)
        if not is_composite_type(named):
            return f"{alias}{call}{directive}"
        inner = self._selection(named, depth - 1) if depth > 0 else "__typename"
        return f"{alias}{call}{directive} {{ {inner} }}"
