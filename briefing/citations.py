"""Citations stage: every quote, fact and event located verbatim in its source paragraph.

This is the gate that makes a misquote impossible to publish: a span that is not in its
source is an error, reported with the closest passage the source does contain and the
first words where the two part ways.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
from dataclasses import dataclass

from rapidfuzz import fuzz

from .actors import Registry
from .buildcache import JsonStore, code_version
from .errors import Collector
from .extraction import EventRecord, Names, QuoteRecord, extract_events, extract_quotes
from .profiles import Event, Fact, Located, PartialDate, Profile, Quote
from .sources import Paragraph, Source
from .text import find_verbatim, fold, numbers_in


@dataclass(frozen=True)
class Citation:
    """Where a span stands: source, paragraph, offsets into the source text, and its sentence."""

    source: str
    paragraph: int
    start: int
    end: int
    sentence: str

    @property
    def anchor(self) -> str:
        return f"p{self.paragraph}"


@dataclass(frozen=True)
class CitedQuote:
    quote: Quote
    citation: Citation


@dataclass(frozen=True)
class CitedFact:
    fact: Fact
    citation: Citation


@dataclass(frozen=True)
class CitedEvent:
    event: Event
    citation: Citation


@dataclass(frozen=True)
class VerifiedBrief:
    """A profile whose every span has been found in its source."""

    profile: Profile
    quotes: tuple[CitedQuote, ...]
    facts: tuple[CitedFact, ...]
    timeline: tuple[CitedEvent, ...]

    def citations(self) -> list[Citation]:
        return [c.citation for c in (*self.quotes, *self.facts, *self.timeline)]


def locate(span: str, source: Source) -> Citation | None:
    """The first paragraph of ``source`` that contains ``span`` verbatim (folded), or None."""
    for paragraph in source.paragraphs:
        found = find_verbatim(span, paragraph.text)
        if found:
            start, end = found
            return Citation(source.id, paragraph.number, paragraph.start + start, paragraph.start + end,
                            sentence_around(paragraph, start, end))
    return None


_SENTENCE_BREAK = re.compile(r"(?<=[.!?…])[\"”’»']?\s+(?=[\"“‘«'A-Z0-9])")


def sentence_around(paragraph: Paragraph, start: int, end: int) -> str:
    """The sentence(s) of ``paragraph`` that hold the span ``[start, end)`` (paragraph offsets)."""
    bounds = [0] + [m.end() for m in _SENTENCE_BREAK.finditer(paragraph.text)] + [len(paragraph.text)]
    first = max(b for b in bounds if b <= start)
    last = min(b for b in bounds if b >= end)
    return paragraph.text[first:last].strip()


@dataclass(frozen=True)
class NearMiss:
    """The closest passage a source holds to a span that it does not hold."""

    paragraph: int
    passage: str
    differs: str | None


def closest_passage(span: str, source: Source) -> NearMiss | None:
    """The passage of ``source`` most like ``span``, and the first words where they differ."""
    wanted = fold(span)
    best: tuple[float, int, str] | None = None
    for paragraph in source.paragraphs:
        text = fold(paragraph.text)
        alignment = fuzz.partial_ratio_alignment(wanted, text)
        if alignment is None:
            continue
        if best is None or alignment.score > best[0]:
            passage = _widen_to_words(text, alignment.dest_start, alignment.dest_end)
            best = (alignment.score, paragraph.number, passage)
    if best is None or best[0] < 40:
        return None
    return NearMiss(best[1], best[2], first_difference(wanted, best[2]))


def _widen_to_words(text: str, start: int, end: int) -> str:
    while start > 0 and not text[start - 1].isspace():
        start -= 1
    while end < len(text) and not text[end].isspace():
        end += 1
    return text[start:end].strip().strip(_EDGE_MARKS)


_EDGE_MARKS = "\"'"


def _word_key(word: str) -> str:
    return word.strip("\"'.,;:!?()[]")


def first_difference(wanted: str, found: str) -> str | None:
    """Describe the first place two texts part ways, word by word: '"about" vs source "with"'."""
    a, b = wanted.split(), found.split()
    matcher = difflib.SequenceMatcher(a=[_word_key(w) for w in a], b=[_word_key(w) for w in b], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        mine = " ".join(a[i1:i2])
        theirs = " ".join(b[j1:j2])
        if tag == "delete":
            return f'"{mine}" is not in the source'
        if tag == "insert":
            return f'the source has "{theirs}" where the quote has nothing'
        return f'"{mine}" vs source "{theirs}"'
    return None


class Readings:
    """What the extraction stage reads in each source, computed once per source and shared.

    With a ``store``, the records of each article are kept by its content (and the registry
    and date they depend on) across builds, so an unchanged article is never read twice.
    """

    def __init__(self, sources: dict[str, Source], registry: Registry, store: JsonStore | None = None):
        self.sources = sources
        self.registry = registry
        self.store = store
        self._names: Names | None = None
        self._registry_fingerprint = registry.fingerprint()
        self._quotes: dict[str, list[QuoteRecord]] = {}
        self._events: dict[str, list[EventRecord]] = {}

    @property
    def names(self) -> Names:
        if self._names is None:
            self._names = Names(self.registry)
        return self._names

    def _key(self, kind: str, source: Source, setting: str) -> str:
        content = hashlib.sha256(source.text.encode("utf-8")).hexdigest()
        return f"{kind}|{code_version()}|{content}|{setting}|{source.id}"

    def quotes(self, source_id: str) -> list[QuoteRecord]:
        if source_id not in self._quotes:
            source = self.sources[source_id]
            key = self._key("quotes", source, self._registry_fingerprint)
            stored = self.store.get(key) if self.store else None
            if stored is not None:
                records = [QuoteRecord(**{**d, "pieces": tuple(tuple(p) for p in d["pieces"])}) for d in stored]
            else:
                records = extract_quotes(source.text, source.paragraphs, self.names, source_id)
                if self.store:
                    self.store.put(key, [dataclasses.asdict(r) for r in records])
            self._quotes[source_id] = records
        return self._quotes[source_id]

    def events(self, source_id: str) -> list[EventRecord]:
        if source_id not in self._events:
            source = self.sources[source_id]
            key = self._key("events", source, str(source.date))
            stored = self.store.get(key) if self.store else None
            if stored is not None:
                records = [EventRecord(**{**d, "resolved": PartialDate(**d["resolved"]) if d["resolved"] else None,
                                          "flags": tuple(d["flags"])}) for d in stored]
            else:
                records = extract_events(source.text, source.paragraphs, source.date, source_id)
                if self.store:
                    self.store.put(key, [dataclasses.asdict(r) for r in records])
            self._events[source_id] = records
        return self._events[source_id]


def attribution_problem(quote: Quote, citation: Citation, readings: Readings, registry: Registry) -> str | None:
    """Why the source does not give these words to ``quote.speaker``, or None when it does."""
    best, covered = None, 0
    for record in readings.quotes(citation.source):
        overlap = sum(max(0, min(citation.end, e) - max(citation.start, s)) for s, e in record.pieces)
        if overlap > covered:
            best, covered = record, overlap
    text = readings.sources[citation.source].text
    outside = "".join(ch for i, ch in enumerate(text[citation.start:citation.end], citation.start)
                      if best is None or not any(s <= i < e for s, e in best.pieces))
    if best is None or any(ch.isalnum() for ch in outside):
        return ("these words are not inside quotation marks in the source, so they are not anyone's "
                "quoted words; cite them as a fact")
    speaker = registry[quote.speaker].name
    if best.speaker is None and best.speaker_mention:
        return (f"the source attributes these words to {best.speaker_mention!r}, who is not in the actor registry, "
                f"not to {speaker}; add them to actors.yaml or correct the speaker")
    if best.speaker is None:
        return ("the source gives these words to no one (a title or scare quote), so they cannot be presented "
                f"as {speaker}'s words; cite them as a fact")
    if best.speaker != quote.speaker:
        said = registry[best.speaker].name
        how = ""
        if best.speaker_mention:
            how = f" (the source says {best.speaker_mention!r}" + (", a pronoun" if best.resolved_by == "pronoun" else "") + ")"
        return f"the source attributes these words to {said}{how}, not to {speaker}"
    return None


def date_problem(event: Event, citation: Citation, readings: Readings) -> str | None:
    """Why the event's date does not follow from its evidence, or None when it does."""
    if event.date_override:
        if event.date_override.date != event.date:
            return (f"date_override vouches for {event.date_override.date.iso} but the event is dated "
                    f"{event.date.iso}; re-check the date and update the override")
        return None
    phrases = [r for r in readings.events(citation.source)
               if citation.start <= r.phrase_start and r.phrase_end <= citation.end]
    if not phrases:
        return ("the evidence carries no date; quote the words that date the event, or give date_override "
                "with the reason for the date")
    resolved = [r for r in phrases if r.resolved is not None]
    if not resolved:
        return (f"the date phrase {phrases[0].phrase!r} cannot be resolved (the source has no date); "
                "give date_override with the reason for the date")
    if any(r.resolved.iso.startswith(event.date.iso) for r in resolved):
        return None
    found = ", ".join(f"{r.phrase!r} is {r.resolved.iso}" for r in resolved)
    return f"{event.date.iso} disagrees with the source ({found}); correct it or give date_override with a reason"


