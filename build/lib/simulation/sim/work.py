"""Workers' daily choice of a work place (docs/ODD.md 7.1): office, home or a third place with desks.

Functions over the workers' columns (:class:`Workers`), called by the model each weekday:

1. :func:`decide` (at AM): teleworkable workers with remote allowance left choose among the office, home and
   the third places they consider (a logit draw with counter-based Gumbel noise keyed on the day, the worker
   and the alternative's id, so a new place does not reshuffle anyone else's draws);
2. :func:`work_slot` (AM and PM): the day's capacity lottery at each third place (the rejected fall back to
   home), then the desks' users of the slot; at AM the day's trips are recorded;
3. :func:`update_lagged` (end of each period): regulars and subscriptions for the next period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.core.choice import admit, choose
from simulation.core.randomness import gumbel, uniform
from simulation.sim.network import WORK
from simulation.sim.recorder import Recorder
from simulation.sim.world import World

OFFICE, HOME = -2, -1  # codes of today_place; >= 0 is a place row


@dataclass
class Workers:
    """The workers' state, one row per worker.

    Attributes:
        zone: home zone; car: car owner (0/1).
        commute_km, commute_min, commute_eur, commute_co2: the one-way commute to the job zone (km, min, EUR,
            kg CO2 per km).
        remote_used: remote days used this week.
        last_place: last third place worked at (-1: none), for habit.
        subscribed: place of the worker's subscription this period (-1: none).
        today_place: today's work place (OFFICE, HOME or a place row).
        regulars: per place, workers who worked there at least ``regular_days`` days last period (lagged).
    """

    zone: np.ndarray
    car: np.ndarray
    commute_km: np.ndarray
    commute_min: np.ndarray
    commute_eur: np.ndarray
    commute_co2: np.ndarray
    remote_used: np.ndarray
    last_place: np.ndarray
    subscribed: np.ndarray
    today_place: np.ndarray
    regulars: np.ndarray
    work_days: list[np.ndarray] = field(default_factory=list)  # worker * P + place, this period
    third: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # workers at a third place today
    admitted: np.ndarray | None = None  # of those, admitted by the day's lottery
    rejected_am: np.ndarray | None = None  # per place, turned away this morning
    cap_today: np.ndarray | None = None  # per place, today's desk capacity
    _cand: np.ndarray | None = None
    _cand_version: int = -1

    @classmethod
    def of(cls, world: World) -> Workers:
        """Every worker of the population at the start of the run."""
        pop, zz = world.pop, world.zz
        w = pop.n_workers
        wz = pop.zone[pop.worker_person]
        car = pop.car[pop.worker_person].astype(np.int64)
        jz = pop.job_zone
        return cls(
            zone=wz,
            car=car,
            commute_km=zz.km[wz, jz],
            commute_min=zz.minutes[car, wz, jz],
            commute_eur=zz.eur[car, wz, jz],
            commute_co2=zz.co2_kg_km[car, wz, jz],
            remote_used=np.zeros(w, dtype=np.int64),
            last_place=np.full(w, -1, dtype=np.int64),
            subscribed=np.full(w, -1, dtype=np.int64),
            today_place=np.full(w, OFFICE, dtype=np.int64),
            regulars=np.zeros(world.network.n),
        )


def candidates(world: World, workers: Workers) -> np.ndarray:
    """Desk places within max_minutes of each zone, by car ownership: [2, Z, K] place rows, -1 padded.

    The consideration set: the nearest desk places within reach (a worker weighs a handful of third places).
    Cached until the network changes.
    """
    net = world.network
    if workers._cand_version == net.version and workers._cand is not None:
        return workers._cand
    desks = net.desk_places
    if desks.size == 0:
        cand = np.full((2, len(world.zones), 1), -1, dtype=np.int64)
    else:
        wb = world.cfg.behaviour.work
        minutes = world.zp.minutes[:, :, desks]  # [2, Z, D]
        reach = minutes <= wb.max_minutes
        kmax = max(min(int(reach.sum(axis=2).max()), wb.consideration_set), 1)
        order = np.argsort(np.where(reach, minutes, np.inf), axis=2, kind="stable")[:, :, :kmax]
        picked = np.take_along_axis(reach, order, axis=2)
        cand = np.where(picked, desks[order], -1).astype(np.int64)
    workers._cand, workers._cand_version = cand, net.version
    return cand


def utilities(world: World, workers: Workers, who: np.ndarray, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic utilities of office, home and considered third places for the workers ``who`` (day of slot s).

    Returns:
        (utilities [n, 2 + K] with -inf where unavailable, place rows [n, K] of the third-place columns).
    """
    wb, pol, net = world.cfg.behaviour.work, world.cfg.policy, world.network
    cand = candidates(world, workers)[workers.car[who], workers.zone[who]]  # [n, K]
    valid = cand >= 0
    c = np.where(valid, cand, 0)
    day_open = net.slot_open[c, s, WORK] | net.slot_open[c, s + 1, WORK]
    t = world.zp.minutes[workers.car[who][:, None], workers.zone[who][:, None], c]
    price = np.where(
        pol.employer_pays_third_place | (workers.subscribed[who][:, None] == c), 0.0, net.price_day[c]
    )
    u_third = (
        wb.asc_third
        + wb.b_time * t
        + wb.b_cost * price
        + wb.community * np.log1p(workers.regulars[c] / world.sample_rate)
        + wb.habit * (workers.last_place[who][:, None] == c)
    )
    u_third = np.where(valid & day_open, u_third, -np.inf)
    u_office = wb.asc_office + wb.b_time * workers.commute_min[who] + wb.b_cost * 2 * workers.commute_eur[who]
    u_home = np.full(who.shape[0], wb.asc_home)
    return np.column_stack([u_office, u_home, u_third]), cand


