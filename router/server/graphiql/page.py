"""The GraphiQL page: when a request wants it, and the HTML that loads the served assets."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import orjson
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from router.config import RouterConfig
from router.server.graphiql.assets import (
    ASSETS_PATH,
    INSTALL_HINT,
    SCRIPTS,
    STYLESHEETS,
    missing_assets,
    serve_asset,
)
from router.server.graphiql.examples import Example

JSON_MEDIA_TYPES = ("application/json", "application/graphql-response+json")
# Everything from the router itself; inline styles because GraphiQL's components set them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def graphiql_enabled(config: RouterConfig) -> bool:
    """On in dev mode unless switched off; off in production mode unless switched on."""
    return config.dev if config.graphiql is None else config.graphiql


def wants_html(accept: str | None) -> bool:
    """True when ``Accept`` ranks text/html above every GraphQL response media type."""
    html_quality = json_quality = 0.0
    for part in (accept or "").split(","):
        media_type, _, parameters = part.partition(";")
        media_type = media_type.strip().lower()
        if media_type == "text/html":
            html_quality = max(html_quality, _quality(parameters))
        elif media_type in JSON_MEDIA_TYPES:
            json_quality = max(json_quality, _quality(parameters))
    return html_quality > json_quality


def _quality(parameters: str) -> float:
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


class GraphiQLPage:
    """GraphiQL at ``GET /graphql`` for browsers, and its assets under ``/graphiql/assets``."""

    def __init__(
        self,
        examples: Sequence[Example],
        subgraphs: Sequence[str],
        *,
        expose_plan: bool,
        identities: Sequence[Mapping[str, object]] = (),
    ) -> None:
        self.html = render_page(examples, subgraphs, expose_plan=expose_plan, identities=identities)
        self.routes = [Route(f"/{ASSETS_PATH}/{{name}}", serve_asset, methods=["GET"])]

    def wanted(self, request: Request) -> bool:
        return request.method == "GET" and wants_html(request.headers.get("accept"))

    def response(self) -> Response:
        missing = missing_assets()
        if missing:
            return HTMLResponse(render_missing(missing), status_code=503)
        headers = {"content-security-policy": CONTENT_SECURITY_POLICY, "cache-control": "no-cache"}
        return HTMLResponse(self.html, headers=headers)


def render_page(
    examples: Sequence[Example],
    subgraphs: Sequence[str],
    *,
    expose_plan: bool,
    identities: Sequence[Mapping[str, object]] = (),
) -> str:
    settings = {
        "endpoint": "graphql",
        "exposePlan": expose_plan,
        "identities": list(identities),  # dev mode only: label and token of each
        "subgraphs": sorted(subgraphs),  # each keeps one colour in the plan view
        "tabs": [{"query": example.query} for example in examples],
    }
    stylesheets = "".join(
        f'<link rel="stylesheet" href="{ASSETS_PATH}/{name}">\n' for name in STYLESHEETS
    )
    scripts = "".join(f'<script src="{ASSETS_PATH}/{name}"></script>\n' for name in SCRIPTS)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Switchboard · GraphiQL</title>
<link rel="icon" href="data:,">
{stylesheets}</head>
<body>
<div id="switchboard-graphiql"><noscript>GraphiQL needs JavaScript.</noscript></div>
<script type="application/json" id="switchboard-graphiql-settings">{_script_json(settings)}</script>
{scripts}</body>
</html>
"""


def _script_json(value: object) -> str:
    """JSON that cannot end its ``<script>`` element early."""
    text = orjson.dumps(value).decode()
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render_missing(missing: Sequence[str]) -> str:
    names = ", ".join(html.escape(name) for name in missing)
    return f"""<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Switchboard · GraphiQL not installed</title></head>
<body style="font-family: sans-serif; max-width: 40em; margin: 4em auto">
<h1>GraphiQL is not installed</h1>
<p>{html.escape(INSTALL_HINT)}</p>
<p>It installs GraphiQL and React from npm into <code>router/server/graphiql/node_modules</code>.
The GraphQL endpoint itself works: POST your queries to this URL.</p>
<p>Missing: {names}</p>
</body>
</html>
"""
