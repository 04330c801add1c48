"""Verification of every shipped citation, and the diagnostics for spans that are not verbatim."""

from __future__ import annotations

from briefing.build import Project, gather
from briefing.citations import closest_passage, first_difference, locate
from briefing.config import Config
from briefing.text import fold


def test_every_quote_fact_and_event_in_the_shipped_profiles_is_verbatim_in_its_paragraph(config: Config) -> None:
    project: Project = gather(config)
    assert sorted(project.briefs) == ["minsk-implementation", "sanctions", "savchenko-case",
                                      "syria-ceasefire", "syria-transition"]
    for brief in project.briefs.values():
        profile = brief.profile
        assert len(brief.quotes) == len(profile.quotes)
        assert len(brief.facts) == len(profile.facts)
        assert len(brief.timeline) == len(profile.timeline)
        for cited in brief.quotes:
            source = project.sources[cited.quote.source]
            paragraph = source.paragraph(cited.citation.paragraph)
            assert paragraph.start <= cited.citation.start < cited.citation.end <= paragraph.end
            assert fold(source.text[cited.citation.start:cited.citation.end]) == fold(cited.quote.text)
            assert cited.quote.speaker in project.registry


def test_locate_folds_only_quote_marks_dashes_and_spaces(config: Config) -> None:
    project = gather(config)
    source = project.sources["voa-2015-12-15-talks-focus"]
    # The source prints «…» guillemets and a curly apostrophe; straight marks in the profile match.
    assert locate("We are not playing, 'Let's Make a Deal' here", source) is not None
    assert locate("We are not playing,   ‘Let’s Make a Deal’ here", source) is not None
    # Anything else, even case or a full stop, must be exact.
    assert locate("we are not playing, 'Let's Make a Deal' here", source) is None
    assert locate("Moscow. Putin, speaking through a translator", source) is None
    assert locate("Moscow.Putin, speaking through a translator", source) is not None


def test_a_span_across_two_paragraphs_is_not_found(config: Config) -> None:
    project = gather(config)
    source = project.sources["bne-2015-12-15-closer-path"]
    last_words = source.paragraph(1).text.split()[-3:]
    first_words = source.paragraph(2).text.split()[:3]
    assert locate(" ".join(last_words + first_words), source) is None


def test_closest_passage_points_at_the_paragraph_and_the_word(config: Config) -> None:
    project = gather(config)
    near = closest_passage("honest about differences", project.sources["bne-2015-12-15-closer-path"])
    assert near is not None
    assert (near.paragraph, near.passage, near.differs) == (2, "honest with differences", '"about" vs source "with"')


def test_first_difference_describes_dropped_and_added_words() -> None:
    assert first_difference("we see the same dangers", "we see the same dangers") is None
    assert first_difference("we see same dangers", "we see the same dangers") == \
        'the source has "the" where the quote has nothing'
    assert first_difference("we see the very same dangers", "we see the same dangers") == '"very" is not in the source'
