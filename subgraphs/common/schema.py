"""The federation schema class every subgraph uses: limits, entity checks, quiet errors."""

from __future__ import annotations

from typing import Any

from graphql import GraphQLError
from strawberry.extensions import MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter
from strawberry.federation import Schema
from strawberry.federation.schema import FederationAny
from strawberry.schema.config import StrawberryConfig
from strawberry.types import Info

from .entities import MAX_REPRESENTATIONS, EntityShape, check_representation, entity_shape
from .errors import BadUserInput, DomainError
from .money import MINOR_UNITS, MinorUnits

FEDERATION_VERSION = "2.5"
# Documents a subgraph accepts (the router's own limits are tighter): nesting, aliases,
# tokens. Each refusal is a validation error (GRAPHQL_VALIDATION_FAILED).
MAX_DEPTH = 40
MAX_ALIASES = 1_000
MAX_TOKENS = 50_000


class SubgraphSchema(Schema):
    """A Federation 2.5 schema that checks representations and logs only unexpected errors."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("federation_version", FEDERATION_VERSION)
        kwargs.setdefault("config", StrawberryConfig(scalar_map={MinorUnits: MINOR_UNITS}))
        kwargs.setdefault(
            "extensions",
            [
                lambda: QueryDepthLimiter(max_depth=MAX_DEPTH),
                lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
                lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
            ],
        )
        super().__init__(**kwargs)
        self._shapes: dict[str, EntityShape] | None = None

    def entity_shapes(self) -> dict[str, EntityShape]:
        """Each entity type this subgraph resolves, and what its representations hold."""
        if self._shapes is None:
            shapes = {}
            for name, type_ in self.schema_converter.type_map.items():
                origin = getattr(type_.definition, "origin", None)
                resolve = getattr(origin, "resolve_reference", None)
                if resolve is not None and _resolvable(type_.definition):
                    shapes[name] = entity_shape(resolve)
            self._shapes = shapes
        return self._shapes

    def entities_resolver(
        self, info: Info, representations: list[FederationAny]
    ) -> list[FederationAny]:
        if len(representations) > MAX_REPRESENTATIONS:
            raise BadUserInput(
                f"At most {MAX_REPRESENTATIONS} representations per request.",
                field="representations",
            )
        shapes = self.entity_shapes()
        results: list[Any] = []
        valid: list[tuple[int, dict[str, Any]]] = []
        for index, representation in enumerate(representations):
            try:
                valid.append((index, check_representation(index, representation, shapes)))
                results.append(None)
            except BadUserInput as exc:
                results.append(exc)
        resolved = super().entities_resolver(info, [FederationAny(r) for _, r in valid])
        for (index, _), result in zip(valid, resolved, strict=True):
            results[index] = result
        return results

    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        unexpected = [
            e
            for e in errors
            if e.original_error is not None
            and not isinstance(e.original_error, (DomainError, GraphQLError))
        ]
        if unexpected:
            super().process_errors(unexpected, execution_context)


def _resolvable(definition: Any) -> bool:
    """Whether the type has a resolvable ``@key`` (``resolvable: false`` ones do not)."""
    keys = [d for d in getattr(definition, "directives", []) if type(d).__name__ == "Key"]
    return bool(keys) and any(getattr(k, "resolvable", True) is not False for k in keys)
