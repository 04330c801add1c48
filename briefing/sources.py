"""Sources stage: source articles parsed into paragraphs, with their manifest metadata.

The parser keeps every character of a kept paragraph exactly as the file has it (each
paragraph is a slice of the text as read, with its offsets), because quotes are checked
against it. It only decides which lines are paragraphs and which are page furniture.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Collector
from .text import fold
from .yamlfile import DocumentCache, Reader, load_yaml

MAX_ARTICLE_BYTES = 25 * 1024 * 1024
DATE_BASES = ("dateline", "photo caption", "inferred", "unknown")
RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "reliability cannot be judged",
}
BOILERPLATE = {
    "advertisement", "share", "compártelo", "share this article", "share this", "comments",
    "read more", "related", "related articles", "sponsored", "print", "email", "tweet",
}
MONTHS = ("january february march april may june july august september october november december").split()
_DATELINE = re.compile(
    r"^By\s+(?P<who>.+?),?\s+(?P<month>" + "|".join(m.capitalize() for m in MONTHS)
    + r")\s+(?P<day>\d{1,2}),\s+(?P<year>\d{4})$"
)
_SENTENCE_END = tuple('.!?"”»’\')…:')


@dataclass(frozen=True)
class Paragraph:
    """A kept block of an article: ``text == article_text[start:end]``."""

    number: int
    text: str
    start: int
    end: int
    kind: str  # "body" | "heading" | "caption"

    @property
    def anchor(self) -> str:
        return f"p{self.number}"


@dataclass(frozen=True)
class ParsedArticle:
    """What the text of an article says about itself."""

    title: str | None
    dateline_by: str | None
    dateline_date: dt.date | None
    paragraphs: tuple[Paragraph, ...]
    dropped: tuple[str, ...]


@dataclass(frozen=True)
class Source:
    """One article with its curated metadata and parsed paragraphs."""

    id: str
    file: str
    title: str
    outlet: str
    outlet_type: str
    reliability: str
    author: str | None
    date: dt.date | None
    date_basis: str
    url: str | None
    notes: str
    text: str
    paragraphs: tuple[Paragraph, ...]
    dropped: tuple[str, ...]

    @property
    def reliability_label(self) -> str:
        return f"{self.reliability}: {RELIABILITY[self.reliability]}"

    def paragraph(self, number: int) -> Paragraph:
        return self.paragraphs[number - 1]


# A non-blank line without its surrounding white space: from the first to the last
# non-space character before a line feed (``\s`` is exactly ``str.isspace``).
_LINE = re.compile(r"\S(?:[^\n]*\S)?")


def _lines(text: str) -> list[tuple[int, int]]:
    """Offsets of each non-blank line, without its surrounding white space."""
    return [match.span() for match in _LINE.finditer(text)]


def _looks_like_headline(line: str) -> bool:
    return not line.endswith(_SENTENCE_END) and len(line.split()) <= 12


def parse_article(text: str, *, title: str | None = None, author: str | None = None,
                  extra_noise: tuple[str, ...] = ()) -> ParsedArticle:
    """Split an article into paragraphs and drop page furniture.

    Paragraphs may be separated by blank lines or single line breaks. Dropped: share and
    advertisement labels, the headline and its repeats, the byline/dateline, a caption or
    paragraph printed twice in a row, lines the manifest lists as noise, and related-article
    teasers (headline-like lines after the last sentence of the article).
    """
    noise = {fold(line).casefold() for line in extra_noise}
    spans = _lines(text)
    kept: list[tuple[int, int, str]] = []
    dropped: list[str] = []
    found_title = title
    title_key = fold(title).casefold() if title else None
    dateline_by = dateline_date = None
    previous_key = None
    printed_twice: set[str] = set()
    for start, end in spans:
        line = text[start:end]
        key = fold(line).casefold()
        if key in BOILERPLATE or key in noise:
            dropped.append(line)
            continue
        if title_key is None:
            found_title, title_key = line, key
            previous_key = key
            continue
        if key == title_key:
            if found_title is None:
                found_title = line
            dropped.append(line)
            previous_key = key
            continue
        match = _DATELINE.match(line)
        if match and dateline_date is None:
            dateline_by = match["who"]
            dateline_date = dt.date(int(match["year"]), MONTHS.index(match["month"].lower()) + 1, int(match["day"]))
            dropped.append(line)
            continue
        if author and key == fold(author).casefold():
            dropped.append(line)
            continue
        if key == previous_key:
            printed_twice.add(key)
            dropped.append(line)
            continue
        previous_key = key
        kept.append((start, end, "body"))

    # Trailing headline-like lines after the last sentence are teasers for other articles.
    while kept and _looks_like_headline(text[kept[-1][0]:kept[-1][1]]):
        start, end, _ = kept.pop()
        dropped.append(text[start:end])

    paragraphs = []
    for index, (start, end, _) in enumerate(kept):
        line = text[start:end]
        kind = "heading" if _looks_like_headline(line) else "body"
        if kind == "body" and (printed_twice and fold(line).casefold() in printed_twice or _is_caption(line)):
            kind = "caption"
        paragraphs.append(Paragraph(index + 1, line, start, end, kind))
    return ParsedArticle(found_title, dateline_by, dateline_date, tuple(paragraphs), tuple(dropped))


_CAPTION_FILE = re.compile(r"FILE\s*[-–—]\s*")
_CAPTION_SIDE = re.compile(r"\((L|R|C|left|right|center)\)")


def _is_caption(line: str) -> bool:
    # Two patterns, the second searched only when the line has a bracket: one pattern
    # with "^" in a branch is tried at every character of every paragraph.
    return bool(_CAPTION_FILE.match(line) or "(" in line and _CAPTION_SIDE.search(line))


def read_article_text(path: Path, display: str, collector: Collector) -> str | None:
    """Decode an article file as UTF-8, reporting unreadable or oversized files."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        collector.error(display, None, None, f"cannot read article: {exc.strerror}")
        return None
    if size > MAX_ARTICLE_BYTES:
        collector.error(display, None, None,
                        f"article is {size // (1024 * 1024)} MB, over the {MAX_ARTICLE_BYTES // (1024 * 1024)} MB limit")
        return None
    raw = path.read_bytes()
    if b"\x00" in raw[:8192] and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        collector.error(display, None, None, "article is a binary file, not text")
        return None
    for bom, encoding in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                break
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        collector.error(display, line, None,
                        f"article is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8")
        return None


