"""Reading CSV files the way people produce them, with errors that say row and column.

Rows are numbered as a spreadsheet shows them: the header is row 1, the first data row row 2, and
a quoted field with a line break does not add a row. A BOM (spreadsheets saved as "CSV UTF-8"),
CRLF line ends and quoted commas/newlines are accepted; a file that is not UTF-8, has no header
or is empty is rejected with a message. Rows are yielded one at a time, so memory stays flat.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

FILE_LEVEL = ""  # the column of an error that concerns the whole row or file
NOT_UTF8 = _lazy('the file is not UTF-8 text: in your spreadsheet, save it as "CSV UTF-8"')
NUL_IN_CELL = _lazy("contains a NUL character (\\0), which is not text: remove it")


@dataclass(frozen=True, order=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("row %(row)s, column %(column)s: %(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("row %(row)s: %(message)s") % {"row": self.row, "message": self.message}

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


# A file's problems are counted in full but listed only up to this many (a page of a million
# errors helps nobody and costs the server its memory).
MAX_ERRORS_LISTED = 300
# No dataset has more columns than this; a header of thousands is refused before any row is read.
MAX_COLUMNS = 200


class CsvRejected(Exception):
    """The file (or some rows) cannot be imported: ``errors`` lists the first problems (at most
    ``MAX_ERRORS_LISTED``) in row order, ``total`` counts them all."""

    def __init__(self, errors: list[RowError], total: int | None = None):
        self.errors = sorted(errors)[:MAX_ERRORS_LISTED]
        self.total = max(total or 0, len(errors))
        listed = "\n".join(str(e) for e in self.errors)
        more = self.total - len(self.errors)
        super().__init__(listed + (f"\n... and {more} more problems" if more else ""))


class ErrorList:
    """Collects a file's problems: keeps the first ``MAX_ERRORS_LISTED``, counts every one."""

    def __init__(self):
        self.kept: list[RowError] = []
        self.total = 0

    def extend(self, errors) -> None:
        for error in errors:
            self.total += 1
            if len(self.kept) < MAX_ERRORS_LISTED:
                self.kept.append(error)

    def __bool__(self) -> bool:
        return self.total > 0


def _decoded_lines(binary: Iterable[bytes], errors: list[RowError]) -> Iterator[str]:
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    buffer = ""
    line_number = 1
    for chunk in binary:
        try:
            buffer += decoder.decode(chunk)
        except UnicodeDecodeError as exc:
            readable = exc.object[: exc.start].decode("utf-8", errors="ignore")
            errors.append(RowError(line_number + (buffer + readable).count("\n"), FILE_LEVEL, str(NOT_UTF8)))
            return
        *complete, buffer = buffer.split("\n")
        for line in complete:
            line_number += 1
            yield line + "\n"
    try:
        buffer += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        errors.append(RowError(line_number + buffer.count("\n"), FILE_LEVEL, str(NOT_UTF8)))
        return
    if buffer:
        yield buffer


def _chunks(stream, size: int = 1 << 16) -> Iterator[bytes]:
    if isinstance(stream, bytes | bytearray):
        yield bytes(stream)
        return
    while True:
        chunk = stream.read(size)
        if not chunk:
            return
        yield chunk.encode() if isinstance(chunk, str) else chunk


