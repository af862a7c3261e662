"""Rendered catalog documents: the JSON of a track, album or artist, kept ready to send.

Catalog reads dominate traffic and change rarely, so the hot path answers with cached bytes and
does no query and no serialization. Catalog changes drop the affected documents at once on this
node; other nodes' copies age out within the TTL.
"""

import random

from encore.cache import Cache
from encore.catalog.service import CatalogChange


class RenderedDocuments:
    def __init__(self, cache: Cache, *, ttl_s: float) -> None:
        self._cache = cache
        self._ttl_s = ttl_s

    def get(self, kind: str, entity_id: str) -> bytes | None:
        return self._cache.get(f"doc:{kind}:{entity_id}")

    def put(self, kind: str, entity_id: str, document: bytes) -> None:
        # Each copy lives 75-100 % of the TTL, so that documents cached together (after a
        # restart, a warm-up) do not all expire, and all render again, at the same moment.
        ttl_s = self._ttl_s * (0.75 + 0.25 * random.random())  # noqa: S311 (not security)
        self._cache.set(f"doc:{kind}:{entity_id}", document, ttl_s=ttl_s)

    def forget(self, change: CatalogChange) -> None:
        keys = [f"doc:track:{i}" for i in change.track_ids]
        keys += [f"doc:album:{i}" for i in change.album_ids]
        keys += [f"doc:artist:{i}" for i in change.artist_ids]
        if keys:
            self._cache.delete(*keys)
