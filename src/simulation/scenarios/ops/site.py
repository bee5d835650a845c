"""``site``: choose where to open places by an exact location model, then convert them or add new places there.

Keys:

- ``objective`` (required): ``p_median`` (open ``p`` sites minimising the demand-weighted one-way minutes to the
  nearest site), ``mclp`` (maximal coverage: open ``p`` sites covering the most demand within
  ``radius_minutes``) or ``lscp`` (set covering: the fewest sites putting every zone of positive demand within
  ``radius_minutes``);
- ``p``: the number of **new** sites (p_median, mclp; not used by lscp): a whole number >= 1, or
  ``{same_as: <scenario>}``: as many as the rule-based scenario ``configs/scenario/<scenario>.yaml`` converts or
  adds when applied to the places as they stand (its places whose row it changes plus those it adds), so that an
  optimised scenario and its rule-based twin open the same number of sites on any territory; at most the
  number of candidates (the line in ``notes.txt`` says when it is capped), and nothing when the twin opens no
  site there (logged, as a selector that matches nothing);
- ``radius_minutes``: the coverage radius, one-way minutes (mclp, lscp; not used by p_median);
- ``candidates`` (required): a place selector as in ``convert`` (``origin``, ``zone_kind``, ``one_per_zone``...),
  or ``zone_centres: true`` with zone criteria only (``zone_kind``, ``min_zone_population``,
  ``exclude_zones_with_activity``...): a new place at the centre of each zone picked;
- ``weights`` (default ``adults``): the demand of each zone: ``adults`` (its population), ``contact_needs``
  (human-contact needs per year: adults x sum over providers of ``needs_per_adult_year x (1 - digital_autonomy x
  online_share)``), ``unmet_needs`` (needs left unmet per year, measured by a run: needs ``weights_from``) or
  ``commute_minutes_saved`` (teleworkers' one-way commute minutes a desk at home would save, see
  :func:`commute_saved_per_adult`);
- ``weights_from`` (optional): a baseline run's ``zones.csv``: the weights are read from its column
  (``adults``: ``population``, ``contact_needs``: ``needs_human``, ``unmet_needs``: ``unmet_needs``), joined on
  ``zone_id``; without it they are computed from the territory and the configuration (expected values);
- ``keep_existing`` (default false): the places that already run the activity are sites forced open (they serve
  demand and count in the objective, not in ``p``): with ``convert``, the partner network's points (``network``
  true or the convert's label) and the providers' own offices; with ``add_places``, the places with capacity
  for one of the new place's activities. ``keep_existing: network`` (``convert`` only) keeps the partner
  network's points but not the providers' offices (an office serves its own provider's needs only);
- exactly one follow-up: ``convert`` ({the keys of ``convert`` but ``select``}: the chosen places become shared
  mediation points; needs place candidates) or ``add_places`` ({the keys of ``add_places`` but ``at``}: a new
  place in each chosen site's zone).

Travel cost: the one-way minutes from each zone's centre to the candidate's zone centre (places sit at their
zone's centroid, as in the model), **averaged over the zone's car owners and others by its car share**:
``car_share x minutes_car + (1 - car_share) x minutes_no_car``. The p-median objective is then the expected
resident-minutes to the nearest site; car minutes alone would ignore the 7 to 25 % of adults without a car, for
whom distance costs most (rural public transport: 40 min of access). Candidates are compared by their zone:
within a zone, the first one the selector returns stands for it (``one_per_zone`` with ``prefer`` says which),
and with ``keep_existing`` no new site is proposed in a zone that has a forced one.

The choice is deterministic (no random draw: the population, needs and every stream of the run are unchanged,
so common random numbers hold) and logged in ``notes.txt``: objective, bound and gap, the chosen sites with the
demand each serves, then the follow-up's line. Bad input (``p`` larger than the candidates, no candidate, a
radius no candidate meets, a missing weight file or column, an infeasible covering naming the zone that cannot
be covered) raises :class:`~simulation.core.errors.ConfigError` or
:class:`~simulation.core.errors.InputFileError`: one line, exit status 2.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from omegaconf import OmegaConf

from simulation.core.config import SimConfig
from simulation.core.errors import ConfigError, InputFileError
from simulation.scenarios.base import Operation, ScenarioState, register
from simulation.scenarios.ops.add_places import AddPlaces
from simulation.scenarios.ops.convert import Convert
from simulation.scenarios.parsing import boolean, fail, mapping, number, plain, required, string
from simulation.scenarios.selectors import (
    CAPACITY_COLUMN,
    SELECTOR_KEYS,
    ZONE_KEYS,
    Selector,
    ZoneSelector,
    select_places,
    select_zones,
    selector,
    zone_selector,
)
from simulation.sim.population import zone_jobs
from simulation.sim.travel import TravelMatrices, travel_matrices
from simulation.siting import SitingError, SitingResult, max_coverage, p_median, set_cover

OBJECTIVES = ("p_median", "mclp", "lscp")
WEIGHTS = ("adults", "contact_needs", "unmet_needs", "commute_minutes_saved")
WEIGHT_UNITS = {
    "adults": "adults",
    "contact_needs": "human-contact needs/year",
    "unmet_needs": "unmet needs/year",
    "commute_minutes_saved": "teleworker-minutes saved per one-way trip",
}
# the column of a run's zones.csv holding each weight (observe.metrics), for ``weights_from``
WEIGHT_COLUMN = {"adults": "population", "contact_needs": "needs_human", "unmet_needs": "unmet_needs"}
ACTIVITY_OF_FOLLOW_UP = {"convert": "mediation"}
SPEC_KEYS = ("objective", "p", "radius_minutes", "candidates", "weights", "weights_from", "keep_existing")


# --------------------------------------------------------------------------------------------------
# The siting problem of a territory (shared by the operation and lieux-site)
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightSpec:
    """Where each zone's demand comes from.

    Attributes:
        kind: one of :data:`WEIGHTS`.
        path: a baseline run's zones.csv (``weights_from``), or None: computed from the territory.
    """

    kind: str = "adults"
    path: str | None = None

    @property
    def column(self) -> str | None:
        """The column read from ``path`` (None without a file)."""
        return WEIGHT_COLUMN[self.kind] if self.path is not None else None

    @property
    def unit(self) -> str:
        """The unit of the weights, in words."""
        return WEIGHT_UNITS[self.kind]

    @property
    def label(self) -> str:
        """Short text for logs: ``contact_needs`` or ``unmet_needs from results/.../zones.csv``."""
        return self.kind if self.path is None else f"{self.kind} from {self.path}"


@dataclass(frozen=True)
class SiteSpec:
    """A siting question: objective, size, candidates, demand weights (module docstring).

    Attributes:
        objective: one of :data:`OBJECTIVES`.
        p: new sites to open (p_median, mclp), else None; with ``same_as``, None until :meth:`sized`.
        radius_minutes: coverage radius, one-way minutes (mclp, lscp), else None.
        candidates: the place selector, or None with ``zone_centres``.
        zone_centres: the zone selector of new places at zone centres, or None with ``candidates``.
        weights: the demand weights.
        keep_existing: force the places that already run the activity open (True), or only the partner
            network's points (``"network"``), or none (False).
        key: where the entry was written, for error messages.
        same_as: the rule-based twin whose count of sites is ``p`` (``p: {same_as: name}``), or None.
    """

    objective: str
    p: int | None
    radius_minutes: float | None
    candidates: Selector | None
    zone_centres: ZoneSelector | None
    weights: WeightSpec
    keep_existing: bool | str = False
    key: str = "scenario.interventions[?]"
    same_as: Twin | None = None

    @classmethod
    def parse(cls, d: dict[str, Any], key: str, provider_ids: Sequence[str] | None = None) -> SiteSpec:
        """Check the siting keys of an entry (module docstring); other keys are left to the caller.

        Raises:
            ConfigError: naming the key path; InputFileError: a weight file without the column.
        """
        objective = string(required(d, "objective", key), f"{key}.objective", OBJECTIVES)
        p = radius = twin = None
        if objective == "lscp":
            if d.get("p") is not None:
                raise ConfigError(f"{key}.p", "lscp finds the fewest sites itself: drop p")
        else:
            value = plain(required(d, "p", key))
            if isinstance(value, dict):
                name = string(
                    required(mapping(value, f"{key}.p", ("same_as",)), "same_as", f"{key}.p"),
                    f"{key}.p.same_as",
                )
                twin = Twin.load(name, f"{key}.p.same_as", provider_ids)
            elif isinstance(value, int) and not isinstance(value, bool) and value >= 1:
                p = value
            else:
                raise fail(f"{key}.p", value, "an integer >= 1 or {same_as: <scenario name>}")
        if objective == "p_median":
            if d.get("radius_minutes") is not None:
                raise ConfigError(f"{key}.radius_minutes", "p_median has no radius: drop it")
        else:
            radius = number(required(d, "radius_minutes", key), f"{key}.radius_minutes")
            if radius == 0:
                raise fail(f"{key}.radius_minutes", d["radius_minutes"], "a number of minutes > 0")
        ckey = f"{key}.candidates"
        c = mapping(
            required(d, "candidates", key),
            ckey,
            (*SELECTOR_KEYS, "zone_centres"),
            what="a place selector, or zone_centres: true with zone criteria",
        )
        zone_centres = (
            boolean(c.pop("zone_centres"), f"{ckey}.zone_centres") if "zone_centres" in c else False
        )
        if zone_centres:
            for k in c:
                if k not in ZONE_KEYS:
                    raise ConfigError(
                        f"{ckey}.{k}",
                        "a place criterion; with zone_centres: true the candidates are zones: use zone "
                        "criteria (" + ", ".join(ZONE_KEYS) + ")",
                    )
            sel, zsel = None, zone_selector(c, ckey)
        else:
            sel, zsel = selector(c, ckey), None
        weights = parse_weights(d.get("weights", "adults"), d.get("weights_from"), key)
        keep: bool | str = False
        if d.get("keep_existing") is not None:
            value = d["keep_existing"]
            if not (isinstance(value, bool) or value == "network"):
                raise fail(f"{key}.keep_existing", value, "true, false or network")
            keep = value
        return cls(objective, p, radius, sel, zsel, weights, keep, key, twin)

    def sized(self, state: ScenarioState, twin_sites: pd.DataFrame | None = None) -> SiteSpec:
        """The spec with ``p`` set: itself, or ``p`` = the twin's count of sites on ``state`` (``same_as``).

        Args:
            state: the places as they stand.
            twin_sites: the twin's sites there (:meth:`Twin.sites`), when already known.

        Raises:
            ConfigError: the twin opens no site here (``<key>.p.same_as``).
        """
        if self.same_as is None:
            return self
        n = len(twin_sites) if twin_sites is not None else self.same_as.count(state)
        if n == 0:
            raise ConfigError(
                f"{self.key}.p.same_as",
                f"the scenario {self.same_as.name!r} converts or adds no place on this territory: "
                "nothing to match; expected a twin that opens sites, or a number",
            )
        return dataclasses.replace(self, p=n)


@dataclass(frozen=True)
class Twin:
    """A rule-based scenario whose number of sites an optimised one matches (``p: {same_as: name}``).

    Attributes:
        name: the scenario's name (``configs/scenario/<name>.yaml``).
        operations: its interventions, parsed.
    """

    name: str
    operations: tuple[Operation, ...]

    @classmethod
    def load(cls, name: str, key: str, provider_ids: Sequence[str] | None) -> Twin:
        """Read and parse ``configs/scenario/<name>.yaml`` (it must not site by optimisation itself).

        Raises:
            ConfigError: an unknown scenario, or one holding a ``site`` operation, at ``key``.
        """
        from simulation import resources
        from simulation.core.config import ScenarioConfig
        from simulation.scenarios import parse_interventions  # the package imports this module

        folder = resources.configs_dir() / "scenario"
        path = folder / f"{name}.yaml"
        if not path.is_file():
            known = sorted(f.stem for f in folder.glob("*.yaml"))
            raise ConfigError(key, f"unknown scenario {name!r}; expected one of {', '.join(known)}")
        node = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        entries = node.get("interventions") if isinstance(node, dict) else None
        if any(isinstance(e, dict) and e.get("op") == "site" for e in entries or []):
            raise ConfigError(
                key, f"the scenario {name!r} sites by optimisation itself; expected a rule-based one"
            )
        ops = parse_interventions(ScenarioConfig(name=name, interventions=entries or []), provider_ids)
        return cls(name, tuple(ops))

    def count(self, state: ScenarioState) -> int:
        """Places the twin changes or adds when applied to a copy of ``state`` (``state`` is not changed)."""
        return len(self.sites(state))

    def sites(self, state: ScenarioState) -> pd.DataFrame:
        """The rows of the places the twin changes or adds when applied to a copy of ``state`` (unchanged)."""
        places = state.places.copy(deep=True)
        places["permanences"] = places["permanences"].map(lambda d: dict(d) if isinstance(d, dict) else {})
        copy = ScenarioState(
            state.zones, places, copy_config(state.cfg), state.provider_ids, context=dict(state.context)
        )
        for op in self.operations:
            op.apply(copy)
        n0 = len(state.places)
        old = state.places.reset_index(drop=True)
        new = copy.places.reset_index(drop=True)
        changed = [not old.iloc[i].equals(new.iloc[i]) for i in range(n0)] + [True] * (len(new) - n0)
        return new[np.array(changed, dtype=bool)]


def copy_config(cfg: SimConfig) -> SimConfig:
    """A deep copy of a configuration."""
    out = OmegaConf.to_object(OmegaConf.structured(cfg))
    assert isinstance(out, SimConfig)
    return out


def parse_weights(value: Any, path: Any, key: str) -> WeightSpec:
    """``weights`` (one of :data:`WEIGHTS`) and ``weights_from`` (a run's zones.csv that has its column).

    Args:
        value: the ``weights`` entry.
        path: the ``weights_from`` entry, or None.
        key: the intervention's key path.

    Raises:
        ConfigError: an unknown weight, ``unmet_needs`` without a file, ``commute_minutes_saved`` with one.
        InputFileError: the file is missing or lacks ``zone_id`` or the weight's column.
    """
    kind = string(plain(value), f"{key}.weights", WEIGHTS)
    if path is None:
        if kind == "unmet_needs":
            raise ConfigError(
                f"{key}.weights_from",
                "missing; unmet_needs are measured by a run: give the zones.csv of a baseline run",
            )
        return WeightSpec(kind)
    path = string(plain(path), f"{key}.weights_from")
    if kind not in WEIGHT_COLUMN:
        raise ConfigError(
            f"{key}.weights_from",
            f"a run's zones.csv has no {kind}; it is computed from the territory: drop weights_from "
            "(or use weights " + ", ".join(WEIGHT_COLUMN) + ")",
        )
    header = _read_header(path)
    for col in ("zone_id", WEIGHT_COLUMN[kind]):
        if col not in header:
            raise InputFileError(
                path,
                f"no column '{col}' for {key}.weights {kind}; expected a run's zones.csv "
                f"(columns: {', '.join(header)})",
                column=col,
            )
    return WeightSpec(kind, path)


def _read_header(path: str) -> list[str]:
    p = Path(path)
    if not p.is_file():
        raise InputFileError(path, "no such file (weights_from: a baseline run's zones.csv)")
    try:
        return [str(c) for c in pd.read_csv(p, nrows=0).columns]
    except (ValueError, UnicodeDecodeError) as exc:  # pandas' parser errors are ValueErrors
        raise InputFileError(path, f"cannot read it as CSV: {str(exc).splitlines()[0]}") from None


def car_shares(zones: pd.DataFrame, cfg: SimConfig) -> np.ndarray:
    """Car ownership of each zone: zones.csv's ``car_share`` where given, else the kind's default (as the model)."""
    cs = zones["car_share"].to_numpy(float) if "car_share" in zones else np.full(len(zones), np.nan)
    by_kind = zones["kind"].astype(str).map(cfg.territory.car_share).to_numpy(float)
    return np.where(np.isfinite(cs), cs, by_kind)


def zone_minutes(zz: TravelMatrices, car_share: np.ndarray) -> np.ndarray:
    """Expected one-way minutes from each zone to each zone: car owners' and others' minutes by car share.

    Args:
        zz: zone-to-zone travel (``minutes[0]`` without a car, ``minutes[1]`` car owners), [2, Z, Z].
        car_share: car ownership of each origin zone.
    """
    cs = car_share[:, None]
    return cs * zz.minutes[1] + (1.0 - cs) * zz.minutes[0]


def needs_per_adult(cfg: SimConfig) -> float:
    """Human-contact needs per adult and year: sum_k rate_k (1 - digital_autonomy x online_share_k)."""
    a = cfg.population.digital_autonomy
    return float(sum(p.needs_per_adult_year * (1.0 - a * p.online_share) for p in cfg.providers))


def commute_saved_per_adult(zones: pd.DataFrame, cfg: SimConfig, zz: TravelMatrices) -> np.ndarray:
    """A zone-level proxy of the one-way commute minutes a desk at home would save, per adult of each zone.

    The population does not exist when a scenario is applied (it is drawn after, from its own stream), so
    the commutes are taken in expectation: adults x ``employment_rate`` x ``teleworkable_share`` x
    ``agreement_share`` teleworkers, whose job zone follows the model's gravity law (jobs_j exp(-beta km_ij),
    :func:`~simulation.sim.population.zone_jobs`), and who save ``t_ij - t_ii`` minutes (expected minutes by car
    share) when that saving reaches ``behaviour.work.min_saving_minutes`` (the model's consideration rule: a
    third place saving less is not weighed), else nothing.

    Returns:
        Minutes saved per adult of each zone and one-way trip (teleworker share x expected saving).
    """
    pc = cfg.population
    jobs = zone_jobs(zones, pc.jobs_exponent)
    w = jobs[None, :] * np.exp(-pc.gravity_beta_per_km * zz.km)
    total = w.sum(axis=1, keepdims=True)
    prob = np.where(total > 0, w / np.where(total > 0, total, 1.0), np.eye(len(zones)))
    t = zone_minutes(zz, car_shares(zones, cfg))
    saving = t - np.diag(t)[:, None]
    threshold = cfg.behaviour.work.min_saving_minutes or 0.0
    saving = np.where(saving >= max(threshold, 1e-9), saving, 0.0)
    share = pc.employment_rate * pc.teleworkable_share * pc.agreement_share
    return share * (prob * saving).sum(axis=1)


def zone_weights(spec: WeightSpec, zones: pd.DataFrame, cfg: SimConfig, zz: TravelMatrices) -> np.ndarray:
    """The demand of each zone (rows of ``zones``) under ``spec`` (module docstring; unit ``spec.unit``).

    Raises:
        InputFileError: the weight file lacks a zone of the territory, or a value is not a number >= 0.
    """
    adults = zones["population"].to_numpy(float)
    if spec.path is None:
        if spec.kind == "adults":
            return adults
        if spec.kind == "contact_needs":
            return adults * needs_per_adult(cfg)
        assert spec.kind == "commute_minutes_saved"
        return adults * commute_saved_per_adult(zones, cfg, zz)
    assert spec.column is not None
    df = pd.read_csv(spec.path, dtype={"zone_id": str})
    if spec.column not in df.columns:
        raise InputFileError(spec.path, f"no column '{spec.column}'", column=spec.column)
    values = pd.to_numeric(df[spec.column], errors="coerce")
    bad = values.isna() | (values < 0) | ~np.isfinite(values.fillna(0))
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputFileError(
            spec.path,
            f"got {str(df[spec.column].iloc[i])!r}, expected a number >= 0",
            line=i + 2,
            column=spec.column,
        )
    by_zone = pd.Series(values.to_numpy(float), index=df["zone_id"].astype(str))
    by_zone = by_zone[~by_zone.index.duplicated()]
    ids = zones["zone_id"].astype(str)
    missing = ids[~ids.isin(by_zone.index)]
    if len(missing):
        more = f" and {len(missing) - 3} others" if len(missing) > 3 else ""
        raise InputFileError(
            spec.path,
            f"no row for zone(s) {', '.join(missing.iloc[:3])}{more} of this territory; expected the zones.csv "
            "of a run on the same territory",
            column="zone_id",
        )
    return by_zone.loc[ids].to_numpy(float)


def existing_sites(places: pd.DataFrame, activity: str, label: str = "", offices: bool = True) -> pd.Series:
    """The places that already run ``activity`` (what ``keep_existing`` forces open).

    Mediation: the partner network's points (``network`` true), places labelled ``label`` (e.g. France
    Services) and, with ``offices``, the providers' own offices (origin ``provider_office``: residents of a town
    with the CAF's counter get human contact there for the CAF's needs, though not for the other providers');
    work and workshop: places with desks or workshop seats.
    """
    if activity == "mediation":
        out = places["network"].astype(bool)
        if offices:
            out |= places["origin"] == "provider_office"
        return out | (places["label"] == label) if label else out
    return places[CAPACITY_COLUMN[activity]] > 0


@dataclass(frozen=True)
class SiteSolution:
    """A solved siting problem on a territory.

    Attributes:
        spec: the question.
        zones: the demand zones (the territory's zones, 0..Z-1).
        weights: demand per zone (``spec.weights.unit``).
        candidates: one row per candidate column of the cost matrix: ``site_id`` (a place id, or
            ``zone:<zone_id>`` for a zone centre), ``name``, ``zone_id``, ``zone`` (row in ``zones``), ``existing``
            (forced open), ``place`` (index label in the places table, or -1).
        minutes: the cost matrix, one-way minutes [zones, candidates].
        result: the solver's answer.
        zone_minutes: expected one-way minutes between zone centres [zones, zones] (to evaluate other choices).
    """

    spec: SiteSpec
    zones: pd.DataFrame
    weights: np.ndarray
    candidates: pd.DataFrame
    minutes: np.ndarray
    result: SitingResult
    zone_minutes: np.ndarray

    def evaluate(self, zone_ids: Sequence[str]) -> dict[str, float]:
        """The static objective of another choice: new sites in ``zone_ids``, with the forced ones.

        Used to score a rule-based choice on the optimiser's own terms (places sit at their zone's centre).

        Returns:
            ``objective`` (p_median: weight x minutes to the nearest open site; mclp: weight covered within the
            radius; lscp: number of sites), ``mean_travel_min`` (demand-weighted), ``covered_share`` (within the
            radius, coverage objectives; NaN for p_median), ``sites``.

        Raises:
            KeyError: a zone id that is not one of the territory's.
        """
        zpos = pd.Series(np.arange(len(self.zones)), index=self.zones["zone_id"].astype(str))
        forced = self.candidates.loc[self.candidates["existing"], "zone"].to_numpy(np.int64)
        cols = np.unique(np.concatenate([forced, zpos.loc[[str(z) for z in zone_ids]].to_numpy(np.int64)]))
        best = self.zone_minutes[:, cols].min(axis=1) if cols.size else np.full(len(self.zones), np.inf)
        w = self.weights
        total = float(w.sum())
        reach = np.isfinite(best) & (w > 0)
        mean = float(w[reach] @ best[reach] / total) if total > 0 else float("nan")
        radius = self.spec.radius_minutes
        covered = float(w[best <= radius].sum()) if radius is not None else float("nan")
        if self.spec.objective == "p_median":
            obj = float(w[reach] @ best[reach]) if reach.sum() == (w > 0).sum() else float("inf")
        elif self.spec.objective == "mclp":
            obj = covered
        else:
            obj = float(len(zone_ids) + len(forced))
        share = covered / total if radius is not None and total > 0 else float("nan")
        return {"objective": obj, "mean_travel_min": mean, "covered_share": share, "sites": float(cols.size)}

    @property
    def chosen(self) -> pd.DataFrame:
        """The open sites (forced ones included), rows of ``candidates``."""
        return self.candidates.iloc[self.result.chosen]

    @property
    def chosen_new(self) -> pd.DataFrame:
        """The new sites: chosen and not forced."""
        c = self.chosen
        return c[~c["existing"]]

    def assignment(self) -> pd.DataFrame:
        """One row per zone: ``zone_id, name, weight, site_id, minutes`` (its nearest open site, one-way)."""
        a = self.result.assignment
        site = np.where(a >= 0, self.candidates["site_id"].to_numpy(object)[np.maximum(a, 0)], "")
        return pd.DataFrame(
            {
                "zone_id": self.zones["zone_id"].astype(str).to_numpy(),
                "name": _zone_names(self.zones),
                "x_km": self.zones["x_km"].to_numpy(float),
                "y_km": self.zones["y_km"].to_numpy(float),
                "weight": self.weights,
                "site_id": site,
                "travel_min": self.result.assignment_cost,
            }
        )

    def sites(self) -> pd.DataFrame:
        """One row per open site: ``site_id, name, zone_id, existing, demand_served, zones_served,
        mean_travel_min`` (demand-weighted, one-way) and ``max_travel_min`` over the zones it serves."""
        a = self.assignment()
        rows = []
        for _, s in self.chosen.iterrows():
            mine = a[a["site_id"] == s["site_id"]]
            w = mine["weight"].to_numpy(float)
            t = mine["travel_min"].to_numpy(float)
            rows.append(
                {
                    "site_id": s["site_id"],
                    "name": s["name"],
                    "zone_id": s["zone_id"],
                    "existing": bool(s["existing"]),
                    "demand_served": float(w.sum()),
                    "zones_served": len(mine),
                    "mean_travel_min": float(w @ t / w.sum()) if w.sum() > 0 else float("nan"),
                    "max_travel_min": float(t[w > 0].max()) if (w > 0).any() else float("nan"),
                }
            )
        return pd.DataFrame(rows)

    def summary(self) -> dict[str, Any]:
        """The scalar answer: objective, bound, gap, sites, mean minutes, covered share (coverage problems)."""
        r = self.result
        total = float(self.weights.sum())
        reach = np.isfinite(r.assignment_cost) & (self.weights > 0)
        mean = float(self.weights[reach] @ r.assignment_cost[reach] / total) if total > 0 else float("nan")
        return {
            "objective": self.spec.objective,
            "objective_value": float(r.objective),
            "bound": float(r.bound),
            "gap": float(r.gap),
            "optimal": bool(r.optimal),
            "status": r.status,
            "sites": int(r.n_sites),
            "new_sites": len(self.chosen_new),
            "existing_sites": int(self.candidates["existing"].sum()),
            "candidates": int((~self.candidates["existing"]).sum()),
            "weights": self.spec.weights.label,
            "weights_unit": self.spec.weights.unit,
            "total_demand": total,
            "mean_travel_min": mean,
            "radius_min": r.radius,
            "covered_share": r.covered_share,
            "solve_s": float(r.seconds),
        }

    def describe(self) -> str:
        """One line for notes.txt: objective, gap, the new sites with the demand each serves."""
        s = self.summary()
        if self.spec.objective == "p_median":
            obj = (
                f"objective {s['objective_value']:.6g} ({s['weights_unit']} x min), "
                f"mean {s['mean_travel_min']:.1f} min"
            )
        elif self.spec.objective == "mclp":
            obj = (
                f"covered {s['objective_value']:.6g} {s['weights_unit']} within {s['radius_min']:g} min "
                f"({s['covered_share']:.1%}), mean {s['mean_travel_min']:.1f} min"
            )
        else:
            obj = (
                f"{s['sites']} sites put every zone within {s['radius_min']:g} min, "
                f"mean {s['mean_travel_min']:.1f} min"
            )
        gap = f"gap {s['gap']:.2%} ({'proven optimal' if s['optimal'] else s['status']})"
        kept = f", {s['existing_sites']} existing kept" if self.spec.keep_existing else ""
        twin = f" (as many as {self.spec.same_as.name})" if self.spec.same_as is not None else ""
        table = self.sites().set_index("site_id")
        new = ", ".join(
            f"{sid} {table.loc[sid, 'name']} ({table.loc[sid, 'demand_served']:.0f})"
            for sid in self.chosen_new["site_id"]
        )
        return (
            f"site: {self.spec.objective}, {s['new_sites']} new sites{twin} among {s['candidates']} candidates{kept}, "
            f"weights {s['weights']}: {obj}; {gap}; new sites (demand served): {new}"
        )


def _zone_names(zones: pd.DataFrame) -> np.ndarray:
    ids = zones["zone_id"].astype(str)
    if "name" not in zones:
        return ids.to_numpy(object)
    names = zones["name"].astype(str)
    return names.where(zones["name"].notna() & (names != "") & (names != "nan"), ids).to_numpy(object)


def candidate_table(
    spec: SiteSpec, zones: pd.DataFrame, places: pd.DataFrame, forced: pd.Series | None
) -> pd.DataFrame:
    """The candidate columns: the forced places first, then one new candidate per zone (module docstring).

    Raises:
        ConfigError: the candidates match nothing (``<key>.candidates``).
    """
    ckey = f"{spec.key}.candidates"
    zpos = pd.Series(np.arange(len(zones)), index=zones["zone_id"].astype(str))
    znames = pd.Series(_zone_names(zones), index=zpos.index)
    parts = []
    if forced is not None and forced.any():
        f = places[forced.to_numpy()].copy()
        f["_zone"] = f["zone_id"].astype(str).map(zpos)
        f = f.sort_values(["_zone", "place_id"], kind="stable")
        # the existing places of a zone sit at its centre: one site stands for them all (the first by id)
        more = f.groupby("_zone")["place_id"].transform("size").to_numpy() - 1
        f = f.assign(_more=more).drop_duplicates("_zone")
        names = [
            n if k == 0 else f"{n} (+{k} more)"
            for n, k in zip(f["name"].astype(str), f["_more"], strict=True)
        ]
        parts.append(
            pd.DataFrame(
                {
                    "site_id": f["place_id"].astype(str).to_numpy(),
                    "name": names,
                    "zone_id": f["zone_id"].astype(str).to_numpy(),
                    "existing": True,
                    "place": f.index.to_numpy(),
                }
            )
        )
    taken = set(parts[0]["zone_id"]) if parts else set()
    if spec.zone_centres is not None:
        z = select_zones(spec.zone_centres, zones, places, ckey)
        z = z[~z["zone_id"].astype(str).isin(taken)]
        ids = z["zone_id"].astype(str)
        new = pd.DataFrame(
            {
                "site_id": ("zone:" + ids).to_numpy(),
                "name": znames.loc[ids].to_numpy(),
                "zone_id": ids.to_numpy(),
                "existing": False,
                "place": -1,
            }
        )
    else:
        assert spec.candidates is not None
        idx = select_places(spec.candidates, zones, places, ckey)
        c = places.loc[idx]
        if forced is not None:
            c = c[~forced.loc[idx].to_numpy()]
        c = c[~c["zone_id"].astype(str).isin(taken)]
        c = c.drop_duplicates("zone_id")  # places sit at their zone's centre: the first stands for its zone
        new = pd.DataFrame(
            {
                "site_id": c["place_id"].astype(str).to_numpy(),
                "name": c["name"].astype(str).to_numpy(),
                "zone_id": c["zone_id"].astype(str).to_numpy(),
                "existing": False,
                "place": c.index.to_numpy(),
            }
        )
    if new.empty:
        what = "zone" if spec.zone_centres is not None else "place"
        tail = " outside the zones of the existing sites" if taken else ""
        raise ConfigError(ckey, f"no candidate: the selector matched no {what}{tail}; expected at least one")
    out = pd.concat([*parts, new], ignore_index=True)
    out.insert(3, "zone", out["zone_id"].map(zpos).to_numpy(np.int64))
    return out


def solve_site(
    spec: SiteSpec,
    zones: pd.DataFrame,
    places: pd.DataFrame,
    cfg: SimConfig,
    zz: TravelMatrices | None = None,
    forced: pd.Series | None = None,
) -> SiteSolution:
    """Pose and solve the siting problem of ``spec`` on a territory (pure: nothing is changed).

    Args:
        spec: the question.
        zones: the territory's zones (their order is the order of ``zz``).
        places: the places as they stand.
        cfg: the configuration (travel, population and providers' parameters for the weights).
        zz: zone-to-zone travel; computed from ``zones`` and ``cfg`` when not given.
        forced: a boolean Series over ``places``: the existing sites to keep open (with ``keep_existing``).

    Raises:
        ConfigError: no candidate, ``p`` larger than the candidates, a radius no candidate meets, zero demand,
            an infeasible covering (naming the zone that cannot be covered).
        InputFileError: a weight file that does not fit the territory.
    """
    zones = zones.reset_index(drop=True)
    if zz is None or zz.km.shape != (len(zones), len(zones)):
        zz = travel_matrices(zones, np.arange(len(zones)), cfg.territory, cfg.travel)
    cand = candidate_table(spec, zones, places, forced if spec.keep_existing else None)
    weights = zone_weights(spec.weights, zones, cfg, zz)
    if not (weights > 0).any():
        raise ConfigError(
            f"{spec.key}.weights", f"every zone's weight ({spec.weights.label}) is 0: nothing to site"
        )
    all_minutes = zone_minutes(zz, car_shares(zones, cfg))
    minutes = all_minutes[:, cand["zone"].to_numpy()]
    n_forced = int(cand["existing"].sum())
    n_new = len(cand) - n_forced
    if spec.p is not None and spec.p > n_new and spec.same_as is not None and n_new >= 1:
        # As many as the rule-based twin, at most the candidates: the twin may open sites where this scenario
        # keeps existing ones (e.g. post offices of arrondissements that have providers' offices).
        spec = dataclasses.replace(spec, p=n_new)
    if spec.p is not None and spec.p > n_new:
        raise ConfigError(
            f"{spec.key}.p",
            f"p = {spec.p} is larger than the number of candidate sites ({n_new}: one per zone the candidates "
            "select" + (", outside the zones of the existing sites)" if n_forced else ")"),
        )
    ids = zones["zone_id"].astype(str)
    names = [n if n == z else f"{n} ({z})" for n, z in zip(_zone_names(zones), ids, strict=True)]
    kw = {
        "forced": cand["existing"].to_numpy(bool),
        "demand_names": names,
        "candidate_names": list(cand["site_id"]),
    }
    try:
        if spec.objective == "p_median":
            result = p_median(minutes, weights, spec.p + n_forced, **kw)
        elif spec.objective == "mclp":
            result = max_coverage(minutes, weights, spec.p + n_forced, spec.radius_minutes, **kw)
        else:
            result = set_cover(minutes, spec.radius_minutes, weights=weights, **kw)
    except SitingError as exc:
        key = f"{spec.key}.radius_minutes" if spec.radius_minutes is not None else spec.key
        raise ConfigError(key, str(exc)) from None
    return SiteSolution(spec, zones, weights, cand, minutes, result, all_minutes)


# --------------------------------------------------------------------------------------------------
# The operation
# --------------------------------------------------------------------------------------------------
@register
@dataclass(frozen=True)
class Site(Operation):
    """Choose sites by an exact location model, then convert them or add places there (module docstring)."""

    op = "site"
    keys = ("op", *SPEC_KEYS, "convert", "add_places")

    spec: SiteSpec
    convert: Convert | None = None
    add_places: AddPlaces | None = None
    key: str = "scenario.interventions[?]"

    @classmethod
    def parse(cls, entry: dict[str, Any], key: str, provider_ids: Sequence[str] | None) -> Site:
        """Check a ``site`` entry (module docstring)."""
        spec = SiteSpec.parse(entry, key, provider_ids)
        given = [k for k in ("convert", "add_places") if entry.get(k) is not None]
        if len(given) != 1:
            raise ConfigError(
                key if not given else f"{key}.{given[1]}",
                "give exactly one follow-up: convert (the chosen places become mediation points) or "
                "add_places (a new place in each chosen zone)",
            )
        if spec.keep_existing == "network" and given != ["convert"]:
            raise ConfigError(
                f"{key}.keep_existing", "network applies to convert (mediation points); use true"
            )
        if given == ["convert"]:
            if spec.zone_centres is not None:
                raise ConfigError(
                    f"{key}.convert",
                    "convert needs existing places as candidates; with zone_centres: true use add_places",
                )
            ckey = f"{key}.convert"
            sub = mapping(entry["convert"], ckey, Convert.keys[2:], what="a mapping of convert's keys")
            # the selection is the solver's: a placeholder here, the chosen place ids at apply time
            conv = Convert.parse({**sub, "select": {"place_id": "?"}}, ckey, provider_ids)
            return cls(spec, convert=conv, key=key)
        akey = f"{key}.add_places"
        keys = tuple(k for k in AddPlaces.keys if k not in ("op", "at"))
        sub = mapping(entry["add_places"], akey, keys, what="a mapping of add_places' keys")
        add = AddPlaces.parse({**sub, "at": {"zone": "?"}}, akey, provider_ids)
        return cls(spec, add_places=add, key=key)

    @property
    def activities(self) -> tuple[str, ...]:
        """The activities the follow-up runs (what ``keep_existing`` looks for)."""
        if self.convert is not None:
            return ("mediation",)
        assert self.add_places is not None
        return tuple(a for a, col in CAPACITY_COLUMN.items() if getattr(self.add_places, col) > 0)

    def existing(self, places: pd.DataFrame) -> pd.Series:
        """The places that already run the follow-up's activity (forced open with ``keep_existing``)."""
        label = self.convert.label if self.convert is not None else ""
        out = pd.Series(False, index=places.index)
        for a in self.activities:
            out |= existing_sites(places, a, label, offices=self.spec.keep_existing != "network")
        return out

    def solve(self, state: ScenarioState, twin_sites: pd.DataFrame | None = None) -> SiteSolution:
        """The siting problem on the state's territory (travel from ``state.context['zz']`` when given).

        Args:
            state: the places as they stand (not changed).
            twin_sites: the rule-based twin's sites on ``state`` (``p: {same_as: ...}``), when already known.
        """
        return solve_site(
            self.spec.sized(state, twin_sites),
            state.zones,
            state.places,
            state.cfg,
            state.context.get("zz"),
            self.existing(state.places),
        )

    def apply(self, state: ScenarioState) -> str:
        """Solve, then apply the follow-up to the new sites; return the solution's line and the follow-up's.

        With ``p: {same_as: twin}``, the line also scores the twin's own choice on the same objective.
        """
        twin = self.spec.same_as
        twin_sites = twin.sites(state) if twin is not None else None
        if twin is not None and twin_sites is not None and twin_sites.empty:
            # Like a selector that matches nothing: scenarios must run on any territory (issue 9).
            return f"site: the rule-based twin {twin.name} opens no site on this territory (nothing sited)"
        sol = self.solve(state, twin_sites)
        line = sol.describe()
        if twin is not None and twin_sites is not None:
            if len(sol.chosen_new) < len(twin_sites):
                line += f" (capped: {twin.name} opens {len(twin_sites)}, more than the candidates)"
            line += f"; {twin_score(sol, twin.name, twin_sites)}"
        new = sol.chosen_new
        if self.convert is not None:
            follow = dataclasses.replace(self.convert, select=Selector(place_id=tuple(new["site_id"])))
        else:
            assert self.add_places is not None
            follow = dataclasses.replace(self.add_places, at=ZoneSelector(zone=tuple(new["zone_id"])))
        return f"{line}; then {follow.apply(state)}"


def twin_score(sol: SiteSolution, name: str, twin_sites: pd.DataFrame) -> str:
    """The rule-based twin's choice scored on the optimiser's objective, in words (for notes.txt and lieux-site)."""
    mine = sol.summary()
    other = sol.evaluate(list(twin_sites["zone_id"].astype(str)))
    if sol.spec.objective == "mclp":
        what = f"covers {other['objective']:.6g} ({other['covered_share']:.1%})"
    elif sol.spec.objective == "lscp":
        what = f"opens {other['objective']:.0f} sites, covers {other['covered_share']:.1%}"
    else:
        rel = (
            other["objective"] / mine["objective_value"] - 1 if mine["objective_value"] > 0 else float("nan")
        )
        what = f"objective {other['objective']:.6g} ({rel:+.1%})"
    return (
        f"the rule-based {name} on the same terms: {what}, mean {other['mean_travel_min']:.1f} min "
        f"against {mine['mean_travel_min']:.1f}"
    )
