"""Shared-places simulator: occupancy, cost sharing and travel of shared places (lieux partagés)."""

__version__ = "0.1.0"
