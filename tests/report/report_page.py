"""Read a written report back: per section its lead, notes, stats, tables and figure JSON."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path


@dataclass
class PageSection:
    """What one `<section>` of the report shows."""

    key: str
    lead: str = ""
    notes: list[str] = field(default_factory=list)
    stats: dict[str, str] = field(default_factory=dict)
    tables: dict[str, list[list[str]]] = field(default_factory=dict)  # caption -> rows
    codes: list[str] = field(default_factory=list)  # text shown as <code>
    sparklines: int = 0
    figures: list[dict] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, PageSection] = {}
        self.header = ""
        self._stack: list[str] = []
        self._section: PageSection | None = None
        self._text: list[str] = []
        self._capture: str | None = None  # lead | note | stat-value | stat-label | cell | ...
        self._stat_value = ""
        self._caption = ""
        self._row: list[str] | None = None
        self._in_header = False
        self._figure = False
        self._code: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        cls = a.get("class") or ""
        if tag == "header":
            self._in_header = True
        if tag == "section":
            self._section = PageSection(str(a["data-section"]))
            self.sections[self._section.key] = self._section
        if self._section is None:
            return
        if tag == "p" and cls in ("lead", "note"):
            self._start(cls)
        elif tag == "b" and self._capture is None:
            self._start("stat-value")
        elif tag == "span" and self._capture is None:
            self._start("stat-label")
        elif tag == "caption":
            self._start("caption")
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._start("cell")
        elif tag == "code":
            self._code = []
        elif tag == "svg" and cls == "spark":
            self._section.sparklines += 1
        elif tag == "script" and cls == "figure-spec":
            self._figure = True
            self._text = []

    def _start(self, what: str) -> None:
        self._capture = what
        self._text = []

    def handle_data(self, data: str) -> None:
        if self._in_header:
            self.header += data
        if self._capture or self._figure:
            self._text.append(data)
        if self._code is not None:
            self._code.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "header":
            self._in_header = False
        section = self._section
        if section is None:
            return
        text = " ".join("".join(self._text).split())
        if tag == "code" and self._code is not None:
            section.codes.append("".join(self._code))
            self._code = None
        elif tag == "p" and self._capture == "lead":
            section.lead, self._capture = text, None
        elif tag == "p" and self._capture == "note":
            section.notes.append(text)
            self._capture = None
        elif tag == "b" and self._capture == "stat-value":
            self._stat_value, self._capture = text, None
        elif tag == "span" and self._capture == "stat-label":
            section.stats[text] = self._stat_value
            self._capture = None
        elif tag == "caption" and self._capture == "caption":
            self._caption, self._capture = text, None
            section.tables[self._caption] = []
        elif tag in ("td", "th") and self._capture == "cell":
            if self._row is not None:
                self._row.append(text)
            self._capture = None
        elif tag == "tr" and self._row is not None:
            section.tables[self._caption].append(self._row)
            self._row = None
        elif tag == "script" and self._figure:
            section.figures.append(json.loads("".join(self._text)))
            self._figure = False
        elif tag == "section":
            self._section = None


@dataclass
class Page:
    """The parsed report: header text and sections by key."""

    header: str
    sections: dict[str, PageSection]


def read_page(path: Path) -> Page:
    """Parse the report at `path`."""
    parser = _Parser()
    parser.feed(path.read_text(encoding="utf-8"))
    return Page(" ".join(parser.header.split()), parser.sections)


def table_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    """Rows after the header row as dicts keyed by the header cells."""
    head, *body = rows
    return [dict(zip(head, row, strict=True)) for row in body]
