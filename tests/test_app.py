"""The dashboard's logic without a browser: the Run form's configuration and messages, the background run, the
tables the views show. (tests/test_app_browser.py drives the pages themselves in Chromium.)"""

from __future__ import annotations

import math
import shutil
from html import escape
from pathlib import Path

import pandas as pd
import pytest

import simulation.model
from simulation import cli
from simulation.app import forms, jobs, server, tables
from simulation.config import to_config
from simulation.core.errors import ConfigError
from simulation.observe.console import kpi_table
from simulation.observe.metrics import KPI_NAMES
from simulation.viz import report_md as reporting

EXPERIMENT = Path(__file__).parent / "data" / "app_experiment"
# A run of a fraction of a second: 2,000 adults, 1 warm-up week and 2 counted weeks.
SMALL = {"territory.synthetic.adults": "2000", "weeks": "2", "warmup_weeks": "1"}


def small_form(**changes: str) -> dict[str, str]:
    values = forms.default_values()
    values.update(SMALL)
    values.update(changes)
    return values


def cli_error(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *overrides: str) -> str:
    """What ``lieux <overrides>`` prints on stderr for a bad value, without its ``lieux: error:`` prefix."""
    monkeypatch.delenv(
        "HYDRA_FULL_ERROR", raising=False
    )  # a user's HYDRA_FULL_ERROR=1 would keep the traceback
    with pytest.raises(SystemExit) as info:
        cli.main(list(overrides))
    assert info.value.code == cli.EXIT_USAGE
    line = capsys.readouterr().err.strip().splitlines()[-1]
    prefix = f"{cli.PROG}: error: "
    assert line.startswith(prefix)
    return line[len(prefix) :]


# --------------------------------------------------------------------------------------------------
# The form
# --------------------------------------------------------------------------------------------------
def test_default_form_is_the_schema_defaults_on_the_synthetic_territory():
    cfg = forms.config_from_form(forms.default_values())
    # configs/scenario/baseline.yaml adds only its description to the schema's scenario
    description = forms.scenario_description("baseline")
    assert description
    assert cfg == to_config(**{"territory.kind": "synthetic", "scenario.description": description})


def test_form_overrides_are_a_command_line():
    values = small_form(**{"policy.remote_days_per_week": "3", forms.EXTRA: "policy.sharing_clause=true"})
    assert forms.form_overrides(values) == [
        "territory=synthetic",
        "scenario=baseline",
        "weeks=2",
        "warmup_weeks=1",
        "population.sample_rate=1.0",
        "policy.remote_days_per_week=3",
        "seed=0",
        "territory.synthetic.adults=2000",
        "policy.sharing_clause=true",
    ]
    cfg = forms.config_from_form(values)
    assert (cfg.weeks, cfg.policy.remote_days_per_week, cfg.policy.sharing_clause) == (2, 3, True)
    # the synthetic territory's size is not sent for the Nièvre
    assert "territory.synthetic.adults=2000" not in forms.form_overrides(
        {**values, forms.TERRITORY: "nievre"}
    )


def test_scenario_choice_loads_the_scenario_file():
    cfg = forms.config_from_form(small_form(**{forms.SCENARIO: "mediation_hubs"}))
    assert cfg.scenario.name == "mediation_hubs" and cfg.scenario.interventions
    assert "baseline" == forms.available_scenarios()[0]
    assert "mediation_hubs" in forms.available_scenarios()


@pytest.mark.parametrize(
    ("key", "text"),
    # a check of the schema (to_config), a value Hydra cannot convert, a float out of its range
    [("weeks", "0"), ("weeks", "abc"), ("population.sample_rate", "2")],
)
def test_a_bad_value_gets_the_cli_message_beside_its_field(capsys, monkeypatch, key, text):
    errors = forms.field_errors(small_form(**{key: text}))
    assert errors == {key: cli_error(capsys, monkeypatch, "territory=synthetic", f"{key}={text}")}


def test_schema_errors_are_to_config_messages():
    with pytest.raises(ConfigError) as info:
        to_config(weeks=0)
    assert forms.field_errors(small_form(weeks="0")) == {"weeks": str(info.value)}


def test_every_wrong_field_gets_its_own_message():
    errors = forms.field_errors(small_form(weeks="0", seed="x", **{forms.EXTRA: "nope.key=1"}))
    assert set(errors) == {"weeks", "seed", forms.EXTRA}
    assert "nope" in errors[forms.EXTRA]


