"""Site stage, brief summaries: the slice of a brief that a page gathering many briefs shows.

Each page is reused from the last build while its template and context are unchanged, so
a page that lists every brief is given only what it shows of each. The timeline's issue
tags, the stance matrix's columns and an actor's "cited in" links name a brief and link
to it; the home page's card adds its bottom line and counts. Editing a brief's quotes
then re-renders neither the home page nor the timeline, and editing its bottom line
re-renders the home page but not the timeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from markupsafe import Markup

from ..rendering import BriefView


@dataclass(frozen=True)
class BriefLink:
    """A brief as a link: what a tag, a column heading or a "cited in" line shows."""

    id: str
    title: str
    page: str  # site path of the brief's page
    as_of: dt.date

    @classmethod
    def of(cls, view: BriefView) -> BriefLink:
        return cls(view.id, view.title, view.page, view.as_of)


@dataclass(frozen=True)
class BriefCard:
    """A brief as the home page's card shows it."""

    id: str
    title: str
    page: str
    as_of: dt.date
    product: str
    edition: int
    marking: str
    summary: Markup
    counts: dict[str, int]

    @classmethod
    def of(cls, view: BriefView) -> BriefCard:
        return cls(view.id, view.title, view.page, view.as_of, view.product, view.edition, view.marking,
                   view.summary, view.counts)
