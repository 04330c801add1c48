"""The build, top to bottom: gather and verify everything in memory, render, then swap into ``out/``.

Nothing is written until every source, profile and citation has passed; the output is
written to a temporary folder beside ``out/`` and swapped in whole, so a failed build
leaves the previous output as it was.
"""

from __future__ import annotations

import re
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from .actors import Registry, load_actors
from .buildcache import BuildState, Fingerprints, JsonStore, PartCache, RenderMemo, digest, key_of
from .assessment import topic_hits, topic_terms, unused_quotes
from .citations import Readings, VerifiedBrief, verify_profile
from .config import Config
from .errors import Collector, Diagnostic, RenderError, UsageError
from .memory import cycle_collection_paused
from .output import (MARKER_TEXT, OUTPUT_MARKER, PDF_PRODUCTS, BuildResult, OutputSurvey, PdfReport, StagedOutput,
                     survey_output)
from .profiles import Profile, load_profiles
from .rendering import BriefView, FontFace, brief_view, font_faces, make_environment, packaged_templates
from .site import site_pages
from .sources import Source, display_path, load_sources
from .workspace import Workspace
from .yamlfile import DocumentCache, suggest

if TYPE_CHECKING:
    from .binding import Binding, PrintedLayout
    from .pdf import PdfJob, PdfOutcome, Rendering
    from .products import BookLengths
    from .progress import Progress

@dataclass(frozen=True)
class Project:
    """Everything the build knows, loaded and verified."""

    config: Config
    sources: dict[str, Source]
    registry: Registry
    profiles: dict[str, Profile]
    briefs: dict[str, VerifiedBrief]
    warnings: tuple[Diagnostic, ...]
    readings: Readings

    def coverage(self) -> list[Diagnostic]:
        """One note per relevant attributed quote in the sources that a profile does not use."""
        notes = []
        quotes_by_source = {sid: self.readings.quotes(sid) for sid in sorted(self.sources)}
        for profile_id, brief in sorted(self.briefs.items()):
            spans: dict[str, list[tuple[int, int]]] = {}
            for citation in brief.citations():
                spans.setdefault(citation.source, []).append((citation.start, citation.end))
            for record in unused_quotes(brief.profile, quotes_by_source, self.sources, self.registry, spans):
                shown = record.text if len(record.text) <= 90 else record.text[:87] + "…"
                notes.append(Diagnostic(brief.profile.file, None, "quotes",
                                        f'not used: "{shown}" ({self.registry[record.speaker].name}, '
                                        f"{record.source} paragraph {record.paragraph})", "note"))
        return notes


def gather(config: Config, cache: bool = True, workspace: Workspace | None = None) -> Project:
    """Load sources, actors and profiles and verify every citation; raise on any error.

    With ``cache``, the loaded YAML files are kept in ``.cache/documents.sqlite`` and what
    the extraction stage reads in each cited article in ``.cache/readings.sqlite``, each
    reused while its file is unchanged (``check`` passes False: it writes nothing). A
    ``workspace`` kept from an earlier build hands back every stage whose inputs are unchanged.
    """
    workspace = workspace or Workspace()
    collector = Collector()
    documents = DocumentCache(config.project / ".cache" / "documents.sqlite" if cache else None)
    try:
        def read_sources() -> tuple[dict[str, Source], frozenset[str]]:
            unavailable: set[str] = set()
            return load_sources(config.seeds, config.project, collector, unavailable, documents), frozenset(unavailable)

        sources, unavailable = workspace.recall(
            "sources", read_sources, collector=collector,
            equal=(config.seeds, config.project, workspace.files.of_folder(config.seeds)))
        actors_display = display_path(config.actors, config.project)
        registry = workspace.recall(
            "actors", lambda: load_actors(config.actors, actors_display, collector), collector=collector,
            equal=(config.actors, actors_display, workspace.files.find(config.actors)))
        profiles = load_profiles(config.profiles, config.project, registry, sources, config.marking, collector,
                                 unavailable, documents, workspace)
    finally:
        documents.close()
    collector.raise_if_errors()
    store = JsonStore(config.project / ".cache" / "readings.sqlite" if cache else None, "readings")
    readings = Readings(sources, registry, store)
    try:
        briefs = {pid: workspace.recall("verified", partial(verify_profile, profile, sources, collector, registry,
                                                            readings),
                                        same=(profile, sources, registry), collector=collector)
                  for pid, profile in sorted(profiles.items())}
    finally:
        store.close()
        readings.store = None  # later readings (coverage) are computed afresh
    collector.raise_if_errors()
    for profile in profiles.values():
        workspace.recall("stale", partial(warn_if_stale, profile, sources, registry, collector),
                         same=(profile, sources, registry), collector=collector)
    return Project(config, sources, registry, profiles, briefs, tuple(collector.warnings), readings)


STALE_MIN_HITS = 2


