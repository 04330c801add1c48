"""Extraction stage, events: dated happenings, their date phrase resolved against the article's date.

A date is never invented: a relative phrase ("Tuesday", "last week", "December 18"
without a year) in an undated article is kept with ``resolved=None`` and the flag
``unresolved``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..profiles import PartialDate
from ..sources import Paragraph
from .context import Article
from .spans import SHARED_TRIGGERS, Triggers, guarded

_MONTHS = {name: i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({"Jan": 1, "Feb": 2, "Mar": 3, "Apr": 4, "Jun": 6, "Jul": 7, "Aug": 8,
                "Sep": 9, "Sept": 9, "Oct": 10, "Nov": 11, "Dec": 12})
_WEEKDAYS = {name: i for i, name in enumerate(calendar.day_name)}
_MONTH = r"(?P<month>January|February|March|April|May|June|July|August|September|October|November|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.)"
_YEAR = r"(?P<year>(?:19|20)\d{2})(?![\d,]\d)"
_QUAL = r"(?:(?P<qual>early|late|mid|the end of|the beginning of|the start of|the middle of)[\s-]+)?"
_SEASON = r"(?:the\s+)?(?P<season>spring|summer|autumn|fall|winter)\s+of\s+"
_PATTERNS = [
    ("day", re.compile(rf"\b(?:on\s+)?(?:(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),?\s+)?"
                       rf"{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\b(?:,?\s+{_YEAR})?")),
    ("day", re.compile(rf"\b(?:on\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+{_YEAR})?")),
    ("month", re.compile(rf"\b(?:(?:in|since|by|until|from|of|during|earlier in|later in|last|next)\s+)?{_QUAL}{_MONTH}(?:\s+{_YEAR})?(?!\s+\d)")),
    ("year", re.compile(rf"\b(?:(?:in|since|by|until|from|of|during)\s+)?(?:{_QUAL}|{_SEASON}){_YEAR}\b")),
    ("weekday", re.compile(r"\b(?:(?P<rel>last|next|this|on|by|until|since)\s+)?(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b(?!\s+(?:January|February|March|April|May|June|July|August|September|October|November|December))")),
    ("relative", re.compile(r"\b(?P<rel>today|yesterday|tomorrow|tonight|(?:earlier |later )?(?:last|this|next|previous|past) (?:week|month|year)|a (?:week|month|year) ago)\b", re.IGNORECASE)),
]
# Each behind a look-ahead for the letters or digits it can start with: see spans.guarded.
_PATTERNS = [(kind, guarded(pattern)) for kind, pattern in _PATTERNS]
_MONTH_WORDS = "January February March April May June July August September October November December " \
    "Jan Feb Mar Apr Jun Jul Aug Sep Oct Nov Dec"
# What each pattern above cannot match without (by its index): a word starting with a
# digit (a year is matched at a word boundary), or a word starting with one of these, case
# aside. A sentence with none of them is not searched.
_TRIGGERS = Triggers(
    {**dict.fromkeys(_MONTH_WORDS.split(), [0, 1, 2]),
     **dict.fromkeys("Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split(), [4]),
     **dict.fromkeys("today yesterday tomorrow tonight week month year".split(), [5])},
    {r"\d": [3]},
    {},
)
SHARED_TRIGGERS["events"] = _TRIGGERS
_FUTURE = guarded(re.compile(r"\b(will|would|shall|expected|scheduled|due|plans?|planned|set to|to take place|next|upcoming)\b",
                             re.IGNORECASE))


@dataclass(frozen=True)
class EventRecord:
    """A dated happening: the sentence, its date phrase verbatim, and the date it resolves to."""

    text: str
    phrase: str
    phrase_start: int
    phrase_end: int
    source: str
    paragraph: int
    start: int
    end: int
    resolved: PartialDate | None
    precision: str  # "day" | "month" | "year": how precise the phrase is, resolved or not
    qualifier: str | None = None  # early / late / mid / summer ...
    flags: tuple[str, ...] = ()  # relative, unresolved, approximate, future
    type: str = "event"

    def as_dict(self) -> dict[str, object]:
        """The record as JSON-ready data (the date as YYYY[-MM[-DD]] or None)."""
        return {
            "type": self.type, "text": self.text, "phrase": self.phrase, "phrase_start": self.phrase_start,
            "phrase_end": self.phrase_end, "source": self.source, "paragraph": self.paragraph,
            "start": self.start, "end": self.end, "date": self.resolved.iso if self.resolved else None,
            "precision": self.precision, "qualifier": self.qualifier, "flags": list(self.flags),
        }


def extract_events(text: str, paragraphs: Sequence[Paragraph], article_date: dt.date | None,
                   source: str = "", *, article: Article | None = None) -> list[EventRecord]:
    """Every date phrase in the article's sentences, resolved against ``article_date``."""
    if article is None:
        from ..actors import Registry
        from .mentions import Names

        article = Article(text, paragraphs, Names(Registry({})))
    events: list[EventRecord] = []
    fired = article.fired("events")
    for index, candidates in sorted(fired.items()):
        sentence = article.sentences[index]
        taken: list[tuple[int, int]] = []
        body = text[sentence.start:sentence.end]
        future: bool | None = None  # looked up only once a date phrase is found
        for number, (kind, pattern) in enumerate(_PATTERNS):
            if number not in candidates:
                continue
            for match in pattern.finditer(text, sentence.start, sentence.end):
                start, end = match.span()
                if any(start < e and s < end for s, e in taken):
                    continue
                if future is None:
                    future = bool(_FUTURE.search(body))
                resolved = _resolve(kind, match, article_date, future)
                if resolved is None:
                    continue
                taken.append((start, end))
                date, precision, qualifier, flags = resolved
                events.append(EventRecord(body, match.group(), start, end, source, sentence.paragraph,
                                          sentence.start, sentence.end, date, precision, qualifier, flags))
    events.sort(key=lambda e: e.phrase_start)
    return events


