"""`encore backup check`: is a restored instance what its backup held?

The same check runs on the embedded default and on the fleet (PostgreSQL and S3): it counts the
rows of every table, reads the schema revision, and reads a sample of media objects whole to
compare their SHA-256. Against a backup's manifest, the counts must match it and the sample is
drawn from its media list; without one, the sample is drawn from the renditions the database
records (each with its size and checksum).
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field

from encore.backup.manifest import Manifest, MediaEntry
from encore.media import MediaStore


@dataclass(frozen=True, slots=True)
class CountMismatch:
    table: str
    expected: int
    found: int | None  # None: the table is missing


@dataclass(frozen=True, slots=True)
class MediaProblem:
    key: str
    problem: str


@dataclass
class CheckReport:
    schema_revision: str | None
    code_revision: str
    row_counts: dict[str, int]
    count_mismatches: list[CountMismatch] = field(default_factory=list)
    media_checked: int = 0
    media_problems: list[MediaProblem] = field(default_factory=list)
    expected_revision: str | None = None  # the manifest's, when checked against one

    @property
    def schema_ok(self) -> bool:
        return self.schema_revision == self.code_revision

    @property
    def ok(self) -> bool:
        return self.schema_ok and not self.count_mismatches and not self.media_problems


def check(
    *,
    row_counts: dict[str, int],
    schema_revision: str | None,
    code_revision: str,
    media: MediaStore,
    sample: Sequence[MediaEntry],
    manifest: Manifest | None = None,
) -> CheckReport:
    report = CheckReport(schema_revision, code_revision, row_counts)
    if manifest is not None:
        report.expected_revision = manifest.schema_revision
        for table, expected in sorted(manifest.row_counts.items()):
            found = row_counts.get(table)
            if found != expected:
                report.count_mismatches.append(CountMismatch(table, expected, found))
    for entry in sample:
        problem = _media_problem(media, entry)
        report.media_checked += 1
        if problem is not None:
            report.media_problems.append(MediaProblem(entry.key, problem))
    return report


def _media_problem(media: MediaStore, entry: MediaEntry) -> str | None:
    stored = media.stat(entry.key)
    if stored is None:
        return "missing"
    if stored.size != entry.size:
        return f"{stored.size} bytes, expected {entry.size}"
    digest = hashlib.sha256()
    if entry.size:
        try:
            for chunk in media.read_range(entry.key, 0, entry.size - 1):
                digest.update(chunk)
        except KeyError:
            return "missing"
    if digest.hexdigest() != entry.sha256:
        return "checksum differs"
    return None
