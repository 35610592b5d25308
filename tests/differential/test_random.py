"""Random valid operations per case: well-formed answers from our router, the same as Apollo's.

For every synthetic case (and the real supergraph) the API schema comes from Apollo's
introspection; hypothesis draws operations from it (``generated.py``), seeded
(``derandomize``) so every run sends the same ones, and shrinks a failure to a minimal
operation, printed in the report. Synthetic cases get mutations too: the kit's data is in
memory, and its mutation ticks count calls per gateway, so both must run each mutation
field exactly once, in order. ``SWITCHBOARD_RANDOM_EXAMPLES`` scales the number of
operations per case.

Reference defect: Apollo's gateway reads response keys where it means fields, so an alias
that shadows another field's name (``weight: name``) or ``__typename`` corrupts its
``@requires`` representations and type resolution (documented per operation in
``requires:ClientAliasShadowsRequiredField``, ``traps:AliasShadowsRequiredNested``,
``traps:AliasNamedLikeTypename``). Aliases only name response keys, so for operations
with such an alias the reference answer is Apollo's answer to the same operation with
every alias renamed to a neutral name, its keys renamed back.

Reference defect: a selection under a variable ``@include``/``@skip`` whose own selections
are all skipped (``g0E2s @include(if: $v) { id @skip(if: true) }``, ``$v`` true; or
``id @skip(if: $w)``, ``$w`` true)
is answered ``data: null`` by Apollo, often ("Cannot return null for non-nullable field
Query.g0E2s" in ``extensions.valueCompletion``; not when the same fetch selects more); the
spec's answer is a list of empty objects (each item's field collection is empty), as Apollo
gives for the same condition written as a literal. Found by the generated supergraphs (seed
1: g0, g33; seed 2: g21, g32; seed 3: g16, g38); for such operations the reference is
Apollo's answer with the variables of ``@include``/``@skip`` written in as literals
(``generated.literal_conditions``).

``APOLLO_ROOT_FIELD_DEFECTS``: root fields where Apollo's answer is documented as wrong
for every selection the generator can draw; their response keys are left out of the
comparison (the rest of the response is still compared, and our answer still checked).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import graphql
import httpx
import pytest
from graphql import DocumentNode, FieldNode, GraphQLSchema, Visitor, parse, visit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from subgraphs.common.demo import world
from tests.differential.compare import disagreements, reference_errors
from tests.differential.corpus import CASES_DIR, synthetic_cases
from tests.differential.gateways import Pair, ask
from tests.differential.generated import (
    INTROSPECTION_QUERY,
    GeneratedOperation,
    Samples,
    api_schema,
    case_samples,
    conditioned_on_nothing,
    invalid_operations,
    leaves,
    literal_conditions,
    neutral_aliases,
    operations,
    renamed_back,
    shadows,
    typename_aliased,
    typename_beside,
)
from tests.support.processes import ServiceProcess

SCALE = float(os.environ.get("SWITCHBOARD_RANDOM_EXAMPLES", "1"))
SYNTHETIC_EXAMPLES = 2000  # in all, shared by the cases (at least 60 each; CI time)
REAL_EXAMPLES = 300
INVALID_EXAMPLES = 30
CLIENT_TIMEOUT = 10.0

APOLLO_ROOT_FIELD_DEFECTS: dict[tuple[str, str], str] = {
    ("abstract_types", "node"): (
        "abstract_types:NodeKnownToOneSubgraph: Apollo answers the @shareable node(id:) from "
        "one subgraph, so a type only the other subgraph knows comes back null or empty."
    ),
    ("narrowed_types", "featured"): (
        "narrowed_types: `featured` is a Media in b and a Book in a (@join__field(type:)); for "
        "`featured { ... on Book { title } }` Apollo's gateway answers `{}`, losing the title "
        "both subgraphs can give (a directly, b's Book through an entity fetch to a). The "
        "hand-written FragmentsOnNarrowedField and TypenameOnNarrowedField pin our answers."
    ),
    ("shareable_unions", "things"): (
        "shareable_unions:UnionMembersDifferPerSubgraph: the two subgraphs' `things` lists "
        "differ by design (members A | B against A | C), so every answer depends on which "
        "subgraph serves the list; Apollo merges both lists item by item, which neither gives."
    ),
    ("interface_objects", "featured"): (
        "interface_objects:TypenameOnlyFromInterfaceObject: the dangling @interfaceObject "
        "reference `zz` has no concrete type, a field error; Apollo reports none (it answers "
        "`{id: zz}`, `{}` or a null without an error, depending on the selection)."
    ),
}
# Cases where Apollo answers wrong whenever one selection set holds two of these fields: it
# merges every `price` selection by response name and sends one value for all of them.
APOLLO_CONFLICTING_FIELDS: dict[str, tuple[frozenset[str], str]] = {
    "requires_arguments": (
        frozenset({"price", "euroLabel", "dollarLabel", "dollarTax"}),
        "requires_arguments:SameFieldDifferentArguments*, ClientArgumentsDifferFromRequired, "
        "ClientDefaultArgumentAndRequires: with two of these in one operation Apollo sends one "
        "`price` (one currency) for every @requires argument set. Such operations are checked "
        "for a well-formed answer only; the hand-written cases pin our answers.",
    ),
}
# Cases where Apollo answers wrong whenever one object's selection has `__typename` and one of
# these @interfaceObject fields: it takes `__typename` from the interface object (`Media`) too.
APOLLO_TYPENAME_WITH_FIELDS: dict[str, tuple[frozenset[str], str]] = {
    "override_interfaces": (
        frozenset({"rating", "stars"}),
        "override_interfaces:ConcreteTypenameWithInterfaceObjectField, "
        "TypenameInFragmentWithInterfaceObjectField: Apollo's entity fetch to the "
        "@interfaceObject subgraph selects `__typename`, whose answer `Media` overwrites the "
        "concrete type (a `{}` or a null `data` without an error). Where `__typename` sits "
        "beside one of these fields, Apollo is asked with `__typename` aliased (``reference``); "
        "the hand-written cases pin our answers.",
    ),
}
# Cases with selections no subgraph can answer: we refuse those operations with
# QUERY_PLANNING_FAILED (a request error, no data); Apollo's gateway must fail on them too.
UNPLANNABLE: dict[str, str] = {
    "unresolvable_interface_object": "unresolvable_interface_object:RatingUnreachable",
    "unsatisfiable": "unsatisfiable:NodeIdUnsatisfiable",
}
SOCKET_FAILURES = ("socket hang up", "ECONNRESET")

pytestmark = [pytest.mark.slow, pytest.mark.oracle]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    """A client whose timeout is the hang detector: every answer must come within it."""
    with httpx.Client(timeout=CLIENT_TIMEOUT) as http:
        yield http


def introspect(client: httpx.Client, service: ServiceProcess) -> GraphQLSchema:
    answer = ask(client, service, {"query": INTROSPECTION_QUERY})
    assert not answer.get("errors"), answer
    return api_schema(answer["data"])


def post(client: httpx.Client, service: ServiceProcess, body: dict[str, Any]) -> httpx.Response:
    try:
        return client.post(  # with the process's test identity (admin), as test_real sends
            f"{service.url}/graphql",
            json=body,
            headers={"accept": "application/json", **service.headers},
        )
    except httpx.TimeoutException:
        raise AssertionError(f"{service.name} gave no answer within {CLIENT_TIMEOUT} s") from None


def well_formed_problems(response: httpx.Response) -> list[str]:
    """What makes an answer to a valid operation not a well-formed GraphQL response."""
    if response.status_code != 200:
        return [f"HTTP {response.status_code}: {response.text[:500]}"]
    try:
        body = response.json()
    except ValueError:
        return [f"not JSON: {response.text[:500]}"]
    if not isinstance(body, dict) or not set(body) <= {"data", "errors", "extensions"}:
        return [f"not a GraphQL response: {str(body)[:500]}"]
    problems = []
    if "data" not in body or not isinstance(body["data"], dict | None):
        problems.append(f"a valid operation's answer needs data (object or null): {body}")
    errors = body.get("errors", [{"message": "-", "extensions": {"code": "-"}}])
    if not isinstance(errors, list) or not errors:
        problems.append(f"errors must be a non-empty list: {errors}")
        errors = []
    for error in errors:
        extensions = error.get("extensions") if isinstance(error, dict) else None
        if not isinstance(error, dict) or not isinstance(error.get("message"), str):
            problems.append(f"error without a message: {error}")
        elif not isinstance(extensions, dict) or not isinstance(extensions.get("code"), str):
            problems.append(f"error without extensions.code: {error}")
    return problems


def refused_planning(response: httpx.Response) -> bool:
    body = response.json() if response.status_code in (200, 400) else {}
    codes = {(e.get("extensions") or {}).get("code") for e in body.get("errors") or ()}
    return "data" not in body and codes == {"QUERY_PLANNING_FAILED"}


def apollo_failed(answer: dict[str, Any], op: GeneratedOperation, documented: str) -> None:
    """Our refusal stands only where Apollo fails too (HTTP 5xx, or errors without data)."""
    failed = "httpStatus" in answer or (answer.get("data") is None and answer.get("errors"))
    assert failed, f"we refuse what Apollo answers ({documented}):{op!r}\n{answer}"


def rejection_problems(response: httpx.Response) -> list[str]:
    """What makes an answer to an invalid operation not a clean request error."""
    if response.status_code not in (200, 400):
        return [f"HTTP {response.status_code}: {response.text[:500]}"]
    try:
        body = response.json()
    except ValueError:
        return [f"not JSON: {response.text[:500]}"]
    if not isinstance(body, dict) or "data" in body or not body.get("errors"):
        return [f"a request error has errors and no data: {str(body)[:500]}"]
    problems = []
    for error in body["errors"]:
        code = (error.get("extensions") or {}).get("code") if isinstance(error, dict) else None
        if not isinstance(code, str) or code == "INTERNAL_SERVER_ERROR":
            problems.append(f"error without a stable extensions.code: {error}")
    return problems


def ask_apollo(
    client: httpx.Client, apollo: ServiceProcess, op: GeneratedOperation, *, fails_ok: bool = False
) -> dict[str, Any]:
    """Apollo's answer, asked again once when its connection to the kit was reset.

    Node reuses kept-alive connections the kit's server has just closed; the request then
    never reached the subgraph (so a mutation did not run) and is safe to repeat.
    """
    answer = ask(client, apollo, op.body(), server_error_ok=fails_ok)
    if any(failure in str(answer.get("errors")) for failure in SOCKET_FAILURES):
        answer = ask(client, apollo, op.body(), server_error_ok=fails_ok)
    return answer


def apollo_conflict(case: str, document: str) -> bool:
    """Whether the operation selects fields Apollo cannot answer together (see above)."""
    names = {node.name.value for node in _field_nodes(parse(document)) if node.name.value != "id"}
    conflicting = APOLLO_CONFLICTING_FIELDS.get(case)
    return conflicting is not None and len(names & conflicting[0]) >= 2


def _field_nodes(document: DocumentNode) -> list[FieldNode]:
    found: list[FieldNode] = []

    class Fields(Visitor):
        def enter_field(self, node: FieldNode, *_: Any) -> None:
            found.append(node)

    visit(document, Fields())
    return found


def root_keys(document: str, fields: set[str]) -> set[str]:
    """The response keys of the operation's root fields named in ``fields``."""
    parsed = graphql.parse(document)
    fragments = {
        d.name.value: d for d in parsed.definitions if isinstance(d, graphql.FragmentDefinitionNode)
    }
    keys: set[str] = set()
    operation = next(
        d for d in parsed.definitions if isinstance(d, graphql.OperationDefinitionNode)
    )
    pending = [operation.selection_set]
    while pending:
        for node in pending.pop().selections:
            if isinstance(node, graphql.FieldNode) and node.name.value in fields:
                keys.add((node.alias or node.name).value)
            elif isinstance(node, graphql.InlineFragmentNode):
                pending.append(node.selection_set)
            elif isinstance(node, graphql.FragmentSpreadNode):
                pending.append(fragments[node.name.value].selection_set)
    return keys


