"""The build cache: content hashes of every input and output, kept in the project's ``.cache/``.

Two levels. The whole-build fingerprint hashes every input file (config, seeds, profiles,
actors, templates, the package's own code) with the build options; when it matches the last
successful build and ``out/`` still holds exactly what that build wrote, nothing is rendered
and nothing heavy is even imported. Below that, each rendered output is stored under the hash
of everything it was rendered from, so a build re-renders only outputs whose inputs changed.

This module imports nothing beyond the standard library, so the no-op check stays fast.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from . import __version__

STATE_FILE = "build-state.json"
_PACKAGE = Path(__file__).resolve().parent


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def files_under(folder: Path) -> list[Path]:
    """Every file under ``folder`` (bytecode caches aside), in a stable order: a folder's files by name, then
    each of its folders in turn, by name. Links to files count; links to folders are not followed."""
    found: list[Path] = []
    _gather_files(folder, found)
    return found


def _gather_files(folder: Path, found: list[Path]) -> None:
    # Directory entries say what they are without a stat of each (a desk's seeds are thousands).
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError:
        return
    folders = []
    for entry in entries:
        try:
            if entry.is_dir(follow_symlinks=False):
                if entry.name != "__pycache__":
                    folders.append(entry.name)
            elif entry.is_file():
                found.append(folder / entry.name)
        except OSError:
            continue
    for name in folders:
        _gather_files(folder / name, found)


@functools.cache
def code_version() -> str:
    """The package's version and a digest of its code: what every cache key is salted with.

    An output, parse or harvest that other code made is never reused, even when the code
    changed and the version number did not (an upgrade from a checkout, say).
    """
    hasher = hashlib.sha256(__version__.encode())
    for file in files_under(_PACKAGE):
        if file.suffix == ".py":
            hasher.update(file.relative_to(_PACKAGE).as_posix().encode() + b"\0" + _file_digest(file))
    return f"{__version__}+{hasher.hexdigest()[:16]}"


def _file_digest(path: Path) -> bytes:
    return hashlib.sha256(path.read_bytes()).digest()


def input_fingerprint(paths: list[Path], options: dict[str, object],
                      file_digest: Callable[[Path], bytes] | None = None) -> str:
    """One hash over the content of every input file and the build options.

    ``file_digest`` is the SHA-256 digest of a file's bytes (default: read now; a workspace's
    remembers them).
    """
    file_digest = file_digest or _file_digest
    hasher = hashlib.sha256(json.dumps({"version": code_version(), "options": options}, sort_keys=True).encode())
    for path in paths:
        for file in ([path] if path.is_file() else files_under(path)):
            hasher.update(str(file).encode("utf-8", "surrogateescape") + b"\0")
            hasher.update(file_digest(file))
    return hasher.hexdigest()


def package_inputs() -> list[Path]:
    """The package's own code and default templates: changing them changes every output."""
    templates = _PACKAGE / "templates"
    return [_PACKAGE, templates if templates.is_dir() else _PACKAGE.parent / "templates"]


def output_listing(out: Path) -> dict[str, str]:
    """Every file in ``out`` with the hash of its content."""
    return {p.relative_to(out).as_posix(): digest(p.read_bytes()) for p in files_under(out)}


def key_of(*parts: object) -> str:
    """A hash of everything an output is rendered from, given as deterministic reprs."""
    hasher = hashlib.sha256(code_version().encode())
    for part in parts:
        hasher.update(repr(part).encode("utf-8", "surrogateescape"))
        hasher.update(b"\0")
    return hasher.hexdigest()


