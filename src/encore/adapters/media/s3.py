"""`MediaStore` on any S3 API through boto3 (AWS, MinIO, Ceph, OpenStack Swift's s3api, ...).

boto3 is an optional dependency (`pip install 'encore[s3]'`): only `bootstrap` imports this
module, and only when the settings choose S3. Addressing is path-style and signing SigV4, which
every S3 API accepts. boto3's request checksums (on by default since 1.36) are sent only where an
operation requires them: over HTTPS they turn uploads into aws-chunked streams with trailers,
which S3 APIs that predate them may refuse.

A put is atomic in S3's own terms: a GET returns the old object or the new one, never a mix.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from encore.adapters.media.local import validate_key, validate_prefix, validate_range
from encore.media import StoredObject

CHUNK_SIZE = 256 * 1024
_MISSING = frozenset({"404", "NoSuchKey", "NotFound"})
_MISSING_BUCKET = frozenset({"404", "NoSuchBucket", "NotFound"})
MULTIPART_THRESHOLD = 64 * 1024 * 1024


class S3MediaStore:
    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        chunk_size: int = CHUNK_SIZE,
        connect_timeout_s: float = 5,
        read_timeout_s: float = 60,
        max_connections: int = 32,
        multipart_threshold: int = MULTIPART_THRESHOLD,
    ) -> None:
        self._bucket = bucket
        self._region = region
        self._chunk_size = chunk_size
        config = Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            max_pool_connections=max_connections,
            retries={"mode": "standard", "max_attempts": 3},
        )
        # A session of its own: boto3's default session is shared and not thread-safe to build
        # clients from; the client itself is safe to share between threads.
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=config,
        )
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=max(multipart_threshold // 4, 8 * 1024 * 1024),
            max_concurrency=4,
        )

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (for setup and tests; a put does not create it)."""
        try:
            self._client.head_bucket(Bucket=self._bucket)
        except ClientError as error:
            if _code(error) not in _MISSING_BUCKET:
                raise
            if self._region == "us-east-1":  # AWS refuses its own default as a constraint
                self._client.create_bucket(Bucket=self._bucket)
            else:
                self._client.create_bucket(
                    Bucket=self._bucket,
                    CreateBucketConfiguration={"LocationConstraint": self._region},
                )

    def put_file(self, key: str, source: Path, *, content_type: str) -> StoredObject:
        validate_key(key)
        # upload_file switches to a multipart upload (with parallel parts) for big files.
        self._client.upload_file(
            str(source),
            self._bucket,
            key,
            ExtraArgs={"ContentType": content_type},
            Config=self._transfer,
        )
        stored = self.stat(key)
        if stored is None:  # deleted by someone else in between
            raise KeyError(key)
        return stored

    def put_bytes(self, key: str, data: bytes, *, content_type: str) -> StoredObject:
        validate_key(key)
        answer = self._client.put_object(
            Bucket=self._bucket, Key=key, Body=data, ContentType=content_type
        )
        return StoredObject(
            key=key, size=len(data), etag=_etag(answer["ETag"]), content_type=content_type
        )

    def stat(self, key: str) -> StoredObject | None:
        validate_key(key)
        try:
            answer = self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if _code(error) in _MISSING:
                return None
            raise
        return StoredObject(
            key=key,
            size=int(answer["ContentLength"]),
            etag=_etag(answer["ETag"]),
            content_type=str(answer.get("ContentType") or "application/octet-stream"),
        )

    def read_range(self, key: str, start: int, end: int) -> Iterator[bytes]:
        """Bytes `start` to `end` inclusive (clamped to the object), in chunks of 256 KiB.

        Raises KeyError at once, not on the first chunk. One GET serves the whole range, so a
        concurrent put does not change what the iterator yields; consume or close it to give the
        connection back.
        """
        validate_key(key)
        validate_range(start, end)
        chunks = self._chunks(key, start, end)
        # Runs the generator up to its first (empty) yield: the GET happens now, and a generator
        # that has started closes its response when it is closed or collected, even if never read.
        next(chunks)
        return chunks

    def local_path(self, key: str) -> Path | None:
        """Always None: the object is not on this machine."""
        validate_key(key)
        return None

    def delete(self, key: str) -> None:
        validate_key(key)
        try:
            self._client.delete_object(Bucket=self._bucket, Key=key)
        except ClientError as error:
            if _code(error) not in _MISSING:
                raise

    def keys(self, prefix: str) -> Iterator[str]:
        """The keys starting with `prefix`, in the server's (lexicographic) order. Lazy."""
        validate_prefix(prefix)
        return self._keys(prefix)

    def _chunks(self, key: str, start: int, end: int) -> Iterator[bytes]:
        try:
            answer = self._client.get_object(
                Bucket=self._bucket, Key=key, Range=f"bytes={start}-{end}"
            )
        except ClientError as error:
            code = _code(error)
            if code in _MISSING:
                raise KeyError(key) from None
            if code == "InvalidRange":  # starts at or past the end: nothing to send
                yield b""
                return
            raise
        body = answer["Body"]
        try:
            yield b""  # consumed by `read_range`
            for chunk in body.iter_chunks(self._chunk_size):
                if chunk:
                    yield chunk
        finally:
            body.close()

    def _keys(self, prefix: str) -> Iterator[str]:
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self._bucket, Prefix=prefix
        )
        for page in pages:
            for item in page.get("Contents", ()):
                yield str(item["Key"])


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _etag(raw: str) -> str:
    return raw.strip('"')
