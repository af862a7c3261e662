"""A country's time zone, for listeners who have not set theirs: the first zone the system's
tz database lists for the country (its most populous, by the database's convention)."""

from functools import cache
from pathlib import Path

ZONE_TABLES = (Path("/usr/share/zoneinfo/zone.tab"), Path("/usr/share/zoneinfo/zone1970.tab"))


@cache
def _zones() -> dict[str, str]:
    found: dict[str, str] = {}
    for table in ZONE_TABLES:
        if not table.is_file():
            continue
        for line in table.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 3:
                continue
            for country in fields[0].split(","):
                found.setdefault(country, fields[2])
    return found


def country_zone(country: str) -> str | None:
    return _zones().get(country.upper())
