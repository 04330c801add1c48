"""Safe YAML loading with line numbers, and a reader that validates one mapping at a time.

Curated files are read with PyYAML's safe composer, so no tag can build a Python object.
The node tree is turned into plain values by hand, which lets us keep the line of every
key, refuse duplicate keys (PyYAML silently keeps the last one) and bound the work an
alias bomb could cause.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from .buildcache import JsonStore, code_version, digest
from .errors import Collector

MAX_YAML_BYTES = 4 * 1024 * 1024
MAX_YAML_NODES = 200_000
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

Key = tuple[object, ...]


@dataclass
class Document:
    """A loaded YAML file: its plain data and the line where each key path starts."""

    file: str
    data: Any
    lines: dict[Key, int] = field(default_factory=dict)

    def line(self, path: Key) -> int | None:
        """The line of ``path``, or of its nearest ancestor that has one."""
        while True:
            if path in self.lines:
                return self.lines[path]
            if not path:
                return None
            path = path[:-1]


class _NodeBudgetExceeded(Exception):
    pass


class _Rejected:
    """Stands for a value already reported as invalid while loading, so it is not reported twice."""

    def __repr__(self) -> str:
        return "<rejected>"


REJECTED = _Rejected()


def _compose(text: str) -> yaml.Node | None:
    """Compose with libyaml when PyYAML has it (a large manifest parses many times faster).

    A document libyaml rejects is composed again by the pure-Python loader, so syntax
    errors read the same whichever is installed.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.compose(text, Loader=fast)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


class DocumentCache:
    """Loaded documents by the hash of their bytes, in an SQLite file under ``.cache/`` (or nowhere).

    Composing a 5,000-entry manifest takes a third of a second, reading it back from here a
    twentieth; a build after editing one profile reads every other file unchanged. Only a
    document that loaded without a single problem is kept, so every message is still reported.
    """

    def __init__(self, path: Path | None):
        self.store = JsonStore(path, "documents", object_hook=_untagged)

    def key(self, display: str, raw: bytes) -> str:
        return digest(f"{code_version()}\0{MAX_YAML_NODES}\0{display}\0".encode("utf-8", "surrogateescape") + raw)

    def get(self, display: str, raw: bytes) -> Document | None:
        stored = self.store.get(self.key(display, raw))
        if not isinstance(stored, dict):
            return None
        return Document(display, stored["data"], {tuple(path): line for path, line in stored["lines"]})

    def put(self, display: str, raw: bytes, document: Document) -> None:
        try:
            data = _tagged(document.data)
        except _Untaggable:
            return
        self.store.put(self.key(display, raw),
                       {"data": data, "lines": [[list(path), line] for path, line in document.lines.items()]})

    def close(self) -> None:
        self.store.close()


class _Untaggable(Exception):
    """A mapping whose only key looks like one of the cache's own tags: such a document is not cached."""


_TAGS = {"$date": dt.date.fromisoformat, "$datetime": dt.datetime.fromisoformat}


