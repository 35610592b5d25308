"""Router settings: defaults < ``router.yaml`` < ``SWITCHBOARD_ROUTER_*`` environment < CLI."""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar, Literal, cast
from urllib.parse import urlsplit

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails
from pydantic_settings import (
    BaseSettings,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from router.auth.subgraph_tokens import SubgraphAuthConfig
from router.auth.verify import AuthenticationConfig
from router.operation.headers import HeadersConfig
from router.operation.limits import LimitsConfig
from router.operation.ratelimit import RateLimitConfig
from router.planner.budget import PlanningBudget
from router.realtime.settings import SubscriptionsConfig
from router.rest.config import RestConfig
from router.server.files import FileRoute
from switchboard.telemetry.settings import TelemetrySettings

ENV_PREFIX = "SWITCHBOARD_ROUTER_"
ENV_NESTED_DELIMITER = "__"


def _http_url(value: str) -> str:
    try:
        url = urlsplit(value)
        url.port  # noqa: B018 -- raises for a port that is not a number
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SubgraphConfig(_Section):
    """Settings for one subgraph, by its name in the supergraph."""

    url: str | None = Field(
        default=None, description="URL to send this subgraph's requests to (overrides both "
        "the supergraph's and `subgraph_urls`)."
    )  # fmt: skip
    timeout_seconds: float | None = Field(
        default=None, gt=0, description="Request timeout; unset means `subgraph_timeout_seconds`."
    )
    max_concurrency: int | None = Field(
        default=None, ge=1, description="Requests in flight; unset means `traffic`'s."
    )
    max_queued: int | None = Field(
        default=None, ge=0, description="Requests waiting for a slot; unset means `traffic`'s."
    )

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)


class CorsConfig(_Section):
    """Cross-origin requests from browsers; off while no origin is allowed."""

    allow_origins: list[str] = Field(
        default_factory=list,
        description="Origins allowed to call the router (`*` for any); empty turns CORS off.",
    )
    allow_origin_regex: str | None = Field(
        default=None, description="Also allow origins fully matching this regex."
    )
    allow_credentials: bool = Field(
        default=False, description="Let browsers send cookies and credentials."
    )
    allow_headers: list[str] = Field(
        default_factory=lambda: ["content-type", "authorization"],
        description="Request headers a browser may send (`*` for any).",
    )
    allow_methods: list[str] = Field(
        default_factory=lambda: ["GET", "POST"], description="Methods a browser may use."
    )
    expose_headers: list[str] = Field(
        default_factory=list, description="Response headers scripts may read."
    )
    max_age_seconds: int = Field(
        default=600, ge=0, description="How long browsers may cache a preflight answer."
    )

    @property
    def enabled(self) -> bool:
        return bool(self.allow_origins) or self.allow_origin_regex is not None

    @field_validator("allow_credentials")
    @classmethod
    def _credentials(cls, value: bool, info: ValidationInfo) -> bool:
        if value and "*" in info.data.get("allow_origins", []):
            raise ValueError("cannot be true when allow_origins has '*': list the origins")
        return value


class HotReloadConfig(_Section):
    """Watching the supergraph file and swapping in a changed one without a restart."""

    enabled: bool | None = Field(
        default=None, description="Watch the supergraph file; unset means on in dev mode only."
    )
    interval_seconds: float = Field(
        default=1.0, gt=0, le=3600, description="How often to check the file for changes."
    )


class TrafficConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    dedupe_requests: bool = Field(
        default=False,
        description="Run identical concurrent client queries once and share the response "
        "(same document, variables, media type and forwarded headers). Mutations never.",
    )
    subgraph_max_concurrency: int = Field(
        default=100,
        ge=1,
        description="Requests in flight to one subgraph; more wait (within their timeout).",
    )
    subgraph_max_queued: int = Field(
        default=500,
        ge=0,
        description="Requests waiting for one subgraph; beyond, a fetch fails at once with "
        "SUBREQUEST_HTTP_ERROR (`reason: overloaded`).",
    )
    batch_entity_fetches: bool = Field(
        default=False,
        description="Send the entity fetches of one plan level to one subgraph as one "
        "request (Hive's batching); the answer is the same.",
    )
    dedupe_subgraph_requests: bool = Field(
        default=True,
        description="Send identical concurrent subgraph queries once; each waiter gets the "
        "answer. Mutations never.",
    )


class PersistedQueriesConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool | None = Field(
        default=None,
        description="Automatic persisted queries: clients may register documents by hash "
        "(APQ). Unset means on in dev mode only; hashes of the manifest work either way.",
    )
    cache_size: int = Field(default=4096, ge=1, description="APQ documents remembered by hash.")
    cache_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="Bytes of APQ documents remembered."
    )
    manifest: Path | None = Field(
        default=None,
        description="Trusted documents: a persisted query list in Apollo's JSON format "
        "(`switchboard persisted-queries` writes one from .graphql files).",
    )
    safelist: Literal["off", "log", "enforce"] = Field(
        default="off",
        description="`enforce`: only operations in `manifest` run (by hash or by identical "
        "text), others get PERSISTED_QUERY_NOT_IN_LIST; `log`: others run and are logged.",
    )

    redis_url: str | None = Field(
        default=None,
        description="Share APQ documents between router processes through Redis (e.g. "
        "`redis://127.0.0.1:6379/0`): a hash registered on one router is known to all. "
        "While Redis is down each router keeps its own documents.",
    )
    redis_prefix: str = Field(default="switchboard:apq:", description="Redis key prefix.")
    redis_timeout_seconds: float = Field(
        default=0.25, gt=0, description="Past this, a Redis call counts as failed."
    )
    redis_ttl_seconds: int = Field(
        default=7 * 24 * 3600, ge=60, description="How long Redis keeps a document unused."
    )

    @model_validator(mode="after")
    def _manifest_for_safelist(self) -> PersistedQueriesConfig:
        if self.safelist != "off" and self.manifest is None:
            raise ValueError("safelist needs a `manifest`")
        return self


class PlanningConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    threads: int = Field(
        default=2, ge=1, le=64, description="Worker threads preparing new operations."
    )
    max_waiting: int = Field(
        default=256,
        ge=1,
        description="New operations waiting for preparation before more get OVERLOADED.",
    )
    timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Answer QUERY_PLANNING_BUDGET_EXCEEDED when preparing an operation takes "
        "longer (wall time, waiting included).",
    )
    max_seconds: float = Field(
        default=2.0,
        gt=0,
        description="CPU seconds planning one operation (and generating its shaper) may take.",
    )
    max_work: int = Field(
        default=5_000_000, ge=1, description="Planner work units per operation (linear in it)."
    )
    max_nodes: int = Field(
        default=100_000, ge=1, description="Selections of the normalised operation."
    )

    @property
    def budget(self) -> PlanningBudget:
        return PlanningBudget(self.max_seconds, self.max_work, self.max_nodes)


class CsrfConfig(BaseModel):
    """Apollo Router's CSRF prevention: simple requests must carry a preflight-forcing header."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = Field(default=True, description="Refuse simple requests without a header.")
    required_headers: list[str] = Field(
        default_factory=lambda: ["x-apollo-operation-name", "apollo-require-preflight"],
        description="Any one of these (non-empty) makes a GET or form POST acceptable.",
    )

    @field_validator("required_headers")
    @classmethod
    def _lower(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one header, or set enabled: false")
        return [name.lower() for name in value]


class ProgressiveOverrideConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    labels: dict[str, bool] = Field(
        default_factory=dict,
        description="Force labels on or off; custom labels are off unless set here, "
        "`percent(N)` labels are on for N% of requests unless set here.",
    )
    seed: int = Field(default=0, description="Seed of the per-request `percent(N)` choice.")
    key_header: str | None = Field(
        default=None,
        description="Client header (e.g. a user id) that keeps a client on one side of every "
        "`percent(N)` label; without it each request is drawn from the seeded sequence.",
    )


class ShutdownConfig(BaseModel):
    """Stopping on SIGTERM: in-flight requests finish, new ones go to other routers."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    grace_seconds: float = Field(
        default=30.0,
        gt=0,
        description="Deadline for in-flight requests after SIGTERM; later ones are cancelled.",
    )
    delay_seconds: float = Field(
        default=0.0,
        ge=0,
        le=300,
        description="After SIGTERM keep serving this long with `/ready` answering 503, so "
        "load balancers stop sending before the listener closes (Kubernetes: a few seconds).",
    )


