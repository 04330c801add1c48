"""Site stage, source pages: each cited article in full, the cited passages marked and linked back.

A reader who doubts a quotation lands here from the brief, sees the paragraph it came
from in the whole article, and can follow every other brief that cites the same words.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from ..rendering import BriefView, source_page
from ..sources import Paragraph, Source
from .briefs import BriefLink
from .pages import Page, PageWriter, plain


@dataclass(frozen=True)
class Citer:
    """A brief that cites a passage, and the link to the item that cites it."""

    title: str
    target: str  # site path with fragment, e.g. "briefs/sanctions.html#q-kerry-isolating-russia"


@dataclass(frozen=True)
class Segment:
    """A run of paragraph text; ``citers`` lists the briefs that cite it (empty if none)."""

    text: str
    citers: tuple[Citer, ...]


@dataclass(frozen=True)
class SourceParagraph:
    paragraph: Paragraph
    segments: tuple[Segment, ...]

    @property
    def cited(self) -> bool:
        return any(s.citers for s in self.segments)

    @property
    def citers(self) -> tuple[Citer, ...]:
        """Every item that cites this paragraph, once each, in a stable order."""
        return tuple(sorted({c for s in self.segments for c in s.citers}, key=lambda c: (c.title, c.target)))


Span = tuple[int, int, Citer]  # absolute offsets into the article text


def highlight(paragraph: Paragraph, spans: list[Span]) -> tuple[Segment, ...]:
    """Split a paragraph at every cited span boundary (spans are absolute offsets)."""
    cuts = {0, len(paragraph.text)}
    for start, end, _ in spans:
        cuts.update((start - paragraph.start, end - paragraph.start))
    points = sorted(c for c in cuts if 0 <= c <= len(paragraph.text))
    segments = []
    for a, b in zip(points, points[1:]):
        citers = sorted({citer for start, end, citer in spans
                         if start - paragraph.start <= a and b <= end - paragraph.start},
                        key=lambda c: (c.title, c.target))
        segments.append(Segment(paragraph.text[a:b], tuple(citers)))
    return tuple(segments)


def cited_items(view: BriefView):
    """Every cited item of a brief with the anchor of its place on the brief page.

    Event anchors are ``e-<n>`` in timeline order, as brief.html numbers them.
    """
    for quote in view.quotes:
        yield quote.note, quote.passage, f"{view.page}#q-{quote.id}"
    for fact in view.facts:
        yield fact.note, fact.passage, f"{view.page}#f-{fact.id}"
    for number, event in enumerate(view.timeline, 1):
        yield event.note, event.passage, f"{view.page}#e-{number}"


def marked_paragraphs(source: Source, marks: tuple[tuple[int, tuple[Span, ...]], ...]) -> tuple[SourceParagraph, ...]:
    """Every paragraph of ``source``, split at the spans cited in it (``marks``: by paragraph number)."""
    by_paragraph = dict(marks)
    return tuple(SourceParagraph(p, highlight(p, list(by_paragraph.get(p.number, ())))) for p in source.paragraphs)


def write_source_pages(writer: PageWriter, views: list[BriefView], sources: dict[str, Source]) -> list[str]:
    """One page per cited source; returns the source ids that have a page."""
    spans: dict[str, dict[int, list[Span]]] = {}
    citing: dict[str, list[BriefLink]] = {}
    for view in views:
        link = BriefLink.of(view)
        for cited in view.sources:
            citing.setdefault(cited.source.id, []).append(link)
        for note, passage, target in cited_items(view):
            source = sources[note.source.source.id]
            start = source.paragraph(note.paragraph).start + len(passage.before)
            spans.setdefault(source.id, {}).setdefault(note.paragraph, []).append(
                (start, start + len(passage.cited), Citer(view.title, target)))

    for source_id in sorted(citing):
        source = sources[source_id]
        marks = tuple(sorted((number, tuple(marked)) for number, marked in spans.get(source_id, {}).items()))
        paragraphs = writer.workspace.recall("source paragraphs", partial(marked_paragraphs, source, marks),
                                             same=(source,), equal=marks)
        page = Page(source_page(source_id), source.title,
                    plain(f"{source.outlet}: {source.paragraphs[0].text if source.paragraphs else source.title}"),
                    search_type="Source article")
        writer.page("source.html", page, source=source, paragraphs=paragraphs, citing=citing[source_id])
    return sorted(citing)
