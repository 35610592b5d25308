"""Walk every path of the API schema and check some subgraph path can follow it (Apollo's
validation traversal), memoised per (supergraph type, set of subgraph tails)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from schema.errors import CompositionError, error
from schema.satisfiability.advance import Overrides, advance
from schema.satisfiability.engine import Engine
from schema.satisfiability.extract import Extracted, SuperType
from schema.satisfiability.runtime_types import mismatched_runtime_types
from schema.satisfiability.state import DeadEnds, PathState, Step, add
from schema.satisfiability.witness import SuperStep, satisfiability_message

MAX_PATHS = 1_000_000
Contexts = tuple[tuple[str, str], ...]
Option = tuple[PathState, Contexts]


@dataclass(frozen=True)
class VState:
    """A supergraph path and the subgraph paths that can follow it.

    After a top-level mutation field resolved by several subgraphs, the options are kept per
    subgraph (``partitions``): the field must be satisfiable from at least one of them alone.
    """

    kind: str
    type: str
    path: tuple[SuperStep, ...]
    options: tuple[Option, ...] = ()
    partitions: tuple[tuple[str, tuple[Option, ...]], ...] | None = None
    mutation_field: str | None = None
    overrides: Overrides = frozenset()

    def all_options(self) -> tuple[Option, ...]:
        if self.partitions is None:
            return self.options
        return tuple(o for _, options in self.partitions for o in options)


@dataclass
class Traversal:
    """The stack of states, the visits seen per supergraph type and the errors found."""

    engine: Engine
    stack: list[VState] = field(default_factory=list)
    visits: dict[str, list[tuple[frozenset[str], Overrides]]] = field(default_factory=dict)
    errors: list[CompositionError] = field(default_factory=list)
    mutation_errors: dict[str, dict[str, list[CompositionError]]] = field(default_factory=dict)
    paths_on_stack: int = 0
    states: int = 0

    @property
    def supergraph(self) -> Extracted:
        return self.engine.supergraph

    def push(self, state: VState) -> bool:
        self.paths_on_stack += len(state.all_options())
        self.stack.append(state)
        return self.paths_on_stack <= MAX_PATHS

    def run(self) -> list[CompositionError]:
        graph = self.engine.graph
        for kind, root in graph.roots.items():
            start = PathState(root, (), top=True)
            options = tuple(
                (add(graph, start, e, None, self.engine.relevant), ()) for e in graph.out[root]
            )
            self.push(VState(kind, self.supergraph.roots[kind], (), options))
        while self.stack:
            state = self.stack.pop()
            self.paths_on_stack -= len(state.all_options())
            self.states += 1
            if not self.handle(state):
                return [
                    error(
                        "MAX_VALIDATION_SUBGRAPH_PATHS_EXCEEDED",
                        "Maximum number of validation subgraph paths exceeded: "
                        f"{self.paths_on_stack}",
                    )
                ]
        return [*self.errors, *self._mutation_errors()]

    def handle(self, state: VState) -> bool:
        if self._seen(state):
            return True
        for step in _edges(self.supergraph, state.type):
            if step.label is not None:
                label, value = step.label
                if (label, not value) in state.overrides:
                    continue
            new = self.transition(state, step)
            leaf = new is None or self.supergraph.kind(new.type) in ("SCALAR", "ENUM")
            if new is not None and not leaf and not self.push(new):
                return False
        return True

    def _seen(self, state: VState) -> bool:
        groups = [state.options] if state.partitions is None else [o for _, o in state.partitions]
        skip = True
        for options in groups:
            keys = frozenset(self._key(option) for option in options)
            visits = self.visits.setdefault(state.type, [])
            if any(k <= keys and o <= state.overrides for k, o in visits):
                continue
            visits.append((keys, state.overrides))
            skip = False
        return skip

    def _key(self, option: Option) -> str:
        path, contexts = option
        v = self.engine.graph.vertex(path.vertex)
        enum = self.supergraph.by_name(v.source).enum
        entries = ",".join(f"{c}={value}" for c, value in sorted(contexts))
        return f"{enum}.{v.type}[{entries}]"

    def transition(self, state: VState, s: SuperStep) -> VState | None:
        overrides = state.overrides | ({s.label} if s.label else set())
        path = (*state.path, s)
        contexts = _matching_contexts(self.supergraph, state.type)
        if state.partitions is not None:
            return self._partitioned(state, s, path, overrides, contexts)
        options, failure = self._advance(state, s, path, overrides, contexts)
        if failure is not None:
            self.errors.append(failure)
            return None
        if not options:
            return None
        new = VState(state.kind, s.target, path, options, overrides=overrides)
        if not state.path and state.kind == "mutation" and s.step.kind == "field":
            new = self._partition(new, f"{s.step.parent}.{s.step.name}")
        return self._check_runtime_types(new)

    def _advance(
        self,
        state: VState,
        s: SuperStep,
        path: tuple[SuperStep, ...],
        overrides: Overrides,
        contexts: int,
    ) -> tuple[tuple[Option, ...], CompositionError | None]:
        return self.advance_options(state.kind, state.options, s, path, overrides, contexts)

    def advance_options(
        self,
        kind: str,
        options: tuple[Option, ...],
        s: SuperStep,
        path: tuple[SuperStep, ...],
        overrides: Overrides,
        contexts: int,
    ) -> tuple[tuple[Option, ...], CompositionError | None]:
        """The options after ``s``; an error when every option is a dead end."""
        graph = self.engine.graph
        found: list[Option] = []
        seen: set[Option] = set()
        dead: list[DeadEnds] = []
        for option, option_contexts in options:
            result = advance(self.engine, option, s.step, s.target, overrides)
            if isinstance(result, DeadEnds):
                dead.append(result)
                continue
            if not result:
                return (), None
            if contexts:
                v = graph.vertex(option.vertex)
                value = f"{self.supergraph.by_name(v.source).enum}.{v.type}"
                updated = dict(option_contexts)
                updated.update({str(i): value for i in range(contexts)})
                option_contexts = tuple(sorted(updated.items()))
            for p in result:
                option_key = (p, option_contexts)
                if option_key not in seen:
                    seen.add(option_key)
                    found.append((p, option_contexts))
        if found:
            return tuple(found), None
        return (), self._satisfiability_error(kind, path, dead)

    def _satisfiability_error(
        self, kind: str, path: tuple[SuperStep, ...], dead: list[DeadEnds]
    ) -> CompositionError:
        reasons = [r for d in dead for r in d.reasons()]
        last = path[-1].step
        coordinate = f"{last.parent}.{last.name}" if last.kind == "field" else last.name
        subgraphs = tuple(dict.fromkeys(r.source for r in reasons))
        message = satisfiability_message(self.supergraph, kind, path, reasons)
        return error("SATISFIABILITY_ERROR", message, subgraphs, coordinate)

    def _partition(self, state: VState, coordinate: str) -> VState:
        graph = self.engine.graph
        groups: dict[str, list[Option]] = {}
        for option in state.options:
            last = option[0].last
            source = graph.vertex(last.head).source if last is not None else ""
            groups.setdefault(source, []).append(option)
        if len(groups) <= 1:
            return state
        errors = self.mutation_errors.setdefault(coordinate, {})
        for subgraph in groups:
            errors.setdefault(subgraph, [])
        partitions = tuple((g, tuple(o)) for g, o in groups.items())
        return VState(
            state.kind,
            state.type,
            state.path,
            partitions=partitions,
            mutation_field=coordinate,
            overrides=state.overrides,
        )

    def _partitioned(
        self,
        state: VState,
        s: SuperStep,
        path: tuple[SuperStep, ...],
        overrides: Overrides,
        contexts: int,
    ) -> VState | None:
        assert state.partitions is not None
        assert state.mutation_field is not None
        kept: list[tuple[str, tuple[Option, ...]]] = []
        for subgraph, options in state.partitions:
            found, failure = self.advance_options(state.kind, options, s, path, overrides, contexts)
            if failure is not None:
                self.mutation_errors[state.mutation_field][subgraph].append(failure)
                continue
            if not found:
                return None
            kept.append((subgraph, found))
        if not kept:
            return None
        new = VState(
            state.kind,
            s.target,
            path,
            partitions=tuple(kept),
            mutation_field=state.mutation_field,
            overrides=overrides,
        )
        return self._check_runtime_types(new)

    def _check_runtime_types(self, state: VState) -> VState | None:
        failure = mismatched_runtime_types(self.engine, state.kind, state.path, state.all_options())
        if failure is None:
            return state
        self.errors.append(failure)
        return None

    def _mutation_errors(self) -> Iterator[CompositionError]:
        for coordinate, by_subgraph in self.mutation_errors.items():
            if any(not errors for errors in by_subgraph.values()):
                continue
            parts = [
                f'Supergraph API queries using the mutation field "{coordinate}" at top-level '
                "must be satisfiable without needing to call that field from multiple subgraphs, "
                "but every subgraph with that field encounters satisfiability errors. Please fix "
                "these satisfiability errors for (at least) one of the following subgraphs with "
                "the mutation field:"
            ]
            for subgraph, errors in by_subgraph.items():
                parts.append(
                    f'- When calling "{coordinate}" at top-level from subgraph "{subgraph}":'
                )
                for e in errors:
                    parts.extend("  " + line if line else line for line in e.message.split("\n"))
            yield error("SATISFIABILITY_ERROR", "\n".join(parts), tuple(by_subgraph), coordinate)


def _matching_contexts(supergraph: Extracted, type_name: str) -> int:
    """How many contexts the supergraph sets on ``type_name`` (Apollo keys visits by index)."""
    names: set[str] = set()
    for t in supergraph.types.values():
        if not t.contexts:
            continue
        if t.name == type_name or type_name in supergraph.possible(t.name):
            names.update(t.contexts)
    return len(names)


def _edges(supergraph: Extracted, type_name: str) -> Iterator[SuperStep]:
    """The API schema's edges out of ``type_name``: object fields, or casts of abstract types."""
    t = supergraph.types[type_name]
    if t.kind == "OBJECT":
        yield from _field_steps(supergraph, t)
    elif t.kind in ("INTERFACE", "UNION"):
        for member in supergraph.api_possible(t.name):
            yield SuperStep(Step("cast", t.name, member), member)


def _field_steps(supergraph: Extracted, t: SuperType) -> Iterator[SuperStep]:
    from schema.model import base_name

    for f in t.fields:
        target = base_name(f.type)
        target_type = supergraph.types.get(target)
        if f.inaccessible or (target_type is not None and target_type.inaccessible):
            continue
        step = Step("field", t.name, f.name)
        if f.override_label:
            yield SuperStep(step, target, f.args, (f.override_label, True))
            yield SuperStep(step, target, f.args, (f.override_label, False))
        else:
            yield SuperStep(step, target, f.args)
