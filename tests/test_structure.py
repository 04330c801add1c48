"""The folding of grouping elements: the tag tree reads the same content in the same order, with fewer objects."""

from __future__ import annotations

import io

import pikepdf
import pytest
import weasyprint

from briefing.build import gather, pdf_jobs
from briefing.config import Config
from briefing.rendering import brief_view, make_environment
from briefing.pdf import render_document
from briefing.structure import fold_grouping_elements, plain_structure

SAMPLE = """<!DOCTYPE html><html lang="en"><head><title>Sample</title>
<style>@page { size: A6; margin: 1cm; @bottom-center { content: "Page " counter(page); } }</style></head>
<body>Text straight in the body
<h1>A <span>heading</span></h1>
<p>A paragraph <span>with <span>nested</span> spans</span>, <em>emphasis</em> and <a href="#end">a link</a>.</p>
<ul><li>one</li><li>two <b>bold</b></li></ul>
<table><thead><tr><th>Party</th><th>Stance</th></tr></thead>
<tbody><tr><td>Russia <span>(state)</span></td><td><p>supports</p><p>with caveats</p></td></tr></tbody></table>
<blockquote>""" + " ".join(["A long quotation that runs on to the next page."] * 60) + """</blockquote>
<p id="end">The end.</p></body></html>"""


def _weasyprint_pdf(html: str) -> bytes:
    return weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True)


def reading(pdf) -> tuple[list, list[str]]:
    """What the tag tree marks, in reading order, and the types of its elements.

    Each piece of marked content is (page index, MCID) and each annotation (page index,
    index among the page's annotations), so two writings of one document compare equal.
    Checks on the way that each element names its parent and that the parent tree gives,
    for each piece of content, the element that holds it.
    """
    pages = {page.objgen: index for index, page in enumerate(pdf.pages)}
    annotations = {annotation.objgen: (index, place) for index, page in enumerate(pdf.pages)
                   for place, annotation in enumerate(page.obj.get("/Annots", []))}
    order, owners, kinds = [], {}, []

    def walk(element) -> None:
        page = pages.get(element.Pg.objgen) if "/Pg" in element else None
        kids = element.get("/K", pikepdf.Array())
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, int):
                order.append((page, kid))
                owners[(page, kid)] = element.objgen
            elif kid.get("/Type") == "/MCR":
                where = (pages[kid.Pg.objgen] if "/Pg" in kid else page, int(kid.MCID))
                order.append(where)
                owners[where] = element.objgen
            elif kid.get("/Type") == "/OBJR":
                order.append(("annotation", annotations[kid.Obj.objgen]))
            else:
                assert kid.P.objgen == element.objgen
                kinds.append(str(kid.S))
                walk(kid)

    for top in pdf.Root.StructTreeRoot.K:
        walk(top)
    nums = pdf.Root.StructTreeRoot.ParentTree.Nums
    by_key = {int(nums[index]): nums[index + 1] for index in range(0, len(nums), 2)}
    for index, page in enumerate(pdf.pages):
        for mcid, element in enumerate(by_key.get(int(page.obj.get("/StructParents", -1)), [])):
            # Margin boxes (the page footer) are in the parent tree but outside the tag tree.
            if isinstance(element, pikepdf.Dictionary) and (index, mcid) in owners:
                assert owners[(index, mcid)] == element.objgen, (index, mcid)
    return order, kinds


def _compare(before: bytes, after: bytes) -> tuple[list, list[str], list[str]]:
    with pikepdf.open(io.BytesIO(before)) as old, pikepdf.open(io.BytesIO(after)) as new:
        old_order, old_kinds = reading(old)
        new_order, new_kinds = reading(new)
        assert len(new.pages) == len(old.pages)
        assert [page.Contents.read_raw_bytes() for page in new.pages] == \
            [page.Contents.read_raw_bytes() for page in old.pages]
    assert new_order == old_order
    return new_order, old_kinds, new_kinds


def test_folding_keeps_every_piece_of_content_in_its_order_and_drops_only_spans_and_nonstructs() -> None:
    before = _weasyprint_pdf(SAMPLE)
    after = plain_structure(before)
    order, old_kinds, new_kinds = _compare(before, after)
    assert len(order) > 20 and any(item[0] == "annotation" for item in order)
    assert {"/Span", "/NonStruct"} <= set(old_kinds)
    assert "/Span" not in new_kinds and "/NonStruct" not in new_kinds
    assert [kind for kind in old_kinds if kind not in ("/Span", "/NonStruct")] == new_kinds
    with pikepdf.open(io.BytesIO(before)) as old, pikepdf.open(io.BytesIO(after)) as new:
        assert len(new.pages) >= 2
        assert len(list(new.objects)) < len(list(old.objects)) * 0.8
        assert new.Root.Lang == old.Root.Lang and new.open_metadata()["dc:title"] == "Sample"
        # Content straight under the Document, which has no page, says which page it is on.
        document_kids = list(new.Root.StructTreeRoot.K[0].K)
        assert any(isinstance(kid, pikepdf.Dictionary) and kid.get("/Type") == "/MCR" for kid in document_kids)


def _elements(pdf, kind: str) -> list:
    found = []

    def walk(element) -> None:
        kids = element.get("/K", pikepdf.Array())
        for kid in kids if isinstance(kids, pikepdf.Array) else [kids]:
            if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
                if kid.S == kind:
                    found.append(kid)
                walk(kid)

    walk(pdf.Root.StructTreeRoot)
    return found


def test_a_span_that_says_something_is_kept() -> None:
    with pikepdf.open(io.BytesIO(_weasyprint_pdf(SAMPLE))) as pdf:
        spans = _elements(pdf, "/Span")
        spans[3].Lang = pikepdf.String("fr")
        spans[5].ActualText = pikepdf.String("nested")
        nonstructs = len(_elements(pdf, "/NonStruct"))
        before, _ = reading(pdf)
        assert fold_grouping_elements(pdf) == len(spans) - 2 + nonstructs
        assert reading(pdf)[0] == before
        assert _elements(pdf, "/NonStruct") == []
        assert sorted(str(span.get("/Lang", span.get("/ActualText"))) for span in _elements(pdf, "/Span")) == \
            ["fr", "nested"]


def test_folding_is_deterministic_and_leaves_an_untagged_pdf_alone() -> None:
    before = _weasyprint_pdf(SAMPLE)
    assert plain_structure(before) == plain_structure(before)
    untagged = weasyprint.HTML(string=SAMPLE).write_pdf()
    with pikepdf.open(io.BytesIO(untagged)) as pdf:
        assert fold_grouping_elements(pdf) == 0


@pytest.mark.parametrize("profile_id", ["syria-transition", "sanctions"])
def test_a_real_brief_and_handout_read_the_same_after_folding(config: Config, profile_id: str) -> None:
    state = gather(config)
    view = brief_view(state.briefs[profile_id], state.sources, state.registry)
    for job in pdf_jobs([view], config, make_environment([config.templates]), ("brief", "handout")):
        html = job.candidates[0].html
        before = render_document(html, job.base, job.allowed).write_pdf(pdf_variant=config.pdf_variant, pdf_tags=True)
        order, old_kinds, new_kinds = _compare(before, plain_structure(before))
        assert len(order) > 100, job.path
        assert len(new_kinds) < len(old_kinds) / 2, job.path
