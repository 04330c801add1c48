"""Hostile and broken input: untrusted text stays text, paths stay inside, limits hold, nothing is lost."""

from __future__ import annotations

import html
import os
from html.parser import HTMLParser
import re
import shutil
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from briefing.build import build, gather
from briefing.cli import main
from briefing.config import load_config
from briefing.errors import ContentError

from conftest import pdf_text

HOSTILE = Path(__file__).resolve().parent / "hostile"
MANIFEST_ENTRY = ("\n  - id: hostile-article\n    file: hostile.txt\n    outlet_type: Unknown web page\n"
                  "    reliability: F\n    date_basis: dateline\n")


def hostile_project(project: Path) -> Path:
    shutil.copy(HOSTILE / "article.txt", project / "seeds" / "hostile.txt")
    manifest = project / "seeds" / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + MANIFEST_ENTRY, encoding="utf-8")
    for path in (project / "profiles").glob("*.yaml"):
        path.unlink()
    shutil.copy(HOSTILE / "profile.yaml", project / "profiles" / "hostile.yaml")
    return project


def errors(project: Path) -> list[str]:
    try:
        gather(load_config(project / "config.yaml"))
    except ContentError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


@pytest.fixture(scope="module")
def hostile_build(tmp_path_factory: pytest.TempPathFactory):
    from conftest import PROJECT_DIRS, PROJECT_FILES, ROOT

    project = tmp_path_factory.mktemp("hostile")
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, project / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, project / name)
    hostile_project(project)
    return build(load_config(project / "config.yaml"))


