"""How names and dates from tags and feeds become catalog values."""

from datetime import date

from encore.catalog.model import DatePrecision


def parse_date(text: str | None) -> tuple[date | None, DatePrecision | None]:
    """'1975', '1975-10' or '1975-10-31' with its precision; (None, None) when unreadable."""
    if not text:
        return None, None
    parts = text.split("-")
    try:
        if len(parts) == 1:
            return date(int(parts[0]), 1, 1), DatePrecision.YEAR
        if len(parts) == 2:
            return date(int(parts[0]), int(parts[1]), 1), DatePrecision.MONTH
        return date(int(parts[0]), int(parts[1]), int(parts[2][:2])), DatePrecision.DAY
    except ValueError:
        return None, None


def sort_name(name: str) -> str:
    """'The Beatles' sorts as 'Beatles, The'."""
    for article in ("The ", "A ", "An "):
        if name.startswith(article) and len(name) > len(article):
            return f"{name[len(article) :]}, {article.strip()}"
    return name


# What a file or feed row without an artist or album is filed under.
UNKNOWN_ARTIST = "Unknown Artist"
UNKNOWN_ALBUM = "Unknown Album"
