"""The deployment files are valid: Kubernetes schemas, the Compose spec, our own settings models.

Images cannot be pulled here, so nothing is started; every file is checked with the schema
its tool uses (``kubernetes-validate``'s bundled schemas, strict; the Compose specification,
``compose_spec.json`` from docker-compose 1.29, Apache-2.0), and the router settings inside
them load with ``router.config``. Metric names in the alerts and the dashboard must be ones
the router registers.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from prometheus_client import CollectorRegistry

from router.config import load_config
from router.telemetry.metrics import RouterMetrics
from subgraphs.registry import SERVICES
from switchboard.deploykeys import write_keys
from tests.support.processes import ROOT

DEPLOY = ROOT / "deploy"
KUBERNETES = sorted((DEPLOY / "kubernetes").glob("*.yaml"))
K8S_VERSION = "1.37.0"


def documents() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for path in KUBERNETES:
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((f"{path.name}:{document['kind']}/{document['metadata']['name']}",
                              document))  # fmt: skip
    return found


@pytest.mark.parametrize(("where", "document"), documents(), ids=[w for w, _ in documents()])
def test_kubernetes_documents_validate_strictly(where: str, document: dict[str, Any]) -> None:
    kubernetes_validate.validate(document, K8S_VERSION, strict=True)


def test_kubernetes_workloads_have_probes_resources_and_known_secrets(tmp_path: Path) -> None:
    by_kind: dict[str, dict[str, dict[str, Any]]] = {}
    for _, document in documents():
        by_kind.setdefault(document["kind"], {})[document["metadata"]["name"]] = document
    # the keys' Secret is made per deployment by `switchboard keys`, never committed
    write_keys(tmp_path, list(SERVICES))
    generated = yaml.safe_load((tmp_path / "kubernetes-secret.yaml").read_text())
    kubernetes_validate.validate(generated, K8S_VERSION, strict=True)
    secrets = [*by_kind["Secret"].values(), generated]
    keys = {(s["metadata"]["name"], key) for s in secrets for key in s["stringData"]}
    for name, deployment in by_kind["Deployment"].items():
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["requests"]["cpu"], name
            assert container["resources"]["limits"]["memory"], name
            assert container["readinessProbe"], name
            assert container["livenessProbe"], name
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref is not None:
                    assert (ref["name"], ref["key"]) in keys, (name, ref)
        assert name in by_kind["HorizontalPodAutoscaler"], f"{name} has no HPA"
        assert name in by_kind["Service"], f"{name} has no Service"
    router = by_kind["Deployment"]["switchboard-router"]["spec"]["template"]["spec"]
    assert router["containers"][0]["readinessProbe"]["httpGet"]["path"] == "/ready"


def test_router_settings_in_the_deployment_files_load(tmp_path: Path) -> None:
    configmap = next(d for _, d in documents() if d["metadata"]["name"] == "switchboard-router")
    texts = {
        "configmap": configmap["data"]["router.yaml"],
        "compose": (DEPLOY / "router.yaml").read_text(),
    }
    for where, text in texts.items():
        settings = yaml.safe_load(text)
        settings["supergraph"] = str(ROOT / "schema" / "supergraph.graphql")  # /app in the image
        path = tmp_path / f"{where}.yaml"
        path.write_text(yaml.safe_dump(settings))
        config = load_config(path)
        assert not config.dev, where
        assert config.telemetry.metrics.enabled, where
        assert config.telemetry.tracing.enabled, where


def test_compose_file_follows_the_compose_specification() -> None:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    schema = json.loads((Path(__file__).parent / "compose_spec.json").read_text())
    jsonschema.Draft201909Validator(schema).validate(compose)  # the draft it names
    services = compose["services"]
    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, (name, dependency)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (DEPLOY / source).exists(), (name, source)
    assert {"router", "redis", "postgres", "otel-collector"} <= set(services)


def metric_names() -> set[str]:
    registry = CollectorRegistry()
    RouterMetrics(registry)
    names = set()
    for family in registry.collect():
        names.update(sample.name for sample in family.samples)
        names.add(family.name)
    for suffix in ("_bucket", "_count", "_sum", "_total"):
        names.update(n + suffix for n in list(names))
    names.update({"switchboard_router_worker_resident_memory_bytes",
                  "switchboard_router_worker_cpu_seconds_total", "up",
                  "process_resident_memory_bytes", "process_cpu_seconds_total"})  # fmt: skip
    return names


def used_metrics(text: str) -> set[str]:
    return set(re.findall(r"\b((?:switchboard_router|http_server|http_client|process)_\w+)", text))


def test_alerts_and_dashboard_use_metrics_the_router_has() -> None:
    known = metric_names()
    alerts = (DEPLOY / "prometheus" / "alerts.yaml").read_text()
    dashboard = json.loads((DEPLOY / "grafana" / "switchboard-router.json").read_text())
    expressions = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    assert len(dashboard["panels"]) >= 12
    for text in (alerts, *expressions):
        unknown = used_metrics(text) - known
        assert not unknown, unknown
    for group in yaml.safe_load(alerts)["groups"]:
        for rule in group["rules"]:
            assert rule["annotations"]["runbook"].startswith("docs/operations.md#")
