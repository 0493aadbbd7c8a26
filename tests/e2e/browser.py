"""What the browser tests share: Debian's Chromium, a phone-sized screen, screenshots.

The browser is Debian's ``chromium`` driven by Playwright with ``executable_path`` (never a
browser Playwright downloads). Screenshots go to ``tests/e2e/artifacts/`` (not committed).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
PHONE = {"width": 390, "height": 844}
# Nothing but the page under test: no background traffic, no updates, no GPU in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def missing(what: str) -> None:
    message = f"{what}; the browser test is skipped (apt-get install -y chromium; pip install playwright)"
    if os.environ.get("CI"):
        pytest.fail(message + " — but CI must run it")
    pytest.skip(message)


def shot(page: Any, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
