"""Binding stage: the briefing book put together from PDFs that are already rendered.

The book is its own pages (cover and contents, then the cross-issue matrix, rendered as a
few separate parts) followed by every full brief exactly as it was printed on its own.
Laying the briefs out a second time would double the cost of a build and hold every
brief's layout in memory at once; binding copies their pages instead and merges what makes the result one accessible document: the tag
structure (each brief becomes a ``Part`` of the book's ``Document``), the named
destinations that internal links use, and the bookmarks (each brief's own tree, under its
title). Each page but the cover also gets the book's own page number at its foot, the
folio, so that the page numbers in the contents can be found on paper; the brief's own
"Page X of Y" footer stays as it was.

pikepdf (qpdf) does the copying; it is imported here alone, and only when a book is bound.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

FOLIO_CONTENT = b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC q 1 0 0 1 %s 0 cm /%s Do Q EMC\n"


@dataclass(frozen=True)
class PrintedLayout:
    """What the book needs to know of a printed brief: its length and where its anchors fall."""

    pages: int
    anchors: dict[str, int]  # named destination -> index of its page in the brief (from 0)


def printed_layout(data: bytes) -> PrintedLayout:
    """The page count and the page of every named destination of a rendered PDF."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        index = {page.obj.objgen: number for number, page in enumerate(pdf.pages)}
        anchors = {}
        for name, destination in _named_destinations(pdf):
            page = destination[0] if isinstance(destination, pikepdf.Array) else None
            if page is not None and page.objgen in index:
                anchors[name] = index[page.objgen]
        return PrintedLayout(len(pdf.pages), anchors)


# A book of more parts than this is bound in a process of its own: qpdf holds every object
# of the book while it is saved (some 400 MB at 200 briefs), and a process that ends gives
# that memory back at once instead of leaving the build, or a long-running serve, that large.
PARTS_BOUND_APART = 50


