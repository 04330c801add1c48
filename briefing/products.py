"""Print products stage: the PDF jobs for each full brief and for the briefing book's own pages.

Every product is rendered from the same :class:`BriefView` as the web page; this module adds
only what print needs on top of it (one short quote per party, endnote links to the
published source paragraphs, the book's cover, contents and matrix) and turns each product
into a :class:`PdfJob` that the ``pdf`` stage renders, in parallel when it can. The book is
not laid out whole: its front matter and folio are rendered here once the briefs are, with
the pages where each brief will fall, and the ``binding`` stage puts them together. The
one-page handout has its own module, ``handout``, because it must fit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from .actors import Actor
from .config import Config
from .binding import PrintedLayout
from .pdf import Candidate, PdfJob, PdfMetadata
from .rendering import BriefView, FontFace, QuoteView, StanceRow, render, stance_matrix
from .text import first_sentence

BOOK_PDF = "pdf/briefing-book.pdf"
# Issues side by side in one table of the book's matrix: more would not leave a readable
# column on a landscape page.
MATRIX_ISSUES_PER_TABLE = 6
# Tables of the matrix rendered as one part. A table is what a brief's new title changes, and
# laying one out costs WeasyPrint some 0.3 s: a part of its own re-renders only that table
# (three to a part cost 0.9 s on a title edit). Each table then starts a page, which reads
# better and costs a 200-brief book some 12 pages.
MATRIX_TABLES_PER_PART = 1
# Entries of the contents rendered as one part, on pages of its own: fewer than a page holds
# (24 of one line), so that a part is one page even with a few long titles, and a brief's new
# title re-renders one page of a large desk's contents rather than all of it.
CONTENTS_ENTRIES_PER_PART = 20
# The folio is rendered for a whole number of these pages, so that a book that grows or
# shrinks by a page or two reuses the folio it had.
FOLIO_PAGES_STEP = 32
# A quote in the positions table should be readable at a glance: long enough to say
# something, short enough not to crowd the analyst's summary beside it.
SHORT_QUOTE_WORDS = (4, 22)
# The matrix's heading, on its pages and as its line of the contents (rendered apart from each other).
MATRIX_TITLE = "Where the parties stand: all issues"
# The cover, and the book's Subject property, name the briefs one by one up to this many; a
# larger book leaves that to its contents, so that a brief's new title leaves the cover as it was.
COVER_LISTS_AT_MOST = 12


@dataclass(frozen=True)
class PositionRow:
    """One party in a "where the parties stand" table."""

    party: Actor
    position: str
    quote: QuoteView | None
    more: int  # further quotations by this party, set out in full elsewhere in the brief


@dataclass(frozen=True)
class PrintBrief:
    """A brief as print shows it: the shared context plus the print-only pieces."""

    brief: BriefView
    rows: tuple[PositionRow, ...]
    links: dict[int, str]  # endnote number -> URL of the cited paragraph, when one is known


@dataclass(frozen=True)
class Placement:
    """Where a brief falls in the book, in the book's page numbers (from 1)."""

    start: int
    positions: int  # the page of its "where the parties stand" table


@dataclass(frozen=True)
class MatrixTable:
    """One table of the cross-issue matrix: a few issues side by side, the parties with a stance on any."""

    briefs: tuple[BriefView, ...]
    rows: tuple[StanceRow, ...]  # each row's cells are this table's issues only


@dataclass(frozen=True)
class BookLengths:
    """How many pages the book's own parts run to: the opening (the cover, then each part of the
    contents), then each run of matrix tables."""

    opening: tuple[int, ...]
    matrix: tuple[int, ...]

    @property
    def front(self) -> int:
        return sum(self.opening) + sum(self.matrix)

    @property
    def matrix_page(self) -> int:
        """The book page where the matrix starts."""
        return sum(self.opening) + 1

    def recounted(self, counts: list[int]) -> BookLengths:
        """Lengths of the same parts, each in order as ``counts`` gives it."""
        return BookLengths(tuple(counts[:len(self.opening)]), tuple(counts[len(self.opening):]))

    def as_meta(self) -> dict[str, list[int]]:
        return {"opening": list(self.opening), "matrix": list(self.matrix)}

    @classmethod
    def from_meta(cls, meta: object) -> BookLengths | None:
        """Lengths as :meth:`as_meta` noted them, or None for anything else (an older build's note)."""
        if not isinstance(meta, dict):
            return None
        opening, matrix = meta.get("opening"), meta.get("matrix")
        if not (isinstance(opening, list) and isinstance(matrix, list)
                and all(isinstance(n, int) for n in opening + matrix)):
            return None
        return cls(tuple(opening), tuple(matrix))


@dataclass(frozen=True)
class Book:
    """The book's cover."""

    title: str
    organisation: str
    as_of: dt.date
    marking: str
    briefs: tuple[BriefView, ...]

    @property
    def listed(self) -> tuple[BriefView, ...]:
        """The briefs the cover names: all of them while they fit on it, else none."""
        return self.briefs if len(self.briefs) <= COVER_LISTS_AT_MOST else ()


