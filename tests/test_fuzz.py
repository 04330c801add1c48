"""Property-based tests: no input makes the parser, extractor, matcher or loader fail unexpectedly,
and every quote the extractor finds is found again, verbatim, by the citation matcher."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from briefing.actors import Actor, Registry
from briefing.citations import locate
from briefing.errors import BriefingError, Collector
from briefing.extraction import Names, harvest
from briefing.profiles import read_profile
from briefing.sources import Source, parse_article
from briefing.text import find_verbatim, fold, fold_chars, fold_with_offsets
from briefing.yamlfile import Reader, load_yaml

WORDS = ["Kerry", "Lavrov", "said", "told", "he", "she", "added", "the", "ministry", "on", "Tuesday", "March 22",
         "2016", "$20bn", "Syria", "according to", "“", "”", "«", "»", "‘", "’", "'", '"', ",", ".", ":", "—", "\n",
         "\n\n", " ", "Let’s", "shouldn’t", "…", "(", ")", "[", "]"]
article_text = st.lists(st.sampled_from(WORDS) | st.text(max_size=6), max_size=120).map(" ".join)
REGISTRY = Registry({
    "john-kerry": Actor("john-kerry", "John Kerry", "person", "US Secretary of State", None, ("Kerry",)),
    "sergei-lavrov": Actor("sergei-lavrov", "Sergei Lavrov", "person", "Foreign Minister", None, ("Lavrov",)),
})
NAMES = Names(REGISTRY)
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def as_source(text: str) -> Source:
    parsed = parse_article(text)
    return Source("fuzz", "fuzz.txt", parsed.title or "", "Outlet", "wire", "F", None, dt.date(2016, 3, 24),
                  "inferred", None, "", text, parsed.paragraphs, parsed.dropped)


@FUZZ
@given(article_text)
def test_parser_keeps_paragraphs_as_exact_slices(text: str) -> None:
    parsed = parse_article(text)
    for paragraph in parsed.paragraphs:
        assert text[paragraph.start:paragraph.end] == paragraph.text
        assert paragraph.text == paragraph.text.strip() and paragraph.text


@FUZZ
@given(article_text)
def test_every_extracted_quote_is_found_again_verbatim(text: str) -> None:
    source = as_source(text)
    found = harvest(text, source.paragraphs, NAMES, "fuzz", source.date)
    for quote in found.quotes:
        assert any(p.number == quote.paragraph for p in source.paragraphs)
        for start, end in quote.pieces:
            piece = text[start:end]
            if fold(piece):
                citation = locate(piece, source)
                assert citation is not None, piece
                assert fold(text[citation.start:citation.end]) == fold(piece)
    for event in found.events:
        assert text[event.phrase_start:event.phrase_end] == event.phrase


@FUZZ
@given(st.text(max_size=60), st.text(max_size=200))
def test_matcher_only_reports_true_matches(needle: str, haystack: str) -> None:
    span = find_verbatim(needle, haystack)
    if span is not None:
        assert fold(haystack[span[0]:span[1]]) == fold(needle)
    elif fold(needle):
        assert fold(needle) not in fold(haystack)


def _folded_char_by_char(text: str) -> tuple[str, list[int]]:
    """The definition of folding with offsets: white space runs become one space, ends trimmed."""
    out, offsets = [], []
    for index, char in enumerate(fold_chars(text)):
        if char.isspace():
            if out and out[-1] != " ":
                out.append(" ")
                offsets.append(index)
            continue
        out.append(char)
        offsets.append(index)
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    return "".join(out), offsets + [len(text)]


@FUZZ
@given(article_text | st.text(max_size=80))
def test_folding_with_offsets_keeps_to_its_definition(text: str) -> None:
    folded, offsets = fold_with_offsets(text)
    assert (folded, list(offsets)) == _folded_char_by_char(text)
    assert folded == fold(text)


YAML_PIECES = ["title: ", "as_of: ", "2016-03-24", "quotes:", "\n", "  - ", "id: ", "x", "speaker: ", "[", "]", "{", "}",
               ": ", "&a ", "*a", "!!python/object:os.system", "'", '"', "- ", "    ", "null", "~", "1e9", "key_judgments:",
               "likelihood: ", "likely", "text: ", "<<: *a", "? ", "|", ">", "#", "\t", "é", "\x00"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(YAML_PIECES) | st.text(max_size=4), max_size=60).map("".join))
def test_profile_loader_never_fails_unexpectedly(tmp_path_factory, text: str) -> None:
    path = Path(tmp_path_factory.mktemp("fuzz")) / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    collector = Collector()
    try:
        document = load_yaml(path, "fuzz.yaml", collector)
        if document is not None:
            read_profile("fuzz", Reader(document, (), collector), REGISTRY, {}, "PUBLIC")
    except BriefingError:
        pass
    for diagnostic in collector.diagnostics:
        assert diagnostic.file == "fuzz.yaml" and diagnostic.message


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_loader_reports_any_bytes_as_diagnostics(tmp_path_factory, raw: bytes) -> None:
    path = Path(tmp_path_factory.mktemp("bytes")) / "fuzz.yaml"
    path.write_bytes(raw)
    collector = Collector()
    document = load_yaml(path, "fuzz.yaml", collector)
    assert document is not None or collector.errors
