"""Every row is true, or says why not: two consoles and `vgconsole receive` on one history, one call per
dial, the same number asked about, live state read from history, calls closed by hand, F9's own word."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from textual import events
from textual.widgets import DataTable, Input, Static

from console import paths
from console.config import load_settings
from console.receiver import load_key
from console.receiver_state import ReceiverState
from console.status import CallStatus, EventSource
from console.store import Store
from console.ui.screens.call_detail import CallDetailScreen
from console.ui.screens.confirm import Confirm
from console.ui.screens.gateway_live import LiveCallsScreen
from console.ui.screens.mark_ended import MarkEnded
from console.ui.widgets.call_log import CallLog
from tests.conftest import ROOT
from tests.integration.test_sharing import free_port
from tests.ui.conftest import console, dial, final_row, make_app, notes, ready, row, type_into, until


def status_line(app) -> str:
    return str(app.query_one("#status", Static).render())


async def test_two_consoles_and_a_receiver_on_one_history_see_every_call_and_the_port_passes_on(tmp_path: Path) -> None:
    port, db = free_port(), tmp_path / "shared.db"
    receive = subprocess.Popen([sys.executable, "-m", "console", "--db", str(db), "receive", "--port", str(port),
                                "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert receive.stdout is not None and json.loads(receive.stdout.readline())["state"] == "listening"
        key = load_key(paths.receiver_key_file())  # the host's, as the receive command has it
        settings = load_settings(receiver={"port": port}, simulator={"speed": 100})
        with Store(db) as first_db, Store(db) as second_db:
            one = make_app(first_db, settings, key=key)
            two = make_app(second_db, load_settings(receiver={"port": port}, simulator={"speed": 100}), key=key)
            async with one.run_test(size=(120, 40), notifications=True) as p1, \
                    two.run_test(size=(120, 40), notifications=True) as p2:
                await until(p1, lambda: ready(one) and ready(two), "both consoles")
                assert f"shared (pid {receive.pid})" in status_line(
                    one
                ) and f"shared (pid {receive.pid})" in status_line(two)
                answered = await dial(p1, "+12125550101")
                assert (await final_row(p1, answered.attempt_id))["status"] == "completed"
                # the other console shows it live, though it never placed it
                await until(p2, lambda: answered.attempt_id in two.query_one("#log", CallLog).calls, "the other's call")
                assert (await final_row(p2, answered.attempt_id))["status"] == "completed"

                receive.send_signal(signal.SIGINT)
                receive.wait(30)
                await until(p1, lambda: ReceiverState.LISTENING in (one.services.receiver.state,
                                                                     two.services.receiver.state), "a takeover", 5)
                busy = await dial(p2, "+12125550102")
                assert (await final_row(p2, busy.attempt_id))["status"] == "busy 486"
                assert (await final_row(p1, busy.attempt_id))["status"] == "busy 486"
                await p1.pause(0.3)
                assert "listening" in status_line(one) + status_line(two)
                for app in (one, two):  # every webhook each console's gateway sent was stored
                    for sim in app.services.embedded._running.values():
                        assert sim.notifier.sent > 0 and sim.notifier.failed == 0
    finally:
        if receive.poll() is None:
            receive.kill()
        log, _ = receive.communicate(timeout=30)
    assert f"{answered.call_sid} completed 200" in log  # the receiver logged the first call while it owned the port


async def test_ten_quick_dials_place_one_call(live_store: Store) -> None:
    async with console(live_store, ui={"redial_guard_s": 30}) as (app, pilot):
        await type_into(pilot, "to", "+12125550106")
        started = time.perf_counter()
        for _ in range(10):  # as a terminal delivers them: all in the queue at once, not one per frame
            app.post_message(events.Key("ctrl+g", None))
        assert time.perf_counter() - started < 0.1
        await until(pilot, lambda: live_store.count() == 1, "the one call")
        await pilot.pause(0.3)
        if isinstance(app.screen, Confirm):  # a press that came after the call was placed asks first
            assert "was dialled" in app.screen.question
            await pilot.press("n")
        assert live_store.count() == 1 and not app.main.dialling
        said = [n for n in notes(app) if "is still being placed" in n]
        assert len(said) <= 1  # one toast, however many presses, counted in it


async def test_the_same_number_again_soon_asks_first_naming_how_long_ago(live_store: Store) -> None:
    async with console(live_store, ui={"redial_guard_s": 30}) as (app, pilot):
        first = await dial(pilot, "+12125550102")
        await final_row(pilot, first.attempt_id)
        await pilot.press("f2", "ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        assert "+12125550102 was dialled" in app.screen.question and " s ago (busy)" in app.screen.question
        await pilot.press("n")
        await pilot.pause(0.2)
        assert live_store.count() == 1 and not app.main.dialling
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question again")
        await pilot.press("y")
        await until(pilot, lambda: live_store.count() == 2, "the second call")


async def test_live_state_comes_from_history_not_from_the_log(store: Store, clock) -> None:
    old = await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100",
                                    to_number="+12125550106")
    await store.attempt_placed(old.attempt_id, call_sid="00000000-0000-4000-8000-00000000beef")
    for n in range(250):  # more than the log loads at start
        clock.advance(1)
        done = await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100",
                                         to_number=f"+1212555{n:04d}")
        await store.attempt_failed(done.attempt_id, "refused")
    app = make_app(store, clock=clock, reconcile={"enabled": False})
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: ready(app), "the console")
        assert old.attempt_id not in app.query_one("#log", CallLog).calls
        await until(pilot, lambda: "1 live" in status_line(app), "the counters")
        # the hang-up choice reads history: the call is answered there, so it is hung up, not cancelled
        await pilot.press("f10")
        await until(pilot, lambda: getattr(app.screen, "pages_shown", 0) > 0, "history")
        app.post_message(CallDetailScreen.HangupWanted(store.detail(old.attempt_id)))
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        assert app.screen.question == "Cancel the call to +12125550106?"
        await pilot.press("n")
        await pilot.press("escape")
        await pilot.press("f4", "q")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the quit question")
        assert app.screen.question.startswith("1 call(s) still live")
        await pilot.press("n")


async def test_a_call_is_marked_ended_by_hand_from_the_log_and_the_detail_says_why(live_store: Store) -> None:
    async with console(live_store, reconcile={"enabled": False}) as (app, pilot):
        stay = await dial(pilot, "+12125550106")  # answered, and stays until hung up
        await until(pilot, lambda: row(app, stay.attempt_id)["status"] == "answered", "answered")
        log = app.query_one("#log", CallLog)
        await pilot.press("f4")
        log.move_cursor(row=log.get_row_index(stay.attempt_id))
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MarkEnded), "the question")
        await pilot.press("enter")  # no reason: refused, says why
        assert "a reason is needed" in str(app.screen.query_one("#mark-error").render())
        app.screen.query_one("#mark-reason", Input).insert_text_at_cursor("the customer called back")
        await pilot.press("enter")
        assert (await final_row(pilot, stay.attempt_id))["status"] == "unknown"
        call = live_store.call(stay.attempt_id)
        assert call.error == "marked ended by the operator: the customer called back"
        assert live_store.events(call.id)[-1].source is EventSource.OPERATOR
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CallDetailScreen) and app.screen.detail, "the detail")
        summary = str(app.screen.query_one("#detail-summary", Static).render())
        assert "why marked ended by the operator: the customer called back" in summary
        await pilot.press("m")
        await until(pilot, lambda: any("has already ended (unknown)" in n for n in notes(app)), "no second close")


async def test_an_ibm_call_is_closed_by_hand_from_the_live_calls_view(live_store: Store) -> None:
    async with console(live_store, speed=10, reconcile={"enabled": False},
                       simulator={"speed": 10, "drop_webhooks": 1.0}) as (app, pilot):
        await app.switch_profile("demo-ibm")
        await until(pilot, lambda: "demo-ibm" in status_line(app) and ready(app), "the IBM profile")
        call = await dial(pilot, "+12125550101")
        await pilot.press("f9")
        live = app.screen
        assert isinstance(live, LiveCallsScreen)
        await until(pilot, lambda: any(r.call and r.call.attempt_id == call.attempt_id for r in live.rows), "the call")
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, MarkEnded), "the question")
        app.screen.query_one("#mark-reason", Input).insert_text_at_cursor("IBM said nothing; the agent confirmed")
        await pilot.press("enter")
        await until(pilot, lambda: live_store.call(call.attempt_id).status is CallStatus.UNKNOWN, "closed")
        assert "the agent confirmed" in live_store.call(call.attempt_id).error


async def test_f9_marks_a_hung_up_call_ending_offers_it_once_and_settles_what_the_gateway_says(
        live_store: Store) -> None:
    async with console(live_store, speed=10, ui={"live_poll_s": 60}, reconcile={"enabled": False},
                       simulator={"speed": 10, "drop_webhooks": 1.0}) as (app, pilot):
        stay = await dial(pilot, "+12125550106")
        done = await dial(pilot, "+12125550104")  # fails at the gateway; its webhooks are lost
        sim = await app.services.embedded.for_provider("cognigy")
        await until(pilot, lambda: sim.engine.find(stay.call_sid).status == "in-progress", "answered at the gateway")
        await pilot.press("f9")
        live = app.screen
        assert isinstance(live, LiveCallsScreen)
        # the gateway lists the failed call as over: its word is stored, history agrees at once
        await until(pilot, lambda: live_store.call(done.attempt_id).status is CallStatus.FAILED, "the failure settled")
        assert live_store.events(live_store.call(done.attempt_id).id)[-1].source is EventSource.POLL
        await until(pilot, lambda: any(r.call_sid == stay.call_sid for r in live.rows), "the answered call")
        table = live.query_one("#live-table", DataTable)
        table.move_cursor(row=[r.call_sid for r in live.rows].index(stay.call_sid))
        await pilot.press("h")
        assert "Hang up the call to +12125550106" in app.screen.question
        await pilot.press("y")
        def shown(sid: str) -> list[str]:
            return [str(c) for c in table.get_row(sid)] if sid in table.rows else []

        await until(pilot, lambda: "ending…" in shown(stay.call_sid), "ending…")
        await pilot.press("h")
        assert not isinstance(app.screen, Confirm)
        assert any("was asked to end" in n for n in notes(app))


async def test_toasts_of_one_kind_coalesce(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        app.clear_notifications()
        for _ in range(3):
            app.notify("the same thing", title="note")
        app.notify("calling +1", title="dialling")
        app.notify("calling +2", title="dialling")
        await pilot.pause()
        assert sorted(notes(app)) == ["dialling: calling +2", "note: the same thing (×3)"]
