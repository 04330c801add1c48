"""Extraction stage, names: noun phrases that name a speaker, resolved to the actor registry.

Matching is by tokens, not by a giant regular expression, so that it stays linear in the
length of the article however many aliases the registry has.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterator, Sequence
from typing import NamedTuple

from ..actors import Registry
from ..text import fold, fold_chars
from .spans import DOUBLE, SINGLE, Token, alternation, search_word, tokens

# Lower-case words that may sit inside a speaker's noun phrase ("a senior State
# Department official", "Russia's envoy to the United Nations Vitaly Churkin").
ROLE_NOUNS = frozenset("""
official officials spokesperson spokesman spokeswoman spokespeople minister ministers ministry
department secretary president envoy ambassador adviser advisor aide aides representative
representatives head leader leaders chief commander diplomat diplomats analyst analysts expert
experts senator lawmaker lawmakers director chairman chairwoman chair mayor governor source
sources government office agency newspaper daily statement warning report communique
spokesperson's prosecutor prosecutors judge court police army military general premier
counterpart negotiator negotiators observer monitor monitors group groups fighters rebels
witness witnesses resident residents activist activists campaigner campaigners officer
officers king queen prince chancellor ceo founder executive manager economist economists
mediator mediators negotiators bank council committee commission union party jury panel board utility company firm ministry's
authorities regulator watchdog institute observatory campaign charity
""".split())
PERSON_NOUNS = frozenset("""
official spokesperson spokesman spokeswoman minister secretary president envoy ambassador
adviser advisor aide representative head leader chief commander diplomat analyst expert senator
lawmaker director chairman chairwoman mayor governor prosecutor judge general premier
counterpart negotiator witness resident activist officer king queen prince chancellor ceo
founder executive manager economist
""".split())
MODIFIERS = frozenset("""
the a an his her its their our senior top deputy foreign former acting vice prime state
junior chief defence defense interior finance economy press security military travel updated
unnamed anonymous another one two several other russian american ukrainian syrian german french
british chinese european turkish iranian israeli
""".split())
CONNECTORS = frozenset("of to for de del da al bin von van der".split())
LOCATIVE = frozenset("in at from on near with inside outside".split())
FUNCTION_CAPS = frozenset("""
but and however also meanwhile then so yet or when while after before in on at as if although
though since because earlier later moreover still now today yesterday tomorrow monday tuesday
wednesday thursday friday saturday sunday january february march april may june july august
september october november december this that these those there here it he she they we i
according speaking asked
""".split())
INSTITUTION_WORDS = frozenset("""
ministry department office agency council committee commission government kremlin court
parliament army police union bank group coalition organisation organization service
observatory institute party
""".split())


_UNSEEN = object()
_RESOLVED_KEPT = 100_000  # phrases whose resolution Names keeps; far more than a desk's distinct speakers


class _Node:
    """A node of the tree of registry names: the folded words that may follow, and the
    name's key when the words that lead here are a whole name."""

    __slots__ = ("next", "key")

    def __init__(self) -> None:
        self.next: dict[str, _Node] = {}
        self.key: tuple[str, ...] | None = None


class Resolution(NamedTuple):
    """Who a noun phrase names: registry ids (empty when unknown) and how it matched."""

    ids: tuple[str, ...]
    how: str  # "name" | "alias" | "none"
    start: int
    end: int
    text: str
    person: bool


