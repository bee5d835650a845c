"""Experiments: scenarios x seed replicates (x a parameter grid, or a Morris design) as one Hydra multirun.

Modules, in dependency order (each imports only those before it; none imports :mod:`simulation.viz`, except
:func:`aggregation.aggregate`, which calls :func:`simulation.viz.report_md.build_report` when it runs):

- :mod:`~simulation.experiments.stats`: the statistics (paired t-interval, Welch interval, the comparison table,
  the variance reduction by pairing): the only copy, pure functions;
- :mod:`~simulation.experiments.screening`: Morris elementary effects (SALib): design, per-job overrides, analysis;
- :mod:`~simulation.experiments.folders`: the results folder: file names, job folder names, the one scanner of
  the run folders (``runs.csv``), ``experiment.yaml``;
- :mod:`~simulation.experiments.aggregation`: ``runs.csv``, ``comparison.csv``, ``screening.csv``, the job counts,
  the printed table;
- :mod:`~simulation.experiments.sweep`: experiment files, their registration in Hydra, the resolvers, seeds, one
  job (the only code that runs the model), the Hydra callback and the state read by :func:`simulation.cli.main`.

The names used by the command line and the tests are re-exported here.
"""

from simulation.experiments.aggregation import (
    SweepStatus,
    aggregate,
    comparison_table,
    main_kpis,
    print_status,
)
from simulation.experiments.folders import (
    COMPARISON_CSV,
    EXPERIMENT_FILE,
    RESPONSE_CSV,
    RUN_COLUMNS,
    RUNS,
    RUNS_CSV,
    SCREENING_CSV,
    collect_runs,
    expected_jobs,
    job_dirname,
    n_morris_samples,
    override_keys,
    scenario_list,
    unfinished_jobs,
)
from simulation.experiments.stats import (
    COMPARISON_COLUMNS,
    CONFIDENCE,
    compare,
    compare_runs,
    paired_interval,
    response_table,
    variance_reduction,
    welch_interval,
)
from simulation.experiments.sweep import (
    EXPERIMENTS_DIR,
    INDEPENDENT_SEED_STRIDE,
    ExperimentAbort,
    ExperimentCallback,
    SweepState,
    available_experiments,
    check_setup,
    effective_seed,
    experiment_node,
    job_config,
    load_experiment_file,
    register_experiments,
    register_resolvers,
    run_experiment_job,
    sim_config_of,
    state,
    write_experiment_file,
)

__all__ = [
    "COMPARISON_COLUMNS",
    "COMPARISON_CSV",
    "CONFIDENCE",
    "EXPERIMENTS_DIR",
    "EXPERIMENT_FILE",
    "INDEPENDENT_SEED_STRIDE",
    "RESPONSE_CSV",
    "RUNS",
    "RUNS_CSV",
    "RUN_COLUMNS",
    "SCREENING_CSV",
    "ExperimentAbort",
    "ExperimentCallback",
    "SweepState",
    "SweepStatus",
    "aggregate",
    "available_experiments",
    "check_setup",
    "collect_runs",
    "compare",
    "compare_runs",
    "comparison_table",
    "effective_seed",
    "expected_jobs",
    "experiment_node",
    "job_config",
    "job_dirname",
    "load_experiment_file",
    "main_kpis",
    "n_morris_samples",
    "override_keys",
    "paired_interval",
    "print_status",
    "register_experiments",
    "register_resolvers",
    "response_table",
    "run_experiment_job",
    "scenario_list",
    "sim_config_of",
    "state",
    "unfinished_jobs",
    "variance_reduction",
    "welch_interval",
    "write_experiment_file",
]