@dataclass(frozen=True)
class ContentsEntry:
    """A line of the contents: what it leads to (an anchor the parts bound in later hold) and on which page."""

    anchor: str
    title: str
    page: int


@dataclass(frozen=True)
class ContentsPart:
    """A page's worth of the contents, rendered on its own so that an edit re-renders only its part."""

    first: bool
    entries: tuple[ContentsEntry, ...]
    marking: str  # the page furniture's, as on the book's other pages
    as_of: dt.date


@dataclass(frozen=True)
class MatrixPart:
    """A run of the matrix's tables, rendered on its own so that an edit re-renders only its run."""

    first: bool
    tables: tuple[MatrixTable, ...]
    placements: dict[str, Placement]  # of the briefs these tables show
    marking: str  # the page furniture's, as on the book's other pages
    as_of: dt.date


def short_quote(quotes: tuple[QuoteView, ...]) -> QuoteView | None:
    """The analyst's first-listed quote of a readable length, else the one nearest that length."""
    if not quotes:
        return None
    low, high = SHORT_QUOTE_WORDS

    def distance(quote: QuoteView) -> int:
        words = len(quote.text.split())
        return max(low - words, words - high, 0)

    return min(quotes, key=distance)  # min() keeps the first of equals: the analyst's order


def position_rows(view: BriefView, *, short: bool = False) -> tuple[PositionRow, ...]:
    """The positions table: each party's stance and one short quote (``short``: first sentence only)."""
    rows = []
    for position in view.positions:
        quote = short_quote(position.quotes)
        text = first_sentence(position.position) if short else position.position
        rows.append(PositionRow(position.party, text, quote, len(position.quotes) - (quote is not None)))
    return tuple(rows)


def endnote_links(view: BriefView, config: Config) -> dict[int, str]:
    """Where each endnote's paragraph can be read: the published source page, else the source's own URL."""
    links = {}
    for note in view.notes:
        if config.site_url:
            links[note.number] = config.site_url + note.page
        elif note.source.source.url:
            links[note.number] = note.source.source.url
    return links


def print_brief(view: BriefView, config: Config) -> PrintBrief:
    return PrintBrief(view, position_rows(view), endnote_links(view, config))


def parties(views: list[BriefView]) -> tuple[str, ...]:
    """Document keywords: every party with a position, once each, sorted."""
    return tuple(sorted({p.party.name for view in views for p in view.positions}))


def book_marking(views: list[BriefView], default: str) -> str:
    """The cover's marking: the one all briefs share, or every distinct one when they differ."""
    markings = list(dict.fromkeys(view.marking for view in views))
    return " / ".join(markings) if markings else default


def template_context(config: Config, fonts: tuple[FontFace, ...]) -> dict[str, object]:
    """What every print template needs besides its product."""
    return {"config": config, "fonts": fonts}


def brief_job(view: BriefView, config: Config, env: jinja2.Environment, fonts: tuple[FontFace, ...],
              allowed: tuple[Path, ...]) -> PdfJob:
    """The full brief, typically three to eight pages."""
    html = render(env, "brief_print.html", item=print_brief(view, config), **template_context(config, fonts))
    metadata = PdfMetadata(title=view.title, author=config.organisation, subject=f"{view.product}: {view.title}",
                           keywords=parties([view]), language=config.language, date=view.as_of)
    return PdfJob(view.pdf, (Candidate(html),), metadata, config.pdf_variant, config.project, allowed)


def matrix_tables(views: list[BriefView], size: int = MATRIX_ISSUES_PER_TABLE) -> tuple[MatrixTable, ...]:
    """The cross-issue matrix cut into tables of ``size`` issues, each with only the parties it concerns."""
    rows = stance_matrix(views)
    tables = []
    for first in range(0, len(views), size):
        cut = slice(first, first + size)
        kept = tuple(StanceRow(row.party, row.cells[cut]) for row in rows
                     if any(cell.position for cell in row.cells[cut]))
        tables.append(MatrixTable(tuple(views[cut]), kept))
    return tuple(tables)


def book_placements(views: list[BriefView], layouts: list[PrintedLayout],
                    front_pages: int) -> dict[str, Placement]:
    """The book page where each brief starts and where its positions table is, behind ``front_pages``."""
    placements = {}
    start = front_pages + 1
    for view, layout in zip(views, layouts):
        positions = start + layout.anchors.get(f"{view.id}-positions", 0)
        placements[view.id] = Placement(start, positions)
        start += layout.pages
    return placements


