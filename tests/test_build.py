"""The built output: every quote in its brief's HTML and PDF, every link resolves, builds are repeatable."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

from briefing.build import OUTPUT_MARKER, BuildResult, build, gather
from briefing.config import Config, load_config
from briefing.errors import ContentError, UsageError
from briefing.text import fold

from conftest import pdf_text

PROFILES = ["minsk-implementation", "sanctions", "savchenko-case", "syria-ceasefire", "syria-transition"]


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if "id" in attributes:
            self.ids.add(attributes["id"])
        for key in ("href", "src"):
            if attributes.get(key):
                self.links.append(attributes[key])


def _output(project: Path) -> dict[Path, bytes]:
    """Every file of the project's ``out/`` with its bytes."""
    return {p: p.read_bytes() for p in (project / "out").rglob("*") if p.is_file()}


def _nothing_left_rendering() -> None:
    """No thread collecting PDFs and no worker process outlived the build."""
    import multiprocessing
    import threading

    assert [thread.name for thread in threading.enumerate() if thread.name == "make-brief-pdfs"] == []
    assert multiprocessing.active_children() == []


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def test_the_site_has_an_index_five_briefs_eleven_pdfs_and_five_source_pages(built: BuildResult) -> None:
    out = built.out
    assert (out / "index.html").is_file()
    assert sorted(p.stem for p in (out / "briefs").glob("*.html")) == PROFILES
    assert sorted(p.stem for p in (out / "pdf").glob("*.pdf")) == sorted(
        [*PROFILES, *(f"{p}-handout" for p in PROFILES), "briefing-book"])
    assert len(list((out / "sources").glob("*.html"))) == 5
    assert (out / OUTPUT_MARKER).is_file()


def test_every_quote_appears_in_its_brief_page_and_its_pdf(built: BuildResult, config: Config) -> None:
    project = gather(config)
    for profile_id in PROFILES:
        page = html.unescape((built.out / "briefs" / f"{profile_id}.html").read_text(encoding="utf-8"))
        pdf = fold(pdf_text(built.out / "pdf" / f"{profile_id}.pdf"))
        page = fold(re.sub(r"<[^>]+>", "", page))
        for quote in project.profiles[profile_id].quotes:
            assert fold(quote.text) in page, (profile_id, quote.id)
            assert fold(quote.text) in pdf, (profile_id, quote.id)
        for fact in project.profiles[profile_id].facts:
            assert fold(fact.statement) in page, (profile_id, fact.id)


def test_every_internal_link_and_fragment_resolves(built: BuildResult) -> None:
    out = built.out
    pages = {path: _parse(path) for path in out.rglob("*.html")}
    checked = 0
    for path, parsed in pages.items():
        for link in parsed.links:
            url = urlparse(link)
            if url.scheme in ("http", "https", "mailto"):
                continue
            assert not url.scheme and not link.startswith("/"), f"{path}: link {link!r} is not relative"
            target = (path.parent / unquote(url.path)).resolve() if url.path else path
            assert target.is_file(), f"{path.relative_to(out)}: broken link {link!r}"
            assert out.resolve() in target.parents
            if url.fragment:
                assert url.fragment in pages[target].ids, f"{path.relative_to(out)}: no #{url.fragment} in {link!r}"
            checked += 1
    assert checked > 200


def test_every_citation_on_a_brief_page_points_at_the_cited_paragraph(built: BuildResult, config: Config) -> None:
    project = gather(config)
    for profile_id in PROFILES:
        page = (built.out / "briefs" / f"{profile_id}.html").read_text(encoding="utf-8")
        anchors = set(re.findall(r'href="\.\./sources/([a-z0-9-]+)\.html#p(\d+)"', page))
        expected = {(c.source, str(c.paragraph)) for c in project.briefs[profile_id].citations()}
        assert anchors == expected


def test_two_builds_are_byte_identical(built: BuildResult, config: Config, tmp_path: Path) -> None:
    again = build(config, out=tmp_path / "again")
    first = {p.relative_to(built.out): p.read_bytes() for p in built.out.rglob("*") if p.is_file()}
    second = {p.relative_to(again.out): p.read_bytes() for p in again.out.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_a_build_of_the_book_alone_binds_the_book_the_full_build_binds(built: BuildResult, config: Config,
                                                                          tmp_path: Path) -> None:
    # Its only product is the book, so no PDF of its own is wanted: the book must be bound all the same.
    result = build(config, out=tmp_path / "out", products=("book",), html=False)
    assert sorted(p for p in result.files if p.endswith(".pdf")) == ["pdf/briefing-book.pdf"]
    assert (tmp_path / "out" / "pdf" / "briefing-book.pdf").read_bytes() == \
        (built.out / "pdf" / "briefing-book.pdf").read_bytes()


def test_a_failed_build_leaves_the_previous_output_untouched(project: Path) -> None:
    config = load_config(project / "config.yaml")
    build(config, html=True, pdf=False)
    before = _output(project)
    profile = project / "profiles" / "sanctions.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("speaker: john-kerry", "speaker: jon-kerry", 1),
                       encoding="utf-8")
    with pytest.raises(ContentError):
        build(config, html=True, pdf=False)
    after = _output(project)
    assert before == after
    assert [p.name for p in project.iterdir() if p.name.startswith(".out.")] == []


