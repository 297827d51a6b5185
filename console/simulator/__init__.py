"""The embedded gateway: Cognigy/jambonz, IBM Voice Gateway and MOBtexting APIs on loopback,
a call engine with deterministic outcomes, and real signed webhooks."""

from console.simulator.seed import Seed
from console.simulator.server import Simulator, SimulatorOptions

__all__ = ["Seed", "Simulator", "SimulatorOptions"]
