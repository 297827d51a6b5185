"""Exports of call history as CSV or JSON, streamed (never the whole history in memory)."""

from __future__ import annotations

import csv
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal, TextIO

from console.records import CallRecord, EventRecord

Format = Literal["csv", "json"]

CSV_COLUMNS = (
    "id", "attempt_id", "profile", "provider", "call_sid", "sip_call_id", "from_number", "to_number",
    "target_type", "status", "provider_status", "sip_status", "sip_reason", "amd_result", "amd_reason",
    "duration", "created_at", "answered_at", "ended_at", "error", "tags",
)
_NUMERIC = re.compile(r"^[+-]?[\d.]+$")


def _cell(value: object) -> str:
    """A CSV cell a spreadsheet will not run as a formula (gateway text and tags are untrusted)."""
    if value is None:
        return ""
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, dict) else str(value)
    if text[:1] in ("=", "@", "\t", "\r") or (text[:1] in ("+", "-") and not _NUMERIC.match(text)):
        return "'" + text
    return text


Redact = Callable[[Any], Any]


def _keep(value: Any) -> Any:
    return value


def write_csv(calls: Iterable[CallRecord], out: TextIO, redact: Redact = _keep) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    count = 0
    for call in calls:
        data = redact(call.model_dump(mode="json"))
        writer.writerow([_cell(data[col]) for col in CSV_COLUMNS])
        count += 1
    return count


def write_json(calls: Iterable[CallRecord], out: TextIO, events: Callable[[int], list[EventRecord]] | None = None,
               redact: Redact = _keep) -> int:
    """A JSON array of calls; with `events`, each call carries its timeline."""
    out.write("[")
    count = 0
    for call in calls:
        data = call.model_dump(mode="json")
        if events is not None:
            data["events"] = [e.model_dump(mode="json") for e in events(call.id)]
        out.write(("\n" if count == 0 else ",\n") + json.dumps(redact(data), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def export(
    calls: Iterable[CallRecord],
    fmt: Format,
    out: TextIO,
    events: Callable[[int], list[EventRecord]] | None = None,
    redact: Redact = _keep,
) -> int:
    """`redact`: the history's rule, applied again on the way out (rows written before a rule grew keep
    what it now masks)."""
    return write_csv(calls, out, redact) if fmt == "csv" else write_json(calls, out, events, redact)


def export_file(
    path: Path,
    calls: Iterable[CallRecord],
    fmt: Format,
    events: Callable[[int], list[EventRecord]] | None = None,
    redact: Redact = _keep,
) -> int:
    """Write to a temporary file beside `path`, then rename: a failed export leaves no half file."""
    return write_whole(path, lambda fh: export(calls, fmt, fh, events, redact))


def history_files(history: Path) -> set[Path]:
    """The files SQLite keeps a history in: an export written over one of them destroys the history."""
    base = history.expanduser().resolve()
    return {base, *(base.with_name(base.name + end) for end in ("-wal", "-shm", "-journal"))}


def not_history(path: Path, history: Path) -> None:
    """ValueError when `path` is (or links to) one of history's files."""
    if path.expanduser().resolve() in history_files(history):
        raise ValueError(f"{path} is one of the history database's files ({history}): an export there would "
                         "destroy it; choose another file")


def write_whole(path: Path, write: Callable[[TextIO], int]) -> int:
    """`write` into a temporary file beside `path`, then rename it there: all of it or nothing. A link is
    followed (its target gets the export, the link stays); a device or a pipe (/dev/stdout) is written into
    as it is, never replaced by a file."""
    path = path.expanduser()
    if path.is_symlink():
        path = path.resolve()
    if path.exists() and not path.is_file():
        if path.is_dir():
            raise IsADirectoryError(21, "a folder, not a file", str(path))
        with path.open("w", encoding="utf-8", newline="") as fh:
            return write(fh)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            count = write(fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count


def export_to_folder(folder: Path, stem: str, calls: Iterable[CallRecord], fmt: Format,
                     redact: Redact = _keep) -> tuple[Path, int]:
    """A new file `stem.fmt` in `folder` (`stem-2.fmt`... when it exists: never over an earlier export)."""
    folder.mkdir(parents=True, exist_ok=True)
    path, n = folder / f"{stem}.{fmt}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}.{fmt}"
    return path, export_file(path, calls, fmt, redact=redact)


def write_rows(rows: Iterable[dict[str, Any]], columns: tuple[str, ...], fmt: Format, out: TextIO,
               redact: Redact = _keep) -> int:
    """Rows other than calls (a campaign's callees, say), with the same care: masked, no formulas in CSV."""
    count = 0
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            data = redact(row)
            writer.writerow([_cell(data.get(col)) for col in columns])
            count += 1
        return count
    out.write("[")
    for row in rows:
        out.write(("\n" if count == 0 else ",\n") + json.dumps(redact(row), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count
