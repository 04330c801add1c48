"""Benchmark: building every PDF product against WeasyPrint alone rendering the same HTML.

Not a test. Run from the project folder::

    .venv/bin/python benchmarks/pdf_bench.py [--repeat 3] [--config config.yaml]

It times, in one run and after one warm-up render:

* ``build 1 process``: ``make-brief build --pdf-only --jobs 1`` in-process (gather and verify
  every citation, shape the contexts, render every PDF including the handouts' fitting
  attempts, write ``out/`` atomically);
* ``build N processes``: the same with one render process per core;
* ``WeasyPrint alone``: plain ``weasyprint.HTML(string=...).write_pdf(...)``, one process,
  with the PDF options the build used for each, on exactly the HTML files the build printed (each brief, each
  handout as printed, the book's cover and contents, matrix parts and page-number folio; the
  book's briefs are the briefs already counted, bound rather than laid out again).

Each timed build is forced (nothing reused from the previous one) and starts without the
book's cached parts and folio.

The ratios are build time over WeasyPrint-alone time (lower is better; the target is at most
1.2 in one process and below 1.0 with every core). Each figure is the best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import io
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from briefing.build import build, gather, render_pdfs  # noqa: E402
from briefing.config import load_config  # noqa: E402
from briefing import pdf  # noqa: E402
from briefing.pdf import default_workers  # noqa: E402
from briefing.rendering import brief_view, make_environment  # noqa: E402


def best_of(repeat: int, action) -> float:
    """The shortest wall-clock time of ``repeat`` calls of ``action``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=ROOT / "config.yaml")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import weasyprint

    config = load_config(args.config.resolve())
    project = gather(config)
    views = [brief_view(project.briefs[i], project.sources, project.registry) for i in sorted(project.briefs)]
    env = make_environment([config.templates])
    # The warm-up (fonts, imports, caches) also records every document the build printed, in
    # the version printed: each brief and handout, the book's opening, matrix parts and folio.
    printed: list[tuple[str, str, bool]] = []
    run_job = pdf.run_job

    def recording_run_job(job):
        outcome = run_job(job)
        printed.append((outcome.path, outcome.html, job.tagged))
        return outcome

    pdf.run_job = recording_run_job
    try:
        shutil.rmtree(config.project / ".cache" / "book-parts", ignore_errors=True)
        outcomes = render_pdfs(views, config, env, workers=1)
    finally:
        pdf.run_job = run_job
    base = config.project.as_uri() + "/"
    workers = default_workers()

    def weasyprint_alone() -> None:
        for _, html, tagged in printed:
            weasyprint.HTML(string=html, base_url=base).write_pdf(
                io.BytesIO(), pdf_variant=config.pdf_variant if tagged else None, pdf_tags=tagged)

    def cold_build(processes: int) -> None:
        # Every PDF rendered again, and the book's own parts and folio too (kept in .cache/).
        shutil.rmtree(config.project / ".cache" / "book-parts", ignore_errors=True)
        build(config, html=False, out=out, workers=processes, force=True)

    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "out"
        alone = best_of(args.repeat, weasyprint_alone)
        one = best_of(args.repeat, lambda: cold_build(1))
        many = best_of(args.repeat, lambda: cold_build(workers))

    attempts = sum(o.attempts for o in outcomes)
    print("printed:", ", ".join(path for path, _, _ in printed))
    print(f"{len(views)} profiles, {len(outcomes)} PDFs from {len(printed)} printed documents "
          f"({sum(o.pages for o in outcomes)} pages; {attempts} layouts including handout fitting)")
    print(f"WeasyPrint alone, 1 process:      {alone:6.2f} s")
    print(f"make-brief build, 1 process:      {one:6.2f} s   ratio {one / alone:.2f}x (target <= 1.20)")
    print(f"make-brief build, {workers} processes:    {many:6.2f} s   ratio {many / alone:.2f}x (target < 1.00)")


if __name__ == "__main__":
    main()
