"""Answering-machine detection: on or off, and its options with jambonz's documented defaults."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label

from console.problems import problems_from
from console.request_parts import AmdOptions
from console.ui.widgets.footer import KeysFooter
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
# A problem's field (AmdOptions' own names) -> the input it is shown under.
INPUT_OF = {
    "threshold_word_count": "threshold", "digit_count": "digits", "timers.no_speech_timeout_ms": "no_speech",
    "timers.decision_timeout_ms": "decision", "timers.tone_timeout_ms": "tone",
    "timers.greeting_completion_timeout_ms": "greeting", "recognizer.vendor": "vendor",
    "recognizer.language": "language",
}
SHOWN = (*(name for name, *_ in FIELDS), "vendor", "language")


class AmdProblems(ValueError):
    """What is wrong, by the input it belongs to ("" for the options as a whole)."""

    def __init__(self, problems: dict[str, str]):
        super().__init__("; ".join(problems.values()))
        self.problems = problems


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
                yield Label("", classes="error", id=f"amd-error-{name}")
            with Horizontal(classes="field"):
                yield Label("Recognizer vendor", classes="label wide")
                yield Input(recognizer.vendor if recognizer else "", placeholder="the application's", id="amd-vendor",
                            compact=True)
            yield Label("", classes="error", id="amd-error-vendor")
            with Horizontal(classes="field"):
                yield Label("Recognizer language", classes="label wide")
                yield Input((recognizer.language or "") if recognizer else "", placeholder="en-US", id="amd-language",
                            compact=True)
            yield Label("", classes="error", id="amd-error-language")
            yield Label("", classes="error", id="amd-error")
        yield KeysFooter()

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#amd-on"))  # now: keys typed right after F6 land here

    def current(self) -> AmdOptions:
        """The options as typed over the ones it started with: what the editor does not show (an actionHook, the
        recognizer's label and vendor options) is kept. AmdProblems says what is wrong, by input."""
        data: dict[str, Any] = self.options.model_dump(by_alias=True, exclude_none=True)
        data["timers"] = dict(data.get("timers") or {})
        found: dict[str, str] = {}
        for name, _, path, _ in FIELDS:
            text = self.query_one(f"#amd-{name}", Input).value.strip()
            holder = data["timers"] if len(path) == 2 else data
            holder.pop(path[-1], None)  # left empty: the documented default
            if not text:
                continue
            try:
                holder[path[-1]] = int(text)
            except ValueError:
                found[name] = f"{text!r} is not a whole number"
        vendor = self.query_one("#amd-vendor", Input).value.strip()
        language = self.query_one("#amd-language", Input).value.strip()
        recognizer = {k: v for k, v in (data.pop("recognizer", None) or {}).items() if k not in ("vendor", "language")}
        if language and not vendor:
            found["vendor"] = "a recognizer language needs its vendor"
        elif vendor or language:
            data["recognizer"] = {**recognizer, "vendor": vendor, **({"language": language} if language else {})}
        if not found:
            try:
                return AmdOptions.model_validate(data)
            except ValidationError as exc:
                for problem in problems_from(exc):
                    found.setdefault(INPUT_OF.get(problem.field, ""), problem.message)
        raise AmdProblems(found)

    def _say(self, problems: dict[str, str]) -> None:
        """Each problem under the input it belongs to; the rest under the whole."""
        for name in (*SHOWN, ""):
            label = self.query_one(f"#amd-error-{name}" if name else "#amd-error", Label)
            label.update(problems.get(name, ""))
            label.set_class(bool(problems.get(name)), "shown")

    @on(Input.Changed)
    def check(self) -> None:
        try:
            self.current()
            self._say({})
        except AmdProblems as exc:
            self._say(exc.problems)

    def action_save(self) -> None:
        """Refused while a value is wrong: the problem is said under it and the cursor goes there."""
        try:
            options = self.current()
        except AmdProblems as exc:
            self._say(exc.problems)
            first = next((name for name in SHOWN if name in exc.problems), None)
            if first is not None:
                self.set_focus(self.query_one(f"#amd-{first}", Input))
            return
        self.dismiss((self.query_one("#amd-on", Checkbox).value, options))

    def action_cancel(self) -> None:
        self.dismiss(None)
