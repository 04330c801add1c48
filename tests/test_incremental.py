"""The build engine: what each kind of edit re-renders (observed), no-op speed, and atomic output."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from briefing.build import build
from briefing.config import load_config

OTHER_BRIEF_OUTPUTS = ["briefs/syria-ceasefire.html", "pdf/syria-ceasefire.pdf", "pdf/syria-ceasefire-handout.pdf",
                       "briefs/minsk-implementation.html", "pdf/minsk-implementation.pdf"]


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One built copy of the project for the whole module: each test makes its own edit and
    observes what the next build re-renders (so the tests stay fast)."""
    from conftest import PROJECT_DIRS, PROJECT_FILES, ROOT
    import shutil

    project = tmp_path_factory.mktemp("incremental")
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, project / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, project / name)
    build(load_config(project / "config.yaml"))
    return project


def rebuild(project: Path):
    return build(load_config(project / "config.yaml"))


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_second_build_with_no_change_renders_nothing(built_project: Path) -> None:
    before = {p: p.read_bytes() for p in (built_project / "out").rglob("*") if p.is_file()}
    result = rebuild(built_project)
    assert result.rebuilt == ()
    # Below the whole-build fingerprint, every output's own key says the same.
    for state in (built_project / ".cache").glob("build-*.json"):
        state.write_text(state.read_text(encoding="utf-8").replace('"fingerprint": "', '"fingerprint": "stale'),
                         encoding="utf-8")
    result = rebuild(built_project)
    assert result.rebuilt == ()
    assert len(result.reused) == len(before) - 1  # every output but the marker file
    assert {p: p.read_bytes() for p in (built_project / "out").rglob("*") if p.is_file()} == before


def test_other_code_of_the_same_version_renders_everything_anew(project: Path, monkeypatch) -> None:
    """Every cache key carries a digest of the package's code, not just its version number."""
    from briefing import buildcache

    config = load_config(project / "config.yaml")
    first = build(config, pdf=False)
    assert build(config, pdf=False).rebuilt == ()
    # Another checkout: the same version number, other code.
    monkeypatch.setattr(buildcache, "_PACKAGE", buildcache._PACKAGE / "site")
    buildcache.code_version.cache_clear()
    try:
        again = build(config, pdf=False)
    finally:
        buildcache.code_version.cache_clear()
    pages = {path for path in first.rebuilt if path.endswith(".html") or path.startswith("pagefind/")}
    assert len(pages) > 50 and pages <= set(again.rebuilt)
    # What is left is copied or written whole on every build, and compared by its bytes.
    assert {path for path in again.reused if not path.startswith("assets/")} == {"feed.xml", "robots.txt", "sitemap.xml"}


def test_editing_one_profile_rerenders_its_outputs_and_not_the_other_briefs(built_project: Path) -> None:
    edit(built_project / "profiles" / "sanctions.yaml", "outlook: |\n", "outlook: |\n  A new first line.\n")
    result = rebuild(built_project)
    assert {"briefs/sanctions.html", "pdf/sanctions.pdf", "pdf/briefing-book.pdf"} <= set(result.rebuilt)
    assert set(OTHER_BRIEF_OUTPUTS) <= set(result.reused)
    assert "pdf/sanctions-handout.pdf" in result.reused  # the handout does not print the outlook
    assert "A new first line." in (built_project / "out" / "briefs" / "sanctions.html").read_text(encoding="utf-8")


