"""The PDF products, checked on the built files: pages, fonts, tags, links, contents and safety."""

from __future__ import annotations

import multiprocessing
import os
import re
import subprocess
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from briefing.build import BuildResult, build, gather, pdf_jobs
from briefing.cli import main
from briefing.config import Config, load_config
from briefing.errors import RenderError
from briefing.pdf import render_document, run_job
from briefing.rendering import brief_view, make_environment
from briefing.text import fold

from conftest import pdf_text

PROFILES = ["minsk-implementation", "sanctions", "savchenko-case", "syria-ceasefire", "syria-transition"]


def _pdfs(built: BuildResult) -> list[Path]:
    return sorted((built.out / "pdf").glob("*.pdf"))


def _info(path: Path) -> str:
    return subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout


def _pages(path: Path) -> int:
    return int(re.search(r"Pages:\s+(\d+)", _info(path)).group(1))


def _page_text(path: Path, page: int) -> str:
    return subprocess.run(["pdftotext", "-enc", "UTF-8", "-f", str(page), "-l", str(page), str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def test_every_handout_is_exactly_one_page(built: BuildResult) -> None:
    for profile_id in PROFILES:
        assert _pages(built.out / "pdf" / f"{profile_id}-handout.pdf") == 1, profile_id


def test_handouts_say_what_they_left_out_on_the_page_and_in_the_report(built: BuildResult) -> None:
    reports = {r.path: r for r in built.pdfs}
    assert any(reports[f"pdf/{p}-handout.pdf"].omitted for p in PROFILES)
    for profile_id in PROFILES:
        report = reports[f"pdf/{profile_id}-handout.pdf"]
        text = fold(pdf_text(built.out / report.path))
        if report.omitted:
            assert fold("Omitted for length: " + "; ".join(report.omitted)) in text
        else:
            assert "Omitted for length" not in text


def test_every_font_is_embedded(built: BuildResult) -> None:
    for path in _pdfs(built):
        lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True,
                               check=True).stdout.splitlines()[2:]
        assert lines, path.name
        assert [line for line in lines if line.split()[-5] != "yes"] == [], path.name


def test_every_pdf_is_tagged_with_title_language_and_metadata(built: BuildResult, config: Config) -> None:
    for path in _pdfs(built):
        info = _info(path)
        assert "Tagged:          yes" in info, path.name
        reader = PdfReader(path)
        assert reader.trailer["/Root"]["/Lang"] == config.language
        meta = reader.metadata
        assert meta.title and meta.author == config.organisation and meta.subject, path.name
        assert "Russia" in meta["/Keywords"]
    assert "Title:           Syria: the political transition\n" in _info(built.out / "pdf" / "syria-transition.pdf")


def test_qpdf_finds_no_problem(built: BuildResult) -> None:
    for path in _pdfs(built):
        result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True)
        assert result.returncode == 0, (path.name, result.stdout, result.stderr)
        assert "No syntax or stream encoding errors found" in result.stdout


def test_every_quote_is_in_the_full_brief_and_the_book(built: BuildResult, config: Config) -> None:
    project = gather(config)
    book = fold(pdf_text(built.out / "pdf" / "briefing-book.pdf"))
    for profile_id in PROFILES:
        brief = fold(pdf_text(built.out / "pdf" / f"{profile_id}.pdf"))
        for quote in project.profiles[profile_id].quotes:
            assert fold(quote.text) in brief, (profile_id, quote.id)
            assert fold(quote.text) in book, (profile_id, quote.id)


def _uris(path: Path) -> list[str]:
    uris = []
    for page in PdfReader(path).pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None and "/URI" in action:
                uris.append(str(action["/URI"]))
    return uris


def test_endnote_links_point_at_the_cited_paragraph_of_the_right_source(built: BuildResult, config: Config) -> None:
    project = gather(config)
    for profile_id in PROFILES:
        expected = {f"{config.site_url}sources/{c.source}.html#p{c.paragraph}"
                    for c in project.briefs[profile_id].citations()}
        found = {uri for uri in _uris(built.out / "pdf" / f"{profile_id}.pdf") if "#p" in uri}
        assert found == expected, profile_id


def test_the_book_contents_give_the_pages_where_each_brief_starts(built: BuildResult, config: Config) -> None:
    book = built.out / "pdf" / "briefing-book.pdf"
    contents = _page_text(book, 2)
    assert "\nContents\n" in contents
    project = gather(config)
    for profile_id in PROFILES:
        title = project.profiles[profile_id].title
        number = int(re.search(re.escape(title) + r"\s*(\d+)\s*$", contents, re.M).group(1))
        page = fold(_page_text(book, number))
        assert "ISSUE BRIEF · EDITION" in page and fold(title) in page, (profile_id, number)
        assert fold(title) not in fold(_page_text(book, number - 1)).split("\n")[0]
    matrix = int(re.search(r"all issues\s*(\d+)", contents).group(1))
    assert "Where the parties stand: all issues" in _page_text(book, matrix)


