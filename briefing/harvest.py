"""Harvest: read articles from anywhere, propose quotes, facts and events for review.

The edge around the pure extraction stage: it finds and decodes article files (text or
saved HTML), caches each article's extraction by content in SQLite under the project,
merges the same quote found in several articles into one candidate, and ranks candidates
for a profile. It never writes a curated file.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .actors import Registry, load_actors
from .buildcache import JsonStore, code_version
from .config import Config
from .errors import Collector, UsageError
from .extraction import Names, harvest
from .memory import cycle_collection_paused
from .profiles import Profile, load_profiles
from .sources import MAX_ARTICLE_BYTES, Paragraph, Source, display_path, load_sources, parse_article
from .text import fold
from .yamlfile import suggest

ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
MAX_FILES = 100_000


@dataclass(frozen=True)
class ArticleText:
    """One article ready for extraction: where it came from and its decoded text."""

    id: str
    path: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    date: dt.date | None
    outlet: str | None


@dataclass(frozen=True)
class Problem:
    """A file that could not be harvested, and why (it does not stop the others)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: warning: {self.message}"


@dataclass
class Candidate:
    """A record proposed for review, with every source that carries it."""

    record: dict[str, object]
    sources: list[str] = field(default_factory=list)
    relevance: float = 0.0
    cited: bool = False


# -- reading articles ---------------------------------------------------------------------

def decode(raw: bytes) -> tuple[str | None, str | None]:
    """Decode article bytes: UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252.

    Returns (text, note): a note says how a non-UTF-8 file was read, or why it was refused.
    """
    if not raw.strip():
        return None, "file is empty"
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "read as UTF-16 (byte-order mark)"
        except UnicodeDecodeError:
            return None, "file has a UTF-16 byte-order mark but is not valid UTF-16"
    if b"\x00" in raw[:8192]:
        return None, "binary file, not text"
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "not UTF-8; read as Windows-1252"
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 or Windows-1252 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"


def html_to_text(raw_html: str) -> tuple[str, str | None, dt.date | None, str | None]:
    """Main text, title, date and site name of a saved web page (via trafilatura)."""
    import trafilatura

    document = trafilatura.bare_extraction(raw_html, include_comments=False, include_tables=False,
                                           with_metadata=True, favor_precision=True)
    if document is None:
        return "", None, None, None
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    text = data.get("text") or ""
    title = data.get("title")
    date = None
    if data.get("date"):
        try:
            date = dt.date.fromisoformat(str(data["date"])[:10])
        except ValueError:
            date = None
    body = f"{title}\n\n{text}" if title else text
    return body, title, date, data.get("sitename")


def find_files(paths: Iterable[Path]) -> tuple[list[Path], list[Problem]]:
    """Article files named directly or found (recursively, sorted) in the folders given."""
    files: list[Path] = []
    problems: list[Problem] = []
    for path in paths:
        if path.is_dir():
            # Sorted as paths sort (part by part), comparing the parts' tuples: ten thousand files sort in a tenth of the time.
            found = sorted((p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in ARTICLE_SUFFIXES),
                           key=lambda p: p.parts)
            if not found:
                problems.append(Problem(str(path), "no .txt or .html articles in this folder"))
            files.extend(found)
        elif path.is_file():
            files.append(path)
        else:
            problems.append(Problem(str(path), "no such file or folder"))
    if len(files) > MAX_FILES:
        problems.append(Problem(str(files[MAX_FILES]), f"more than {MAX_FILES} files; the rest were skipped"))
        files = files[:MAX_FILES]
    return files, problems


def read_article(path: Path, known: dict[Path, Source]) -> tuple[ArticleText | None, Problem | None]:
    """Read one article file; a manifest entry, when there is one, gives its id and date."""
    shown = str(path)
    try:
        size = path.stat().st_size
        if size > MAX_ARTICLE_BYTES:
            return None, Problem(shown, f"{size // (1024 * 1024)} MB is over the "
                                        f"{MAX_ARTICLE_BYTES // (1024 * 1024)} MB limit; skipped")
        raw = path.read_bytes()
    except OSError as exc:
        return None, Problem(shown, f"cannot read: {exc.strerror}")
    text, note = decode(raw)
    if text is None:
        return None, Problem(shown, f"{note}; skipped")
    source = known.get(path.resolve())
    if source is not None:
        return ArticleText(source.id, shown, source.text, source.paragraphs, source.date, source.outlet), None
    date = outlet = None
    if path.suffix.lower() in (".html", ".htm"):
        text, _, date, outlet = html_to_text(text)
        if not text.strip():
            return None, Problem(shown, "no article text found in this web page; skipped")
    parsed = parse_article(text)
    if not parsed.paragraphs:
        return None, Problem(shown, "no paragraphs of text; skipped")
    problem = Problem(shown, note) if note else None
    return ArticleText(shown, shown, text, parsed.paragraphs, parsed.dateline_date or date,
                       parsed.dateline_by or outlet), problem