class Binding:
    """A book being bound by :func:`bind_book`: in a child process when it is large, so the build goes on meanwhile.

    The child is a plain Python process (``python -m briefing.binding``), not a
    multiprocessing one: spawning would re-run the calling script's top level, and forking
    would start the child out as large as the build that made it. It runs on a core of its
    own while the build renders the site; :meth:`result` waits for it.
    """

    def __init__(self, parts: list[bytes], folio: bytes) -> None:
        self._data: bytes | None = None
        self._failure: str | None = None
        self._process = None
        if len(parts) <= PARTS_BOUND_APART:
            self._data = bind_book(parts, folio)
            return
        import os
        import pickle
        import subprocess
        import sys
        import threading
        from pathlib import Path

        environment = dict(os.environ)
        package_root = str(Path(__file__).resolve().parent.parent)
        environment["PYTHONPATH"] = os.pathsep.join(filter(None, (package_root, environment.get("PYTHONPATH"))))
        self._process = subprocess.Popen([sys.executable, "-m", "briefing.binding"], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environment)
        payload = pickle.dumps((parts, folio))
        # The pipes are fed and drained from a thread: the child's output is larger than a
        # pipe holds, and the build has other work to do while it waits.
        self._talking = threading.Thread(target=self._talk, args=(payload,), daemon=True)
        self._talking.start()

    def _talk(self, payload: bytes) -> None:
        try:
            out, err = self._process.communicate(payload)
        except OSError as exc:  # the child died before reading everything
            self._process.wait()
            out, err = b"", str(exc).encode()
        if self._process.returncode == 0:
            self._data = out
        else:
            lines = err.decode("utf-8", "replace").strip().splitlines()
            self._failure = lines[-1] if lines else f"exit {self._process.returncode}"

    def result(self) -> bytes:
        """The bound book's bytes, once the binding is done; a failure is a :class:`RenderError`."""
        from .errors import RenderError

        if self._process is not None:
            self._talking.join()
        if self._data is None:
            raise RenderError(f"binding the briefing book failed: {self._failure}")
        return self._data

    def cancel(self) -> None:
        """Stop a binding whose book is no longer wanted (the build failed elsewhere)."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._talking.join()


def bind_book_apart(parts: list[bytes], folio: bytes) -> bytes:
    """:func:`bind_book`, in a fresh Python process when the book is large (see :class:`Binding`)."""
    return Binding(parts, folio).result()


def bind_book(parts: list[bytes], folio: bytes) -> bytes:
    """``parts`` in order as one tagged PDF, with the folio on every page but the first.

    The first part is the book's opening: its metadata, language and output intent are the
    book's, and every later part becomes a ``Part`` of its structure. ``folio`` holds at
    least as many pages as the book; its page N carries page number N. A named destination
    of a later part replaces an earlier one of the same name: the contents and the matrix
    link to stand-ins for anchors that the parts bound in after them really hold.
    """
    import pikepdf

    book = pikepdf.open(io.BytesIO(parts[0]))
    stamps = pikepdf.open(io.BytesIO(folio))
    try:
        document = _document_element(book)
        parent_tree = _number_tree(book.Root.StructTreeRoot.ParentTree)
        next_key = max(parent_tree, default=-1) + 1
        destinations = dict(_named_destinations(book))
        outline = [_outline_entries(book, book)]
        for data in parts[1:]:
            # One part open at a time: each open PDF costs some 1.5 MB, a large desk's book
            # has hundreds of parts, and what is copied no longer needs its source.
            with pikepdf.open(io.BytesIO(data)) as source:
                first_page = len(book.pages)
                with warnings.catch_warnings():
                    # pikepdf warns that named destinations are not carried over: they are, below.
                    warnings.simplefilter("ignore", getattr(pikepdf.exceptions, "PageCopyWarning", UserWarning))
                    book.pages.extend(source.pages)
                next_key = _adopt_structure(book, source, document, parent_tree, first_page, next_key)
                for name, destination in _named_destinations(source):
                    destinations[name] = _adopt(book, destination)
                outline.append(_outline_entries(source, book, first_page))
                _take_stream_data(book, source)
        book.Root.StructTreeRoot.ParentTree = pikepdf.Dictionary(
            Nums=pikepdf.Array([item for key in sorted(parent_tree) for item in (key, parent_tree[key])]))
        book.Root.StructTreeRoot.ParentTreeNextKey = next_key
        book.Root.Names.Dests = pikepdf.Dictionary(
            Names=pikepdf.Array([item for name in sorted(destinations) for item in (name, destinations[name])]))
        _write_outline(book, [entry for entries in outline for entry in entries])
        _stamp_folios(book, stamps)
        output = io.BytesIO()
        # Streams are copied as they are (no decoding and recompressing): binding stays cheap
        # and the bytes depend only on the inputs.
        book.save(output, deterministic_id=True, stream_decode_level=pikepdf.StreamDecodeLevel.none,
                  recompress_flate=False, object_stream_mode=pikepdf.ObjectStreamMode.generate)
        return output.getvalue()
    finally:
        stamps.close()
        book.close()


def _take_stream_data(book, source) -> None:
    """Give the book's copy of every stream of ``source`` its own copy of the data, so the source can close.

    qpdf copies a stream's dictionary at once but reads its data from the source only when
    the book is saved; the data is copied as it is, still encoded. Asking for the copy of
    a stream already copied gives that copy; the few streams of the source the book does
    not use (its metadata, say) are copied too, but nothing refers to them, so they are
    not written.
    """
    import pikepdf

    for value in source.objects:
        if isinstance(value, pikepdf.Stream):
            copy = book.copy_foreign(value)
            copy.write(value.read_raw_bytes(), filter=copy.get("/Filter"), decode_parms=copy.get("/DecodeParms"),
                       type_check=False)


def _named_destinations(pdf) -> list[tuple[str, object]]:
    """Every (name, destination) of the document's /Dests name tree, in tree order."""
    import pikepdf

    names = pdf.Root.get("/Names")
    tree = names.get("/Dests") if names is not None else None
    found: list[tuple[str, object]] = []
    stack = [tree] if tree is not None else []
    while stack:
        node = stack.pop()
        pairs = node.get("/Names")
        if pairs is not None:
            found.extend((str(pairs[i]), pairs[i + 1]) for i in range(0, len(pairs) - 1, 2))
        stack.extend(reversed(list(node.get("/Kids", pikepdf.Array()))))
    return found


def _number_tree(tree) -> dict[int, object]:
    """The entries of a number tree (a flat /Nums array or /Kids below it) by key."""
    import pikepdf

    entries: dict[int, object] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        numbers = node.get("/Nums")
        if numbers is not None:
            entries.update((int(numbers[i]), numbers[i + 1]) for i in range(0, len(numbers) - 1, 2))
        stack.extend(node.get("/Kids", pikepdf.Array()))
    return entries


def _document_element(book):
    """The book's top ``Document`` structure element (made when the front matter has several at the top)."""
    import pikepdf

    root = book.Root.StructTreeRoot
    kids = root.K if isinstance(root.K, pikepdf.Array) else pikepdf.Array([root.K])
    if len(kids) == 1 and kids[0].get("/S") == pikepdf.Name.Document:
        return kids[0]
    document = book.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.StructElem, S=pikepdf.Name.Document,
                                                     P=root, K=kids))
    for kid in kids:
        kid.P = document
    root.K = pikepdf.Array([document])
    return document


