"""A read-only page of the sink's messages: ``/`` lists them, ``/messages/<name>`` shows one."""

from __future__ import annotations

import html
from email import policy
from email.parser import BytesParser
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from .sink import message_files

PAGE = """<!doctype html><meta charset="utf-8"><title>Switchboard mail</title>
<style>body{{font:14px system-ui;margin:2em}}td{{padding:.2em 1em .2em 0}}</style>
<h1>Mail sink: {count} message(s)</h1><table>
<tr><th align=left>Received<th align=left>To<th align=left>Subject</tr>{rows}</table>"""


def create_app(directory: Path) -> Starlette:
    parser = BytesParser(policy=policy.default)

    async def index(request: Request) -> Response:
        rows = []
        for path in reversed(message_files(directory)):  # newest first
            headers = parser.parsebytes(path.read_bytes(), headersonly=True)
            rows.append(
                f"<tr><td>{html.escape(str(headers['Date'] or ''))}"
                f"<td>{html.escape(str(headers['To'] or ''))}"
                f'<td><a href="/messages/{html.escape(path.name)}">'
                f"{html.escape(str(headers['Subject'] or '(no subject)'))}</a></tr>"
            )
        return HTMLResponse(PAGE.format(count=len(rows), rows="".join(rows)))

    async def message(request: Request) -> Response:
        name = request.path_params["name"]
        path = directory / name
        if "/" in name or not name.endswith(".eml") or not path.is_file():
            return PlainTextResponse("no such message", status_code=404)
        return PlainTextResponse(path.read_text(errors="replace"))

    async def health(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[
            Route("/", index),
            Route("/messages/{name}", message),
            Route("/health", health),
        ]
    )
