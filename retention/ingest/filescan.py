"""One pass over a CSV file's bytes: line endings, NUL bytes and whether slash dates may occur.

DuckDB's CSV reader stops with a parser error on a file mixing CRLF and LF line ends, so such a
file is read through a copy with every CRLF turned into LF (same lines, same line numbers).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

CHUNK = 1 << 24
# `/MM/YYYY` of a slash date (a literal first byte keeps the search fast); SQL checks exactly
SLASH_DATE = re.compile(rb"/[0-9]{1,2}/[0-9]{4}")


@dataclass(frozen=True)
class FileScan:
    """Counts of CRLF and bare LF line ends and NUL bytes; whether a slash date appears."""

    crlf: int
    bare_lf: int
    nul: int
    slash_dates: bool

    @property
    def mixed_line_ends(self) -> bool:
        """Both CRLF and bare LF line ends occur."""
        return self.crlf > 0 and self.bare_lf > 0


def scan(path: Path) -> FileScan:
    """Scan `path` in chunks (a CR at a chunk's end is carried to the next)."""
    crlf = lf = nul = 0
    slash = False
    tail = b""
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            data = tail + chunk
            # keep a short tail so a CRLF or date split across chunks is seen once
            cut = len(data) - 16 if len(chunk) == CHUNK else len(data)
            if data[cut - 1 : cut] == b"\r":
                cut -= 1
            head = data[:cut]
            crlf += head.count(b"\r\n")
            lf += head.count(b"\n")
            nul += head.count(b"\0")
            slash = slash or SLASH_DATE.search(data) is not None
            tail = data[cut:]
    crlf += tail.count(b"\r\n")
    lf += tail.count(b"\n")
    nul += tail.count(b"\0")
    return FileScan(crlf, lf - crlf, nul, slash)


def readable(path: Path, scratch: Path | None) -> tuple[Path | None, FileScan]:
    """(an LF copy in `scratch` to read instead of `path`, or None; the file's scan)."""
    found = scan(path)
    if not found.mixed_line_ends:
        return None, found
    return lf_copy(path, scratch or Path(tempfile.mkdtemp())), found


def lf_copy(path: Path, folder: Path) -> Path:
    """A copy of `path` in `folder` with CRLF line ends turned into LF."""
    target = folder / f"{len(list(folder.iterdir()))}_{path.name}"
    with path.open("rb") as src, target.open("wb") as dst:
        carry = b""
        while chunk := src.read(CHUNK):
            data = carry + chunk
            carry = b"\r" if data.endswith(b"\r") else b""
            dst.write(data[: len(data) - len(carry)].replace(b"\r\n", b"\n"))
        dst.write(carry)
    return target
