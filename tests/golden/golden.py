"""Fingerprints of the model's outputs, to prove that a change of code structure changes no number.

Each case is a configuration; its fingerprint is the run's summary (every key but ``runtime_s``) and, for every
output table, the SHA-256 of a canonical text form (columns in order, floats by ``repr``, so the hash changes
with the last bit of any value) plus the column sums (to see *what* moved when a hash differs).

Regenerate after an intended change of behaviour (and say why in the commit)::

    python tests/golden/golden.py --write
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
FILE = HERE / "outputs.json"

# The default run (the Nièvre, a year) and a short run of each scenario of the library (every intervention op,
# closures, providers' reviews at 13 weeks), plus the synthetic territory's generator.
SHORT = {"weeks": 14, "warmup_weeks": 2, "population.sample_rate": 0.25}
SCENARIOS = (
    "baseline",
    "mediation_hubs",
    "coworking_network",
    "open_public_buildings",
    "multiplexed_hubs",
    "wider_mesh",
)
CASES: dict[str, dict[str, Any]] = {"default": {}}
CASES.update({f"short_{s}": {**SHORT, "scenario": s} for s in SCENARIOS})
CASES["synthetic"] = {"territory.kind": "synthetic", "weeks": 8, "warmup_weeks": 2, "seed": 3}


def _config(case: dict[str, Any]) -> Any:
    from simulation.core.config import to_config

    over = dict(case)
    scenario = over.pop("scenario", None)
    data: dict[str, Any] = {}
    if scenario is not None:
        import yaml

        root = HERE.parents[1]
        data["scenario"] = yaml.safe_load((root / "configs" / "scenario" / f"{scenario}.yaml").read_text())
    return to_config(data, **over)


def _canonical(df: pd.DataFrame) -> str:
    cols = []
    for c in df.columns:
        v = df[c]
        if isinstance(v.dtype, pd.CategoricalDtype):
            v = v.astype(str)
        if pd.api.types.is_float_dtype(v):
            cols.append([repr(float(x)) for x in v.to_numpy()])
        else:
            cols.append([str(x) for x in v.to_numpy()])
    lines = [",".join(map(str, df.columns))]
    lines += [",".join(row) for row in zip(*cols, strict=True)] if cols else []
    return "\n".join(lines)


def _plain(v: Any) -> Any:
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def fingerprint(case: dict[str, Any]) -> dict[str, Any]:
    """The fingerprint of one case (see the module docstring)."""
    from simulation.sim.model import run

    result = run(_config(case), progress=False)
    summary = {k: _plain(v) for k, v in result.summary.items() if k != "runtime_s"}
    tables = {}
    for name, df in result.tables.items():
        sums = {
            str(c): _plain(float(df[c].sum())) for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
        }
        digest = hashlib.sha256(_canonical(df).encode()).hexdigest()
        tables[name] = {"rows": len(df), "sha256": digest, "sums": sums}
    return {"summary": summary, "tables": tables, "notes": len(result.notes)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite outputs.json")
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    args = parser.parse_args(argv)
    names = args.cases or list(CASES)
    old = json.loads(FILE.read_text()) if FILE.is_file() else {}
    new = {n: fingerprint(CASES[n]) for n in names}
    if args.write:
        FILE.write_text(json.dumps({**old, **new}, indent=1, sort_keys=True) + "\n")
        print(f"wrote {FILE} ({len(new)} cases)")
        return 0
    bad = [n for n in names if old.get(n) != new[n]]
    print("identical" if not bad else f"differ: {', '.join(bad)}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
