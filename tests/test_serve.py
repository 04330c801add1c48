"""make-brief serve: builds, serves on localhost, rebuilds on a change and tells the browser to reload."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8")


def _wait_for(check, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            value = check()
        except (urllib.error.URLError, ConnectionError, OSError):
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


@pytest.fixture
def served(project: Path):
    port = _free_port()
    command = Path(sys.executable).parent / "make-brief"
    process = subprocess.Popen([str(command), "serve", "--html-only", "--port", str(port)],
                               cwd=project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        def up() -> bool:
            assert process.poll() is None, process.communicate()[0]
            return _get(f"http://127.0.0.1:{port}/__make-brief/version")[0] == 200

        _wait_for(up)
        yield f"http://127.0.0.1:{port}/", process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_rebuilds_when_a_profile_changes_and_the_page_reloads(served, project: Path) -> None:
    base, _ = served
    status, page = _get(base + "briefs/sanctions.html")
    assert status == 200 and "<h1>Russia: Western sanctions over Crimea and Ukraine</h1>" in page
    assert '<script src="/__make-brief/reload.js"></script></body>' in page  # added in serve mode only
    assert "reload" not in (project / "out" / "briefs" / "sanctions.html").read_text(encoding="utf-8")
    version = _get(base + "__make-brief/version")[1]

    profile = project / "profiles" / "sanctions.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace(
        'title: "Russia: Western sanctions over Crimea and Ukraine"', 'title: "Russia: sanctions, revised"'),
        encoding="utf-8")
    _wait_for(lambda: "<h1>Russia: sanctions, revised</h1>" in _get(base + "briefs/sanctions.html")[1])
    # What the page's script polls for; it moves just after the new site is swapped in.
    _wait_for(lambda: _get(base + "__make-brief/version")[1] != version, seconds=10)


def test_serve_keeps_the_last_good_site_when_a_rebuild_fails(served, project: Path) -> None:
    base, process = served
    profile = project / "profiles" / "sanctions.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("speaker: john-kerry", "speaker: jon-kerry", 1),
                       encoding="utf-8")
    status, _ = _get(base + "no/such/page.html")
    assert status == 404
    time.sleep(2)  # the watcher's debounce and a rebuild attempt
    status, page = _get(base + "briefs/sanctions.html")
    assert status == 200 and "Western sanctions" in page
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert "profiles/sanctions.yaml" in output and "still serving the previous site" in output
