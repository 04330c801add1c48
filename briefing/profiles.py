"""Profiles stage: the curated issue profiles, validated into typed briefs-to-be.

A profile names its quotes, facts and events by source id and actor id; this stage checks
that every reference resolves. Whether the words are really in the source is the
citations stage's job.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .actors import Registry
from .errors import Collector
from .sources import Source, display_path, inside
from .text import MONTH_NAMES
from .yamlfile import SLUG, DocumentCache, Reader, load_yaml, suggest

if TYPE_CHECKING:
    from .workspace import Workspace

# ICD 203 expressions of likelihood, with the probability band each one stands for.
LIKELIHOOD = {
    "almost no chance": "01–05%",
    "very unlikely": "05–20%",
    "unlikely": "20–45%",
    "roughly even chance": "45–55%",
    "likely": "55–80%",
    "very likely": "80–95%",
    "almost certain": "95–99%",
}
CONFIDENCE = ("low", "moderate", "high")
MAX_ITEMS = 2_000


@dataclass(frozen=True, order=True)
class PartialDate:
    """A date known to the day, the month or only the year."""

    year: int
    month: int | None = None
    day: int | None = None

    @property
    def precision(self) -> str:
        return "day" if self.day else "month" if self.month else "year"

    @property
    def iso(self) -> str:
        if self.day:
            return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"
        if self.month:
            return f"{self.year:04d}-{self.month:02d}"
        return f"{self.year:04d}"

    @property
    def label(self) -> str:
        """Human form: '22 March 2016', 'February 2016' or '2014'."""
        if self.day:
            return f"{self.day} {MONTH_NAMES[self.month - 1]} {self.year}"
        if self.month:
            return f"{MONTH_NAMES[self.month - 1]} {self.year}"
        return str(self.year)

    @property
    def sort_key(self) -> tuple[int, int, int]:
        return (self.year, self.month or 0, self.day or 0)

    @classmethod
    def parse(cls, value: object) -> "PartialDate | None":
        """Read YYYY-MM-DD, YYYY-MM or YYYY (as text, a YAML date or a number)."""
        if isinstance(value, dt.date):
            return cls(value.year, value.month, value.day)
        if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
            return cls(value)
        if not isinstance(value, str):
            return None
        match = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", value.strip())
        if not match:
            return None
        year, month, day = (int(g) if g else None for g in match.groups())
        try:
            dt.date(year, month or 1, day or 1)
        except ValueError:
            return None
        return cls(year, month, day)


class Located:
    """Mixin for curated items that remember the line of each of their keys."""

    line: int | None
    lines: tuple[tuple[str, int | None], ...]

    def line_of(self, key: str) -> int | None:
        """The line where ``key`` of this item is written (the item's line if it is not)."""
        return dict(self.lines).get(key) or self.line


def key_lines(item: Reader) -> tuple[tuple[str, int | None], ...]:
    """The line of every key of a curated item, for diagnostics found after validation."""
    return tuple((key, item.line(key)) for key in item.value)


@dataclass(frozen=True)
class Quote(Located):
    """Words a speaker said, as printed in one source."""

    id: str
    speaker: str
    source: str
    text: str
    note: str | None
    line: int | None
    lines: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class Fact(Located):
    """The analyst's sentence, backed by a verbatim evidence span in one source."""

    id: str
    statement: str
    source: str
    evidence: str
    line: int | None
    lines: tuple[tuple[str, int | None], ...] = ()


@dataclass(frozen=True)
class DateOverride:
    """A curator's explicit date for an event whose source does not state it, and why.

    It names the date it vouches for, so a later edit of the event's date cannot silently
    inherit an old justification.
    """

    date: PartialDate
    reason: str


@dataclass(frozen=True)
class Event(Located):
    """A dated happening, backed by a verbatim span that carries its date."""

    date: PartialDate
    event: str
    source: str
    evidence: str
    line: int | None
    lines: tuple[tuple[str, int | None], ...] = ()
    date_override: "DateOverride | None" = None


@dataclass(frozen=True)
class Judgment:
    """A key judgment with ICD 203 likelihood and a separate confidence level."""

    text: str
    likelihood: str
    confidence: str
    basis: tuple[str, ...]
    line: int | None


@dataclass(frozen=True)
class Position:
    """Where one party stands on the issue, in the analyst's words and its own."""

    party: str
    position: str
    quotes: tuple[str, ...]
    line: int | None


@dataclass(frozen=True)
class Topic:
    """What the profile is about, for ranking candidate quotes and spotting new articles."""

    keywords: tuple[str, ...] = ()
    actors: tuple[str, ...] = ()
    places: tuple[str, ...] = ()


@dataclass(frozen=True)
class Profile:
    """One curated issue profile, every reference resolved."""

    id: str
    file: str
    title: str
    product: str
    as_of: dt.date
    edition: int
    marking: str
    summary: str
    key_judgments: tuple[Judgment, ...]
    background: str
    positions: tuple[Position, ...]
    quotes: tuple[Quote, ...]
    facts: tuple[Fact, ...]
    timeline: tuple[Event, ...]
    outlook: str
    indicators: tuple[str, ...]
    sourcing: str | None
    topic: Topic
    as_of_line: int | None = None

    def cited_sources(self) -> list[str]:
        """Ids of every source the profile cites, in order of first citation."""
        seen: dict[str, None] = {}
        for item in (*self.quotes, *self.facts, *self.timeline):
            seen.setdefault(item.source, None)
        return list(seen)


def profile_paths(profiles_dir: Path) -> list[Path]:
    """The profile files, sorted by name."""
    return sorted(p for p in profiles_dir.glob("*.yaml") if p.is_file())


def load_profiles(profiles_dir: Path, project: Path, registry: Registry, sources: dict[str, Source],
                  default_marking: str, collector: Collector,
                  unavailable: frozenset[str] = frozenset(),
                  documents: DocumentCache | None = None, workspace: Workspace | None = None) -> dict[str, Profile]:
    """Read and validate every profile in ``profiles_dir`` (unchanged files from ``documents``, if given).

    A ``workspace`` hands back the very profile read from an unchanged file against the same
    registry and sources.
    """
    profiles: dict[str, Profile] = {}
    paths = profile_paths(profiles_dir)
    if not paths:
        collector.error(display_path(profiles_dir, project), None, None, "no profiles (*.yaml) found")
    for path in paths:
        display = display_path(path, project)
        if not inside(project, path):
            collector.error(display, None, None, "profile is a link to a file outside the project; refusing it")
            continue
        if not SLUG.match(path.stem):
            collector.error(display, None, None,
                            f"file name {path.stem!r} is not a valid profile id (lowercase letters, digits, hyphens)")
            continue

        def read(path: Path = path, display: str = display) -> Profile | None:
            document = load_yaml(path, display, collector, documents)
            if document is None:
                return None
            return read_profile(path.stem, Reader(document, (), collector), registry, sources, default_marking,
                                unavailable)

        if workspace is None:
            profile = read()
        else:
            profile = workspace.recall("profile", read, same=(registry, sources), collector=collector,
                                       equal=(path, display, workspace.files.find(path), default_marking,
                                              unavailable))
        if profile is not None:
            profiles[profile.id] = profile
    return profiles


def read_profile(profile_id: str, root: Reader, registry: Registry, sources: dict[str, Source],
                 default_marking: str, unavailable: frozenset[str] = frozenset()) -> Profile | None:
    """Validate one profile document; errors go to the reader's collector.

    References to ``unavailable`` sources (listed but unreadable, already reported) are
    dropped without a second error.
    """
    before = len(root.collector.errors)
    title = root.text("title")
    product = root.text("product", required=False) or "Issue brief"
    as_of = root.date("as_of")
    edition = root.integer("edition", required=False, minimum=1) or 1
    marking = root.text("marking", required=False) or default_marking
    summary = root.text("summary")
    background = root.text("background")
    outlook = root.text("outlook")
    sourcing = root.text("sourcing", required=False)
    indicators = root.texts("indicators", required=True)

    def source_ref(item: Reader) -> str | None:
        source = item.text("source", slug=True)
        if source in unavailable:
            return None
        if source is not None and source not in sources:
            item.error("source", f"unknown source {source!r}{suggest(source, list(sources))}")
            return None
        return source

    def actor_ref(item: Reader, key: str) -> str | None:
        actor = item.text(key, slug=True)
        if actor is not None and actor not in registry:
            item.error(key, f"unknown actor {actor!r}{suggest(actor, registry.ids())} (add it to actors.yaml)")
            return None
        return actor

    quotes: list[Quote] = []
    facts: list[Fact] = []
    ids: dict[str, str] = {}

    def claim_id(item: Reader, kind: str) -> str | None:
        item_id = item.text("id", slug=True)
        if item_id is None:
            return None
        if item_id in ids:
            item.error("id", f"duplicate id {item_id!r} (already used by a {ids[item_id]})")
            return None
        ids[item_id] = kind
        return item_id

    for item in _bounded(root, "quotes"):
        quote_id = claim_id(item, "quote")
        speaker = actor_ref(item, "speaker")
        source = source_ref(item)
        text = item.text("text", max_length=5_000)
        note = item.text("note", required=False)
        item.finish()
        if None not in (quote_id, speaker, source, text):
            quotes.append(Quote(quote_id, speaker, source, text, note, item.line(), key_lines(item)))

    for item in _bounded(root, "facts"):
        fact_id = claim_id(item, "fact")
        statement = item.text("statement")
        source = source_ref(item)
        evidence = item.text("evidence", max_length=5_000)
        item.finish()
        if None not in (fact_id, statement, source, evidence):
            facts.append(Fact(fact_id, statement, source, evidence, item.line(), key_lines(item)))

    timeline: list[Event] = []
    for item in _bounded(root, "timeline"):
        raw_date = item.raw("date", required=True)
        date = PartialDate.parse(raw_date) if raw_date is not None else None
        if raw_date is not None and date is None:
            item.error("date", f"{raw_date!r} is not a date (write YYYY-MM-DD, YYYY-MM or YYYY)")
        event = item.text("event")
        source = source_ref(item)
        evidence = item.text("evidence", max_length=5_000)
        override = None
        override_reader = item.mapping("date_override")
        if override_reader is not None:
            raw_vouched = override_reader.raw("date", required=True)
            vouched = PartialDate.parse(raw_vouched) if raw_vouched is not None else None
            if raw_vouched is not None and vouched is None:
                override_reader.error("date", f"{raw_vouched!r} is not a date (write YYYY-MM-DD, YYYY-MM or YYYY)")
            reason = override_reader.text("reason")
            override_reader.finish()
            if vouched and reason:
                override = DateOverride(vouched, reason)
        item.finish()
        if None not in (date, event, source, evidence):
            timeline.append(Event(date, event, source, evidence, item.line(), key_lines(item), override))

    judgments: list[Judgment] = []
    for item in _bounded(root, "key_judgments", required=True):
        text = item.text("text")
        likelihood = item.text("likelihood", choices=tuple(LIKELIHOOD))
        confidence = item.text("confidence", choices=CONFIDENCE)
        basis = item.texts("basis", slug=True)
        for ref in basis:
            if ref not in ids:
                item.error("basis", f"unknown quote or fact id {ref!r}{suggest(ref, list(ids))}")
        item.finish()
        if None not in (text, likelihood, confidence):
            judgments.append(Judgment(text, likelihood, confidence, basis, item.line()))

    positions: list[Position] = []
    parties: set[str] = set()
    for item in _bounded(root, "positions", required=True):
        party = actor_ref(item, "party")
        position = item.text("position")
        quote_refs = item.texts("quotes", slug=True)
        for ref in quote_refs:
            if ids.get(ref) != "quote":
                item.error("quotes", f"unknown quote id {ref!r}{suggest(ref, [k for k, v in ids.items() if v == 'quote'])}")
        item.finish()
        if party in parties:
            item.error("party", f"party {party!r} already has a position in this profile")
            continue
        if None not in (party, position):
            parties.add(party)
            positions.append(Position(party, position, quote_refs, item.line()))

    topic = Topic()
    topic_reader = root.mapping("topic")
    if topic_reader is not None:
        topic = Topic(topic_reader.texts("keywords"), topic_reader.texts("actors", slug=True),
                      topic_reader.texts("places"))
        for actor in topic.actors:
            if actor not in registry:
                topic_reader.error("actors", f"unknown actor {actor!r}{suggest(actor, registry.ids())}")
        topic_reader.finish()
    root.finish()

    if len(root.collector.errors) > before or None in (title, as_of, summary, background, outlook):
        return None
    return Profile(
        id=profile_id, file=root.document.file, title=title, product=product, as_of=as_of,
        edition=edition, marking=marking, summary=summary, key_judgments=tuple(judgments),
        background=background, positions=tuple(positions), quotes=tuple(quotes), facts=tuple(facts),
        timeline=tuple(sorted(timeline, key=lambda e: e.date.sort_key)), outlook=outlook,
        indicators=indicators, sourcing=sourcing, topic=topic, as_of_line=root.line("as_of"),
    )


def _bounded(root: Reader, key: str, required: bool = False):
    for index, item in enumerate(root.items(key, required=required)):
        if index >= MAX_ITEMS:
            root.error(key, f"more than {MAX_ITEMS} entries; split the profile")
            return
        yield item

