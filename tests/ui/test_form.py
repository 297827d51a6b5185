"""The dial form: picking from the lists, the three editors, and what reaches the gateway."""

from __future__ import annotations

import json
from typing import Any

from textual._compositor import Compositor
from textual.widgets import DataTable, Input, Static

from console.store import Store
from console.ui.screens.amd_editor import AmdEditor
from console.ui.screens.pairs_editor import PairsEditor
from console.ui.widgets.dial_form import VALIDATE_AFTER_S
from tests.ui.conftest import console, dial, drawn, final_row, type_into, until

SURVEY_BOT = "Survey bot"


async def test_a_number_and_an_application_picked_from_the_lists(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f3")  # Numbers
        assert app.focused.id == "numbers"
        await pilot.press("j", "enter")  # the second number
        assert app.query_one("#f-from", Input).value == "+12125550199"
        assert app.focused.id == "f-to"
        await pilot.press("f3", "f3")  # Numbers, then Applications
        assert app.focused.id == "apps"
        apps = app.query_one("#apps", DataTable)
        index = next(i for i in range(apps.row_count) if str(apps.get_row_at(i)[0]) == SURVEY_BOT)
        for _ in range(index):
            await pilot.press("down")
        await pilot.press("enter")
        # the field names the application; the request carries its id
        assert app.query_one("#f-application", Input).value == SURVEY_BOT
        sid = app.main.form.values()["application"]
        assert len(sid) == 36 and sid != "0e06a1b0-d49f-4fb8-b973-b5a3c6758de1"  # not the default one
        call = await dial(pilot, "+12125550101")
        shown = await final_row(pilot, call.attempt_id)
        body = live_store.call(call.attempt_id).request["body"]
        assert (body["from"], body["application_sid"]) == ("+12125550199", sid)
        assert shown["from"] == "+12125550199"


async def test_the_application_field_shows_names_and_takes_a_name_or_an_id(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        form = app.main.form
        field = app.query_one("#f-application", Input)
        listed = {str(row[0]): str(row[2]) for row in map(app.query_one("#apps", DataTable).get_row_at,
                                                          range(app.query_one("#apps", DataTable).row_count))}
        default = form.values()["application"]
        assert default in listed.values() and field.value == next(n for n, i in listed.items() if i == default)
        field.value = SURVEY_BOT  # typed by name
        assert form.values()["application"] == listed[SURVEY_BOT]
        field.value = SURVEY_BOT.upper()  # in any case
        assert form.values()["application"] == listed[SURVEY_BOT]
        field.value = listed[SURVEY_BOT]  # or by id
        assert form.values()["application"] == listed[SURVEY_BOT]
        field.value = "Survey bo"  # neither: taken as typed, and refused as the gateway would
        assert form.values()["application"] == "Survey bo"
        assert form.build() is None
        assert "Survey bo" in str(app.query_one("#error-application").render())


async def test_lists_filter_by_typing(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f3", "slash", *"4420")
        numbers = app.query_one("#numbers", DataTable)
        assert numbers.row_count == 1 and str(numbers.get_row_at(0)[0]) == "+442079460958"
        await pilot.press("escape")
        assert numbers.row_count == 3 and app.focused is numbers


async def test_every_editor_shapes_the_next_call_and_is_kept_per_profile(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        # AMD: every option, typed into the editor
        await pilot.press("f6")
        assert isinstance(app.screen, AmdEditor)
        await pilot.press("space")
        values = {"threshold": "5", "digits": "3", "no_speech": "4000", "decision": "9000", "tone": "10000",
                  "greeting": "1500", "vendor": "google", "language": "en-GB"}
        for name, value in values.items():
            app.screen.query_one(f"#amd-{name}", Input).value = value
        await pilot.press("ctrl+g")
        assert not isinstance(app.screen, AmdEditor)
        # tags: text, a number and a JSON object
        await pilot.press("f7")
        assert isinstance(app.screen, PairsEditor)
        for name, value in (("campaign", "spring"), ("priority", "2"), ("meta", '{"a": [1, 2]}')):
            await pilot.press(*name, "tab", *value, "enter")
        preview = str(app.screen.query_one("#preview", Static).render())
        assert '{"campaign":"spring","priority":2,"meta":{"a":[1,2]}}' in preview and "of 4,096 bytes" in preview
        await pilot.press("ctrl+g")
        # SIP headers
        await pilot.press("f8")
        await pilot.press(*"X-Campaign", "tab", *"spring", "enter", "ctrl+g")
        summary = "\n".join(drawn(app.query_one("#editors-summary", Static)))
        assert "AMD on (words ≥ 5" in summary and "1 header(s)" in summary and "campaign=spring" in summary

        call = await dial(pilot, "+12125550105")
        shown = await final_row(pilot, call.attempt_id)
        body = live_store.call(call.attempt_id).request["body"]
        assert body["tag"] == {"campaign": "spring", "priority": 2, "meta": {"a": [1, 2]}}
        assert body["headers"] == {"X-Campaign": "spring"}
        amd = {k: v for k, v in body["amd"].items() if k != "actionHook"}
        assert amd == {
            "thresholdWordCount": 5,
            "digitCount": 3,
            "recognizer": {"vendor": "google", "language": "en-GB"},
            "timers": {
                "noSpeechTimeoutMs": 4000,
                "decisionTimeoutMs": 9000,
                "toneTimeoutMs": 10000,
                "greetingCompletionTimeoutMs": 1500,
            },
        }
        assert shown["amd"] == "machine" and shown["tags"].startswith("campaign=spring")

        # kept for this profile across a switch, and not carried into another profile
        await app.switch_profile("demo-jambonz")
        await pilot.pause()
        assert app.main.editors_for("demo-jambonz").tags == []
        await app.switch_profile("demo-cognigy")
        await until(pilot, lambda: app.query_one("#f-amd").value is True, "the AMD switch to come back on")
        await pilot.press("f7")
        assert app.screen.query_one("#pairs", DataTable).row_count == 3
        assert json.loads(json.dumps(app.main.editors_for("demo-cognigy").tags)) == [
            ["campaign", "spring"], ["priority", "2"], ["meta", '{"a": [1, 2]}']]


async def test_the_amd_editor_keeps_what_it_does_not_show(live_store: Store) -> None:
    from console.request_parts import AmdOptions

    async with console(live_store) as (app, pilot):
        editors = app.main.editors_for(app.profile_name)
        editors.amd = AmdOptions.model_validate({
            "actionHook": "https://hooks.example.com/amd", "thresholdWordCount": 6,
            "recognizer": {"vendor": "google", "language": "en-US", "label": "amd-stt", "hints": ["voicemail"]}})
        await pilot.press("f6")
        assert isinstance(app.screen, AmdEditor)
        app.screen.query_one("#amd-digits", Input).value = "4"
        app.screen.query_one("#amd-language", Input).value = "en-GB"
        app.screen.query_one("#amd-no_speech", Input).value = "soon"
        await pilot.pause()
        error = app.screen.query_one("#amd-error-no_speech")
        assert "not a whole number" in str(error.render()) and error.has_class("shown")  # said, and seen
        app.screen.query_one("#amd-no_speech", Input).value = ""
        await pilot.press("ctrl+g")
        assert not isinstance(app.screen, AmdEditor)
        kept = editors.amd.model_dump(by_alias=True, exclude_none=True)
        assert kept["actionHook"]["url"] == "https://hooks.example.com/amd"
        assert (kept["thresholdWordCount"], kept["digitCount"]) == (6, 4)
        assert kept["recognizer"] == {"vendor": "google", "language": "en-GB", "label": "amd-stt",
                                      "hints": ["voicemail"]}


async def test_more_fields_by_their_documented_names_reach_the_call(live_store: Store) -> None:
    from textual.widgets import Collapsible

    from console.ui.screens.fields_editor import FieldsEditor

    async with console(live_store) as (app, pilot):
        await pilot.press("f12")
        assert isinstance(app.screen, FieldsEditor)
        editor = app.screen
        paths = {str(label.render()): label for label in editor.query(".label")}
        assert {"speech_synthesis_vendor", "listen", "notifyUrl", "to.proxy"} <= set(paths)
        assert not {"from", "tag", "amd", "amd.digitCount", "callerName"} & set(paths)  # the form's own, or edited
        inputs = {d.path: wid for wid, d in editor._ids.items()}
        editor.query_one(f"#{inputs['listen']}", Input).value = '["not", "an object"]'
        await pilot.pause()
        await pilot.press("ctrl+g")  # refused: the bad value is shown, its group opened, the editor stays
        assert app.screen is editor
        error = editor.query_one(f"#{inputs['listen']}-error")
        assert error.has_class("shown") and "listen" in str(error.render())
        assert not editor.query_one("#group-media", Collapsible).collapsed
        editor.query_one(f"#{inputs['listen']}", Input).value = '{"url": "wss://media.example.com/l"}'
        editor.query_one(f"#{inputs['speech_synthesis_vendor']}", Input).value = "google"
        await pilot.pause()
        await pilot.press("ctrl+g")
        assert not isinstance(app.screen, FieldsEditor)
        summary = "\n".join(drawn(app.query_one("#editors-summary", Static)))
        assert "more: speech_synthesis_vendor, listen" in summary
        call = await dial(pilot, "+12125550101")
        body = live_store.call(call.attempt_id).request["body"]
        assert body["listen"] == {"url": "wss://media.example.com/l"} and body["speech_synthesis_vendor"] == "google"


async def test_keys_typed_in_a_field_lay_nothing_out_and_a_long_value_still_scrolls(live_store: Store) -> None:
    """A key typed in a form field changes nothing's size: the screen is not laid out again for it (a
    layout holds every key typed meanwhile, with the call log on screen). The field still scrolls to keep
    the cursor in sight."""
    reflows: list[int] = []
    reflow = Compositor.reflow

    def counted(self: Compositor, *args: Any, **kw: Any) -> Any:
        reflows.append(1)
        return reflow(self, *args, **kw)

    async with console(live_store, size=(60, 20)) as (app, pilot):
        await type_into(pilot, "to", "+4420794600")
        await pilot.pause(VALIDATE_AFTER_S + 0.2)  # its problem shown, if it has one
        Compositor.reflow = counted  # type: ignore[method-assign]
        try:
            await pilot.press(*"12345678901234567890123456789012345678901234567890")
            await pilot.pause()
        finally:
            Compositor.reflow = reflow  # type: ignore[method-assign]
        assert len(reflows) <= 2, len(reflows)  # a problem shown or cleared by the check after the last key
        box = app.query_one("#f-to", Input)
        assert box.value.endswith("4567890") and len(box.value) == 61
        assert box.scroll_offset.x > 0 and "4567890" in box.render_line(0).text


async def test_a_long_number_keeps_its_end_in_sight_when_the_window_narrows(live_store: Store) -> None:
    async with console(live_store, size=(120, 30)) as (app, pilot):
        box = app.query_one("#f-to", Input)
        box.focus()
        await pilot.press(*"+44207946001234567890123")
        await pilot.pause()
        assert "4567890123" in box.render_line(0).text
        await pilot.resize_terminal(60, 20)
        await pilot.pause(0.2)
        assert "4567890123" in box.render_line(0).text, box.render_line(0).text


async def test_at_80_columns_the_editors_buttons_and_the_amd_switch_show_whole(live_store: Store) -> None:
    async with console(live_store, size=(80, 24)) as (app, pilot):
        await pilot.pause()
        form = app.query_one("#form")
        right = form.content_region.right - form.scrollbar_size_vertical
        for button in app.query("#row-editors Button"):
            assert button.region.right <= right, (str(button.label), button.region, right)
        switch = app.query_one("#f-amd")
        assert str(switch.label) in switch.render_line(0).text
        said = drawn(app.query_one("#editors-summary", Static))
        assert not any(line.startswith("·") or line.endswith("·") for line in said), said  # broken between parts
        assert any("0 header(s)" in line for line in said) and any("tags: none" in line for line in said), said
