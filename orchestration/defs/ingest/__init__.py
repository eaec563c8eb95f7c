"""Raw ingest: one asset per raw table, the drop-folder sensor and raw freshness checks."""
