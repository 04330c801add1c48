"""Rendering stage: verified briefs turned into typed template contexts and rendered by Jinja.

One context per brief feeds both the web page and the print HTML that becomes the PDF.
Templates are looked up in the project's ``templates/`` first and the packaged defaults
last, with autoescape on; Markdown prose is rendered and then sanitised.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib.util
import posixpath
from dataclasses import dataclass
from pathlib import Path

import jinja2
import jinja2.meta
import markdown as markdown_lib
import nh3
from markupsafe import Markup

from .actors import Actor, Registry
from .assessment import Corroboration, corroborate, source_summary
from .buildcache import JsonStore
from .citations import Citation, VerifiedBrief
from .errors import RenderError
from .profiles import LIKELIHOOD
from .sources import Source
from .text import first_sentence, long_date



def packaged_templates() -> Path:
    """The default templates installed with the package (the repository's ``templates/``)."""
    spec = importlib.util.find_spec("briefing.templates")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "templates"
_ALLOWED_TAGS = {"p", "em", "strong", "ul", "ol", "li", "blockquote", "code", "br", "a", "h3", "h4", "abbr"}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}}


@dataclass(frozen=True)
class FontFace:
    family: str
    weight: int
    style: str
    path: Path

    @property
    def file_name(self) -> str:
        return self.path.name


_FONT_FILES = (
    ("Source Serif Pro", "font_source_serif_pro", (
        (400, "normal", "SourceSerifPro-Regular.ttf"), (400, "italic", "SourceSerifPro-It.ttf"),
        (600, "normal", "SourceSerifPro-Semibold.ttf"), (700, "normal", "SourceSerifPro-Bold.ttf"))),
    ("Source Sans Pro", "font_source_sans_pro", (
        (400, "normal", "SourceSansPro-Regular.ttf"), (400, "italic", "SourceSansPro-It.ttf"),
        (600, "normal", "SourceSansPro-Semibold.ttf"), (700, "normal", "SourceSansPro-Bold.ttf"))),
)


def font_faces() -> tuple[FontFace, ...]:
    """The fonts the design uses, from the font packages the project installs."""
    faces = []
    for family, module, files in _FONT_FILES:
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            raise RenderError(f"font package {module!r} is not installed; reinstall make-brief")
        folder = Path(next(iter(spec.submodule_search_locations))) / "files"
        for weight, style, name in files:
            faces.append(FontFace(family, weight, style, folder / name))
    return tuple(faces)


def markdown_html(text: str | None) -> Markup:
    """Render analyst Markdown and sanitise the result, so a profile cannot inject markup."""
    if not text:
        return Markup("")
    html = markdown_lib.markdown(text, extensions=["sane_lists"], output_format="html")
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes=_ALLOWED_ATTRIBUTES,
                      url_schemes={"http", "https"}, link_rel="noopener noreferrer")
    return Markup(clean)


def make_environment(template_dirs: list[Path]) -> jinja2.Environment:
    """A Jinja environment over ``template_dirs`` (first wins), autoescaping HTML and XML."""
    folders: list[Path] = []
    for folder in (*template_dirs, packaged_templates()):
        if folder.is_dir() and folder.resolve() not in folders:
            folders.append(folder.resolve())
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals["template_folders"] = tuple(folders)
    env.filters["date_label"] = long_date
    env.filters["first_sentence"] = first_sentence
    return env


def template_digest(env: jinja2.Environment, name: str) -> str:
    """A hash of template ``name`` and of every template it extends, includes or imports.

    A reference that Jinja cannot resolve statically (a name computed at render time) makes
    the digest cover every template in the search path, so no dependency is ever missed.
    """
    cache = env.globals.setdefault("_template_digests", {})
    if name in cache:
        return cache[name]
    seen: dict[str, str] = {}
    pending = [name]
    dynamic = False
    while pending:
        current = pending.pop()
        if current in seen:
            continue
        try:
            source, _, _ = env.loader.get_source(env, current)
        except jinja2.TemplateNotFound:
            seen[current] = "missing"
            continue
        seen[current] = hashlib.sha256(source.encode("utf-8")).hexdigest()
        for reference in jinja2.meta.find_referenced_templates(env.parse(source)):
            if reference is None:
                dynamic = True
            else:
                pending.append(reference)
    if dynamic:
        for other in env.list_templates():
            seen.setdefault(other, hashlib.sha256(env.loader.get_source(env, other)[0].encode()).hexdigest())
    cache[name] = hashlib.sha256(repr(sorted(seen.items())).encode()).hexdigest()
    return cache[name]