def prepared_jobs(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths of the PDF jobs whose print HTML the builds that follow prepare."""
    from briefing import handout, products

    prepared: list[str] = []
    for module, name in ((products, "brief_job"), (handout, "handout_job")):
        def counting(*args, _original=getattr(module, name), **kwargs):
            job = _original(*args, **kwargs)
            prepared.append(job.path)
            return job
        monkeypatch.setattr(module, name, counting)
    return prepared


def test_a_build_in_a_fresh_process_prepares_only_the_pdf_jobs_whose_inputs_changed(
        built_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = prepared_jobs(monkeypatch)
    edit(built_project / "profiles" / "sanctions.yaml", "outlook: |\n", "outlook: |\n  Prepared anew.\n")
    result = rebuild(built_project)  # each rebuild is a fresh workspace, as in a process of its own
    assert sorted(prepared) == ["pdf/sanctions-handout.pdf", "pdf/sanctions.pdf"]
    # The handout does not print the outlook: prepared, found the same job, and reused.
    assert "pdf/sanctions.pdf" in result.rebuilt and "pdf/sanctions-handout.pdf" in result.reused
    prepared.clear()
    edit(built_project / "profiles" / "syria-ceasefire.yaml", "outlook: |\n", "outlook: |\n  Prepared anew.\n")
    rebuild(built_project)
    assert sorted(prepared) == ["pdf/syria-ceasefire-handout.pdf", "pdf/syria-ceasefire.pdf"]


@pytest.mark.parametrize("change", ["template", "config"])
def test_what_every_pdf_job_is_prepared_from_prepares_them_all_again(
        built_project: Path, monkeypatch: pytest.MonkeyPatch, change: str) -> None:
    prepared = prepared_jobs(monkeypatch)
    if change == "template":  # included by every print template: its every PDF changes
        path, old, new = built_project / "templates" / "_print.html", "</head>", "<!-- edited --></head>"
    else:  # the author of every PDF
        path, old, new = built_project / "config.yaml", "organisation: Make-Brief", "organisation: The"
    original = path.read_text(encoding="utf-8")
    edit(path, old, new)
    try:
        result = rebuild(built_project)
        pdfs = {p.relative_to(built_project / "out").as_posix() for p in (built_project / "out" / "pdf").iterdir()}
        assert set(prepared) == pdfs - {"pdf/briefing-book.pdf"}
        assert pdfs <= set(result.rebuilt)
    finally:
        path.write_text(original, encoding="utf-8")
        rebuild(built_project)


def test_a_rebuild_links_the_files_it_reuses_and_writes_only_the_rest(built_project: Path) -> None:
    out = built_project / "out"
    before = {path: (out / path).stat().st_ino for path in OTHER_BRIEF_OUTPUTS + ["briefs/sanctions.html"]}
    edit(built_project / "profiles" / "sanctions.yaml", "outlook: |\n", "outlook: |\n  Another first line.\n")
    result = rebuild(built_project)
    assert "briefs/sanctions.html" in result.rebuilt and set(OTHER_BRIEF_OUTPUTS) <= set(result.reused)
    # The new out/ holds the very files the previous one did (hard links), and a new one for the edit.
    assert all((out / path).stat().st_ino == before[path] for path in OTHER_BRIEF_OUTPUTS)
    assert (out / "briefs/sanctions.html").stat().st_ino != before["briefs/sanctions.html"]
    # A reused file tampered with in out/ since is not linked but written again, as recorded.
    tampered = out / OTHER_BRIEF_OUTPUTS[0]
    original = tampered.read_bytes()
    os.unlink(tampered)
    tampered.write_bytes(original.replace(b"</html>", b"<!-- tampered --></html>"))
    edit(built_project / "profiles" / "sanctions.yaml", "Another first line.", "Yet another first line.")
    result = rebuild(built_project)
    assert OTHER_BRIEF_OUTPUTS[0] in result.rebuilt
    assert (out / OTHER_BRIEF_OUTPUTS[0]).read_bytes() == original


def pages(paths: tuple[str, ...]) -> set[str]:
    """The web pages among ``paths`` (not the PDFs, the feed or the search index)."""
    return {path for path in paths if path.endswith(".html") and not path.startswith("pagefind/")}


def search_bundles(paths: tuple[str, ...]) -> set[str]:
    """The search bundles that ``paths`` belong to: "primary" for pagefind/ itself, else the sub-folder's name."""
    return {path.split("/")[1] if path.count("/") > 1 and path.split("/")[1] not in ("index", "fragment", "filter")
            else "primary" for path in paths if path.startswith("pagefind/")}


def test_editing_a_bottom_line_rerenders_only_the_brief_the_home_page_and_their_search_bundles(
        built_project: Path) -> None:
    edit(built_project / "profiles" / "syria-transition.yaml", "summary: |\n", "summary: |\n  Reviewed.\n")
    result = rebuild(built_project)
    # The timeline, stances, actor, source, search and 404 pages do not show a bottom line.
    assert pages(result.rebuilt) == {"briefs/syria-transition.html", "index.html"}
    assert {"timeline.html", "stances.html", "search.html", "404.html", "actors.html"} <= set(result.reused)
    # Re-indexed: the bundles of the brief's page and of its PDFs; the source articles and actors are not.
    assert search_bundles(result.rebuilt) == {"briefs-0", "pdfs-0"}
    assert search_bundles(result.reused) >= {"primary", "actors"}


def test_editing_the_actor_registry_rerenders_the_pages_that_show_the_actor(built_project: Path) -> None:
    edit(built_project / "actors.yaml", "role: Russian Foreign Minister", "role: Foreign Minister of Russia")
    result = rebuild(built_project)
    quoting = {f"briefs/{p.stem}.html" for p in (built_project / "profiles").glob("*.yaml")
               if "speaker: sergei-lavrov" in p.read_text(encoding="utf-8")}
    assert quoting  # the brief pages name each speaker with their role
    assert pages(result.rebuilt) == {"actors/sergei-lavrov.html", "actors.html", *quoting}
    assert "timeline.html" in result.reused and "stances.html" in result.reused


def test_editing_a_page_template_rerenders_only_its_pages(built_project: Path) -> None:
    template = built_project / "templates" / "source.html"
    template.write_text(template.read_text(encoding="utf-8").replace("</article>", "</article>\n<!-- edited -->"),
                        encoding="utf-8")
    result = rebuild(built_project)
    assert pages(result.rebuilt) == {p.relative_to(built_project / "out").as_posix()
                                     for p in (built_project / "out" / "sources").glob("*.html")}
    assert search_bundles(result.rebuilt) == {"primary"}  # the source articles' bundle, which carries the engine
    assert not [path for path in result.rebuilt if path.endswith(".pdf")]


def test_editing_a_cited_article_rerenders_its_page_and_the_briefs_that_cite_it(built_project: Path) -> None:
    edit(built_project / "seeds" / "003_50f3da926bbe71fc.txt", "under a light snow", "under light snow")
    result = rebuild(built_project)
    assert "sources/agg-2015-12-15-common-ground.html" in result.rebuilt
    assert "briefs/syria-transition.html" in result.rebuilt  # cites that article
    # The Savchenko brief cites only the March 2016 article: nothing of it is re-rendered.
    assert {"briefs/savchenko-case.html", "pdf/savchenko-case.pdf", "pdf/savchenko-case-handout.pdf"} \
        <= set(result.reused)


def test_editing_an_included_template_rerenders_only_the_pages_that_include_it(built_project: Path) -> None:
    macros = built_project / "templates" / "_macros.html"
    macros.write_text(macros.read_text(encoding="utf-8") + "\n{# edited #}\n", encoding="utf-8")
    result = rebuild(built_project)
    including = {p.name for p in (built_project / "templates").glob("*.html")
                 if "_macros.html" in p.read_text(encoding="utf-8")}
    assert "brief.html" in including
    assert "briefs/sanctions.html" in result.rebuilt
    assert not [path for path in result.rebuilt if path.endswith(".pdf")]  # print templates do not use it


def test_editing_a_print_stylesheet_rerenders_only_the_pdfs_that_use_it(built_project: Path) -> None:
    stylesheet = built_project / "templates" / "book.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n/* edited */\n", encoding="utf-8")
    result = rebuild(built_project)
    assert result.rebuilt == ("pdf/briefing-book.pdf",)


