"""Mutation testing of the citation gate: every way of corrupting a shipped citation must be caught.

Each quote, fact and event of every shipped profile is corrupted in the ways an analyst's
slip would corrupt it, and the check must report each corrupted item. A mutation that
leaves a span that is still truly in its source (e.g. a swapped source that carries the
same words) is not a misquote and is counted as not applicable.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

import pytest

from briefing.build import Project, gather
from briefing.citations import locate, verify_profile
from briefing.config import Config
from briefing.errors import Collector
from briefing.profiles import PartialDate, Profile

MUTATIONS = ("word changed", "word dropped", "words reordered", "speaker swapped", "source swapped",
             "number changed", "date shifted")


@pytest.fixture(scope="module")
def shipped(config: Config) -> Project:
    return gather(config)


def _words(text: str) -> list[str]:
    return text.split(" ")


def _change_word(text: str) -> str | None:
    words = _words(text)
    index = len(words) // 2
    words[index] = "never" if words[index].lower() != "never" else "always"
    return " ".join(words)


def _drop_word(text: str) -> str | None:
    words = _words(text)
    if len(words) < 3:
        return None
    del words[len(words) // 2]
    return " ".join(words)


def _reorder(text: str) -> str | None:
    words = _words(text)
    if len(words) < 3:
        return None
    i = len(words) // 2
    if words[i - 1] == words[i]:
        return None
    words[i - 1], words[i] = words[i], words[i - 1]
    return " ".join(words)


def _shift(date: PartialDate) -> PartialDate:
    if date.day:
        return PartialDate(date.year, date.month, date.day + 1 if date.day < 28 else date.day - 1)
    if date.month:
        return PartialDate(date.year, date.month % 12 + 1)
    return PartialDate(date.year + 1)


def _other_person(shipped: Project, speaker: str) -> str:
    """A different actor of the same kind, so the swap is plausible, not trivially wrong."""
    kind = shipped.registry[speaker].kind
    candidates = [a for a in sorted(shipped.registry.actors) if a != speaker and shipped.registry[a].kind == kind]
    preferred = {"john-kerry": "sergei-lavrov", "sergei-lavrov": "vladimir-putin", "vladimir-putin": "john-kerry"}
    return preferred.get(speaker, candidates[0])


def mutants(shipped: Project, profile: Profile):
    """Yield (kind, label, mutated single-item profile or None when not applicable)."""
    sources = shipped.sources
    only = dict(quotes=(), facts=(), timeline=())

    def with_(**items):
        return dataclasses.replace(profile, **{**only, **items})

    for quote in profile.quotes:
        for kind, change in (("word changed", _change_word), ("word dropped", _drop_word),
                             ("words reordered", _reorder)):
            text = change(quote.text)
            applicable = text is not None and locate(text, sources[quote.source]) is None
            yield kind, quote.id, with_(quotes=(dataclasses.replace(quote, text=text),)) if applicable else None
        yield "speaker swapped", quote.id, with_(
            quotes=(dataclasses.replace(quote, speaker=_other_person(shipped, quote.speaker)),))
        other = next(s for s in sorted(sources) if s != quote.source)
        swapped = dataclasses.replace(quote, source=other)
        yield "source swapped", quote.id, with_(quotes=(swapped,)) if locate(quote.text, sources[other]) is None else None
    for fact in profile.facts:
        numbers = re.findall(r"\d+", fact.statement)
        changed = None
        if numbers:
            first = numbers[0]
            changed = fact.statement.replace(first, str(int(first) + 1), 1)
        yield "number changed", fact.id, with_(facts=(dataclasses.replace(fact, statement=changed),)) if changed else None
        other = next(s for s in sorted(sources) if s != fact.source)
        swapped = dataclasses.replace(fact, source=other)
        yield "source swapped", fact.id, with_(facts=(swapped,)) if locate(fact.evidence, sources[other]) is None else None
    for index, event in enumerate(profile.timeline):
        yield "date shifted", f"timeline[{index}]", with_(
            timeline=(dataclasses.replace(event, date=_shift(event.date)),))


def test_every_corruption_of_every_shipped_citation_is_caught(shipped: Project) -> None:
    tried: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    missed: list[str] = []
    for profile in shipped.profiles.values():
        assert not verify_errors(shipped, profile), f"{profile.id} must verify cleanly before mutation"
        for kind, label, mutant in mutants(shipped, profile):
            if mutant is None:
                continue
            tried[kind] += 1
            if verify_errors(shipped, mutant):
                caught[kind] += 1
            else:
                missed.append(f"{profile.id}: {kind}: {label}")
    report = ", ".join(f"{kind} {caught[kind]}/{tried[kind]}" for kind in MUTATIONS if tried[kind])
    print(f"\nmutations caught: {sum(caught.values())}/{sum(tried.values())} ({report})")
    assert missed == [], "\n".join(missed)
    assert sum(tried.values()) > 300


def verify_errors(shipped: Project, profile: Profile) -> list[str]:
    collector = Collector()
    verify_profile(profile, shipped.sources, collector, shipped.registry)
    return [str(d) for d in collector.errors]
