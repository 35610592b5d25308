"""The subgraph model composition works on: types, fields and directives with canonical names."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from graphql import BooleanValueNode, StringValueNode, ValueNode, print_ast

Kind = Literal["SCALAR", "OBJECT", "INTERFACE", "UNION", "ENUM", "INPUT_OBJECT"]


@dataclass(frozen=True)
class Directive:
    """An applied directive; federation directives carry their canonical spec name."""

    name: str
    args: tuple[tuple[str, ValueNode], ...] = ()
    on_extension: bool = False

    def arg(self, name: str) -> ValueNode | None:
        return next((value for key, value in self.args if key == name), None)

    def string(self, name: str) -> str | None:
        value = self.arg(name)
        return value.value if isinstance(value, StringValueNode) else None

    def boolean(self, name: str, default: bool) -> bool:
        value = self.arg(name)
        return value.value if isinstance(value, BooleanValueNode) else default

    def printed_args(self) -> tuple[tuple[str, str], ...]:
        return tuple((key, print_ast(value)) for key, value in self.args)


@dataclass(frozen=True)
class Element:
    """What every named schema element has: a name, a description and directives."""

    name: str
    description: str | None = None
    directives: tuple[Directive, ...] = ()

    def has(self, directive: str) -> bool:
        return any(d.name == directive for d in self.directives)

    def applied(self, directive: str) -> tuple[Directive, ...]:
        return tuple(d for d in self.directives if d.name == directive)

    def first(self, directive: str) -> Directive | None:
        return next((d for d in self.directives if d.name == directive), None)


@dataclass(frozen=True)
class InputValue(Element):
    """An argument or an input object field."""

    type: str = ""
    default: ValueNode | None = None

    @property
    def required(self) -> bool:
        return self.type.endswith("!") and self.default is None


@dataclass(frozen=True)
class Field(Element):
    """A field of an object or interface type."""

    type: str = ""
    args: tuple[InputValue, ...] = ()
    on_extension: bool = False

    def arg(self, name: str) -> InputValue | None:
        return next((a for a in self.args if a.name == name), None)


@dataclass(frozen=True)
class TypeDef(Element):
    """A named type as one subgraph declares it (definition and extensions together)."""

    kind: Kind = "OBJECT"
    fields: tuple[Field, ...] = ()
    input_fields: tuple[InputValue, ...] = ()
    interfaces: tuple[str, ...] = ()
    members: tuple[str, ...] = ()
    values: tuple[Element, ...] = ()
    has_definition: bool = True
    has_extension: bool = False

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)

    def input_field(self, name: str) -> InputValue | None:
        return next((f for f in self.input_fields if f.name == name), None)

    def value(self, name: str) -> Element | None:
        return next((v for v in self.values if v.name == name), None)


@dataclass(frozen=True)
class DirectiveDef:
    """A directive definition kept for composition (executable or composed directives)."""

    name: str
    locations: tuple[str, ...]
    repeatable: bool
    args: tuple[InputValue, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Link:
    """One ``@link`` of a subgraph: the spec's identity, version and local names."""

    url: str
    identity: str
    name: str
    version: tuple[int, int]
    imports: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Subgraph:
    """One validated subgraph: its types with root types under default names."""

    name: str
    url: str
    types: Mapping[str, TypeDef]
    federation_version: tuple[int, int]
    links: tuple[Link, ...] = ()
    directive_defs: Mapping[str, DirectiveDef] = field(default_factory=dict)
    compose_directives: tuple[str, ...] = ()
    roots: Mapping[str, str] = field(default_factory=dict)
    feature_names: Mapping[str, str] = field(default_factory=dict)
    fed1: bool = False
    defined_directives: tuple[str, ...] = ()  # canonical names of SDL directive definitions

    def type(self, name: str) -> TypeDef | None:
        return self.types.get(name)

    def kind_of(self, name: str) -> Kind | None:
        t = self.types.get(name)
        return t.kind if t else None


def base_name(type_ref: str) -> str:
    """``[Foo!]!`` → ``Foo``."""
    return type_ref.replace("[", "").replace("]", "").replace("!", "")