def book_metadata(views: list[BriefView], config: Config) -> PdfMetadata:
    """The book's document properties; its date is the latest as-of date among the briefs."""
    named = ("; ".join(view.title for view in views) if len(views) <= COVER_LISTS_AT_MOST
             else f"{len(views)} issue briefs")
    return PdfMetadata(title=f"{config.site_title}: briefing book", author=config.organisation,
                       subject=f"Briefing book: {named}",
                       keywords=parties(views), language=config.language, date=max(view.as_of for view in views))


def contents_parts(views: list[BriefView], placements: dict[str, Placement], matrix_page: int, marking: str,
                   as_of: dt.date, size: int = CONTENTS_ENTRIES_PER_PART) -> list[ContentsPart]:
    """The contents, the matrix and then each brief with the page it starts on, cut into parts of ``size`` entries."""
    entries = [ContentsEntry("matrix", MATRIX_TITLE, matrix_page)]
    entries += [ContentsEntry(f"brief-{view.id}", view.title, placements[view.id].start) for view in views]
    return [ContentsPart(first == 0, tuple(entries[first:first + size]), marking, as_of)
            for first in range(0, len(entries), size)]


def contents_part_count(briefs: int) -> int:
    """How many parts the contents of a book of ``briefs`` briefs is cut into."""
    return -(-(briefs + 1) // CONTENTS_ENTRIES_PER_PART)


def book_part_jobs(views: list[BriefView], layouts: list[PrintedLayout], lengths: BookLengths, config: Config,
                   env: jinja2.Environment, fonts: tuple[FontFace, ...], allowed: tuple[Path, ...]) -> list[PdfJob]:
    """The book's own pages as parts rendered apart: the cover, the parts of the contents, then runs of matrix tables.

    Page numbers are given as if the parts ran to ``lengths`` (the caller renders again
    when they do not). Each part holds only what it shows, so an edit to one brief leaves
    the other parts of the contents and runs of the matrix exactly as they were.
    """
    metadata = book_metadata(views, config)
    placements = book_placements(views, layouts, lengths.front)
    marking = book_marking(views, config.marking)
    cover = Book(title=metadata.title, organisation=config.organisation, as_of=metadata.date, marking=marking,
                 briefs=tuple(views))
    html = render(env, "book_print.html", book=cover, **template_context(config, fonts))
    jobs = [PdfJob(f"{BOOK_PDF} (cover)", (Candidate(html),), metadata, config.pdf_variant, config.project, allowed)]
    # Binding keeps the cover's document properties and leaves a part's behind; a part's own
    # are kept free of the briefs, so that a brief's new title leaves the other parts the same jobs.
    part_metadata = replace(metadata, subject="Briefing book", keywords=(), date=dt.date(2000, 1, 1))
    for number, part in enumerate(contents_parts(views, placements, lengths.matrix_page, marking, metadata.date)):
        html = render(env, "book_contents_print.html", part=part, **template_context(config, fonts))
        jobs.append(PdfJob(f"{BOOK_PDF} (contents, part {number + 1})", (Candidate(html),), part_metadata,
                           config.pdf_variant, config.project, allowed))
    for number, tables in enumerate(matrix_runs(matrix_tables(views))):
        shown = {view.id: placements[view.id] for table in tables for view in table.briefs}
        html = render(env, "book_matrix_print.html", part=MatrixPart(number == 0, tables, shown, marking, metadata.date),
                      title=MATRIX_TITLE, **template_context(config, fonts))
        jobs.append(PdfJob(f"{BOOK_PDF} (matrix, part {number + 1})", (Candidate(html),), part_metadata,
                           config.pdf_variant, config.project, allowed))
    return jobs


def matrix_runs(tables: tuple[MatrixTable, ...], size: int = MATRIX_TABLES_PER_PART) -> list[tuple[MatrixTable, ...]]:
    """The matrix's tables in runs of ``size``, one rendered part each."""
    return [tables[first:first + size] for first in range(0, len(tables), size)] or [()]


def matrix_run_count(briefs: int) -> int:
    """How many runs :func:`matrix_runs` makes of the matrix of ``briefs`` briefs (a table per few briefs, see
    :func:`matrix_tables`), worked out without making them."""
    tables = -(-briefs // MATRIX_ISSUES_PER_TABLE)
    return max(1, -(-tables // MATRIX_TABLES_PER_PART))


def folio_job(pages: int, config: Config, env: jinja2.Environment, fonts: tuple[FontFace, ...],
              allowed: tuple[Path, ...]) -> PdfJob:
    """The book's page numbers, one page each, for at least ``pages`` pages (untagged: binding marks them)."""
    count = -(-pages // FOLIO_PAGES_STEP) * FOLIO_PAGES_STEP
    html = render(env, "folio_print.html", pages=count, **template_context(config, fonts))
    metadata = PdfMetadata(title="Folio", author=config.organisation, subject="", keywords=(),
                           language=config.language, date=dt.date(2000, 1, 1))
    return PdfJob("folio.pdf", (Candidate(html),), metadata, config.pdf_variant, config.project, allowed,
                  tagged=False)
