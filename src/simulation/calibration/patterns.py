"""The field patterns of docs/ODD.md 1 and how a run measures each of them.

Most patterns come from a run's outputs (``summary.json``, ``places.csv``, ``zones.csv``). Four need the workers'
day-by-day places, which no output holds; :class:`PatternObserver`, a model observer, measures them during the
counted weeks:

- *occasional telework*: the share of employed workers with at least one remote day (home or third place) in an
  accounting period, averaged over the counted periods (DARES counts employees who telework "at least
  occasionally");
- *a third-place day against the same worker's office day*: sum over third-place days of the round-trip km to
  the third place, over the sum of the same workers' round-trip km to their office, minus 1;
- *telecentre users' weekday person-km*: for the regular users of third places (workers with, on average, at
  least ``behaviour.work.regular_days`` third-place days per 4 weeks: the model's regulars, about a day a
  week), their weekday person-km (commutes and errands, every weekday) over what it would have been had each
  third-place day been an office day, minus 1 (Balepur et al. compared the weekdays of workers who had adopted
  a telecentre, before and after);
- *the rebound of home days*: the person-km of the errands made from home on home days over the commute
  person-km those home days saved (ADEME 2020: the rebound erases about 31 % of the saving).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from simulation.sim.observer import Observer
from simulation.sim.work import HOME, OFFICE

if TYPE_CHECKING:
    from simulation.sim.model import SharedPlacesModel

FAR_MINUTES = 20.0  # "far from a point of contact": more than this by car, min (access_share_20min)


@dataclass(frozen=True)
class Pattern:
    """A pattern to reproduce: its band of tolerance and where it comes from.

    Attributes:
        key: short id (column of validation.csv).
        name: what it is, in words.
        target: the field value (None: reported only, no target).
        low, high: the band within which the model passes (None when reported only).
        tolerance: the band in words (``±20 %``, ``70-90 %``).
        source: the study or statistic.
        unit: ``share`` (shown in %), ``eur``, ``count``, ``ratio``.
        beside: what to print beside a reported pattern (the field figures).
    """

    key: str
    name: str
    target: float | None
    low: float | None
    high: float | None
    tolerance: str
    source: str
    unit: str
    beside: str = ""


def _rel(target: float, frac: float) -> tuple[float, float]:
    return target * (1 - frac), target * (1 + frac)


PATTERNS: tuple[Pattern, ...] = (
    Pattern("fs_requests", "France Services requests per site per year", 3170, *_rel(3170, 0.2), "±20 %",
            "Cour des comptes 2024 (9 M requests over 2,840 sites in 2023)", "count"),
    Pattern("fs_cost_rural", "annual cost of a rural France Services site", 94_000, *_rel(94_000, 0.2), "±20 %",
            "Senate report r21-778 (2022): 2.2 agents", "eur"),
    Pattern("fs_cost_periurban", "annual cost of a peri-urban France Services site", 101_000,
            *_rel(101_000, 0.2), "±20 %", "Senate report r21-778 (2022): 2.5 agents", "eur"),
    Pattern("desk_occupancy", "desk occupancy of the coworking spaces", 0.80, 0.70, 0.90, "70-90 %",
            "coworking operators: healthy 70-90 %, loss-making below 70 %", "share"),
    Pattern("remote_days", "remote days per teleworker-week", 1.5, *_rel(1.5, 0.2), "±20 %",
            "DARES 2023 (order of magnitude)", "ratio"),
    Pattern("occasional", "employees teleworking at least occasionally", 0.26, 0.21, 0.31, "±5 points",
            "DARES 2023", "share"),
    Pattern("third_day_km", "person-km of a third-place day against the same worker's office day", -0.74,
            -0.84, -0.64, "±10 points", "Balepur, Varma and Mokhtarian 1998", "share"),
    Pattern("users_weekday_km", "telecentre users' weekday person-km, all their weekdays", -0.19, -0.26, -0.12,
            "±7 points", "Balepur, Varma and Mokhtarian 1998", "share"),
    Pattern("rebound", "share of a home day's commute saving erased by the rebound", 0.31, 0.21, 0.41,
            "±10 points", "ADEME 2020, effets rebond du télétravail", "share"),
    Pattern("third_share", "third places' share of remote days", None, None, None, "reported",
            "Buffer 2020", "share",
            beside="Buffer 2020: 80 % of remote workers work mainly at home, 7 % mainly in a coworking space, "
            "12 % there now and then"),
)  # fmt: skip
BY_KEY = {p.key: p for p in PATTERNS}


class PatternObserver(Observer):
    """Measures the day-by-day patterns during the counted weeks (module docstring)."""

    def __init__(self) -> None:
        self._any_remote: np.ndarray | None = None
        self.occasional_shares: list[float] = []
        self.km_third = 0.0
        self.km_office_same = 0.0
        self.errand_km_home_days = 0.0
        self.commute_km_home_days = 0.0
        self._user_actual: np.ndarray | None = None
        self._user_office: np.ndarray | None = None
        self._third_days: np.ndarray | None = None
        self._regular_per_day = 0.0  # third-place days per counted weekday that make a regular user
        self._weekdays = 0

    def on_day(self, model: SharedPlacesModel) -> None:
        """Read the day's work places (``model.workers.today_place``), once the warm-up is over."""
        w = model.workers
        n = w.zone.shape[0]
        if self._any_remote is None:
            self._any_remote = np.zeros(n, dtype=bool)
            self._user_actual = np.zeros(n)
            self._user_office = np.zeros(n)
            self._third_days = np.zeros(n)
            self._regular_per_day = model.cfg.behaviour.work.regular_days / 20.0  # per 4 weeks of 5 weekdays
        day = model.day - 1  # the day just simulated
        if day < model.warmup_days or day % 7 >= 5:
            return
        assert (
            self._user_actual is not None and self._user_office is not None and self._third_days is not None
        )
        self._weekdays += 1
        tp = w.today_place
        self._any_remote |= tp >= HOME
        rate = model.cfg.behaviour.work.errands_per_week / 5.0
        office_km = 2 * w.commute_km
        errands = np.where(tp == HOME, rate * 2 * w.errand_km, 0.0)
        third = np.flatnonzero(tp >= 0)
        actual = np.where(tp == OFFICE, office_km, 0.0) + errands
        if third.size:
            km3 = 2 * model.world.zp.km[w.zone[third], tp[third]]
            self.km_third += float(km3.sum())
            self.km_office_same += float(office_km[third].sum())
            actual[third] += km3
            self._third_days[third] += 1
        self._user_actual += actual
        self._user_office += np.where(tp >= 0, office_km, actual)
        home = tp == HOME
        self.errand_km_home_days += float(errands[home].sum())
        self.commute_km_home_days += float(office_km[home].sum())

    def on_period(self, model: SharedPlacesModel, row: dict[str, Any] | None) -> None:
        """At the end of each counted period, the share of workers with a remote day in it."""
        if row is None or self._any_remote is None:
            return
        if self._any_remote.size:
            self.occasional_shares.append(float(self._any_remote.mean()))
        self._any_remote[:] = False

    def values(self) -> dict[str, float]:
        """The four observed patterns (NaN when there is nothing to measure)."""
        out = {
            "occasional": float(np.mean(self.occasional_shares)) if self.occasional_shares else math.nan,
            "third_day_km": self.km_third / self.km_office_same - 1.0
            if self.km_office_same > 0
            else math.nan,
            "rebound": self.errand_km_home_days / self.commute_km_home_days
            if self.commute_km_home_days > 0
            else math.nan,
            "users_weekday_km": math.nan,
        }
        if self._third_days is not None and self._weekdays:
            assert self._user_actual is not None and self._user_office is not None
            users = self._third_days >= self._regular_per_day * self._weekdays
            base = self._user_office[users].sum()
            if users.any() and base > 0:
                out["users_weekday_km"] = self._user_actual[users].sum() / base - 1.0
        return out


