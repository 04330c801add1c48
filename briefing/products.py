"""Print products stage: the PDF jobs for each full brief and the briefing book.

Every product is rendered from the same :class:`BriefView` as the web page; this module adds
only what print needs on top of it (one short quote per party, endnote links to the
published source paragraphs, the book's cover and contents) and turns each product into a
:class:`PdfJob` that the ``pdf`` stage renders, in parallel when it can. The one-page
handout has its own module, ``handout``, because it must fit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import jinja2

from .actors import Actor
from .config import Config
from .pdf import Candidate, PdfJob, PdfMetadata
from .rendering import BriefView, FontFace, QuoteView, StanceRow, render, stance_matrix
from .text import first_sentence

BOOK_PDF = "pdf/briefing-book.pdf"
# A quote in the positions table should be readable at a glance: long enough to say
# something, short enough not to crowd the analyst's summary beside it.
SHORT_QUOTE_WORDS = (4, 22)


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
class Book:
    """The briefing book: every brief behind one cover, contents and stance matrix."""

    title: str
    organisation: str
    as_of: dt.date
    marking: str
    briefs: tuple[PrintBrief, ...]
    matrix: tuple[StanceRow, ...]


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


def book_job(views: list[BriefView], config: Config, env: jinja2.Environment, fonts: tuple[FontFace, ...],
             allowed: tuple[Path, ...]) -> PdfJob:
    """Every brief in one PDF; its date is the latest as-of date among them."""
    as_of = max(view.as_of for view in views)
    book = Book(title=f"{config.site_title}: briefing book", organisation=config.organisation, as_of=as_of,
                marking=book_marking(views, config.marking),
                briefs=tuple(print_brief(view, config) for view in views), matrix=stance_matrix(views))
    html = render(env, "book_print.html", book=book, **template_context(config, fonts))
    metadata = PdfMetadata(title=book.title, author=config.organisation,
                           subject="Briefing book: " + "; ".join(view.title for view in views),
                           keywords=parties(views), language=config.language, date=as_of)
    return PdfJob(BOOK_PDF, (Candidate(html),), metadata, config.pdf_variant, config.project, allowed)
