"""The Mesa model: the build order of a run, the day loop, and the observers (docs/ODD.md 2, 3).

Build order (:class:`SharedPlacesModel`): the territory (its source, the ``territory`` stream); the zone-to-zone
travel matrices; the scenario's interventions (which may read those matrices, e.g. to site places); the
population (the ``population`` stream: the same people in every scenario); the places as arrays
(:class:`~simulation.sim.network.Network`) and zone-to-place travel; the Mesa agents (places, operators,
providers, the authority); the behaviour states (workers, residents, makers), the accounts and the recorder.

One :meth:`SharedPlacesModel.step` is one day (docs/ODD.md 3):

1. needs whose deadline passed are counted unmet; new needs and makers' sessions arrive;
2. for each slot of the day (AM, PM, EV):
   1. on weekdays, at AM, workers choose where to work for the day (:mod:`~simulation.sim.work`);
   2. residents with pending needs and no planned visit plan one; those planned for this slot go
      (:mod:`~simulation.sim.services`);
   3. makers with a session to place plan it; those planned for this slot go (:mod:`~simulation.sim.makers`);
   4. each place admits users up to its capacity by a random lottery; the others fall back;
   5. occupancy, contacts, encounters and trips are recorded (:mod:`~simulation.sim.recorder`);
3. every 4 weeks: accounts, cost allocation, subsidies (:mod:`~simulation.sim.accounts`), operators' review;
4. every 13 weeks: providers' review of their permanences.

Observers (:class:`Observer`) registered with the model are called after each day and each accounting period;
the per-period KPIs are also collected by Mesa's :class:`~mesa.DataCollector` (``model.datacollector``).
Residents, workers and makers are columns; places, operators, providers and the authority are Mesa agents.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Iterable
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simulation.core.allocator import keep_freed_memory
from simulation.core.config import SimConfig, to_config, validate
from simulation.core.progress import progress_bar
from simulation.core.randomness import Streams
from simulation.observe import metrics
from simulation.observe.outputs import RunResult
from simulation.scenarios import apply_scenario
from simulation.sim import accounts, makers, services, sizing, work
from simulation.sim.network import MEDIATION, WORK, WORKSHOP, Network, OperatorAgent, PlaceAgent
from simulation.sim.observer import Observer
from simulation.sim.population import build_population
from simulation.sim.providers import Authority, ProviderAgent
from simulation.sim.recorder import Recorder
from simulation.sim.travel import travel_matrices
from simulation.sim.world import Keys, World
from simulation.territory import Territory, load_territory

logging.getLogger("MESA").setLevel(logging.WARNING)
logging.getLogger("mesa").setLevel(logging.WARNING)

DAYS_PER_PERIOD = 28
DAYS_PER_QUARTER = 91


def _period_value(name: str, model: SharedPlacesModel) -> Any:
    return model.last_period_row[name]


class SharedPlacesModel(mesa.Model):
    """The shared-places model of one territory under one scenario.

    Args:
        cfg: a validated configuration.
        territory: the territory before the scenario's interventions (default: loaded from ``cfg.territory``).
        observers: called after each day and each period (:class:`Observer`).
    """

    def __init__(
        self, cfg: SimConfig, territory: Territory | None = None, observers: Iterable[Observer] = ()
    ) -> None:
        super().__init__(rng=cfg.seed)
        keep_freed_memory()  # large temporaries reuse freed memory instead of fresh pages (core.allocator)
        self.streams = Streams(cfg.seed)
        provider_ids = [p.id for p in cfg.providers]
        if territory is None:
            territory = load_territory(cfg.territory, provider_ids, self.streams.generator("territory"))
        sizing.check(cfg, territory.zones, territory.places)  # refuse before the large allocations
        self.notes: list[str] = list(territory.notes)
        zones = territory.zones.reset_index(drop=True)
        # travel between zones is known before the scenario, so that interventions can use it (siting)
        zz = travel_matrices(zones, np.arange(len(zones)), cfg.territory, cfg.travel)
        territory, cfg, log = apply_scenario(territory, cfg, provider_ids, context={"zones": zones, "zz": zz})
        validate(cfg)
        self.notes += [f"scenario {cfg.scenario.name}: {line}" for line in log]
        self.cfg = cfg
        self.territory = territory
        zone_index = {z: i for i, z in enumerate(zones["zone_id"].astype(str))}
        kinds = zones["kind"].astype(str)
        cs = zones["car_share"].to_numpy(float) if "car_share" in zones else np.full(len(zones), np.nan)
        car_share = np.where(np.isfinite(cs), cs, kinds.map(cfg.territory.car_share).to_numpy(float))
        pop = build_population(cfg, zones, car_share, zz.km, self.streams.generator("population"))
        network = Network(territory.places, zone_index, cfg)
        zp = travel_matrices(zones, network.zone, cfg.territory, cfg.travel)
        self.world = World(
            cfg=cfg, zones=zones, pop=pop, network=network, zz=zz, zp=zp, keys=Keys.of(self.streams)
        )

        # Mesa agents: places with their operators, providers, the authority
        for row in range(network.n):
            OperatorAgent(self, PlaceAgent(self, network, row))
        for k, spec in enumerate(cfg.providers):
            ProviderAgent(self, network, k, spec)
        self.authority = Authority(self, cfg.policy)

        # behaviour states, accounts and records
        self.workers = work.Workers.of(self.world)
        self.residents = services.Residents.of(self.world)
        self.makers = makers.Makers.of(self.world)
        self.accounts = accounts.Accounts(network.n)
        self.recorder = Recorder(len(zones), network.n, len(cfg.providers))
        self.rng_needs = self.streams.generator("needs")
        self.rng_sessions = self.streams.generator("sessions")
        self.datacollector = mesa.DataCollector(
            model_reporters={name: functools.partial(_period_value, name) for name in metrics.PERIOD_COLUMNS}
        )
        self.last_period_row: dict[str, Any] = {}
        self.observers: list[Observer] = list(observers)

        self.total_days = 7 * (cfg.warmup_weeks + cfg.weeks)
        self.warmup_days = 7 * cfg.warmup_weeks
        self.day = 0
        self.period = 0
        self._period_start_day = 0

    # ------------------------------------------------------------------------------------------------
    # agents and shortcuts
    # ------------------------------------------------------------------------------------------------
    @property
    def network(self) -> Network:
        """The places as arrays."""
        return self.world.network

    @property
    def places(self) -> mesa.agent.AbstractAgentSet:
        """The places (Mesa agents), in row order."""
        return self.agents_by_type[PlaceAgent]

    @property
    def operators(self) -> mesa.agent.AbstractAgentSet:
        """The places' operators (Mesa agents), in row order."""
        return self.agents_by_type[OperatorAgent]

    @property
    def providers(self) -> mesa.agent.AbstractAgentSet:
        """The providers (Mesa agents), in the configuration's order."""
        return self.agents_by_type[ProviderAgent]

    @property
    def counting(self) -> bool:
        """Whether the current day is in the counted weeks (after the warm-up)."""
        return self.day >= self.warmup_days

    def add_observer(self, observer: Observer) -> None:
        """Register an observer (called after each day and each period)."""
        self.observers.append(observer)

    # ------------------------------------------------------------------------------------------------
    # the day
    # ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One day (module docstring)."""
        world, rec, d = self.world, self.recorder, self.day
        dow = d % 7
        rec.counting = self.counting
        if dow == 0:
            self.workers.remote_used[:] = 0
        services.expire(world, self.residents, d, rec)
        services.arrive(world, self.residents, d, self.rng_needs, rec)
        makers.arrive(world, self.makers, d, self.rng_sessions)
        away = None  # per resident, today's work zone when away from home (trip chaining)
        for part in range(3):
            s = dow * 3 + part
            abs_slot = d * 3 + part
            users = np.zeros((self.network.n, 3), dtype=np.int64)
            if part == 0 and dow < 5:
                work.decide(world, self.workers, d, s, rec)
            if dow < 5 and part < 2:
                users[:, WORK] = work.work_slot(world, self.workers, s, abs_slot, rec)
            if part == 0:
                away = work.away_zones(world, self.workers, dow < 5)
            users[:, MEDIATION] = services.service_slot(world, self.residents, d, s, abs_slot, rec, away)
            users[:, WORKSHOP] = makers.workshop_slot(world, self.makers, d, s, abs_slot, rec)
            rec.encounters(users, world.sample_rate)
            rec.quarter.occurrences[s] += 1
        self.day += 1
        for obs in self.observers:
            obs.on_day(self)
        if self._period_ends(self.day):
            self._end_period()
        if self.day % DAYS_PER_QUARTER == 0:
            self._providers_review()

    def _period_ends(self, day: int) -> bool:
        """Whether an accounting period ends before ``day``.

        Periods are 4 weeks; the counted weeks start a new period, so no period straddles the end of the
        warm-up (its accounts would be half counted). A last, shorter period closes the run.
        """
        w = self.warmup_days
        if day == self.total_days or day == w:
            return True
        return (day - w) % DAYS_PER_PERIOD == 0 if day > w else day % DAYS_PER_PERIOD == 0

    def _end_period(self) -> None:
        """Accounts, operators' review, counted records, lagged states for the next period."""
        world, net, cfg, rec = self.world, self.network, self.cfg, self.recorder
        start = self._period_start_day
        weeks = (self.day - start) / 7.0
        counted = start >= self.warmup_days
        res = accounts.close_period(
            net,
            world.zones["kind"].to_numpy(),
            cfg,
            self.authority,
            self.accounts,
            rec.period,
            self.workers.subscribed,
            weeks,
        )
        # operators' review: viability and capacity (in row order, the active places only)
        lines = self.operators.select(lambda op: bool(net.active[op.place.row])).map(
            lambda op: (
                op.place.row,
                op.review(
                    self.period, bool(res.close[op.place.row]), res.full_share[op.place.row], cfg.economics
                ),
            )
        )
        changed = False
        for row, line in lines:
            if line:
                self.notes.append(line)
                changed = True
                if res.close[row]:
                    rec.places_closed += 1
        row_kpis = None
        if counted:
            self._record_accounts(res)
            row_kpis = metrics.period_row(
                rec,
                period=self.period,
                week_start=(start - self.warmup_days) // 7,
                weeks=weeks,
                cost=res.total_cost.sum() + res.perm_cost.sum(),
                revenue=res.revenue.sum(),
                subsidy=res.subsidy.sum(),
                places_open=int(net.active.sum()),
                sample_rate=world.sample_rate,
            )
            self.last_period_row = row_kpis
            self.datacollector.collect(self)
            rec.close_period_row(row_kpis)
        work.update_lagged(world, self.workers)
        makers.update_lagged(world, self.makers)
        self.period += 1
        self._period_start_day = self.day
        rec.period.reset()
        if changed:
            net.refresh()
        for obs in self.observers:
            obs.on_period(self, row_kpis)

    def _record_accounts(self, res: accounts.PeriodResult) -> None:
        """Add a counted period's accounts to the recorder."""
        rec, s = self.recorder, self.world.sample_rate
        pa, pr, m = rec.place_acc, rec.prov_acc, rec.money
        pa.cost += res.total_cost
        pa.revenue_users += res.rev_users
        pa.provider_pay += res.pay_prov.sum(axis=0)
        pa.subsidy += res.subsidy
        pa.balance += res.balance
        pa.users += rec.period.users.sum(axis=1) / s
        pa.contacts += rec.period.contacts_kp.sum(axis=0) / s
        pr.payments += res.pay_prov.sum(axis=1)
        pr.permanence += res.perm_cost
        pr.contacts += rec.period.contacts_kp.sum(axis=1) / s
        m.network_cost += res.total_cost.sum() + res.perm_cost.sum()
        m.provider_cost += res.pay_prov.sum() + res.perm_cost.sum()
        m.public_cost += res.subsidy.sum() + res.public_deficit.sum()
        m.revenue += res.revenue.sum()
        m.subsidy += res.subsidy.sum()

    def _providers_review(self) -> None:
        """Every 13 weeks: each provider reviews its permanences (docs/ODD.md 7.8)."""
        rec, econ = self.recorder, self.cfg.economics
        q = rec.quarter
        for prov in self.providers:
            self.notes += prov.review(q.contacts[prov.k], q.occurrences, q.rejections[prov.k], econ)
            rec.prov_acc.rejections[prov.k] += q.rejections[prov.k].sum() / self.world.sample_rate
        q.reset()
        self.network.refresh()

    # ------------------------------------------------------------------------------------------------
    # outputs
    # ------------------------------------------------------------------------------------------------
    def view(self, runtime_s: float = 0.0) -> metrics.RunView:
        """What the metrics read at the end of the run (they never read the model itself)."""
        return metrics.RunView(
            cfg=self.cfg,
            territory=self.territory.name,
            zones=self.world.zones,
            network=self.network,
            pop=self.world.pop,
            zp=self.world.zp,
            recorder=self.recorder,
            providers=list(self.providers),
            closed_period=[p.closed_period for p in self.places],
            periods=self.datacollector.get_model_vars_dataframe(),
            runtime_s=runtime_s,
        )

    def summary(self, runtime_s: float) -> dict[str, Any]:
        """The KPIs of the counted weeks (:func:`simulation.observe.metrics.summary`)."""
        return metrics.summary(self.view(runtime_s))

    def tables(self) -> dict[str, pd.DataFrame]:
        """The output tables (:func:`simulation.observe.metrics.tables`)."""
        return metrics.tables(self.view())


def run(
    cfg: SimConfig | None = None,
    progress: bool | None = None,
    territory: Territory | None = None,
    observers: Iterable[Observer] = (),
) -> RunResult:
    """Run one simulation and return its outputs.

    Args:
        cfg: a configuration (default: the built-in defaults).
        progress: show a progress bar (None: only when stderr is a terminal).
        territory: a territory to use instead of loading ``cfg.territory`` (tests, experiments).
        observers: called after each day and each period (e.g. calibration measures, a dashboard).
    """
    cfg = to_config() if cfg is None else cfg
    validate(cfg)
    t0 = time.perf_counter()
    model = SharedPlacesModel(cfg, territory, observers)
    bar = progress_bar(
        model.total_days,
        progress if progress is not None else cfg.output.progress,
        desc=f"{cfg.scenario.name} seed {cfg.seed}",
    )
    with bar:
        for _ in range(model.total_days):
            model.step()
            bar.update(1)
    runtime = time.perf_counter() - t0
    view = model.view(runtime)
    return RunResult(summary=metrics.summary(view), tables=metrics.tables(view), notes=model.notes)
