"""A per-agent reference implementation of the work choice and the visits with capacity (see README.md)."""

from benchmarks.reference.model import (
    DOCKING_OVERRIDES,
    Place,
    ReferenceModel,
    Resident,
    Worker,
    docking_config,
    run_reference,
)

__all__ = [
    "DOCKING_OVERRIDES",
    "Place",
    "ReferenceModel",
    "Resident",
    "Worker",
    "docking_config",
    "run_reference",
]
