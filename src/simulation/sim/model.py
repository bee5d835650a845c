"""The Mesa model: owns the random streams, the day loop and the data collection.

One :meth:`SharedPlacesModel.step` is one day (MODEL.md 3):

1. needs whose deadline passed are counted unmet; new needs and makers' sessions arrive;
2. for each slot of the day (AM, PM, EV):
   1. on weekdays, at AM, workers choose where to work for the day (:meth:`_work_choice`);
   2. residents with pending needs and no planned visit plan one; those planned for this slot go;
   3. makers with a session to place plan it; those planned for this slot go;
   4. each place admits users up to its capacity by a random lottery; the others fall back;
   5. occupancy, contacts, encounters and trips are recorded;
3. every 4 weeks: accounts, cost allocation, subsidies, operators' review;
4. every 13 weeks: providers' review of their permanences.

Residents, workers and makers are columns (:mod:`simulation.sim.population`); places, operators, providers and the
authority are Mesa agents. Every decision is vectorised over the agents that decide.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import mesa
import numpy as np
import pandas as pd

from simulation.core.choice import admit, choose, first_true, popcount
from simulation.core.config import SimConfig, to_config, validate
from simulation.core.progress import progress_bar
from simulation.core.randomness import Streams, gumbel, hash_ids, stable_hash, uniform
from simulation.observe import metrics
from simulation.scenarios import apply_scenario
from simulation.sim import economics
from simulation.sim.network import MEDIATION, WORK, WORKSHOP, Network, OperatorAgent, PlaceAgent
from simulation.sim.population import Population, build_population
from simulation.sim.providers import Authority, ProviderAgent
from simulation.sim.travel import travel_matrices
from simulation.territory import Territory, load_territory

logging.getLogger("MESA").setLevel(logging.WARNING)
logging.getLogger("mesa").setLevel(logging.WARNING)

DAYS_PER_PERIOD = 28
DAYS_PER_QUARTER = 91
GROUPS = ("worker", "resident", "maker")


@dataclass
class RunResult:
    """What one run produces.

    Attributes:
        summary: the KPIs of metrics.KPI_NAMES plus scenario, seed, weeks, n_residents, n_workers, n_makers, runtime_s.
        tables: ``slots``, ``places``, ``providers``, ``zones``, ``periods`` as tidy DataFrames.
        notes: what the run had to report (unreadable opening hours, scenario log, closures...).
    """

    summary: dict[str, Any]
    tables: dict[str, pd.DataFrame]
    notes: list[str] = field(default_factory=list)


class SharedPlacesModel(mesa.Model):
    """The shared-places model of one territory under one scenario.

    Args:
        cfg: a validated configuration.
        territory: the territory before the scenario's interventions (default: loaded from ``cfg.territory``).
    """

    def __init__(self, cfg: SimConfig, territory: Territory | None = None) -> None:
        super().__init__(rng=cfg.seed)
        self.streams = Streams(cfg.seed)
        provider_ids = [p.id for p in cfg.providers]
        if territory is None:
            territory = load_territory(cfg.territory, provider_ids, self.streams.generator("territory"))
        self.notes: list[str] = list(territory.notes)
        territory, cfg, log = apply_scenario(territory, cfg, provider_ids)
        validate(cfg)
        self.notes += [f"scenario {cfg.scenario.name}: {line}" for line in log]
        self.cfg = cfg
        self.territory = territory
        self.s = cfg.population.sample_rate
        zones = territory.zones.reset_index(drop=True)
        self.zones = zones
        self.zone_index = {z: i for i, z in enumerate(zones["zone_id"].astype(str))}
        kinds = zones["kind"].astype(str)
        cs = zones["car_share"].to_numpy(float) if "car_share" in zones else np.full(len(zones), np.nan)
        self.car_share = np.where(np.isfinite(cs), cs, kinds.map(cfg.territory.car_share).to_numpy(float))

        # travel between zones (commutes) and from zones to places
        self.zz = travel_matrices(zones, np.arange(len(zones)), cfg.territory, cfg.travel)
        self.pop: Population = build_population(
            cfg, zones, self.car_share, self.zz.km, self.streams.generator("population")
        )
        self.network = Network(territory.places, self.zone_index, cfg)
        net = self.network
        self.zp = travel_matrices(zones, net.zone, cfg.territory, cfg.travel)
        self.place_hash = hash_ids(net.place_id)

        # Mesa agents: places with their operators, providers, the authority
        self.places = [PlaceAgent(self, r) for r in range(net.n)]
        self.operators = [OperatorAgent(self, p) for p in self.places]
        self.providers = [ProviderAgent(self, k, spec) for k, spec in enumerate(cfg.providers)]
        self.authority = Authority(self)

        self.total_days = 7 * (cfg.warmup_weeks + cfg.weeks)
        self.warmup_days = 7 * cfg.warmup_weeks
        self.day = 0
        self.period = 0
        self._period_start_day = 0
        self._init_state()
        self._init_records()

    # ------------------------------------------------------------------------------------------------
    # state
    # ------------------------------------------------------------------------------------------------
    def _init_state(self) -> None:
        pop, cfg = self.pop, self.cfg
        n, k = pop.n_residents, len(cfg.providers)
        self.k = k
        self.rates_day = np.array([p.needs_per_adult_year for p in cfg.providers]) / 365.0
        self.online_share = np.array([p.online_share for p in cfg.providers])
        # residents' pending human-contact needs, per category: count, earliest arrival and deadline (days)
        self.pending = np.zeros(n, dtype=np.int64)  # bit mask of categories pending
        self.pend_count = np.zeros((n, k), dtype=np.int32)
        self.pend_arrival = np.zeros((n, k), dtype=np.int32)
        self.pend_deadline = np.full((n, k), np.iinfo(np.int32).max, dtype=np.int32)
        self.plan_place = np.full(n, -1, dtype=np.int64)
        self.plan_slot = np.full(n, -1, dtype=np.int64)  # absolute slot of the planned visit
        self.visit_buckets: dict[int, list[np.ndarray]] = {}
        # workers
        w = pop.n_workers
        self.w_zone = pop.zone[pop.worker_person]
        self.w_car = pop.car[pop.worker_person].astype(np.int64)
        self.remote_used = np.zeros(w, dtype=np.int64)
        self.last_place = np.full(w, -1, dtype=np.int64)
        self.subscribed = np.full(w, -1, dtype=np.int64)
        self.regulars = np.zeros(self.network.n)
        self.work_days: list[
            np.ndarray
        ] = []  # worker * P + place, this period (for regulars and subscriptions)
        # the commute of each worker: one-way km, minutes, money, CO2 per km
        wz, jz, car = self.w_zone, pop.job_zone, self.w_car
        self.commute_km = self.zz.km[wz, jz]
        self.commute_min = self.zz.minutes[car, wz, jz]
        self.commute_eur = self.zz.eur[car, wz, jz]
        self.commute_co2 = self.zz.co2_kg_km[car, wz, jz]
        self._candidates_version = -1
        # makers
        m = pop.n_makers
        self.m_zone = pop.zone[pop.maker_person]
        self.m_car = pop.car[pop.maker_person].astype(np.int64)
        self.m_plan_place = np.full(m, -1, dtype=np.int64)
        self.m_plan_slot = np.full(m, -1, dtype=np.int64)
        self.m_buckets: dict[int, list[np.ndarray]] = {}
        self.m_sessions: list[np.ndarray] = []  # maker * P + place this period (membership)
        self.members = np.zeros(self.network.n)
        # keys of counter-based random channels
        self.key_work = self.streams.key("work")
        self.key_service = self.streams.key("service")
        self.key_workshop = self.streams.key("workshop")
        self.key_lottery = self.streams.key("lottery")
        self.key_capacity = self.key_lottery ^ np.uint64(0x5BD1E9955BD1E995)  # capacity rounding draws
        self.rng_needs = self.streams.generator("needs")
        self.rng_sessions = self.streams.generator("sessions")
        self.h_office = stable_hash("__office__")
        self.h_home = stable_hash("__home__")
        self.h_give_up = stable_hash("__give_up__")
        self.h_outside = stable_hash("__no_session__")

    def _init_records(self) -> None:
        p, k = self.network.n, self.k
        self.slot_rows: list[np.ndarray] = []  # [place, abs_slot, activity, capacity, users, rejected]
        # per-period accumulators (reset each period)
        self.acc_users = np.zeros((p, 3))
        self.acc_contacts_kp = np.zeros((k, p))
        self.acc_sessions = np.zeros(p)
        self.acc_workdays = np.zeros(p)
        self.acc_rev_pass = np.zeros(p)
        self.acc_full = np.zeros((p, 3))
        self.acc_open = np.zeros((p, 3))
        self.acc_cap = np.zeros((p, 3))
        # per-quarter accumulators for the providers' review
        self.q_contacts = np.zeros((k, p, 21))
        self.q_rejections = np.zeros((k, p))
        self.q_occurrences = np.zeros(21)
        # counted totals (simulated units; scaled at the end)
        self.tot: dict[str, float] = {
            name: 0.0
            for name in (
                "needs_human",
                "needs_online",
                "solved",
                "unmet",
                "gave_up",
                "delay_days",
                "visits",
                "trips",
                "contacts",
                "km_work",
                "km_service",
                "km_workshop",
                "hours_work",
                "hours_service",
                "hours_workshop",
                "co2_kg",
                "pairs",
                "sessions",
                "sessions_lost",
                "remote_days",
                "third_days",
                "teleworkable_days",
            )
        }
        self.per_zone = {
            name: np.zeros(len(self.zones)) for name in ("needs_human", "unmet", "solved", "km_service")
        }
        self.period_rows: list[dict[str, Any]] = []
        self._period_start_tot = dict(self.tot)
        self.place_acc = {
            name: np.zeros(p)
            for name in ("cost", "revenue_users", "provider_pay", "subsidy", "balance", "users", "contacts")
        }
        # encounters per place: pairs of users of different groups, slots with >= 2 groups, most groups at once
        self.place_enc = {name: np.zeros(p) for name in ("pairs", "mixed_slots", "max_groups")}
        self.rev_hist: list[np.ndarray] = []
        self.cost_hist: list[np.ndarray] = []
        self.below_streak = np.zeros(p, dtype=np.int64)
        self.prov_acc = {name: np.zeros(k) for name in ("payments", "permanence", "contacts", "rejections")}
        self.money = {
            name: 0.0 for name in ("network_cost", "public_cost", "provider_cost", "revenue", "subsidy")
        }
        self.places_closed = 0

    @property
    def counting(self) -> bool:
        return self.day >= self.warmup_days

    # ------------------------------------------------------------------------------------------------
    # the day
    # ------------------------------------------------------------------------------------------------
    def step(self) -> None:
        """One day."""
        d = self.day
        dow = d % 7
        if dow == 0:
            self.remote_used[:] = 0
        self._expire_needs()
        self._new_needs()
        self._new_sessions()
        for part in range(3):
            s = dow * 3 + part
            abs_slot = d * 3 + part
            users = np.zeros((self.network.n, 3), dtype=np.int64)
            if part == 0 and dow < 5:
                self._work_choice(s)
            if dow < 5 and part < 2:
                users[:, WORK] = self._work_slot(s, abs_slot)
            users[:, MEDIATION] = self._service_slot(s, abs_slot)
            users[:, WORKSHOP] = self._workshop_slot(s, abs_slot)
            self._encounters(users)
            self.q_occurrences[s] += 1
        self.day += 1
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

    # ------------------------------------------------------------------------------------------------
    # needs
    # ------------------------------------------------------------------------------------------------
    def _new_needs(self) -> None:
        """Poisson arrivals per category; online or human contact (the needs stream only: same in every scenario)."""
        rng, n = self.rng_needs, self.pop.n_residents
        counts = rng.poisson(self.rates_day * n)
        for k, c in enumerate(counts):
            if c == 0:
                continue
            who = rng.integers(0, n, size=c)
            online = self.pop.digital[who] & (rng.random(c) < self.online_share[k])
            human = who[~online]
            if self.counting:
                self.tot["needs_human"] += human.size
                self.tot["needs_online"] += int(online.sum())
                np.add.at(self.per_zone["needs_human"], self.pop.zone[human], 1)
            if human.size == 0:
                continue
            fresh = human[self.pend_count[human, k] == 0]
            self.pend_arrival[fresh, k] = self.day
            self.pend_deadline[fresh, k] = self.day + self.cfg.behaviour.service.deadline_days
            np.add.at(self.pend_count[:, k], human, 1)
            self.pending[human] |= 1 << k

    def _expire_needs(self) -> None:
        late = self.pend_deadline < self.day
        if not late.any():
            return
        rows, cats = np.nonzero(late)
        lost = self.pend_count[rows, cats]
        if self.counting:
            self.tot["unmet"] += lost.sum()
            np.add.at(self.per_zone["unmet"], self.pop.zone[rows], lost)
        self._clear(rows, cats)

    def _clear(self, rows: np.ndarray, cats: np.ndarray) -> None:
        self.pend_count[rows, cats] = 0
        self.pend_deadline[rows, cats] = np.iinfo(np.int32).max
        np.bitwise_and.at(self.pending, rows, ~(np.int64(1) << cats.astype(np.int64)))

    # ------------------------------------------------------------------------------------------------
    # workers (MODEL.md 4.1)
    # ------------------------------------------------------------------------------------------------
    def _candidates(self) -> np.ndarray:
        """Desk places within max_minutes of each zone, by car ownership: [2, Z, K] place rows, -1 padded."""
        net = self.network
        if self._candidates_version == net.version:
            return self._cand
        desks = net.desk_places
        if desks.size == 0:
            self._cand, self._candidates_version = (
                np.full((2, len(self.zones), 1), -1, dtype=np.int64),
                net.version,
            )
            return self._cand
        wb = self.cfg.behaviour.work
        minutes = self.zp.minutes[:, :, desks]  # [2, Z, D]
        reach = minutes <= wb.max_minutes
        # consideration set: the nearest desk places within reach (a worker weighs a handful of third places)
        kmax = max(min(int(reach.sum(axis=2).max()), wb.consideration_set), 1)
        order = np.argsort(np.where(reach, minutes, np.inf), axis=2, kind="stable")[:, :, :kmax]
        picked = np.take_along_axis(reach, order, axis=2)
        cand = np.where(picked, desks[order], -1).astype(np.int64)
        self._cand, self._candidates_version = cand, net.version
        return cand

    def work_utilities(self, workers: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
        """Deterministic utilities of office, home and reachable third places for ``workers`` on the day of slot s.

        Returns:
            (utilities [n, 2 + K] with -inf where unavailable, place rows [n, K] of the third-place columns).
        """
        wb, pol, net = self.cfg.behaviour.work, self.cfg.policy, self.network
        cand = self._candidates()[self.w_car[workers], self.w_zone[workers]]  # [n, K]
        valid = cand >= 0
        c = np.where(valid, cand, 0)
        day_open = net.slot_open[c, s, WORK] | net.slot_open[c, s + 1, WORK]
        t = self.zp.minutes[self.w_car[workers][:, None], self.w_zone[workers][:, None], c]
        price = np.where(
            pol.employer_pays_third_place | (self.subscribed[workers][:, None] == c), 0.0, net.price_day[c]
        )
        u_third = (
            wb.asc_third
            + wb.b_time * t
            + wb.b_cost * price
            + wb.community * np.log1p(self.regulars[c] / self.s)
            + wb.habit * (self.last_place[workers][:, None] == c)
        )
        u_third = np.where(valid & day_open, u_third, -np.inf)
        u_office = (
            wb.asc_office + wb.b_time * self.commute_min[workers] + wb.b_cost * 2 * self.commute_eur[workers]
        )
        u_home = np.full(workers.shape[0], wb.asc_home)
        return np.column_stack([u_office, u_home, u_third]), cand

    def _work_choice(self, s: int) -> None:
        """Each weekday: teleworkable workers with allowance left choose office, home or a third place."""
        allowance = self.cfg.policy.remote_days_per_week
        deciders = np.flatnonzero(self.pop.teleworkable & (self.remote_used < allowance))
        self.today_place = np.full(self.pop.n_workers, -2, dtype=np.int64)  # -2 office, -1 home, >= 0 place
        if deciders.size:
            util, cand = self.work_utilities(deciders, s)
            alts = np.column_stack(
                [
                    np.full(deciders.size, self.h_office),
                    np.full(deciders.size, self.h_home),
                    self.place_hash[np.where(cand >= 0, cand, 0)],
                ]
            )
            noise = gumbel(self.key_work, self.day, deciders, alts)
            pick = choose(util, noise)
            where = np.where(
                pick == 0,
                -2,
                np.where(pick == 1, -1, cand[np.arange(deciders.size), np.maximum(pick - 2, 0)]),
            )
            self.today_place[deciders] = where
        self._third = np.flatnonzero(self.today_place >= 0)
        self._admitted_today: np.ndarray | None = None
        if self.counting:
            self.tot["teleworkable_days"] += int(self.pop.teleworkable.sum())

    def _work_slot(self, s: int, abs_slot: int) -> np.ndarray:
        """Capacity at desks for this slot; at AM the day's commutes and remote days are recorded."""
        net = self.network
        users = np.zeros(net.n, dtype=np.int64)
        third = self._third
        if s % 3 == 0:  # AM: resolve the day's capacity once (AM and PM are one decision)
            place = self.today_place[third]
            # capacity of the day: the smaller of the open AM/PM slots (a desk is held for the day)
            cap_day = self._slot_capacity(abs_slot, WORK)
            self._cap_work_today = cap_day
            prio = uniform(self.key_lottery, abs_slot, self.pop.worker_person[third])
            ok = admit(place, prio, cap_day)
            rejected = third[~ok]
            self.today_place[rejected] = -1  # fall back: home
            self._admitted_today = third[ok]
            self._rejected_am = np.bincount(place[~ok], minlength=net.n)
            self._record_work_day()
        adm = self._admitted_today if self._admitted_today is not None else np.zeros(0, np.int64)
        place = self.today_place[adm]
        present = net.slot_open[place, s, WORK]
        users = np.bincount(place[present], minlength=net.n)
        rej = self._rejected_am if s % 3 == 0 else np.zeros(net.n, np.int64)
        self._record_slot(s, abs_slot, WORK, users, rej, self._cap_work_today)
        return users

    def _record_work_day(self) -> None:
        tp = self.today_place
        remote = tp >= -1
        self.remote_used += remote
        third = np.flatnonzero(tp >= 0)
        if third.size:
            self.last_place[third] = tp[third]
            self.work_days.append(third * self.network.n + tp[third])
        net = self.network
        if third.size:  # accounts run during the warm-up too: operators decide from them
            p = tp[third]
            # a day pass is paid (by the worker or the employer) unless the worker holds a subscription there
            pay = self.subscribed[third] != p
            self.acc_rev_pass += np.bincount(p, weights=np.where(pay, net.price_day[p], 0.0), minlength=net.n)
            self.acc_workdays += np.bincount(p, minlength=net.n)
        if not self.counting:
            return
        office = tp == -2
        km = 2 * self.commute_km[office].sum()
        hours = 2 * self.commute_min[office].sum() / 60.0
        co2 = 2 * (self.commute_km[office] * self.commute_co2[office]).sum()
        if third.size:
            z, c, p = self.w_zone[third], self.w_car[third], tp[third]
            km3 = 2 * self.zp.km[z, p]
            km += km3.sum()
            hours += 2 * self.zp.minutes[c, z, p].sum() / 60.0
            co2 += (km3 * self.zp.co2_kg_km[c, z, p]).sum()
        self.tot["km_work"] += km
        self.tot["hours_work"] += hours
        self.tot["co2_kg"] += co2
        self.tot["remote_days"] += int(remote.sum())
        self.tot["third_days"] += int(third.size)

    # ------------------------------------------------------------------------------------------------
    # residents (MODEL.md 4.2)
    # ------------------------------------------------------------------------------------------------
    def _plan_visits(self, s: int, abs_slot: int) -> None:
        """Residents with pending needs and no planned visit choose a (place, slot) or give up."""
        net, sv = self.network, self.cfg.behaviour.service
        who = np.flatnonzero((self.pending != 0) & (self.plan_slot < abs_slot))
        med = net.mediation_places
        if who.size == 0:
            return
        if med.size == 0:
            self._give_up(who)
            return
        horizon = 3 * (sv.deadline_days + 1)
        slots_ahead = (s + np.arange(horizon)) % 21
        cover = net.cover[med][:, slots_ahead]  # [M, H]
        bits = self.pending[who]
        ubits, inv = np.unique(bits, return_inverse=True)
        hit = (ubits[:, None, None] & cover[None, :, :]) != 0  # [U, M, H]
        first = first_true(hit, axis=2)  # [U, M]
        cover_first = cover[np.arange(med.size)[None, :], np.maximum(first, 0)]  # [U, M]
        ncov = popcount(ubits[:, None] & cover_first)
        f = first[inv]  # [R, M]
        day_of = (abs_slot + f) // 3
        deadline = self.pend_deadline[who].min(axis=1)
        ok = (f >= 0) & (day_of <= deadline[:, None])
        days_until = (abs_slot + f) // 3 - self.day
        z, c = self.pop.zone[who], self.pop.car[who].astype(np.int64)
        t = self.zp.minutes[c[:, None], z[:, None], med[None, :]]
        asc = np.array(
            [
                sv.asc_kind.get("france_services" if net.labelled[p] else net.origin[p], sv.asc_kind["other"])
                for p in med
            ]
        )
        u = sv.b_time * t + sv.b_delay * days_until + sv.b_bundle * (ncov[inv] - 1) + asc[None, :]
        u = np.where(ok, u, -np.inf)
        # consideration set: only the nearest few places that can serve in time are weighed (a resident knows a
        # handful of points of contact; without it the many far alternatives would crowd out giving up)
        kset = sv.consideration_set
        if med.size > kset:
            tk = np.where(ok, t, np.inf)
            nearest = np.argpartition(tk, kset - 1, axis=1)[:, :kset]
            keep = np.zeros_like(ok)
            np.put_along_axis(keep, nearest, True, axis=1)
            u = np.where(keep, u, -np.inf)
        util = np.column_stack([np.full(who.size, sv.asc_give_up), u])
        alts = np.concatenate([[self.h_give_up], self.place_hash[med]])
        noise = gumbel(self.key_service, abs_slot, who, alts)
        pick = choose(util, noise)
        gave = who[pick <= 0]
        self._give_up(gave)
        go = pick > 0
        r, col = who[go], pick[go] - 1
        self.plan_place[r] = med[col]
        self.plan_slot[r] = abs_slot + f[go, col]
        for t_abs in np.unique(self.plan_slot[r]):
            self.visit_buckets.setdefault(int(t_abs), []).append(r[self.plan_slot[r] == t_abs])

    def _give_up(self, who: np.ndarray) -> None:
        if who.size == 0:
            return
        rows, cats = np.nonzero(self.pend_count[who] > 0)
        rows = who[rows]
        if self.counting:
            lost = self.pend_count[rows, cats].sum()
            self.tot["unmet"] += lost
            self.tot["gave_up"] += lost
            np.add.at(self.per_zone["unmet"], self.pop.zone[rows], self.pend_count[rows, cats])
        self._clear(rows, cats)

    def _service_slot(self, s: int, abs_slot: int) -> np.ndarray:
        net = self.network
        self._plan_visits(s, abs_slot)
        bucket = self.visit_buckets.pop(abs_slot, [])
        users = np.zeros(net.n, dtype=np.int64)
        if not bucket:
            self._record_slot(s, abs_slot, MEDIATION, users, users, self._slot_capacity(abs_slot, MEDIATION))
            return users
        who = np.concatenate(bucket)
        who = who[self.plan_slot[who] == abs_slot]
        place = self.plan_place[who]
        prio = uniform(self.key_lottery, abs_slot, who)
        cap = self._slot_capacity(abs_slot, MEDIATION)
        ok = admit(place, prio, cap)
        # a trip is made whether or not the visitor is admitted
        z, c = self.pop.zone[who], self.pop.car[who].astype(np.int64)
        if self.counting:
            km = 2 * self.zp.km[z, place]
            self.tot["km_service"] += km.sum()
            self.tot["hours_service"] += 2 * self.zp.minutes[c, z, place].sum() / 60.0
            self.tot["co2_kg"] += (km * self.zp.co2_kg_km[c, z, place]).sum()
            self.tot["trips"] += who.size
            np.add.at(self.per_zone["km_service"], z, km)
        self.plan_slot[who] = -1
        self.plan_place[who] = -1
        rej, rej_place = who[~ok], place[~ok]
        if rej.size:
            rej_bits = self.pending[rej] & net.cover[rej_place, s]
            for k in range(self.k):
                hitk = ((rej_bits >> k) & 1).astype(bool)
                if hitk.any():
                    np.add.at(self.q_rejections[k], rej_place[hitk], 1)
        adm, adm_place = who[ok], place[ok]
        solved_bits = self.pending[adm] & net.cover[adm_place, s]
        rows_l, cats_l = [], []
        for k in range(self.k):
            hitk = ((solved_bits >> k) & 1).astype(bool)
            if not hitk.any():
                continue
            r = adm[hitk]
            cnt = self.pend_count[r, k]
            np.add.at(self.acc_contacts_kp[k], adm_place[hitk], cnt)
            np.add.at(self.q_contacts[k], (adm_place[hitk], np.full(r.size, s)), cnt)
            if self.counting:
                self.tot["contacts"] += cnt.sum()
                self.tot["solved"] += cnt.sum()
                self.tot["delay_days"] += ((self.day - self.pend_arrival[r, k]) * cnt).sum()
                np.add.at(self.per_zone["solved"], self.pop.zone[r], cnt)
            rows_l.append(r)
            cats_l.append(np.full(r.size, k))
        if rows_l:
            self._clear(np.concatenate(rows_l), np.concatenate(cats_l))
        served = solved_bits != 0
        users = np.bincount(adm_place[served], minlength=net.n)
        if self.counting:
            self.tot["visits"] += int(served.sum())
        self._record_slot(s, abs_slot, MEDIATION, users, np.bincount(rej_place, minlength=net.n), cap)
        return users

    # ------------------------------------------------------------------------------------------------
    # makers (MODEL.md 4.3)
    # ------------------------------------------------------------------------------------------------
    def _new_sessions(self) -> None:
        m = self.pop.n_makers
        if m == 0:
            self._new_makers = np.zeros(0, np.int64)
            return
        rate = self.cfg.behaviour.maker.sessions_per_month * 12 / 365.0
        got = self.rng_sessions.random(m) < rate
        self._new_makers = np.flatnonzero(got & (self.m_plan_slot < self.day * 3))

    def _plan_sessions(self, abs_slot: int) -> None:
        net, mb = self.network, self.cfg.behaviour.maker
        who = self._new_makers
        self._new_makers = np.zeros(0, np.int64)
        ws = net.workshop_places
        if who.size == 0 or ws.size == 0:
            if who.size and self.counting:
                self.tot["sessions_lost"] += who.size
            return
        s0 = abs_slot % 21
        ahead = (s0 + np.arange(21)) % 21
        first = first_true(net.slot_open[ws][:, ahead, WORKSHOP], axis=1)  # [W]
        z, c = self.m_zone[who], self.m_car[who]
        t = self.zp.minutes[c[:, None], z[:, None], ws[None, :]]
        days = (abs_slot + first) // 3 - self.day
        u = (
            mb.b_time * t
            + mb.b_cost * self.cfg.policy.workshop_fee_eur
            + mb.b_delay * days[None, :]
            + mb.community * np.log1p(self.members[ws] / self.s)[None, :]
        )
        u = np.where((first >= 0)[None, :], u, -np.inf)
        util = np.column_stack([np.full(who.size, mb.asc_outside), u])
        alts = np.concatenate([[self.h_outside], self.place_hash[ws]])
        noise = gumbel(self.key_workshop, abs_slot, self.pop.maker_person[who], alts)
        pick = choose(util, noise)
        go = pick > 0
        m, col = who[go], pick[go] - 1
        self.m_plan_place[m] = ws[col]
        self.m_plan_slot[m] = abs_slot + first[col]
        for t_abs in np.unique(self.m_plan_slot[m]):
            self.m_buckets.setdefault(int(t_abs), []).append(m[self.m_plan_slot[m] == t_abs])

    def _workshop_slot(self, s: int, abs_slot: int) -> np.ndarray:
        net = self.network
        if s % 3 == 0:
            self._plan_sessions(abs_slot)
        bucket = self.m_buckets.pop(abs_slot, [])
        users = np.zeros(net.n, dtype=np.int64)
        rej = users
        cap = self._slot_capacity(abs_slot, WORKSHOP)
        if bucket:
            who = np.concatenate(bucket)
            place = self.m_plan_place[who]
            ok = admit(place, uniform(self.key_lottery, abs_slot, self.pop.maker_person[who]), cap)
            self.m_plan_slot[who] = -1
            adm, adm_place = who[ok], place[ok]
            users = np.bincount(adm_place, minlength=net.n)
            rej = np.bincount(place[~ok], minlength=net.n)
            self.m_sessions.append(adm * net.n + adm_place)
            if self.counting:
                z, c = self.m_zone[who], self.m_car[who]
                km = 2 * self.zp.km[z, place]
                self.tot["km_workshop"] += km.sum()
                self.tot["hours_workshop"] += 2 * self.zp.minutes[c, z, place].sum() / 60.0
                self.tot["co2_kg"] += (km * self.zp.co2_kg_km[c, z, place]).sum()
                self.tot["sessions"] += adm.size
                self.tot["sessions_lost"] += int((~ok).sum())
            self.acc_sessions += users
        self._record_slot(s, abs_slot, WORKSHOP, users, rej, cap)
        return users

    # ------------------------------------------------------------------------------------------------
    # records
    # ------------------------------------------------------------------------------------------------
    def _slot_capacity(self, abs_slot: int, activity: int) -> np.ndarray:
        """Capacity of every place in this slot, in simulated users.

        With sample_rate < 1 the scaled capacity is fractional; each slot draws its floor or ceiling with the
        probability that keeps the expectation exact (a counter-based draw: the same in every scenario).
        """
        cf = self.network.capacity_f[:, activity]
        base = np.floor(cf + 1e-9)
        frac = cf - base
        if not (frac > 1e-9).any():
            return base.astype(np.int64)
        u = uniform(self.key_capacity, abs_slot * 3 + activity, self.place_hash)
        return (base + (u < frac)).astype(np.int64)

    def _record_slot(
        self,
        s: int,
        abs_slot: int,
        activity: int,
        users: np.ndarray,
        rejected: np.ndarray,
        capacity: np.ndarray,
    ) -> None:
        net = self.network
        open_ = np.flatnonzero(net.slot_open[:, s, activity])
        if open_.size == 0:
            return
        cap = capacity[open_]
        u = users[open_]
        self.acc_cap[open_, activity] += cap
        self.acc_users[open_, activity] += u
        self.acc_open[open_, activity] += 1
        self.acc_full[open_, activity] += u >= self.cfg.economics.expand_occupancy * cap
        if not self.counting:
            return
        self.slot_rows.append(
            np.column_stack(
                [open_, np.full(open_.size, abs_slot), np.full(open_.size, activity), cap, u, rejected[open_]]
            )
        )

    def _encounters(self, users: np.ndarray) -> None:
        """Pairs of co-present users from different groups, per place (MODEL.md 4.4)."""
        if not self.counting:
            return
        u = users / self.s
        pairs = u[:, 0] * u[:, 1] + u[:, 0] * u[:, 2] + u[:, 1] * u[:, 2]
        groups = (users > 0).sum(axis=1)
        self.tot["pairs"] += pairs.sum()
        self.place_enc["pairs"] += pairs
        self.place_enc["mixed_slots"] += groups >= 2
        self.place_enc["max_groups"] = np.maximum(self.place_enc["max_groups"], groups)

    # ------------------------------------------------------------------------------------------------
    # accounts (MODEL.md 4.5, 4.6, 4.8)
    # ------------------------------------------------------------------------------------------------
    def _slot_costs(self, weeks: float) -> np.ndarray:
        """Cost of each slot of the week at each place over the period, EUR [P, 21]."""
        net, e = self.network, self.cfg.economics
        hours = np.tile([e.slot_hours["AM"], e.slot_hours["PM"], e.slot_hours["EV"]], 7)[None, :]
        so = net.slot_open
        staff = (
            so[:, :, WORK] * e.hosts_per_work_slot * e.host_eur_hour
            + (net.cover != 0) * net.units[:, MEDIATION][:, None] * e.mediator_eur_hour
            + so[:, :, WORKSHOP] * e.animators_per_workshop_slot * e.animator_eur_hour
        )
        any_open = so[:, :, WORK] | so[:, :, WORKSHOP] | (net.cover != 0)
        cost = economics.slot_cost_eur(net.area[:, None], hours, 1.0, staff, e.energy_eur_m2_hour) * any_open
        offh = (net.offhours[:, None] & (1 << np.arange(21))[None, :]) != 0
        cost = cost + offh * any_open * e.marginal_open_eur_slot
        return cost * weeks

    def _end_period(self) -> None:
        net, cfg, e = self.network, self.cfg, self.cfg.economics
        start = self._period_start_day
        weeks = (self.day - start) / 7.0
        counted = start >= self.warmup_days
        kinds = self.zones["kind"].to_numpy()[net.zone]
        rent = np.array([e.rent_eur_m2_year[k] for k in kinds])
        # a place whose activities all run in off-hours slots pays no fixed cost (the sharing clause's marginal cost)
        own_slots = (net.act_mask & (net.opening & ~net.offhours)[:, None]).any(axis=1) | (
            net.cover != 0
        ).any(1)
        fixed = economics.fixed_cost_eur(net.area, rent, e.overhead_eur_year, weeks) * (
            net.active & own_slots
        )
        slot_cost = self._slot_costs(weeks) * net.active[:, None]
        # users' revenues: day passes, subscriptions, workshop fees (simulated sample -> whole population)
        subs = (
            np.bincount(self.subscribed[self.subscribed >= 0], minlength=net.n)
            * net.price_month
            * weeks
            / (52 / 12)
        )
        rev_users = (self.acc_rev_pass + subs + self.acc_sessions * cfg.policy.workshop_fee_eur) / self.s
        # the cost game of each place: providers present + the work and workshop uses
        shares_prov, op_part = economics.allocate_places(
            e.allocation,
            fixed,
            slot_cost,
            provider_uses=((net.cover[None, :, :] >> np.arange(self.k)[:, None, None]) & 1).astype(bool),
            activity_uses=net.slot_open[:, :, [WORK, WORKSHOP]].transpose(2, 0, 1),
            provider_contacts=self.acc_contacts_kp,
            activity_users=np.stack([self.acc_workdays, self.acc_sessions]),
            active=net.active,
        )
        perm_cost = np.zeros(self.k)
        for k in range(self.k):
            perm_rows = (net.perm[k] != 0) & (net.owner != k) & net.active
            slots = np.bitwise_count(net.perm[k])
            perm_cost[k] = (slots * perm_rows).sum() * cfg.providers[k].permanence_eur_slot * weeks
        total_cost = fixed + slot_cost.sum(axis=1)
        # subsidies: per labelled site (paid on the providers' behalf first), or deficits up to a cap
        prov_total = shares_prov.sum(axis=0)
        labelled = net.labelled & net.active
        pol = cfg.policy
        sub = economics.subsidies(
            "per_site" if pol.subsidy_rule == "per_site" else "none",
            labelled,
            np.zeros(net.n),
            pol.per_site_eur_year,
            pol.deficit_cap_eur_year,
            weeks,
        )
        # the municipality's operating grant to association places (not paid on the providers' behalf)
        grant = (net.operator == "association") * net.active * pol.association_grant_eur_year * weeks / 52.0
        relief = np.minimum(sub, prov_total)
        frac = np.divide(relief, prov_total, out=np.zeros(net.n), where=prov_total > 0)
        pay_prov = shares_prov * (1 - frac)[None, :]
        balance = rev_users + (sub - relief) + grant - op_part
        sub = sub + grant
        if pol.subsidy_rule == "deficit":
            extra = economics.subsidies(
                "deficit",
                labelled,
                -balance * net.active,
                pol.per_site_eur_year,
                pol.deficit_cap_eur_year,
                weeks,
            )
            sub = sub + extra
            balance = balance + extra
        revenue = rev_users + pay_prov.sum(axis=0)
        self.rev_hist.append(revenue + sub)
        self.cost_hist.append(total_cost)
        public_deficit = np.where((net.operator == "public") & net.active, np.maximum(-balance, 0.0), 0.0)
        # operators' review: viability and capacity
        rec = economics.cost_recovery(
            np.array(self.rev_hist).T, np.array(self.cost_hist).T, e.recovery_window_periods
        )
        rec = np.where(net.active, rec, np.nan)
        closable = np.isin(net.operator, ("private", "association")) & net.active
        self.below_streak, close = economics.closure_decision(
            self.below_streak, rec, e.closure_threshold, e.closure_periods, closable
        )
        full_share = np.divide(
            self.acc_full, self.acc_open, out=np.full_like(self.acc_full, np.nan), where=self.acc_open > 0
        )
        changed = False
        for p in np.flatnonzero(net.active):
            line = self.operators[p].review(bool(close[p]), full_share[p])
            if line:
                self.notes.append(line)
                changed = True
                if close[p]:
                    self.places_closed += 1
        if counted:
            pa = self.place_acc
            pa["cost"] += total_cost
            pa["revenue_users"] += rev_users
            pa["provider_pay"] += pay_prov.sum(axis=0)
            pa["subsidy"] += sub
            pa["balance"] += balance
            pa["users"] += self.acc_users.sum(axis=1) / self.s
            pa["contacts"] += self.acc_contacts_kp.sum(axis=0) / self.s
            self.prov_acc["payments"] += pay_prov.sum(axis=1)
            self.prov_acc["permanence"] += perm_cost
            self.prov_acc["contacts"] += self.acc_contacts_kp.sum(axis=1) / self.s
            m = self.money
            m["network_cost"] += total_cost.sum() + perm_cost.sum()
            m["provider_cost"] += pay_prov.sum() + perm_cost.sum()
            m["public_cost"] += sub.sum() + public_deficit.sum()
            m["revenue"] += revenue.sum()
            m["subsidy"] += sub.sum()
            self._period_row(weeks, total_cost.sum() + perm_cost.sum(), revenue.sum(), sub.sum())
        self._update_lagged()
        self.period += 1
        self._period_start_day = self.day
        for arr in (
            self.acc_users,
            self.acc_contacts_kp,
            self.acc_sessions,
            self.acc_workdays,
            self.acc_rev_pass,
            self.acc_full,
            self.acc_open,
            self.acc_cap,
        ):
            arr[...] = 0
        if changed:
            net.refresh()

    def _update_lagged(self) -> None:
        """Regulars, members and subscriptions for the next period, from this period's visits (lagged)."""
        net, wb = self.network, self.cfg.behaviour.work
        self.regulars[:] = 0
        self.subscribed[:] = -1
        if self.work_days:
            codes, counts = np.unique(np.concatenate(self.work_days), return_counts=True)
            w, p = codes // net.n, codes % net.n
            np.add.at(self.regulars, p[counts >= wb.regular_days], 1)
            worth = counts * net.price_day[p] > net.price_month[p] * 12 / 13
            order = np.lexsort((-counts, w))  # per worker, most-used place first
            w_o, p_o, worth_o = w[order], p[order], worth[order]
            first = np.r_[True, w_o[1:] != w_o[:-1]]
            pick = first & worth_o
            self.subscribed[w_o[pick]] = p_o[pick]
        self.work_days = []
        self.members[:] = 0
        if self.m_sessions:
            codes, counts = np.unique(np.concatenate(self.m_sessions), return_counts=True)
            np.add.at(self.members, (codes % net.n)[counts >= self.cfg.behaviour.maker.member_sessions], 1)
        self.m_sessions = []

    def _period_row(self, weeks: float, cost: float, revenue: float, subsidy: float) -> None:
        t, t0, s = self.tot, self._period_start_tot, self.s
        d = {k: t[k] - t0[k] for k in t}
        users = self.acc_users
        cap_total = self.acc_cap.sum(axis=0)
        row = {
            "period": self.period,
            "week_start": (self._period_start_day - self.warmup_days) // 7,
            "weeks": weeks,
            "occupancy_rate": users.sum() / max(cap_total.sum(), 1e-12),
            "occupancy_rate_work": users[:, WORK].sum() / cap_total[WORK] if cap_total[WORK] else np.nan,
            "occupancy_rate_mediation": users[:, MEDIATION].sum() / cap_total[MEDIATION]
            if cap_total[MEDIATION]
            else np.nan,
            "occupancy_rate_workshop": users[:, WORKSHOP].sum() / cap_total[WORKSHOP]
            if cap_total[WORKSHOP]
            else np.nan,
            "contacts": d["contacts"] / s,
            "needs_human": d["needs_human"] / s,
            "unmet_needs": d["unmet"] / s,
            "person_km_work": d["km_work"] / s,
            "person_km_service": d["km_service"] / s,
            "person_km_workshop": d["km_workshop"] / s,
            "co2_t": d["co2_kg"] / s / 1000.0,
            "network_cost_eur": cost,
            "revenue_eur": revenue,
            "subsidy_eur": subsidy,
            "places_open": int(self.network.active.sum()),
        }
        self.period_rows.append(row)
        self._period_start_tot = dict(t)

    def _providers_review(self) -> None:
        occ = self.q_occurrences
        for prov in self.providers:
            self.notes += prov.review(self.q_contacts[prov.k], occ, self.q_rejections[prov.k])
            self.prov_acc["rejections"][prov.k] += self.q_rejections[prov.k].sum() / self.s
        self.q_contacts[...] = 0
        self.q_rejections[...] = 0
        self.q_occurrences[...] = 0
        self.network.refresh()

    # ------------------------------------------------------------------------------------------------
    # outputs
    # ------------------------------------------------------------------------------------------------
    def access_minutes(self) -> np.ndarray:
        """Minutes from each zone to the nearest open point of human contact (see metrics.access_minutes)."""
        return metrics.access_minutes(self)

    def summary(self, runtime_s: float) -> dict[str, Any]:
        """The KPIs of the counted weeks (metrics.summary)."""
        return metrics.summary(self, runtime_s)

    def tables(self) -> dict[str, pd.DataFrame]:
        """The output tables (metrics.tables)."""
        return metrics.tables(self)


def run(
    cfg: SimConfig | None = None, progress: bool | None = None, territory: Territory | None = None
) -> RunResult:
    """Run one simulation and return its outputs.

    Args:
        cfg: a configuration (default: the built-in defaults).
        progress: show a progress bar (None: only when stderr is a terminal).
        territory: a territory to use instead of loading ``cfg.territory`` (tests, experiments).
    """
    cfg = to_config() if cfg is None else cfg
    validate(cfg)
    t0 = time.perf_counter()
    model = SharedPlacesModel(cfg, territory)
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
    return RunResult(summary=model.summary(runtime), tables=model.tables(), notes=model.notes)