_PLUGIN_SPEC = re.compile(r"^[A-Za-z_][\w.]*(:[A-Za-z_]\w*)?$")


class PluginEntry(BaseModel):
    """One plugin: a `Plugin` subclass (`pkg.module:Class`) or a module of hook functions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    module: str = Field(
        description="`pkg.module:Class` (a `router.plugins.Plugin` subclass) or `pkg.module` "
        "(a module whose `async def on_…` functions are hooks)."
    )
    name: str | None = Field(
        default=None, description="Name used in logs and errors; defaults to `module`."
    )
    config: dict[str, Any] = Field(
        default_factory=dict, description="Settings validated by the plugin's `Config` model."
    )

    @field_validator("module")
    @classmethod
    def _spec(cls, value: str) -> str:
        if not _PLUGIN_SPEC.match(value):
            raise ValueError(f"{value!r} is not `package.module` or `package.module:Class`")
        return value


class GraphiQLIdentity(BaseModel):
    """An identity GraphiQL's picker offers (dev mode only): a label and a bearer token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(description="What the picker shows.")
    token: str | None = Field(default=None, description="Bearer token; unset: anonymous.")
    default: bool = Field(default=False, description="The identity GraphiQL starts as.")


class RouterConfig(BaseSettings):
    """Everything the router can be told; unknown keys are an error."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter=ENV_NESTED_DELIMITER,
        extra="forbid",
        frozen=True,
    )
    file_values: ClassVar[dict[str, Any]] = {}

    host: str = Field(default="127.0.0.1", description="Listen address.")
    port: int = Field(default=4000, ge=0, le=65535, description="Listen port.")
    supergraph: Path = Field(
        default=Path("schema/supergraph.graphql"), description="Supergraph SDL file."
    )
    dev: bool = Field(
        default=False,
        description="Dev mode (`switchboard dev` sets it): GraphiQL, query plans, "
        "introspection, APQ registration and hot reload default on. Off: production.",
    )
    graphiql: bool | None = Field(
        default=None,
        description="Serve GraphiQL to browsers at /graphql; unset means on in dev mode only.",
    )
    graphiql_identities: list[GraphiQLIdentity] = Field(
        default_factory=list,
        description="Identities GraphiQL lets a developer act as (`switchboard dev` fills "
        "this in); ignored outside dev mode.",
    )
    introspection: bool | None = Field(
        default=None,
        description="Answer `__schema`/`__type` queries; unset means on in dev mode only. "
        "When off they fail with code INTROSPECTION_DISABLED.",
    )
    subgraph_urls: dict[str, str] = Field(
        default_factory=dict, description="Subgraph name → URL, overriding the supergraph's."
    )
    subgraph_timeout_seconds: float = Field(
        default=30.0, gt=0, description="Timeout of each subgraph request, unless set per subgraph."
    )
    subgraphs: dict[str, SubgraphConfig] = Field(
        default_factory=dict, description="Per-subgraph settings, by subgraph name."
    )
    headers: HeadersConfig = Field(
        default_factory=HeadersConfig,
        description="Which client headers subgraph requests carry (Apollo Router's rules).",
    )
    cors: CorsConfig = Field(default_factory=CorsConfig, description="CORS for browsers.")
    hot_reload: HotReloadConfig = Field(
        default_factory=HotReloadConfig, description="Supergraph hot reload."
    )
    max_request_bytes: int = Field(
        default=2_000_000, ge=1024, description="Largest request body accepted."
    )
    operation_cache_size: int = Field(
        default=2048, ge=1, description="Prepared operations (parsed, validated, planned) kept."
    )
    operation_cache_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024 * 1024,
        description="Estimated bytes the prepared operations may keep alive.",
    )
    limits: LimitsConfig = Field(
        default_factory=LimitsConfig,
        description="Operation limits, checked before validation and planning.",
    )
    planning: PlanningConfig = Field(
        default_factory=PlanningConfig,
        description="Preparing new operations off the event loop.",
    )
    csrf: CsrfConfig = Field(default_factory=CsrfConfig, description="CSRF prevention.")
    authentication: AuthenticationConfig = Field(
        default_factory=AuthenticationConfig,
        description="JWT bearer tokens: keys, issuers, audiences (docs/security.md).",
    )
    subgraph_auth: SubgraphAuthConfig = Field(
        default_factory=SubgraphAuthConfig,
        description="The key the router signs subgraph requests with (docs/security.md).",
    )
    rate_limit: RateLimitConfig = Field(
        default_factory=RateLimitConfig, description="Requests per client (token buckets)."
    )
    traffic: TrafficConfig = Field(
        default_factory=TrafficConfig,
        description="De-duplication of identical concurrent work.",
    )
    subscriptions: SubscriptionsConfig = Field(
        default_factory=SubscriptionsConfig,
        description="GraphQL subscriptions over WebSocket and SSE (off in production unless set).",
    )
    persisted_queries: PersistedQueriesConfig = Field(
        default_factory=PersistedQueriesConfig,
        description="Automatic persisted queries (Apollo's APQ protocol).",
    )
    progressive_override: ProgressiveOverrideConfig = Field(
        default_factory=ProgressiveOverrideConfig,
        description="How `@override(label:)` labels are enabled per request.",
    )

    files: list[FileRoute] = Field(
        default_factory=list,
        description="GET routes passed to a subgraph (signed invoice PDF links); docs/security.md.",
    )
    rest: RestConfig = Field(
        default_factory=RestConfig,
        description="REST endpoints from trusted operations, with OpenAPI (docs/rest.md).",
    )
    plugins: list[PluginEntry] = Field(
        default_factory=list,
        description="Python plugins, run in this order at each stage (docs/plugins.md).",
    )
    telemetry: TelemetrySettings = Field(
        default_factory=TelemetrySettings,
        description="OpenTelemetry traces, Prometheus metrics and logs (docs/operations.md).",
    )
    workers: int = Field(
        default=1,
        ge=1,
        le=64,
        description="Router processes sharing the listening socket under one supervisor "
        "(about one per core); SIGHUP replaces them one by one, SIGTERM drains them all.",
    )
    shutdown: ShutdownConfig = Field(
        default_factory=ShutdownConfig, description="Graceful drain on SIGTERM."
    )

    @field_validator("subgraph_urls")
    @classmethod
    def _urls(cls, value: dict[str, str]) -> dict[str, str]:
        for url in value.values():
            _http_url(url)
        return value

    @property
    def graphiql_enabled(self) -> bool:
        return self.dev if self.graphiql is None else self.graphiql

    @property
    def introspection_enabled(self) -> bool:
        return self.dev if self.introspection is None else self.introspection

    @property
    def apq_enabled(self) -> bool:
        enabled = self.persisted_queries.enabled
        return self.dev if enabled is None else enabled

    @property
    def subscriptions_enabled(self) -> bool:
        enabled = self.subscriptions.enabled
        return self.dev if enabled is None else enabled

    @property
    def hot_reload_enabled(self) -> bool:
        return self.dev if self.hot_reload.enabled is None else self.hot_reload.enabled

    def url_overrides(self) -> dict[str, str]:
        """Subgraph name → URL: ``subgraph_urls``, then each ``subgraphs.<name>.url``."""
        urls = dict(self.subgraph_urls)
        urls.update({name: s.url for name, s in self.subgraphs.items() if s.url is not None})
        return urls

    def subgraph_concurrency(self) -> dict[str, tuple[int, int]]:
        """(in flight, waiting) per subgraph with its own setting; others use ``traffic``'s."""
        traffic = self.traffic
        return {
            name: (
                s.max_concurrency or traffic.subgraph_max_concurrency,
                traffic.subgraph_max_queued if s.max_queued is None else s.max_queued,
            )
            for name, s in self.subgraphs.items()
            if s.max_concurrency is not None or s.max_queued is not None
        }

    def subgraph_timeouts(self) -> dict[str, float]:
        """Timeouts set per subgraph; every other subgraph uses ``subgraph_timeout_seconds``."""
        return {
            name: s.timeout_seconds
            for name, s in self.subgraphs.items()
            if s.timeout_seconds is not None
        }

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_values = getattr(settings_cls, "file_values", {})
        return (init_settings, env_settings, InitSettingsSource(settings_cls, file_values))


