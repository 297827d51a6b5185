"""Keys typed fast, or from the wrong place, do what the operator meant and nothing else."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from zoneinfo import ZoneInfo

from textual import events
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Select, Static

from console.config import load_settings
from console.store import Store
from console.ui.screens.amd_editor import AmdEditor
from console.ui.screens.call_detail import CallDetailScreen
from console.ui.screens.fields_editor import FieldsEditor
from console.ui.screens.help import HelpScreen
from console.ui.screens.history import HistoryScreen
from tests.conftest import FrozenClock
from tests.integration.faulty import FaultyServer
from tests.ui.conftest import console, dial, notes, until

CHARACTERS = {"alt+q": "q", "alt+g": "g", "tab": "\t", "shift+tab": None, "space": " ", "colon": ":",
              "question_mark": "?", "escape": "\x1b"}


def burst(pilot: Pilot, *keys: str) -> None:
    """Keys as a terminal delivers a fast typist's: all queued before the console handles the first
    (the driver posts each key to the app as it reads it; the pilot's press waits for each one)."""
    for key in keys:
        character = CHARACTERS.get(key, key if len(key) == 1 else None)
        pilot.app.post_message(events.Key(key, character))


def value(pilot: Pilot, field: str) -> str:
    return pilot.app.query_one(f"#f-{field}", Input).value


async def test_fields_typed_fast_with_tab_between_them_each_get_their_own_value(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        number = app.query_one("#f-to", Input)
        number.focus()
        number.value = ""
        burst(pilot, "1", "tab", "2", "tab", "3")
        await until(pilot, lambda: value(pilot, "application") == "3", "the third value in the third field", timeout=5)
        assert [value(pilot, f) for f in ("to", "from", "application")] == ["1", "2", "3"]
        burst(pilot, "shift+tab", "shift+tab", "5")  # and back, as fast
        await until(pilot, lambda: value(pilot, "to") == "5", "shift+tab to go back first", timeout=5)
        assert [value(pilot, f) for f in ("from", "application")] == ["2", "3"]


async def test_keys_typed_right_after_an_editor_key_go_to_the_editor_never_the_form(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        app.query_one("#f-to", Input).focus()
        before = value(pilot, "to")
        for key, editor in (("f6", AmdEditor), ("f12", FieldsEditor)):
            burst(pilot, key, "9", "9")
            await until(pilot, lambda editor=editor: isinstance(app.screen, editor), f"the {key} editor")
            await pilot.pause(0.1)
            assert value(pilot, "to") == before, f"keys typed after {key} landed in the form"
            await pilot.press("escape")
            await until(pilot, lambda: app.screen is app.main, "the main screen again")


async def test_a_key_a_widget_answers_itself_is_not_overtaken_by_a_tab_typed_after_it(live_store: Store) -> None:
    """Space on a switch, enter on a button: their bindings are the focused widget's, looked up as the key comes
    back up to the console; a Tab typed right after moves the focus as it arrives. Each key acts where the focus
    was when it was typed, in the order typed."""
    async with console(live_store) as (app, pilot):
        app.query_one("#f-to", Input).focus()
        assert app.main.form.values().get("amd") != "on"
        burst(pilot, "f6", "space", "tab", "5", "ctrl+g")
        await until(pilot, lambda: app.screen is app.main, "the AMD editor saved")
        await pilot.pause(0.1)
        assert app.main.form.values().get("amd") == "on", "the space typed on the switch was lost"
        assert app.main.editors_for(app.profile_name).amd.threshold_word_count == 5


async def test_a_character_no_phone_number_holds_is_its_command_and_stays_text_where_it_belongs(
        live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        number = app.query_one("#f-to", Input)
        number.focus()
        number.value = "+1212"
        burst(pilot, "colon", "h", "i")  # the command line opens at once: what follows is typed there
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the command line")
        await pilot.pause(0.1)
        assert app.screen.query_one(Input).value == "hi" and value(pilot, "to") == "+1212"
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, "the main screen again")
        burst(pilot, "question_mark")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, "the main screen again")
        # a count holds no ':' either; a SIP URI does, and gets it
        app.query_one("#f-timeout", Input).focus()
        burst(pilot, "colon")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the command line from a count")
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, "the main screen again")
        app.query_one("#f-to_type", Select).value = "sip"
        await pilot.pause()
        number.focus()
        await pilot.pause()  # focusing selects what is there; the cursor goes after it
        number.value = "sip"
        number.cursor_position = 3
        burst(pilot, "colon", "b")
        await until(pilot, lambda: value(pilot, "to") == "sip:b", "':' typed into a SIP URI")
        assert app.screen is app.main


async def test_esc_leaves_a_field_for_the_keys_that_are_commands_and_f2_goes_back(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        app.query_one("#f-caller_name", Input).focus()
        burst(pilot, "escape", "question_mark")  # '?' would be text in a caller name: after Esc it is help
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help after esc")
        assert value(pilot, "caller_name") == "" and app.main.focused is app.main.call_log
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, "the main screen again")
        await pilot.press("f2")
        assert app.focused is app.query_one("#f-to")
        await pilot.press("escape", "escape")  # from the log, Esc is not "leave field": nothing moves
        assert app.focused is app.main.call_log


async def test_after_a_dial_the_number_is_selected_so_the_next_one_replaces_it(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        number = app.query_one("#f-to", Input)
        number.focus()
        number.value = "+12125550101"
        await pilot.press("f5")
        await until(pilot, lambda: app.main.call_log.row_count > 0 and not app.main.dialling, "the call")
        await until(pilot, lambda: number.selected_text == "+12125550101", "the number selected")
        burst(pilot, "+", "4", "4")
        await until(pilot, lambda: value(pilot, "to") == "+44", "the next number replacing the last")


async def test_clear_puts_the_form_back_to_the_profiles_defaults(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        defaults = {f: value(pilot, f) for f in ("from", "application", "caller_name")}
        for field, text in (("to", "+12125550101"), ("from", "+12125550199"), ("caller_name", "Ops")):
            app.query_one(f"#f-{field}", Input).value = text
        app.query_one("#f-to", Input).focus()
        await pilot.press("ctrl+l")
        await until(pilot, lambda: value(pilot, "to") == "", "an empty number")
        assert {f: value(pilot, f) for f in defaults} == defaults
        assert app.focused is app.query_one("#f-to")


async def test_j_and_k_move_the_rows_in_history_as_in_the_log(store: Store, clock: FrozenClock) -> None:
    for n in range(3):
        clock.advance(60)
        await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100",
                                  to_number=f"+1212555010{n + 1}")
    async with console(store, clock=clock) as (app, pilot):
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        table = app.screen.query_one("#history-table", DataTable)
        await until(pilot, lambda: table.row_count == 3, "three calls")
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("G")
        assert table.cursor_row == 2


async def test_help_shows_every_id_whole_and_no_empty_description(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f1")
        await until(pilot, lambda: isinstance(app.screen, HelpScreen), "help")
        table = app.screen.query_one("#help-keys", DataTable)
        ids = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        id_column = list(table.columns.values())[2]
        assert "focus-previous" in ids and id_column.width >= max(len(i) for i in ids)
        assert {"row-down", "row-last", "sort-next", "sort-reverse", "leave-field", "clear-form"} <= set(ids)
        commands = str(app.screen.query_one(".hint").render())
        assert "()" not in commands and ":numbers" in commands


async def test_the_command_line_names_the_profiles_there_are_when_one_is_not(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f4", "colon", *"profile nope")
        await until(pilot, lambda: isinstance(app.screen, CommandPalette), "the command line")

        def first() -> str:
            options = app.screen.query_one("CommandList")
            return str(options.get_option_at_index(0).prompt) if options.option_count else ""

        await until(pilot, lambda: "no profile named 'nope'" in first(), "what there is instead")
        assert "demo-jambonz" in first()
        await pilot.press("escape")


async def test_the_log_says_which_zone_its_times_are_in(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        label = str(list(app.main.call_log.columns.values())[0].label)
        zone = app.clock().astimezone().strftime("%Z")
        assert label == f"time {zone}"


async def test_times_are_shown_and_typed_in_the_zone_the_config_names(live_store: Store) -> None:
    """[ui] timezone: the log, History (its column, rows and the filter's words) and the detail all use it,
    and say it; a time typed in the filter is read in it."""
    call = await live_store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number=None,
                                          to_number="+12125550103")
    kolkata = call.created_at.astimezone(ZoneInfo("Asia/Kolkata"))
    async with console(live_store, ui={"timezone": "Asia/Kolkata"}) as (app, pilot):
        log = app.main.call_log
        await until(pilot, lambda: log.row_count > 0, "the call in the log")
        assert str(list(log.columns.values())[0].label) == "time IST"
        assert str(log.get_row(call.attempt_id)[0]) == f"{kolkata:%H:%M:%S}"
        app.action_history()
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.query("#history-table")
                    and app.screen.query_one("#history-table", DataTable).row_count == 1, "the call in history")
        table = app.screen.query_one("#history-table", DataTable)
        assert str(list(table.columns.values())[0].label) == "created IST"
        assert str(table.get_row_at(0)[0]) == f"{kolkata:%m-%d %H:%M:%S}"
        await pilot.press("f")
        await until(pilot, lambda: app.screen.query("#flt-since"), "the filter")
        since = app.screen.query_one("#flt-since", Input)
        assert "(IST)" in since.placeholder
        since.value = f"{kolkata:%Y-%m-%d %H:%M}"  # a minute the call was made in, in IST: it matches
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history again")
        history: HistoryScreen = app.screen  # type: ignore[assignment]
        await until(pilot, lambda: f"since {kolkata:%Y-%m-%d %H:%M} IST" in history.filter.describe(app.zone)
                    and table.row_count == 1, "the filter in IST, still matching the call")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CallDetailScreen) and app.screen.detail is not None,
                    "the call's detail")
        summary = str(app.screen.query_one("#detail-summary", Static).render())
        assert f"created {kolkata:%Y-%m-%d %H:%M:%S} IST" in summary
        assert str(list(app.screen.query_one("#timeline", DataTable).columns.values())[0].label) == "time IST"


async def test_read_only_keys_pressed_anyway_say_why_instead_of_nothing(live_store: Store) -> None:
    call = await live_store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number=None,
                                          to_number="+12125550103")
    async with console(live_store, ui={"read_only": True}) as (app, pilot):
        await until(pilot, lambda: app.main.call_log.row_count > 0, "the call in the log")
        for key, said in (("ctrl+g", "dialling is off"), ("f6", "changing the next calls is off"),
                          ("h", "hang-up is off"), ("m", "marking a call ended is off")):
            app.clear_notifications()
            await pilot.press(key)
            await pilot.pause()
            assert any(said in n.message for n in app._notifications), (key, [n.message for n in app._notifications])
            assert any("(--read-only or [ui] read_only)" in n.message for n in app._notifications)
        assert app.screen is app.main  # no question asked, nothing done
        assert all(e.source.value != "operator" for e in live_store.events(call.id))


