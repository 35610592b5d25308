"""Routers serving docs/examples/rest.yaml over real subgraphs, and helpers to call them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.router.auth.kit import ISSUER, jwks_file, token
from tests.security.router_stack import start_router
from tests.support.processes import ROOT, ServiceProcess

EXAMPLES = ROOT / "docs" / "examples"
MAPPING = EXAMPLES / "rest.yaml"
MANIFEST = EXAMPLES / "persisted-queries.json"
ADA = "cus_01KE7AR4C0EWE438S1GN4J"
PRODUCT = "prd_01KE6P4YM0E37Z3HR0ECQ1"


def rest_router(tmp: Path, urls: dict[str, str], **settings: Any) -> ServiceProcess:
    """A production router with the example REST mapping and test-issuer tokens."""
    authentication = {"jwks": [{"file": str(jwks_file(tmp))}], "issuers": [ISSUER]}
    authentication.update(settings.pop("authentication", {}))
    return start_router(
        tmp,
        urls,
        persisted_queries={"manifest": str(MANIFEST), "safelist": "enforce"},
        rest={"mapping": str(MAPPING)},
        authentication=authentication,
        **settings,
    )


def admin() -> dict[str, str]:
    """Headers of a back-office user who may do everything (docs/security.md's `admin`)."""
    scopes = "admin support:read support:write billing:write refunds:write"
    return {"authorization": f"Bearer {token('staff-1', scopes)}"}


def call(router: ServiceProcess, method: str, path: str, **kwargs: Any) -> httpx.Response:
    return router.client.request(method, f"{router.url}{path}", timeout=60, **kwargs)


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    error: dict[str, Any] = body["error"]
    return error
