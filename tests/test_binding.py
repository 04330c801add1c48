"""The briefing book as bound from the printed briefs: pages, tags, links, bookmarks and folio."""

from __future__ import annotations

import re
import subprocess
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
    assert len(parts) == len(PROFILES) + 1  # and the matrix
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
        listed = int(re.search(re.escape(title) + r"[ .]*?(\d+)\s*$", contents, re.M).group(1))
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

    def recording(self, parts, folio):
        original(self, parts, folio)
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
        build_module.build(config, workers=1)
    assert len(started) == 1 and started[0]._process.poll() is not None  # the binder did not outlive the build
    assert not (project / "out").exists()


def test_the_book_bound_apart_while_the_site_renders_is_the_same_book(built: BuildResult, config: Config,
                                                                       tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from briefing import binding
    from briefing.build import build

    monkeypatch.setattr(binding, "PARTS_BOUND_APART", 1)
    apart = build(config, out=tmp_path / "out", force=True)
    for name in ("pdf/briefing-book.pdf", "index.html"):
        assert (apart.out / name).read_bytes() == (built.out / name).read_bytes(), name
