"""The website around the briefs: page families, links to PDFs, feed, sitemap, metadata, portability."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

from briefing.build import BuildResult, build, gather
from briefing.config import Config
from briefing.rendering import brief_view, make_environment
from briefing.site import handout_pdf, site_pages
from briefing.site.actor_pages import actor_views
from briefing.site.overview import timeline_entries

ATOM = "{http://www.w3.org/2005/Atom}"


def test_every_page_family_is_built(built: BuildResult) -> None:
    out = built.out
    for page in ("index.html", "stances.html", "timeline.html", "actors.html", "search.html", "404.html",
                 "feed.xml", "sitemap.xml", "robots.txt", "assets/favicon.svg", "assets/search.js",
                 "pagefind/pagefind.js", "pagefind/pagefind-entry.json"):
        assert (out / page).is_file(), page
    assert sorted(p.stem for p in (out / "timeline").glob("*.html")) == sorted(p.stem for p in (out / "briefs").glob("*.html"))
    assert (out / "actors" / "john-kerry.html").is_file()
    assert not list((out / "pagefind").glob("pagefind-*ui*")), "Pagefind's own widgets are not shipped"


def test_pages_carry_lang_canonical_open_graph_favicon_and_a_strict_policy(built: BuildResult) -> None:
    page = (built.out / "briefs" / "sanctions.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in page
    assert '<link rel="canonical" href="https://example.org/briefs/briefs/sanctions.html">' in page
    assert '<meta property="og:type" content="article">' in page
    assert '<meta property="og:title" content="Russia: Western sanctions over Crimea and Ukraine">' in page
    assert '<link rel="icon" href="../assets/favicon.svg" type="image/svg+xml">' in page
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy and "unsafe-inline" not in policy


def test_no_page_loads_anything_from_elsewhere_or_runs_inline_code(built: BuildResult) -> None:
    for path in built.out.rglob("*.html"):
        html = path.read_text(encoding="utf-8")
        assert not re.search(r'<(script|img|link)[^>]+(src|href)="(https?:)?//(?!example\.org)', html), path
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", html), f"{path}: inline script"
        assert not re.search(r"<style|\sstyle=", html), f"{path}: inline style"
        assert not re.search(r'\s(href|src)="/', html), f"{path}: root-relative link"


def test_the_feed_has_one_entry_per_brief_edition_with_absolute_links(built: BuildResult) -> None:
    feed = ET.parse(built.out / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 5
    for entry in entries:
        assert entry.find(f"{ATOM}id").text.startswith("urn:uuid:")
        assert entry.find(f"{ATOM}link").get("href").startswith("https://example.org/briefs/briefs/")
        assert entry.find(f"{ATOM}updated").text == "2016-03-24T00:00:00Z"
        assert "<p>" in entry.find(f"{ATOM}content").text  # escaped HTML, as type="html" requires


def test_the_sitemap_lists_public_pages_under_site_url(built: BuildResult) -> None:
    root = ET.parse(built.out / "sitemap.xml").getroot()
    urls = [loc.text for loc in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")]
    assert "https://example.org/briefs/" in urls
    assert "https://example.org/briefs/briefs/sanctions.html" in urls
    assert "https://example.org/briefs/actors/john-kerry.html" in urls
    assert not any(u.endswith(("404.html", "search.html")) for u in urls)


def test_pages_link_to_the_pdfs_the_build_made_and_only_those(config: Config) -> None:
    project = gather(config)
    views = [brief_view(project.briefs[i], project.sources, project.registry) for i in sorted(project.briefs)]
    env = make_environment([config.templates])
    pdfs = {"pdf/sanctions.pdf": b"", handout_pdf("sanctions"): b""}
    files = site_pages(views, project.sources, project.registry, config, env, pdfs={}, search=False)
    assert b".pdf" not in files["index.html"]
    files = site_pages(views, project.sources, project.registry, config, env, pdfs=pdfs, search=False)
    home = files["index.html"].decode()
    assert 'href="pdf/sanctions.pdf"' in home and 'href="pdf/sanctions-handout.pdf"' in home
    assert 'href="pdf/syria-ceasefire.pdf"' not in home
    assert 'href="../pdf/sanctions-handout.pdf"' in files["briefs/sanctions.html"].decode()


def test_the_home_page_offers_the_briefing_book_when_the_build_binds_one(built: BuildResult, config: Config,
                                                                          tmp_path: Path) -> None:
    assert 'href="pdf/briefing-book.pdf" type="application/pdf">Briefing book (PDF)' in (
        built.out / "index.html").read_text(encoding="utf-8")
    assert (built.out / "pdf" / "briefing-book.pdf").is_file()
    handouts_only = build(config, products=("handout",), out=tmp_path / "out", workers=2)
    assert "briefing-book" not in (handouts_only.out / "index.html").read_text(encoding="utf-8")


def test_an_actor_page_has_every_quote_in_date_order_and_every_position(config: Config) -> None:
    project = gather(config)
    views = [brief_view(project.briefs[i], project.sources, project.registry) for i in sorted(project.briefs)]
    actors = actor_views(views, project.registry)
    kerry = actors["john-kerry"]
    dates = [q.date for q in kerry.quotes]
    assert dates == sorted(dates) and len(dates) > 5
    said = {q.quote.text for q in kerry.quotes}
    assert said == {q.text for v in views for q in v.quotes if q.speaker.id == "john-kerry"}
    russia = actors["russia"]
    assert {p.brief.id for p in russia.positions} == {v.id for v in views if any(p.party.id == "russia" for p in v.positions)}


def test_the_timeline_has_every_event_once_in_date_order(config: Config) -> None:
    project = gather(config)
    views = [brief_view(project.briefs[i], project.sources, project.registry) for i in sorted(project.briefs)]
    entries = timeline_entries(views)
    assert [e.iso for e in entries] == sorted(e.iso for e in entries)
    assert sum(len(e.briefs) for e in entries) == sum(len(v.timeline) for v in views)
    only = timeline_entries(views, "sanctions")
    assert len(only) == len({(e.iso, e.event) for e in views[[v.id for v in views].index("sanctions")].timeline})


def test_the_timeline_filters_name_every_issue_on_every_page_only_while_they_are_few(config: Config,
                                                                                    monkeypatch) -> None:
    from briefing.site import overview

    project = gather(config)
    views = [brief_view(project.briefs[i], project.sources, project.registry) for i in sorted(project.briefs)]
    env = make_environment([config.templates])

    def filters(files: dict[str, bytes], page: str) -> list[str]:
        nav = re.search(r'<nav class="filters".*?</nav>', files[page].decode(), re.S).group(0)
        return re.findall(r"<a [^>]*>([^<]*)</a>", nav)

    files = site_pages(views, project.sources, project.registry, config, env, {}, search=False)
    everything = ["All issues", *(view.title for view in views)]
    assert filters(files, "timeline.html") == filters(files, "timeline/sanctions.html") == everything
    monkeypatch.setattr(overview, "FILTERS_ON_EVERY_PAGE_AT_MOST", 4)  # a desk of more issues than that
    files = site_pages(views, project.sources, project.registry, config, env, {}, search=False)
    assert filters(files, "timeline.html") == everything
    sanctions = next(view.title for view in views if view.id == "sanctions")
    assert filters(files, "timeline/sanctions.html") == ["All issues", sanctions]


def test_the_search_page_lists_everything_for_readers_without_javascript(built: BuildResult) -> None:
    page = (built.out / "search.html").read_text(encoding="utf-8")
    for folder in ("briefs", "actors", "sources"):
        for path in (built.out / folder).glob("*.html"):
            assert f'href="{folder}/{path.name}"' in page, path


def test_search_indexes_briefs_sources_and_actors_but_not_list_pages(built: BuildResult) -> None:
    marked = {p.relative_to(built.out).as_posix() for p in built.out.rglob("*.html")
              if "data-pagefind-body" in p.read_text(encoding="utf-8")}
    assert {m.split("/")[0] for m in marked} == {"briefs", "sources", "actors"}
    assert "actors.html" not in marked


def test_the_search_plan_keeps_each_brief_in_its_bundle_as_the_desk_grows() -> None:
    from briefing.site.search import BRIEFS_PER_BUNDLE, PDF_WEIGHT, SOURCES_PER_BUNDLE, SearchPlan

    ids = [f"issue-{n:03d}" for n in range(200)]
    articles = [f"a{n:05d}" for n in range(1000)]
    plan = SearchPlan.of(ids, ids[:10], actor_pages=True, source_ids=articles)
    assert [b.name for b in plan.bundles][:9] == [*(f"sources-{n}" for n in range(8)), "actors"]
    assert [b.folder for b in plan.bundles if b.primary] == ["pagefind"]  # the engine ships once
    # Each article's page is indexed in one bundle of about SOURCES_PER_BUNDLE.
    by_bundle = {}
    for article in articles:
        by_bundle.setdefault(plan.for_page(f"sources/{article}.html").name, []).append(article)
    assert len(by_bundle) == 8 and max(map(len, by_bundle.values())) < 2 * SOURCES_PER_BUNDLE
    sizes = {}
    for brief_id in ids:
        sizes[plan.for_brief(brief_id).name] = sizes.get(plan.for_brief(brief_id).name, 0) + 1
    assert len(sizes) == plan.shards == 200 // BRIEFS_PER_BUNDLE and max(sizes.values()) < 2 * BRIEFS_PER_BUNDLE
    assert {plan.for_pdf(i).weight for i in ids[:10]} == {PDF_WEIGHT}
    # A brief added within the same number of bundles leaves every other brief where it was.
    grown = SearchPlan.of([*ids[:199], "issue-new"], [], actor_pages=True, source_ids=articles)
    assert all(grown.for_brief(i).folder == plan.for_brief(i).folder for i in ids[:199])
    # Without source pages, the first bundle that has pages is the primary one.
    small = SearchPlan.of(["a"], [], actor_pages=False, source_ids=[])
    assert [(b.name, b.folder, b.primary) for b in small.bundles] == [("briefs-0", "pagefind", True)]
    assert small.merged == []


def test_the_text_of_a_pdf_is_read_once_and_then_kept_by_its_bytes(built, tmp_path, monkeypatch) -> None:
    from briefing.buildcache import JsonStore
    from briefing.site import search

    data = (built.out / "pdf" / "sanctions.pdf").read_bytes()
    reads = []
    monkeypatch.setattr(search, "pdf_text", lambda pdf: reads.append(pdf) or "the text")
    store = JsonStore(tmp_path / "pdf-text.sqlite", "texts")
    texts = search.PdfTexts(store)
    assert texts(data) == texts(data) == "the text" and len(reads) == 1
    assert texts(data + b"\n") == "the text" and len(reads) == 2  # other bytes, read again
    store.close()
    assert search.PdfTexts(JsonStore(tmp_path / "pdf-text.sqlite", "texts"))(data) == "the text"
    assert len(reads) == 2  # kept across builds
