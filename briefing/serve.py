"""Preview: build, serve ``out/`` on localhost, rebuild on every change and reload the browser.

The server is the standard library's, bound to 127.0.0.1 by default. It adds one thing
to what a static host would do: every HTML response gets a small script that asks the
server for the build number and reloads the page when it changes. The script is added
as the page is sent, never written to ``out/``, so what ``serve`` shows is what
``build`` publishes. ``watchfiles`` (Rust's notify underneath) watches the project's
curated files; a failed rebuild prints its errors and keeps the previous site up.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit

import watchfiles

from .build import build
from .config import Config
from .errors import BriefingError
from .workspace import Workspace

RELOAD_SCRIPT = "/__make-brief/reload.js"
VERSION = "/__make-brief/version"
# Polls the build number; a new number means a new build, so the page reloads.
_RELOAD_JS = b"""(function () {
  "use strict";
  var seen = null;
  function poll() {
    fetch("/__make-brief/version", { cache: "no-store" }).then(function (r) { return r.text(); })
      .then(function (v) { if (seen !== null && v !== seen) { location.reload(); } seen = v; })
      .catch(function () {})
      .then(function () { setTimeout(poll, 500); });
  }
  poll();
}());
"""
_TAG = f'<script src="{RELOAD_SCRIPT}"></script>'.encode()


@dataclass
class Preview:
    """What the server shares with the rebuild loop: where the site is and which build it shows."""

    out: Path
    version: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def bump(self) -> None:
        with self.lock:
            self.version += 1


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serves the built site, with the reload script in every page and 404.html for missing paths."""

    preview: Preview

    def __init__(self, *args, preview: Preview, **kwargs) -> None:
        self.preview = preview
        super().__init__(*args, directory=str(preview.out), **kwargs)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        """Quiet: a preview server's access log only buries the rebuild messages."""

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:  # noqa: N802 (the base class's name)
        path = urlsplit(self.path).path
        if path == VERSION:
            return self._send(HTTPStatus.OK, "text/plain", str(self.preview.version).encode())
        if path == RELOAD_SCRIPT:
            return self._send(HTTPStatus.OK, "text/javascript", _RELOAD_JS)
        target = Path(self.translate_path(self.path))
        if target.is_dir() and path.endswith("/"):
            target = target / "index.html"
        if target.is_file() and target.suffix == ".html":
            return self._send(HTTPStatus.OK, "text/html; charset=utf-8", _inject(target.read_bytes()))
        if not target.exists() and (self.preview.out / "404.html").is_file():
            page = _inject((self.preview.out / "404.html").read_bytes())
            return self._send(HTTPStatus.NOT_FOUND, "text/html; charset=utf-8", page)
        return super().do_GET()

    def _send(self, status: HTTPStatus, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _inject(html: bytes) -> bytes:
    head, marker, tail = html.rpartition(b"</body>")
    return head + _TAG + marker + tail if marker else html + _TAG


def watched_paths(config: Config) -> list[Path]:
    """The curated inputs: config.yaml, the actors file, seeds, profiles and the project's templates."""
    candidates = [config.project / config.file, config.actors, config.seeds, config.profiles, config.templates]
    return [p for p in candidates if p.exists()]


def serve(load: Callable[[], Config], *, host: str = "127.0.0.1", port: int = 8000, html: bool = True,
          pdf: bool = True, out: Path | None = None, report: Callable[[str], None] = print,
          stop: threading.Event | None = None) -> None:
    """Build, then serve and rebuild until ``stop`` is set (or the process is interrupted)."""
    config = load()
    preview = Preview((out or config.out).resolve())
    # Kept for the whole session: a rebuild reads, verifies and renders only what changed, and
    # a binding process holds the briefing book to rebind only the briefs that changed.
    workspace = Workspace(kept=True)
    if pdf:
        from .binding import LiveBinder

        workspace.binder = LiveBinder()

    def rebuild() -> None:
        started = time.perf_counter()
        try:
            result = build(load(), html=html, pdf=pdf, out=preview.out, workspace=workspace)
        except BriefingError as exc:
            for line in exc.lines():
                report(line)
            report("build failed; still serving the previous site")
            return
        preview.bump()
        report(f"built {len(result.briefs)} briefs in {time.perf_counter() - started:.1f}s "
               f"({len(result.rebuilt)} outputs rendered, {len(result.reused)} reused)")

    try:
        rebuild()
        preview.out.mkdir(parents=True, exist_ok=True)
        _serve_and_watch(preview, config, host, port, report, stop, rebuild)
    finally:
        workspace.close()


def _serve_and_watch(preview: Preview, config: Config, host: str, port: int, report: Callable[[str], None],
                     stop: threading.Event | None, rebuild: Callable[[], None]) -> None:
    server = ThreadingHTTPServer((host, port), partial(PreviewHandler, preview=preview))
    thread = threading.Thread(target=server.serve_forever, name="make-brief-serve", daemon=True)
    thread.start()
    report(f"serving {preview.out} at http://{host}:{server.server_address[1]}/ (Ctrl+C stops)")
    paths = watched_paths(config)
    report("watching " + ", ".join(str(p.relative_to(config.project)) for p in paths))
    try:
        for changes in watchfiles.watch(*paths, stop_event=stop, debounce=300, step=50,
                                        raise_interrupt=False):
            names = sorted({Path(p).name for _, p in changes})
            report(f"changed: {', '.join(names[:5])}{' …' if len(names) > 5 else ''}; rebuilding")
            rebuild()
    finally:
        server.shutdown()
        server.server_close()
