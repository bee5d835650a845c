"""What each library scenario closes, converts and adds on a few territories (issue 9), as a Markdown table.

Usage::

    python scripts/library_counts.py                 # the Nièvre, Lyon, Paris and the synthetic territory
    python scripts/library_counts.py --communes 69123 --departements 58

Applies every ``configs/scenario/*.yaml`` with :func:`simulation.scenarios.apply_scenario` (no simulation) and
prints, per scenario and territory, ``closed / converted / added`` places (rows removed, rows changed, rows
added), the counts that ``tests/test_library_scenarios.py`` checks against each description.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from omegaconf import OmegaConf

from simulation.core.config import to_config
from simulation.core.errors import ConfigError
from simulation.scenarios import apply_scenario
from simulation.territory import Territory, synthetic_territory
from simulation.territory.sources.france import load_france

ROOT = Path(__file__).resolve().parents[1]


def counts(base: Territory, new: Territory) -> tuple[int, int, int]:
    """(closed, converted, added): places removed, places whose row changed, places added."""
    b, n = base.places.set_index("place_id"), new.places.set_index("place_id")
    both = b.index.intersection(n.index)
    rb = b.loc[both].apply(lambda r: repr(r.tolist()), axis=1)  # NaN and dicts compare as text
    rn = n.loc[both, b.columns].apply(lambda r: repr(r.tolist()), axis=1)
    return len(b.index.difference(n.index)), int((rb != rn).sum()), len(n.index.difference(b.index))


def table(territories: dict[str, Territory]) -> pd.DataFrame:
    """One row per library scenario, one column per territory: ``closed / converted / added``."""
    providers = [p.id for p in to_config().providers]
    rows = {}
    for path in sorted((ROOT / "configs" / "scenario").glob("*.yaml")):
        cfg = to_config({"scenario": OmegaConf.load(path)})
        row = {}
        for name, t in territories.items():
            try:
                new, _, _ = apply_scenario(t, cfg, providers)
                row[name] = " / ".join(map(str, counts(t, new)))
            except ConfigError as exc:
                row[name] = f"refused ({exc.key})"
        rows[path.stem] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def main(argv: list[str] | None = None) -> int:
    """Print the table (module docstring)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--departements", nargs="*", default=None, help="one territory per departement code")
    ap.add_argument("--communes", nargs="*", default=None, help="one territory of these commune codes")
    args = ap.parse_args(argv)
    ts: dict[str, Territory] = {}
    if args.departements is None and args.communes is None:
        ts["nievre"] = load_france(departements=[58])
        ts["lyon"] = load_france(communes=[69123])
        ts["paris"] = load_france(departements=[75])
        ts["synthetic"] = synthetic_territory(
            to_config().territory.synthetic, [p.id for p in to_config().providers], np.random.default_rng(1)
        )
    for d in args.departements or []:
        ts[f"dep {d}"] = load_france(departements=[d])
    if args.communes:
        ts["communes"] = load_france(communes=args.communes)
    df = table(ts)
    print("| scenario | " + " | ".join(df.columns) + " |")
    print("|---" * (len(df.columns) + 1) + "|")
    for name, row in df.iterrows():
        print(f"| `{name}` | " + " | ".join(row) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
