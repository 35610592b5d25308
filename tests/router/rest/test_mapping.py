"""REST mappings checked against the manifest and the API schema; statuses of error codes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from router.config import ConfigError, load_config
from router.operation.manifest import Manifest, load_manifest, sha256
from router.rest.mapping import MappingError, compile_mapping, read_mapping
from router.rest.params import ParamError, bind
from router.rest.replies import status_of
from router.supergraph import load_supergraph
from tests.support.processes import ROOT

SCHEMA = load_supergraph((ROOT / "schema" / "supergraph.graphql").read_text()).api_schema
EXAMPLE = ROOT / "docs" / "examples"


def compiled(tmp_path: Path, routes: list[dict[str, Any]], *bodies: str) -> Any:
    path = tmp_path / "rest.yaml"
    path.write_text(yaml.safe_dump({"routes": routes}))
    manifest = Manifest({sha256(body): body for body in bodies})
    return compile_mapping(path, read_mapping(path), manifest, SCHEMA)


PLAN = "query Plan($id: ID!) { plan(id: $id) { id code } }"
PLANS = "query Plans($active: Boolean = true) { plans(activeOnly: $active) { id } }"
ORDERS = """query Orders($limit: Int, $after: String, $order: SortOrder, $expand: Boolean = false) {
  orders(first: $limit, after: $after, orderBy: $order) {
    nodes { id customer { id name @include(if: $expand) } lines { product { id } } }
    pageInfo { hasNextPage }
  }
}"""
LIST_ORDERS = {"method": "GET", "path": "/orders", "operation": "Orders",
               "pagination": {"starting_after": "after", "order": "order"},
               "expand": {"data.customer": "expand"}}  # fmt: skip


def test_the_example_mapping_fits_the_supergraph() -> None:
    spec = read_mapping(EXAMPLE / "rest.yaml")
    manifest = load_manifest(EXAMPLE / "persisted-queries.json")
    mapping = compile_mapping(EXAMPLE / "rest.yaml", spec, manifest, SCHEMA)
    resources = {route.spec.path.split("/")[2] for route in mapping.routes}
    assert {"customers", "payment_methods", "orders", "invoices", "payments", "refunds",
            "subscriptions", "webhook_endpoints"} <= resources  # fmt: skip


@pytest.mark.parametrize(
    ("route", "body", "problem"),
    [
        ({"method": "GET", "path": "/p/{id}", "operation": "Nope"}, PLAN, "not in the trusted"),
        ({"method": "GET", "path": "/p/{nope}", "operation": "Plan"}, PLAN, "does not declare"),
        (
            {"method": "GET", "path": "/p", "operation": "Setclock"},
            'mutation Setclock { setClock(to: "2026-01-01T00:00:00Z") }',
            "GET routes must map",
        ),
        (
            {
                "method": "POST",
                "path": "/p",
                "operation": "Plan",
                "body": "id",
                "params": {"x": "id"},
            },
            PLAN,
            "go in the path",
        ),
        (
            {"method": "GET", "path": "/p/{id}", "operation": "Plan", "params": {"x": "id.y"}},
            PLAN,
            "no input field",
        ),
        (
            {**LIST_ORDERS, "pagination": {"starting_after": "after", "order": "limit"}},
            ORDERS,
            "not an enum variable",
        ),
        (
            {
                **LIST_ORDERS,
                "pagination": {"starting_after": "after", "order": "order", "backward": "X"},
            },
            ORDERS,
            "no value",
        ),
        ({**LIST_ORDERS, "expand": {"data.customer": "limit"}}, ORDERS, "not a Boolean"),
        ({**LIST_ORDERS, "expand": {"customer": "expand"}}, ORDERS, "start with `data.`"),
        ({**LIST_ORDERS, "expand": {"data.lines": "expand"}}, ORDERS, "not a reference"),
    ],
)
def test_a_mapping_that_does_not_fit_names_the_route(
    tmp_path: Path, route: dict[str, Any], body: str, problem: str
) -> None:
    with pytest.raises(MappingError, match=problem) as raised:
        compiled(tmp_path, [route], body, PLANS)
    assert f"routes[0] ({route['method']} {route['path']})" in str(raised.value)


def test_reserved_paths_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rest.yaml"
    path.write_text(
        yaml.safe_dump({"routes": [{"method": "GET", "path": "/graphql", "operation": "Plans"}]})
    )
    with pytest.raises(MappingError, match="served by the router"):
        read_mapping(path)


def test_query_text_becomes_the_variable_type(tmp_path: Path) -> None:
    mapping = compiled(tmp_path, [{"method": "GET", "path": "/plans", "operation": "Plans"}], PLANS)
    route = mapping.routes[0]
    assert bind(route, {}, [("active", "false")], None, {}, mapping.spec.cursor, {}) == {
        "active": False
    }
    with pytest.raises(ParamError) as raised:
        bind(route, {}, [("active", "no")], None, {}, mapping.spec.cursor, {})
    assert raised.value.param == "active"


@pytest.mark.parametrize(
    ("extensions", "status"),
    [
        ({"code": "NOT_FOUND", "serviceName": "orders"}, 404),
        ({"code": "BAD_USER_INPUT", "serviceName": "orders"}, 422),
        ({"code": "BAD_USER_INPUT"}, 400),
        ({"code": "IDEMPOTENCY_KEY_REUSED"}, 409),
        ({"code": "UNAUTHORIZED_FIELD_OR_TYPE"}, 403),
        ({"code": "UNAUTHENTICATED"}, 401),
        ({"code": "OVERLOADED"}, 503),
        ({"code": "SUBREQUEST_HTTP_ERROR", "reason": "overloaded"}, 503),
        ({"code": "SUBREQUEST_HTTP_ERROR"}, 502),
        ({"code": "MAX_DEPTH_LIMIT"}, 400),
        ({"code": "GRAPHQL_VALIDATION_FAILED"}, 500),
        ({"code": "SOMETHING_NEW"}, 500),
    ],
)
def test_statuses_of_error_codes(extensions: dict[str, str], status: int) -> None:
    assert status_of({"message": "m", "extensions": extensions}) == status


def test_the_router_config_needs_the_manifest_and_a_readable_mapping(tmp_path: Path) -> None:
    config = tmp_path / "router.yaml"
    config.write_text(yaml.safe_dump({"rest": {"mapping": str(EXAMPLE / "rest.yaml")}}))
    with pytest.raises(
        ConfigError, match=r"router.yaml:\d+: rest.mapping: .*set persisted_queries"
    ):
        load_config(config)
    broken = tmp_path / "rest.yaml"
    broken.write_text("routes: [{method: GET}]\n")
    manifest = str(EXAMPLE / "persisted-queries.json")
    settings = {"persisted_queries": {"manifest": manifest}, "rest": {"mapping": str(broken)}}
    config.write_text(yaml.safe_dump(settings))
    with pytest.raises(ConfigError, match=r"rest.mapping: .*routes.0.path: Field required"):
        load_config(config)
    assert load_config(None).rest.mapping is None  # off by default


def test_a_refusal_keeps_the_status_its_stage_chose() -> None:
    rejected = {"message": "No entry.", "extensions": {"code": "NO_ENTRY"}}
    assert status_of(rejected, 401) == 401
    assert status_of(rejected) == 500
    stale = {"message": "m", "extensions": {"code": "GRAPHQL_VALIDATION_FAILED"}}
    assert status_of(stale, 400) == 500


def test_a_reload_recompiles_and_a_misfit_keeps_the_previous_routes(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from router.rest.endpoint import RestApi

    text = (ROOT / "schema" / "supergraph.graphql").read_text()
    manifest = load_manifest(EXAMPLE / "persisted-queries.json")
    api = RestApi(EXAMPLE / "rest.yaml", read_mapping(EXAMPLE / "rest.yaml"), None, 1 << 20, False)
    first = api.compile_for(load_supergraph(text), manifest)
    reloaded = load_supergraph(text)
    second = api.compile_for(reloaded, manifest)
    assert second is not first
    assert second.supergraph is reloaded
    assert api.compile_for(reloaded, manifest) is second  # cached per supergraph
    assert api.compile_for(load_supergraph(text), Manifest({})) is second
    assert "does not fit the new supergraph" in caplog.text


def test_a_declined_payment_is_a_402_card_error_documented_in_openapi() -> None:
    """The example maps payInvoice's PaymentDeclined and PaymentFailed results to 402 (what
    Stripe answers for card errors); PaymentPending stays a 200 resource."""
    import orjson

    from router.operation.respond import http_response
    from router.rest.openapi import openapi_document
    from router.rest.replies import outcome_code, translate

    spec = read_mapping(EXAMPLE / "rest.yaml")
    manifest = load_manifest(EXAMPLE / "persisted-queries.json")
    mapping = compile_mapping(EXAMPLE / "rest.yaml", spec, manifest, SCHEMA)
    [pay] = [r for r in mapping.routes if r.spec.path == "/v1/invoices/{id}/pay"]

    def answer(result: dict[str, Any]) -> tuple[int, Any]:
        body = orjson.dumps({"data": {"payInvoice": result}})
        reply = translate(pay, http_response(200, body, "application/json", {}), "/v1/x/pay")
        return reply.status, orjson.loads(reply.body)

    payment = {"id": "pay_1", "status": "DECLINED", "paymentMethod": {"id": "pm_1"}}
    tagged = {"object": "payment", "id": "pay_1", "status": "DECLINED", "payment_method": "pm_1"}
    declined = {"outcome": "PaymentDeclined", "reason": "EXPIRED_CARD",
                "message": "The card has expired.", "payment": payment}  # fmt: skip
    assert answer(declined) == (402, {"error": {
        "type": "card_error", "code": "PAYMENT_DECLINED", "message": "The card has expired.",
        "reason": "EXPIRED_CARD", "payment": tagged,
    }})  # fmt: skip
    pending = {"outcome": "PaymentPending", "message": "Retry.", "payment": payment}
    assert answer(pending) == (200, {"object": "payment_result", "outcome": "PaymentPending",
                                     "message": "Retry.", "payment": tagged})  # fmt: skip
    assert outcome_code("PaymentFailed") == "PAYMENT_FAILED"
    document = openapi_document(mapping, SCHEMA, require_authentication=False)
    responses = document["paths"]["/v1/invoices/{id}/pay"]["post"]["responses"]
    assert "`PaymentDeclined`" in responses["402"]["description"]
    refunds = document["paths"]["/v1/payments/{payment}/refunds"]["get"]["responses"]
    assert "402" not in refunds


def test_outcome_statuses_are_error_statuses(tmp_path: Path) -> None:
    route = {"method": "GET", "path": "/p/{id}", "operation": "Plan",
             "outcome_statuses": {"Plan": 201}}  # fmt: skip
    with pytest.raises(MappingError, match="400-599"):
        compiled(tmp_path, [route], PLAN)


def test_ending_before_reads_the_list_backwards(tmp_path: Path) -> None:
    """The cursor variable gets the object's cursor, the order variable the reverse order;
    the page comes back in the list's order."""
    import orjson

    from router.operation.respond import http_response
    from router.rest.params import backwards
    from router.rest.replies import translate

    mapping = compiled(tmp_path, [LIST_ORDERS], ORDERS)
    route, cursor = mapping.routes[0], mapping.spec.cursor

    def variables(*query: tuple[str, str]) -> dict[str, Any]:
        bound: dict[str, Any] = bind(route, {}, list(query), None, {}, cursor, {})
        return bound

    assert variables(("ending_before", "ord_9")) == {
        "after": "ord_9", "order": "NEWEST_FIRST", "limit": 10}  # fmt: skip
    assert variables(("starting_after", "ord_9"))["order"] == "OLDEST_FIRST"
    assert backwards(route, variables(("ending_before", "ord_9")))
    assert not backwards(route, variables())
    with pytest.raises(ParamError) as raised:
        variables(("starting_after", "ord_1"), ("ending_before", "ord_9"))
    assert raised.value.param == "ending_before"
    nodes = [{"id": "ord_8", "customer": {"id": "cus_1"}, "lines": [{"product": {"id": "p"}}]},
             {"id": "ord_7", "customer": {"id": "cus_1", "name": "Ada"}, "lines": []}]  # fmt: skip
    body = orjson.dumps({"data": {"orders": {"nodes": nodes, "pageInfo": {"hasNextPage": True}}}})
    reply = translate(route, http_response(200, body, "application/json", {}), "/orders",
                      backward=True)  # fmt: skip
    assert orjson.loads(reply.body) == {"object": "list", "url": "/orders", "has_more": True,
        "data": [
            {"object": "order", "id": "ord_7", "lines": [],
             "customer": {"object": "customer", "id": "cus_1", "name": "Ada"}},
            {"object": "order", "id": "ord_8", "customer": "cus_1",
             "lines": [{"product": "p"}]},
        ]}  # fmt: skip


