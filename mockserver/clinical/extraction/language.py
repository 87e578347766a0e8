"""Which of the four languages a text is written in, by counting common function words."""

from __future__ import annotations

from mockserver.clinical.extraction.lexicon import LANGUAGES, LEXICON
from mockserver.clinical.extraction.text import normalize, tokenize

_STOPWORDS = {language: frozenset(normalize(w) for w in words)
              for language, words in zip(LANGUAGES, LEXICON.languages("stopwords"), strict=True)}


def detect_language(text: str) -> str | None:
    """"en", "de", "fr" or "it" (ties go to that order), or None when no function word is found."""
    counts = {language: 0 for language in LANGUAGES}
    for word in tokenize(text).norms:
        for language, words in _STOPWORDS.items():
            counts[language] += word in words
    best = max(LANGUAGES, key=counts.__getitem__)
    return best if counts[best] else None