async def test_a_calls_detail_switches_tabs_on_keys_and_copying_says_where_it_went(live_store: Store) -> None:
    from textual.widgets import TabbedContent

    from console.ui.screens.call_detail import CallDetailScreen

    call = await live_store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number=None,
                                          to_number="+12125550103", request={"dial": {"to": "x"}})
    async with console(live_store) as (app, pilot):
        await until(pilot, lambda: app.main.call_log.row_count > 0, "the call in the log")
        await pilot.press("f4", "enter")
        await until(pilot, lambda: isinstance(app.screen, CallDetailScreen), "the call's detail")
        tabs = app.screen.query_one("#detail-tabs", TabbedContent)
        await pilot.press("2")
        assert tabs.active == "request-tab"
        await pilot.press("1")
        assert tabs.active == "timeline-tab"
        app.clear_notifications()
        await pilot.press("c")
        await pilot.pause()
        copied = Path(os.environ["XDG_STATE_HOME"]) / "vgconsole" / "copied.txt"
        assert copied.read_text().strip() == call.attempt_id and app.clipboard == call.attempt_id
        assert stat.S_IMODE(copied.stat().st_mode) == 0o600
        said = " ".join(n.message for n in app._notifications)
        assert "OSC 52" in said and str(copied) in said


async def test_sorting_history_by_a_column_keeps_every_key_on_the_row_under_the_cursor(
        store: Store, clock: FrozenClock) -> None:
    for number in ("+12125550102", "+12125550103", "+12125550101"):  # the newest first: 01, 03, 02
        clock.advance(60)
        await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100",
                                  to_number=number)
    async with console(store, clock=clock) as (app, pilot):
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        screen = app.screen
        table = screen.query_one("#history-table", DataTable)
        await until(pilot, lambda: table.row_count == 3, "three calls")
        assert [str(table.get_row_at(i)[1]) for i in range(3)] == ["+12125550101", "+12125550103", "+12125550102"]
        await pilot.press("s", "s")  # created, then to
        assert [str(table.get_row_at(i)[1]) for i in range(3)] == ["+12125550101", "+12125550102", "+12125550103"]
        assert str(list(table.columns.values())[1].label).endswith("▲")
        await pilot.press("G")  # the last row is the call the keys act on, whatever its place in the page
        assert screen.current().to_number == "+12125550103"
        await pilot.press("S")
        assert [str(table.get_row_at(i)[1]) for i in range(3)] == ["+12125550103", "+12125550102", "+12125550101"]
        assert screen.current().to_number == "+12125550103" and table.cursor_row == 0  # the cursor went with it


