"""The orders service app."""

from __future__ import annotations

from fastapi import FastAPI

from subgraphs.common.app import create_subgraph_app
from subgraphs.common.settings import SubgraphSettings

from .loaders import make_loaders
from .schema import schema


def create_app(settings: SubgraphSettings) -> FastAPI:
    return create_subgraph_app(settings, schema, make_loaders)
