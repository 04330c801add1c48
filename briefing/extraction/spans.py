"""Extraction stage, text geometry: quotation-mark spans, sentences and word tokens.

Everything here works on offsets into the article text as read, so every record the
later steps build can point back at the exact characters of the source.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import operator
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ..sources import Paragraph
from ..text import replacer

DOUBLE = '"“”„‟«»'
SINGLE = "'‘’‚‛‹›"
MARKS = DOUBLE + SINGLE
_OPEN_LEFT = "([{<—–-/:" + MARKS  # a mark after these (or another mark) may open a quote: (“, —“, :“
_CLOSE_RIGHT = ".,;:!?)]}>—–-…" + MARKS  # a mark before these (or another mark) may close a quote: ”, ”. ”)


def positions_of(text: str, chars: str) -> list[int]:
    """Every offset in ``text`` of any of ``chars``, in order.

    str.find, one character at a time: ``re`` scanning for a class of characters reads a
    non-ASCII article (curly quotes are enough) several times slower.
    """
    positions = []
    for char in chars:
        at = text.find(char)
        while at >= 0:
            positions.append(at)
            at = text.find(char, at + 1)
    positions.sort()
    return positions


@dataclass(frozen=True)
class MarkedSpan:
    """One quotation found by its marks, possibly in several pieces or paragraphs.

    ``pieces`` are the offsets of the words inside the marks; ``outer`` runs from the
    first opening mark to the last closing mark (or to the paragraph end when unclosed).
    """

    pieces: tuple[tuple[int, int], ...]
    regions: tuple[tuple[int, int], ...]  # each piece with its marks: opaque to sentence splitting
    outer: tuple[int, int]
    paragraphs: tuple[int, ...]
    family: str  # "double" | "single"
    closed: bool


def _family(char: str) -> str | None:
    if char in DOUBLE:
        return "double"
    if char in SINGLE:
        return "single"
    return None


def _roles(text: str, i: int) -> tuple[bool, bool]:
    """Whether the mark at ``i`` may open and may close a quotation, judged by its neighbours."""
    prev = text[i - 1] if i > 0 else " "
    nxt = text[i + 1] if i + 1 < len(text) else " "
    if text[i] in SINGLE and prev.isalnum() and nxt.isalnum():
        return False, False  # an apostrophe inside a word: shouldn't, Let's, Kerry's
    can_open = (not nxt.isspace() and nxt not in ",;)]}"
                and (prev.isspace() or prev in _OPEN_LEFT or (prev in ".!?,;…" and nxt.isalnum())))
    can_close = (not prev.isspace() and prev not in "([{"
                 and (nxt.isspace() or nxt in _CLOSE_RIGHT
                      or (prev in ".!?,;…" and nxt.isalnum())))
    return can_open, can_close


class _Open:
    """A quotation being read: its family, the pieces so far, where the current piece began."""

    def __init__(self, family: str, mark: int, paragraph: int) -> None:
        self.family = family
        self.first_mark = mark
        self.piece_start = mark + 1
        self.pieces: list[tuple[int, int]] = []
        self.regions: list[tuple[int, int]] = []
        self.paragraphs = [paragraph]

    def add_piece(self, text: str, end: int, region_end: int | None = None) -> None:
        start = region_start = self.piece_start
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            self.pieces.append((start, end))
            self.regions.append((region_start - 1, region_end if region_end is not None else end))

    def finish(self, outer_end: int, closed: bool) -> MarkedSpan | None:
        if not self.pieces:
            return None
        return MarkedSpan(tuple(self.pieces), tuple(self.regions), (self.first_mark, outer_end),
                          tuple(dict.fromkeys(self.paragraphs)), self.family, closed)


def find_marked_spans(text: str, paragraphs: Sequence[Paragraph]) -> list[MarkedSpan]:
    """Every top-level quotation in the paragraphs, in text order.

    Marks are read by their neighbours rather than their shape, because real articles mix
    straight, curly and guillemet marks and sometimes turn them the wrong way (``»…»``).
    Nested quotations stay inside the outer one. An opening mark left unclosed at a
    paragraph's end continues into the next paragraph if that one opens with a mark of
    the same family (the newspaper convention for long quotes); otherwise a double
    quotation ends at the paragraph's end, flagged unclosed, and a single one is dropped
    as a stray apostrophe, so one bad mark never swallows the rest of the article.
    """
    spans: list[MarkedSpan] = []
    carry: _Open | None = None
    # Only the marks themselves are visited, found once: a Python step per character, or
    # even per paragraph, would make this the slowest pass of the extractor.
    marks = positions_of(text, MARKS)
    for number, para in enumerate(paragraphs):
        follower = paragraphs[number + 1] if number + 1 < len(paragraphs) else None
        next_opens = follower is not None and _family(text[follower.start]) == "single"
        begin = para.start
        current: _Open | None = None
        if carry is not None:
            first = begin
            while first < para.end and text[first].isspace():
                first += 1
            if first < para.end and _family(text[first]) == carry.family:
                current, carry = carry, None
                current.piece_start = first + 1
                current.paragraphs.append(para.number)
                begin = first + 1
            else:
                _flush_unclosed(carry, spans, text)
                carry = None
        inner: str | None = None
        first_mark = bisect.bisect_left(marks, para.start)
        end_mark = bisect.bisect_left(marks, para.end)
        if first_mark == end_mark and current is None:
            continue  # no quotation in this paragraph, and none going on from the last one
        # Where a single mark could close, found once per paragraph so the look-ahead for
        # a partner stays logarithmic even in a paragraph full of apostrophes.
        closers = [i for i in marks[first_mark:end_mark] if text[i] in SINGLE and _roles(text, i)[1]]
        for i in marks[bisect.bisect_left(marks, begin, first_mark, end_mark):end_mark]:
            family = "double" if text[i] in DOUBLE else "single"
            can_open, can_close = _roles(text, i)
            partner_later = family == "single" and bisect.bisect_right(closers, i) < len(closers)
            if current is None:
                if can_open and (family == "double" or partner_later
                                 or next_opens and (i == para.start or text[i - 1] == " ")):
                    current, inner = _Open(family, i, para.number), None
                continue
            if family == current.family:
                if (family == "single" and can_close and text[i - 1] in "sz" and i + 2 < len(text)
                        and text[i + 1] == " " and text[i + 2].islower() and partner_later):
                    continue  # 'a developers' charter': a plural possessive inside the quote
                if can_close:
                    current.add_piece(text, i, i + 1)
                    span = current.finish(i + 1, True)
                    if span:
                        spans.append(span)
                    current, inner = None, None
                elif can_open and family == "double" and inner is None:
                    # A second opener before any closer: the first mark was stray.
                    current.add_piece(text, i)
                    _flush_unclosed(current, spans, text, end=i)
                    current = _Open(family, i, para.number)
                continue
            if inner is None:
                if can_open and (family == "double" or partner_later):
                    inner = family
            elif inner == family and can_close:
                inner = None
        if current is not None:
            current.add_piece(text, para.end)
            carry = current
    if carry is not None:
        _flush_unclosed(carry, spans, text)
    return spans


_ATTRIBUTION = re.compile(
    r",\s+(?:(?:said|says|added|told|wrote)\s+[A-Z\w]|(?:he|she|they)\s+(?:said|says|added)\b"
    r"|(?:[A-Z][\w’'.-]*\s+){1,4}(?:said|says|added|told)\b)")


def _flush_unclosed(current: _Open, spans: list[MarkedSpan], text: str = "", end: int | None = None) -> None:
    if current.family != "double":
        return  # an unclosed single mark is far more often an apostrophe than a quote
    if text and current.pieces:
        # A forgotten closing mark before its attribution ("Crews are working, said Dan
        # Price."): end the quotation at that comma rather than at the paragraph's end.
        s, e = current.pieces[-1]
        match = _ATTRIBUTION.search(text, s, e)
        if match:
            current.pieces[-1] = (s, match.start() + 1)
            current.regions[-1] = (current.regions[-1][0], match.start() + 1)
            end = match.start() + 1
    outer_end = end if end is not None else (current.pieces[-1][1] if current.pieces else current.first_mark)
    span = current.finish(outer_end, False)
    if span:
        spans.append(span)


# --- patterns --------------------------------------------------------------------------

def guarded(pattern: re.Pattern[str]) -> re.Pattern[str]:
    """``pattern`` behind a look-ahead for the characters any of its matches can begin with.

    ``re`` tries a pattern at every position of the text, and a pattern that begins with
    ``\\b`` and a list of words tries every word at every word start. One character
    class, checked first, rejects most positions in a single step, which halves the time
    of the date and fact patterns. The class is read from the pattern itself, so the
    matches cannot change; a pattern whose first characters cannot be read that simply is
    returned as it is.
    """
    first = _first_chars(pattern.pattern, pattern.flags)
    if first is None:
        return pattern
    try:
        return re.compile(f"(?=[{first}])(?:{pattern.pattern})", pattern.flags)
    except re.error:  # e.g. a global flag such as (?i), which must open the pattern
        return pattern


def _first_chars(source: str, flags: int) -> str | None:
    """A character-class body that holds every character a match of ``source`` can begin
    with (under ``flags``, so IGNORECASE applies to it alike), or None if unsure."""
    try:
        from re import _constants as op, _parser
        items = list(_parser.parse(source, flags))
    except (ImportError, AttributeError, re.error):
        return None
    pieces: set[str] = set()
    if not _collect_first(items, pieces, op):
        return None  # the pattern can match the empty string: any position may start a match
    return "".join(sorted(pieces))


def _collect_first(items: list, pieces: set[str], op) -> bool | None:
    """Add to ``pieces`` the characters the sequence ``items`` (a parsed pattern) can begin
    with. True if it always consumes a character, False if it can match empty, None if
    it holds something this does not read (then the caller gives up)."""
    categories = {op.CATEGORY_DIGIT: r"\d", op.CATEGORY_WORD: r"\w", op.CATEGORY_SPACE: r"\s"}
    for kind, value in items:
        if kind in (op.AT, op.ASSERT, op.ASSERT_NOT):
            continue  # zero width: the next item decides
        if kind is op.LITERAL:
            pieces.add(re.escape(chr(value)))
            return True
        if kind is op.IN:
            for member, arg in value:
                if member is op.LITERAL:
                    pieces.add(re.escape(chr(arg)))
                elif member is op.RANGE:
                    pieces.add(f"{re.escape(chr(arg[0]))}-{re.escape(chr(arg[1]))}")
                elif member is op.CATEGORY and arg in categories:
                    pieces.add(categories[arg])
                else:
                    return None  # a negated class or a category not mapped above
            return True
        if kind is op.BRANCH:
            results = [_collect_first(list(branch), pieces, op) for branch in value[1]]
            if None in results:
                return None
            if all(results):
                return True
            continue  # a branch can be empty: what follows may start the match
        if kind is op.SUBPATTERN:
            if value[1] or value[2]:
                return None  # flags changed inside the group
            result = _collect_first(list(value[3]), pieces, op)
        elif kind in (op.MAX_REPEAT, op.MIN_REPEAT):
            result = _collect_first(list(value[2]), pieces, op)
            if result and value[0] == 0:
                result = False  # optional
        else:
            return None
        if result is None:
            return None
        if result:
            return True
    return False


# --- sentences -------------------------------------------------------------------------

_ABBREVIATIONS = {
    "mr", "mrs", "ms", "dr", "st", "gen", "sen", "rep", "gov", "lt", "col", "sgt", "capt", "prof",
    "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
    "no", "vs", "etc", "inc", "corp", "co", "ltd", "jr", "sr", "fig", "approx", "est",
}
_END = re.compile(r"[.!?…]+")
_LAST_WORD = re.compile(r"(\w+)$")  # searched in the few characters before a full stop
_CLOSERS = ")]" + MARKS  # what may follow a sentence's last full stop and still belong to it


def stop_runs(text: str) -> list[tuple[int, int]]:
    """The spans of every run of sentence-ending punctuation (``.!?…``) in ``text``, as
    ``_END.finditer`` finds them, for ``sentence_spans``: an article is read for them once,
    not once per paragraph.

    The characters are found by ``positions_of`` and joined where they touch.
    """
    runs: list[tuple[int, int]] = []
    for at in positions_of(text, ".!?…"):
        if runs and runs[-1][1] == at:
            runs[-1] = (runs[-1][0], at + 1)
        else:
            runs.append((at, at + 1))
    return runs


def _runs_within(runs: Sequence[tuple[int, int]], start: int, end: int) -> list[tuple[int, int]]:
    """The runs (sorted, disjoint) that overlap ``[start, end)``, cut to it: exactly the runs
    a search of that stretch alone would find."""
    first = bisect.bisect_left(runs, start, key=_RUN_START)
    if first and runs[first - 1][1] > start:
        first -= 1
    found = list(runs[first:bisect.bisect_left(runs, end, lo=first, key=_RUN_START)])
    if found:
        found[0] = (max(found[0][0], start), found[0][1])
        found[-1] = (found[-1][0], min(found[-1][1], end))
    return found


_RUN_START = operator.itemgetter(0)


def sentence_spans(text: str, start: int, end: int, quotes: Sequence[tuple[int, int]] = (),
                   stops: Sequence[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
    """Split ``text[start:end]`` into sentences, never inside a quotation.

    ``quotes`` are the ``outer`` spans of quotations. A full stop inside a quotation ends
    the sentence only when the closing mark is followed by a capital, so ``"…ends." he
    said`` stays one sentence. Articles often drop the space after a full stop
    (``Moscow.Putin``); a lowercase letter, full stop, capital is taken as a boundary.
    ``stops``, when given, are ``stop_runs(text)``.
    """
    if stops is None:
        runs = [match.span() for match in _END.finditer(text, start, end)]
    else:
        runs = _runs_within(stops, start, end)
    bounds: list[int] = []
    opens = {q[0] for q in quotes}
    count = len(quotes)
    qi = 0
    for stop, pos in runs:
        while qi < count and quotes[qi][1] <= stop:
            qi += 1
        if qi < count and quotes[qi][0] < stop < quotes[qi][1]:  # inside a quotation
            if pos != quotes[qi][1] - 1:
                continue
            pos = quotes[qi][1]  # a quotation ending its own sentence: "... forward."
        elif pos == stop + 1 and text[stop] == ".":
            word = _LAST_WORD.search(text, max(start, stop - 12), stop)
            if word and (word.group(1).casefold() in _ABBREVIATIONS
                         or (len(word.group(1)) == 1 and word.group(1).isupper())):
                continue  # Dr. Smith, U.S. officials, Dec. 15
        while pos < end and text[pos] in _CLOSERS and pos not in opens and _roles(text, pos)[1]:
            pos += 1
        nxt = pos
        while nxt < end and text[nxt].isspace():
            nxt += 1
        if nxt >= end:
            break
        follower = text[nxt]
        if nxt == pos and not (follower.isupper() and stop > 0 and text[stop - 1].islower()
                               or follower in MARKS):
            continue  # 3.5, U.S.-led, e.g.
        if follower.isupper() or follower.isdigit() or follower in MARKS or follower == "(":
            bounds.append(pos)
    bounds.append(end)
    trimmed = []
    left = start
    for right in bounds:
        if right > left:
            # str.strip removes exactly what str.isspace calls white space, in C.
            piece = text[left:right]
            body = piece.lstrip()
            if body:
                trimmed.append((left + len(piece) - len(body), right - len(body) + len(body.rstrip())))
        left = right
    return trimmed


# --- tokens ----------------------------------------------------------------------------

# The first branch reads a plain word (no apostrophe, hyphen or full stop after it: then
# the initials and joined-word branches could only match the same word) without entering
# their repeats, which re sets up at every word; it changes no token.
TOKEN = re.compile(r"\w++(?![’'\-.])|(?:[A-Z]\.){2,}|\w+(?:[’'\-.]\w+)*(?:[’']s?(?!\w))?|[^\w\s]")


class Token(NamedTuple):
    """A word or punctuation mark with its offsets.

    A named tuple rather than a frozen dataclass: an article makes thousands of these, and
    a tuple is built several times faster while staying just as immutable.
    """

    text: str
    start: int
    end: int
    lower: str  # the text case-folded, once: the cue and name look-ups ask for it again and again

    @classmethod
    def at(cls, text: str, start: int, end: int) -> Token:
        """The token ``text`` found at ``[start, end)``."""
        # tuple.__new__ skips the named tuple's Python-level __new__: a third faster.
        return tuple.__new__(cls, (text, start, end, text.casefold()))

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum()

    @property
    def capitalized(self) -> bool:
        return self.text[0].isupper()


# Every character that is not white space starts or continues a token (a word character
# starts a word, anything else is a token alone), so only white space lies between
# tokens: a token with the white space before it, read by findall, gives every offset.
_SPACED_TOKEN = re.compile(r"(\s*)(" + TOKEN.pattern + ")")
_new_tuple = tuple.__new__
_make_token = functools.partial(_new_tuple, Token)


def tokens(text: str, start: int, end: int) -> list[Token]:
    """Word and punctuation tokens of ``text[start:end]``; ``U.S.`` and ``Kerry's`` are one token each."""
    pairs = _SPACED_TOKEN.findall(text, start, end)
    if not pairs:
        return []
    # The offsets are running sums of the lengths of the gaps and tokens, and the tokens
    # are built by tuple.__new__ (skipping the named tuple's Python-level __new__): all in
    # C, which is a good deal faster than reading three attributes of a match per token.
    bounds = list(itertools.accumulate(map(len, itertools.chain.from_iterable(pairs)), initial=start))
    texts = [token for _, token in pairs]
    return list(map(_make_token, zip(texts, bounds[1::2], bounds[2::2], map(str.casefold, texts))))


