"""Site stage, feeds: the Atom feed of brief editions and the sitemap.

Both are derived from the briefs' own dates, never from the clock, so two builds of the
same inputs give the same bytes. The sitemap needs absolute URLs, so it is written only
when ``config.yaml`` gives a ``site_url``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from ..config import Config
from ..rendering import BriefView
from .pages import FEED, Page, PageWriter, absolute, plain

# Entry ids must never change once published: they derive from the site and brief only.
_FEED_NAMESPACE = uuid.UUID("8f5b6a52-3f0c-4d0e-9a52-6d2b8f3e1c47")


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    link: str  # absolute when site_url is set, else relative to the feed
    updated: str  # RFC 3339
    summary: str
    content_html: str  # a plain str, so the template escapes it as Atom's type="html" requires
    brief: BriefView


def _stamp(day: dt.date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def write_feed(writer: PageWriter, views: list[BriefView], config: Config) -> None:
    """An Atom feed with one entry per brief edition, newest first."""
    entries = []
    for view in sorted(views, key=lambda v: (v.as_of, v.id), reverse=True):
        entry_id = uuid.uuid5(_FEED_NAMESPACE, f"{config.site_title}/{view.id}/edition-{view.edition}")
        entries.append(FeedEntry(f"urn:uuid:{entry_id}", f"{view.title} (edition {view.edition})",
                                 absolute(config, view.page) or view.page, _stamp(view.as_of),
                                 plain(view.summary, 600), str(view.summary), view))
    feed_id = uuid.uuid5(_FEED_NAMESPACE, config.site_title)
    updated = max((e.updated for e in entries), default=_stamp(dt.date(1970, 1, 1)))
    xml = writer.env.get_template("feed.xml").render(
        config=config, entries=entries, feed_id=f"urn:uuid:{feed_id}", updated=updated,
        self_url=absolute(config, FEED), home=absolute(config, "index.html") or "index.html")
    writer.asset(FEED, xml)


def write_sitemap(writer: PageWriter, config: Config, lastmod: dict[str, dt.date]) -> None:
    """sitemap.xml and robots.txt pointing at it, listing every page meant to be found."""
    if not config.site_url:
        return
    pages: list[Page] = [p for p in writer.pages if p.in_sitemap]
    urls = [(absolute(config, p.path), lastmod.get(p.path)) for p in sorted(pages, key=lambda p: p.path)]
    xml = writer.env.get_template("sitemap.xml").render(urls=urls)
    writer.asset("sitemap.xml", xml)
    writer.asset("robots.txt", f"User-agent: *\nAllow: /\nSitemap: {absolute(config, 'sitemap.xml')}\n")
