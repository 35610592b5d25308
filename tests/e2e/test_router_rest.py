"""The REST API of docs/examples/rest.yaml through a real router over real subgraphs (#20)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from openapi_spec_validator import validate

from tests.e2e.rest_stack import ADA, PRODUCT, admin, call, error_of, rest_router
from tests.router.auth.kit import token
from tests.security.router_stack import Subgraphs, running_subgraphs
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.slow

CUSTOMER = {
    "email": "rest-merchant@example.com",
    "name": "Rest Merchant",
    "address": {"line1": "1 Rest St", "city": "Berlin", "postal_code": "10115", "country": "DE"},
}


@pytest.fixture(scope="module")
def subgraphs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Subgraphs]:
    with running_subgraphs(tmp_path_factory.mktemp("rest-subgraphs")) as running:
        yield running


@pytest.fixture(scope="module")
def router(
    subgraphs: Subgraphs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    process = rest_router(tmp_path_factory.mktemp("rest-router"), subgraphs.urls())
    yield process
    process.stop()


@pytest.fixture(scope="module")
def guarded(
    subgraphs: Subgraphs, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServiceProcess]:
    """Anonymous requests refused, a depth limit the product list breaks, and plugins."""
    plugins = [
        {"module": "tests.e2e.plugins_under_test:Gatekeeper"},
        {"module": "tests.e2e.plugins_under_test:Recorder", "config": {"label": "rec"}},
    ]
    process = rest_router(
        tmp_path_factory.mktemp("rest-guarded"), subgraphs.urls(),
        authentication={"require_authentication": True}, limits={"max_depth": 3},
        plugins=plugins,
    )  # fmt: skip
    yield process
    process.stop()


def test_a_resource_is_the_operations_data_unwrapped(router: ServiceProcess) -> None:
    answer = call(router, "GET", f"/v1/products/{PRODUCT}")
    assert answer.status_code == 200, answer.text
    product = answer.json()
    assert product["id"] == PRODUCT
    assert product["price"] == {"amount": 5900, "currency": "EUR", "formatted": "59.00 EUR"}


def test_lists_page_with_limit_and_starting_after(router: ServiceProcess) -> None:
    first = call(router, "GET", "/v1/products", params={"limit": 2})
    assert first.status_code == 200, first.text
    page = first.json()
    assert (page["object"], page["url"], page["has_more"]) == ("list", "/v1/products", True)
    assert len(page["data"]) == 2
    after = page["data"][-1]["id"]
    second = call(router, "GET", "/v1/products", params={"limit": 2, "starting_after": after})
    ids = [p["id"] for p in second.json()["data"]]
    assert len(ids) == 2
    assert not set(ids) & {p["id"] for p in page["data"]}
    everything = call(router, "GET", "/v1/products", params={"limit": 100}).json()
    assert everything["has_more"] is False
    assert [p["id"] for p in everything["data"]][2:4] == ids


def test_ending_before_gives_the_page_before(router: ServiceProcess) -> None:
    """As Stripe: the `limit` objects just before the given one, in the list's order, and
    `has_more` says whether more precede them."""
    everything = call(router, "GET", "/v1/products", params={"limit": 100}).json()["data"]
    ids = [p["id"] for p in everything]
    assert len(ids) >= 5
    page = call(router, "GET", "/v1/products", params={"limit": 2, "ending_before": ids[4]})
    assert page.status_code == 200, page.text
    body = page.json()
    assert ([p["id"] for p in body["data"]], body["has_more"]) == (ids[2:4], True)
    first = call(router, "GET", "/v1/products", params={"limit": 2, "ending_before": ids[2]})
    assert ([p["id"] for p in first.json()["data"]], first.json()["has_more"]) == (ids[:2], False)
    nothing = call(router, "GET", "/v1/products", params={"ending_before": ids[0]}).json()
    assert (nothing["data"], nothing["has_more"]) == ([], False)
    both = call(router, "GET", "/v1/products",
                params={"starting_after": ids[0], "ending_before": ids[4]})  # fmt: skip
    assert both.status_code == 400
    assert error_of(both)["param"] == "ending_before"


def test_resources_say_what_they_are_and_reference_others_by_id(router: ServiceProcess) -> None:
    customer = call(router, "GET", f"/v1/customers/{ADA}", headers=admin()).json()
    assert customer["object"] == "customer"
    assert customer["created_at"].startswith("2026-")  # `field_names: snake_case`
    assert customer["address"]["postal_code"] == "10115"
    card = customer["default_payment_method"]
    assert isinstance(card, str)
    assert card.startswith("pm_")
    orders = call(router, "GET", "/v1/orders", params={"customer": ADA, "limit": 1},
                  headers=admin()).json()  # fmt: skip
    order = orders["data"][0]
    assert (orders["object"], order["object"], order["customer"]) == ("list", "order", ADA)
    assert all(isinstance(line["product"], str) for line in order["lines"])
    assert order["invoice"]["object"] == "invoice"  # a nested object with more than its id
    subscriptions = call(router, "GET", "/v1/subscriptions", params={"limit": 1},
                         headers=admin()).json()  # fmt: skip
    assert subscriptions["data"][0]["object"] == "subscription"  # the mapping's `objects`


def test_expand_answers_a_reference_as_its_object(router: ServiceProcess) -> None:
    expanded = call(router, "GET", "/v1/orders", headers=admin(),
                    params={"customer": ADA, "limit": 1, "expand[]": "data.customer"})  # fmt: skip
    assert expanded.status_code == 200, expanded.text
    customer = expanded.json()["data"][0]["customer"]
    assert (customer["object"], customer["id"], customer["name"]) == (
        "customer",
        ADA,
        "Ada Lovelace",
    )
    assert customer["default_payment_method"].startswith("pm_")  # expansion is one level
    one = call(router, "GET", f"/v1/customers/{ADA}", headers=admin(),
               params={"expand[]": "default_payment_method"}).json()  # fmt: skip
    assert one["default_payment_method"]["object"] == "payment_method"
    assert one["default_payment_method"]["last4"]
    wrong = call(router, "GET", f"/v1/customers/{ADA}", headers=admin(),
                 params={"expand[]": "address"})  # fmt: skip
    assert wrong.status_code == 400
    assert (error_of(wrong)["code"], error_of(wrong)["param"]) == (
        "REST_PARAMETER_INVALID", "expand[]")  # fmt: skip


def test_query_parameters_bind_input_object_fields(router: ServiceProcess) -> None:
    found = call(router, "GET", "/v1/products", params={"search": "printer", "in_stock": "true"})
    names = [p["name"] for p in found.json()["data"]]
    assert names
    assert all("printer" in name.lower() for name in names)


@pytest.mark.parametrize(
    ("path", "params", "param", "code"),
    [
        ("/v1/products", {"limit": "ten"}, "limit", "REST_PARAMETER_INVALID"),
        ("/v1/products", {"limit": "0"}, "limit", "REST_PARAMETER_INVALID"),
        ("/v1/products", {"limit": "101"}, "limit", "REST_PARAMETER_INVALID"),
        ("/v1/products", {"in_stock": "maybe"}, "in_stock", "REST_PARAMETER_INVALID"),
        ("/v1/products", {"sort": "name"}, "sort", "REST_PARAMETER_UNKNOWN"),
        ("/v1/orders", {"status": "SHIPPED"}, "status", "REST_PARAMETER_INVALID"),
    ],
)
def test_a_bad_parameter_is_400_naming_it(
    router: ServiceProcess, path: str, params: dict[str, str], param: str, code: str
) -> None:
    answer = call(router, "GET", path, params=params, headers=admin())
    assert answer.status_code == 400, answer.text
    error = error_of(answer)
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)


def test_body_fields_are_coerced_by_the_variable_types(router: ServiceProcess) -> None:
    def create(body: object, key: str | None = "coerce-1") -> dict[str, str]:
        headers = {**admin(), **({"idempotency-key": key} if key else {})}
        answer = call(router, "POST", "/v1/customers", json=body, headers=headers)
        assert answer.status_code == 400, answer.text
        return error_of(answer)

    assert create({**CUSTOMER, "name": 5})["param"] == "name"
    no_city = {**CUSTOMER, "address": {"line1": "1", "postal_code": "1", "country": "DE"}}
    assert "city" in create(no_city)["message"]
    camel = {**CUSTOMER, "address": {**CUSTOMER["address"], "postalCode": "1"}}
    assert create(camel)["param"] == "address.postalCode"  # a GraphQL name is no REST one
    assert create({**CUSTOMER, "nickname": "x"})["code"] == "REST_PARAMETER_UNKNOWN"
    missing = create({"email": "a@example.com", "address": CUSTOMER["address"]})
    assert (missing["code"], missing["param"]) == ("REST_PARAMETER_MISSING", "name")
    keyless = create(CUSTOMER, key=None)
    assert (keyless["code"], keyless["param"]) == ("REST_PARAMETER_MISSING", "Idempotency-Key")
    answer = call(router, "POST", "/v1/customers", content=b"{", headers={
        **admin(), "content-type": "application/json", "idempotency-key": "k"})  # fmt: skip
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "BAD_REQUEST"
    form = call(router, "POST", "/v1/customers", data={"name": "x"}, headers=admin())
    assert form.status_code == 415


def test_idempotency_key_maps_to_the_mutation(router: ServiceProcess) -> None:
    headers = {**admin(), "idempotency-key": "rest-create-1"}
    first = call(router, "POST", "/v1/customers", json=CUSTOMER, headers=headers)
    assert first.status_code == 200, first.text
    again = call(router, "POST", "/v1/customers", json=CUSTOMER, headers=headers)
    assert again.json()["id"] == first.json()["id"]
    other = call(
        router, "POST", "/v1/customers", json={**CUSTOMER, "name": "Other"}, headers=headers
    )
    assert other.status_code == 409, other.text
    error = error_of(other)
    assert (error["type"], error["code"]) == ("idempotency_error", "IDEMPOTENCY_KEY_REUSED")
    assert error["param"] == "Idempotency-Key"
    taken = call(router, "POST", "/v1/customers", json=CUSTOMER,
                 headers={**admin(), "idempotency-key": "rest-create-2"})  # fmt: skip
    assert taken.status_code == 409
    assert error_of(taken)["code"] == "CONFLICT"
    assert error_of(taken)["param"] == "email"


def test_domain_rejections_are_422(router: ServiceProcess) -> None:
    body = {**CUSTOMER, "email": "not-an-email"}
    answer = call(router, "POST", "/v1/customers", json=body,
                  headers={**admin(), "idempotency-key": "rest-bad-email"})  # fmt: skip
    assert answer.status_code == 422, answer.text
    error = error_of(answer)
    assert (error["code"], error["param"], error["service"]) == (
        "BAD_USER_INPUT",
        "email",
        "customers",
    )


def test_nothing_with_that_id_is_404(router: ServiceProcess) -> None:
    answer = call(router, "GET", "/v1/products/prd_01KE6P4YM0E37Z3HR0ECQ9")
    assert answer.status_code == 404
    error = error_of(answer)
    assert (error["code"], error["param"]) == ("RESOURCE_NOT_FOUND", "id")
    missing = call(router, "POST", "/v1/orders/ord_01KHDSFJ80783FAP6GJDC0/cancel", headers=admin())
    assert missing.status_code == 404, missing.text
    assert error_of(missing)["code"] == "NOT_FOUND"


def test_wrong_methods_and_paths(router: ServiceProcess) -> None:
    answer = call(router, "DELETE", "/v1/products")
    assert answer.status_code == 405
    assert answer.headers["allow"] == "GET"
    assert call(router, "GET", "/v1/nothing").status_code == 404


def test_a_bodiless_post_needs_a_preflight_header(router: ServiceProcess) -> None:
    """A browser could send it cross-site as a form: Authorization or Idempotency-Key prove it
    was not one (the CSRF rule of /graphql)."""
    answer = call(router, "POST", "/v1/orders/ord_01KHDSFJ80783FAP6GJDCP/cancel")
    assert answer.status_code == 400
    assert error_of(answer)["code"] == "CSRF_ERROR"


def test_plain_lists_and_the_invoice_pdf_link(router: ServiceProcess) -> None:
    cards = call(router, "GET", f"/v1/customers/{ADA}/payment_methods", headers=admin())
    assert cards.status_code == 200, cards.text
    assert cards.json()["object"] == "list"
    assert cards.json()["data"][0]["id"].startswith("pm_")
    invoices = call(router, "GET", "/v1/invoices", params={"customer": ADA, "limit": 1},
                    headers=admin()).json()  # fmt: skip
    invoice = invoices["data"][0]
    link = call(router, "GET", f"/v1/invoices/{invoice['id']}/pdf", headers=admin())
    assert link.status_code == 302
    location = urlsplit(link.headers["location"])
    assert location.path.endswith(f"/invoices/{invoice['id']}.pdf")
    assert set(parse_qs(location.query)) == {"expires", "signature"}
    # the PDF is for the owner and billing staff: support reads the invoice, not its PDF
    support = {"authorization": f"Bearer {token('staff-2', 'support:read')}"}
    read = call(router, "GET", f"/v1/invoices/{invoice['id']}", headers=support)
    assert read.status_code == 200, read.text
    assert "pdf_url" not in read.json()
    refused = call(router, "GET", f"/v1/invoices/{invoice['id']}/pdf", headers=support)
    assert refused.status_code == 403, refused.text


def test_rest_is_held_to_authentication_and_limits(guarded: ServiceProcess) -> None:
    anonymous = call(guarded, "GET", "/v1/plans")
    assert anonymous.status_code == 401, anonymous.text
    assert error_of(anonymous)["type"] == "authentication_error"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    graphql = guarded.client.post(f"{guarded.url}/graphql", json={"query": "{ plans { id } }"})
    assert graphql.status_code == 401
    bad = call(guarded, "GET", "/v1/plans", headers={"authorization": "Bearer not-a-token"})
    assert bad.status_code == 401
    user = {"authorization": f"Bearer {token('u1', 'customer')}"}
    plans = call(guarded, "GET", "/v1/plans", headers=user)
    assert plans.status_code == 200, plans.text
    assert plans.json()["data"]
    deep = call(guarded, "GET", "/v1/products", headers=user)
    assert deep.status_code == 400
    assert error_of(deep)["code"] == "MAX_DEPTH_LIMIT"


def test_plugins_see_and_refuse_rest_calls(guarded: ServiceProcess) -> None:
    user = {"authorization": f"Bearer {token('u1', 'customer')}"}
    seen = call(guarded, "GET", "/v1/plans", headers=user)
    assert seen.status_code == 200
    assert seen.headers["x-rec"] == "seen"  # on_response ran, and its headers pass through
    refused = call(guarded, "GET", "/v1/plans", headers={**user, "x-reject": "on_operation"})
    assert refused.status_code == 403, refused.text
    assert error_of(refused)["code"] == "REQUEST_REJECTED"
    early = call(guarded, "GET", "/v1/plans", headers={**user, "x-reject": "on_request"})
    assert early.status_code == 401  # the plugin's own status
    assert (error_of(early)["code"], error_of(early)["message"]) == ("NO_ENTRY", "No entry.")
    access = [line for line in guarded.log().splitlines() if "POST /v1/plans 200" in line]
    assert access  # telemetry's access log, with the trusted operation's name
    assert all('"operation_name":"ListPlans"' in line.replace(" ", "") for line in access)
    assert call(guarded, "GET", "/v1/plans/pln_nope", headers=user).status_code == 404
    logged = guarded.log().splitlines()
    assert any("POST /v1/plans/pln_nope 404" in line for line in logged)  # REST's status
    assert call(guarded, "GET", "/v1/plans", params={"x": "1"}, headers=user).status_code == 400
    assert any("POST /v1/plans 400" in line for line in guarded.log().splitlines())


def test_the_openapi_document_is_valid_and_served_offline(
    router: ServiceProcess, tmp_path: Path
) -> None:
    answer = call(router, "GET", "/openapi.json")
    assert answer.status_code == 200
    document = answer.json()
    validate(document)
    assert document["openapi"] == "3.1.0"
    customer = document["paths"]["/v1/customers/{id}"]["get"]
    assert customer["operationId"] == "RetrieveCustomer"
    assert customer["parameters"][0]["example"] == ADA
    assert customer["summary"] == "Retrieve a customer"
    schema = customer["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["properties"]["address"]["properties"]["country"] == {"type": "string"}
    assert "email" in schema["required"]
    create = document["paths"]["/v1/customers"]["post"]
    header = next(p for p in create["parameters"] if p["in"] == "header")
    assert header["name"] == "Idempotency-Key"
    assert header["required"] is True
    assert "409" in create["responses"]
    assert document["components"]["schemas"]["CardBrand"]["enum"][0] == "VISA"
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert schema["properties"]["object"] == {"type": "string", "const": "customer"}
    listed = document["paths"]["/v1/orders"]["get"]
    names = [p["name"] for p in listed["parameters"]]
    assert {"limit", "starting_after", "ending_before", "expand[]"} <= set(names)
    order = listed["responses"]["200"]["content"]["application/json"]["schema"]
    customer_of = order["properties"]["data"]["items"]["properties"]["customer"]
    assert [option.get("type") for option in customer_of["anyOf"]] == ["string", "object"]
    page = call(router, "GET", "/docs")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "/v1/invoices/{id}/pdf" in page.text
    assert "<script" not in page.text
    assert "https://" not in page.text.split("</style>")[0]
