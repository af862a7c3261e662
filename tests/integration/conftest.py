"""The Swift-backed S3 fixtures (one cluster per session, shared with `tests/contract`)."""

from tests.integration.swift import s3_store_factory, swift_s3

__all__ = ["s3_store_factory", "swift_s3"]
