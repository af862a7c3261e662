"""Album cover art as bytes, for `GET /api/v1/albums/{id}/cover`."""

from dataclasses import dataclass

from encore.catalog.service import CatalogService
from encore.errors import NotFound
from encore.media import MediaStore

MAX_COVER_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class Cover:
    data: bytes
    content_type: str
    etag: str


class CoverArt:
    def __init__(self, *, catalog: CatalogService, media: MediaStore) -> None:
        self._catalog = catalog
        self._media = media

    def of_album(self, album_id: str) -> Cover:
        key = self._catalog.cover_key(album_id)
        stored = self._media.stat(key) if key is not None else None
        if key is None or stored is None or stored.size > MAX_COVER_BYTES:
            raise NotFound("This album has no cover art", album_id=album_id)
        try:
            data = b"".join(self._media.read_range(key, 0, stored.size - 1))
        except KeyError:
            raise NotFound("This album has no cover art", album_id=album_id) from None
        return Cover(data=data, content_type=stored.content_type, etag=stored.etag)
