"""A new campaign from the console: its list, profile, hours, pace and retries, checked as
`vgconsole campaign create` checks them (every bad row of the list said with its line); created only
when all of it is right, then dialled from this console."""

from __future__ import annotations

import asyncio
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select

from console.campaigns import ledger, progress
from console.campaigns.callees import printable, read_list
from console.campaigns.progress import Campaign
from console.campaigns.setup import SetupProblems, from_calls, from_file, plan_from, retries_from
from console.records import CallRecord, StoreError
from console.ui.widgets.footer import KeysFooter
from console.ui.widgets.tick import Tick

if TYPE_CHECKING:
    from console.services import Services

SHOWN_PROBLEMS = 8
# A problem's field -> the input the cursor goes to.
FOCUS = {"name": "#cf-name", "file": "#cf-file", "path": "#cf-file", "profile": "#cf-profile", "hours": "#cf-hours",
         "retries": "#cf-retries", "plan": "#cf-per-minute", "request": "#cf-profile"}


class CampaignForm(ModalScreen[Campaign | None]):
    BINDINGS = [
        Binding("ctrl+g", "create", "Create", id="campaign-create", priority=True,
                tooltip="Check everything, create the campaign and dial it from this console."),
        Binding("escape", "cancel", "Cancel", id="campaign-form-cancel", tooltip="Leave without a campaign."),
    ]

    def __init__(self, services: Services, calls: list[CallRecord] | None = None, described: str = "") -> None:
        """`calls`: a campaign of these calls' numbers (from History) instead of a list file."""
        super().__init__()
        self.services = services
        self.calls = calls
        self.described = described
        self.working = False

    def compose(self) -> ComposeResult:
        settings = self.services.settings
        profile = getattr(self.app, "profile_name", None) or settings.default_profile or next(iter(settings.profiles))
        with Vertical(classes="dialog editor", id="campaign-form"):
            yield Label("New campaign  (ctrl+g create and dial, esc cancel)", classes="question")
            yield from self._row("Name", Input(placeholder="winter-renewals", id="cf-name", compact=True))
            if self.calls is None:
                yield from self._row("List file", Input(placeholder="~/callees.csv (CSV/TSV: a number column)",
                                                             id="cf-file", compact=True))
            else:
                yield from self._row("Callees", Label(Text(f"the numbers of {len(self.calls)} call(s): "
                                                           f"{printable(self.described)}"), id="cf-calls"))
            yield from self._row("Profile", Select([(p, p) for p in settings.profiles], value=profile,
                                                   allow_blank=False, id="cf-profile", compact=True))
            yield from self._row("Hours", Input("09:00-20:00", id="cf-hours", compact=True))
            yield from self._row("Days", Input("mon-fri", placeholder="mon-fri, mon,wed,sat, all", id="cf-days",
                                               compact=True))
            yield from self._row("Per minute", Input("10", id="cf-per-minute", type="number", compact=True))
            yield from self._row("At once", Input("5", id="cf-max-live", type="integer", compact=True))
            yield from self._row("Retries", Input(placeholder="busy=2@10m no_answer=2@30m (defaults)",
                                                  id="cf-retries", compact=True))
            yield Tick("AMD: a machine is its own outcome", id="cf-amd", compact=True)
            with VerticalScroll(id="cf-problems-box"):
                yield Label("", classes="error", id="cf-problems")
        yield KeysFooter()

    def _row(self, label: str, widget: Any) -> ComposeResult:
        with Horizontal(classes="field"):
            yield Label(label, classes="label")
            yield widget

    def on_mount(self) -> None:
        self.set_focus(self.query_one("#cf-name"))

    def _value(self, wid: str) -> str:
        return self.query_one(wid, Input).value.strip()

    def _say(self, problems: list[str], field: str = "") -> None:
        shown = problems[:SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        label = self.query_one("#cf-problems", Label)
        # plain and printable: the problems quote the list's cells, which may hold markup or escape sequences
        label.update(Text("\n".join(printable(p) for p in shown)
                          + (f"\n… and {more} more: `vgconsole campaign plan FILE` lists them all" if more else "")))
        label.set_class(bool(problems), "shown")
        if field in FOCUS and self.query(FOCUS[field]):
            self.query_one(FOCUS[field]).focus()

    def action_create(self) -> None:
        if not self.working:
            self.working = True
            self.create()

    @work(exclusive=True, group="campaign-create", exit_on_error=False)
    async def create(self) -> None:
        try:
            campaign = await self._create()
        finally:
            self.working = False
        if campaign is not None:
            self.dismiss(campaign)

    async def _create(self) -> Campaign | None:
        settings = self.services.settings
        name = self._value("#cf-name")
        profile = str(self.query_one("#cf-profile", Select).value)
        path_text = self._value("#cf-file") if self.calls is None else ""
        try:
            if not name:
                raise SetupProblems(["name: give the campaign a name"], "name")
            if not path_text and self.calls is None:
                raise SetupProblems(["list: the path of a CSV or TSV file with a number column"], "path")
            try:
                per_minute = float(self._value("#cf-per-minute"))
                max_live = int(self._value("#cf-max-live"))
            except ValueError:
                raise SetupProblems(["calls a minute and at once: numbers, such as 10 and 5"], "plan") from None
            plan = plan_from(window=self._value("#cf-hours"), days=self._value("#cf-days") or "mon-fri",
                             per_minute=per_minute, max_live=max_live, retries=retries_from(self._value("#cf-retries")),
                             amd=self.query_one("#cf-amd", Tick).value)
            if self.calls is not None:
                made = await asyncio.to_thread(partial(from_calls, settings, name, profile, self.calls, plan,
                                                       source=self.described, redact=self.services.store.redact))
            else:
                path = Path(path_text)
                data = await asyncio.to_thread(_read, path)
                made = await asyncio.to_thread(partial(from_file, settings, name, profile, data, plan, source=path.name,
                                                       redact=self.services.store.redact))
            store = self.services.store
            await store.write(ledger.create, made.campaign, made.rows)
            found = await asyncio.to_thread(store.read, progress.find, made.campaign["name"])
        except SetupProblems as exc:
            lines = exc.problems if exc.field != "file" or not path_text else [
                f"{path_text}: {len(exc.problems)} row(s) cannot be used; nothing was created:", *exc.problems]
            self._say(lines, exc.field)
            return None
        except StoreError as exc:
            self._say([str(exc)], "name")
            return None
        merged = f" ({made.merged} duplicate(s) merged)" if made.merged else ""
        self.notify(f"campaign {name}: {len(made.rows)} callee(s){merged}", timeout=4)
        return found

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted)
    def submitted(self) -> None:
        self.action_create()


def _read(path: Path) -> bytes:
    try:
        return read_list(path.expanduser())
    except OSError as exc:
        raise SetupProblems([f"cannot read {path}: {exc.strerror or exc}"], "path") from None
