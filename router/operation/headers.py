"""Header propagation: which client headers go to which subgraph (Apollo Router's ``headers:``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from router.auth.identity import Identity
from router.auth.subgraph_tokens import HEADER as TOKEN_HEADER
from router.auth.subgraph_tokens import SubgraphSigner
from router.executor.http1 import RESERVED as RESERVED
from router.executor.walker import HeadersFor

_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_VALUE = re.compile(r"[\r\n\x00]")


def _header_name(value: str) -> str:
    if not _TOKEN.match(value):
        raise ValueError(f"{value!r} is not a valid header name")
    name = value.lower()
    if name in RESERVED:
        raise ValueError(f"{name!r} is managed by the router and cannot be forwarded or set")
    return name


def _header_value(value: str) -> str:
    if _BAD_VALUE.search(value):
        raise ValueError("a header value cannot contain CR, LF or NUL")
    return value


def _optional_name(value: str | None) -> str | None:
    return None if value is None else _header_name(value)


def _optional_value(value: str | None) -> str | None:
    return None if value is None else _header_value(value)


def _optional_pattern(value: str | None) -> str | None:
    return None if value is None else _pattern(value)


def _pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from None
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Propagate(_Model):
    """Copy client headers: one `named` header (maybe renamed or defaulted), or all `matching`."""

    named: str | None = Field(default=None, description="The client header to copy.")
    matching: str | None = Field(
        default=None,
        description="Copy every client header whose lower-case name this regex finds "
        "(`re.search`; anchor with `^…$`).",
    )
    rename: str | None = Field(default=None, description="Send `named` under this name.")
    default: str | None = Field(
        default=None, description="Value to send when the client did not send `named`."
    )

    _names = field_validator("named", "rename")(_optional_name)
    _regex = field_validator("matching")(_optional_pattern)
    _value = field_validator("default")(_optional_value)

    @model_validator(mode="after")
    def _one_selector(self) -> Propagate:
        if (self.named is None) == (self.matching is None):
            raise ValueError("give exactly one of `named` or `matching`")
        if self.matching is not None and (self.rename or self.default is not None):
            raise ValueError("`rename` and `default` apply to `named` only")
        return self


class Insert(_Model):
    """Set a header to a static value."""

    name: str = Field(description="Header name.")
    value: str = Field(description="Header value.")

    _name = field_validator("name")(_header_name)
    _value = field_validator("value")(_header_value)


class Remove(_Model):
    """Drop headers that earlier rules set: one `named` header, or all `matching`."""

    named: str | None = Field(default=None, description="Header name.")
    matching: str | None = Field(
        default=None, description="Drop every header whose lower-case name this regex finds."
    )

    _name = field_validator("named")(_optional_name)
    _regex = field_validator("matching")(_optional_pattern)

    @model_validator(mode="after")
    def _one_selector(self) -> Remove:
        if (self.named is None) == (self.matching is None):
            raise ValueError("give exactly one of `named` or `matching`")
        return self


class HeaderRule(_Model):
    """One rule: exactly one of ``propagate``, ``insert`` or ``remove``."""

    propagate: Propagate | None = None
    insert: Insert | None = None
    remove: Remove | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> HeaderRule:
        given = [k for k in ("propagate", "insert", "remove") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("a rule has exactly one of `propagate`, `insert` or `remove`")
        return self


class RequestRules(_Model):
    request: list[HeaderRule] = Field(
        default_factory=list, description="Rules applied in order to each subgraph request."
    )


class HeadersConfig(_Model):
    """Rules for ``all`` subgraphs, then per-subgraph rules (applied after ``all``)."""

    all: RequestRules = Field(default_factory=RequestRules, description="Rules for every subgraph.")
    subgraphs: dict[str, RequestRules] = Field(
        default_factory=dict, description="Rules for one subgraph, applied after `all`."
    )


# Compiled rules ---------------------------------------------------------------------


class _Step(Protocol):
    def apply(self, client: Mapping[str, str], out: dict[str, str]) -> None: ...


@dataclass(frozen=True, slots=True)
class _CopyNamed:
    name: str
    target: str
    default: str | None

    def apply(self, client: Mapping[str, str], out: dict[str, str]) -> None:
        value = client.get(self.name, self.default)
        if value is not None:
            out[self.target] = value


@dataclass(frozen=True, slots=True)
class _CopyMatching:
    pattern: re.Pattern[str]

    def apply(self, client: Mapping[str, str], out: dict[str, str]) -> None:
        for name, value in client.items():
            if name not in RESERVED and self.pattern.search(name):
                out[name] = value


@dataclass(frozen=True, slots=True)
class _Set:
    name: str
    value: str

    def apply(self, client: Mapping[str, str], out: dict[str, str]) -> None:
        out[self.name] = self.value


@dataclass(frozen=True, slots=True)
class _Drop:
    name: str | None
    pattern: re.Pattern[str] | None

    def apply(self, client: Mapping[str, str], out: dict[str, str]) -> None:
        if self.name is not None:
            out.pop(self.name, None)
        elif self.pattern is not None:
            for name in [n for n in out if self.pattern.search(n)]:
                del out[name]


def _compile(rule: HeaderRule) -> _Step:
    if rule.propagate is not None:
        p = rule.propagate
        if p.named is not None:
            return _CopyNamed(p.named, p.rename or p.named, p.default)
        return _CopyMatching(re.compile(p.matching or ""))
    if rule.insert is not None:
        return _Set(rule.insert.name, rule.insert.value)
    assert rule.remove is not None
    pattern = rule.remove.matching
    return _Drop(rule.remove.named, re.compile(pattern) if pattern is not None else None)


def normalise(client_headers: Mapping[str, str]) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ``, `` as HTTP allows."""
    headers: dict[str, str] = {}
    for name, value in client_headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


