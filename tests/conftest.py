"""Shared fixtures: the real project, copies of it to break, and one real build to inspect."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from briefing.build import BuildResult, build
from briefing.config import Config, load_config

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("config.yaml", "actors.yaml")
PROJECT_DIRS = ("seeds", "profiles", "templates")


@pytest.fixture(scope="session")
def config() -> Config:
    """The shipped project's configuration."""
    return load_config(ROOT / "config.yaml")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the shipped project (curated files and seeds, no output)."""
    for name in PROJECT_FILES:
        shutil.copy(ROOT / name, tmp_path / name)
    for name in PROJECT_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory, config: Config) -> BuildResult:
    """One full build of the shipped project into a temporary folder."""
    out = tmp_path_factory.mktemp("site") / "out"
    return build(config, out=out)


def pdf_text(path: Path) -> str:
    """The text of a PDF as pdftotext extracts it (reading order, no layout)."""
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout
