"""Shape merged subgraph data into the client's response.

Follows the client's selection set in order, with its aliases; drops fields the router
added for joins; evaluates ``@skip``/``@include``; applies GraphQL null propagation for
non-null fields of the API schema, adding an error only where no error explains the null.

The selection work is compiled once per operation (``shape_plan``); per response only the
data is walked. Paths are linked tuples ``(parent, key)`` built only for objects and list
items, and turned into lists only when an error needs one.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FragmentDefinitionNode,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    OperationDefinitionNode,
    VariableNode,
    visit,
)
from graphql.language import Visitor

from router.errors import QUERY_PLANNING_BUDGET_EXCEEDED
from router.planner.budget import BudgetMeter, PlanningBudget, PlanningBudgetExceeded

from .errors import (
    RESPONSE_VALIDATION_FAILED,
    GraphQLErrorDict,
    LinkedPath,
    Path,
    flatten_path,
    graphql_error,
)
from .shape_codegen import ObjectShaper, generate
from .shape_plan import (
    Composite,
    Leaf,
    ListOf,
    NonNull,
    Runtime,
    SelectionShape,
    ShapeCompiler,
    Step,
    TypeChain,
)

_INVALID: Any = object()  # a null that must propagate to the nearest nullable parent


def _generate(steps: tuple[Step, ...]) -> ObjectShaper:
    return generate(steps, _INVALID, _generate)


class ResponseShaper:
    """The compiled shaping of one operation; reusable for every response to it."""

    def __init__(
        self,
        schema: GraphQLSchema,
        operation: OperationDefinitionNode,
        fragments: dict[str, FragmentDefinitionNode],
        client_keys: dict[str, str] | None = None,
        budget: PlanningBudget | None = None,
        nulled: frozenset[int] = frozenset(),
        dropped: frozenset[int] = frozenset(),
    ) -> None:
        """``client_keys``: response keys the planner saw → the keys the client gets.

        ``budget`` bounds the work of generating the shaper (selections read, steps
        generated, CPU time), which happens as responses need it; past it, a response
        gets ``data: null`` and a QUERY_PLANNING_BUDGET_EXCEEDED error. None: unbounded.
        ``nulled``/``dropped``: what the authorization stage removed (see ShapeCompiler).
        """
        root = schema.get_root_type(operation.operation)
        assert root is not None, "operation was validated against the schema"
        self.schema = schema
        self.root = root
        conditions = _condition_variables(operation, fragments)
        meter = BudgetMeter(budget) if budget is not None else None
        self.compiler = ShapeCompiler(
            schema, fragments, conditions, client_keys or {}, meter, nulled, dropped
        )
        self.selections = self.compiler.shape_of((operation.selection_set,))

    def shape(
        self, data: dict[str, Any], variables: dict[str, Any], errors: list[GraphQLErrorDict]
    ) -> dict[str, Any] | None:
        """The client's ``data``; appends null-propagation errors to ``errors``."""
        run = _Run(self.schema, variables, errors)
        try:
            shaped = run.object(self.root, self.selections, data, None)
        except PlanningBudgetExceeded as exc:
            errors.append(graphql_error(str(exc), QUERY_PLANNING_BUDGET_EXCEEDED))
            return None
        return None if shaped is _INVALID else shaped


