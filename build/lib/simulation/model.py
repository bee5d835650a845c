"""Public path of the model (kept for users' scripts): see :mod:`simulation.sim.model`."""

from simulation.sim.model import RunResult, SharedPlacesModel, run  # noqa: F401
