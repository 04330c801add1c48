"""Extraction stage, quotes: every quotation with its speaker, cue, kind and confidence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..actors import Registry
from ..sources import Paragraph
from .context import Article, Speaker
from .cues import QUOTE_TOKEN, cue_at, explicit_subject, leading_subject
from .mentions import Names
from .spans import Token


@dataclass(frozen=True)
class QuoteRecord:
    """A quotation proposed for review.

    ``text`` is the words inside the marks, pieces joined by a space; ``start``/``end``
    run from the first piece to the last. ``speaker`` is an actor id, or None when the
    speaker is unknown to the registry (``speaker_mention`` then gives the name as
    written) or the quotation has no speaker at all (``resolved_by`` is ``"none"``).
    ``resolved_by`` is name, alias, pronoun, context (the same speaker's previous
    sentence) or none.
    """

    text: str
    pieces: tuple[tuple[int, int], ...]
    source: str
    paragraph: int
    start: int
    end: int
    speaker: str | None
    speaker_mention: str | None
    speaker_start: int | None
    speaker_end: int | None
    cue: str | None
    kind: str  # "full" | "partial"
    resolved_by: str
    confidence: float
    ambiguous: bool = False
    closed: bool = True
    antecedent: str | None = None
    type: str = "quote"

    def as_dict(self) -> dict[str, object]:
        """The record as JSON-ready data (pieces as lists)."""
        return {
            "type": self.type, "text": self.text, "source": self.source, "paragraph": self.paragraph,
            "start": self.start, "end": self.end, "pieces": [list(p) for p in self.pieces],
            "speaker": self.speaker, "speaker_mention": self.speaker_mention,
            "speaker_start": self.speaker_start, "speaker_end": self.speaker_end, "cue": self.cue,
            "kind": self.kind, "resolved_by": self.resolved_by, "confidence": self.confidence,
            "ambiguous": self.ambiguous,
        }


def extract_quotes(text: str, paragraphs: Sequence[Paragraph], registry: Registry | Names,
                   source: str = "", *, article: Article | None = None) -> list[QuoteRecord]:
    """Every quotation in the article's paragraphs, attributed, in text order."""
    article = article or Article(text, paragraphs, registry if isinstance(registry, Names) else Names(registry))
    records: list[QuoteRecord] = []
    for index in range(len(article.spans)):
        records.append(_quote(article, index, source, records))
    return records


def attribute_span(text: str, paragraphs: Sequence[Paragraph], start: int, end: int,
                   registry: Registry | Names, *, article: Article | None = None) -> QuoteRecord | None:
    """The quotation that contains ``text[start:end]`` (the one overlapping it most), with
    its speaker; None when the span is not inside any quotation."""
    records = extract_quotes(text, paragraphs, registry, article=article)
    best, best_overlap = None, 0
    for record in records:
        overlap = sum(max(0, min(end, e) - max(start, s)) for s, e in record.pieces)
        if overlap > best_overlap:
            best, best_overlap = record, overlap
    return best


def _quote(article: Article, index: int, source: str, earlier: list[QuoteRecord]) -> QuoteRecord:
    span = article.spans[index]
    text = article.text
    pieces = list(span.pieces)
    s, e = pieces[-1]
    if text[e - 1] == "," and e - 1 > s:
        pieces[-1] = (s, e - 1)  # the comma before "he said" belongs to the sentence, not the quote
    first = article.sentence_at(span.regions[0][0])
    kind = "partial"
    speaker: Speaker | None = None
    cue: str | None = None
    confidence = 0.5
    if first is not None:
        toks = article.tokens_of(first.index)
        qi = article.quote_token(first, span.regions[0][0])
        kind = _kind(toks, qi, text[pieces[0][0]:pieces[0][1]])
        speaker, cue, confidence = _attribute(article, span.regions, kind, earlier)
    if speaker is not None and speaker.resolved_by == "pronoun":
        speaker = article.resolve_pronoun(speaker, speaker.start)
        if not speaker.ids and speaker.antecedent is None:
            confidence = 0.3
    if speaker is not None and speaker.ambiguous:
        confidence = min(confidence, 0.5)
    if not span.closed:
        confidence *= 0.7
    para = span.paragraphs[0]
    return QuoteRecord(
        text=" ".join(text[a:b] for a, b in pieces), pieces=tuple(pieces), source=source,
        paragraph=para, start=pieces[0][0], end=pieces[-1][1],
        speaker=speaker.ids[0] if speaker and speaker.ids else None,
        speaker_mention=speaker.mention if speaker else None,
        speaker_start=speaker.start if speaker else None, speaker_end=speaker.end if speaker else None,
        cue=cue, kind=kind, resolved_by=speaker.resolved_by if speaker else "none",
        confidence=round(confidence, 2),
        ambiguous=bool(speaker and (speaker.ambiguous or len(speaker.ids) > 1)),
        closed=span.closed, antecedent=speaker.antecedent if speaker else None,
    )


# How far from a quotation a cue may be, in tokens: keeps giant run-on "sentences" linear.
WINDOW = 60