def warn_if_stale(profile: Profile, sources: dict[str, Source], registry: Registry, collector: Collector) -> None:
    """Warn about articles newer than the brief that match its topic but are not cited."""
    if not (profile.topic.keywords or profile.topic.places or profile.topic.actors):
        return
    names = [n for a in profile.topic.actors if a in registry for n in registry[a].names]
    terms = topic_terms(profile.topic.keywords, profile.topic.places, names)
    cited = set(profile.cited_sources())
    for source in sorted(sources.values(), key=lambda s: s.id):
        if source.id in cited or source.date is None or source.date <= profile.as_of:
            continue
        hits = topic_hits(source.text, terms)
        if len(hits) >= STALE_MIN_HITS:
            collector.warning(profile.file, profile.as_of_line, "as_of",
                              f"source {source.id!r} ({source.date.isoformat()}) is newer than this brief and matches "
                              f"its topic ({', '.join(hits[:4])}) but is not cited; review it "
                              f"(make-brief harvest --profile {profile.id})")


def select(project: Project, wanted: tuple[str, ...]) -> list[str]:
    """The profile ids to build: all of them, or the ones named (each must exist)."""
    if not wanted:
        return sorted(project.briefs)
    unknown = [w for w in wanted if w not in project.briefs]
    if unknown:
        raise UsageError(f"no profile {unknown[0]!r}{suggest(unknown[0], sorted(project.briefs))}; "
                         f"profiles: {', '.join(sorted(project.briefs))}")
    return sorted(set(wanted))


def build(config: Config, *, wanted: tuple[str, ...] = (), html: bool = True, pdf: bool = True,
          out: Path | None = None, products: tuple[str, ...] = PDF_PRODUCTS,
          workers: int | None = None, force: bool = False, progress: Progress | None = None,
          workspace: Workspace | None = None, survey: OutputSurvey | None = None) -> BuildResult:
    """Build the site and the PDF ``products`` for ``wanted`` profiles (all when empty) into ``out``.

    Only outputs whose inputs changed since the last build into the same folder are
    rendered; the rest are taken from that build (``force`` renders everything).
    ``workers`` is the number of processes that render PDFs (default: one per core).
    A ``workspace`` kept from build to build (``serve`` keeps one) also spares reading,
    verifying and preparing again what did not change. A ``survey`` the caller made with
    the same options (see :func:`output.survey_output`) is not made again.
    """
    workspace = workspace or Workspace()
    workspace.begin_build()
    succeeded = False
    try:
        result = _build(workspace.canonical(config), wanted, html, pdf, out, products, workers, force, progress,
                        workspace, survey)
        succeeded = True
        return result
    finally:
        workspace.finish_build(succeeded)


def _build(config: Config, wanted: tuple[str, ...], html: bool, pdf: bool, out: Path | None,
           products: tuple[str, ...], workers: int | None, force: bool, progress: Progress | None,
           workspace: Workspace, survey: OutputSurvey | None) -> BuildResult:
    unknown = sorted(set(products) - set(PDF_PRODUCTS))
    if unknown:
        raise UsageError(f"no PDF product {unknown[0]!r}; products: {', '.join(PDF_PRODUCTS)}")
    if survey is None:
        workspace.wait_for_removal()  # the output the last build replaced is gone before recovery looks
        survey = survey_output(config, wanted=wanted, html=html, pdf=pdf, out=out, products=products, force=force,
                               file_digest=workspace.files.of)
    target, fingerprint, previous, started = survey.target, survey.fingerprint, survey.previous, survey.started
    unchanged = survey.unchanged()
    if unchanged is not None and not (workspace.kept and workspace.empty):
        return unchanged
    prepared = prepare_book(previous, target, config, workspace, workers) \
        if pdf and "book" in products and not wanted else None
    try:
        return _build_stages(config, wanted, html, pdf, target, products, workers, progress, workspace,
                             previous, fingerprint, started)
    finally:
        if prepared is not None:
            prepared.release(workspace)


