"""Residents' needs and their visits to points of contact (docs/ODD.md 7.2).

Functions over the residents' columns (:class:`Residents`), called by the model each day and slot:

1. :func:`expire` then :func:`arrive` (each day): needs past their deadline are unmet; new needs arrive
   (Poisson per category, from the ``needs`` stream only, so every scenario sees the same needs), solved online
   or waiting for a human contact;
2. :func:`service_slot` (each slot): residents with pending needs and no planned visit plan one (a logit over the
   nearest places that cover a pending need in time, against giving up); those planned for this slot go; each
   place admits up to its capacity by lottery; an admitted visit solves every pending need the place covers
   in that slot (bundling).

Trip chaining (docs/ODD.md 7.2b): a worker away from home today (at the office or a third place, ``away_zone``)
who visits a place today chains the visit with the commute: the trip counts only its detour
``d(home, p) + d(p, work) - d(home, work)`` (km, time, CO2), and when planning, a place whose first covering
slot is today is weighed by half that detour (the one-way equivalent of its round-trip cost) instead of the
one-way time from home.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulation.core.choice import admit, choose, first_true, nearest_columns, popcount
from simulation.core.config import ServiceBehaviour
from simulation.core.parallel import map_spans
from simulation.core.randomness import gumbel, uniform
from simulation.sim.admission import slot_admission
from simulation.sim.network import MEDIATION
from simulation.sim.recorder import Recorder
from simulation.sim.world import World

NO_DEADLINE = np.iinfo(np.int32).max


@dataclass
class Residents:
    """Residents' pending human-contact needs and planned visits, one row per resident.

    Attributes:
        pending: bit mask of the categories with a pending need.
        pend_count, pend_arrival, pend_deadline: per resident and category [R, K]: pending needs, the day
            the earliest arrived, and its deadline (day).
        plan_place, plan_slot: the planned visit (place row, absolute slot; -1: none).
        buckets: absolute slot -> arrays of residents planned for it.
        rates_day: needs per adult and day, per category; online_share: per category.
    """

    pending: np.ndarray
    pend_count: np.ndarray
    pend_arrival: np.ndarray
    pend_deadline: np.ndarray
    plan_place: np.ndarray
    plan_slot: np.ndarray
    rates_day: np.ndarray
    online_share: np.ndarray
    buckets: dict[int, list[np.ndarray]] = field(default_factory=dict)
    # ascending resident rows with a pending need as of the last pending_rows() (the day's new ones wait in
    # _new_active); the daily and per-slot scans read these instead of the whole population (a few percent of it)
    active: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _new_active: list[np.ndarray] = field(default_factory=list)
    _asc: np.ndarray | None = None  # per mediation place, its asc_kind (cached until the network changes)
    _asc_version: int = -1
    _tables: PlanTables | None = None

    def add_needs(self, rows: np.ndarray, k: int, day: int, deadline: int) -> None:
        """One need of category ``k`` for each entry of ``rows`` (a row may repeat), arrived on ``day``; a
        resident with none pending in ``k`` gets ``day`` as its earliest arrival and ``deadline`` as its deadline."""
        fresh = rows[self.pend_count[rows, k] == 0]
        self.pend_arrival[fresh, k] = day
        self.pend_deadline[fresh, k] = deadline
        np.add.at(self.pend_count[:, k], rows, 1)
        self.pending[rows] |= 1 << k
        self._new_active.append(rows)

    def pending_rows(self) -> np.ndarray:
        """The ascending rows with a pending need: the day's new ones merged in once (not per category), those
        whose needs were all solved, given up or expired since dropped."""
        if self._new_active:
            self.active = np.unique(np.concatenate([self.active, *self._new_active]))
            self._new_active = []
        self.active = self.active[self.pending[self.active] != 0]
        return self.active

    @classmethod
    def of(cls, world: World) -> Residents:
        """Every resident, with no pending need."""
        n, providers = world.pop.n_residents, world.cfg.providers
        k = len(providers)
        return cls(
            pending=np.zeros(n, dtype=np.int64),
            pend_count=np.zeros((n, k), dtype=np.int32),
            pend_arrival=np.zeros((n, k), dtype=np.int32),
            pend_deadline=np.full((n, k), NO_DEADLINE, dtype=np.int32),
            plan_place=np.full(n, -1, dtype=np.int64),
            plan_slot=np.full(n, -1, dtype=np.int64),
            rates_day=np.array([p.needs_per_adult_year for p in providers]) / 365.0,
            online_share=np.array([p.online_share for p in providers]),
        )


def arrive(world: World, res: Residents, day: int, rng: np.random.Generator, rec: Recorder) -> None:
    """Poisson arrivals per category; online or human contact (the needs stream only: same in every scenario)."""
    pop = world.pop
    n = pop.n_residents
    counts = rng.poisson(res.rates_day * n)
    deadline_days = world.cfg.behaviour.service.deadline_days
    for k, c in enumerate(counts):
        if c == 0:
            continue
        who = rng.integers(0, n, size=c)
        online = pop.digital[who] & (rng.random(c) < res.online_share[k])
        human = who[~online]
        if rec.counting:
            rec.tot.needs_human += human.size
            rec.tot.needs_online += int(online.sum())
            np.add.at(rec.per_zone.needs_human, pop.zone[human], 1)
        if human.size == 0:
            continue
        res.add_needs(human, k, day, day + deadline_days)


def expire(world: World, res: Residents, day: int, rec: Recorder) -> None:
    """Needs whose deadline passed are counted unmet and cleared."""
    # a finite deadline goes with a pending need (set and cleared together), so the pending rows hold every one
    active = res.pending_rows()
    late = res.pend_deadline[active] < day
    if not late.any():
        return
    rows, cats = np.nonzero(late)
    rows = active[rows]
    lost = res.pend_count[rows, cats]
    if rec.counting:
        rec.tot.unmet += lost.sum()
        np.add.at(rec.per_zone.unmet, world.pop.zone[rows], lost)
    _clear(res, rows, cats)


def _clear(res: Residents, rows: np.ndarray, cats: np.ndarray) -> None:
    res.pend_count[rows, cats] = 0
    res.pend_deadline[rows, cats] = NO_DEADLINE
    np.bitwise_and.at(res.pending, rows, ~(np.int64(1) << cats.astype(np.int64)))


@dataclass(frozen=True)
class PlanTables:
    """Travel to the mediation places as row tables [2Z, M], rows ``car * Z + zone`` (cached per network version).

    Planning groups residents by (zone, car, ...) and needs, per group, the time to every mediation place and,
    when chaining, the detour through it: gathering whole rows of these tables is a plain copy, where a fancy index
    against three broadcast index arrays was most of the planning's time on large territories. Same numbers.

    Attributes:
        version: the network version the tables were built for.
        to_place: one-way minutes from each (car, zone) to each mediation place (``zp.minutes``).
        zone_to_place: the same from the zone-to-zone matrix (``zz.minutes[car, zone, place's zone]``), the first
            leg of a detour.
        place_to_zone: ``zz.minutes[car, place's zone, zone]`` by row ``car * Z + zone``: the detour's second leg
            to the work zone.
    """

    version: int
    to_place: np.ndarray
    zone_to_place: np.ndarray
    place_to_zone: np.ndarray
    cover_any: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    _nearest: dict[int, np.ndarray] = field(default_factory=dict)

    def nearest(self, n: int) -> np.ndarray:
        """Per category k and row (car, zone), the ``n`` nearest mediation places that cover k in some slot of
        the week (column indices, nearest first, ties by column, -1 padded) [K, 2Z, n]."""
        if n not in self._nearest:
            n_cat = int(self.cover_any.max(initial=0)).bit_length()
            out = np.full((n_cat, self.to_place.shape[0], n), -1, dtype=np.int64)
            for k in range(n_cat):
                cols = np.flatnonzero((self.cover_any >> k) & 1)
                out[k, :, : min(n, cols.size)] = cols[nearest_columns(self.to_place[:, cols], n)]
            self._nearest[n] = out
        return self._nearest[n]

    def nearest_by_row(self, n: int) -> np.ndarray:
        """:meth:`nearest` laid out by row (car, zone) first, [2Z, K, n]: a group's lists are one contiguous
        block, gathered by a plain copy."""
        key = -n  # beside the [K, 2Z, n] lists, under another key
        if key not in self._nearest:
            self._nearest[key] = np.ascontiguousarray(self.nearest(n).transpose(1, 0, 2))
        return self._nearest[key]


def _take_cells(table: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """``table[rows[:, None], cols]`` by flat 1-D take (a -1 column reads column 0: the caller masks it); the
    row gather then column take would copy whole rows of every place."""
    return np.take(table, rows[:, None] * table.shape[1] + np.maximum(cols, 0))


def reach_columns(
    tab: PlanTables, bits: np.ndarray, home_row: np.ndarray, work_row: np.ndarray, n: int
) -> np.ndarray:
    """The mediation places searched for each group on a large territory: for each of its pending categories,
    the ``n`` nearest places covering it from home and, where ``work_row`` >= 0 (a day away), from the work zone;
    a place listed several times counts once (-1 pads).

    Args:
        tab: the planning tables.
        bits: per group, its pending categories (bit mask).
        home_row, work_row: per group, the row ``car * Z + zone`` of home and of the work zone (-1: none).
        n: ``behaviour.service.reach_set``.

    Returns:
        [G, C] column indices, each row's places ascending then -1 padding, C the most places of a row.
    """
    near = tab.nearest_by_row(n)  # [2Z, K, n]
    n_cat = near.shape[1]
    pending = ((bits[:, None] >> np.arange(n_cat)) & 1).astype(bool)  # [G, K]
    parts = [near[home_row]]  # [G, K, n] each
    parts[0][~pending] = -1
    away = work_row >= 0
    if away.any():
        parts.append(near[np.maximum(work_row, 0)])
        parts[1][~(pending & away[:, None])] = -1
    cols = (np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]).reshape(bits.size, -1)
    if cols.shape[1] == 0:  # no place covers any category
        return np.full((bits.size, 1), -1, dtype=np.int64)
    # Sorted as unsigned, the -1 pads (the largest uint64) go after each row's places, which come out ascending;
    # most columns are padding (categories not pending, no day away), so the rest works on the first `width`
    # columns only (Île-de-France: 64 of 256), then a place listed twice is dropped and the row sorted again.
    cols.view(np.uint64).sort(axis=1)
    width = max(int((cols >= 0).sum(axis=1).max(initial=0)), 1)
    cols = cols[:, :width]
    dup = np.zeros(cols.shape, dtype=bool)
    dup[:, 1:] = (cols[:, 1:] == cols[:, :-1]) & (cols[:, 1:] >= 0)
    if dup.any():
        cols = np.where(dup, -1, cols)
        cols.view(np.uint64).sort(axis=1)
        width = max(int((cols >= 0).sum(axis=1).max(initial=0)), 1)
    return np.ascontiguousarray(cols[:, :width])


def plan_tables(world: World, res: Residents) -> PlanTables:
    """The row tables of :class:`PlanTables` for the current network (cached on the residents)."""
    net = world.network
    tab = res._tables
    if tab is not None and tab.version == net.version:
        return tab
    med = net.mediation_places
    pz = net.zone[med]
    zm = world.zz.minutes
    two, nz = zm.shape[0], zm.shape[1]
    # C-contiguous: a fancy index on the last axis leaves another layout, and np.take on a non-contiguous table
    # copies the whole table at every call (45 MB a block on Île-de-France)
    tab = PlanTables(
        version=net.version,
        to_place=np.ascontiguousarray(world.zp.minutes[:, :, med].reshape(two * nz, med.size)),
        zone_to_place=np.ascontiguousarray(zm[:, :, pz].reshape(two * nz, med.size)),
        place_to_zone=np.ascontiguousarray(zm[:, pz, :].transpose(0, 2, 1)).reshape(two * nz, med.size),
        cover_any=np.bitwise_or.reduce(net.cover[med], axis=1) if med.size else np.zeros(0, np.int64),
    )
    res._tables = tab
    return tab


def detour(
    world: World, home: np.ndarray, car: np.ndarray, place: np.ndarray, work_zone: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Extra km and minutes of visiting ``place`` on the way between home and the work zone (never negative).

    Arrays broadcast together: ``home``, ``car`` and ``work_zone`` per visitor, ``place`` per place row.
    """
    zz, pz = world.zz, world.network.zone[place]
    km = zz.km[home, pz] + zz.km[pz, work_zone] - zz.km[home, work_zone]
    minutes = zz.minutes[car, home, pz] + zz.minutes[car, pz, work_zone] - zz.minutes[car, home, work_zone]
    return np.maximum(km, 0.0), np.maximum(minutes, 0.0)


# Planning is split into threads when each thread gets at least this many (resident, place searched) cells: a
# resident's cost grows with the places searched for it (every point of contact up to full_search_places, about
# 4 reach lists above). The Rhône (442 points of contact): 2,000 residents a thread (the floor below); Île-de-France:
# 9,400; a national sweep's départements at rate 0.1 (under 1,000 planners a slot) stay on one thread.
PLAN_SPAN_CELLS = 600_000
PLAN_SPAN_ROWS = 2_000  # and never fewer residents a thread than this


def searches_every_place(sv: ServiceBehaviour, n_places: int) -> bool:
    """Whether planning searches every point of contact for each group (the exact [groups x places] search), or
    only the reach lists: above ``full_search_places`` (docs/ODD.md 7.2)."""
    return n_places <= max(sv.full_search_places, sv.consideration_set)


def plan(
    world: World,
    res: Residents,
    day: int,
    s: int,
    abs_slot: int,
    rec: Recorder,
    away_zone: np.ndarray | None = None,
) -> None:
    """Residents with pending needs and no planned visit choose a (place, slot) or give up.

    Args:
        away_zone: per resident, the zone where it works today when away from home, else -1 (chaining).
    """
    net, sv = world.network, world.cfg.behaviour.service
    pending = res.pending_rows()
    who = pending[res.plan_slot[pending] < abs_slot]  # ... and no visit planned ahead
    med = net.mediation_places
    if who.size == 0:
        return
    if med.size == 0:
        _give_up(world, res, who, rec)
        return
    # the caches the spans read, built once before them
    tab = plan_tables(world, res)
    full = searches_every_place(sv, med.size)
    if not full:
        tab.nearest_by_row(sv.reach_set)
    _asc_kind(world, res)

    def span(sl: slice) -> PlanChoice:
        return plan_choices(world, res, who[sl], day, s, abs_slot, away_zone)

    width = med.size if full else 4 * sv.reach_set
    parts = map_spans(span, who.size, world.threads, max(PLAN_SPAN_ROWS, PLAN_SPAN_CELLS // max(width, 1)))
    choice = parts[0] if len(parts) == 1 else PlanChoice.concat(parts)
    _give_up(world, res, choice.give_up, rec)
    r = choice.go
    res.plan_place[r] = choice.place
    res.plan_slot[r] = choice.slot
    for t_abs in np.unique(res.plan_slot[r]):
        res.buckets.setdefault(int(t_abs), []).append(r[res.plan_slot[r] == t_abs])


@dataclass
class PlanChoice:
    """The choices of some residents with a pending need (:func:`plan_choices`).

    Attributes:
        give_up: the residents who give up their pending needs (in the order they were given).
        go: the residents who plan a visit (same order); place: the place row of each; slot: its absolute slot.
    """

    give_up: np.ndarray
    go: np.ndarray
    place: np.ndarray
    slot: np.ndarray

    @classmethod
    def concat(cls, parts: list[PlanChoice]) -> PlanChoice:
        """The choices of consecutive spans of residents, in order."""
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in ("give_up", "go", "place", "slot"))
        )


def plan_choices(
    world: World,
    res: Residents,
    who: np.ndarray,
    day: int,
    s: int,
    abs_slot: int,
    away_zone: np.ndarray | None = None,
) -> PlanChoice:
    """The choice of a (place, slot) or giving up of the residents ``who`` (each with a pending need and no visit
    planned ahead); reads the residents' state, changes nothing. Each resident's choice depends on its own
    rows only (the spans of :func:`plan`).
    """
    net, sv, pop = world.network, world.cfg.behaviour.service, world.pop
    med = net.mediation_places
    horizon = 3 * (sv.deadline_days + 1)
    slots_ahead = (s + np.arange(horizon)) % 21
    cover = net.cover[med][:, slots_ahead]  # [M, H]
    bits = res.pending[who]
    ubits, inv = np.unique(bits, return_inverse=True)
    hit = (ubits[:, None, None] & cover[None, :, :]) != 0  # [U, M, H]
    first = first_true(hit, axis=2)  # [U, M]
    cover_first = cover[np.arange(med.size)[None, :], np.maximum(first, 0)]  # [U, M]
    ncov = popcount(ubits[:, None] & cover_first)
    # Residents who share their zone, car, pending categories, earliest deadline and (when chaining) work zone
    # see the same [place] rows of slot, time and feasibility: those rows are computed once per group (a few
    # hundred groups for thousands of residents), then handed to each member. Same numbers, same choices.
    z, c = pop.zone[who], pop.car[who].astype(np.int64)
    deadline = res.pend_deadline[who].min(axis=1)
    wz_all = away_zone[who] if away_zone is not None else np.full(who.size, -1, dtype=np.int64)
    gz, gc, ginv, gdeadline, gwz, kinv = group_rows(z, c, inv, deadline, wz_all)
    tab = plan_tables(world, res)
    nz = world.zz.minutes.shape[1]
    # The columns searched for each group's consideration set: every mediation place (exact, [groups x places]),
    # or on a large territory only the reach_set nearest from home and, on a day away, from the work zone
    # (docs/ODD.md 7.2: linear in the zones, where every place for every group grows with their square).
    ccols = None
    if not searches_every_place(sv, med.size):
        ccols = reach_columns(
            tab, ubits[ginv], gc * nz + gz, np.where(gwz >= 0, gc * nz + gwz, -1), sv.reach_set
        )
    # per distinct pending set and place: the days until its first slot serving one of them (NEVER if none),
    # so that a place is in time when that is at most the group's days to its earliest deadline
    days_to = np.where(first >= 0, (abs_slot + first) // 3 - day, NEVER)
    *cons, ties = _consideration(world, tab, first, days_to, ccols, gz, gc, gwz, gdeadline - day, ginv)
    f, t, days_until, ok, cols = (a[kinv] for a in cons)  # [R, k]
    if ties is not None:
        _draw_ties(world, ties, who, kinv, inv, first, days_to, f, t, ok, days_until, cols)
    asc = _asc_kind(world, res)
    u = sv.b_time * t + sv.b_delay * days_until + sv.b_bundle * (ncov[inv[:, None], cols] - 1) + asc[cols]
    u = np.where(ok, u, -np.inf)
    util = np.column_stack([np.full(who.size, sv.asc_give_up), u])
    alts = np.column_stack([np.full(who.size, world.keys.give_up), net.place_hash[med[cols]]])
    noise = gumbel(world.keys.service, abs_slot, who, alts)
    pick = choose(util, noise)
    go = pick > 0
    col = pick[go] - 1
    return PlanChoice(
        give_up=who[pick <= 0], go=who[go], place=med[cols[go, col]], slot=abs_slot + f[go, col]
    )


NEVER = np.iinfo(np.int64).max  # days to a place with no serving slot in the horizon: never in time
PLAN_BLOCK_CELLS = 65_536  # (group, place) cells searched at a time: a block's arrays stay in a core's cache


def _consideration(
    world: World,
    tab: PlanTables,
    first: np.ndarray,
    days_to: np.ndarray,
    ccols: np.ndarray | None,
    gz: np.ndarray,
    gc: np.ndarray,
    gwz: np.ndarray,
    days_left: np.ndarray,
    ginv: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, Ties | None]:
    """Each group's consideration set: the ``consideration_set`` places nearest in time among those that can
    serve it before its earliest deadline (a resident knows a handful of points of contact; without it the many
    far alternatives would crowd out giving up). Utilities and noise are then computed on those columns only: the
    noise of a (resident, place) is keyed on the place's id, so the draws, and the choice, are those of the full
    matrix with the other columns at -inf.

    The groups are searched in blocks of about :data:`PLAN_BLOCK_CELLS` cells; each row's partial sort reads that
    row only, so the blocks give the same sets as one pass.

    Args:
        first: per distinct pending set and mediation place, the first slot ahead serving one of the set (-1:
            none); days_to: the days until that slot (:data:`NEVER` if none).
        ccols: per group, the places searched (mediation indices, -1 pads), or None for every place.
        gz, gc, gwz: per group, its home zone, car and work zone on a day away (-1: at home).
        days_left: per group, days from today to its earliest deadline; ginv: per group, its pending set.

    Returns:
        per group and considered column: the slot index ahead, the one-way minutes (half the detour on a day away
        when the slot is today), the days until the slot, whether the place is in time, and the mediation place;
        then, with ``tie_break: draw``, the groups whose set ends among places at equal time (:class:`Ties`),
        else None.
    """
    sv = world.cfg.behaviour.service
    nz = world.zz.minutes.shape[1]
    n_groups = gz.size
    width = first.shape[1] if ccols is None else ccols.shape[1]
    k = min(sv.consideration_set, width)
    out = [
        np.empty((n_groups, k), dtype=d)
        for d in (first.dtype, tab.to_place.dtype, days_to.dtype, bool, np.int64)
    ]
    step = max(1, PLAN_BLOCK_CELLS // max(width, 1))
    ties: list[tuple[np.ndarray, np.ndarray, np.ndarray]] | None = [] if sv.tie_break == "draw" else None
    for b0 in range(0, n_groups, step):
        b = slice(b0, b0 + step)
        bz, bc, bwz, binv = gz[b], gc[b], gwz[b], ginv[b]
        if ccols is None:
            du = days_to[binv]  # [b, M]
            t = tab.to_place[bc * nz + bz]
        else:
            bcols = ccols[b]
            du = days_to[binv[:, None], bcols]  # [b, C]
            t = _take_cells(tab.to_place, bc * nz + bz, bcols)
        ok = du <= days_left[b, None]
        if ccols is not None:
            # padding of the reach columns (a place listed from home and from work counts once)
            ok &= bcols >= 0
        # On a day away, a slot today is reached on the way from work: half the detour's minutes, as detour()
        # computes them (same terms, same order), in place of the minutes from home where the slot is today.
        away = np.flatnonzero(bwz >= 0)
        if away.size:
            cc, hc, wc = bc[away], bz[away], bwz[away]
            if ccols is None:
                leg = tab.zone_to_place[cc * nz + hc] + tab.place_to_zone[cc * nz + wc]
            else:
                leg = _take_cells(tab.zone_to_place, cc * nz + hc, bcols[away])
                leg += _take_cells(tab.place_to_zone, cc * nz + wc, bcols[away])
            leg -= world.zz.minutes[cc, hc, wc][:, None]
            np.maximum(leg, 0.0, out=leg)
            leg /= 2.0
            sub = t[away]
            np.copyto(sub, leg, where=du[away] == 0)
            t[away] = sub
        if width > k:
            tm = np.where(ok, t, np.inf)
            sel = np.argpartition(tm, k - 1, axis=1)[:, :k]  # [b, k]
            if ties is not None:
                ties.append(_tied_places(tm, sel, k, b0, None if ccols is None else bcols))
        else:
            sel = np.broadcast_to(np.arange(width), (bz.size, width))
        cols = sel if ccols is None else np.take_along_axis(bcols, sel, axis=1)
        out[0][b] = first[binv[:, None], cols]
        out[1][b] = np.take_along_axis(t, sel, axis=1)
        out[2][b] = np.take_along_axis(du, sel, axis=1)
        out[3][b] = np.take_along_axis(ok, sel, axis=1)
        out[4][b] = np.maximum(cols, 0)
    return (*out, None if not ties else Ties(*(np.concatenate(a) for a in zip(*ties, strict=True))))


@dataclass
class Ties:
    """The groups whose consideration set ends among several places at the same time (``tie_break: draw``), as
    (group, place) pairs, group by group in ascending order.

    Attributes:
        group: per pair, the group; place: a mediation place at the tied time; minutes: that time.
    """

    group: np.ndarray
    place: np.ndarray
    minutes: np.ndarray


def _tied_places(
    tm: np.ndarray, sel: np.ndarray, k: int, b0: int, bcols: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The (group, place, minutes) of a block's groups whose k-th nearest place in time shares its time with
    places left out of the partial sort's ``sel``: every place in time at that time, the selected included.

    Args:
        tm: per group and column, the minutes, inf where not in time; sel: the partial sort's k columns.
        b0: the block's first group; bcols: per group, the columns' mediation places (None: the column is it).
    """
    kth = np.take_along_axis(tm, sel, axis=1).max(axis=1, keepdims=True)  # the k-th smallest
    # tied: more than k places at or under it, it being a time (inf: fewer than k places in time, nothing to share)
    tied = np.flatnonzero((np.count_nonzero(tm <= kth, axis=1) > k) & np.isfinite(kth[:, 0]))
    ri, ci = np.nonzero(tm[tied] == kth[tied])  # in time: tm is finite only there
    rows = tied[ri]
    place = ci if bcols is None else bcols[rows, ci]
    return rows + b0, place, kth[rows, 0]


def _draw_ties(
    world: World,
    ties: Ties,
    who: np.ndarray,
    kinv: np.ndarray,
    inv: np.ndarray,
    first: np.ndarray,
    days_to: np.ndarray,
    f: np.ndarray,
    t: np.ndarray,
    ok: np.ndarray,
    days_until: np.ndarray,
    cols: np.ndarray,
) -> None:
    """``tie_break: draw``: a resident whose consideration set ends among places at equal time fills its last
    places with the tied places it ranks first by its own lasting draw (channel ``consideration``, keyed on the
    resident and the place id, not on time: a resident knows the same few of its zone's post offices all year,
    and adding a place elsewhere changes nobody's draws). Changes the residents' rows of ``f``, ``days_until``
    and ``cols`` in place (the minutes and feasibility are those of any tied place).

    Args:
        ties: the tied groups' places (:func:`_consideration`); kinv: per resident, its group; inv: per
            resident, its pending set; first, days_to: per pending set and place, as in :func:`plan_choices`.
        f, t, ok, days_until, cols: per resident and considered column (:func:`_consideration`, expanded).
    """
    med = world.network.mediation_places
    groups, starts, counts = np.unique(ties.group, return_index=True, return_counts=True)
    index = np.full(int(kinv.max(initial=-1)) + 1, -1, dtype=np.int64)
    index[groups] = np.arange(groups.size)
    gi = index[kinv]
    rt = np.flatnonzero(gi >= 0)
    if rt.size == 0:
        return
    gi = gi[rt]
    cand = np.full((groups.size, int(counts.max())), -1, dtype=np.int64)  # each tied group's places, -1 pads
    cand[
        np.repeat(np.arange(groups.size), counts), np.arange(ties.group.size) - np.repeat(starts, counts)
    ] = ties.place
    cand = cand[gi]
    u = uniform(world.keys.consideration, 0, who[rt], world.network.place_hash[med[np.maximum(cand, 0)]])
    u[cand < 0] = 2.0  # pads rank last
    ranked = np.take_along_axis(cand, np.argsort(u, axis=1), axis=1)
    # the resident's columns at the tied time take its ranked places in turn; the nearer ones stay
    at_tie = ok[rt] & (t[rt] == ties.minutes[starts][gi][:, None])
    turn = np.maximum(np.cumsum(at_tie, axis=1) - 1, 0)
    new = np.where(at_tie, np.take_along_axis(ranked, turn, axis=1), cols[rt])
    cols[rt] = new
    f[rt] = first[inv[rt][:, None], new]
    days_until[rt] = days_to[inv[rt][:, None], new]


def group_rows(*columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """The distinct rows of integer columns (each >= -1) and each row's group: ``np.unique(axis=0)``, faster.

    The columns are packed, in order, into one int64 key per row (a -1 becomes 0, the others shift by one), so
    one sort of integers replaces the sort of structured rows; the groups come out in the same lexicographic
    order. Falls back to ``np.unique(axis=0)`` when the columns' ranges need more than 63 bits.

    Returns:
        each column's values per group, then the group of each row.
    """
    shifted = [np.asarray(col, dtype=np.int64) + 1 for col in columns]
    widths = [max(int(col.max(initial=0)), 1).bit_length() for col in shifted]
    if sum(widths) > 63:
        ukeys, inv = np.unique(np.column_stack(columns), axis=0, return_inverse=True)
        return (*(ukeys[:, j] for j in range(len(columns))), inv.reshape(-1))
    key = np.zeros(shifted[0].shape, dtype=np.int64)
    for col, w in zip(shifted, widths, strict=True):
        key = (key << w) | col
    ukey, inv = np.unique(key, return_inverse=True)
    out = []
    for w in reversed(widths):
        out.append((ukey & ((1 << w) - 1)) - 1)
        ukey = ukey >> w
    return (*reversed(out), inv.reshape(-1))


def _asc_kind(world: World, res: Residents) -> np.ndarray:
    """Per mediation place, its constant ``asc_kind`` (by label, then origin, else ``other``); cached on the
    residents until the network changes, as the workers cache their candidates."""
    net, sv = world.network, world.cfg.behaviour.service
    if res._asc is None or res._asc_version != net.version:
        res._asc = np.array(
            [
                sv.asc_kind.get("france_services" if net.labelled[p] else net.origin[p], sv.asc_kind["other"])
                for p in net.mediation_places
            ],
            dtype=float,
        )
        res._asc_version = net.version
    return res._asc


def _give_up(world: World, res: Residents, who: np.ndarray, rec: Recorder) -> None:
    if who.size == 0:
        return
    rows, cats = np.nonzero(res.pend_count[who] > 0)
    rows = who[rows]
    if rec.counting:
        lost = res.pend_count[rows, cats].sum()
        rec.tot.unmet += lost
        rec.tot.gave_up += lost
        np.add.at(rec.per_zone.unmet, world.pop.zone[rows], res.pend_count[rows, cats])
    _clear(res, rows, cats)


def service_slot(
    world: World,
    res: Residents,
    day: int,
    s: int,
    abs_slot: int,
    rec: Recorder,
    away_zone: np.ndarray | None = None,
) -> np.ndarray:
    """Plan, then the visits of this slot: capacity lottery, needs solved, trips; returns users per place.

    Args:
        away_zone: per resident, the zone where it works today when away from home, else -1 (chaining).
    """
    net, pop = world.network, world.pop
    plan(world, res, day, s, abs_slot, rec, away_zone)
    bucket = res.buckets.pop(abs_slot, [])
    users = np.zeros(net.n, dtype=np.int64)
    open_rows = np.flatnonzero(net.slot_open[:, s, MEDIATION])
    expand = world.cfg.economics.expand_occupancy
    who = np.concatenate(bucket) if bucket else np.zeros(0, np.int64)
    who = who[res.plan_slot[who] == abs_slot]
    place = res.plan_place[who]
    lot = slot_admission(
        net, world.demand, world.keys.capacity, world.keys.imputation, abs_slot, MEDIATION,
        np.bincount(place, minlength=net.n),
    )  # fmt: skip
    cap, popu, rate = lot.capacity, lot.population, world.sample_rate
    if not bucket:
        rec.record_slot(MEDIATION, abs_slot, open_rows, users, users, cap, expand, popu, rate)
        return users
    prio = uniform(world.keys.lottery, abs_slot, who)
    ok = admit(place, prio, lot.admit)
    # a trip is made whether or not the visitor is admitted
    z, c = pop.zone[who], pop.car[who].astype(np.int64)
    if rec.counting:
        zp = world.zp
        km = 2 * zp.km[z, place]
        minutes = 2 * zp.minutes[c, z, place]
        if away_zone is not None:
            chained = away_zone[who] >= 0
            if chained.any():
                dkm, dmin = detour(world, z[chained], c[chained], place[chained], away_zone[who[chained]])
                km[chained], minutes[chained] = dkm, dmin
                rec.tot.chained_visits += int(chained.sum())
        rec.tot.km_service += km.sum()
        rec.tot.hours_service += minutes.sum() / 60.0
        rec.tot.co2_kg += (km * zp.co2_kg_km[c, z, place]).sum()
        rec.tot.trips += who.size
        np.add.at(rec.per_zone.km_service, z, km)
    res.plan_slot[who] = -1
    res.plan_place[who] = -1
    rej, rej_place = who[~ok], place[~ok]
    n_prov = res.pend_count.shape[1]
    if rej.size:
        rej_bits = res.pending[rej] & net.cover[rej_place, s]
        for k in range(n_prov):
            hitk = ((rej_bits >> k) & 1).astype(bool)
            if hitk.any():
                np.add.at(rec.quarter.rejections[k], rej_place[hitk], 1)
    adm, adm_place = who[ok], place[ok]
    solved_bits = res.pending[adm] & net.cover[adm_place, s]
    rows_l, cats_l = [], []
    for k in range(n_prov):
        hitk = ((solved_bits >> k) & 1).astype(bool)
        if not hitk.any():
            continue
        r = adm[hitk]
        cnt = res.pend_count[r, k]
        np.add.at(rec.period.contacts_kp[k], adm_place[hitk], cnt)
        np.add.at(rec.quarter.contacts[k], (adm_place[hitk], np.full(r.size, s)), cnt)
        if rec.counting:
            rec.tot.contacts += cnt.sum()
            rec.tot.solved += cnt.sum()
            rec.tot.delay_days += ((day - res.pend_arrival[r, k]) * cnt).sum()
            np.add.at(rec.per_zone.solved, pop.zone[r], cnt)
        rows_l.append(r)
        cats_l.append(np.full(r.size, k))
    if rows_l:
        _clear(res, np.concatenate(rows_l), np.concatenate(cats_l))
    served = solved_bits != 0
    users = np.bincount(adm_place[served], minlength=net.n)
    if rec.counting:
        rec.tot.visits += int(served.sum())
    rec.record_slot(
        MEDIATION,
        abs_slot,
        open_rows,
        users,
        np.bincount(rej_place, minlength=net.n),
        cap,
        expand,
        popu,
        rate,
    )
    return users
