"""How GraphQL names appear in REST answers: field names as the schema's or in snake_case
(``postalCode`` → ``postal_code``, as in Stripe's API), and the resources' ``object`` tags."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from graphql import GraphQLInputObjectType, GraphQLList, GraphQLNamedType, get_nullable_type

FieldNames = Literal["graphql", "snake_case"]
_WORD_START = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    """``PaymentMethod`` → ``payment_method``, ``expMonth`` → ``exp_month``."""
    return _WORD_START.sub("_", name).lower()


@dataclass(frozen=True, slots=True)
class Naming:
    """The mapping's ``field_names`` and ``objects``."""

    field_names: FieldNames = "graphql"
    objects: Mapping[str, str] = field(default_factory=dict)

    def field(self, name: str) -> str:
        """A response key or input field as REST clients see it."""
        return snake(name) if self.field_names == "snake_case" else name

    def object(self, kind: GraphQLNamedType) -> str:
        """The ``object`` tag of ``kind``'s resources: the mapping's, or the name in snake_case."""
        return self.objects.get(kind.name) or snake(kind.name)

    def names(self, keys: Any, where: str) -> dict[str, str]:
        """GraphQL name → REST name of ``keys``; ValueError if two become one."""
        names = {key: self.field(key) for key in keys}
        if len(set(names.values())) < len(names):
            clash = sorted(k for k in names if list(names.values()).count(names[k]) > 1)
            raise ValueError(f"{where}: {' and '.join(clash)} have the same REST name")
        return names

    def to_graphql(self, value: Any, kind: Any, path: str) -> Any:
        """A JSON input value with its input objects' REST field names renamed back; an
        UnknownField for a name the REST API does not have (a GraphQL one included)."""
        if self.field_names == "graphql" or value is None:
            return value
        kind = get_nullable_type(kind)
        if isinstance(kind, GraphQLList):
            if not isinstance(value, list):
                return self.to_graphql(value, kind.of_type, path)
            return [self.to_graphql(v, kind.of_type, f"{path}[{i}]") for i, v in enumerate(value)]
        if not (isinstance(kind, GraphQLInputObjectType) and isinstance(value, dict)):
            return value
        by_rest = {self.field(name): name for name in kind.fields}
        answer = {}
        for key, item in value.items():
            name = by_rest.get(key)
            if name is None:
                raise UnknownField(f"{path}.{key}")
            answer[name] = self.to_graphql(item, kind.fields[name].type, f"{path}.{key}")
        return answer


class UnknownField(Exception):
    """An input object's field that the REST API does not have; ``args[0]`` is its path."""