def test_other_overrides_refuse_what_the_run_view_cannot_honour():
    for text in ("experiment=compare_strategies", "hydra.run.dir=x", "output.dir=x", "scenario=wider_mesh"):
        with pytest.raises(forms.FormError, match="cannot be set here"):
            forms.extra_overrides(text)
    with pytest.raises(forms.FormError, match="cannot split"):
        forms.extra_overrides("a='b")
    assert list(forms.field_errors(small_form(**{forms.EXTRA: "output.dir=x"}))) == [forms.EXTRA]
    assert forms.extra_overrides("policy.sharing_clause=true  seed=3") == [
        "policy.sharing_clause=true",
        "seed=3",
    ]


def test_a_blank_lever_takes_the_default():
    assert forms.config_from_form(small_form(seed=" ")).seed == 0


# --------------------------------------------------------------------------------------------------
# The background run
# --------------------------------------------------------------------------------------------------
def test_a_background_run_is_simulation_model_run_and_reports_every_day():
    cfg = forms.config_from_form(small_form())
    job = jobs.RunJob.start(cfg)
    assert job.wait(timeout_s=120) == jobs.DONE, job.error
    expected = simulation.model.run(cfg, progress=False)
    assert job.days_done == job.total_days == 21
    got = {k: job.result.summary[k] for k in KPI_NAMES}
    want = {k: expected.summary[k] for k in KPI_NAMES}
    # the same seed gives the same run in any process: equal to the last bit (NaN where undefined)
    assert got.keys() == want.keys()
    for k in KPI_NAMES:
        assert (got[k] == want[k]) or (math.isnan(got[k]) and math.isnan(want[k])), k
    pd.testing.assert_frame_equal(job.result.tables["places"], expected.tables["places"])


def test_a_run_that_fails_on_bad_input_reports_one_line(tmp_path):
    missing = tmp_path / "zones.csv"
    cfg = to_config(
        **{"territory.kind": "files", "territory.zones": str(missing), "territory.places": str(missing)}
    )
    job = jobs.RunJob.start(cfg)
    assert job.wait(timeout_s=120) == jobs.FAILED
    assert str(missing) in job.error and "\n" not in job.error
    assert job.result is None


def test_a_run_can_be_cancelled():
    job = jobs.RunJob.start(to_config(**{"territory.kind": "synthetic", "weeks": 52}))
    job.cancel()
    assert job.state == jobs.CANCELLED and job.poll() == jobs.CANCELLED
    assert not job._process.is_alive()


# --------------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_run():
    return simulation.model.run(
        to_config(**{k: int(v) for k, v in SMALL.items()}, **{"territory.kind": "synthetic"})
    )


def test_kpi_table_is_the_cli_table(small_run):
    frame = tables.kpi_frame(small_run.summary)
    assert list(frame["kpi"][: len(KPI_NAMES)]) == list(KPI_NAMES)
    printed = {line.split()[0]: line.split()[1:] for line in kpi_table(small_run.summary).splitlines()}
    for kpi, value, unit in frame.itertuples(index=False):
        assert printed[kpi] == [value, *unit.split()], kpi


def test_html_table_escapes_and_tags_cells():
    markup = tables.html_table(pd.DataFrame({"a": ["<b>"], "b": [math.nan]}), "t", numeric=["a"])
    assert '<td data-col="a" style="text-align:right">&lt;b&gt;</td>' in markup
    assert '<td data-col="b"></td>' in markup


def test_week_grid_is_seven_days_by_three_slots(small_run):
    slots = small_run.tables["slots"]
    place = str(slots["place_id"].iloc[0])
    grid = tables.week_grid(slots, place)
    assert grid.shape == (7, 3) and list(grid.columns) == ["AM", "PM", "EV"]
    mine = slots[slots["place_id"] == place]
    open_cells = {(str(d), str(s)) for d, s in zip(mine["day"], mine["slot"], strict=True)}
    for day in grid.index:
        for part in grid.columns:
            assert (grid.loc[day, part] != tables.CLOSED) == ((day, part) in open_cells)
    # occupancy of an open cell: users / capacity over the counted weeks and activities of that slot
    day, part = sorted(open_cells)[0]
    cell = mine[(mine["day"] == day) & (mine["slot"] == part)]
    share = f"{100 * cell['users'].sum() / cell['capacity'].sum():.0f} %"
    assert grid.loc[day, part].startswith(share)
    assert (tables.week_grid(slots, "no-such-place") == tables.CLOSED).all().all()


