"""The REST mapping file (rest.yaml): routes to trusted operations, read and checked.

    routes:
      - {method: GET, path: /v1/customers/{id}, operation: RetrieveCustomer, result: customer}

Each route names an operation of the trusted documents manifest. Its variables become the
route's parameters: ``{name}`` segments of the path, then, unless ``params`` renames them,
query-string parameters (GET, DELETE) or JSON-body fields (POST, PUT, PATCH) of the
variable's own name. ``compile_routes`` checks everything against the API schema, so a
mapping that does not fit stops the router at start, naming the route.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from graphql import (
    ArgumentNode,
    DocumentNode,
    GraphQLBoolean,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLSchema,
    ObjectFieldNode,
    OperationDefinitionNode,
    VariableNode,
    Visitor,
    get_nullable_type,
    is_input_type,
    parse,
    type_from_ast,
    validate,
    visit,
)
from graphql.pyutils import Undefined
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from router.operation.manifest import Manifest
from router.rest.naming import FieldNames, Naming
from router.rest.shapes import Shape, ShapeBuilder

Location = Literal["path", "query", "body", "header"]
IDEMPOTENCY_HEADER = "Idempotency-Key"
RESERVED_PATHS = ("/graphql", "/health", "/ready", "/openapi.json", "/docs", "/metrics")


class MappingError(Exception):
    """A mapping that cannot be served; the message names the file and the route."""


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PaginationSpec(_Spec):
    """A list route: ``limit`` and ``starting_after`` bind the connection's arguments."""

    limit: str = Field(default="limit", description="Variable receiving `limit`.")
    starting_after: str = Field(
        default="starting_after",
        description="Variable receiving the cursor (`starting_after`, or `ending_before`).",
    )
    order: str | None = Field(
        default=None,
        description="Variable of the list's order (`orderBy: $order`): with it the route takes "
        "`ending_before`, which reads the list backwards from that object.",
    )
    forward: str = Field(default="OLDEST_FIRST", description="`order` as the list is served.")
    backward: str = Field(default="NEWEST_FIRST", description="`order` for `ending_before`.")
    default_limit: int = Field(default=10, ge=1)
    max_limit: int = Field(default=100, ge=1)


class CursorSpec(_Spec):
    """How an object id becomes a connection cursor (``starting_after`` takes object ids)."""

    template: str = Field(default="{id}", description="Text with `{id}` in it.")
    encoding: Literal["plain", "base64url"] = "plain"


class RouteSpec(_Spec):
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
    path: str
    operation: str = Field(description="An operation name of the trusted documents manifest.")
    result: str | None = Field(
        default=None, description="Dotted path in `data` to the resource; default: the root field."
    )
    summary: str | None = None
    description: str | None = None
    tags: list[str] = Field(default_factory=list)
    params: dict[str, str] = Field(
        default_factory=dict,
        description="REST parameter → variable, or `variable.field` inside an input object.",
    )
    body: str | None = Field(default=None, description="The whole JSON body is this variable.")
    constants: dict[str, Any] = Field(default_factory=dict, description="Variables fixed here.")
    idempotency_key: str | None = Field(
        default=None, description="Variable receiving the `Idempotency-Key` header."
    )
    pagination: PaginationSpec | None = None
    expand: dict[str, str] = Field(
        default_factory=dict,
        description="`expand[]` value (a path in the answer, `data.` first on lists) → the "
        "Boolean variable that `@include`s the reference's fields.",
    )
    redirect: bool = Field(default=False, description="The result is a URL: answer 302 to it.")
    status: int = Field(default=200, ge=200, le=299)
    outcome_statuses: dict[str, int] = Field(
        default_factory=dict,
        description="A resource whose `outcome` (e.g. `outcome: __typename` of a result union) "
        "is a key here is answered with that status (400-599) as an error: `PaymentDeclined: "
        "402` gives a `card_error` with `code: PAYMENT_DECLINED` and the resource's fields.",
    )
    examples: dict[str, Any] = Field(
        default_factory=dict, description="Example per parameter name (`body` for the body)."
    )

    @field_validator("outcome_statuses")
    @classmethod
    def _outcome_statuses(cls, value: dict[str, int]) -> dict[str, int]:
        wrong = {k: v for k, v in value.items() if not 400 <= v <= 599}
        if wrong:
            raise ValueError(f"outcome statuses are errors (400-599): {wrong}")
        return value

    @field_validator("path")
    @classmethod
    def _path(cls, value: str) -> str:
        if not value.startswith("/") or "//" in value or ".." in value:
            raise ValueError("an absolute path such as /v1/customers/{id}")
        if value in RESERVED_PATHS:
            raise ValueError(f"{value} is served by the router itself")
        return value


