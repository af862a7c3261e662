"""How well a document matches, in points, the same for every adapter that scores by itself.

Each typed word scores by its best match in the document: a whole word beats a word it begins
(typing), which beats a word one typo away, which beats two. Across words the points add up, so
a document matching every word exactly is always first. Within the same points, a name without
extra words comes first ("hello" before "hello kitty"), then the more popular."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FieldPoints:
    """Points of one typed word by how it matches a word of one field."""

    exact: float
    prefix: float  # a word begins with it
    one_typo: float
    one_typo_prefix: float  # a word begins with it, give or take one typo


@dataclass(frozen=True, slots=True)
class Points:
    name: FieldPoints = FieldPoints(10.0, 6.0, 4.0, 3.0)  # a title, or the name
    context: FieldPoints = FieldPoints(9.0, 5.5, 3.8, 2.8)  # artists, a playlist's owner
    album: FieldPoints = FieldPoints(7.0, 4.0, 2.5, 2.0)
    two_typos: float = 2.3  # in any field
    whole_name: float = 3.0  # the query is the name, nothing more or less
    # Taken off per word of the name, so that shorter names win between equals.
    per_name_word: float = 0.05
    # Added per point of popularity (0..100): at most one point, which only breaks ties.
    per_popularity: float = 0.008


POINTS = Points()
# Longer names lose no more than names of this many words.
MAX_NAME_WORDS = 20


def final_score(score: float, *, popularity: int, name_words: int) -> float:
    name_words = min(name_words, MAX_NAME_WORDS)
    return score - POINTS.per_name_word * name_words + POINTS.per_popularity * popularity


def title_stem(name: str) -> str:
    """A title without its version ("Wonderwall - Remastered" -> "Wonderwall"): how long a
    name is, and whether the query is all of it, go by this part."""
    return name.split(" - ")[0]
