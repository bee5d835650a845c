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

from simulation.core.choice import admit, log_positive_stable, nested_noise
from simulation.core.parallel import map_spans
from simulation.core.randomness import gumbel, stable_hash, to_gumbel, uniform, uniform_pairs
from simulation.sim.admission import slot_admission
from simulation.sim.network import WORK
from simulation.sim.recorder import Recorder
from simulation.sim.world import World

OFFICE, HOME = -2, -1  # codes of today_place; >= 0 is a place row
# alternative ids of the two uniforms behind a worker's nest draw (the "level" of the counter-based noise)
NEST_ANGLE, NEST_EXP = stable_hash("__nest__:angle"), stable_hash("__nest__:exp")
ERRAND_KINDS = (
    "centre",
    "urban",
)  # errands go to the nearest zone of these kinds (the home zone if it is one)


@dataclass
class Workers:
    """The workers' state, one row per worker.

    Attributes:
        zone: home zone; car: car owner (0/1); job_zone: the office's zone.
        can_telework: the job can be done remotely and the employer allows remote days.
        commute_km, commute_min, commute_eur, commute_co2: the one-way commute to the job zone (km, min, EUR,
            kg CO2 per km).
        errand_km, errand_min, errand_co2: the one-way trip of an errand from home (to the nearest centre or
            urban zone, the home zone if it is one).
        remote_used: remote days used this week.
        last_place: last third place worked at (-1: none), for habit.
        subscribed: place of the worker's subscription this period (-1: none).
        today_place: today's work place (OFFICE, HOME or a place row).
        regulars: per place, workers who worked there at least ``regular_days`` days last period (lagged).
    """

    zone: np.ndarray
    car: np.ndarray
    job_zone: np.ndarray
    can_telework: np.ndarray
    commute_km: np.ndarray
    commute_min: np.ndarray
    commute_eur: np.ndarray
    commute_co2: np.ndarray
    errand_km: np.ndarray
    errand_min: np.ndarray
    errand_co2: np.ndarray
    remote_used: np.ndarray
    last_place: np.ndarray
    subscribed: np.ndarray
    today_place: np.ndarray
    regulars: np.ndarray
    work_days: list[np.ndarray] = field(default_factory=list)  # worker * P + place, this period
    third: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # workers at a third place today
    admitted: np.ndarray | None = None  # of those, admitted by the day's lottery
    rejected_am: np.ndarray | None = None  # per place, turned away this morning
    cap_today: np.ndarray | None = None  # per place, today's desk capacity (simulated users)
    pop_today: np.ndarray | None = None  # per place, today's whole-population users imputed by the lottery
    _cand: np.ndarray | None = None
    _cand_version: int = -1
    _tables: CandidateTables | None = None

    @classmethod
    def of(cls, world: World) -> Workers:
        """Every worker of the population at the start of the run."""
        pop, zz = world.pop, world.zz
        w = pop.n_workers
        wz = pop.zone[pop.worker_person]
        car = pop.car[pop.worker_person].astype(np.int64)
        jz = pop.job_zone
        ez = errand_zones(world)[wz]
        return cls(
            zone=wz,
            car=car,
            job_zone=jz,
            can_telework=pop.teleworkable & pop.agreement,
            commute_km=zz.km[wz, jz],
            commute_min=zz.minutes[car, wz, jz],
            commute_eur=zz.eur[car, wz, jz],
            commute_co2=zz.co2_kg_km[car, wz, jz],
            errand_km=zz.km[wz, ez],
            errand_min=zz.minutes[car, wz, ez],
            errand_co2=zz.co2_kg_km[car, wz, ez],
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


@dataclass(frozen=True)
class CandidateTables:
    """What the utilities read of each (car, zone)'s candidates, flattened to rows ``car * Z + zone`` [2Z, K].

    Workers who share their car ownership and home zone share their candidates' times and money: those are
    gathered once per (car, zone) when the network changes, and each (worker, candidate) pair then reads its cell
    by flat index (a fancy index over [workers, K] against three index arrays was most of the work choice's time
    on large territories). The values are the same numbers, so the choices are the same.

    Attributes:
        version: the network version the tables were built for.
        cand: candidate place rows, -1 padded; place: the same with -1 replaced by 0 (safe to index).
        minutes, eur: the one-way trip to each candidate.
    """

    version: int
    cand: np.ndarray
    place: np.ndarray
    minutes: np.ndarray
    eur: np.ndarray
    money_priced: np.ndarray

    @property
    def reach_minutes(self) -> np.ndarray:
        """``minutes`` with +inf at the padding: ascending along each row (candidates are nearest first)."""
        return np.where(self.cand >= 0, self.minutes, np.inf)


def candidate_tables(world: World, workers: Workers) -> CandidateTables:
    """The (car, zone) tables of the consideration sets (:class:`CandidateTables`); cached until the network
    changes."""
    net = world.network
    tab = workers._tables
    if tab is not None and tab.version == net.version:
        return tab
    cand = candidates(world, workers)  # [2, Z, K]
    two, nz, k = cand.shape
    car = np.repeat(np.arange(two), nz)[:, None]
    zone = np.tile(np.arange(nz), two)[:, None]
    flat = cand.reshape(two * nz, k)
    c = np.where(flat >= 0, flat, 0)
    tab = CandidateTables(
        version=net.version,
        cand=flat,
        place=c,
        minutes=world.zp.minutes[car, zone, c],
        eur=world.zp.eur[car, zone, c],
        money_priced=world.zp.eur[car, zone, c] * 2 + world.network.price_day[c],
    )
    workers._tables = tab
    return tab


def errand_zones(world: World) -> np.ndarray:
    """For each zone, where its workers' errands go: the nearest zone of kind centre or urban (itself if it is
    one; the nearest zone of any kind when the territory has none)."""
    kinds = world.zones["kind"].to_numpy()
    poles = np.flatnonzero(np.isin(kinds, ERRAND_KINDS))
    if poles.size == 0:
        return np.arange(len(kinds))
    return poles[np.argmin(world.zz.km[:, poles], axis=1)]


@dataclass(frozen=True)
class ThirdPlaceOptions:
    """The third places available to each decider, as (decider, place) pairs: most of a worker's candidate
    columns are unavailable (closed that day, too far, no time saved), so the pairs hold about half the cells of
    the dense [deciders x K] matrix (the Rhône: 7 of 15 on average).

    Attributes:
        rows: the decider of each pair (index into ``who``), ascending; counts: the pairs of each decider;
            cell: the pair's cell ``row * K + column`` of the candidate tables (columns ascending within a
            decider); k: the tables' width K; place: the place row; utility: the pair's deterministic utility.
    """

    rows: np.ndarray
    counts: np.ndarray
    cell: np.ndarray
    k: int
    place: np.ndarray
    utility: np.ndarray

    @property
    def col(self) -> np.ndarray:
        """Each pair's column among its decider's candidates."""
        return self.cell % max(self.k, 1)


def third_place_options(world: World, workers: Workers, who: np.ndarray, s: int) -> ThirdPlaceOptions:
    """The available third places of the workers ``who`` on the day of AM slot ``s``, with their utilities.

    Utility ``asc_third + third_taste_sd x taste + b_time t + b_cost (2 trip_eur + price) + community
    ln(1 + regulars) + habit [last place]`` (one-way time, round-trip money, the day pass: 0 with a subscription
    there or when the employer pays). Available: its desks run that day, it is within ``max_minutes`` and it saves
    at least ``min_saving_minutes`` of one-way time against the office (docs/ODD.md 7.1).
    """
    wb, pol, net = world.cfg.behaviour.work, world.cfg.policy, world.network
    tab = candidate_tables(world, workers)
    # per (car, zone) row: the candidates whose desks run that day (a small [2Z, K] array)
    open_g = (tab.cand >= 0) & (net.slot_open[tab.place, s, WORK] | net.slot_open[tab.place, s + 1, WORK])
    k = tab.cand.shape[1]
    g = workers.car[who] * (tab.cand.shape[0] // 2) + workers.zone[who]
    # A candidate saves enough time when t <= commute - min_saving; the candidates of a row are nearest first, so
    # those are the row's first `count` columns, found by a binary search over the K columns (a few [n] takes,
    # where the dense [n, K] comparison would gather every cell).
    thr = (
        workers.commute_min[who] - wb.min_saving_minutes
        if wb.min_saving_minutes is not None
        else np.full(who.shape[0], np.inf)
    )
    reach = tab.reach_minutes.ravel()
    count = np.zeros(who.shape[0], dtype=np.int64)
    base = g * k - 1
    step = 1 << (max(k, 1).bit_length() - 1)
    while step:
        probe = count + step
        fits = probe <= k
        count = np.where(fits & (np.take(reach, base + np.minimum(probe, k)) <= thr), probe, count)
        step >>= 1
    mask = open_g[g] & (np.arange(k)[None, :] < count[:, None])
    counts = mask.sum(axis=1)
    # The pairs, decider by decider. Per-decider values reach their pairs by np.repeat (a sequential copy), not
    # by a gather through `rows`; the cell is the flat index into [n, K] moved to the decider's table row.
    rows = np.repeat(np.arange(who.shape[0]), counts)
    cell = np.flatnonzero(mask)
    cell += np.repeat((g - np.arange(who.shape[0])) * k, counts)
    t = np.take(tab.minutes, cell)
    place = np.take(tab.cand, cell)
    # the terms in the order of the docstring's sum (the same floating-point numbers whatever the layout)
    u = wb.b_time * t
    u += np.repeat(wb.asc_third + wb.third_taste_sd * world.pop.third_taste[who], counts)
    if pol.employer_pays_third_place:
        money = np.take(tab.eur, cell)
        money *= 2
        money += 0.0
    else:
        # 2 trip_eur + the day price, from the table; 2 trip_eur + 0 where the worker holds a subscription there
        money = np.take(tab.money_priced, cell)
        sub = own_pairs(workers.subscribed[who], counts, place)
        money[sub] = np.take(tab.eur, cell[sub]) * 2
    money *= wb.b_cost
    u += money
    u += np.take(
        wb.community * np.log1p(workers.regulars / world.sample_rate), place
    )  # per place, then taken
    u[own_pairs(workers.last_place[who], counts, place)] += wb.habit
    return ThirdPlaceOptions(rows=rows, counts=counts, cell=cell, k=k, place=place, utility=u)


def own_pairs(target: np.ndarray, counts: np.ndarray, place: np.ndarray) -> np.ndarray:
    """The pairs whose place is their decider's ``target`` place (its subscription, its last third place; -1:
    none), ascending: only the pairs of deciders with a target are read.

    Args:
        target: per decider, a place row or -1.
        counts: the pairs of each decider (pairs decider by decider).
        place: each pair's place row.
    """
    d = np.flatnonzero((target >= 0) & (counts > 0))
    c = counts[d]
    total = int(c.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    starts = (np.cumsum(counts) - counts)[d]
    # the pair indices of those deciders, range after range
    idx = np.arange(total) + np.repeat(starts - (np.cumsum(c) - c), c)
    return idx[place[idx] == np.repeat(target[d], c)]


def office_home_utilities(
    world: World, workers: Workers, who: np.ndarray, home_ok: np.ndarray | None = None
) -> np.ndarray:
    """Utilities of the office and home [n, 2] for the workers ``who``: the office's generalised cost of the
    commute; home's constant, -inf where ``home_ok`` is False (no allowance left)."""
    wb = world.cfg.behaviour.work
    out = np.empty((who.shape[0], 2))
    out[:, 0] = (
        wb.asc_office + wb.b_time * workers.commute_min[who] + wb.b_cost * 2 * workers.commute_eur[who]
    )
    out[:, 1] = wb.asc_home if home_ok is None else np.where(home_ok, wb.asc_home, -np.inf)
    return out


def utilities(
    world: World, workers: Workers, who: np.ndarray, s: int, home_ok: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Deterministic utilities of office, home and considered third places for the workers ``who`` (day of slot s),
    as a dense matrix (:func:`office_home_utilities` and :func:`third_place_options` laid out by column).

    Args:
        world, workers: the run.
        who: worker rows.
        s: the day's AM slot of the week.
        home_ok: per row of ``who``, whether home is available (allowance left); default all.

    Returns:
        (utilities [n, 2 + K] with -inf where unavailable, place rows [n, K] of the third-place columns).
    """
    tab = candidate_tables(world, workers)
    cand = tab.cand[workers.car[who] * (tab.cand.shape[0] // 2) + workers.zone[who]]
    util = np.full((who.shape[0], 2 + cand.shape[1]), -np.inf)
    util[:, :2] = office_home_utilities(world, workers, who, home_ok)
    opts = third_place_options(world, workers, who, s)
    util[opts.rows, 2 + opts.col] = opts.utility
    return util, cand


def in_nest(nesting: str, n_third: int) -> np.ndarray:
    """The columns (office, home, third places...) of the nest: ``remote`` {home, third places}, ``away``
    {office, third places}."""
    head = [False, True] if nesting == "remote" else [True, False]
    return np.array(head + [True] * n_third)


DECIDE_BLOCK = 16_384  # deciders per block of the work choice (same picks whatever the block)


def decide(world: World, workers: Workers, day: int, s: int, rec: Recorder) -> None:
    """Each weekday (slot ``s`` is its AM): the workers who may work away from the office choose where to work.

    With ``third_place_counts_as_remote`` (the usual agreement) the deciders are those with allowance left;
    otherwise every worker who may telework decides, home being available only with allowance left.
    """
    pol = world.cfg.policy
    left = workers.remote_used < pol.remote_days_per_week
    counts = pol.third_place_counts_as_remote
    deciders = np.flatnonzero(workers.can_telework & left) if counts else np.flatnonzero(workers.can_telework)
    workers.today_place = np.full(workers.zone.shape[0], OFFICE, dtype=np.int64)
    if deciders.size:
        home_ok = None if counts else left[deciders]
        candidate_tables(world, workers)  # built once, before the spans read it

        def span(sl: slice) -> np.ndarray:
            # block by block: a block's pairs (about 18 per decider on Île-de-France) fit in the CPU's cache
            out = []
            for i in range(sl.start, sl.stop, DECIDE_BLOCK):
                b = slice(i, min(i + DECIDE_BLOCK, sl.stop))
                out.append(
                    choose_places(
                        world, workers, deciders[b], None if home_ok is None else home_ok[b], day, s
                    )
                )
            return np.concatenate(out)

        parts = map_spans(span, deciders.size, world.threads)
        workers.today_place[deciders] = parts[0] if len(parts) == 1 else np.concatenate(parts)
    workers.third = np.flatnonzero(workers.today_place >= 0)
    workers.admitted = None
    if rec.counting:
        rec.tot.teleworkable_days += int(world.pop.teleworkable.sum())
        rec.tot.teleworker_days += int(workers.can_telework.sum())


SCREEN_MARGIN = 1e-9  # uniforms this close below a decider's threshold are kept: far above rounding errors


def choose_places(
    world: World,
    workers: Workers,
    deciders: np.ndarray,
    home_ok: np.ndarray | None,
    day: int,
    s: int,
    screen: bool = True,
) -> np.ndarray:
    """The logit draw of the workers ``deciders`` over office, home and their available third places (OFFICE,
    HOME or a place row each).

    Computed on the (decider, place) pairs only: the noise of each pair is keyed on (day, worker, place id), so it
    is the draw of the dense matrix, and the pick is that of choose() over it (office first, then home, then
    candidates in order). Each decider's result depends on its own rows only (the spans of :func:`decide`).

    With ``screen`` (the default; same picks), the pairs that cannot win are dropped after their uniform draw and
    before the rest of their noise and the pick (:func:`could_win`): on a usual day a third place wins for about
    one decider in a hundred.
    """
    wb, keys, net = world.cfg.behaviour.work, world.keys, world.network
    u_oh = office_home_utilities(world, workers, deciders, home_ok)
    opts = third_place_options(world, workers, deciders, s)
    noise_oh = gumbel(keys.work, day, deciders, np.array([keys.office, keys.home], dtype=np.uint64))
    log_s = None
    if wb.mu < 1.0:
        u = uniform(keys.work, day, deciders, np.array([NEST_ANGLE, NEST_EXP], dtype=np.uint64))
        log_s = log_positive_stable(u[:, 0], u[:, 1], wb.mu)
        noise_oh = nested_noise(noise_oh, log_s, in_nest(wb.nesting, 0), wb.mu)
    unif = uniform_pairs(keys.work, day, deciders, opts.rows, net.place_hash[opts.place], opts.counts)
    rows, counts, place, util = opts.rows, opts.counts, opts.place, opts.utility
    if screen and rows.size:
        keep = could_win(u_oh, noise_oh, util, counts, unif, log_s, wb.mu)
        rows, place, util, unif = rows[keep], place[keep], util[keep], unif[keep]
        counts = np.bincount(rows, minlength=deciders.size)
    noise_p = to_gumbel(unif)
    if log_s is not None:
        # every third place is in the nest: nested_noise's mu (log_s + leaf), in place
        noise_p += np.repeat(log_s, counts)
        noise_p *= wb.mu
    noise_p += util
    return pick_sparse(u_oh, noise_oh, rows, noise_p, place, counts)


def could_win(
    u_oh: np.ndarray,
    noise_oh: np.ndarray,
    util: np.ndarray,
    counts: np.ndarray,
    unif: np.ndarray,
    log_s: np.ndarray | None,
    mu: float,
) -> np.ndarray:
    """The (decider, third place) pairs that may beat the office and home, from their uniform draws.

    A pair wins only if ``u + noise`` exceeds the better of office and home, B (which win ties). Its noise is the
    Gumbel ``g = -ln(-ln U)`` (nested: ``mu (log_s + g)``) and its utility is at most the decider's best third
    place's, u_max; so it can win only if ``g > (B - u_max)`` (nested: ``(B - u_max) / mu - log_s``), that is
    ``U > exp(-exp(-that))``: one threshold per decider, compared with the uniforms. The threshold is lowered by
    :data:`SCREEN_MARGIN`, far more than the rounding of these sums, so no pair that wins in the full computation
    is dropped.

    Args:
        u_oh, noise_oh: [n, 2] utilities and (nested) noise of office and home.
        util: each pair's utility (pairs decider by decider); counts: the pairs of each decider.
        unif: each pair's uniform draw.
        log_s, mu: the nest's per-decider scale draw and the nesting parameter (None: no nest).

    Returns:
        The indices of the pairs kept, ascending.
    """
    n = u_oh.shape[0]
    total_oh = office_home_totals(u_oh, noise_oh)
    best = np.maximum(total_oh[:, 0], total_oh[:, 1])
    some = np.flatnonzero(counts)
    umax = np.full(n, -np.inf)
    umax[some] = np.maximum.reduceat(util, (np.cumsum(counts) - counts)[some])
    need = best - umax if log_s is None else (best - umax) / mu - log_s
    with np.errstate(over="ignore"):
        threshold = np.exp(-np.exp(-need)) - SCREEN_MARGIN
    return np.flatnonzero(unif > np.repeat(threshold, counts))


def office_home_totals(u_oh: np.ndarray, noise_oh: np.ndarray) -> np.ndarray:
    """Utility + noise of office and home [n, 2]; -inf where unavailable (home without allowance)."""
    return np.where(np.isfinite(u_oh), u_oh + noise_oh, -np.inf)


def pick_sparse(
    u_oh: np.ndarray,
    noise_oh: np.ndarray,
    rows: np.ndarray,
    total_p: np.ndarray,
    place: np.ndarray,
    counts: np.ndarray | None = None,
) -> np.ndarray:
    """Each decider's pick (OFFICE, HOME or a place row): the highest utility + noise, ties to the first column.

    Args:
        u_oh, noise_oh: [n, 2] utilities and noise of office and home.
        rows: the decider of each third-place pair, ascending (columns ascending within a decider).
        total_p: each pair's utility + noise.
        place: each pair's place row.
        counts: the pairs of each decider (``np.bincount(rows, minlength=n)``), when the caller has them.
    """
    n = u_oh.shape[0]
    total_oh = office_home_totals(u_oh, noise_oh)
    best = np.full(n, -np.inf)
    best_place = np.full(n, -1, dtype=np.int64)
    if rows.size:
        counts = np.bincount(rows, minlength=n) if counts is None else counts
        some = np.flatnonzero(counts)
        starts = (np.cumsum(counts) - counts)[some]
        best[some] = np.maximum.reduceat(total_p, starts)
        top = np.flatnonzero(total_p == np.repeat(best[some], counts[some]))
        first = top[np.r_[True, rows[top[1:]] != rows[top[:-1]]]]  # the first column reaching the best
        best_place[rows[first]] = place[first]
    office = (total_oh[:, 0] >= total_oh[:, 1]) & (total_oh[:, 0] >= best)
    home = ~office & (total_oh[:, 1] >= best)
    return np.where(office, OFFICE, np.where(home, HOME, best_place))


def away_zones(world: World, workers: Workers, weekday: bool) -> np.ndarray:
    """Per resident, the zone where it works today when away from home (office or third place), else -1."""
    out = np.full(world.pop.n_residents, -1, dtype=np.int64)
    if not weekday:
        return out
    tp = workers.today_place
    zone = np.where(
        tp == OFFICE, workers.job_zone, np.where(tp >= 0, world.network.zone[np.maximum(tp, 0)], -1)
    )
    out[world.pop.worker_person] = zone
    return out


def work_slot(world: World, workers: Workers, s: int, abs_slot: int, rec: Recorder) -> np.ndarray:
    """Desks' users in this slot; at AM the day's capacity lottery runs and the day's trips are recorded.

    A desk is held for the day (AM and PM are one decision): the day's capacity is the AM slot's.
    """
    net = world.network
    third = workers.third
    if s % 3 == 0:
        place = workers.today_place[third]
        lot = slot_admission(
            net, world.demand, world.keys.capacity, world.keys.imputation, abs_slot, WORK,
            np.bincount(place, minlength=net.n),
        )  # fmt: skip
        workers.cap_today, workers.pop_today = lot.capacity, lot.population
        prio = uniform(world.keys.lottery, abs_slot, world.pop.worker_person[third])
        ok = admit(place, prio, lot.admit)
        # Fall back: home while the week's allowance lasts, else the office. Under the usual agreement only
        # workers with allowance left reach a third place, so this is home; under a telecentre agreement
        # (third_place_counts_as_remote: false) a worker without allowance must not be sent home by a full room.
        out = third[~ok]
        has_left = workers.remote_used[out] < world.cfg.policy.remote_days_per_week
        workers.today_place[out] = np.where(has_left, HOME, OFFICE)
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
        workers.pop_today,
        world.sample_rate,
    )
    return users


def _record_day(world: World, workers: Workers, rec: Recorder) -> None:
    """The day's remote days, day passes and, when counted, trips: commutes (km, hours, CO2) and errands."""
    tp = workers.today_place
    home = tp == HOME
    third = np.flatnonzero(tp >= 0)
    uses_allowance = home | ((tp >= 0) & world.cfg.policy.third_place_counts_as_remote)
    workers.remote_used += uses_allowance
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
    # the rows of the day's office and home workers, found once and taken (each boolean mask re-scans every worker)
    office = np.flatnonzero(tp == OFFICE)
    okm = workers.commute_km.take(office)
    km = 2 * okm.sum()
    hours = 2 * workers.commute_min.take(office).sum() / 60.0
    co2 = 2 * (okm * workers.commute_co2.take(office)).sum()
    t = rec.tot
    t.km_office += km
    if third.size:
        zp = world.zp
        z, c, p = workers.zone[third], workers.car[third], tp[third]
        km3 = 2 * zp.km[z, p]
        t.km_third += km3.sum()
        km += km3.sum()
        hours += 2 * zp.minutes[c, z, p].sum() / 60.0
        co2 += (km3 * zp.co2_kg_km[c, z, p]).sum()
    t.km_work += km
    t.hours_work += hours
    t.co2_kg += co2
    # errands of home days: the commute would have carried them; from home they are round trips of their own
    rate = world.cfg.behaviour.work.errands_per_week / 5.0
    at_home = np.flatnonzero(home)
    if rate > 0 and at_home.size:
        ekm = 2 * workers.errand_km.take(at_home)
        t.km_errands += rate * ekm.sum()
        t.hours_errands += rate * 2 * workers.errand_min.take(at_home).sum() / 60.0
        t.co2_kg += rate * (ekm * workers.errand_co2.take(at_home)).sum()
        t.errand_trips += rate * int(at_home.size)
    t.remote_days += int(at_home.size) + int(third.size)
    t.third_days += int(third.size)
    t.office_days += int(office.size)
    t.home_days += int(at_home.size)


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