class ConfigError(Exception):
    """A configuration that cannot be used; the message names the file, line and key."""


def load_config(path: Path | None, **overrides: Any) -> RouterConfig:
    """Settings from ``path`` (YAML), the environment and ``overrides`` (None = not given)."""
    data, root = _read_yaml(path) if path is not None else ({}, None)
    given = {k: v for k, v in overrides.items() if v is not None}
    settings_cls = type("FileRouterConfig", (RouterConfig,), {"file_values": data})
    try:
        config: RouterConfig = settings_cls(**given)
    except ValidationError as exc:
        problems = [_describe(e, path, root, given) for e in exc.errors()]
        raise ConfigError("; ".join(dict.fromkeys(problems))) from None
    except SettingsError as exc:  # an environment value that should be JSON and is not
        raise ConfigError(_env_problem(str(exc))) from None
    values = {name: getattr(config, name) for name in RouterConfig.model_fields}
    _check_plugins(config.plugins, path, root, given)
    _check_manifest(config, path, root, given)
    _check_rest(config, path, root, given)
    return RouterConfig.model_construct(config.model_fields_set, **values)  # validated above


def _check_manifest(
    config: RouterConfig, path: Path | None, root: yaml.Node | None, given: Mapping[str, Any]
) -> None:
    from router.operation.manifest import ManifestError, load_manifest

    manifest = config.persisted_queries.manifest
    if manifest is None:
        return
    try:
        load_manifest(manifest)
    except ManifestError as exc:
        loc = ("persisted_queries", "manifest")
        error = cast(ErrorDetails, {"loc": loc, "msg": str(exc), "type": "manifest"})
        raise ConfigError(_describe(error, path, root, given)) from None


