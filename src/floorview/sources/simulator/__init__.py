"""The simulated floor as a source: the demo's and `floorview hub --simulate`'s."""

from floorview.sources.simulator.source import FloorModel, SimulatorSource

__all__ = ["FloorModel", "SimulatorSource"]
