"""Extraction stage, facts: sentences that state something a reader could check.

A sentence is proposed when it carries a number, a quantity, money, casualties, a prison
sentence, a date, or names an agreement or a meeting; ``reasons`` says which, so a
curator can sort and filter. Opinion with none of these is left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..sources import Paragraph
from .context import Article
from .spans import SHARED_TRIGGERS, Triggers, guarded

_NUMBER_WORDS = (r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                 r"fifty|hundred|hundreds|thousand|thousands|million|millions|billion|dozen|dozens|half|"
                 r"a third|a quarter|twice|double|tripled?|halved")
_REASONS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("money", re.compile(r"[$€£¥₽]\s?\d|\b\d[\d,.]*\s?(?:bn|m|mn|trillion|billion|million)?\s*(?:dollars|euros|pounds|roubles|rubles|yuan|USD|EUR)\b"
                         r"|\b\d[\d,.]*\s?(?:bn|mn)\b")),
    ("quantity", re.compile(r"\b\d[\d,.]*\s?(?:%|per ?cent|percent|km|kilometres|kilometers|miles|tons|tonnes|barrels|hours|days|weeks|months|years|troops|soldiers|aircraft|people|civilians)\b")),
    ("casualties", re.compile(r"\b(?:killed|died|dead|deaths?|wounded|injured|casualties|massacred?|fatalities)\b", re.IGNORECASE)),
    ("sentence", re.compile(r"\b(?:sentenced|sentence|jail|jailed|prison|imprisonment|convicted|acquitted|verdict)\b", re.IGNORECASE)),
    ("date", re.compile(r"\b(?:January|February|March|April|June|July|August|September|October|November|December|"
                        r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|(?:19|20)\d\d)\b|\bMay \d")),
    ("number", re.compile(rf"\b\d[\d,.]*\b|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)),
    ("agreement", re.compile(r"\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*\s+(?:[Aa]greements?|[Aa]ccords?|[Tt]reaty|[Dd]eal|"
                             r"[Pp]rotocol|[Pp]act|[Cc]ease-?fire|[Rr]esolution|[Ff]ormat|[Cc]onvention)\b|\b(?:the|a)\s+[A-Z]\w*\s+Treaty\b|\([A-Z]{2,} Treaty\)")),
    ("meeting", re.compile(r"\b[A-Z][\w’'-]*(?:\s+(?:[A-Z][\w’'-]*|of|for|on))*\s+(?:[Mm]eeting|[Tt]alks|[Ss]ummit|[Cc]onference|[Ff]orum|[Gg]roup)\b"
                           r"|\b(?:meeting|talks|summit|conference|visit)\s+(?:in|at)\s+[A-Z]\w+")),
)
# Each behind a look-ahead for the characters it can start with: see spans.guarded.
_REASONS = tuple((name, guarded(pattern)) for name, pattern in _REASONS)
_DATE = _REASONS[4][1]

# What each pattern above cannot match without: a word starting with a digit (every
# figure is matched at a word boundary), a currency sign, or a word starting with one of
# these (case aside). A sentence with none of them is skipped.
_TRIGGERS = Triggers(
    {**dict.fromkeys("killed died dead death wounded injured casualties massacre fatalities".split(), ["casualties"]),
     **dict.fromkeys("sentence jail prison imprisonment convicted acquitted verdict".split(), ["sentence"]),
     **dict.fromkeys("January February March April June July August September October November December "
                     "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(), ["date"]),
     **dict.fromkeys(_NUMBER_WORDS.replace("a third", "third").replace("a quarter", "quarter")
                     .replace("tripled?", "triple").split("|"), ["number"]),
     **dict.fromkeys("agreement accord treaty deal protocol pact cease resolution format convention".split(),
                     ["agreement"]),
     **dict.fromkeys("meeting talks summit conference forum group visit".split(), ["meeting"])},
    {r"\d": ["money", "quantity", "date", "number"]},
    {"$€£¥₽": ["money"]},
)
SHARED_TRIGGERS["facts"] = _TRIGGERS


@dataclass(frozen=True)
class FactRecord:
    """A sentence with something checkable in it, and why it was picked."""

    text: str
    source: str
    paragraph: int
    start: int
    end: int
    reasons: tuple[str, ...]
    type: str = "fact"

    def as_dict(self) -> dict[str, object]:
        """The record as JSON-ready data."""
        return {"type": self.type, "text": self.text, "source": self.source, "paragraph": self.paragraph,
                "start": self.start, "end": self.end, "reasons": list(self.reasons)}


def extract_facts(text: str, paragraphs: Sequence[Paragraph], source: str = "", *,
                  article: Article | None = None) -> list[FactRecord]:
    """Every sentence of the article that states something checkable, in text order.

    Headings are skipped (they repeat the body); a sentence whose only "number" is part
    of a date counts as a date, not a number.
    """
    if article is None:
        from ..actors import Registry
        from .mentions import Names

        article = Article(text, paragraphs, Names(Registry({})))
    kinds = {p.number: p.kind for p in article.paragraphs}
    sentences = article.sentences
    fired = article.fired("facts")
    facts = []
    for index, candidates in sorted(fired.items()):
        sentence = sentences[index]
        if kinds.get(sentence.paragraph) == "heading":
            continue
        body = text[sentence.start:sentence.end]
        reasons = []
        date_spans = [m.span() for m in _DATE.finditer(body)] if "date" in candidates else []
        for name, pattern in _REASONS:
            if name not in candidates:
                continue  # the first pass found nothing this pattern could match
            if name == "date":
                found = bool(date_spans)  # the date pattern has just been run over this sentence
            elif name == "number":
                found = any(not _inside_date(match.span(), body, date_spans) for match in pattern.finditer(body))
            else:
                found = pattern.search(body) is not None
            if found:
                reasons.append(name)
        if reasons:
            facts.append(FactRecord(body, source, sentence.paragraph, sentence.start, sentence.end, tuple(reasons)))
    return facts


def _inside_date(span: tuple[int, int], body: str, date_spans: list[tuple[int, int]]) -> bool:
    """A day or year number next to a month name is part of the date, not a quantity."""
    start, end = span
    if any(s <= start < e for s, e in date_spans):
        return True
    # The number itself is tested first: most are not a day or a year, and it is the cheaper test.
    if not _DAY_OR_YEAR.fullmatch(body, start, end):
        return False
    return bool(_MONTH_DAY.search(body[max(0, start - 12):end + 12]))


_MONTH_DAY = re.compile(r"(January|February|March|April|May|June|July|August|September|October|November|December|"
                        r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?\s+\d{1,2}\b(,\s*\d{4})?")
_DAY_OR_YEAR = re.compile(r"\d{1,2}|(19|20)\d\d")
