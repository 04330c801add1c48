"""make-brief harvest end to end: output shapes, round trip into a profile, cache, and bad input."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from briefing.build import gather
from briefing.cli import main
from briefing.config import load_config
from briefing.errors import ContentError

QUOTE_KEYS = ["type", "text", "source", "paragraph", "start", "end", "pieces", "speaker", "speaker_mention",
              "speaker_start", "speaker_end", "cue", "kind", "resolved_by", "confidence", "ambiguous", "sources"]


def harvest(project: Path, *args: str):
    old = os.getcwd()
    os.chdir(project)
    try:
        return CliRunner().invoke(main, ["harvest", *args])
    finally:
        os.chdir(old)


def records(result) -> list[dict]:
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_jsonl_records_carry_exactly_the_documented_keys_and_true_offsets(project: Path) -> None:
    found = records(harvest(project, "--format", "jsonl"))
    quotes = [r for r in found if r["type"] == "quote"]
    assert len(quotes) >= 50
    assert all(list(q) == QUOTE_KEYS for q in quotes)
    config = load_config(project / "config.yaml")
    sources = gather(config).sources
    for quote in quotes:
        text = sources[quote["source"]].text
        for start, end in quote["pieces"]:
            assert text[start:end] in quote["text"]
        if quote["speaker_start"] is not None:
            assert text[quote["speaker_start"]:quote["speaker_end"]] == quote["speaker_mention"]
    assert {r["type"] for r in found} == {"quote", "fact", "event"}


def test_every_attributed_harvested_quote_pastes_into_a_profile_and_passes_check(project: Path) -> None:
    """Harvest proposes entries in the exact shape a profile accepts, and check accepts them."""
    proposed = yaml.safe_load(harvest(project, "--format", "yaml").stdout)
    quotes = [q for q in proposed["quotes"] if q["speaker"] != "UNKNOWN"]
    assert len(quotes) >= 40
    profile = yaml.safe_load((project / "profiles" / "sanctions.yaml").read_text(encoding="utf-8"))
    proposed["timeline"] = [e for e in proposed["timeline"] if e["date"] != "UNRESOLVED"]
    profile.update(quotes=quotes, facts=proposed["facts"][:20], timeline=proposed["timeline"],
                   key_judgments=[{**j, "basis": []} for j in profile["key_judgments"]],
                   positions=[{**p, "quotes": []} for p in profile["positions"]])
    for path in (project / "profiles").glob("*.yaml"):
        path.unlink()
    (project / "profiles" / "pasted.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    try:
        brief = gather(load_config(project / "config.yaml")).briefs["pasted"]
    except ContentError as exc:
        pytest.fail("\n".join(str(d) for d in exc.diagnostics))
    assert len(brief.quotes) == len(quotes)
    assert len(brief.timeline) == len(proposed["timeline"])


def test_a_profile_ranks_candidates_and_marks_what_it_already_cites(project: Path) -> None:
    found = records(harvest(project, "--format", "jsonl", "--profile", "savchenko-case"))
    assert all("relevance" in r and "cited" in r for r in found)
    cited = [r for r in found if r["cited"]]
    assert cited and all(r["source"] == "bne-2016-03-24-syria-truce" for r in cited)
    relevances = [r["relevance"] for r in found]
    assert relevances == sorted(relevances, reverse=True)
    result = harvest(project, "--profile", "savchenko")
    assert result.exit_code == 2
    assert "no profile 'savchenko' (did you mean 'savchenko-case'?)" in result.stderr


def test_the_same_quote_in_two_articles_is_one_candidate_listing_both(project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    (folder / "a.txt").write_text('Talks stall\n"We will not accept these terms at all," the minister said.\n')
    (folder / "b.txt").write_text('Minister firm\nThe minister said: “We will not accept these terms at all.”\n')
    quotes = [r for r in records(harvest(project, "--format", "jsonl", str(folder))) if r["type"] == "quote"]
    assert len(quotes) == 1
    assert quotes[0]["sources"] == [str(folder / "a.txt"), str(folder / "b.txt")]


def test_an_unchanged_corpus_is_read_from_the_cache_and_a_changed_article_alone_is_reread(project: Path) -> None:
    first = harvest(project, "--format", "jsonl")
    assert "harvested 5 articles (0 from cache)" in first.stderr
    assert (project / ".cache" / "harvest.sqlite").is_file()
    second = harvest(project, "--format", "jsonl")
    assert "harvested 5 articles (5 from cache)" in second.stderr
    assert second.stdout == first.stdout
    seed = project / "seeds" / "003_50f3da926bbe71fc.txt"
    seed.write_text(seed.read_text(encoding="utf-8") + "\n“A new line,” Kerry said.\n", encoding="utf-8")
    third = harvest(project, "--format", "jsonl")
    assert "harvested 5 articles (4 from cache)" in third.stderr


@pytest.mark.parametrize("left_behind", ["an older layout", "a damaged file"])
def test_a_cache_left_by_an_older_version_or_damaged_is_made_anew(project: Path, left_behind: str) -> None:
    import sqlite3

    store = project / ".cache" / "harvest.sqlite"
    store.parent.mkdir(parents=True, exist_ok=True)
    if left_behind == "an older layout":
        with sqlite3.connect(store) as connection:
            connection.execute("CREATE TABLE harvest (key TEXT PRIMARY KEY, records TEXT)")
    else:
        store.write_bytes(b"not an SQLite database " * 100)
    first = harvest(project, "--format", "jsonl")
    assert first.exit_code == 0 and "Traceback" not in first.output, first.output
    assert "harvested 5 articles (0 from cache)" in first.stderr and records(first)
    again = harvest(project, "--format", "jsonl", "seeds")
    assert "harvested 5 articles (5 from cache)" in again.stderr


def test_saved_web_pages_are_read_for_their_main_text_and_date(project: Path, tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_text(
        "<html><head><title>Minister warns | Example News</title><meta name='date' content='2016-04-02'></head>"
        "<body><nav>Home | Share</nav><article><h1>Minister warns</h1><p>\"We have waited long enough,\" "
        "Kerry told reporters in Geneva on Tuesday.</p><p>Officials said 1,200 people had fled since March 3."
        "</p></article><footer>Related: another story</footer></body></html>", encoding="utf-8")
    found = records(harvest(project, "--format", "jsonl", str(page)))
    quote = next(r for r in found if r["type"] == "quote")
    assert (quote["text"], quote["speaker"]) == ("We have waited long enough", "john-kerry")
    event = next(r for r in found if r["type"] == "event" and r["phrase"] == "on Tuesday")
    assert event["date"] == "2016-03-29"
    assert not any("Related" in str(r["text"]) or "Share" in str(r["text"]) for r in found)


def test_bad_files_are_reported_and_do_not_stop_the_rest(project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "binary.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 10)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "cp1252.txt").write_bytes('Headline\n"Caf\xe9 talks failed," Kerry said.\n'.encode("cp1252"))
    (folder / "utf16.txt").write_bytes('Headline\n"We agreed," Lavrov said.\n'.encode("utf-16"))
    (folder / "good.txt").write_text('Headline\n"It is done," Putin said.\n', encoding="utf-8")
    result = harvest(project, "--format", "jsonl", str(folder), str(tmp_path / "missing.txt"))
    assert result.exit_code == 0
    assert f"{folder / 'binary.txt'}: warning: binary file, not text; skipped" in result.stderr
    assert f"{folder / 'empty.txt'}: warning: file is empty; skipped" in result.stderr
    assert f"{folder / 'cp1252.txt'}: warning: not UTF-8; read as Windows-1252" in result.stderr
    assert f"{tmp_path / 'missing.txt'}: warning: no such file or folder" in result.stderr
    speakers = {r["text"]: r["speaker"] for r in records(result) if r["type"] == "quote"}
    assert speakers == {"Café talks failed": "john-kerry", "We agreed": "sergei-lavrov", "It is done": "vladimir-putin"}
    assert "Traceback" not in result.output


def test_a_folder_of_thousands_of_files(project: Path, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for n in range(2000):
        (folder / f"{n:04d}.txt").write_text(f'Story {n}\n"Statement number {n} is final," Kerry said.\n')
    started = time.perf_counter()
    result = harvest(project, "--format", "jsonl", "--no-cache", str(folder))
    assert result.exit_code == 0
    assert sum(1 for r in records(result) if r["type"] == "quote") == 2000
    assert time.perf_counter() - started < 30


def test_harvest_never_writes_into_curated_files(project: Path) -> None:
    before = (project / "profiles" / "sanctions.yaml").read_bytes()
    result = harvest(project, "--out", "profiles/sanctions.yaml")
    assert result.exit_code == 2
    assert "refusing to write harvest output to profiles/sanctions.yaml: it is a curated file" in result.stderr
    assert (project / "profiles" / "sanctions.yaml").read_bytes() == before
    result = harvest(project, "--out", "proposals/sanctions.yaml")
    assert result.exit_code == 0
    assert yaml.safe_load((project / "proposals" / "sanctions.yaml").read_text(encoding="utf-8"))["quotes"]
