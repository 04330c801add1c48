"""Extraction stage, speech cues: the verbs that report speech and the speakers they name.

Works on a sentence's tokens, in which each quotation is a single placeholder token, so a
cue is never found inside the words of a quotation.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, NamedTuple

from .mentions import CONNECTORS, FUNCTION_CAPS, LOCATIVE, MODIFIERS, PERSON_NOUNS, ROLE_NOUNS
from .spans import Token

if TYPE_CHECKING:
    from .context import Article

QUOTE_TOKEN = "\x00Q"

# Every form that reports speech. Forms that are far more often nouns ("a warning", "the
# report", "comments") are left out on purpose.
_FORMS = """
say says said saying | tell tells told telling | add adds added adding
stress stresses stressed stressing | noted noting | warn warns warned | urge urges urged urging
call called calling | claim claimed claiming | insist insists insisted insisting
explain explains explained explaining | argue argues argued arguing | stated | declared declaring
announce announced announcing | affirmed affirming | confirm confirmed confirming
deny denies denied denying | admit admits admitted admitting | acknowledge acknowledges acknowledged acknowledging
assert asserted asserting | commented commenting | remarked | replied | responded | asked
wrote writes tweeted | continued | concluded | emphasised emphasized emphasising emphasizing
pointed | suggested | predicted | vowed vowing | pledged pledging | promised | recalled recalling
described describing | complained complaining | criticised criticized criticising criticizing
accuse accused accusing | blamed blaming | praised praising | welcomed welcoming | hailed hailing
reiterated reiterating | repeated | reaffirmed reaffirming | underlined underscored | conceded
observed | maintained | contended | quipped | joked | mentioned | reported | testified | cautioned
countered | lamented | boasted | proclaimed | quoted | believes believed | thinks | thought
dismissed dismissing | rejected rejecting | thanked thanking
"""
CUE_WORDS: dict[str, str] = {}
for _group in _FORMS.split("|"):
    _words = _group.split()
    for _word in _words:
        CUE_WORDS[_word] = _words[0]
# Verbs whose next noun phrase is the person spoken to ("told Kerry"), never the speaker.
OBJECT_FOLLOWS = frozenset("tell urge call accuse blame praise welcome hail criticised criticized describe quoted ask dismissed rejected thanked".split())
# Cues with no speaker-like subject when not next to a quotation.
WEAK = frozenset("believes believed thinks thought".split())
PRONOUNS = frozenset("he she they it".split())
_ADVERB_SKIP = frozenset("""
also later earlier again then has have had was is were would will did does do not never once
further separately recently subsequently first last reportedly previously repeatedly just
himself herself itself themselves yesterday today
""".split())
_EXTENSIONS = ("in a statement", "in an interview", "in a speech", "in comments", "in a tweet",
               "on twitter", "in a post", "in a letter", "in a briefing", "at a briefing",
               "at a news conference", "at a press conference", "to reporters", "to journalists")
_EXTENSION_WORDS = tuple(tuple(ext.split()) for ext in _EXTENSIONS)
_EXTENSION_FIRST = frozenset(words[0] for words in _EXTENSION_WORDS)
_LEADING = frozenset("""
in on at after before during while following ahead despite although though as when since
because if for with without under speaking noting urging saying asked according earlier later
meanwhile however moreover but and also still now then yet so shortly upon amid among
""".split())


class Cue(NamedTuple):
    """A speech cue found at token ``first``; ``last`` is the index just after it.

    A named tuple: cues are looked for at every token near a quotation, and a tuple is
    built several times faster than a frozen dataclass.
    """

    text: str
    lemma: str
    first: int
    last: int


class Speaker(NamedTuple):
    """Who a cue names: registry ids (empty if unknown), the words as written, how found.

    A named tuple, like Cue: one is made for nearly every cue in an article.
    """

    ids: tuple[str, ...]
    mention: str
    start: int
    end: int
    resolved_by: str  # "name" | "alias" | "pronoun" | "context" | "none"
    person: bool
    ambiguous: bool = False
    antecedent: str | None = None


def cue_at(toks: Sequence[Token], k: int) -> Cue | None:
    """The speech cue that starts at token ``k``, if any."""
    tok = toks[k]
    lower = tok.lower
    if lower == "according" and k + 1 < len(toks) and toks[k + 1].lower == "to":
        return Cue(f"{tok.text} {toks[k + 1].text}", "according", k, k + 2)
    lemma = CUE_WORDS.get(lower)
    if lemma is None:
        return None
    if lemma == "pointed" and not (k + 1 < len(toks) and toks[k + 1].lower == "out"):
        return None
    last = k + 1
    if last < len(toks) and toks[last].lower in _EXTENSION_FIRST:
        words = tuple(t.lower for t in toks[last:last + 4])
        for parts in _EXTENSION_WORDS:
            if words[:len(parts)] == parts:
                last += len(parts)
                break
    text = " ".join(t.text for t in toks[k:last])
    return Cue(text, lemma, k, last)


def explicit_subject(article: Article, toks: Sequence[Token], k: int, cue: Cue) -> Speaker | None:
    """The speaker a cue names itself: ``S said``, ``said S`` (right after a quote or comma),
    ``according to S``, ``quoted S as saying``; None when the cue has no subject of its own."""
    if cue.lemma == "according":
        np = parse_np_forward(toks, cue.last)
        return speaker_from_np(article, np, toks[k].start) if np else None
    if cue.lemma == "quoted":
        np = parse_np_forward(toks, cue.last)
        after = len(np) + cue.last if np else 0
        if np and after + 1 < len(toks) and toks[after].lower == "as" and toks[after + 1].lower == "saying":
            return speaker_from_np(article, np, toks[k].start)
        return None
    if cue.lemma in WEAK and not _next_to_quote(toks, cue):
        return None
    left = subject_left(article, toks, k)
    if left is not None:
        return left
    before = toks[k - 1].text if k > 0 else None
    if cue.lemma not in OBJECT_FOLLOWS and (before in (",", QUOTE_TOKEN, ":") or before is None):
        if cue.last < len(toks) and toks[cue.last].lower in PRONOUNS:
            return _pronoun(toks[cue.last])
        np = parse_np_forward(toks, cue.last)
        if np:
            return speaker_from_np(article, np, toks[k].start)
    return None


def _next_to_quote(toks: Sequence[Token], cue: Cue) -> bool:
    around = [toks[i].text for i in (cue.first - 1, cue.first - 2, cue.last, cue.last + 1) if 0 <= i < len(toks)]
    return QUOTE_TOKEN in around


def subject_left(article: Article, toks: Sequence[Token], k: int) -> Speaker | None:
    """The subject written just before the cue at ``k``: a pronoun, a name, or the antecedent
    of ``which``/``who``; an appositive between commas is skipped (``Putin, speaking
    through a translator, said``)."""
    j = k - 1
    while j >= 0 and (toks[j].lower in _ADVERB_SKIP or (toks[j].lower.endswith("ly") and toks[j].text.islower())):
        j -= 1
    if j >= 1 and toks[j].lower == "turn" and toks[j - 1].lower == "in":
        j -= 2
    if j < 0:
        return None
    tok = toks[j]
    if tok.lower in PRONOUNS:
        return _pronoun(tok)
    if tok.lower in ("which", "who", "that") and j >= 1:
        # "the ministry, which also says" / "critics who called it": the antecedent speaks.
        before = j - 2 if toks[j - 1].text == "," else j - 1
        np = parse_np_back(toks, before) if before >= 0 else []
        if np:
            return speaker_from_np(article, np, toks[k].start)
        if before >= 0 and toks[before].is_word:
            word = toks[before]
            return Speaker((), word.text, word.start, word.end, "none", False)
        return None
    if tok.text == ",":
        return _appositive(article, toks, j, k)
    np = parse_np_back(toks, j)
    if np:
        return speaker_from_np(article, np, toks[k].start)
    if tok.is_word and tok.text.islower() and tok.lower not in _NOT_SUBJECTS and not tok.lower.endswith("ing"):
        # "what some call", "critics who called it": a speaker, if not one to name.
        return Speaker((), tok.text, tok.start, tok.end, "none", False)
    return None


_NOT_SUBJECTS = frozenset("""
and but or nor to that then also not so yet as if when while what where there this these those
of in on at for with by from about into than after before been being be is are was were has
have had can could may might must should would will shall
""".split())


def _appositive(article: Article, toks: Sequence[Token], j: int, k: int) -> Speaker | None:
    """``X, Y, said``: of the name and its appositive, the one the registry knows, else the
    one that looks like a name; a participle between the commas (``Putin, speaking through
    a translator, said``) is skipped."""
    for j2 in range(j - 1, max(-1, j - 14), -1):
        if toks[j2].text in (".", ";", ":", QUOTE_TOKEN):
            return None
        if toks[j2].text != ",":
            continue
        outer = parse_np_back(toks, j2 - 1)
        inner = parse_np_back(toks, j - 1)
        if inner and inner[0].start != toks[j2 + 1].start:
            inner = []  # "the jury, chaired by actress Helen Moss, called": not an appositive
        candidates = [speaker_from_np(article, np, toks[k].start) for np in (inner, outer) if np]
        for speaker in candidates:
            if speaker.ids:
                return speaker
        named = [c for c in candidates if sum(w[:1].isupper() for w in c.mention.split()) >= 2]
        if named:
            return named[0]
        return candidates[-1] if outer and candidates else None
    return None


def _pronoun(tok: Token) -> Speaker:
    return Speaker((), tok.text, tok.start, tok.end, "pronoun", tok.lower in ("he", "she"))


def _base(lower: str) -> str:
    """A folded word without its possessive ("minister's" -> "minister"); a string method,
    not a regular expression, because this runs for almost every word of a speaker phrase."""
    return lower[:-2] if lower.endswith(("'s", "’s")) else lower


def _np_word(tok: Token) -> bool:
    if tok.text == QUOTE_TOKEN or not tok.is_word:
        return False
    lower = tok.lower
    if tok.capitalized:
        return lower not in FUNCTION_CAPS and lower not in CUE_WORDS
    base = _base(lower)
    return base in ROLE_NOUNS or lower in MODIFIERS


def parse_np_back(toks: Sequence[Token], j: int) -> list[Token]:
    """The noun phrase that ends at token ``j``, read backwards; [] if there is none.

    A locative complement is dropped ("fighters in Western Syria" is the fighters).
    """
    collected: list[Token] = []
    i = j
    while i >= 0:
        tok = toks[i]
        if tok.text == ")":
            open_at = next((o for o in range(i - 1, max(-1, i - 7), -1) if toks[o].text == "("), None)
            if open_at is None:
                break
            collected.extend(reversed(toks[open_at:i + 1]))
            i = open_at - 1
            continue
        lower = tok.lower
        if lower in ("the", "a", "an", "his", "her", "its", "their", "our"):
            if collected:
                collected.append(tok)
            if collected and lower == "the" and i >= 2 and toks[i - 1].lower in CONNECTORS and _np_word(toks[i - 2]):
                i -= 1  # "envoy to the United Nations Vitaly Churkin": the phrase goes on
                continue
            break
        if lower in CONNECTORS and collected and (collected[-1].capitalized or collected[-1].lower == "the"):
            collected.append(tok)
        elif lower in LOCATIVE and collected and i > 0 and _np_word(toks[i - 1]):
            collected = []  # "the ambassador in Moscow": keep the head, drop the place
        elif _np_word(tok):
            collected.append(tok)
        else:
            break
        i -= 1
    collected.reverse()
    while collected and (collected[0].lower in CONNECTORS or collected[0].text == "("):
        collected.pop(0)
    if not any(t.capitalized or _base(t.lower) in ROLE_NOUNS for t in collected):
        return []
    if all(t.lower in MODIFIERS for t in collected):
        return []
    return collected


def parse_np_forward(toks: Sequence[Token], i: int) -> list[Token]:
    """The noun phrase that starts at token ``i``; [] if there is none."""
    collected: list[Token] = []
    while i < len(toks):
        tok = toks[i]
        lower = tok.lower
        if tok.text == "(" and collected:
            close = next((c for c in range(i + 1, min(len(toks), i + 7)) if toks[c].text == ")"), None)
            if close is None:
                break
            collected.extend(toks[i:close + 1])
            i = close + 1
            continue
        if lower in ("the", "a", "an", "his", "her", "its", "their", "our") and not collected:
            collected.append(tok)
        elif (collected and collected[0].lower in ("the", "a", "an") and tok.text.islower() and tok.is_word
              and any(_base(t.lower) in ROLE_NOUNS for t in toks[i + 1:i + 3])):
            collected.append(tok)  # "the central bank": an adjective before a role noun
        elif (lower in CONNECTORS and collected and i + 1 < len(toks)
              and (toks[i + 1].capitalized or toks[i + 1].lower == "the")):
            collected.append(tok)
        elif _np_word(tok):
            collected.append(tok)
        else:
            break
        i += 1
    while collected and (collected[-1].lower in CONNECTORS or collected[-1].lower in ("the", "a", "an")):
        collected.pop()
    if not any(t.capitalized or _base(t.lower) in ROLE_NOUNS for t in collected):
        return []
    return collected


DOCUMENT_NOUNS = frozenset("statement warning report communique letter release advisory document note declaration".split())


def speaker_from_np(article: Article, np: Sequence[Token], position: int) -> Speaker:
    """Resolve a speaker noun phrase: a definite description ("the ministry", "the
    official") to the nearest earlier matching mention, anything else through the registry."""
    text = article.text
    words = [t.lower for t in np]
    person_words = any(_base(w) in PERSON_NOUNS for w in words)
    if len(np) >= 2 and words[0] in ("the", "this", "that") and not any(t.capitalized for t in np[1:]):
        found = _antecedent(article, words[-1], np[0].start)
        if found is not None:
            ids, written = found
            person = person_words or any(article.names.kind(i) == "person" for i in ids)
            return Speaker(ids, text[np[0].start:np[-1].end], np[0].start, np[-1].end,
                           "alias" if ids else "none", person, antecedent=written)
    res = article.names.resolve(np, text)
    assert res is not None
    return Speaker(res.ids, res.text, res.start, res.end, res.how, res.person or person_words)


# How far back, in characters, "the ministry" looks for what it refers to, besides the
# eight-paragraph limit: a long article in one paragraph must not make every look-up
# reread everything before it. Eight ordinary paragraphs are well under this.
LOOKBACK = 20_000


def _antecedent(article: Article, head: str, before: int) -> tuple[tuple[str, ...], str] | None:
    """Who "the <head>" refers to: the nearest earlier mention or speaker with that word in
    its name or role; for documents ("the warning"), whoever issued the nearest one."""
    sentence = article.sentence_at(before)
    floor = sentence.paragraph - 8 if sentence else 0
    window = max(article.paragraph_start(floor), before - LOOKBACK)
    if head in DOCUMENT_NOUNS:
        for match in _backwards(re.compile(rf"\b{re.escape(head)}\b", re.IGNORECASE), article.text, window, before):
            where = article.sentence_at(match.start())
            if where is None or where.paragraph < floor:
                return None
            inside = article.mentions_between(where.start, match.start())
            if inside:
                start, end, ids = inside[-1]
                return ids, article.text[start:end]
        return None
    best = article.nearest_mention_with(head, window, before)
    act = article.latest_speaker_with(head, window, before)
    if act is not None and (best is None or act.speaker.start > best[0]):
        best = (act.speaker.start, act.speaker.ids, act.speaker.mention)
    if best is None:
        return None
    where = article.sentence_at(best[0])
    if where is not None and where.paragraph < floor:
        return None
    return best[1], best[2]


def _backwards(pattern: re.Pattern[str], text: str, start: int, end: int) -> Iterator[re.Match[str]]:
    """The matches of ``pattern`` (a whole word) in ``text[start:end]``, nearest the end first.

    Read a growing stretch at a time, back from ``end``: the nearest document is usually a
    sentence or two back, and scanning the whole look-back window for every "the
    statement" made a long article quadratic in practice. A whole word cannot overlap
    another match, so each stretch yields only the matches that begin in it.
    """
    stop = end
    size = 1000
    while stop > start:
        begin = max(start, stop - size)
        found = [m for m in pattern.finditer(text, begin, end) if m.start() < stop]
        yield from reversed(found)
        stop = begin
        size *= 4


def leading_subject(article: Article, toks: Sequence[Token]) -> Speaker | None:
    """The grammatical subject of a sentence: its first noun phrase, after any leading
    adverbial clause ("Ahead of the talks, the Russian foreign ministry ...")."""
    i = 0
    if toks and (toks[0].lower in _LEADING or toks[0].lower.endswith("ing")):
        comma = next((c for c, t in enumerate(toks) if t.text == ","), None)
        if comma is None:
            return None
        i = comma + 1
    if i < len(toks) and toks[i].lower in PRONOUNS:
        return _pronoun(toks[i])
    np = parse_np_forward(toks, i)
    return speaker_from_np(article, np, toks[i].start) if np else None
