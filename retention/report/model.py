"""What a report is made of: sections holding figures, tables and headline numbers."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pandas as pd
import plotly.graph_objects as go


class NoRows(Exception):
    """A section's source table exists but holds nothing to show; the message says which."""


@dataclass(frozen=True)
class Table:
    """A small table shown under a section's figures.

    `formats` maps a column to the function that writes its values (money, signed changes);
    `sparklines` names columns holding a list of numbers, drawn as a small line chart.
    """

    caption: str
    frame: pd.DataFrame
    formats: Mapping[str, Callable[[object], str]] = field(default_factory=dict)
    sparklines: tuple[str, ...] = ()


@dataclass
class Section:
    """One titled part of the report. `missing` explains why it has no data, if it has none."""

    key: str
    title: str
    lead: str
    figures: list[go.Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    stats: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how to read the figures, above them
    missing: str | None = None


@dataclass(frozen=True)
class Report:
    """The whole page: a header (with notes on reading every number) and the sections."""

    title: str
    subtitle: str
    stats: list[tuple[str, str]]
    sections: list[Section]
    notes: list[str] = field(default_factory=list)
