"""The analytics lake: Parquet files partitioned by day, read with DuckDB."""
