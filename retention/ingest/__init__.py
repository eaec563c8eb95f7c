"""Ingest store files into DuckDB schema `raw`, quarantining every row that breaks the contract."""

from retention.ingest.pipeline import FORMATS, ingest_path
from retention.ingest.report import FileLoad, IngestReport

__all__ = ["FORMATS", "FileLoad", "IngestReport", "ingest_path"]
