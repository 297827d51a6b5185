"""The console starting up: embedded simulator, receiver, history and counters."""

from __future__ import annotations

import httpx
from textual.widgets import Static

from console.store import Store
from console.ui.widgets.call_log import CallLog
from tests.conftest import FrozenClock
from tests.ui.conftest import console, dial, final_row, make_app, ready, row, until


def status_line(app) -> str:
    return str(app.query_one("#status", Static).render())


async def test_the_console_opens_on_the_embedded_simulator_with_the_history(store: Store, clock: FrozenClock) -> None:
    first = await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100",
                                      to_number="+12125550101")
    clock.advance(60)
    second = await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100",
                                       to_number="+12125550102")
    await store.attempt_failed(second.attempt_id, "gateway unreachable")
    app = make_app(store, clock=clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: ready(app), "the console to start")
        line = status_line(app)
        receiver = app.services.receiver
        assert line.startswith(" demo-cognigy  cognigy")
        assert "receiver listening" in line and f"receiver at {receiver.address}" in line
        assert "embedded simulator http://127.0.0.1:" in line
        # the simulator really listens inside the console's process
        info = app.services.embedded.running()["cognigy"]
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{info['base_url']}/v1/PhoneNumbers",
                                      headers={"Authorization": f"Bearer {info['api_key']}"})
        assert answer.status_code == 200 and answer.json()[0]["number"] == "12125550100"
        log = app.query_one("#log", CallLog)
        await until(pilot, lambda: log.row_count == 2, "the history in the log")
        assert [str(log.get_row_at(i)[1]) for i in range(2)] == ["+12125550102", "+12125550101"]  # newest first
        assert row(app, second.attempt_id)["status"] == "refused" and row(app, first.attempt_id)["status"] == "queued"
        assert "1 live  1h 0 answered 1 failed" in status_line(app)
        assert app.theme == "vgconsole-dark" and app.focused.id == "f-to"
    assert receiver.state.value == "stopped"  # stopped with the console


async def test_the_first_screen_is_drawn_before_the_services_start_and_fills_in_as_they_do(live_store: Store) -> None:
    import threading

    from console.config import load_settings
    from console.services import Services
    from console.ui.app import ConsoleApp

    settings = load_settings(receiver={"port": 0}, simulator={"speed": 200.0})
    go = threading.Event()

    def start() -> Services:  # the services come when the test says so
        assert go.wait(10), "the test never let the services start"
        return Services.build(settings, live_store, key=b"test-key")

    app = ConsoleApp(settings, start=start)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert not app.ready and "receiver starting" in status_line(app)  # drawn, with what is still coming
        assert app.query_one("#f-to") is app.focused  # the form is there to type into
        await pilot.press("f10")  # history needs the services: not offered yet, and nothing breaks
        assert app.screen is app.main
        go.set()
        await until(pilot, lambda: app.ready and ready(app), "the services to start and the lists to arrive")
        assert "receiver listening" in status_line(app)
        await pilot.press("f10")
        assert app.screen is not app.main


async def test_a_console_whose_history_cannot_open_closes_saying_why(tmp_path, capfd) -> None:
    from console.config import load_settings
    from console.records import StoreError
    from console.ui.app import ConsoleApp

    def start():
        raise StoreError(f"{tmp_path / 'h.db'} is not a history database")

    app = ConsoleApp(load_settings(receiver={"port": 0}), start=start)
    async with app.run_test(size=(80, 24)) as pilot:
        await until(pilot, lambda: app._exit, "the console to close")
    assert app.return_code == 1
    said = " ".join("".join(capfd.readouterr()).split())  # as the terminal shows it, wrapped or not
    assert f"vgconsole: cannot start: {tmp_path / 'h.db'} is not a history database" in said


async def test_the_counters_follow_the_calls(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        for number in ("+12125550101", "+12125550102", "+12125550104"):
            await final_row(pilot, (await dial(pilot, number)).attempt_id)
        await until(pilot, lambda: "0 live  1h 1 answered 1 failed" in status_line(app), "the counters", timeout=5)


async def test_history_pages_through_every_call_and_opens_one(store: Store, clock: FrozenClock) -> None:
    for n in range(3):
        clock.advance(60)
        await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100",
                                  to_number=f"+1212555010{n + 1}")
    app = make_app(store, clock=clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: ready(app), "the console to start")
        await pilot.press("f4", "colon", *"history", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "HistoryScreen", "the history screen")
        table = app.screen.query_one("#history-table")
        await until(pilot, lambda: table.row_count == 3, "three calls")
        assert str(table.get_row_at(0)[1]) == "+12125550103"
        await pilot.press("enter")
        await until(pilot, lambda: type(app.screen).__name__ == "CallDetailScreen", "the call's detail")
        await pilot.press("escape", "escape")
        assert app.screen is app.screen_stack[0]


async def test_leaving_the_console_ends_the_embedded_simulators_live_calls(live_store: Store) -> None:
    """The demo gateway stops with the console; its calls end with it instead of staying live in history."""
    async with console(live_store, speed=10) as (app, pilot):
        staying = await dial(pilot, "+12125550106")
        ringing = await dial(pilot, "+12125550103")
        await until(pilot, lambda: row(app, staying.attempt_id)["status"] == "answered"
                    and row(app, ringing.attempt_id)["status"] == "ringing 180", "one answered, one ringing")
    assert live_store.call(staying.attempt_id).status.value == "completed"
    assert (live_store.call(ringing.attempt_id).status.value, live_store.call(ringing.attempt_id).sip_status) == (
        "no_answer", 487)


async def test_messages_that_arrive_while_leaving_find_no_screen_and_do_no_harm(live_store: Store) -> None:
    from types import SimpleNamespace

    from console.ui.messages import Counters

    async with console(live_store) as (app, pilot):
        call = await dial(pilot, "+12125550101")
    # The screens are gone; a webhook's message or a counter refresh still queued must not raise.
    app._stored(None, SimpleNamespace(call=call))
    app.calls_updated()
    app.counters_changed(Counters({"live": 1}))
    app.receiver_changed()
