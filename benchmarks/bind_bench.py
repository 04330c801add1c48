"""Benchmark (not a test): binding the briefing book afresh against rebinding some of its parts.

Prints, for one set of book parts:
- a fresh bind (``bind_book``);
- a ``BookBinder`` rebinding one brief for another rendering of the same length, then
  finishing the book (update and finish timed apart);
- the same for a part of another length (a matrix run stands in for a brief: every page
  number, structure key and folio after it moves);
- the same for the opening (written again by qpdf: other bytes, as a new rendering after an
  edit to a title or date would be), alone, and with that brief of another length;
- the opening, a run of the matrix and that brief, as an edit to the brief's title changes
  them; and the opening, every run of the matrix that cites a page after the brief, and the
  brief of another length, as a change in the brief's length does;
- a ``LiveBinder`` round trip (the request, the rebind and the book coming back) for a
  one-part change and for the opening and one brief, and the live process's peak memory.

Every rebound book is checked once against a fresh bind of the same parts (the bytes must
be the same). Each time is the best of ``--repeat`` runs; the median follows in brackets.

    .venv/bin/python benchmarks/bind_bench.py --input bind_input.pkl [--repeat 5]
    .venv/bin/python benchmarks/bind_bench.py --capture bind_input.pkl --config DESK/config.yaml

The input is a pickle of ``(parts, folio)`` as a build hands them to ``Binding``;
``--capture`` builds the project of ``--config`` (PDFs only, forced) to make one, for
example the desk ``desk_bench.py --keep`` leaves behind.
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from briefing import binding  # noqa: E402
from briefing.binding import BookBinder, LiveBinder, bind_book, printed_layout  # noqa: E402


def capture(config_file: Path, output: Path) -> None:
    """Build the project of ``config_file`` and pickle what its book's binding was given into ``output``."""
    from briefing.build import build
    from briefing.config import load_config

    given = []
    original = binding.Binding.__init__

    def keeping(self, parts, folio, live=None):
        given.append((parts, folio))
        original(self, parts, folio, live)

    binding.Binding.__init__ = keeping
    with tempfile.TemporaryDirectory() as folder:
        build(load_config(config_file), html=False, force=True, out=Path(folder) / "out")
    output.write_bytes(pickle.dumps(given[-1]))
    print(f"{output}: {len(given[-1][0])} parts")


