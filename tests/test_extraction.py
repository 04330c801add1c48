"""Tests for the extraction stage: quotes and speakers, facts, events; scored on gold files."""

from __future__ import annotations

import datetime as dt
import gc
import time
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from briefing.actors import Registry, load_actors  # noqa: E402
from briefing.errors import Collector  # noqa: E402
from briefing.extraction import attribute_span, extract_events, extract_facts, extract_quotes, harvest  # noqa: E402
from briefing.sources import parse_article  # noqa: E402

import scoring  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = Path(__file__).resolve().parent / "articles"

REGISTRY_YAML = """\
actors:
  - {id: united-states, name: United States, kind: state, aliases: [US, the US, Washington]}
  - {id: russia, name: Russia, kind: state, aliases: [Moscow]}
  - id: john-kerry
    name: John Kerry
    kind: person
    role: US Secretary of State
    affiliation: united-states
    aliases: [Kerry, Secretary of State John Kerry, the US Secretary of State]
  - {id: sergei-lavrov, name: Sergei Lavrov, kind: person, role: Russian Foreign Minister, affiliation: russia, aliases: [Lavrov]}
  - {id: vladimir-putin, name: Vladimir Putin, kind: person, role: President of Russia, affiliation: russia, aliases: [Putin]}
  - {id: russian-foreign-ministry, name: Russian Foreign Ministry, kind: institution, affiliation: russia, aliases: [Russian foreign ministry]}
"""


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    path = tmp_path / "actors.yaml"
    path.write_text(REGISTRY_YAML, encoding="utf-8")
    collector = Collector()
    reg = load_actors(path, "actors.yaml", collector)
    assert not collector.errors
    return reg


def quotes_of(text: str, registry: Registry):
    parsed = parse_article("Headline\n\n" + text)
    return extract_quotes("Headline\n\n" + text, parsed.paragraphs, registry, "test")


# --- scored on gold ----------------------------------------------------------------------

@pytest.mark.skipif(not (ROOT / "actors.yaml").is_file(), reason="the project's actors.yaml is not written yet")
def test_seed_quotes_meet_the_quality_bar() -> None:
    registry = load_actors(ROOT / "actors.yaml", "actors.yaml", Collector())
    score = scoring.score_gold_file(ROOT / "tests/gold/quotes.yaml", ROOT, registry)
    assert score.gold == 56
    assert score.f1 >= 0.97, score.errors
    assert score.speaker_accuracy >= 0.95, score.errors


def test_own_articles_meet_the_quality_bar() -> None:
    registry = load_actors(ARTICLES / "actors.yaml", "actors.yaml", Collector())
    score = scoring.score_gold_file(ARTICLES / "gold.yaml", ARTICLES, registry)
    assert score.gold >= 40
    assert score.f1 >= 0.97, score.errors
    assert score.speaker_accuracy >= 0.95, score.errors


def test_scorer_counts_misses_and_spurious_quotes(registry: Registry) -> None:
    text = 'Headline\n\n"One thing," Kerry said. Lavrov called it "nonsense".'
    records = extract_quotes(text, parse_article(text).paragraphs, registry, "t")
    gold = [scoring.GoldQuote("One thing,", ((text.index("One"), text.index("One") + 10),), "john-kerry", "full"),
            scoring.GoldQuote("missing", ((0, 8),), None, "partial")]
    score = scoring.score_article(records, gold)
    assert (score.matched, score.predicted, score.gold) == (1, 2, 2)
    assert score.precision == 0.5 and score.recall == 0.5 and score.speaker_accuracy == 1.0


# --- quotation marks -----------------------------------------------------------------------

def test_apostrophes_inside_words_are_not_quote_marks(registry: Registry) -> None:
    records = quotes_of("Kerry's aides said they shouldn’t worry. “Let’s wait,” Kerry said.", registry)
    assert [r.text for r in records] == ["Let’s wait"]


def test_offsets_point_at_the_words_inside_the_marks(registry: Registry) -> None:
    text = "Headline\n\n«Even so,» said Kerry, «we agree.» Lavrov said it was 'fine'."
    for record in extract_quotes(text, parse_article(text).paragraphs, registry):
        assert " ".join(text[s:e] for s, e in record.pieces) == record.text
        assert text[record.speaker_start:record.speaker_end] == record.speaker_mention


def test_split_quote_is_one_record_with_both_pieces(registry: Registry) -> None:
    [record] = quotes_of('"We differ," Kerry said, "but we can work together."', registry)
    assert record.text == "We differ, but we can work together."
    assert len(record.pieces) == 2 and record.speaker == "john-kerry" and record.kind == "full"


def test_full_stop_after_the_cue_starts_a_new_quote_by_the_same_speaker(registry: Registry) -> None:
    first, second = quotes_of('"We differ," Kerry said. "But we can work together."', registry)
    assert second.speaker == "john-kerry" and second.resolved_by == "context"


