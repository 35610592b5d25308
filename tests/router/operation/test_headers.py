"""Header propagation rules: compiled from config, applied per subgraph, pure."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError
from starlette.datastructures import Headers

from router.operation.headers import RESERVED, HeaderRules, HeadersConfig, normalise


def rules(config: dict[str, Any]) -> HeaderRules:
    return HeaderRules(HeadersConfig.model_validate(config))


def every(*request: dict[str, Any]) -> HeaderRules:
    return rules({"all": {"request": list(request)}})


CLIENT = {
    "Authorization": "Bearer abc",
    "X-Tenant-Id": "t1",
    "X-Tenant-Debug": "1",
    "X-Request-Id": "r-9",
    "Cookie": "s=1",
    "Content-Type": "application/json",
    "Content-Length": "42",
    "Host": "router.example",
    "Connection": "keep-alive",
    "Accept": "application/json",
    "Transfer-Encoding": "chunked",
}


def test_no_rules_forward_nothing() -> None:
    compiled = rules({})
    assert compiled.empty
    assert compiled.for_subgraph("orders", CLIENT) == {}


def test_propagate_named_is_case_insensitive_and_lower_cases() -> None:
    compiled = every({"propagate": {"named": "AUTHORIZATION"}})
    assert not compiled.empty
    assert compiled.for_subgraph("orders", CLIENT) == {"authorization": "Bearer abc"}
    assert compiled.for_subgraph("orders", {}) == {}


def test_propagate_rename_and_default() -> None:
    compiled = every(
        {"propagate": {"named": "x-request-id", "rename": "x-correlation-id", "default": "none"}}
    )
    assert compiled.for_subgraph("a", CLIENT) == {"x-correlation-id": "r-9"}
    assert compiled.for_subgraph("a", {"cookie": "s"}) == {"x-correlation-id": "none"}


def test_propagate_matching_never_copies_reserved_headers() -> None:
    compiled = every({"propagate": {"matching": ".*"}})
    forwarded = compiled.for_subgraph("a", CLIENT)
    assert set(forwarded) == {"authorization", "x-tenant-id", "x-tenant-debug", "x-request-id",
                              "cookie"}  # fmt: skip
    assert not set(forwarded) & RESERVED


def test_matching_searches_the_lower_case_name() -> None:
    compiled = every({"propagate": {"matching": "^x-tenant-"}})
    assert compiled.for_subgraph("a", CLIENT) == {"x-tenant-id": "t1", "x-tenant-debug": "1"}


def test_insert_and_remove_apply_in_order() -> None:
    compiled = every(
        {"propagate": {"matching": "^x-"}},
        {"remove": {"named": "X-Tenant-Debug"}},
        {"insert": {"name": "X-Caller", "value": "router"}},
        {"remove": {"matching": "request"}},
    )
    assert compiled.for_subgraph("a", CLIENT) == {"x-tenant-id": "t1", "x-caller": "router"}


def test_subgraph_rules_follow_the_common_ones() -> None:
    compiled = rules(
        {
            "all": {"request": [{"propagate": {"named": "authorization"}}]},
            "subgraphs": {
                "invoices": {
                    "request": [
                        {"remove": {"named": "authorization"}},
                        {"insert": {"name": "x-caller", "value": "switchboard"}},
                    ]
                },
                "orders": {"request": [{"propagate": {"named": "cookie"}}]},
            },
        }
    )
    assert compiled.for_subgraph("customers", CLIENT) == {"authorization": "Bearer abc"}
    assert compiled.for_subgraph("invoices", CLIENT) == {"x-caller": "switchboard"}
    assert compiled.for_subgraph("orders", CLIENT) == {"authorization": "Bearer abc",
                                                       "cookie": "s=1"}  # fmt: skip


def test_only_per_subgraph_rules() -> None:
    compiled = rules({"subgraphs": {"orders": {"request": [{"propagate": {"named": "cookie"}}]}}})
    assert not compiled.empty
    assert compiled.for_subgraph("orders", CLIENT) == {"cookie": "s=1"}
    assert compiled.for_subgraph("customers", CLIENT) == {}


def test_repeated_client_headers_are_joined() -> None:
    raw = Headers(raw=[(b"x-tag", b"a"), (b"X-Tag", b"b"), (b"cookie", b"c")])
    assert normalise(raw) == {"x-tag": "a, b", "cookie": "c"}
    assert every({"propagate": {"named": "x-tag"}}).for_subgraph("s", raw) == {"x-tag": "a, b"}


def test_bind_normalises_once_and_memoises_per_subgraph() -> None:
    compiled = rules(
        {
            "all": {"request": [{"propagate": {"named": "authorization"}}]},
            "subgraphs": {"orders": {"request": [{"insert": {"name": "x-o", "value": "1"}}]}},
        }
    )
    headers_for = compiled.bind(Headers(headers={"authorization": "t"}))
    assert headers_for("orders") == {"authorization": "t", "x-o": "1"}
    assert headers_for("orders") is headers_for("orders")
    assert headers_for("customers") == {"authorization": "t"}


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ({"propagate": {"named": "Host"}}, "'host' is managed by the router"),
        ({"propagate": {"named": "x-a", "rename": "content-length"}}, "managed by the router"),
        ({"insert": {"name": "connection", "value": "close"}}, "managed by the router"),
        ({"insert": {"name": "bad name", "value": "v"}}, "not a valid header name"),
        ({"insert": {"name": "x-a", "value": "v\r\nx-b: 1"}}, "CR, LF or NUL"),
        ({"propagate": {"named": "x-a", "default": "a\nb"}}, "CR, LF or NUL"),
        ({"propagate": {"matching": "("}}, "not a regular expression"),
        ({"propagate": {}}, "exactly one of `named` or `matching`"),
        ({"propagate": {"named": "a", "matching": "b"}}, "exactly one of `named` or `matching`"),
        ({"propagate": {"matching": "a", "rename": "b"}}, "apply to `named` only"),
        ({"remove": {}}, "exactly one of `named` or `matching`"),
        ({}, "exactly one of `propagate`, `insert` or `remove`"),
        ({"insert": {"name": "a", "value": "b"}, "remove": {"named": "a"}}, "exactly one of"),
        ({"propagate": {"name": "a"}}, "Extra inputs are not permitted"),
    ],
)
def test_bad_rules_are_rejected(rule: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        HeadersConfig.model_validate({"all": {"request": [rule]}})
