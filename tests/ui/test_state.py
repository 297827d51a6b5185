"""The console remembers itself between runs: profile, theme, each profile's form and editors, the `:`
and `/` histories; never a secret."""

from __future__ import annotations

import json
from pathlib import Path

from textual.command import CommandPalette
from textual.widgets import Input, Select

from console.store import Store
from console.ui.screens.history import HistoryScreen
from console.uistate import ConsoleState, ProfileState, save
from tests.ui.conftest import make_app, ready, until


async def test_a_restart_comes_back_as_it_was_left_without_a_secret(live_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "state" / "console.json"
    app = make_app(live_store, state_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: ready(app), "the console to start")
        await app.switch_profile("demo-jambonz")
        await pilot.pause()
        app.query_one("#f-to_type", Select).value = "sip"
        await pilot.pause()
        app.query_one("#f-to", Input).value = "sip:alice@pbx.example.com"
        app.query_one("#f-sip_user", Input).value = "trunkuser"
        app.query_one("#f-sip_password", Input).value = "hunter2-very-secret"
        editors = app.main.editors_for("demo-jambonz")
        editors.tags = [("campaign", "spring"), ("api_token", "tok-123")]
        editors.headers = [("X-Campaign", "spring")]
        app.theme = "vgconsole-light"
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen), "history")
        search = app.screen.query_one("#history-search", Input)
        search.focus()
        search.value = "+1212"
        await pilot.press("enter")
        await pilot.press("escape", "escape")  # the search in force, then history
        await until(pilot, lambda: app.screen is app.main, "the main screen")
        await pilot.press("f4", "colon", *"live", "enter")
        await until(pilot, lambda: type(app.screen).__name__ == "LiveCallsScreen", "the live calls")
        await pilot.press("escape")
        await app.action_quit()
    kept = path.read_text()
    assert "hunter2" not in kept and "tok-123" not in kept and "api_token" not in kept  # never a secret
    state = json.loads(kept)
    assert state["profile"] == "demo-jambonz" and state["theme"] == "vgconsole-light"
    assert state["commands"] == ["live"] and state["searches"] == ["+1212"]

    again = make_app(live_store, state_path=path)
    async with again.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: ready(again), "the console to start again")
        assert again.profile_name == "demo-jambonz" and again.theme == "vgconsole-light"
        assert again.query_one("#f-to_type", Select).value == "sip"
        assert again.query_one("#f-to", Input).value == "sip:alice@pbx.example.com"
        assert again.query_one("#f-sip_user", Input).value == "trunkuser"
        assert again.query_one("#f-sip_password", Input).value == ""  # typed again, never kept
        editors = again.main.editors_for("demo-jambonz")
        assert editors.tags == [("campaign", "spring")] and editors.headers == [("X-Campaign", "spring")]
        await pilot.press("f4", "colon")  # the command run last comes first
        await until(pilot, lambda: isinstance(again.screen, CommandPalette), "the command line")
        await pilot.pause(0.3)
        assert "live" in str(again.screen.query_one("CommandList").get_option_at_index(0).prompt)
        await pilot.press("escape")
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(again.screen, HistoryScreen), "history")
        search = again.screen.query_one("#history-search", Input)
        search.focus()
        await pilot.press("up")
        assert search.value == "+1212"


async def test_a_state_that_no_longer_fits_gives_way_to_the_profiles_defaults(live_store: Store,
                                                                              tmp_path: Path) -> None:
    path = tmp_path / "console.json"
    state = ConsoleState(profile="gone", theme="no-such-theme")
    state.profiles["demo-cognigy"] = state.profiles["gone"] = ProfileState(
        form={"to": "+12125550101", "no_such_field": "x"}, amd={"thresholdWordCount": -5})
    save(path, state)
    app = make_app(live_store, state_path=path)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(pilot, lambda: ready(app), "the console to start")
        assert app.profile_name == "demo-cognigy" and app.theme == "vgconsole-dark"
        assert app.query_one("#f-to", Input).value == "+12125550101"
        assert app.main.editors_for("demo-cognigy").amd.threshold_word_count == 9  # the bad options dropped


async def test_a_damaged_state_file_is_set_aside_and_said(live_store: Store, tmp_path: Path) -> None:
    path = tmp_path / "console.json"
    path.write_text("{not json")
    app = make_app(live_store, state_path=path)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await until(pilot, lambda: ready(app), "the console to start")
        said = [n.message for n in app._notifications]
        assert any("set aside" in m for m in said), said
    assert any(p.name.endswith(".unreadable") for p in tmp_path.iterdir())