def test_changing_a_config_key_rerenders_what_shows_it(built_project: Path) -> None:
    edit(built_project / "config.yaml", "description: Sourced", "description: Verified")
    result = rebuild(built_project)
    assert "index.html" in result.rebuilt
    # Of the PDFs, only the briefing book prints the description (on its cover).
    assert [path for path in result.rebuilt if path.endswith(".pdf")] == ["pdf/briefing-book.pdf"]


def test_an_incremental_build_equals_a_full_build(built_project: Path, tmp_path: Path) -> None:
    edit(built_project / "profiles" / "syria-ceasefire.yaml", "title: \"Syria: the ceasefire\"",
         "title: \"Syria: the ceasefire, reviewed\"")
    rebuild(built_project)
    fresh = build(load_config(built_project / "config.yaml"), out=tmp_path / "fresh", force=True)
    incremental = {p.relative_to(built_project / "out"): p.read_bytes()
                   for p in (built_project / "out").rglob("*") if p.is_file()}
    full = {p.relative_to(fresh.out): p.read_bytes() for p in fresh.out.rglob("*") if p.is_file()}
    assert incremental.keys() == full.keys()
    assert [str(name) for name in incremental if incremental[name] != full[name]] == []


def test_after_every_kind_of_edit_an_incremental_site_equals_a_full_build(built_project: Path, tmp_path: Path) -> None:
    config = load_config(built_project / "config.yaml")
    incremental_out = tmp_path / "site"
    build(config, html=True, pdf=False, out=incremental_out)
    edits = [
        (built_project / "profiles" / "sanctions.yaml", "outlook: |\n", "outlook: |\n  Edited again.\n"),
        (built_project / "seeds" / "003_50f3da926bbe71fc.txt", "in exchange for sanctions relief.",
         "in exchange for sanctions relief.\n\nTalks resume next week."),
        (built_project / "actors.yaml", "role: US Secretary of State", "role: Secretary of State of the United States"),
        (built_project / "templates" / "_macros.html", "read in the source", "read it in the source"),
        (built_project / "config.yaml", "description: ", "description: Checked. "),
    ]
    for number, (path, old, new) in enumerate(edits):
        edit(path, old, new)
        config = load_config(built_project / "config.yaml")
        incremental = build(config, html=True, pdf=False, out=incremental_out)
        assert incremental.reused, f"{path.name}: the incremental build rendered everything"
        fresh = build(config, html=True, pdf=False, out=tmp_path / f"fresh-{number}", force=True)
        ours = {p.relative_to(incremental_out): p.read_bytes() for p in incremental_out.rglob("*") if p.is_file()}
        full = {p.relative_to(fresh.out): p.read_bytes() for p in fresh.out.rglob("*") if p.is_file()}
        assert ours.keys() == full.keys(), path.name
        assert [str(name) for name in ours if ours[name] != full[name]] == [], path.name


