"""Validation of curated files: each kind of mistake gets one clear line naming file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from briefing.build import gather
from briefing.config import load_config
from briefing.errors import ContentError

MINIMAL = """\
title: Test brief
as_of: 2016-03-24
summary: A bottom line.
background: Some background.
outlook: An outlook.
indicators: [Something to watch]
key_judgments:
  - text: A judgment.
    likelihood: likely
    confidence: moderate
    basis: [honest]
positions:
  - party: united-states
    position: A position.
    quotes: [honest]
quotes:
  - id: honest
    speaker: john-kerry
    source: bne-2015-12-15-closer-path
    text: honest with differences
facts:
  - id: trade
    statement: Trade shrank by a third in 2015 to $20bn.
    source: bne-2016-03-24-syria-truce
    evidence: Bilateral trade turnover shrank by a third in 2015 to $20bn
timeline:
  - date: 2015-12-18
    event: ISSG meets in New York.
    source: bne-2015-12-15-closer-path
    evidence: scheduled to take place in New York on December 18
"""


def errors_for(project: Path, text: str, name: str = "test.yaml") -> list[str]:
    """Replace the shipped profiles with one file of ``text`` and return the error lines."""
    for path in (project / "profiles").glob("*.yaml"):
        path.unlink()
    (project / "profiles" / name).write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    try:
        gather(load_config(project / "config.yaml"))
    except ContentError as exc:
        return [str(d) for d in exc.diagnostics]
    return []


def test_the_minimal_profile_is_valid(project: Path) -> None:
    assert errors_for(project, MINIMAL) == []


def test_malformed_yaml_names_line_column_and_the_offending_line(project: Path) -> None:
    broken = MINIMAL.replace("outlook: An outlook.", "outlook: [An outlook.")
    assert errors_for(project, broken) == [
        "profiles/test.yaml:6: error: YAML syntax error, column 11: expected ',' or ']', but got ':' "
        "in: indicators: [Something to watch]"]


def test_unknown_key_suggests_the_right_one(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("outlook:", "outlok:")) == [
        "profiles/test.yaml:1: error: outlook: required key is missing",
        "profiles/test.yaml:5: error: outlok: unknown key (did you mean 'outlook'?)"]


def test_missing_field_in_a_quote(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("    speaker: john-kerry\n", "")) == [
        "profiles/test.yaml:17: error: quotes[0].speaker: required key is missing"]


def test_unknown_source_id_suggests_the_closest(project: Path) -> None:
    text = MINIMAL.replace("source: bne-2015-12-15-closer-path\n    text", "source: bne-2015-12-15-closer\n    text")
    assert errors_for(project, text) == [
        "profiles/test.yaml:19: error: quotes[0].source: unknown source 'bne-2015-12-15-closer' "
        "(did you mean 'bne-2015-12-15-closer-path'?)"]


def test_unknown_speaker(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("speaker: john-kerry", "speaker: jon-kerry")) == [
        "profiles/test.yaml:18: error: quotes[0].speaker: unknown actor 'jon-kerry' (did you mean 'john-kerry'?) "
        "(add it to actors.yaml)"]


def test_a_quote_one_word_off_gets_the_closest_passage_and_the_difference(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("honest with differences", "honest about differences")) == [
        "profiles/test.yaml:20: error: quotes[0].text: quote \"honest about differences\" not found in source "
        "'bne-2015-12-15-closer-path' (closest, paragraph 2: \"honest with differences\", "
        "differs at \"about\" vs source \"with\")"]


def test_a_quote_from_another_source_says_where_it_does_occur(project: Path) -> None:
    text = MINIMAL.replace("text: honest with differences", "text: we have been able to work effectively on specific issues")
    [line] = errors_for(project, text)
    assert line.endswith("; it does occur in 'voa-2015-12-15-talks-focus'")


def test_a_number_the_evidence_does_not_carry(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("to $20bn.", "to $30bn.")) == [
        "profiles/test.yaml:23: error: facts[0].statement: number '30' is not in the evidence span "
        "(evidence has: 2015, 20)"]


def test_duplicate_keys_are_refused(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("outlook: An outlook.\n", "outlook: An outlook.\noutlook: Again.\n")) == [
        "profiles/test.yaml:6: error: outlook: duplicate key (first given on line 5)"]


def test_dates_that_are_not_dates(project: Path) -> None:
    text = MINIMAL.replace("as_of: 2016-03-24", "as_of: 24 March 2016").replace("date: 2015-12-18", "date: 2015-13-01")
    assert errors_for(project, text) == [
        "profiles/test.yaml:2: error: as_of: '24 March 2016' is not a date (write YYYY-MM-DD)",
        "profiles/test.yaml:27: error: timeline[0].date: '2015-13-01' is not a date (write YYYY-MM-DD, YYYY-MM or YYYY)"]


def test_likelihood_outside_the_icd_203_scale(project: Path) -> None:
    [line] = errors_for(project, MINIMAL.replace("likelihood: likely", "likelihood: probable"))
    assert line.startswith("profiles/test.yaml:9: error: key_judgments[0].likelihood: 'probable' is not one of: "
                           "almost no chance, very unlikely")


def test_references_to_missing_quote_ids(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("basis: [honest]", "basis: [honst]")) == [
        "profiles/test.yaml:11: error: key_judgments[0].basis: unknown quote or fact id 'honst' (did you mean 'honest'?)"]


def test_empty_and_non_utf8_files(project: Path) -> None:
    assert errors_for(project, "") == ["profiles/test.yaml: error: file is empty"]
    assert errors_for(project, "title: caf\xe9\n".encode("cp1252")) == [
        "profiles/test.yaml:1: error: file is not UTF-8 (byte 0xe9 at offset 10)"]


def test_wrong_types(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("edition", "x").replace("as_of: 2016-03-24", "as_of: 2016-03-24\nedition: two")) == [
        "profiles/test.yaml:3: error: edition: expected a whole number, found str 'two'"]
    assert errors_for(project, MINIMAL.replace("indicators: [Something to watch]", "indicators: {a: 1}")) == [
        "profiles/test.yaml:6: error: indicators: expected a list, found a mapping"]


def test_several_errors_in_several_files_are_all_reported(project: Path) -> None:
    for path in (project / "profiles").glob("*.yaml"):
        path.unlink()
    (project / "profiles" / "first.yaml").write_text(MINIMAL.replace("outlook:", "outlok:"))
    (project / "profiles" / "second.yaml").write_text(MINIMAL.replace("speaker: john-kerry", "speaker: nobody"))
    with pytest.raises(ContentError) as caught:
        gather(load_config(project / "config.yaml"))
    assert [f"{d.file}:{d.line}:{d.key}" for d in caught.value.diagnostics] == [
        "profiles/first.yaml:1:outlook", "profiles/first.yaml:5:outlok", "profiles/second.yaml:18:quotes[0].speaker"]


def test_an_alias_bomb_is_refused_quickly(project: Path) -> None:
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, "
        f"*{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}, *{chr(97 + i)}]\n"
        for i in range(8))
    [line] = errors_for(project, bomb)
    assert line == "profiles/test.yaml:1: error: more than 200000 values once aliases are expanded; refusing to load"


def test_python_tags_are_not_executed(project: Path) -> None:
    [line] = errors_for(project, MINIMAL.replace("title: Test brief", "title: !!python/object/apply:os.system ['echo hacked']"))
    assert line == "profiles/test.yaml:1: error: title: unsupported YAML tag !!python/object/apply:os.system; write plain values"


def test_a_quote_given_to_the_wrong_speaker(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("speaker: john-kerry", "speaker: vladimir-putin")) == [
        "profiles/test.yaml:18: error: quotes[0].speaker: the source attributes these words to John Kerry "
        "(the source says 'Kerry'), not to Vladimir Putin"]


def test_a_scare_quote_presented_as_someones_words(project: Path) -> None:
    text = MINIMAL.replace("source: bne-2015-12-15-closer-path\n    text: honest with differences",
                           "source: agg-2015-12-15-significant-difference\n    text: moderate")
    assert errors_for(project, text) == [
        "profiles/test.yaml:18: error: quotes[0].speaker: the source gives these words to no one (a title or scare "
        "quote), so they cannot be presented as John Kerry's words; cite them as a fact"]


def test_reported_speech_presented_as_a_quote(project: Path) -> None:
    text = MINIMAL.replace("text: honest with differences", "text: Kerry said the sides had been")
    assert errors_for(project, text) == [
        "profiles/test.yaml:18: error: quotes[0].speaker: these words are not inside quotation marks in the source, "
        "so they are not anyone's quoted words; cite them as a fact"]


def test_a_timeline_date_that_disagrees_with_the_source(project: Path) -> None:
    assert errors_for(project, MINIMAL.replace("date: 2015-12-18", "date: 2015-12-19")) == [
        "profiles/test.yaml:27: error: timeline[0].date: 2015-12-19 disagrees with the source ('on December 18' is "
        "2015-12-18); correct it or give date_override with a reason"]


def test_a_timeline_event_whose_evidence_carries_no_date(project: Path) -> None:
    text = MINIMAL.replace("evidence: scheduled to take place in New York on December 18",
                           "evidence: scheduled to take place in New York")
    assert errors_for(project, text) == [
        "profiles/test.yaml:27: error: timeline[0].date: the evidence carries no date; quote the words that date the "
        "event, or give date_override with the reason for the date"]


def test_a_date_override_must_vouch_for_the_events_date(project: Path) -> None:
    override = ("evidence: scheduled to take place in New York\n    date_override:\n      date: 2015-12-18\n"
                "      reason: The meeting is known to have been held as scheduled.")
    text = MINIMAL.replace("evidence: scheduled to take place in New York on December 18", override)
    assert errors_for(project, text) == []
    assert errors_for(project, text.replace("date: 2015-12-18\n    event", "date: 2015-12-19\n    event")) == [
        "profiles/test.yaml:27: error: timeline[0].date: date_override vouches for 2015-12-18 but the event is dated "
        "2015-12-19; re-check the date and update the override"]
