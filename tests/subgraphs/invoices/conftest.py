"""Fixtures of the invoices tests: the payment services, once per database backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest

from tests.conftest import SubgraphPool
from tests.subgraphs.invoices.payments_stack import Payments, start_bank, start_invoices
from tests.support.databases import fresh_database


@dataclass
class Stack:
    payments: Payments
    invoices_db: str


@pytest.fixture(scope="package")
def stack(subgraphs: SubgraphPool, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    tmp = tmp_path_factory.mktemp(f"payments-{subgraphs.backend}")
    with ExitStack() as exits:
        bank = start_bank(tmp, f"sqlite+aiosqlite:///{tmp / 'bank.db'}")
        exits.callback(bank.stop)
        customers = subgraphs["customers"]
        db = exits.enter_context(fresh_database(subgraphs.backend, "invoices", tmp))
        invoices = start_invoices(
            tmp, db, bank_url=bank.url, customers_url=f"{customers.url}/graphql"
        )
        exits.callback(invoices.stop)
        yield Stack(Payments(bank, customers, invoices), db)


@pytest.fixture
def p(stack: Stack) -> Payments:
    return stack.payments
