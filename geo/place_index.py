"""An in-memory name index: exact, prefix and word-prefix matches by binary search, substrings by
one scan of a joined string, and misspelt words (one edit) through a table of their deletions."""

from __future__ import annotations

import bisect
import heapq
from collections import defaultdict
from collections.abc import Iterable

from geo.place_names import normalise
from geo.places import MATCH_ORDER, Match, PlaceHit, kind_rank

# Shorter words and queries have too many one-edit neighbours to be worth guessing at.
MIN_FUZZY_WORD = 4
MIN_SUBSTRING_QUERY = 3
_SEPARATOR = "\n"  # never inside a normalised name


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


class PlaceIndex:
    """A PlaceProvider over a fixed list of places, built once; a query costs microseconds."""

    def __init__(self, name: str, places: Iterable[PlaceHit]) -> None:
        self.name = name
        self.places = tuple(places)
        texts = [normalise(place.name) for place in self.places]
        self._sort_keys = [(kind_rank(p.kind), len(p.name), p.name) for p in self.places]
        # Each name under itself and under every word-suffix ("james street" of "st james street").
        keys: list[tuple[str, int, bool]] = []
        words_of: defaultdict[str, set[int]] = defaultdict(set)
        for at, text in enumerate(texts):
            keys.append((text, at, True))
            words = text.split(" ")
            keys.extend((" ".join(words[i:]), at, False) for i in range(1, len(words)))
            for word in words:
                words_of[word].add(at)
        keys.sort()
        self._keys = [key[0] for key in keys]
        self._key_place = [key[1] for key in keys]
        self._key_whole = [key[2] for key in keys]
        self._texts = texts
        compact = [text.replace(" ", "") for text in texts]
        self._joined = _SEPARATOR.join(compact)
        self._starts: list[int] = []
        offset = 0
        for text in compact:
            self._starts.append(offset)
            offset += len(text) + 1
        self._words = sorted(words_of)
        self._word_places = dict(words_of)
        near: defaultdict[str, set[str]] = defaultdict(set)
        for word in self._words:
            if len(word) >= MIN_FUZZY_WORD:
                for variant in {word} | _deletions(word):
                    near[variant].add(word)
        self._near = dict(near)

    def search(self, query: str, limit: int) -> list[PlaceHit]:
        """Up to `limit` places matching `query`, best first."""
        return [place for _, place in self.search_matches(query, limit)]

    def search_matches(self, query: str, limit: int) -> list[tuple[Match, PlaceHit]]:
        """Up to `limit` (how it matched, place) pairs, best first: exact, prefix, word-prefix,
        substring, fuzzy; then by kind (KIND_ORDER), the shorter name, the name."""
        text = normalise(query)
        if not text or limit < 1:
            return []
        found: dict[int, int] = {}
        self._prefixed(text, found)
        if len(found) < limit and len(text) >= MIN_SUBSTRING_QUERY:
            self._substrings(text.replace(" ", ""), found)
            if len(found) < limit:
                self._fuzzy(text, found)
        best = heapq.nsmallest(
            limit, found.items(), key=lambda item: (item[1], *self._sort_keys[item[0]])
        )
        return [(MATCH_ORDER[tier], self.places[at]) for at, tier in best]

    def _prefixed(self, text: str, found: dict[int, int]) -> None:
        at = bisect.bisect_left(self._keys, text)
        while at < len(self._keys) and self._keys[at].startswith(text):
            place = self._key_place[at]
            tier = (0 if self._keys[at] == text else 1) if self._key_whole[at] else 2
            if tier < found.get(place, 9):
                found[place] = tier
            at += 1

    def _substrings(self, compact: str, found: dict[int, int]) -> None:
        at = self._joined.find(compact)
        while at >= 0:
            place = bisect.bisect_right(self._starts, at) - 1
            found.setdefault(place, 3)
            # The next match can only start in a later name.
            following = (
                self._starts[place + 1] if place + 1 < len(self._starts) else len(self._joined)
            )
            at = self._joined.find(compact, following)

    def _fuzzy(self, text: str, found: dict[int, int]) -> None:
        """Places having, for every word of the query, a word it begins or is one edit from."""
        candidates: set[int] | None = None
        for word in text.split(" "):
            places = self._places_with_word_like(word)
            candidates = places if candidates is None else candidates & places
            if not candidates:
                return
        for place in candidates or ():
            found.setdefault(place, 4)

    def _places_with_word_like(self, word: str) -> set[int]:
        words: set[str] = set()
        at = bisect.bisect_left(self._words, word)
        while at < len(self._words) and self._words[at].startswith(word):
            words.add(self._words[at])
            at += 1
        if len(word) >= MIN_FUZZY_WORD:
            for variant in {word} | _deletions(word):
                words |= self._near.get(variant, set())
        places: set[int] = set()
        for known in words:
            places |= self._word_places[known]
        return places
