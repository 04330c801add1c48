"""Site stage, shared part: what every page tells the base template, and the links between pages.

Every internal link is made relative to the page that carries it, so the site works
under any sub-path and from ``file://``. Only canonical URLs, the sitemap and the feed
use ``site_url``, because those must be absolute to mean anything.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable

import jinja2
from markupsafe import Markup

from ..config import Config
from ..buildcache import RenderMemo
from ..rendering import relative, render, template_digest
from ..workspace import Workspace
from .search import searchable_digest

CSS = "assets/site.css"
SEARCH_JS = "assets/search.js"
FAVICON = "assets/favicon.svg"
FEED = "feed.xml"
HOME = "index.html"
STANCES = "stances.html"
TIMELINE = "timeline.html"
ACTORS = "actors.html"
SEARCH = "search.html"
NOT_FOUND = "404.html"

# The masthead's navigation: (page, section key, label). A page names its section to be marked current.
NAV = (
    (HOME, "briefs", "Briefs"),
    (STANCES, "stances", "Where they stand"),
    (TIMELINE, "timeline", "Timeline"),
    (ACTORS, "actors", "People and states"),
    (SEARCH, "search", "Search"),
)


# posixpath.relpath is slow and a large site asks for the same links on page after page.
_relative = functools.lru_cache(maxsize=1 << 16)(relative)


@dataclass(frozen=True)
class Page:
    """What the base template needs to know about the page it frames."""

    path: str  # relative to the site root, e.g. "briefs/sanctions.html"
    title: str  # the page's own title, without the site's
    description: str
    section: str = ""  # the NAV entry to mark as current
    og_type: str = "website"  # Open Graph type: "article" for briefs
    search_type: str | None = None  # Pagefind filter value; None keeps the page out of the index
    in_sitemap: bool = True


def absolute(config: Config, path: str) -> str | None:
    """The public URL of ``path`` under ``site_url``; None when no site_url is configured."""
    if not config.site_url:
        return None
    return config.site_url + ("" if path == HOME else path)


def plain(text: str, limit: int = 200) -> str:
    """One line of plain text for a description: tags dropped, cut at a word near ``limit``."""
    words = " ".join(Markup(text).striptags().split())
    if len(words) <= limit:
        return words
    return words[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


class PageWriter:
    """Renders pages into a map of site path to bytes, giving each its links and metadata."""

    def __init__(self, env: jinja2.Environment, config: Config, memo: RenderMemo | None = None,
                 workspace: Workspace | None = None, **common: object) -> None:
        self.env = env
        self.config = config
        self.memo = memo
        # Hands back page contexts built from the same objects in an earlier build, so that
        # their summaries (the memo's keys) are not worked out again either.
        self.workspace = workspace or Workspace()
        self.common = common
        self.files: dict[str, bytes] = {}
        self.pages: list[Page] = []
        # Every page shows the shared context (actor pages, downloads): summarise it once, not per page.
        self._common_key = memo.key(dict(sorted(common.items())), config) if memo is not None else ""

    def link(self, page: Page) -> Callable[[str], str]:
        return lambda target: _relative(page.path, target)

    def page(self, template: str, page: Page, **context: object) -> str:
        """Render ``template`` as ``page``, record it, and return the HTML (the search index reads it).

        With a memo, a page whose template (and everything it includes) and context are
        unchanged since the last build is taken from that build instead of rendered again.
        """
        key = None
        if self.memo is not None:
            key = self.memo.key(template_digest(self.env, template), page, dict(sorted(context.items())),
                                self._common_key)
            previous = self.memo.recall(page.path, key)
            if previous is not None:
                self.files[page.path] = previous
                self.pages.append(page)
                return previous.decode("utf-8")
        html = render(self.env, template, page=page, link=self.link(page), nav=NAV,
                      canonical=absolute(self.config, page.path) if page.in_sitemap else None, config=self.config,
                      css=CSS, favicon=FAVICON, feed=FEED, search_page=SEARCH, search_js=SEARCH_JS,
                      **self.common, **context)
        self.files[page.path] = html.encode("utf-8")
        self.pages.append(page)
        if self.memo is not None:
            # What the search index reads of the page is noted with it, for a later build to key its bundle.
            self.memo.rendered(page.path, {"search": searchable_digest(html)} if page.search_type else None)
        return html

    def search_digest(self, path: str) -> str:
        """The :func:`searchable_digest` of the page at ``path``: noted when it was rendered, in this build or the one it came from."""
        meta = self.memo.meta.get(path) if self.memo is not None else None
        noted = meta.get("search") if meta else None
        if isinstance(noted, str):
            return noted
        found = searchable_digest(self.files[path].decode("utf-8"))
        if self.memo is not None:  # a page recalled from a build that did not note it
            self.memo.meta[path] = {**(meta or {}), "search": found}
        return found

    def asset(self, path: str, content: str | bytes) -> None:
        self.files[path] = content.encode("utf-8") if isinstance(content, str) else content
        if self.memo is not None:
            self.memo.settle(path, self.files[path])
