"""``lieux-app``: a Solara web dashboard over the simulator (issue 10, first version).

Layout of the package (the view code is thin; everything a test can check without a browser is a plain
function in a module that does not import Solara):

* :mod:`simulation.app.forms` -- the Run form: the levers shown (key, label with unit, default), the
  territories and scenarios offered, and :func:`~simulation.app.forms.compose_config`, which builds a
  :class:`~simulation.config.SimConfig` from ``key=value`` overrides exactly as the ``lieux`` command does
  (Hydra composition of ``configs/``, then :func:`simulation.config.to_config`), with the CLI's one-line error
  messages, attributed to the field they concern (:func:`~simulation.app.forms.field_errors`).
* :mod:`simulation.app.jobs` -- :class:`~simulation.app.jobs.RunJob`: one :func:`simulation.model.run` in a
  separate process (the page never waits on it), with the number of days simulated as progress.
* :mod:`simulation.app.tables` -- what the views show, as DataFrames and HTML: the KPI table with units
  (formatted as the CLI prints it), an experiment's comparison, one place's row and its 21-slot week.
* :mod:`simulation.app.pages` -- the Solara views (Run, Compare, Place) and their routes; the only module
  that imports Solara components.
* :mod:`simulation.app.server` -- the ``lieux-app`` entry point: serves the pages on
  ``http://localhost:8765`` with every JavaScript and CSS asset from the virtual environment (no CDN).

Needs the optional extra ``app`` (``pip install -e '.[app]'``).
"""
