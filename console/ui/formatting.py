"""How calls look in tables: one place, so the live log, the detail view and history agree.
Cells are Text, never markup: numbers, reasons and tags come from the network."""

from __future__ import annotations

import json
from datetime import datetime

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from console.records import CallRecord
from console.redact import redact
from console.status import CallStatus

STATUS_STYLE = {
    CallStatus.QUEUED: "dim", CallStatus.DIALING: "yellow", CallStatus.RETRYING: "yellow", CallStatus.RINGING: "yellow",
    CallStatus.ANSWERED: "bold green", CallStatus.COMPLETED: "green", CallStatus.BUSY: "magenta",
    CallStatus.NO_ANSWER: "magenta", CallStatus.CANCELED: "dim", CallStatus.FAILED: "bold red",
    CallStatus.UNKNOWN: "bold yellow",
}


def seconds(value: float | None) -> str:
    """42s, 4m05s, and from 100 minutes 1h58m: at most 6 characters, the width of the tables' columns."""
    if value is None:
        return ""
    value = max(0, int(value))
    if value < 60:
        return f"{value}s"
    if value < 6000:
        return f"{value // 60}m{value % 60:02d}s"
    return f"{value // 3600}h{value % 3600 // 60:02d}m"


def ring_seconds(call: CallRecord, now: datetime) -> float | None:
    """From the attempt to the answer (or to its end, or to now while it rings); none if never sent."""
    if call.call_sid is None and call.status.final:
        return None
    end = call.answered_at or call.ended_at or (None if call.status.final else now)
    return (end - call.created_at).total_seconds() if end else None


def talk_seconds(call: CallRecord, now: datetime) -> float | None:
    """How long the call talked; none when nobody answered (a gateway may still report a duration of 0
    for a busy or unanswered attempt)."""
    if call.answered_at is None and call.status not in (CallStatus.ANSWERED, CallStatus.COMPLETED):
        return None
    if call.duration is not None:
        return call.duration
    if call.answered_at is None:
        return None
    return ((call.ended_at or now) - call.answered_at).total_seconds()


def status_cell(call: CallRecord) -> Text:
    text = call.status.value.replace("_", " ")
    if call.status is CallStatus.RETRYING:  # MOBtexting calls again: how many attempts of how many so far
        text += f" {call.attempts or 0}/{int(call.request.get('retries') or 0) + 1}"
    elif call.sip_status and call.status not in (CallStatus.ANSWERED, CallStatus.COMPLETED, CallStatus.UNKNOWN):
        text += f" {call.sip_status}"
    if call.error and call.status is CallStatus.FAILED and not call.call_sid:
        text = "refused"  # the gateway said no before the call existed; the detail has why
    return Text(text, style=STATUS_STYLE.get(call.status, ""))


def amd_cell(call: CallRecord) -> Text:
    if call.amd_result is None:
        return Text("")
    return Text(call.amd_result.value.replace("_", " "), style="cyan" if call.amd_result.value == "machine" else "")


def tags_summary(tags: dict, width: int = 24) -> str:
    """Tags on one line, a secret-looking one's value masked (shown for as long as the screen is)."""
    text = ", ".join(f"{k}={v if isinstance(v, str) else json.dumps(v)}" for k, v in redact(tags).items())
    return text if len(text) <= width else text[: width - 1] + "…"


def clock_time(moment: datetime) -> str:
    return moment.strftime("%H:%M:%S")


class Parts:
    """Short phrases joined on one line while they fit the width they are drawn at; a line breaks only
    between two of them (a phrase is never split across lines unless it alone is wider than the line)."""

    def __init__(self, parts: list[str], separator: str = "  ·  "):
        self.parts, self.separator = parts, separator

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines: list[str] = []
        for part in self.parts:
            joined = f"{lines[-1]}{self.separator}{part}" if lines else part
            if lines and cell_len(joined) <= options.max_width:
                lines[-1] = joined
            else:
                lines.append(part)
        yield Text("\n".join(lines))
