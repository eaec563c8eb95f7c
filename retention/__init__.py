"""retention: the shared base (core), ingest, sample store, report and CLI around the pipeline."""
