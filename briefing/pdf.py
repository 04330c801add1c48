"""PDF stage: print HTML rendered by WeasyPrint, reading only files inside allowed folders.

WeasyPrint is imported here alone and only when a PDF is rendered, so commands that
render nothing start fast.
"""

from __future__ import annotations

import datetime as dt
import io
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from .errors import RenderError


@dataclass(frozen=True)
class PdfMetadata:
    """Document properties; dates come from the brief, never from the clock."""

    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    language: str
    date: dt.date


def restricted_fetcher(allowed: tuple[Path, ...]):
    """A URL fetcher that serves ``file:`` URLs under ``allowed`` folders and ``data:`` URLs only.

    Anything else stops the rendering: a template or profile that points outside the
    project is an error, not a silently missing image.
    """
    from weasyprint.urls import FatalURLFetchingError, URLFetcher

    roots = tuple(folder.resolve() for folder in allowed)

    class RefusedURL(FatalURLFetchingError):
        pass

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if any(path == root or root in path.parents for root in roots):
                    return super().fetch(url, headers)
            raise RefusedURL(f"the PDF may only use files inside the project; refused {url!r}")

    return ProjectFetcher(allowed_protocols=("file", "data"), fail_on_errors=True), RefusedURL


def render_pdf(html: str, base: Path, allowed: tuple[Path, ...], metadata: PdfMetadata, variant: str) -> bytes:
    """Render print HTML to PDF bytes, tagged and reproducible."""
    import weasyprint

    # The font subsetter stamps each embedded font with "now" unless this is set; the
    # brief's own date keeps the bytes identical from one build to the next.
    os.environ["SOURCE_DATE_EPOCH"] = str(int(dt.datetime.combine(metadata.date, dt.time(),
                                                                  dt.timezone.utc).timestamp()))
    fetcher, refused = restricted_fetcher(allowed)
    try:
        document = weasyprint.HTML(string=html, base_url=base.as_uri() + "/", url_fetcher=fetcher).render()
    except refused as exc:
        raise RenderError(str(exc)) from None
    except weasyprint.urls.FatalURLFetchingError as exc:
        raise RenderError(f"PDF rendering could not read a resource: {exc} ({exc.__cause__})") from None
    stamp = f"{metadata.date.isoformat()}T00:00:00Z"
    document.metadata.title = metadata.title
    document.metadata.authors = [metadata.author]
    document.metadata.description = metadata.subject
    document.metadata.keywords = list(metadata.keywords)
    document.metadata.lang = metadata.language
    document.metadata.created = stamp
    document.metadata.modified = stamp
    document.metadata.generator = "make-brief"
    output = io.BytesIO()
    document.write_pdf(output, pdf_variant=variant, pdf_tags=True,
                       pdf_identifier=metadata.title.encode("utf-8")[:32] or b"make-brief")
    return output.getvalue()
