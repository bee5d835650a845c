"""Calibration and validation against the field patterns of docs/ODD.md 1.

- :mod:`~simulation.calibration.patterns`: the patterns (target, tolerance, source) and how each is measured
  from a run (its summary, its tables and :class:`~simulation.calibration.patterns.PatternObserver`);
- :mod:`~simulation.calibration.validate`: ``lieux-validate``, the table of every pattern with its interval;
- :mod:`~simulation.calibration.fit`: the procedure that fits the behavioural constants to the patterns.
"""
