"""The dial form: the active profile's fields, checked as you type, errors under each field."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import Reactive
from textual.widget import Widget
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from console.calls import DialRequest
from console.config import Settings
from console.dialform import (
    DESTINATION_LABEL,
    Editors,
    FieldSpec,
    build_request,
    destination_example,
    form_fields,
    initial_values,
    plays,
    visible,
)
from console.problems import InvalidInput, Problem
from console.providers import room
from console.request_parts import tags_from_pairs
from console.ui.formatting import Parts, tags_summary
from console.ui.widgets.compact import compact
from console.ui.widgets.tick import Tick

VALIDATE_AFTER_S = 0.3
# Characters no phone number or count holds: typed there, they are the commands they are bound to.
COMMAND_CHARACTERS = frozenset(":?")
NUMBER_TARGETS = ("phone", "teams")
PRIMARY = frozenset({"to_type", "to", "from", "application", "mob_plays", "amd"})  # above the editors


class FieldInput(Input):
    """A form field. Characters in `commands` cannot belong to what it holds, so they are not typed
    into it but act as the keys they are bound to (`:` the command line, `?` help)."""

    commands: frozenset[str] = frozenset()
    # One line as wide as its row whatever it holds: a key typed changes only the width it scrolls over,
    # which Input would follow with a layout of the whole screen at every key (the call log's included).
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    def on_resize(self) -> None:
        # Narrowed with a long value in it: the cursor stays in sight, as it does while typing.
        self.call_after_refresh(self.scroll_to_region, Region(self._cursor_offset, 0, width=1, height=1),
                                force=True, animate=False)

    def check_consume_key(self, key: str, character: str | None) -> bool:
        if character is not None and character in self.commands:
            return False
        return super().check_consume_key(key, character)


SWITCH_LABEL = {"amd": "detect machines", "vmail": "straight to voicemail"}


class AppNames:
    """Applications by id and by name, for the names that belong to one application only (two with the same
    name are shown by their ids)."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}  # id -> name

    def learn(self, listed: list[tuple[str, str]]) -> None:
        self.names.update((app_id, name.strip()) for app_id, name in listed if name.strip())

    def _unique(self) -> dict[str, str]:
        ids_by_name: dict[str, list[str]] = {}
        for app_id, name in self.names.items():
            ids_by_name.setdefault(name, []).append(app_id)
        return {name: ids[0] for name, ids in ids_by_name.items() if len(ids) == 1 and name not in self.names}

    def shown(self, value: str) -> str:
        """What the field shows for `value`: the name of the application with that id, if it has one."""
        name = self.names.get(value.strip())
        return name if name is not None and name in self._unique() else value

    def id_of(self, text: str) -> str:
        """The id behind what the field shows: a listed name (in any case) is its application's id; anything
        else as typed."""
        unique = self._unique()
        if text.strip() in unique:
            return unique[text.strip()]
        folded = [app_id for name, app_id in unique.items() if name.casefold() == text.strip().casefold()]
        return folded[0] if len(folded) == 1 else text