def _kind(toks: Sequence[Token], qi: int, first_piece: str) -> str:
    """Full when the quotation stands as a sentence (it opens one, follows a colon, or
    follows ``Kerry said,``); partial when its words are embedded in another sentence."""
    if qi == 0:
        return "full"
    prev = toks[qi - 1]
    if prev.text in (":", "—", "–"):
        return "full"
    upper = first_piece[:1].isupper()
    if prev.text == "," and any(cue_at(toks, j) for j in range(max(0, qi - 6), qi - 1)):
        return "full"
    if cue_at(toks, qi - 1) and upper:
        return "full"
    return "partial"


def _attribute(article: Article, regions: Sequence[tuple[int, int]], kind: str,
               earlier: list[QuoteRecord]) -> tuple[Speaker | None, str | None, float]:
    """Speaker, cue and confidence for a quotation, trying the likeliest places first."""
    first = article.sentence_at(regions[0][0])
    assert first is not None
    qi = article.quote_token(first, regions[0][0])
    first_toks = article.tokens_of(first.index)
    trailing = []
    for region in regions:
        sentence = article.sentence_at(region[0])
        if sentence is not None:
            trailing.append((article.tokens_of(sentence.index), article.quote_token(sentence, region[0])))
    if kind == "full":
        for toks, at in trailing:
            found = _after(article, toks, at)
            if found:
                return found[0], found[1], 0.95 if found[0].ids else 0.85
        found = _before(article, first_toks, qi, kind)
        if found:
            return found[0], found[1], 0.9 if found[0].ids else 0.8
        inherited = _inherit(article, first, earlier)
        if inherited:
            return inherited, None, 0.7
        return None, None, 0.5
    if _names_a_term(first_toks, qi):
        return None, None, 0.6
    found = _before(article, first_toks, qi, kind)
    if found:
        return found[0], found[1], 0.85 if found[0].ids else 0.75
    toks, at = trailing[-1]
    found = _after(article, toks, at)
    if found:
        return found[0], found[1], 0.85 if found[0].ids else 0.75
    subjectless = [c for c in (cue_at(first_toks, j) for j in range(max(0, qi - WINDOW), qi)) if c]
    if subjectless:
        subject = leading_subject(article, first_toks)
        if subject:
            return subject, subjectless[-1].text, 0.6
    return None, None, 0.5


_TERM_MARKERS = ("so-called", "dubbed", "titled", "entitled", "nicknamed", "branded", "known as",
                 "the idea of a", "the idea of an", "the idea of", "the term", "the phrase", "the word",
                 "the notion of a", "the notion of", "the concept of", "the slogan")


def _names_a_term(toks: Sequence[Token], qi: int) -> bool:
    """Whether the words before a quotation say it is a name, title or term, not speech."""
    before = " ".join(t.lower for t in toks[max(0, qi - 4):qi])
    return any(before == m or before.endswith(" " + m) for m in _TERM_MARKERS)


def _after(article: Article, toks: Sequence[Token], at: int) -> tuple[Speaker, str] | None:
    """The first cue in the words that follow a quotation up to the next one, if it names
    its speaker: ``," Kerry said``, ``," said the official``, ``, he added``."""
    start = at + 1
    end = start
    while end < len(toks) and end - start < WINDOW and toks[end].text != QUOTE_TOKEN:
        end += 1
    fragment = list(toks[start:end])
    for k in range(len(fragment)):
        cue = cue_at(fragment, k)
        if cue is None:
            continue
        speaker = explicit_subject(article, fragment, k, cue)
        if speaker is not None:
            return speaker, cue.text
        return None
    return None


def _before(article: Article, toks: Sequence[Token], qi: int, kind: str) -> tuple[Speaker, str] | None:
    """The nearest earlier cue in the sentence that names its speaker (``Kerry said the sides
    had been "honest"``, ``Monday, Obama said, "We …"``, ``According to Kerry, "…"``)."""
    for k in range(qi - 1, max(-1, qi - 1 - WINDOW), -1):
        cue = cue_at(toks, k)
        if cue is None or cue.last > qi:
            continue
        speaker = explicit_subject(article, toks, k, cue)
        if speaker is not None:
            return speaker, cue.text
    if kind == "full" and qi > 0 and toks[qi - 1].text == ":":
        subject = leading_subject(article, toks[:qi - 1])
        if subject is not None:
            return subject, ":"
    return None


def _inherit(article: Article, sentence, earlier: list[QuoteRecord]) -> Speaker | None:
    """A quotation with no cue of its own continues the previous sentence's speaker."""
    if sentence.index == 0:
        return None
    previous = article.sentences[sentence.index - 1]
    if sentence.paragraph - previous.paragraph > 1:
        return None
    for record in reversed(earlier):
        if record.start < previous.start:
            break
        if record.start < previous.end and record.resolved_by != "none":
            return Speaker((record.speaker,) if record.speaker else (), record.speaker_mention or "",
                           record.speaker_start or 0, record.speaker_end or 0, "context", True,
                           antecedent=record.speaker_mention)
    act = article.last_act_in(previous.index)
    if act is not None:
        sp = act.speaker
        return Speaker(sp.ids, sp.mention, sp.start, sp.end, "context", sp.person,
                       sp.ambiguous, sp.antecedent or sp.mention)
    return None
