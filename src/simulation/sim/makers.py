"""Makers' project sessions at workshops (docs/ODD.md 7.4).

Functions over the makers' columns (:class:`Makers`), called by the model:

1. :func:`arrive` (each day): sessions arrive (the ``sessions`` stream only, the same in every scenario);
2. :func:`workshop_slot` (each slot): at AM, makers with a new session choose a workshop among the places
   running one in the next 7 days, against no session (logit, counter-based noise); those planned for this slot
   go; each place admits up to its seats by lottery;
3. :func:`update_lagged` (end of each period): members of each place for the next period.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.core.choice import admit, choose, first_true, nearest_columns
from simulation.core.randomness import gumbel, uniform
from simulation.sim.admission import slot_admission
from simulation.sim.network import WORKSHOP
from simulation.sim.recorder import Recorder
from simulation.sim.world import World


@dataclass
class Makers:
    """The makers' state, one row per maker.

    Attributes:
        zone, car: home zone and car ownership (0/1).
        plan_place, plan_slot: the planned session (place row, absolute slot; -1: none).
        members: per place, makers with at least ``member_sessions`` sessions there last period (lagged).
        new: makers whose session arrived today and is not planned yet.
    """

    zone: np.ndarray
    car: np.ndarray
    plan_place: np.ndarray
    plan_slot: np.ndarray
    members: np.ndarray
    new: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    buckets: dict[int, list[np.ndarray]] = field(default_factory=dict)
    sessions: list[np.ndarray] = field(default_factory=list)  # maker * P + place, this period
    _near: np.ndarray | None = None  # per (car, zone) row, the nearest workshops (cached per network version)
    _near_version: int = -1

    @classmethod
    def of(cls, world: World) -> Makers:
        """Every maker of the population, with no session planned."""
        pop = world.pop
        m = pop.n_makers
        return cls(
            zone=pop.zone[pop.maker_person],
            car=pop.car[pop.maker_person].astype(np.int64),
            plan_place=np.full(m, -1, dtype=np.int64),
            plan_slot=np.full(m, -1, dtype=np.int64),
            members=np.zeros(world.network.n),
        )


def arrive(world: World, makers: Makers, day: int, rng: np.random.Generator) -> None:
    """Today's new sessions (makers without one already planned)."""
    m = world.pop.n_makers
    if m == 0:
        makers.new = np.zeros(0, np.int64)
        return
    rate = world.cfg.behaviour.maker.sessions_per_month * 12 / 365.0
    got = rng.random(m) < rate
    makers.new = np.flatnonzero(got & (makers.plan_slot < day * 3))


def _plan(world: World, makers: Makers, day: int, abs_slot: int, rec: Recorder) -> None:
    net, mb = world.network, world.cfg.behaviour.maker
    who = makers.new
    makers.new = np.zeros(0, np.int64)
    ws = net.workshop_places
    if who.size == 0 or ws.size == 0:
        if who.size and rec.counting:
            rec.tot.sessions_lost += who.size
        return
    s0 = abs_slot % 21
    ahead = (s0 + np.arange(21)) % 21
    first = first_true(net.slot_open[ws][:, ahead, WORKSHOP], axis=1)  # [W]
    z, c = makers.zone[who], makers.car[who]
    days = (abs_slot + first) // 3 - day
    community = mb.community * np.log1p(makers.members[ws] / world.sample_rate)
    if ws.size <= mb.full_search_places:  # every workshop is weighed ([makers x workshops])
        cols = np.arange(ws.size)[None, :]
        t = world.zp.minutes[c[:, None], z[:, None], ws[None, :]]
        alts = np.concatenate([[world.keys.no_session], net.place_hash[ws]])
    else:  # only the nearest reach_set (docs/ODD.md 7.4): linear in the makers
        cols = _nearest_workshops(world, makers)[c * len(world.zones) + z]  # [n, R]
        t = world.zp.minutes[c[:, None], z[:, None], ws[cols]]
        alts = np.column_stack([np.full(who.size, world.keys.no_session), net.place_hash[ws[cols]]])
    u = (
        mb.b_time * t
        + mb.b_cost * world.cfg.policy.workshop_fee_eur
        + mb.b_delay * days[cols]
        + community[cols]
    )
    u = np.where(first[cols] >= 0, u, -np.inf)
    util = np.column_stack([np.full(who.size, mb.asc_outside), u])
    noise = gumbel(world.keys.workshop, abs_slot, world.pop.maker_person[who], alts)
    pick = choose(util, noise)
    go = pick > 0
    m = who[go]
    col = cols[np.flatnonzero(go) if cols.shape[0] > 1 else 0, pick[go] - 1]
    makers.plan_place[m] = ws[col]
    makers.plan_slot[m] = abs_slot + first[col]
    for t_abs in np.unique(makers.plan_slot[m]):
        makers.buckets.setdefault(int(t_abs), []).append(m[makers.plan_slot[m] == t_abs])


