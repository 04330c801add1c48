"""The briefing book as bound from the printed briefs: pages, tags, links, bookmarks and folio."""

from __future__ import annotations

import io
import re
import subprocess
import warnings
from pathlib import Path

import pikepdf
import pytest

from briefing.binding import bind_book, printed_layout
from briefing.build import BuildResult, gather
from briefing.config import Config

PROFILES = ["minsk-implementation", "sanctions", "savchenko-case", "syria-ceasefire", "syria-transition"]


def _page_text(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


@pytest.fixture(scope="module")
def book(built: BuildResult):
    with pikepdf.open(built.out / "pdf" / "briefing-book.pdf") as pdf:
        yield pdf


def _page_number(pdf, page_object) -> int:
    return next(number for number, page in enumerate(pdf.pages, start=1) if page.obj.objgen == page_object.objgen)


def _named(pdf) -> dict[str, object]:
    names = pdf.Root.Names.Dests.Names
    return {str(names[i]): names[i + 1] for i in range(0, len(names), 2)}


def test_the_book_is_its_own_pages_then_every_brief_whole(built: BuildResult, book) -> None:
    front = 3  # cover, contents, matrix
    lengths = [printed_layout((built.out / "pdf" / f"{p}.pdf").read_bytes()).pages for p in PROFILES]
    assert len(book.pages) == front + sum(lengths)
    start = front
    for profile_id, length in zip(PROFILES, lengths):
        with pikepdf.open(built.out / "pdf" / f"{profile_id}.pdf") as brief:
            for offset in range(length):
                # The brief's page is copied, not laid out again: its drawing is there unchanged.
                theirs = brief.pages[offset].obj.Contents
                assert isinstance(theirs, pikepdf.Stream)
                assert any(stream.read_raw_bytes() == theirs.read_raw_bytes()
                           for stream in book.pages[start + offset].obj.Contents), (profile_id, offset)
        start += length


def test_every_page_but_the_cover_carries_the_book_page_number(built: BuildResult, book) -> None:
    path = built.out / "pdf" / "briefing-book.pdf"
    assert "Briefing book · page" not in _page_text(path, 1)
    for number in range(2, len(book.pages) + 1):
        assert f"Briefing book · page {number}\n" in _page_text(path, number), number
    # Each brief keeps its own "Page X of Y" beside the book's number.
    assert "Page 1 of " in _page_text(path, 4)


def test_the_tag_structure_holds_every_brief_as_a_part(book) -> None:
    root = book.Root.StructTreeRoot
    document = root.K[0] if isinstance(root.K, pikepdf.Array) else root.K
    assert document.S == "/Document"
    parts = [kid for kid in document.K if isinstance(kid, pikepdf.Dictionary) and kid.get("/S") == "/Part"]
    assert len(parts) == len(PROFILES) + 2  # and the contents and the matrix, each bound in as a part
    assert all(part.P.objgen == document.objgen for part in parts)
    numbers = root.ParentTree.Nums
    keys = {int(numbers[i]) for i in range(0, len(numbers), 2)}
    assert len(keys) == len(numbers) // 2  # no key is used twice
    for page in book.pages:
        assert int(page.obj.StructParents) in keys
        for annotation in page.obj.get("/Annots", []):
            if "/StructParent" in annotation:
                assert int(annotation.StructParent) in keys
    assert book.Root.MarkInfo.Marked is True and str(book.Root.Lang)


def test_every_internal_link_leads_where_it_says(built: BuildResult, config: Config, book) -> None:
    named = _named(book)
    path = built.out / "pdf" / "briefing-book.pdf"
    for page in book.pages:
        for annotation in page.obj.get("/Annots", []):
            if "/Dest" in annotation:
                assert str(annotation.Dest) in named, str(annotation.Dest)
    contents = _page_text(path, 2)
    project = gather(config)
    for profile_id in PROFILES:
        title = project.profiles[profile_id].title
        listed = int(re.search(re.escape(title) + r"\s*(\d+)\s*$", contents, re.M).group(1))
        assert _page_number(book, named[f"brief-{profile_id}"][0]) == listed
        positions = _page_number(book, named[f"{profile_id}-positions"][0])
        assert "Where the parties stand" in _page_text(path, positions)
        assert f"p. {positions}" in _page_text(path, 3), profile_id  # the matrix cites that page
    # A note reference inside a brief still reaches that brief's own notes.
    note = _page_number(book, named["sanctions-note-1"][0])
    assert "Notes" in _page_text(path, note) and "Russia: Western sanctions" in _page_text(path, note)


def test_bookmarks_list_the_book_parts_then_each_brief_with_its_sections(config: Config, book) -> None:
    project = gather(config)
    with book.open_outline() as outline:
        top = [item.title for item in outline.root]
        assert top == ["Contents", "Where the parties stand: all issues",
                       *(project.profiles[p].title for p in PROFILES)]
        sanctions = outline.root[2 + PROFILES.index("sanctions")]
        assert [child.title for child in sanctions.children][:2] == ["Bottom line", "Key judgments"]
        assert _page_number(book, sanctions.destination[0]) == _page_number(book, _named(book)["brief-sanctions"][0])


def test_binding_refuses_a_folio_shorter_than_the_book(built: BuildResult) -> None:
    brief = (built.out / "pdf" / "savchenko-case.pdf").read_bytes()
    with pytest.raises(ValueError, match="the folio has 1 pages; the book needs"):
        bind_book([brief, brief], _one_page_pdf(built))


def _one_page_pdf(built: BuildResult) -> bytes:
    return (built.out / "pdf" / "savchenko-case-handout.pdf").read_bytes()


def test_a_large_book_is_bound_in_a_process_of_its_own_to_the_same_bytes(built: BuildResult,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding

    parts = [(built.out / "pdf" / f"{p}.pdf").read_bytes() for p in ("sanctions", "savchenko-case")]
    stamps = (built.out / "pdf" / "briefing-book.pdf").read_bytes()  # any PDF long enough serves as folio
    monkeypatch.setattr(binding, "PARTS_BOUND_APART", 1)
    assert binding.bind_book_apart(parts, stamps) == bind_book(parts, stamps)


def test_binding_apart_that_fails_is_a_render_error_not_a_traceback(built: BuildResult,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding
    from briefing.errors import RenderError

    parts = [(built.out / "pdf" / f"{p}.pdf").read_bytes() for p in ("sanctions", "savchenko-case")]
    monkeypatch.setattr(binding, "PARTS_BOUND_APART", 1)
    with pytest.raises(RenderError, match="binding the briefing book failed: .*PdfError"):
        binding.bind_book_apart(parts, b"not a PDF")


def test_a_build_that_fails_while_the_book_is_bound_apart_stops_the_binder(project: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding, build as build_module
    from briefing.config import load_config
    from briefing.errors import RenderError

    started: list[binding.Binding] = []
    original = binding.Binding.__init__

    def recording(self, parts, folio, live=None):
        original(self, parts, folio, live)
        started.append(self)

    def failing_site(*args, pdfs, **kwargs):
        # The site reads the PDFs' text for its search index, which starts the binding; then it fails.
        next(iter(pdfs.values()))
        raise RenderError("the site could not be rendered")

    monkeypatch.setattr(binding, "PARTS_BOUND_APART", 1)
    monkeypatch.setattr(binding.Binding, "__init__", recording)
    monkeypatch.setattr(build_module, "site_pages", failing_site)
    config = load_config(project / "config.yaml")
    with pytest.raises(RenderError, match="the site could not be rendered"):
        build_module.build(config, workers=1, products=("brief", "book"))  # the handouts are not at stake
    assert len(started) == 1 and started[0]._process.poll() is not None  # the binder did not outlive the build
    assert not (project / "out").exists()


def test_the_book_bound_apart_while_the_site_renders_is_the_same_book(built: BuildResult, config: Config,
                                                                       tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding
    from briefing.build import build

    monkeypatch.setattr(binding, "PARTS_BOUND_APART", 1)
    apart = build(config, out=tmp_path / "out", force=True, html=False, products=("brief", "book"))
    assert (apart.out / "pdf/briefing-book.pdf").read_bytes() == (built.out / "pdf/briefing-book.pdf").read_bytes()


def _recording_binders(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every LiveBinder made from now on, each with the parts it was asked to prepare (as bytes) in ``prepared``."""
    from briefing import binding

    made = []
    init, prepare = binding.LiveBinder.__init__, binding.LiveBinder.prepare

    def recording_init(self) -> None:
        init(self)
        self.prepared = []
        made.append(self)

    def recording_prepare(self, parts, folio, cancelled=None) -> None:
        self.prepared.append([*parts, folio])
        prepare(self, parts, folio, cancelled)

    monkeypatch.setattr(binding.LiveBinder, "__init__", recording_init)
    monkeypatch.setattr(binding.LiveBinder, "prepare", recording_prepare)
    return made


BOOK_ONLY = dict(html=False, products=("brief", "book"), workers=2)  # the rest of the site is not at stake


def _built_with_its_book_bound_apart(project: Path, monkeypatch: pytest.MonkeyPatch):
    """The project built once, its small book counted as large (bound by a process of its own); its config."""
    from briefing import binding
    from briefing.build import build
    from briefing.config import load_config

    monkeypatch.setattr(binding, "PARTS_BOUND_APART", 1)
    config = load_config(project / "config.yaml")
    build(config, **BOOK_ONLY)
    return config


def _edit_an_outlook(project: Path) -> None:
    profile = project / "profiles" / "sanctions.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("outlook: |\n", "outlook: |\n  First.\n", 1),
                       encoding="utf-8")


def _a_fresh_build_binds_the_same_book(config, project: Path, tmp_path: Path) -> bool:
    from briefing.build import build

    fresh = build(config, out=tmp_path / "fresh", force=True, **BOOK_ONLY)
    return (fresh.out / "pdf" / "briefing-book.pdf").read_bytes() == \
        (project / "out" / "pdf" / "briefing-book.pdf").read_bytes()


def test_a_build_in_a_fresh_process_takes_up_the_previous_book_and_rebinds_only_what_changed(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing.build import build

    config = _built_with_its_book_bound_apart(project, monkeypatch)
    made = _recording_binders(monkeypatch)
    assert build(config, **BOOK_ONLY).rebuilt == ()  # up to date: nothing is prepared
    previous_briefs = {p: (project / "out" / "pdf" / f"{p}.pdf").read_bytes() for p in PROFILES}
    previous_book = (project / "out" / "pdf" / "briefing-book.pdf").read_bytes()
    _edit_an_outlook(project)
    result = build(config, **BOOK_ONLY)
    assert {"pdf/sanctions.pdf", "pdf/briefing-book.pdf"} <= set(result.rebuilt)
    [binder] = made
    # It was given the previous build's book: its briefs as they were, after the book's own parts.
    [prepared] = binder.prepared
    assert prepared[-6:-1] == [previous_briefs[p] for p in BRIEF_ORDER]
    # The bind then sent the process the edited brief alone (and no part of the book's own it already held).
    assert binder.bytes_sent == sum(map(len, prepared)) + len((project / "out" / "pdf" / "sanctions.pdf").read_bytes())
    assert binder._process is None  # the build's own binder did not outlive it
    assert (project / "out" / "pdf" / "briefing-book.pdf").read_bytes() != previous_book
    assert _a_fresh_build_binds_the_same_book(config, project, tmp_path)


def test_a_serve_session_starting_after_an_edit_takes_up_the_previous_book_in_its_kept_binder(
        project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding
    from briefing.build import build
    from briefing.workspace import Workspace

    config = _built_with_its_book_bound_apart(project, monkeypatch)
    _edit_an_outlook(project)
    made = _recording_binders(monkeypatch)
    workspace = Workspace(kept=True)
    workspace.binder = binding.LiveBinder()
    try:
        build(config, workspace=workspace, **BOOK_ONLY)
        [binder] = made
        assert len(binder.prepared) == 1 and workspace.binder is binder and binder.holds_a_book
    finally:
        workspace.close()
    assert not binder.holds_a_book
    assert _a_fresh_build_binds_the_same_book(config, project, tmp_path)


@pytest.mark.parametrize("bound", [
    {"parts": ["../../../outside"], "briefs": [], "folio": "0" * 64},
    {"parts": [], "briefs": ["pdf/../../config.yaml"], "folio": "0" * 64},
    {"parts": [], "briefs": ["/etc/passwd"], "folio": "0" * 64},
    {"parts": "not a list", "briefs": [], "folio": "0" * 64},
])
def test_a_build_state_that_names_files_elsewhere_prepares_nothing(project: Path, bound: dict,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding
    from briefing.build import prepare_book
    from briefing.buildcache import BuildState
    from briefing.config import load_config
    from briefing.workspace import Workspace

    monkeypatch.setattr(binding, "PARTS_BOUND_APART", 0)
    made = _recording_binders(monkeypatch)
    previous = BuildState("", {}, {}, {"pdf/briefing-book.pdf": {"bound": bound}})
    workspace = Workspace()
    assert prepare_book(previous, project / "out", load_config(project / "config.yaml"), workspace, 2) is None
    assert made == [] and workspace.binder is None


def test_a_build_that_fails_while_the_previous_book_is_taken_up_stops_the_binder(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import build as build_module
    from briefing.errors import RenderError

    config = _built_with_its_book_bound_apart(project, monkeypatch)
    before = {p: p.read_bytes() for p in (project / "out").rglob("*") if p.is_file()}
    made = _recording_binders(monkeypatch)

    def failing_gather(*args, **kwargs):
        import time

        waited = time.monotonic()
        while not (made and made[0]._process is not None) and time.monotonic() - waited < 30:
            time.sleep(0.01)  # fail once the binding process is up, taking the previous book
        raise RenderError("the project could not be read")

    monkeypatch.setattr(build_module, "gather", failing_gather)
    _edit_an_outlook(project)
    with pytest.raises(RenderError, match="could not be read"):
        build_module.build(config, **BOOK_ONLY)
    [binder] = made
    assert binder._process is None and not binder.holds_a_book
    assert {p: p.read_bytes() for p in (project / "out").rglob("*") if p.is_file()} == before


# The binder kept between builds: every update must give the bytes of a fresh bind.

BRIEF_ORDER = ["minsk-implementation", "sanctions", "savchenko-case", "syria-ceasefire", "syria-transition"]


@pytest.fixture(scope="module")
def printed(built: BuildResult) -> dict[str, bytes]:
    """Each brief's PDF, the handout that stands in for the book's opening, and a folio as long as three books."""
    pdfs = {profile_id: (built.out / "pdf" / f"{profile_id}.pdf").read_bytes() for profile_id in PROFILES}
    pdfs["opening"] = (built.out / "pdf" / "savchenko-case-handout.pdf").read_bytes()
    with pikepdf.open(built.out / "pdf" / "briefing-book.pdf") as book, pikepdf.new() as folio, \
            warnings.catch_warnings():
        warnings.simplefilter("ignore", pikepdf.exceptions.PageCopyWarning)  # a folio needs no destinations
        for _ in range(3):
            folio.pages.extend(book.pages)
        output = io.BytesIO()
        folio.save(output)
        pdfs["folio"] = output.getvalue()
    return pdfs


def _parts(printed: dict[str, bytes], *names: str) -> list[bytes]:
    return [printed["opening"], *(printed[name] for name in names)]


def _reordered(data: bytes) -> bytes:
    """The same PDF with its pages in reverse order: a folio that draws other numbers."""
    with pikepdf.open(io.BytesIO(data)) as pdf:
        pdf.pages.reverse()
        output = io.BytesIO()
        pdf.save(output)
        return output.getvalue()


def test_a_brief_rebound_in_place_gives_the_bytes_of_a_fresh_bind(printed: dict[str, bytes]) -> None:
    from briefing.binding import BookBinder

    parts = _parts(printed, *BRIEF_ORDER)
    with BookBinder() as binder:
        assert binder.update(parts, printed["folio"]) == list(range(len(parts)))
        assert binder.finish() == bind_book(parts, printed["folio"])
        # Same length, other bytes: sanctions and minsk-implementation both print on six pages.
        same_length = _parts(printed, "minsk-implementation", "minsk-implementation", *BRIEF_ORDER[2:])
        assert binder.update(same_length, printed["folio"]) == [2]
        assert binder.finish() == bind_book(same_length, printed["folio"])
        # Another length: syria-transition's eight pages become syria-ceasefire's five (the last
        # part here; the next test shortens one that others follow).
        shorter = [*same_length[:-1], printed["syria-ceasefire"]]
        assert binder.update(shorter, printed["folio"]) == [5]
        assert binder.finish() == bind_book(shorter, printed["folio"])


def test_a_brief_of_another_length_rebound_before_others_moves_them_to_the_bytes_of_a_fresh_bind(
        printed: dict[str, bytes], tmp_path: Path) -> None:
    from briefing.binding import BookBinder

    parts = _parts(printed, "syria-transition", "sanctions", "savchenko-case", "minsk-implementation")
    shorter = _parts(printed, "syria-ceasefire", "sanctions", "savchenko-case", "minsk-implementation")
    with BookBinder() as binder:
        binder.update(parts, printed["folio"])
        binder.finish()
        assert binder.update(shorter, printed["folio"]) == [1]
        rebound = binder.finish()
    assert rebound == bind_book(shorter, printed["folio"])
    with pikepdf.open(io.BytesIO(rebound)) as book:
        assert len(book.pages) == 1 + 5 + 6 + 3 + 6
    (tmp_path / "book.pdf").write_bytes(rebound)
    assert subprocess.run(["qpdf", "--check", str(tmp_path / "book.pdf")], capture_output=True).returncode == 0


def test_a_new_folio_restamps_every_page_to_the_bytes_of_a_fresh_bind(printed: dict[str, bytes]) -> None:
    from briefing.binding import BookBinder

    parts = _parts(printed, *BRIEF_ORDER)
    other_folio = _reordered(printed["folio"])
    with BookBinder() as binder:
        binder.update(parts, printed["folio"])
        binder.finish()
        assert binder.update(parts, other_folio) == []
        assert binder.finish() == bind_book(parts, other_folio)


def test_another_number_of_parts_or_many_changes_bind_afresh(printed: dict[str, bytes]) -> None:
    from briefing.binding import BookBinder

    parts = _parts(printed, *BRIEF_ORDER)
    fewer = parts[:-1]
    many = _parts(printed, *reversed(BRIEF_ORDER))
    with BookBinder() as binder:
        binder.update(parts, printed["folio"])
        for changed in (fewer, many, parts):
            assert binder.update(changed, printed["folio"]) == list(range(len(changed)))
            assert binder.finish() == bind_book(changed, printed["folio"])


def test_a_brief_that_outgrows_its_room_binds_the_book_afresh(printed: dict[str, bytes]) -> None:
    from briefing.binding import BookBinder

    parts = _parts(printed, *BRIEF_ORDER)
    grown = _parts(printed, "minsk-implementation", "sanctions", "syria-transition", "syria-ceasefire",
                   "syria-transition")  # savchenko-case has about a quarter of its objects
    grown_opening = [printed["sanctions"], *grown[1:]]  # a brief has some five times the objects of a handout
    with BookBinder() as binder:
        binder.update(parts, printed["folio"])
        for changed in (grown, grown_opening):
            assert binder.update(changed, printed["folio"]) == list(range(len(changed)))
            assert binder.finish() == bind_book(changed, printed["folio"])


def test_a_sequence_of_updates_gives_the_bytes_of_a_fresh_bind_after_each(printed: dict[str, bytes]) -> None:
    from briefing.binding import BookBinder

    briefs = [*BRIEF_ORDER, *BRIEF_ORDER[:3]]  # nine parts with the opening: two may change at once

    def replaced(changes: dict[int, str]) -> list[bytes]:
        return _parts(printed, *(changes.get(index, name) for index, name in enumerate(briefs)))

    other_folio = _reordered(printed["folio"])
    with BookBinder() as binder:
        binder.update(replaced({}), printed["folio"])
        first = binder.finish()
        assert binder.update(replaced({}), printed["folio"]) == []
        assert binder.finish() == first
        steps = [
            ({1: "minsk-implementation"}, printed["folio"], [2]),
            ({1: "minsk-implementation", 4: "syria-ceasefire", 6: "minsk-implementation"}, other_folio, [5, 7]),
            ({6: "minsk-implementation"}, other_folio, [2, 5]),
            ({}, printed["folio"], [7]),
        ]
        for changes, folio, rebound in steps:
            parts = replaced(changes)
            assert binder.update(parts, folio) == rebound
            assert binder.finish() == bind_book(parts, folio), changes
        assert binder.finish() == first


@pytest.fixture(scope="module")
def own_parts(config: Config, printed: dict[str, bytes]) -> dict[str, list[bytes]]:
    """The book's cover, contents and matrix as a build renders them for the briefs as printed, and for
    the first brief printed on five pages instead of six: every start page after it moves, in the
    contents and the matrix (the cover is the same). And a cover listing the briefs in another order."""
    from briefing.binding import PrintedLayout
    from briefing.pdf import render_jobs
    from briefing.products import BookLengths, book_part_jobs
    from briefing.rendering import brief_view, font_faces, make_environment

    project = gather(config)
    views = [brief_view(project.briefs[p], project.sources, project.registry) for p in BRIEF_ORDER]
    env = make_environment([config.templates])
    layouts = [printed_layout(printed[p]) for p in BRIEF_ORDER]
    shorter = [PrintedLayout(5, layouts[0].anchors), *layouts[1:]]
    lengths = BookLengths((1, 1), (1,))
    jobs = [job for chosen in (layouts, shorter)
            for job in book_part_jobs(views, chosen, lengths, config, env, font_faces(), (config.project,))]
    jobs.append(book_part_jobs(views[::-1], layouts[::-1], lengths, config, env, font_faces(), (config.project,))[0])
    cover, contents, matrix, shorter_cover, shorter_contents, shorter_matrix, other_cover = (
        outcome.data for outcome in render_jobs(jobs, 1))
    assert cover == shorter_cover != other_cover
    assert contents != shorter_contents and matrix != shorter_matrix
    return {"as printed": [cover, contents, matrix], "first brief shorter": [cover, shorter_contents, shorter_matrix],
            "other cover": [other_cover]}


# With the cover, the contents and the matrix, 14 parts: a quarter of them is more than three.
LONG_BOOK = [*BRIEF_ORDER, *BRIEF_ORDER, "savchenko-case"]


def _book(own: list[bytes], printed: dict[str, bytes], briefs: list[str]) -> list[bytes]:
    return [*own, *(printed[name] for name in briefs)]


def test_a_new_opening_is_rebound_in_place_and_keeps_what_the_book_takes_from_it(
        printed: dict[str, bytes], own_parts: dict[str, list[bytes]], tmp_path: Path) -> None:
    from briefing.binding import BookBinder

    parts = _book(own_parts["as printed"], printed, BRIEF_ORDER)
    renumbered = [own_parts["other cover"][0], *parts[1:]]
    with BookBinder() as binder:
        binder.update(parts, printed["folio"])
        binder.finish()
        for changed in (renumbered, parts, renumbered):
            assert binder.update(changed, printed["folio"]) == [0]
            rebound = binder.finish()
            assert rebound == bind_book(changed, printed["folio"])
    (tmp_path / "book.pdf").write_bytes(rebound)
    assert subprocess.run(["qpdf", "--check", str(tmp_path / "book.pdf")], capture_output=True).returncode == 0
    with pikepdf.open(io.BytesIO(rebound)) as book, pikepdf.open(io.BytesIO(renumbered[0])) as opening:
        assert str(book.Root.Lang) == str(opening.Root.Lang) == "en"
        assert book.Root.MarkInfo.Marked is True and book.Root.ViewerPreferences.DisplayDocTitle is True
        metadata = book.Root.Metadata.read_bytes()  # pikepdf writes it again, in its own layout
        assert b'pdfuaid:part="1"' in metadata and str(opening.docinfo.Title).encode() in metadata
        assert {key: str(value) for key, value in book.docinfo.items()} == \
            {key: str(value) for key, value in opening.docinfo.items()}
        assert bytes(book.trailer.ID[0]) == bytes(opening.trailer.ID[0])
        assert book.pdf_version == opening.pdf_version
        assert len(book.pages) == 1 + 1 + 1 + 6 + 6 + 3 + 5 + 8


def test_what_the_book_takes_from_its_opening_comes_and_goes_with_a_rebound_opening(printed: dict[str, bytes]) -> None:
    from briefing.binding import BookBinder

    with pikepdf.open(io.BytesIO(printed["opening"])) as pdf:  # as a PDF/A opening with a role map would be
        profile = pdf.make_stream(b"an ICC profile", N=3)
        pdf.Root.OutputIntents = pikepdf.Array([pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent, S=pikepdf.Name.GTS_PDFA1, DestOutputProfile=profile))])
        pdf.Root.StructTreeRoot.RoleMap = pikepdf.Dictionary(Note=pikepdf.Name.P)
        output = io.BytesIO()
        pdf.save(output)
    parts = _parts(printed, *BRIEF_ORDER)
    intended = [output.getvalue(), *parts[1:]]
    with BookBinder() as binder:
        binder.update(parts, printed["folio"])
        binder.finish()
        for changed, taken in ((intended, True), (parts, False)):
            assert binder.update(changed, printed["folio"]) == [0]
            rebound = binder.finish()
            assert rebound == bind_book(changed, printed["folio"])
            with pikepdf.open(io.BytesIO(rebound)) as book:
                assert ("/OutputIntents" in book.Root) is taken
                assert ("/RoleMap" in book.Root.StructTreeRoot) is taken
                if taken:
                    assert book.Root.OutputIntents[0].DestOutputProfile.read_bytes() == b"an ICC profile"
                    assert book.Root.StructTreeRoot.RoleMap.Note == pikepdf.Name.P


def test_the_opening_matrix_and_a_brief_of_another_length_are_rebound_together_to_the_bytes_of_a_fresh_bind(
        printed: dict[str, bytes], own_parts: dict[str, list[bytes]]) -> None:
    from briefing.binding import BookBinder

    as_printed, shorter = own_parts["as printed"], own_parts["first brief shorter"]
    parts = _book(as_printed, printed, LONG_BOOK)
    first_shorter = ["syria-ceasefire", *LONG_BOOK[1:]]  # six pages become five
    other_folio = _reordered(printed["folio"])
    steps = [
        (_book([*shorter[:2], as_printed[2]], printed, first_shorter), printed["folio"], [1, 3]),
        (_book(shorter, printed, first_shorter), printed["folio"], [2]),
        (parts, other_folio, [1, 2, 3]),
        (_book(shorter, printed, [*first_shorter[:7], "syria-transition", *first_shorter[8:]]), other_folio,
         list(range(len(parts)))),  # four parts changed: bound afresh
        (_book(shorter, printed, first_shorter), printed["folio"], [10]),
    ]
    with BookBinder() as binder:
        binder.update(parts, printed["folio"])
        binder.finish()
        for changed, folio, rebound in steps:
            assert binder.update(changed, folio) == rebound
            assert binder.finish() == bind_book(changed, folio), rebound


def test_a_binder_worn_out_by_updates_binds_afresh(printed: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding

    parts = _parts(printed, *BRIEF_ORDER)
    edited = _parts(printed, "minsk-implementation", "minsk-implementation", *BRIEF_ORDER[2:])
    with binding.BookBinder() as binder:
        binder.update(parts, printed["folio"])
        binder.finish()
        assert binder.update(edited, printed["folio"]) == [2]
        monkeypatch.setattr(binding, "WORN_OUT", 1)  # the placeholders the first rebind left are too many now
        assert binder.update(parts, printed["folio"]) == list(range(len(parts)))
        assert binder.finish() == bind_book(parts, printed["folio"])


def test_a_binder_that_failed_binds_afresh_next_time(printed: dict[str, bytes]) -> None:
    from briefing.binding import BookBinder

    parts = _parts(printed, *BRIEF_ORDER)
    broken = [*parts[:2], b"not a PDF", *parts[3:]]
    with BookBinder() as binder:
        binder.update(parts, printed["folio"])
        binder.finish()
        with pytest.raises(pikepdf.PdfError):
            binder.update(broken, printed["folio"])
        assert binder.update(parts, printed["folio"]) == list(range(len(parts)))
        assert binder.finish() == bind_book(parts, printed["folio"])


def test_qpdf_numbers_object_stream_members_by_their_numbers_in_memory_but_not_streams_or_the_unreachable() -> None:
    """What BookBinder relies on: why a rebound part must keep its place among the book's
    objects, and why streams and objects left behind need not."""

    def written(order: str, streams: bool = False, unreachable: bool = False) -> bytes:
        pdf = pikepdf.new()
        made = {}
        for name in order:
            made[name] = (pdf.make_stream(name.encode()) if streams
                          else pdf.make_indirect(pikepdf.Dictionary(Name=pikepdf.String(name))))
        if unreachable:
            pdf.make_indirect(pikepdf.Dictionary(Left="behind"))
        pdf.Root.Things = pikepdf.Array([made[name] for name in sorted(made)])
        output = io.BytesIO()
        pdf.save(output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return output.getvalue()

    assert written("abcdef") != written("fedcba")
    assert written("abcdef", streams=True) == written("fedcba", streams=True)
    assert written("abcdef", unreachable=True) == written("abcdef")


# The live binder: a binding process kept between builds.

def test_a_live_binder_sends_only_new_parts_and_gives_the_bytes_of_a_fresh_bind(printed: dict[str, bytes]) -> None:
    from briefing.binding import LiveBinder

    parts = _parts(printed, *BRIEF_ORDER)
    edited = _parts(printed, "minsk-implementation", "minsk-implementation", *BRIEF_ORDER[2:])
    other_folio = _reordered(printed["folio"])
    with LiveBinder() as live:
        assert live.bind(parts, printed["folio"]) == bind_book(parts, printed["folio"])
        assert live.bytes_sent == sum(map(len, parts)) + len(printed["folio"])
        sent = live.bytes_sent
        assert live.bind(edited, printed["folio"]) == bind_book(edited, printed["folio"])
        assert live.bytes_sent == sent  # minsk-implementation is held already
        assert live.bind(parts, other_folio) == bind_book(parts, other_folio)
        assert live.bytes_sent == sent + len(printed["sanctions"]) + len(other_folio)
        assert live.peak_memory > 0


def test_a_live_binder_whose_process_died_starts_another_that_binds_afresh(printed: dict[str, bytes],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding
    from briefing.errors import RenderError

    parts = _parts(printed, *BRIEF_ORDER)
    edited = _parts(printed, "minsk-implementation", "minsk-implementation", *BRIEF_ORDER[2:])
    with binding.LiveBinder() as live:
        live.bind(parts, printed["folio"])
        live.kill()
        sent = live.bytes_sent
        assert live.bind(edited, printed["folio"]) == bind_book(edited, printed["folio"])
        # Everything again (minsk-implementation once) to the new process.
        assert live.bytes_sent == sent + sum(map(len, edited[:1] + edited[2:])) + len(printed["folio"])
        # A process that crashes in the middle of a request (here, given nonsense) is one line.
        send = binding._send
        monkeypatch.setattr(binding, "_send", lambda pipe, message: send(pipe, "nonsense"))
        with pytest.raises(RenderError, match=r"^binding the briefing book failed: the binding process stopped "
                                              r"\(exit 1\): ValueError: too many values to unpack"):
            live.bind(parts, printed["folio"])
        monkeypatch.undo()
        assert live.bind(parts, printed["folio"]) == bind_book(parts, printed["folio"])


def test_a_live_binding_that_fails_is_one_line_and_the_process_goes_on(printed: dict[str, bytes]) -> None:
    from briefing.binding import LiveBinder
    from briefing.errors import RenderError

    parts = _parts(printed, *BRIEF_ORDER)
    with LiveBinder() as live:
        live.bind(parts, printed["folio"])
        process = live._process
        with pytest.raises(RenderError, match=r"^binding the briefing book failed: ValueError: the folio has 1 pages; "
                                              r"the book needs 29$"):
            live.bind(parts, printed["opening"])
        with pytest.raises(RenderError, match=r"^binding the briefing book failed: PdfError: .*$"):
            live.bind([*parts[:2], b"not a PDF", *parts[3:]], printed["folio"])
        assert live.bind(parts, printed["folio"]) == bind_book(parts, printed["folio"])
        assert live._process is process


def test_a_binding_given_a_live_binder_binds_there_and_cancelling_it_kills_the_process(
        printed: dict[str, bytes]) -> None:
    from briefing.binding import Binding, LiveBinder
    from briefing.errors import RenderError

    parts = _parts(printed, *BRIEF_ORDER)
    edited = _parts(printed, "minsk-implementation", "minsk-implementation", *BRIEF_ORDER[2:])
    with LiveBinder() as live:
        assert Binding(parts, printed["folio"], live).result() == bind_book(parts, printed["folio"])
        process = live._process
        binding = Binding(edited, printed["folio"], live)
        binding.cancel()
        assert process.poll() is not None
        with pytest.raises(RenderError, match="binding the briefing book failed: the binding process stopped"):
            binding.result()
        sent = live.bytes_sent
        assert Binding(edited, printed["folio"], live).result() == bind_book(edited, printed["folio"])
        assert live.bytes_sent > sent + len(printed["folio"])  # a new process, given everything
    assert process.poll() is not None and live._process is None