def _build_stages(config: Config, wanted: tuple[str, ...], html: bool, pdf: bool, target: Path,
                  products: tuple[str, ...], workers: int | None, progress: Progress | None,
                  workspace: Workspace, previous: BuildState | None, fingerprint: str,
                  started: float) -> BuildResult:
    cache_dir = config.project / ".cache"
    # Paused while gathering and rendering the site, not around the PDF stage: its worker
    # processes run with the default.
    with cycle_collection_paused():
        project = gather(config, workspace=workspace)
        ids = select(project, wanted)
        store = JsonStore(cache_dir / "corroboration.sqlite", "corroboration")
        try:
            views = [workspace.recall("view", partial(brief_view, project.briefs[i], project.sources,
                                                      project.registry, store),
                                      same=(project.briefs[i], project.sources, project.registry)) for i in ids]
        finally:
            store.close()
    env = workspace.recall("environment", partial(make_environment, [config.templates]),
                           equal=(config.templates, workspace.files.of_tree(config.templates),
                                  workspace.files.of_tree(packaged_templates())))
    memo = RenderMemo(previous, target, Fingerprints(workspace.fingerprints))
    # PDFs first: they render in worker processes while the web pages are rendered here. The
    # site links to exactly the PDFs this build makes, and indexes their text once they are done.
    # A build of the book alone writes no other PDF: ``pdfs`` is then an empty mapping, so it is
    # told from a build without PDFs by None, not by its truth.
    pdfs = start_pdfs(views, config, env, products, workers, memo, progress, workspace) if pdf else None
    files: dict[str, bytes] = {}
    staged = None
    try:
        if html:
            with cycle_collection_paused():
                files.update(site_pages(views, project.sources, project.registry, config, env,
                                        pdfs=pdfs if pdfs is not None else {},
                                        book=pdfs.book_path if pdfs is not None else None,
                                        memo=memo, workspace=workspace))
        outcomes, book = pdfs.finish() if pdfs is not None else ([], None)
        files.update((outcome.path, outcome.data) for outcome in outcomes)
        # Everything but the book goes into the new output while the book is still being bound.
        staged = StagedOutput(target, memo.on_disk)
        staged.add(files)
        if book:
            outcomes.append(book.result())
            files[outcomes[-1].path] = outcomes[-1].data
            staged.add({outcomes[-1].path: outcomes[-1].data})
        staged.publish(workspace.remove_later if workspace.kept else None)
    except BaseException:
        if pdfs is not None:
            pdfs.cancel()
        if staged is not None:
            staged.discard()
        raise
    workspace.fingerprints = memo.fingerprints.settled()
    if pdfs is not None and workspace.kept and not workspace.pdf_engine_warm:
        pdfs.warm_engine()
        workspace.pdf_engine_warm = True
    BuildState(fingerprint, {path: memo.digests.get(path) or digest(data) for path, data in files.items()}
               | {OUTPUT_MARKER: digest(MARKER_TEXT)},
               memo.keys, memo.meta).save(cache_dir, target)
    return BuildResult(target, tuple(sorted(files)), tuple(views), time.perf_counter() - started,
                       tuple(PdfReport(o.path, o.pages, o.omitted) for o in outcomes),
                       rebuilt=tuple(sorted(memo.rebuilt)), reused=tuple(sorted(memo.reused)))


def render_pdfs(views: list[BriefView], config: Config, env, products: tuple[str, ...] = PDF_PRODUCTS,
                workers: int | None = None, memo: RenderMemo | None = None,
                progress: Progress | None = None) -> list[PdfOutcome]:
    """The PDF products of ``views``, the briefing book last (see :func:`start_pdfs`)."""
    outcomes, book = start_pdfs(views, config, env, products, workers, memo, progress).finish()
    return outcomes + ([book.result()] if book else [])


def start_pdfs(views: list[BriefView], config: Config, env, products: tuple[str, ...] = PDF_PRODUCTS,
               workers: int | None = None, memo: RenderMemo | None = None,
               progress: Progress | None = None, workspace: Workspace | None = None) -> PendingPdfs:
    """The PDF products of ``views``, rendered from the same contexts as the web pages, as they start rendering.

    Jobs are prepared here (templates are cheap); a job whose HTML, metadata and fonts are
    unchanged since the last build is taken from it, the rest are rendered by the ``pdf``
    stage in a pool of ``workers`` processes (default: one per core); the bytes do not
    depend on the number of workers. The briefing book is bound from the full briefs once
    they are rendered (see :meth:`PendingPdfs.finish`).
    """
    from .pdf import default_workers
    from .products import BOOK_PDF

    workers = workers or default_workers()
    inputs = job_inputs(views, config, products, memo, workspace or Workspace()) if memo else {}
    recalled = recall_unchanged_jobs(inputs, memo) if memo else {}
    jobs = pdf_jobs(views, config, env, products, workspace, skip=recalled)
    paths = [path for path, _, _ in pdf_specs(views, products)]
    # Full briefs are rendered for the book even when they are not wanted as files of their own.
    unwanted = set() if "brief" in products else {view.pdf for view in views}
    book_path = BOOK_PDF if "book" in products and views else None
    recalled |= recall_pdf_jobs(jobs, memo)
    # The book's parts an edit changes render beside its briefs, and with them before anything else.
    ahead = book_parts_ahead(views, recalled, config, env, memo, workspace) if book_path and workers > 1 else {}
    rendering = start_pdf_jobs(paths, jobs, workers, memo, recalled, progress, ahead,
                               first=frozenset(view.pdf for view in views) if book_path else frozenset(),
                               inputs=inputs)
    return PendingPdfs(views, config, env, workers, memo, jobs, rendering,
                       wanted=tuple(path for path in paths if path not in unwanted),
                       book_path=book_path, workspace=workspace)


