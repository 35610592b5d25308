"""GraphiQL's browser assets: a fixed table of names, served from npm's install and our own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response

HERE = Path(__file__).resolve().parent
NODE_MODULES = HERE / "node_modules"
STATIC = HERE / "static"
ASSETS_PATH = "graphiql/assets"  # relative to the page at /graphql, so a path prefix still works
INSTALL_HINT = "GraphiQL's assets are not installed: run `make install`."


@dataclass(frozen=True)
class Asset:
    path: Path
    media_type: str

    @property
    def installed(self) -> bool:
        return self.path.is_file()


def _vendor(relative: str, media_type: str) -> Asset:
    return Asset(NODE_MODULES / relative, media_type)


def _own(name: str, media_type: str) -> Asset:
    return Asset(STATIC / name, media_type)


JS = "text/javascript; charset=utf-8"
CSS = "text/css; charset=utf-8"
MAP = "application/json"

# Only these names are served: a request names a key, never a path, so it cannot leave the table.
ASSETS: dict[str, Asset] = {
    "react.production.min.js": _vendor("react/umd/react.production.min.js", JS),
    "react-dom.production.min.js": _vendor("react-dom/umd/react-dom.production.min.js", JS),
    "graphiql.min.js": _vendor("graphiql/graphiql.min.js", JS),
    "graphiql.min.js.map": _vendor("graphiql/graphiql.min.js.map", MAP),
    "graphiql.min.css": _vendor("graphiql/graphiql.min.css", CSS),
    "graphiql.min.css.map": _vendor("graphiql/graphiql.min.css.map", MAP),
    "plan-view.js": _own("plan-view.js", JS),
    "switchboard-graphiql.js": _own("switchboard-graphiql.js", JS),
    "switchboard-graphiql.css": _own("switchboard-graphiql.css", CSS),
}
SCRIPTS = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "plan-view.js",
    "switchboard-graphiql.js",
)
STYLESHEETS = ("graphiql.min.css", "switchboard-graphiql.css")


def missing_assets() -> list[str]:
    """Names of the assets the page loads that are not on disk."""
    return [name for name in (*SCRIPTS, *STYLESHEETS) if not ASSETS[name].installed]


async def serve_asset(request: Request) -> Response:
    asset = ASSETS.get(request.path_params["name"])
    if asset is None:
        return PlainTextResponse("No such GraphiQL asset.", status_code=404)
    if not asset.installed:
        return PlainTextResponse(INSTALL_HINT, status_code=404)
    headers = {"cache-control": "no-cache", "x-content-type-options": "nosniff"}
    return FileResponse(asset.path, media_type=asset.media_type, headers=headers)
