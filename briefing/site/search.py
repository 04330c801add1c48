"""Site stage, search: Pagefind indexes of the briefs, sources, actors and the text of the PDFs.

The site is indexed in several bundles that the search page merges in the browser
(Pagefind's multisite search), so that an edit re-indexes only the bundles whose pages
changed: the source articles apart, the actors apart, and the briefs with their PDFs in
bundles of a few dozen (see ``SearchPlan``). Editing one brief then re-indexes a few dozen
pages instead of every article on the desk. The primary bundle carries Pagefind's engine;
the merged ones only their index.

For each bundle, the pages and a stand-in page per PDF (its extracted text, pointing at
the PDF) are written to a private temporary folder and the Pagefind binary from the
``pagefind[bin]`` package indexes that folder in one run; the index comes back as files,
so nothing reaches ``out/`` before the whole build has succeeded. (Pagefind's Python API
answers one request per 100 ms, too slow for a thousand pages; the binary takes well under
a second.) Pagefind's ready-made result widgets are left out: the site has a small search
script of its own, styled like the rest and allowed by a strict Content-Security-Policy.
Pagefind's output is the same for the same input, so builds stay byte-identical.
"""

from __future__ import annotations

import hashlib
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from markupsafe import escape

from ..buildcache import JsonStore, digest
from ..errors import RenderError

SEARCH_FOLDER = "pagefind"
# Pagefind's ready-made interfaces and highlighter: the site does not load them.
_UNUSED = re.compile(r"^pagefind-(component-ui|modular-ui|ui|highlight)\.(js|css)$")
# Pagefind's engine (script, worker, WebAssembly): a merged bundle is searched with the primary's.
_ENGINE = re.compile(r"^(pagefind\.js|pagefind-worker\.js|wasm\.[a-z0-9_-]+\.pagefind)$")


# Briefs per bundle: editing one brief re-indexes its bundle, not every brief on the desk.
BRIEFS_PER_BUNDLE = 25
# Source pages per bundle: a brief's new title or quotation changes the pages of the articles
# it cites, and re-indexes their bundles, not every article on the desk.
SOURCES_PER_BUNDLE = 128
# A PDF repeats its brief's words: ranked at half weight, the brief's own page comes first.
PDF_WEIGHT = 0.5


@dataclass(frozen=True)
class SearchBundle:
    """One Pagefind index over part of the site, in its own folder."""

    name: str  # "sources-<n>", "actors", "briefs-<n>" or "pdfs-<n>"
    folder: str  # site path: "pagefind" for the primary bundle, "pagefind/<name>" for the others
    primary: bool  # the primary bundle ships the engine; the search page merges the others into it
    weight: float = 1.0  # Pagefind's indexWeight: how its results rank against the other bundles'

    @property
    def of_pdfs(self) -> bool:
        """Whether this bundle indexes the text of PDFs (which the build may still be rendering)."""
        return self.name.startswith("pdfs-")


