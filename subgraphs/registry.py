"""The four domain services, looked up by name."""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the list of names must be cheap to import; a service loads its stack
    from fastapi import FastAPI
    from sqlalchemy import MetaData
    from sqlalchemy.ext.asyncio import AsyncSession

    from subgraphs.common.schema import SubgraphSchema
    from subgraphs.common.settings import SubgraphSettings

SERVICES = ("customers", "orders", "invoices", "subscriptions")


@dataclass(frozen=True)
class Service:
    name: str
    create_app: Callable[[SubgraphSettings], FastAPI]
    schema: SubgraphSchema
    metadata: MetaData
    seed: Callable[[AsyncSession], Awaitable[bool]]


def service(name: str) -> Service:
    """The service called ``name``; ValueError naming the known ones otherwise."""
    if name not in SERVICES:
        raise ValueError(f"unknown subgraph {name!r}; choose one of {', '.join(SERVICES)}")
    package = f"subgraphs.{name}"
    return Service(
        name=name,
        create_app=importlib.import_module(f"{package}.app").create_app,
        schema=importlib.import_module(f"{package}.schema").schema,
        metadata=importlib.import_module(f"{package}.models").Base.metadata,
        seed=importlib.import_module(f"{package}.seed").seed,
    )