async def test_the_log_sorted_by_a_column_places_new_calls_in_that_order(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        log = app.main.call_log
        for number in ("+12125550104", "+12125550102"):
            await dial(pilot, number)
        await pilot.press("f4", "s", "s")  # by time, then by the number called
        assert log.sort_by == "to"
        await dial(pilot, "+12125550103")
        await until(pilot, lambda: log.row_count == 3, "the third call")
        assert [str(log.get_row_at(i)[1]) for i in range(3)] == ["+12125550102", "+12125550103", "+12125550104"]


async def test_marked_calls_are_hung_up_together_after_one_yes_that_counts_them(live_store: Store) -> None:
    from console.ui.screens.confirm import Confirm
    from tests.ui.conftest import final_row, row

    async with console(live_store, speed=10) as (app, pilot):
        done = await dial(pilot, "+12125550101")  # answers, talks briefly, ends
        await final_row(pilot, done.attempt_id)
        ringing = await dial(pilot, "+12125550103")  # rings for the ring timeout
        staying = await dial(pilot, "+12125550106")  # answers and stays until hung up
        await until(pilot, lambda: row(app, staying.attempt_id)["status"] == "answered", "the answer")
        log = app.main.call_log
        await pilot.press("f4", "g", "space", "space", "space")  # a run of three, the cursor moving down
        assert log.marked == {done.attempt_id, ringing.attempt_id, staying.attempt_id}
        assert row(app, staying.attempt_id)["to"].startswith("● ")
        await pilot.press("H")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "one question")
        assert "2 marked call(s) still going (1 of the marked have ended already)" in app.screen.question
        await pilot.press("y")
        for call in (ringing, staying):
            await final_row(pilot, call.attempt_id, timeout=5)
        await until(pilot, lambda: not log.marked - {done.attempt_id}, "the ended calls unmarked")


