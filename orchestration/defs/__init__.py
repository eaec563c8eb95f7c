"""Dagster definitions, one package per domain (ingest, dbt, ml, activation)."""