class Info(_Spec):
    title: str = "REST API"
    version: str = "1"
    description: str | None = None


class MappingSpec(_Spec):
    info: Info = Field(default_factory=Info)
    servers: list[str] = Field(default_factory=list)
    cursor: CursorSpec = Field(default_factory=CursorSpec)
    scalars: dict[str, dict[str, Any]] = Field(
        default_factory=dict, description="Custom scalar → its JSON Schema."
    )
    objects: dict[str, str] = Field(
        default_factory=dict,
        description="GraphQL type → its `object` tag (default: the name in snake_case).",
    )
    field_names: FieldNames = Field(
        default="graphql",
        description="`snake_case`: answers' keys and input objects' fields in snake_case, "
        "as Stripe's (`postalCode` → `postal_code`); `graphql`: the schema's names.",
    )
    routes: list[RouteSpec]

    @property
    def naming(self) -> Naming:
        return Naming(self.field_names, self.objects)


@dataclass(frozen=True, slots=True)
class Param:
    """One REST parameter: where it is read and which variable (or input field) it sets."""

    name: str
    location: Location
    target: tuple[str, ...]  # variable, then input-object fields
    type: GraphQLInputType
    required: bool
    has_default: bool = False  # a null for it means "not given": the default applies


@dataclass(frozen=True, slots=True)
class Route:
    spec: RouteSpec
    pattern: re.Pattern[str]
    document: DocumentNode
    operation: OperationDefinitionNode
    operation_id: str  # the manifest id: the document's SHA-256
    params: tuple[Param, ...]
    result: tuple[str, ...]
    arguments: dict[str, str]  # argument or input field name → the variable passed to it
    shape: Shape  # of the resource; of each object of a list route's data
    naming: Naming

    @property
    def kind(self) -> str:
        return self.operation.operation.value

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass(frozen=True, slots=True)
class Mapping:
    spec: MappingSpec
    routes: tuple[Route, ...]


def read_mapping(path: Path) -> MappingSpec:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read the REST mapping: {exc}") from None
    try:
        return MappingSpec.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise MappingError(f"{path}: {where}: {first['msg']}") from None


def compile_mapping(
    path: Path, spec: MappingSpec, manifest: Manifest, schema: GraphQLSchema
) -> Mapping:
    """Every route resolved against the manifest and the API schema, or a MappingError."""
    named = _named_operations(manifest)
    routes = []
    seen: set[tuple[str, str]] = set()
    for index, route in enumerate(spec.routes):
        where = f"{path}: routes[{index}] ({route.method} {route.path})"
        key = (route.method, re.sub(r"\{[^}]*\}", "{}", route.path))
        if key in seen:
            raise MappingError(f"{where}: another route has this method and path")
        seen.add(key)
        try:
            routes.append(_compile(route, named, schema, spec.naming))
        except MappingError as exc:
            raise MappingError(f"{where}: {exc}") from None
    return Mapping(spec, tuple(routes))


def _named_operations(manifest: Manifest) -> dict[str, tuple[str, str]]:
    named: dict[str, tuple[str, str]] = {}
    for ident, body in manifest.bodies.items():
        for definition in parse(body).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                named[definition.name.value] = (ident, body)
    return named


def _compile(
    route: RouteSpec,
    named: dict[str, tuple[str, str]],
    schema: GraphQLSchema,
    naming: Naming,
) -> Route:
    found = named.get(route.operation)
    if found is None:
        raise MappingError(f"operation {route.operation!r} is not in the trusted documents")
    ident, body = found
    document = parse(body)
    errors = validate(schema, document)
    if errors:
        raise MappingError(f"operation {route.operation!r}: {errors[0].message}")
    operation = next(
        d for d in document.definitions
        if isinstance(d, OperationDefinitionNode) and d.name and d.name.value == route.operation
    )  # fmt: skip
    if route.method == "GET" and operation.operation.value != "query":
        raise MappingError("GET routes must map queries")
    variables = _variable_types(operation, schema)
    params = _params(route, variables)
    result = tuple(route.result.split(".")) if route.result else _root_key(operation)
    pattern = re.compile(
        "^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(route.path)) + "$"
    )
    try:
        shape = ShapeBuilder(schema, naming).route(
            document, operation, result, route.pagination is not None, route.expand
        )
    except ValueError as exc:  # two keys with one REST name, an expand[] path that is none
        raise MappingError(str(exc)) from None
    return Route(route, pattern, document, operation, ident, tuple(params), result,
                 _arguments(document), shape, naming)  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Variable:
    type: GraphQLInputType
    has_default: bool


def _variable_types(
    operation: OperationDefinitionNode, schema: GraphQLSchema
) -> dict[str, _Variable]:
    variables = {}
    for definition in operation.variable_definitions or ():
        kind = type_from_ast(schema, definition.type)
        assert is_input_type(kind)  # the document validated
        variables[definition.variable.name.value] = _Variable(
            kind, definition.default_value is not None
        )
    return variables


