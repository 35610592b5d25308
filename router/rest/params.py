"""Binding a REST request's parameters to the operation's variables, coerced by their types.

Path and query-string values are text: they become the JSON value the variable's type
takes (``"10"`` → 10 for an Int, ``"true"`` → true), repeated query parameters make a list.
Body fields are JSON already. graphql-core's input coercion then checks each value, so a
bad one is refused here, before any stage runs, with the parameter's name.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputType,
    GraphQLList,
    GraphQLScalarType,
    get_nullable_type,
)
from graphql.utilities import validate_input_value

from router.errors import (
    REST_PARAMETER_INVALID,
    REST_PARAMETER_MISSING,
    REST_PARAMETER_UNKNOWN,
    ErrorCode,
)
from router.rest.mapping import CursorSpec, Param, Route
from router.rest.naming import Naming, UnknownField

_INT = re.compile(r"^[+-]?\d+$")
_FLOAT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_BOOLEANS = {"true": True, "false": False}
EXPAND = "expand[]"
_FIELD = re.compile(r"([Ff]ield) '(\w+)'")  # how graphql-core's messages name input fields


class ParamError(Exception):
    """A parameter the request cannot run with: answered 400, naming it."""

    def __init__(self, code: ErrorCode, param: str, message: str) -> None:
        super().__init__(message)
        self.code, self.param, self.message = code, param, message


def bind(
    route: Route,
    path_values: Mapping[str, str],
    query: Sequence[tuple[str, str]],
    body: Any,
    headers: Mapping[str, str],
    cursor: CursorSpec,
    scalars: Mapping[str, Mapping[str, Any]],
) -> dict[str, Any]:
    """The variables for ``route`` from the request's parts; ParamError for a bad one."""
    given: dict[str, list[str]] = {}
    for name, value in query:
        given.setdefault(name, []).append(value)
    expanded = given.pop(EXPAND, []) if route.spec.expand else []
    by_location = {p.name: p for p in route.params if p.location == "query"}
    for name in given:
        if name not in by_location:
            raise ParamError(REST_PARAMETER_UNKNOWN, name, f"Received unknown parameter: {name}.")
    if "starting_after" in given and "ending_before" in given:
        raise ParamError(REST_PARAMETER_INVALID, "ending_before",
                         "Send starting_after or ending_before, not both.")  # fmt: skip
    fields = _body_fields(route, body)
    variables: dict[str, Any] = dict(route.spec.constants)
    variables.update(_expansions(route, expanded))
    for param in route.params:
        found, value = _read(param, path_values, given, fields, body, headers, scalars)
        if value is None and param.has_default:
            found = False
        if not found:
            if param.required:
                raise ParamError(REST_PARAMETER_MISSING, param.name,
                                 f"Missing required parameter: {param.name}.")  # fmt: skip
            continue
        value = _special(route, param, value, cursor)
        value = _renamed(route.naming, param, value)
        _check(param, value, scalars, route.naming)
        _put(variables, param.target, value)
    pagination, limit = route.spec.pagination, route.param("limit")
    if pagination is not None and limit is not None and _get(variables, limit.target) is None:
        _put(variables, limit.target, pagination.default_limit)
    if pagination is not None and pagination.order is not None:
        backward = "ending_before" in given
        variables[pagination.order] = pagination.backward if backward else pagination.forward
    return variables


def _expansions(route: Route, paths: Sequence[str]) -> dict[str, bool]:
    """The Boolean variables of the ``expand[]`` paths asked for."""
    variables = {}
    for path in paths:
        variable = route.spec.expand.get(path)
        if variable is None:
            known = ", ".join(sorted(route.spec.expand))
            message = f"Cannot expand {path[:60]!r}: this endpoint expands {known}."
            raise ParamError(REST_PARAMETER_INVALID, EXPAND, message)
        variables[variable] = True
    return variables


def backwards(route: Route, variables: Mapping[str, Any]) -> bool:
    """Whether ``variables`` (from ``bind``) read ``route``'s list backwards (ending_before)."""
    pagination = route.spec.pagination
    if pagination is None or pagination.order is None:
        return False
    return bool(variables.get(pagination.order) == pagination.backward)


def _body_fields(route: Route, body: Any) -> dict[str, Any]:
    wanted = {p.name for p in route.params if p.location == "body"}
    if body is None or route.spec.body is not None:
        return {}
    if not isinstance(body, dict):
        raise ParamError(REST_PARAMETER_INVALID, "body", "The request body must be a JSON object.")
    for name in body:
        if name not in wanted:
            raise ParamError(REST_PARAMETER_UNKNOWN, name, f"Received unknown parameter: {name}.")
    return body


def _read(
    param: Param,
    path_values: Mapping[str, str],
    given: Mapping[str, list[str]],
    fields: Mapping[str, Any],
    body: Any,
    headers: Mapping[str, str],
    scalars: Mapping[str, Mapping[str, Any]],
) -> tuple[bool, Any]:
    if param.location == "path":
        return True, from_text(param, path_values[param.name], scalars)
    if param.location == "header":
        value = headers.get(param.name.lower())
        return (value is not None and value != ""), value
    if param.location == "body":
        if param.name == "body" and param.target and body is not None:
            return True, body
        return (param.name in fields), fields.get(param.name)
    texts = given.get(param.name)
    if not texts:
        return False, None
    if isinstance(get_nullable_type(param.type), GraphQLList):
        return True, [from_text(param, text, scalars, item=True) for text in texts]
    if len(texts) > 1:
        raise ParamError(
            REST_PARAMETER_INVALID, param.name, f"{param.name} is given more than once."
        )
    return True, from_text(param, texts[0], scalars)


