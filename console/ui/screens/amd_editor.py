"""Answering-machine detection: on or off, and its options with jambonz's documented defaults."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Footer, Input, Label

from console.problems import problems_from
from console.request_parts import AmdOptions
from console.ui.widgets.tick import Tick

# (field, label, path into AmdOptions' camelCase form, documented default)
FIELDS = (
    ("threshold", "Words for a machine", ("thresholdWordCount",), 9),
    ("digits", "Digits for a machine (0: off)", ("digitCount",), 0),
    ("no_speech", "No-speech timeout (ms)", ("timers", "noSpeechTimeoutMs"), 5000),
    ("decision", "Decision timeout (ms)", ("timers", "decisionTimeoutMs"), 15000),
    ("tone", "Tone timeout (ms)", ("timers", "toneTimeoutMs"), 20000),
    ("greeting", "Greeting completion (ms)", ("timers", "greetingCompletionTimeoutMs"), 2000),
)


class AmdEditor(ModalScreen[tuple[bool, AmdOptions] | None]):
    BINDINGS = [
        Binding(
            "ctrl+g", "save", "Save", id="editor-save", priority=True, tooltip="Keep these options for the next calls."
        ),
        Binding("escape", "cancel", "Cancel", id="editor-cancel", tooltip="Leave without changes."),
    ]

    def __init__(self, enabled: bool, options: AmdOptions):
        super().__init__()
        self.enabled = enabled
        self.options = options

    def compose(self) -> ComposeResult:
        wire = self.options.model_dump(by_alias=True, exclude_none=True)
        recognizer = self.options.recognizer
        with Vertical(classes="dialog editor"):
            yield Label("Answering-machine detection", classes="title")
            yield Tick("Use AMD on the next calls", value=self.enabled, id="amd-on", compact=True)
            for name, label, path, default in FIELDS:
                value: Any = wire
                for part in path:
                    value = value.get(part, {}) if isinstance(value, dict) else {}
                with Horizontal(classes="field"):
                    yield Label(label, classes="label wide")
                    yield Input(str(value) if value != default else "", placeholder=f"{default} (default)",
                                id=f"amd-{name}", compact=True)
            with Horizontal(classes="field"):
                yield Label("Recognizer vendor", classes="label wide")
                yield Input(recognizer.vendor if recognizer else "", placeholder="the application's", id="amd-vendor",
                            compact=True)
            with Horizontal(classes="field"):
                yield Label("Recognizer language", classes="label wide")
                yield Input((recognizer.language or "") if recognizer else "", placeholder="en-US", id="amd-language",
                            compact=True)
            yield Label("", classes="error", id="amd-error")
        yield Footer(compact=True)

    def current(self) -> AmdOptions:
        """The options as typed over the ones it started with: what the editor does not show (an actionHook, the
        recognizer's label and vendor options) is kept. ValueError says what is wrong."""
        data: dict[str, Any] = self.options.model_dump(by_alias=True, exclude_none=True)
        data["timers"] = dict(data.get("timers") or {})
        for name, _, path, _ in FIELDS:
            text = self.query_one(f"#amd-{name}", Input).value.strip()
            holder = data["timers"] if len(path) == 2 else data
            holder.pop(path[-1], None)  # left empty: the documented default
            if not text:
                continue
            try:
                holder[path[-1]] = int(text)
            except ValueError:
                raise ValueError(f"{path[-1]}: {text!r} is not a whole number") from None
        vendor = self.query_one("#amd-vendor", Input).value.strip()
        language = self.query_one("#amd-language", Input).value.strip()
        recognizer = {k: v for k, v in (data.pop("recognizer", None) or {}).items() if k not in ("vendor", "language")}
        if vendor or language:
            data["recognizer"] = {**recognizer, "vendor": vendor, **({"language": language} if language else {})}
        try:
            return AmdOptions.model_validate(data)
        except ValidationError as exc:
            raise ValueError("; ".join(str(p) for p in problems_from(exc))) from None

    def _say(self, problem: str) -> None:
        label = self.query_one("#amd-error", Label)
        label.update(problem)
        label.set_class(bool(problem), "shown")

    @on(Input.Changed)
    def check(self) -> None:
        try:
            self.current()
            self._say("")
        except ValueError as exc:
            self._say(str(exc))

    def action_save(self) -> None:
        try:
            options = self.current()
        except ValueError as exc:
            self._say(str(exc))
            return
        self.dismiss((self.query_one("#amd-on", Checkbox).value, options))

    def action_cancel(self) -> None:
        self.dismiss(None)
