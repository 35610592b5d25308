"""Loading a supergraph SDL into the model: graphs, types, fields, keys, membership."""

from __future__ import annotations

from pathlib import Path

import pytest
from graphql import print_ast

from router.supergraph import Supergraph, SupergraphError, load_supergraph

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return load_supergraph((DATA / "supergraph.graphql").read_text())


def test_graphs_have_names_and_urls(supergraph: Supergraph) -> None:
    assert list(supergraph.graphs) == ["accounts", "billing"]
    assert supergraph.graphs["billing"].enum_value == "BILLING"
    assert supergraph.url("accounts") == "http://accounts.test/graphql"


def test_url_overrides_replace_only_named_graphs() -> None:
    sdl = (DATA / "supergraph.graphql").read_text()
    loaded = load_supergraph(sdl, {"billing": "http://127.0.0.1:9/graphql"})
    assert loaded.url("billing") == "http://127.0.0.1:9/graphql"
    assert loaded.url("accounts") == "http://accounts.test/graphql"


def test_root_types(supergraph: Supergraph) -> None:
    assert supergraph.query_type == "Query"
    assert supergraph.mutation_type == "Mutation"
    assert supergraph.root_type("subscription") is None


def test_keys_per_graph(supergraph: Supergraph) -> None:
    user = supergraph.type("User")
    assert [k.fields for k in user.keys("accounts")] == ["id", "email"]
    assert [k.fields for k in user.keys("billing")] == ["id"]
    receipt = supergraph.type("Receipt")
    assert receipt.keys("billing")[0].resolvable is False
    assert receipt.keys("billing", resolvable_only=True) == ()


def test_field_resolution(supergraph: Supergraph) -> None:
    user = supergraph.type("User")
    assert user.resolving_graphs("id") == ("accounts", "billing")
    assert user.resolving_graphs("name") == ("accounts", "billing")
    assert user.resolving_graphs("email") == ("accounts",)
    assert user.resolving_graphs("invoices") == ("billing",)
    assert user.resolving_graphs("__typename") == ("accounts", "billing")
    assert user.resolving_graphs("missing") == ()


def test_requires_and_provides_are_parsed(supergraph: Supergraph) -> None:
    invoices = supergraph.type("User").fields["invoices"].in_graph("billing")
    assert invoices is not None
    assert invoices.requires is not None
    assert print_ast(invoices.requires) == "{\n  email\n}"
    owner = supergraph.type("Invoice").fields["owner"].in_graph("billing")
    assert owner is not None
    assert owner.provides is not None


def test_progressive_override_depends_on_labels(supergraph: Supergraph) -> None:
    user = supergraph.type("User")
    assert user.resolving_graphs("plan") == ("billing",)
    assert user.resolving_graphs("plan", frozenset({"percent(50)"})) == ("accounts",)


def test_membership_per_graph(supergraph: Supergraph) -> None:
    assert supergraph.type("Document").union_members == {"billing": frozenset({"Invoice"})}
    assert supergraph.type("Receipt").implements["billing"] == frozenset({"Node"})
    assert supergraph.type("Status").enum_values["accounts"] == frozenset({"ACTIVE", "BANNED"})
    assert supergraph.type("Invoice").kind == "object"
    assert supergraph.type("UserFilter").kind == "input"


def test_federation_1_owner_and_untyped_value_types() -> None:
    loaded = load_supergraph((DATA / "fed1.graphql").read_text())
    user = loaded.type("User")
    assert user.resolving_graphs("name") == ("accounts",)
    assert user.resolving_graphs("reviews") == ("reviews",)
    assert set(loaded.type("Review").graphs) == {"accounts", "reviews"}


def test_rejects_a_plain_schema() -> None:
    with pytest.raises(SupergraphError):
        load_supergraph("type Query { a: Int }")


def test_link_as_renames_join_directives() -> None:
    sdl = (DATA / "supergraph.graphql").read_text()
    renamed = sdl.replace('join/v0.4"', 'join/v0.4", as: "j"').replace("join__", "j__")
    loaded = load_supergraph(renamed)
    assert loaded.type("User").resolving_graphs("invoices") == ("billing",)


def test_bare_join_field_means_no_subgraph_resolves_directly() -> None:
    cases = Path(__file__).parents[1] / "planner" / "cases"
    loaded = load_supergraph((cases / "interface_object" / "supergraph.graphql").read_text())
    assert loaded.type("Book").resolving_graphs("rating") == ()
    assert loaded.type("Media").resolving_graphs("rating") == ("b",)
    assert loaded.type("Media").graphs["b"].is_interface_object
    assert loaded.type("Result").possible_in("b", "Movie")
    assert not loaded.type("Result").possible_in("a", "Movie")
