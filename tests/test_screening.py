"""Morris screening (simulation.experiments.screening): the design, the per-job overrides, the analysis, its
figure (simulation.viz.figures.screening_figure), and the experiment file experiments/screening.yaml."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from simulation.core.config import ExperimentConfig, to_config
from simulation.core.errors import ConfigError, UserError
from simulation.experiments import screening
from simulation.observe.metrics import KPI_NAMES
from simulation.sim import model

ROOT = Path(__file__).resolve().parents[1]
SCREENING_FILE = ROOT / "experiments" / "screening.yaml"

# Three real keys standing for x1, x2, x3 of the synthetic functions (their ranges are not the model's).
X1, X2, X3 = "behaviour.work.habit", "behaviour.work.community", "population.digital_autonomy"


def exp_cfg(parameters: dict[str, list[float]] | None = None, trajectories: int = 10, levels: int = 4):
    return ExperimentConfig(
        name="t",
        method="morris",
        parameters=parameters or {X1: [0.0, 1.0], X2: [0.0, 1.0], X3: [0.0, 1.0]},
        trajectories=trajectories,
        levels=levels,
    )


# --------------------------------------------------------------------------------------------------
# Design
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("r", "d"), [(2, 2), (4, 3), (10, 5)])
def test_design_shape_is_r_times_d_plus_one(r: int, d: int) -> None:
    keys = [X1, X2, X3, "behaviour.work.b_time", "economics.mediator_eur_hour"][:d]
    exp = exp_cfg({k: [-1.0, 0.0] for k in keys}, trajectories=r)
    x = screening.design(exp)
    assert x.shape == (r * (d + 1), d)
    assert screening.n_samples(exp) == r * (d + 1)
    assert screening.problem(exp) == {"num_vars": d, "names": keys, "bounds": [[-1.0, 0.0]] * d}


def test_design_is_deterministic_and_on_the_grid() -> None:
    exp = exp_cfg({X1: [0.0, 3.0], X2: [10.0, 13.0], X3: [0.5, 0.8]}, trajectories=6, levels=4)
    a = screening.design(exp).copy()
    screening._design.cache_clear()  # recomputed from scratch: the sampler seed is fixed
    b = screening.design(exp)
    np.testing.assert_array_equal(a, b)
    # 4 levels: low + k/3 * (high - low), k = 0..3
    np.testing.assert_allclose(np.unique(a[:, 0]), [0.0, 1.0, 2.0, 3.0])
    np.testing.assert_allclose(np.unique(a[:, 1]), [10.0, 11.0, 12.0, 13.0])
    # consecutive points of a trajectory differ in exactly one parameter
    for t in range(6):
        block = a[t * 4 : (t + 1) * 4]
        assert ((np.diff(block, axis=0) != 0).sum(axis=1) == 1).all()
    # another experiment configuration: another design
    other = screening.design(exp_cfg({X1: [0.0, 3.0], X2: [10.0, 13.0], X3: [0.5, 0.8]}, trajectories=7))
    assert other.shape[0] == 28


def test_overrides_within_bounds_and_cast_to_int() -> None:
    exp = exp_cfg({"policy.remote_days_per_week": [1, 4], "behaviour.work.asc_third": [-6.0, -4.0]})
    seen_days = set()
    for i in range(screening.n_samples(exp)):
        ov = screening.sample_overrides(exp, i)
        assert list(ov) == ["policy.remote_days_per_week", "behaviour.work.asc_third"]
        days, asc = ov["policy.remote_days_per_week"], ov["behaviour.work.asc_third"]
        assert type(days) is int and 1 <= days <= 4
        assert type(asc) is float and -6.0 <= asc <= -4.0
        seen_days.add(days)
        to_config(**ov)  # a valid configuration
    assert seen_days == {1, 2, 3, 4}


def test_int_keys_round_to_nearest() -> None:
    # [0, 5] on 4 levels: 0, 1.667, 3.333, 5 -> 0, 2, 3, 5
    exp = exp_cfg({"policy.remote_days_per_week": [0, 5], X1: [0.0, 1.0]}, trajectories=10)
    values = {screening.sample_overrides(exp, i)["policy.remote_days_per_week"] for i in range(30)}
    assert values <= {0, 2, 3, 5} and {0, 5} <= values


def test_nested_dict_key_is_a_float_parameter() -> None:
    exp = exp_cfg({"travel.car_kmh.rural": [50.0, 70.0], X1: [0.0, 1.0]}, trajectories=2)
    ov = screening.sample_overrides(exp, 0)
    cfg = to_config(**ov)
    assert cfg.travel.car_kmh["rural"] == ov["travel.car_kmh.rural"]


@pytest.mark.parametrize("index", [-1, 40, 1000, "3", 2.0, True])
def test_bad_index_raises_config_error(index) -> None:
    exp = exp_cfg()  # 10 x 4 = 40 points
    with pytest.raises(ConfigError, match=r"experiment\.sample.*0 to 39"):
        screening.sample_overrides(exp, index)


@pytest.mark.parametrize(
    ("parameters", "key", "message"),
    [
        ({"behaviour.work.nope": [0, 1], X1: [0, 1]}, "behaviour.work.nope", "not a key"),
        ({"nope": [0, 1], X1: [0, 1]}, "nope", "not a key"),
        ({"policy.subsidy_rule": [0, 1], X1: [0, 1]}, "policy.subsidy_rule", "not a numeric"),
        ({"policy.sharing_clause": [0, 1], X1: [0, 1]}, "policy.sharing_clause", "not a numeric"),
        ({"behaviour.work": [0, 1], X1: [0, 1]}, "behaviour.work", "not a numeric"),
        ({X2: [1, 0], X1: [0, 1]}, X2, "low < high"),
        ({X2: [0, 1, 2], X1: [0, 1]}, X2, "low < high"),
        ({X2: 0.5, X1: [0, 1]}, X2, "low < high"),
    ],
)
def test_bad_parameters_raise_config_error_naming_the_key(parameters, key, message) -> None:
    exp = exp_cfg(parameters)
    with pytest.raises(ConfigError, match=message) as info:
        screening.sample_overrides(exp, 0)
    assert info.value.key == f"experiment.parameters.{key}"


def test_too_few_parameters_or_odd_levels() -> None:
    with pytest.raises(ConfigError, match="at least 2"):
        screening.problem(exp_cfg({X1: [0.0, 1.0]}))
    with pytest.raises(ConfigError, match="even"):
        screening.design(exp_cfg(levels=3))


# --------------------------------------------------------------------------------------------------
# Analysis
# --------------------------------------------------------------------------------------------------
def synthetic_runs(exp: ExperimentConfig) -> pd.DataFrame:
    x = screening.design(exp)
    return pd.DataFrame(
        {
            "sample": np.arange(len(x)),
            "scenario": "baseline",
            "f": 3 * x[:, 0] + 0 * x[:, 1] + x[:, 2] ** 2,
            "g": -2 * x[:, 1],
        }
    )


def test_analyze_recovers_known_effects() -> None:
    exp = exp_cfg(trajectories=20)
    table = screening.analyze(synthetic_runs(exp), exp, ["f", "g"])
    assert list(table.columns) == ["parameter", "kpi", "mu_star", "mu_star_conf", "sigma", "mu"]
    assert len(table) == 6
    f = table[table["kpi"] == "f"].set_index("parameter")
    # effects per full range: 3 * x1 over [0, 1] -> 3, constant (linear: sigma 0)
    assert f.loc[X1, "mu_star"] == pytest.approx(3.0)
    assert f.loc[X1, "mu"] == pytest.approx(3.0)
    assert f.loc[X1, "sigma"] == pytest.approx(0.0, abs=1e-9)
    # x2 does not enter f
    assert f.loc[X2, "mu_star"] == 0 and f.loc[X2, "sigma"] == 0
    # x3 ** 2: the effect depends on where the step starts (2/3 or 4/3 per range): nonlinear, sigma > 0
    assert 2 / 3 - 1e-9 <= f.loc[X3, "mu_star"] <= 4 / 3 + 1e-9
    assert f.loc[X3, "sigma"] > 0.1
    assert f["mu_star"].idxmax() == X1
    g = table[table["kpi"] == "g"].set_index("parameter")
    assert g.loc[X2, "mu"] == pytest.approx(-2.0) and g.loc[X2, "mu_star"] == pytest.approx(2.0)
    assert (table["mu_star_conf"] >= 0).all()


def test_analyze_is_deterministic_and_order_free() -> None:
    exp = exp_cfg(trajectories=8)
    runs = synthetic_runs(exp)
    a = screening.analyze(runs, exp, ["f"])
    b = screening.analyze(runs.sample(frac=1.0, random_state=1), exp, ["f"])
    pd.testing.assert_frame_equal(a, b)


def test_analyze_averages_seed_replicates() -> None:
    exp = exp_cfg(trajectories=6)
    runs = synthetic_runs(exp)
    noisy = pd.concat([runs.assign(f=runs["f"] + 1.0), runs.assign(f=runs["f"] - 1.0)], ignore_index=True)
    pd.testing.assert_frame_equal(
        screening.analyze(noisy, exp, ["f"]), screening.analyze(runs, exp, ["f"]), atol=1e-12
    )


def test_analyze_says_which_samples_are_missing() -> None:
    exp = exp_cfg(trajectories=5)  # 20 points
    runs = synthetic_runs(exp).drop(index=[3, 4, 5, 11])
    with pytest.raises(UserError, match=r"all 20 sample points; 4 have no complete run: samples 3-5, 11"):
        screening.analyze(runs, exp, ["f"])


def test_analyze_rejects_bad_runs() -> None:
    exp = exp_cfg(trajectories=5)
    runs = synthetic_runs(exp)
    with pytest.raises(UserError, match="no column for the KPI"):
        screening.analyze(runs, exp, ["nope"])
    with pytest.raises(UserError, match="'sample' column"):
        screening.analyze(runs.drop(columns="sample"), exp, ["f"])
    with pytest.raises(UserError, match="outside the design"):
        screening.analyze(pd.concat([runs, runs.iloc[[0]].assign(sample=99)]), exp, ["f"])


def test_the_figure_of_the_analysis_has_one_panel_per_kpi(tmp_path: Path) -> None:
    from matplotlib.figure import Figure

    from simulation.viz.figures import screening_figure

    exp = exp_cfg(trajectories=6)
    table = screening.analyze(synthetic_runs(exp), exp, ["f", "g"])
    fig = screening_figure(table)
    assert isinstance(fig, Figure)
    panels = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["f", "g"]
    n_params = len(exp.parameters)
    for ax in panels:  # one labelled point per parameter
        assert len(ax.texts) == n_params
    assert not list(tmp_path.iterdir())  # nothing written


# --------------------------------------------------------------------------------------------------
# experiments/screening.yaml
# --------------------------------------------------------------------------------------------------
def screening_doc() -> dict:
    return yaml.safe_load(SCREENING_FILE.read_text(encoding="utf-8"))


def test_screening_file_composes_and_names_enough_parameters() -> None:
    doc = screening_doc()
    cfg = to_config(doc)  # the whole file merges over the schema and validates
    exp = cfg.experiment
    assert exp.name == "screening" and exp.method == "morris" and exp.question
    assert len(exp.parameters) >= 8
    assert exp.kpis and set(exp.kpis) <= set(KPI_NAMES)
    for scenario in exp.scenarios:
        assert (ROOT / "configs" / "scenario" / f"{scenario}.yaml").exists()
    blocks = {key.split(".")[0] for key in exp.parameters}
    assert {"behaviour", "economics"} <= blocks
    # a few minutes on one machine (about 2 s a run at the file's sample rate and weeks)
    assert screening.n_samples(exp) <= 200


def test_screening_file_bounds_are_valid_values() -> None:
    exp = to_config(screening_doc()).experiment
    for key, (low, high) in exp.parameters.items():
        screening.parameter_type(key)
        for value in (low, high):
            to_config(**{key: value})  # each bound alone is a valid configuration
    for i in range(len(exp.parameters) + 1):  # the first trajectory: every parameter moves once
        to_config(**screening.sample_overrides(exp, i))


def test_screening_design_runs_on_a_tiny_territory() -> None:
    """Two trajectories of the file's design on a tiny synthetic territory, analysed end to end."""
    doc = screening_doc()
    exp = to_config(doc, **{"experiment.trajectories": 2}).experiment
    base = {
        "weeks": 1,
        "warmup_weeks": 0,
        "territory": {"kind": "synthetic", "synthetic": {"adults": 2000}},
        "output": {"progress": False},
    }
    rows = []
    for i in range(screening.n_samples(exp)):
        result = model.run(to_config(base, **screening.sample_overrides(exp, i)), progress=False)
        rows.append({"sample": i, **{k: result.summary[k] for k in exp.kpis}})
    table = screening.analyze(pd.DataFrame(rows), exp, list(exp.kpis))
    assert len(table) == len(exp.parameters) * len(exp.kpis)
    assert set(table["parameter"]) == set(exp.parameters)
    # the remote-day allowance moves commuting kilometres
    pkm = table[table["kpi"] == "person_km_total"].set_index("parameter")
    assert pkm.loc["policy.remote_days_per_week", "mu_star"] > 0
