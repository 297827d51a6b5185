"""The console on a real history file, driven by Textual's pilot."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from console.config import load_settings
from console.services import Services
from console.store import Store
from console.ui.app import ConsoleApp
from tests.conftest import FrozenClock


async def test_the_console_shows_the_profile_and_the_history(store: Store, clock: FrozenClock) -> None:
    for to in ("+12125550101", "+12125550102"):
        call = await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100", to_number=to)
    await store.attempt_failed(call.attempt_id, "gateway unreachable")
    settings = load_settings(receiver={"port": 0})
    app = ConsoleApp(settings, Services.build(settings, store, key=b"k"), clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = str(app.query_one("#summary", Static).render())
        assert "demo-cognigy" in summary and "embedded simulator at http://127.0.0.1:" in summary
        # The simulator really listens inside the console's process.
        import httpx

        info = app.services.embedded.running()["cognigy"]
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{info['base_url']}/v1/PhoneNumbers",
                                      headers={"Authorization": f"Bearer {info['api_key']}"})
        assert answer.status_code == 200 and answer.json()[0]["number"] == "12125550100"
        table = app.query_one("#history", DataTable)
        assert table.row_count == 2
        first = table.get_row_at(0)
        assert (str(first[1]), str(first[3])) == ("failed", "+12125550102")  # newest first
        assert table.border_title == "history: 2 call(s)"
        assert app.theme == "vgconsole-dark"


async def test_keymap_and_an_unknown_theme(tmp_path: Path, store: Store) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text('theme = "no-such-theme"\n[keymap]\nrefresh = "f5"\n')
    settings = load_settings(cfg, receiver={"port": 0})
    app = ConsoleApp(settings, Services.build(settings, store, key=b"k"))
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "vgconsole-dark"
        assert any("no theme named 'no-such-theme'" in n.message for n in app._notifications)
        await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100", to_number="+12125550109")
        await pilot.press("f5")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.query_one("#history", DataTable).row_count == 1


async def test_ansi_dark_works_for_ssh_sessions(store: Store) -> None:
    settings = load_settings(theme="ansi-dark", receiver={"port": 0})
    app = ConsoleApp(settings, Services.build(settings, store, key=b"k"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "ansi-dark"


async def test_the_receiver_runs_in_the_console_and_a_busy_port_is_shown(store: Store) -> None:
    import socket

    settings = load_settings(receiver={"port": 0})
    app = ConsoleApp(settings, Services.build(settings, store, key=b"k"))
    async with app.run_test(size=(100, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        receiver = app.services.receiver
        assert receiver.state.value == "listening"
        assert f"listening on {receiver.address}" in str(app.query_one("#summary", Static).render())
    assert receiver.state.value == "stopped"  # stopped with the console
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = load_settings(receiver={"port": taken.getsockname()[1]})
        app = ConsoleApp(busy, Services.build(busy, store, key=b"k"))
        async with app.run_test(size=(100, 24), notifications=True) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert "port busy: port" in str(app.query_one("#summary", Static).render())
            assert any("already in use" in n.message for n in app._notifications)
            assert app.query_one("#history", DataTable) is not None  # the console works on


async def test_a_call_placed_through_the_services_shows_up_live(store: Store) -> None:
    from console.compose import compose

    settings = load_settings(receiver={"port": 0}, simulator={"speed": 200})
    app = ConsoleApp(settings, Services.build(settings, store, key=b"k"))
    async with app.run_test(size=(100, 24)) as pilot:
        await app.workers.wait_for_complete()
        outcome = await app.services.dialer.place("demo-cognigy", compose(settings, "demo-cognigy", to="+12125550102"))
        assert outcome.placed
        table = app.query_one("#history", DataTable)
        for _ in range(200):  # bounded: the busy outcome arrives within a few ms at speed 200
            await pilot.pause(0.02)
            if table.row_count and str(table.get_row_at(0)[1]) == "busy":
                break
        assert str(table.get_row_at(0)[1]) == "busy"
