"""Stage 7, authorize: decide which access requirements the identity meets, before planning.

The operation's requirements (`@authenticated`, `@requiresScopes`, `@policy`, on the fields
and types it touches) are found once per cached operation. Per request they are checked
against the identity: `@authenticated` needs a subject, `@requiresScopes` one clause of scopes
the token has, `@policy` one clause of policies a plugin granted (`on_policies`; with no such
plugin no policy is granted). The answers pick the plan: what is not allowed is removed from
the operation before planning (``router.auth.filter``) and answered as null with an error.
"""

from __future__ import annotations

from collections.abc import Iterable

from router.auth.identity import Identity
from router.plugins import api, hooks
from router.supergraph.access import Requirement

Grants = tuple[bool, ...]  # one answer per requirement of the operation, in its order


def policies_of(requirements: Iterable[Requirement]) -> frozenset[str]:
    return frozenset(p for r in requirements if r.kind == "policies" for c in r.clauses for p in c)


def satisfied(requirement: Requirement, identity: Identity, policies: frozenset[str]) -> bool:
    if requirement.kind == "authenticated":
        return identity.authenticated
    if not requirement.clauses:  # an empty list demands nothing (as in Apollo's composition)
        return True
    held = identity.scopes if requirement.kind == "scopes" else policies
    return any(clause <= held for clause in requirement.clauses)


def grants(
    requirements: tuple[Requirement, ...], identity: Identity, policies: frozenset[str]
) -> Grants:
    return tuple(satisfied(r, identity, policies) for r in requirements)


async def authorize(
    requirements: tuple[Requirement, ...],
    identity: Identity,
    plugins: hooks.Hooks,
    client: api.RouterRequest,
) -> Grants:
    """The answer to each requirement; ``@policy`` ones are granted by ``on_policies`` hooks."""
    if not requirements:
        return ()
    required = policies_of(requirements)
    granted: set[str] = set()
    if required and plugins.on_policies:
        asked = api.Policies(client, identity, required, granted)
        await hooks.run(plugins.on_policies, "on_policies", asked)
    return grants(requirements, identity, frozenset(granted) & required)