class PendingPdfs(Mapping[str, bytes]):
    """The PDFs of a build while they render: which they are at once, their bytes when they are done.

    As a mapping from path to bytes it answers ``in`` and iteration straight away (the
    pages that link to the PDFs need no more) and waits for the rendering on the first
    look at any bytes (the search index reads their text).

    When the PDFs render in worker processes, a thread of this process collects them as
    they are done, keeps the workers fed and starts binding the book the moment its briefs
    are rendered, while the build renders the web pages; otherwise :meth:`finish` does it.
    """

    def __init__(self, views: list[BriefView], config: Config, env, workers: int, memo: RenderMemo | None,
                 jobs: list, rendering: PendingJobs, wanted: tuple[str, ...], book_path: str | None,
                 workspace: Workspace | None = None) -> None:
        import threading

        self._views, self._config, self._env, self._workers, self._memo = views, config, env, workers, memo
        self._workspace = workspace
        self._jobs = jobs
        self._rendering = rendering
        self.wanted = wanted
        self.book_path = book_path
        self._finished: tuple[list[PdfOutcome], PendingBook | None] | None = None
        self._failure: BaseException | None = None
        self._by_path: dict[str, bytes] | None = None
        self._collecting: threading.Thread | None = None
        if rendering.rendering.pooled:
            self._collecting = threading.Thread(target=self._collect, name="make-brief-pdfs", daemon=True)
            self._collecting.start()

    def _collect(self) -> None:
        try:
            self._finish()
        except BaseException as failure:  # noqa: BLE001 (handed to the thread that asks, see finish)
            self._failure = failure

    def _finish(self) -> None:
        book = None
        if self.book_path:
            # The book needs the full briefs alone: it starts binding while the handouts finish.
            briefs = self._rendering.results([view.pdf for view in self._views])
            book = bind_briefing_book(self._views, briefs, self._config, self._env, self._workers, self._memo,
                                      self._workspace, ahead=self._rendering)
        try:
            self._finished = self._rendering.results(list(self.wanted)), book
            self._rendering.drop_parts_ahead()
        except BaseException:
            if book:
                book.cancel()
            raise

    def finish(self) -> tuple[list[PdfOutcome], PendingBook | None]:
        """The wanted PDFs, once rendered, and the briefing book being bound from them (large ones apart)."""
        if self._collecting is not None:
            self._collecting.join()
            if self._failure is not None:
                raise self._failure
        elif self._finished is None:
            self._finish()
        return self._finished  # type: ignore[return-value]

    def warm_engine(self) -> None:
        """Lay out a brief here, for the workers a long-running process forks later to start warm (see :func:`pdf.warm_up`)."""
        from .pdf import warm_up

        # Every job may have been taken from the last build unprepared: prepare one to lay out.
        jobs = self._jobs or pdf_jobs(self._views[:1], self._config, self._env, ("brief",), self._workspace)
        if jobs:
            warm_up(jobs[0])

    def cancel(self) -> None:
        """Stop rendering and binding: the build failed elsewhere and will write nothing."""
        self._rendering.cancel()
        if self._collecting is not None:
            self._collecting.join()  # it stops at the rendering's end, with the outcomes it has or a failure
        if self._finished is not None and self._finished[1] is not None:
            self._finished[1].cancel()

    def __getitem__(self, path: str) -> bytes:
        if path not in self.wanted:
            raise KeyError(path)
        if self._by_path is None:
            self._by_path = {outcome.path: outcome.data for outcome in self.finish()[0]}
        return self._by_path[path]

    def __contains__(self, path: object) -> bool:
        return path in self.wanted

    def __iter__(self):
        return iter(self.wanted)

    def __len__(self) -> int:
        return len(self.wanted)


@dataclass
class PendingBook:
    """The briefing book: already at hand, or being bound in a process of its own."""

    outcome: PdfOutcome  # its bytes are empty while ``binding`` runs
    binding: Binding | None = None

    def result(self) -> PdfOutcome:
        """The book, waiting for its binding to finish; a failed binding is a RenderError."""
        if self.binding is None:
            return self.outcome
        return replace(self.outcome, data=self.binding.result())

    def cancel(self) -> None:
        """Stop the binding: the build failed elsewhere and will write nothing."""
        if self.binding is not None:
            self.binding.cancel()


def first_guess(briefs: int, runs: int) -> BookLengths:
    """The book's own lengths before any build has measured them: a page for the cover, each part of the
    contents and each run of the matrix (a wrong guess costs one more rendering)."""
    from .products import BookLengths, contents_part_count

    return BookLengths((1,) * (1 + contents_part_count(briefs)), (1,) * runs)


def readable_folders(config: Config, faces: tuple[FontFace, ...]) -> tuple[Path, ...]:
    """The folders a PDF may read from: the project and the font packages."""
    return (config.project, *sorted({face.path.parent for face in faces}))


