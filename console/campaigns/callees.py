"""The callee list of a campaign, from a CSV or TSV file: checked row by row, each bad row reported with
its line and reason (the numbers with the dial form's own messages), duplicates merged. Nothing is taken
from a file with a bad row: the caller gets every problem at once, to fix them all in one go."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from console.phone import PhoneNumberError, to_e164

NUMBER_COLUMNS = ("number", "phone", "to", "msisdn", "mobile")  # the header names one of them
ZONE_COLUMNS = ("timezone", "time_zone", "tz")  # a zone that wins over the number's own
MAX_CALLEES = 100_000
MAX_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Callee:
    number: str  # E.164
    line: int  # where it first appeared in the file
    fields: dict[str, str] = field(default_factory=dict)  # the row's other columns, by header name
    zone: str | None = None  # the row's time zone column, when it has one


@dataclass(frozen=True)
class RowProblem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line else self.message


@dataclass
class CalleeList:
    callees: list[Callee]
    problems: list[RowProblem]
    merged: int = 0  # rows whose number an earlier row already had

    @property
    def usable(self) -> bool:
        return not self.problems and bool(self.callees)


def read_callees(data: bytes, region: str | None) -> CalleeList:
    """The callees of a CSV (commas) or TSV (tabs) file with a header; `region` reads numbers written
    without their country code."""
    if len(data) > MAX_BYTES:
        return CalleeList([], [RowProblem(0, f"the file is over {MAX_BYTES:,} bytes: split the list")])
    try:
        text = data.decode("utf-8-sig")  # a spreadsheet's byte-order mark is not part of the first column
    except UnicodeDecodeError as exc:
        return CalleeList([], [RowProblem(text_line(data, exc.start), "not UTF-8 text: save the file as UTF-8 "
                                                                        "(CSV UTF-8 in a spreadsheet)")])
    first = text.split("\n", 1)[0]
    # strict: a quote left open is an error, not the rest of the file read as one cell
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t" if "\t" in first else ",", strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return CalleeList([], [RowProblem(1, "the file is empty: it needs a header line and a row per callee")])
    except csv.Error as exc:
        return CalleeList([], [RowProblem(1, f"the header cannot be read: {exc}")])
    names = [h.strip() for h in header]
    lowered = [n.lower() for n in names]
    numbered = [name for name, low in zip(names, lowered) if low in NUMBER_COLUMNS]
    if len(numbered) > 1:  # which one is meant cannot be guessed: a number left out could be one never to call
        return CalleeList([], [RowProblem(1, f"{len(numbered)} number columns ({', '.join(numbered)}): keep one, "
                                             "or put each number on a row of its own")])
    number_at = next((lowered.index(c) for c in NUMBER_COLUMNS if c in lowered), None)
    if number_at is None:
        shown = ", ".join(repr(n) for n in names) or "nothing"
        return CalleeList([], [RowProblem(1, f"no number column: name one {', '.join(NUMBER_COLUMNS)} "
                                             f"(the header has {shown})")])
    zone_at = next((lowered.index(c) for c in ZONE_COLUMNS if c in lowered), None)
    found = CalleeList([], [])
    seen: set[str] = set()
    line = reader.line_num
    try:
        for row in reader:
            line, ended = reader.line_num - row_lines(row) + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue  # a blank line
            if ended > line:
                found.problems.append(RowProblem(line, f"a cell runs on to line {ended}: a quote left open?"))
                continue
            if len(row) != len(names):
                found.problems.append(RowProblem(line, f"{len(row)} cell(s) where the header has {len(names)}"))
                continue
            raw = row[number_at].strip()
            try:
                number = to_e164(raw, region)
            except PhoneNumberError as exc:
                found.problems.append(RowProblem(line, str(exc)))
                continue
            zone = (row[zone_at].strip() or None) if zone_at is not None else None
            if zone is not None and not known_zone(zone):
                found.problems.append(RowProblem(line, f"{zone!r} is not a time zone name (such as Europe/Paris "
                                                       "or America/New_York)"))
                continue
            if number in seen:
                found.merged += 1
                continue
            seen.add(number)
            if len(found.callees) == MAX_CALLEES:
                found.problems.append(RowProblem(line, f"more than {MAX_CALLEES:,} callees: split the list"))
                break
            fields = {n: cell for i, (n, cell) in enumerate(zip(names, row, strict=True))
                      if i not in (number_at, zone_at)}
            found.callees.append(Callee(number, line, fields, zone))
    except csv.Error as exc:  # where the row that could not be read began
        found.problems.append(RowProblem(line + 1, f"cannot be read as CSV ({exc}): a quote left open?"))
    if not found.callees and not found.problems:
        found.problems.append(RowProblem(2, "no callees: the file has a header and no rows"))
    return found


def read_list(path: Path) -> bytes:
    """A list file, or as much of it as shows it is over the size limit (never all of /dev/zero). Only a
    regular file: a named pipe would wait for a writer for ever, a device has no end."""
    if not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file (a pipe or a device)" if path.exists() else \
            "no such file"
        raise OSError(0, f"{what}: give a CSV or TSV file")
    with path.open("rb") as fh:
        return fh.read(MAX_BYTES + 1)


def printable(text: str) -> str:
    """Text as a terminal should print it: a control character (an escape sequence's start) as '?'. A list's
    cells are anyone's text, and its problems quote them."""
    return "".join(ch if ch.isprintable() else "?" for ch in text)


def row_lines(row: list[str]) -> int:
    """How many lines of the file a row took (a quoted cell may hold line breaks)."""
    return 1 + sum(cell.count("\n") for cell in row)


def known_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def text_line(data: bytes, offset: int) -> int:
    return data[:offset].count(b"\n") + 1
