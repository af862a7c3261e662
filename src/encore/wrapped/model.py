"""A listener's year: what the lake job measures, and what Wrapped shows from it."""

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Ranked:
    id: str | None  # None for genres, which are named only
    name: str
    plays: int
    minutes: int


@dataclass(frozen=True, slots=True)
class YearStats:
    """What the lake job measures for one listener and one year."""

    user_id: str
    year: int
    minutes: int
    plays: int
    skips: int
    completed: int
    top_tracks: tuple[Ranked, ...]
    top_artists: tuple[Ranked, ...]
    top_genres: tuple[Ranked, ...]
    distinct_artists: int
    discoveries: tuple[Ranked, ...]  # artists first heard that year, most listened first
    discovery_minutes: int  # minutes spent on artists first heard that year
    top_artist_minutes: int
    minutes_by_hour: tuple[int, ...]  # 24, UTC
    minutes_by_month: tuple[int, ...]  # 12


@dataclass(frozen=True, slots=True)
class Personality:
    name: str
    description: str
    # The measurements that chose it (shares from 0 to 1), so a listener can see why.
    signals: dict[str, float]


@dataclass(frozen=True, slots=True)
class Wrapped:
    year: int
    minutes_listened: int
    plays: int
    top_tracks: tuple[Ranked, ...]
    top_artists: tuple[Ranked, ...]
    top_genres: tuple[Ranked, ...]
    distinct_artists: int
    top_discoveries: tuple[Ranked, ...]
    minutes_by_hour: tuple[int, ...]
    minutes_by_month: tuple[int, ...]
    personality: Personality


NIGHT_HOURS = frozenset({22, 23, 0, 1, 2, 3})

# Each personality: the signal it rests on, the share from which it applies, and its words.
# The one whose signal is furthest past its threshold wins; with none past, "Steady Listener".
PERSONALITIES = (
    ("Explorer", "discovery", 0.35, "You spent much of your year with artists new to you."),
    ("Loyalist", "top_artist", 0.25, "One artist had a big share of your ears all year."),
    ("Night Owl", "night", 0.30, "Your music comes out after dark."),
    ("Restless", "skips", 0.35, "You know within seconds whether a song is the one."),
    ("Completionist", "completed", 0.85, "You hear songs through, to the last note."),
)
STEADY = ("Steady Listener", "A little of everything, all year round.")


def signals(stats: YearStats) -> dict[str, float]:
    minutes = max(stats.minutes, 1)
    plays = max(stats.plays, 1)
    night = sum(stats.minutes_by_hour[h] for h in NIGHT_HOURS)
    return {
        "discovery": round(stats.discovery_minutes / minutes, 3),
        "top_artist": round(stats.top_artist_minutes / minutes, 3),
        "night": round(night / minutes, 3),
        "skips": round(stats.skips / plays, 3),
        "completed": round(stats.completed / plays, 3),
    }


def personality(stats: YearStats) -> Personality:
    measured = signals(stats)
    best: tuple[float, str, str] | None = None
    for name, signal, threshold, description in PERSONALITIES:
        margin = measured[signal] / threshold
        if margin >= 1 and (best is None or margin > best[0]):
            best = (margin, name, description)
    if best is None:
        return Personality(*STEADY, measured)
    return Personality(best[1], best[2], measured)


def wrapped(stats: YearStats) -> Wrapped:
    return Wrapped(
        year=stats.year,
        minutes_listened=stats.minutes,
        plays=stats.plays,
        top_tracks=stats.top_tracks,
        top_artists=stats.top_artists,
        top_genres=stats.top_genres,
        distinct_artists=stats.distinct_artists,
        top_discoveries=stats.discoveries,
        minutes_by_hour=stats.minutes_by_hour,
        minutes_by_month=stats.minutes_by_month,
        personality=personality(stats),
    )
