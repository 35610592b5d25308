"""Our own four subgraphs' SDLs: the exported files when present, else the live Python schemas."""

from __future__ import annotations

from pathlib import Path

from tests.schema.oracle import Service

ROOT = Path(__file__).resolve().parents[2]
URLS = {
    "customers": "http://127.0.0.1:4001/graphql",
    "orders": "http://127.0.0.1:4002/graphql",
    "invoices": "http://127.0.0.1:4003/graphql",
    "subscriptions": "http://127.0.0.1:4004/graphql",
}


def _sdl(name: str) -> str | None:
    exported = ROOT / "schema" / "subgraphs" / f"{name}.graphql"
    if exported.exists():
        return exported.read_text()
    try:
        from switchboard.commands import sdl_of

        return sdl_of(name)
    except Exception:  # a subgraph still being built does not import yet
        return None


def real_services() -> list[Service]:
    """Every one of our subgraphs whose SDL is available."""
    services: list[Service] = []
    for name, url in URLS.items():
        sdl = _sdl(name)
        if sdl is not None:
            services.append({"name": name, "url": url, "sdl": sdl})
    return services