class Names:
    """The actor registry as the extractor needs it: alias lookup by token sequence."""

    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.strict: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.canonical: dict[tuple[str, ...], str] = {}
        self.longest = 1
        self.firsts: set[str] = set()
        for actor in registry.actors.values():
            for number, name in enumerate(actor.names):
                words = tuple(t.text for t in tokens(fold(name), 0, len(fold(name))))
                key = tuple(w.casefold() for w in words)
                if not key:
                    continue
                if actor.id not in self.keys.get(key, ()):
                    self.keys[key] = (*self.keys.get(key, ()), actor.id)
                # Acronyms must match in capitals: "US" is not "us", "IS" is not "is".
                self.strict[key] = tuple(w if _acronym(w) else "" for w in words)
                if number == 0:
                    self.canonical[key] = actor.id
                self.firsts.add(key[0])
                self.longest = max(self.longest, len(key))
        # The keys as a tree of folded words: a scan walks it one token at a time, so trying
        # every length of name at a token costs one dict step per word, not one tuple per length.
        self._tree = _Node()
        for key in self.keys:
            node = self._tree
            for word in key:
                node = node.next.setdefault(word, _Node())
            node.key = key
        # Names start at a word boundary when their first token starts with a letter; the
        # rare one that does not is searched for anywhere.
        words = [search_word(f) for f in self.firsts if re.match(r"\w", f)]
        others = [search_word(f) for f in self.firsts if not re.match(r"\w", f)]
        tails = self._second_words()
        branches = ([r"\b(?:" + alternation(words, tails) + ")"] if words else []) + \
            (["(?:" + alternation(others, tails) + ")"] if others else [])
        self._heads = re.compile("|".join(branches)) if branches else None
        self._words: dict[str, frozenset[str]] = {}
        self._name_words: dict[str, list[str]] | None = None
        self._resolved: dict[tuple[str, ...], tuple[tuple[str, ...], str, bool] | None] = {}

    def _second_words(self) -> dict[str, str]:
        """For each first word that is not a name on its own, a look-ahead for what must
        follow it: a second word of a name it starts (or the start of one: "Kerry's"), or
        a quotation mark, since a quotation between two words is passed over.

        Without it every "the" of an article would be a candidate for "the Kremlin" or
        "the minister" and have its words looked up; with it, the regular expression
        rejects nearly all of them.
        """
        # Keyed as the pattern sees the words: two first words may fold to one search word.
        alone = {search_word(key[0]) for key in self.keys if len(key) == 1}
        seconds: dict[str, set[str]] = {}
        for key in self.keys:
            first = search_word(key[0])
            if len(key) > 1 and first not in alone:
                seconds.setdefault(first, set()).add(search_word(key[1]))
        marks = re.escape(DOUBLE + SINGLE)
        return {first: rf"(?=\s*(?:{alternation(following)}|[{marks}]))" for first, following in seconds.items()}

    def words_of(self, actor_id: str) -> frozenset[str]:
        """The words of an actor's names and role, case-folded, without "'s" (cached)."""
        words = self._words.get(actor_id)
        if words is None:
            actor = self.registry.actors[actor_id]
            words = self._words[actor_id] = frozenset(
                " ".join([*actor.names, actor.role or ""]).casefold().replace("'s", "").split())
        return words

    def kind(self, actor_id: str) -> str:
        return self.registry.actors[actor_id].kind

    def lookup(self, words: Sequence[Token]) -> tuple[tuple[str, ...], str]:
        """Registry ids for exactly these tokens, and whether they are the canonical name."""
        if not words:
            return (), "none"
        node: _Node | None = self._tree
        # Tokens hold no white space, so folding one is just the character table.
        for tok in words[:-1]:
            node = node.next.get(fold_chars(tok.text).casefold())
            if node is None:
                return (), "none"
        return self._last_word(node, words, len(words) - 1)

    def _last_word(self, node: _Node, toks: Sequence[Token], last: int,
                   first: int | None = None) -> tuple[tuple[str, ...], str]:
        """The ids of the name made of the words that led to ``node`` and the token ``toks[last]``.

        ``toks[first:last]`` are the words that led to ``node`` (``first`` defaults to the
        start of ``toks``). "Kerry's visit" mentions Kerry: a final "'s" is dropped when the
        word with it names no one; an alias may itself end in 's ("Lavrov's ministry").
        """
        text = toks[last].text
        while True:
            word = fold_chars(text).casefold()
            child = node.next.get(word)
            key = child.key if child is not None else None
            if key is not None:
                break
            if not word.endswith("'s"):
                return (), "none"
            text = text[:-2]
            if not text:
                return (), "none"
        ids = self.keys[key]
        strict = self.strict[key]
        start = 0 if first is None else first
        # Acronyms must match in capitals: "US" is not "us", "IS" is not "is".
        for s, index in zip(strict, range(start, last + 1)):
            if s and fold_chars(text if index == last else toks[index].text) != s:
                return (), "none"
        return ids, "name" if self.canonical.get(key) in ids else "alias"

    def longest_at(self, toks: Sequence[Token], i: int) -> tuple[int, tuple[str, ...]]:
        """The longest registry name that starts at token ``i``: (its length in tokens, ids),
        or (0, ()) when no name starts there."""
        words, ids = self.longest_in(iter(toks[i:i + self.longest]))
        return len(words), ids

    def longest_in(self, toks: Iterator[Token]) -> tuple[list[Token], tuple[str, ...]]:
        """The longest registry name that the tokens ``toks`` begin with: its tokens and
        ids, or ([], ()). Tokens are taken from the iterator only while some name could
        still go on, so a caller may make them one at a time."""
        best: tuple[list[Token], tuple[str, ...]] = ([], ())
        node: _Node | None = self._tree
        taken: list[Token] = []
        for tok in toks:
            taken.append(tok)
            ids, _ = self._last_word(node, taken, len(taken) - 1)
            if ids:
                best = (taken[:], ids)
            if len(taken) == self.longest:
                break
            node = node.next.get(fold_chars(tok.text).casefold())
            if node is None:
                break
        return best

    def scan(self, toks: Sequence[Token], starts: Container[int] | None = None) -> list[tuple[int, int, tuple[str, ...]]]:
        """Registry mentions in a token list, longest match first: (first, last+1, ids).

        ``starts``, when given, are the only offsets where a name can begin (found by
        ``head_positions``); other tokens are passed over without being looked at.
        """
        found = []
        i = 0
        while i < len(toks):
            if starts is not None and toks[i].start not in starts:
                i += 1
                continue
            length, ids = self.longest_at(toks, i)
            if length:
                found.append((i, i + length, ids))
                i += length
            else:
                i += 1
        return found

    def head_positions(self, folded: str) -> list[int]:
        """Every offset of an article's ``search_text`` where a registry name could begin.

        One regular-expression pass instead of a dictionary look-up per token. A match is
        just a name's first word (what may follow it is only looked ahead at), and no head
        can begin inside a word made only of letters and digits: there is no word boundary
        in it, and a name not starting with a word character cannot start on one. Only
        inside a first word with other characters ("al-Assad", "U.S.") is the search
        restarted one character on, where another head may overlap it.
        """
        if self._heads is None:
            return []
        positions = []
        for match in self._heads.finditer(folded):
            start, end = match.span()
            positions.append(start)
            if not match.group().isalnum():
                inner = self._heads.search(folded, start + 1)
                while inner and inner.start() < end:
                    positions.append(inner.start())
                    inner = self._heads.search(folded, inner.start() + 1)
        return positions

    def resolve(self, np: Sequence[Token], text: str) -> Resolution | None:
        """The speaker a noun phrase names; the longest alias that ends the phrase wins.

        The name at the end of an appositive is its head ("Russia's envoy to the United
        Nations Vitaly Churkin" is Churkin, not Russia), so only suffixes are looked up.
        A name in brackets at the end ("a ministry spokesperson (Maria Zakharova)") is the
        head too. "Lavrov's ministry" resolves through the owner when no alias matches.

        Who a phrase names depends only on its words, and a desk's articles name the same
        few people again and again: the answer is kept by the words, for this registry.
        """
        np = list(np)
        if not np:
            return None
        words = tuple(t.text for t in np)
        found = self._resolved.get(words, _UNSEEN)
        if found is _UNSEEN:
            if len(self._resolved) >= _RESOLVED_KEPT:
                self._resolved.clear()  # a bound on memory over a very large harvest
            found = self._resolved[words] = self._resolve_words(np)
        if found is None:
            return None
        ids, how, person = found
        start, end = np[0].start, np[-1].end
        return Resolution(ids, how, start, end, text[start:end], person)

    def _resolve_words(self, np: list[Token]) -> tuple[tuple[str, ...], str, bool] | None:
        """``resolve`` without the offsets: (ids, how, person), or None for no phrase."""
        if np[-1].text == ")" and "(" in [t.text for t in np]:
            open_at = max(i for i, t in enumerate(np) if t.text == "(")
            inside = np[open_at + 1:-1]
            if inside and all(t.capitalized for t in inside):
                ids, how = self._suffix(inside)
                if ids or len(inside) >= 2:
                    return ids, how, True if not ids else self._is_person(ids)
            np = np[:open_at]
            if not np:
                return None
        ids, how = self._suffix(np)
        if not ids:
            ids, how = self._possessive(np)
        words = {t.lower.removesuffix("'s").removesuffix("’s") for t in np}
        person = bool(words & PERSON_NOUNS) or (self._is_person(ids) if ids else _looks_like_person(np))
        return ids, how, person

    def _suffix(self, np: Sequence[Token]) -> tuple[tuple[str, ...], str]:
        for i in range(max(0, len(np) - self.longest), len(np)):
            ids, how = self.lookup(np[i:])
            if ids:
                return ids, how
        return (), "none"

    def _possessive(self, np: Sequence[Token]) -> tuple[tuple[str, ...], str]:
        """'Lavrov's ministry': an institution named by the noun and tied to the owner."""
        for i, tok in enumerate(np[:-1]):
            if not tok.text.endswith(("'s", "’s")):
                continue
            owner = [*np[:i], Token.at(tok.text[:-2], tok.start, tok.end - 2)]
            owner_ids, _ = self._suffix(owner)
            noun = np[-1].lower
            if not owner_ids:
                continue
            related = set(owner_ids)
            for oid in owner_ids:
                actor = self.registry.actors[oid]
                if actor.affiliation:
                    related.add(actor.affiliation)
            hits = []
            for actor_id in self._named_by(noun):
                if actor_id in owner_ids:
                    continue
                if actor_id in related or self.registry.actors[actor_id].affiliation in related:
                    hits.append(actor_id)
            if hits:
                return tuple(hits), "alias"
        return (), "none"

    def _named_by(self, word: str) -> list[str]:
        """The actors, in registry order, with ``word`` among the folded words of their names.

        Indexed on first use: folding every name of the registry for each possessive
        phrase ("Russia's foreign ministry") cost a millisecond on a real desk's registry.
        """
        if self._name_words is None:
            self._name_words = {}
            for actor in self.registry.actors.values():
                for name_word in dict.fromkeys(" ".join(fold(n).casefold() for n in actor.names).split()):
                    self._name_words.setdefault(name_word, []).append(actor.id)
        return self._name_words.get(word, [])

    def _is_person(self, ids: Sequence[str]) -> bool:
        return any(self.kind(i) == "person" for i in ids)


def _acronym(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) >= 2 and all(c.isupper() for c in letters)


def _looks_like_person(np: Sequence[Token]) -> bool:
    """Guess whether an unknown speaker is a person (for he/she) from its words."""
    words = [t.lower for t in np]
    if any(w in INSTITUTION_WORDS for w in words):
        return False
    if any(w in PERSON_NOUNS for w in words):
        return True
    caps = [t for t in np if t.capitalized and t.lower not in MODIFIERS]
    return len(caps) >= 2 and not _acronym(caps[-1].text)
