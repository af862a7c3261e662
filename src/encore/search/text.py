"""How text becomes searchable words, the same way for what is indexed and what is typed.

Case and diacritics are folded ("Beyoncé" -> "beyonce"), punctuation splits words, and a word
written with punctuation inside it is also kept joined, so that "AC/DC" is found by "ac dc" and by
"acdc", and "R.E.M." by "rem". Scripts without spaces between words (Chinese, Japanese, Thai...)
are split into single characters, so that any part of a name can be found.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Letters that do not decompose into a base letter and a combining mark.
_SPECIAL = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "œ": "oe",
        "ø": "o",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "ł": "l",
        "\u0131": "i",  # dotless i
        "$": "s",  # Ke$ha, A$AP
        "&": " and ",
    }
)
_APOSTROPHES = re.compile("['\u2019`\u00b4]")
# A run of letters, digits and the marks inside words (R.E.M., AC/DC, Anti-Hero).
_CHUNK = re.compile(r"[^\W_]+(?:[./\-+][^\W_]+)*\.?", re.UNICODE)
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
MAX_QUERY_WORDS = 16
MAX_WORD = 40


def fold(text: str) -> str:
    """Lower case, without diacritics or apostrophes ("Don't" -> "dont")."""
    text = unicodedata.normalize("NFKC", text).casefold().translate(_SPECIAL)
    text = _APOSTROPHES.sub("", text)
    decomposed = unicodedata.normalize("NFKD", text)
    # Composed again: Hangul syllables decompose into letters that are no marks.
    return unicodedata.normalize(
        "NFC", "".join(c for c in decomposed if not unicodedata.combining(c))
    )


# Scripts written without spaces between words: kana, CJK ideographs, Hangul, Thai and Lao.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002ffff]"
)


def _split_unspaced(word: str) -> list[str]:
    """Each character of an unspaced script is a word of its own."""
    if not _UNSPACED.search(word):
        return [word]
    return [part for part in re.split(f"({_UNSPACED.pattern})", word) if part]


@lru_cache(maxsize=100_000)
def _words(text: str) -> tuple[str, ...]:
    out: list[str] = []
    for match in _CHUNK.finditer(fold(text)):
        chunk = match.group()
        parts = [p for w in _WORD.findall(chunk) for p in _split_unspaced(w)]
        out.extend(p[:MAX_WORD] for p in parts)
        joined = "".join(parts)
        if len(parts) > 1 and not _UNSPACED.search(joined):
            out.append(joined[:MAX_WORD])
    return tuple(out)


def words(text: str) -> list[str]:
    """The words of `text`, folded, in order (names repeat across tracks: kept in a cache)."""
    return list(_words(text))


def index_words(text: str) -> list[str]:
    """Every word a document can be found by (split parts and joined forms)."""
    return words(text)


@dataclass(frozen=True, slots=True)
class QueryTerm:
    """One typed word and how loosely it may match."""

    text: str
    max_edits: int
    # The last word, with nothing typed after it: likely unfinished.
    typing: bool = False


def max_edits(word: str) -> int:
    """Typos forgiven: one for words of 4 letters or more, two from 8."""
    if any(c.isdigit() for c in word) or _UNSPACED.search(word):
        return 0
    if len(word) >= 8:
        return 2
    if len(word) >= 4:
        return 1
    return 0


def query_terms(text: str) -> list[QueryTerm]:
    """The terms of a query; each may also be the beginning of a word. Punctuation in a typed
    word does not split it into parts that must all match: "ac/dc" looks for "acdc", which the
    index holds for "AC/DC" and for "ACDC"."""
    terms: list[str] = []
    for match in _CHUNK.finditer(fold(text)):
        parts = [p for w in _WORD.findall(match.group()) for p in _split_unspaced(w)]
        joined = "".join(parts)
        if len(parts) > 1 and not _UNSPACED.search(joined):
            terms.append(joined[:MAX_WORD])
        else:
            terms.extend(p[:MAX_WORD] for p in parts)
    unique = list(dict.fromkeys(terms))[:MAX_QUERY_WORDS]
    typing = bool(text) and text[-1].isalnum()
    return [
        QueryTerm(t, max_edits(t), typing=typing and i == len(unique) - 1)
        for i, t in enumerate(unique)
    ]
