"""Site stage, actor pages: everything a party is quoted saying, across briefs, and where it stands.

A quotation cited by several briefs appears once, with every brief that cites it. Quotes
are in the order they were said (the source's date), so a reader can see a line evolve.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..actors import Actor, Registry
from ..rendering import BriefView, QuoteView
from ..text import fold
from .briefs import BriefLink
from .pages import ACTORS, Page, PageWriter, plain

KIND_LABELS = {"person": "People", "institution": "Institutions", "state": "States"}


def actor_page(actor_id: str) -> str:
    return f"actors/{actor_id}.html"


@dataclass(frozen=True)
class ActorQuote:
    """One thing the actor said, and every brief that cites it."""

    quote: QuoteView
    date: dt.date | None
    citations: tuple[tuple[BriefLink, str], ...]  # (brief, link target of the quote on its page)


@dataclass(frozen=True)
class ActorPosition:
    """The position an actor holds in one brief (its words; the quotations behind it are on the brief)."""

    brief: BriefLink
    position: str


@dataclass(frozen=True)
class ActorLink:
    """An actor as a link to their page: what a list of names shows (not their role or aliases)."""

    id: str
    name: str
    page: str


@dataclass(frozen=True)
class ActorView:
    actor: Actor
    page: str
    affiliation: Actor | None
    affiliation_page: str | None
    members: tuple[ActorLink, ...]  # actors affiliated with this one that have pages
    positions: tuple[ActorPosition, ...]
    quotes: tuple[ActorQuote, ...]


def actor_views(views: list[BriefView], registry: Registry) -> dict[str, ActorView]:
    """A view for every actor who is quoted or holds a position in any brief, by id."""
    quotes: dict[str, dict[tuple, list[tuple[BriefLink, QuoteView]]]] = {}
    positions: dict[str, list[ActorPosition]] = {}
    for view in views:
        link = BriefLink.of(view)
        for quote in view.quotes:
            # The same words from the same paragraph are one statement, however many briefs cite them.
            key = (quote.source.source.id, quote.note.paragraph, fold(quote.text))
            quotes.setdefault(quote.speaker.id, {}).setdefault(key, []).append((link, quote))
        for position in view.positions:
            positions.setdefault(position.party.id, []).append(ActorPosition(link, position.position))

    ids = sorted({*quotes, *positions})
    result = {}
    for actor_id in ids:
        actor = registry[actor_id]
        said = []
        for cited in quotes.get(actor_id, {}).values():
            first = cited[0][1]
            said.append(ActorQuote(first, first.source.source.date,
                                   tuple((link, f"{link.page}#q-{quote.id}") for link, quote in cited)))
        said.sort(key=lambda q: (q.date or dt.date.max, q.quote.source.source.id, q.quote.note.paragraph,
                                 len(q.quote.passage.before)))
        affiliation = registry[actor.affiliation] if actor.affiliation and actor.affiliation in registry else None
        members = tuple(sorted((ActorLink(i, registry[i].name, actor_page(i)) for i in ids
                                if registry[i].affiliation == actor_id), key=lambda a: a.name))
        # In the order the site lists the briefs: a brief's new title leaves the page's searchable words as they were.
        held = sorted(positions.get(actor_id, []), key=lambda p: p.brief.id)
        result[actor_id] = ActorView(
            actor, actor_page(actor_id), affiliation,
            actor_page(affiliation.id) if affiliation and affiliation.id in ids else None,
            members, tuple(held), tuple(said))
    return result


def write_actor_pages(writer: PageWriter, actors: dict[str, ActorView]) -> None:
    """One page per actor, and the index of all of them grouped by kind."""
    for view in actors.values():
        actor = view.actor
        summary = f"{actor.name}{', ' + actor.role if actor.role else ''}: {len(view.quotes)} quotations"
        summary += f" and positions on {len(view.positions)} issues." if view.positions else "."
        writer.page("actor.html", Page(view.page, actor.name, plain(summary), section="actors",
                                       search_type="Person or state"), who=view)
    groups = []
    for kind, label in KIND_LABELS.items():
        members = sorted((v for v in actors.values() if v.actor.kind == kind), key=lambda v: v.actor.name)
        if members:
            groups.append((label, members))
    writer.page("actors.html", Page(ACTORS, "People and states",
                                    "Everyone quoted or taking a position in the briefs.", section="actors"),
                groups=groups)