def test_a_no_op_build_in_a_fresh_process_imports_neither_the_stages_nor_the_pdf_engine(built_project: Path) -> None:
    """What keeps a no-op build fast (0.4 s is the target, measured by benchmarks/desk_bench.py)."""
    command = [sys.executable, "-X", "importtime", "-m", "briefing.cli", "build"]
    subprocess.run(command, cwd=built_project, check=True, capture_output=True)
    run = subprocess.run(command, cwd=built_project, check=True, capture_output=True, text=True)
    assert run.stdout.splitlines()[-1].startswith("up to date:")
    # It still says what the handouts left out, as the build that made them did.
    assert "pdf/sanctions-handout.pdf: omitted for length:" in run.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "briefing.output" in imported  # the listing is there to read
    assert not {name for name in imported if name.split(".")[0] in ("weasyprint", "pikepdf", "pypdfium2", "lxml",
                                                                      "jinja2", "markdown")}
    assert not {"briefing.build", "briefing.site", "briefing.rendering", "briefing.extraction"} & imported


def test_a_no_op_build_still_refuses_a_folder_it_must_not_replace(built_project: Path, tmp_path: Path) -> None:
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine", encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "briefing.cli", "build", "--out", str(foreign)], cwd=built_project,
                         capture_output=True, text=True)
    assert run.returncode != 0 and "refusing to replace" in run.stdout + run.stderr
    assert (foreign / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize("delay", [0.3, 1.0, 2.0, 3.5])
def test_a_killed_build_leaves_the_previous_output_byte_for_byte(built_project: Path, delay: float) -> None:
    out = built_project / "out"
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    process = subprocess.Popen([sys.executable, "-m", "briefing.cli", "build", "--force", "--quiet"],
                               cwd=built_project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    # The next build cleans up whatever the killed one left beside out/.
    rebuild(built_project)
    assert [p.name for p in built_project.iterdir() if p.name.startswith(".out.")] == []


def test_a_build_with_nothing_to_do_still_clears_what_an_interrupted_one_left(built_project: Path) -> None:
    out = built_project / "out"
    rebuild(built_project)
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    half_written = built_project / ".out.tmp-99999"
    (half_written / "briefs").mkdir(parents=True)
    (half_written / "briefs" / "sanctions.html").write_text("<p>half", encoding="utf-8")
    out.rename(built_project / ".out.old-99999")  # stopped between its two renames
    result = rebuild(built_project)
    assert result.rebuilt == ()  # nothing needed rendering once the output was put back
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in built_project.iterdir() if p.name.startswith(".out.")] == []


def test_output_keys_do_not_depend_on_the_process(built_project: Path) -> None:
    """Keys must not follow Python's per-process string hashing (set order), or every build in a
    new process would render everything again."""
    for state in (built_project / ".cache").glob("build-*.json"):
        state.write_text(state.read_text(encoding="utf-8").replace('"fingerprint": "', '"fingerprint": "stale'),
                         encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "briefing.cli", "build", "--quiet"], cwd=built_project,
                         env={**os.environ, "PYTHONHASHSEED": "12345"}, check=True, capture_output=True, text=True)
    assert run.stdout.startswith("up to date:"), run.stdout


