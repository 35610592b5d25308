"""Federation, link, join and feature specs: directive names, versions and definitions."""

from __future__ import annotations

from dataclasses import dataclass

FEDERATION_IDENTITY = "https://specs.apollo.dev/federation"
LINK_IDENTITY = "https://specs.apollo.dev/link"


@dataclass(frozen=True)
class FeatureSpec:
    """A spec whose directive is carried into the supergraph: its @link and definitions."""

    url: str
    purpose: str | None
    signature: str
    repeatable: bool = False
    types: tuple[str, ...] = ()


_ALL_LOCATIONS = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | "
    "ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)
_ACCESS_LOCATIONS = "FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM"
# In the order of Apollo's federation spec: the order of the supergraph's @link for them
# when a subgraph defines none of them itself.
FEATURE_SPECS = {
    "tag": FeatureSpec(
        "https://specs.apollo.dev/tag/v0.3",
        None,
        f"(name: String!) repeatable on {_ALL_LOCATIONS} | SCHEMA",
        repeatable=True,
    ),
    "inaccessible": FeatureSpec(
        "https://specs.apollo.dev/inaccessible/v0.2", "SECURITY", f" on {_ALL_LOCATIONS}"
    ),
    "authenticated": FeatureSpec(
        "https://specs.apollo.dev/authenticated/v0.1", "SECURITY", f" on {_ACCESS_LOCATIONS}"
    ),
    "requiresScopes": FeatureSpec(
        "https://specs.apollo.dev/requiresScopes/v0.1",
        "SECURITY",
        f"(scopes: [[requiresScopes__Scope!]!]!) on {_ACCESS_LOCATIONS}",
        types=("requiresScopes__Scope",),
    ),
    "policy": FeatureSpec(
        "https://specs.apollo.dev/policy/v0.1",
        "SECURITY",
        f"(policies: [[policy__Policy!]!]!) on {_ACCESS_LOCATIONS}",
        types=("policy__Policy",),
    ),
}
FEATURE_SPECS["context"] = FeatureSpec(
    "https://specs.apollo.dev/context/v0.1",
    "SECURITY",
    "(name: String!) repeatable on INTERFACE | OBJECT | UNION",
    repeatable=True,
    types=("context__ContextFieldValue",),
)
FEATURE_SPECS["fromContext"] = FeatureSpec(
    "https://specs.apollo.dev/context/v0.1",
    "SECURITY",
    "(field: context__ContextFieldValue) on ARGUMENT_DEFINITION",
)
FEATURE_SPECS["cost"] = FeatureSpec(
    "https://specs.apollo.dev/cost/v0.1",
    None,
    "(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION "
    "| OBJECT | SCALAR",
)
FEATURE_SPECS["listSize"] = FeatureSpec(
    "https://specs.apollo.dev/cost/v0.1",
    None,
    "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], "
    "requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
)
NOT_MERGED = ("fromContext",)
ACCESS_CONTROL = ("authenticated", "requiresScopes", "policy")


@dataclass(frozen=True)
class DirectiveSpec:
    """A federation directive: its definition (after the name) and first federation version."""

    name: str
    signature: str
    since: tuple[int, int] = (2, 0)


_LOCATIONS_ALL = (
    "FIELD_DEFINITION | OBJECT | INTERFACE | UNION | ARGUMENT_DEFINITION | SCALAR | ENUM | "
    "ENUM_VALUE | INPUT_OBJECT | INPUT_FIELD_DEFINITION"
)

FEDERATION_DIRECTIVES: tuple[DirectiveSpec, ...] = (
    DirectiveSpec(
        "key", "(fields: String!, resolvable: Boolean = true) repeatable on OBJECT | INTERFACE"
    ),
    DirectiveSpec("requires", "(fields: String!) on FIELD_DEFINITION"),
    DirectiveSpec("provides", "(fields: String!) on FIELD_DEFINITION"),
    DirectiveSpec("external", "(reason: String) on OBJECT | FIELD_DEFINITION"),
    DirectiveSpec("tag", f"(name: String!) repeatable on {_LOCATIONS_ALL}"),
    DirectiveSpec("extends", " on OBJECT | INTERFACE"),
    DirectiveSpec("shareable", " repeatable on OBJECT | FIELD_DEFINITION"),
    DirectiveSpec("inaccessible", f" on {_LOCATIONS_ALL}"),
    DirectiveSpec("override", "(from: String!, label: String) on FIELD_DEFINITION"),
    DirectiveSpec("composeDirective", "(name: String!) repeatable on SCHEMA", (2, 1)),
    DirectiveSpec("interfaceObject", " on OBJECT", (2, 3)),
    DirectiveSpec(
        "authenticated", " on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM", (2, 5)
    ),
    DirectiveSpec(
        "requiresScopes",
        "(scopes: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
        (2, 5),
    ),
    DirectiveSpec(
        "policy",
        "(policies: [[String!]!]!) on FIELD_DEFINITION | OBJECT | INTERFACE | SCALAR | ENUM",
        (2, 6),
    ),
    DirectiveSpec("context", "(name: String!) repeatable on INTERFACE | OBJECT | UNION", (2, 8)),
    DirectiveSpec("fromContext", "(field: String) on ARGUMENT_DEFINITION", (2, 8)),
    DirectiveSpec(
        "cost",
        "(weight: Int!) on ARGUMENT_DEFINITION | ENUM | FIELD_DEFINITION | INPUT_FIELD_DEFINITION "
        "| OBJECT | SCALAR",
        (2, 9),
    ),
    DirectiveSpec(
        "listSize",
        "(assumedSize: Int, slicingArguments: [String!], sizedFields: [String!], "
        "requireOneSlicingArgument: Boolean = true) on FIELD_DEFINITION",
        (2, 9),
    ),
)

FEDERATION_TYPES = ("FieldSet", "Scope", "Policy", "ContextFieldValue")
FEDERATION_ONLY_TYPES = frozenset({"_Any", "_Entity", "_Service", "_FieldSet"})
FEDERATION_QUERY_FIELDS = frozenset({"_entities", "_service"})
LATEST_FEDERATION = (2, 14)


def join_version(federation_version: tuple[int, int]) -> tuple[int, int]:
    """The join spec version Apollo picks for the highest federation version linked."""
    if federation_version >= (2, 8):
        return (0, 5)
    if federation_version >= (2, 7):
        return (0, 4)
    return (0, 3)
