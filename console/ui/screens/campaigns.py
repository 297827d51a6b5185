"""Campaigns: every campaign in history with its progress, the selected one in detail (progress bar, calls
a minute as a sparkline, counts by outcome, achieved pace, ETA), and the keys to create, run here, pause,
resume, stop and look into one. What is shown is read from history each second, so a campaign run by
another process (`vgconsole campaign run`) shows here as well."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, ProgressBar, Sparkline, Static

from console.campaigns import ledger, progress
from console.campaigns.locks import AlreadyRunning, dialled_elsewhere
from console.campaigns.policy import LEFT_OUT, OUTCOMES
from console.campaigns.progress import Campaign
from console.clock import iso
from console.ui.screens.confirm import Confirm
from console.ui.widgets.footer import KeysFooter
from console.ui.widgets.tables import VimTable, number_cell

if TYPE_CHECKING:
    from console.services import Services

REFRESH_S = 1.0
SPARK_MINUTES = 30
PACE_MINUTES = 5


@dataclass(frozen=True)
class Seen:
    """One campaign as the screen last read it."""

    campaign: Campaign
    counts: dict[str, int]
    per_minute: list[int]  # attempts started in each of the last SPARK_MINUTES minutes, oldest first
    running_here: bool
    pace: float  # attempts a minute over the last PACE_MINUTES (or since the first of them)
    problem: str = ""  # the last turn that failed, when it runs here
    elsewhere: bool = False  # another vgconsole (or `campaign run`) is dialling it

    @property
    def idle(self) -> bool:
        """Active, yet nobody dials it (the console that ran it has quit): it waits for a run."""
        return self.campaign.state == "active" and not self.running_here and not self.elsewhere

    @property
    def total(self) -> int:
        return self.counts.get("callees", 0)

    @property
    def settled(self) -> int:
        return self.counts.get("done", 0) + self.counts.get("skipped", 0)

    def eta(self) -> str:
        left = self.counts.get("waiting", 0) - self.counts.get("window", 0) + self.counts.get("calling", 0)
        if self.campaign.state in ("done", "stopped") or left <= 0:
            return "-"
        if self.idle:
            return "idle"
        if self.campaign.state == "paused" or not self.pace:
            return "?"
        minutes = left / self.pace
        return f"{minutes:.0f} min" if minutes < 120 else f"{minutes / 60:.1f} h"


class CampaignsScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back", id="campaigns-back", tooltip="Back to where you were."),
        Binding("n", "new", "New", id="campaign-new", tooltip="A campaign from a CSV or TSV list."),
        Binding("r", "run_here", "Run here", id="campaign-run",
                tooltip="Dial it from this console (until it is done, stopped, or the console quits)."),
        Binding("p", "pause_resume", "Pause/resume", id="campaign-pause", tooltip="No new calls; again to go on."),
        Binding("X", "stop", "Stop", id="campaign-stop", tooltip="End it for good, after a yes."),
        Binding("enter", "open", "Callees", id="campaign-callees", tooltip="Each callee: outcome, tries, last call."),
    ]

    class Read(Message):
        def __init__(self, seen: list[Seen]) -> None:
            super().__init__()
            self.seen = seen

    def __init__(self, services: Services, *, read_only: bool) -> None:
        super().__init__()
        self.services = services
        self.read_only = read_only
        self.seen: list[Seen] = []
        self._changing = asyncio.Lock()
        self._select: int | None = None  # a campaign just made: the cursor goes to it once it is read

    def compose(self) -> ComposeResult:
        yield Static("campaigns", id="campaigns-title")
        yield VimTable(id="campaigns-table")
        with Vertical(id="campaign-detail"):
            yield Static("", id="campaign-line")
            yield ProgressBar(total=1, show_eta=False, id="campaign-progress")
            yield Sparkline([0], id="campaign-spark")
            yield Static("", id="campaign-outcomes")
        yield KeysFooter()

    def on_mount(self) -> None:
        table = self.query_one("#campaigns-table", VimTable)
        for label, width in (("campaign", 16), ("state", 9), ("settled", 11), ("answered", 8), ("waiting", 9),
                             ("/min", 5), ("eta", 7)):
            table.add_column(label, width=width, key=label)
        self.set_focus(table)
        self.refresh_all()
        self.set_interval(REFRESH_S, self.refresh_all)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("new", "run_here", "pause_resume", "stop") and self.read_only:
            return False
        return True

    # ------------------------------------------------------------ reading

    @work(thread=True, exclusive=True, group="campaigns-read", exit_on_error=False)
    def refresh_all(self) -> None:
        store = self.services.store
        now = self.app.clock()  # type: ignore[attr-defined]
        since = now - timedelta(minutes=SPARK_MINUTES)
        seen = []
        for campaign in store.read(progress.every):
            starts = store.read(progress.started_since, campaign.id, iso(since))
            per_minute = [0] * SPARK_MINUTES
            for started in starts:
                at = int((datetime.fromisoformat(started) - since).total_seconds() // 60)
                per_minute[min(max(at, 0), SPARK_MINUTES - 1)] += 1
            recent = [at for at in map(datetime.fromisoformat, starts) if at >= now - timedelta(minutes=PACE_MINUTES)]
            span = (now - recent[0]).total_seconds() / 60 if recent else 0.0
            pace = len(recent) / max(span, 0.5) if recent and campaign.state == "active" else 0.0
            runner = self.services.campaigns.running(campaign.id)
            elsewhere = (runner is None and campaign.state in ("active", "paused")
                         and dialled_elsewhere(store.path, campaign.id))
            seen.append(Seen(campaign, store.read(progress.counts, campaign.id), per_minute, runner is not None, pace,
                             runner.stats.last_error if runner is not None else "", elsewhere))
        self.post_message(self.Read(seen))

    @on(Read)
    def show(self, message: Read) -> None:
        self.seen = message.seen
        table = self.query_one("#campaigns-table", VimTable)
        keep = table.cursor_row
        chosen = self.chosen  # by key: the operator's sort puts rows elsewhere
        table.clear()
        for s in self.seen:
            state = s.campaign.state + ("*" if s.running_here else "+" if s.elsewhere else "")
            waiting = s.counts.get("waiting", 0)
            window = s.counts.get("window", 0)
            table.add_row(Text(s.campaign.name), Text(state, style=_STATE_STYLE.get(s.campaign.state, "")),
                          number_cell(s.settled / max(1, s.total), f"{s.settled}/{s.total}"),
                          number_cell(s.counts.get("outcome:answered", 0)),
                          f"{waiting}" + (f" ({window}h)" if window else ""), f"{s.pace:.1f}", s.eta(),
                          key=str(s.campaign.id))
        table.apply_sort()  # the operator's column, if one was chosen
        if self.seen:
            wanted = self._select if self._select is not None else chosen.campaign.id if chosen else None
            self._select = None
            table.move_cursor(row=table.get_row_index(str(wanted)) if str(wanted) in table.rows
                              else min(keep, len(self.seen) - 1))
        here = sum(s.running_here for s in self.seen)
        elsewhere = sum(s.elsewhere for s in self.seen)
        idle = sum(s.idle for s in self.seen)
        self.query_one("#campaigns-title", Static).update(Text.assemble(
            ("campaigns ", "bold"), f"{len(self.seen)} in history", f", {here} running here (*)" if here else "",
            f", {elsewhere} in another vgconsole (+)" if elsewhere else "",
            (f", {idle} active with nobody dialling (r runs one here)" if idle else "", "yellow"),
            ("  n new, r run here, p pause/resume, X stop, enter callees" if not self.seen else "", "dim")))
        self.show_detail()

    @property
    def chosen(self) -> Seen | None:
        table = self.query_one("#campaigns-table", VimTable)
        if not self.seen or table.cursor_row < 0 or not table.row_count:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return next((s for s in self.seen if str(s.campaign.id) == key), None)

    @on(DataTable.RowHighlighted)
    def show_detail(self) -> None:
        s = self.chosen
        line = self.query_one("#campaign-line", Static)
        for widget in ("#campaign-progress", "#campaign-spark", "#campaign-outcomes"):
            self.query_one(widget).display = s is not None
        if s is None:
            line.update(Text("no campaign yet: n makes one from a CSV or TSV list (or `vgconsole campaign create`)",
                             style="dim"))
            return
        plan = s.campaign.plan
        line.update(Text.assemble((s.campaign.name, "bold"), f" on {s.campaign.profile}: {plan.hours().describe()}; "
                                  f"at most {plan.per_minute:g}/min, {plan.max_live} at once; now {s.pace:.1f}/min, "
                                  f"eta {s.eta()}",
                                  ("  nobody dials it now: r runs it here" if s.idle else "", "yellow"),
                                  (f"  last problem: {s.problem}" if s.problem else "", "red"),
                                  overflow="fold"))
        bar = self.query_one("#campaign-progress", ProgressBar)
        bar.update(total=max(1, s.total), progress=s.settled)
        self.query_one("#campaign-spark", Sparkline).data = s.per_minute
        parts = [f"{s.counts[f'outcome:{o}']} {o.replace('_', ' ')}" for o in (*OUTCOMES, *LEFT_OUT)
                 if s.counts.get(f"outcome:{o}")]
        waiting = s.counts.get("waiting", 0)
        window = s.counts.get("window", 0)
        attempts = s.counts.get("attempts", 0)
        self.query_one("#campaign-outcomes", Static).update(Text(
            f"{s.counts.get('calling', 0)} calling, {waiting} waiting ({window} for their hours); "
            f"{attempts} call{'' if attempts == 1 else 's'}; " + (", ".join(parts) or "no outcome yet")
            + f"   calls a minute, last {SPARK_MINUTES} min"))

    # ------------------------------------------------------------ acting

    def action_new(self) -> None:
        from console.ui.screens.campaign_form import CampaignForm

        self.app.push_screen(CampaignForm(self.services), self.made)

    def made(self, campaign: Campaign | None) -> None:
        if campaign is not None:
            self._run(campaign)

    def action_run_here(self) -> None:
        s = self.chosen
        if s is None:
            return
        if s.campaign.state == "done" or (s.campaign.state == "stopped" and not s.counts.get("calling")):
            self.notify(f"campaign {s.campaign.name} is {s.campaign.state}: nothing left to dial", timeout=4)
            return
        going = s.counts.get("calling", 0) if s.campaign.state == "stopped" else 0
        self._run(s.campaign, going)

    def _run(self, campaign: Campaign, going: int = 0) -> None:
        """Dial it here; `going`: it is stopped, and only its calls still going are followed to their end."""
        self._select = campaign.id
        try:
            self.services.campaigns.start(campaign)
        except AlreadyRunning as exc:
            self.notify(str(exc), severity="warning", timeout=6)
            return
        if going:
            self.notify(f"campaign {campaign.name} is stopped: following its {going} call(s) still going to "
                        "their end here; nobody else is called", timeout=5)
        else:
            self.notify(f"campaign {campaign.name} dialling from this console", timeout=3)
        self.refresh_all()

    @work(group="campaign-state", exit_on_error=False)
    async def set_state(self, campaign: Campaign, state: str | None) -> None:
        """`state` None: pause it if it dials, resume it if paused, as history has it now (what the screen last
        read may be a second old: p twice must resume, whatever the refresh)."""
        store = self.services.store
        async with self._changing:  # one after the other, in the order pressed
            if state is None:
                was = await asyncio.to_thread(store.read, progress.state, campaign.id)
                state = "active" if was == "paused" else "paused"
            now = await store.write(ledger.set_state, campaign.id, state)
        said = {"paused": "paused: no new calls", "active": "resumed", "stopped": "stopped: nobody else is called"}
        self.notify(f"campaign {campaign.name} {said[now]}" if now == state else
                    f"campaign {campaign.name} is {now}: left as it is", timeout=3)
        self.refresh_all()

    def action_pause_resume(self) -> None:
        s = self.chosen
        if s is not None:
            self.set_state(s.campaign, None)

    def action_stop(self) -> None:
        s = self.chosen
        if s is None or s.campaign.state in ("done", "stopped"):
            return
        left = s.counts.get("waiting", 0)
        campaign = s.campaign

        def answered(yes: bool | None) -> None:
            if yes:
                self.set_state(campaign, "stopped")

        self.app.push_screen(Confirm(f"Stop campaign {campaign.name} for good? {left} callee(s) waiting will not be "
                                     "called (calls going on end as they will).", yes="Stop"), answered)

    @on(DataTable.RowSelected, "#campaigns-table")
    def selected(self) -> None:  # enter on the table (the table's own binding answers it first)
        self.action_open()

    def action_open(self) -> None:
        from console.ui.screens.campaign_callees import CampaignCallees

        s = self.chosen
        if s is not None:
            self.app.push_screen(CampaignCallees(self.services.store, s.campaign))


_STATE_STYLE = {"active": "green", "paused": "yellow", "stopped": "dim", "done": "bold"}
