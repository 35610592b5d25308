"""The OpenAPI 3.1 document of a REST mapping: its routes, described from the API schema."""

from __future__ import annotations

from typing import Any

from graphql import FragmentDefinitionNode, GraphQLSchema

from router.rest.mapping import Mapping, Param, Route
from router.rest.params import EXPAND
from router.rest.schemas import Schema, SchemaBuilder, described, strip_null, tagged

ERROR_STATUSES = {
    "400": "A parameter is missing, unknown or does not fit its type (`error.param`).",
    "401": "No valid bearer token where one is needed.",
    "403": "The identity may not do this.",
    "404": "Nothing has this id.",
    "409": "The `Idempotency-Key` was used for another request, or the record's state "
    "forbids the change.",
    "422": "The request breaks a rule of the domain (`error.code`, `error.reason`).",
    "429": "Too many requests; retry after `Retry-After` seconds.",
}
BODY_STATUSES = {"415": "The body is not application/json."}
ERROR_SCHEMA: Schema = {
    "type": "object",
    "description": "What went wrong; `code` is stable (the router's error catalogue).",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["type", "code", "message"],
            "properties": {
                "type": {
                    "type": "string",
                    "enum": [
                        "invalid_request_error",
                        "authentication_error",
                        "permission_error",
                        "idempotency_error",
                        "card_error",
                        "rate_limit_error",
                        "api_error",
                    ],
                },
                "code": {"type": "string", "examples": ["NOT_FOUND"]},
                "message": {"type": "string"},
                "param": {"type": "string", "description": "The parameter at fault."},
                "reason": {"type": "string", "description": "Why, where a code has causes."},
                "service": {"type": "string", "description": "The service that refused."},
            },
        }
    },
}


def openapi_document(
    mapping: Mapping, schema: GraphQLSchema, require_authentication: bool
) -> dict[str, Any]:
    builder = SchemaBuilder(schema, mapping.spec.scalars, mapping.spec.naming)
    paths: dict[str, dict[str, Any]] = {}
    for route in mapping.routes:
        item = paths.setdefault(route.spec.path, {})
        item[route.spec.method.lower()] = _operation(route, builder)
    info = mapping.spec.info
    document: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": info.title, "version": info.version},
    }
    if info.description:
        document["info"]["description"] = info.description
    if mapping.spec.servers:
        document["servers"] = [{"url": url} for url in mapping.spec.servers]
    security: list[dict[str, list[str]]] = [{"bearerAuth": []}]
    document["security"] = security if require_authentication else [*security, {}]
    document["paths"] = paths
    document["components"] = {
        "schemas": {"Error": ERROR_SCHEMA, **dict(sorted(builder.components.items()))},
        "securitySchemes": {
            "bearerAuth": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT",
                "description": "A JWT from your identity provider (docs/security.md).",
            }
        },
    }
    return document


def _operation(route: Route, builder: SchemaBuilder) -> dict[str, Any]:
    spec = route.spec
    root = _root_field(route, builder.schema)
    operation: dict[str, Any] = {"operationId": spec.operation}
    summary = spec.summary or (
        root.description.split("\n")[0] if root and root.description else None
    )
    if summary:
        operation["summary"] = summary
    description = spec.description or (root.description if root else None)
    if description:
        operation["description"] = description
    if spec.tags:
        operation["tags"] = list(spec.tags)
    parameters = [_parameter(p, route, builder) for p in route.params if p.location != "body"]
    if spec.expand:
        parameters.append(_expand_parameter(route))
    if parameters:
        operation["parameters"] = parameters
    body = [p for p in route.params if p.location == "body"]
    if body:
        operation["requestBody"] = _request_body(route, body, builder)
    operation["responses"] = _responses(route, builder)
    return operation


def _root_field(route: Route, schema: GraphQLSchema) -> Any:
    root_type = schema.get_root_type(route.operation.operation)
    selection = route.operation.selection_set.selections[0]
    name = getattr(selection, "name", None)
    if root_type is None or name is None:
        return None
    return root_type.fields.get(name.value)


def _parameter(param: Param, route: Route, builder: SchemaBuilder) -> dict[str, Any]:
    schema = _param_schema(param, route, builder)
    entry: dict[str, Any] = {"name": param.name, "in": param.location, "required": param.required}
    if param.location == "header":
        entry["description"] = "Repeat a request with the same key to get the same result, once."
        schema = {"type": "string", "minLength": 1, "maxLength": 255}
    elif param.location == "query" and schema.get("type") == "array":
        entry["style"], entry["explode"] = "form", True
    entry["schema"] = schema
    example = route.spec.examples.get(param.name)
    if example is not None:
        entry["example"] = example
    return entry


