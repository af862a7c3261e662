"""Search indexes: Tantivy on local disk (embedded default) and Typesense (scale)."""
