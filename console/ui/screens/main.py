"""The main screen: the status line, the dial form, the gateway's lists and the live call log.

It owns what belongs to the form (dialling, the editors, the lists that fill it, the focus keys);
what the whole console shares (profile, services, history, hang-up, help) is the app's. Its keys
are bound here, so they act only while this screen is in front.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from textual import events, on, work
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, TabbedContent, TabPane

from console.calls import DialRequest
from console.dialform import Editors
from console.gateways.errors import GatewayError
from console.providers import declarations, room
from console.status import CallStatus
from console.ui.keyorder import NUMBER_START, start_typing
from console.ui.messages import CallPlaced, ListsLoaded, RedialAsked
from console.ui.screens.amd_editor import AmdEditor
from console.ui.screens.confirm import Confirm
from console.ui.screens.fields_editor import FieldsEditor
from console.ui.screens.pairs_editor import PairsEditor
from console.ui.widgets.call_log import CallLog
from console.ui.widgets.dial_form import DialForm
from console.ui.widgets.footer import KeysFooter
from console.ui.widgets.pickers import Picker, app_items, number_items
from console.ui.widgets.status_bar import StatusBar
from console.ui.widgets.tables import FilterBox

if TYPE_CHECKING:
    from console.dialer import DialOutcome
    from console.ui.app import ConsoleApp


NARROW_COLUMNS = 72


class MainScreen(Screen[None]):
    # Priority: acted on as the key arrives, before keys typed after it reach a field (a key that is not
    # priority first travels up from the focused field, and the next keys overtake it). These bindings
    # exist only while this screen is in front, so an editor or dialog on top keeps its own keys.
    BINDINGS = [
        Binding("ctrl+g,f5", "dial", "Dial", id="dial", priority=True, tooltip="Place the call in the form."),
        Binding("f6", "edit_amd", "AMD", id="edit-amd", priority=True, tooltip="Answering-machine detection."),
        Binding("f7", "edit_tags", "Tags", id="edit-tags", priority=True, tooltip="JSON metadata for the next calls."),
        Binding("f8", "edit_headers", "Headers", id="edit-headers", priority=True, tooltip="SIP headers."),
        Binding("f12", "edit_fields", "More", id="edit-fields", priority=True,
                tooltip="Every other documented request field, by its documented name."),
        Binding("f2", "focus_form", "Form", id="focus-form", show=False, priority=True,
                tooltip="Go to the dial form."),
        Binding("f3", "focus_lists", "Lists", id="focus-lists", show=False, priority=True,
                tooltip="Go to Numbers; again for Applications."),
        Binding("f4", "focus_log", "Log", id="focus-log", show=False, priority=True, tooltip="Go to the call log."),
        Binding("escape", "leave_field", "Leave", id="leave-field", priority=True,
                tooltip="Out of the form's field to the call log, where letters are commands (F2 back)."),
        Binding("ctrl+l", "clear_form", "Clear", id="clear-form", show=False, priority=True,
                tooltip="The form back to the profile's defaults (AMD, tags and headers stay)."),
        # Read-only: the keys above are not offered, and pressed anyway they say why (never silence).
        Binding("ctrl+g,f5", "app.refuse('dialling')", show=False, priority=True),
        Binding("f6,f7,f8,f12,ctrl+l", "app.refuse('changing the next calls')", show=False, priority=True),
    ]
    CHANGES_CALLS = {"dial", "edit_amd", "edit_tags", "edit_headers", "edit_fields", "focus_form",
                     "clear_form"}  # none read-only

    def __init__(self) -> None:
        super().__init__()
        self.editors: dict[str, Editors] = {}
        self.form_values: dict[str, dict[str, str]] = {}  # a profile's form as left, for switching back
        self.listed_apps: dict[str, list[tuple[str, str]]] = {}  # a profile's applications (id, name) as listed
        self.dialling = False  # a create request is in flight (or waiting for a yes): dial does nothing else
        self._from_form = False  # the dial key was pressed in a field of the form
        self._dialled_text = ""  # the number field as it was dialled
        self._placing = ""  # the destination of the call being placed
        self._resumed = False

    @property
    def console(self) -> ConsoleApp:
        return cast("ConsoleApp", self.app)

    @property
    def form(self) -> DialForm:
        return self.query_one("#form", DialForm)

    @property
    def call_log(self) -> CallLog:
        return self.query_one("#log", CallLog)

    def editors_for(self, profile: str) -> Editors:
        if profile not in self.editors:
            self.editors[profile] = Editors.from_profile(self.console.settings.profile(profile))
        return self.editors[profile]

    def compose(self) -> ComposeResult:
        app = self.console
        yield StatusBar(id="status")
        with Horizontal(id="top"):
            yield DialForm(app.settings, app.profile_name, self.editors_for(app.profile_name),
                           self.form_values.get(app.profile_name), id="form")
            with TabbedContent(id="lists"):
                with TabPane("Numbers", id="tab-numbers"):
                    yield FilterBox(Picker("from", (("number", 16), ("label or route", 24)), id="numbers"))
                with TabPane("Applications", id="tab-apps"):
                    yield FilterBox(Picker("application", (("name", 22), ("kind", 11), ("id", 38)), id="apps"))
        yield FilterBox(CallLog(app.clock, app.zone, id="log"), id="log-box")
        yield KeysFooter()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        # The first resume follows the mount, which has just styled every widget: Textual would style
        # the whole screen once more before its first frame (about 30 ms of start-up).
        if not self._resumed:
            self._resumed = True
            event.refresh_styles = False

    def on_resize(self, event: events.Resize) -> None:
        # Narrow: the form takes two thirds, so a whole E.164 number shows beside its label
        self.set_class(event.size.width < NARROW_COLUMNS, "narrow")

    def on_mount(self) -> None:
        self.form.border_title = "dial"
        self.query_one("#log-box").border_title = "calls"
        self.console.show_status()
        self.show_read_only()
        self.console.main_mounted()

    def in_field(self) -> bool:
        """The focus is in one of the form's fields (not a list, the log, or a list a Select opened)."""
        focused = self.focused
        return focused is not None and (focused.id or "").startswith("f-")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.CHANGES_CALLS and self.console.read_only:
            return False
        if action == "leave_field":
            return self.in_field()
        if action in ("edit_amd", "edit_headers"):  # offered where the provider has AMD, custom SIP headers
            place = room(self.console.settings.profile(self.console.profile_name).provider)
            return place.amd if action == "edit_amd" else place.sip_headers
        return True

    def show_read_only(self) -> None:
        """Read-only: no dial form at all; the lists and the log take its place."""
        read_only = self.console.read_only
        self.form.display = not read_only
        self.set_class(read_only, "read-only")
        if read_only:
            self.call_log.focus()
        else:
            self.query_one("#f-to").focus()

    # ------------------------------------------------------------ lists

    @work(exclusive=True, group="lists", exit_on_error=False)
    async def load_lists(self) -> None:
        numbers, apps = self.query_one("#numbers", Picker), self.query_one("#apps", Picker)
        numbers.loading = apps.loading = True
        name = self.console.profile_name
        try:
            gateway = await self.console.services.gateways.get(name)
            found_numbers = await gateway.list_numbers()
            found_apps = await gateway.list_applications()
        except GatewayError as exc:
            self.post_message(ListsLoaded(name, [], [], str(exc)))
            return
        self.post_message(ListsLoaded(name, number_items(found_numbers, found_apps), app_items(found_apps), None))

    @on(ListsLoaded)
    def lists_loaded(self, message: ListsLoaded) -> None:
        if self.console.closing or message.profile != self.console.profile_name:
            return
        numbers, apps = self.query_one("#numbers", Picker), self.query_one("#apps", Picker)
        numbers.loading = apps.loading = False
        numbers.show(message.numbers)
        apps.show(message.apps)
        self.listed_apps[message.profile] = [(value, cells[0]) for value, cells in message.apps]
        self.form.learn_applications(self.listed_apps[message.profile])
        if message.error:
            self.notify(message.error, title="could not list numbers and applications", severity="error")

    @on(Picker.Picked)
    def picked(self, message: Picker.Picked) -> None:
        self.form.set_value(message.kind, message.value)
        self.query_one("#f-to").focus()  # next: the destination, or F3 for the other list
        shown = self.form.app_names.shown(message.value) if message.kind == "application" else message.value
        self.notify(f"{message.kind}: {shown}", timeout=2)

    @on(Picker.ReloadWanted)
    def reload_lists(self) -> None:
        self.load_lists()

    # ------------------------------------------------------------ dialling

    def action_dial(self) -> None:
        if self.console.read_only:
            self.notify("read-only: dialling is off", severity="warning")
            return
        if self.console.still_starting():
            return
        if self.dialling:  # keys typed fast, or a second press: one call at a time
            typed = self.query_one("#f-to", Input).value.strip()
            now = f"{typed} was not dialled: " if typed and typed != self._placing else ""
            self.notify(f"{now}the call to {self._placing} is still being placed; press the dial key again "
                        "once it is", title="one call at a time", severity="warning", timeout=8)
            return
        request = self.form.build()
        if request is None:
            self.notify("the highlighted fields need fixing first", severity="warning", timeout=4)
            return
        self.dialling = True
        self._placing = request.destination
        self._from_form = self.in_field()
        if self._from_form:
            # Now, as the key is handled, not when the gateway answers: the keys typed after the dial key come
            # next and replace the number; selected later, what they typed would be replaced instead.
            number = self.query_one("#f-to", Input)
            self.set_focus(number)
            number.select_all()
            self._dialled_text = number.value
        self.place(self.console.profile_name, request)

    @work(group="dial", exit_on_error=False)
    async def place(self, profile: str, request: DialRequest, confirmed: bool = False) -> None:
        app = self.console
        try:
            guard = app.settings.ui.redial_guard_s
            if not confirmed and guard:
                recent = await asyncio.to_thread(app.store.last_call_to, request.destination,
                                                 app.clock() - timedelta(seconds=guard))
                if recent is not None:
                    self.post_message(RedialAsked(profile, request, recent))
                    return
            outcome = await app.services.dialer.place(profile, request)
        except BaseException:
            self.dialling = False
            raise
        self.post_message(CallPlaced(outcome))

    @on(RedialAsked)
    def redial_asked(self, message: RedialAsked) -> None:
        if self.console.closing:
            return
        ago = max(0, int((self.console.clock() - message.recent.created_at).total_seconds()))
        who = "" if message.recent.profile == message.profile else f" on {message.recent.profile}"
        status = message.recent.status.value.replace("_", " ")
        question = f"{message.request.destination} was dialled {ago} s ago{who} ({status}). Dial it again?"

        def answered(yes: bool | None) -> None:
            if yes:
                self.place(message.profile, message.request, confirmed=True)
            else:
                self.dialling = False

        self.app.push_screen(Confirm(question, yes="Dial again"), answered)

    @on(CallPlaced)
    def placed(self, message: CallPlaced) -> None:
        self.dialling = False
        if self.console.closing:
            return
        outcome: DialOutcome = message.outcome
        for note in outcome.notes:
            self.notify(note, title="note", timeout=8)
        if outcome.call is not None:
            self.call_log.upsert(outcome.call)
        if outcome.error is not None:
            unknown = outcome.call is not None and outcome.call.status is CallStatus.UNKNOWN
            self.notify(str(outcome.error), title="the call may have been placed" if unknown else "the call was not "
                        "placed", severity="error", timeout=12)
            number = self.query_one("#f-to", Input)
            if self._from_form and number.value == self._dialled_text and number.selected_text == number.value:
                number.action_end()  # untouched since: kept to be corrected, not to be typed over
        elif outcome.call is not None:
            self.notify(f"calling {outcome.call.to_number}", title="dialling", timeout=3)
            self.console.remember()

    # ------------------------------------------------------------ editors

    @on(DialForm.EditorWanted)
    def editor_wanted(self, message: DialForm.EditorWanted) -> None:
        {"amd": self.action_edit_amd, "tags": self.action_edit_tags, "headers": self.action_edit_headers,
         "fields": self.action_edit_fields}[message.editor]()

    def _editor_target(self) -> tuple[DialForm, Editors] | None:
        if not self.is_current:
            return None  # asked from the palette over another screen: the form is not in front
        return self.form, self.editors_for(self.console.profile_name)

    def action_edit_amd(self) -> None:
        target = self._editor_target()
        if target is None:
            return
        form, editors = target
        if not room(form.provider).amd:
            self.notify(f"{form.provider} has no answering-machine detection", severity="warning")
            return

        def saved(result: tuple[bool, Any] | None) -> None:
            if result is not None:
                editors.amd = result[1]
                form.set_value("amd", "on" if result[0] else "")
                form.editors_changed()
                self.console.remember()

        self.app.push_screen(AmdEditor(form.values().get("amd") == "on", editors.amd), saved)

    def _pairs(self, kind: str) -> None:
        target = self._editor_target()
        if target is None:
            return
        form, editors = target
        if kind == "headers" and not room(form.provider).sip_headers:
            self.notify(f"{form.provider} takes no custom SIP headers", severity="warning")
            return

        def saved(pairs: list[tuple[str, str]] | None) -> None:
            if pairs is not None:
                setattr(editors, kind, pairs)
                form.editors_changed()
                self.console.remember()

        self.app.push_screen(PairsEditor(kind, getattr(editors, kind)), saved)

    def action_edit_fields(self) -> None:
        target = self._editor_target()
        if target is None:
            return
        form, editors = target

        def saved(values: dict[str, Any] | None) -> None:
            if values is not None:
                editors.fields = values
                form.editors_changed()
                self.console.remember()

        settings = self.console.settings
        profile = settings.profile(self.console.profile_name)
        self.app.push_screen(FieldsEditor(declarations(profile.provider), form.target(), editors.fields,
                                          profile.region or settings.default_region), saved)

    def action_edit_tags(self) -> None:
        self._pairs("tags")

    def action_edit_headers(self) -> None:
        self._pairs("headers")

    # ------------------------------------------------------------ focus, profiles

    def action_focus_form(self) -> None:
        self.set_focus(self.query_one("#f-to"))

    def action_focus_lists(self) -> None:
        """To the lists; pressed again there, to the other list."""
        tabs = self.query_one("#lists", TabbedContent)
        numbers = tabs.active == "tab-numbers"
        if isinstance(self.focused, Picker):
            numbers = not numbers
        self.action_show_list("numbers" if numbers else "apps")

    def on_key(self, event: events.Key) -> None:
        # A digit or + typed in the call log or a list starts a new number in the form, as it would after a
        # dial: neither binds them, and a number typed there was lost while the dial key behind it placed
        # the number the form still held.
        if (event.character and event.character in NUMBER_START and not self.console.read_only
                and event.key not in self.app.active_bindings  # a key map that gives a digit to an action keeps it
                and (self.focused is self.call_log or isinstance(self.focused, Picker))):
            start_typing(self.query_one("#f-to", Input), event)

    def action_leave_field(self) -> None:
        if not self.in_field():
            raise SkipAction()  # Esc elsewhere keeps its own meaning (a filter line, a Select's list)
        self.set_focus(self.call_log)  # at once (focus() waits a turn): the next key is already a command

    async def action_clear_form(self) -> None:
        self.form_values.pop(self.console.profile_name, None)
        await self.replace_form(None)
        self.notify("the form is back to the profile's defaults", timeout=3)

    def action_focus_log(self) -> None:
        self.set_focus(self.call_log)

    def action_show_list(self, which: str) -> None:
        self.query_one("#lists", TabbedContent).active = "tab-numbers" if which == "numbers" else "tab-apps"
        self.set_focus(self.query_one(f"#{which}", Picker))

    async def profile_changed(self, old: str) -> None:
        """The app switched profile: keep the old form's values, show the new profile's."""
        self.form_values[old] = self.form.values()
        await self.replace_form(self.form_values.get(self.console.profile_name))

    async def replace_form(self, values: dict[str, str] | None) -> DialForm:
        app = self.console
        old = self.form
        form = DialForm(app.settings, app.profile_name, self.editors_for(app.profile_name), values,
                        self.listed_apps.get(app.profile_name, []), id="form")
        await old.remove()
        await self.query_one("#top", Horizontal).mount(form, before=0)
        form.border_title = "dial"
        self.show_read_only()
        return form
