"""Public path of the configuration (kept for users' scripts): see :mod:`simulation.core.config`."""

from simulation.core.config import *  # noqa: F401,F403
from simulation.core.config import SimConfig, as_dict, register_configs, to_config, validate  # noqa: F401
