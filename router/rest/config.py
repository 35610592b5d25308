"""``rest:`` in router.yaml: where the REST mapping is, and whether its description is served."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class RestConfig(BaseModel):
    """The REST API translated from trusted operations (docs/rest.md); off without a mapping."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mapping: Path | None = Field(
        default=None,
        description="A REST mapping (e.g. docs/examples/rest.yaml): METHOD + path → a named "
        "operation of `persisted_queries.manifest`. Unset: no REST endpoint is served.",
    )
    openapi: bool = Field(
        default=True,
        description="With a mapping, serve its OpenAPI 3.1 document at `/openapi.json` and a "
        "reference page at `/docs` (both offline).",
    )
