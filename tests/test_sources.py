"""The article parser on every seed, and the manifest's metadata rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from briefing.errors import Collector
from briefing.sources import load_sources, parse_article

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"

# (file, paragraphs kept, lines dropped as page furniture)
EXPECTED = {
    "000_ae74fb9b8705560f.txt": (17, ["US and Russia seek closer path on Syria, Ukraine",
                                      "By bne IntelliNews December 15, 2015"]),
    "001_e8b3090a00f3af5c.txt": (28, ["US-Russia Talks Focus on Syria, IS, Ukraine", "Compártelo", "Pamela Dockins",
                                      "U.S. Secretary of State John Kerry (L) talks to Russian Foreign Minister "
                                      "Sergei Lavrov ahead of a meeting in Moscow, Russia, Dec. 15, 2015.",
                                      "FILE – Syrian President Bashar Assad speaks during an interview with "
                                      "Venezuela’s state-run Telesur network, in Damascus, Syria.",
                                      "U.S. Vice President Joe Biden pays his respects at a memorial honoring dozens "
                                      "of demonstrators killed during 2013-1014 anti-government protests in Kyiv, in "
                                      "Ukraine’s capital, Dec. 7, 2015.",
                                      "Compártelo"]),
    "002_5a0e71876e275197.txt": (18, ["Kerry and Putin push for Syria truce at Moscow talks",
                                      "By bne IntelliNews March 24, 2016"]),
    "003_50f3da926bbe71fc.txt": (13, []),
    "004_5cd4a6c8c7127bd8.txt": (13, ["Share", "Advertisement", "Advertisement", "Putin vows more sanctions on Turkey"]),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_seed_splits_into_its_paragraphs_and_drops_only_furniture(name: str) -> None:
    text = (SEEDS / name).read_text(encoding="utf-8")
    author = "Pamela Dockins" if name.startswith("001") else None
    parsed = parse_article(text, author=author)
    count, dropped = EXPECTED[name]
    assert len(parsed.paragraphs) == count
    # The first line is the title and is not a paragraph; everything else is kept or listed as dropped.
    assert list(parsed.dropped) == dropped


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_paragraph_text_is_byte_identical_to_the_file(name: str) -> None:
    text = (SEEDS / name).read_text(encoding="utf-8")
    parsed = parse_article(text)
    for paragraph in parsed.paragraphs:
        assert text[paragraph.start:paragraph.end] == paragraph.text
    # Reading the file line by line, each line is the title, the next kept paragraph or the next
    # dropped line, in order: nothing is altered, reordered or lost.
    kept, dropped = list(parsed.paragraphs), list(parsed.dropped)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    assert lines[0] == parsed.title or lines[0] == dropped[0]
    for line in lines:
        if kept and line == kept[0].text:
            kept.pop(0)
        elif dropped and line == dropped[0]:
            dropped.pop(0)
        else:
            assert line == parsed.title
    assert kept == [] and dropped == []
    assert [p.number for p in parsed.paragraphs] == list(range(1, len(parsed.paragraphs) + 1))


def test_noise_words_are_gone_from_every_seed() -> None:
    for name in EXPECTED:
        parsed = parse_article((SEEDS / name).read_text(encoding="utf-8"))
        texts = {p.text for p in parsed.paragraphs}
        assert not texts & {"Compártelo", "Advertisement", "Share", "Putin vows more sanctions on Turkey"}
        assert len(texts) == len(parsed.paragraphs), "a paragraph printed twice was kept twice"


def test_paragraphs_split_on_single_line_breaks_and_on_blank_lines() -> None:
    parsed = parse_article("Headline here\nFirst paragraph.\nSecond paragraph.\n\n\nThird paragraph.\n")
    assert parsed.title == "Headline here"
    assert [p.text for p in parsed.paragraphs] == ["First paragraph.", "Second paragraph.", "Third paragraph."]


def test_subheads_are_kept_as_headings_and_captions_printed_twice_as_captions() -> None:
    parsed = parse_article((SEEDS / "001_e8b3090a00f3af5c.txt").read_text(encoding="utf-8"))
    kinds = {p.text: p.kind for p in parsed.paragraphs}
    assert kinds["Gaps remain"] == "heading"
    assert kinds["No deals on Ukraine"] == "heading"
    assert sum(1 for k in kinds.values() if k == "caption") == 3


def test_manifest_reads_datelines_from_the_text_and_the_rest_from_the_manifest() -> None:
    collector = Collector()
    sources = load_sources(SEEDS, ROOT, collector)
    assert collector.diagnostics == []
    assert set(sources) == {"bne-2015-12-15-closer-path", "voa-2015-12-15-talks-focus", "bne-2016-03-24-syria-truce",
                            "agg-2015-12-15-common-ground", "agg-2015-12-15-significant-difference"}
    bne = sources["bne-2016-03-24-syria-truce"]
    assert (bne.outlet, bne.date, bne.date_basis) == ("bne IntelliNews", dt.date(2016, 3, 24), "dateline")
    assert bne.title == "Kerry and Putin push for Syria truce at Moscow talks"
    voa = sources["voa-2015-12-15-talks-focus"]
    assert (voa.outlet, voa.author, voa.date_basis) == ("Voice of America", "Pamela Dockins", "photo caption")
    assert sources["agg-2015-12-15-common-ground"].reliability == "D"


def _manifest(tmp_path: Path, entry: str) -> Collector:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_text("Title\nBy bne IntelliNews March 24, 2016\nBody text.\n", encoding="utf-8")
    (seeds / "manifest.yaml").write_text("sources:\n" + entry, encoding="utf-8")
    collector = Collector()
    load_sources(seeds, tmp_path, collector)
    return collector


def test_a_manifest_date_that_contradicts_the_dateline_is_an_error(tmp_path: Path) -> None:
    collector = _manifest(tmp_path, "  - id: a\n    file: a.txt\n    outlet_type: wire\n    reliability: B\n"
                                    "    date: 2016-03-25\n    date_basis: dateline\n")
    assert [str(d) for d in collector.errors] == [
        "seeds/manifest.yaml:6: error: sources[0].date: 2016-03-25 disagrees with the article's dateline "
        "(2016-03-24); remove the date or correct it"]


def test_a_manifest_file_outside_seeds_is_refused(tmp_path: Path) -> None:
    collector = _manifest(tmp_path, "  - id: a\n    file: ../config.yaml\n    outlet_type: wire\n    reliability: B\n"
                                    "    date_basis: unknown\n")
    assert [str(d) for d in collector.errors] == [
        "seeds/manifest.yaml:3: error: sources[0].file: '../config.yaml' must be the name of a file inside seeds/"]


def test_a_non_utf8_article_is_reported_with_its_line(tmp_path: Path) -> None:
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "a.txt").write_bytes("Title\nBody with caf\xe9.\n".encode("cp1252"))
    (seeds / "manifest.yaml").write_text("sources:\n  - id: a\n    file: a.txt\n    outlet: X\n    outlet_type: wire\n"
                                         "    reliability: B\n    date_basis: unknown\n", encoding="utf-8")
    collector = Collector()
    load_sources(seeds, tmp_path, collector)
    assert [str(d) for d in collector.errors] == [
        "seeds/a.txt:2: error: article is not UTF-8 (byte 0xe9 at offset 19); re-save it as UTF-8"]
