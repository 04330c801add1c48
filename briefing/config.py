"""Site and build settings from ``config.yaml``, validated once into a typed object."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .errors import Collector, UsageError
from .sources import inside
from .yamlfile import Reader, load_yaml

PAGE_SIZES = ("A4", "Letter")
PDF_VARIANTS = ("pdf/ua-1", "pdf/a-3b")


@dataclass(frozen=True)
class Config:
    """Everything the build reads from ``config.yaml``, with paths resolved inside the project."""

    project: Path
    file: str
    site_title: str
    organisation: str
    site_url: str | None
    language: str
    description: str
    marking: str
    seeds: Path
    profiles: Path
    actors: Path
    templates: Path
    out: Path
    page_size: str
    pdf_variant: str


def load_config(path: Path) -> Config:
    """Read ``config.yaml``; the project is the folder that holds it."""
    project = path.parent.resolve()
    collector = Collector()
    display = path.name
    document = load_yaml(path, display, collector)
    collector.raise_if_errors()
    root = Reader(document, (), collector)

    site = root.mapping("site", required=True)
    paths = root.mapping("paths")
    pdf = root.mapping("pdf")
    marking = root.text("marking", required=False) or "PUBLIC"
    root.finish()
    if site is None:
        collector.raise_if_errors()
    title = site.text("title")
    organisation = site.text("organisation")
    site_url = site.text("site_url", required=False)
    language = site.text("language", required=False) or "en"
    description = site.text("description", required=False) or ""
    site.finish()
    if site_url and not re.match(r"^https?://[^\s]+$", site_url):
        site.error("site_url", f"{site_url!r} is not an http(s) URL")
    if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*", language):
        site.error("language", f"{language!r} is not a language tag such as 'en' or 'en-GB'")

    def folder(key: str, default: str, must_exist: bool = True) -> Path:
        value = paths.text(key, required=False) if paths else None
        resolved = (project / (value or default))
        if value and (Path(value).is_absolute() or not inside(project, resolved)):
            paths.error(key, f"{value!r} is outside the project folder; use a path inside it")
        elif must_exist and not resolved.exists():
            if paths and value:
                paths.error(key, f"{value!r} does not exist")
            else:
                collector.error(display, None, f"paths.{key}", f"{default!r} does not exist")
        return resolved

    seeds = folder("seeds", "seeds")
    profiles = folder("profiles", "profiles")
    actors = folder("actors", "actors.yaml")
    templates = folder("templates", "templates", must_exist=False)
    out = folder("out", "out", must_exist=False)
    if paths:
        paths.finish()

    page_size = (pdf.text("page_size", required=False, choices=PAGE_SIZES) if pdf else None) or "A4"
    variant = (pdf.text("variant", required=False, choices=PDF_VARIANTS) if pdf else None) or "pdf/ua-1"
    if pdf:
        pdf.finish()
    collector.raise_if_errors()
    return Config(
        project=project, file=display, site_title=title, organisation=organisation,
        site_url=site_url.rstrip("/") + "/" if site_url else None, language=language,
        description=description, marking=marking, seeds=seeds, profiles=profiles, actors=actors,
        templates=templates, out=out, page_size=page_size, pdf_variant=variant,
    )


def find_config(explicit: Path | None, start: Path) -> Path:
    """The config file named on the command line, or ``config.yaml`` here or in a parent folder."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"no config file {str(explicit)!r}; pass --config with the path of a config.yaml")
        return explicit
    for folder in (start, *start.parents):
        candidate = folder / "config.yaml"
        if candidate.is_file():
            return candidate
    raise UsageError("no config.yaml here or in any parent folder; run make-brief in a project folder "
                     "or pass --config PATH")
