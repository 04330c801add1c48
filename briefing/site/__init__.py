"""Site stage: the static website (pages, assets, feed, sitemap, search index) as a map of path to bytes.

``site_pages`` renders every page family in turn (home, briefs, sources, actors, timeline,
stances, search, 404), then the feed and sitemap from the pages it wrote, then the search
indexes from those same pages and the PDFs (one for the source articles, one for the rest). Every internal link is relative, so the site
works under any sub-path and from ``file://``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import jinja2

from ..actors import Registry
from ..buildcache import JsonStore, RenderMemo
from ..config import Config
from ..rendering import BriefView, font_faces, handout_pdf, render
from ..sources import Source
from ..workspace import Workspace
from .actor_pages import ActorLink, actor_views, write_actor_pages
from .briefs import BriefCard, BriefLink
from .feeds import write_feed, write_sitemap
from .overview import write_stances_page, write_timeline_pages
from .pages import CSS, FAVICON, HOME, NOT_FOUND, SEARCH, SEARCH_JS, Page, PageWriter, plain
from .search import PdfTexts, SearchBundle, SearchDocument, SearchPlan, pdf_text, search_index
from .source_pages import write_source_pages

__all__ = ["site_pages", "handout_pdf"]


def downloads(view: BriefView, pdfs: Mapping[str, bytes]) -> tuple[tuple[str, str], ...]:
    """The (label, path) of each PDF this build produced for a brief; none in an HTML-only build."""
    wanted = (("PDF", view.pdf), ("Handout", handout_pdf(view.id)))
    return tuple((label, path) for label, path in wanted if path in pdfs)


def site_pages(views: list[BriefView], sources: dict[str, Source], registry: Registry, config: Config,
               env: jinja2.Environment, pdfs: Mapping[str, bytes], *, book: str | None = None,
               search: bool = True, memo: RenderMemo | None = None,
               workspace: Workspace | None = None) -> dict[str, bytes]:
    """Render every file of the site; keys are paths relative to the site root.

    ``pdfs`` are the briefs' PDFs this build writes (path → bytes): pages link only to
    those, and their text goes into the search index. ``book`` is the path of the briefing
    book when the build makes one (it may still be being bound): the home page offers it.
    """
    actors = actor_views(views, registry)
    actor_pages = {actor_id: view.page for actor_id, view in actors.items()}
    files = {view.id: downloads(view, pdfs) for view in views}
    writer = PageWriter(env, config, memo, workspace, actor_pages=actor_pages, downloads=files)

    links = [BriefLink.of(view) for view in views]
    writer.page("index.html", Page(HOME, config.site_title, config.description, section="briefs"),
                briefs=[BriefCard.of(view) for view in views], book=book)
    for view in views:
        writer.page("brief.html", Page(view.page, view.title, plain(view.summary), section="briefs",
                                       og_type="article", search_type="Brief"), brief=view)
    source_ids = write_source_pages(writer, views, sources)
    plan = SearchPlan.of([view.id for view in views], [view.id for view in views if files[view.id]],
                         actor_pages=bool(actors), source_ids=source_ids)
    write_actor_pages(writer, actors)
    write_timeline_pages(writer, views)
    write_stances_page(writer, views)
    writer.page("search.html", Page(SEARCH, "Search", f"Search {config.site_title}.", section="search",
                                    in_sitemap=False),
                briefs=links, actor_list=sorted((ActorLink(a.actor.id, a.actor.name, a.page) for a in actors.values()),
                                                key=lambda a: a.name),
                source_list=sorted((sources[i] for i in source_ids), key=lambda s: (s.date is None, s.date, s.id)),
                merged_bundles=plan.merged if search else [])
    writer.page("404.html", Page(NOT_FOUND, "Page not found", "There is no page at this address.",
                                 in_sitemap=False), briefs=links)

    write_feed(writer, views, config)
    write_sitemap(writer, config, {view.page: view.as_of for view in views})
    write_assets(writer, env)
    if search:
        # The pages' bundles first: the PDFs may still be rendering, and only their own bundles wait for them.
        for bundle, documents in page_documents(writer, views, plan).items():
            writer.files.update(indexed(documents, config.language, bundle, memo))
        store = JsonStore(config.project / ".cache" / "pdf-text.sqlite", "texts")
        try:
            for bundle, documents in pdf_documents(views, pdfs, plan, PdfTexts(store)).items():
                writer.files.update(indexed(documents, config.language, bundle, memo))
        finally:
            store.close()
    return writer.files


def indexed(documents: list[SearchDocument], language: str, bundle: SearchBundle,
            memo: RenderMemo | None) -> dict[str, bytes]:
    """One search bundle, reused whole when none of the pages or PDF texts it indexes changed."""
    if memo is None:
        return search_index(documents, language, bundle)
    key = memo.key("pagefind", bundle, [document.identity for document in documents], language)
    previous = memo.recall_group(bundle.folder, key)
    if previous is not None:
        return previous
    files = search_index(documents, language, bundle)
    memo.rendered_group(bundle.folder, files)
    return files


def write_assets(writer: PageWriter, env: jinja2.Environment) -> None:
    """The stylesheet, the search script, the favicon and the fonts, all served from the site itself."""
    faces = font_faces()
    writer.asset(CSS, render(env, "site.css", fonts=faces))
    for name, path in (("search.js", SEARCH_JS), ("favicon.svg", FAVICON)):
        # Read through the loader so a project's own templates/ can replace them too.
        writer.asset(path, env.loader.get_source(env, name)[0])
    for face in faces:
        writer.asset(f"assets/fonts/{face.file_name}", face.path.read_bytes())


def page_documents(writer: PageWriter, views: list[BriefView], plan: SearchPlan) -> dict[SearchBundle, list[SearchDocument]]:
    """The pages marked for search, by the bundle that indexes them (every bundle but the PDFs')."""
    grouped: dict[SearchBundle, list[SearchDocument]] = {bundle: [] for bundle in plan.bundles if not bundle.of_pdfs}
    brief_of_page = {view.page: view.id for view in views}
    for page in writer.pages:
        if page.search_type:
            bundle = plan.for_page(page.path, brief_of_page.get(page.path))
            grouped[bundle].append(SearchDocument(page.path, html=writer.files[page.path].decode("utf-8"),
                                                  digest=writer.search_digest(page.path)))
    return grouped


def pdf_documents(views: list[BriefView], pdfs: Mapping[str, bytes], plan: SearchPlan,
                  text_of: Callable[[bytes], str] = pdf_text) -> dict[SearchBundle, list[SearchDocument]]:
    """The text of every PDF, titled after its brief, by the PDF bundle that indexes it (reading ``pdfs`` waits for them)."""
    grouped: dict[SearchBundle, list[SearchDocument]] = {bundle: [] for bundle in plan.bundles if bundle.of_pdfs}
    for view in views:
        for label, path in downloads(view, pdfs):
            title = f"{view.title} ({'PDF' if label == 'PDF' else 'handout PDF'})"
            grouped[plan.for_pdf(view.id)].append(SearchDocument(path, text=text_of(pdfs[path]), title=title,
                                                                 kind="PDF"))
    return grouped