def _resolve(kind: str, match: re.Match[str], today: dt.date | None,
             future: bool) -> tuple[PartialDate | None, str, str | None, tuple[str, ...]] | None:
    groups = match.groupdict()
    qualifier = groups.get("qual") or groups.get("season")
    year = int(groups["year"]) if groups.get("year") else None
    if kind in ("day", "month"):
        month = _MONTHS[groups["month"].rstrip(".")]
        if groups["month"] == "May" and kind == "month" and year is None and not re.match(r"(in|since|by|until|from|of|during|earlier in|later in|last|next|early|late|mid)\b", match.group()):
            return None  # "there may be" is not a month
        day = int(groups["day"]) if kind == "day" else None
        if day is not None and not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
            return None
        if year is not None:
            return PartialDate(year, month, day), kind, qualifier, ()
        if today is None:
            return None, kind, qualifier, ("relative", "unresolved")
        guess = today.year
        probe = dt.date(guess, month, min(day or 1, calendar.monthrange(guess, month)[1]))
        if (probe - today).days > 183 and not future:
            guess -= 1
        elif (today - probe).days > 183 and future:
            guess += 1
        return PartialDate(guess, month, day), kind, qualifier, ("relative",)
    if kind == "year":
        return PartialDate(year), "year", qualifier, ()
    if kind == "weekday":
        rel = (groups.get("rel") or "").casefold()
        if today is None:
            return None, "day", None, ("relative", "unresolved")
        target = _WEEKDAYS[groups["weekday"]]
        if rel == "next" or (future and rel != "last"):
            delta = (target - today.weekday()) % 7 or 7
            date = today + dt.timedelta(days=delta)
            flags: tuple[str, ...] = ("relative", "future")
        else:
            date = today - dt.timedelta(days=(today.weekday() - target) % 7)
            if rel == "last" and date == today:
                date -= dt.timedelta(days=7)
            flags = ("relative",)
        return PartialDate(date.year, date.month, date.day), "day", None, flags
    rel = groups["rel"].casefold()
    unit = "day" if rel in ("today", "yesterday", "tomorrow", "tonight") else rel.split()[-1] if "ago" not in rel else rel.split()[1]
    precision = {"day": "day", "week": "month", "month": "month", "year": "year"}[unit]
    if today is None:
        return None, precision, None, ("relative", "unresolved")
    step = -1 if any(w in rel for w in ("last", "previous", "past", "ago", "yesterday")) else \
        1 if any(w in rel for w in ("next", "tomorrow")) else 0
    if unit == "day":
        date = today + dt.timedelta(days=step)
        return PartialDate(date.year, date.month, date.day), "day", None, ("relative",)
    if unit == "week":
        date = today + dt.timedelta(days=7 * step)
        return PartialDate(date.year, date.month), "month", None, ("relative", "approximate")
    if unit == "month":
        index = today.year * 12 + today.month - 1 + step
        return PartialDate(index // 12, index % 12 + 1), "month", None, ("relative",)
    return PartialDate(today.year + step), "year", None, ("relative",)
