"""An access-controlled supergraph served in process, real signed tokens, a gateway over them."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import jwt

from router.auth.verify import AuthenticationConfig, JwksSourceConfig, Verifier
from router.executor.fetcher import FetchResult
from router.gateway import Gateway, Security
from router.plugins.hooks import Hooks
from router.supergraph import Supergraph, load_supergraph
from schema.compose import SubgraphSource, compose
from tests.kit.serve import execute
from tests.kit.subgraph import Subgraph, build_subgraph, sequence

CASE = Path(__file__).parent / "case"
SECRET = "a-test-secret-of-at-least-thirty-two-bytes"
ISSUER = "https://issuer.test"


@cache
def supergraph() -> Supergraph:
    sources = [
        SubgraphSource(path.stem, f"http://{path.stem}.kit/graphql", path.read_text())
        for path in sorted((CASE / "subgraphs").glob("*.graphql"))
    ]
    return load_supergraph(compose(sources))


@cache
def subgraphs() -> dict[str, Subgraph]:
    return {
        path.stem: build_subgraph(
            path.read_text(), json.loads((CASE / "data" / f"{path.stem}.json").read_text())
        )
        for path in sorted((CASE / "subgraphs").glob("*.graphql"))
    }


class KitFetcher:
    """Executes subgraph requests against the in-process subgraphs; records what was sent."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str, dict[str, str]]] = []
        self.tick = sequence()

    async def fetch(
        self,
        service: str,
        query: str,
        variables: dict[str, Any],
        operation_name: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        mutation: bool = False,
    ) -> FetchResult:
        self.sent.append((service, query, dict(headers or {})))
        body = {"query": query, "variables": variables, "operationName": operation_name}
        answer = execute(subgraphs()[service], body, self.tick)
        return FetchResult(answer.get("data"), answer.get("errors") or [])

    def queries(self) -> str:
        return "\n".join(query for _, query, _ in self.sent)


def jwks_file(tmp_path: Path) -> Path:
    path = tmp_path / "jwks.json"
    key = jwt.utils.base64url_encode(SECRET.encode()).decode()
    path.write_text(json.dumps({"keys": [{"kty": "oct", "kid": "k1", "alg": "HS256", "k": key}]}))
    return path


def token(subject: str = "u1", scopes: str = "", **claims: Any) -> str:
    now = int(time.time())
    payload = {"sub": subject, "iss": ISSUER, "iat": now, "exp": now + 300, **claims}
    if scopes:
        payload["scope"] = scopes
    return jwt.encode(payload, SECRET, algorithm="HS256", headers={"kid": "k1"})


def gateway(tmp_path: Path, fetcher: KitFetcher, plugins: Hooks | None = None) -> Gateway:
    config = AuthenticationConfig(
        jwks=[JwksSourceConfig(file=jwks_file(tmp_path))], issuers=[ISSUER]
    )
    return Gateway(
        supergraph(), fetcher, security=Security(verifier=Verifier(config)), plugins=plugins
    )


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}
