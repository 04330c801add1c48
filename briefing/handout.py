"""Handout stage: the one-page handout of a brief, and the ladder of cuts that makes it fit.

A handout must never spill onto a second page. Rather than shrink the type, the tool
drops the lowest-priority content one step at a time (older events, then quotations,
then indicators, then key points, then all but the first sentence of each position),
renders each version, prints the first that fits, and says on the page and in the build
summary what it left out.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import jinja2

from .config import Config
from .pdf import Candidate, PdfJob, PdfMetadata
from .products import SHORT_QUOTE_WORDS, PositionRow, parties, position_rows, template_context
from .rendering import BriefView, EventView, FontFace, handout_pdf, render


@dataclass(frozen=True)
class HandoutPlan:
    """How much of each part of the brief a handout shows."""

    key_points: int = 5
    events: int = 5
    indicators: int = 5
    quote_words: int = SHORT_QUOTE_WORDS[1]  # longest quotation shown in the positions table; 0: none
    short_positions: bool = False


LONG_QUOTE_WORDS = 12  # on a tight page, a party's words must be brief to earn their space
# Each step keeps everything the step before kept, less one thing: the order is the
# priority, lowest first. Steps that change nothing for a profile are skipped.
CUTS: tuple[dict[str, object], ...] = (
    {"events": 4}, {"events": 3}, {"indicators": 4}, {"indicators": 3}, {"quote_words": LONG_QUOTE_WORDS},
    {"key_points": 4}, {"quote_words": 0}, {"key_points": 3}, {"short_positions": True},
    {"events": 2}, {"indicators": 2},
)
MIN_KEY_POINTS = 3


@dataclass(frozen=True)
class KeyPoint:
    """A key judgment (or, for a brief with too few, a key fact) in one or two sentences."""

    text: str
    assessment: str | None  # "Likely (55–80%) · moderate confidence"; None for a fact
    sources: tuple[str, ...]  # source labels: S1, S2 ...


@dataclass(frozen=True)
class Handout:
    """Everything the handout template shows."""

    brief: BriefView
    points: tuple[KeyPoint, ...]
    rows: tuple[PositionRow, ...]
    cut_quotes: frozenset[str]  # parties whose quotation was left out for length
    show_quotes: bool
    events: tuple[EventView, ...]
    indicators: tuple[str, ...]
    omitted: tuple[str, ...]
    full_brief_url: str | None
    cuts: dict[str, int]  # element key -> ladder step that removes it (marks data-cut on those shown)


def key_points(view: BriefView) -> tuple[KeyPoint, ...]:
    """The key judgments, topped up with key facts when a brief has fewer than three."""
    points = [KeyPoint(j.text, f"{j.likelihood.capitalize()} ({j.band}) · {j.confidence} confidence",
                       tuple(dict.fromkeys(n.source.label for n in j.notes))) for j in view.judgments]
    for fact in view.facts[:max(0, MIN_KEY_POINTS - len(points))]:
        points.append(KeyPoint(fact.statement, None, (fact.note.source.label,)))
    return tuple(points)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def handout(view: BriefView, plan: HandoutPlan, config: Config) -> Handout:
    """The handout a plan gives, with a plain account of what it leaves out."""
    points = key_points(view)
    rows = position_rows(view, short=plan.short_positions)
    recent = view.timeline[-HandoutPlan.events:]
    omitted = []
    if len(points) > plan.key_points:
        omitted.append(f"{_count(len(points) - plan.key_points, 'key judgment')} (of {len(points)})")
    if plan.short_positions:
        omitted.append("all but the first sentence of each party's position")
    quoted = [row for row in rows if row.quote]
    cut = frozenset(row.party.id for row in quoted if len(row.quote.text.split()) > plan.quote_words)
    if cut:
        longer = "" if len(cut) == len(quoted) else "longer "
        omitted.append(f"{_count(len(cut), longer + 'quotation')} in the parties table")
    if len(recent) > plan.events:
        omitted.append(f"{len(recent) - plan.events} of the {len(recent)} latest events")
    if len(view.indicators) > plan.indicators:
        omitted.append(f"{_count(len(view.indicators) - plan.indicators, 'indicator')} to watch "
                       f"(of {len(view.indicators)})")
    return Handout(
        brief=view, points=points[:plan.key_points],
        rows=tuple(replace(row, quote=None) if row.party.id in cut else row for row in rows),
        cut_quotes=cut, show_quotes=len(cut) < len(quoted), events=recent[-plan.events:] if plan.events else (),
        indicators=view.indicators[:plan.indicators], omitted=tuple(omitted),
        full_brief_url=config.site_url + view.page if config.site_url else None,
        cuts=cut_levels(view, rows),
    )


def cut_levels(view: BriefView, rows: tuple[PositionRow, ...]) -> dict[str, int]:
    """For each element of the fullest handout, the first step of the ladder that removes it.

    The fitting loop reads these marks off each layout that runs long, to skip the versions
    that cannot fit either.
    """
    ladder = plans()
    recent = len(view.timeline[-HandoutPlan.events:])

    def first(gone) -> int | None:
        return next((level for level, plan in enumerate(ladder) if gone(plan)), None)

    marks = {
        **{f"point-{i}": first(lambda p, i=i: p.key_points <= i) for i in range(len(key_points(view)))},
        **{f"indicator-{i}": first(lambda p, i=i: p.indicators <= i) for i in range(len(view.indicators))},
        # events keep the latest: counted from the newest (0), the i-th goes once i or fewer remain
        **{f"event-{i}": first(lambda p, i=i: p.events <= i) for i in range(recent)},
    }
    for row in rows:
        marks[f"tail-{row.party.id}"] = first(lambda p: p.short_positions)
        if row.quote:
            words = len(row.quote.text.split())
            marks[f"quote-{row.party.id}"] = first(lambda p, w=words: p.quote_words < w)
    return {key: level for key, level in marks.items() if level is not None}


def plans() -> tuple[HandoutPlan, ...]:
    """The fullest plan first, then one cut more at each step."""
    plan = HandoutPlan()
    steps = [plan]
    for cut in CUTS:
        plan = replace(plan, **cut)
        steps.append(plan)
    return tuple(steps)


def handout_job(view: BriefView, config: Config, env: jinja2.Environment, fonts: tuple[FontFace, ...],
                allowed: tuple[Path, ...]) -> PdfJob:
    """The handout as a one-page job whose candidates are the ladder's distinct versions."""
    candidates: list[Candidate] = []
    seen: set[tuple[str, ...]] = set()
    for level, plan in enumerate(plans()):
        item = handout(view, plan, config)
        if item.omitted in seen:  # this cut removes nothing this profile has
            continue
        seen.add(item.omitted)
        html = render(env, "handout_print.html", item=item, **template_context(config, fonts))
        candidates.append(Candidate(html, item.omitted, level))
    metadata = PdfMetadata(title=f"{view.title} (one-page handout)", author=config.organisation,
                           subject=f"One-page handout: {view.title}", keywords=parties([view]),
                           language=config.language, date=view.as_of)
    return PdfJob(handout_pdf(view.id), tuple(candidates), metadata, config.pdf_variant, config.project,
                  allowed, max_pages=1)