def verify_profile(profile: Profile, sources: dict[str, Source], collector: Collector, registry: Registry,
                   readings: Readings | None = None) -> VerifiedBrief:
    """Locate every quote, fact and event of ``profile`` and check speakers and dates against the source.

    ``readings`` shares the extraction of each source across profiles; one is made if not given.
    """
    readings = readings or Readings(sources, registry)

    def check(span: str, source_id: str, item: Located, key: str, what: str) -> Citation | None:
        source = sources[source_id]
        citation = locate(span, source)
        if citation is None:
            collector.error(profile.file, item.line_of(key.rsplit(".", 1)[1]), key,
                            not_found_message(what, span, source, sources))
        return citation

    quotes = []
    for index, quote in enumerate(profile.quotes):
        citation = check(quote.text, quote.source, quote, f"quotes[{index}].text", "quote")
        if citation is None:
            continue
        problem = attribution_problem(quote, citation, readings, registry)
        if problem:
            collector.error(profile.file, quote.line_of("speaker"), f"quotes[{index}].speaker", problem)
            continue
        quotes.append(CitedQuote(quote, citation))
    facts = []
    for index, fact in enumerate(profile.facts):
        citation = check(fact.evidence, fact.source, fact, f"facts[{index}].evidence", "evidence")
        if citation is None:
            continue
        missing = [n for n in numbers_in(fact.statement) if n not in numbers_in(fact.evidence)]
        if missing:
            collector.error(profile.file, fact.line_of("statement"), f"facts[{index}].statement",
                            f"number {missing[0]!r} is not in the evidence span "
                            f"(evidence has: {', '.join(numbers_in(fact.evidence)) or 'no numbers'})")
            continue
        facts.append(CitedFact(fact, citation))
    events = []
    for index, event in enumerate(profile.timeline):
        citation = check(event.evidence, event.source, event, f"timeline[{index}].evidence", "evidence")
        if citation is None:
            continue
        problem = date_problem(event, citation, readings)
        if problem:
            collector.error(profile.file, event.line_of("date"), f"timeline[{index}].date", problem)
            continue
        events.append(CitedEvent(event, citation))
    return VerifiedBrief(profile, tuple(quotes), tuple(facts), tuple(events))


def not_found_message(what: str, span: str, source: Source, sources: dict[str, Source]) -> str:
    """Explain a missing span: the closest passage, where it differs, and where it does occur."""
    short = span if len(span) <= 80 else span[:77] + "…"
    message = f'{what} "{short}" not found in source {source.id!r}'
    near = closest_passage(span, source)
    if near is not None:
        passage = near.passage if len(near.passage) <= 120 else near.passage[:117] + "…"
        message += f' (closest, paragraph {near.paragraph}: "{passage}"'
        message += f", differs at {near.differs})" if near.differs else ")"
    elsewhere = [other.id for other in sources.values() if other.id != source.id and locate(span, other)]
    if elsewhere:
        message += f"; it does occur in {', '.join(repr(s) for s in elsewhere)}"
    return message
