"""What the request path reads from the router's configuration, and the security parts it uses.

``router.server.app`` builds both from ``router.yaml``; ``router.gateway`` passes them to the
stages.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from router.auth.subgraph_tokens import SubgraphSigner
from router.auth.verify import Verifier
from router.operation.limits import LimitsConfig
from router.operation.ratelimit import Limiter
from router.planner.budget import DEFAULT_BUDGET, PlanningBudget


@dataclass(frozen=True, slots=True)
class GatewaySettings:
    """The parts of the router's configuration the request path reads."""

    introspection: bool = True
    expose_plans: bool = False  # honour EXPOSE_PLAN_HEADER (dev mode only)
    dedupe_requests: bool = False
    operation_cache_size: int = 2048
    operation_cache_bytes: int = 64 * 1024 * 1024
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    csrf_headers: tuple[str, ...] | None = None  # None: no CSRF prevention
    rate_limit_key: str = "subject"
    budget: PlanningBudget = DEFAULT_BUDGET
    batch_entities: bool = False


@dataclass(frozen=True, slots=True)
class Security:
    """Who the router believes (``verifier``) and how it vouches to subgraphs (``signer``)."""

    verifier: Verifier | None = None
    signer: SubgraphSigner | None = None
    limiter: Limiter | None = None