def test_a_folder_not_made_by_make_brief_is_never_replaced(project: Path) -> None:
    config = load_config(project / "config.yaml")
    notes = project / "notes"
    notes.mkdir()
    (notes / "draft.txt").write_text("my work")
    with pytest.raises(UsageError, match="refusing to replace .*notes: it exists and was not made by make-brief"):
        build(config, out=notes, pdf=False)
    assert (notes / "draft.txt").read_text() == "my work"
    with pytest.raises(UsageError, match="it holds the project's own files"):
        build(config, out=project / "profiles", pdf=False)


def test_building_named_profiles_builds_only_those(project: Path) -> None:
    config = load_config(project / "config.yaml")
    result = build(config, wanted=("sanctions",), pdf=False)
    assert [v.id for v in result.briefs] == ["sanctions"]
    assert sorted(p.name for p in (project / "out" / "briefs").iterdir()) == ["sanctions.html"]
    with pytest.raises(UsageError, match="no profile 'sanction' \\(did you mean 'sanctions'\\?\\)"):
        build(config, wanted=("sanction",), pdf=False)


def test_pdfs_are_tagged_titled_with_embedded_fonts_and_page_numbers(built: BuildResult) -> None:
    import subprocess

    path = built.out / "pdf" / "syria-transition.pdf"
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Tagged:          yes" in info
    assert "Title:           Syria: the political transition" in info
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts)
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert f"Page {pages} of {pages}" in pdf_text(path)


