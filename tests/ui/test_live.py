"""Live control and the console around the form: hang-up, detail, profiles, filter, errors, receiver."""

from __future__ import annotations

import socket
from pathlib import Path

from textual.widgets import DataTable, Label, Static

from console import paths
from console.config import load_settings
from console.status import CallStatus
from console.store import Store
from console.ui.screens.call_detail import CallDetailScreen
from console.ui.screens.confirm import Confirm
from console.ui.widgets.call_log import CallLog
from tests.integration.faulty import FaultyServer
from tests.ui.conftest import console, dial, final_row, make_app, notes, row, type_into, until


def status_line(app) -> str:
    return str(app.query_one("#status", Static).render())


async def select_row(pilot, attempt_id: str) -> None:
    log = pilot.app.query_one("#log", CallLog)
    await pilot.press("f4")
    log.move_cursor(row=log.get_row_index(attempt_id))
    await pilot.pause()


async def test_cancel_while_ringing_and_hang_up_when_answered(live_store: Store) -> None:
    async with console(live_store, speed=10) as (app, pilot):
        ringing = await dial(pilot, "+12125550103")  # nobody answers: it rings for the ring timeout
        await until(pilot, lambda: row(app, ringing.attempt_id)["status"] == "ringing 180", "ringing")
        await select_row(pilot, ringing.attempt_id)
        await pilot.press("h")
        assert isinstance(app.screen, Confirm) and "Cancel the call to +12125550103?" in app.screen.question
        await pilot.press("n")  # the safe answer leaves it ringing
        await pilot.pause(0.1)
        assert not live_store.call(ringing.attempt_id).status.final
        # a call placed while the operator is in the log goes on top; the cursor stays with its call
        log = app.query_one("#log", CallLog)
        await type_into(pilot, "to", "+12125550101")
        await pilot.press("f4", "ctrl+g")
        await until(pilot, lambda: log.row_count == 2, "the new row")
        assert log.get_row_index(ringing.attempt_id) == 1 and log.selected().attempt_id == ringing.attempt_id
        await pilot.press("h")
        assert "Cancel the call to +12125550103?" in app.screen.question
        await pilot.press("y")
        shown = await final_row(pilot, ringing.attempt_id, timeout=3)  # well before the 6 s ring timeout
        assert shown["status"] == "no answer 487"

        staying = await dial(pilot, "+12125550106")  # answers and stays until hung up
        await until(pilot, lambda: row(app, staying.attempt_id)["status"] == "answered", "the answer")
        await pilot.press("f4", "h")  # dialled from the form: the cursor waits on the newest call
        assert log.selected().attempt_id == staying.attempt_id
        assert "Hang up the call to +12125550106?" in app.screen.question
        await pilot.press("y")
        shown = await final_row(pilot, staying.attempt_id, timeout=3)
        assert shown["status"] == "completed" and live_store.call(staying.attempt_id).status is CallStatus.COMPLETED
        await pilot.press("h")  # an ended call has nothing to hang up
        assert not isinstance(app.screen, Confirm)
        assert any("has already ended (completed)" in n for n in notes(app))


