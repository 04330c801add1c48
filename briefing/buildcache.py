"""The build cache: content hashes of every input and output, kept in the project's ``.cache/``.

Two levels. The whole-build fingerprint hashes every input file (config, seeds, profiles,
actors, templates, the package's own code) with the build options; when it matches the last
successful build and ``out/`` still holds exactly what that build wrote, nothing is rendered
and nothing heavy is even imported. Below that, each rendered output is stored under the hash
of everything it was rendered from, so a build re-renders only outputs whose inputs changed.

This module imports nothing beyond the standard library, so the no-op check stays fast.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import __version__

STATE_FILE = "build-state.json"
_PACKAGE = Path(__file__).resolve().parent


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _files_under(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def input_fingerprint(paths: list[Path], options: dict[str, object]) -> str:
    """One hash over the content of every input file and the build options."""
    hasher = hashlib.sha256(json.dumps({"version": __version__, "options": options}, sort_keys=True).encode())
    for path in paths:
        for file in ([path] if path.is_file() else _files_under(path)):
            hasher.update(str(file).encode("utf-8", "surrogateescape") + b"\0")
            hasher.update(hashlib.sha256(file.read_bytes()).digest())
    return hasher.hexdigest()


def package_inputs() -> list[Path]:
    """The package's own code and default templates: changing them changes every output."""
    templates = _PACKAGE / "templates"
    return [_PACKAGE, templates if templates.is_dir() else _PACKAGE.parent / "templates"]


def output_listing(out: Path) -> dict[str, str]:
    """Every file in ``out`` with the hash of its content."""
    return {p.relative_to(out).as_posix(): digest(p.read_bytes()) for p in _files_under(out)}


@dataclass
class BuildState:
    """What the last successful build read and wrote."""

    fingerprint: str
    outputs: dict[str, str]  # output path -> content hash
    rendered: dict[str, str]  # output path -> hash of what it was rendered from

    @classmethod
    def load(cls, cache_dir: Path) -> "BuildState | None":
        try:
            data = json.loads((cache_dir / STATE_FILE).read_text(encoding="utf-8"))
            return cls(data["fingerprint"], dict(data["outputs"]), dict(data["rendered"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        temporary = cache_dir / f".{STATE_FILE}.{os.getpid()}"
        temporary.write_text(json.dumps({"fingerprint": self.fingerprint, "outputs": self.outputs,
                                         "rendered": self.rendered}, sort_keys=True), encoding="utf-8")
        os.replace(temporary, cache_dir / STATE_FILE)


def up_to_date(state: BuildState | None, fingerprint: str, out: Path) -> bool:
    """Whether the last build used exactly these inputs and ``out`` is still exactly what it wrote."""
    if state is None or state.fingerprint != fingerprint or not out.is_dir():
        return False
    try:
        return output_listing(out) == state.outputs
    except OSError:
        return False