def _tagged(value: Any) -> Any:
    """``value`` with every date as a one-key mapping JSON can carry (``_untagged`` reverses it)."""
    if isinstance(value, dict):
        if len(value) == 1 and next(iter(value)) in _TAGS:
            raise _Untaggable
        return {key: _tagged(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_tagged(item) for item in value]
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    return value


def _untagged(mapping: dict) -> object:
    if len(mapping) == 1:
        tag, text = next(iter(mapping.items()))
        if tag in _TAGS:
            return _TAGS[tag](text)
    return mapping


def load_yaml(path: Path, display: str, collector: Collector, cache: DocumentCache | None = None) -> Document | None:
    """Read and compose ``path``; report problems to ``collector`` and return None on failure.

    With a ``cache``, a file whose bytes loaded cleanly before is taken from it instead.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        collector.error(display, None, None, f"cannot read file: {exc.strerror}")
        return None
    if len(raw) > MAX_YAML_BYTES:
        collector.error(display, None, None, f"file is larger than {MAX_YAML_BYTES // (1024 * 1024)} MB")
        return None
    cached = cache.get(display, raw) if cache is not None else None
    if cached is not None:
        return cached
    problems = len(collector.diagnostics)
    document = _compose_document(raw, display, collector)
    if cache is not None and document is not None and len(collector.diagnostics) == problems:
        cache.put(display, raw, document)
    return document


def _compose_document(raw: bytes, display: str, collector: Collector) -> Document | None:
    """Decode and compose a file's bytes into plain values with the line of every key."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        collector.error(display, line, None, f"file is not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")
        return None
    if not text.strip():
        collector.error(display, None, None, "file is empty")
        return None
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        column = f", column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        offending = text.splitlines()[mark.line].strip() if mark and mark.line < len(text.splitlines()) else ""
        shown = f" in: {offending}" if offending else ""
        collector.error(display, line, None, f"YAML syntax error{column}: {problem}{shown}")
        return None
    except yaml.YAMLError as exc:
        collector.error(display, None, None, f"YAML error: {exc}")
        return None
    if node is None:
        collector.error(display, None, None, "file is empty")
        return None
    document = Document(display, None)
    try:
        document.data = _to_plain(node, (), document, collector, [0])
    except _NodeBudgetExceeded:
        collector.error(display, node.start_mark.line + 1, None,
                        f"more than {MAX_YAML_NODES} values once aliases are expanded; refusing to load")
        return None
    return document


_SCALARS = SafeConstructor()
_PLAIN_TAGS = {f"tag:yaml.org,2002:{name}" for name in
               ("str", "int", "float", "bool", "null", "timestamp", "seq", "map")}


def _to_plain(node: yaml.Node, path: Key, document: Document, collector: Collector, seen: list[int]) -> Any:
    seen[0] += 1
    if seen[0] > MAX_YAML_NODES:
        raise _NodeBudgetExceeded
    document.lines.setdefault(path, node.start_mark.line + 1)
    if node.tag not in _PLAIN_TAGS:
        shown = node.tag.replace("tag:yaml.org,2002:", "!!")
        collector.error(document.file, node.start_mark.line + 1, _dotted(path) or None,
                        f"unsupported YAML tag {shown}; write plain values")
        return REJECTED
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            key = _to_plain(key_node, path + ("<key>",), document, collector, seen)
            line = key_node.start_mark.line + 1
            if not isinstance(key, str):
                collector.error(document.file, line, _dotted(path), f"key {key!r} is not a string")
                continue
            if key in result:
                first = document.lines.get(path + (key,))
                collector.error(document.file, line, _dotted(path + (key,)),
                                f"duplicate key (first given on line {first})")
                continue
            document.lines[path + (key,)] = line
            result[key] = _to_plain(value_node, path + (key,), document, collector, seen)
        return result
    if isinstance(node, yaml.SequenceNode):
        items = []
        for index, item in enumerate(node.value):
            items.append(_to_plain(item, path + (index,), document, collector, seen))
        return items
    if node.tag == "tag:yaml.org,2002:timestamp":
        try:
            return _SCALARS.construct_object(node)
        except ValueError:
            return node.value  # an impossible date such as 2015-13-01: the schema says what is wrong
    try:
        return _SCALARS.construct_object(node)
    except (ConstructorError, ValueError) as exc:
        problem = getattr(exc, "problem", None) or str(exc)
        collector.error(document.file, node.start_mark.line + 1, _dotted(path), f"invalid value: {problem}")
        return REJECTED


def _dotted(path: Key) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part != "<key>":
            text += f".{part}" if text else str(part)
    return text


class Reader:
    """Validates one mapping: each accessor records the key as known and reports bad values.

    Call :meth:`finish` after reading every key the schema allows, so that anything left
    over is reported as an unknown key with a suggestion.
    """

    def __init__(self, document: Document, path: Key, collector: Collector, value: Any = None):
        self.document = document
        self.path = path
        self.collector = collector
        self.value = document.data if value is None and not path else value
        self.known: list[str] = []
        if self.value is REJECTED:
            self.value = {}
        elif not isinstance(self.value, dict):
            self.error(None, f"expected a mapping, found {_kind(self.value)}")
            self.value = {}

    # -- reporting -------------------------------------------------------------------
    def key_name(self, key: str | None) -> str:
        """The dotted name of ``key`` inside this mapping (for messages)."""
        return _dotted(self.path + ((key,) if key else ()))

    def line(self, key: str | None = None) -> int | None:
        """The line of ``key`` in this mapping, or of the mapping itself."""
        return self.document.line(self.path + ((key,) if key else ()))

    def error(self, key: str | None, message: str) -> None:
        self.collector.error(self.document.file, self.line(key), self.key_name(key) or None, message)

    def warning(self, key: str | None, message: str) -> None:
        self.collector.warning(self.document.file, self.line(key), self.key_name(key) or None, message)

    # -- accessors -------------------------------------------------------------------
    def _get(self, key: str, required: bool) -> Any:
        self.known.append(key)
        if self.value.get(key) is REJECTED:
            return None
        if key not in self.value or self.value[key] is None:
            if required:
                self.collector.error(self.document.file, self.line(), self.key_name(key),
                                     "required key is missing" if key not in self.value else "must not be empty")
            return None
        return self.value[key]

    def text(self, key: str, *, required: bool = True, choices: tuple[str, ...] = (),
             slug: bool = False, max_length: int = 100_000) -> str | None:
        """A non-empty string, optionally one of ``choices`` or a lowercase slug."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not choices and not slug:
            value = str(value)
        if not isinstance(value, str):
            self.error(key, f"expected text, found {_kind(value)}")
            return None
        if not value.strip():
            if required:
                self.error(key, "must not be empty")
            return None
        if len(value) > max_length:
            self.error(key, f"is longer than {max_length} characters")
            return None
        if choices and value not in choices:
            self.error(key, f"{value!r} is not one of: {', '.join(choices)}{_suggest(value, choices)}")
            return None
        if slug and not SLUG.match(value):
            self.error(key, f"{value!r} is not a valid id (use lowercase letters, digits and single hyphens)")
            return None
        return value

    def integer(self, key: str, *, required: bool = True, minimum: int | None = None) -> int | None:
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(key, f"expected a whole number, found {_kind(value)}")
            return None
        if minimum is not None and value < minimum:
            self.error(key, f"must be at least {minimum}")
            return None
        return value

    def boolean(self, key: str, *, default: bool) -> bool:
        value = self._get(key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.error(key, f"expected true or false, found {_kind(value)}")
            return default
        return value

    def date(self, key: str, *, required: bool = True) -> dt.date | None:
        """A calendar date written as YYYY-MM-DD."""
        value = self._get(key, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value.strip())
            except ValueError:
                pass
        self.error(key, f"{value!r} is not a date (write YYYY-MM-DD)")
        return None

    def texts(self, key: str, *, required: bool = False, slug: bool = False) -> tuple[str, ...]:
        """A list of strings (a single string is accepted as a list of one)."""
        value = self._get(key, required)
        if value is None:
            return ()
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.error(key, f"expected a list, found {_kind(value)}")
            return ()
        result = []
        for index, item in enumerate(value):
            where = self.path + (key, index)
            if isinstance(item, (int, float)) and not isinstance(item, bool) and not slug:
                item = str(item)
            if not isinstance(item, str) or not item.strip():
                self.collector.error(self.document.file, self.document.line(where), _dotted(where),
                                     f"expected text, found {_kind(item)}")
            elif slug and not SLUG.match(item):
                self.collector.error(self.document.file, self.document.line(where), _dotted(where),
                                     f"{item!r} is not a valid id (use lowercase letters, digits and single hyphens)")
            else:
                result.append(item)
        return tuple(result)

    def raw(self, key: str, *, required: bool = False) -> Any:
        """The value as loaded, for fields with their own small grammar."""
        return self._get(key, required)

    def mapping(self, key: str, *, required: bool = False) -> "Reader | None":
        value = self._get(key, required)
        if value is None:
            return None
        return Reader(self.document, self.path + (key,), self.collector, value)

    def items(self, key: str, *, required: bool = False) -> Iterator["Reader"]:
        """Each mapping in the list under ``key``."""
        value = self._get(key, required)
        if value is None:
            return
        if not isinstance(value, list):
            self.error(key, f"expected a list, found {_kind(value)}")
            return
        for index, item in enumerate(value):
            yield Reader(self.document, self.path + (key, index), self.collector, item if item is not None else "")

    def finish(self) -> None:
        """Report every key that no accessor asked for."""
        for key in self.value:
            if key not in self.known:
                self.error(key, f"unknown key{_suggest(key, self.known)}")


def _suggest(word: str, candidates: list[str] | tuple[str, ...]) -> str:
    close = difflib.get_close_matches(str(word), list(candidates), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def suggest(word: str, candidates: list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean ...?)' suffix for an unknown name, or ''."""
    return _suggest(word, candidates)


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, (dt.date, dt.datetime)):
        return f"the date {value.isoformat()}"
    return f"{type(value).__name__} {value!r}"
