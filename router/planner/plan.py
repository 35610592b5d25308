"""The query plan model: an immutable tree of fetches an executor walks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

OperationKind: TypeAlias = Literal["query", "mutation"]


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
    """Rewrite: set the value at `path` (keys, `... on T` steps) to `set_value_to`."""

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
    `variable_usages`; its `data` merges into the object the fetch is applied to (the root,
    or each object a `FlattenNode` path reaches).

    An entity fetch (`requires` set) is always under a `FlattenNode`: for every object at
    the path, the executor picks the `requires` fragment matching the object's `__typename`
    and copies those fields into a representation; all representations go, de-duplicated,
    as `$representations` in one request, and `_entities[i]` merges back into the object
    that produced representation i. Objects that match no fragment (or are null) are
    skipped.
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
    """Run `if_clause` when the Boolean variable `condition` is true, else `else_clause`."""

    condition: str
    if_clause: PlanNode | None
    else_clause: PlanNode | None


PlanNode: TypeAlias = FetchNode | FlattenNode | SequenceNode | ParallelNode | ConditionNode


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """The plan for one operation; `node` is None when nothing needs fetching."""

    node: PlanNode | None
