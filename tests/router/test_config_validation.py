"""router.yaml validation: errors name the source, line and key; every value overridable."""

from __future__ import annotations

from pathlib import Path

import pytest

from router.config import ConfigError, RouterConfig, load_config
from router.config_docs import REFERENCE, render
from router.operation.headers import HeaderRules

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "router.example.yaml"

NESTED = """\
port: 4100
dev: false

cors:
  allow_origins: https://app.example
subgraphs:
  orders:
    url: http://orders/graphql
    timeout_seconds: -1
headers:
  all:
    request:
      - propagate: {named: authorization}
      - propagate: {named: host}
  subgraphs:
    orders:
      request:
        - remve: {named: x}
hot_relaod: {}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "router.yaml"
    path.write_text(text)
    return path


def problem(path: Path | None, **overrides: object) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path, **overrides)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_each_problem_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, NESTED)
    parts = problem(path).split("; ")
    assert sorted(parts) == sorted(
        [
            f"{path}:5: cors.allow_origins: Input should be a valid list",
            f"{path}:9: subgraphs.orders.timeout_seconds: Input should be greater than 0",
            f"{path}:14: headers.all.request[1].propagate.named: "
            "'host' is managed by the router and cannot be forwarded or set",
            f"{path}:18: headers.subgraphs.orders.request[0].remve: unknown key",
            f"{path}:19: hot_relaod: unknown key (did you mean 'hot_reload'?)",
        ]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("port: 1\ndev: true\nport: 2\n", "router.yaml:3: port: duplicate key"),
        ("cors:\n  max_age_seconds: 1\n  max_age_seconds: 2\n",
         "router.yaml:3: max_age_seconds: duplicate key"),
        ("port: [\n", "router.yaml:2: invalid YAML"),
        ("dev: true\n1: x\n", "router.yaml:2: keys must be strings (quote it)"),
        ("cors:\n  true: 1\n", "router.yaml:2: keys must be strings (quote it)"),
        ("- port\n", "router.yaml:1: expected a mapping of settings at the top level"),
        ("cors:\n  allow_origins: ['*']\n  allow_credentials: true\n",
         "router.yaml:3: cors.allow_credentials: cannot be true when allow_origins has '*'"),
        ("subgraph_urls:\n  orders: ftp://x\n",
         "router.yaml:1: subgraph_urls: 'ftp://x' is not an http:// or https:// URL"),
        ("cors:\n  max_ag: 1\n", "router.yaml:2: cors.max_ag: unknown key"),
        ("cors:\n  alow_origins: []\n",
         "router.yaml:2: cors.alow_origins: unknown key (did you mean 'allow_origins'?)"),
    ],
)  # fmt: skip
def test_file_problems(tmp_path: Path, text: str, expected: str) -> None:
    assert expected in problem(write(tmp_path, text))


def test_an_empty_file_means_defaults(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "# nothing\n")) == load_config(None)


def test_environment_and_command_line_problems_name_their_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, "port: 4100\n")
    assert (
        problem(path, port=-1) == "command line: port: Input should be greater than or equal to 0"
    )
    monkeypatch.setenv("SWITCHBOARD_ROUTER_SUBGRAPHS__orders__TIMEOUT_SECONDS", "soon")
    assert problem(path) == (
        "environment SWITCHBOARD_ROUTER_SUBGRAPHS__orders__TIMEOUT_SECONDS: "
        "subgraphs.orders.timeout_seconds: Input should be a valid number, "
        "unable to parse string as a number"
    )
    monkeypatch.delenv("SWITCHBOARD_ROUTER_SUBGRAPHS__orders__TIMEOUT_SECONDS")
    monkeypatch.setenv("SWITCHBOARD_ROUTER_CORS__ALLOW_ORIGINS", "https://app.example")
    assert problem(path).startswith(
        "environment SWITCHBOARD_ROUTER_CORS__ALLOW_ORIGINS: cors: cannot parse the value; "
        "lists and mappings are given as JSON"
    )


def test_every_section_is_overridable_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(
        tmp_path,
        "subgraphs:\n  orders:\n    url: http://yaml-orders/graphql\n"
        "cors:\n  allow_origins: [https://yaml.example]\n  max_age_seconds: 5\n",
    )
    env = {
        "SWITCHBOARD_ROUTER_DEV": "false",
        "SWITCHBOARD_ROUTER_INTROSPECTION": "true",
        "SWITCHBOARD_ROUTER_SUBGRAPHS__orders__TIMEOUT_SECONDS": "2.5",
        "SWITCHBOARD_ROUTER_CORS__ALLOW_ORIGINS": '["https://env.example"]',
        "SWITCHBOARD_ROUTER_HOT_RELOAD__ENABLED": "true",
        "SWITCHBOARD_ROUTER_HOT_RELOAD__INTERVAL_SECONDS": "0.25",
        "SWITCHBOARD_ROUTER_HEADERS__ALL__REQUEST": '[{"propagate": {"named": "x-a"}}]',
        "SWITCHBOARD_ROUTER_HEADERS__SUBGRAPHS__orders__REQUEST":
            '[{"insert": {"name": "x-o", "value": "1"}}]',
    }  # fmt: skip
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = load_config(path)
    assert (config.dev, config.introspection_enabled, config.graphiql_enabled) == (
        False,
        True,
        False,
    )
    assert config.url_overrides() == {"orders": "http://yaml-orders/graphql"}  # merged, deep
    assert config.subgraph_timeouts() == {"orders": 2.5}
    assert config.cors.allow_origins == ["https://env.example"]
    assert config.cors.max_age_seconds == 5
    assert (config.hot_reload_enabled, config.hot_reload.interval_seconds) == (True, 0.25)
    rules = HeaderRules(config.headers)
    assert rules.for_subgraph("orders", {"X-A": "a"}) == {"x-a": "a", "x-o": "1"}


def test_subgraph_url_precedence(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "subgraph_urls:\n  orders: http://old/graphql\n  customers: http://c/graphql\n"
        "subgraphs:\n  orders:\n    url: http://new/graphql\n",
    )
    assert load_config(path).url_overrides() == {
        "orders": "http://new/graphql",
        "customers": "http://c/graphql",
    }


@pytest.mark.parametrize(
    ("dev", "expected"),
    [(True, (True, True, True)), (False, (False, False, False))],
)
def test_mode_defaults(dev: bool, expected: tuple[bool, bool, bool]) -> None:
    config = load_config(None, dev=dev)
    assert (config.graphiql_enabled, config.introspection_enabled, config.hot_reload_enabled) == (
        expected
    )
    assert not config.cors.enabled


def test_the_example_config_loads() -> None:
    config = load_config(EXAMPLE)
    assert isinstance(config, RouterConfig)
    assert not config.dev
    assert config.cors.enabled
    assert set(config.url_overrides()) == {"customers", "orders", "invoices", "subscriptions"}
    assert not HeaderRules(config.headers).empty


def test_configuration_reference_is_current() -> None:
    assert REFERENCE.read_text() == render(), "run `python -m router.config_docs`"


def test_reference_documents_every_key() -> None:
    text = render()
    for key in ("`host`", "`cors.allow_origins`", "`subgraphs.<name>.timeout_seconds`",
                "`headers.subgraphs.<name>.request`", "`hot_reload.interval_seconds`",
                "`SWITCHBOARD_ROUTER_SUBGRAPHS__<name>__URL`", "`propagate.rename`"):  # fmt: skip
        assert key in text