class _Elements(HTMLParser):
    """Every element and attribute of a page, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self.images: list[str] = []
        self.inline_script = ""
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes.extend((name, value or "") for name, value in attrs)
        if tag == "script":
            self.scripts.append(dict(attrs).get("src") or "")
            self._in_script = True
        if tag == "img":
            self.images.append(dict(attrs).get("src") or "")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.inline_script += data


def test_markup_in_articles_and_profiles_is_escaped_on_every_page(hostile_build) -> None:
    out = hostile_build.out
    for page in out.rglob("*.html"):
        parsed = _Elements()
        parsed.feed(page.read_text(encoding="utf-8"))
        # No element or attribute the content could have injected; the only scripts are the
        # site's own files.
        assert not parsed.tags & {"iframe", "svg", "b", "style"}, page
        assert all(re.fullmatch(r"(\.\./)*assets/[a-z-]+\.js", src) for src in parsed.scripts), page
        assert all(re.fullmatch(r"(\.\./)*assets/favicon\.svg", src) for src in parsed.images), page
        assert parsed.inline_script.strip() == "", page
        assert [a for a in parsed.attributes if a[0].startswith("on") or "javascript:" in a[1]] == [], page
    brief = (out / "briefs" / "hostile.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; a trap" in brief
    assert "Hostile &lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt; {{ 7*7 }}" in brief
    assert "Judgment {{ 7*7 }} &lt;script&gt;alert(&#39;kj&#39;)&lt;/script&gt;" in brief
    assert "Position &lt;iframe src=javascript:alert(&#39;pos&#39;)&gt;&lt;/iframe&gt;" in brief
    assert "&lt;svg onload=alert(&#39;svg&#39;)&gt;" in brief
    source = (out / "sources" / "hostile-article.html").read_text(encoding="utf-8")
    assert "We reject {{ 7*7 }} and {% if true %}this{% endif %}" in html.unescape(source)
    assert "&lt;img src=x onerror=alert(2)&gt;" in source


def test_markdown_is_rendered_then_sanitised(hostile_build) -> None:
    brief = (hostile_build.out / "briefs" / "hostile.html").read_text(encoding="utf-8")
    summary = brief[brief.index('id="bluf"'):brief.index('id="judgments"')]
    assert "<strong>bottom line</strong>" in summary
    assert re.search(r"<a [^>]*>bad link</a>", summary) and "href" not in summary  # the javascript: URL is gone
    assert "alert('md')" not in summary and "<script" not in summary
    background = brief[brief.index('id="background"'):brief.index('id="positions"')]
    assert "<style" not in background and "display:none" not in background and "Background" in background
    assert "{% raw %}text{% endraw %}" in background  # Jinja syntax in content is never evaluated


def test_the_pdf_shows_the_hostile_text_literally(hostile_build) -> None:
    text = pdf_text(hostile_build.out / "pdf" / "hostile.pdf")
    assert "<script>alert(1)</script> a trap" in text
    assert "{{ 7*7 }}" in text
    assert "Judgment {{ 7*7 }} <script>alert('kj')</script>" in text
    assert "Background {% raw %}text{% endraw %}." in text


def test_the_site_forbids_inline_script(hostile_build) -> None:
    index = (hostile_build.out / "index.html").read_text(encoding="utf-8")
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', index).group(1)
    assert "script-src 'self'" in csp or "script-src 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]


def test_source_urls_must_be_http(project: Path) -> None:
    manifest = project / "seeds" / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "    date_basis: dateline\n", "    date_basis: dateline\n    url: javascript:alert(1)\n", 1), encoding="utf-8")
    assert errors(project) == [
        "seeds/manifest.yaml:10: error: sources[0].url: 'javascript:alert(1)' is not an http(s) URL"]


@pytest.mark.parametrize("bad_id", ["../escape", "/etc/passwd", "Bad Id", "a/../../b"])
def test_ids_that_try_to_escape_are_refused(project: Path, bad_id: str) -> None:
    manifest = project / "seeds" / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8").replace(
        "id: bne-2015-12-15-closer-path", f"id: '{bad_id}'", 1), encoding="utf-8")
    found = errors(project)
    assert found[0] == (f"seeds/manifest.yaml:5: error: sources[0].id: {bad_id!r} is not a valid id "
                        "(use lowercase letters, digits and single hyphens)")


def test_symlinks_out_of_the_project_are_refused(project: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    outside = tmp_path_factory.mktemp("outside")
    (outside / "secret.yaml").write_text("title: secret\n")
    (outside / "secret.txt").write_text("Secret\nBody.\n")
    os.symlink(outside / "secret.yaml", project / "profiles" / "linked.yaml")
    os.symlink(outside / "secret.txt", project / "seeds" / "linked.txt")
    manifest = project / "seeds" / "manifest.yaml"
    manifest.write_text(manifest.read_text(encoding="utf-8") + (
        "\n  - id: linked\n    file: linked.txt\n    outlet: X\n    outlet_type: X\n    reliability: F\n"
        "    date_basis: unknown\n"), encoding="utf-8")
    assert errors(project) == [
        "seeds/manifest.yaml:63: error: sources[5].file: 'linked.txt' must be the name of a file inside seeds/",
        "profiles/linked.yaml: error: profile is a link to a file outside the project; refusing it"]


def test_config_paths_outside_the_project_are_refused(project: Path) -> None:
    config = project / "config.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("  seeds: seeds", "  seeds: ../elsewhere"))
    with pytest.raises(ContentError) as caught:
        load_config(config)
    assert [str(d) for d in caught.value.diagnostics] == [
        "config.yaml:14: error: paths.seeds: '../elsewhere' is outside the project folder; use a path inside it"]


def test_a_100_mb_article_is_refused_at_once(project: Path) -> None:
    with open(project / "seeds" / "000_ae74fb9b8705560f.txt", "r+b") as stream:
        stream.truncate(100 * 1024 * 1024)
    started = time.perf_counter()
    assert errors(project) == [
        "seeds/000_ae74fb9b8705560f.txt: error: article is 100 MB, over the 25 MB limit"]
    assert time.perf_counter() - started < 5


def test_a_profile_with_10000_quotes_is_refused(project: Path) -> None:
    quote = "  - id: q{n}\n    speaker: john-kerry\n    source: bne-2015-12-15-closer-path\n    text: honest\n"
    body = (HOSTILE / "profile.yaml").read_text(encoding="utf-8").split("\nquotes:\n")[0]
    text = body + "\nquotes:\n" + "".join(quote.format(n=n) for n in range(10_000))
    for path in (project / "profiles").glob("*.yaml"):
        path.unlink()
    (project / "profiles" / "huge.yaml").write_text(text.replace("[trap]", "[]"), encoding="utf-8")
    started = time.perf_counter()
    found = errors(project)
    assert "profiles/huge.yaml:19: error: quotes: more than 2000 entries; split the profile" in found
    assert time.perf_counter() - started < 20


def test_new_profile_refuses_to_overwrite_and_writes_atomically(project: Path) -> None:
    runner = CliRunner()
    old = os.getcwd()
    os.chdir(project)
    try:
        before = (project / "profiles" / "sanctions.yaml").read_bytes()
        refused = runner.invoke(main, ["new", "sanctions"])
        created = runner.invoke(main, ["new", "turkey-incident", "--title", 'Turkey: the "downed" jet'])
        bad = runner.invoke(main, ["new", "../escape"])
    finally:
        os.chdir(old)
    assert refused.exit_code == 2
    assert refused.stderr == "error: profiles/sanctions.yaml already exists; pass --force to replace it\n"
    assert (project / "profiles" / "sanctions.yaml").read_bytes() == before
    assert created.exit_code == 0 and created.stdout == "wrote profiles/turkey-incident.yaml\n"
    assert bad.exit_code == 2
    assert [p.name for p in (project / "profiles").iterdir() if p.name.startswith(".")] == []
    # The scaffold is a valid profile as written.
    project_state = gather(load_config(project / "config.yaml"))
    assert project_state.profiles["turkey-incident"].title == 'Turkey: the "downed" jet'


def test_no_command_writes_a_curated_file(project: Path) -> None:
    curated = [p for p in project.rglob("*") if p.is_file()]
    before = {p: p.read_bytes() for p in curated}
    old = os.getcwd()
    os.chdir(project)
    try:
        runner = CliRunner()
        for args in (["check"], ["check", "--coverage"], ["build", "--html-only"], ["harvest"],
                     ["harvest", "--format", "jsonl", "--profile", "sanctions"]):
            assert runner.invoke(main, args).exit_code == 0, args
    finally:
        os.chdir(old)
    assert {p: p.read_bytes() for p in curated} == before


def test_an_article_of_a_million_quote_marks_is_harvested_in_bounded_time(project: Path, tmp_path: Path) -> None:
    article = tmp_path / "marks.txt"
    article.write_text("Headline\n" + '"' * 1_000_000 + "\n“" * 1000 + "\n", encoding="utf-8")
    old = os.getcwd()
    os.chdir(project)
    started = time.perf_counter()
    try:
        result = CliRunner().invoke(main, ["harvest", "--no-cache", "--format", "jsonl", str(article)])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    assert time.perf_counter() - started < 20
    assert "harvested 1 articles" in result.stderr