def alternation(words: Iterable[str], tails: dict[str, str] | None = None) -> str:
    """A regular expression matching any of ``words``, factored into a prefix tree.

    Python's ``re`` tries the branches of ``a|b|c`` one by one at every position; a tree
    (``sa(?:id|ys)``) lets it reject most positions on the first character, which makes
    a scan for a hundred cue words several times faster. ``tails`` may give a word a
    pattern that must follow it (typically a look-ahead).
    """
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = (tails or {}).get(word, "")
    return _branch(tree)


def _branch(node: dict) -> str:
    options = []
    ends = "" in node
    for char in sorted(k for k in node if k):
        options.append(re.escape(char) + _branch(node[char]))
    if not options:
        return node.get("", "")
    body = options[0] if len(options) == 1 and not ends else "(?:" + "|".join(options) + ")"
    if not ends:
        return body
    tail = node[""]
    return body + "?" if not tail else f"(?:{body}|{tail})"


_SEARCH_FOLD = str.maketrans({**{c: '"' for c in DOUBLE}, **{c: "'" for c in SINGLE},
                               **{c: "-" for c in "‐‑‒–—―"}, "ı": "i", "İ": "i"})
_search_fold = replacer(_SEARCH_FOLD)


def search_text(text: str) -> tuple[str, bool]:
    """``text`` with quotation marks and dashes folded and case folded, character for
    character, so that offsets into it are offsets into ``text``; and whether that folding
    is exact (every character case-folds to one character).

    Scans for words run over this copy without IGNORECASE, which is much slower in
    ``re``. The dotless ı and dotted İ are folded to i because IGNORECASE treats them
    as i. A character whose case-folding is longer than itself (ß, ligatures) is
    lower-cased alone if that keeps one character, else kept: rare, and only then does
    this cost a Python step per character.
    """
    folded = _search_fold(text).casefold()
    if len(folded) == len(text):
        return folded, True
    return "".join(f if len(f := c.casefold()) == 1 else c.lower() if len(c.lower()) == 1 else c
                   for c in _search_fold(text)), False


