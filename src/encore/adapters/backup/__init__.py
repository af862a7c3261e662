"""The IO of backups: snapshots of a live data directory, the archive file, restores."""