def render(env: jinja2.Environment, name: str, **context: object) -> str:
    """Render template ``name``; a missing or broken template becomes a RenderError."""
    try:
        return env.get_template(name).render(**context)
    except jinja2.TemplateNotFound as exc:
        looked = ", ".join(str(f) for f in env.globals["template_folders"])
        raise RenderError(f"template {exc.name!r} not found (looked in: {looked})") from exc
    except jinja2.TemplateSyntaxError as exc:
        raise RenderError(f"{exc.filename or name}:{exc.lineno}: template syntax error: {exc.message}") from exc
    except jinja2.UndefinedError as exc:
        raise RenderError(f"template {name!r}: {exc.message}") from exc


def relative(from_page: str, to_path: str) -> str:
    """A link from the page at ``from_page`` to ``to_path`` (both relative to the site root)."""
    target, _, fragment = to_path.partition("#")
    link = posixpath.relpath(target, posixpath.dirname(from_page) or ".")
    return f"{link}#{fragment}" if fragment else link


# -- contexts -----------------------------------------------------------------------------

@dataclass(frozen=True)
class SourceView:
    number: int
    source: Source
    page: str  # site path of the source page

    @property
    def label(self) -> str:
        return f"S{self.number}"


@dataclass(frozen=True)
class Note:
    """A numbered endnote: one cited paragraph of one source."""

    number: int
    source: SourceView
    paragraph: int
    paragraph_text: str
    sentences: tuple[str, ...]
    page: str  # site path with fragment


@dataclass(frozen=True)
class Passage:
    """A cited span inside its paragraph, split for highlighting."""

    before: str
    cited: str
    after: str


@dataclass(frozen=True)
class QuoteView:
    id: str
    text: str
    speaker: Actor
    source: SourceView
    note: Note
    passage: Passage
    sentence: str
    partial: bool
    remark: str | None
    corroboration: Corroboration


@dataclass(frozen=True)
class FactView:
    id: str
    statement: str
    evidence: str
    note: Note
    passage: Passage
    corroboration: Corroboration


@dataclass(frozen=True)
class EventView:
    date: str
    iso: str
    event: str
    note: Note
    passage: Passage


@dataclass(frozen=True)
class JudgmentView:
    text: str
    likelihood: str
    band: str
    confidence: str
    notes: tuple[Note, ...]


@dataclass(frozen=True)
class PositionView:
    party: Actor
    position: str
    quotes: tuple[QuoteView, ...]


@dataclass(frozen=True)
class BriefView:
    """Everything a brief template shows; shared by the web page and the PDF."""

    id: str
    title: str
    product: str
    as_of: dt.date
    edition: int
    marking: str
    summary: Markup
    background: Markup
    outlook: Markup
    sourcing: Markup
    judgments: tuple[JudgmentView, ...]
    positions: tuple[PositionView, ...]
    quotes: tuple[QuoteView, ...]
    facts: tuple[FactView, ...]
    timeline: tuple[EventView, ...]
    indicators: tuple[str, ...]
    sources: tuple[SourceView, ...]
    notes: tuple[Note, ...]
    summary_statement: str
    page: str
    pdf: str
    counts: dict[str, int]


def brief_page(profile_id: str) -> str:
    return f"briefs/{profile_id}.html"


def brief_pdf(profile_id: str) -> str:
    return f"pdf/{profile_id}.pdf"


def handout_pdf(profile_id: str) -> str:
    """Where a brief's one-page handout is written, when a build makes it."""
    return f"pdf/{profile_id}-handout.pdf"


def source_page(source_id: str) -> str:
    return f"sources/{source_id}.html"


