"""The console on a real history file, driven by Textual's pilot."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Static

from console.config import load_settings
from console.embedded import EmbeddedGateways
from console.store import Store
from console.ui.app import ConsoleApp
from tests.conftest import FrozenClock


async def test_the_console_shows_the_profile_and_the_history(store: Store, clock: FrozenClock) -> None:
    for to in ("+12125550101", "+12125550102"):
        call = await store.begin_attempt(profile="demo-cognigy", provider="cognigy", from_number="+12125550100", to_number=to)
    await store.attempt_failed(call.attempt_id, "gateway unreachable")
    app = ConsoleApp(load_settings(), store, EmbeddedGateways(), clock)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        summary = str(app.query_one("#summary", Static).render())
        assert "demo-cognigy" in summary and "embedded simulator at http://127.0.0.1:" in summary
        # The simulator really listens inside the console's process.
        import httpx

        info = app.embedded.running()["cognigy"]
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
    app = ConsoleApp(load_settings(cfg), store, EmbeddedGateways())
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
    app = ConsoleApp(load_settings(theme="ansi-dark"), store, EmbeddedGateways())
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.theme == "ansi-dark"
