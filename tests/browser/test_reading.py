"""A reader's path through the site in Chromium: home, a brief, a quote in context, search, a phone."""

from __future__ import annotations

import re

import pytest

from briefing.text import fold

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, base_url):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.problems = problems
    yield page
    context.close()


def test_home_brief_quote_in_context_and_source(page, base_url, screenshots) -> None:
    page.goto(base_url + "index.html")
    page.screenshot(path=screenshots / "home.png", full_page=True)
    page.get_by_role("link", name="Syria: the political transition", exact=True).first.click()
    assert page.url == base_url + "briefs/syria-transition.html"
    assert page.locator("h1").inner_text() == "Syria: the political transition"

    quote = page.locator(".quote").first
    details = quote.locator("details.context")
    assert details.get_attribute("open") is None
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    quoted = fold(quote.locator("blockquote p").first.inner_text().strip("“”"))
    assert quoted in fold(details.locator("mark").inner_text())
    page.screenshot(path=screenshots / "brief-quote-in-context.png")

    details.get_by_role("link", name="read in the source").click()
    anchor = page.url.rsplit("#", 1)[1]
    assert re.fullmatch(r"p\d+", anchor) and "/sources/" in page.url
    marks = page.locator(f"#{anchor} mark")
    marks.first.wait_for()  # the address changes as the page starts loading; reading the marks does not wait
    assert quoted in fold(marks.all_inner_texts().__str__().replace("', '", ""))
    page.screenshot(path=screenshots / "source-paragraph.png")
    assert page.problems == []


def test_search_finds_the_right_brief_and_its_pdf(page, base_url, screenshots) -> None:
    page.goto(base_url + "briefs/sanctions.html")
    page.get_by_role("searchbox", name="Search the briefs").fill("Savchenko")
    page.keyboard.press("Enter")
    results = page.locator("#search-results li")
    results.first.wait_for()
    titles = [t.strip() for t in page.locator("#search-results .result-title").all_inner_texts()]
    assert titles[0] == "Russia-Ukraine: the Nadiya Savchenko case"
    assert "Russia-Ukraine: the Nadiya Savchenko case (PDF)" in titles  # the PDFs' text is indexed
    assert "results for" in page.locator("#search-status").inner_text()
    page.screenshot(path=screenshots / "search.png")
    page.locator("#search-results .result-title").first.click()
    assert page.url == base_url + "briefs/savchenko-case.html"
    assert page.problems == []


def test_a_phone_gets_the_whole_page_without_sideways_scrolling(page, base_url, screenshots) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    for path, name in (("index.html", "phone-home"), ("briefs/sanctions.html", "phone-brief"),
                       ("stances.html", "phone-stances"), ("timeline.html", "phone-timeline")):
        page.goto(base_url + path)
        page.screenshot(path=screenshots / f"{name}.png", full_page=name == "phone-brief")
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px on a phone"
    assert page.problems == []


def test_quotes_open_in_context_without_javascript(browser, base_url, screenshots) -> None:
    context = browser.new_context(java_script_enabled=False, color_scheme="dark")
    page = context.new_page()
    page.goto(base_url + "briefs/syria-ceasefire.html")
    details = page.locator(".quote details.context").first
    details.locator("summary").click()
    assert details.get_attribute("open") is not None
    assert details.locator("mark").inner_text()
    page.screenshot(path=screenshots / "dark-no-js.png")
    page.goto(base_url + "search.html")  # without JavaScript the search page still lists everything
    assert page.locator("#browse a").count() > 20
    context.close()