# -- cache --------------------------------------------------------------------------------

def extract(article: ArticleText, names: Names, fingerprint: str,
            cache: JsonStore) -> tuple[list[dict[str, object]], bool]:
    """Every record of one article as plain data, and whether it came from the cache."""
    digest = hashlib.sha256(article.text.encode("utf-8")).hexdigest()
    key = f"{digest}|{code_version()}|{fingerprint}|{article.date}|{article.id}"
    cached = cache.get(key)
    if cached is not None:
        return cached, True
    found = harvest(article.text, article.paragraphs, names, article.id, article.date)
    records = [r.as_dict() for r in (*found.quotes, *found.facts, *found.events)]
    cache.put(key, records)
    return records, False


# -- merging and ranking ------------------------------------------------------------------

def _merge_key(text: str) -> str:
    return re.sub(r"[^0-9a-z]+", " ", fold(text).casefold()).strip()


def merge(records_by_article: list[tuple[ArticleText, list[dict[str, object]]]]) -> list[Candidate]:
    """One candidate per distinct quote (the same words in several articles are merged), fact and event."""
    candidates: list[Candidate] = []
    quotes: dict[str, Candidate] = {}
    for article, records in records_by_article:
        for record in records:
            if record["type"] == "quote" and len(str(record["text"]).split()) >= 4:
                key = _merge_key(str(record["text"]))
                if key in quotes:
                    if article.id not in quotes[key].sources:
                        quotes[key].sources.append(article.id)
                    continue
                quotes[key] = candidate = Candidate(record, [article.id])
            else:
                candidate = Candidate(record, [article.id])
            candidates.append(candidate)
    return candidates


def rank(candidates: list[Candidate], profile: Profile, registry: Registry, dates: dict[str, dt.date | None]) -> None:
    """Score each candidate's relevance to ``profile`` and mark what the profile already cites."""
    topic = profile.topic
    terms = [t.casefold() for t in (*topic.keywords, *topic.places)]
    for actor_id in topic.actors:
        if actor_id in registry:
            terms.extend(n.casefold() for n in registry[actor_id].names if len(n) > 3)
    cited = {(q.source, _merge_key(q.text)) for q in profile.quotes}
    cited |= {(f.source, _merge_key(f.evidence)) for f in profile.facts}
    cited |= {(e.source, _merge_key(e.evidence)) for e in profile.timeline}
    for candidate in candidates:
        record = candidate.record
        text = str(record["text"]).casefold()
        hits = sum(1 for term in set(terms) if term and term in text)
        speaker = record.get("speaker")
        score = hits + (2 if speaker and speaker in topic.actors else 0)
        source_date = dates.get(str(record["source"]))
        if source_date and source_date > profile.as_of:
            score += 1  # newer than the brief: what the curator most likely has not seen
        candidate.relevance = float(score)
        key = _merge_key(str(record["text"]))
        candidate.cited = any(source == s and (key in cited_key or cited_key in key)
                              for s in candidate.sources for source, cited_key in cited if cited_key)
    candidates.sort(key=lambda c: (-c.relevance, c.cited, str(c.record["source"]), int(c.record["start"])))


# -- output -------------------------------------------------------------------------------

# What json.dumps(value, ensure_ascii=False) uses, made once: dumps builds a new encoder
# on every call with a non-default option, and output has a line per record.
_JSON = json.JSONEncoder(ensure_ascii=False)

def as_jsonl(candidates: list[Candidate], ranked: bool) -> str:
    """One JSON object per record; with a profile, also its relevance and whether it is cited."""
    lines = []
    for candidate in candidates:
        data = dict(candidate.record)
        if data["type"] == "quote":
            data["sources"] = list(candidate.sources)
        if ranked:
            data["relevance"] = candidate.relevance
            data["cited"] = candidate.cited
        lines.append(_JSON.encode(data))
    return "\n".join(lines) + ("\n" if lines else "")


