"""Scaffolding: a new, valid-to-fill profile file written atomically, never over an existing one."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from pathlib import Path

from .config import Config
from .errors import UsageError
from .sources import inside
from .yamlfile import SLUG

TEMPLATE = """\
title: {title}
product: Issue brief
as_of: {today}
edition: 1
topic:
  keywords: []
  actors: []
  places: []

summary: |
  Bottom line up front: two to four sentences.

key_judgments:
  - text: One judgment the sources support.
    likelihood: roughly even chance
    confidence: low
    basis: []

background: |
  What a reader needs to know first.

positions: []

quotes: []
# - id: a-short-slug
#   speaker: an-actor-id
#   source: a-source-id
#   text: The words, verbatim.

facts: []
timeline: []

outlook: |
  What happens next, and why.

indicators:
  - Something to watch.

sourcing: |
  Say plainly where the sources are thin.
"""


def new_profile(config: Config, profile_id: str, title: str | None, force: bool, today: dt.date) -> Path:
    """Write ``profiles/<profile_id>.yaml`` from the template; refuse to replace a file unless ``force``."""
    if not SLUG.match(profile_id):
        raise UsageError(f"{profile_id!r} is not a valid profile id (use lowercase letters, digits and hyphens)")
    path = config.profiles / f"{profile_id}.yaml"
    if not inside(config.project, path):
        raise UsageError(f"refusing to write {path}: it is outside the project")
    if path.exists() and not force:
        raise UsageError(f"{path.relative_to(config.project)} already exists; pass --force to replace it")
    text = TEMPLATE.format(title=_yaml_text(title or profile_id.replace("-", " ").capitalize()),
                           today=today.isoformat())
    write_atomically(path, text)
    return path


def write_atomically(path: Path, content: str | bytes) -> None:
    """Write ``content`` (text as UTF-8) to ``path`` via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content.encode("utf-8") if isinstance(content, str) else content)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _yaml_text(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, with every quote and backslash escaped.
    return json.dumps(value, ensure_ascii=False)