@dataclass(frozen=True)
class SearchPlan:
    """Which bundle indexes which page or PDF.

    Bundles follow what changes together: the source articles change with the articles and
    the briefs that cite them, the actor pages with the briefs' quotations, and the briefs and
    the text of their PDFs. Each kind is spread over bundles (of about ``SOURCES_PER_BUNDLE``
    articles, ``BRIEFS_PER_BUNDLE`` briefs) by a hash of their id, so that editing one brief
    re-indexes a few hundred pages instead of the whole site. The PDFs
    have bundles of their own, weighted down (``PDF_WEIGHT``). The first bundle with
    anything in it is the primary one; PDFs come last, so it always has the full weight.
    """

    bundles: tuple[SearchBundle, ...]
    shards: int  # how many bundles the briefs (and, apart, their PDFs) are spread over
    source_shards: int = 1  # how many bundles the source articles are spread over

    @classmethod
    def of(cls, brief_ids: list[str], pdf_brief_ids: list[str], actor_pages: bool,
           source_ids: list[str]) -> SearchPlan:
        """The bundles for a site of ``brief_ids``, the briefs ``pdf_brief_ids`` with PDFs, actor pages
        (if any) and the pages of the articles ``source_ids``."""
        shards = max(1, -(-len(brief_ids) // BRIEFS_PER_BUNDLE))
        source_shards = max(1, -(-len(source_ids) // SOURCES_PER_BUNDLE))
        named = [(f"sources-{n}", 1.0) for n in sorted({_shard(i, source_shards) for i in source_ids})]
        named += [("actors", 1.0)] * actor_pages
        named += [(f"briefs-{n}", 1.0) for n in sorted({_shard(i, shards) for i in brief_ids})]
        named += [(f"pdfs-{n}", PDF_WEIGHT) for n in sorted({_shard(i, shards) for i in pdf_brief_ids})]
        return cls(tuple(SearchBundle(name, SEARCH_FOLDER if not n else f"{SEARCH_FOLDER}/{name}", not n, weight)
                         for n, (name, weight) in enumerate(named)), shards, source_shards)

    def named(self, name: str) -> SearchBundle:
        return next(bundle for bundle in self.bundles if bundle.name == name)

    def for_brief(self, brief_id: str) -> SearchBundle:
        """The bundle of a brief's page."""
        return self.named(f"briefs-{_shard(brief_id, self.shards)}")

    def for_pdf(self, brief_id: str) -> SearchBundle:
        """The bundle of the text of a brief's PDFs."""
        return self.named(f"pdfs-{_shard(brief_id, self.shards)}")

    def for_page(self, path: str, brief_id: str | None = None) -> SearchBundle:
        """The bundle of the page at ``path`` (a brief's page names its brief)."""
        if brief_id is not None:
            return self.for_brief(brief_id)
        folder, _, name = path.partition("/")
        if folder == "sources":
            return self.named(f"sources-{_shard(name.removesuffix('.html'), self.source_shards)}")
        return self.named(folder)

    @property
    def merged(self) -> list[dict[str, object]]:
        """What the search page merges into the primary bundle: Pagefind's mergeIndex options per bundle."""
        return [{"bundlePath": f"{bundle.folder}/", "indexWeight": bundle.weight}
                for bundle in self.bundles if not bundle.primary]


def _shard(brief_id: str, shards: int) -> int:
    return int(hashlib.sha256(brief_id.encode("utf-8")).hexdigest()[:8], 16) % shards


@dataclass(frozen=True)
class SearchDocument:
    """A page or PDF to index: a page as Pagefind reads it (see :func:`searchable`), or a PDF's text with its title."""

    path: str  # relative to the site root
    html: str | None = None  # a page's HTML as written; Pagefind is given it :func:`searchable`
    text: str | None = None
    title: str | None = None
    kind: str | None = None  # shown beside the result, e.g. "PDF"
    digest: str | None = None  # a page's :func:`searchable_digest`, when known

    @property
    def identity(self) -> tuple[object, ...]:
        """What the index made of this document depends on: a page's searchable part, a PDF's text."""
        if self.html is not None:
            return self.path, self.digest or searchable_digest(self.html)
        return self.path, self.text, self.title, self.kind


def searchable(html: str) -> str:
    """A page as the search index reads it: without the parts marked ``data-pagefind-ignore``.

    Pagefind leaves those parts out of the index anyway; taking them out before it reads
    the page makes the bundle's key follow what is indexed. A brief's new title changes the
    "Cited in" lines of every article it cites, and those articles' bundles need no new index.
    """
    import lxml.html

    document = lxml.html.document_fromstring(html)
    for element in document.xpath("//*[@data-pagefind-ignore]"):
        element.drop_tree()  # its tail, the text after it, stays
    return "<!DOCTYPE html>\n" + lxml.html.tostring(document, encoding="unicode")


def searchable_digest(html: str) -> str:
    """The digest of :func:`searchable` ``html``: what a bundle's key knows of the page."""
    return hashlib.sha256(searchable(html).encode("utf-8")).hexdigest()


def pdf_text(data: bytes) -> str:
    """The text of a PDF, page by page, so its words can be found by search.

    PDFium reads a brief's PDF in a few milliseconds; pure-Python readers take a second.
    """
    import pypdfium2

    document = pypdfium2.PdfDocument(data)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


class PdfTexts:
    """The text of PDFs, kept in the project's cache by the hash of their bytes.

    Reading the text of a large desk's 400 PDFs takes seconds; an edit changes two of them.
    """

    def __init__(self, store: JsonStore):
        self.store = store

    def __call__(self, data: bytes) -> str:
        key = digest(data)
        text = self.store.get(key)
        if not isinstance(text, str):
            text = pdf_text(data)
            self.store.put(key, text)
        return text


def stand_in(doc: SearchDocument, language: str) -> str:
    """An HTML page carrying a PDF's text; its ``target`` meta sends the result to the PDF itself."""
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in (doc.text or "").splitlines() if line.strip())
    return (f'<!DOCTYPE html><html lang="{escape(language)}"><head><title>{escape(doc.title or doc.path)}</title>'
            f'</head><body data-pagefind-body data-pagefind-meta="target:{escape(doc.path)}">'
            f'<p data-pagefind-meta="title" data-pagefind-weight="0.2">{escape(doc.title or doc.path)}</p>'
            f'<span data-pagefind-meta="type" hidden>{escape(doc.kind or "PDF")}</span>'
            # Low weight: the brief's own page should rank above the PDF made from it.
            f'<div data-pagefind-weight="0.2">{paragraphs}</div></body></html>')


def search_index(documents: list[SearchDocument], language: str,
                 bundle: SearchBundle = SearchBundle("site", SEARCH_FOLDER, primary=True)) -> dict[str, bytes]:
    """Index ``documents`` with Pagefind into ``bundle``; returns its files keyed by site path."""
    from pagefind.service import get_executable

    binary = get_executable()
    if binary is None:
        raise RenderError("search index: the Pagefind binary is missing; reinstall make-brief (pagefind[bin])")
    primary = language.split("-")[0]
    with tempfile.TemporaryDirectory(prefix="make-brief-search-") as folder:
        site, output = Path(folder) / "site", Path(folder) / "bundle"
        for doc in documents:
            # A PDF's stand-in page lives beside it, so its URL names the PDF it stands for.
            path = site / (doc.path if doc.html is not None else f"{doc.path}.html")
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(searchable(doc.html) if doc.html is not None else stand_in(doc, language), encoding="utf-8")
        run = subprocess.run([str(binary), "--site", str(site), "--output-path", str(output),
                              "--force-language", primary, "--keep-index-url", "--silent"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            detail = (run.stderr or run.stdout).strip().splitlines()
            raise RenderError(f"search index: Pagefind failed: {detail[-1] if detail else run.returncode}")
        return {f"{bundle.folder}/{p.relative_to(output).as_posix()}": p.read_bytes()
                for p in sorted(output.rglob("*")) if p.is_file() and not _UNUSED.match(p.name)
                and (bundle.primary or not _ENGINE.match(p.name))}