def _check_rest(
    config: RouterConfig, path: Path | None, root: yaml.Node | None, given: Mapping[str, Any]
) -> None:
    from router.rest.mapping import MappingError, read_mapping

    mapping = config.rest.mapping
    if mapping is None:
        return
    problem = None
    if config.persisted_queries.manifest is None:
        problem = "REST routes run trusted operations: set persisted_queries.manifest"
    else:
        try:
            read_mapping(mapping)
        except MappingError as exc:
            problem = str(exc)
    if problem is not None:
        error = cast(ErrorDetails, {"loc": ("rest", "mapping"), "msg": problem, "type": "rest"})
        raise ConfigError(_describe(error, path, root, given)) from None


def _check_plugins(
    plugins: Sequence[PluginEntry],
    path: Path | None,
    root: yaml.Node | None,
    given: Mapping[str, Any],
) -> None:
    """Import each plugin and validate its config now, so mistakes get a file and line."""
    from router.plugins.loader import PluginLoadError, load_plugin

    problems: list[str] = []
    for index, entry in enumerate(plugins):
        try:
            load_plugin(entry.module, entry.config, entry.name)
        except PluginLoadError as exc:
            for loc, message in exc.problems:
                error = cast(ErrorDetails, {"loc": ("plugins", index, *loc), "msg": message})
                error["type"] = "plugin"
                problems.append(_describe(error, path, root, given))
    if problems:
        raise ConfigError("; ".join(problems))


