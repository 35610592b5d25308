"""Whose rows, through a real production-mode router over the four real subgraphs (#14).

The router removes what the identity may not see (``@authenticated``, ``@requiresScopes``);
the subgraphs, which trust the router's signed identity, filter the rows: a customer reads
its own data, gets ``null`` for another customer's and ``FORBIDDEN`` acting on it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from subgraphs.common.demo import world
from tests.security import matrix
from tests.security.router_stack import Subgraphs, running_subgraphs, start_router
from tests.support.identity import bearer, customer_bearer
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.slow

ALICE = world().customers[0].id
BOB = world().customers[1].id


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServiceProcess, Subgraphs]]:
    """The router and the subgraphs, wired to each other and a bank: the matrix's mutations
    charge, refund and invoice for real."""
    tmp = tmp_path_factory.mktemp("ownership")
    with running_subgraphs(tmp, wired=True) as subgraphs:
        process = start_router(tmp, subgraphs.urls())
        yield process, subgraphs
        process.stop()


@pytest.fixture(scope="module")
def router(stack: tuple[ServiceProcess, Subgraphs]) -> ServiceProcess:
    return stack[0]


def ask(
    router: ServiceProcess, query: str, headers: dict[str, str], **variables: Any
) -> dict[str, Any]:
    with httpx.Client(timeout=60) as client:  # not the process client: no default identity
        response = client.post(
            f"{router.url}/graphql",
            json={"query": query, "variables": variables},
            headers=headers,
        )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [e["extensions"]["code"] for e in body.get("errors", [])]


EVERYTHING = """
query($id: ID!) {
  customer(id: $id) {
    id email
    paymentMethods { id last4 }
    orders { nodes { id customer { id } invoice { id payments { id bankReference } } } }
    invoices { nodes { id customer { id } } }
    subscriptions { nodes { id customer { id } } }
  }
}
"""


def test_anonymous_reads_the_catalogue_only(router: ServiceProcess) -> None:
    catalogue = ask(router, "{ products(first: 2) { nodes { id } } plans { id } }", {})
    assert "errors" not in catalogue
    assert catalogue["data"]["plans"]
    body = ask(router, "query($id: ID!) { customer(id: $id) { email } }", {}, id=ALICE)
    assert body["data"] == {"customer": None}
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    body = ask(router, "{ orders { totalCount } invoices { totalCount } }", {})
    assert body["data"] is None or body["data"] == {"orders": None, "invoices": None}
    assert set(codes(body)) == {"UNAUTHORIZED_FIELD_OR_TYPE"}


def test_a_customer_reads_its_own_data_across_every_subgraph(router: ServiceProcess) -> None:
    body = ask(router, EVERYTHING, customer_bearer(ALICE), id=ALICE)
    assert "errors" not in body, body["errors"]
    customer = body["data"]["customer"]
    assert customer["id"] == ALICE
    owners = {o["customer"]["id"] for o in customer["orders"]["nodes"]}
    owners |= {i["customer"]["id"] for i in customer["invoices"]["nodes"]}
    owners |= {s["customer"]["id"] for s in customer["subscriptions"]["nodes"]}
    assert owners <= {ALICE}


def test_a_customer_gets_null_for_another_customer(router: ServiceProcess) -> None:
    body = ask(router, EVERYTHING, customer_bearer(ALICE), id=BOB)
    assert body == {"data": {"customer": None}}


def test_a_customers_lists_hold_only_its_own_rows(router: ServiceProcess) -> None:
    query = """{
      orders(first: 100) { nodes { customer { id } } }
      invoices(first: 100) { nodes { customer { id } } }
      subscriptions(first: 100) { nodes { customer { id } } }
    }"""
    staff = ask(router, query, bearer("staff-1", ["support:read"]))
    everyone = {n["customer"]["id"] for f in staff["data"].values() for n in f["nodes"]}
    assert len(everyone) > 1
    mine = ask(router, query, customer_bearer(ALICE))
    assert {n["customer"]["id"] for f in mine["data"].values() for n in f["nodes"]} <= {ALICE}


def test_the_customer_list_is_for_staff(router: ServiceProcess) -> None:
    query = "{ customers { totalCount } }"
    body = ask(router, query, customer_bearer(ALICE))
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    staff = ask(router, query, bearer("staff-1", ["support:read"]))
    assert staff["data"]["customers"]["totalCount"] == len(world().customers)


def test_acting_on_another_customers_record_is_forbidden(router: ServiceProcess) -> None:
    mutation = 'mutation($id: ID!) { updateCustomer(id: $id, input: {name: "Mallory"}) { id } }'
    body = ask(router, mutation, customer_bearer(ALICE), id=BOB)
    assert codes(body) == ["FORBIDDEN"]
    after = ask(router, "query($id: ID!) { customer(id: $id) { name } }", bearer(), id=BOB)
    assert after["data"]["customer"]["name"] != "Mallory"


def test_staff_mutations_need_the_scope_in_the_router_and_the_subgraph(
    router: ServiceProcess,
) -> None:
    refund = 'mutation { refundPayment(paymentId: "pay_x", idempotencyKey: "k-1") { __typename } }'
    body = ask(router, refund, customer_bearer(ALICE))
    assert codes(body) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    body = ask(router, refund, bearer("staff-2", ["refunds:write"]))
    assert "UNAUTHORIZED_FIELD_OR_TYPE" not in codes(body)
    assert "FORBIDDEN" not in codes(body)


BOBS = """
query($id: ID!) {
  customer(id: $id) {
    id email name
    paymentMethods { id }
    orders(first: 100) { nodes { id invoice { id number payments { id } } } }
    invoices(first: 100) { nodes { id number } }
    subscriptions(first: 100) { nodes { id } }
  }
}
"""


def _values(found: Any) -> Iterator[str]:
    if isinstance(found, dict):
        for value in found.values():
            yield from _values(value)
    elif isinstance(found, list):
        for value in found:
            yield from _values(value)
    elif isinstance(found, str):
        yield found


def test_random_queries_as_one_customer_never_show_anothers_data(router: ServiceProcess) -> None:
    """Seeded random queries over the whole API, as Alice, with Bob's ids (and hers) as every
    ID argument: not one of Bob's ids, e-mail, name or invoice numbers comes back."""
    import graphql
    import hypothesis_graphql
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from router.supergraph import load_supergraph
    from tests.security.router_stack import SUPERGRAPH

    bob = ask(router, BOBS, bearer(), id=BOB)["data"]["customer"]
    secrets = set(_values(bob))
    assert BOB in secrets, bob
    assert len(secrets) > 5, bob
    alice = ask(router, BOBS, bearer(), id=ALICE)["data"]["customer"]
    ids = sorted(s for s in secrets | set(_values(alice)) if "_" in s and " " not in s)

    def strings(values: st.SearchStrategy[str]) -> st.SearchStrategy[graphql.ValueNode]:
        return values.map(lambda s: graphql.StringValueNode(value=s))

    numbers = st.integers(0, 50).map(lambda n: graphql.IntValueNode(value=str(n)))
    scalars = {
        "ID": strings(st.sampled_from(ids)),
        "String": strings(st.sampled_from([*ids, "a", ""])),
        "Int": numbers,
        "MinorUnits": numbers,
        "Date": strings(st.just("2026-12-01")),
        "DateTime": strings(st.just("2026-12-01T00:00:00Z")),
    }
    schema = load_supergraph(SUPERGRAPH.read_text()).api_schema
    queries = hypothesis_graphql.queries(schema, custom_scalars=scalars)
    leaked: list[str] = []
    headers = customer_bearer(ALICE)

    @settings(
        max_examples=150, derandomize=True, database=None, deadline=None,
        suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(queries)
    def as_alice(query: str) -> None:
        body = ask(router, query, headers)
        data = list(_values(body.get("data")))
        messages = [str(e.get("message", "")) for e in body.get("errors") or ()]
        for secret in secrets:
            if any(secret in value for value in data):
                leaked.append(f"{secret!r} in the data of {query} -> {body}")
            elif secret not in query and any(secret in m for m in messages):
                leaked.append(f"{secret!r} in an error of {query} -> {body}")

    as_alice()
    assert leaked == [], "\n\n".join(leaked)


# The matrix of identities and operations (docs/security.md, "Who may run what") ----------


def test_every_root_field_has_a_row_in_the_matrix() -> None:
    from router.supergraph import load_supergraph
    from tests.security.router_stack import SUPERGRAPH

    schema = load_supergraph(SUPERGRAPH.read_text()).api_schema
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    assert set(matrix.expected_table()) == {*schema.query_type.fields, *schema.mutation_type.fields}
    assert set(matrix.QUERIES) == set(schema.query_type.fields)
    assert set(matrix.MUTATIONS) == set(schema.mutation_type.fields)


@pytest.fixture(scope="module")
def asker(router: ServiceProcess) -> Iterator[matrix.Ask]:
    """Posts a document with exactly the given headers (one pooled client)."""
    with httpx.Client(timeout=60) as client:

        def ask(document: str, headers: dict[str, str]) -> dict[str, Any]:
            response = client.post(
                f"{router.url}/graphql", json={"query": document}, headers=headers
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        yield ask


ADMIN = bearer("staff-admin", ["admin"])
EVERY_RECORD = frozenset({"customer", "card", "invoice", "payment", "order", "subscription"})


@pytest.fixture(scope="module")
def owners(asker: matrix.Ask) -> tuple[matrix.Records, matrix.Records]:
    """Customer A and customer B, each with one record of every kind (B's payment refunded,
    B's subscription billed at once: no trial)."""
    a, b = matrix.Records(), matrix.Records(plan=matrix.NEW_PLAN)
    matrix.make_records(asker, ADMIN, [(a, EVERY_RECORD), (b, EVERY_RECORD | {"refund"})])
    return a, b


def _check(
    cells: list[tuple[str, str, matrix.Records, matrix.Operation]],
    kind: str,
    ask: matrix.Ask,
    owner: str,
    other: str,
    identity: str,
) -> list[str]:
    """Ask ``cells`` (alias, outcome, records, operation) as ``identity``: the allowed ones
    in one request, the router's refusals in another, each subgraph refusal on its own (a
    refused mutation stops the ones after it); the cells that did not turn out as expected."""
    wrong: list[str] = []
    allowed = [c for c in cells if c[1] in "✓∅"]
    groups = [allowed, [c for c in cells if c[1] == "U"], *([c] for c in cells if c[1] == "F")]
    for group in groups:
        for batch in matrix.chunks(group):
            fields = " ".join(f"{alias}: {op.selection(r)}" for alias, _, r, op in batch)
            body = ask(f"{kind} {{ {fields} }}", matrix.headers(identity, owner, other))
            errors = {tuple(e.get("path") or ()): e for e in body.get("errors", [])}
            data = body.get("data") or {}
            for alias, outcome, records, op in batch:
                value, error = data.get(alias), errors.pop((alias,), None)
                code = error["extensions"]["code"] if error else None
                shown = json.dumps(value)
                target = op.target(records)
                if outcome == "✓":
                    ok = code is None and op.succeeded(value) and target in shown
                elif outcome == "∅":
                    ok = code is None and target not in shown
                else:
                    code_wanted = "FORBIDDEN" if outcome == "F" else "UNAUTHORIZED_FIELD_OR_TYPE"
                    ok = code == code_wanted and value is None
                if not ok:
                    said = f"{code}: {error['message']}" if error else shown[:200]
                    wrong.append(f"{identity} / {alias} (want {outcome}): {said}")
            wrong += (
                [f"{identity}: unexpected errors {errors} for {fields[:200]}"] if errors else []
            )
    return wrong


def test_the_matrix_of_queries(
    asker: matrix.Ask, owners: tuple[matrix.Records, matrix.Records]
) -> None:
    a, b = owners
    table = matrix.expected_table()
    ask = asker
    wrong = []
    for identity in matrix.IDENTITIES:
        cells = [(name, table[name][identity], a, op) for name, op in matrix.QUERIES.items()]
        wrong += _check(cells, "query", ask, a.customer, b.customer, identity)
    assert wrong == [], "\n".join(wrong)


def test_the_matrix_of_mutations(
    asker: matrix.Ask, owners: tuple[matrix.Records, matrix.Records]
) -> None:
    """Every (identity, mutation) cell on records of its own (one fresh customer A per
    identity, a fresh card, invoice, order… per cell); customer B is the same throughout."""
    _, b = owners
    table = matrix.expected_table()
    ask = asker
    owner = {identity: matrix.Records() for identity in matrix.IDENTITIES}
    matrix.make_records(ask, ADMIN, [(r, frozenset({"customer"})) for r in owner.values()])
    cases = {
        (identity, name): matrix.records_for(name, owner[identity].customer)
        for identity in matrix.IDENTITIES
        for name in matrix.MUTATIONS
    }
    matrix.make_records(
        ask, ADMIN, [(r, matrix.MUTATIONS[name].needs) for (_, name), r in cases.items()]
    )
    wrong = []
    for identity in matrix.IDENTITIES:
        cells = [
            (name, table[name][identity], cases[(identity, name)], op)
            for name, op in matrix.MUTATIONS.items()
        ]
        wrong += _check(cells, "mutation", ask, owner[identity].customer, b.customer, identity)
    assert wrong == [], "\n".join(wrong)


def test_fragments_aliases_and_unions_change_nothing(
    asker: matrix.Ask, owners: tuple[matrix.Records, matrix.Records]
) -> None:
    a, b = owners
    as_b = customer_bearer(b.customer)
    through_fragments = f"""
      query {{
        theirs: invoice(id: "{a.invoice}") {{ ...Bill }}
        ... on Query {{ card: paymentMethod(id: "{a.card}") {{ ... on PaymentMethod {{ id }} }} }}
        mine: invoice(id: "{b.invoice}") {{ ...Bill }}
      }}
      fragment Bill on Invoice {{ id total {{ amount }} customer {{ email }} }}"""
    body = asker(through_fragments, as_b)
    assert "errors" not in body, body
    assert body["data"]["theirs"] is None
    assert body["data"]["card"] is None
    assert body["data"]["mine"]["id"] == b.invoice

    hidden = f"""
      query {{
        ... on Query {{ who: customer(id: "{a.customer}") {{ ...Who }} }}
        products(first: 1) {{ nodes {{ id }} }}
      }}
      fragment Who on Customer {{ email }}"""
    body = asker(hidden, {})
    assert body["data"]["who"] is None
    assert body["data"]["products"]["nodes"]
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["who"], "UNAUTHORIZED_FIELD_OR_TYPE")
    ]

    pay = f"""
      mutation {{
        charge: payInvoice(invoiceId: "{a.invoice}", idempotencyKey: "{b.key}") {{ ...Paid }}
      }}
      fragment Paid on PaymentResult {{
        __typename ... on PaymentSucceeded {{ payment {{ id bankReference }} }}
        ... on PaymentDeclined {{ message }}
      }}"""
    body = asker(pay, as_b)
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["charge"], "FORBIDDEN")
    ]

    refund = f"""
      mutation {{ back: refundPayment(paymentId: "{a.payment}", idempotencyKey: "{b.key}") {{
        ... on RefundSucceeded {{ refund {{ id }} }} ... on RefundFailed {{ __typename }} }} }}"""
    body = asker(refund, bearer("staff-support", ["support:read", "support:write"]))
    assert body["data"] is None
    assert [(e["path"], e["extensions"]["code"]) for e in body["errors"]] == [
        (["back"], "UNAUTHORIZED_FIELD_OR_TYPE")
    ]


