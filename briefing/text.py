"""Text folding shared by every stage that compares a curator's words with a source.

Only three things are folded: the style of quotation marks, dashes, and runs of white
space. Everything else must match exactly, because a brief's quotes are verbatim.
"""

from __future__ import annotations

import datetime as dt
import functools
import re

DOUBLE_QUOTES = "\"“”„‟«»"
SINGLE_QUOTES = "'‘’‚‛‹›"
DASHES = "-‐‑‒–—―"
_FOLD = str.maketrans(
    {**{c: '"' for c in DOUBLE_QUOTES}, **{c: "'" for c in SINGLE_QUOTES}, **{c: "-" for c in DASHES}}
)
_SPACE = re.compile(r"\s+")
# The runs of white space that are not already one plain space: replacing only these
# gives the same text as ``_SPACE`` and leaves an ordinary line untouched (no copy).
_ODD_SPACE = re.compile(r"[^\S ]\s*| \s+")


def replacer(table: dict[int, str]):
    """A function equal to ``str.translate(table)`` for a table that maps single characters
    to single characters none of which is itself a key.

    ``str.translate`` looks every character of a non-ASCII text up in the dict, about
    50 ns a character; the folded characters are rare, so testing for each and replacing
    only those present is about a hundred times faster on an article. ASCII text is
    returned as is when the table changes no ASCII character.
    """
    pairs = tuple((chr(k), v) for k, v in table.items() if chr(k) != v)
    changed = {c for c, _ in pairs}
    assert all(len(v) == 1 and v not in changed for _, v in pairs), "not a one-step table"
    ascii_same = all(not c.isascii() for c, _ in pairs)

    def apply(text: str) -> str:
        if ascii_same and text.isascii():
            return text
        for old, new in pairs:
            if old in text:
                text = text.replace(old, new)
        return text

    return apply


fold_chars = replacer(_FOLD)


def fold(text: str) -> str:
    """Fold quote marks, dashes and white space; strip the ends."""
    folded = fold_chars(text)
    # Every white space character but the plain space is unprintable, so a printable text
    # without a double space has nothing for the pattern to replace: checking that in C is
    # ten times faster than letting the pattern look at every space of a paragraph.
    if "  " in folded or not folded.isprintable():
        folded = _ODD_SPACE.sub(" ", folded)
    return folded.strip()


@functools.lru_cache(maxsize=8192)
def fold_with_offsets(text: str) -> tuple[str, tuple[int, ...]]:
    """Fold ``text`` and return, for each folded character, its offset in ``text``.

    Cached: every claim citing a paragraph folds it again, thousands of times in a large
    project. The offsets are a tuple so no caller can change the cached copy.
    The list has one extra entry, the offset just past the end, so that a folded span
    ``[a, b)`` maps back to ``text[offsets[a]:offsets[b - 1] + 1]``.
    """
    translated = fold_chars(text)
    if translated.isprintable() and "  " not in translated and translated[:1] != " " and translated[-1:] != " ":
        # The common paragraph: its only white space is single plain spaces inside it, so
        # folding changes no length and every character stays where it was.
        return translated, (*range(len(text)), len(text))
    out: list[str] = []
    offsets: list[int] = []
    in_space = False
    for index, char in enumerate(translated):
        if char.isspace():
            if not in_space and out:
                out.append(" ")
                offsets.append(index)
            in_space = True
            continue
        in_space = False
        out.append(char)
        offsets.append(index)
    if out and out[-1] == " ":
        out.pop()
        offsets.pop()
    offsets.append(len(text))
    return "".join(out), tuple(offsets)


def find_verbatim(needle: str, haystack: str) -> tuple[int, int] | None:
    """Where ``needle`` occurs in ``haystack`` once both are folded, as offsets into ``haystack``."""
    folded_needle = fold(needle)
    if not folded_needle:
        return None
    folded, offsets = fold_with_offsets(haystack)
    position = folded.find(folded_needle)
    if position < 0:
        return None
    end = position + len(folded_needle)
    return offsets[position], offsets[end - 1] + 1


def numbers_in(text: str) -> list[str]:
    """The numbers written in ``text`` as digits, e.g. ``['20', '2015']`` for '$20bn in 2015'."""
    return [m.rstrip(".,") for m in re.findall(r"\d[\d,.]*", text)]

MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def long_date(value: dt.date | None) -> str:
    """'24 March 2016', the same on every machine whatever its locale."""
    if value is None:
        return "date unknown"
    return f"{value.day} {MONTH_NAMES[value.month - 1]} {value.year}"


_SENTENCE_END = re.compile(r"(?<=[.!?])[”\"’']?\s+(?=[A-Z“\"‘])")


def first_sentence(text: str) -> str:
    """The first sentence of an analyst's summary (the whole text when it is one sentence)."""
    return _SENTENCE_END.split(text.strip(), maxsplit=1)[0]
