"""Stage 5, limits: measure the operation and refuse it over the configured limits.

The measurements follow Apollo Router's definitions, over every operation of the document
with fragments expanded (each fragment measured once, so a fragment spread twice on every
level costs no more to measure than to read):

- depth: the deepest nesting of selection sets (a root field is depth 1);
- height: unique fields, counting a field once per selection set however many aliases it has;
- aliases: aliased fields;
- root fields: response keys on the root type;
- fields: every field the client would get, fragments expanded (what planning and shaping
  work on);
plus, outside the document: tokens (while parsing), subgraph fetches (after planning) and
variable values (per request). Limits run on the parsed document before validation, so a
document over a limit costs no validation or planning.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)
from pydantic import BaseModel, ConfigDict, Field

from router.errors import (
    MAX_ALIASES_LIMIT,
    MAX_DEPTH_LIMIT,
    MAX_FETCHES_LIMIT,
    MAX_FIELDS_LIMIT,
    MAX_HEIGHT_LIMIT,
    MAX_ROOT_FIELDS_LIMIT,
    MAX_VARIABLES_LIMIT,
    ErrorCode,
    RouterError,
)

logger = logging.getLogger("switchboard.router.limits")
HEIGHT_WORK = 200_000  # merge steps; a document needing more is refused as too high


class LimitsConfig(BaseModel):
    """Operation limits (defaults from Apollo Router's examples and Hive Gateway's defaults)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(
        default=True,
        description="Off: no operation limit is measured or enforced (for benchmarks and "
        "trusted networks; planning stays bounded by `planning`, request bodies by "
        "`max_request_bytes`).",
    )
    warn_only: bool = Field(
        default=False, description="Log operations over a limit instead of refusing them."
    )
    max_tokens: int = Field(
        default=5000,
        ge=10,
        description="Lexical tokens in a document (Apollo: 15,000; Hive: 1,000); checked while "
        "parsing, never in warn-only mode. Code MAX_TOKENS_LIMIT.",
    )
    max_depth: int = Field(
        default=32, ge=1, description="Nesting of selection sets. Code MAX_DEPTH_LIMIT."
    )
    max_height: int = Field(
        default=400,
        ge=1,
        description=(
            "Unique fields (aliases counted once; the full introspection query has 229)."
            " MAX_HEIGHT_LIMIT."
        ),
    )
    max_aliases: int = Field(default=30, ge=0, description="Aliased fields. MAX_ALIASES_LIMIT.")
    max_root_fields: int = Field(
        default=20, ge=1, description="Response keys on the root type. MAX_ROOT_FIELDS_LIMIT."
    )
    max_fields: int = Field(
        default=2000,
        ge=1,
        description="Fields with fragments expanded (what the router plans and shapes). "
        "MAX_FIELDS_LIMIT.",
    )
    max_fetches: int = Field(
        default=64, ge=1, description="Subgraph fetches in the query plan. MAX_FETCHES_LIMIT."
    )
    max_variable_values: int = Field(
        default=10_000,
        ge=1,
        description="JSON values in `variables` (every scalar, list and object). "
        "MAX_VARIABLES_LIMIT.",
    )


@dataclass(frozen=True, slots=True)
class Measures:
    depth: int
    height: int
    aliases: int
    root_fields: int
    fields: int


def measure(document: DocumentNode, cap: int) -> Measures:
    """The document's measures; ``fields`` and ``aliases`` stop counting past ``cap``."""
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walker = _Counter(fragments, cap)
    depth = height = aliases = roots = fields = 0
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            counted = walker.count(definition.selection_set, frozenset())
            depth, fields = max(depth, counted[0]), max(fields, counted[1])
            aliases = max(aliases, counted[2])
            roots = max(roots, len(walker.keys(definition.selection_set, set())))
            height = max(height, _Height(fragments).of([definition.selection_set]))
    return Measures(depth, height, aliases, roots, fields)


def enforce_limits(document: DocumentNode, limits: LimitsConfig) -> None:
    """Raise the first limit ``document`` exceeds (or log it, in warn-only mode)."""
    if not limits.enabled:
        return
    found = measure(document, cap=max(limits.max_fields, limits.max_aliases) + 1)
    checks: tuple[tuple[int, int, ErrorCode, str], ...] = (
        (found.depth, limits.max_depth, MAX_DEPTH_LIMIT, "depth"),
        (found.height, limits.max_height, MAX_HEIGHT_LIMIT, "height"),
        (found.aliases, limits.max_aliases, MAX_ALIASES_LIMIT, "aliases"),
        (found.root_fields, limits.max_root_fields, MAX_ROOT_FIELDS_LIMIT, "root fields"),
        (found.fields, limits.max_fields, MAX_FIELDS_LIMIT, "fields"),
    )
    for value, limit, code, what in checks:
        if value > limit:
            refuse(code, f"The operation has {_amount(value, limit)} {what}; the limit is {limit}.",
                   limits)  # fmt: skip


