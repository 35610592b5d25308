"""The query plan model: an immutable tree of fetches an executor walks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

OperationKind: TypeAlias = Literal["query", "mutation", "subscription"]


@dataclass(frozen=True, slots=True)
class Field:
    """A field in a `requires` selection; `alias` is the response key when set."""

    name: str
    alias: str | None = None
    selections: tuple[Selection, ...] = ()

    @property
    def response_name(self) -> str:
        return self.alias or self.name


@dataclass(frozen=True, slots=True)
class InlineFragment:
    """`... on T { … }` in a `requires` selection; applies when `__typename` is T."""

    type_condition: str | None
    selections: tuple[Selection, ...] = ()


Selection: TypeAlias = Field | InlineFragment


@dataclass(frozen=True, slots=True)
class ValueSetter:
    """Rewrite: set the value at `path` to `set_value_to`.

    Steps are keys, or `... on T` (apply only when the object's `__typename` is T). As an
    input rewrite, `("... on Book", "__typename") → "Media"` turns a Book representation
    into one for the `@interfaceObject` Media.
    """

    path: tuple[str, ...]
    set_value_to: str


@dataclass(frozen=True, slots=True)
class KeyRenamer:
    """Rewrite: rename the key at `path` to `rename_key_to`."""

    path: tuple[str, ...]
    rename_key_to: str


Rewrite: TypeAlias = ValueSetter | KeyRenamer


@dataclass(frozen=True, slots=True)
class FetchNode:
    """One request to one subgraph.

    A root fetch (`requires is None`) sends `operation` with the client variables named in
    `variable_usages`; its `data` merges into the response root.

    An entity fetch (`requires` set) is always under a `FlattenNode`: for every object at
    the path, the executor picks the `requires` fragments matching the object's `__typename`
    and copies those fields into a representation (reading each field at its response name,
    `alias or name`, writing it under `name`), then applies `input_rewrites`. Objects that
    are null, match no fragment or lack a required field are skipped. All representations
    go, de-duplicated, as `$representations` in one request, and `_entities[i]` merges back
    into every object that produced representation i (deep merge; values from the entity
    result win, `__typename` included: an `@interfaceObject` subgraph answers with the
    interface's name and a later fetch brings the concrete one).

    Selections keep the client's aliases, so response keys and flatten paths are client
    response names. Fields the planner adds for joins (`__typename`, keys, `@requires`
    fields) are unaliased unless a client alias reuses their name; then they are selected
    as `__sb_<name>: <name>` and `requires` says so. Subgraph operations may carry the
    client's `@skip`/`@include`, so send every variable in `variable_usages`. Root
    `__typename`, `__schema` and `__type` are never fetched: the router answers them.
    """

    service_name: str
    operation: str
    operation_kind: OperationKind = "query"
    variable_usages: tuple[str, ...] = ()
    requires: tuple[Selection, ...] | None = None
    input_rewrites: tuple[Rewrite, ...] = ()
    output_rewrites: tuple[Rewrite, ...] = ()
    operation_name: str | None = None
    id: int | None = None

    @property
    def is_entity_fetch(self) -> bool:
        return self.requires is not None


@dataclass(frozen=True, slots=True)
class FlattenNode:
    """Apply `node` to every object at `path` from the response root; "@" steps into lists."""

    path: tuple[str, ...]
    node: FetchNode


@dataclass(frozen=True, slots=True)
class SequenceNode:
    """Run `nodes` one after another; later nodes see earlier results."""

    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class ParallelNode:
    """Run `nodes` concurrently; they touch disjoint parts of the response."""

    nodes: tuple[PlanNode, ...]


@dataclass(frozen=True, slots=True)
class ConditionNode:
    """Run `if_clause` when the Boolean variable `condition` is true, else `else_clause`.

    A missing variable takes its default from the operation; without one it is false.
    """

    condition: str
    if_clause: PlanNode | None
    else_clause: PlanNode | None


PlanNode: TypeAlias = FetchNode | FlattenNode | SequenceNode | ParallelNode | ConditionNode


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """The plan for one operation; `node` is None when nothing needs fetching.

    A subscription's plan has a `primary` fetch, the subgraph subscription (sent over a
    stream, operation kind "subscription"); then `node` is the rest, run once per event
    with the event's data as the response root: entity fetches of the fields other
    subgraphs resolve (Apollo's `Subscription { Primary, Rest }`).
    """

    node: PlanNode | None
    primary: FetchNode | None = None