def test_place_row_and_options(small_run):
    places = small_run.tables["places"]
    options = tables.place_options(places)
    assert sorted(options.values()) == sorted(places["place_id"].astype(str))
    first = next(iter(options.values()))
    assert places.loc[places["users"].idxmax(), "users"] == places.set_index("place_id").loc[first, "users"]
    row = tables.place_row(places, first)
    assert list(row["column"]) == list(places.columns)
    with pytest.raises(KeyError):
        tables.place_row(places, "no-such-place")


def test_comparison_of_the_fixture_experiment():
    frame = tables.comparison_frame(EXPERIMENT)
    csv = pd.read_csv(EXPERIMENT / "comparison.csv")
    assert list(zip(frame["scenario"], frame["kpi"], strict=True)) == list(
        zip(csv["scenario"], csv["kpi"], strict=True)
    )
    assert list(frame["significant"]) == ["yes" if s else "no" for s in csv["significant"]]
    assert list(frame["n"]) == [str(n) for n in csv["n"]]
    km = frame.set_index("kpi").loc["person_km_total"]
    assert (km["difference"], km["95 % CI"], km["unit"]) == ("-8,260", "[-9,855, -6,665]", "person-km")
    share = frame.set_index("kpi").loc["unmet_need_rate"]
    # the interval's half-width (0.75 points) sets one decimal
    assert (share["difference"], share["95 % CI"], share["unit"]) == ("-2.1", "[-2.8, -1.4]", "points")
    assert list(tables.comparison_frame(EXPERIMENT, "co2_t")["kpi"]) == ["co2_t"]
    assert tables.comparison_kpis(EXPERIMENT) == ["contacts", "unmet_need_rate", "person_km_total", "co2_t"]


def test_compare_reads_each_strategy_as_the_report_does(tmp_path):
    html = tables.travel_reading_html(EXPERIMENT)
    results = reporting.load_results(EXPERIMENT)
    said = reporting.travel_readings(results)
    assert list(said) == ["mediation_hubs"]  # the baseline is not read against itself
    # the report's sentence (escaped), under the strategy's name in words
    assert (
        f'<p data-scenario="mediation_hubs"><b>mediation hubs</b>: {escape(said["mediation_hubs"])}</p>'
        in html
    )
    assert said["mediation_hubs"].startswith("\u22128.26 k person-km: residents' service trips \u22128.26 k")
    copy = shutil.copytree(EXPERIMENT, tmp_path / "experiment")
    assert f"- Travel: {said['mediation_hubs']}" in reporting.build_report(copy).read_text(encoding="utf-8")
    # runs made before the decomposition of travel existed: nothing to read
    old = tmp_path / "old"
    old.mkdir()
    runs = pd.read_csv(EXPERIMENT / "runs.csv")
    runs[["run_dir", "scenario", "seed", "replicate", "person_km_total", "co2_t"]].to_csv(
        old / "runs.csv", index=False
    )
    assert tables.travel_reading_html(old) == ""


def test_a_folder_that_is_not_an_experiment_says_so(tmp_path):
    with pytest.raises(Exception, match="no runs.csv, comparison.csv"):
        tables.comparison_frame(tmp_path)


# --------------------------------------------------------------------------------------------------
# The server's command line and assets
# --------------------------------------------------------------------------------------------------
def test_port_is_configurable():
    assert server.parse_args([]).port == 8765
    assert server.parse_args(["--port", "9001"]).port == 9001
    with pytest.raises(SystemExit):
        server.parse_args(["--port", "70000"])


def test_solara_assets_are_installed_for_offline_pages():
    pytest.importorskip("solara", reason="the app extra is not installed")
    assert server.missing_assets() == []


def test_version_range_aliases_point_at_the_installed_assets(tmp_path):
    (tmp_path / "vega@5.21.0" / "build").mkdir(parents=True)
    (tmp_path / "vega@5.21.0" / "build" / "vega.min.js").write_text("//")
    (tmp_path / "vega-lite@5").mkdir()  # already there (e.g. fetched earlier): left alone
    assert server.link_asset_aliases(tmp_path) == ["vega@5"]  # vega-embed@6.20.2 is not installed here
    assert (tmp_path / "vega@5" / "build" / "vega.min.js").read_text() == "//"
    assert not (tmp_path / "vega-lite@5").is_symlink() and not (tmp_path / "vega-embed@6").exists()
    assert server.link_asset_aliases(tmp_path) == []
