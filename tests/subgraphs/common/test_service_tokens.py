"""Service tokens: what a caller signs, and every token ``verify_service_token`` (and the
subgraph's guard, the same check) refuses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from subgraphs.common.identity import IdentityVerifier, Unauthenticated
from subgraphs.common.service_tokens import (
    ServiceCaller,
    ServicePublicKeys,
    ServiceSigner,
    ServiceTokenError,
    key_id,
    load_private_key,
    signer_for,
    verify_service_token,
)
from subgraphs.common.settings import SubgraphSettings

ORDERS = Ed25519PrivateKey.generate()
SUBSCRIPTIONS = Ed25519PrivateKey.generate()
STRANGER = Ed25519PrivateKey.generate()


def pem(key: Ed25519PrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def private_pem(key: Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


TRUSTED = {"orders": pem(ORDERS), "subscriptions": pem(SUBSCRIPTIONS)}


def claims(**changes: Any) -> dict[str, Any]:
    now = int(time.time())
    values = {"iss": "switchboard-service:orders", "aud": "invoices", "scope": "service",
              "iat": now, "exp": now + 120}  # fmt: skip
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def forge(values: dict[str, Any], key: Ed25519PrivateKey = ORDERS, kid: str | None = None) -> str:
    kid = kid or key_id(key.public_key())
    return jwt.encode(values, key, algorithm="EdDSA", headers={"kid": kid})


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(values: dict[str, Any]) -> str:
    """The key-confusion attack: HMAC with the (public) PEM as the secret."""
    header = {"alg": "HS256", "typ": "JWT", "kid": key_id(ORDERS.public_key())}
    signing = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(values).encode())}"
    mac = hmac.new(pem(ORDERS).encode(), signing.encode(), hashlib.sha256).digest()
    return f"{signing}.{_b64(mac)}"


def unsigned(values: dict[str, Any]) -> str:
    header = {"alg": "none", "typ": "JWT", "kid": key_id(ORDERS.public_key())}
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(values).encode())}."


def test_a_signed_token_names_its_caller_and_callee() -> None:
    token = ServiceSigner("orders", ORDERS).token("invoices")
    header = jwt.get_unverified_header(token)
    assert header == {"alg": "EdDSA", "typ": "JWT", "kid": key_id(ORDERS.public_key())}
    assert len(header["kid"]) == 16
    body = jwt.decode(token, options={"verify_signature": False})
    assert body["iss"] == "switchboard-service:orders"
    assert (body["aud"], body["scope"], body["exp"] - body["iat"]) == ("invoices", "service", 120)
    caller = verify_service_token(token, "invoices", TRUSTED)
    assert (caller.service, caller.scopes, caller.expires_at) == (
        "orders",
        frozenset({"service"}),
        body["exp"],
    )


def test_a_token_is_reused_per_callee_and_renewed_before_it_expires() -> None:
    now = [1_000_000.0]
    signer = ServiceSigner("orders", ORDERS, clock=lambda: now[0])
    first = signer.token("invoices")
    assert signer.token("invoices") == first
    assert signer.token("customers") != first
    now[0] += 59
    assert signer.token("invoices") == first
    now[0] += 2  # past half its life: a new one, still valid for the next call
    renewed = signer.token("invoices")
    assert renewed != first
    assert jwt.decode(renewed, options={"verify_signature": False})["iat"] == 1_000_061


def test_the_signer_comes_from_the_settings_and_the_key_never_shows() -> None:
    settings = SubgraphSettings.for_service("orders", service_private_key=private_pem(ORDERS))
    signer = signer_for(settings)
    assert signer is not None
    assert verify_service_token(signer.token("invoices"), "invoices", TRUSTED).service == "orders"
    assert "PRIVATE KEY" not in repr(settings)
    assert signer_for(SubgraphSettings.for_service("orders", service_private_key="")) is None
    with pytest.raises(ValueError, match="Ed25519"):
        load_private_key("not a key")


def test_several_keys_of_one_service_during_a_rotation() -> None:
    old, new = ORDERS, Ed25519PrivateKey.generate()
    keys = ServicePublicKeys.from_json(json.dumps({"orders": [pem(old), pem(new)]}))
    for key in (old, new):
        assert verify_service_token(forge(claims(), key), "invoices", keys).service == "orders"
    bundle = ServicePublicKeys.from_pems({"orders": pem(old) + pem(new)})
    assert verify_service_token(forge(claims(), new), "invoices", bundle).service == "orders"


def refusals() -> dict[str, tuple[str | None, str]]:
    """Every refused token, made now (a token made at import would expire in a long run)."""
    now = int(time.time())
    good = forge(claims()).split(".")
    evil = _b64(json.dumps(claims(aud="invoices", scope="service admin")).encode())
    return {
        "no token": (None, "missing"),
        "empty token": ("", "missing"),
        "garbage": ("garbage", "malformed"),
        "alg none": (unsigned(claims()), "algorithm"),
        "HS256 with the public key": (hs256_with_public_key(claims()), "algorithm"),
        "an untrusted key": (forge(claims(), STRANGER), "unknown_key"),
        "an untrusted key with a trusted kid": (
            forge(claims(), STRANGER, kid=key_id(ORDERS.public_key())),
            "signature",
        ),
        "another service's key": (forge(claims(), SUBSCRIPTIONS), "unknown_key"),
        "a router token": (forge(claims(iss="switchboard-router")), "issuer"),
        "an unknown service": (forge(claims(iss="switchboard-service:mallory")), "unknown_key"),
        "expired": (forge(claims(iat=now - 300, exp=now - 60)), "expired"),
        "no exp": (forge(claims(exp=None)), "malformed"),
        "no iat": (forge(claims(iat=None)), "malformed"),
        "no aud": (forge(claims(aud=None)), "malformed"),
        "another callee": (forge(claims(aud="customers")), "audience"),
        "a user scope": (forge(claims(scope="admin")), "scope"),
        "no scope": (forge(claims(scope=None)), "scope"),
        "too long a life": (forge(claims(exp=now + 3600)), "lifetime"),
        "a tampered body": (f"{good[0]}.{evil}.{good[2]}", "signature"),
    }


@pytest.mark.parametrize("case", list(refusals()))
def test_verify_refuses(case: str) -> None:
    token, reason = refusals()[case]
    with pytest.raises(ServiceTokenError) as refused:
        verify_service_token(token, "invoices", TRUSTED)
    assert refused.value.reason == reason
    assert str(refused.value)


def test_an_accepted_token_verifies_once_and_only_while_it_is_valid() -> None:
    keys = ServicePublicKeys.from_pems(TRUSTED)
    token = forge(claims())
    first = verify_service_token(token, "invoices", keys)
    assert verify_service_token(token, "invoices", keys) is first  # remembered
    with pytest.raises(ServiceTokenError):
        verify_service_token(token, "customers", keys)  # remembered for its audience only
    stale = ServiceCaller("orders", frozenset({"service"}), expires_at=int(time.time()) - 60)
    keys.remember("garbage", "invoices", stale)
    with pytest.raises(ServiceTokenError) as refused:
        verify_service_token("garbage", "invoices", keys)  # an expired memory is not used
    assert refused.value.reason == "malformed"


def test_the_memory_of_accepted_tokens_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ServicePublicKeys, "REMEMBERED", 3)
    keys = ServicePublicKeys.from_pems(TRUSTED)
    tokens = [forge(claims(iat=int(time.time()) - n)) for n in range(5)]
    for token in tokens:
        verify_service_token(token, "invoices", keys)
    assert keys.remembered(tokens[0], "invoices") is None
    assert keys.remembered(tokens[-1], "invoices") is not None


# The subgraph's guard makes the same check (token_check) of every request -------------------

ROUTER = Ed25519PrivateKey.generate()


def guard_verifier() -> IdentityVerifier:
    """A verifier as invoices builds it from its settings: the router's key as one line (its
    line breaks written ``\\n``), the peers' keys as JSON, orders' as a list."""
    one_line = pem(ROUTER).replace("\n", "\\n")
    peers = json.dumps({"orders": [pem(ORDERS)], "subscriptions": pem(SUBSCRIPTIONS)})
    return IdentityVerifier.from_settings("invoices", one_line, peers)


@pytest.mark.parametrize("case", list(refusals()))
def test_the_guard_refuses_what_verify_refuses_for_the_same_reason(case: str) -> None:
    token, reason = refusals()[case]
    if case == "a router token":  # signed with orders' key: the router's does not verify it
        reason = "unknown_key"
    with pytest.raises(Unauthenticated) as refused:
        guard_verifier().verify(token)
    assert refused.value.reason == reason


def test_the_guard_accepts_the_router_and_peers_and_remembers_them() -> None:
    verifier = guard_verifier()
    now = int(time.time())
    router = forge(
        {"iss": "switchboard-router", "aud": "invoices", "sub": "cus_1", "scope": "customer",
         "iat": now, "exp": now + 3600},
        ROUTER,
    )  # fmt: skip
    identity = verifier.verify(router)
    assert (identity.caller, identity.customer_id) == ("router", "cus_1")
    assert verifier.verify(router) is identity  # remembered
    without_kid = jwt.encode(claims(), ORDERS, algorithm="EdDSA")
    assert verifier.verify(without_kid).is_service  # each key of orders is tried