def _entity_types() -> dict[str, list[str]]:
    """Subgraph name → the entity types it resolves (a key without ``resolvable: false``)."""
    import graphql

    from tests.security.router_stack import SUPERGRAPH

    found: dict[str, list[str]] = {}
    for definition in graphql.parse(SUPERGRAPH.read_text()).definitions:
        if not isinstance(definition, graphql.ObjectTypeDefinitionNode):
            continue
        for directive in definition.directives or ():
            args = {a.name.value: graphql.print_ast(a.value) for a in directive.arguments or ()}
            keyed = directive.name.value == "join__type" and "key" in args
            if keyed and args.get("resolvable") != "false":
                found.setdefault(args["graph"].lower(), []).append(definition.name.value)
    return found


PUBLIC_ENTITIES = {"Product", "Plan"}  # the catalogue: anyone may read it


def test_entities_asked_directly_show_a_customer_only_its_own_records(
    stack: tuple[ServiceProcess, Subgraphs], owners: tuple[matrix.Records, matrix.Records]
) -> None:
    """``_entities`` straight to every subgraph, with customer A's router-signed token, for
    every owned entity type it resolves: A's records answer, B's are null."""
    from tests.support.identity import customer_headers

    a, b = owners
    of = {
        "Customer": "customer",
        "PaymentMethod": "card",
        "Invoice": "invoice",
        "Payment": "payment",
        "Order": "order",
        "BillingSubscription": "subscription",
        "Refund": "refund",
    }
    entities = _entity_types()
    assert {t for types in entities.values() for t in types} == set(of) | PUBLIC_ENTITIES
    leaked, checked = [], 0
    with httpx.Client(timeout=60) as client:
        for subgraph, types in entities.items():
            owned = [t for t in types if t not in PUBLIC_ENTITIES]
            reps = [
                {"__typename": t, "id": getattr(owner, of[t])} for owner in (a, b) for t in owned
            ]
            query = "query($r: [_Any!]!) { _entities(representations: $r) { __typename "
            query += " ".join(f"... on {t} {{ id }}" for t in owned) + " } }"
            response = client.post(
                f"{stack[1].processes[subgraph].url}/graphql",
                json={"query": query, "variables": {"r": reps}},
                headers=customer_headers(subgraph, a.customer),
            )
            answers = response.json()["data"]["_entities"]
            for rep, answer in zip(reps, answers, strict=True):
                checked += 1
                mine = rep["id"] == getattr(a, of[rep["__typename"]])
                if mine and (answer or {}).get("id") != rep["id"] and rep["__typename"] != "Refund":
                    leaked.append(f"{subgraph}: A's own {rep} -> {answer}")
                if not mine and answer is not None:
                    leaked.append(f"{subgraph}: B's {rep} -> {answer}")
    assert leaked == [], "\n".join(leaked)
    assert checked == 2 * sum(len(set(t) - PUBLIC_ENTITIES) for t in entities.values())