def _params(route: RouteSpec, variables: dict[str, _Variable]) -> list[Param]:
    path_names = re.findall(r"\{(\w+)\}", route.path)
    by_variable = {target: name for name, target in route.params.items()}
    fixed = set(route.constants)
    params: list[Param] = []
    bound: set[str] = set()

    def add(name: str, location: Location, target: str, required: bool | None = None) -> None:
        parts = tuple(target.split("."))
        variable = variables.get(parts[0])
        if variable is None:
            raise MappingError(f"{name!r} binds ${parts[0]}, which the operation does not declare")
        kind, needed = _field_type(variable, parts)
        required = needed if required is None else required
        default = len(parts) == 1 and variable.has_default
        params.append(Param(name, location, parts, kind, required, default))
        bound.add(parts[0])

    for name in path_names:
        add(name, "path", route.params.get(name, name), required=True)
    if route.idempotency_key is not None:
        add(IDEMPOTENCY_HEADER, "header", route.idempotency_key)
    if route.pagination is not None:
        add("limit", "query", route.pagination.limit, required=False)
        add("starting_after", "query", route.pagination.starting_after, required=False)
        if route.pagination.order is not None:
            add("ending_before", "query", route.pagination.starting_after, required=False)
            _check_order(route.pagination, variables)
            bound.add(route.pagination.order)
    for path, variable in route.expand.items():
        found = variables.get(variable)
        if found is None or get_nullable_type(found.type) is not GraphQLBoolean:
            raise MappingError(f"expand {path!r}: ${variable} is not a Boolean variable")
        bound.add(variable)
    if route.body is not None:
        if route.method in ("GET", "DELETE"):
            raise MappingError("only POST, PUT and PATCH routes take a body")
        add("body", "body", route.body)
    elsewhere: Location = "query" if route.method in ("GET", "DELETE") else "body"
    for name, target in route.params.items():
        if name not in path_names:
            if route.body is not None and elsewhere == "body":
                raise MappingError(f"{name!r}: with `body`, other parameters go in the path")
            add(name, elsewhere, target)
    for name in fixed:
        if name not in variables:
            raise MappingError(f"constant ${name} is not a variable of the operation")
    for name in variables:
        if name in bound or name in fixed or name in by_variable:
            continue
        if route.body is not None and elsewhere == "body":
            raise MappingError(f"${name} is bound to nothing (name it in `params` or `constants`)")
        add(name, elsewhere, name)
    return params


def _check_order(pagination: PaginationSpec, variables: dict[str, _Variable]) -> None:
    order = pagination.order
    found = variables.get(order) if order is not None else None
    kind = get_nullable_type(found.type) if found is not None else None
    if not isinstance(kind, GraphQLEnumType):
        raise MappingError(f"pagination.order: ${order} is not an enum variable")
    for value in (pagination.forward, pagination.backward):
        if value not in kind.values:
            raise MappingError(f"pagination: {kind.name} has no value {value!r}")


def _field_type(variable: _Variable, parts: tuple[str, ...]) -> tuple[GraphQLInputType, bool]:
    kind: GraphQLInputType = variable.type
    required = isinstance(kind, GraphQLNonNull) and not variable.has_default
    for part in parts[1:]:
        holder = get_nullable_type(kind)
        if not isinstance(holder, GraphQLInputObjectType) or part not in holder.fields:
            raise MappingError(f"{'.'.join(parts)}: no input field {part!r} there")
        field = holder.fields[part]
        kind = field.type
        required = (
            required and isinstance(kind, GraphQLNonNull) and field.default_value is Undefined
        )
    return kind, required


def _root_key(operation: OperationDefinitionNode) -> tuple[str, ...]:
    selections = operation.selection_set.selections
    first = selections[0]
    alias = getattr(first, "alias", None)
    name = getattr(first, "name", None)
    if len(selections) != 1 or name is None:
        raise MappingError("say which root field is the resource (`result`)")
    return ((alias or name).value,)


def _arguments(document: DocumentNode) -> dict[str, str]:
    """Which variable each argument or input field is given (subgraph errors name those)."""
    found: dict[str, str] = {}

    class Arguments(Visitor):
        def enter_argument(self, node: ArgumentNode, *_: object) -> None:
            if isinstance(node.value, VariableNode):
                found.setdefault(node.name.value, node.value.name.value)

        def enter_object_field(self, node: ObjectFieldNode, *_: object) -> None:
            if isinstance(node.value, VariableNode):
                found.setdefault(node.name.value, node.value.name.value)

    visit(document, Arguments())
    return found