def from_text(
    param: Param, text: str, scalars: Mapping[str, Mapping[str, Any]], *, item: bool = False
) -> Any:
    """The JSON value of ``text`` for the parameter's (named) type."""
    kind: Any = get_nullable_type(param.type)
    if item and isinstance(kind, GraphQLList):
        kind = get_nullable_type(kind.of_type)
    if isinstance(kind, GraphQLEnumType):
        return text
    if not isinstance(kind, GraphQLScalarType):
        raise ParamError(REST_PARAMETER_INVALID, param.name,
                         f"{param.name} is an object: send it in a JSON body.")  # fmt: skip
    json_type = {"Int": "integer", "Float": "number", "Boolean": "boolean"}.get(kind.name)
    json_type = json_type or scalars.get(kind.name, {}).get("type", "string")
    if json_type == "integer":
        if not _INT.match(text):
            raise ParamError(REST_PARAMETER_INVALID, param.name,
                             f"Invalid integer for {param.name}: {text[:40]!r}.")  # fmt: skip
        return int(text)
    if json_type == "number":
        if not _FLOAT.match(text):
            raise ParamError(REST_PARAMETER_INVALID, param.name,
                             f"Invalid number for {param.name}: {text[:40]!r}.")  # fmt: skip
        return float(text)
    if json_type == "boolean":
        if text not in _BOOLEANS:
            raise ParamError(REST_PARAMETER_INVALID, param.name,
                             f"Invalid boolean for {param.name}: use true or false.")  # fmt: skip
        return _BOOLEANS[text]
    return text


def _special(route: Route, param: Param, value: Any, cursor: CursorSpec) -> Any:
    pagination = route.spec.pagination
    if pagination is None or param.location != "query":
        return value
    maximum = pagination.max_limit
    if param.name == "limit" and isinstance(value, int) and not 1 <= value <= maximum:
        message = f"limit must be between 1 and {maximum}."
        raise ParamError(REST_PARAMETER_INVALID, "limit", message)
    if param.name in ("starting_after", "ending_before") and isinstance(value, str):
        text = cursor.template.replace("{id}", value)
        if cursor.encoding == "base64url":
            return base64.urlsafe_b64encode(text.encode()).decode()
        return text
    return value


def _renamed(naming: Naming, param: Param, value: Any) -> Any:
    """A body value with its input objects' fields by their GraphQL names."""
    try:
        return naming.to_graphql(value, param.type, param.name)
    except UnknownField as unknown:
        name = str(unknown.args[0])
        message = f"Received unknown parameter: {name}."
        raise ParamError(REST_PARAMETER_UNKNOWN, name, message) from None


def _check(
    param: Param, value: Any, scalars: Mapping[str, Mapping[str, Any]], naming: Naming
) -> None:
    def refuse(error: GraphQLError, path: Sequence[str | int]) -> None:
        inner = "".join(f"[{p}]" if isinstance(p, int) else f".{naming.field(p)}" for p in path)
        name = param.name + inner
        message = error.message.split(", found: ")[0]  # not the value back, by GraphQL names
        message = _FIELD.sub(lambda m: f"{m[1]} '{naming.field(m[2])}'", message)
        message = message.removesuffix(".")
        raise ParamError(REST_PARAMETER_INVALID, name, f"Invalid {name}: {message}.")

    validate_input_value(value, param.type, refuse, True)
    _check_scalars(param.name, value, param.type, scalars, naming)


def _check_scalars(
    name: str,
    value: Any,
    kind: GraphQLInputType,
    scalars: Mapping[str, Mapping[str, Any]],
    naming: Naming,
) -> None:
    """Custom scalars accept anything at the router: hold them to their JSON Schema's type."""
    if value is None:
        return
    named: Any = get_nullable_type(kind)
    if isinstance(named, GraphQLList):
        for index, item in enumerate(value if isinstance(value, list) else [value]):
            _check_scalars(f"{name}[{index}]", item, named.of_type, scalars, naming)
        return
    fields = getattr(named, "fields", None)
    if fields is not None and isinstance(value, dict):
        for key, field in fields.items():
            if key in value:
                rest = f"{name}.{naming.field(key)}"
                _check_scalars(rest, value[key], field.type, scalars, naming)
        return
    if isinstance(named, GraphQLScalarType) and named.name in scalars:
        expected = scalars[named.name].get("type")
        ok = {
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "string": isinstance(value, str),
            "boolean": isinstance(value, bool),
        }.get(str(expected), True)
        if not ok:
            raise ParamError(REST_PARAMETER_INVALID, name, f"Invalid {name}: expected {expected}.")


def _put(variables: dict[str, Any], target: tuple[str, ...], value: Any) -> None:
    holder = variables
    for part in target[:-1]:
        inner = holder.get(part)
        if not isinstance(inner, dict):
            inner = holder[part] = {}
        holder = inner
    holder[target[-1]] = value


def _get(variables: Mapping[str, Any], target: tuple[str, ...]) -> Any:
    value: Any = variables
    for part in target:
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value