async def test_the_detail_shows_every_event_and_the_request_with_secrets_masked(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        app.query_one("#f-to_type").value = "sip"
        await pilot.pause()
        await type_into(pilot, "sip_user", "alice")
        await type_into(pilot, "sip_password", "hunter2-very-secret")
        call = await dial(pilot, "sip:alice@example.com")
        await final_row(pilot, call.attempt_id)
        await select_row(pilot, call.attempt_id)
        await pilot.press("enter")
        assert isinstance(app.screen, CallDetailScreen)
        await until(pilot, lambda: app.screen.detail is not None, "the detail")
        timeline = app.screen.query_one("#timeline", DataTable)
        events = live_store.detail(call.attempt_id).events
        assert timeline.row_count == len(events) >= 3
        said = [str(timeline.get_row_at(i)[3]) for i in range(timeline.row_count)]
        sources = [str(timeline.get_row_at(i)[1]) for i in range(timeline.row_count)]
        assert {"accepted, HTTP 201", "trying", "ringing", "completed"} <= set(said)  # the create's answer, its status
        assert sources[said.index("accepted, HTTP 201")] == "create" and sources[said.index("trying")] == "webhook"
        timeline.move_cursor(row=said.index("trying"))
        await pilot.pause()
        assert '"call_status": "trying"' in str(app.screen.query_one("#raw", Static).render())
        timeline.move_cursor(row=said.index("ringing"))
        await pilot.pause()
        assert '"call_status": "ringing"' in str(app.screen.query_one("#raw", Static).render())
        request = str(app.screen.query_one("#request", Static).render())
        assert '"password": "••••"' in request and "hunter2" not in request and '"username": "alice"' in request
        await pilot.press("escape")
        assert not isinstance(app.screen, CallDetailScreen)


async def test_the_detail_of_a_live_call_follows_it(live_store: Store) -> None:
    async with console(live_store, speed=20) as (app, pilot):
        call = await dial(pilot, "+12125550101")
        await select_row(pilot, call.attempt_id)
        await pilot.press("enter")
        timeline = app.screen.query_one("#timeline", DataTable)
        await until(pilot, lambda: timeline.row_count and "completed" in
                    [str(timeline.get_row_at(i)[3]) for i in range(timeline.row_count)], "the call's end in the detail")


async def test_switching_profiles_changes_the_form_the_lists_and_the_gateway(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f4", "colon")
        await pilot.press(*"profile demo-ibm")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await until(pilot, lambda: "demo-ibm" in status_line(app) and app.query_one("#numbers").row_count
                    and str(app.query_one("#numbers").get_row_at(0)[0]) == "+12125550150", "the IBM profile")
        assert app.query_one("#row-ibm_context").display and not app.query("#row-trunk")  # the form is IBM's
        assert str(app.query_one("#label-application", Label).render()) == "Agent"
        busy = await dial(pilot, "+12125550102")
        assert (await final_row(pilot, busy.attempt_id))["status"].startswith("busy")
        assert row(app, busy.attempt_id)["profile"] == "demo-ibm"

        await app.switch_profile("demo-mobtexting")
        await until(pilot, lambda: app.query_one("#apps").row_count == 2 and "demo-mobtexting" in status_line(app),
                    "MOBtexting's IVR flows")
        assert app.query_one("#row-mob_interval").display and not app.query("#row-amd")
        assert not app.query_one("#open-amd").display  # no AMD, no headers at MOBtexting
        assert "f6" not in app.active_bindings
        answered = await dial(pilot, "+12125550101")
        assert (await final_row(pilot, answered.attempt_id))["status"] == "completed"


async def test_a_calls_timeline_shows_what_each_event_said_whole_at_100_columns(live_store: Store) -> None:
    async with console(live_store, size=(100, 30), speed=10) as (app, pilot):
        ringing = await dial(pilot, "+12125550103")
        await until(pilot, lambda: row(app, ringing.attempt_id)["status"] == "ringing 180", "ringing")
        await select_row(pilot, ringing.attempt_id)
        await pilot.press("h", "y")
        await final_row(pilot, ringing.attempt_id, timeout=3)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CallDetailScreen) and app.screen.detail is not None,
                    "the call's detail")
        table = app.screen.query_one("#timeline", DataTable)
        await pilot.pause()
        lines = [table.render_line(y).text for y in range(table.size.height)]
        assert any("cancel asked by the operator" in line for line in lines), lines
        assert table.virtual_size.width <= table.size.width  # no column pushed out of sight


async def test_filtering_the_log(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        for number in ("+12125550101", "+12125550102", "+12125550104"):
            await final_row(pilot, (await dial(pilot, number)).attempt_id)
        log = app.query_one("#log", CallLog)
        await pilot.press("f4", "slash", *"busy")
        assert log.row_count == 1 and str(log.get_row_at(0)[1]) == "+12125550102"
        await pilot.press("enter")  # keeps the filter, back to the rows
        assert app.focused is log
        late = await dial(pilot, "+12125550101")
        await until(pilot, lambda: late.attempt_id in log.calls and log.calls[late.attempt_id].status.final, "its end")
        assert log.row_count == 1  # a new call that does not match stays out of view, not out of the log
        await pilot.press("f4", "slash", "escape")
        assert log.row_count == 4 and app.focused is log
        # any text a row shows: its status as written there, its time
        refused = await dial(pilot, "+12125550104")  # the demo gateway's 404: "failed 404"
        await final_row(pilot, refused.attempt_id)
        await pilot.press("f4", "slash", *"failed 404", "enter")
        assert log.row_count == 2 and {str(log.get_row_at(i)[1]) for i in range(2)} == {"+12125550104"}
        shown = str(log.get_row_at(0)[0])  # HH:MM:SS
        await pilot.press("slash", "ctrl+u", *shown, "enter")
        assert log.row_count >= 1 and all(str(log.get_row_at(i)[0]) == shown for i in range(log.row_count))


async def test_a_gateway_error_is_a_notification_and_a_row_never_a_traceback(live_store: Store, tmp_path: Path) -> None:
    async with console(live_store) as (app, pilot):
        await type_into(pilot, "application", "00000000-0000-4000-8000-000000000000")
        call = await dial(pilot, "+12125550101")
        shown = await final_row(pilot, call.attempt_id)
        assert shown["status"] == "refused"
        assert any("the call was not placed: application_sid not found" in n for n in notes(app))
        assert "application_sid not found" in live_store.call(call.attempt_id).error
        # the refusal in the call's detail: the gateway's HTTP status and its own body
        await select_row(pilot, call.attempt_id)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CallDetailScreen) and app.screen.detail is not None,
                    "the detail")
        first = app.screen.query_one("#timeline", DataTable).get_row_at(0)
        assert (str(first[1]), str(first[3])) == ("create", "refused, HTTP 400")
        assert '"msg": "application_sid not found 00000000-' in str(app.screen.query_one("#raw", Static).render())
        await pilot.press("escape")

    # a gateway answering 500 with an empty body
    async with FaultyServer("script", [(500, {}, None)]) as server:
        cfg = tmp_path / "c.toml"
        cfg.write_text(
            f'demo_profiles = true\ndefault_profile = "demo-cognigy"\n[profiles.broken]\nprovider = "jambonz"\n'
            f'base_url = "{server.base_url}"\napi_key = "k-0123456789abcdef"\n'
            'account_sid = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"\n'
        )
        async with console(live_store, settings=load_settings(cfg, receiver={"port": 0})) as (app, pilot):
            await app.switch_profile("broken")
            await until(pilot, lambda: any("could not list" in n for n in notes(app)), "the list error")
            await type_into(pilot, "from", "+12125550100")  # the profile has no numbers or apps to default to
            await type_into(pilot, "application", "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1")
            call = await dial(pilot, "+12125550101")
            await final_row(pilot, call.attempt_id)
            said = [n for n in notes(app) if "the call was not placed" in n]
            assert said and "HTTP 500 and no reason" in said[0], notes(app)
            assert live_store.call(call.attempt_id).status is CallStatus.FAILED