def font_stamp(faces: tuple[FontFace, ...]) -> list[tuple[str, int]]:
    """What a PDF's cache key knows of the fonts it embeds: each file and its size."""
    return [(str(face.path), face.path.stat().st_size) for face in faces]


def recall_pdf_jobs(jobs: list, memo: RenderMemo | None) -> dict[str, PdfOutcome]:
    """The outcomes of the jobs whose HTML, metadata and fonts are unchanged since the previous build, by path
    (what their inputs changed did not change them)."""
    if memo is None:
        return {}
    fonts = font_stamp(font_faces())
    outcomes: dict[str, PdfOutcome] = {}
    for job in jobs:
        data = memo.recall(job.path, memo.key("pdf", job, fonts), needs_meta=True)
        if data is not None:
            outcomes[job.path] = reused_outcome(job.path, data, memo.meta[job.path], job.candidates[0].html)
    return outcomes


def reused_outcome(path: str, data: bytes, meta: dict, html: str) -> PdfOutcome:
    """The outcome of a PDF taken from the previous build, as its recorded ``meta`` describes it."""
    from .pdf import PdfOutcome

    return PdfOutcome(path, data, int(meta["pages"]), tuple(meta["omitted"]), html, 0, dict(meta.get("anchors", {})))


def start_pdf_jobs(paths: list[str], jobs: list, workers: int, memo: RenderMemo | None,
                   recalled: dict[str, PdfOutcome], progress: Progress | None = None,
                   ahead: dict[str, PdfJob] | None = None, first: frozenset[str] = frozenset(),
                   inputs: dict[str, str] | None = None) -> PendingJobs:
    """The outcome of each PDF of ``paths``, once asked for: ``recalled`` from the previous build (see
    :func:`recall_unchanged_jobs` and :func:`recall_pdf_jobs`), else rendered from its job in ``jobs``; the jobs
    to render have started when this returns. The ``inputs`` of each (see :func:`job_inputs`) are noted for
    the next build.

    The book's parts ``ahead`` (by cache key, see :func:`book_parts_ahead`) render in the same
    pool; they and the jobs whose path is in ``first`` (the briefs the book waits for) start first.
    """
    from .pdf import Rendering

    outcomes = dict(recalled)  # the rendered ones join them; the caller's stays as the previous build gave it
    pending = [job for job in jobs if job.path not in outcomes]
    parts = list((ahead or {}).values())
    rendering = Rendering(pending + parts, workers, progress, shown=len(pending),
                          first=first | {part.path for part in parts})
    if memo:
        for path in recalled:  # reused, perhaps from other inputs that made the same job: noted with these
            memo.meta[path] = {**memo.meta[path], "inputs": (inputs or {}).get(path)}
    return PendingJobs(paths, outcomes, pending, rendering, memo,
                       {key: len(pending) + number for number, key in enumerate(ahead or {})}, inputs or {})


@dataclass
class PendingJobs:
    """PDF jobs, the unchanged ones taken from the last build and the rest being rendered."""

    paths: list[str]  # every job's, in job order
    outcomes: dict[str, PdfOutcome]
    rendering_jobs: list  # the jobs ``rendering`` renders, in its list (the book's parts ahead follow them)
    rendering: Rendering
    memo: RenderMemo | None
    ahead: dict[str, int] = field(default_factory=dict)  # a book part's key -> its index in ``rendering``
    inputs: dict[str, str] = field(default_factory=dict)  # a job's path -> the key of its inputs

    def part(self, key: str) -> PdfOutcome | None:
        """The book's part of cache key ``key`` if it was rendered ahead (waiting for it), else None."""
        index = self.ahead.get(key)
        return None if index is None else self.rendering.outcomes([index])[0]

    def results(self, paths: list[str] | None = None) -> list[PdfOutcome]:
        """The outcomes of the jobs for ``paths`` (default: every job, in job order), waiting for those being rendered."""
        wanted = self.paths if paths is None else paths
        missing = [path for path in wanted if path not in self.outcomes]
        if missing:
            index = {job.path: number for number, job in enumerate(self.rendering_jobs)}
            for outcome in self.rendering.outcomes([index[path] for path in missing]):
                self.outcomes[outcome.path] = outcome
                if self.memo:
                    self.memo.rendered(outcome.path, {"pages": outcome.pages, "omitted": list(outcome.omitted),
                                                      "anchors": outcome.anchors,
                                                      "inputs": self.inputs.get(outcome.path)})
        return [self.outcomes[path] for path in wanted]

    def cancel(self) -> None:
        self.rendering.cancel()

    def drop_parts_ahead(self) -> None:
        """Let go of what still renders once every wanted job is done: book parts rendered ahead that the
        book did not need (its briefs' layouts changed), or that a build without the book never asked for."""
        self.rendering.abandon()