def test_quote_over_several_paragraphs_is_one_record(registry: Registry) -> None:
    text = '"The first part of it.\n\n"The second part.\n\n"The end," Kerry said.\n\nLavrov left.'
    [record] = quotes_of(text, registry)
    assert record.text == "The first part of it. The second part. The end"
    assert len(record.pieces) == 3 and record.speaker == "john-kerry"


def test_unbalanced_mark_does_not_swallow_the_rest_of_the_article(registry: Registry) -> None:
    text = ('"We are working on it, said Kerry. Talks went on.\n\n'
            'Lavrov said the US was "unhelpful".\n\n"It is done," Putin said.')
    records = quotes_of(text, registry)
    assert [r.text for r in records] == ["We are working on it", "unhelpful", "It is done"]
    assert records[0].closed is False and records[0].speaker == "john-kerry"
    assert records[1].speaker == "sergei-lavrov" and records[2].speaker == "vladimir-putin"


def test_reversed_guillemets_are_read_by_position(registry: Registry) -> None:
    [first, second] = quotes_of("«Fine,» said Lavrov.»We will see.»", registry)
    assert second.text == "We will see." and second.speaker == "sergei-lavrov"


# --- speakers -------------------------------------------------------------------------------

def test_partial_quote_in_reported_speech(registry: Registry) -> None:
    [record] = quotes_of('Lavrov told Kerry that US influence could be "good thing".', registry)
    assert record.kind == "partial" and record.speaker == "sergei-lavrov" and record.cue == "told"


def test_scare_quote_is_unattributed(registry: Registry) -> None:
    [record] = quotes_of("Moscow rejects what some call US 'containment' policy. Prices rose.", registry)
    assert record.speaker is None and record.resolved_by == "none" and record.kind == "partial"


def test_said_speaker_order_with_appositive(registry: Registry) -> None:
    [record] = quotes_of('"It was useful," said Lavrov, the foreign minister.', registry)
    assert record.speaker == "sergei-lavrov" and record.speaker_mention == "Lavrov"


def test_longest_alias_wins_over_the_country_in_a_title(registry: Registry) -> None:
    [record] = quotes_of('US Secretary of State John Kerry said the sides "see Syria similarly".', registry)
    assert record.speaker == "john-kerry"


def test_pronoun_resolves_to_previous_speaker_not_the_person_spoken_to(registry: Registry) -> None:
    text = 'Lavrov told Kerry the talks were useful.\n\n"We will meet again," he added.'
    [record] = quotes_of(text, registry)
    assert (record.speaker, record.resolved_by, record.ambiguous) == ("sergei-lavrov", "pronoun", False)


def test_pronoun_after_another_person_is_named_is_flagged_ambiguous(registry: Registry) -> None:
    text = 'Kerry said the talks went well. Later Putin met Lavrov.\n\n"It is a start," he said.'
    [record] = quotes_of(text, registry)
    assert record.speaker == "john-kerry" and record.ambiguous and record.confidence <= 0.5


def test_unknown_speaker_is_reported_by_name(registry: Registry) -> None:
    [record] = quotes_of('"No comment," said Maria Gonzalez, a spokeswoman.', registry)
    assert record.speaker is None and record.speaker_mention == "Maria Gonzalez"


def test_possessive_and_definite_descriptions_resolve_to_the_institution(registry: Registry) -> None:
    text = ('Lavrov\'s ministry said the coalition "imitates a fight".\n\n'
            '"We are ready," the ministry said in a statement.')
    first, second = quotes_of(text, registry)
    assert first.speaker == second.speaker == "russian-foreign-ministry"
    assert second.cue == "said in a statement"


def test_according_to_and_colon_quotes(registry: Registry) -> None:
    first, second = quotes_of('According to Kerry, the plan is "on track".\n\nPutin was clear: "No."', registry)
    assert first.speaker == "john-kerry" and first.cue == "According to"
    assert second.speaker == "vladimir-putin" and second.kind == "full"


def test_attribute_span_finds_the_quote_and_its_speaker(registry: Registry) -> None:
    text = 'Headline\n\n"We see the same dangers, and the same challenges," Kerry said.'
    start = text.index("the same dangers")
    record = attribute_span(text, parse_article(text).paragraphs, start, start + 16, registry)
    assert record is not None and record.speaker == "john-kerry"
    assert attribute_span(text, parse_article(text).paragraphs, 0, 8, registry) is None


# --- facts and events -----------------------------------------------------------------------

def test_facts_name_their_reasons() -> None:
    text = ("Headline\n\nTrade shrank by a third in 2015 to $20bn. A court sentenced her to 22 years in jail. "
            "The mood was good.")
    facts = extract_facts(text, parse_article(text).paragraphs, "s")
    assert [f.text for f in facts] == ["Trade shrank by a third in 2015 to $20bn.",
                                       "A court sentenced her to 22 years in jail."]
    assert "money" in facts[0].reasons and "sentence" in facts[1].reasons