def _rendered_jobs(monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Record the paths of the PDF jobs a build renders: beside the site from the start (the book's parts
    rendered ahead among them), and after the briefs."""
    import briefing.pdf as pdf

    started: list[str] = []
    afterwards: list[str] = []
    rendering = pdf.Rendering.__init__
    render_jobs = pdf.render_jobs
    after_the_briefs = []

    def recording_rendering(self, jobs, *args, **kwargs):
        (afterwards if after_the_briefs else started).extend(job.path for job in jobs)
        rendering(self, jobs, *args, **kwargs)

    def recording_render_jobs(jobs, *args, **kwargs):
        after_the_briefs.append(True)  # render_jobs goes through a Rendering of its own
        try:
            return render_jobs(jobs, *args, **kwargs)
        finally:
            after_the_briefs.pop()

    monkeypatch.setattr(pdf.Rendering, "__init__", recording_rendering)
    monkeypatch.setattr(pdf, "render_jobs", recording_render_jobs)
    return started, afterwards


def test_the_books_parts_an_edit_changes_render_beside_its_brief_when_the_brief_keeps_its_layout(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = load_config(project / "config.yaml")
    book_only = dict(html=False, products=("brief", "book"))  # the rest of the site is not at stake here
    build(config, workers=2, **book_only)
    profile = project / "profiles" / "sanctions.yaml"

    def edited_build_binds_what_a_build_from_nothing_binds(*edits: tuple[str, str]) -> tuple[list[str], list[str]]:
        text = profile.read_text(encoding="utf-8")
        for old, new in edits:
            assert old in text
            text = text.replace(old, new, 1)
        profile.write_text(text, encoding="utf-8")
        started, afterwards = _rendered_jobs(monkeypatch)
        build(config, workers=2, **book_only)
        monkeypatch.undo()
        fresh = build(config, out=tmp_path / "fresh", force=True, **book_only)
        assert (project / "out" / "pdf" / "briefing-book.pdf").read_bytes() == \
            (fresh.out / "pdf" / "briefing-book.pdf").read_bytes()
        return started, afterwards

    # A new title: the contents and the matrix show it. They were worked out from where the brief's
    # pages fell before and rendered with it, and nothing waited for the brief to render them.
    started, afterwards = edited_build_binds_what_a_build_from_nothing_binds(('title: "Russia:', 'title: "Moscow:'))
    assert {"pdf/sanctions.pdf", "pdf/briefing-book.pdf (contents, part 1)"} <= set(started)
    assert any(path.startswith("pdf/briefing-book.pdf (matrix") for path in started)
    assert afterwards == []
    # Another title and a brief pages longer: the parts guessed from its old length were not the
    # book's, which rendered its own once the brief was done.
    longer = "outlook: |\n  " + "The sanctions regime will be extended again after a long debate. " * 160
    started, afterwards = edited_build_binds_what_a_build_from_nothing_binds(
        ('title: "Moscow:', 'title: "Russia:'), ("outlook: |\n  ", longer))
    assert "pdf/briefing-book.pdf (contents, part 1)" in started
    assert "pdf/briefing-book.pdf (contents, part 1)" in afterwards


def test_the_book_starts_binding_while_the_site_is_still_being_rendered(project: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import briefing.binding
    import briefing.build

    config = load_config(project / "config.yaml")
    binding_started = threading.Event()
    bind = briefing.binding.Binding.__init__
    site_pages = briefing.build.site_pages

    def noting_binding(self, *args, **kwargs):
        binding_started.set()
        bind(self, *args, **kwargs)

    def site_pages_waiting_for_the_binding(*args, **kwargs):
        # Were the book bound only once the site is done, this would wait in vain.
        assert binding_started.wait(timeout=120), "the book waited for the site"
        return site_pages(*args, **kwargs)

    monkeypatch.setattr(briefing.binding.Binding, "__init__", noting_binding)
    monkeypatch.setattr(briefing.build, "site_pages", site_pages_waiting_for_the_binding)
    result = build(config, workers=2)
    assert "pdf/briefing-book.pdf" in result.files


def test_a_site_that_fails_while_the_pdfs_render_stops_them_and_writes_nothing(project: Path,
                                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import briefing.build
    from briefing.errors import RenderError

    config = load_config(project / "config.yaml")
    build(config, pdf=False)
    before = _output(project)

    def failing_site_pages(*args, **kwargs):
        raise RenderError("templates/brief.html:3: the site failed")

    monkeypatch.setattr(briefing.build, "site_pages", failing_site_pages)
    with pytest.raises(RenderError, match="the site failed"):
        build(config, workers=2)
    assert _output(project) == before
    _nothing_left_rendering()


def test_a_book_that_fails_to_bind_after_the_site_was_staged_leaves_the_output_untouched(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import briefing.build
    from briefing.errors import RenderError

    config = load_config(project / "config.yaml")
    build(config, pdf=False)
    before = _output(project)
    staged: list[Path] = []
    add = briefing.build.StagedOutput.add

    def noting_add(self, files):
        staged.extend(self.staging / path for path in files)
        add(self, files)

    def failing_binding(self):
        assert staged and all(path.exists() for path in staged)  # the site went in while the book was bound
        raise RenderError("binding the briefing book failed: the disk is full")

    monkeypatch.setattr(briefing.build.StagedOutput, "add", noting_add)
    monkeypatch.setattr(briefing.build.PendingBook, "result", failing_binding)
    with pytest.raises(RenderError, match="the disk is full"):
        build(config, workers=2)
    assert _output(project) == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".out.")] == []


def test_a_handout_that_fails_after_the_book_started_binding_stops_the_build_and_the_binding(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import briefing.binding
    from briefing.errors import RenderError

    config = load_config(project / "config.yaml")
    build(config, pdf=False)
    before = _output(project)
    bindings: list = []
    bind = briefing.binding.Binding.__init__

    def noting_binding(self, *args, **kwargs):
        bind(self, *args, **kwargs)
        bindings.append(self)

    monkeypatch.setattr(briefing.binding, "PARTS_BOUND_APART", 1)  # bound in a process, which must not outlive it
    monkeypatch.setattr(briefing.binding.Binding, "__init__", noting_binding)
    (project.parent / "outside.png").write_bytes(b"not read")
    template = project / "templates" / "handout_print.html"
    text = template.read_text(encoding="utf-8")
    assert '<body class="handout">' in text
    template.write_text(text.replace('<body class="handout">', '<body class="handout"><img src="../../outside.png" alt="">'),
                        encoding="utf-8")
    with pytest.raises(RenderError, match="handout.pdf: the PDF may only use files inside the project"):
        # One brief and its handout: a job each, rendered in that order by one worker, the other core left to the site.
        build(config, wanted=("savchenko-case",), workers=2)
    assert len(bindings) == 1 and bindings[0]._process.poll() is not None  # the briefs were done, the book begun
    assert _output(project) == before
    _nothing_left_rendering()