async def test_marked_calls_are_exported_and_marked_ended_together(live_store: Store, tmp_path: Path) -> None:
    import json

    from console.ui.screens.mark_ended import MarkEnded
    from tests.ui.conftest import row

    out = tmp_path / "exports"
    async with console(live_store, speed=10, ui={"export_dir": str(out)}) as (app, pilot):
        log = app.main.call_log
        other = await dial(pilot, "+12125550101")
        calls = [await dial(pilot, "+12125550106") for _ in range(2)]  # answered, and staying until hung up
        await until(pilot, lambda: all(row(app, c.attempt_id)["status"] == "answered" for c in calls), "answers")
        await pilot.press("f4", "g", "space", "space")  # the two newest
        marked = {c.attempt_id for c in calls}
        assert log.marked == marked
        await pilot.press("E")
        await until(pilot, lambda: len(list(out.glob("calls-marked-*.json"))) == 1, "the export")
        (written,) = out.glob("calls-marked-*.json")
        assert {c["attempt_id"] for c in json.loads(written.read_text())} == marked
        await pilot.press("M")
        await until(pilot, lambda: isinstance(app.screen, MarkEnded), "one question")
        assert "Mark 2 marked call(s) as ended?" in app.screen.question
        app.screen.query_one("#mark-reason", Input).value = "test calls"
        await pilot.press("enter")
        await until(pilot, lambda: all("test calls" in (live_store.call(a).error or "") for a in marked),
                    "both closed with the reason")
        assert all(live_store.call(a).status.value == "unknown" for a in marked)
        assert "test calls" not in (live_store.call(other.attempt_id).error or "")  # the unmarked one: untouched
        await until(pilot, lambda: not log.marked, "the marks gone with the calls")
        await pilot.press("space", "u")
        assert not log.marked and not row(app, other.attempt_id)["to"].startswith("●")