def test_every_page_carries_the_marking_top_and_bottom_and_page_x_of_y(built: BuildResult) -> None:
    path = built.out / "pdf" / "sanctions.pdf"
    pages = _pages(path)
    for number in range(1, pages + 1):
        text = _page_text(path, number)
        assert text.count("PUBLIC") >= 2, number
        assert f"Page {number} of {pages}" in text
        assert "As of 24 March 2016" in text


def test_bookmarks_nest_sections_under_the_brief_title(built: BuildResult) -> None:
    outline = PdfReader(built.out / "pdf" / "sanctions.pdf").outline
    assert [item.title for item in outline if not isinstance(item, list)] == [
        "Russia: Western sanctions over Crimea and Ukraine"]
    sections = [item.title for item in outline[1] if not isinstance(item, list)]
    assert sections[:3] == ["Bottom line", "Key judgments", "Background"] and sections[-1] == "Notes"
    assert [item.title for item in outline[1][sections.index("Outlook") + 1]] == ["What to watch"]


@pytest.mark.parametrize("page_size", ["A4", "Letter"])
def test_skipping_ahead_prints_the_handout_that_trying_every_version_would(project: Path, page_size: str) -> None:
    config_file = project / "config.yaml"
    config_file.write_text(config_file.read_text(encoding="utf-8").replace("page_size: A4", f"page_size: {page_size}"),
                           encoding="utf-8")
    config = load_config(config_file)
    state = gather(config)
    views = [brief_view(state.briefs[i], state.sources, state.registry) for i in PROFILES]
    jobs = pdf_jobs(views, config, make_environment([config.templates]), ("handout",))
    skipped = 0
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:  # a job per core
        for job, (printed, tried, first_fitting) in zip(jobs, pool.map(_printed_and_tried_in_turn, jobs)):
            assert printed.omitted == first_fitting, (job.path, printed.omitted, first_fitting)
            assert printed.attempts <= tried
            skipped += tried - printed.attempts
    assert skipped > 0  # the measurements do spare layouts


def _printed_and_tried_in_turn(job):
    """The handout ``job`` prints, and how many versions laying out each in turn takes to find one that
    fits, with what that one leaves out."""
    printed = run_job(job)
    for tried, candidate in enumerate(job.candidates, 1):
        if len(render_document(candidate.html, job.base, job.allowed).pages) == 1:
            break
    return printed, tried, candidate.omitted


def test_letter_and_pdf_a_3b_give_valid_one_page_handouts(project: Path) -> None:
    config_file = project / "config.yaml"
    config_file.write_text(config_file.read_text(encoding="utf-8")
                           .replace("page_size: A4", "page_size: Letter")
                           .replace("variant: pdf/ua-1", "variant: pdf/a-3b"), encoding="utf-8")
    result = build(load_config(config_file), html=False, products=("handout",), workers=2)
    assert sorted(r.path for r in result.pdfs) == [f"pdf/{p}-handout.pdf" for p in PROFILES]
    for report in result.pdfs:
        path = result.out / report.path
        info = _info(path)
        assert "612 x 792 pts (letter)" in info and "Pages:           1" in info, report.path
        assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
        assert b"pdfaid:part" in PdfReader(path).trailer["/Root"]["/Metadata"].get_object().get_data()


def test_the_bytes_do_not_depend_on_the_number_of_render_processes(built: BuildResult, config: Config,
                                                                   tmp_path: Path) -> None:
    alone = build(config, wanted=("sanctions", "syria-ceasefire"), html=False, products=("handout", "brief"),
                  out=tmp_path / "out", workers=1)
    for name in alone.files:
        if name.endswith(".pdf"):
            assert (alone.out / name).read_bytes() == (built.out / name).read_bytes(), name


def test_a_stylesheet_shared_across_documents_prints_what_the_inline_one_would(config: Config) -> None:
    import weasyprint

    state = gather(config)
    views = [brief_view(state.briefs[i], state.sources, state.registry) for i in ("savchenko-case", "sanctions")]
    jobs = pdf_jobs(views, config, make_environment([config.templates]), ("brief", "handout"))
    options = {"pdf_variant": config.pdf_variant, "pdf_tags": True}
    for job in jobs:
        html = job.candidates[-1].html
        inline = weasyprint.HTML(string=html, base_url=job.base.as_uri() + "/").render().write_pdf(**options)
        shared = render_document(html, job.base, job.allowed).write_pdf(**options)
        assert shared == inline, job.path


