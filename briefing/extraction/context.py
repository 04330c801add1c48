"""Extraction stage, article model: quotations, sentences, registry mentions and speech acts.

Built once per article and shared by the quote, fact and event extractors, so that the
text is split and tokenised once however many records are drawn from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
import bisect
import operator
import re
from typing import NamedTuple

from ..sources import Paragraph
from . import cues
from .cues import QUOTE_TOKEN, Speaker
from .mentions import Names
from .spans import (SHARED_TRIGGERS, TOKEN, MarkedSpan, Token, WordScan, find_marked_spans, search_text,
                    sentence_spans, stop_runs, tokens)


class Sentence(NamedTuple):
    """One sentence: its offsets and paragraph; ``Article.tokens_of(index)`` gives its tokens.

    A named tuple, not a frozen dataclass: every sentence of every article is one, and a
    tuple is built several times faster while staying just as immutable. It holds no
    reference to its article, so an article and everything it made are freed as soon as
    the extractors are done with it, rather than left for the cycle collector.
    """

    index: int
    paragraph: int
    start: int
    end: int


_SCANS: dict[tuple[str, ...], WordScan] = {}


def _word_scan() -> WordScan:
    """The scan for the speech cues and every registered trigger set (built once)."""
    names = tuple(SHARED_TRIGGERS)
    scan = _SCANS.get(names)
    if scan is None:
        scan = _SCANS[names] = WordScan(dict(SHARED_TRIGGERS), [*cues.CUE_WORDS, "according"])
    return scan


class SpeechAct(NamedTuple):
    """A cue verb with its speaker, quoted or not ("Lavrov told Kerry that ...")."""

    position: int
    sentence: int
    cue: str
    speaker: Speaker


class Article:
    """Everything the extractors need to know about one article's text."""

    def __init__(self, text: str, paragraphs: Sequence[Paragraph], names: Names) -> None:
        self.text = text
        self.search_text, self._exact_fold = search_text(text)
        self.names = names
        self.paragraphs = tuple(paragraphs)
        self._paragraph_numbers = [p.number for p in self.paragraphs]
        self.spans = merge_split_quotes(text, find_marked_spans(text, self.paragraphs))
        self.region_owner: dict[int, int] = {}
        for index, span in enumerate(self.spans):
            for region in span.regions:
                self.region_owner[region[0]] = index
        regions = sorted(r for span in self.spans for r in span.regions)
        self._regions = regions
        self._region_starts = [r[0] for r in regions]
        self.sentences: list[Sentence] = []
        stops = stop_runs(text)
        for para in self.paragraphs:
            local = self._regions_between(para.start, para.end)
            for start, end in sentence_spans(text, para.start, para.end, local, stops):
                self.sentences.append(Sentence(len(self.sentences), para.number, start, end))
        self.sentence_starts = [s.start for s in self.sentences]
        self.sentence_ends = [s.end for s in self.sentences]
        self._tokens: dict[int, tuple[Token, ...]] = {}
        self._mentions: list[tuple[int, int, tuple[str, ...]]] | None = None
        self._mention_starts: list[int] = []
        self.acts: list[SpeechAct] = []
        self._act_positions: list[int] = []
        self._act_sentences: list[int] = []
        self._act_speaker_starts: list[int] = []
        self._act_mentions: list[str] = []  # each speaker's words as written, case-folded
        self._mentions_with: dict[str, list[tuple[int, tuple[str, ...], str]]] = {}
        self._mentions_with_starts: dict[str, list[int]] = {}
        self._scan = _word_scan()
        self._found = self._scan.run(self.search_text, self.sentence_starts, self.sentence_ends)
        self._fired: dict[str, dict[int, frozenset]] = {}
        self._find_speech_acts()

    def fired(self, name: str) -> dict[int, frozenset]:
        """What the trigger set registered as ``name`` fires in each sentence, by sentence
        index: every registered set was scanned for in the one pass that found the cues."""
        if name not in self._fired:
            self._fired[name] = self._scan.fired(name, self._found)
        return self._fired[name]

    def tokens_of(self, index: int) -> tuple[Token, ...]:
        """A sentence's tokens, each quotation in it standing as one QUOTE_TOKEN; made on
        first use, since most sentences of a long article never need them."""
        toks = self._tokens.get(index)
        if toks is None:
            sentence = self.sentences[index]
            local = self._regions_between(sentence.start, sentence.end)
            toks = self._tokens[index] = tuple(_tokens_with_quotes(self.text, sentence.start, sentence.end, local))
        return toks

    def quote_token(self, sentence: Sentence, region_start: int) -> int:
        """The index, in a sentence's tokens, of the quotation whose region starts at ``region_start``."""
        k = self.token_at(sentence.index, region_start)
        assert k is not None and self.tokens_of(sentence.index)[k].text == QUOTE_TOKEN, (sentence, region_start)
        return k

    def token_at(self, index: int, offset: int) -> int | None:
        """The index of the token of sentence ``index`` that starts at ``offset``, if one does.

        Tokens are in text order, so a bisection finds it without an index of every token.
        """
        toks = self.tokens_of(index)
        k = bisect.bisect_left(toks, offset, key=_START)
        return k if k < len(toks) and toks[k].start == offset else None

    def _regions_between(self, start: int, end: int) -> list[tuple[int, int]]:
        """Quotation regions that overlap ``[start, end)`` (bisected: long articles have many)."""
        i = max(0, bisect.bisect_left(self._region_starts, start) - 1)
        found = []
        while i < len(self._regions) and self._regions[i][0] < end:
            if self._regions[i][1] > start:
                found.append(self._regions[i])
            i += 1
        return found

    def mentions_between(self, start: int, end: int) -> list[tuple[int, int, tuple[str, ...]]]:
        """Registry mentions (start, end, ids) that begin in ``[start, end)``, in order."""
        mentions = self.all_mentions()
        return mentions[bisect.bisect_left(self._mention_starts, start):bisect.bisect_left(self._mention_starts, end)]

    def all_mentions(self) -> list[tuple[int, int, tuple[str, ...]]]:
        """Every registry mention (start, end, ids) in the article, in order, found on first use."""
        if self._mentions is None:
            self._mentions = self._find_mentions()
            self._mention_starts = [m[0] for m in self._mentions]
        return self._mentions

    def _find_mentions(self) -> list[tuple[int, int, tuple[str, ...]]]:
        """Every registry mention in the article, found once.

        Only where a registry name could start is anything tokenised, and there only the
        few words the tree of names can follow: a registry whose aliases start with "the"
        or "his" puts a candidate in most sentences, and tokenising them all whole cost
        more than the rest of the extraction.
        """
        if not self._exact_fold:
            # Without an exact folding (ß, ligatures) the search text may hide a name: look everywhere.
            found: list[tuple[int, int, tuple[str, ...]]] = []
            for sentence in self.sentences:
                found.extend(self._scan_tokens(sentence, None))
            return found
        heads = self.names.head_positions(self.search_text)
        found = []
        h = 0
        for sentence in self.sentences:
            while h < len(heads) and heads[h] < sentence.start:
                h += 1
            first = h
            while h < len(heads) and heads[h] < sentence.end:
                h += 1
            if first < h:
                found.extend(self._mentions_in(sentence, heads[first:h]))
        return found

    def _scan_tokens(self, sentence: Sentence, candidates: set[int] | None) -> list[tuple[int, int, tuple[str, ...]]]:
        """Registry mentions in a sentence's tokens, a quotation's words left out."""
        plain = [t for t in self.tokens_of(sentence.index) if t.text != QUOTE_TOKEN]
        return [(plain[a].start, plain[b - 1].end, ids) for a, b, ids in self.names.scan(plain, candidates)]

    def _mentions_in(self, sentence: Sentence, heads: list[int]) -> list[tuple[int, int, tuple[str, ...]]]:
        """Registry mentions that start at ``heads`` (offsets, in order) of one sentence.

        The same as scanning the sentence's tokens (quotations left out) but reading only
        the tokens a name could cover. A head counts only where a token starts, which is
        certain after white space or at the start of a stretch of the sentence between
        quotations; a sentence with any other head is tokenised whole, as before.
        """
        segments = self._plain_segments(sentence)
        text = self.text
        located = []
        for position in heads:
            index = next((k for k, (a, b) in enumerate(segments) if a <= position < b), None)
            if index is None:
                continue  # inside a quotation: its words are not mentions
            if position != segments[index][0] and not text[position - 1].isspace():
                return self._scan_tokens(sentence, set(heads))
            located.append((position, index))
        found = []
        covered = sentence.start
        for position, index in located:
            if position < covered:
                continue  # inside the name just found: the scan goes on after it
            words, ids = self.names.longest_in(_tokens_from(text, segments, index, position))
            if words:
                found.append((position, words[-1].end, ids))
                covered = words[-1].end
        return found

    def _plain_segments(self, sentence: Sentence) -> list[tuple[int, int]]:
        """The stretches of a sentence outside its quotations, as its tokens are made."""
        segments = []
        cursor = sentence.start
        for r_start, r_end in self._regions_between(sentence.start, sentence.end):
            if r_end <= sentence.start or r_start >= sentence.end:
                continue
            segments.append((cursor, max(cursor, r_start)))
            cursor = min(r_end, sentence.end)
        segments.append((cursor, sentence.end))
        return segments

    def sentence_at(self, offset: int) -> Sentence | None:
        """The sentence that contains ``offset``."""
        i = bisect.bisect_right(self.sentence_starts, offset) - 1
        return self.sentences[i] if i >= 0 and offset < self.sentence_ends[i] else None

    def _find_speech_acts(self) -> None:
        # The one scan of the text picked the sentences worth tokenising and, within
        # them, the only tokens where a cue can start.
        hits: dict[int, list[int]] = {}
        for position, index in self._found.whole:
            hits.setdefault(index, []).append(position)
        for index in sorted(hits):
            sentence = self.sentences[index]
            toks = self.tokens_of(index)
            for position in hits[index]:
                k = self.token_at(index, position)
                if k is None:
                    continue  # inside a quotation, or inside a longer word ("co-founded")
                cue = cues.cue_at(toks, k)
                if cue is None:
                    continue
                speaker = cues.explicit_subject(self, toks, k, cue)
                if speaker is None:
                    continue
                tok = toks[k]
                if speaker.resolved_by == "pronoun":
                    speaker = self.resolve_pronoun(speaker, tok.start)
                self.acts.append(SpeechAct(tok.start, sentence.index, cue.text, speaker))
                self._act_positions.append(tok.start)
                self._act_sentences.append(sentence.index)
                self._act_speaker_starts.append(speaker.start)
                self._act_mentions.append(speaker.mention.casefold())

    def nearest_mention_with(self, head: str, start: int, end: int) -> tuple[int, tuple[str, ...], str] | None:
        """The last registry mention beginning in ``[start, end)`` whose actor has the word
        ``head`` in a name or role, or whose words as written contain it: (offset, ids, text).

        The mentions that fit each head are listed once per article, so "the ministry"
        asked for again and again looks them up by bisection.
        """
        fitting = self._mentions_with.get(head)
        if fitting is None:
            fitting = [(s, ids, self.text[s:e]) for s, e, ids in self.all_mentions()
                       if any(head in self.names.words_of(i) for i in ids) or head in self.text[s:e].casefold()]
            self._mentions_with[head] = fitting
            self._mentions_with_starts[head] = [m[0] for m in fitting]
        i = bisect.bisect_left(self._mentions_with_starts[head], end) - 1
        return fitting[i] if i >= 0 and fitting[i][0] >= start else None

    def latest_speaker_with(self, head: str, start: int, before: int) -> SpeechAct | None:
        """Of the speech acts from ``start`` on, read in order up to the first whose speaker
        is written at or after ``before``, the one whose speaker's words contain ``head``
        and are written last (the first such, on a tie)."""
        best: SpeechAct | None = None
        for i in range(bisect.bisect_left(self._act_positions, start), len(self.acts)):
            speaker_start = self._act_speaker_starts[i]
            if speaker_start >= before:
                break
            if head in self._act_mentions[i] and (best is None or speaker_start > best.speaker.start):
                best = self.acts[i]
        return best

    def acts_from(self, position: int) -> Iterator[SpeechAct]:
        """Speech acts whose cue is at or after ``position``, in order (no copy of the list)."""
        for i in range(bisect.bisect_left(self._act_positions, position), len(self.acts)):
            yield self.acts[i]

    def paragraph_start(self, number: int) -> int:
        """Where the first paragraph numbered ``number`` or more starts (0 if none)."""
        i = bisect.bisect_left(self._paragraph_numbers, number)
        return self.paragraphs[i].start if i < len(self.paragraphs) else 0

    def last_act_in(self, sentence: int) -> SpeechAct | None:
        """The last speech act of a sentence (bisected: acts are kept in sentence order)."""
        i = bisect.bisect_right(self._act_sentences, sentence) - 1
        return self.acts[i] if i >= 0 and self._act_sentences[i] == sentence else None

    def resolve_pronoun(self, pronoun: Speaker, position: int) -> Speaker:
        """The nearest earlier speaker a pronoun can refer to, flagged when others intervene.

        he/she look only at earlier speech acts by persons (in news copy "he added" follows
        its speaker, not the last person merely named); it/they also accept the nearest
        institution or state named. A person named in between makes the pronoun ambiguous.
        """
        word = pronoun.mention.casefold()
        want_person = word in ("he", "she")
        here = self.sentence_at(position)
        first_para = here.paragraph - 8 if here else 0
        floor = self.paragraph_start(first_para)
        best: tuple[int, Speaker, int] | None = None
        floor = max(floor, position - 5000)  # a pronoun looks back a few paragraphs, not a book
        earlier = bisect.bisect_left(self._act_positions, position)
        for act in reversed(self.acts[max(0, earlier - 40):earlier]):
            if act.position >= position or act.speaker.resolved_by == "pronoun" and not act.speaker.ids \
                    and act.speaker.antecedent is None:
                continue
            if self.sentences[act.sentence].paragraph < first_para:
                break
            if want_person == act.speaker.person or word == "they":
                best = (act.position, act.speaker, self.sentences[act.sentence].end)
                break
        if not want_person or best is None:
            # it/they: the nearest institution or state named; he/she with no earlier
            # speaker: the nearest person named ("Sarah Okafor defended ... 'Q,' she told").
            for start, end, ids in reversed(self.mentions_between(floor, position)):
                if best and start <= best[0]:
                    continue
                if want_person and any(self.names.kind(i) == "person" for i in ids):
                    best = (start, Speaker(ids, self.text[start:end], start, end, "alias", True), end)
                    break
                if not want_person and any(self.names.kind(i) != "person" for i in ids):
                    mention = self.text[start:end]
                    best = (start, Speaker(ids, mention, start, end, "alias", False), end)
                    break
        if best is None:
            return pronoun._replace(ambiguous=True)
        _, antecedent, after = best
        ambiguous = want_person and any(
            after <= start < position and ids != antecedent.ids and any(self.names.kind(i) == "person" for i in ids)
            for start, end, ids in self.mentions_between(after, position))
        return pronoun._replace(ids=antecedent.ids, person=antecedent.person, ambiguous=ambiguous,
                                antecedent=antecedent.antecedent or antecedent.mention)