def _adopt(book, value):
    """``value`` from another PDF, copied into ``book`` (direct containers member by member)."""
    import pikepdf

    if isinstance(value, pikepdf.Object) and value.is_indirect:
        return book.copy_foreign(value)
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_adopt(book, item) for item in value])
    if isinstance(value, pikepdf.Dictionary):
        return pikepdf.Dictionary({key: _adopt(book, item) for key, item in value.items()})
    return value


def _adopt_structure(book, source, document, parent_tree: dict[int, object], first_page: int,
                     next_key: int) -> int:
    """Hang ``source``'s tag structure under ``document`` as a Part; returns the next free parent-tree key.

    The pages were copied already, so the copies of structure elements point at the book's
    pages. Every parent-tree key of the source (on its pages and annotations) is shifted
    past the keys the book already uses.
    """
    import pikepdf

    root = source.Root.StructTreeRoot
    offset = next_key
    entries = _number_tree(root.ParentTree)
    for page in book.pages[first_page:]:
        if "/StructParents" in page.obj:
            page.obj.StructParents = int(page.obj.StructParents) + offset
        for annotation in page.obj.get("/Annots", pikepdf.Array()):
            if "/StructParent" in annotation:
                annotation.StructParent = int(annotation.StructParent) + offset
    kids = root.K if isinstance(root.K, pikepdf.Array) else pikepdf.Array([root.K])
    for kid in kids:
        del kid["/P"]  # the source's tree root stays behind
        part = book.copy_foreign(kid)
        if part.get("/S") == pikepdf.Name.Document:
            part.S = pikepdf.Name.Part
        part.P = document
        document.K.append(part)
    # The parent tree's values in one copy (qpdf maps every element copied above to its copy).
    keys = sorted(entries)
    values = book.copy_foreign(source.make_indirect(pikepdf.Array([entries[key] for key in keys])))
    for key, value in zip(keys, values):
        parent_tree[key + offset] = value
    return max((key + offset + 1 for key in keys), default=next_key)


@dataclass(frozen=True)
class _Entry:
    title: str
    destination: object
    children: tuple[_Entry, ...]


def _outline_entries(source, book, first_page: int = 0) -> list[_Entry]:
    """``source``'s bookmarks, their destinations moved onto the book's copies of its pages."""
    import pikepdf

    pages = {page.obj.objgen: number for number, page in enumerate(source.pages)}

    def entry(item) -> _Entry:
        destination = item.destination
        if isinstance(destination, pikepdf.Array) and len(destination) and destination[0].objgen in pages:
            target = book.pages[first_page + pages[destination[0].objgen]].obj
            destination = pikepdf.Array([target, *list(destination)[1:]])
        return _Entry(item.title, destination, tuple(entry(child) for child in item.children))

    with source.open_outline() as outline:
        return [entry(item) for item in outline.root]


def _write_outline(book, entries: list[_Entry]) -> None:
    import pikepdf

    def item(entry: _Entry):
        made = pikepdf.OutlineItem(entry.title, entry.destination)
        made.children.extend(item(child) for child in entry.children)
        return made

    with book.open_outline() as outline:
        outline.root.clear()
        outline.root.extend(item(entry) for entry in entries)


def _stamp_folios(book, stamps) -> None:
    """Draw page N of ``stamps`` on page N of the book, centred, as a pagination artifact."""
    import pikepdf

    if len(stamps.pages) < len(book.pages):
        raise ValueError(f"the folio has {len(stamps.pages)} pages; the book needs {len(book.pages)}")
    for number, page in enumerate(book.pages):
        if number == 0:
            continue  # the cover carries no folio
        stamp = book.copy_foreign(stamps.pages[number].as_form_xobject())
        resources = page.obj.get("/Resources", pikepdf.Dictionary()).get("/XObject", pikepdf.Dictionary())
        name = next(pikepdf.Name(f"/Folio{n}") for n in range(len(resources) + 1) if f"/Folio{n}" not in resources)
        page.add_resource(stamp, pikepdf.Name.XObject, name)
        shift = (float(page.mediabox[2]) - float(stamps.pages[number].mediabox[2])) / 2
        # The page's own drawing may leave its coordinate system changed (WeasyPrint's does):
        # it is wrapped so the folio is drawn in the page's default space.
        page.contents_add(book.make_stream(b"q\n"), prepend=True)
        page.contents_add(book.make_stream(b"Q\n" + FOLIO_CONTENT % (f"{shift:.2f}".encode(),
                                                                        str(name)[1:].encode())))


if __name__ == "__main__":
    # The child of bind_book_apart: the parts and folio come pickled on stdin from the build
    # that started it, the bound book goes back on stdout.
    import pickle
    import sys

    sys.stdout.buffer.write(bind_book(*pickle.loads(sys.stdin.buffer.read())))
