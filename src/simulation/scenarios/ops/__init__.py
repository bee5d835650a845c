"""The intervention operations, one module each (imported here so that they register themselves)."""

from simulation.scenarios.ops import add_places, close, convert, france_services, offhours, set_values, site

__all__ = ["add_places", "close", "convert", "france_services", "offhours", "set_values", "site"]
