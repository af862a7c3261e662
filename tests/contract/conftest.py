"""The Swift-backed S3 fixtures, for the `MediaStore` contract suite's `s3` runs."""

from tests.integration.swift import s3_store_factory, swift_s3

__all__ = ["s3_store_factory", "swift_s3"]