def _nearest_workshops(world: World, makers: Makers) -> np.ndarray:
    """Per row ``car * Z + zone``, the ``reach_set`` nearest workshops (indices into ``workshop_places``, nearest
    first, ties by index) [2Z, R]; cached until the network changes."""
    net = world.network
    if makers._near is None or makers._near_version != net.version:
        minutes = world.zp.minutes[:, :, net.workshop_places]
        two, nz, w = minutes.shape
        makers._near = nearest_columns(minutes.reshape(two * nz, w), world.cfg.behaviour.maker.reach_set)
        makers._near_version = net.version
    return makers._near


def workshop_slot(world: World, makers: Makers, day: int, s: int, abs_slot: int, rec: Recorder) -> np.ndarray:
    """Plan (at AM), then this slot's sessions: lottery for seats, trips; returns users per place."""
    net = world.network
    if s % 3 == 0:
        _plan(world, makers, day, abs_slot, rec)
    bucket = makers.buckets.pop(abs_slot, [])
    users = np.zeros(net.n, dtype=np.int64)
    rej = users
    who = np.concatenate(bucket) if bucket else np.zeros(0, np.int64)
    place = makers.plan_place[who]
    lot = slot_admission(
        net, world.demand, world.keys.capacity, world.keys.imputation, abs_slot, WORKSHOP,
        np.bincount(place, minlength=net.n),
    )  # fmt: skip
    if bucket:
        ok = admit(place, uniform(world.keys.lottery, abs_slot, world.pop.maker_person[who]), lot.admit)
        makers.plan_slot[who] = -1
        adm, adm_place = who[ok], place[ok]
        users = np.bincount(adm_place, minlength=net.n)
        rej = np.bincount(place[~ok], minlength=net.n)
        makers.sessions.append(adm * net.n + adm_place)
        if rec.counting:
            zp = world.zp
            z, c = makers.zone[who], makers.car[who]
            km = 2 * zp.km[z, place]
            rec.tot.km_workshop += km.sum()
            rec.tot.hours_workshop += 2 * zp.minutes[c, z, place].sum() / 60.0
            rec.tot.co2_kg += (km * zp.co2_kg_km[c, z, place]).sum()
            rec.tot.sessions += adm.size
            rec.tot.sessions_lost += int((~ok).sum())
            rec.tot.workshop_trips += who.size
        rec.period.sessions += users
    rec.record_slot(
        WORKSHOP,
        abs_slot,
        np.flatnonzero(net.slot_open[:, s, WORKSHOP]),
        users,
        rej,
        lot.capacity,
        world.cfg.economics.expand_occupancy,
        lot.population,
        world.sample_rate,
    )
    return users


def update_lagged(world: World, makers: Makers) -> None:
    """Members of each place for the next period, from this period's sessions (lagged)."""
    net = world.network
    makers.members[:] = 0
    if makers.sessions:
        codes, counts = np.unique(np.concatenate(makers.sessions), return_counts=True)
        np.add.at(makers.members, (codes % net.n)[counts >= world.cfg.behaviour.maker.member_sessions], 1)
    makers.sessions = []