def bind_briefing_book(views: list[BriefView], briefs: list[PdfOutcome], config: Config, env, workers: int,
                       memo: RenderMemo | None, workspace: Workspace | None = None,
                       ahead: PendingJobs | None = None) -> PendingBook:
    """The briefing book: its own pages rendered with the pages where each brief falls, then bound.

    The book's own parts (the cover, the parts of the contents, runs of the matrix) are numbered from guessed
    lengths (the previous build's); when a part comes out longer or shorter, the parts
    are numbered again and those whose pages change are rendered again. Each part, and the
    folio, is kept in the project's cache under the key of its HTML, so an edit renders
    only the parts it changes, and takes those rendered ``ahead`` of its briefs (see
    :func:`book_parts_ahead`) when they turn out to be the ones needed. A ``workspace``
    hands back the parts' jobs and lengths worked out for the same briefs in an earlier build.
    """
    from .binding import Binding, PrintedLayout, printed_layout
    from .pdf import PdfOutcome, render_jobs
    from .products import BOOK_PDF

    workspace = workspace or Workspace()
    # What the book needs of each brief was noted when it was rendered (an older build's may lack it).
    layouts = [PrintedLayout(brief.pages, brief.anchors) if brief.anchors else printed_layout(brief.data)
               for brief in briefs]
    cache = PartCache(config.project / ".cache" / "book-parts")
    lengths = guessed_book_lengths(views, memo)
    fonts = tuple(font_stamp(font_faces()))
    for _ in range(4):
        parts, folio, keys = book_parts(views, layouts, lengths, config, env, workspace)
        key = memo.key("book", parts, folio, [digest(brief.data) for brief in briefs], fonts) if memo else ""
        data = memo.recall(BOOK_PDF, key, needs_meta=True) if memo else None
        if data is not None:
            _fill_live_binder(workspace, [cache.get(k) for k in keys], briefs)
            return PendingBook(PdfOutcome(BOOK_PDF, data, int(memo.meta[BOOK_PDF]["pages"]), (),
                                          parts[0].candidates[0].html, 0))
        rendered = {k: cache.get(k) for k in keys}
        missing = [(k, job) for job, k in zip((*parts, folio), keys) if rendered[k] is None]
        for k, _ in missing:
            outcome = ahead.part(k) if ahead else None
            if outcome is not None:
                rendered[k] = cache.put(k, outcome.data)
        missing = [(k, job) for k, job in missing if rendered[k] is None]
        for (k, _), outcome in zip(missing, render_jobs([job for _, job in missing], workers)):
            rendered[k] = cache.put(k, outcome.data)
        counts = [workspace.recall("part pages", partial(_page_count, rendered[k]), equal=k) for k in keys[:-1]]
        actual = lengths.recounted(counts)
        if actual == lengths:
            break
        lengths = actual
    else:
        raise RenderError(f"{BOOK_PDF}: the contents do not settle on a length")
    cache.keep(keys)
    binding = Binding([rendered[k] for k in keys[:-1]] + [brief.data for brief in briefs], rendered[keys[-1]],
                      live=workspace.binder)  # type: ignore[arg-type]
    pages = lengths.front + sum(layout.pages for layout in layouts)
    if memo:
        memo.rendered(BOOK_PDF, {"pages": pages, "omitted": [], "lengths": lengths.as_meta(),
                                 "bound": {"parts": keys[:-1], "briefs": [brief.path for brief in briefs],
                                           "folio": keys[-1]}})
    return PendingBook(PdfOutcome(BOOK_PDF, b"", pages, (), parts[0].candidates[0].html, len(missing)), binding)


def guessed_book_lengths(views: list[BriefView], memo: RenderMemo | None) -> BookLengths:
    """How long the book's own parts will be: as long as in the previous build, or a first guess."""
    from .products import BOOK_PDF, BookLengths, matrix_run_count

    previous = memo.previous.meta.get(BOOK_PDF, {}) if memo and memo.previous else {}
    guessed = BookLengths.from_meta(previous.get("lengths"))
    fresh = first_guess(len(views), matrix_run_count(len(views)))
    # The previous build's lengths hold while the book has as many parts (the same number of briefs, near enough).
    if guessed is None or (len(guessed.opening), len(guessed.matrix)) != (len(fresh.opening), len(fresh.matrix)):
        return fresh
    return guessed