def enforce_fetches(fetches: int, limits: LimitsConfig) -> None:
    if limits.enabled and fetches > limits.max_fetches:
        message = (
            f"The query plan has {fetches} subgraph fetches; the limit is {limits.max_fetches}."
        )
        refuse(MAX_FETCHES_LIMIT, message, limits)


def enforce_variables(variables: Mapping[str, Any], limits: LimitsConfig) -> None:
    budget = limits.max_variable_values
    if limits.enabled and _values(variables, budget + 1) > budget:
        message = f"The variables hold more than {budget} values; the limit is {budget}."
        refuse(MAX_VARIABLES_LIMIT, message, limits)


def refuse(code: ErrorCode, message: str, limits: LimitsConfig) -> None:
    if limits.warn_only:
        logger.warning("operation over a limit (warn_only, served): %s: %s", code, message)
        return
    raise RouterError(code, message)


def _amount(value: int, limit: int) -> str:
    return f"more than {limit}" if value > limit + 1 else str(value)


def _values(value: Any, budget: int) -> int:
    """JSON values in ``value``, counting stops once past ``budget`` (iterative: no recursion)."""
    count = 0
    stack = [value]
    while stack and count <= budget:
        item = stack.pop()
        count += 1
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return count


class _Counter:
    """Depth, expanded field count and alias count, memoised per fragment."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode], cap: int) -> None:
        self.fragments = fragments
        self.cap = cap
        self.memo: dict[str, tuple[int, int, int]] = {}

    def count(
        self, selection_set: SelectionSetNode, visiting: frozenset[str]
    ) -> tuple[int, int, int]:
        depth = fields = aliases = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                inner = (0, 0, 0)
                if selection.selection_set is not None:
                    inner = self.count(selection.selection_set, visiting)
                depth = max(depth, inner[0] + 1)
                fields += 1 + inner[1]
                aliases += inner[2] + (selection.alias is not None)
            else:
                inner = self._fragment(selection, visiting)
                depth = max(depth, inner[0])
                fields += inner[1]
                aliases += inner[2]
            if fields > self.cap and aliases > self.cap:
                break
        return depth, min(fields, self.cap), min(aliases, self.cap)

    def _fragment(self, selection: Any, visiting: frozenset[str]) -> tuple[int, int, int]:
        if isinstance(selection, InlineFragmentNode):
            return self.count(selection.selection_set, visiting)
        assert isinstance(selection, FragmentSpreadNode)
        name = selection.name.value
        fragment = self.fragments.get(name)
        if fragment is None or name in visiting:  # unknown or cyclic: validation refuses it
            return 0, 0, 0
        if name not in self.memo:
            self.memo[name] = self.count(fragment.selection_set, visiting | {name})
        return self.memo[name]

    def keys(self, selection_set: SelectionSetNode, collected: set[str]) -> set[str]:
        """Response keys of one selection set, through its fragments (each looked at once)."""
        found: set[str] = set()
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                found.add((selection.alias or selection.name).value)
            elif isinstance(selection, InlineFragmentNode):
                found |= self.keys(selection.selection_set, collected)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in collected:
                    collected.add(name)
                    found |= self.keys(fragment.selection_set, collected)
        return found


class _Height:
    """Unique fields of merged selection sets (Apollo's height), with a bound on the work."""

    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self.fragments = fragments
        self.work = 0
        self.memo: dict[frozenset[int], int] = {}

    def of(self, selection_sets: list[SelectionSetNode]) -> int:
        key = frozenset(id(s) for s in selection_sets)
        if key in self.memo:
            return self.memo[key]
        children: dict[str, dict[int, SelectionSetNode]] = {}
        collected: set[str] = set()  # a fragment adds its fields to one merged set once
        for selection_set in selection_sets:
            self._collect(selection_set, children, collected)
            if self.work > HEIGHT_WORK:
                return 1 << 30  # too much to even measure: over any limit
        height = len(children)
        for inner in children.values():
            if inner:
                height += self.of(list(inner.values()))
            if self.work > HEIGHT_WORK:
                return 1 << 30  # too much to even measure: over any limit
        self.memo[key] = height
        return height

    def _collect(
        self,
        selection_set: SelectionSetNode,
        children: dict[str, dict[int, SelectionSetNode]],
        collected: set[str],
    ) -> None:
        for selection in selection_set.selections:
            self.work += 1
            if self.work > HEIGHT_WORK:
                return
            if isinstance(selection, FieldNode):
                below = children.setdefault(selection.name.value, {})
                if selection.selection_set is not None:
                    below[id(selection.selection_set)] = selection.selection_set
            elif isinstance(selection, InlineFragmentNode):
                self._collect(selection.selection_set, children, collected)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is not None and name not in collected:  # also ends cycles
                    collected.add(name)
                    self._collect(fragment.selection_set, children, collected)