def inside(root: Path, candidate: Path) -> bool:
    """Whether ``candidate`` resolves (following links) to a path under ``root``."""
    try:
        candidate.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


def load_sources(seeds: Path, project: Path, collector: Collector,
                 unavailable: set[str] | None = None, documents: DocumentCache | None = None) -> dict[str, Source]:
    """Read ``seeds/manifest.yaml`` and every article it lists.

    Ids of entries that are listed but could not be loaded are added to ``unavailable``, so
    that later stages do not report every reference to them as a second error. With
    ``documents``, an unchanged manifest is read from the cache instead of parsed again.
    """
    manifest = seeds / "manifest.yaml"
    display = display_path(manifest, project)
    document = load_yaml(manifest, display, collector, documents)
    if document is None:
        return {}
    root = Reader(document, (), collector)
    sources: dict[str, Source] = {}
    listed: set[str] = set()
    folder = SeedsFolder(seeds, seeds.resolve(), project)
    for entry in root.items("sources", required=True):
        source = _read_source(entry, folder, listed, collector)
        if source is None:
            if unavailable is not None and isinstance(entry.value.get("id"), str):
                unavailable.add(entry.value["id"])
            continue
        if source.id in sources:
            entry.error("id", f"duplicate source id {source.id!r}")
            continue
        sources[source.id] = source
    root.finish()
    for path in sorted(seeds.glob("*.txt")):
        if path.name not in listed:
            collector.warning(display_path(path, project), None, None,
                              "article is not listed in seeds/manifest.yaml and is not used")
    return sources


