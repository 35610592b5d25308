"""@authenticated, @requiresScopes and @policy enforced with Apollo Router's semantics.

Unauthorized fields are never sent to a subgraph, come back null with an
UNAUTHORIZED_FIELD_OR_TYPE error at their path (`@` for list positions), and a non-null
one nulls its nearest nullable ancestor. Through aliases, fragments, unions and entities.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from router.plugins.api import Plugin, Policies
from router.plugins.hooks import Hooks
from router.plugins.loader import LoadedPlugin
from tests.router.auth.kit import KitFetcher, bearer, gateway, token
from tests.router.kit import ask

UNAUTHORIZED = "UNAUTHORIZED_FIELD_OR_TYPE"


def unauthorized_paths(body: dict[str, object]) -> list[list[object]]:
    errors = body.get("errors") or []
    assert isinstance(errors, list)
    return [e["path"] for e in errors if e["extensions"]["code"] == UNAUTHORIZED]


async def test_anonymous_gets_public_fields_and_null_for_authenticated_ones(
    tmp_path: Path,
) -> None:
    fetcher = KitFetcher()
    answer = await ask(gateway(tmp_path, fetcher), "{ public me { name } }")
    assert answer.body["data"] == {"public": "hello", "me": None}
    assert unauthorized_paths(answer.body) == [["me"]]
    assert answer.body["errors"][0]["locations"] == [{"line": 1, "column": 10}]
    assert "me" not in fetcher.queries()  # never sent to the subgraph


async def test_an_authenticated_identity_sees_them(tmp_path: Path) -> None:
    answer = await ask(gateway(tmp_path, KitFetcher()), "{ me { name } }", headers=bearer(token()))
    assert answer.body == {"data": {"me": {"name": "Ada"}}}


async def test_a_non_null_unauthorized_field_nulls_its_nearest_nullable_parent(
    tmp_path: Path,
) -> None:
    fetcher = KitFetcher()
    query = '{ public user(id: "u1") { name email } }'
    answer = await ask(gateway(tmp_path, fetcher), query, headers=bearer(token()))
    assert answer.body["data"] == {"public": "hello", "user": None}
    assert unauthorized_paths(answer.body) == [["user", "email"]]
    assert "email" not in fetcher.queries()


async def test_scopes_are_or_of_ands(tmp_path: Path) -> None:
    query = "{ users { name } }"
    for scopes, allowed in (("", False), ("support:read", True), ("admin", True), ("x", False)):
        answer = await ask(
            gateway(tmp_path, KitFetcher()), query, headers=bearer(token(scopes=scopes))
        )
        if allowed:
            assert answer.body == {"data": {"users": [{"name": "Ada"}, {"name": "Bob"}]}}
        else:  # users is non-null on the root: data itself is null
            assert answer.body["data"] is None
            assert unauthorized_paths(answer.body) == [["users"]]


async def test_paths_through_lists_aliases_and_fragments(tmp_path: Path) -> None:
    fetcher = KitFetcher()
    query = "{ people: users { ...Person } } fragment Person on User { who: name email }"
    answer = await ask(gateway(tmp_path, fetcher), query, headers=bearer(token(scopes="admin")))
    assert answer.body["data"] is None  # email is non-null, and so is every parent up to data
    assert unauthorized_paths(answer.body) == [["people", "@", "email"]]
    assert fetcher.sent == []  # nothing left to fetch


async def test_a_fragment_on_an_unauthorized_type_is_removed(tmp_path: Path) -> None:
    fetcher = KitFetcher()
    query = "{ search { ... on User { id } ... on Secret { code } } }"
    anonymous = await ask(gateway(tmp_path, fetcher), query)
    assert anonymous.body["data"] == {"search": [{"id": "u1"}, {}]}
    assert unauthorized_paths(anonymous.body) == [["search", "@"]]
    assert "code" not in fetcher.queries()
    signed_in = await ask(gateway(tmp_path, KitFetcher()), query, headers=bearer(token()))
    assert signed_in.body == {"data": {"search": [{"id": "u1"}, {"code": "0000"}]}}


async def test_entity_fields_of_another_subgraph(tmp_path: Path) -> None:
    fetcher = KitFetcher()
    query = "{ me { name balance plan } }"
    answer = await ask(gateway(tmp_path, fetcher), query, headers=bearer(token()))
    assert answer.body["data"] == {"me": {"name": "Ada", "balance": None, "plan": "pro"}}
    assert unauthorized_paths(answer.body) == [["me", "balance"]]
    billing = [q for service, q, _ in fetcher.sent if service == "billing"]
    assert billing
    assert "balance" not in billing[0]
    allowed = await ask(
        gateway(tmp_path, KitFetcher()), query, headers=bearer(token(scopes="billing:read"))
    )
    assert allowed.body == {"data": {"me": {"name": "Ada", "balance": 100, "plan": "pro"}}}


class InternalStaff(Plugin):
    """Grants the `internal` policy to subjects whose id starts with `staff-`."""

    async def on_policies(self, policies: Policies) -> None:
        subject = policies.identity.subject or ""
        if "internal" in policies.required and subject.startswith("staff-"):
            policies.granted.add("internal")


async def test_policies_are_decided_by_a_plugin(tmp_path: Path) -> None:
    plugins = Hooks([LoadedPlugin("staff", InternalStaff())])
    query = "{ me { notes } }"
    staff = await ask(
        gateway(tmp_path, KitFetcher(), plugins), query, headers=bearer(token("staff-1"))
    )
    assert staff.body == {"data": {"me": {"notes": "vip"}}}
    customer = await ask(gateway(tmp_path, KitFetcher(), plugins), query, headers=bearer(token()))
    assert customer.body["data"] == {"me": {"notes": None}}
    assert unauthorized_paths(customer.body) == [["me", "notes"]]
    no_plugin = await ask(gateway(tmp_path, KitFetcher()), query, headers=bearer(token("staff-1")))
    assert unauthorized_paths(no_plugin.body) == [["me", "notes"]]  # no plugin: denied


async def test_plans_are_cached_per_authorization_outcome(tmp_path: Path) -> None:
    fetcher = KitFetcher()
    router = gateway(tmp_path, fetcher)
    query = "{ me { name balance } }"
    for scopes in ("", "billing:read", "", "billing:read", "other"):
        await ask(router, query, headers=bearer(token(scopes=scopes)))
    (cached,) = router.operations.values()
    assert len(cached.plans) == 2  # allowed and denied, whatever the other scopes


@pytest.mark.parametrize(
    "query",
    [
        "{ public }",
        "{ __typename public }",
        '{ user(id: "u1") { name } }',
    ],
)
async def test_operations_touching_nothing_protected_skip_authorization(
    tmp_path: Path, query: str
) -> None:
    router = gateway(tmp_path, KitFetcher())
    answer = await ask(router, query)
    assert "errors" not in answer.body
    (cached,) = router.operations.values()
    assert cached.requirements == ()
