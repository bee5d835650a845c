"""Observation: the KPIs and tables of a run (metrics), the run folder (outputs), the console table."""