class DialForm(VerticalScroll):
    can_focus = False  # the fields take the focus, the scroller never does

    class EditorWanted(Message):
        def __init__(self, editor: str):
            super().__init__()
            self.editor = editor

    def __init__(self, settings: Settings, profile: str, editors: Editors, values: dict[str, str] | None = None,
                 apps: list[tuple[str, str]] | None = None, **kw: Any):
        """`apps`: the gateway's applications (id, name) as last listed, shown by name in the form."""
        super().__init__(**kw)
        self.settings = settings
        self.start_values = dict(values or initial_values(settings, profile))  # a copy: shown values change
        self.profile_name = profile
        self.editors = editors
        self.provider = settings.profile(profile).provider
        self.room = room(self.provider)
        self.fields = form_fields(self.provider)
        self._touched: set[str] = set()
        self._timer: Any = None
        # The Application field shows a listed application by its name; the request gets its id.
        self.app_names = AppNames()
        self.app_names.learn([(a.id, a.name) for a in settings.profile(profile).applications] + (apps or []))
        if "application" in self.start_values:
            self.start_values["application"] = self.app_names.shown(self.start_values["application"])

    def compose(self) -> ComposeResult:
        # Who, from where, what plays, AMD and the editors first: at 80x24 they are what shows without
        # scrolling; the rarer fields (trunk, caller name, timeouts) follow.
        yield from self._rows([spec for spec in self.fields if spec.name in PRIMARY])
        with Horizontal(classes="field", id="row-editors"):  # one row from 80 columns: labels kept short
            yield compact(Button("AMD F6", id="open-amd"))
            yield compact(Button("Tags F7", id="open-tags"))
            yield compact(Button("Headers F8", id="open-headers"))
            yield compact(Button("More F12", id="open-fields"))
        yield Static("", id="editors-summary")
        yield Label("", classes="error", id="error-more")
        yield Label("", classes="error", id="error-tags")
        yield Label("", classes="error", id="error-headers")
        yield from self._rows([spec for spec in self.fields if spec.name not in PRIMARY])

    def _rows(self, specs: list[FieldSpec]) -> ComposeResult:
        for spec in specs:
            with Horizontal(classes="field", id=f"row-{spec.name}"):
                yield Label(spec.label, classes="label", id=f"label-{spec.name}")
                yield self._widget(spec, self.start_values.get(spec.name, ""))
            yield Label("", classes="error", id=f"error-{spec.name}")

    def _widget(self, spec: FieldSpec, value: str) -> Widget:
        wid = f"f-{spec.name}"
        if spec.kind == "select":
            options = spec.options
            shown = [(o or "none", o) for o in options]
            return compact(Select(shown, value=value if value in options else options[0], allow_blank=False, id=wid))
        if spec.kind == "switch":
            return compact(Tick(SWITCH_LABEL.get(spec.name, ""), value=value == "on", id=wid))
        box = compact(FieldInput(value=value, placeholder=spec.placeholder, password=spec.kind == "secret", id=wid))
        if spec.declared is not None and spec.declared.kind == "int":
            box.commands = COMMAND_CHARACTERS
        return box

    def on_mount(self) -> None:
        self.refresh_layout_for_target()
        self.show_editor_summary()

    # ------------------------------------------------------------ values

    def values(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for spec in self.fields:
            widget = self.query_one(f"#f-{spec.name}")
            if isinstance(widget, Checkbox):
                found[spec.name] = "on" if widget.value else ""
            elif isinstance(widget, Select):
                found[spec.name] = "" if widget.value is Select.NULL else str(widget.value)
            else:
                found[spec.name] = widget.value  # type: ignore[attr-defined]
        found["application"] = self.app_names.id_of(found["application"])
        return found

    def learn_applications(self, listed: list[tuple[str, str]]) -> None:
        """The gateway's applications (id, name): a listed id in the field is shown by its name."""
        self.app_names.learn(listed)
        box = self.query_one("#f-application", FieldInput)
        shown = self.app_names.shown(box.value)
        if shown != box.value:
            with box.prevent(Input.Changed):  # the same value, named: nothing the operator typed changed
                box.value = shown

    def set_value(self, name: str, value: str) -> None:
        widget = self.query_one(f"#f-{name}")
        chosen = value
        if name == "application":
            value = self.app_names.shown(value)
        if isinstance(widget, Checkbox):
            widget.value = value == "on"
        elif isinstance(widget, Select):
            widget.value = value
        else:
            widget.value = value  # type: ignore[attr-defined]
        self._touched.add(name)
        if name == "application" and self.room.plays:  # what a listed id plays
            self.query_one("#f-mob_plays", Select).value = plays(self.settings.profile(self.profile_name), chosen)
        self.validate_soon()

    def target(self) -> str:
        widget = self.query_one("#f-to_type", Select)
        return "phone" if widget.value is Select.NULL else str(widget.value)

    def refresh_layout_for_target(self) -> None:
        target = self.target()
        for spec in self.fields:
            self.query_one(f"#row-{spec.name}").display = visible(spec, target)
            if not visible(spec, target):
                self.query_one(f"#error-{spec.name}", Label).update("")
                self.query_one(f"#error-{spec.name}", Label).remove_class("shown")
        self.query_one("#label-to", Label).update(DESTINATION_LABEL[target])
        number = self.query_one("#f-to", FieldInput)
        number.commands = COMMAND_CHARACTERS if target in NUMBER_TARGETS else frozenset()
        profile = self.settings.profile(self.profile_name)
        number.placeholder = destination_example(target, profile.region or self.settings.default_region)
        self.query_one("#open-amd").display = self.room.amd
        self.query_one("#open-headers").display = self.room.sip_headers

    def show_editor_summary(self) -> None:
        parts = []
        if self.room.amd:
            amd = self.editors.amd
            state = "on" if self.values().get("amd") == "on" else "off"
            parts.append(
                f"AMD {state} (words ≥ {amd.threshold_word_count}, decide in {amd.timers.decision_timeout_ms} ms)"
            )
        if self.room.sip_headers:
            parts.append(f"{len(self.editors.headers)} header(s)")
        try:
            tags = tags_from_pairs(self.editors.tags)
            parts.append(f"tags: {tags_summary(tags, 40) or 'none'}")
        except ValueError:
            parts.append("tags: invalid (F7)")
        if self.editors.fields:
            parts.append("more: " + ", ".join(self.editors.fields))
        self.query_one("#editors-summary", Static).update(Parts(parts))

    # ------------------------------------------------------------ checking

    def build(self, everything: bool = True) -> DialRequest | None:
        """The request, or None with every problem shown and the first one focused."""
        if everything:
            self._touched |= {spec.name for spec in self.fields} | {"tags", "headers", "more"}
        try:
            request = build_request(self.settings, self.profile_name, self.values(), self.editors)
        except InvalidInput as exc:
            first = self.show_problems(exc.problems)
            if everything and first:
                self._focus(first)
            return None
        self.show_problems([])
        return request

    def show_problems(self, problems: list[Problem]) -> str | None:
        by_field: dict[str, str] = {}
        for problem in problems:
            by_field.setdefault(problem.field, problem.message)
        shown = [spec.name for spec in self.fields if visible(spec, self.target())]
        order = [n for n in shown if n in PRIMARY] + ["more", "tags", "headers"] + [n for n in shown
                                                                                     if n not in PRIMARY]
        first = None
        for name in order:
            message = by_field.get(name, "") if name in self._touched else ""
            label = self.query_one(f"#error-{name}", Label)
            if label.content != message:  # an update lays the screen out again, changed or not
                label.update(message)
            label.set_class(bool(message), "shown")
            if message and first is None:
                first = name
        return first

    def _focus(self, name: str) -> None:
        if name == "more":
            name = "fields"  # the problem is shown under the summary; its editor is the way to it
        if name in ("tags", "headers", "amd", "fields"):
            self.query_one(f"#open-{name}").focus()
        else:
            self.query_one(f"#f-{name}").focus()

    def validate_soon(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(VALIDATE_AFTER_S, lambda: self.build(everything=False))

    @on(Input.Changed)
    def typed(self, event: Input.Changed) -> None:
        if event.input.id and event.input.id.startswith("f-"):
            self._touched.add(event.input.id[2:])
            self.validate_soon()

    @on(Select.Changed)
    def chose(self, event: Select.Changed) -> None:
        if event.select.id == "f-to_type":
            self.refresh_layout_for_target()
        self.validate_soon()

    @on(Checkbox.Changed)
    def ticked(self, event: Checkbox.Changed) -> None:
        self.show_editor_summary()
        self.validate_soon()

    @on(Button.Pressed)
    def open_editor(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.EditorWanted((event.button.id or "").removeprefix("open-")))

    def editors_changed(self) -> None:
        self._touched |= {"tags", "headers", "amd", "more"}
        self.show_editor_summary()
        self.validate_soon()