def measure(
    summary: dict[str, Any], tables: dict[str, pd.DataFrame], observer: PatternObserver
) -> dict[str, float]:
    """The model value of every pattern of :data:`PATTERNS` for one run (NaN when it cannot be measured), plus
    a few quantities that help read them (numbers of sites, of desks)."""
    weeks = float(summary["weeks"])
    per_year = 52.0 / weeks
    places, zones = tables["places"], tables["zones"]
    kind = (
        places["zone_id"]
        .astype(str)
        .map(zones.assign(zone_id=zones["zone_id"].astype(str)).set_index("zone_id")["kind"])
    )
    fs = places["label"].fillna("") == "france_services"
    v: dict[str, float] = {"fs_sites": float(fs.sum())}
    v["fs_requests"] = places.loc[fs, "contacts"].sum() / fs.sum() * per_year if fs.any() else math.nan
    for k in ("rural", "periurban"):
        sel = fs & (kind == k)
        v[f"fs_cost_{k}"] = places.loc[sel, "cost_eur"].mean() * per_year if sel.any() else math.nan
        v[f"fs_n_{k}"] = float(sel.sum())
    cw = (places["origin"] == "coworking") & places["active"].astype(bool)
    v["desk_occupancy"] = _ratio(places.loc[cw, "occupancy_rate"], places.loc[cw, "desks"])
    v["coworking_desks"] = float(places.loc[cw, "desks"].sum())
    v["remote_days"] = float(summary["remote_days_per_teleworker_week"])
    v["third_share"] = float(summary["third_place_share_of_remote_days"])
    v.update(observer.values())
    v["unmet"] = float(summary["unmet_need_rate"])
    far = zones["minutes_to_contact_car"] > FAR_MINUTES
    for name, sel in (("unmet_far", far), ("unmet_near", ~far)):
        z = zones[sel & zones["unmet_need_rate"].notna()]
        v[name] = float(np.average(z["unmet_need_rate"], weights=z["population"])) if len(z) else math.nan
    return v


def _ratio(occupancy: pd.Series, desks: pd.Series) -> float:
    """Desk-weighted mean occupancy of the places given (NaN without desks)."""
    ok = occupancy.notna() & (desks > 0)
    return float(np.average(occupancy[ok], weights=desks[ok])) if ok.any() else math.nan


Measure = Callable[[dict[str, Any], dict[str, pd.DataFrame], PatternObserver], dict[str, float]]