@dataclass(frozen=True)
class SeedsFolder:
    """The seeds folder as given and resolved once, so 5,000 articles do not resolve it 5,000 times."""

    path: Path
    resolved: Path
    project: Path

    def holds(self, file_name: str) -> bool:
        """Whether ``file_name`` (a plain name, no separators) is a file that stays inside the folder.

        Only a symbolic link can lead out of a resolved folder; anything else named directly in
        it is inside, so most articles cost one ``lstat`` instead of resolving every component.
        """
        candidate = self.resolved / file_name
        return not candidate.is_symlink() or inside(self.resolved, candidate)


def _read_source(entry: Reader, folder: SeedsFolder, listed: set[str], collector: Collector) -> Source | None:
    source_id = entry.text("id", slug=True)
    file_name = entry.text("file")
    outlet = entry.text("outlet", required=False)
    outlet_type = entry.text("outlet_type")
    reliability = entry.text("reliability", choices=tuple(RELIABILITY))
    author = entry.text("author", required=False)
    title = entry.text("title", required=False)
    date = entry.date("date", required=False)
    date_basis = entry.text("date_basis", choices=DATE_BASES)
    url = entry.text("url", required=False)
    notes = entry.text("notes", required=False) or ""
    noise = entry.texts("noise")
    entry.finish()
    if url and not re.match(r"^https?://[^\s]+$", url):
        entry.error("url", f"{url!r} is not an http(s) URL")
        url = None
    if file_name is None or source_id is None or reliability is None or date_basis is None or outlet_type is None:
        return None
    seeds, project = folder.path, folder.project
    path = seeds / file_name
    if "/" in file_name or "\\" in file_name or file_name.startswith(".") or not folder.holds(file_name):
        entry.error("file", f"{file_name!r} must be the name of a file inside {seeds.name}/")
        return None
    if not path.is_file():
        entry.error("file", f"no article file {file_name!r} in {seeds.name}/")
        return None
    listed.add(file_name)
    display = display_path(path, project)
    text = read_article_text(path, display, collector)
    if text is None:
        return None
    parsed = parse_article(text, title=title, author=author, extra_noise=noise)
    if parsed.dateline_date and date and parsed.dateline_date != date:
        entry.error("date", f"{date.isoformat()} disagrees with the article's dateline "
                            f"({parsed.dateline_date.isoformat()}); remove the date or correct it")
    final_date = parsed.dateline_date or date
    if final_date is None and date_basis != "unknown":
        entry.error("date_basis", f"is {date_basis!r} but no date is given or found in the article")
    if final_date is not None and date_basis == "unknown":
        entry.error("date_basis", "is 'unknown' but a date is given; say how the date is known")
    final_outlet = outlet or parsed.dateline_by
    if final_outlet is None:
        entry.error("outlet", "required key is missing (the article has no byline to read it from)")
        return None
    if not parsed.paragraphs:
        collector.error(display, None, None, "article has no paragraphs of text")
        return None
    return Source(
        id=source_id, file=display, title=parsed.title or file_name,
        outlet=final_outlet, outlet_type=outlet_type, reliability=reliability, author=author,
        date=final_date, date_basis=date_basis, url=url, notes=notes, text=text,
        paragraphs=parsed.paragraphs, dropped=parsed.dropped,
    )


def display_path(path: Path, project: Path) -> str:
    """``path`` relative to the project for messages (as written, not following links), else as given."""
    try:
        return path.absolute().relative_to(project.absolute()).as_posix()
    except ValueError:
        pass
    try:
        return path.resolve().relative_to(project.resolve()).as_posix()
    except ValueError:
        return str(path)
