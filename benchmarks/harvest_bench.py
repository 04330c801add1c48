"""Benchmark (not a test): harvest a generated corpus of news-like articles, print MB/s and peak memory.

    python benchmarks/harvest_bench.py [--articles 10000] [--size 5000]

Articles are generated into a temporary folder from seeded random templates (quotes in
every style, pronoun chains, dates, figures), read back from disk and harvested one by
one on a single core. Target: at least 10 MB/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing.actors import Actor, Registry  # noqa: E402
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=5_000, help="characters per article")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="harvest-bench-") as tmp:
        folder = Path(tmp)
        total, people = generate(folder, args.articles, args.size)
        actors = {}
        for name in people[::3]:
            slug = name.lower().replace(" ", "-")
            actors[slug] = Actor(slug, name, "person", None, None, (name.split()[-1],))
        names = Names(Registry(actors))
        records = 0
        started = time.perf_counter()
        cpu_started = time.process_time()
        for path in sorted(folder.glob("*.txt")):
            text = path.read_bytes().decode("utf-8")
            parsed = parse_article(text)
            result = harvest(text, parsed.paragraphs, names, path.name, parsed.dateline_date or dt.date(2016, 3, 24))
            records += len(result.quotes) + len(result.facts) + len(result.events)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mb = total / 1e6
    print(f"{args.articles} articles, {mb:.1f} MB, {records} records in {elapsed:.1f} s: "
          f"{mb / elapsed:.2f} MB/s; CPU {cpu:.1f} s: {mb / cpu:.2f} MB/s; peak memory {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