class CsvReader:
    """Iterate ``(row_number, {column: value})`` over a binary stream; header checked first.

    File-level problems (encoding, empty file, missing header, unknown or missing columns) raise
    ``CsvRejected``; iteration stops at a decoding error, which is also raised.
    """

    def __init__(self, stream, *, columns: Iterable[str], required: Iterable[str]):
        self.columns = list(columns)
        self.required = set(required)
        self._decode_errors: list[RowError] = []
        lines = _decoded_lines(_chunks(stream), self._decode_errors)
        self._reader = csv.reader(lines, strict=False)
        try:
            raw_header = next(self._reader)
        except StopIteration:
            raise CsvRejected(self._decode_errors or [RowError(1, FILE_LEVEL, _("the file is empty"))]) from None
        except csv.Error as exc:
            raise CsvRejected([RowError(1, FILE_LEVEL, str(exc))]) from None
        if len(raw_header) > MAX_COLUMNS:
            raise CsvRejected(
                [
                    RowError(
                        1,
                        FILE_LEVEL,
                        ngettext(
                            "the header has %(count)s column; at most %(max)s are read (the columns are: %(columns)s)",
                            "the header has %(count)s columns; at most %(max)s are read (the columns are: %(columns)s)",
                            len(raw_header),
                        )
                        % {"count": len(raw_header), "max": MAX_COLUMNS, "columns": ", ".join(self.columns)},
                    )
                ]
            )
        if any("\x00" in name for name in raw_header):
            raise CsvRejected([RowError(1, FILE_LEVEL, str(NUL_IN_CELL))])
        self.header = [name.strip().lower() for name in raw_header]
        self._check_header()

    def _check_header(self) -> None:
        errors = []
        if not any(self.header):
            raise CsvRejected(
                [
                    RowError(
                        1,
                        FILE_LEVEL,
                        _("the header row is missing; the first row must name the columns, e.g. %(example)s")
                        % {"example": ",".join(self.columns[:4])},
                    )
                ]
            )
        known = set(self.columns)
        if not known.intersection(self.header):
            raise CsvRejected(
                [
                    RowError(
                        1,
                        FILE_LEVEL,
                        _("the header row is missing; the first row must name the columns, e.g. %(example)s")
                        % {"example": ",".join(self.columns[:4])},
                    )
                ]
            )
        seen = set()
        for name in self.header:
            if not name:
                errors.append(RowError(1, FILE_LEVEL, _("a column has no name in the header")))
            elif name not in known:
                errors.append(
                    RowError(
                        1,
                        name,
                        _("unknown column; the columns are: %(columns)s") % {"columns": ", ".join(self.columns)},
                    )
                )
            elif name in seen:
                errors.append(RowError(1, name, _("this column appears twice in the header")))
            seen.add(name)
        for name in self.columns:
            if name in self.required and name not in seen:
                errors.append(RowError(1, name, _("required column is missing from the header")))
        if errors:
            raise CsvRejected(errors)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str] | None, list[RowError]]]:
        """Yield ``(row_number, values_or_None, row_errors)``; blank lines are skipped."""
        width = len(self.header)
        row_number = 1
        while True:
            try:
                cells = next(self._reader)
            except StopIteration:
                break
            except csv.Error as exc:
                row_number += 1
                yield row_number, None, [RowError(row_number, FILE_LEVEL, str(exc))]
                continue
            row_number += 1
            if not cells or (len(cells) == 1 and not cells[0].strip()):
                continue
            if len(cells) != width:
                message = _("the row has %(cells)s values but the header has %(columns)s columns") % {
                    "cells": len(cells),
                    "columns": width,
                }
                yield row_number, None, [RowError(row_number, FILE_LEVEL, message)]
                continue
            if "\x00" in "".join(cells):  # one scan of the row; the cells are named only when needed
                with_nul = [name for name, cell in zip(self.header, cells, strict=True) if "\x00" in cell]
                yield row_number, None, [RowError(row_number, name, str(NUL_IN_CELL)) for name in with_nul]
                continue
            stripped = [cell.strip() for cell in cells]
            if "'" in "".join(cell[:1] for cell in stripped):  # rare: a cell neutralised on export
                stripped = [restore_cell(cell) for cell in stripped]
            yield row_number, dict(zip(self.header, stripped, strict=True)), []
        if self._decode_errors:
            raise CsvRejected(self._decode_errors)


# A spreadsheet runs a cell that begins with one of these as a formula (=HYPERLINK(...), +cmd|...).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value) -> str:
    """An exported cell a spreadsheet will show as text: a leading apostrophe before a formula start
    (OWASP's advice for CSV injection), and one more before a value that already begins with
    apostrophes and then a formula start. ``restore_cell`` takes one off again on import."""
    text = "" if value is None else str(value)
    return "'" + text if text.lstrip("'").startswith(FORMULA_STARTS) else text


def restore_cell(text: str) -> str:
    """The value as it was before ``neutralise_cell``: the round trip of every value is lossless."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(FORMULA_STARTS) else text


def write_csv(rows: Iterable[Iterable], header: list[str]) -> Iterator[str]:
    """Yield CSV text line by line (for streaming responses and files); every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([neutralise_cell(cell) for cell in row])
        yield buffer.getvalue()