class _Slugs:
    """Unique ids for proposed entries: the first words of the text, then -2, -3 ... on repeats."""

    def __init__(self) -> None:
        self.taken: set[str] = set()
        # Per base, the number from which to try (1 is the bare base). Ids are never
        # released, so every one below it is taken: starting there gives the id counting
        # from the bare base would, without rereading thousands of "talks-in-vienna-N".
        self._from: dict[str, int] = {}

    def __call__(self, text: str) -> str:
        words = re.findall(r"[a-z0-9]+", fold(text).casefold())[:5]
        base = "-".join(words) or "item"
        n = self._from.get(base, 1)
        slug = base if n == 1 else f"{base}-{n}"
        while slug in self.taken:
            n += 1
            slug = f"{base}-{n}"
        self._from[base] = n
        self.taken.add(slug)
        return slug


def _scalar(text: str) -> str:
    return _JSON.encode(text)


def as_yaml(candidates: list[Candidate], unknown_sources: set[str], texts: dict[str, str]) -> str:
    """Ready-to-paste profile entries under quotes:, facts: and timeline:, with review notes as comments."""
    slug = _Slugs()
    out = ["# Proposed by make-brief harvest. Review every entry before pasting it into a profile."]
    if unknown_sources:
        out.append("# Sources given by path are not in seeds/manifest.yaml yet: add them there and use their ids.")
    sections = {"quote": ["quotes:"], "fact": ["facts:"], "event": ["timeline:"]}
    for candidate in candidates:
        r = candidate.record
        notes = []
        if candidate.cited:
            notes.append("already cited by the profile")
        if r["type"] == "quote":
            if len(candidate.sources) > 1:
                notes.append(f"also in {', '.join(candidate.sources[1:])}")
            if r["speaker"] is None:
                notes.append(f"speaker not in the registry: {r['speaker_mention']!r}" if r["speaker_mention"]
                             else "no speaker: title or scare quote")
            notes.append(f"{r['kind']}, resolved by {r['resolved_by']}, confidence {r['confidence']}")
            pieces = [texts[str(r["source"])][start:end].strip().rstrip(",") for start, end in r["pieces"]]
            if len(pieces) > 1:
                notes.append("split by its attribution: one entry per piece, as a profile quotes each verbatim")
            block = []
            for piece in pieces:
                block += [f"  - id: {slug(piece)}", f"    speaker: {r['speaker'] or 'UNKNOWN'}",
                          f"    source: {r['source']}", f"    text: {_scalar(piece)}"]
        elif r["type"] == "fact":
            notes.append(f"why: {', '.join(r['reasons'])}")
            block = [f"  - id: {slug(str(r['text']))}", f"    statement: {_scalar(str(r['text']))}",
                     f"    source: {r['source']}", f"    evidence: {_scalar(str(r['text']))}"]
        else:
            date = r["date"] or "UNRESOLVED"
            notes.append(f"date phrase {r['phrase']!r}, precision {r['precision']}"
                         + (f", flags: {', '.join(r['flags'])}" if r["flags"] else ""))
            block = [f"  - date: {date}", f"    event: {_scalar(str(r['text']))}",
                     f"    source: {r['source']}", f"    evidence: {_scalar(str(r['text']))}"]
        if candidate.relevance:
            notes.append(f"relevance {candidate.relevance:g}")
        sections[str(r["type"])].extend([f"  # {'; '.join(notes)}", *block])
    for name, lines in sections.items():
        out.extend(lines if len(lines) > 1 else [f"{lines[0]} []"])
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class HarvestResult:
    data: bytes  # the output, UTF-8: a re-harvest passes on the stored bytes without decoding them
    problems: tuple[Problem, ...]
    articles: int
    candidates: int
    from_cache: int

    @property
    def output(self) -> str:
        return self.data.decode("utf-8")