async def test_a_hang_up_pressed_again_while_the_gateway_ends_the_call_is_not_asked_twice(live_store: Store) -> None:
    from console.ui.screens.confirm import Confirm

    # every webhook lost: the call never looks ended, as when the gateway is slow to say so
    async with console(live_store, simulator={"speed": 1, "drop_webhooks": 1.0}) as (app, pilot):
        call = await dial(pilot, "+12125550103")  # rings for a minute
        await pilot.press("f4", "g", "h")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        await pilot.press("y")
        await until(pilot, lambda: call.attempt_id in app.ending, "the cancel sent")
        app.clear_notifications()
        await pilot.press("h")  # again, before the gateway has said the call ended
        await until(pilot, lambda: any("was asked to end" in n.message for n in app._notifications),
                    "why it is not asked again")
        assert not isinstance(app.screen, Confirm)
        await pilot.press("space", "H")  # marked and ended together: left alone too
        await until(pilot, lambda: any("1 being ended" in n.message for n in app._notifications), "left alone")
        assert not isinstance(app.screen, Confirm)


async def test_the_footer_shows_whole_keys_only_at_any_width(live_store: Store) -> None:
    from textual.widgets._footer import FooterKey

    from console.ui.widgets.footer import KeysFooter

    def shown(app) -> tuple[list[str], int]:
        footer = app.screen.query_one(KeysFooter)
        keys = [k for k in footer.query(FooterKey) if k.display]
        assert all(k.region.right <= footer.region.right for k in keys), "a key cut at the edge"
        return [k.description for k in keys], len(footer.query(FooterKey))

    async with console(live_store, size=(60, 20)) as (app, pilot):
        await pilot.pause(0.1)
        narrow, offered = shown(app)
        assert narrow and len(narrow) < offered  # some left out, none cut
        await pilot.resize_terminal(120, 40)
        await pilot.pause(0.1)
        wide, _ = shown(app)
        assert wide[:len(narrow)] == narrow and len(wide) > len(narrow)  # back as the room comes back


async def test_a_calls_number_goes_on_the_do_not_call_list_with_one_key_and_a_yes(live_store: Store) -> None:
    from console.ui.screens.confirm import Confirm

    await live_store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number=None,
                                   to_number="+12125550103")
    async with console(live_store) as (app, pilot):
        await until(pilot, lambda: app.main.call_log.row_count == 1, "the call in the log")
        await pilot.press("f4", "d")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        assert "Put +12125550103 on the do-not-call list?" in app.screen.question
        await pilot.press("y")
        await until(pilot, lambda: [d.number for d in live_store.do_not_call()] == ["+12125550103"], "listed")
        assert live_store.do_not_call()[0].source == "console"


async def test_esc_and_a_key_typed_together_leave_the_field_and_act_as_that_key(live_store: Store) -> None:
    """The terminal sends esc then q, typed within a few milliseconds, as the bytes of alt+q."""
    async with console(live_store) as (app, pilot):
        number = app.query_one("#f-to", Input)
        number.focus()
        number.value = "+12125550101"
        await pilot.pause()
        burst(pilot, "alt+q")
        await until(pilot, lambda: app._exit, "the console to quit")
        assert number.value == "+12125550101"  # no q typed into the number