def _param_schema(param: Param, route: Route, builder: SchemaBuilder) -> Schema:
    pagination = route.spec.pagination
    if pagination is not None and param.name == "limit":
        return {"type": "integer", "minimum": 1, "maximum": pagination.max_limit,
                "default": pagination.default_limit,
                "description": "How many objects to list."}  # fmt: skip
    if pagination is not None and param.name == "starting_after":
        return {"type": "string", "minLength": 1,
                "description": "An object id: the list continues after that object."}  # fmt: skip
    if pagination is not None and param.name == "ending_before":
        return {"type": "string", "minLength": 1,
                "description": "An object id: the page before that object, in the list's "
                "order; `has_more` then says whether more objects precede it. Not with "
                "`starting_after`."}  # fmt: skip
    schema = builder.input(param.type)
    if param.location in ("path", "query"):
        schema = strip_null(schema)
    if param.location == "path" and schema.get("type") == "string":
        schema = {**schema, "minLength": 1, "pattern": r"^(?!\.\.?$)[^/]+$"}
    return schema


def _expand_parameter(route: Route) -> dict[str, Any]:
    paths = sorted(route.spec.expand)
    return {
        "name": EXPAND,
        "in": "query",
        "required": False,
        "description": "References to answer as objects rather than ids, e.g. "
        f"`{EXPAND}={paths[0]}`.",
        "style": "form",
        "explode": True,
        "schema": {"type": "array", "items": {"type": "string", "enum": paths}},
    }


def _request_body(route: Route, body: list[Param], builder: SchemaBuilder) -> dict[str, Any]:
    if route.spec.body is not None:
        schema = strip_null(builder.input(body[0].type))
        required = body[0].required
    else:
        properties = {p.name: builder.input(p.type) for p in body}
        schema = {"type": "object", "properties": properties, "additionalProperties": False}
        names = [p.name for p in body if p.required]
        if names:
            schema["required"] = names
        required = bool(names)
    content: dict[str, Any] = {"schema": schema}
    example = route.spec.examples.get("body")
    if example is not None:
        content["example"] = example
    return {"required": required, "content": {"application/json": content}}


def _responses(route: Route, builder: SchemaBuilder) -> dict[str, Any]:
    spec = route.spec
    responses: dict[str, Any] = {}
    if spec.redirect:
        responses["302"] = {
            "description": "Found: the resource is at `Location`.",
            "headers": {"Location": {"schema": {"type": "string"}, "required": True}},
        }
    else:
        resource = _resource_schema(route, builder)
        responses[str(spec.status)] = {
            "description": "The resource.",
            "content": {"application/json": {"schema": resource}},
        }
    errors = dict(ERROR_STATUSES)
    if any(p.location == "body" for p in route.params):
        errors.update(BODY_STATUSES)
    outcomes: dict[str, list[str]] = {}
    for outcome, answered_with in spec.outcome_statuses.items():
        outcomes.setdefault(str(answered_with), []).append(outcome)
    for code, names in outcomes.items():
        answered = ", ".join(f"`{n}`" for n in sorted(names))
        said = f"The result is {answered}: `error.code` names it, with the result's fields."
        errors[code] = f"{errors[code]} Or: {said}" if code in errors else said
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for status, description in sorted(errors.items()):
        responses[status] = {"description": description, "content": error}
    responses["default"] = {"description": "A service failed or is overloaded (5xx).",
                            "content": error}  # fmt: skip
    return responses


def _resource_schema(route: Route, builder: SchemaBuilder) -> Schema:
    document = route.document
    fragments = {d.name.value: d for d in document.definitions
                 if isinstance(d, FragmentDefinitionNode)}  # fmt: skip
    operation = route.operation
    root = builder.schema.get_root_type(operation.operation)
    schema: Schema = builder.selection(root, operation.selection_set, fragments)
    for key in route.result:
        schema = strip_null(schema).get("properties", {}).get(builder.naming.field(key), {})
    schema = strip_null(schema)
    if route.spec.pagination is None:
        schema = _top_tagged(route, schema)
    if route.spec.pagination is not None or schema.get("type") == "array":
        nodes = schema if route.spec.pagination is None else schema["properties"]["nodes"]
        return {
            "type": "object",
            "required": ["object", "url", "has_more", "data"],
            "properties": {
                "object": {"const": "list"},
                "url": {"type": "string"},
                "has_more": {"type": "boolean", "description": "Whether more objects follow."},
                "data": described(nodes, "A page of objects."),
            },
        }
    return schema


def _top_tagged(route: Route, schema: Schema) -> Schema:
    """The resource's schema with its tag, whatever its type (a union's, a payload's)."""
    name = route.shape.object
    if name is None:
        return schema
    if schema.get("type") == "array":
        return {**schema, "items": _top_tagged(route, schema["items"])}
    properties = schema.get("properties")
    if schema.get("type") != "object" or properties is None or "object" in properties:
        return schema
    return tagged(schema, name)
