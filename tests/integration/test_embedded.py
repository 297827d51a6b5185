"""Simulators started inside the console's process, seeded from the embedded profiles."""

from __future__ import annotations

from pathlib import Path

import httpx

from console.config import load_settings
from console.simulator.embedded import EmbeddedGateways, seed_for

SID = "fef61e75-cec3-496c-a7bc-8368e4d02a04"
APP = "6b1d2c3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"


async def test_embedded_profiles_seed_their_simulator(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(f"""
[profiles.rehearsal]
provider = "cognigy"
base_url = "embedded"
account_sid = "{SID}"
numbers = [{{ number = "+12125550188", label = "campaign line" }}]
applications = [{{ id = "{APP}", name = "Renewals bot" }}]
[profiles.watson]
provider = "ibm"
base_url = "embedded"
agent_number = "+12125550160"
[profiles.obd]
provider = "mobtexting"
base_url = "embedded"
region = "IN"
applications = [{{ id = "900", name = "Survey", kind = "ivr" }}, {{ id = "promo-hi", kind = "audio" }}]
""")
    settings = load_settings(cfg)
    gateways = EmbeddedGateways(speed=100, seed=lambda mode: seed_for(settings, mode))
    try:
        sim = await gateways.for_provider("cognigy")
        assert await gateways.for_provider("ibm") is sim  # IBM and MOBtexting share the running simulator
        info = sim.info()
        assert info["account_sid"] == SID
        async with httpx.AsyncClient(
            base_url=sim.base_url, headers={"Authorization": f"Bearer {info['api_key']}"}
        ) as c:
            numbers = [n["number"] for n in (await c.get("/v1/PhoneNumbers")).json()]
            apps = {a["application_sid"]: a["name"] for a in (await c.get(f"/v1/Accounts/{SID}/Applications")).json()}
        assert "12125550188" in numbers and apps[APP] == "Renewals bot"
        assert sim.options.seed.ibm_agents["+12125550160"] is True
        assert {"900", "351"} <= set(
            sim.options.seed.mobtexting_flows
        ) and "promo-hi" in sim.options.seed.mobtexting_sounds
        jambonz = await gateways.for_provider("jambonz")
        assert jambonz is not sim and jambonz.options.mode == "jambonz"
        assert set(gateways.running()) == {"cognigy", "jambonz"}
    finally:
        await gateways.stop()
    assert gateways.running() == {}
