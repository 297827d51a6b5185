"""Screenshots at 80x24 and 120x40 on a frozen clock and a fixed history: the layout an operator sees.

Addresses are hidden (ports differ per run) and times show in UTC. `pytest --snapshot-update` rewrites
them after a deliberate change; look at the SVGs before committing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from console.store import Store
from tests.conftest import FrozenClock
from tests.ui.conftest import make_app, ready, until
from tests.ui.history_seed import seed_history

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}


@pytest.fixture(autouse=True)
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def seeded(store: Store, clock: FrozenClock) -> dict[str, str]:
    return asyncio.run(seed_history(store, clock))


def still(app: Any) -> None:
    """No blinking cursor: the same frame every time."""
    for box in app.query(Input):
        box.cursor_blink = False
    for screen in app.screen_stack:
        for box in screen.query(Input):
            box.cursor_blink = False


def started(then: Callable[[Pilot], Awaitable[None]] | None = None,
            keep_notes: bool = False) -> Callable[[Pilot], Awaitable[None]]:
    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        await until(pilot, lambda: ready(app) and app.query_one("#log").row_count > 0, "the console to start")
        if then is not None:
            await then(pilot)
        await pilot.pause(0.25)  # one flush of the log, one tick of the counters
        still(app)
        if not keep_notes:
            app.clear_notifications()
        await pilot.pause()

    return run_before


def app_for(store: Store, clock: FrozenClock, **overrides: Any) -> Any:
    overrides.setdefault("ui", {"show_addresses": False})
    return make_app(store, clock=clock, **overrides)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("profile", ["demo-cognigy", "demo-jambonz", "demo-ibm", "demo-mobtexting"])
def test_main_screen(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str], profile: str,
                     size: str) -> None:
    assert snap_compare(app_for(store, clock, default_profile=profile), terminal_size=SIZES[size],
                        run_before=started())


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("key", ["f6", "f7", "f8"])
def test_editor(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str], key: str,
                size: str) -> None:
    async def open_editor(pilot: Pilot) -> None:
        await pilot.press(key)
        if key == "f7":
            await pilot.press(*"campaign", "tab", *"spring", "enter", *"meta", "tab", *'{"a": [1, 2]}', "enter")
        if key == "f8":
            await pilot.press(*"X-Campaign", "tab", *"spring", "enter")

    assert snap_compare(app_for(store, clock), terminal_size=SIZES[size], run_before=started(open_editor))


@pytest.mark.parametrize("size", SIZES)
def test_call_detail(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str], size: str) -> None:
    async def open_detail(pilot: Pilot) -> None:
        log = pilot.app.query_one("#log")
        await pilot.press("f4")
        log.move_cursor(row=log.get_row_index(seeded["machine"]))
        await pilot.press("enter")
        await until(pilot, lambda: getattr(pilot.app.screen, "detail", None) is not None, "the detail")
        await pilot.press("down", "down", "down", "down")  # past the create answer: the AMD event and its raw body

    assert snap_compare(app_for(store, clock), terminal_size=SIZES[size], run_before=started(open_detail))


@pytest.mark.parametrize("size", SIZES)
def test_help(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str], size: str) -> None:
    async def open_help(pilot: Pilot) -> None:
        await pilot.press("f1")

    assert snap_compare(app_for(store, clock), terminal_size=SIZES[size], run_before=started(open_help))


@pytest.mark.parametrize("size", SIZES)
def test_error_state(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str], size: str) -> None:
    """A number that is not one, a ring timeout that is not a number, the dial refused; a refused call's row."""

    async def break_the_form(pilot: Pilot) -> None:
        form = pilot.app.query_one("#form")
        form.set_value("to", "12")
        form.set_value("timeout", "soon")
        await pilot.press("ctrl+g")

    assert snap_compare(
        app_for(store, clock), terminal_size=SIZES[size], run_before=started(break_the_form, keep_notes=True)
    )


@pytest.mark.parametrize("size", SIZES)
def test_high_contrast_theme(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str],
                             size: str) -> None:
    assert snap_compare(app_for(store, clock, theme="vgconsole-high-contrast"), terminal_size=SIZES[size],
                        run_before=started())


async def _history(pilot: Pilot) -> None:
    await pilot.press("f4", "f10")
    screen = pilot.app.screen
    await until(pilot, lambda: screen.pages_shown > 0 and "calls" in str(screen.query_one("#history-summary").render()),
                "the page and its sums")


@pytest.mark.parametrize("size", SIZES)
def test_history_screen(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str], size: str) -> None:
    assert snap_compare(app_for(store, clock), terminal_size=SIZES[size], run_before=started(_history))


def test_history_filter(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str]) -> None:
    async def open_filter(pilot: Pilot) -> None:
        await _history(pilot)
        await pilot.press("f")
        pilot.app.screen.query_one("#flt-status").value = "busy"
        pilot.app.screen.query_one("#flt-since").focus()
        await pilot.press(*"last week", "ctrl+g")  # not a date: said under the fields

    assert snap_compare(app_for(store, clock), terminal_size=SIZES["80x24"], run_before=started(open_filter))


@pytest.mark.parametrize("size", SIZES)
def test_live_calls_view(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str],
                         size: str) -> None:
    """The fresh demo gateway lists nothing; history's ringing call shows as one the gateway no longer has."""

    async def open_live(pilot: Pilot) -> None:
        await pilot.press("f4", "f9")
        screen = pilot.app.screen
        await until(pilot, lambda: screen.polls > 0, "a first look at the gateway")

    assert snap_compare(app_for(store, clock), terminal_size=SIZES[size], run_before=started(open_live))


def test_alerts_view(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str]) -> None:
    async def open_alerts(pilot: Pilot) -> None:
        await pilot.press("f4", "colon", *"alerts", "enter")
        await until(pilot, lambda: getattr(pilot.app.screen, "loads", 0) > 0, "the alerts")

    assert snap_compare(app_for(store, clock), terminal_size=SIZES["80x24"], run_before=started(open_alerts))


@pytest.mark.parametrize("size", SIZES)
def test_read_only_header(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str],
                          size: str) -> None:
    assert snap_compare(app_for(store, clock, ui={"show_addresses": False, "read_only": True}),
                        terminal_size=SIZES[size], run_before=started())


@pytest.mark.parametrize("screen", ["main", "history"])
def test_narrow_terminal(snap_compare: Any, store: Store, clock: FrozenClock, seeded: dict[str, str],
                         screen: str) -> None:
    """60x20: the receiver's state in the header and each call's outcome in History are never cut."""
    assert snap_compare(app_for(store, clock), terminal_size=(60, 20),
                        run_before=started(_history if screen == "history" else None))
