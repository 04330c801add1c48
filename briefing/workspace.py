"""What a long-running process (``serve``) keeps from one build to the next, so an edit costs what it changes.

A build is a chain of pure stages. :class:`Workspace` remembers each stage's result with
what it was computed from, and hands the result back while those inputs are the same:
a stage that reads files is keyed by the content digests of the files it reads, a stage of
objects by the identity of the objects it is given (every domain object is frozen, and a
stage whose inputs were reused returns the very same object, so identity carries down the
chain). A reused result also replays the diagnostics its computation reported, so a build
that reuses everything still says everything.

``build`` makes a fresh workspace when it is given none, so one-off builds run the same
code; only a workspace that outlives a build makes the next one cheaper. Whatever a build
did not use is dropped when it ends, so a long session does not grow.

This module imports nothing beyond the standard library and ``buildcache``.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .buildcache import files_under

if TYPE_CHECKING:
    from .buildcache import JsonStore
    from .errors import Collector

T = TypeVar("T")

# File systems stamp modification times from a coarse clock: a file changed twice within one
# tick keeps its time (and maybe its size). A file stamped this recently before it was read
# is read again next time rather than trusted by its stamp, as git does with its index.
RACY_NANOSECONDS = 2_000_000_000
# Where commands note the digests of the project's files for later processes (see :class:`FileDigests`).
NOTED_DIGESTS = Path(".cache") / "file-digests.sqlite"


class FileDigests:
    """SHA-256 digests of files, read again only when a file's stat signature changes.

    With a ``store`` (a :class:`buildcache.JsonStore`), the digests are also noted there by
    path, for a later process to trust on the same terms (harvest's run key reads them).
    """

    def __init__(self, store: JsonStore | None = None) -> None:
        self._known: dict[Path, tuple[tuple[int, ...], bytes]] = {}
        self._store = store
        # The digests given since :meth:`settle`: one build looks at each file once and sees it as
        # it was then, so that its stages agree with the fingerprint it records (a file changed
        # meanwhile is a change the next build finds).
        self._given: dict[Path, bytes] = {}

    def of(self, path: Path) -> bytes:
        """The digest of ``path``'s bytes (raises OSError as reading it would)."""
        given = self._given.get(path)
        if given is None:
            given = self._given[path] = self._digest(path)
        return given

    def settle(self) -> None:
        """Forget what was given: the next look at a file looks at it again (a build has ended)."""
        self._given.clear()

    def _digest(self, path: Path) -> bytes:
        stat = path.stat()
        signature = (stat.st_dev, stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        known = self._known.get(path)
        if known is None and (known := self._noted(path)) is not None:
            self._known[path] = known
        if known is not None and known[0] == signature:
            return known[1]
        digest = hashlib.sha256(path.read_bytes()).digest()
        if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > RACY_NANOSECONDS:
            self._known[path] = (signature, digest)
            if self._store is not None:
                self._store.put(str(path), [list(signature), digest.hex()])
        else:
            self._known.pop(path, None)
        return digest

    def _noted(self, path: Path) -> tuple[tuple[int, ...], bytes] | None:
        noted = self._store.get(str(path)) if self._store is not None else None
        if isinstance(noted, list) and len(noted) == 2 and isinstance(noted[0], list) and isinstance(noted[1], str):
            return tuple(noted[0]), bytes.fromhex(noted[1])
        return None

    def find(self, path: Path) -> bytes | None:
        """The digest of ``path``'s bytes, or None when it cannot be read (the stage that reads it says why)."""
        try:
            return self.of(path)
        except OSError:
            return None

    def of_folder(self, folder: Path) -> tuple[tuple[str, bytes | None], ...]:
        """(name, digest) of every file directly in ``folder``, by name; empty when there is no folder."""
        try:
            names = sorted(entry.name for entry in os.scandir(folder) if entry.is_file())
        except OSError:
            return ()
        return tuple((name, self.find(folder / name)) for name in names)

    def of_tree(self, folder: Path) -> tuple[tuple[str, bytes | None], ...]:
        """(relative path, digest) of every file under ``folder``, in the order of :func:`buildcache.files_under`."""
        return tuple((path.relative_to(folder).as_posix(), self.find(path)) for path in files_under(folder))


@dataclass(frozen=True)
class _Result:
    same: tuple[object, ...]  # held, so that no other object can take their ids while the result is kept
    value: object
    diagnostics: tuple[object, ...]


class Workspace:
    """Stage results and file digests kept across the builds of one process (see the module's docstring)."""

    def __init__(self, kept: bool = False, files: FileDigests | None = None) -> None:
        # Kept between the builds of a long-running process: its first build fills it even
        # when the output is up to date, so that the first edit finds every stage at hand.
        self.kept = kept
        self.files = files or FileDigests()
        self._kept: dict[Hashable, _Result] = {}
        self._used: dict[Hashable, _Result] = {}
        self._latest: dict[type, object] = {}
        # The last successful build's summaries of render contexts (a buildcache.Fingerprints),
        # which the next build consults for the objects it reuses.
        self.fingerprints: object | None = None
        # A binding.LiveBinder, when the process keeps one (serve does): it holds the last book
        # and rebinds only the briefs that changed.
        self.binder: object | None = None
        self._removing = None  # the thread removing the output the last build replaced
        # Whether this process has laid out a document already, so that the PDF workers it
        # forks start with the engine's caches (and Python's specialised code) warm.
        self.pdf_engine_warm = False
        # What the current (or last) build reused and computed, stage by stage.
        self.reused: Counter[str] = Counter()
        self.computed: Counter[str] = Counter()

    def recall(self, stage: str, compute: Callable[[], T], *, same: Iterable[object] = (),
               equal: Hashable = (), collector: Collector | None = None) -> T:
        """``compute()``, or its result from an earlier build given the ``same`` objects and ``equal`` values.

        ``compute`` must depend on nothing else. What it reports to ``collector`` is kept
        with the result and reported again whenever the result is reused.
        """
        same = tuple(same)
        key = (stage, tuple(map(id, same)), equal)
        known = self._used.get(key) or self._kept.get(key)
        if known is not None and all(a is b for a, b in zip(known.same, same)):
            if collector is not None:
                collector.diagnostics.extend(known.diagnostics)  # type: ignore[arg-type]
            self._used[key] = known
            self.reused[stage] += 1
            return known.value  # type: ignore[return-value]
        before = len(collector.diagnostics) if collector is not None else 0
        value = compute()
        reported = tuple(collector.diagnostics[before:]) if collector is not None else ()
        self._used[key] = _Result(same, value, reported)
        self.computed[stage] += 1
        return value

    def canonical(self, value: T) -> T:
        """The object of ``value``'s type last given here if it equals ``value``, else ``value``.

        A configuration read again from an unchanged file is a new object; this makes it the
        same object, so the stages that take it are reused.
        """
        latest = self._latest.get(type(value))
        if latest is not None and latest == value:
            return latest  # type: ignore[return-value]
        self._latest[type(value)] = value
        return value

    def remove_later(self, folder: Path) -> None:
        """Remove ``folder`` (a replaced output) in the background: the new output is already in place.

        A removal still running when the next one is asked for is waited for first, so at most
        one old output waits beside the new one.
        """
        import shutil
        import threading

        self.wait_for_removal()
        self._removing = threading.Thread(target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True},
                                          name="make-brief-remove", daemon=True)
        self._removing.start()

    def wait_for_removal(self) -> None:
        """Wait until the replaced output being removed is gone."""
        if self._removing is not None:
            self._removing.join()
            self._removing = None

    @property
    def empty(self) -> bool:
        """Whether no build has left anything here yet."""
        return not self._kept and not self._used

    def close(self) -> None:
        """Let go of what the workspace keeps running (the live binder's process, a removal under way)."""
        self.wait_for_removal()
        if self.binder is not None:
            self.binder.close()  # type: ignore[attr-defined]
            self.binder = None

    def begin_build(self) -> None:
        """Start counting what a build reuses and computes."""
        self.reused.clear()
        self.computed.clear()

    def finish_build(self, succeeded: bool) -> None:
        """End a build: keep what it used (a failed build keeps what came before too)."""
        self.files.settle()
        if succeeded:
            self._kept, self._used = self._used, {}
        else:
            self._kept.update(self._used)
            self._used = {}

