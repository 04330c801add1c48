"""Benchmark (not a test): the HTML site for 200 briefs over 5,000 articles, against MkDocs.

Generates, in a temporary folder, a make-brief project of 200 profiles citing 5,000
articles, and 200 comparable Markdown pages (the same title, summary, judgments,
positions table, quotations, facts, timeline and sources per brief) for MkDocs with its
default theme and search. Builds both in the same run, each as its own command, and
prints the times and the ratio. The target is make-brief at most half MkDocs' time.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/site_bench.py [--profiles 200] [--articles 5000] [--keep]
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# News text has a few very common words and a long tail of rare ones (names, places, terms);
# the generated vocabulary follows that shape, so word-based indexes behave as on real text.
COMMON = ("the of and to in a that on for with as by was is said at from it his have has be are "
          "not its but after an were they who over will this their more which had would also").split()
TERMS = ("talks ceasefire minister sanctions agreement border envoy council region security trade "
         "government officials delegation proposal settlement pressure economy energy pipeline "
         "summit treaty monitors observers withdrawal convoy humanitarian aid transition framework "
         "parliament election reform court ruling coalition opposition negotiators capital").split()
SYLLABLES = "ka ri to mel an sor vi de lu pra gon tes ber mi ol ash ven tar qu is ne ro ful che".split()


def vocabulary(rng: random.Random, size: int = 20_000) -> tuple[list[str], list[float]]:
    """Common words, topical terms and a Zipf-weighted tail of invented names and terms."""
    tail = sorted({"".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) for _ in range(size)})
    words = COMMON + TERMS + tail
    weights = [40.0] * len(COMMON) + [8.0] * len(TERMS) + [3.0 / (rank + 1) ** 0.8 for rank in range(len(tail))]
    return words, list(itertools.accumulate(weights))


WORDS: tuple[list[str], list[float]] = ([], [])  # words and cumulative weights
VERBS = ["said", "added", "warned", "noted", "argued", "insisted", "told reporters", "stressed"]
OUTLETS = [("Wire Service %d" % i, "news agency", "ABC"[i % 3]) for i in range(12)]
LIKELIHOODS = ("likely", "unlikely", "roughly even chance", "very likely")


def sentence(rng: random.Random, words: int) -> str:
    text = " ".join(rng.choices(WORDS[0], cum_weights=WORDS[1], k=words))
    return text[0].upper() + text[1:]


def make_actors(count: int) -> list[tuple[str, str]]:
    return [(f"actor-{i:03d}", f"Person {chr(65 + i % 26)}{i:03d}") for i in range(count)]


def make_article(rng: random.Random, index: int, actors: list[tuple[str, str]]):
    """An article: title, eight paragraphs, two quotations attributed to named actors, dated facts."""
    speakers = rng.sample(actors, 2)
    quotes = [sentence(rng, rng.randint(9, 16)) for _ in speakers]
    facts = [f"{sentence(rng, 6)} rose by {rng.randint(2, 90)} percent in {rng.randint(2000, 2016)}"
             for _ in range(2)]
    paragraphs = [f"{sentence(rng, 18)}. {sentence(rng, 14)}."]
    for (actor_id, name), quote in zip(speakers, quotes):
        paragraphs.append(f'"{quote}," {name} {rng.choice(VERBS)}. {sentence(rng, 12)}.')
        paragraphs.append(f"{sentence(rng, 20)}. {sentence(rng, 10)}.")
    paragraphs += [f"{fact}. {sentence(rng, 12)}." for fact in facts]
    paragraphs.append(f"{sentence(rng, 16)}.")
    title = f"Report {index}: {sentence(rng, 5)}"
    return title, paragraphs, list(zip(speakers, quotes)), facts


def generate(root: Path, profiles: int, articles: int, seed: int = 7) -> list[dict]:
    """Write the make-brief project into ``root``; return what each brief cites, for the Markdown twin."""
    rng = random.Random(seed)
    WORDS[0][:], WORDS[1][:] = vocabulary(rng)
    actors = make_actors(60)
    (root / "seeds").mkdir(parents=True)
    (root / "profiles").mkdir()
    (root / "config.yaml").write_text(
        "site:\n  title: Benchmark briefs\n  organisation: Bench desk\n  site_url: https://example.org/b/\n"
        "  language: en\nmarking: PUBLIC\n", encoding="utf-8")
    (root / "actors.yaml").write_text("actors:\n" + "".join(
        f"  - id: {a}\n    name: {n}\n    kind: person\n    role: Official\n    aliases: []\n" for a, n in actors),
        encoding="utf-8")
    manifest = ["sources:"]
    corpus = []
    start = dt.date(2015, 1, 1)
    for i in range(articles):
        title, paragraphs, quotes, facts = make_article(rng, i, actors)
        outlet, kind, grade = OUTLETS[i % len(OUTLETS)]
        name = f"{i:05d}.txt"
        (root / "seeds" / name).write_text(title + "\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
        date = start + dt.timedelta(days=i % 500)
        manifest.append(f"  - id: a{i:05d}\n    file: {name}\n    title: \"{title}\"\n    outlet: {outlet}\n"
                        f"    outlet_type: {kind}\n    reliability: {grade}\n    date: {date}\n"
                        f"    date_basis: inferred\n    notes: Generated for the benchmark.")
        corpus.append({"id": f"a{i:05d}", "title": title, "outlet": outlet, "date": date,
                       "quotes": quotes, "facts": facts})
    (root / "seeds" / "manifest.yaml").write_text("\n".join(manifest) + "\n", encoding="utf-8")

    briefs = []
    for p in range(profiles):
        cited = rng.sample(corpus, 6)
        quotes, facts, events, parties = [], [], [], {}
        for n, art in enumerate(cited):
            for m, ((actor_id, name), text) in enumerate(art["quotes"]):
                quotes.append({"id": f"q{n}-{m}", "speaker": actor_id, "name": name, "source": art, "text": text})
                parties.setdefault(actor_id, []).append(f"q{n}-{m}")
            fact = art["facts"][0]
            facts.append({"id": f"f{n}", "source": art, "evidence": fact,
                          "statement": "The report says: " + fact.split(" rose by ")[0].lower() + " rose by "
                          + fact.split(" rose by ")[1] + "."})
            if n < 4:
                # The event is dated by the year its evidence names, as the date check requires.
                year = art["facts"][1].rsplit(" in ", 1)[1]
                events.append({"date": year, "source": art, "evidence": art["facts"][1],
                               "event": f"Event from {art['title']}."})
        briefs.append({"id": f"issue-{p:03d}", "title": f"Issue {p}: {sentence(rng, 4)}",
                       "summary": f"{sentence(rng, 40)}. {sentence(rng, 30)}.", "quotes": quotes,
                       "facts": facts, "events": events, "parties": list(parties.items())[:4],
                       "sources": cited, "judgments": [sentence(rng, 18) for _ in range(3)]})
        (root / "profiles" / f"issue-{p:03d}.yaml").write_text(profile_yaml(briefs[-1]), encoding="utf-8")
    return briefs


def q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def profile_yaml(b: dict) -> str:
    lines = [f"title: {q(b['title'])}", "as_of: 2016-06-01", "edition: 1", f"summary: {q(b['summary'])}",
             "key_judgments:"]
    for n, text in enumerate(b["judgments"]):
        lines += [f"  - text: {q(text)}", f"    likelihood: {LIKELIHOODS[n % 4]}", "    confidence: moderate",
                  f"    basis: [{b['quotes'][n]['id']}, {b['facts'][n]['id']}]"]
    lines += [f"background: {q(b['summary'])}", "positions:"]
    for actor_id, quote_ids in b["parties"]:
        lines += [f"  - party: {actor_id}", f"    position: {q('Holds a stated position on the issue.')}",
                  f"    quotes: [{', '.join(quote_ids)}]"]
    lines.append("quotes:")
    for item in b["quotes"]:
        lines += [f"  - id: {item['id']}", f"    speaker: {item['speaker']}", f"    source: {item['source']['id']}",
                  f"    text: {q(item['text'])}"]
    lines.append("facts:")
    for item in b["facts"]:
        lines += [f"  - id: {item['id']}", f"    statement: {q(item['statement'])}",
                  f"    source: {item['source']['id']}", f"    evidence: {q(item['evidence'])}"]
    lines.append("timeline:")
    for item in b["events"]:
        lines += [f"  - date: {item['date']}", f"    event: {q(item['event'])}", f"    source: {item['source']['id']}",
                  f"    evidence: {q(item['evidence'])}"]
    lines += [f"outlook: {q(b['summary'])}", "indicators:", "  - Whether the talks resume.", ""]
    return "\n".join(lines)


def markdown_twin(root: Path, briefs: list[dict]) -> None:
    """The same briefs as MkDocs pages: one Markdown page per brief with the same sections."""
    docs = root / "docs"
    docs.mkdir(parents=True)
    (root / "mkdocs.yml").write_text("site_name: Benchmark briefs\nsite_url: https://example.org/b/\n"
                                     "theme: mkdocs\nplugins: [search]\n", encoding="utf-8")
    (docs / "index.md").write_text("# Benchmark briefs\n\n" + "\n".join(
        f"- [{b['title']}]({b['id']}.md)" for b in briefs) + "\n", encoding="utf-8")
    for b in briefs:
        numbers = {s["id"]: n + 1 for n, s in enumerate(b["sources"])}
        out = [f"# {b['title']}", "", "## Bottom line", "", b["summary"], "", "## Key judgments", ""]
        out += [f"{n + 1}. {j} *Likely, moderate confidence.*" for n, j in enumerate(b["judgments"])]
        out += ["", "## Where the parties stand", "", "| Party | Position | Quotes |", "| --- | --- | --- |"]
        out += [f"| {a} | Holds a stated position on the issue. | {len(ids)} |" for a, ids in b["parties"]]
        out += ["", "## In their own words", ""]
        for item in b["quotes"]:
            out += [f"> “{item['text']}”", ">", f"> — {item['name']}, {item['source']['outlet']} "
                    f"[S{numbers[item['source']['id']]}](#sources)", ""]
        out += ["## Key facts", ""] + [f"- {f['statement']} [S{numbers[f['source']['id']]}](#sources)"
                                       for f in b["facts"]]
        out += ["", "## Timeline", ""] + [f"- **{e['date']}** {e['event']}" for e in b["events"]]
        out += ["", "## Sources", ""] + [f"{n}. {s['outlet']}, “{s['title']}”, {s['date']}"
                                         for s, n in ((s, numbers[s['id']]) for s in b["sources"])]
        (docs / f"{b['id']}.md").write_text("\n".join(out) + "\n", encoding="utf-8")


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    run = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if run.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--keep", action="store_true", help="keep the generated projects and print where")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    if shutil.which("mkdocs", path=str(bin_dir)) is None:
        sys.exit("MkDocs is missing: pip install -e '.[bench]'")
    folder = Path(tempfile.mkdtemp(prefix="make-brief-bench-"))
    try:
        started = time.perf_counter()
        briefs = generate(folder / "brief", args.profiles, args.articles)
        markdown_twin(folder / "mkdocs", briefs)
        print(f"generated {args.profiles} profiles over {args.articles} articles in "
              f"{time.perf_counter() - started:.1f}s ({folder})")
        ours = timed([str(bin_dir / "make-brief"), "build", "--html-only"], folder / "brief")
        pages = sum(1 for _ in (folder / "brief" / "out").rglob("*.html"))
        theirs = timed([str(bin_dir / "mkdocs"), "build", "--quiet"], folder / "mkdocs")
        print(f"make-brief: {ours:6.2f}s  ({pages} HTML pages, every citation verified, search index included)")
        print(f"MkDocs:     {theirs:6.2f}s  ({args.profiles + 1} Markdown pages, default theme and search)")
        verdict = "meets" if ours <= 0.5 * theirs else "misses"
        print(f"ratio:      {ours / theirs:.2f}x MkDocs' time ({verdict} the target of 0.5x)")
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
