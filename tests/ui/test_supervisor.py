"""Supervisor tools driven through the pilot: the history screen's filters, paging, redial, exports and
copies; the gateway's live calls with hang-up, its alerts; and read-only mode refusing every change."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from textual.widgets import DataTable, Input, Select, Static

from console.config import load_settings
from console.status import CallStatus
from console.store import Store
from console.ui.screens.confirm import Confirm
from console.ui.screens.gateway_live import LiveCallsScreen
from console.ui.screens.gateway_pages import GatewayPagesScreen
from console.ui.screens.history import PAGE, HistoryScreen
from console.ui.screens.history_filter import FilterScreen
from console.ui.widgets.call_log import CallLog
from console.ui.widgets.dial_form import DialForm
from tests.integration.faulty import FaultyServer
from tests.ui.conftest import console, dial, final_row, notes, row, type_into, until


async def open_history(pilot) -> HistoryScreen:
    await pilot.press("f10")
    screen = pilot.app.screen
    assert isinstance(screen, HistoryScreen)
    await until(pilot, lambda: screen.pages_shown > 0, "the first page")
    return screen


def offered(app) -> set[str]:
    """The actions the focused screen offers now (what the footer and the keys can reach)."""
    return {active.binding.action for active in app.active_bindings.values() if active.enabled}


def shown_ids(screen: HistoryScreen) -> list[str]:
    table = screen.query_one("#history-table", DataTable)
    return [key.value for key in table.rows]


async def apply_filter(pilot, screen: HistoryScreen, **fields: str) -> None:
    """Open the filter (f), fill it as given (Selects by value, dates and text typed), apply (ctrl+g)."""
    shown = screen.pages_shown
    await pilot.press("f")
    dialog = pilot.app.screen
    assert isinstance(dialog, FilterScreen)
    await pilot.press("ctrl+r")  # from empty
    for name, value in fields.items():
        widget = dialog.query_one(f"#flt-{name}")
        if isinstance(widget, Select):
            widget.value = value
        else:
            widget.focus()
            await pilot.press(*value)
    await pilot.press("ctrl+g")
    await until(pilot, lambda: screen.pages_shown > shown, "the filtered page")


async def seed_mixed(store: Store) -> dict[str, str]:
    """Calls on two profiles with every kind of ending, straight into history."""
    ids: dict[str, str] = {}
    for name, profile, to, end in (("busy", "demo-cognigy", "+12125550102", CallStatus.BUSY),
                                   ("done", "demo-cognigy", "+12125550101", CallStatus.COMPLETED),
                                   ("other", "demo-jambonz", "+12125550105", CallStatus.COMPLETED),
                                   ("failed", "demo-jambonz", "+12125550104", CallStatus.FAILED)):
        call = await store.begin_attempt(profile=profile, provider="jambonz", from_number="+12125550100", to_number=to,
                                         tags={"campaign": name})
        ids[name] = call.attempt_id
        db = store._writer
        answered = end is CallStatus.COMPLETED

        def finish(conn, attempt=call.attempt_id, status=end.value, answered=answered, human=name == "other"):
            conn.execute("UPDATE calls SET status = ?, answered_at = CASE WHEN ? THEN created_at END, duration = "
                         "CASE WHEN ? THEN 12 END, amd_result = CASE WHEN ? THEN 'human' END WHERE attempt_id = ?",
                         [status, answered, answered, human, attempt])

        await db.run(finish)
    return ids


async def test_history_filters_each_field_and_sums_up_what_it_shows(live_store: Store) -> None:
    ids = await seed_mixed(live_store)
    async with console(live_store) as (app, pilot):
        screen = await open_history(pilot)
        assert shown_ids(screen) == [ids["failed"], ids["other"], ids["done"], ids["busy"]]
        await until(pilot, lambda: "4 calls" in str(screen.query_one("#history-summary", Static).render()), "sums")
        assert "50.0% answered" in str(screen.query_one("#history-summary", Static).render())

        await apply_filter(pilot, screen, profile="demo-jambonz")
        assert shown_ids(screen) == [ids["failed"], ids["other"]]
        await apply_filter(pilot, screen, status="busy")
        assert shown_ids(screen) == [ids["busy"]]
        await apply_filter(pilot, screen, answered="no")
        assert shown_ids(screen) == [ids["failed"], ids["busy"]]
        await apply_filter(pilot, screen, amd="human")
        assert shown_ids(screen) == [ids["other"]]
        await until(pilot, lambda: "1 call  100.0% answered  AMD 1 human" in
                    str(screen.query_one("#history-summary", Static).render()), "the sums of the filter")
        await apply_filter(pilot, screen, since="1h")
        assert len(shown_ids(screen)) == 4
        await apply_filter(pilot, screen, until="1h")
        assert shown_ids(screen) == []
        await apply_filter(pilot, screen, text="0105")
        assert shown_ids(screen) == [ids["other"]]
        assert "'0105'" in str(screen.query_one("#history-title", Static).render())

        # a date that is not one: said at the field, the filter stays as it was
        await pilot.press("f")
        await pilot.press("ctrl+r")
        app.screen.query_one("#flt-since", Input).focus()
        await pilot.press(*"last week")
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, FilterScreen) and app.screen.focused.id == "flt-since"
        assert "since: 'last week' is not a date" in str(app.screen.query_one("#flt-error").render())
        await pilot.press("escape")
        assert shown_ids(screen) == [ids["other"]]

        await pilot.press("x")  # every call again; `/` searches the same way from the screen itself
        await until(pilot, lambda: len(shown_ids(screen)) == 4, "all calls")
        await pilot.press("slash", *"campaign", "enter")
        await until(pilot, lambda: screen.filter.text == "campaign" and len(shown_ids(screen)) == 4, "search")


async def test_history_pages_across_a_page_boundary(live_store: Store) -> None:
    made = [(await live_store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number=None,
                                            to_number=f"+1212555{n:04d}")).attempt_id for n in range(PAGE + 30)]
    async with console(live_store) as (app, pilot):
        screen = await open_history(pilot)
        assert shown_ids(screen) == made[::-1][:PAGE]
        await pilot.press("n")
        await until(pilot, lambda: screen.pages_shown == 2, "page 2")
        assert shown_ids(screen) == made[::-1][PAGE:]
        await pilot.press("n")  # the last page: nothing older
        await pilot.pause(0.2)
        assert screen.pages_shown == 2
        await pilot.press("p")
        await until(pilot, lambda: screen.pages_shown == 3, "back to page 1")
        assert shown_ids(screen) == made[::-1][:PAGE]


async def test_redial_puts_the_same_fields_back_and_places_the_same_request(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        form = app.query_one("#form", DialForm)
        await type_into(pilot, "caller_name", "Acme Support")
        await type_into(pilot, "time_limit", "30")
        app.main.editors_for("demo-cognigy").tags = [("campaign", "winter"), ("n", "3")]
        first = await dial(pilot, "+12125550101")
        await final_row(pilot, first.attempt_id)
        await type_into(pilot, "to", "+12125550999")  # the form moves on
        await type_into(pilot, "caller_name", "")
        app.main.editors_for("demo-cognigy").tags = []

        screen = await open_history(pilot)
        screen.query_one("#history-table", DataTable).move_cursor(row=0)
        await pilot.press("r")
        await until(pilot, lambda: len(app.screen_stack) == 1 and form is not app.query_one("#form"), "the form")
        values = app.query_one("#form", DialForm).values()
        assert (values["to"], values["caller_name"], values["time_limit"]) == ("+12125550101", "Acme Support", "30")
        assert app.main.editors_for("demo-cognigy").tags == [("campaign", "winter"), ("n", "3")]
        assert app.main.editors_for("demo-cognigy").fields == {}  # nothing the first call left empty (to.headers)
        assert any("is in the form, with the tags, headers and AMD it was placed with: check it and dial" in n
                   for n in notes(app))

        log = app.query_one("#log", CallLog)
        await pilot.press("ctrl+g")
        await until(pilot, lambda: len(log.calls) == 2, "the redialled call")
        again = next(c for a, c in log.calls.items() if a != first.attempt_id)
        before, after = live_store.call(first.attempt_id).request, live_store.call(again.attempt_id).request
        assert before["dial"] == after["dial"]
        assert before["body"]["tag"] == after["body"]["tag"] == {"campaign": "winter", "n": 3}


async def test_exports_write_the_filtered_calls_and_copies_reach_the_clipboard(live_store: Store,
                                                                                   tmp_path: Path) -> None:
    ids = await seed_mixed(live_store)
    out = tmp_path / "out"
    async with console(live_store, ui={"export_dir": str(out)}) as (app, pilot):
        screen = await open_history(pilot)
        await apply_filter(pilot, screen, profile="demo-cognigy")
        await pilot.press("e")
        await until(pilot, lambda: len(list(out.glob("*.csv"))) == 1, "the CSV file")
        await pilot.press("E")
        await until(pilot, lambda: len(list(out.glob("*.json"))) == 1, "the JSON file")
        (csv_file,), (json_file,) = out.glob("*.csv"), out.glob("*.json")
        rows = list(csv.DictReader(csv_file.open(encoding="utf-8")))
        assert [r["attempt_id"] for r in rows] == [ids["done"], ids["busy"]]
        assert [r["status"] for r in rows] == ["completed", "busy"]
        assert [c["attempt_id"] for c in json.loads(json_file.read_text())] == [ids["done"], ids["busy"]]
        await until(pilot, lambda: any(f"2 call(s) written to {csv_file}" in n for n in notes(app)), "the path shown")

        await pilot.press("c")
        assert app.clipboard == ids["done"]  # no gateway sid was ever given: the attempt id
        await pilot.press("y")
        copied = json.loads(app.clipboard)
        assert copied["attempt_id"] == ids["done"] and copied["tags"] == {"campaign": "done"}


async def test_marked_calls_are_what_history_exports_when_any_are_marked(live_store: Store, tmp_path: Path) -> None:
    ids = await seed_mixed(live_store)
    out = tmp_path / "out"
    async with console(live_store, ui={"export_dir": str(out)}) as (app, pilot):
        screen = await open_history(pilot)
        assert shown_ids(screen) == [ids["failed"], ids["other"], ids["done"], ids["busy"]]
        await pilot.press("space", "j", "space")  # failed, then (the cursor moved on itself) done
        assert list(screen.marked) == [ids["failed"], ids["done"]]
        title = str(screen.query_one("#history-title", Static).render())
        assert "2 marked (e/E export them, u unmark)" in title
        assert str(screen.query_one("#history-table", DataTable).get_row_at(0)[1]).startswith("● ")
        await pilot.press("E")
        await until(pilot, lambda: len(list(out.glob("*.json"))) == 1, "the JSON file")
        (json_file,) = out.glob("*.json")
        assert [c["attempt_id"] for c in json.loads(json_file.read_text())] == [ids["failed"], ids["done"]]
        await pilot.press("u", "e")  # no marks left: the filter's calls, all four
        await until(pilot, lambda: len(list(out.glob("*.csv"))) == 1, "the CSV file")
        (csv_file,) = out.glob("*.csv")
        assert len(list(csv.DictReader(csv_file.open(encoding="utf-8")))) == 4
        assert "marked" not in str(screen.query_one("#history-title", Static).render())


async def test_an_export_that_cannot_be_written_says_so_and_leaves_nothing(live_store: Store, tmp_path: Path) -> None:
    await seed_mixed(live_store)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    async with console(live_store, ui={"export_dir": str(blocker / "exports")}) as (app, pilot):
        await open_history(pilot)
        await pilot.press("e")
        await until(pilot, lambda: any("export failed: cannot write" in n for n in notes(app)), "the failure")
        assert blocker.read_text() == "not a folder"


async def test_read_only_hides_and_refuses_every_call_changing_action(live_store: Store) -> None:
    ids = await seed_mixed(live_store)
    ringing = await live_store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number=None,
                                             to_number="+12125550103")
    await live_store.attempt_placed(ringing.attempt_id, call_sid="00000000-0000-4000-8000-000000000001",
                                    status=CallStatus.RINGING)
    async with console(live_store, ui={"read_only": True}) as (app, pilot):
        assert "READ-ONLY" in str(app.query_one("#status").render())
        assert not app.query_one("#form").display and app.focused is app.query_one("#log")
        assert not {"dial", "edit_amd", "edit_tags", "edit_headers", "hangup"} & offered(app)
        count = live_store.count()
        await pilot.press("ctrl+g", "f5")
        app.main.action_dial()  # reached another way (the command line): refused in words
        await pilot.pause()
        assert live_store.count() == count and any("read-only: dialling is off" in n for n in notes(app))

        log = app.query_one("#log", CallLog)
        log.move_cursor(row=log.get_row_index(ringing.attempt_id))
        await pilot.press("h")
        assert not isinstance(app.screen, Confirm)
        app.ask_hangup(ringing)
        await pilot.pause()
        assert not isinstance(app.screen, Confirm) and any("read-only: hang-up is off" in n for n in notes(app))

        screen = await open_history(pilot)
        assert "redial" not in offered(app) and "export('csv')" in offered(app)
        screen.post_message(HistoryScreen.RedialWanted(live_store.call(ids["done"])))
        await pilot.pause(0.1)
        assert isinstance(app.screen, HistoryScreen)

        await pilot.press("escape", "f9")
        assert isinstance(app.screen, LiveCallsScreen)
        live = app.screen
        await until(pilot, lambda: live.polls > 0, "the live calls")
        assert "hangup" not in offered(app) and "poll_now" in offered(app)
        live.action_hangup()
        assert not isinstance(app.screen, Confirm)
        assert not live_store.call(ringing.attempt_id).status.final


async def test_redial_of_another_profiles_call_says_the_profile_changed(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        first = await dial(pilot, "+12125550101")
        await final_row(pilot, first.attempt_id)
        await app.switch_profile("demo-jambonz")
        screen = await open_history(pilot)
        screen.query_one("#history-table", DataTable).move_cursor(row=0)
        await pilot.press("r")
        await until(pilot, lambda: app.profile_name == "demo-cognigy", "the call's profile")
        assert any("the call to +12125550101 is in the form on profile demo-cognigy (was demo-jambonz)" in n
                   for n in notes(app)), notes(app)


async def test_a_read_only_profile_is_read_only_only_while_it_is_active(live_store: Store) -> None:
    profiles = {"watch": {"provider": "jambonz", "base_url": "embedded", "read_only": True,
                          "account_sid": "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d", "api_key": "k" * 36},
                "work": {"provider": "jambonz", "base_url": "embedded",
                         "account_sid": "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d", "api_key": "k" * 36,
                         "defaults": {"application": "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1",
                                      "from": "+12125550100"}}}
    async with console(live_store, profiles=profiles, default_profile="watch") as (app, pilot):
        assert app.read_only and not app.query_one("#form").display
        await app.switch_profile("work")
        await pilot.pause()
        assert not app.read_only and app.query_one("#form").display
        call = await dial(pilot, "+12125550101")
        assert call.profile == "work"


async def test_live_calls_from_the_gateway_merge_with_history_and_hang_up(live_store: Store) -> None:
    async with console(live_store, speed=10, ui={"live_poll_s": 2}) as (app, pilot):
        ringing = await dial(pilot, "+12125550103")
        await until(pilot, lambda: row(app, ringing.attempt_id)["status"] == "ringing 180", "ringing")
        # a call someone else placed at the same gateway: listed, but not ours
        gateway = await app.services.gateways.get("demo-cognigy")
        from console.compose import compose

        stranger = await gateway.create_call(compose(app.settings, "demo-cognigy", to="+12125550106"), "elsewhere")
        await pilot.press("f9")
        live = app.screen
        assert isinstance(live, LiveCallsScreen)
        await until(pilot, lambda: {r.call_sid for r in live.rows} >= {ringing.call_sid, stranger.call_sid}, "both")
        mine = next(r for r in live.rows if r.call_sid == ringing.call_sid)
        other = next(r for r in live.rows if r.call_sid == stranger.call_sid)
        assert (mine.gateway_status, mine.status, mine.call.attempt_id) == ("ringing", CallStatus.RINGING,
                                                                            ringing.attempt_id)
        assert other.call is None and other.at_gateway
        title = str(live.query_one("#live-title", Static).render())
        assert "gateway counts 2 out, 0 in" in title

        table = live.query_one("#live-table", DataTable)
        table.move_cursor(row=live.rows.index(mine))
        await pilot.press("h")
        assert isinstance(app.screen, Confirm) and "Cancel the call to +12125550103" in app.screen.question
        await pilot.press("y")
        await until(pilot, lambda: live_store.call(ringing.attempt_id).status is CallStatus.NO_ANSWER, "cancelled")
        await until(pilot, lambda: ringing.call_sid not in {r.call_sid for r in live.rows}, "gone from the list")

        table.move_cursor(row=[r.call_sid for r in live.rows].index(stranger.call_sid))
        await pilot.press("h")
        assert "Hang up the call to +12125550106" in app.screen.question  # answered: ended, not cancelled
        await pilot.press("y")
        await until(pilot, lambda: not live.rows, "no live calls left")


async def test_live_calls_on_a_gateway_without_the_api_show_what_history_holds(live_store: Store) -> None:
    async with console(live_store, default_profile="demo-ibm") as (app, pilot):
        call = await dial(pilot, "+12125550106")  # stays answered: still live however slow the first look
        await pilot.press("f9")
        live = app.screen
        await until(pilot, lambda: live.polls > 0, "a first look")
        assert "ibm has no API listing live calls" in str(live.query_one("#live-note", Static).render())
        assert [r.call.attempt_id for r in live.rows if r.call] == [call.attempt_id]
        # The gateway lists nothing, so it cannot be said to have ended the call: h goes on to the true reason.
        assert "not listed" not in str(live.query_one("#live-table", DataTable).get_row_at(0))
        # a live call's talk time is history's: the gateways give a duration only once a call has ended
        await until(pilot, lambda: live_store.call(call.attempt_id).answered_at is not None, "answered")
        live.action_poll_now()
        table = live.query_one("#live-table", DataTable)
        await until(pilot, lambda: table.row_count == 1 and str(table.get_row_at(0)[5]).endswith("s"), "a talk time")
        await pilot.press("h")
        assert not any("no longer lists" in n for n in notes(app)), notes(app)
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        await pilot.press("y")
        await until(pilot, lambda: any("ibm has no API to hang up" in n for n in notes(app)), "the reason")


async def test_keys_typed_right_behind_f9_say_the_gateway_is_still_being_asked(live_store: Store,
                                                                              tmp_path: Path) -> None:
    """h or m typed before the gateway has answered find no row: they say so, and ask nothing."""
    async with FaultyServer("slow") as gateway:  # it never answers: the first look never ends
        cfg = tmp_path / "c.toml"
        cfg.write_text(f'demo_profiles = true\n[profiles.slow]\nprovider = "jambonz"\nbase_url = "{gateway.base_url}"\n'
                       'api_key = "k-0123456789abcdef"\naccount_sid = "9b1f6c2e-3d4a-4e5b-8c6d-7e8f9a0b1c2d"\n')
        async with console(live_store, settings=load_settings(cfg, receiver={"port": 0})) as (app, pilot):
            await app.switch_profile("slow")
            await pilot.press("f9", "h", "m")
            live = app.screen
            assert isinstance(live, LiveCallsScreen) and live.polls == 0
            said = [n for n in notes(app) if "asking the gateway: no call is listed yet" in n]
            assert said == [": asking the gateway: no call is listed yet (×2)"], notes(app)  # one toast, both keys
            assert not isinstance(app.screen, Confirm)


async def test_h_on_a_gateway_with_no_live_call_says_so(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f9")
        live = app.screen
        await until(pilot, lambda: live.polls > 0, "a first look")
        await pilot.press("h")
        assert ": no live call listed" in notes(app) and not isinstance(app.screen, Confirm)


async def test_alerts_show_a_webhook_the_gateway_could_not_deliver(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await app.services.receiver.stop()  # the gateway's webhooks now find nobody listening
        await dial(pilot, "+12125550102")
        gateway = await app.services.gateways.get("demo-cognigy")
        for _ in range(100):
            if (await gateway.alerts()).total:
                break
            await pilot.pause(0.05)
        await pilot.press("f4", "colon", *"alerts", "enter")
        await until(pilot, lambda: isinstance(app.screen, GatewayPagesScreen), "the alerts view")
        alerts = app.screen
        await until(pilot, lambda: alerts.loads > 0 and alerts.rows, "the alerts")
        assert alerts.rows[0]["alert_type"] == "webhook-connection-failure"
        table = alerts.query_one("#pages-table", DataTable)
        assert str(table.get_row_at(0)[1]) == "webhook-connection-failure"
        await pilot.press("enter")
        assert "failed to connect" in str(alerts.query_one("#pages-raw", Static).render())


async def test_the_live_view_asks_within_the_allowance_campaigns_and_reconciliation_share(live_store: Store) -> None:
    from console.budget import gateway_key

    async with console(live_store, campaigns={"gateway_requests_per_minute": 4}) as (app, pilot):
        settings = app.settings
        budget = app.services.reconciler.budgets.get(gateway_key(settings, "demo-cognigy"), 4)
        await pilot.press("f9")
        live = app.screen
        assert isinstance(live, LiveCallsScreen)
        await until(pilot, lambda: live.polls > 0, "a first look")
        assert budget.wait_s() == 0  # two of its four requests a minute spent: the list and the count
        live.action_poll_now()
        await until(pilot, lambda: live.polls > 1, "a second look")
        assert budget.wait_s() > 0  # all four spent: the next look waits for the minute, said on screen
        live.action_poll_now()
        await until(pilot, lambda: live.polls > 2, "a third look")
        assert "request allowance is spent" in str(live.query_one("#live-note", Static).render())
