"""The tag structure of a rendered PDF, without the elements that only group.

WeasyPrint tags every run of text as a ``Span`` of its own and every anonymous box as a
``NonStruct``; at 200 briefs they are half the objects of the briefing book, and qpdf
writes each of them whenever the book is bound. ISO 32000 gives neither a meaning of its
own: a ``NonStruct``'s content "shall be treated exactly as if the NonStruct element were
not present", and a ``Span`` without attributes delimits nothing. So each is folded into
its parent, its content taking its place in the same order: what a screen reader reads,
and in which order, stays the same. A ``Span`` carrying anything more (a language, an
alternate or actual text, attributes) is kept.

The object references that tie a link's annotation to its ``Link`` element become direct
dictionaries in the element's kids: nothing else refers to them.
"""

from __future__ import annotations

import io

GROUPING = frozenset({"/Span", "/NonStruct"})
PLAIN_KEYS = frozenset({"/Type", "/S", "/K", "/P", "/Pg"})


def plain_structure(data: bytes) -> bytes:
    """``data``, a tagged PDF, with its grouping elements folded into their parents and written again."""
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        fold_grouping_elements(pdf)
        output = io.BytesIO()
        # Streams are copied as they are; the identifier comes from the content, so the
        # same input gives the same bytes.
        pdf.save(output, deterministic_id=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 stream_decode_level=pikepdf.StreamDecodeLevel.none, recompress_flate=False)
        return output.getvalue()


def fold_grouping_elements(pdf) -> int:
    """Fold ``pdf``'s plain ``Span`` and ``NonStruct`` elements into their parents; returns how many went.

    The parent tree, which maps each marked-content sequence and annotation to its element,
    then names the element the content now belongs to. A parent tree split into ``Kids``
    (WeasyPrint writes one flat array) is left as it is, and so is everything else.
    """
    import pikepdf

    root = pdf.Root.get("/StructTreeRoot")
    tree = root.get("/ParentTree") if root is not None else None
    if tree is None or "/Kids" in tree or "/Nums" not in tree:
        return 0
    folded_into: dict[tuple[int, int], object] = {}
    for top in _kids(root):
        if isinstance(top, pikepdf.Dictionary) and "/S" in top:
            _fold_kids(top, folded_into)
    if not folded_into:
        return 0

    def owner(element):
        while isinstance(element, pikepdf.Dictionary) and element.objgen in folded_into:
            element = folded_into[element.objgen]
        return element

    nums = list(tree.Nums)
    for index in range(1, len(nums), 2):
        value = nums[index]
        nums[index] = pikepdf.Array([owner(item) for item in value]) if isinstance(value, pikepdf.Array) \
            else owner(value)
    tree.Nums = pikepdf.Array(nums)
    return len(folded_into)


def _kids(element) -> list:
    kids = element.get("/K")
    if kids is None:
        return []
    import pikepdf

    return list(kids) if isinstance(kids, pikepdf.Array) else [kids]


def _fold_kids(element, folded_into: dict) -> None:
    """Fold the grouping elements among ``element``'s descendants, deepest first."""
    import pikepdf

    page = element.get("/Pg")
    page_id = page.objgen if page is not None else None
    kids = []
    changed = False
    for kid in _kids(element):
        if not (isinstance(kid, pikepdf.Dictionary) and kid.is_indirect):
            kids.append(kid)
            continue
        if kid.get("/Type") == pikepdf.Name.OBJR:
            kids.append(pikepdf.Dictionary({key: kid[key] for key in kid.keys()}))
            changed = True
            continue
        if "/S" not in kid:
            kids.append(kid)
            continue
        _fold_kids(kid, folded_into)
        # Without a page of its own, the content it marks would take its parent's page.
        if str(kid.S) not in GROUPING or "/Pg" not in kid or not set(kid.keys()) <= PLAIN_KEYS:
            kids.append(kid)
            continue
        kid_page = kid.Pg
        same_page = kid_page.objgen == page_id
        for grandkid in _kids(kid):
            if isinstance(grandkid, int):
                # A bare number means "on the element's own page": once it moves up, it says
                # which page when that is not the parent's.
                kids.append(grandkid if same_page
                            else pikepdf.Dictionary(Type=pikepdf.Name.MCR, Pg=kid_page, MCID=grandkid))
            elif isinstance(grandkid, pikepdf.Dictionary) and grandkid.is_indirect and "/S" in grandkid:
                grandkid.P = element
                kids.append(grandkid)
            elif isinstance(grandkid, pikepdf.Dictionary) and "/Pg" not in grandkid and not same_page:
                kids.append(pikepdf.Dictionary({**{key: grandkid[key] for key in grandkid.keys()}, "/Pg": kid_page}))
            else:
                kids.append(grandkid)
        folded_into[kid.objgen] = element
        changed = True
    if changed:
        element.K = pikepdf.Array(kids)
