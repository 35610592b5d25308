"""Prepared operations, cached: parse → limits → validate once per document, plan once per variant.

New documents and new plans are prepared on worker threads (``workers.Preparer``), so the
event loop only ever looks things up. The cache is bounded in entries and in estimated
bytes. A plan variant is chosen by the enabled override labels and by the identity's
authorization outcome (which of the operation's access requirements it meets).
"""

from __future__ import annotations

from dataclasses import dataclass

from router.auth.filter import touched_requirements
from router.errors import MAX_DEPTH_LIMIT, RouterError
from router.operation.authorize import Grants
from router.operation.cache import LruCache
from router.operation.context import NULL_TELEMETRY, NullTelemetry
from router.operation.limits import LimitsConfig, enforce_fetches, enforce_limits
from router.operation.parse import parse_document
from router.operation.plan import CachedOperation, PreparedOperation, prepare
from router.operation.validate import select_operation, validate_document
from router.operation.workers import Preparer
from router.planner.budget import PlanningBudget
from router.supergraph import Supergraph
from router.supergraph.access import Requirement


@dataclass(frozen=True, slots=True)
class StoreSettings:
    limits: LimitsConfig
    introspection: bool
    budget: PlanningBudget
    cache_size: int
    cache_bytes: int


class OperationStore:
    def __init__(self, supergraph: Supergraph, settings: StoreSettings, preparer: Preparer) -> None:
        self.supergraph = supergraph
        self.settings = settings
        self.preparer = preparer
        self.cache: LruCache[tuple[str, str | None], CachedOperation] = LruCache(
            settings.cache_size, settings.cache_bytes
        )

    async def operation(
        self, query: str, operation_name: str | None, telemetry: NullTelemetry = NULL_TELEMETRY
    ) -> CachedOperation:
        """The parsed, limited and validated operation; prepared off the loop when new."""
        key = (query, operation_name)
        cached = self.cache.get(key)
        if cached is None:
            cached = await self.preparer.run(
                key, lambda: self._read(query, operation_name, telemetry)
            )
            self.cache.put(key, cached, cached.size)
        return cached

    def _read(
        self, query: str, operation_name: str | None, telemetry: NullTelemetry
    ) -> CachedOperation:
        """Parse, limits, validate (on a worker thread)."""
        limits = self.settings.limits
        with telemetry.child("parse"):
            document = parse_document(query, limits.max_tokens if limits.enabled else None)
        schema = self.supergraph.api_schema
        try:
            with telemetry.child("limits"):
                enforce_limits(document, limits)
            with telemetry.child("validate"):
                validate_document(schema, document, introspection=self.settings.introspection)
        except RecursionError:
            raise RouterError(MAX_DEPTH_LIMIT, "The document nests too deeply.") from None
        valid = select_operation(document, operation_name)
        requirements: tuple[Requirement, ...] = ()
        if self.supergraph.access:
            touched = touched_requirements(
                schema, self.supergraph.access, valid.operation, valid.fragments
            )
            requirements = tuple(sorted(touched, key=lambda r: (r.kind, r.describe())))
        return CachedOperation((query, operation_name), valid, requirements)

    async def plan(
        self, cached: CachedOperation, labels: frozenset[str], grants: Grants
    ) -> PreparedOperation:
        """The plan for these override labels and authorization outcome; planned when new."""
        key = (labels, grants)
        prepared = cached.plans.get(key)
        if prepared is None:
            allowed = None
            if cached.requirements and not all(grants):
                decided = dict(zip(cached.requirements, grants, strict=True))
                allowed = decided.__getitem__
            supergraph, valid, budget = self.supergraph, cached.valid, self.settings.budget
            prepared = await self.preparer.run(
                (id(cached), key), lambda: prepare(supergraph, valid, labels, budget, allowed)
            )
            cached.remember(key, prepared)
            self.cache.put(cached.key, cached, cached.size)  # now larger
        enforce_fetches(prepared.fetches, self.settings.limits)
        return prepared