class HeaderRules:
    """Compiled header rules: the extra headers each subgraph request carries."""

    def __init__(self, config: HeadersConfig) -> None:
        common = tuple(_compile(r) for r in config.all.request)
        self._common = common
        self._by_subgraph = {
            name: common + tuple(_compile(r) for r in rules.request)
            for name, rules in config.subgraphs.items()
        }
        self.subgraph_names = frozenset(config.subgraphs)

    @property
    def empty(self) -> bool:
        return not self._common and not any(self._by_subgraph.values())

    def for_subgraph(self, name: str, client_headers: Mapping[str, str]) -> dict[str, str]:
        """The headers to add to a request to subgraph ``name`` for these client headers."""
        return self._apply(name, normalise(client_headers))

    def bind(self, client_headers: Mapping[str, str]) -> Callable[[str], dict[str, str]]:
        """``for_subgraph`` for one client request: headers normalised once, results memoised."""
        client = normalise(client_headers)
        memo: dict[str, dict[str, str]] = {}

        def headers_for(name: str) -> dict[str, str]:
            found = memo.get(name)
            if found is None:
                found = memo[name] = self._apply(name, client)
            return found

        return headers_for

    def fingerprint(
        self, client_headers: Mapping[str, str], subgraphs: Iterable[str]
    ) -> tuple[tuple[tuple[str, str], ...], ...]:
        """What these client headers make each subgraph see (empty when no rules)."""
        if self.empty:
            return ()
        bound = self.bind(client_headers)
        return tuple(tuple(sorted(bound(name).items())) for name in sorted(subgraphs))

    def _apply(self, name: str, client: Mapping[str, str]) -> dict[str, str]:
        out: dict[str, str] = {}
        for step in self._by_subgraph.get(name, self._common):
            step.apply(client, out)
        return out


def subgraph_headers(
    rules: HeaderRules,
    client_headers: Mapping[str, str],
    signer: SubgraphSigner | None,
    identity: Identity,
) -> HeadersFor | None:
    """The extra headers of each subgraph request: the propagation rules' (None: no rules)
    and, with a signer, the router-signed token that tells the subgraph who is calling."""
    bound = None if rules.empty else rules.bind(client_headers)
    if signer is None:
        return bound

    def headers_for(subgraph: str) -> dict[str, str]:
        extra = dict(bound(subgraph)) if bound is not None else {}
        extra[TOKEN_HEADER] = signer.token(identity, subgraph)
        return extra

    return headers_for
