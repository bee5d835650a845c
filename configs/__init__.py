"""Hydra's configuration of lieux, a package so that an installed lieux finds it (pkg://simulation.resources.configs)."""