def book_parts(views: list[BriefView], layouts: list[PrintedLayout], lengths: BookLengths, config: Config, env,
               workspace: Workspace) -> tuple[list[PdfJob], PdfJob, list[str]]:
    """The book's own parts for briefs laid out as ``layouts`` and parts of ``lengths``, its folio, and the
    cache key of each (the folio's last)."""
    from .products import book_part_jobs, folio_job

    faces = font_faces()
    allowed = readable_folders(config, faces)
    fonts = tuple(font_stamp(faces))
    placed = tuple((layout.pages, tuple(sorted(layout.anchors.items()))) for layout in layouts)
    parts = workspace.recall("book parts", partial(book_part_jobs, views, layouts, lengths, config, env, faces,
                                                   allowed),
                             same=(*views, config, env), equal=(placed, lengths, faces, allowed))
    total = lengths.front + sum(layout.pages for layout in layouts)
    folio = workspace.recall("folio", partial(folio_job, total, config, env, faces, allowed),
                             same=(config, env), equal=(total, faces, allowed))
    keys = [workspace.recall("part key", partial(key_of, job, list(fonts)), same=(job,), equal=fonts)
            for job in (*parts, folio)]
    return parts, folio, keys


def book_parts_ahead(views: list[BriefView], recalled: dict[str, PdfOutcome], config: Config, env,
                     memo: RenderMemo | None, workspace: Workspace | None) -> dict[str, PdfJob]:
    """The book's own parts an edit will need that are not in the cache, by key, worked out before its briefs
    are rendered: from the layouts of the briefs it renders again as they were in the previous build.

    A brief's new title changes the contents and a run of the matrix but seldom where the
    brief's pages fall, so these parts can render beside the brief instead of after it. Should
    the brief come out laid out otherwise, the book renders the parts it needs then, as it would
    have anyway, and these are dropped.
    """
    from .binding import PrintedLayout

    if memo is None or memo.previous is None or workspace is None:
        return {}
    if all(view.pdf in recalled for view in views):
        return {}  # no brief renders again: the book is made from them straight away
    layouts = []
    for view in views:
        outcome = recalled.get(view.pdf)
        if outcome is not None and outcome.anchors:
            layouts.append(PrintedLayout(outcome.pages, outcome.anchors))
            continue
        meta = memo.previous.meta.get(view.pdf) if outcome is None else None
        if not meta or not meta.get("anchors"):
            return {}  # a brief never rendered, or by a version that did not note its layout
        layouts.append(PrintedLayout(int(meta["pages"]), dict(meta["anchors"])))  # type: ignore[call-overload]
    lengths = guessed_book_lengths(views, memo)
    parts, folio, keys = book_parts(views, layouts, lengths, config, env, workspace)
    cache = PartCache(config.project / ".cache" / "book-parts")
    return {key: job for key, job in zip(keys, (*parts, folio)) if not cache.has(key)}


def _fill_live_binder(workspace: Workspace, rendered: list[bytes | None], briefs: list[PdfOutcome]) -> None:
    """Have a live binder that holds no book bind the unchanged one, in the background.

    serve's first build usually finds the book up to date; without this, its first edit
    would send the binder every brief and wait for a binding from nothing.
    """
    from .binding import Binding

    binder = workspace.binder
    if (binder is None or not workspace.kept or binder.holds_a_book  # type: ignore[attr-defined]
            or any(data is None for data in rendered)):
        return
    Binding([*rendered[:-1], *(brief.data for brief in briefs)], rendered[-1], live=binder)  # type: ignore


_DIGEST_NAME = re.compile(r"[0-9a-f]{64}")
_BRIEF_PDF = re.compile(r"pdf/[A-Za-z0-9][A-Za-z0-9_-]*\.pdf")


@dataclass
class PreparedBook:
    """The book the previous build bound, being taken up by a binding process while this build works out its own.

    A build in a fresh process has no binder holding the last book: binding a large book from
    nothing (some 2.5 s at 200 briefs) would start only once its edited briefs are rendered.
    Prepared beside the gathering and rendering instead, the bind that follows rebinds only
    the parts that changed. The binder is this build's own unless the workspace keeps one.
    """

    binder: object  # a binding.LiveBinder
    own: bool
    thread: object  # the threading.Thread preparing it
    cancelled: object  # a threading.Event: set, the preparing stops (or never starts)

    def release(self, workspace: Workspace) -> None:
        """Stop a binder of the build's own, preparing or not, with its preparing thread.

        A kept binder (serve's) goes on taking up the book: the next build's bind waits for it.
        """
        if self.own:
            self.cancelled.set()  # type: ignore[attr-defined]
            self.binder.kill()  # type: ignore[attr-defined]
            self.thread.join()  # type: ignore[attr-defined]
            self.binder.close()  # type: ignore[attr-defined]
            workspace.binder = None


