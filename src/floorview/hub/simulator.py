"""The simulated floor moved to sources/simulator/floor.py (the simulator is a source); kept for old imports."""

from floorview.sources.simulator.floor import Floor, iso

__all__ = ["Floor", "iso"]