PDF_LINK = {  # identity → what `invoice(id: A's) { pdfUrl }` answers
    "anonymous": "U",
    "customer A": "link",
    "customer B": "no invoice",
    "support:read": "F",
    "support:read+write": "F",
    "billing:write": "link",
    "refunds:write": "F",
    "admin": "link",
}


def test_an_invoice_pdf_link_is_for_its_customer_and_billing_staff(
    asker: matrix.Ask, owners: tuple[matrix.Records, matrix.Records]
) -> None:
    a, b = owners
    query = f'{{ invoice(id: "{a.invoice}") {{ id pdfUrl }} }}'
    for identity in matrix.IDENTITIES:
        body = asker(query, matrix.headers(identity, a.customer, b.customer))
        invoice, errors = body["data"]["invoice"], body.get("errors", [])
        found = [(e["path"], e["extensions"]["code"]) for e in errors]
        expected = PDF_LINK[identity]
        if expected == "link":
            assert found == [], (identity, body)
            assert f"/invoices/{a.invoice}.pdf?expires=" in invoice["pdfUrl"], (identity, body)
        elif expected == "no invoice":
            assert body == {"data": {"invoice": None}}, (identity, body)
        elif expected == "F":  # the invoice, without its link
            assert invoice == {"id": a.invoice, "pdfUrl": None}, (identity, body)
            assert found == [(["invoice", "pdfUrl"], "FORBIDDEN")], (identity, body)
        else:
            assert invoice is None, (identity, body)
            assert found == [(["invoice"], "UNAUTHORIZED_FIELD_OR_TYPE")], (identity, body)
