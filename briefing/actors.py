"""Actor registry: the people, institutions and states that speak or take positions."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import Collector
from .text import fold
from .yamlfile import Reader, load_yaml, suggest

ACTOR_KINDS = ("person", "institution", "state")


@dataclass(frozen=True)
class Actor:
    """A person, institution or state, with the names the articles use for it."""

    id: str
    name: str
    kind: str
    role: str | None
    affiliation: str | None
    aliases: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Every name that refers to this actor, the canonical one first."""
        return (self.name, *self.aliases)


@dataclass(frozen=True)
class Registry:
    """All actors by id, and a lookup from any alias to the actors it may mean."""

    actors: dict[str, Actor]

    def __contains__(self, actor_id: object) -> bool:
        return actor_id in self.actors

    def __getitem__(self, actor_id: str) -> Actor:
        return self.actors[actor_id]

    def ids(self) -> list[str]:
        return sorted(self.actors)

    def by_alias(self) -> dict[str, tuple[str, ...]]:
        """Folded, case-insensitive name → the ids of the actors that answer to it."""
        table: dict[str, list[str]] = {}
        for actor in self.actors.values():
            for name in actor.names:
                key = fold(name).casefold()
                if actor.id not in table.setdefault(key, []):
                    table[key].append(actor.id)
        return {key: tuple(ids) for key, ids in table.items()}

    def fingerprint(self) -> str:
        """A hash of everything in the registry that can change an attribution."""
        payload = json.dumps([(a.id, a.name, a.kind, a.aliases) for a in sorted(self.actors.values(),
                                                                                 key=lambda a: a.id)])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def affiliation_of(self, actor_id: str) -> str:
        """The state or institution an actor speaks for (itself, if it has none)."""
        actor = self.actors[actor_id]
        return actor.affiliation or actor.id


def load_actors(path: Path, display: str, collector: Collector) -> Registry:
    """Read and validate the actor registry."""
    document = load_yaml(path, display, collector)
    if document is None:
        return Registry({})
    root = Reader(document, (), collector)
    actors: dict[str, Actor] = {}
    affiliations: list[tuple[Reader, str]] = []
    for entry in root.items("actors", required=True):
        actor_id = entry.text("id", slug=True)
        name = entry.text("name")
        kind = entry.text("kind", choices=ACTOR_KINDS)
        role = entry.text("role", required=False)
        affiliation = entry.text("affiliation", required=False, slug=True)
        aliases = entry.texts("aliases")
        entry.finish()
        if actor_id is None or name is None or kind is None:
            continue
        if actor_id in actors:
            entry.error("id", f"duplicate actor id {actor_id!r}")
            continue
        if affiliation:
            affiliations.append((entry, affiliation))
        actors[actor_id] = Actor(actor_id, name, kind, role, affiliation, aliases)
    root.finish()
    for entry, affiliation in affiliations:
        if affiliation not in actors:
            entry.error("affiliation", f"unknown actor {affiliation!r}{suggest(affiliation, list(actors))}")
    return Registry(actors)