def timed(repeat: int, action) -> tuple[str, object]:
    """``action`` run ``repeat`` times: its best and median wall time as text, and its last result."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - started)
    return f"{min(times):6.3f} s  [{statistics.median(times):.3f}]", result


def alternating(parts: list[bytes], others: dict[int, bytes]):
    """Part lists that swap each part ``index`` for ``others[index]`` and back, one call after another."""
    versions = itertools.cycle([[others.get(index, data) for index, data in enumerate(parts)], parts])
    return lambda: next(versions)


def rewritten(data: bytes) -> bytes:
    """The same PDF written again by qpdf, its object streams kept: other bytes (a new file identifier) of
    about the same size, as a new rendering of a part would be."""
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        output = io.BytesIO()
        pdf.save(output)
        return output.getvalue()


def matrix_runs_citing_after(parts: list[bytes], layouts: list, index: int) -> list[int]:
    """The indices of the matrix runs that cite a page of a brief after part ``index``.

    A run holds only stand-ins for the briefs' positions tables; a brief (and the opening)
    holds a ``brief-`` anchor.
    """
    briefs = {name.removeprefix("brief-"): number for number in range(1, len(parts))
              for name in layouts[number].anchors if name.startswith("brief-")}
    runs = range(1, min(briefs.values()))
    return [run for run in runs if any(briefs.get(name.removesuffix("-positions"), 0) > index
                                       for name in layouts[run].anchors)]


def rebinding(label: str, binder: BookBinder, parts: list[bytes], folio: bytes, others: dict[int, bytes],
              repeat: int) -> None:
    """Time rebinding each part ``index`` of a book bound afresh from ``parts`` as ``others[index]`` and back,
    and finishing the book.

    Afresh, so that what earlier measurements left behind does not wear the book out (see ``WORN_OUT``).
    """
    binder.close()
    binder.update(parts, folio)
    next_parts = alternating(parts, others)
    updates, finishes = [], []
    for _ in range(repeat):
        changed = next_parts()
        started = time.perf_counter()
        assert binder.update(changed, folio) == sorted(others), "the parts should have been rebound in place"
        updated = time.perf_counter()
        data = binder.finish()
        updates.append(updated - started)
        finishes.append(time.perf_counter() - updated)
    assert data == bind_book(changed, folio), "a rebound book must be the bytes of a fresh bind"
    totals = [update + finish for update, finish in zip(updates, finishes)]
    print(f"{label}: {min(totals):6.3f} s  [{statistics.median(totals):.3f}]"
          f"  (update {min(updates):.3f}, finish {min(finishes):.3f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, help="a pickle of (parts, folio)")
    parser.add_argument("--capture", type=Path, help="build --config and write its binding input here")
    parser.add_argument("--config", type=Path)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.capture:
        if not args.config:
            parser.error("--capture needs --config")
        capture(args.config, args.capture)
        return
    if not args.input:
        parser.error("give --input (or --capture with --config)")
    parts, folio = pickle.loads(args.input.read_bytes())
    layouts = [printed_layout(data) for data in parts]
    lengths = [layout.pages for layout in layouts]
    # A brief from the last third of the book, so that parts follow it; its stand-ins are
    # another brief of its length (or, without one, itself written again) and the smallest
    # part of another length.
    index = len(parts) * 2 // 3
    alike = [i for i in range(1, len(parts)) if lengths[i] == lengths[index] and parts[i] != parts[index]]
    same = parts[alike[0]] if alike else rewritten(parts[index])
    other = min((i for i in range(1, len(parts)) if lengths[i] != lengths[index]), key=lambda i: len(parts[i]))
    print(f"{len(parts)} parts, {sum(lengths)} pages; rebinding part {index} ({lengths[index]} pages) as "
          f"{f'part {alike[0]}' if alike else 'itself written again'} or as part {other} ({lengths[other]} pages)")

    text, fresh = timed(args.repeat, lambda: bind_book(parts, folio))
    print(f"fresh bind: {text}  ({len(fresh) / 1e6:.1f} MB)")

    with BookBinder() as binder:
        rebinding("rebind one brief, same length, and finish", binder, parts, folio, {index: same}, args.repeat)
        rebinding("rebind one brief, another length, and finish", binder, parts, folio, {index: parts[other]},
                  args.repeat)
        opening = rewritten(parts[0])
        rebinding("rebind the opening and finish", binder, parts, folio, {0: opening}, args.repeat)
        rebinding("rebind the opening and one brief, another length, and finish", binder, parts, folio,
                  {0: opening, index: parts[other]}, args.repeat)
        rebinding("rebind the opening, a matrix run and one brief, same length, and finish", binder, parts,
                  folio, {0: opening, 1: rewritten(parts[1]), index: same}, args.repeat)
        runs = matrix_runs_citing_after(parts, layouts, index)
        rebinding(f"rebind the opening, {len(runs)} matrix runs and one brief, another length, and finish", binder,
                  parts, folio, {0: opening, **{run: rewritten(parts[run]) for run in runs}, index: parts[other]},
                  args.repeat)

    with LiveBinder() as live:
        text, _ = timed(1, lambda: live.bind(parts, folio))
        print(f"live binder, first request (every part sent, bound afresh): {text}")
        # New bytes each time, as after an edit: the process holds only the last request's parts.
        for label, others in (("one brief changed", {index: rewritten(same)}),
                              ("the opening and one brief changed", {0: opening, index: rewritten(same)})):
            next_parts = alternating(parts, others)
            sent = live.bytes_sent
            text, _ = timed(args.repeat, lambda: live.bind(next_parts(), folio))
            per_request = (live.bytes_sent - sent) / args.repeat
            print(f"live binder, {label}: {text}  ({per_request / 1e3:.0f} kB sent per request)")
        print(f"live binder process, peak memory: {live.peak_memory / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
