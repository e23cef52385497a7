"""Dictionary matching for DLP with Aho-Corasick automata (pyahocorasick), so a
dictionary of thousands of terms costs about what ten cost.

Matching rules: Latin-script terms match whole words, case-insensitively unless
the term is written in capitals (a marking such as CONFIDENTIAL then counts only in
capitals, so disclaimers saying "this message is confidential" do not); CJK terms
match as substrings. Any run of white space in the text equals one space in a term.
Where terms overlap, the longest wins ("STRICTLY CONFIDENTIAL" is not also
"CONFIDENTIAL").
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Term:
    text: str
    category: str = "confidential"
    weight: int = 1

    @property
    def exact_case(self) -> bool:
        return self.text.isascii() and self.text.isupper()

    @property
    def whole_word(self) -> bool:
        return self.text.isascii()


class KeywordMatcher:
    def __init__(self, terms: Iterable[Term]) -> None:
        self._exact = ahocorasick.Automaton()
        self._folded = ahocorasick.Automaton()
        for term in terms:
            key = _SPACES.sub(" ", term.text.strip())
            if term.exact_case:
                self._exact.add_word(key, term)
            else:
                self._folded.add_word(key.casefold(), term)
        for automaton in (self._exact, self._folded):
            if len(automaton):
                automaton.make_automaton()

    def count(self, text: str) -> dict[Term, int]:
        """How often each term occurs in *text*."""
        text = _SPACES.sub(" ", text)
        hits: list[tuple[int, int, Term]] = []
        for automaton, haystack in ((self._exact, text), (self._folded, None)):
            if not len(automaton):
                continue
            haystack = haystack if haystack is not None else text.casefold()
            for end, term in automaton.iter(haystack):
                start = end - len(_SPACES.sub(" ", term.text.strip())) + 1
                if not term.whole_word or _is_word(haystack, start, end):
                    hits.append((start, end, term))
        counts: dict[Term, int] = {}
        for term in _longest_first(hits):
            counts[term] = counts.get(term, 0) + 1
        return counts


def _is_word(text: str, start: int, end: int) -> bool:
    before = text[start - 1] if start > 0 else " "
    after = text[end + 1] if end + 1 < len(text) else " "
    return not (_wordish(before) or _wordish(after))


def _wordish(char: str) -> bool:
    return char.isalnum() or char == "_"


def _longest_first(hits: list[tuple[int, int, Term]]) -> list[Term]:
    """The terms of non-overlapping hits, preferring the longer at each place."""
    chosen: list[Term] = []
    reach = -1
    for start, end, term in sorted(hits, key=lambda h: (h[0], -(h[1] - h[0]))):
        if start > reach:
            chosen.append(term)
            reach = end
    return chosen
