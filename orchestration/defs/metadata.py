"""Materialization metadata helpers shared by the ML and sync assets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg

from retention.core.settings import report_path


def report_link() -> dict[str, dg.MetadataValue]:
    """A link to the HTML report (`retention report` writes it)."""
    return {"report": dg.MetadataValue.url(report_path().as_uri())}


def metric_metadata(metrics: Mapping[str, Any], prefix: str = "metric") -> dict[str, Any]:
    """Numbers as `<prefix>/<name>` floats (plotted by Dagster over runs), mappings and lists as
    JSON, anything else as text."""
    metadata: dict[str, Any] = {}
    for name, value in metrics.items():
        key = f"{prefix}/{name}"
        if isinstance(value, bool):
            metadata[key] = value
        elif isinstance(value, int | float):
            metadata[key] = float(value)
        elif isinstance(value, Mapping | list):
            metadata[key] = dg.MetadataValue.json(value)
        else:
            metadata[key] = str(value)
    return metadata
