"""The console driven through Textual's pilot, on the embedded simulator and a real receiver on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input

from console.clock import utc_now
from console.config import Settings, load_settings
from console.receiver_state import ReceiverState
from console.records import CallRecord
from console.services import Services
from console.store import Store
from console.ui.app import ConsoleApp
from console.ui.widgets.call_log import COLUMNS, FLUSH_S, CallLog


@pytest.fixture
def live_store(tmp_path: Path) -> Iterator[Store]:
    """History on the wall clock: live calls need ring and talk times that move."""
    s = Store(tmp_path / "live.db")
    yield s
    s.close()


async def until(pilot: Pilot, predicate: Callable[[], object], what: str, timeout: float = 10.0) -> None:
    """Wait (bounded) for something the screen should come to show."""
    for _ in range(int(timeout / 0.02)):
        if predicate():
            return
        await pilot.pause(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def make_app(store: Store, settings: Settings | None = None, clock: Callable[..., Any] = utc_now,
             key: bytes = b"test-key", state_path: Path | None = None, **overrides: Any) -> ConsoleApp:
    overrides.setdefault("receiver", {"port": 0})
    # Tests dial the demo numbers again and again; the guard against a second call to the same person has
    # tests of its own.
    overrides["ui"] = {"redial_guard_s": 0, **overrides.get("ui", {})}
    if settings is None:
        settings = load_settings(**overrides)
    elif "redial_guard_s" not in settings.ui.model_fields_set:
        settings.ui = settings.ui.model_copy(update={"redial_guard_s": 0})
    return ConsoleApp(settings, Services.build(settings, store, key=key, clock=clock), clock, state_path=state_path)


def ready(app: ConsoleApp) -> bool:
    """The receiver has started (or failed to) and the lists have arrived."""
    return (app.services.receiver.state is not ReceiverState.STOPPED and app.query_one("#numbers").row_count > 0
            and not app.query_one("#numbers").loading)


@asynccontextmanager
async def console(store: Store, *, size: tuple[int, int] = (120, 40), speed: float = 200.0,
                  settings: Settings | None = None, **overrides: Any) -> AsyncIterator[tuple[ConsoleApp, Pilot]]:
    overrides.setdefault("simulator", {"speed": speed})
    app = make_app(store, settings, **overrides)
    async with app.run_test(size=size, notifications=True) as pilot:
        await until(pilot, lambda: ready(app), "the console to start")
        yield app, pilot


async def type_into(pilot: Pilot, field: str, text: str, keys: bool = False) -> None:
    """Clear a form field and fill it: key by key as an operator types (`keys`), or at once as a paste
    does (each key costs the pilot a full refresh; most tests type only where keys are the point)."""
    box = pilot.app.query_one(f"#f-{field}", Input)
    box.focus()
    box.value = ""
    if keys:
        await pilot.press(*text)
    else:
        box.insert_text_at_cursor(text)
    await pilot.pause()


async def dial(pilot: Pilot, number: str, key: str = "ctrl+g", keys: bool = False) -> CallRecord:
    """Enter the number, press the dial key, and return the call as the log first shows it."""
    app: ConsoleApp = pilot.app  # type: ignore[assignment]
    log = app.query_one("#log", CallLog)
    before = set(log.calls)
    await type_into(pilot, "to", number, keys)
    await pilot.press(key)
    await until(pilot, lambda: set(log.calls) - before, f"a row for {number}")
    (attempt,) = set(log.calls) - before
    return log.calls[attempt]


def row(app: ConsoleApp, attempt_id: str) -> dict[str, str]:
    """A log row as the operator reads it, by column."""
    log = app.query_one("#log", CallLog)
    cells = log.get_row(attempt_id)
    return {key: str(cell) for (_, key, _), cell in zip(COLUMNS, cells, strict=True)}


async def final_row(pilot: Pilot, attempt_id: str, timeout: float = 20.0) -> dict[str, str]:
    """The call's row once it has ended. `make test` runs two test processes on two cores, each with its
    consoles, simulators and history writers: a call's end, which shows here within a second when the
    machine is idle, was seen to take over 10 s twice in eight such runs."""
    app: ConsoleApp = pilot.app  # type: ignore[assignment]
    log = app.query_one("#log", CallLog)
    await until(pilot, lambda: attempt_id in log.calls and log.calls[attempt_id].status.final and not log._pending,
                f"call {attempt_id} to end", timeout)
    await pilot.pause(FLUSH_S + 0.05)  # one flush of the log
    return row(app, attempt_id)


def drawn(widget: Widget) -> list[str]:
    """The lines a widget shows on screen, as text."""
    return [widget.render_line(y).text.rstrip() for y in range(widget.size.height)]


def notes(app: ConsoleApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]
