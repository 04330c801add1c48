"""Site stage: the static web pages (home, briefs, sources) as a map of path to bytes.

Every link is relative, so the site works under any sub-path and from ``file://``.
"""

from __future__ import annotations

from dataclasses import dataclass

import jinja2

from .actors import Registry
from .config import Config
from .rendering import BriefView, font_faces, relative, render, source_page
from .sources import Paragraph, Source

SITE_CSS = "assets/site.css"


@dataclass(frozen=True)
class Segment:
    """A run of paragraph text; ``citers`` lists the briefs that cite it (empty if none)."""

    text: str
    citers: tuple[tuple[str, str], ...]  # (brief title, link to the brief page)


@dataclass(frozen=True)
class SourceParagraph:
    paragraph: Paragraph
    segments: tuple[Segment, ...]

    @property
    def cited(self) -> bool:
        return any(s.citers for s in self.segments)

    @property
    def citers(self) -> tuple[tuple[str, str], ...]:
        """Every brief that cites this paragraph, once each."""
        return tuple(sorted({c for s in self.segments for c in s.citers}))


def highlight(paragraph: Paragraph, spans: list[tuple[int, int, str, str]]) -> tuple[Segment, ...]:
    """Split a paragraph at every cited span boundary (spans are absolute offsets)."""
    cuts = {0, len(paragraph.text)}
    for start, end, _, _ in spans:
        cuts.update((start - paragraph.start, end - paragraph.start))
    points = sorted(c for c in cuts if 0 <= c <= len(paragraph.text))
    segments = []
    for a, b in zip(points, points[1:]):
        citers = sorted({(title, link) for start, end, title, link in spans
                         if start - paragraph.start <= a and b <= end - paragraph.start})
        segments.append(Segment(paragraph.text[a:b], tuple(citers)))
    return tuple(segments)


def site_pages(views: list[BriefView], sources: dict[str, Source], registry: Registry, config: Config,
               env: jinja2.Environment, has_pdf: bool) -> dict[str, bytes]:
    """Render every page of the site; keys are paths relative to the site root."""
    common = {"config": config, "registry": registry, "has_pdf": has_pdf, "css": SITE_CSS}
    pages: dict[str, str | bytes] = {}

    def link(page: str):
        return lambda target: relative(page, target)

    pages["index.html"] = render(env, "index.html", page="index.html", link=link("index.html"),
                                 briefs=views, **common)
    for view in views:
        pages[view.page] = render(env, "brief.html", page=view.page, link=link(view.page), brief=view, **common)

    cited = sorted({s.source.id for v in views for s in v.sources})
    for source_id in cited:
        source = sources[source_id]
        page = source_page(source_id)
        spans: dict[int, list[tuple[int, int, str, str]]] = {}
        citing = []
        for view in views:
            items = [(item.note, item.passage) for item in (*view.quotes, *view.facts, *view.timeline)]
            used = False
            for note, passage in items:
                if note.source.source.id != source_id:
                    continue
                paragraph = source.paragraph(note.paragraph)
                start = paragraph.start + len(passage.before)
                spans.setdefault(note.paragraph, []).append(
                    (start, start + len(passage.cited), view.title, relative(page, view.page)))
                used = True
            if used or any(s.source.id == source_id for s in view.sources):
                citing.append(view)
        paragraphs = tuple(SourceParagraph(p, highlight(p, spans.get(p.number, []))) for p in source.paragraphs)
        pages[page] = render(env, "source.html", page=page, link=link(page), source=source,
                             paragraphs=paragraphs, citing=citing, **common)

    pages[SITE_CSS] = render(env, "site.css", fonts=font_faces())
    for face in font_faces():
        pages[f"assets/fonts/{face.file_name}"] = face.path.read_bytes()
    return {path: content if isinstance(content, bytes) else content.encode("utf-8")
            for path, content in pages.items()}