def search_word(word: str) -> str:
    """A word folded as ``search_text`` folds the article, to look for it there."""
    return _search_fold(word).casefold()


class Triggers:
    """What the detailed patterns of one extractor cannot match without, so that a sentence
    with none of it is never searched with them.

    Each detailed pattern (a label) is given the words it needs (matched case-insensitively
    at the start of a word, as prefixes: "sentenced" fires "sentence"), the classes of
    character a word it needs may start with (``r"\\d"``: a number, which every date or
    figure pattern matches at a word boundary), and the symbols it needs wherever they
    stand ("$"). ``re`` spends far longer on a pattern with many branches and look-arounds
    than on one alternation of plain words, so ``WordScan`` looks for the triggers of every
    extractor in one pass and only the sentences they fire are searched in detail.
    """

    def __init__(self, words: dict[str, Iterable[str]], initials: dict[str, Iterable[str]],
                 symbols: dict[str, Iterable[str]]) -> None:
        self.words = {search_word(w): frozenset(v) for w, v in words.items()}
        self.initials = {c: frozenset(v) for c, v in initials.items()}
        self.symbols = {c: frozenset(v) for c, v in symbols.items()}
        assert all(re.fullmatch(r"\w+", w) and w[0].isalpha() for w in self.words), "trigger words are words"