def run(config: Config, paths: tuple[Path, ...], profile_id: str | None, fmt: str,
        use_cache: bool = True) -> HarvestResult:
    """Harvest ``paths`` (default: the project's seeds) and render the candidates as ``fmt``.

    With the cache, a run over exactly the same files, registry, profiles and options as an
    earlier one returns that run's output without reading any article again.
    """
    store_path = config.project / ".cache" / "harvest.sqlite" if use_cache else None
    key = run_key(config, paths, profile_id, fmt) if use_cache else None
    earlier = config.project / ".cache" / "harvest-runs" / key if key else None
    if earlier is not None and (earlier / "meta.json").is_file():
        try:
            stored = json.loads((earlier / "meta.json").read_text(encoding="utf-8"))
            output = (earlier / "output").read_bytes()
            return HarvestResult(output, tuple(Problem(*p) for p in stored["problems"]),
                                 stored["articles"], stored["candidates"], stored["articles"])
        except (OSError, ValueError, KeyError, TypeError):
            pass  # a damaged entry is simply recomputed
    result = _harvest(config, paths, profile_id, fmt, store_path)
    if earlier is not None:
        # The output can be tens of megabytes: a plain file of its own reads back far faster
        # than a database row. Only the latest run is kept.
        shutil.rmtree(earlier.parent, ignore_errors=True)
        earlier.mkdir(parents=True)
        (earlier / "output").write_bytes(result.data)
        (earlier / "meta.json").write_text(json.dumps({
            "articles": result.articles, "candidates": result.candidates,
            "problems": [(p.path, p.message) for p in result.problems]}), encoding="utf-8")
    return result


def run_key(config: Config, paths: tuple[Path, ...], profile_id: str | None, fmt: str) -> str:
    """A hash of every byte a harvest run reads and of its options.

    A file's digest noted by an earlier run is trusted while the file's stat signature is the
    same (see :class:`workspace.FileDigests`): ten thousand articles are not read again to find
    that none changed.
    """
    from .workspace import NOTED_DIGESTS, FileDigests

    hasher = hashlib.sha256(f"{code_version()}|{fmt}|{profile_id}|{[str(p) for p in paths]}".encode())
    inputs = [config.project / config.file, config.actors, config.seeds / "manifest.yaml"]
    if profile_id is not None:
        inputs += sorted(config.profiles.glob("*.yaml"))
    files, _ = find_files(paths or (config.seeds,))
    store = JsonStore(config.project / NOTED_DIGESTS, "digests")
    try:
        digests = FileDigests(store)
        for path in [*inputs, *files]:
            try:
                hasher.update(str(path).encode("utf-8", "surrogateescape") + b"\0" + digests.of(path))
            except OSError:
                hasher.update(str(path).encode("utf-8", "surrogateescape") + b"\0missing")
    finally:
        store.close()
    return hasher.hexdigest()


# Articles read between two collections of the young generations while harvesting.
YOUNG_COLLECTION_EVERY = 256


def _harvest(config: Config, paths: tuple[Path, ...], profile_id: str | None, fmt: str,
             store_path: Path | None) -> HarvestResult:
    collector = Collector()
    sources = load_sources(config.seeds, config.project, collector)
    registry = load_actors(config.actors, display_path(config.actors, config.project), collector)
    profile = None
    if profile_id is not None:
        profiles = load_profiles(config.profiles, config.project, registry, sources, config.marking, collector)
        collector.raise_if_errors()
        if profile_id not in profiles:
            raise UsageError(f"no profile {profile_id!r}{suggest(profile_id, sorted(profiles))}")
        profile = profiles[profile_id]
    collector.raise_if_errors()
    known = {(config.seeds / Path(s.file).name).resolve(): s for s in sources.values()}
    files, problems = find_files(paths or tuple(sorted(known)))
    names = Names(registry)
    fingerprint = registry.fingerprint()
    cache = JsonStore(store_path, "harvest")
    articles: list[ArticleText] = []
    extracted = []
    hits = 0
    # Extraction makes almost no cycles, but reading saved web pages may: the young
    # generations are collected every YOUNG_COLLECTION_EVERY articles to keep that bounded.
    with cycle_collection_paused():
        try:
            for number, path in enumerate(files, 1):
                article, problem = read_article(path, known)
                if problem:
                    problems.append(problem)
                if article is not None:
                    records, cached = extract(article, names, fingerprint, cache)
                    hits += cached
                    articles.append(article)
                    extracted.append((article, records))
                if number % YOUNG_COLLECTION_EVERY == 0:
                    gc.collect(1)
        finally:
            cache.close()
        candidates = merge(extracted)
        if profile is not None:
            rank(candidates, profile, registry, {a.id: a.date for a in articles})
        unknown = {a.id for a in articles if a.id not in sources}
        output = as_jsonl(candidates, profile is not None) if fmt == "jsonl" else as_yaml(candidates, unknown, {a.id: a.text for a in articles})
    return HarvestResult(output.encode("utf-8"), tuple(problems), len(articles), len(candidates), hits)
