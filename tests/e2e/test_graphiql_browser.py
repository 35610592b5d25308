"""GraphiQL in a real browser: headless Chromium runs the cross-subgraph example offline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from subgraphs.common.demo import world
from tests.e2e.conftest import Stack
from tests.support.processes import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOT = ARTIFACTS / "graphiql-query-plan.png"
TIMEOUT_MS = 20_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    expect.set_options(timeout=TIMEOUT_MS)
    if not CHROMIUM.is_file():
        pytest.fail(
            f"Chromium is missing at {CHROMIUM}: run `make test`, which installs it, or "
            "`apt-get update && apt-get install -y chromium chromium-driver`."
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Watch:
    """What a page did that it should not: errors, and requests that left the router."""

    def __init__(self, page: Page, origin: str) -> None:
        self.errors: list[str] = []
        self.outside: list[str] = []
        self.origin = origin
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        page.route("**/*", self._only_the_router)

    def _only_the_router(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(f"{self.origin}/") or url.startswith("data:"):
            route.continue_()
        else:  # offline means offline: nothing from a CDN
            self.outside.append(url)
            route.abort()


def response_json(page: Page) -> dict[str, Any]:
    """The whole result (CodeMirror only renders the visible lines into the DOM)."""
    text = page.evaluate(
        "document.querySelector('.result-window .CodeMirror').CodeMirror.getValue()"
    )
    body: dict[str, Any] = json.loads(text)
    return body


def test_cross_subgraph_example_shows_its_result_and_plan(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    watch = Watch(page, stack.router.url)

    page.goto(f"{stack.router.url}/graphql")
    tabs = page.locator(".graphiql-tab")
    expect(tabs).to_have_count(5)
    assert tabs.all_inner_texts() == [
        "CustomerAcrossAllSubgraphs",
        "Customers",
        "ProductsAndOrders",
        "OpenInvoices",
        "PlansAndSubscriptions",
    ]
    expect(page.get_by_text("Run an operation (Ctrl-Enter)")).to_be_visible()
    expect(page.get_by_role("button", name="Headers", exact=True)).to_be_visible()

    page.locator(".graphiql-execute-button").click()
    tree = page.locator(".sb-plan-tree")
    expect(tree).to_be_visible()
    body = response_json(page)
    first = world().customers[0]
    customer = body["data"]["customers"]["nodes"][0]
    assert customer["name"] == first.name
    assert customer["taxRate"]["basisPoints"] > 0
    assert customer["orders"]["nodes"][0]["invoice"]["number"].startswith("INV-")
    assert customer["subscriptions"]["nodes"][0]["plan"]["name"]
    assert len(body["data"]["customers"]["nodes"]) == 2  # the example's $first

    services = set(tree.locator(".sb-service").all_inner_texts())
    assert services == {"customers", "orders", "invoices", "subscriptions"}
    expect(page.locator(".sb-summary")).to_contain_text("4 subgraphs")
    expect(tree.locator(".sb-flatten .sb-path").first).to_contain_text("customers.nodes.@")

    page.get_by_role("button", name="Text", exact=True).click()
    plan_text = page.locator(".sb-plan-text")
    expect(plan_text).to_contain_text('Fetch(service: "subscriptions")')
    assert plan_text.inner_text() == body["extensions"]["queryPlan"]["text"]
    page.get_by_role("button", name="Tree", exact=True).click()
    expect(tree).to_be_visible()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))

    page.get_by_role("button", name="Show Documentation Explorer").click()
    expect(page.locator(".graphiql-doc-explorer")).to_contain_text("Root Types")

    context.close()
    assert not watch.outside, f"requests outside the router: {watch.outside}"
    assert not watch.errors, f"browser errors: {watch.errors}"


def test_plan_view_follows_the_active_tab(stack: Stack, browser: Browser) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(f"{stack.router.url}/graphql")
    page.locator(".graphiql-tab", has_text="OpenInvoices").click()
    page.locator(".graphiql-execute-button").click()
    services = page.locator(".sb-plan-tree .sb-service")
    expect(services).to_have_text(["invoices"])
    assert response_json(page)["data"]["invoices"]["nodes"]

    page.locator(".graphiql-tab", has_text="CustomerAcrossAllSubgraphs").click()
    expect(page.get_by_text("Run an operation (Ctrl-Enter)")).to_be_visible()
    page.locator(".graphiql-tab", has_text="OpenInvoices").click()
    expect(services).to_have_text(["invoices"])
    context.close()
