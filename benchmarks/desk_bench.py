"""Benchmark (not a test): the build engine on a synthetic desk of 200 profiles over 5,000 articles.

Prints, in one run, on this machine's cores:
- the full build (HTML and every PDF) and its peak memory (largest single process);
- a no-op rebuild in a fresh process;
- rebuilds after editing one profile, one cited article, and the shared brief template;
- successive one-profile edits under ``serve``, each timed from the edit to the rebuilt site
  being served (the build number the preview polls changes once ``out/`` is swapped);
- harvest throughput over the desk's articles, cold (no cache);
- MkDocs building 200 comparable Markdown pages, against make-brief's HTML-only build;
- WeasyPrint alone rendering the same print HTML one file after another in one process,
  against make-brief's full PDF build.

    .venv/bin/pip install -e '.[bench]'
    .venv/bin/python benchmarks/desk_bench.py [--profiles 200] [--articles 5000] [--no-book]

Every make-brief step runs as its own command, as a user would run it.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from site_bench import generate, markdown_twin  # noqa: E402


def run(command: list[str], cwd: Path) -> tuple[float, str]:
    """Run a command; its wall time and standard output (exits on failure)."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return elapsed, done.stdout


def peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def append_line(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def weasyprint_alone(project: Path) -> tuple[float, int]:
    """Render, one after another in this process, the print HTML each of make-brief's PDFs was made from.

    That is each full brief, each handout as printed (the candidate that fitted) and the
    briefing book's own pages (cover and contents, the matrix's parts); the book's briefs are those same
    briefs, bound rather than laid out again.
    """
    import json

    import weasyprint

    from briefing.binding import printed_layout
    from briefing.build import font_faces, gather, pdf_jobs, readable_folders
    from briefing.config import load_config
    from briefing.products import BOOK_PDF, BookLengths, book_part_jobs
    from briefing.rendering import brief_view, make_environment

    config = load_config(project / "config.yaml")
    state = gather(config)
    views = [brief_view(state.briefs[i], state.sources, state.registry) for i in sorted(state.briefs)]
    env = make_environment([config.templates])
    states = list((project / ".cache").glob("build-*.json"))
    meta = next((json.loads(s.read_text())["meta"] for s in states if BOOK_PDF in json.loads(s.read_text())["meta"]),
                {})
    documents = []
    for job in pdf_jobs(views, config, env):
        omitted = meta.get(job.path, {}).get("omitted", [])
        chosen = next((c for c in job.candidates if list(c.omitted) == list(omitted)), job.candidates[0])
        documents.append(chosen.html)
    faces = font_faces()
    layouts = [printed_layout((project / "out" / view.pdf).read_bytes()) for view in views]
    lengths = meta[BOOK_PDF]["lengths"]
    parts = book_part_jobs(views, layouts, BookLengths.from_meta(lengths), config, env, faces,
                           readable_folders(config, faces))
    documents.extend(part.candidates[0].html for part in parts)
    started = time.perf_counter()
    for html in documents:
        weasyprint.HTML(string=html, base_url=project.as_uri() + "/").write_pdf(
            pdf_variant=config.pdf_variant, pdf_tags=True)
    return time.perf_counter() - started, len(documents)


class ServeSession:
    """``make-brief serve`` on the desk, as a user runs it while editing."""

    def __init__(self, make_brief: str, project: Path, extra: tuple[str, ...] = ()) -> None:
        import re
        import threading

        self.process = subprocess.Popen([make_brief, "serve", "--port", "0", *extra], cwd=project,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        self.lines: list[str] = []
        ready = threading.Event()

        def read() -> None:
            for line in self.process.stderr:
                self.lines.append(line.rstrip())
                if line.startswith("watching "):
                    ready.set()
            ready.set()

        threading.Thread(target=read, daemon=True).start()
        if not ready.wait(600) or self.process.poll() is not None:
            sys.exit("serve did not start:\n" + "\n".join(self.lines[-20:]))
        address = next(m.group(1) for line in self.lines if (m := re.search(r"at (http://[^ ]+/)", line)))
        self.version_url = address + "__make-brief/version"
        time.sleep(1.0)  # let the watcher settle before the first edit

    def version(self) -> str:
        import urllib.request

        with urllib.request.urlopen(self.version_url, timeout=5) as response:
            return response.read().decode()

    def time_edit(self, edit) -> tuple[float, str]:
        """Seconds from an edit to the rebuilt site being served, and what serve said of the rebuild."""
        before, seen = self.version(), len(self.lines)
        started = time.perf_counter()
        edit()
        while self.version() == before:
            if time.perf_counter() - started > 300 or self.process.poll() is not None:
                sys.exit("serve did not rebuild:\n" + "\n".join(self.lines[-20:]))
            time.sleep(0.025)  # a browser polls every 0.5 s; polling hard would slow the build it times
        elapsed = time.perf_counter() - started
        said = next((line for line in self.lines[seen:] if line.startswith(("built", "build failed"))), "")
        return elapsed, said

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(30)


def serve_edits(make_brief: str, project: Path, profile: Path, rounds: int = 5) -> dict[str, list[tuple[float, str]]]:
    """Times, under one ``serve`` session, of successive edits of one profile: its summary, then its title.

    A summary shows on the brief's own pages; a title also on the home page, the timeline's
    filters, the stances page, every source page that cites the brief and the book's contents.
    """
    session = ServeSession(make_brief, project)
    try:
        timings: dict[str, list[tuple[float, str]]] = {"summary": [], "title": []}
        for number in range(rounds):
            timings["summary"].append(session.time_edit(
                lambda number=number: append_line(profile, "summary: \"", f"summary: \"Served edit {number}. ")))
            time.sleep(0.5)
        for number in range(rounds):
            timings["title"].append(session.time_edit(
                lambda number=number: append_line(profile, "title: \"", f"title: \"({number}) ")))
            time.sleep(0.5)
        return timings
    finally:
        session.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=200)
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    bin_dir = Path(sys.executable).parent
    make_brief = str(bin_dir / "make-brief")
    folder = Path(tempfile.mkdtemp(prefix="make-brief-desk-"))
    project = folder / "brief"
    print(f"machine: {os.cpu_count()} cores; desk: {args.profiles} profiles over {args.articles} articles")
    try:
        briefs = generate(project, args.profiles, args.articles)
        markdown_twin(folder / "mkdocs", briefs)

        html_full, _ = run([make_brief, "build", "--html-only", "--quiet", "--out", "site-only"], project)
        full, _ = run([make_brief, "build", "--quiet"], project)
        peak = peak_child_mb()
        noop, out = run([make_brief, "build", "--quiet"], project)
        assert out.startswith("up to date"), out
        append_line(sorted((project / "profiles").glob("*.yaml"))[len(briefs) // 2], "summary: \"",
                    "summary: \"Edited. ")
        one_profile, out_profile = run([make_brief, "build", "--quiet"], project)
        one_profile_html, out_profile_html = run([make_brief, "build", "--html-only", "--quiet", "--out", "site-only"],
                                                 project)
        cited = briefs[0]["sources"][0]["id"]
        article = project / "seeds" / f"{cited[1:]}.txt"
        append_line(article, "\n\n", "\n\nAn added paragraph of reporting.\n\n")
        one_article, out_article = run([make_brief, "build", "--quiet"], project)
        template = project / "templates"
        template.mkdir(exist_ok=True)
        from briefing.rendering import packaged_templates
        shutil.copy(packaged_templates() / "brief.html", template / "brief.html")
        append_line(template / "brief.html", "{% endblock %}", "<!-- edited -->{% endblock %}")
        shared_template, out_template = run([make_brief, "build", "--quiet"], project)

        served = serve_edits(make_brief, project, sorted((project / "profiles").glob("*.yaml"))[len(briefs) // 3])

        started = time.perf_counter()
        run([make_brief, "harvest", "--no-cache", "--format", "jsonl", "--out", str(folder / "harvest.jsonl")],
            project)
        harvest_seconds = time.perf_counter() - started
        megabytes = sum(p.stat().st_size for p in (project / "seeds").glob("*.txt")) / 1e6

        mkdocs = None
        if shutil.which("mkdocs", path=str(bin_dir)):
            mkdocs, _ = run([str(bin_dir / "mkdocs"), "build", "--quiet"], folder / "mkdocs")
        alone, documents = weasyprint_alone(project)
        pdf_build = full - html_full  # the full build less the HTML-only build of the same desk

        print(f"full build (HTML + {documents} PDFs): {full:8.1f} s   peak memory {peak:.0f} MB (largest process)")
        print(f"HTML-only build:                   {html_full:8.1f} s")
        print(f"no-op rebuild (fresh process):     {noop:8.2f} s")
        print(f"after editing one profile:         {one_profile:8.2f} s   {out_profile.strip()}")
        print(f"  the same, HTML only (as serve):  {one_profile_html:8.2f} s   {out_profile_html.strip()}")
        for kind, timings in served.items():
            seconds = sorted(seconds for seconds, _ in timings)
            print(f"one-profile {kind} edit under serve, edit to rebuilt out/ served ({len(timings)} edits): "
                  f"median {seconds[len(seconds) // 2]:.2f} s, best {seconds[0]:.2f} s, worst {seconds[-1]:.2f} s")
            for taken, said in timings:
                print(f"    {taken:5.2f} s   serve: {said}")
        print(f"after editing one cited article:   {one_article:8.2f} s   {out_article.strip()}")
        print(f"after editing a shared template:   {shared_template:8.2f} s   {out_template.strip()}")
        print(f"harvest, cold, one core:           {harvest_seconds:8.1f} s   {megabytes / harvest_seconds:.2f} MB/s "
              f"over {megabytes:.1f} MB")
        if mkdocs:
            print(f"MkDocs, {args.profiles} pages:                {mkdocs:8.1f} s   make-brief HTML-only / MkDocs = "
                  f"{html_full / mkdocs:.2f}x")
        print(f"WeasyPrint alone, sequential:      {alone:8.1f} s   make-brief PDFs (full - HTML-only) / "
              f"WeasyPrint alone = {pdf_build / alone:.2f}x")
    finally:
        if args.keep:
            print(f"kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