def _env_problem(message: str) -> str:
    match = re.search(r'field "(\w+)"', message)
    field = match.group(1) if match else ""
    prefix = (ENV_PREFIX + field).upper()
    names = sorted(n for n in os.environ if n.upper().startswith(prefix)) or [prefix]
    return (
        f"environment {', '.join(names)}: {field}: cannot parse the value; lists and "
        "mappings are given as JSON, e.g. '[\"https://app.example\"]'"
    )


def _read_yaml(path: Path) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        text = path.read_text()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        raise ConfigError(_yaml_problem(path, exc)) from None
    finally:
        loader.dispose()
    if data is None:
        return {}, None
    if not isinstance(data, dict) or not isinstance(root, yaml.MappingNode):
        raise ConfigError(f"{path}:1: expected a mapping of settings at the top level")
    _check_keys(path, root)
    return data, root


_YAML_STR = "tag:yaml.org,2002:str"


def _yaml_problem(path: Path, exc: yaml.YAMLError) -> str:
    mark = getattr(exc, "problem_mark", None)
    where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return f"{where}: invalid YAML: {problem}"


def _check_keys(path: Path, node: yaml.Node) -> None:
    """Every mapping key is a string, and appears once (PyYAML would keep the last silently)."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            line = key.start_mark.line + 1
            if not isinstance(key, yaml.ScalarNode) or key.tag != _YAML_STR:
                raise ConfigError(f"{path}:{line}: keys must be strings (quote it)")
            if key.value in seen:
                raise ConfigError(f"{path}:{line}: {key.value}: duplicate key")
            seen.add(key.value)
            _check_keys(path, value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_keys(path, item)


def _describe(
    error: ErrorDetails, path: Path | None, root: yaml.Node | None, given: Mapping[str, Any]
) -> str:
    loc = error["loc"]
    key = _dotted(loc)
    message = _message(error)
    if loc and loc[0] in given:
        return f"command line: {key}: {message}"
    env_name = _env_name_for(loc)
    if env_name is not None:
        return f"environment {env_name}: {key}: {message}"
    if path is not None and root is not None:
        return f"{path}:{_line_of(root, loc)}: {key}: {message}"
    return f"{path or 'router settings'}: {key}: {message}"


def _message(error: ErrorDetails) -> str:
    if error["type"] == "extra_forbidden":
        name = str(error["loc"][-1]) if error["loc"] else ""
        known = _known_keys(error["loc"][:-1])
        close = difflib.get_close_matches(name, known, n=1)
        return "unknown key" + (f" (did you mean {close[0]!r}?)" if close else "")
    message = error["msg"]
    return message.removeprefix("Value error, ")


def _known_keys(parent: Sequence[int | str]) -> list[str]:
    model: type[BaseModel] | None = RouterConfig
    for part in parent:
        field = model.model_fields.get(str(part)) if model is not None else None
        annotation = field.annotation if field is not None else None
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
        else:
            model = None
    return list(model.model_fields) if model is not None else []


def _dotted(loc: Sequence[int | str]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _env_name_for(loc: Sequence[int | str]) -> str | None:
    """The ``SWITCHBOARD_ROUTER_*`` variable that set this value (or a parent of it), if any."""
    present = {name.upper(): name for name in os.environ}
    names = [str(p) for p in loc if isinstance(p, str)]
    for depth in range(len(names), 0, -1):
        candidate = ENV_PREFIX + ENV_NESTED_DELIMITER.join(names[:depth]).upper()
        if candidate in present:
            return present[candidate]
    return None


def _line_of(root: yaml.Node, loc: Sequence[int | str]) -> int:
    """The 1-based line of the deepest YAML node along ``loc``."""
    node, line = root, root.start_mark.line + 1
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            match = next((kv for kv in node.value if kv[0].value == str(part)), None)
            if match is None:
                break
            line, node = match[0].start_mark.line + 1, match[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if part >= len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line
