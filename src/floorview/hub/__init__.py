"""The reference upstream and the simulated floor that drives demos and seeds."""
