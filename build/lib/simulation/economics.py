"""Public path of the cost functions (kept for users' scripts): see :mod:`simulation.sim.economics`."""

from simulation.sim.economics import shapley_value, union_game_shapley  # noqa: F401
