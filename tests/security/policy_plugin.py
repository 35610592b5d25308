"""A policy plugin the identity tests configure: `internal` for subjects starting with `staff-`."""

from __future__ import annotations

from router.plugins import Plugin, Policies


class StaffPolicies(Plugin):
    async def on_policies(self, policies: Policies) -> None:
        if (policies.identity.subject or "").startswith("staff-"):
            policies.granted.update(policies.required & {"internal"})