async def test_every_dialog_reads_what_was_typed_before_its_ctrl_g(live_store: Store) -> None:
    """ctrl+g acts only after the keys typed before it have been handled (found in
    tmux: 'today' typed fast then ctrl+g in History's filter was read as 'toda')."""
    from console.ui.screens.history_filter import FilterScreen

    async with console(live_store) as (app, pilot):
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        await pilot.press("f")
        await until(pilot, lambda: isinstance(app.screen, FilterScreen), "the filter")
        app.screen.query_one("#flt-since", Input).focus()
        await pilot.pause()
        burst(pilot, *"today", "ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "the filter applied")
        assert app.screen.filter.since is not None and "toda'" not in str(app._notifications)
        await pilot.press("escape")
        await until(pilot, lambda: app.screen is app.main, "the console")
        app.query_one("#f-to", Input).focus()
        await pilot.pause()
        burst(pilot, "f7", *"campaign", "tab", *"spring", "ctrl+g")  # the editor opened and filled at once
        await until(pilot, lambda: app.main.editors_for("demo-cognigy").tags, "the tags kept")
        await until(pilot, lambda: app.screen is app.main, "the editor closed")
        assert app.main.editors_for("demo-cognigy").tags == [("campaign", "spring")]


async def test_the_next_number_typed_right_after_the_dial_key_is_kept_whole(live_store: Store) -> None:
    """Typed while the gateway is still answering the dial: the new number replaces the one dialled, and
    is never itself replaced when the answer comes."""
    async with console(live_store) as (app, pilot):
        number = app.query_one("#f-to", Input)
        number.focus()
        number.value = "+12125550101"
        await pilot.pause()
        burst(pilot, "ctrl+g", "+", "4", "4")
        await until(pilot, lambda: live_store.count() == 1 and not app.main.dialling, "the call placed")
        await pilot.pause()
        assert live_store.page()[0].to_number == "+12125550101"
        assert number.value == "+44" and number.selected_text == ""


async def test_a_number_typed_in_the_call_log_goes_into_the_form_and_is_the_one_dialled(live_store: Store) -> None:
    """The log binds no digit: a number typed there was lost, and the dial key behind it placed the number
    the form still held (a wrong number, with no word said)."""
    async with console(live_store, ui={"redial_guard_s": 0}) as (app, pilot):
        first = await dial(pilot, "+12125550101")
        await pilot.press("escape")
        assert app.focused is app.main.call_log
        burst(pilot, *"+12125550104", "ctrl+g")
        await until(pilot, lambda: live_store.count() == 2 and not app.main.dialling, "the second call")
        assert [c.to_number for c in live_store.page()] == ["+12125550104", first.to_number]
        number = app.query_one("#f-to", Input)
        assert app.focused is number and number.value == "+12125550104"  # whole: its first key not typed over
        # from a list too, and a number that would not survive losing its first key (+44 read as a US number)
        await pilot.press("f3")
        burst(pilot, *"+442079460958")
        await until(pilot, lambda: number.value == "+442079460958", "the number whole", timeout=5)


async def test_a_digit_the_key_map_gives_to_an_action_stays_that_action_in_the_log(live_store: Store) -> None:
    async with console(live_store, keymap={"call-detail": "1"}) as (app, pilot):
        call = await dial(pilot, "+12125550101")
        await pilot.press("escape", "1")
        await until(pilot, lambda: isinstance(app.screen, CallDetailScreen), "the call's detail")
        assert app.screen.attempt_id == call.attempt_id
        assert app.query_one("#f-to", Input).value == "+12125550101"  # the form untouched


async def test_a_number_dialled_while_the_last_is_still_being_placed_is_said_not_dialled(
        live_store: Store, tmp_path: Path) -> None:
    async with FaultyServer("slow") as gateway:  # it never answers: the first call stays "being placed"
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'demo_profiles = true\n[profiles.slow]\nprovider = "jambonz"\nbase_url = "{gateway.base_url}"\n'
                       'api_key = "k-0123456789abcdef"\naccount_sid = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"\n'
                       '[profiles.slow.defaults]\nfrom = "+12125550100"\n'
                       'application = "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"\n')
        async with console(live_store, settings=load_settings(cfg, receiver={"port": 0})) as (app, pilot):
            await app.switch_profile("slow")
            await pilot.pause()
            app.query_one("#f-to", Input).focus()
            burst(pilot, *"+12125550104", "ctrl+g", *"+12125550105", "ctrl+g")
            await until(pilot, lambda: any("was not dialled" in n for n in notes(app)), "the refusal")
            said = [n for n in notes(app) if "was not dialled" in n]
            assert said == ["one call at a time: +12125550105 was not dialled: the call to +12125550104 is still "
                            "being placed; press the dial key again once it is"], notes(app)
            assert [r.request["body"]["to"]["number"] for r in live_store.page()] == ["+12125550104"]