def without(answer: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    """The answer without those root response keys, nor errors under them."""
    if not keys:
        return answer

    def kept(errors: Any) -> list[Any]:
        return [e for e in errors or [] if (e.get("path") or [None])[0] not in keys]

    data = answer.get("data")
    if isinstance(data, dict):
        data = {key: value for key, value in data.items() if key not in keys}
    extensions = dict(answer.get("extensions") or {})
    if "valueCompletion" in extensions:
        extensions["valueCompletion"] = kept(extensions["valueCompletion"])
    return {"data": data, "errors": kept(answer.get("errors")), "extensions": extensions}


def comparable(answer: dict[str, Any]) -> bool:
    """After ``without``: False when errors under excluded root fields nulled all ``data``."""
    return answer.get("data") is not None or bool(answer.get("errors"))


def reference(
    client: httpx.Client,
    apollo: ServiceProcess,
    schema: GraphQLSchema,
    op: GeneratedOperation,
    *,
    fails_ok: bool = False,
    typename_fields: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """Apollo's answer; with literal conditions where a variable one holds an empty
    selection (see the module docstring), neutral aliases where aliases shadow fields,
    and ``__typename`` aliased where it sits beside one of ``typename_fields`` (Apollo's
    @interfaceObject defect, see ``APOLLO_TYPENAME_WITH_FIELDS``: an alias only names the
    response key, and Apollo answers aliased ``__typename`` right).
    With ``fails_ok`` (an UNPLANNABLE case) an HTTP 5xx is returned as an error answer."""
    back: dict[str, str] = {}
    if conditioned_on_nothing(op):
        op = literal_conditions(op)
    if typename_fields and typename_beside(op.document, typename_fields):
        op, back = typename_aliased(op)
    if shadows(schema, op.document):
        op, neutral = neutral_aliases(op)
        back = {name: back.get(alias, alias) for name, alias in neutral.items()} | back
    answer = ask_apollo(client, apollo, op, fails_ok=fails_ok)
    if not back:
        return answer
    answer["data"] = renamed_back(answer.get("data"), back)
    for error in reference_errors(answer):
        if isinstance(error, dict) and isinstance(error.get("path"), list):
            error["path"] = [back.get(part, part) for part in error["path"]]
    return answer


def checker(
    client: httpx.Client,
    pair: Pair,
    schema: GraphQLSchema,
    case: str,
    *,
    typename_fields: frozenset[str] = frozenset(),
) -> Callable[[GeneratedOperation], None]:
    """Both checks on one operation; a query that passed once is not sent again.
    ``typename_fields``: see ``reference``."""
    passed: set[str] = set()

    def check(op: GeneratedOperation) -> None:
        key = op.document + json.dumps(op.variables)
        if key in passed:
            return
        with ThreadPoolExecutor(max_workers=1) as pool:
            expected = pool.submit(
                reference,
                client,
                pair.apollo,
                schema,
                op,
                fails_ok=case in UNPLANNABLE,
                typename_fields=typename_fields,
            )
            response = post(client, pair.ours, op.body())
            if case in UNPLANNABLE and refused_planning(response):
                apollo_failed(expected.result(), op, UNPLANNABLE[case])
                return
            problems = well_formed_problems(response)
            assert not problems, f"malformed answer from our router to:{op!r}" + "\n".join(problems)
            if "httpStatus" in expected.result():  # Apollo's planner threw (UNPLANNABLE only)
                return  # e.g. on `@skip(if: true)` over the unreachable field, which we answer
            excluded = root_keys(
                op.document, {f for c, f in APOLLO_ROOT_FIELD_DEFECTS if c == case}
            )
            ours, apollo = (without(a, excluded) for a in (response.json(), expected.result()))
            compare = not excluded or (comparable(ours) and comparable(apollo))
            compare = compare and not apollo_conflict(case, op.document)
            problems = disagreements(ours, apollo) if compare else []
        assert not problems, f"our router and Apollo disagree on:{op!r}" + "\n".join(problems)
        if not op.document.startswith("mutation"):
            passed.add(key)

    return check


def explore(
    strategy: st.SearchStrategy[GeneratedOperation],
    check: Callable[[GeneratedOperation], None],
    examples: int,
) -> None:
    """Run ``check`` on ``examples`` seeded draws; a failure shrinks to a minimal operation."""

    @settings(
        max_examples=max(1, int(examples * SCALE)),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.large_base_example,
        ],
    )
    @given(strategy)
    def run(operation: GeneratedOperation) -> None:
        check(operation)

    run()


# Shrinking a failure may take hypothesis up to 5 minutes; let it finish and report.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("case", synthetic_cases())
def test_random_operations_agree(
    case: str, synthetic_pairs: dict[str, Pair], client: httpx.Client
) -> None:
    pair = synthetic_pairs[case]
    schema = introspect(client, pair.apollo)
    strategy = operations(schema, case_samples(CASES_DIR / case), mutations=True)
    examples = max(60, SYNTHETIC_EXAMPLES // len(synthetic_cases()))
    typename_fields = APOLLO_TYPENAME_WITH_FIELDS.get(case, (frozenset(), ""))[0]
    check = checker(client, pair, schema, case, typename_fields=typename_fields)
    explore(strategy, check, examples)


@pytest.mark.timeout(600)
def test_random_operations_agree_on_real_supergraph(real_pair: Pair, client: httpx.Client) -> None:
    """Queries only: the real subgraphs' mutations change their databases and send mail."""
    schema = introspect(client, real_pair.apollo)
    samples = Samples.of(leaves(world()))
    strategy = operations(schema, samples, mutations=False)
    explore(strategy, checker(client, real_pair, schema, "real"), REAL_EXAMPLES)


@pytest.mark.parametrize("case", synthetic_cases())
def test_random_invalid_operations_rejected(
    case: str, synthetic_pairs: dict[str, Pair], client: httpx.Client
) -> None:
    """Broken operations get a request error with a code: never data, a 500 or a hang."""
    pair = synthetic_pairs[case]
    schema = introspect(client, pair.apollo)
    valid = operations(schema, case_samples(CASES_DIR / case), mutations=False)

    def check(op: GeneratedOperation) -> None:
        problems = rejection_problems(post(client, pair.ours, op.body()))
        assert not problems, f"bad rejection by our router of:{op!r}" + "\n".join(problems)

    explore(invalid_operations(schema, valid), check, INVALID_EXAMPLES)


@pytest.mark.parametrize("case", synthetic_cases())
def test_api_schema_as_apollo(
    case: str, synthetic_pairs: dict[str, Pair], client: httpx.Client
) -> None:
    pair = synthetic_pairs[case]
    ours, apollo = (introspect(client, service) for service in (pair.ours, pair.apollo))
    printed = (graphql.print_schema(graphql.lexicographic_sort_schema(s)) for s in (ours, apollo))
    assert next(printed) == next(printed)
