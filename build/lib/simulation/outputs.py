"""Public path of the run-folder writer (kept for users' scripts): see :mod:`simulation.observe.outputs`."""

from simulation.observe.outputs import is_finished, read_run, write_run  # noqa: F401
