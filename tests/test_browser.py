"""The web pages in a real browser: headless Debian chromium driven by Playwright.

One browser for the module; each test gets a fresh node on 127.0.0.1 and a fresh browser
context (its own cookies). Each test saves a screenshot: into a temporary folder (its path
is printed), or into $FEDCOMMONS_SCREENSHOTS when set. The README's images are refreshed with
`FEDCOMMONS_SCREENSHOTS=docs/screenshots python -m pytest tests/test_browser.py`.

Without /usr/bin/chromium these tests skip, saying why, except in CI (CI=true), where a
missing browser is a failure: `.ci/run` installs it.
"""

import os
import re
import tempfile
from pathlib import Path

import pytest
import pytest_asyncio

from fedcommons.store import contributions as contribution_store
from fedcommons.store import log as log_store
from support_nodes import served_node
from support_web import PASSWORD, populate

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
SCREENSHOTS = Path(os.environ.get("FEDCOMMONS_SCREENSHOTS") or tempfile.mkdtemp(prefix="fedcommons-shots-"))
DESKTOP = {"width": 1000, "height": 800}
PHONE = {"width": 390, "height": 844}
WAIT_MS = 10_000  # every wait in a test is bounded by this

pytestmark = pytest.mark.asyncio(loop_scope="module")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI must run the browser tests (.ci/run installs chromium)", pytrace=False)
    pytest.skip(reason)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def browser():
    if not CHROMIUM.exists():
        _unavailable(f"the browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.async_api import async_playwright
    except ImportError:
        _unavailable("the browser tests need the playwright package (pip install -e '.[test]')")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS,
                                                   timeout=WAIT_MS)
        yield launched
        await launched.close()


@pytest_asyncio.fixture(loop_scope="module")
async def served(tmp_path):
    async with served_node(tmp_path) as running:
        running.ids = populate(running.node, payout=False)
        yield running


@pytest_asyncio.fixture(loop_scope="module")
async def open_page(browser, served):
    """A page factory: a new context (own cookies) at a viewport; each refuses any other host."""
    contexts, elsewhere = [], []

    async def make(viewport=DESKTOP):
        context = await browser.new_context(viewport=viewport, device_scale_factor=1)
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)

        async def only_this_node(route):
            if route.request.url.startswith(served.url + "/"):
                await route.continue_()
            else:
                elsewhere.append(route.request.url)
                await route.abort()

        await context.route("**/*", only_this_node)
        return await context.new_page()

    yield make
    for context in contexts:
        await context.close()
    assert not elsewhere, f"pages asked for something on another host: {elsewhere}"


async def sign_in(page, served, account: str) -> None:
    await page.goto(f"{served.url}/login")
    await page.fill("#account", account)
    await page.fill("#password", PASSWORD)
    await page.click("form.stacked button")
    await page.wait_for_selector(f"header nav >> text={account}")


async def sign_out(page) -> None:
    await page.click("header nav button:has-text('sign out')")
    await page.wait_for_selector("header nav >> text=sign in")


async def standing_of(page, served) -> tuple[str, list[str]]:
    """The pool page's chart (its SVG) and its ranked names."""
    await page.goto(f"{served.url}/pools/garden")
    chart = await page.inner_html("figure.chart")
    names = await page.eval_on_selector_all("table.ranking tbody tr td:nth-child(2)",
                                            "cells => cells.map(c => c.textContent)")
    return chart, names


def shot(name: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"screenshot: {SCREENSHOTS / name}")
    return str(SCREENSHOTS / name)


