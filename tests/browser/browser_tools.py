"""Paths and helpers the browser tests share (imported by the tests and their conftest)."""

from __future__ import annotations

import os
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NODE_MODULES = ROOT / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = os.environ.get("MAKE_BRIEF_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SUBPATH = "/briefs/"  # the site is served below this, as on a shared host
SCREENSHOTS = ROOT / ".cache" / "screenshots"


def require(path: Path | str | None, what: str, fix: str) -> str:
    """The tool's path, or a failure that says how to install it (these tests must not be skipped)."""
    if path is None or not Path(path).exists():
        pytest.fail(f"{what} is missing ({path}); {fix}", pytrace=False)
    return str(path)


class SubPathHandler(SimpleHTTPRequestHandler):
    """Serves the site only below SUBPATH; everything else is a 404, so a root-relative link shows up."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        pass

    def translate_path(self, path: str) -> str:
        if not path.startswith(SUBPATH):
            return str(Path(self.directory) / ".no-such-file")
        return super().translate_path("/" + path[len(SUBPATH):])
