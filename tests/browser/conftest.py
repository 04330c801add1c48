"""Browser-test fixtures: the built site served under a sub-path, and Debian's Chromium driven by Playwright.

Nothing is downloaded here: Chromium comes from the system (scripts/system-tools.sh installs
it), axe-core and the Nu HTML Checker from the project's package-lock.json (``npm ci``),
Playwright and lychee from the ``test`` extra. A missing tool fails the test with the
command that installs it; ``make test`` runs them all.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from briefing.build import BuildResult

from .browser_tools import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, SUBPATH, SubPathHandler, require


@pytest.fixture(scope="session")
def site(built: BuildResult) -> Path:
    return built.out


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """The site over HTTP at http://127.0.0.1:<port>/briefs/ (search needs http, not file://)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(SubPathHandler, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}{SUBPATH}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = require(shutil.which(CHROMIUM) or CHROMIUM, "Chromium", "run scripts/system-tools.sh (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
