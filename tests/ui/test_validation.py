"""Bad input in the form and the editors: a specific message at the field, the call refused, nothing stored."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Label, Select, Static

from console.store import Store
from console.ui.screens.amd_editor import AmdEditor
from console.ui.screens.pairs_editor import PairsEditor
from tests.ui.conftest import console, notes, type_into, until


def error_at(app, field: str) -> str:
    label = app.screen.query_one(f"#error-{field}", Label)
    return str(label.render()) if label.has_class("shown") else ""


@pytest.mark.parametrize(
    ("profile", "target", "field", "text", "message"),
    [
        ("demo-cognigy", "phone", "to", "12", "12: too short for US"),
        ("demo-cognigy", "phone", "to", "+1 212 555 01", "too short"),
        ("demo-cognigy", "sip", "to", "bob at example", "'bob at example' is not a SIP URI"),
        ("demo-cognigy", "phone", "from", "call me", "neither a phone number nor a SIP user name"),
        ("demo-jambonz", "phone", "timeout", "soon", "'soon' is not a whole number of seconds"),
        ("demo-jambonz", "phone", "time_limit", "-5", "1 to 86400 (got -5)"),
        ("demo-ibm", "phone", "ibm_context", "{customer: 1", "context"),
    ],
)
async def test_a_bad_field_is_named_and_the_call_refused(live_store: Store, profile: str, target: str, field: str,
                                                         text: str, message: str) -> None:
    async with console(live_store) as (app, pilot):
        if profile != app.profile_name:
            await app.switch_profile(profile)
            await pilot.pause()
        app.query_one("#f-to_type", Select).value = target
        await type_into(pilot, "to", "sip:alice@example.com" if target == "sip" else "+12125550101")
        await type_into(pilot, field, text)
        # checked as you type, before any dial
        await until(pilot, lambda: error_at(app, field), f"a message at {field}")
        assert message in error_at(app, field)
        app.query_one("#f-caller_name" if profile != "demo-ibm" else "#f-ibm_route", Input).focus()
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.focused.id == f"f-{field}"  # the first problem has the focus
        assert any("the highlighted fields need fixing first" in n for n in notes(app))
        assert live_store.count() == 0


async def test_the_first_of_several_problems_gets_the_focus(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await type_into(pilot, "to", "12")
        await type_into(pilot, "timeout", "soon")
        await pilot.press("f5")
        await pilot.pause()
        assert app.focused.id == "f-to"
        assert error_at(app, "to") and error_at(app, "timeout")
        await type_into(pilot, "to", "+12125550101")
        await until(pilot, lambda: not error_at(app, "to"), "the fixed number's message to go")
        assert error_at(app, "timeout")


async def test_a_header_with_a_line_break_or_a_bad_name_is_refused(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f8")
        editor = app.screen
        assert isinstance(editor, PairsEditor)
        editor.query_one("#pair-name", Input).value = "X-Evil"
        editor.query_one("#pair-value", Input).value = "ok\r\nBcc: someone"
        await pilot.press("enter")
        error = editor.query_one("#pair-error", Label)
        assert "line break" in str(error.render()) and error.has_class("shown")
        editor.query_one("#pair-name", Input).value = "X Bad Name"
        editor.query_one("#pair-value", Input).value = "fine"
        await pilot.press("enter")
        assert "X Bad Name" in str(editor.query_one("#pair-error", Label).render())
        assert app.focused is editor.query_one("#pair-name", Input)  # the name is at fault: the cursor goes there
        editor.query_one("#pair-name", Input).value = "x-value@"  # a bad name that reads "value"
        await pilot.press("enter")
        assert "'@'" in str(editor.query_one("#pair-error", Label).render())
        assert app.focused is editor.query_one("#pair-name", Input)
        assert editor.pairs == []
        await pilot.press("escape")
        assert app.main.editors_for("demo-cognigy").headers == []


async def test_tags_over_the_size_limit_are_not_saved(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f7")
        editor = app.screen
        editor.query_one("#pair-name", Input).value = "notes"
        editor.query_one("#pair-value", Input).value = "x" * 5000
        await pilot.press("enter", "ctrl+g")
        assert app.screen is editor  # still open: nothing half-saved
        assert "bytes" in str(editor.query_one("#preview", Static).render())
        await pilot.press("escape")
        assert app.main.editors_for("demo-cognigy").tags == []


async def test_an_amd_timer_that_is_not_a_number_is_refused(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f6")
        editor = app.screen
        assert isinstance(editor, AmdEditor)
        editor.query_one("#amd-decision", Input).value = "soon"
        await pilot.press("ctrl+g")
        assert app.screen is editor
        error = editor.query_one("#amd-error-decision", Label)  # under the field, seen, and the cursor there
        assert "'soon' is not a whole number" in str(error.render()) and error.has_class("shown")
        assert app.focused is editor.query_one("#amd-decision", Input)


async def test_no_editor_drops_a_row_without_a_word_and_ctrl_g_puts_the_cursor_on_the_problem(
        live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f8")  # a header still in the inputs with a line break: refused, not dropped
        editor = app.screen
        editor.query_one("#pair-name", Input).value = "X-Campaign"
        editor.query_one("#pair-value", Input).value = "spring\r\nBcc: x"
        await pilot.press("ctrl+g")
        assert app.screen is editor
        error = editor.query_one("#pair-error", Label)
        assert "line break" in str(error.render()) and error.has_class("shown")
        assert app.focused is editor.query_one("#pair-value", Input)
        await pilot.press("escape")
        await pilot.press("f7")  # a tag value with no name: said, and the cursor on the name
        editor = app.screen
        editor.query_one("#pair-value", Input).value = "42"
        await pilot.press("ctrl+g")
        assert app.screen is editor
        assert "no name" in str(editor.query_one("#pair-error", Label).render())
        assert app.focused is editor.query_one("#pair-name", Input)
        editor.pairs = [("a", "1"), ("b", "x" * 5000), ("c", "3")]  # rows kept from before, one too big
        editor.redraw()
        editor.query_one("#pair-value", Input).value = ""
        await pilot.press("ctrl+g")
        table = editor.query_one("#pairs", DataTable)
        assert app.screen is editor and app.focused is table and table.cursor_row == 1
        assert str(editor.query_one("#pair-error", Label).render()).startswith("row 2 (b):")
        await pilot.press("escape")
        assert app.main.editors_for("demo-cognigy").tags == [] and app.main.editors_for("demo-cognigy").headers == []