class _Run:
    __slots__ = ("errors", "schema", "variables")

    def __init__(
        self, schema: GraphQLSchema, variables: dict[str, Any], errors: list[GraphQLErrorDict]
    ) -> None:
        self.schema = schema
        self.variables = variables
        self.errors = errors

    def object(
        self,
        runtime: Runtime,
        selections: SelectionShape,
        source: dict[str, Any],
        path: LinkedPath,
    ) -> Any:
        return selections.function(runtime, self.variables, _generate)(self, source, path)

    def value(self, chain: TypeChain | None, step: Step, value: Any, path: LinkedPath) -> Any:
        if isinstance(chain, NonNull):
            completed = self.value(chain.of, step, value, path)
            if completed is None or completed is _INVALID:
                self.null_error(path, step.coordinate)
                return _INVALID
            return completed
        if value is None:
            return None
        if isinstance(chain, Composite):
            completed = self.composite(chain, value, path)
            return None if completed is _INVALID else completed  # a nullable field absorbs it
        if isinstance(chain, ListOf):
            return self.list(chain, step, value, path)
        assert isinstance(chain, Leaf)
        if chain.allowed is not None and value not in chain.allowed:
            self.error(path, f"Invalid value {value!r} for enum {chain.name}.")
            return None
        return value

    def list(self, chain: ListOf, step: Step, value: Any, path: LinkedPath) -> Any:
        if not isinstance(value, list):
            self.error(path, f"Expected a list for {step.coordinate}.")
            return None
        items = []
        item_chain = chain.of
        for index, item in enumerate(value):
            completed = self.value(item_chain, step, item, (path, index))
            if completed is _INVALID:
                return None
            items.append(completed)
        return items

    def composite(self, chain: Composite, value: Any, path: LinkedPath) -> Any:
        if not isinstance(value, dict):
            self.error(path, f"Expected an object of type {chain.name}.")
            return None
        runtime = self.runtime_type(chain, value, path)
        if runtime is None:
            return None
        return self.object(runtime, chain.selections, value, path)

    def runtime_type(
        self, chain: Composite, value: dict[str, Any], path: LinkedPath
    ) -> Runtime | None:
        type_name = chain.name
        declared = self.schema.type_map[type_name]
        if isinstance(declared, GraphQLObjectType):
            return declared
        typename = value.get("__typename")
        if (
            typename == type_name
            and isinstance(declared, GraphQLInterfaceType)
            and chain.selections.type_independent(declared, self.variables)
        ):
            # an @interfaceObject answered, and no concrete type was needed: every
            # implementation would select the same fields, so shape the interface's
            return declared
        runtime = self.schema.type_map.get(typename) if isinstance(typename, str) else None
        if isinstance(runtime, GraphQLObjectType) and self.schema.is_sub_type(
            declared,  # type: ignore[arg-type]
            runtime,
        ):
            return runtime
        possible = self.schema.get_possible_types(declared)  # type: ignore[arg-type]
        if typename is None and len(possible) == 1:
            return possible[0]
        if typename is not None:
            self.error(path, f"Abstract type {type_name} resolved to unknown {typename!r}.")
        else:
            self.error(path, f"Could not determine the runtime type of {type_name}.")
        return None

    # errors ----------------------------------------------------------------------------

    def null_error(self, path: LinkedPath, coordinate: str) -> None:
        flat = flatten_path(path)
        if not self.explained(flat):
            message = f"Cannot return null for non-nullable field {coordinate}."
            self.errors.append(_validation_error(message, flat))

    def explained(self, path: Path) -> bool:
        for error in self.errors:
            other = error.get("path")
            if other is None:
                continue
            shorter = min(len(other), len(path))
            if other[:shorter] == path[:shorter]:
                return True
        return False

    def error(self, path: LinkedPath, message: str) -> None:
        self.errors.append(_validation_error(message, flatten_path(path)))


def _validation_error(message: str, path: Path) -> GraphQLErrorDict:
    return graphql_error(message, RESPONSE_VALIDATION_FAILED, path=path)


def _condition_variables(
    operation: OperationDefinitionNode, fragments: dict[str, FragmentDefinitionNode]
) -> tuple[str, ...]:
    """Variables that ``@skip``/``@include`` read anywhere in the operation."""
    names: dict[str, None] = {}

    class Conditions(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            if node.name.value in ("skip", "include"):
                for argument in node.arguments or ():
                    _variables_in(argument, names)

    for definition in (operation, *fragments.values()):
        visit(definition, Conditions())
    return tuple(names)


def _variables_in(argument: ArgumentNode, names: dict[str, None]) -> None:
    if isinstance(argument.value, VariableNode):
        names[argument.value.name.value] = None


def shape_response(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: dict[str, FragmentDefinitionNode],
    variables: dict[str, Any],
    data: dict[str, Any],
    errors: list[GraphQLErrorDict],
) -> dict[str, Any] | None:
    """Compile and shape in one go (tests; the gateway keeps a shaper per operation)."""
    return ResponseShaper(schema, operation, fragments).shape(data, variables, errors)
