"""The REST API's reference page: one self-contained HTML page rendered from the OpenAPI
document (no script, no CDN: it works offline and under a strict CSP)."""

from __future__ import annotations

import json
from html import escape
from typing import Any

STYLE = """
body{font:15px/1.5 system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 2rem;color:#222}
h2{border-bottom:1px solid #ddd;margin-top:2.5rem}
.op{border:1px solid #ddd;border-radius:6px;margin:1rem 0;padding:.5rem 1rem}
.m{display:inline-block;min-width:4.5rem;font-weight:700;font-family:monospace}
.GET{color:#0a6}.POST{color:#05c}.DELETE{color:#c30}.PUT,.PATCH{color:#a60}
code,pre{font-family:ui-monospace,monospace;font-size:13px}
pre{background:#f6f6f6;padding:.5rem;overflow:auto;max-height:24rem}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2rem .5rem;text-align:left}
details>summary{cursor:pointer}
"""


def reference_page(document: dict[str, Any]) -> str:
    info = document.get("info", {})
    parts = [
        "<!doctype html><html lang=en><head><meta charset=utf-8>",
        f"<title>{escape(info.get('title', 'API'))} reference</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>{escape(info.get('title', 'API'))} ",
        f"<small>v{escape(str(info.get('version')))}</small></h1>",
        f"<p>{escape(info.get('description') or '')}</p>",
        "<p>Authenticate with <code>Authorization: Bearer &lt;token&gt;</code>. Errors are "
        '<code>{"error": {"type", "code", "message", "param"}}</code>. The machine-'
        "readable description is <a href='/openapi.json'>/openapi.json</a> (OpenAPI 3.1).</p>",
    ]
    by_tag: dict[str, list[tuple[str, str, dict[str, Any]]]] = {}
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            tag = (operation.get("tags") or ["Endpoints"])[0]
            by_tag.setdefault(tag, []).append((method.upper(), path, operation))
    for tag, operations in by_tag.items():
        parts.append(f"<h2>{escape(tag)}</h2>")
        parts.extend(_operation(method, path, op) for method, path, op in operations)
    parts.append("<h2>Schemas</h2>")
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        parts.append(f"<details id='{escape(name)}'><summary><code>{escape(name)}</code></summary>"
                     f"<pre>{escape(json.dumps(schema, indent=2))}</pre></details>")  # fmt: skip
    parts.append("</body></html>")
    return "".join(parts)


def _operation(method: str, path: str, operation: dict[str, Any]) -> str:
    rows = "".join(
        f"<tr><td><code>{escape(p['name'])}</code></td><td>{escape(p['in'])}</td>"
        f"<td>{'required' if p.get('required') else ''}</td>"
        f"<td><code>{escape(json.dumps(p.get('schema', {})))}</code></td></tr>"
        for p in operation.get("parameters", [])
    )
    html = [
        f"<div class=op id='{escape(operation.get('operationId', ''))}'>",
        f"<p><span class='m {method}'>{method}</span> <code>{escape(path)}</code> — "
        f"{escape(operation.get('summary', ''))}</p>",
    ]
    description = operation.get("description")
    if description and description != operation.get("summary"):
        html.append(f"<p>{escape(description)}</p>")
    if rows:
        html.append(
            f"<table><tr><th>parameter</th><th>in</th><th></th><th>schema</th></tr>{rows}</table>"
        )
    body = operation.get("requestBody")
    if body:
        schema = body["content"]["application/json"]["schema"]
        text = escape(json.dumps(schema, indent=2))
        html.append(f"<details><summary>JSON body</summary><pre>{text}</pre></details>")
    for status, response in operation.get("responses", {}).items():
        content = response.get("content", {}).get("application/json", {}).get("schema")
        if status.startswith("2") and content is not None:
            text = escape(json.dumps(content, indent=2))
            html.append(f"<details><summary>{status} response</summary><pre>{text}</pre></details>")
    statuses = ", ".join(s for s in operation.get("responses", {}) if not s.startswith("2"))
    html.append(f"<p><small>Errors: {escape(statuses)}</small></p></div>")
    return "".join(html)