@dataclass
class BuildState:
    """What the last successful build into one output folder read and wrote."""

    fingerprint: str
    outputs: dict[str, str]  # output path -> content hash
    rendered: dict[str, str]  # output path (or group) -> hash of what it was rendered from
    meta: dict[str, dict[str, object]] = field(default_factory=dict)  # e.g. a PDF's pages and cuts

    @staticmethod
    def file_for(cache_dir: Path, out: Path) -> Path:
        """One state file per output folder, so builds into other folders do not mix."""
        return cache_dir / f"build-{digest(str(out).encode())[:16]}.json"

    @classmethod
    def load(cls, cache_dir: Path, out: Path) -> "BuildState | None":
        try:
            data = json.loads(cls.file_for(cache_dir, out).read_text(encoding="utf-8"))
            return cls(data["fingerprint"], dict(data["outputs"]), dict(data["rendered"]), dict(data["meta"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, cache_dir: Path, out: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        target = self.file_for(cache_dir, out)
        temporary = target.with_name(f".{target.name}.{os.getpid()}")
        temporary.write_text(json.dumps({"fingerprint": self.fingerprint, "outputs": self.outputs,
                                         "rendered": self.rendered, "meta": self.meta}, sort_keys=True),
                             encoding="utf-8")
        os.replace(temporary, target)


# Values whose repr says everything about them, and says it the same way in every process.
_PLAIN = frozenset({str, int, float, bool, type(None), bytes})
# A tuple longer than this is summarised once per object, like a dataclass.
LONG_TUPLE = 16


class Fingerprints:
    """Deterministic summaries of render contexts, computing each (immutable) object's only once.

    A brief's view appears in the context of many pages (its own, the home page, every source
    it cites); hashing its repr once keeps the keys of thousands of pages cheap.
    """

    def __init__(self, earlier: object | None = None) -> None:
        self._by_id: dict[int, str] = {}
        self._keep: dict[int, object] = {}  # holds the objects so their ids are not reused
        self._field_names: dict[type, tuple[str, ...]] = {}
        # An earlier build's summaries (kept by a workspace): an object that build summarised
        # and this one reuses is not summarised again. Only what this build uses is carried on.
        self._earlier = earlier if isinstance(earlier, Fingerprints) else None

    def of(self, value: object) -> str:
        kind = type(value)
        if kind in _PLAIN:  # most values are leaves: answer them first
            return repr(value)
        if kind is list or (kind is tuple and len(value) <= LONG_TUPLE):  # type: ignore[arg-type]
            return "(" + ",".join([self.of(item) for item in value]) + ")"  # type: ignore[attr-defined]
        if kind is dict:
            return "{" + ",".join([f"{self.of(k)}:{self.of(v)}" for k, v in value.items()]) + "}"  # type: ignore
        if isinstance(value, (set, frozenset)):
            return "{" + ",".join(sorted(self.of(item) for item in value)) + "}"  # sets have no stable order
        known = self._by_id.get(id(value))
        if known is not None:
            return known
        if self._earlier is not None and self._earlier._keep.get(id(value)) is value:
            known = self._by_id[id(value)] = self._earlier._by_id[id(value)]
            self._keep[id(value)] = value
            return known
        if kind is tuple:  # a long one, shared by many pages (every page of a family, say): summarised once
            known = digest(("(" + ",".join([self.of(item) for item in value]) + ")").encode(  # type: ignore
                "utf-8", "surrogateescape"))
            self._by_id[id(value)] = known
            self._keep[id(value)] = value
            return known
        names = self._field_names.get(kind)
        if names is None:
            if not dataclasses.is_dataclass(kind):
                return self._container(value) if isinstance(value, (list, tuple, dict)) else repr(value)
            names = self._field_names[kind] = tuple(f.name for f in dataclasses.fields(kind))
        # Field by field, so a view shared by many pages is summarised once, not re-printed
        # inside every object that holds it.
        fields = ",".join([f"{name}={self.of(getattr(value, name))}" for name in names])
        known = digest(f"{kind.__qualname__}({fields})".encode("utf-8", "surrogateescape"))
        self._by_id[id(value)] = known
        self._keep[id(value)] = value
        return known

    def settled(self) -> Fingerprints:
        """These summaries without the earlier build's, to be the earlier ones of the next build."""
        self._earlier = None
        return self

    def _container(self, value: list | tuple | dict) -> str:
        """A subclass of list, tuple or dict (a named tuple, say), summarised like its base."""
        if isinstance(value, dict):
            return self.of(dict(value))
        return self.of(list(value))


class RenderMemo:
    """Hands back an output of the previous build when it was rendered from exactly the same inputs.

    Every output passes through :meth:`recall` with the key of its inputs; a hit returns the
    previous bytes from ``out/`` (checked against their recorded hash), a miss returns None
    and the caller renders and calls :meth:`rendered`. Afterwards ``keys`` and ``meta`` are
    what the next build compares against, and ``rebuilt``/``reused`` say what happened.
    """

    def __init__(self, previous: BuildState | None, out: Path, fingerprints: Fingerprints | None = None):
        self.previous = previous
        self.out = out
        self.keys: dict[str, str] = {}
        self.meta: dict[str, dict[str, object]] = {}
        self.rebuilt: list[str] = []
        self.reused: list[str] = []
        self.on_disk: set[str] = set()  # reused outputs whose file in ``out`` was read and checked
        self.digests: dict[str, str] = {}  # the content hash of every output whose bytes were hashed already
        self.fingerprints = fingerprints or Fingerprints()

    def key(self, *parts: object) -> str:
        """The key of an output rendered from ``parts``."""
        return key_of(*(self.fingerprints.of(part) for part in parts))

    def _previous_bytes(self, path: str) -> bytes | None:
        if self.previous is None or path not in self.previous.outputs:
            return None
        try:
            data = (self.out / path).read_bytes()
        except OSError:
            return None
        if digest(data) != self.previous.outputs[path]:
            return None
        self.on_disk.add(path)
        self.digests[path] = self.previous.outputs[path]
        return data

    def recall(self, path: str, key: str, needs_meta: bool = False) -> bytes | None:
        """The previous bytes of ``path`` if its inputs are unchanged, else None.

        ``needs_meta``: reuse only if the previous build also recorded the output's metadata.
        """
        self.keys[path] = key
        if self.previous is None or self.previous.rendered.get(path) != key:
            return None
        if needs_meta and path not in self.previous.meta:
            return None
        data = self._previous_bytes(path)
        if data is not None:
            self.reused.append(path)
            if path in self.previous.meta:
                self.meta[path] = self.previous.meta[path]
        return data

    def rendered(self, path: str, meta: dict[str, object] | None = None) -> None:
        self.rebuilt.append(path)
        if meta is not None:
            self.meta[path] = meta

    def recall_group(self, name: str, key: str) -> dict[str, bytes] | None:
        """A set of files rendered together (e.g. the search index), reused only whole."""
        self.keys[name] = key
        if self.previous is None or self.previous.rendered.get(name) != key:
            return None
        paths = self.previous.meta.get(name, {}).get("files", [])
        files = {path: self._previous_bytes(path) for path in paths}
        if not paths or any(data is None for data in files.values()):
            return None
        self.reused.extend(files)
        self.meta[name] = self.previous.meta[name]
        return files  # type: ignore[return-value]

    def rendered_group(self, name: str, files: dict[str, bytes]) -> None:
        self.rebuilt.extend(files)
        self.meta[name] = {"files": sorted(files)}

    def settle(self, path: str, data: bytes) -> None:
        """Classify an output that is always produced (cheap): reused when its bytes are unchanged."""
        self.digests[path] = digest(data)
        same = self.previous is not None and self.previous.outputs.get(path) == self.digests[path]
        (self.reused if same else self.rebuilt).append(path)


def up_to_date(state: BuildState | None, fingerprint: str, out: Path) -> bool:
    """Whether the last build used exactly these inputs and ``out`` is still exactly what it wrote."""
    if state is None or state.fingerprint != fingerprint or not out.is_dir():
        return False
    try:
        return output_listing(out) == state.outputs
    except OSError:
        return False


class JsonStore:
    """JSON values by key in an SQLite file under the project's ``.cache/`` (or nowhere, when disabled).

    Used for work that depends only on an article's content and a few settings (extraction
    records), so that it is done once per distinct article, across builds and commands.
    """

    def __init__(self, path: Path | None, table: str, object_hook: Callable[[dict], object] | None = None):
        self.connection = None
        self.table = table
        self.object_hook = object_hook  # turns the mappings it stored back into the values it was given
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self.connection = _open_store(path, table)

    def get(self, key: str) -> object | None:
        if self.connection is None:
            return None
        row = self.connection.execute(f"SELECT value FROM {self.table} WHERE key = ?", (key,)).fetchone()
        return json.loads(row[0], object_hook=self.object_hook) if row else None

    def put(self, key: str, value: object) -> None:
        if self.connection is not None:
            self.connection.execute(f"INSERT OR REPLACE INTO {self.table} VALUES (?, ?)", (key, json.dumps(value)))

    def close(self) -> None:
        if self.connection is not None:
            self.connection.commit()
            self.connection.close()
            self.connection = None


def _open_store(path: Path, table: str) -> sqlite3.Connection:
    """The SQLite file of a :class:`JsonStore`, made anew when an older version laid its table out
    otherwise or the file is damaged: it holds nothing that cannot be worked out again."""
    for _ in range(2):
        connection = sqlite3.connect(path)
        try:
            columns = [row[1] for row in connection.execute(f"PRAGMA table_info({table})")]
            if columns and columns != ["key", "value"]:
                connection.execute(f"DROP TABLE {table}")
            connection.execute(f"CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value TEXT)")
            return connection
        except sqlite3.DatabaseError:
            connection.close()
            path.unlink(missing_ok=True)
    raise RuntimeError(f"{path}: cannot make a cache there")


class PartCache:
    """Rendered parts of the briefing book (and its folio), one PDF file each under the project's cache."""

    def __init__(self, folder: Path):
        self.folder = folder

    def get(self, key: str) -> bytes | None:
        try:
            return (self.folder / f"{key}.pdf").read_bytes()
        except OSError:
            return None

    def has(self, key: str) -> bool:
        return (self.folder / f"{key}.pdf").is_file()

    def put(self, key: str, data: bytes) -> bytes:
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{key}.tmp-{os.getpid()}"
        temporary.write_bytes(data)
        temporary.replace(self.folder / f"{key}.pdf")
        return data

    def keep(self, keys: list[str]) -> None:
        """Forget every part but these: the cache holds one book's parts, not every book's."""
        wanted = {f"{key}.pdf" for key in keys}
        for path in self.folder.glob("*.pdf"):
            if path.name not in wanted:
                path.unlink(missing_ok=True)