def test_a_cached_yaml_document_reads_back_exactly_as_composed(tmp_path: Path, monkeypatch) -> None:
    from briefing import yamlfile
    from briefing.errors import Collector

    source = tmp_path / "doc.yaml"
    source.write_text("title: T\nas_of: 2016-06-01\nwhen: 2016-06-01 10:30:00\nn: 1.5\nitems:\n  - a: [1, true, null]\n",
                      encoding="utf-8")
    cache = yamlfile.DocumentCache(tmp_path / "documents.sqlite")
    composed = yamlfile.load_yaml(source, "doc.yaml", Collector(), cache)
    monkeypatch.setattr(yamlfile, "_compose_document", lambda *args: pytest.fail("composed again"))
    cached = yamlfile.load_yaml(source, "doc.yaml", Collector(), cache)
    cache.close()
    assert (cached.data, cached.lines, cached.file) == (composed.data, composed.lines, composed.file)
    assert [type(cached.data[k]).__name__ for k in ("as_of", "when", "n")] == ["date", "datetime", "float"]


def test_a_yaml_document_that_cannot_be_cached_faithfully_is_composed_every_time(tmp_path: Path) -> None:
    from briefing import yamlfile
    from briefing.errors import Collector

    cache = yamlfile.DocumentCache(tmp_path / "documents.sqlite")
    tagged = tmp_path / "tagged.yaml"
    tagged.write_text('odd: {"$date": "2016-06-01"}\n', encoding="utf-8")  # looks like the cache's own tag
    broken = tmp_path / "broken.yaml"
    broken.write_text("a: 1\na: 2\n", encoding="utf-8")  # a duplicate key is reported on every load
    for _ in range(2):
        assert yamlfile.load_yaml(tagged, "tagged.yaml", Collector(), cache).data == {"odd": {"$date": "2016-06-01"}}
        collector = Collector()
        yamlfile.load_yaml(broken, "broken.yaml", collector, cache)
        assert [d.message for d in collector.errors] == ["duplicate key (first given on line 1)"]
    cache.close()


def test_a_new_title_leaves_the_search_index_of_the_articles_and_actors_it_cites_alone(built_project: Path) -> None:
    """The articles' and actors' pages name the briefs citing them, but outside what search indexes."""
    profile = built_project / "profiles" / "sanctions.yaml"
    edit(profile, 'title: "Russia:', 'title: "Russia, retitled:')
    result = rebuild(built_project)
    cited = [path for path in result.rebuilt if path.startswith("sources/")]
    assert cited  # their "Cited in" lines carry the new title
    assert "retitled" in (built_project / "out" / cited[0]).read_text(encoding="utf-8")
    quoted = [path for path in result.rebuilt if path.startswith("actors/")]
    assert quoted and "retitled" in (built_project / "out" / quoted[0]).read_text(encoding="utf-8")
    assert any(path.startswith("pagefind/actors/") for path in result.reused)
    assert not any(path.startswith("pagefind/actors/") for path in result.rebuilt)
    bundles = {path.split("/")[1] for path in result.rebuilt + result.reused
               if path.startswith("pagefind/") and path.count("/") > 1}
    # The articles' bundle (the primary one, at pagefind/ itself) is reused whole; the briefs' is not.
    primary = [path for path in result.reused if path.startswith("pagefind/") and path.split("/")[1] not in bundles]
    assert primary and not [path for path in result.rebuilt
                            if path.startswith("pagefind/") and path.split("/")[1] not in bundles]
    assert any(path.startswith("pagefind/briefs-") for path in result.rebuilt)
    edit(profile, 'title: "Russia, retitled:', 'title: "Russia:')


def test_the_cli_reads_each_article_once_and_not_at_all_when_nothing_changed(
        built_project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Digests noted by an earlier command stand while a file's stat signature does: the
    survey and the build do not read the desk's articles to find them unchanged."""
    from collections import Counter

    from click.testing import CliRunner

    from briefing.cli import main

    def cli_build() -> Counter[str]:
        reads: Counter[str] = Counter()
        original = Path.read_bytes

        def counted(path: Path) -> bytes:
            if path.parent.name == "seeds":
                reads[path.name] += 1
            return original(path)

        with monkeypatch.context() as patch:
            patch.setattr(Path, "read_bytes", counted)
            result = CliRunner().invoke(main, ["--config", str(built_project / "config.yaml"), "build", "--quiet"])
        assert result.exit_code == 0, result.output
        return reads

    cli_build()  # notes the digests (the articles were copied long enough ago to be trusted)
    assert cli_build() == Counter()  # nothing to do: nothing read
    edit(built_project / "profiles" / "sanctions.yaml", "outlook: |\n", "outlook: |\n  Read once.\n")
    reads = cli_build()
    articles = {p.name for p in (built_project / "seeds").iterdir() if p.is_file()}  # and their manifest
    assert set(reads) == articles and set(reads.values()) == {1}  # parsed, not read again for a digest
