"""Backups of an embedded instance: what a snapshot holds, in which order, and its manifest.

Nothing here reads a file or a database: `encore.adapters.backup` does the IO.
"""
