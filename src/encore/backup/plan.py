"""What a snapshot of a live data directory holds, and in which order the parts are taken.

The order is what makes the parts agree with each other while the server keeps writing. Each
consumer of the event log keeps its offset beside its effects (the history consumer in the
database, the lake in its position file), and a restored consumer goes on from that offset. So
every part that records an offset into the log is taken *before* the log: the log's copy then
holds at least every event those offsets cover, and the consumers replay the few events logged
in between (each consumer ignores an event it has applied already: history by event id, the lake
by keeping one row per event id). Taken the other way round, a consumer's offset could point
past the log's end, and the events logged after the restore would be skipped.

Writes a client saw acknowledged before the backup started are in the copy: the database and
the log are both taken after the start, each as one consistent read transaction.
"""

from dataclasses import dataclass
from enum import StrEnum


class PartKind(StrEnum):
    SQLITE = "sqlite"  # a SQLite database, copied with SQLite's online backup
    LAKE = "lake"  # Parquet files and their position file (read first)
    SEARCH_INDEX = "search-index"  # a Tantivy index: one commit's segments, whole
    MODELS = "models"  # recommendation model versions, only the complete ones
    FILES = "files"  # a file or a folder of files that change only by replacement


@dataclass(frozen=True, slots=True)
class Part:
    path: str  # relative to the data directory
    kind: PartKind


DATABASE = "encore.db"
EVENT_LOG = "events.db"

SNAPSHOT_PLAN: tuple[Part, ...] = (
    Part(DATABASE, PartKind.SQLITE),  # holds the history consumer's offset
    Part("lake", PartKind.LAKE),  # holds the lake consumer's offset
    Part(EVENT_LOG, PartKind.SQLITE),  # after every part that records an offset into it
    Part("search/tantivy", PartKind.SEARCH_INDEX),
    Part("models", PartKind.MODELS),
    Part("secret.key", PartKind.FILES),  # signs tokens and URLs, seals Subsonic passwords
    Part("encore.toml", PartKind.FILES),
    Part("demo", PartKind.FILES),
)
# Left out on purpose: `scratch` (an import's temporary files) and `edge-cache` (a cache of the
# media store). Media (`media`) is listed in the manifest, and copied only when asked.