def brief_view(brief: VerifiedBrief, sources: dict[str, Source], registry: Registry,
               store: JsonStore | None = None) -> BriefView:
    """Number the sources and endnotes of a verified brief and shape it for the templates."""
    profile = brief.profile
    source_views: dict[str, SourceView] = {}
    for source_id in profile.cited_sources():
        source_views[source_id] = SourceView(len(source_views) + 1, sources[source_id], source_page(source_id))

    notes: dict[tuple[str, int], Note] = {}
    note_sentences: dict[tuple[str, int], list[str]] = {}

    def note_for(citation: Citation) -> tuple[str, int]:
        key = (citation.source, citation.paragraph)
        if key not in notes:
            paragraph = sources[citation.source].paragraph(citation.paragraph)
            note_sentences[key] = []
            notes[key] = Note(len(notes) + 1, source_views[citation.source], citation.paragraph,
                              paragraph.text, (), f"{source_page(citation.source)}#{citation.anchor}")
        if citation.sentence not in note_sentences[key]:
            note_sentences[key].append(citation.sentence)
        return key

    def passage(citation: Citation) -> Passage:
        paragraph = sources[citation.source].paragraph(citation.paragraph)
        start, end = citation.start - paragraph.start, citation.end - paragraph.start
        return Passage(paragraph.text[:start], paragraph.text[start:end], paragraph.text[end:])

    quote_keys = [note_for(c.citation) for c in brief.quotes]
    fact_keys = [note_for(c.citation) for c in brief.facts]
    event_keys = [note_for(c.citation) for c in brief.timeline]
    final_notes = {key: Note(n.number, n.source, n.paragraph, n.paragraph_text, tuple(note_sentences[key]), n.page)
                   for key, n in notes.items()}

    quotes = tuple(
        QuoteView(c.quote.id, c.quote.text, registry[c.quote.speaker], source_views[c.quote.source],
                  final_notes[key], passage(c.citation), c.citation.sentence,
                  is_partial(c.quote.text, c.citation.sentence), c.quote.note,
                  corroborate(c.quote.text, sources[c.quote.source], sources, store))
        for c, key in zip(brief.quotes, quote_keys)
    )
    facts = tuple(FactView(c.fact.id, c.fact.statement, c.fact.evidence, final_notes[key], passage(c.citation),
                           corroborate(c.fact.evidence, sources[c.fact.source], sources, store))
                  for c, key in zip(brief.facts, fact_keys))
    timeline = tuple(EventView(c.event.date.label, c.event.date.iso, c.event.event, final_notes[key],
                                       passage(c.citation))
                     for c, key in zip(brief.timeline, event_keys))
    by_id = {q.id: q for q in quotes}
    note_by_id = {**{q.id: q.note for q in quotes}, **{f.id: f.note for f in facts}}
    judgments = tuple(
        JudgmentView(j.text, j.likelihood, LIKELIHOOD[j.likelihood], j.confidence,
                     tuple(sorted({note_by_id[b] for b in j.basis if b in note_by_id}, key=lambda n: n.number)))
        for j in profile.key_judgments
    )
    positions = tuple(PositionView(registry[p.party], p.position, tuple(by_id[q] for q in p.quotes if q in by_id))
                      for p in profile.positions)
    unquoted = [p.party.name for p in positions if not p.quotes]
    statement = source_summary([v.source for v in source_views.values()], [q.corroboration for q in quotes],
                               [f.corroboration for f in facts], unquoted)
    return BriefView(
        id=profile.id, title=profile.title, product=profile.product, as_of=profile.as_of,
        edition=profile.edition, marking=profile.marking, summary=markdown_html(profile.summary),
        background=markdown_html(profile.background), outlook=markdown_html(profile.outlook),
        sourcing=markdown_html(profile.sourcing), judgments=judgments, positions=positions,
        quotes=quotes, facts=facts, timeline=timeline, indicators=profile.indicators,
        sources=tuple(source_views.values()), notes=tuple(final_notes.values()),
        summary_statement=statement, page=brief_page(profile.id), pdf=brief_pdf(profile.id),
        counts={"quotes": len(quotes), "facts": len(facts), "events": len(timeline),
                "sources": len(source_views)},
    )


def is_partial(quote: str, sentence: str) -> bool:
    """A quote of a few words lifted from a longer sentence needs its context shown."""
    return len(quote.split()) < 8 or len(quote) < 0.5 * len(sentence)


@dataclass(frozen=True)
class StanceCell:
    brief: BriefView
    position: PositionView | None


@dataclass(frozen=True)
class StanceRow:
    party: Actor
    cells: tuple[StanceCell, ...]


def stance_parties(views: list[BriefView]) -> tuple[Actor, ...]:
    """The rows of the stance matrix: every party with a position in any brief, by how many briefs it
    appears in, then by name, so the main protagonists come first."""
    parties: dict[str, Actor] = {}
    briefs: dict[str, int] = {}
    for view in views:
        for party_id in dict.fromkeys(position.party.id for position in view.positions):
            briefs[party_id] = briefs.get(party_id, 0) + 1
        for position in view.positions:
            parties.setdefault(position.party.id, position.party)
    return tuple(sorted(parties.values(), key=lambda party: (-briefs[party.id], party.name)))


def stance_matrix(views: list[BriefView]) -> tuple[StanceRow, ...]:
    """Where the parties stand: one row per party with a position in any brief (see :func:`stance_parties`),
    one cell per brief."""
    return tuple(StanceRow(party, tuple(StanceCell(view, next((p for p in view.positions if p.party.id == party.id),
                                                               None))
                                        for view in views))
                 for party in stance_parties(views))
