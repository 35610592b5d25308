"""schemathesis against the running router's REST API: no 5xx, every answer as documented."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from router.rest.mapping import read_mapping
from tests.e2e.rest_stack import MAPPING, admin, rest_router
from tests.security.router_stack import running_subgraphs
from tests.support.processes import ServiceProcess

pytestmark = pytest.mark.slow
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def router(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    tmp = tmp_path_factory.mktemp("rest-fuzz")
    with running_subgraphs(tmp) as subgraphs:
        process = rest_router(tmp, subgraphs.urls())
        yield process
        process.stop()


@pytest.fixture(scope="module")
def api(router: ServiceProcess) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{router.url}/openapi.json")


ROUTES = [(r.method, r.path) for r in read_mapping(MAPPING).routes]


@pytest.mark.parametrize(("method", "path"), ROUTES, ids=[f"{m} {p}" for m, p in ROUTES])
def test_the_rest_api_answers_as_documented(
    api: schemathesis.BaseSchema, router: ServiceProcess, method: str, path: str
) -> None:
    """At most 15 generated requests per endpoint (plus its examples), as an admin."""
    operation = api[path][method]

    @given(case=operation.as_strategy())
    @settings(
        max_examples=15,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        database=None,
    )
    def answers_as_documented(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=router.url, headers=admin(), checks=CHECKS)

    answers_as_documented()
