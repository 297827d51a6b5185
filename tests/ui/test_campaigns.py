"""The campaigns screen: a campaign made from the form (its list checked row by row first), dialled from the
console, paused, resumed, watched to the end; its callees and their calls; stopping it after a yes."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Label

from console.campaigns import ledger, progress
from console.campaigns.policy import Plan
from console.store import Store
from console.ui.screens.call_detail import CallDetailScreen
from console.ui.screens.campaign_callees import CampaignCallees
from console.ui.screens.campaign_form import CampaignForm
from console.ui.screens.campaigns import CampaignsScreen
from console.ui.screens.confirm import Confirm
from tests.ui.conftest import console, dial, until


def fill(form: CampaignForm, **values: str) -> None:
    for name, value in values.items():
        form.query_one(f"#cf-{name}", Input).value = value


async def made_on_screen(pilot: Pilot, name: str, listed: Path, *, per_minute: int) -> CampaignsScreen:
    """`:campaigns`, `n`, the form filled (any hour, any day) and saved: the campaigns screen, showing it."""
    app = pilot.app
    await pilot.press("colon", *"campaigns", "enter")
    await until(pilot, lambda: isinstance(app.screen, CampaignsScreen), "the campaigns screen")
    screen = app.screen
    assert isinstance(screen, CampaignsScreen)
    await pilot.press("n")
    await until(pilot, lambda: isinstance(app.screen, CampaignForm), "the form")
    fill(app.screen, name=name, file=str(listed), hours="00:00-24:00", days="all",
         **{"per-minute": str(per_minute)})
    await pilot.press("ctrl+g")
    await until(pilot, lambda: app.screen is screen and screen.seen, "the campaign shown")
    return screen


async def test_a_campaign_made_from_the_form_is_dialled_paused_resumed_and_watched_to_the_end(
        live_store: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("number\n+12125550101\n+1 212\nnope\n")
    good = tmp_path / "good.csv"
    good.write_text("number,name\n" + "".join(f"+1212555{n}01,n{n}\n" for n in range(10, 22)))
    async with console(live_store, size=(80, 24)) as (app, pilot):
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, CampaignsScreen), "the campaigns screen")
        screen = app.screen
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, CampaignForm), "the form")
        form = app.screen
        assert isinstance(form, CampaignForm)
        fill(form, name="winter", file=str(bad), hours="00:00-24:00", days="all", **{"per-minute": "300"})
        await pilot.press("ctrl+g")
        problems = form.query_one("#cf-problems", Label)
        await until(pilot, lambda: "line 3" in str(problems.render()), "the bad rows said")
        said = str(problems.render())
        assert "2 row(s) cannot be used; nothing was created" in said and "line 4: nope" in said
        assert app.focused is form.query_one("#cf-file")  # the cursor where the problem is
        assert live_store.read(progress.every) == []  # nothing half-made
        fill(form, file=str(good), retries="busy=0")
        await pilot.press("ctrl+g")
        await until(pilot, lambda: app.screen is screen, "back on the campaigns")
        campaign = live_store.read(progress.find, "winter")
        assert campaign is not None and app.services.campaigns.running(campaign.id) is not None
        await until(pilot, lambda: any(s.counts.get("attempts") for s in screen.seen), "the first calls")
        for _ in range(2):  # typed faster than the screen rereads history: paused, then resumed
            app.post_message(events.Key("p", "p"))
        said = ("winter paused", "winter resumed", "left as it is")
        await until(pilot, lambda: sum(any(w in n.message for w in said) for n in app._notifications) >= 2, "both")
        assert live_store.read(progress.state, campaign.id) == "active"
        await pilot.press("p")
        await until(pilot, lambda: live_store.read(progress.state, campaign.id) == "paused", "paused")
        await pilot.pause(0.5)
        placed = live_store.read(progress.counts, campaign.id)["attempts"]
        await pilot.pause(0.5)  # a 300 a minute pace would have placed more
        assert live_store.read(progress.counts, campaign.id)["attempts"] == placed < 12
        await pilot.press("p")
        try:
            await until(pilot, lambda: live_store.read(progress.state, campaign.id) == "done", "done", timeout=30)
        except AssertionError as exc:  # where it stands, to tell a slow machine from a stuck campaign
            runner = app.services.campaigns.running(campaign.id)
            calling = [(c.number, call and call.status) for c, call in live_store.read(progress.calling, campaign.id)]
            raise AssertionError(f"{exc}: {live_store.read(progress.counts, campaign.id)}, calling {calling}, "
                                 f"runner {runner and runner.stats}") from None
        await until(pilot, lambda: screen.seen and screen.seen[0].campaign.state == "done", "shown done")
        assert screen.seen[0].counts["outcome:answered"] == 12
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CampaignCallees), "the callees")
        callees = app.screen
        await until(pilot, lambda: len(callees.rows) == 12, "every callee")
        assert {(r["state"], r["outcome"], r["tries"]) for r in callees.rows} == {("done", "answered", 1)}
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CallDetailScreen), "the callee's call")
        await pilot.press("escape", "escape")
        await until(pilot, lambda: app.screen is screen, "back on the campaigns")


async def test_stopping_a_campaign_asks_first_and_leaves_nobody_waiting(live_store: Store, tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("number\n" + "".join(f"+1212555{n}01\n" for n in range(10, 40)))
    async with console(live_store, size=(80, 24)) as (app, pilot):
        # an earlier campaign, first in the list: the keys act on the one just made, where the cursor goes
        await live_store.write(ledger.create, {"name": "earlier", "profile": "demo-cognigy", "state": "paused",
                                               "plan": json.dumps(Plan().to_json()), "source": "test"},
                               [(2, "+12125550101", None, "{}")])
        await made_on_screen(pilot, "slow", listed, per_minute=30)
        await pilot.press("X")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "a question first")
        assert "Stop campaign slow for good?" in app.screen.question
        await pilot.press("n")  # the safe answer: nothing changes
        campaign = live_store.read(progress.find, "slow")
        assert campaign is not None and live_store.read(progress.state, campaign.id) == "active"
        await pilot.press("X", "y")
        await until(pilot, lambda: live_store.read(progress.state, campaign.id) == "stopped", "stopped")
        await until(pilot, lambda: app.services.campaigns.running(campaign.id) is None, "no longer dialling")
        counts = live_store.read(progress.counts, campaign.id)
        assert counts.get("waiting", 0) == 0 and counts.get("calling", 0) == 0
        assert counts["outcome:stopped"] > 20  # at 30 a minute, most were never called


async def test_a_campaign_of_the_calls_marked_in_history(live_store: Store) -> None:
    from console.ui.screens.history import HistoryScreen

    async with console(live_store, size=(80, 24)) as (app, pilot):
        for number in ("+12125550103", "+12125550102", "+12125550103", "+12125550101"):
            await dial(pilot, number)
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, HistoryScreen) and len(app.screen.calls) == 4, "history")
        await pilot.press("space", "j", "space", "j", "space")  # the newest three: 0101, 0103, 0102
        await pilot.press("C")
        await until(pilot, lambda: isinstance(app.screen, CampaignForm), "the form")
        form = app.screen
        assert "the numbers of 3 call(s): history: 3 marked call(s)" in str(form.query_one("#cf-calls").render())
        fill(form, name="again", hours="00:00-24:00", days="all", retries="busy=0 no_answer=0", **{"per-minute": "300"})
        await pilot.press("ctrl+g")
        await until(pilot, lambda: isinstance(app.screen, CampaignsScreen), "the campaigns screen")
        campaign = live_store.read(progress.find, "again")
        assert campaign is not None and campaign.source == "history: 3 marked call(s)"
        rows = live_store.read(progress.results, campaign.id)
        assert sorted(r["number"] for r in rows) == ["+12125550101", "+12125550102", "+12125550103"]
        await until(pilot, lambda: live_store.read(progress.state, campaign.id) == "done", "dialled", timeout=30)


async def test_names_and_cells_are_shown_as_written_never_as_markup_or_terminal_codes(
        live_store: Store, tmp_path: Path) -> None:
    await live_store.write(ledger.create, {"name": "[/x]", "profile": "demo-cognigy", "state": "paused",
                                           "plan": json.dumps(Plan().to_json()), "source": "test"},
                           [(2, "+12125550101", None, "{}")])
    escaped = tmp_path / "esc.csv"
    escaped.write_text("number\n\x1b[2J+12125550102\n")
    async with console(live_store, size=(80, 24)) as (app, pilot):
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, CampaignsScreen) and app.screen.seen, "the campaigns")
        screen = app.screen
        await pilot.press("X")  # the question quotes the name: it crashed the console as markup
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        assert "Stop campaign [/x] for good?" in str(app.screen.query_one(Label).render())
        await pilot.press("n")
        await until(pilot, lambda: app.screen is screen, "back")
        await pilot.press("p")  # a toast naming it
        await until(pilot, lambda: any("[/x]" in n.message for n in app._notifications), "the toast")
        await pilot.press("n")
        await until(pilot, lambda: isinstance(app.screen, CampaignForm), "the form")
        form = app.screen
        fill(form, name="esc", file=str(escaped), hours="00:00-24:00", days="all")
        await pilot.press("ctrl+g")
        problems = form.query_one("#cf-problems", Label)
        await until(pilot, lambda: "line 2" in str(problems.render()), "the bad row said")
        assert "?[2J+12125550102" in str(problems.render()) and "\x1b" not in str(problems.render())


async def test_the_keys_act_on_the_campaign_under_the_cursor_after_a_sort_and_a_refresh(live_store: Store) -> None:
    for name in ("b-campaign", "a-campaign"):
        await live_store.write(ledger.create, {"name": name, "profile": "demo-cognigy", "state": "paused",
                                               "plan": json.dumps(Plan().to_json()), "source": "test"},
                               [(2, "+12125550101", None, "{}")])
    async with console(live_store, size=(80, 24)) as (app, pilot):
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, CampaignsScreen) and len(app.screen.seen) == 2, "both")
        screen = app.screen
        assert screen.chosen is not None and screen.chosen.campaign.name == "b-campaign"  # the first made
        await pilot.press("s")  # by name: a-campaign first; the cursor stays with b-campaign
        await pilot.pause(1.5)  # the screen rereads history each second
        assert screen.chosen is not None and screen.chosen.campaign.name == "b-campaign"
        await pilot.press("p")
        b = live_store.read(progress.find, "b-campaign")
        assert b is not None
        await until(pilot, lambda: live_store.read(progress.state, b.id) == "active", "b resumed, a left alone")
        a = live_store.read(progress.find, "a-campaign")
        assert a is not None and live_store.read(progress.state, a.id) == "paused"


async def test_running_a_stopped_campaign_says_it_only_follows_the_calls_still_going(live_store: Store,
                                                                                      tmp_path: Path) -> None:
    from tests.ui.conftest import notes

    listed = tmp_path / "list.csv"
    listed.write_text("number\n+12125550106\n+12125551106\n")  # both answer and stay until hung up
    async with console(live_store, size=(80, 24)) as (app, pilot):
        await made_on_screen(pilot, "staying", listed, per_minute=600)
        campaign = live_store.read(progress.find, "staying")
        assert campaign is not None
        await until(pilot, lambda: live_store.read(progress.counts, campaign.id).get("calling", 0) == 2, "both called")
        await pilot.press("X", "y")
        await until(pilot, lambda: live_store.read(progress.state, campaign.id) == "stopped", "stopped")
        await app.services.campaigns.stop()  # as a console closed and opened again finds it: nobody following
        await until(pilot, lambda: app.services.campaigns.running(campaign.id) is None, "no longer dialling")
        await pilot.pause(1.2)  # the screen's next look at history: the two calls still going
        await pilot.press("r")
        await until(pilot, lambda: any("staying" in n and "still going" in n for n in notes(app)), "what r does")
        assert not any("dialling from this console" in n for n in notes(app)[-1:]), notes(app)


async def test_quitting_while_a_campaign_is_dialled_here_asks_and_the_list_says_who_dials_what(
        live_store: Store, tmp_path: Path) -> None:
    import fcntl

    from console.campaigns.locks import lock_path

    listed = tmp_path / "list.csv"
    listed.write_text("number\n+12125550106\n" + "".join(f"+1212555{n}03\n" for n in range(10, 15)))  # answers, stays
    async with console(live_store, size=(100, 30)) as (app, pilot):
        screen = await made_on_screen(pilot, "spring", listed, per_minute=1)
        campaign = live_store.read(progress.find, "spring")
        assert campaign is not None and app.services.campaigns.running(campaign.id) is not None
        assert stat.S_IMODE(lock_path(live_store.path, campaign.id).stat().st_mode) == 0o600  # a side file of history
        table = screen.query_one("#campaigns-table")

        def state() -> str:
            return str(table.get_row_at(0)[1])

        await until(pilot, lambda: state() == "active*", "dialled here")
        await pilot.press("escape", "ctrl+q")
        await until(pilot, lambda: isinstance(app.screen, Confirm), "the question")
        assert "campaign spring is dialled from this console: nobody dials it once you leave" in app.screen.question
        await pilot.press("n")
        await until(pilot, lambda: app.screen is app.main, "still here")

        await app.services.campaigns.stop()  # as after a restart: nobody dials it
        await pilot.press("f11")
        await until(pilot, lambda: isinstance(app.screen, CampaignsScreen), "the campaigns screen")
        screen = app.screen
        table = screen.query_one("#campaigns-table")
        await until(pilot, lambda: screen.seen and screen.seen[0].idle, "seen idle")
        await pilot.pause()
        assert state() == "active" and str(table.get_row_at(0)[6]) == "idle"
        assert "1 active with nobody dialling (r runs one here)" in str(screen.query_one("#campaigns-title").render())
        assert "nobody dials it now: r runs it here" in str(screen.query_one("#campaign-line").render())
        assert "; 1 call; " in str(screen.query_one("#campaign-outcomes").render())  # one attempt so far

        with lock_path(live_store.path, campaign.id).open("a") as held:  # as another vgconsole dialling it
            fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
            await until(pilot, lambda: state() == "active+", "dialled elsewhere")
            assert "1 in another vgconsole (+)" in str(screen.query_one("#campaigns-title").render())
            assert str(table.get_row_at(0)[6]) != "idle"
        # a callee whose call ended while nobody dialled the campaign says why it still reads `calling`
        (staying,) = [c for c in live_store.page() if c.to_number == "+12125550106"]
        await app.services.dialer.hangup(live_store.call(staying.attempt_id))
        await until(pilot, lambda: live_store.call(staying.attempt_id).status.final, "its end at the gateway")
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, CampaignCallees), "the callees")
        callees = app.screen.query_one("#callees-table")
        await until(pilot, lambda: any(str(callees.get_row_at(i)[6]) == "ended: settles on next run"
                                       for i in range(callees.row_count)), "the note")
