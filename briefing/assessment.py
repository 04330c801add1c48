"""Sourcing assessment: how many independent outlets carry each claim, and the ICD 206 summary.

Corroboration counts outlets, not articles: two reports by the same outlet are one voice.
A claim that rests on one outlet, or only on sources graded D to F, is flagged.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass

from rapidfuzz import fuzz

from .actors import Registry
from .buildcache import JsonStore, code_version
from .extraction import QuoteRecord
from .profiles import Profile
from .sources import Source
from .text import fold, long_date

LOW_RELIABILITY = ("D", "E", "F")
NEAR_EXACT = 95.0  # partial-ratio score that counts as the same words reported elsewhere
_MIN_FUZZY_LENGTH = 25  # shorter spans must match exactly: a few words recur by chance
_DISTINCTIVE_PAIRS = 6  # a near-verbatim report shares at least half of a span's six rarest word pairs


@dataclass(frozen=True)
class Corroboration:
    """The sources that carry a span, and what that says about its sourcing."""

    sources: tuple[Source, ...]

    @property
    def outlets(self) -> tuple[str, ...]:
        return tuple(sorted({s.outlet for s in self.sources}))

    @property
    def single_outlet(self) -> bool:
        return len(self.outlets) <= 1

    @property
    def low_reliability_only(self) -> bool:
        return all(s.reliability in LOW_RELIABILITY for s in self.sources)

    @property
    def flag(self) -> str | None:
        """The warning a reader needs, if any."""
        if self.low_reliability_only:
            return "low-reliability sources only"
        if self.single_outlet:
            return "single source"
        return None


class CorroborationIndex:
    """Every source's folded paragraphs and an index from word pair to the sources that contain it.

    Built once per set of sources, so checking a claim no longer folds and scans every
    paragraph of every source: only sources that can carry the span are compared. A source
    that carries the span verbatim contains every pair of adjacent inner words of it, so
    the exact test loses nothing. A near-verbatim (95 %) match is looked for only in
    sources that share at least half of the span's six rarest word pairs: a report in the
    same words keeps nearly all of them, and the rare ones single it out. A span too short
    to have such pairs is compared with every source, as before.
    """

    def __init__(self, sources: dict[str, Source]) -> None:
        self.sources = sources
        self.paragraphs: dict[str, tuple[str, ...]] = {}
        self.pairs: dict[tuple[str, str], set[str]] = {}
        for source in sources.values():
            folded = tuple(fold(p.text) for p in source.paragraphs)
            self.paragraphs[source.id] = folded
            pairs = set()
            for text in folded:
                words = text.split(" ")
                pairs.update(zip(words, words[1:]))
            for pair in pairs:
                self.pairs.setdefault(pair, set()).add(source.id)

    def candidates(self, wanted: str) -> tuple[set[str], set[str] | None]:
        """Sources that may carry ``wanted`` verbatim, and near-verbatim (None: all of them)."""
        inner = wanted.split(" ")[1:-1]  # the first and last words may be cut mid-word
        pairs = set(zip(inner, inner[1:]))
        if not pairs:
            return set(self.sources), None
        postings = sorted((self.pairs.get(p, set()) for p in pairs), key=len)
        exact = set.intersection(*postings)
        if len(wanted) < _MIN_FUZZY_LENGTH:
            return exact, set()
        # The rarest pairs tell sources apart; pairs found everywhere would make every source a candidate.
        rarest = postings[:_DISTINCTIVE_PAIRS]
        counts = Counter(sid for posting in rarest for sid in posting)
        needed = (len(rarest) + 1) // 2
        return exact, {sid for sid, n in counts.items() if n >= needed}


_cached: tuple[dict[str, Source], CorroborationIndex] | None = None


def corroboration_index(sources: dict[str, Source]) -> CorroborationIndex:
    """The index for ``sources``, built on first use and kept while the same sources are in use."""
    global _cached
    if _cached is None or _cached[0] is not sources:
        _cached = (sources, CorroborationIndex(sources))
    return _cached[1]


_corpus: tuple[dict[str, Source], str] | None = None


def corpus_fingerprint(sources: dict[str, Source]) -> str:
    """A hash of every source's id and text: corroboration can change only when it does."""
    global _corpus
    if _corpus is None or _corpus[0] is not sources:
        hasher = hashlib.sha256()
        for source_id in sorted(sources):
            hasher.update(source_id.encode() + b"\0" + hashlib.sha256(sources[source_id].text.encode()).digest())
        _corpus = (sources, hasher.hexdigest())
    return _corpus[1]


def corroborate(span: str, cited: Source, sources: dict[str, Source],
                store: JsonStore | None = None) -> Corroboration:
    """Every source whose text carries ``span`` verbatim (or, for longer spans, near-verbatim).

    With a ``store``, the answer is kept for this span and this exact corpus, so a build
    after an edit that changed no article does not search the corpus again.
    """
    key = f"{code_version()}|{corpus_fingerprint(sources)}|{cited.id}|{fold(span)}" if store else ""
    known = store.get(key) if store else None
    if known is not None:
        return Corroboration(tuple(sources[i] for i in known))
    found = _search(span, cited, sources)
    if store:
        store.put(key, [s.id for s in found.sources])
    return found


