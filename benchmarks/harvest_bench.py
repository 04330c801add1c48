"""Benchmark (not a test): harvest a generated corpus of news-like articles, print MB/s and peak memory.

    python benchmarks/harvest_bench.py [--articles 10000] [--size 5000] [--skip-cli]

Articles are generated into a temporary folder from seeded random templates (quotes in
every style, pronoun chains, dates, figures). The registry is the shipped project's
``actors.yaml`` plus a third of the generated people, so that name look-ups meet the
aliases of a real desk ("the minister", "his Russian counterpart ...").

Two measurements, both on one core and cold:

- in-process: each article is read from disk, parsed and harvested by the library, as a
  Python caller would; CPU time is printed beside wall time because the machine may be
  shared;
- command line: ``make-brief harvest --format jsonl`` over the folder in a fresh process,
  without the cache, then with an empty cache (which it fills), then again with the cache
  warm (the re-harvest of an unchanged corpus), and once as YAML without the cache.

Target: at least 10 MB/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing.actors import Actor, Registry, load_actors  # noqa: E402
from briefing.errors import Collector  # noqa: E402
from briefing.extraction import Names, harvest  # noqa: E402
from briefing.sources import parse_article  # noqa: E402

FIRST = "Anna Boris Carla David Elena Farid Greta Hassan Irina Jonas Karim Lena Marco Nadia Omar".split()
LAST = "Petrov Silva Novak Okafor Haddad Moreau Keller Tanaka Rossi Larsen Duarte Weber Aziz".split()
ROLES = ["Foreign Minister", "Finance Minister", "spokeswoman", "envoy", "Prime Minister", "Governor"]
PLACES = "Vienna Geneva Riyadh Kyiv Paris Ankara Brussels Doha Oslo Minsk".split()
CLAIMS = ["we will not accept these terms", "the talks were useful", "the ceasefire is holding",
          "prices will fall next year", "this is a difficult moment for everyone", "nobody wants a war"]
DATES = ["on Tuesday", "last week", "on March 22", "in late February", "in early 2014", "in October",
         "in the summer of 2011", "on December 18", "Monday", "in March 2014"]


NARRATIVE = [
    "The two countries have been at odds over the conflict for years, and relations remain strained.",
    "Diplomats from both sides met behind closed doors, and no statement was issued afterwards.",
    "The region has been the scene of repeated clashes, and aid groups have struggled to reach it.",
    "Analysts expect the negotiations to drag on well into the next round, with little to show for them.",
    "The meeting came amid renewed fighting along the front line and a sharp fall in the currency.",
    "Western governments have imposed sanctions, while the government insists it acted within the law.",
]


def _paragraph(rng: random.Random, names: list[str]) -> str:
    if rng.random() < 0.6:
        # Most paragraphs of real news copy are narrative with no quotation in them.
        return " ".join(rng.sample(NARRATIVE, rng.randint(2, 4)))
    who, other = rng.sample(names, 2)
    last = who.split()[-1]
    claim = rng.choice(CLAIMS)
    pattern = rng.randrange(8)
    if pattern == 0:
        return f'"{claim.capitalize()}," {rng.choice(ROLES)} {who} said {rng.choice(DATES)}. "We will see," {rng.choice(["he", "she"])} added.'
    if pattern == 1:
        return f"«{claim.capitalize()},» said {last}, «and we said so in {rng.choice(PLACES)}.»"
    if pattern == 2:
        return f"{who} told {other} that the deal was “{claim}”, and {rng.randint(2, 900)} people were affected."
    if pattern == 3:
        return f"According to {last}, the plan is '{claim}'. Trade fell by {rng.randint(2, 40)}% to ${rng.randint(1, 90)}bn {rng.choice(DATES)}."
    if pattern == 4:
        return f"{last} was blunt: \"{claim.capitalize()}. There is nothing more to say.\""
    if pattern == 5:
        return f"The ministry, which has criticised the \"so-called\" reforms, said {rng.choice(DATES)} it would respond."
    if pattern == 6:
        return f"Talks in {rng.choice(PLACES)} ended {rng.choice(DATES)} without agreement after {rng.randint(2, 12)} hours, officials said."
    return f"\"{claim.capitalize()}.\n\n\"{rng.choice(CLAIMS).capitalize()},\" {last} said."


def generate(folder: Path, count: int, size: int, seed: int = 7) -> tuple[int, list[str]]:
    """Write ``count`` articles of about ``size`` characters; return total bytes and the names used."""
    rng = random.Random(seed)
    names = [f"{f} {l}" for f in FIRST for l in LAST]
    total = 0
    for index in range(count):
        people = rng.sample(names, 6)
        parts = [f"Talks in {rng.choice(PLACES)} end without a deal", "", f"By Bench Wire March {rng.randint(1, 28)}, 2016", ""]
        length = 0
        while length < size:
            para = _paragraph(rng, people)
            parts.extend([para, ""])
            length += len(para) + 2
        data = "\n".join(parts).encode("utf-8")
        (folder / f"{index:05d}.txt").write_bytes(data)
        total += len(data)
    return total, names


def bench_people(people: list[str]) -> list[tuple[str, str, str]]:
    """(id, name, alias) of the generated people the registry knows: every third one."""
    return [(name.lower().replace(" ", "-"), name, name.split()[-1]) for name in people[::3]]


def write_project(folder: Path, people: list[str]) -> Path:
    """A copy of the shipped project whose registry also knows the generated people."""
    project = folder / "project"
    project.mkdir()
    shutil.copy(ROOT / "config.yaml", project / "config.yaml")
    for folder in ("seeds", "profiles", "templates"):
        shutil.copytree(ROOT / folder, project / folder)
    registry = (ROOT / "actors.yaml").read_text(encoding="utf-8").rstrip("\n") + "\n"
    registry += "".join(f"  - {{id: {slug}, name: {name}, kind: person, aliases: [{alias}]}}\n"
                        for slug, name, alias in bench_people(people))
    (project / "actors.yaml").write_text(registry, encoding="utf-8")
    return project


def in_process(corpus: Path, project: Path) -> tuple[float, float, int]:
    """Wall and CPU seconds to read, parse and harvest every article; and the records found."""
    collector = Collector()
    names = Names(load_actors(project / "actors.yaml", "actors.yaml", collector))
    assert not collector.errors, collector.errors
    records = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for path in sorted(corpus.glob("*.txt")):
        text = path.read_bytes().decode("utf-8")
        parsed = parse_article(text)
        result = harvest(text, parsed.paragraphs, names, path.name, parsed.dateline_date or dt.date(2016, 3, 24))
        records += len(result.quotes) + len(result.facts) + len(result.events)
    return time.perf_counter() - started, time.process_time() - cpu_started, records


def command_line(corpus: Path, project: Path, *options: str) -> tuple[float, float, float]:
    """Wall and CPU seconds of one ``make-brief harvest`` run in a fresh process, and its peak memory in MB."""
    make_brief = Path(sys.executable).with_name("make-brief")
    command = [str(make_brief), "harvest", *options, "--force", "--out", str(project.parent / "harvest.out"),
               str(corpus)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, cwd=project, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return wall, cpu, after.ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=5_000, help="characters per article")
    parser.add_argument("--skip-cli", action="store_true", help="measure the library only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="harvest-bench-") as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        total, people = generate(corpus, args.articles, args.size)
        project = write_project(Path(tmp), people)
        mb = total / 1e6
        wall, cpu, records = in_process(corpus, project)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{args.articles} articles, {mb:.1f} MB, {records} records")
        print(f"in-process:              {wall:7.1f} s  {mb / wall:6.2f} MB/s; "
              f"CPU {cpu:.1f} s: {mb / cpu:.2f} MB/s; peak memory {peak_mb:.0f} MB")
        if args.skip_cli:
            return 0
        runs = [("CLI jsonl, no cache:", ("--no-cache", "--format", "jsonl")),
                ("CLI jsonl, empty cache:", ("--format", "jsonl")),
                ("CLI jsonl, re-harvest:", ("--format", "jsonl")),
                ("CLI yaml, no cache:", ("--no-cache", "--format", "yaml"))]
        for label, options in runs:
            wall, cpu, peak = command_line(corpus, project, *options)
            print(f"{label:24s} {wall:7.1f} s  {mb / wall:6.2f} MB/s; CPU {cpu:.1f} s: {mb / cpu:.2f} MB/s; "
                  f"peak memory {peak:.0f} MB (largest run so far)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