# The trigger sets of the fact and event extractors, by name: Article scans for all of
# them at once, because one pass of a bigger prefix tree costs about what one pass of a
# small one does (re pays per position, not per branch).
SHARED_TRIGGERS: dict[str, Triggers] = {}


@dataclass(frozen=True)
class ScanResult:
    """What one ``WordScan`` of an article found: per sentence the keys that fired there
    (trigger words as matched, or a class or symbol name), and the whole words asked for,
    as (offset, sentence index)."""

    keys: dict[int, set[str]]
    whole: list[tuple[int, int]]


class WordScan:
    """One pass over an article's ``search_text`` for the triggers of several extractors
    and for a set of whole words (the speech cues).

    The pattern is one prefix tree of every word, anchored at a word start; at each word
    start it matches the longest word of the tree the text begins with, and since every
    word is made of word characters, no other match could start inside it. The trigger
    labels of a match are those of every trigger word it begins with, exactly what a scan
    for that extractor's own words would have fired; a whole word is one whose match is
    followed by no word character.
    """

    def __init__(self, parts: dict[str, Triggers], whole_words: Iterable[str]) -> None:
        self.whole_words = frozenset(search_word(w) for w in whole_words)
        assert all(re.fullmatch(r"\w+", w) and w[0].isalpha() for w in self.whole_words)
        vocabulary = set(self.whole_words).union(*(part.words for part in parts.values()))
        initials = sorted({c for part in parts.values() for c in part.initials})
        self._initial_keys = {c: f"i{n}" for n, c in enumerate(initials)}
        self._symbols = sorted({c for part in parts.values() for chars in part.symbols for c in chars})
        self._labels: dict[str, dict[str, frozenset[str]]] = {}
        for name, part in parts.items():
            labels = {word: frozenset().union(*(v for trigger, v in part.words.items() if word.startswith(trigger)))
                      for word in vocabulary}
            for char_class, key in self._initial_keys.items():
                labels[key] = part.initials.get(char_class, frozenset())
            for symbol in self._symbols:
                labels[symbol] = frozenset().union(*(v for chars, v in part.symbols.items() if symbol in chars))
            self._labels[name] = labels
        branches = [alternation(vocabulary)] + [rf"(?P<{key}>[{c}])\w*" for c, key in self._initial_keys.items()]
        self._pattern = re.compile(r"\b(?:" + "|".join(branches) + ")")

    def run(self, folded: str, starts: Sequence[int], ends: Sequence[int]) -> ScanResult:
        """Scan the sentences ``[starts[i], ends[i])`` (sorted, disjoint) of ``folded``, an
        article's ``search_text``: matching case-folded text against lower-case words is
        about three times faster in ``re`` than IGNORECASE."""
        keys: dict[int, set[str]] = {}
        whole: list[tuple[int, int]] = []
        if not starts:
            return ScanResult(keys, whole)
        i = 0
        for match in self._pattern.finditer(folded, starts[0], ends[-1]):
            position = match.start()
            while ends[i] <= position:
                i += 1  # matches come in order, and the last sentence ends where the scan does
            if position < starts[i]:
                continue  # between sentences: white space or a dropped line
            key = match.lastgroup or match.group()
            if i in keys:
                keys[i].add(key)
            else:
                keys[i] = {key}
            if key in self.whole_words:
                after = folded[match.end():match.end() + 1]
                if not (after.isalnum() or after == "_"):
                    whole.append((position, i))
        for symbol in self._symbols:
            position = folded.find(symbol, starts[0], ends[-1])
            while position >= 0:
                i = bisect.bisect_right(starts, position) - 1
                if i >= 0 and position < ends[i]:
                    keys.setdefault(i, set()).add(symbol)
                position = folded.find(symbol, position + 1, ends[-1])
        return ScanResult(keys, whole)

    def fired(self, name: str, result: ScanResult) -> dict[int, frozenset[str]]:
        """The labels the triggers registered as ``name`` fire in each sentence, by index."""
        labels = self._labels[name]
        fired = {}
        for index, keys in result.keys.items():
            # A sentence has a key or two: a plain loop is cheaper than union(*generator).
            found: frozenset[str] = frozenset()
            for key in keys:
                found = found | labels[key] if found else labels[key]
            if found:
                fired[index] = found
        return fired