def decide(world: World, workers: Workers, day: int, s: int, rec: Recorder) -> None:
    """Each weekday (slot ``s`` is its AM): teleworkable workers with allowance left choose where to work."""
    pop = world.pop
    allowance = world.cfg.policy.remote_days_per_week
    deciders = np.flatnonzero(pop.teleworkable & (workers.remote_used < allowance))
    workers.today_place = np.full(pop.n_workers, OFFICE, dtype=np.int64)
    if deciders.size:
        util, cand = utilities(world, workers, deciders, s)
        keys, net = world.keys, world.network
        alts = np.column_stack(
            [
                np.full(deciders.size, keys.office),
                np.full(deciders.size, keys.home),
                net.place_hash[np.where(cand >= 0, cand, 0)],
            ]
        )
        noise = gumbel(keys.work, day, deciders, alts)
        pick = choose(util, noise)
        where = np.where(
            pick == 0,
            OFFICE,
            np.where(pick == 1, HOME, cand[np.arange(deciders.size), np.maximum(pick - 2, 0)]),
        )
        workers.today_place[deciders] = where
    workers.third = np.flatnonzero(workers.today_place >= 0)
    workers.admitted = None
    if rec.counting:
        rec.tot.teleworkable_days += int(pop.teleworkable.sum())


def work_slot(world: World, workers: Workers, s: int, abs_slot: int, rec: Recorder) -> np.ndarray:
    """Desks' users in this slot; at AM the day's capacity lottery runs and the day's trips are recorded.

    A desk is held for the day (AM and PM are one decision): the day's capacity is the AM slot's.
    """
    net = world.network
    third = workers.third
    if s % 3 == 0:
        place = workers.today_place[third]
        workers.cap_today = net.slot_capacity(world.keys.capacity, abs_slot, WORK)
        prio = uniform(world.keys.lottery, abs_slot, world.pop.worker_person[third])
        ok = admit(place, prio, workers.cap_today)
        workers.today_place[third[~ok]] = HOME  # fall back: home
        workers.admitted = third[ok]
        workers.rejected_am = np.bincount(place[~ok], minlength=net.n)
        _record_day(world, workers, rec)
    adm = workers.admitted if workers.admitted is not None else np.zeros(0, np.int64)
    place = workers.today_place[adm]
    present = net.slot_open[place, s, WORK]
    users = np.bincount(place[present], minlength=net.n)
    rej = workers.rejected_am if s % 3 == 0 else np.zeros(net.n, np.int64)
    assert workers.cap_today is not None
    rec.record_slot(
        WORK,
        abs_slot,
        np.flatnonzero(net.slot_open[:, s, WORK]),
        users,
        rej,
        workers.cap_today,
        world.cfg.economics.expand_occupancy,
    )
    return users


def _record_day(world: World, workers: Workers, rec: Recorder) -> None:
    """The day's remote days, day passes and, when counted, trips (km, hours, CO2)."""
    tp = workers.today_place
    remote = tp >= HOME
    workers.remote_used += remote
    third = np.flatnonzero(tp >= 0)
    net = world.network
    if third.size:
        workers.last_place[third] = tp[third]
        workers.work_days.append(third * net.n + tp[third])
        # accounts run during the warm-up too: operators decide from them
        p = tp[third]
        # a day pass is paid (by the worker or the employer) unless the worker holds a subscription there
        pay = workers.subscribed[third] != p
        rec.period.rev_pass += np.bincount(p, weights=np.where(pay, net.price_day[p], 0.0), minlength=net.n)
        rec.period.workdays += np.bincount(p, minlength=net.n)
    if not rec.counting:
        return
    office = tp == OFFICE
    km = 2 * workers.commute_km[office].sum()
    hours = 2 * workers.commute_min[office].sum() / 60.0
    co2 = 2 * (workers.commute_km[office] * workers.commute_co2[office]).sum()
    if third.size:
        zp = world.zp
        z, c, p = workers.zone[third], workers.car[third], tp[third]
        km3 = 2 * zp.km[z, p]
        km += km3.sum()
        hours += 2 * zp.minutes[c, z, p].sum() / 60.0
        co2 += (km3 * zp.co2_kg_km[c, z, p]).sum()
    t = rec.tot
    t.km_work += km
    t.hours_work += hours
    t.co2_kg += co2
    t.remote_days += int(remote.sum())
    t.third_days += int(third.size)


def update_lagged(world: World, workers: Workers) -> None:
    """Regulars and subscriptions for the next period, from this period's days at third places (lagged)."""
    net, wb = world.network, world.cfg.behaviour.work
    workers.regulars[:] = 0
    workers.subscribed[:] = -1
    if workers.work_days:
        codes, counts = np.unique(np.concatenate(workers.work_days), return_counts=True)
        w, p = codes // net.n, codes % net.n
        np.add.at(workers.regulars, p[counts >= wb.regular_days], 1)
        worth = counts * net.price_day[p] > net.price_month[p] * 12 / 13
        order = np.lexsort((-counts, w))  # per worker, most-used place first
        w_o, p_o, worth_o = w[order], p[order], worth[order]
        first = np.r_[True, w_o[1:] != w_o[:-1]]
        pick = first & worth_o
        workers.subscribed[w_o[pick]] = p_o[pick]
    workers.work_days = []