async def test_log_work_then_a_steward_validates_it_and_the_chart_changes(open_page, served):
    page = await open_page()
    chart_before, names_before = await standing_of(page, served)
    assert names_before == ["Carol"] and "Alice" not in chart_before

    await sign_in(page, served, "alice")
    await page.goto(f"{served.url}/pools/garden")
    await page.click("text=Log a contribution to this pool")
    assert await page.input_value("#pool") == "garden"
    await page.fill("#effort", "3h")
    await page.select_option("#kind", "design")
    await page.fill("#summary", "drew the plan for the new beds")
    await page.fill("#evidence", "https://files.example/garden/plan.pdf")
    await page.click("text=Log contribution")
    await page.wait_for_selector(".status-pending")
    contribution = page.url
    assert await page.inner_text("h1") == "drew the plan for the new beds"
    await sign_out(page)

    await sign_in(page, served, "bob")
    await page.goto(f"{served.url}/pools/garden")
    await page.click("text=Review them")
    item = page.locator("article.pending-item", has_text="drew the plan for the new beds")
    await page.screenshot(path=shot("review-queue.png"), full_page=True)
    await item.locator("button", has_text="Validate").click()
    await page.wait_for_selector("text=Validated: it now counts toward standing.")
    assert contribution_store.contribution(served.node.db, contribution).status == "validated"

    chart_after, names_after = await standing_of(page, served)
    assert chart_after != chart_before and "Alice" in chart_after
    assert sorted(names_after) == ["Alice", "Carol"]
    # 3 h against carol's 2 h: alice now ranks first.
    assert names_after[0] == "Alice"
    await page.screenshot(path=shot("pool-page.png"), full_page=True)


async def test_a_bad_effort_is_shown_beside_the_field_and_the_rest_is_kept(open_page, served):
    page = await open_page(PHONE)
    await sign_in(page, served, "carol")
    await page.goto(f"{served.url}/contribute?pool=wiki")
    size = log_store.log_size(served.node.db)
    await page.fill("#effort", "three hours")
    await page.select_option("#kind", "translation")
    await page.fill("#summary", "translated the tool page")
    await page.fill("#evidence", "https://wiki.example/tools/fr")
    await page.fill("#date", "2026-01-20")
    await page.click("text=Log contribution")
    error = page.locator("#field-effort .field-error")
    await error.wait_for()
    assert "Cannot read effort 'three hours'" in await error.inner_text()
    assert await page.get_attribute("#effort", "aria-invalid") == "true"
    assert await page.input_value("#effort") == "three hours"
    assert await page.input_value("#pool") == "wiki"
    assert await page.input_value("#kind") == "translation"
    assert await page.input_value("#summary") == "translated the tool page"
    assert await page.input_value("#evidence") == "https://wiki.example/tools/fr"
    assert await page.input_value("#date") == "2026-01-20"
    assert await page.locator(".field-error").count() == 1
    assert log_store.log_size(served.node.db) == size
    # Readable on a phone: nothing is wider than the screen.
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=shot("contribute-error-phone.png"), full_page=True)


async def test_a_forged_csrf_token_is_refused(open_page, served):
    page = await open_page()
    await sign_in(page, served, "alice")
    await page.goto(f"{served.url}/contribute")
    size = log_store.log_size(served.node.db)
    await page.select_option("#pool", "garden")
    await page.fill("#effort", "1h")
    await page.select_option("#kind", "care")
    await page.fill("#summary", "this should never be logged")
    await page.eval_on_selector("form.stacked input[name=csrf]", "input => input.value = 'forged'")
    async with page.expect_response(f"{served.url}/contribute") as answer:
        await page.click("text=Log contribution")
    assert (await answer.value).status == 403
    assert await page.inner_text("h1") == "403 Forbidden"
    assert "not issued to this browser" in await page.inner_text("main")
    assert log_store.log_size(served.node.db) == size
    await page.screenshot(path=shot("csrf-refused.png"))


async def test_the_pages_read_well_on_a_phone(open_page, served):
    page = await open_page(PHONE)
    for path in ("/", "/pools/garden", "/users/carol", "/log"):
        await page.goto(served.url + path)
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], path
    await page.goto(f"{served.url}/pools/garden")
    assert re.search(r"Carol", await page.inner_html("figure.chart svg"))
    await page.screenshot(path=shot("pool-page-phone.png"), full_page=True)
    await page.goto(f"{served.url}/")
    await page.screenshot(path=shot("home-phone.png"), full_page=True)