def prepare_book(previous: BuildState | None, target: Path, config: Config, workspace: Workspace,
                 workers: int | None) -> PreparedBook | None:
    """Start a binding process on the book the previous build bound into ``target`` (see :class:`PreparedBook`).

    Only for a book bound apart (see ``binding.PARTS_BOUND_APART``), with a core to spare, whose
    parts are all still where that build left them; the names the build state gives are checked
    before any file is read.
    """
    import threading

    from .binding import PARTS_BOUND_APART, LiveBinder
    from .pdf import default_workers
    from .products import BOOK_PDF

    bound = (previous.meta.get(BOOK_PDF) or {}).get("bound") if previous is not None else None
    if not isinstance(bound, dict) or (workers or default_workers()) < 2:
        return None
    parts, briefs, folio = bound.get("parts"), bound.get("briefs"), bound.get("folio")
    if not (isinstance(parts, list) and isinstance(briefs, list) and isinstance(folio, str)
            and all(isinstance(key, str) and _DIGEST_NAME.fullmatch(key) for key in (*parts, folio))
            and all(isinstance(path, str) and _BRIEF_PDF.fullmatch(path) for path in briefs)
            and len(parts) + len(briefs) > PARTS_BOUND_APART):
        return None
    if workspace.binder is not None and workspace.binder.holds_a_book:  # type: ignore[attr-defined]
        return None
    own = workspace.binder is None
    binder = workspace.binder = workspace.binder or LiveBinder()
    cache = PartCache(config.project / ".cache" / "book-parts")

    cancelled = threading.Event()

    def take_up() -> None:
        try:
            pdfs = [cache.get(key) for key in (*parts, folio)]
            pdfs[len(parts):len(parts)] = [(target / path).read_bytes() for path in briefs]
            if all(data is not None for data in pdfs):
                binder.prepare(pdfs[:-1], pdfs[-1], cancelled)  # type: ignore[attr-defined]
        except (OSError, RenderError):
            pass  # nothing is lost: the bind that follows starts from nothing, as it would have

    thread = threading.Thread(target=take_up, name="make-brief-prepare-book", daemon=True)
    thread.start()
    return PreparedBook(binder, own, thread, cancelled)


def _page_count(data: bytes) -> int:
    from .binding import printed_layout

    return printed_layout(data).pages


def pdf_specs(views: list[BriefView], products: tuple[str, ...] = PDF_PRODUCTS) -> list[tuple[str, BriefView, str]]:
    """(path, view, kind) of each PDF job for ``views``, in the order of :func:`pdf_jobs`; kind is "brief" or "handout"."""
    from .rendering import handout_pdf

    specs = []
    for view in views:
        if "brief" in products or "book" in products:
            specs.append((view.pdf, view, "brief"))
        if "handout" in products:
            specs.append((handout_pdf(view.id), view, "handout"))
    return specs


def pdf_jobs(views: list[BriefView], config: Config, env, products: tuple[str, ...] = PDF_PRODUCTS,
             workspace: Workspace | None = None, skip: Collection[str] = frozenset()) -> list:
    """The PDF jobs for ``views``: each full brief (the book is bound from them) and handout (every candidate),
    but those whose path is in ``skip``.

    A ``workspace`` hands back the very job prepared for the same view in an earlier build.
    """
    from .handout import handout_job
    from .products import brief_job

    workspace = workspace or Workspace()
    faces = font_faces()
    allowed = readable_folders(config, faces)
    prepare = {"brief": brief_job, "handout": handout_job}
    return [workspace.recall(f"{kind} job", partial(prepare[kind], view, config, env, faces, allowed),
                             same=(view, config, env), equal=(faces, allowed))
            for path, view, kind in pdf_specs(views, products) if path not in skip]


def job_inputs(views: list[BriefView], config: Config, products: tuple[str, ...], memo: RenderMemo,
               workspace: Workspace) -> dict[str, str]:
    """The key of what each PDF job is prepared from, by path: its view and kind, the configuration, every
    template file, and the fonts and folders it may read.

    A job is a pure function of these (its HTML is rendered from them by the package's own
    code, which salts every key), so a job whose inputs are unchanged is the job the previous
    build rendered, and need not be prepared to be found unchanged: in a fresh process that
    spares rendering the print HTML of every brief and handout on the desk.
    """
    faces = font_faces()
    templates = (workspace.files.of_tree(config.templates), workspace.files.of_tree(packaged_templates()))
    shared = (config, templates, faces, readable_folders(config, faces), font_stamp(faces))
    return {path: memo.key("pdf job", kind, view, *shared) for path, view, kind in pdf_specs(views, products)}


def recall_unchanged_jobs(inputs: dict[str, str], memo: RenderMemo) -> dict[str, PdfOutcome]:
    """The outcomes of the jobs prepared from exactly the inputs of the previous build (see :func:`job_inputs`),
    by path, without preparing them; their ``html`` is left empty."""
    previous = memo.previous
    if previous is None:
        return {}
    outcomes: dict[str, PdfOutcome] = {}
    for path, made_from in inputs.items():
        meta, key = previous.meta.get(path), previous.rendered.get(path)
        if not meta or meta.get("inputs") != made_from or key is None:
            continue
        data = memo.recall(path, key, needs_meta=True)
        if data is not None:
            outcomes[path] = reused_outcome(path, data, meta, "")
    return outcomes
