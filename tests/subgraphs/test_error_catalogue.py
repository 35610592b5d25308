"""Every code a subgraph raises is in the one catalogue (subgraphs/common/errors.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from subgraphs.common import errors
from subgraphs.registry import SERVICES

ROOT = Path(errors.__file__).resolve().parents[1]
RAISE = re.compile(r"raise (\w+)\(")
CODE = re.compile(r"\b(?:_error|RequestRefused|JSONResponse)\([^)]*?\"([A-Z][A-Z_]+)\"", re.S)


def _domain_errors() -> dict[str, str]:
    found = {}
    for name in dir(errors):
        value = getattr(errors, name)
        if isinstance(value, type) and issubclass(value, errors.DomainError):
            found[name] = value.code
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_every_raised_code_is_catalogued(service: str) -> None:
    classes = _domain_errors()
    raised = set()
    for path in (ROOT / service).rglob("*.py"):
        source = path.read_text()
        raised |= {classes[name] for name in RAISE.findall(source) if name in classes}
        raised |= set(CODE.findall(source))
    catalogued = errors.codes_of(service)
    assert raised - {"INTERNAL_SERVER_ERROR"} <= catalogued.keys(), raised - catalogued.keys()
    assert all(meaning.strip() for meaning in catalogued.values())


def test_every_domain_error_is_somewhere_in_the_catalogue() -> None:
    everywhere = set(errors.REQUEST_CODES).union(*errors.CATALOGUE.values())
    codes = set(_domain_errors().values()) - {"INTERNAL_SERVER_ERROR"}
    assert codes <= everywhere
    assert set(errors.CATALOGUE) == set(SERVICES)