async def test_keys_typed_ahead_into_a_question_are_said_not_lost(live_store: Store) -> None:
    """A question opens while the operator types on (the redial guard's, after the dial key): what it took
    is neither an answer nor lost without a word."""
    from console.ui.screens.confirm import Confirm

    async with console(live_store) as (app, pilot):
        answers: list[bool | None] = []
        app.push_screen(Confirm("Dial it again?"), answers.append)
        await pilot.pause()
        burst(pilot, *"+12125550105", "ctrl+g", "n")
        await until(pilot, lambda: answers == [False], "the safe answer")
        said = "keys not used: typed while the question was open, and not used: +12125550105 and the dial key"
        await until(pilot, lambda: said in notes(app), "the keys said")


async def test_a_number_typed_fast_and_dialled_at_once_is_dialled_whole(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        number = app.query_one("#f-to", Input)
        number.focus()
        await pilot.pause()
        burst(pilot, *"+12125550101", "ctrl+g", "9")  # the dial key right behind the last digit, a key after it
        await until(pilot, lambda: live_store.count() == 1, "the call")
        assert live_store.page()[0].to_number == "+12125550101"


async def test_a_marked_call_sorts_by_its_number_not_by_its_mark(live_store: Store) -> None:
    from tests.ui.conftest import row

    async with console(live_store) as (app, pilot):
        log = app.main.call_log
        placed = [await dial(pilot, number) for number in ("+12125550104", "+12125550101", "+12125550102")]
        await until(pilot, lambda: all(c.attempt_id in log.rows for c in placed), "three rows")
        await pilot.press("f4", "g", "space")  # the newest: +12125550102
        assert row(app, placed[2].attempt_id)["to"] == "● +12125550102"
        await pilot.press("s", "s")  # by time, then by the number
        await pilot.pause()
        order = [str(log.get_row_at(i)[1]).lstrip("● ") for i in range(log.row_count)]
        assert order == ["+12125550101", "+12125550102", "+12125550104"]


async def test_text_typed_right_behind_the_slash_goes_into_the_filter_and_the_search(live_store: Store) -> None:
    """`/` opens a filter line (the log) or the search box (history); the keys typed in the same breath land
    in it, the first one too."""
    async with console(live_store) as (app, pilot):
        await dial(pilot, "+12125550101")
        log = app.main.call_log
        log.focus()
        await pilot.pause()
        burst(pilot, "slash", *"0101")
        await until(pilot, lambda: log.filter_text == "0101", "the filter", timeout=5)
        burst(pilot, "escape", "f10")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        await pilot.pause()
        burst(pilot, "slash", *"5550101", "enter")
        search = app.screen.query_one("#history-search", Input)
        await until(pilot, lambda: search.value == "5550101", "the search", timeout=5)
        history = app.screen
        await until(pilot, lambda: history.filter.text == "5550101", "the search in force")
        await pilot.press("escape")  # the search goes first, as the log's filter does
        assert app.screen is history and history.filter.text is None and search.value == ""
        await pilot.press("escape")
        assert app.screen is app.main
        await pilot.press("f10")  # a number typed over the calls is a search for it
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history again")
        await pilot.pause()
        burst(pilot, *"5550101", "enter")
        history = app.screen
        await until(pilot, lambda: history.filter.text == "5550101", "the typed search", timeout=5)


async def test_esc_out_of_a_filter_and_the_next_key_act_on_the_table_even_typed_together(live_store: Store) -> None:
    """Found in tmux: `/0101`, then esc g typed fast, left the filter open reading `0101g`: esc and g arrived as
    one alt+g (only a form field took that apart), and a g behind a plain esc went to the filter as well."""
    async with console(live_store) as (app, pilot):
        await dial(pilot, "+12125550101")
        await dial(pilot, "+12125550104")
        log = app.main.call_log
        box = app.query_one("#log-box").query_one("Input.filter", Input)
        for esc_then_g in (("escape", "g"), ("alt+g",)):
            log.focus()
            await pilot.pause()
            burst(pilot, "slash", *"0101")
            await until(pilot, lambda: log.filter_text == "0101", "the filter")
            log.move_cursor(row=0)
            burst(pilot, *esc_then_g, "j")  # out of the filter, to the first row, one down
            await until(pilot, lambda: log.has_focus and log.cursor_row == 1, f"{esc_then_g}: the table's keys")
            assert (box.value, log.filter_text, box.has_class("shown")) == ("", "", False)
