"""Trusted documents: a manifest from .graphql files, and the safelist modes that use it."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

from router.gateway import Gateway
from router.operation.manifest import Manifest, ManifestError, extract, load_manifest, sha256
from router.operation.persisted import PersistedQueries
from router.supergraph import load_supergraph
from tests.router.kit import SUPERGRAPH, StaticFetcher, ask

ROOT = Path(__file__).resolve().parents[3]
PLANS = "query Plans { plans { ...Code } }\n\nfragment Code on Plan { code }"


def operations_file(tmp_path: Path) -> Path:
    path = tmp_path / "ops.graphql"
    path.write_text("fragment Code on Plan { code }\nquery Plans { plans { ...Code } }\n"
                    "query Other { plans { name } }\n")  # fmt: skip
    return path


def test_extract_writes_each_operation_with_the_fragments_it_uses(tmp_path: Path) -> None:
    supergraph = load_supergraph(SUPERGRAPH.read_text())
    manifest = extract([operations_file(tmp_path)], supergraph.api_schema)
    assert manifest["format"] == "apollo-persisted-query-manifest"
    names = [(op["name"], op["type"]) for op in manifest["operations"]]
    assert names == [("Other", "query"), ("Plans", "query")]
    plans = manifest["operations"][1]
    assert (
        plans["body"]
        == "query Plans {\n  plans {\n    ...Code\n  }\n}\n\nfragment Code on Plan {\n  code\n}"
    )
    assert plans["id"] == sha256(plans["body"])


def test_extract_refuses_anonymous_and_invalid_operations(tmp_path: Path) -> None:
    anonymous = tmp_path / "a.graphql"
    anonymous.write_text("{ plans { code } }")
    with pytest.raises(ManifestError, match="name every operation"):
        extract([anonymous])
    invalid = tmp_path / "b.graphql"
    invalid.write_text("query Nope { nope }")
    with pytest.raises(ManifestError, match="Cannot query field 'nope'"):
        extract([invalid], load_supergraph(SUPERGRAPH.read_text()).api_schema)


def test_the_command_writes_a_manifest_the_router_reads(tmp_path: Path) -> None:
    operations_file(tmp_path)
    out = tmp_path / "manifest.json"
    command = [sys.executable, "-m", "switchboard", "persisted-queries", str(tmp_path),
               "--supergraph", str(SUPERGRAPH), "-o", str(out)]  # fmt: skip
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True, timeout=60)
    manifest = load_manifest(out)
    assert len(manifest) == 2
    assert json.loads(out.read_text())["version"] == 1


def gateway_with(safelist: str, *, apq: bool = False) -> Gateway:
    persisted = PersistedQueries(
        enabled=apq, manifest=Manifest({sha256(PLANS): PLANS}), safelist=safelist
    )
    return Gateway(
        load_supergraph(SUPERGRAPH.read_text()), StaticFetcher(), persisted_queries=persisted
    )


def by_hash(query: str) -> dict[str, object]:
    return {"persistedQuery": {"version": 1, "sha256Hash": sha256(query)}}


async def test_enforced_safelist_runs_listed_documents_only() -> None:
    gateway = gateway_with("enforce")
    assert (await ask(gateway, extensions=by_hash(PLANS))).body == {
        "data": {"plans": [{"code": "starter"}]}
    }
    assert (await ask(gateway, PLANS)).body["data"] == {"plans": [{"code": "starter"}]}
    refused = await ask(gateway, "{ plans { code } }")
    assert refused.codes == ["PERSISTED_QUERY_NOT_IN_LIST"]
    unknown = await ask(gateway, extensions=by_hash("{ plans { code } }"))
    assert unknown.codes == ["PERSISTED_QUERY_NOT_IN_LIST"]


async def test_apq_cannot_register_around_an_enforced_safelist() -> None:
    gateway = gateway_with("enforce", apq=True)
    query = "{ plans { code } }"
    registered = await ask(gateway, query, extensions=by_hash(query))
    assert registered.codes == ["PERSISTED_QUERY_NOT_IN_LIST"]


async def test_log_mode_runs_and_logs_each_unlisted_document_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    gateway = gateway_with("log")
    with caplog.at_level(logging.WARNING, logger="switchboard.router"):
        for _ in range(3):
            answer = await ask(gateway, "{ plans { code } }")
            assert answer.body == {"data": {"plans": [{"code": "starter"}]}}
    assert caplog.text.count("not in the trusted documents manifest") == 1


async def test_without_apq_only_manifest_hashes_resolve() -> None:
    gateway = gateway_with("off")
    assert (await ask(gateway, extensions=by_hash(PLANS))).body["data"]
    answer = await ask(gateway, extensions=by_hash("{ plans { code } }"))
    assert answer.codes == ["PERSISTED_QUERY_NOT_SUPPORTED"]


def test_the_example_manifest_is_current() -> None:
    """docs/examples/persisted-queries.json (used by router.example.yaml) lists the examples."""
    files = sorted((ROOT / "router" / "server" / "graphiql" / "examples").glob("*.graphql"))
    files += sorted((ROOT / "docs" / "examples").glob("*.graphql"))
    expected = extract(files, load_supergraph(SUPERGRAPH.read_text()).api_schema)
    written = json.loads((ROOT / "docs" / "examples" / "persisted-queries.json").read_text())
    assert written == expected, (
        "run `switchboard persisted-queries router/server/graphiql/examples docs/examples "
        "--supergraph schema/supergraph.graphql -o docs/examples/persisted-queries.json`"
    )
