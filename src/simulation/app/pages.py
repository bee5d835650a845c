"""The Solara views of ``lieux-app``: Run, Compare and Place, one route each (``/``, ``/compare``, ``/place``).

Thin by design: every number shown comes from :mod:`simulation.app.tables`, every configuration from
:mod:`simulation.app.forms`, every run from :mod:`simulation.app.jobs`. The state below is per browser session
(Solara scopes module-level reactive variables to the session); switching tabs keeps it, reloading the page
starts a new session.

Where the next pieces go (issue 10): the live charts per 4-week period (occupancy by activity, person-km by
kind of trip, costs and who pays) belong in :func:`RunResults` -- from the run's ``periods`` table at the end,
or streamed from the worker process once the model has its DataCollector; Mesa's ``SolaraViz`` fits a "live"
panel that steps a model in-process for small territories (it draws a whole page: app bar, sidebar of
controls and parameters, a grid of components; both its matplotlib and Altair plot components were seen to
load offline here); the map of places, the Place view's accounts per period and the Shapley shares take the
Figures of ``simulation.viz.figures`` through ``solara.FigureMatplotlib``. Avoid ``solara.Markdown`` (see
:mod:`simulation.app.server`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import solara
import solara.lab

from simulation.app import forms, tables
from simulation.app.jobs import CANCELLED, DONE, RUNNING, RunJob
from simulation.config import SimConfig
from simulation.core.errors import UserError
from simulation.observe.outputs import RunResult

TITLE = "lieux-partages"
POLL_S = 0.2  # how often the page reads a run's progress


@dataclass(eq=False)  # compared by identity: a reactive variable must not compare DataFrames
class LastRun:
    """The last finished run of the session: what the Place view shows."""

    cfg: SimConfig
    result: RunResult
    overrides: list[str]
    elapsed_s: float


# --------------------------------------------------------------------------------------------------
# Session state
# --------------------------------------------------------------------------------------------------
form = solara.reactive(forms.default_values())
form_errors: solara.Reactive[dict[str, str]] = solara.reactive({})
job: solara.Reactive[RunJob | None] = solara.reactive(None)
job_days = solara.reactive(0)  # bumped by the watcher so that the progress bar re-renders
job_overrides: solara.Reactive[list[str]] = solara.reactive([])
last_run: solara.Reactive[LastRun | None] = solara.reactive(None)
run_message: solara.Reactive[str | None] = solara.reactive(None)  # a failed or cancelled run
compare_folder = solara.reactive("")
compare_kpi = solara.reactive("all")
compare_error: solara.Reactive[str | None] = solara.reactive(None)
compare_shown: solara.Reactive[str | None] = solara.reactive(None)  # the folder whose table is shown
place_choice: solara.Reactive[str | None] = solara.reactive(None)


def _slug(key: str) -> str:
    return key.replace(".", "-").replace("_", "-")


def _html(markup: str) -> None:
    """Static HTML (our own markup only). Not solara.Markdown: it loads KaTeX from the CDN path, and
    solara-assets does not ship the KaTeX version Solara asks for, so the page would reach for the internet."""
    solara.HTML(tag="div", unsafe_innerHTML=markup)


# --------------------------------------------------------------------------------------------------
# Run
# --------------------------------------------------------------------------------------------------
def start_run() -> None:
    """Check the form (every wrong field gets the CLI's message) and start the run in a background process."""
    if job.value is not None and job.value.state == RUNNING:
        return
    cfg, errors = forms.check_form(form.value)
    form_errors.set(errors)
    if cfg is None:
        return
    run_message.set(None)
    job_overrides.set(forms.form_overrides(form.value))
    job_days.set(0)
    job.set(RunJob.start(cfg))


def cancel_run() -> None:
    """Stop the running job."""
    if job.value is not None:
        job.value.cancel()


@solara.component
def JobWatcher() -> None:
    """Follows the session's running job from a thread of the server (mounted in the layout, so on every tab)."""
    current = job.value

    def watch(cancel: threading.Event) -> None:
        if current is None:
            return
        try:
            while not cancel.is_set():
                state = current.poll()
                job_days.set(current.days_done)
                if state != RUNNING:
                    break
                time.sleep(POLL_S)
        finally:
            if cancel.is_set() and current.state == RUNNING:  # the session went away: nobody will read it
                current.cancel()
        if cancel.is_set():
            return
        if current.state == DONE and current.result is not None:
            last_run.set(LastRun(current.cfg, current.result, list(job_overrides.value), current.elapsed_s))
            place_choice.set(None)
        elif current.state != RUNNING:
            run_message.set(current.error if current.state != CANCELLED else "Run cancelled.")
        job.set(None)

    solara.use_thread(watch, dependencies=[current])


@solara.component
def RunForm() -> None:
    """Territory, scenario, the main levers with units, other overrides; errors beside their field."""
    values = form.value
    errors = form_errors.value
    running = job.value is not None

    def setter(key: str):
        def set_value(text: Any) -> None:
            form.set({**form.value, key: "" if text is None else str(text)})
            if key in form_errors.value:
                form_errors.set({k: v for k, v in form_errors.value.items() if k != key})

        return set_value

    solara.Select(
        "Territory",
        values=list(forms.TERRITORIES),
        value=values[forms.TERRITORY],
        on_value=setter(forms.TERRITORY),
        disabled=running,
        classes=["lieux-territory"],
    )
    scenario = values[forms.SCENARIO]
    solara.Select(
        "Scenario",
        values=forms.available_scenarios(),
        value=scenario,
        on_value=setter(forms.SCENARIO),
        disabled=running,
        classes=["lieux-scenario"],
    )
    description = forms.scenario_description(scenario)
    if description:
        solara.Text(description, style={"font-size": "13px", "color": "#555"})
    for lever in forms.levers_for(values[forms.TERRITORY]):
        solara.InputText(
            lever.label,
            value=values.get(lever.key, ""),
            on_value=setter(lever.key),
            error=errors.get(lever.key, False),
            disabled=running,
            classes=[f"lieux-field-{_slug(lever.key)}"],
        )
    solara.InputText(
        "Other overrides (key=value, as on the lieux command line)",
        value=values.get(forms.EXTRA, ""),
        on_value=setter(forms.EXTRA),
        error=errors.get(forms.EXTRA, False),
        message="e.g. policy.sharing_clause=true economics.allocation=equal",
        disabled=running,
        classes=["lieux-field-extra"],
    )
    for key in (forms.FORM, forms.TERRITORY, forms.SCENARIO):
        if key in errors:
            solara.Error(errors[key], classes=["lieux-form-error"])
    with solara.Row():
        solara.Button("Run", color="primary", on_click=start_run, disabled=running, classes=["lieux-run"])
        if running:
            solara.Button("Cancel", on_click=cancel_run, classes=["lieux-cancel"])


@solara.component
def RunProgress() -> None:
    """The running job's progress: days simulated of the total (indeterminate until the first day)."""
    current = job.value
    _ = job_days.value  # re-render on each poll
    if current is None:
        return
    fraction = current.fraction
    solara.ProgressLinear(True if fraction is None else 100.0 * fraction)
    text = (
        f"Simulating: day {current.days_done} of {current.total_days}"
        if fraction is not None
        else f"Starting the run ({current.total_days} days to simulate)"
    )
    solara.Text(f"{text}, {current.elapsed_s:.0f} s", classes=["lieux-progress"])


@solara.component
def RunResults() -> None:
    """The last run's identity and KPI table (formatted as ``lieux`` prints it)."""
    last = last_run.value
    if run_message.value:
        solara.Warning(run_message.value, classes=["lieux-run-message"])
    if last is None:
        if job.value is None:
            solara.Info("Choose a territory, a scenario and the levers, then Run.")
        return
    summary = last.result.summary
    days = 7 * (last.cfg.warmup_weeks + last.cfg.weeks)
    solara.Text(
        f"Last finished run: {days} days simulated in {last.elapsed_s:.1f} s -- lieux {' '.join(last.overrides)}",
        classes=["lieux-run-done"],
    )
    _html(tables.html_table(tables.run_identity(summary), "run-identity", numeric=["value"]))
    _html(tables.html_table(tables.kpi_frame(summary), "kpi-table", numeric=["value"]))


@solara.component
def RunView() -> None:
    """Run one scenario on a territory and read its KPIs."""
    solara.Title(f"{TITLE} - Run")
    with solara.Columns([1, 2]):
        with solara.Column():
            RunForm()
        with solara.Column():
            RunProgress()
            RunResults()


# --------------------------------------------------------------------------------------------------
# Compare
# --------------------------------------------------------------------------------------------------
def open_experiment() -> None:
    """Read the folder typed in; its error (the reporting's one line) goes beside the field."""
    folder = compare_folder.value.strip()
    try:
        tables.comparison_frame(folder)
    except UserError as exc:
        compare_error.set(" ".join(str(exc).split()))
        compare_shown.set(None)
        return
    compare_error.set(None)
    compare_kpi.set("all")
    compare_shown.set(folder)


@solara.component
def CompareView() -> None:
    """Open an experiment's results folder and read its comparison with the baseline (95 % intervals)."""
    solara.Title(f"{TITLE} - Compare")
    _html(
        "<p>Open a results folder of <code>lieux experiment=&lt;name&gt;</code> (it holds "
        "<code>comparison.csv</code> or <code>runs.csv</code>). Differences are against the baseline, in the "
        "KPI's unit (points for shares), with their 95 % interval.</p>"
    )
    with solara.Row(style={"align-items": "baseline"}):
        solara.InputText(
            "Experiment folder (results/<name>/<timestamp>)",
            value=compare_folder,
            error=compare_error.value or False,
            classes=["lieux-compare-folder"],
            style={"min-width": "36em"},
        )
        solara.Button("Open", color="primary", on_click=open_experiment, classes=["lieux-compare-open"])
    shown = compare_shown.value
    if not shown:
        return
    try:
        kpis = tables.comparison_kpis(shown)
        frame = tables.comparison_frame(shown, None if compare_kpi.value == "all" else compare_kpi.value)
    except UserError as exc:  # the folder changed on disk since it was opened
        solara.Error(" ".join(str(exc).split()))
        return
    solara.Select("KPI", values=["all", *kpis], value=compare_kpi, classes=["lieux-compare-kpi"])
    _html(tables.html_table(frame, "comparison-table", numeric=["n", "difference", "95 % CI"]))
    reading = tables.travel_reading_html(shown)  # the report's sentence per strategy
    if reading:
        _html(reading)


# --------------------------------------------------------------------------------------------------
# Place
# --------------------------------------------------------------------------------------------------
@solara.component
def PlaceView() -> None:
    """One place of the last run: its 21-slot week and its row of the places table."""
    solara.Title(f"{TITLE} - Place")
    last = last_run.value
    if last is None:
        solara.Info("No run yet in this session: run a scenario in the Run tab first.")
        return
    places = last.result.tables["places"]
    options = tables.place_options(places)
    labels = list(options)
    label = place_choice.value if place_choice.value in options else labels[0]
    summary = last.result.summary
    solara.Text(
        f"Run: {summary.get('scenario')}, seed {summary.get('seed')}, {summary.get('weeks')} weeks counted "
        f"({' '.join(last.overrides)})"
    )
    solara.Select("Place", values=labels, value=label, on_value=place_choice.set, classes=["lieux-place"])
    place_id = options[label]
    grid = tables.week_grid(last.result.tables["slots"], place_id).reset_index()
    _html(
        "<p><b>The week</b> (occupancy = users / capacity over the counted weeks; the activities open in the "
        "slot)</p>"
    )
    _html(
        tables.html_table(grid, "week-grid").replace('class="lieux-table"', 'class="lieux-table lieux-week"')
    )
    _html("<p><b>Its row of the places table</b> (totals over the counted weeks)</p>")
    _html(tables.html_table(tables.place_row(places, place_id), "place-row", numeric=["value"]))


# --------------------------------------------------------------------------------------------------
# Layout and routes
# --------------------------------------------------------------------------------------------------


@solara.component
def Layout(children: list[Any] | None = None) -> Any:
    """The app bar with one tab per view; the watcher of the session's run."""
    route, all_routes = solara.use_route()
    index = all_routes.index(route) if route in all_routes else 0
    with solara.AppLayout(title=TITLE, navigation=True) as main:
        with solara.AppBar():
            with solara.lab.Tabs(value=index, align="left"):
                for r in all_routes:
                    solara.lab.Tab(r.label, path_or_route=r, classes=[f"lieux-tab-{r.label.lower()}"])
        with solara.Column():
            solara.Style(tables.TABLE_CSS)
            JobWatcher()
            for child in children or []:
                solara.display(child)
    return main


# The layout is the root route's: Solara wraps every page of this list in the layout of its "/" route.
routes = [
    solara.Route(path="/", component=RunView, label="Run", layout=Layout),
    solara.Route(path="compare", component=CompareView, label="Compare"),
    solara.Route(path="place", component=PlaceView, label="Place"),
]
