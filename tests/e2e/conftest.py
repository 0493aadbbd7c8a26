"""Fixtures of the browser tests: Playwright (or a skip, outside CI) and the platform on a live server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from tests.e2e.browser import ARTIFACTS, CHROMIUM, CHROMIUM_ARGS, PHONE, missing
from thongthin import demo
from thongthin.app import create_app


@pytest.fixture(scope="module")
def sync_playwright() -> Any:
    if not CHROMIUM.exists():
        missing(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright as start
    except ImportError:
        missing("the playwright package is not installed")
    return start


@pytest.fixture(scope="module")
def live_server(platform: Any) -> Iterator[str]:
    """The platform's app served over HTTP on a free port of 127.0.0.1, with the demo town."""
    platform.db(demo.seed(platform.catalog))
    app = create_app(platform.settings, platform_=platform)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="portal-live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page(sync_playwright: Any, live_server: str) -> Iterator[Any]:
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="th-TH", is_mobile=True)
        page = context.new_page()
        page.set_default_timeout(15_000)
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.console_errors = console_errors  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()