@pytest.mark.parametrize("rule", [
    'body { background: url("http://example.com/paper.png"); }',
    '@font-face { font-family: "Leak"; src: url("../../outside.ttf"); } body { font-family: "Leak"; }',
])
def test_a_stylesheet_pointing_outside_the_project_stops_the_build(project: Path, rule: str) -> None:
    (project.parent / "outside.ttf").write_bytes(b"not read")
    stylesheet = project / "templates" / "print.css"
    stylesheet.write_text(stylesheet.read_text(encoding="utf-8") + "\n" + rule + "\n", encoding="utf-8")
    with pytest.raises(RenderError, match="the PDF may only use files inside the project; refused"):
        build(load_config(project / "config.yaml"), wanted=("savchenko-case",), html=False, workers=1)


@pytest.mark.parametrize("reference, refused", [
    ('<img src="http://example.com/logo.png" alt="">', "http://example.com/logo.png"),
    ('<img src="../../outside.png" alt="">', "outside.png"),
])
def test_a_template_pointing_outside_the_project_stops_the_build(project: Path, reference: str,
                                                                 refused: str) -> None:
    (project.parent / "outside.png").write_bytes(b"not read")
    template = project / "templates" / "brief_print.html"
    template.write_text(template.read_text(encoding="utf-8").replace("<body>", "<body>" + reference),
                        encoding="utf-8")
    with pytest.raises(RenderError, match="the PDF may only use files inside the project; refused"):
        build(load_config(project / "config.yaml"), wanted=("savchenko-case",), html=False, workers=1)
    old = os.getcwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(main, ["build", "--pdf-only", "savchenko-case"])
    finally:
        os.chdir(old)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: pdf/savchenko-case.pdf: the PDF may only use files inside the "
                                    "project; refused '") and refused in result.stderr
    assert not (project / "out").exists()


def test_build_handout_builds_only_the_handouts_and_reports_omissions(project: Path) -> None:
    old = os.getcwd()
    os.chdir(project)
    try:
        result = CliRunner().invoke(main, ["build", "--handout", "syria-transition", "savchenko-case"])
    finally:
        os.chdir(old)
    assert result.exit_code == 0, result.output
    assert "pdf/syria-transition-handout.pdf: omitted for length: " in result.stdout
    assert "savchenko-case-handout.pdf: omitted" not in result.stdout
    assert sorted(p.name for p in (project / "out" / "pdf").iterdir()) == [
        "savchenko-case-handout.pdf", "syria-transition-handout.pdf"]
    assert not (project / "out" / "index.html").exists()


def test_the_book_cover_lists_the_briefs_only_while_they_fit_on_it(config: Config) -> None:
    from briefing.binding import PrintedLayout
    from briefing.products import BookLengths, book_part_jobs
    from briefing.rendering import font_faces

    state = gather(config)
    views = [brief_view(state.briefs[i], state.sources, state.registry) for i in PROFILES]
    env = make_environment([config.templates])

    def cover(chosen: list) -> object:
        layouts = [PrintedLayout(5, {}) for _ in chosen]
        return book_part_jobs(chosen, layouts, BookLengths((1, 1), (1,)), config, env, font_faces(),
                              (config.project,))[0]

    small = cover(views)
    assert 'class="cover-list"' in small.candidates[0].html
    assert all(view.title in small.metadata.subject for view in views)
    thirteen = (views * 3)[:13]
    large = cover(thirteen)
    assert 'class="cover-list"' not in large.candidates[0].html and "13 issue briefs" in large.candidates[0].html
    assert large.metadata.subject == "Briefing book: 13 issue briefs"
    # So a new title in a large book leaves its cover the same job, rendered once.
    retitled = [replace(thirteen[0], title="Retitled"), *thirteen[1:]]
    assert cover(retitled) == large
    assert cover([replace(views[0], title="Retitled"), *views[1:]]) != small


def test_the_number_of_matrix_parts_is_known_from_the_number_of_briefs(config: Config) -> None:
    from briefing.products import matrix_run_count, matrix_runs, matrix_tables

    state = gather(config)
    views = [brief_view(state.briefs[i], state.sources, state.registry) for i in PROFILES]
    for count in (0, 1, 5, 6, 7, 12, 13, 37):
        assert matrix_run_count(count) == len(matrix_runs(matrix_tables((views * 8)[:count]))), count


def _objects_the_collector_leaves_alone(job: object) -> int:
    import gc

    return gc.get_freeze_count()


def test_pdf_workers_start_with_the_builds_objects_out_of_the_collectors_reach(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A worker's first full collection would otherwise walk the whole heap it inherited, mid-edit.
    import gc

    import briefing.pdf as pdf

    monkeypatch.setattr(pdf, "run_job", _objects_the_collector_leaves_alone)
    pool, futures = pdf._start_pool(1, {0: None})
    try:
        [frozen_in_the_worker] = [future.result(timeout=60) for future in futures]
    finally:
        pool.shutdown()
    assert frozen_in_the_worker > 10_000
    assert gc.get_freeze_count() == 0  # this process collects as before