_START = operator.itemgetter(1)  # a Token's start offset, for bisecting a sentence's tokens
_NEXT_TOKEN = re.compile(r"\s*(" + TOKEN.pattern + ")")


def _tokens_from(text: str, segments: Sequence[tuple[int, int]], index: int, position: int) -> Iterator[Token]:
    """The tokens of ``segments[index:]`` from ``position`` (a token start) on, one at a time,
    exactly as tokenising each segment whole would make them."""
    for start, end in segments[index:]:
        cursor = max(start, position)
        while True:
            match = _NEXT_TOKEN.match(text, cursor, end)
            if match is None:
                break
            cursor = match.end()
            yield Token.at(match.group(1), match.start(1), cursor)


def _tokens_with_quotes(text: str, start: int, end: int, regions: Sequence[tuple[int, int]]) -> list[Token]:
    out: list[Token] = []
    cursor = start
    for r_start, r_end in regions:
        if r_end <= start or r_start >= end:
            continue
        out.extend(tokens(text, cursor, max(cursor, r_start)))
        out.append(Token.at(QUOTE_TOKEN, r_start, min(r_end, end)))
        cursor = min(r_end, end)
    out.extend(tokens(text, cursor, end))
    return out


def merge_split_quotes(text: str, spans: list[MarkedSpan]) -> list[MarkedSpan]:
    """Join ``"A," Kerry said, "B."`` into one quotation with two pieces.

    Only a short attribution between two quotations of the same paragraph, ending with a
    comma, after a first piece that does not end its sentence, counts: after
    ``"A," Kerry said. "B."`` the second quotation is the speaker's next sentence.
    """
    merged: list[MarkedSpan] = []
    for span in spans:
        if merged and _joins(text, merged[-1], span):
            first = merged[-1]
            merged[-1] = MarkedSpan(first.pieces + span.pieces, first.regions + span.regions,
                                    (first.outer[0], span.outer[1]),
                                    tuple(dict.fromkeys(first.paragraphs + span.paragraphs)),
                                    first.family, span.closed)
        else:
            merged.append(span)
    return merged


def _joins(text: str, first: MarkedSpan, second: MarkedSpan) -> bool:
    if not first.closed or first.paragraphs[-1] != second.paragraphs[0]:
        return False
    last_piece = text[first.pieces[-1][0]:first.pieces[-1][1]]
    if last_piece.endswith((".", "!", "?", "…")):
        return False
    between = tokens(text, first.outer[1], second.outer[0])
    if not between or len(between) > 16 or between[-1].text != ",":
        return False
    if any(t.text in (".", "!", "?", ";") for t in between):
        return False
    return any(cues.cue_at(between, k) for k in range(len(between)))