@pytest.mark.parametrize(("phrase", "iso", "precision"), [
    ("on Tuesday", "2015-12-15", "day"),
    ("on December 18", "2015-12-18", "day"),
    ("in late February", "2015-02", "month"),
    ("last week", "2015-12", "month"),
    ("in early 2014", "2014", "year"),
    ("on March 22", "2015-03-22", "day"),
    ("on Monday", "2015-12-14", "day"),
    ("in October", "2015-10", "month"),
    ("in the summer of 2011", "2011", "year"),
    ("in March 2014", "2014-03", "month"),
])
def test_event_dates_resolve_against_the_article_date(phrase: str, iso: str, precision: str) -> None:
    text = f"Headline\n\nThe ministers met {phrase} in Vienna."
    [event] = extract_events(text, parse_article(text).paragraphs, dt.date(2015, 12, 15), "s")
    assert event.resolved is not None and event.resolved.iso == iso and event.precision == precision
    assert text[event.phrase_start:event.phrase_end] == event.phrase


def test_future_weekday_resolves_forward() -> None:
    text = "Headline\n\nThe group is expected to meet Friday in New York."
    [event] = extract_events(text, parse_article(text).paragraphs, dt.date(2015, 12, 15))
    assert event.resolved.iso == "2015-12-18" and "future" in event.flags


def test_undated_article_keeps_relative_dates_unresolved() -> None:
    text = "Headline\n\nThey met on Tuesday and last week, and in March 2014."
    events = extract_events(text, parse_article(text).paragraphs, None)
    assert [(e.phrase, e.resolved) for e in events[:2]] == [("on Tuesday", None), ("last week", None)]
    assert all("unresolved" in e.flags for e in events[:2])
    assert events[2].resolved is not None and events[2].resolved.iso == "2014-03"


# --- speed ---------------------------------------------------------------------------------

_RUN_ON = ('"We will not accept these terms," Foreign Minister Sergei Lavrov said on Tuesday. "We will see," '
           'he added. Kerry told Lavrov that the deal was “a good thing”, and 40 people were affected. '
           "According to Kerry, the plan is 'useful'. Trade fell by 12% to $30bn in late February. "
           'The ministry, which has criticised the "so-called" reforms, said last week it would respond. '
           "Lavrov's ministry said the talks in Geneva ended without agreement after 9 hours. ")


def _harvest_seconds(registry: Registry, size: int) -> tuple[float, int]:
    text = "Headline\n\n" + _RUN_ON * (size // len(_RUN_ON))
    # The cycle collector's passes grow with every object still alive, so with it running the
    # times of a linear algorithm grow faster than linearly; what is measured is the harvest.
    gc.collect()
    gc.disable()
    try:
        # This process's own CPU time: the suite runs in two processes, and the other one's
        # load would otherwise land on one side of the comparison and not the other.
        started = time.process_time()
        result = harvest(text, parse_article(text).paragraphs, registry, "long", dt.date(2016, 3, 24))
        return time.process_time() - started, len(result.quotes)
    finally:
        gc.enable()


def test_a_long_single_paragraph_article_harvests_in_linear_time(registry: Registry) -> None:
    # One paragraph full of quote marks is the worst case for every look-back (antecedents,
    # pronouns, split quotes): doubling it must not much more than double the time.
    _harvest_seconds(registry, 20_000)  # warm up: compile patterns, build the alias index
    # The best of two runs on both sides, so that one pause of a shared machine during the
    # single large run cannot fail the test; a quadratic step would still show as 4x.
    small, small_quotes = min(_harvest_seconds(registry, 100_000) for _ in range(2))
    large, large_quotes = min(_harvest_seconds(registry, 200_000) for _ in range(2))
    assert large_quotes == 2 * small_quotes > 0
    assert large < 3 * small, (small, large)


# --- guarded patterns ----------------------------------------------------------------------

def test_a_guarded_pattern_finds_exactly_what_the_pattern_finds() -> None:
    import re

    from briefing.extraction.spans import guarded

    text = ("Today, in early 2014 and on Monday, March 3, 2014, two \u212aILLED, \u0131n jail; "
            "$5bn for 12% (NPT Treaty) a third of the Minsk Agreement was signed last week. ") * 3
    for source, flags in ((r"\b(?:today|in|killed|jail|a third)\b", re.IGNORECASE),
                          (r"\b(?:on\s+)?(?P<day>\d{1,2})|\([A-Z]{2,} Treaty\)|[$€]\s?\d", 0),
                          (r"\b(?:(?:in|on)\s+)?(?:early\s+)?(?P<year>(?:19|20)\d\d)", 0)):
        plain = re.compile(source, flags)
        fast = guarded(plain)
        assert fast.pattern.startswith("(?=[")
        assert [(m.span(), m.groupdict()) for m in fast.finditer(text)] == \
            [(m.span(), m.groupdict()) for m in plain.finditer(text)]
    # Patterns whose first character it cannot bound are returned unchanged.
    for unreadable in (r"x?", r"[^a]b", r".b", r"\bfoo|\W"):
        assert guarded(re.compile(unreadable)).pattern == unreadable
