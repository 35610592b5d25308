"""Start the processes under comparison: the kit, our router and Apollo's gateway."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.e2e.conftest import start_router
from tests.support.identity import identity_headers
from tests.support.processes import ROOT, ServiceProcess, free_port

GATEWAY_JS = ROOT / "tests" / "oracle" / "gateway.js"
JOIN_GRAPH = re.compile(r'@join__graph\(name: "([^"]+)", url: "[^"]*"\)')
# Authorization features @apollo/gateway does not implement (Apollo Router does): it refuses a
# supergraph that links them `for: SECURITY`.
UNSUPPORTED_SECURITY = re.compile(
    r'(@link\(url: "https://specs\.apollo\.dev/(?:authenticated|requiresScopes|policy)/'
    r'v[0-9.]+"), for: SECURITY\)'
)


@dataclass
class Pair:
    """Our router and Apollo's gateway, serving one supergraph over the same subgraphs."""

    ours: ServiceProcess
    apollo: ServiceProcess

    def stop(self) -> None:
        self.ours.stop()
        self.apollo.stop()


def subgraph_names(supergraph: str) -> list[str]:
    return JOIN_GRAPH.findall(supergraph)


def for_apollo_gateway(supergraph: str) -> str:
    """The supergraph with the authorization links @apollo/gateway refuses made plain links,
    which it ignores: it does not enforce them, so the compared operations run with a token
    that may run them (admin, ``identity_headers``)."""
    return UNSUPPORTED_SECURITY.sub(r"\1)", supergraph)


def with_urls(supergraph: str, urls: dict[str, str]) -> str:
    """The supergraph with each ``@join__graph(url:)`` replaced by ``urls[name]``."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return f'@join__graph(name: "{name}", url: "{urls[name]}")'

    return JOIN_GRAPH.sub(replace, supergraph)


def _launch(
    command: list[str],
    *,
    name: str,
    port: int,
    log_dir: Path,
    ready: Callable[[ServiceProcess], bool],
    env: dict[str, str] | None = None,
) -> ServiceProcess:
    log_path = log_dir / f"{name}-{port}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    service = ServiceProcess(
        name=name, url=f"http://127.0.0.1:{port}", process=process, log_path=log_path
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{service.log()}")
        try:
            if ready(service):
                return service
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    service.stop()
    raise RuntimeError(f"{name} did not become ready:\n{service.log()}")


def start_kit(cases_dir: Path, log_dir: Path) -> ServiceProcess:
    """One kit process serving every case's subgraphs at ``/<caller>/<case>/<subgraph>``."""
    port = free_port()
    return _launch(
        [sys.executable, "-m", "tests.kit.serve", "--cases", str(cases_dir), "--port", str(port)],
        name="kit",
        port=port,
        log_dir=log_dir,
        ready=lambda s: s.client.get(f"{s.url}/health").status_code == 200,
    )


def start_apollo(
    supergraph: str, urls: dict[str, str], log_dir: Path, label: str
) -> ServiceProcess:
    """Apollo's gateway (``tests/oracle/gateway.js``) on a copy of the supergraph with ``urls``.

    It sends each subgraph an admin identity token, as our router does for an admin bearer
    token (Apollo's gateway does not enforce the authorization directives itself)."""
    port = free_port()
    path = log_dir / f"apollo-{label}-{port}.graphql"
    path.write_text(with_urls(for_apollo_gateway(supergraph), urls))
    headers = {name: identity_headers(name) for name in subgraph_names(supergraph)}
    return _launch(
        ["node", str(GATEWAY_JS), str(path), str(port)],
        name=f"apollo-{label}",
        port=port,
        log_dir=log_dir,
        ready=lambda s: '"ready"' in s.log(),
        env={"SUBGRAPH_HEADERS": json.dumps(headers)},
    )


def start_pair(
    supergraph: Path, ours_urls: dict[str, str], apollo_urls: dict[str, str], log_dir: Path
) -> Pair:
    """Our router (URLs from its config) and Apollo (URLs rewritten in a copy)."""
    label = supergraph.parent.name
    with ThreadPoolExecutor(max_workers=2) as pool:
        ours = pool.submit(start_router, log_dir, ours_urls, supergraph=supergraph)
        apollo = pool.submit(start_apollo, supergraph.read_text(), apollo_urls, log_dir, label)
    failed = [f.exception() for f in (ours, apollo) if f.exception() is not None]
    if failed:
        for future in (ours, apollo):
            if future.exception() is None:
                future.result().stop()
        raise failed[0]  # type: ignore[misc]
    return Pair(ours=ours.result(), apollo=apollo.result())


def ask(
    client: httpx.Client,
    service: ServiceProcess,
    body: dict[str, Any],
    *,
    server_error_ok: bool = False,
) -> dict[str, Any]:
    """POST one GraphQL request; any well-formed GraphQL response body is returned. With
    `server_error_ok` (a documented reference defect), an HTTP 5xx becomes an error."""
    response = client.post(
        f"{service.url}/graphql",
        json=body,
        headers={"accept": "application/json", **service.headers},
    )
    if server_error_ok and response.status_code >= 500:
        message = f"HTTP {response.status_code}: {response.text[:200]}"
        return {"errors": [{"message": message}], "httpStatus": response.status_code}
    assert response.status_code < 500, f"{service.name} answered {response.status_code}"
    result: dict[str, Any] = response.json()
    return result
