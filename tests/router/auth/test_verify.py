"""Bearer tokens: what is accepted (RS256, ES256, HS256; JWKS files and URLs) and what is not."""

from __future__ import annotations

import base64
import hmac
import json
import threading
import time
from collections.abc import Iterator
from hashlib import sha256
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from router.auth.verify import AuthenticationConfig, JwksSourceConfig, Verifier
from router.errors import RouterError
from tests.router.auth.kit import ISSUER, jwks_file, token

RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())


def public_jwks(path: Path) -> Path:
    rsa_jwk = json.loads(RSAAlgorithm.to_jwk(RSA_KEY.public_key()))
    ec_jwk = json.loads(ECAlgorithm.to_jwk(EC_KEY.public_key()))
    path.write_text(json.dumps({"keys": [
        {**rsa_jwk, "kid": "rsa", "alg": "RS256", "use": "sig"},
        {**ec_jwk, "kid": "ec", "alg": "ES256"},
    ]}))  # fmt: skip
    return path


def claims(**extra: Any) -> dict[str, Any]:
    now = int(time.time())
    return {"sub": "cus_1", "iss": ISSUER, "aud": "payments", "iat": now, "exp": now + 60, **extra}


def verifier(path: Path, **config: Any) -> Verifier:
    settings = {"issuers": [ISSUER], "audiences": ["payments"], **config}
    return Verifier(AuthenticationConfig(jwks=[JwksSourceConfig(file=path)], **settings))


async def identify(verifier: Verifier, value: str) -> Any:
    return await verifier.identify({"authorization": f"Bearer {value}"})


async def refused(verifier: Verifier, value: str) -> str:
    with pytest.raises(RouterError) as caught:
        await identify(verifier, value)
    error = caught.value
    assert error.code.code == "UNAUTHENTICATED"
    assert error.http_status(False) == 401
    challenge = error.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="switchboard"')
    assert value not in challenge  # never echoed
    assert value not in error.message
    return error.message


async def test_rs256_and_es256_tokens_from_a_jwks_file(tmp_path: Path) -> None:
    check = verifier(public_jwks(tmp_path / "keys.json"))
    rs = jwt.encode(claims(scope="customer"), RSA_KEY, algorithm="RS256", headers={"kid": "rsa"})
    es = jwt.encode(claims(scope="support:read admin"), EC_KEY, algorithm="ES256",
                    headers={"kid": "ec"})  # fmt: skip
    customer = await identify(check, rs)
    assert (customer.subject, customer.scopes, customer.customer_id) == (
        "cus_1", frozenset({"customer"}), "cus_1"
    )  # fmt: skip
    staff = await identify(check, es)
    assert staff.scopes == frozenset({"support:read", "admin"})
    assert staff.customer_id is None


async def test_hs256_from_an_oct_key(tmp_path: Path) -> None:
    check = verifier(jwks_file(tmp_path), audiences=[])
    assert (await identify(check, token(scopes="customer"))).subject == "u1"


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: jwt.encode(claims(exp=int(time.time()) - 3600), RSA_KEY, "RS256",
                            headers={"kid": "rsa"}), "expired"),
        (lambda: jwt.encode(claims(nbf=int(time.time()) + 3600), RSA_KEY, "RS256",
                            headers={"kid": "rsa"}), "not valid yet"),
        (lambda: jwt.encode(claims(iss="https://evil.test"), RSA_KEY, "RS256",
                            headers={"kid": "rsa"}), "issuer"),
        (lambda: jwt.encode(claims(aud="other-api"), RSA_KEY, "RS256",
                            headers={"kid": "rsa"}), "`aud`"),
        (lambda: jwt.encode({k: v for k, v in claims().items() if k != "exp"}, RSA_KEY,
                            "RS256", headers={"kid": "rsa"}), "`exp`"),
        (lambda: jwt.encode({k: v for k, v in claims().items() if k != "sub"}, RSA_KEY,
                            "RS256", headers={"kid": "rsa"}), "subject"),
        (lambda: jwt.encode(claims(), rsa.generate_private_key(public_exponent=65537,
                            key_size=2048), "RS256", headers={"kid": "rsa"}), "signature"),
        (lambda: jwt.encode(claims(), RSA_KEY, "RS256", headers={"kid": "unknown"}),
         "not signed by a key"),
        (lambda: "not-a-jwt", "not a JWT"),
        (lambda: "a.b.c", "not a JWT"),
    ],
    ids=["expired", "not yet valid", "wrong issuer", "wrong audience", "no exp", "no sub",
         "other key", "unknown kid", "garbage", "three garbage parts"],
)  # fmt: skip
async def test_bad_tokens_are_refused_with_a_reason(tmp_path: Path, make: Any, reason: str) -> None:
    message = await refused(verifier(public_jwks(tmp_path / "keys.json")), make())
    assert reason in message


