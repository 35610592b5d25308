"""`switchboard schema check`: breaking and dangerous changes against the current supergraph."""

from __future__ import annotations

from pathlib import Path

import pytest

from schema.check import schema_changes
from schema.compose import SubgraphSource, compose
from tests.schema.test_cli import HEADER, run, write_config

BASE = (
    'type Query { p(id: ID!): P }\ntype P @key(fields: "id") { id: ID! name: String! kind: Kind }\n'
)
ENUM = "enum Kind { A B }\n"


def supergraph(body: str) -> str:
    header = HEADER.replace('["@key"]', '["@key", "@inaccessible"]')
    return compose([SubgraphSource("a", "http://a.example/graphql", header + body)])


def kinds(current: str, proposed: str) -> list[tuple[bool, str]]:
    return [(c.breaking, c.kind) for c in schema_changes(supergraph(current), supergraph(proposed))]


def test_no_change() -> None:
    assert kinds(BASE + ENUM, BASE + ENUM) == []


def test_removed_field_is_breaking() -> None:
    proposed = BASE.replace(" kind: Kind", "") + ENUM
    assert (True, "FIELD_REMOVED") in kinds(BASE + ENUM, proposed)


def test_output_made_nullable_is_breaking() -> None:
    proposed = BASE.replace("name: String!", "name: String") + ENUM
    assert kinds(BASE + ENUM, proposed) == [(True, "FIELD_CHANGED_KIND")]


def test_removed_enum_value_is_breaking_and_added_one_dangerous() -> None:
    assert kinds(BASE + ENUM, BASE + "enum Kind { A }\n") == [(True, "VALUE_REMOVED_FROM_ENUM")]
    assert kinds(BASE + ENUM, BASE + "enum Kind { A B C }\n") == [(False, "VALUE_ADDED_TO_ENUM")]


def test_new_required_argument_is_breaking_optional_one_dangerous() -> None:
    required = BASE.replace("name: String!", "name(locale: String!): String!") + ENUM
    optional = BASE.replace("name: String!", "name(locale: String): String!") + ENUM
    assert kinds(BASE + ENUM, required) == [(True, "REQUIRED_ARG_ADDED")]
    assert kinds(BASE + ENUM, optional) == [(False, "OPTIONAL_ARG_ADDED")]


def test_inaccessible_elements_are_not_part_of_the_api() -> None:
    hidden = BASE.replace("name: String!", "name: String! @inaccessible") + ENUM
    assert kinds(BASE + ENUM, hidden) == [(True, "FIELD_REMOVED")]
    retyped = hidden.replace("name: String! @inaccessible", "name: Int @inaccessible")
    assert kinds(hidden, retyped) == []


def test_join_machinery_is_not_a_change() -> None:
    other = BASE.replace('@key(fields: "id")', '@key(fields: "id") @key(fields: "name")') + ENUM
    assert kinds(BASE + ENUM, other) == []


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "a.graphql").write_text(HEADER + BASE + ENUM)
    write_config(tmp_path, {"a": "file: a.graphql"})
    assert (
        run(
            "compose",
            "--config",
            str(tmp_path / "supergraph.yaml"),
            "--output",
            str(tmp_path / "supergraph.graphql"),
        )
        == 0
    )
    return tmp_path


def check(project: Path) -> int:
    return run(
        "schema",
        "check",
        "--against",
        str(project / "supergraph.graphql"),
        "--config",
        str(project / "supergraph.yaml"),
    )


def test_check_passes_without_breaking_changes(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.graphql").write_text(HEADER + BASE + "enum Kind { A B C }\n")
    capsys.readouterr()
    assert check(project) == 0
    out = capsys.readouterr().out
    assert "DANGEROUS VALUE_ADDED_TO_ENUM: Enum value Kind.C was added." in out
    assert out.strip().endswith("0 breaking, 1 dangerous change(s)")


def test_check_fails_on_breaking_changes(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "a.graphql").write_text(HEADER + BASE.replace(" kind: Kind", "") + ENUM)
    capsys.readouterr()
    assert check(project) == 1
    assert "BREAKING FIELD_REMOVED: Field P.kind was removed." in capsys.readouterr().out


def test_check_reports_composition_errors(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "a.graphql").write_text(HEADER + "type Query { p: Missing }\n")
    capsys.readouterr()
    assert check(project) == 1
    err = capsys.readouterr().err
    assert "switchboard schema check: error: INVALID_GRAPHQL [a]" in err
    assert "Traceback" not in err


def test_check_with_missing_against_file(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "supergraph.graphql").unlink()
    capsys.readouterr()
    assert check(project) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "cannot read" in err


def test_check_against_a_file_that_is_not_a_supergraph(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "supergraph.graphql").write_text("type Query { a: Missing }\n")
    capsys.readouterr()
    assert check(project) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "is not a valid supergraph:" in err
    assert "Unknown type: 'Missing'" in err
