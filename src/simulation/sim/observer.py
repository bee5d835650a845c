"""Observers of a run: called by the model after each day and each accounting period.

The calibration (:mod:`simulation.calibration.patterns`), the dashboard's progress (:mod:`simulation.app.jobs`)
and any user's measure read a run through an observer instead of subclassing the model.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.sim.model import SharedPlacesModel


class Observer:
    """Something that watches a run: the model calls :meth:`on_day` after each day and :meth:`on_period` after
    each accounting period. Subclass and override what you need (both do nothing here). Observers read the
    model's public state (``model.world``, ``model.workers``, ``model.residents``, ``model.recorder``...) and
    must not change it.
    """

    def on_day(self, model: SharedPlacesModel) -> None:
        """Called after each simulated day (``model.day`` is the number of days done)."""

    def on_period(self, model: SharedPlacesModel, row: dict[str, Any] | None) -> None:
        """Called after each accounting period; ``row`` is its KPIs when the period is counted, else None."""