async def test_a_tampered_token_is_refused(tmp_path: Path) -> None:
    good = jwt.encode(claims(scope="customer"), RSA_KEY, "RS256", headers={"kid": "rsa"})
    header, payload, signature = good.split(".")
    forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
    forged["scope"] = "admin"
    tampered = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    check = verifier(public_jwks(tmp_path / "keys.json"))
    message = await refused(check, f"{header}.{tampered}.{signature}")
    assert "signature" in message


async def test_alg_none_is_never_accepted(tmp_path: Path) -> None:
    unsigned = jwt.encode(claims(scope="admin"), None, algorithm="none")  # type: ignore[arg-type]
    assert "'none'" in await refused(verifier(public_jwks(tmp_path / "keys.json")), unsigned)


async def test_key_confusion_hs256_with_the_rsa_public_key_is_refused(tmp_path: Path) -> None:
    """An attacker signs HS256 with the RSA public key (which is public) as the secret."""
    public_pem = RSA_KEY.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = jwt.utils.base64url_encode(json.dumps({"alg": "HS256", "kid": "rsa"}).encode())
    body = jwt.utils.base64url_encode(json.dumps(claims(scope="admin")).encode())
    signing_input = header + b"." + body
    signature = jwt.utils.base64url_encode(hmac.new(public_pem, signing_input, sha256).digest())
    forged = (signing_input + b"." + signature).decode()
    message = await refused(verifier(public_jwks(tmp_path / "keys.json")), forged)
    assert "not signed by a key" in message  # no HS256 key named rsa: the RSA key never fits


@pytest.mark.parametrize("value", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", "token abc"])
async def test_malformed_authorization_headers(tmp_path: Path, value: str) -> None:
    check = verifier(public_jwks(tmp_path / "keys.json"))
    with pytest.raises(RouterError) as caught:
        await check.identify({"authorization": value})
    assert caught.value.code.code == "UNAUTHENTICATED"


async def test_anonymous_unless_required(tmp_path: Path) -> None:
    check = verifier(public_jwks(tmp_path / "keys.json"))
    assert not (await check.identify({})).authenticated
    strict = verifier(public_jwks(tmp_path / "keys.json"), require_authentication=True)
    with pytest.raises(RouterError):
        await strict.identify({})


async def test_a_verified_token_is_not_verified_again(tmp_path: Path) -> None:
    check = verifier(public_jwks(tmp_path / "keys.json"))
    value = jwt.encode(claims(), RSA_KEY, "RS256", headers={"kid": "rsa"})
    await identify(check, value)
    calls = []
    original = check._verify

    async def counting(raw: str) -> Any:
        calls.append(raw)
        return await original(raw)

    check._verify = counting  # type: ignore[method-assign]
    for _ in range(5):
        await identify(check, value)
    assert calls == []


class _Jwks:
    def __init__(self) -> None:
        self.document = b'{"keys": []}'
        self.requests = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.requests += 1
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.end_headers()
                self.wfile.write(outer.document)

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def jwks_server() -> Iterator[_Jwks]:
    server = _Jwks()
    yield server
    server.server.shutdown()


async def test_a_jwks_url_is_fetched_and_refreshed_for_a_rotated_key(
    tmp_path: Path, jwks_server: _Jwks
) -> None:
    config = AuthenticationConfig(
        jwks=[JwksSourceConfig(url=jwks_server.url)], issuers=[ISSUER], audiences=["payments"]
    )
    check = Verifier(config)
    check.keys.min_refresh_seconds = 0
    await check.keys.start()
    try:
        value = jwt.encode(claims(), RSA_KEY, "RS256", headers={"kid": "rsa"})
        await refused(check, value)  # the key is not published yet
        jwks_server.document = public_jwks(tmp_path / "keys.json").read_bytes()  # rotated in
        assert (await identify(check, value)).subject == "cus_1"
        assert jwks_server.requests >= 2
    finally:
        await check.keys.stop()
