"""Extraction stage: quotes with their speakers, checkable facts and dated events, proposed
from any news article for a curator to review.

Pure functions over an article's text and its parsed paragraphs; every record carries
offsets into the text as read, so it can be cited verbatim. ``harvest`` reads the text
once for all three kinds of record; the single-kind functions are for callers that need
only one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from ..actors import Registry
from ..sources import Paragraph
from .context import Article
from .events import EventRecord, extract_events
from .facts import FactRecord, extract_facts
from .mentions import Names
from .quotes import QuoteRecord, attribute_span, extract_quotes

__all__ = [
    "Article", "EventRecord", "FactRecord", "Harvest", "Names", "QuoteRecord", "attribute_span",
    "extract_events", "extract_facts", "extract_quotes", "harvest",
]


@dataclass(frozen=True)
class Harvest:
    """Everything proposed from one article."""

    source: str
    quotes: tuple[QuoteRecord, ...]
    facts: tuple[FactRecord, ...]
    events: tuple[EventRecord, ...]


def harvest(text: str, paragraphs: Sequence[Paragraph], registry: Registry | Names, source: str = "",
            article_date: dt.date | None = None) -> Harvest:
    """Quotes, facts and events of one article. Pass a ``Names`` built once when harvesting
    many articles against the same registry, to index its aliases only once."""
    names = registry if isinstance(registry, Names) else Names(registry)
    article = Article(text, paragraphs, names)
    return Harvest(
        source,
        tuple(extract_quotes(text, paragraphs, names, source, article=article)),
        tuple(extract_facts(text, paragraphs, source, article=article)),
        tuple(extract_events(text, paragraphs, article_date, source, article=article)),
    )