async def test_a_taken_receiver_port_is_shown_and_calls_still_go_out(live_store: Store) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        async with console(live_store, receiver={"port": port}) as (app, pilot):
            assert "receiver port busy" in status_line(app)
            assert any("not a vgconsole receiver" in n and "VGCONSOLE_RECEIVER__PORT" in n
                       and "outcome comes from the gateway's own records" in n for n in notes(app)), notes(app)
            call = await dial(pilot, "+12125550101")
            assert live_store.call(call.attempt_id).call_sid  # placed at the gateway all the same
            # No webhook can reach this console; the gateway's record of the call settles it.
            assert (await final_row(pilot, call.attempt_id))["status"] == "completed"
            settled = live_store.detail(call.attempt_id)
            assert [e.source.value for e in settled.events] == ["create", "poll"]
            assert settled.call.duration == 4


async def test_help_lists_every_key_and_the_keymap_moves_one(live_store: Store, tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('[keymap]\ndial = "f12"\n')
    async with console(live_store, settings=load_settings(cfg, receiver={"port": 0})) as (app, pilot):
        await pilot.press("f1")
        table = app.screen.query_one("#help-keys", DataTable)
        rows = {str(table.get_row_at(i)[2]): str(table.get_row_at(i)[0]) for i in range(table.row_count)}
        for wanted in ("dial", "hangup", "filter", "edit-amd", "edit-tags", "edit-headers", "command", "pick",
                       "call-detail", "quit"):
            assert wanted in rows, wanted
        assert rows["dial"] == "f12"
        # each place's heading whole, though wider than the keys' column: "history filter", "campaign callees"
        await pilot.pause()
        headings = [i for i in range(table.row_count) if not str(table.get_row_at(i)[2])]
        assert "history filter" in [str(table.get_row_at(i)[0]) for i in headings]
        for i in headings:
            text, key = str(table.get_row_at(i)[0]), table.coordinate_to_cell_key((i, 0)).row_key
            assert table.rows[key].height * table.ordered_columns[0].width >= len(text), text  # wrapped, not cut
        await pilot.press("escape")
        call = await dial(pilot, "+12125550101", key="f12")
        assert call.to_number == "+12125550101"


async def test_themes_from_files_the_command_line_and_a_bad_file(live_store: Store) -> None:
    themes = paths.user_themes_dir()
    themes.mkdir(parents=True)
    (themes / "broken.toml").write_text("name = \n")
    (themes / "mine.toml").write_text('name = "mine"\nprimary = "#ff8800"\n')
    async with console(live_store, theme="ansi-dark") as (app, pilot):
        assert app.theme == "ansi-dark"
        assert len([n for n in notes(app) if "theme file(s) not loaded" in n and "broken.toml" in n]) == 1, notes(app)
        assert {"mine", "vgconsole-dark", "vgconsole-light", "vgconsole-high-contrast"} <= set(app.available_themes)
        await pilot.press("f4", "colon", *"theme vgconsole-high", "enter")
        await until(pilot, lambda: app.theme == "vgconsole-high-contrast", "the theme to change")
        await pilot.press("colon", *"theme mine", "enter")
        await until(pilot, lambda: app.theme == "mine", "the user's theme")


async def test_an_unknown_theme_falls_back_with_a_word(live_store: Store) -> None:
    app = make_app(live_store, theme="no-such-theme")
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "vgconsole-dark"
        assert any("no theme named 'no-such-theme'" in n for n in notes(app))


async def test_leaving_with_live_calls_asks_first(live_store: Store) -> None:
    async with console(live_store, speed=10) as (app, pilot):
        await dial(pilot, "+12125550106")
        await pilot.press("f4", "q")
        assert isinstance(app.screen, Confirm) and "1 call(s) still live" in app.screen.question
        await pilot.press("n")
        assert app.is_running
        await pilot.press("q", "y")
        await pilot.pause()
        assert not app.is_running
