"""Read-only views for operators: accounts, the event consumers, the catalog's audio, health."""
