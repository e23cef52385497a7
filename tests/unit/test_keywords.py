"""The Aho-Corasick keyword matcher: case rules, whole words, overlaps, spacing."""

from __future__ import annotations

from mailwarden.detect.keywords import KeywordMatcher, Term

TERMS = [
    Term("CONFIDENTIAL"),
    Term("STRICTLY CONFIDENTIAL", weight=3),
    Term("internal only", "internal"),
    Term("机密", "secret"),
]


def counts(text: str) -> dict[str, int]:
    return {t.text: n for t, n in KeywordMatcher(TERMS).count(text).items()}


def test_capitalised_terms_match_only_in_capitals() -> None:
    """CONFIDENTIAL counts; 'confidential' in a disclaimer does not."""
    assert counts("CONFIDENTIAL: this message is confidential") == {"CONFIDENTIAL": 1}


def test_lower_case_terms_ignore_case_and_spacing() -> None:
    """A lower-case term matches any case and any run of white space."""
    assert counts("Internal\n\t  ONLY, please") == {"internal only": 1}


def test_whole_words_only_for_latin() -> None:
    """NONCONFIDENTIAL and CONFIDENTIALITY are not the word CONFIDENTIAL."""
    assert counts("NONCONFIDENTIAL CONFIDENTIALITY CONFIDENTIAL_X") == {}


def test_longest_overlap_wins() -> None:
    """STRICTLY CONFIDENTIAL is reported once, not also as CONFIDENTIAL."""
    assert counts("STRICTLY  CONFIDENTIAL and CONFIDENTIAL") == {
        "STRICTLY CONFIDENTIAL": 1,
        "CONFIDENTIAL": 1,
    }


def test_cjk_substrings() -> None:
    """CJK terms match inside a run of CJK text."""
    assert counts("这是机密文件，机密！") == {"机密": 2}


def test_empty_dictionary() -> None:
    """No terms, no matches, no error."""
    assert KeywordMatcher([]).count("CONFIDENTIAL") == {}
