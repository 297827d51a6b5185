"""Dialing from the form: every outcome in the simulator's digit table reaches its final row."""

from __future__ import annotations

from console.status import CallStatus
from console.store import Store
from tests.ui.conftest import console, dial, final_row, notes, type_into


async def test_every_demo_outcome_reaches_its_final_row(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        expected = {
            "+12125550101": ("completed", CallStatus.COMPLETED, 200),
            "+12125550102": ("busy 486", CallStatus.BUSY, 486),
            "+12125550103": ("no answer 487", CallStatus.NO_ANSWER, 487),
            "+12125550104": ("failed 404", CallStatus.FAILED, 404),
        }
        for number, (cell, status, sip) in expected.items():
            call = await dial(pilot, number, keys=number.endswith("01"))
            shown = await final_row(pilot, call.attempt_id)
            stored = live_store.call(call.attempt_id)
            assert (shown["to"], shown["status"], shown["amd"]) == (number, cell, ""), number
            assert (stored.status, stored.sip_status) == (status, sip), number
            assert shown["from"] == "+12125550100"
        # 06 stays up until hung up or until its time limit
        await type_into(pilot, "time_limit", "3")
        call = await dial(pilot, "+12125550106")
        shown = await final_row(pilot, call.attempt_id)
        assert shown["status"] == "completed" and live_store.call(call.attempt_id).request["body"]["timeLimit"] == 3
        assert not [n for n in notes(app) if "error" in n.lower()]


async def test_amd_reports_a_machine_and_a_person(live_store: Store) -> None:
    async with console(live_store) as (app, pilot):
        await pilot.press("f6")
        await pilot.press("space")  # the editor opens on its on/off switch
        await pilot.press("ctrl+g")
        await pilot.pause()
        assert app.query_one("#f-amd").value is True
        machine = await dial(pilot, "+12125550105", key="f5")
        person = await dial(pilot, "+12125550101")
        assert (await final_row(pilot, machine.attempt_id))["amd"] == "machine"
        assert (await final_row(pilot, person.attempt_id))["amd"] == "human"
        assert live_store.call(machine.attempt_id).amd_result.value == "machine"
