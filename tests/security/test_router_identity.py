"""Identity through a real router process: tokens in, authorization applied, tokens to subgraphs."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
import yaml
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from router.auth.jwks import DEV_MARKER
from schema.compose import SubgraphSource, compose
from tests.e2e.echo_subgraph import EchoServer, start_echo, supergraph_sdl
from tests.router.auth.kit import ISSUER, jwks_file, token
from tests.support.processes import ROOT, ServiceProcess, free_port, start_service

CASES = ROOT / "tests" / "router" / "auth"


def write_key(path: Path) -> Ed25519PrivateKey:
    key = Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key


def router(tmp: Path, supergraph_sdl_text: str, **settings: Any) -> ServiceProcess:
    port = free_port()
    sdl = tmp / f"supergraph-{port}.graphql"
    sdl.write_text(supergraph_sdl_text)
    config = tmp / f"router-{port}.yaml"
    config.write_text(yaml.safe_dump({"dev": False, **settings}))
    return start_service(
        ["router", "--supergraph", str(sdl), "--config", str(config), "--port", str(port)],
        name="router", port=port, log_dir=tmp,
    )  # fmt: skip


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    tmp = tmp_path_factory.mktemp("kit")
    port = free_port()
    command = [sys.executable, "-m", "tests.kit.serve", "--cases", str(CASES), "--port", str(port)]
    log = (tmp / "kit.log").open("wb")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    service = ServiceProcess("kit", f"http://127.0.0.1:{port}", process, tmp / "kit.log")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if service.client.get(f"{service.url}/health").status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.1)
    yield service
    service.stop()
    log.close()


@pytest.fixture(scope="module")
def protected(
    kit: ServiceProcess, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    tmp = tmp_path_factory.mktemp("protected")
    write_key(tmp / "router.pem")
    text = supergraph_text(kit.url)
    process = router(
        tmp, text,
        authentication={"jwks": [{"file": str(jwks_file(tmp))}], "issuers": [ISSUER]},
        subgraph_auth={"private_key_file": str(tmp / "router.pem")},
        plugins=[{"module": "tests.security.policy_plugin:StaffPolicies"}],
    )  # fmt: skip
    yield process
    process.stop()


def supergraph_text(kit_url: str) -> str:
    """The access case composed with the kit's URLs (``/<case>/<subgraph>/graphql``)."""
    sources = [
        SubgraphSource(p.stem, f"{kit_url}/case/{p.stem}/graphql", p.read_text())
        for p in sorted((CASES / "case" / "subgraphs").glob("*.graphql"))
    ]
    return compose(sources)


def ask(
    process: ServiceProcess, query: str, headers: dict[str, str] | None = None
) -> httpx.Response:
    url = f"{process.url}/graphql"
    return process.client.post(url, json={"query": query}, headers=headers or {})


def bearer(value: str) -> dict[str, str]:
    return {"authorization": f"Bearer {value}"}


def test_anonymous_requests_see_only_what_is_public(protected: ServiceProcess) -> None:
    body = ask(protected, "{ public me { name } }").json()
    assert body["data"] == {"public": "hello", "me": None}
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHORIZED_FIELD_OR_TYPE"]


def test_a_valid_token_sees_its_fields(protected: ServiceProcess) -> None:
    body = ask(protected, "{ me { name balance } }", bearer(token(scopes="billing:read"))).json()
    assert body == {"data": {"me": {"name": "Ada", "balance": 100}}}


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: "garbage", "malformed"),
        (lambda: token(exp=int(time.time()) - 3600, iat=int(time.time()) - 7200), "expired"),
        (lambda: token(iss="https://elsewhere.test"), "issuer"),
        (lambda: token()[:-4] + "AAAA", "signature"),
        (lambda: jwt.encode({"sub": "u1", "iss": ISSUER, "exp": int(time.time()) + 60}, None,
                            "none"), "algorithm"),  # type: ignore[arg-type]
    ],
    ids=["garbage", "expired", "wrong issuer", "tampered", "alg none"],
)  # fmt: skip
def test_bad_tokens_get_401_with_a_challenge(
    protected: ServiceProcess, make: Callable[[], str], reason: str
) -> None:
    value = make()  # minted when the test runs: collection may be minutes earlier
    response = ask(protected, "{ public }", bearer(value))
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith('Bearer realm="switchboard"')
    (error,) = response.json()["errors"]
    assert error["extensions"] == {"code": "UNAUTHENTICATED", "reason": reason}
    assert "data" not in response.json()
    assert value not in protected.log()  # tokens are never logged


def test_policies_come_from_a_plugin_named_in_router_yaml(protected: ServiceProcess) -> None:
    staff = ask(protected, "{ me { notes } }", bearer(token("staff-1"))).json()
    assert staff == {"data": {"me": {"notes": "vip"}}}
    customer = ask(protected, "{ me { notes } }", bearer(token("u1"))).json()
    assert customer["data"] == {"me": {"notes": None}}


def test_subgraphs_get_a_router_signed_token_for_the_caller(tmp_path: Path) -> None:
    echo: EchoServer = start_echo(tmp_path, slow_seconds=0.1)
    try:
        key = write_key(tmp_path / "router.pem")
        process = router(
            tmp_path, supergraph_sdl(echo.url, {"alpha": ["alphaHeaders"]}),
            authentication={"jwks": [{"file": str(jwks_file(tmp_path))}], "issuers": [ISSUER]},
            subgraph_auth={"private_key_file": str(tmp_path / "router.pem")},
        )  # fmt: skip
        try:
            signed_in = ask(process, "{ alphaHeaders }", bearer(token("cus_9", scopes="customer")))
            anonymous = ask(process, "{ alphaHeaders }")
        finally:
            process.stop()
    finally:
        echo.stop()
    public = key.public_key()
    expectations = ((signed_in, {"sub": "cus_9", "scope": "customer"}), (anonymous, {}))
    for response, expected in expectations:
        sent = json.loads(response.json()["data"]["alphaHeaders"])
        assert "authorization" not in sent  # the client's token stays at the router
        claims = jwt.decode(sent["x-switchboard-identity"], public, algorithms=["EdDSA"],
                            audience="alpha", issuer="switchboard-router")  # fmt: skip
        assert {k: claims[k] for k in ("sub", "scope") if k in claims} == expected
        assert claims["exp"] - claims["iat"] == 120


def test_production_refuses_the_development_key(tmp_path: Path) -> None:
    keys = json.loads(jwks_file(tmp_path).read_text())
    keys["keys"][0][DEV_MARKER] = True
    dev_jwks = tmp_path / "dev-jwks.json"
    dev_jwks.write_text(json.dumps(keys))
    config = tmp_path / "router.yaml"
    settings = {"dev": False, "authentication": {"jwks": [{"file": str(dev_jwks)}]}}
    config.write_text(yaml.safe_dump(settings))
    result = subprocess.run(
        [sys.executable, "-m", "switchboard", "router", "--config", str(config), "--port", "0"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert result.returncode != 0
    assert "development key" in result.stderr
