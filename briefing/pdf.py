"""PDF stage: print HTML rendered by WeasyPrint, reading only files inside allowed folders.

A PDF product is described by a picklable :class:`PdfJob`, so jobs can be rendered in a
pool of processes; the bytes do not depend on which process renders them or in what order.
A job carries one or more HTML *candidates*, fullest first: the first one that fits in the
job's page limit is the one printed (the one-page handout's fitting loop).

WeasyPrint is imported here alone and only when a PDF is rendered, so commands that
render nothing start fast.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import gc
import io
import multiprocessing
import os
import threading
from collections.abc import Collection
from concurrent.futures import FIRST_COMPLETED, CancelledError, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from .errors import RenderError
from .progress import Progress
from .structure import plain_structure


MAX_JOBS_PER_WORKER = 8


@dataclass(frozen=True)
class PdfMetadata:
    """Document properties; dates come from the brief, never from the clock."""

    title: str
    author: str
    subject: str
    keywords: tuple[str, ...]
    language: str
    date: dt.date


@dataclass(frozen=True)
class Candidate:
    """One version of a product's print HTML, and what it leaves out compared with the fullest.

    ``level`` is the step of the cutting ladder this version stands at: it leaves out every
    element of the fullest version marked ``data-cut="N"`` with N <= level.
    """

    html: str
    omitted: tuple[str, ...] = ()
    level: int = 0


@dataclass(frozen=True)
class PdfJob:
    """Everything needed to render one PDF, in a form that can cross a process boundary."""

    path: str  # output path relative to out/
    candidates: tuple[Candidate, ...]
    metadata: PdfMetadata
    variant: str
    base: Path
    allowed: tuple[Path, ...]
    max_pages: int | None = None  # None: any length; otherwise candidates are tried in turn
    tagged: bool = True  # False only for parts another document marks up (the book's folio)

    @property
    def weight(self) -> int:
        """A rough cost, so the pool can start the longest jobs first."""
        return len(self.candidates[0].html)


@dataclass(frozen=True)
class PdfOutcome:
    """A rendered PDF: its bytes, its page count and what was left out to make it fit."""

    path: str
    data: bytes
    pages: int
    omitted: tuple[str, ...]
    html: str  # the candidate that was printed ("" when reused without being prepared again)
    attempts: int
    anchors: dict[str, int] = field(default_factory=dict)  # element id -> index of its page (from 0)


@functools.cache
def refused_url_error() -> type[Exception]:
    """The error the restricted fetcher raises: one class per process, whichever fetcher refused."""
    from weasyprint.urls import FatalURLFetchingError

    class RefusedURL(FatalURLFetchingError):
        pass

    return RefusedURL


def restricted_fetcher(allowed: tuple[Path, ...]):
    """A URL fetcher that serves ``file:`` URLs under ``allowed`` folders and ``data:`` URLs only.

    Anything else stops the rendering with :func:`refused_url_error`: a template or profile
    that points outside the project is an error, not a silently missing image.
    """
    from weasyprint.urls import URLFetcher

    roots = tuple(folder.resolve() for folder in allowed)

    class ProjectFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urlparse(url)
            if parsed.scheme == "data":
                return super().fetch(url, headers)
            if parsed.scheme == "file":
                path = Path(unquote(parsed.path)).resolve()
                if any(path == root or root in path.parents for root in roots):
                    return super().fetch(url, headers)
            raise refused_url_error()(f"the PDF may only use files inside the project; refused {url!r}")

    return ProjectFetcher(allowed_protocols=("file", "data"), fail_on_errors=True)


def split_stylesheet(html: str) -> tuple[str, str]:
    """Print HTML without its stylesheet, and the stylesheet's text.

    Every print template carries its whole stylesheet in one ``<style>`` element in its
    head, before any content (content is escaped, so it cannot contain the tag).
    """
    before, tag, rest = html.partition("<style>")
    if not tag:
        return html, ""
    css, _, after = rest.partition("</style>")
    return before + after, css


@functools.lru_cache(maxsize=8)
def _parsed_stylesheet(css: str, base_url: str, allowed: tuple[Path, ...]):
    """A stylesheet parsed once per process, with the font faces and counter styles it declares.

    Parsing the stylesheet and registering its fonts is a sixth of the work of laying out
    a handout; every document, and every fitting attempt, with the same stylesheet shares it.
    """
    import weasyprint
    from weasyprint.css.counters import CounterStyle
    from weasyprint.text.fonts import FontConfiguration

    if _parsed_stylesheet.cache_info().currsize == 0:
        # Font configurations clean up their temporary folder when collected, which fails
        # once the interpreter is tearing down modules; let them go while it still works.
        atexit.register(_parsed_stylesheet.cache_clear)
    fetcher = restricted_fetcher(allowed)
    fonts, counters = FontConfiguration(), CounterStyle()
    sheet = weasyprint.CSS(string=css, base_url=base_url, url_fetcher=fetcher, font_config=fonts,
                           counter_style=counters)
    return sheet, fonts, counters


def parse_stylesheets_before_forking(jobs: list[PdfJob]) -> None:
    """Parse here, once, the stylesheet of every job's first candidate, for forked workers to inherit.

    Each worker would otherwise parse the same few stylesheets itself, and again in every
    recycled pool; a serve session's workers then start with nothing left to parse.
    """
    for job in jobs:
        if job.candidates:
            _, css = split_stylesheet(job.candidates[0].html)
            try:
                _parsed_stylesheet(css, job.base.as_uri() + "/", job.allowed)
            except Exception:  # noqa: BLE001 (a bad stylesheet is reported by the job that renders it)
                continue


# Lay-outs of one document it takes for a process to run the engine at its warm speed: a brief
# measured 1.6 s, 0.8 s, then 0.55 s from the third lay-out on.
WARM_UP_LAYOUTS = 2


def warm_up(job: PdfJob) -> None:
    """Lay out ``job``'s first candidate a few times here, and keep nothing but the warmth.

    Workers forked afterwards inherit the engine's caches (fonts found, text shaped) and
    Python's specialised code, so an edit's PDF renders at the speed of a process that has
    rendered before instead of a fresh one's.
    """
    for _ in range(WARM_UP_LAYOUTS):
        try:
            render_document(job.candidates[0].html, job.base, job.allowed)
        except RenderError:
            return  # the job itself reports it, when it is rendered


def render_document(html: str, base: Path, allowed: tuple[Path, ...]):
    """Lay out print HTML into pages (a WeasyPrint Document) through the restricted fetcher.

    The stylesheet in the HTML's head is applied as a parsed sheet shared across documents;
    with no other author stylesheet the cascade, and so the output, is the same.
    """
    import weasyprint

    fetcher = restricted_fetcher(allowed)
    base_url = base.as_uri() + "/"
    body, css = split_stylesheet(html)
    try:
        sheet, fonts, counters = _parsed_stylesheet(css, base_url, allowed)
        return weasyprint.HTML(string=body, base_url=base_url, url_fetcher=fetcher).render(
            stylesheets=[sheet], font_config=fonts, counter_style=counters)
    except refused_url_error() as exc:
        raise RenderError(str(exc)) from None
    except weasyprint.urls.FatalURLFetchingError as exc:
        raise RenderError(f"PDF rendering could not read a resource: {exc} ({exc.__cause__})") from None


def write_document(document, metadata: PdfMetadata, variant: str, tagged: bool = True) -> bytes:
    """Stamp the metadata on a laid-out document and write it as tagged, reproducible PDF bytes.

    Tagged output has its grouping elements folded away (:func:`structure.plain_structure`).
    """
    # The font subsetter stamps each embedded font with "now" unless this is set; the
    # brief's own date keeps the bytes identical from one build to the next.
    os.environ["SOURCE_DATE_EPOCH"] = str(int(dt.datetime.combine(metadata.date, dt.time(),
                                                                  dt.timezone.utc).timestamp()))
    stamp = f"{metadata.date.isoformat()}T00:00:00Z"
    document.metadata.title = metadata.title
    document.metadata.authors = [metadata.author]
    document.metadata.description = metadata.subject
    document.metadata.keywords = list(metadata.keywords)
    document.metadata.lang = metadata.language
    document.metadata.created = stamp
    document.metadata.modified = stamp
    document.metadata.generator = "make-brief"
    output = io.BytesIO()
    document.write_pdf(output, pdf_variant=variant if tagged else None, pdf_tags=tagged,
                       pdf_identifier=metadata.title.encode("utf-8")[:32] or b"make-brief")
    return plain_structure(output.getvalue()) if tagged else output.getvalue()


def render_pdf(html: str, base: Path, allowed: tuple[Path, ...], metadata: PdfMetadata, variant: str) -> bytes:
    """Render print HTML to PDF bytes, tagged and reproducible."""
    return write_document(render_document(html, base, allowed), metadata, variant)


@dataclass
class Reducible:
    """The marked content of part of a layout: how much height each step of cuts could take away."""

    marks: dict[int, float] = field(default_factory=dict)  # cut step -> height of the boxes marked with it
    groups: list[SideBySide] = field(default_factory=list)

    def could_free(self, level: int) -> float:
        """At most how much height goes when every cut up to ``level`` is made."""
        return (sum(height for cut, height in self.marks.items() if cut <= level)
                + sum(group.could_free(level) for group in self.groups))


@dataclass
class SideBySide:
    """Boxes laid out side by side (a flex row, a table row), as tall as the tallest of them.

    Cutting from one of them frees height only as far as it stops being the tallest.
    """

    height: float
    columns: list[tuple[float, Reducible]]  # each column's own content height, and its marked content
    reflows_at: int | None = None  # from this step a whole column may go and the others widen

    def could_free(self, level: int) -> float:
        if self.reflows_at is not None and level >= self.reflows_at:
            return self.height
        tallest = max((height - content.could_free(level) for height, content in self.columns), default=0.0)
        return max(0.0, self.height - max(tallest, 0.0))


def _cut_level(box) -> int | None:
    element = getattr(box, "element", None)
    level = element.get("data-cut") if element is not None and hasattr(element, "get") else None
    return int(level) if level is not None and level.isdigit() else None


def _content_height(box) -> float:
    """A box's height down to the foot of its content.

    Flex items and table cells are stretched to their row (a cell by padding at its foot),
    so this stops at the content; leaving out the bottom padding keeps it from ever
    exceeding the true figure, which would understate what a cut elsewhere could free.
    """
    children = getattr(box, "children", ())
    bottom = max((child.position_y + child.margin_height() for child in children), default=box.content_box_y())
    return bottom - box.position_y


def _collect(box, into: Reducible, reflows_at: int | None = None) -> None:
    """Add what the cuts marked in ``box`` could free to ``into``."""
    level = _cut_level(box)
    if level is not None:
        into.marks[level] = into.marks.get(level, 0.0) + box.margin_height()
        return
    kind = type(box).__name__
    children = getattr(box, "children", ())
    if kind == "TableBox":
        cells = [_cut_level(cell) for group in children for row in getattr(group, "children", ())
                 for cell in getattr(row, "children", ())]
        reflows_at = max((cut for cut in cells if cut is not None), default=None)
    side_by_side = kind == "TableRowBox" or (kind == "FlexBox" and len(children) > 1
                                             and len({child.position_y for child in children}) == 1)
    if not side_by_side:
        for child in children:
            _collect(child, into, reflows_at)
        return
    group = SideBySide(box.margin_height(), [], reflows_at if kind == "TableRowBox" else None)
    for child in children:
        content = Reducible()
        cut = _cut_level(child)
        if cut is not None:
            content.marks[cut] = _content_height(child)
        else:
            for grandchild in getattr(child, "children", ()):
                _collect(grandchild, content, reflows_at)
        group.columns.append((_content_height(child), content))
    into.groups.append(group)


def overrun(document, max_pages: int) -> tuple[float, Reducible]:
    """From a layout that ran long: how much height must go, and what each step of cuts could free.

    Used height is measured to the bottom of the last line, table or other leaf-level box
    on each page (block containers that were split are stretched to the page foot). Each
    element marked ``data-cut`` counts with the height of its boxes; side by side, only what
    would stop its column being the tallest; a table cell, when its whole column could go,
    with its whole row. None of this is less than what the cut really gives back, so a skip
    chosen from these figures never cuts more than the plain step-by-step loop would.
    """
    capacity = document.pages[0]._page_box.height * max_pages
    used = 0.0
    content = Reducible()
    for page in document.pages:
        top = page._page_box.content_box_y()
        bottom = top
        root = page._page_box.children[0]  # the html box; the margin boxes follow it
        _collect(root, content)
        stack = [root]
        while stack:
            box = stack.pop()
            if type(box).__name__ == "BlockBox":
                stack.extend(getattr(box, "children", ()))
            else:
                bottom = max(bottom, box.position_y + box.margin_height())
        used += bottom - top
    return used - capacity, content


def first_worth_trying(job: PdfJob, tried: int, needed: float, content: Reducible) -> int:
    """The first candidate after ``tried`` whose further cuts could free ``needed`` height (all before cannot).

    ``content`` was measured on the layout of candidate ``tried``: the elements it still
    shows, by the step that removes them.
    """
    for index in range(tried + 1, len(job.candidates)):
        if content.could_free(job.candidates[index].level) >= needed:
            return index
    return len(job.candidates) - 1


def run_job(job: PdfJob) -> PdfOutcome:
    """Render a job: the fullest candidate within the page limit, or an error if none fits.

    The fullest candidate is laid out first. Whenever a layout runs long, the heights of its
    marked elements tell which later candidates cannot possibly fit; those are skipped and
    the next that might is laid out. Only the one that fits is written, so a product never
    spills past its limit and says exactly what it left out.
    """
    attempt, index = 0, 0
    while index < len(job.candidates):
        candidate = job.candidates[index]
        try:
            document = render_document(candidate.html, job.base, job.allowed)
        except RenderError as exc:
            raise RenderError(f"{job.path}: {exc}") from None
        attempt += 1
        if job.max_pages is None or len(document.pages) <= job.max_pages:
            data = write_document(document, job.metadata, job.variant, job.tagged)
            anchors = {name: number for number, page in enumerate(document.pages) for name in page.anchors}
            return PdfOutcome(job.path, data, len(document.pages), candidate.omitted, candidate.html, attempt,
                              anchors)
        if index == len(job.candidates) - 1:
            break
        index = first_worth_trying(job, index, *overrun(document, job.max_pages))
    limit = f"{job.max_pages} page{'s' if job.max_pages != 1 else ''}"
    raise RenderError(f"{job.path}: does not fit on {limit} even after leaving out "
                      f"{', '.join(job.candidates[-1].omitted) or 'nothing'}; shorten the profile's summary "
                      f"or positions")


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def render_jobs(jobs: list[PdfJob], workers: int, progress: Progress | None = None) -> list[PdfOutcome]:
    """Render every job, in a pool of ``workers`` processes when more than one; results in job order.

    The heaviest jobs start first so that the pool finishes together. Output does not depend
    on ``workers``: each job is rendered whole by one process from its own inputs.
    """
    return Rendering(jobs, workers, progress).results()


def _fork_context():
    """Workers forked from this process where the system can (they inherit the parsed stylesheets and warm engine)."""
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else None)


def _start_pool(processes: int, jobs: dict[int, PdfJob]) -> tuple[ProcessPoolExecutor, dict]:
    """A pool of ``processes`` forked workers rendering ``jobs`` (by index), and the future of each.

    The workers are forked with every object of this process frozen out of the cycle
    collector's reach: a worker's first full collection would otherwise walk the whole heap
    it inherited (a large desk's build: a third of a second, and a copy of every page it
    touches) in the middle of an edit's PDF. A pool forks its workers at the first submit.
    """
    gc.freeze()
    try:
        pool = ProcessPoolExecutor(max_workers=processes, mp_context=_fork_context())
        return pool, {pool.submit(run_job, job): index for index, job in jobs.items()}
    finally:
        gc.unfreeze()


class Rendering:
    """PDF jobs under way (see :func:`render_jobs`): the first pool starts at once, results are collected later.

    Between the two the caller is free to work (the build renders the web pages). Workers
    are forked here, in the calling thread, before the pool starts any thread of its own.
    """

    def __init__(self, jobs: list[PdfJob], workers: int, progress: Progress | None = None, *,
                 shown: int | None = None, first: Collection[str] = ()) -> None:
        """Start rendering ``jobs``: those whose path is in ``first`` (what the caller waits for soonest), then
        the rest, each heaviest first; the progress display counts the ``shown`` first jobs of the list (all)."""
        self._jobs = list(jobs)
        self._counted = len(jobs) if shown is None else shown
        self._progress = progress
        # With more than one core the jobs render in worker processes, even a single job, so that
        # the caller's own work (the web pages) goes on beside them.
        self._pooled = workers > 1 and bool(jobs)
        self._order = sorted(range(len(jobs)), key=lambda i: (jobs[i].path not in first, -jobs[i].weight))
        # A fresh pool every few documents per worker: the workers are recycled, so WeasyPrint's
        # caches cannot grow without bound over a large desk.
        self._batch = max(1, workers) * MAX_JOBS_PER_WORKER
        self._workers = workers
        self._started = 0  # how many jobs, in ``_order``, have been handed out
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict = {}
        self._done: dict[int, PdfOutcome] = {}
        # The outcomes may be collected by another thread than the one that cancels (see :meth:`cancel`).
        self._stopped = False
        self._starting = threading.Lock()
        if progress and self._counted:
            progress.start(self._counted, "Rendering PDFs")
        if self._pooled:
            import weasyprint  # noqa: F401  (imported once here, inherited by forked workers)

            parse_stylesheets_before_forking(jobs)
            self._start_batch()

    def _start_batch(self) -> None:
        chunk = self._order[self._started:self._started + self._batch]
        self._started += len(chunk)
        processes = min(self._workers, len(chunk))
        if len(self._jobs) <= self._workers:
            # A handful of jobs (an edit's) leave one core to the caller's own work: the jobs
            # render one after another, the most wanted first, so the brief the book waits for is
            # done soonest instead of sharing two cores three ways.
            processes = max(1, min(processes, self._workers - 1))
        self._pool, self._futures = _start_pool(processes, {i: self._jobs[i] for i in chunk})

    @property
    def pooled(self) -> bool:
        """Whether the jobs render in worker processes (else each renders here when its outcome is asked for)."""
        return self._pooled

    def _record(self, index: int, outcome: PdfOutcome) -> None:
        self._done[index] = outcome
        if self._progress and index < self._counted:
            self._progress.advance(self._jobs[index].path)
            if sum(1 for i in self._done if i < self._counted) == self._counted:
                self._progress.finish()
        if len(self._done) == len(self._jobs):
            self._close_pool(wait=True)

    def _advance(self) -> None:
        """Collect at least one more outcome (rendering the next job here when there is no pool)."""
        if not self._pooled:
            index = self._order[self._started]
            self._started += 1
            self._record(index, run_job(self._jobs[index]))
            return
        if not self._futures:
            with self._starting:
                if self._stopped:
                    raise CancelledError("the PDFs are no longer wanted")
                self._close_pool(wait=True)
                self._start_batch()
        finished: set = set()
        while not finished:
            if self._stopped:
                raise CancelledError("the PDFs are no longer wanted")
            # A future the pool cancels on shutdown never wakes a waiter: look again now and then.
            finished, _ = wait(self._futures, timeout=0.25, return_when=FIRST_COMPLETED)
        for future in finished:
            index = self._futures.pop(future)
            self._record(index, future.result())

    def outcomes(self, indices: list[int]) -> list[PdfOutcome]:
        """The outcomes of the jobs at ``indices`` (into the job list), as soon as those are rendered.

        Jobs are rendered in the order :meth:`__init__` gives them, so asking for the first ones
        first costs no waiting beyond theirs. A failed job raises its RenderError.
        """
        try:
            while not all(index in self._done for index in indices):
                self._advance()
        except BaseException:
            self.cancel()
            if self._progress:
                self._progress.finish()
            raise
        return [self._done[index] for index in indices]

    def results(self) -> list[PdfOutcome]:
        """Every job's outcome in job order, once all are rendered; a failed job raises its RenderError."""
        return self.outcomes(list(range(len(self._jobs))))

    def abandon(self) -> None:
        """Drop the jobs not yet rendered without waiting for those under way, whose outcomes nobody will ask for."""
        self._close_pool(wait=False)

    def cancel(self) -> None:
        """Drop what is not rendered yet (the build failed elsewhere) and end the pool; idempotent.

        A thread waiting for outcomes meanwhile gets those under way, then a CancelledError.
        """
        with self._starting:
            self._stopped = True
            self._close_pool(wait=True)

    def _close_pool(self, wait: bool) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=wait, cancel_futures=True)
        self._pool = None
