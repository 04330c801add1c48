"""Site stage, cross-brief pages: the timeline of every event and the actor × issue matrix.

The timeline filters by issue without JavaScript: the all-issues page and one page per
issue share a template, and the filter is a row of ordinary links between them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from ..rendering import BriefView, EventView, PositionView, stance_parties
from ..text import fold
from ..workspace import Workspace
from .actor_pages import ActorLink, actor_page
from .briefs import BriefLink
from .pages import STANCES, TIMELINE, Page, PageWriter


def timeline_page(brief_id: str | None) -> str:
    return TIMELINE if brief_id is None else f"timeline/{brief_id}.html"


@dataclass(frozen=True)
class TimelineEntry:
    """One event, with every brief whose timeline carries it (same date, same words)."""

    iso: str
    date: str
    event: EventView
    briefs: tuple[tuple[BriefLink, str], ...]  # (brief, link target of the event on its page)


def timeline_entries(views: list[BriefView], only: str | None = None) -> tuple[TimelineEntry, ...]:
    """Every event of ``views`` (or of the brief ``only``) in date order, duplicates merged."""
    grouped: dict[tuple[str, str], list[tuple[BriefLink, EventView, str]]] = {}
    for view in views:
        if only is not None and view.id != only:
            continue
        link = BriefLink.of(view)
        for number, event in enumerate(view.timeline, 1):
            # Anchors follow brief.html, which numbers timeline items e-1, e-2, ...
            grouped.setdefault((event.iso, fold(event.event)), []).append((link, event, f"{view.page}#e-{number}"))
    entries = []
    for (iso, _), items in sorted(grouped.items()):
        first = items[0][1]
        entries.append(TimelineEntry(iso, first.date, first, tuple((v, target) for v, _, target in items)))
    return tuple(entries)


# A desk with more issues than this lists them all on the all-issues timeline only: each issue's
# page offers that page and itself, rather than every page of the timeline naming every issue
# (at 200 briefs, 40,000 links, and a new title would change all 200 pages).
FILTERS_ON_EVERY_PAGE_AT_MOST = 12


def write_timeline_pages(writer: PageWriter, views: list[BriefView]) -> None:
    """The all-issues timeline and one filtered page per issue."""
    filters = ((None, "All issues", TIMELINE), *((v.id, v.title, timeline_page(v.id)) for v in views))
    every_page = len(views) <= FILTERS_ON_EVERY_PAGE_AT_MOST
    for brief_id, label, path in filters:
        shown = filters if brief_id is None or every_page else (filters[0], (brief_id, label, path))
        chosen = views if brief_id is None else [view for view in views if view.id == brief_id]
        entries = writer.workspace.recall("timeline", partial(timeline_entries, chosen), same=chosen)
        title = "Timeline" if brief_id is None else f"Timeline: {label}"
        description = (f"{len(entries)} dated events from the sources of "
                       + ("every brief, in date order." if brief_id is None else f"the brief {label}."))
        writer.page("timeline.html", Page(path, title, description, section="timeline"),
                    entries=entries, filters=shown, current=path)


@dataclass(frozen=True)
class PartyStance:
    """One cell of the stance matrix: a party's position on one brief's issue (if it has one) and its quotations."""

    brief: BriefLink
    position: str | None
    quotes: int


@dataclass(frozen=True)
class PartyRow:
    party: ActorLink
    cells: tuple[PartyStance, ...]


def stance_column(view: BriefView, parties: tuple[str, ...]) -> tuple[PartyStance, ...]:
    """One brief's column of the stance matrix: the stance of each of ``parties`` (ids, in row order)."""
    link = BriefLink.of(view)
    held: dict[str, PositionView] = {}
    for position in view.positions:
        held.setdefault(position.party.id, position)
    return tuple(PartyStance(link, held[party].position if party in held else None,
                             len(held[party].quotes) if party in held else 0) for party in parties)


def party_rows(views: list[BriefView], workspace: Workspace | None = None) -> tuple[PartyRow, ...]:
    """The rows of the stance matrix of ``views``, one per party.

    A ``workspace`` hands back each brief's column as an earlier build made it: an edit to one
    brief makes one new column, not the 12,000 cells of a large desk (whose summaries, the
    page's cache key, would all be worked out again).
    """
    workspace = workspace or Workspace()
    parties = stance_parties(views)
    ids = tuple(party.id for party in parties)
    columns = [workspace.recall("stance column", partial(stance_column, view, ids), same=(view,), equal=ids)
               for view in views]
    return tuple(PartyRow(ActorLink(party.id, party.name, actor_page(party.id)),
                          tuple(column[row] for column in columns))
                 for row, party in enumerate(parties))


def write_stances_page(writer: PageWriter, views: list[BriefView]) -> None:
    """Where the parties stand: one row per party, one column per issue."""
    links = {view.id: BriefLink.of(view) for view in views}
    rows = writer.workspace.recall("stance rows", partial(party_rows, views, writer.workspace), same=views)
    writer.page("stances.html", Page(STANCES, "Where the parties stand",
                                     f"The stated positions of {len(rows)} parties on {len(views)} issues.",
                                     section="stances"),
                rows=rows, briefs=list(links.values()))