def test_expand_sets_the_variables_of_known_paths_only(tmp_path: Path) -> None:
    mapping = compiled(tmp_path, [LIST_ORDERS], ORDERS)
    route, cursor = mapping.routes[0], mapping.spec.cursor
    bound = bind(route, {}, [("expand[]", "data.customer")], None, {}, cursor, {})
    assert bound["expand"] is True
    with pytest.raises(ParamError) as raised:
        bind(route, {}, [("expand[]", "data.lines")], None, {}, cursor, {})
    assert (raised.value.param, raised.value.code.code) == ("expand[]", "REST_PARAMETER_INVALID")
    plans = compiled(tmp_path, [{"method": "GET", "path": "/plans", "operation": "Plans"}], PLANS)
    with pytest.raises(ParamError) as unknown:  # a route that expands nothing
        bind(plans.routes[0], {}, [("expand[]", "x")], None, {}, cursor, {})
    assert unknown.value.code.code == "REST_PARAMETER_UNKNOWN"


def test_snake_case_field_names_both_ways() -> None:
    """`field_names: snake_case` (the example's): bodies' input objects are read by their
    REST names only, answers and the OpenAPI document use them."""
    from router.rest.openapi import openapi_document

    spec = read_mapping(EXAMPLE / "rest.yaml")
    manifest = load_manifest(EXAMPLE / "persisted-queries.json")
    mapping = compile_mapping(EXAMPLE / "rest.yaml", spec, manifest, SCHEMA)
    [create] = [r for r in mapping.routes if r.spec.operation == "CreateCustomer"]
    address = {"line1": "1 A St", "city": "Berlin", "postal_code": "10115", "country": "DE"}
    body = {"email": "a@example.com", "name": "A", "address": address}
    headers = {"idempotency-key": "k"}
    bound = bind(create, {}, [], body, headers, mapping.spec.cursor, {})
    assert bound["address"]["postalCode"] == "10115"
    camel = {**body, "address": {**address, "postalCode": "1"}}
    with pytest.raises(ParamError) as unknown:
        bind(create, {}, [], camel, headers, mapping.spec.cursor, {})
    assert (unknown.value.code.code, unknown.value.param) == (
        "REST_PARAMETER_UNKNOWN", "address.postalCode")  # fmt: skip
    cityless = {**body, "address": {k: v for k, v in address.items() if k != "city"}}
    with pytest.raises(ParamError) as missing:
        bind(create, {}, [], cityless, headers, mapping.spec.cursor, {})
    assert missing.value.message == (
        "Invalid address: Expected value of type 'AddressInput' to include required field 'city'."
    )
    document = openapi_document(mapping, SCHEMA, require_authentication=False)
    assert "postal_code" in document["components"]["schemas"]["AddressInput"]["properties"]
    card = document["paths"]["/v1/payment_methods/{id}"]["get"]["responses"]["200"]
    properties = card["content"]["application/json"]["schema"]["properties"]
    assert {"object", "exp_month", "is_default", "created_at"} <= set(properties)


def test_two_keys_with_one_rest_name_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "rest.yaml"
    route = {"method": "GET", "path": "/plans", "operation": "Plans"}
    path.write_text(yaml.safe_dump({"field_names": "snake_case", "routes": [route]}))
    body = "query Plans { plans { id trialDays trial_days: name } }"
    manifest = Manifest({sha256(body): body})
    with pytest.raises(MappingError, match="trialDays and trial_days have the same REST name"):
        compile_mapping(path, read_mapping(path), manifest, SCHEMA)