def _search(span: str, cited: Source, sources: dict[str, Source]) -> Corroboration:
    index = corroboration_index(sources)
    wanted = fold(span)
    exact, near = index.candidates(wanted)
    fuzzy = len(wanted) >= _MIN_FUZZY_LENGTH
    pool = sources.values() if near is None else [sources[i] for i in sorted(exact | near)]
    carrying = [cited]
    for source in pool:
        if source.id == cited.id:
            continue
        for text in index.paragraphs[source.id]:
            if wanted in text or (fuzzy and fuzz.partial_ratio(wanted, text, score_cutoff=NEAR_EXACT)):
                carrying.append(source)
                break
    return Corroboration(tuple(sorted(carrying, key=lambda s: s.id)))


def _series(items: list[str]) -> str:
    if len(items) <= 2:
        return " and ".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def source_summary(cited: list[Source], quotes: list[Corroboration], facts: list[Corroboration],
                   unquoted_parties: list[str]) -> str:
    """A paragraph in the manner of an ICD 206 source summary statement."""
    if not cited:
        return "This brief cites no sources."
    outlets = sorted({s.outlet for s in cited})
    dated = sorted(s.date for s in cited if s.date)
    opening = (f"This brief draws on {_plural(len(cited), 'source')} from {_plural(len(outlets), 'outlet')} "
               f"({_series(outlets)})")
    if dated:
        first, last = dated[0], dated[-1]
        opening += (f", published on {long_date(first)}" if first == last
                    else f", published between {long_date(first)} and {long_date(last)}")
    parts = [opening + "."]
    grades = sorted({s.reliability for s in cited})
    parts.append(f"Their reliability is graded {_series(grades)} on a scale from A (reliable) to F "
                 "(cannot be judged).")
    inferred = [s for s in cited if s.date_basis in ("inferred", "unknown")]
    if inferred:
        parts.append(f"{_plural(len(inferred), 'source')} carr{'ies' if len(inferred) == 1 else 'y'} no date "
                     "in the text and {} dated by inference.".format("is" if len(inferred) == 1 else "are"))
    claims = [*quotes, *facts]
    what = _series([w for w in (_plural(len(quotes), "quotation") if quotes else "",
                                _plural(len(facts), "fact") if facts else "") if w])
    single = sum(1 for c in claims if c.single_outlet)
    low = sum(1 for c in claims if c.low_reliability_only)
    if claims:
        if single == len(claims):
            parts.append(f"All {what} rest on a single outlet each; none is reported in the same words elsewhere.")
        elif single:
            parts.append(f"Of its {what}, {single} rest on a single outlet and {len(claims) - single} "
                         f"{'is' if len(claims) - single == 1 else 'are'} carried by two or more.")
        else:
            parts.append(f"All {what} are carried by two or more outlets.")
        if low:
            parts.append(f"{low} of them rest only on low-reliability sources (grades D–F); "
                         "each single-source or low-reliability claim is marked where it appears.")
    missing = []
    if len(outlets) == 1:
        missing.append("a second outlet to corroborate the first")
    if unquoted_parties:
        missing.append(f"a direct statement from {_series(unquoted_parties)}")
    if missing:
        parts.append(f"Missing: {'; '.join(missing)}.")
    return " ".join(parts)


def topic_terms(topic_keywords: tuple[str, ...], places: tuple[str, ...], actor_names: list[str]) -> list[str]:
    """The lowercase terms that say a text is about a profile's topic."""
    return sorted({t.casefold() for t in (*topic_keywords, *places, *actor_names) if len(t) > 3})


def topic_hits(text: str, terms: list[str]) -> list[str]:
    """Which topic terms occur in ``text`` (case-insensitive, whole words)."""
    lowered = fold(text).casefold()
    return [t for t in terms if re.search(rf"(?<![\w-]){re.escape(t)}(?![\w-])", lowered)]


def unused_quotes(profile: Profile, quotes_by_source: dict[str, list[QuoteRecord]], sources: dict[str, Source],
                  registry: Registry, cited_spans: dict[str, list[tuple[int, int]]]) -> list[QuoteRecord]:
    """Attributed quotes in the sources that bear on the profile's topic but that it does not cite.

    A quote bears on the topic when its paragraph names one of the topic's keywords or places
    and its speaker (or the state it speaks for) is one of the topic's actors, or when the
    paragraph names two of them. Actor names alone do not count: states are named in every
    article.
    """
    terms = topic_terms(profile.topic.keywords, profile.topic.places, [])
    unused = []
    for source_id, records in sorted(quotes_by_source.items()):
        for record in records:
            if record.speaker is None or record.speaker not in registry:
                continue
            spans = cited_spans.get(source_id, [])
            if any(s < record.end and record.start < e for s, e in spans):
                continue
            hits = topic_hits(sources[source_id].paragraph(record.paragraph).text, terms)
            party = {record.speaker, registry.affiliation_of(record.speaker)}
            if len(hits) >= 2 or (hits and party & set(profile.topic.actors)):
                unused.append(record)
    return unused
