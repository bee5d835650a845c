"""Views of an experiment's results: figures (tables in, matplotlib Figure out) and the Markdown report.

- :mod:`~simulation.viz.text`: plain names of the KPIs and their amounts with units;
- :mod:`~simulation.viz.figures`: the figures, pure (no file read or written, no pyplot state): reusable by a
  dashboard;
- :mod:`~simulation.viz.report_md`: reads a results folder, saves the figures, writes ``report.md``
  (``lieux-report``).

This package may import :mod:`simulation.experiments.stats` and :mod:`simulation.experiments.folders` (the
scanner of run folders); :mod:`simulation.experiments` imports it only to build the report after an aggregation.
Importing this package does not import matplotlib: import the submodules.
"""
