"""Every page type through axe-core (WCAG 2.2 A/AA), the Nu HTML Checker, and lychee for links."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .browser_tools import AXE, ROOT, VNU, require

pytestmark = pytest.mark.browser

PAGE_TYPES = (
    "index.html", "briefs/syria-transition.html", "sources/bne-2015-12-15-closer-path.html",
    "actors/john-kerry.html", "actors.html", "timeline.html", "timeline/sanctions.html",
    "stances.html", "search.html", "search.html?q=kerry", "404.html",
)
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_wcag_violation_on_any_page_type(browser, base_url, scheme: str) -> None:
    axe = require(AXE, "axe-core", "run `npm ci --ignore-scripts` in the project folder")
    # bypass_csp: the site's policy rightly refuses injected scripts, and axe is one.
    context = browser.new_context(bypass_csp=True, color_scheme=scheme)
    page = context.new_page()
    found = {}
    for path in PAGE_TYPES:
        page.goto(base_url + path)
        if "?q=" in path:
            page.locator("#search-results li").first.wait_for()
        page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
        page.add_script_tag(path=axe)
        result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_AA)
        violations = [f"{v['id']}: {v['help']} ({len(v['nodes'])}x, e.g. {v['nodes'][0]['target']})"
                      for v in result["violations"]]
        if violations:
            found[path] = violations
    context.close()
    assert found == {}, json.dumps(found, indent=1)


def test_the_nu_html_checker_finds_no_error_on_any_page(site: Path) -> None:
    jar = require(VNU, "the Nu HTML Checker", "run `npm ci --ignore-scripts` in the project folder")
    java = require(shutil.which("java"), "Java", "run scripts/system-tools.sh (apt-get install default-jre-headless)")
    run = subprocess.run([java, "-jar", jar, "--errors-only", "--skip-non-html", str(site)],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr or run.stdout
    assert len(list(site.rglob("*.html"))) > 30


def lychee() -> str:
    return require(shutil.which("lychee", path=str(Path(sys.executable).parent)), "lychee",
                   "install the test extra: pip install -e '.[test]'")


def test_lychee_finds_no_broken_link_or_fragment_offline(site: Path) -> None:
    run = subprocess.run([lychee(), "--offline", "--include-fragments", "--no-progress", "--format", "json",
                          str(site)], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["errors"] == 0 and report["successful"] > 1000, report


def test_the_site_served_under_a_sub_path_has_no_broken_link(site: Path, base_url: str) -> None:
    """Every page fetched over HTTP below /briefs/; every link and fragment on it must resolve there."""
    pages = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    escaped = base_url.replace(".", r"\.")
    run = subprocess.run([lychee(), "--include-fragments", "--no-progress", "--format", "json",
                          "--exclude", ".*", "--include", f"^{escaped}", "--max-concurrency", "8",
                          *(base_url + page for page in pages)],
                         capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    report = json.loads(run.stdout)
    assert report["errors"] == 0 and report["successful"] > 500, report
