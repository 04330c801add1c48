"""Scorer for quote extraction against a hand-made gold file.

Quote spans are matched by character overlap: a predicted and a gold quotation match
when the characters they share are at least half of the shorter one's, one-to-one,
best overlap first. Precision, recall and F1 count matched quotations; speaker and kind
accuracy are measured over the matched pairs only.

Run as a script to print the scores:  python tests/scoring.py [GOLD.yaml ...]
"""

from __future__ import annotations

import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing.actors import Registry, load_actors  # noqa: E402
from briefing.errors import Collector  # noqa: E402
from briefing.extraction import QuoteRecord, extract_quotes  # noqa: E402
from briefing.sources import parse_article, read_article_text  # noqa: E402
from briefing.text import find_verbatim  # noqa: E402


@dataclass(frozen=True)
class GoldQuote:
    """One hand-annotated quotation: its character spans in the article, speaker, kind."""

    text: str
    spans: tuple[tuple[int, int], ...]
    speaker: str | None
    kind: str


@dataclass
class Score:
    """Counts over one or many articles, and the mismatches worth reading."""

    gold: int = 0
    predicted: int = 0
    matched: int = 0
    speaker_right: int = 0
    kind_right: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_right / self.matched if self.matched else 1.0

    @property
    def kind_accuracy(self) -> float:
        return self.kind_right / self.matched if self.matched else 1.0

    def add(self, other: Score) -> None:
        self.gold += other.gold
        self.predicted += other.predicted
        self.matched += other.matched
        self.speaker_right += other.speaker_right
        self.kind_right += other.kind_right
        self.errors.extend(other.errors)

    def summary(self) -> str:
        return (f"quotes: gold {self.gold}, predicted {self.predicted}, matched {self.matched}; "
                f"P {self.precision:.3f} R {self.recall:.3f} F1 {self.f1:.3f}; "
                f"speaker accuracy {self.speaker_accuracy:.3f}; kind accuracy {self.kind_accuracy:.3f}")


def load_gold(path: Path, texts: dict[str, str]) -> dict[str, list[GoldQuote]]:
    """Read a gold file and locate every quotation in its article (in order, so a repeated
    quotation is found at its next occurrence)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    gold: dict[str, list[GoldQuote]] = {}
    for name, entries in document.items():
        text = texts[name]
        cursor = 0
        found: list[GoldQuote] = []
        for entry in entries or []:
            spans = []
            for piece in entry.get("pieces") or [entry["text"]]:
                where = find_verbatim(piece, text[cursor:])
                if where is None:
                    where = find_verbatim(piece, text)
                    if where is None:
                        raise ValueError(f"{path.name}: {name}: gold quote not in article: {piece!r}")
                else:
                    where = (where[0] + cursor, where[1] + cursor)
                spans.append(where)
            cursor = spans[0][0]
            found.append(GoldQuote(entry["text"], tuple(spans), entry.get("speaker"), entry["kind"]))
        gold[name] = found
    return gold


def _chars(spans: Iterable[tuple[int, int]]) -> set[int]:
    return {i for s, e in spans for i in range(s, e)}


def score_article(predicted: Sequence[QuoteRecord], gold: Sequence[GoldQuote], label: str = "") -> Score:
    """Match predictions to gold one-to-one by overlap and count what agrees."""
    score = Score(gold=len(gold), predicted=len(predicted))
    pairs = []
    gold_chars = [_chars(g.spans) for g in gold]
    pred_chars = [_chars(p.pieces) for p in predicted]
    for gi, gc in enumerate(gold_chars):
        for pi, pc in enumerate(pred_chars):
            shared = len(gc & pc)
            if shared and shared * 2 >= min(len(gc), len(pc)):
                pairs.append((shared / max(len(gc | pc), 1), gi, pi))
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    for _, gi, pi in sorted(pairs, reverse=True):
        if gi in used_gold or pi in used_pred:
            continue
        used_gold.add(gi)
        used_pred.add(pi)
        score.matched += 1
        g, p = gold[gi], predicted[pi]
        if g.speaker == p.speaker:
            score.speaker_right += 1
        else:
            score.errors.append(f"{label}: speaker {p.speaker!r} (via {p.resolved_by} {p.speaker_mention!r}) "
                                f"should be {g.speaker!r}: {g.text[:60]!r}")
        if g.kind == p.kind:
            score.kind_right += 1
        else:
            score.errors.append(f"{label}: kind {p.kind} should be {g.kind}: {g.text[:60]!r}")
    for gi, g in enumerate(gold):
        if gi not in used_gold:
            score.errors.append(f"{label}: missed {g.text[:70]!r}")
    for pi, p in enumerate(predicted):
        if pi not in used_pred:
            score.errors.append(f"{label}: spurious {p.text[:70]!r}")
    return score


def score_gold_file(gold_path: Path, base: Path, registry: Registry) -> Score:
    """Extract quotes from every article a gold file names (paths relative to ``base``)."""
    names = list((yaml.safe_load(gold_path.read_text(encoding="utf-8")) or {}).keys())
    texts: dict[str, str] = {}
    collector = Collector()
    for name in names:
        text = read_article_text(base / name, name, collector)
        if text is None:
            raise ValueError(f"cannot read {name}: {collector.diagnostics}")
        texts[name] = text
    gold = load_gold(gold_path, texts)
    total = Score()
    for name in names:
        text = texts[name]
        parsed = parse_article(text, extra_noise=_manifest_noise(base, name))
        predicted = extract_quotes(text, parsed.paragraphs, registry, name)
        total.add(score_article(predicted, gold[name], name))
    return total


def _manifest_noise(base: Path, name: str) -> tuple[str, ...]:
    """Noise lines the seeds manifest lists for an article, so scoring parses like a build."""
    manifest = base / Path(name).parent / "manifest.yaml"
    if not manifest.is_file():
        return ()
    data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    for entry in data.get("sources", []):
        if entry.get("file") == Path(name).name:
            return tuple(entry.get("noise") or ())
    return ()


def main(argv: Sequence[str]) -> int:
    registry = load_actors(ROOT / "actors.yaml", "actors.yaml", Collector())
    golds = [Path(a).resolve() for a in argv] or [ROOT / "tests/gold/quotes.yaml", ROOT / "tests/articles/gold.yaml"]
    for gold_path in golds:
        base = ROOT if gold_path.name == "quotes.yaml" else gold_path.parent
        reg = registry if base == ROOT else load_actors(base / "actors.yaml", "actors.yaml", Collector())
        score = score_gold_file(gold_path, base, reg)
        print(f"{gold_path.relative_to(ROOT)}: {score.summary()}")
        for error in score.errors:
            print("   ", error)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
