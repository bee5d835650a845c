"""The per-agent reference: workers' work choice and residents' visits, one Mesa agent per person (README.md).

Written the plain Mesa way, on purpose without vectorisation over agents: every person is a :class:`Resident`
(a :class:`Worker` when employed) with its own methods, every point of contact or desk place is a
:class:`Place` agent, and :class:`ReferenceModel` owns the random number generators (``Model(rng=seed)``) and
calls the stages of the day on its agent sets (``do``, or Mesa's random activation ``shuffle_do`` with
``shuffle=True``). It shares with the main model only what is not behaviour: the territory, the travel matrices,
the population's attributes (drawn by the same function from the reference's own generator), the places' parsed
timetables, and the pure choice helpers applied to one agent's utilities
(:func:`~simulation.core.choice.log_positive_stable`, :func:`~simulation.core.choice.nested_noise`,
:func:`~simulation.core.choice.choose`).

The random streams are not those of the main model (plain sequential draws, no counter-based noise): the two agree
in distribution only, which is what ``tests/test_reference.py`` checks.
"""

from __future__ import annotations

import math
from typing import Any

import mesa
import numpy as np

from simulation.core.choice import choose, log_positive_stable, nested_noise
from simulation.core.config import SimConfig, to_config, validate
from simulation.core.randomness import Streams
from simulation.sim.network import MEDIATION, WORK, Network
from simulation.sim.population import build_population
from simulation.sim.travel import TravelMatrices, travel_matrices
from simulation.territory import Territory, load_territory

OFFICE, HOME = "office", "home"
N_SLOTS = 21
DAYS_PER_PERIOD = 28

# What the docking configuration switches off in the main model (README.md): no makers; no closures (cost
# recovery is never below 0); providers never drop (no slot has fewer than 0 contacts) nor add a permanence.
DOCKING_OVERRIDES: dict[str, Any] = {
    "population.maker_share": 0.0,
    "economics.closure_threshold": 0.0,
    "economics.min_contacts": 0.0,
    "economics.max_rejections": 10**9,
}


def docking_config(**overrides: Any) -> SimConfig:
    """The main model's configuration that the reference docks with (:data:`DOCKING_OVERRIDES` plus ``overrides``)."""
    return to_config(**{**DOCKING_OVERRIDES, **overrides})


def check_supported(cfg: SimConfig) -> None:
    """Refuse a configuration with a feature the reference does not simulate (README.md, "What it covers").

    Raises:
        ValueError: naming the key.
    """
    e = cfg.economics
    bad = {
        "scenario.interventions": bool(cfg.scenario.interventions),
        # below 1 the main model runs the lottery of the whole population (simulation.sim.admission)
        "population.sample_rate": cfg.population.sample_rate < 1.0,
        "population.maker_share": cfg.population.maker_share > 0,
        "economics.closure_threshold": e.closure_threshold > 0,
        "economics.min_contacts": e.min_contacts > 0,
        "economics.max_rejections": any(p.extra_slots_budget > 0 for p in cfg.providers)
        and e.max_rejections < 10**9,
    }
    for key, is_bad in bad.items():
        if is_bad:
            raise ValueError(
                f"the reference does not simulate {key} (use docking_config: {DOCKING_OVERRIDES})"
            )


# ----------------------------------------------------------------------------------------------------------
# places
# ----------------------------------------------------------------------------------------------------------
class Place(mesa.Agent):
    """A place with desks and/or counters: its timetable, capacity, the day's queues, its operator's review.

    Args:
        model: the reference model.
        net: the main model's parsed places (read once here: timetables, capacities, permanences, prices).
        row: the place's row in ``net``.
    """

    def __init__(self, model: ReferenceModel, net: Network, row: int) -> None:
        super().__init__(model)
        cfg = model.cfg
        self.row = row
        self.place_id = str(net.place_id[row])
        self.zone = int(net.zone[row])
        self.area = float(net.area[row])
        self.units = [float(net.units[row, a]) for a in range(3)]
        self.act_mask = [int(net.act_mask[row, a]) for a in range(3)]
        self.perm = [int(net.perm[k, row]) for k in range(net.perm.shape[0])]
        self.network_member = bool(net.network[row])
        self.delegating_bits = net.delegating_bits
        self.price_day = float(net.price_day[row])
        self.price_month = float(net.price_month[row])
        sv = cfg.behaviour.service
        kind = "france_services" if net.labelled[row] else str(net.origin[row])
        self.asc = sv.asc_kind.get(kind, sv.asc_kind["other"])
        self.regulars = 0  # workers who worked here at least regular_days days last period (lagged)
        self.desk_queue: list[Worker] = []  # workers who chose this place today, before the lottery
        self.admitted: list[Worker] = []  # of those, admitted by today's lottery
        self.cap_today = 0
        self.visitors: dict[int, list[Resident]] = {}  # absolute slot -> residents planned for it
        self.refresh()

    def refresh(self) -> None:
        """The slots where each activity runs, the categories covered per slot, the next covering slot."""
        m = self.model
        sample_rate = m.cfg.population.sample_rate
        contacts_per_counter = m.cfg.behaviour.service.contacts_per_counter_slot
        units = list(self.units)
        units[MEDIATION] *= contacts_per_counter
        self.capacity_f = [max(u, 0.0) * sample_rate for u in units]
        self.open = [[bool((self.act_mask[a] >> s) & 1) for s in range(N_SLOTS)] for a in range(3)]
        self.cover = []
        for s in range(N_SLOTS):
            bits = self.delegating_bits if self.network_member and self.open[MEDIATION][s] else 0
            for k, mask in enumerate(self.perm):
                if (mask >> s) & 1 and self.open[MEDIATION][s]:
                    bits |= 1 << k
            self.cover.append(bits)
        # a counter runs only when it serves some category; nothing runs without capacity
        self.open[MEDIATION] = [o and c != 0 for o, c in zip(self.open[MEDIATION], self.cover, strict=True)]
        for a in range(3):
            if self.capacity_f[a] <= 0:
                self.open[a] = [False] * N_SLOTS
        # per slot of the week and category: how many slots ahead the place next covers it (-1: not in horizon)
        horizon = 3 * (m.cfg.behaviour.service.deadline_days + 1)
        self.next_cover = [
            [
                next((f for f in range(horizon) if (self.cover[(s + f) % N_SLOTS] >> k) & 1), -1)
                for k in m.cats
            ]
            for s in range(N_SLOTS)
        ]
        self.has_desks = any(self.open[WORK])
        self.has_counters = any(c != 0 for c in self.cover)
        self.usage = {a: {"open": 0, "full": 0} for a in (WORK, MEDIATION)}

    def capacity(self, activity: int) -> int:
        """This slot's capacity in users (whole units: the reference runs the whole population)."""
        return int(self.capacity_f[activity])

    def record(self, activity: int, s: int, users: int, cap: int) -> None:
        """One open slot: occupancy for the KPIs (counted weeks) and the operator's period usage."""
        if not self.open[activity][s]:
            return
        usage = self.usage[activity]
        usage["open"] += 1
        usage["full"] += users >= self.model.cfg.economics.expand_occupancy * cap
        if self.model.counting:
            self.model.tally[f"users_{activity}"] += users
            self.model.tally[f"cap_{activity}"] += cap

    # -- desks ------------------------------------------------------------------------------------------------
    def run_desks(self, s: int) -> None:
        """AM of a weekday: the day's capacity lottery among the workers who came (a desk is held for the day)."""
        queue, self.desk_queue = self.desk_queue, []
        self.cap_today = self.capacity(WORK)
        self.model.random.shuffle(queue)
        self.admitted = queue[: self.cap_today]
        allowance = self.model.cfg.policy.remote_days_per_week
        for worker in queue[self.cap_today :]:
            # fall back: home while the week's allowance lasts, else the office
            worker.today = HOME if worker.remote_used < allowance else OFFICE
        self.record(WORK, s, len(self.admitted), self.cap_today)

    def desks_pm(self, s: int) -> None:
        """PM of a weekday: the morning's admitted workers stay."""
        self.record(WORK, s, len(self.admitted), self.cap_today)

    # -- counters ---------------------------------------------------------------------------------------------
    def run_counters(self, day: int, s: int, abs_slot: int) -> None:
        """The visits of this slot: capacity lottery, needs solved, trips."""
        visitors = self.visitors.pop(abs_slot, [])
        cap = self.capacity(MEDIATION)
        self.model.random.shuffle(visitors)
        served = 0
        for i, person in enumerate(visitors):
            person.trip(self, day)  # made whether or not admitted
            if i < cap:
                served += person.solve(self, s, day)
        self.record(MEDIATION, s, served, cap)

    # -- operator ---------------------------------------------------------------------------------------------
    def review(self) -> None:
        """End of a period: a place full in most of its open slots adds capacity up to its floor area, else opens
        one more weekday slot (MODEL.md 4.6; closures are off in the docking configuration)."""
        econ = self.model.cfg.economics
        m2 = {WORK: econ.m2_per_desk, MEDIATION: econ.m2_per_counter}
        changed = False
        for a in (WORK, MEDIATION):
            use = self.usage[a]
            if not (use["open"] and use["full"] / use["open"] > 0.5):
                continue
            limit = int(self.area // m2[a])
            if self.units[a] < limit:
                self.units[a] = min(limit, self.units[a] + max(1.0, math.ceil(0.1 * self.units[a])))
                changed = True
                break
            extra = next((s for s in range(15) if s % 3 != 2 and not (self.act_mask[a] >> s) & 1), None)
            if extra is not None:
                self.act_mask[a] |= 1 << extra
                changed = True
                break
        if changed:
            self.refresh()
        else:
            self.usage = {a: {"open": 0, "full": 0} for a in (WORK, MEDIATION)}


# ----------------------------------------------------------------------------------------------------------
# people
# ----------------------------------------------------------------------------------------------------------
class Resident(mesa.Agent):
    """An adult: its needs, their deadlines, its planned visit (MODEL.md 4.2, 4.2b).

    Args:
        model: the reference model.
        zone, car, digital: home zone, car owner, digitally autonomous.
    """

    def __init__(self, model: ReferenceModel, zone: int, car: bool, digital: bool) -> None:
        super().__init__(model)
        self.zone = zone
        self.car = int(car)
        self.digital = digital
        self.pending: dict[int, list[int]] = {}  # category -> [count, day the earliest arrived, its deadline]
        self.plan_place: Place | None = None
        self.plan_slot = -1
        self.away_zone = -1  # where it works today when away from home (trip chaining), else -1

    # -- needs ------------------------------------------------------------------------------------------------
    def new_day(self, day: int) -> None:
        """Needs past their deadline are unmet; today's new needs arrive, online or for a human contact."""
        m = self.model
        self.away_zone = -1
        for k in [k for k, (_, _, deadline) in self.pending.items() if deadline < day]:
            m.count("unmet", self.pending.pop(k)[0])
        # each category's needs are a Poisson process of rate lambda_k: the day's total is Poisson of the sum and
        # each need's category is drawn with probability lambda_k / sum (inverse transform on the stdlib draws)
        u, n = m.random.random(), 0
        p = c = m.p_no_need
        while u > c:
            n += 1
            p *= m.need_rate / n
            c += p
        for _ in range(n):
            k = m.random.choices(m.cats, weights=m.cat_weights)[0]
            if self.digital and m.random.random() < m.online_share[k]:
                m.count("needs_online")
                continue
            m.count("needs_human")
            if k in self.pending:
                self.pending[k][0] += 1
            else:
                self.pending[k] = [1, day, day + m.deadline_days]

    def give_up(self) -> None:
        """Non-recours: every pending need is unmet."""
        lost = sum(v[0] for v in self.pending.values())
        self.model.count("unmet", lost)
        self.model.count("gave_up", lost)
        self.pending = {}

    def plan_visit(self, day: int, s: int, abs_slot: int) -> None:
        """With pending needs and no planned visit: choose a (place, slot) among the nearest places that cover a
        pending need before the earliest deadline, or give up (a logit draw with explicit Gumbel errors)."""
        if not self.pending or self.plan_slot >= abs_slot:
            return
        m = self.model
        places = m.counter_places
        if not places:
            self.give_up()
            return
        sv = m.cfg.behaviour.service
        bits = sum(1 << k for k in self.pending)
        deadline = min(v[2] for v in self.pending.values())
        minutes = m.zp.minutes[self.car, self.zone]
        n = len(places)
        t = np.full(n, np.inf)
        u = np.full(n, -np.inf)
        first = [-1] * n
        for i, p in enumerate(places):
            f = min((p.next_cover[s][k] for k in self.pending if p.next_cover[s][k] >= 0), default=-1)
            if f < 0:
                continue
            day_of = (abs_slot + f) // 3
            if day_of > deadline:
                continue
            ti = float(minutes[p.row])
            if self.away_zone >= 0 and day_of == day:
                ti = m.detour(self.zone, self.car, p.zone, self.away_zone)[1] / 2.0  # one-way equivalent
            ncov = (bits & p.cover[(s + f) % N_SLOTS]).bit_count()
            t[i] = ti
            u[i] = sv.b_time * ti + sv.b_delay * (day_of - day) + sv.b_bundle * (ncov - 1) + p.asc
            first[i] = f
        # consideration set: the nearest few places able to serve in time (ties broken as the main model does)
        cols = (
            np.argpartition(t, sv.consideration_set - 1)[: sv.consideration_set]
            if n > sv.consideration_set
            else np.arange(n)
        )
        util = np.r_[sv.asc_give_up, u[cols]][None, :]
        pick = int(choose(util, m.rng.gumbel(size=util.shape))[0])
        if pick <= 0:
            self.give_up()
            return
        i = int(cols[pick - 1])
        self.plan_place = places[i]
        self.plan_slot = abs_slot + first[i]
        places[i].visitors.setdefault(self.plan_slot, []).append(self)

    def trip(self, place: Place, day: int) -> None:
        """The trip to a point of contact (a chained visit counts its detour), counted weeks only."""
        m = self.model
        self.plan_place, self.plan_slot = None, -1
        if not m.counting:
            return
        if self.away_zone >= 0:
            km = m.detour(self.zone, self.car, place.zone, self.away_zone)[0]
            m.count("chained_visits")
        else:
            km = 2 * float(m.zp.km[self.zone, place.row])
        m.count("km_service", km)
        m.count("trips")

    def solve(self, place: Place, s: int, day: int) -> int:
        """Admitted: every pending need the place covers in this slot is solved (bundling). Returns 1 if any."""
        m = self.model
        solved = [k for k in self.pending if (place.cover[s] >> k) & 1]
        for k in solved:
            count, arrival, _ = self.pending.pop(k)
            m.count("contacts", count)
            m.count("solved", count)
            m.count("delay_days", (day - arrival) * count)
        if solved:
            m.count("visits")
        return int(bool(solved))


class Worker(Resident):
    """An employed adult: also chooses where to work each weekday (MODEL.md 4.1).

    Args:
        model: the reference model.
        zone, car, digital: as :class:`Resident`.
        job_zone: the office's zone; can_telework: teleworkable job and an employer's agreement.
        taste: the worker's lasting taste for third places (standard normal).
    """

    def __init__(
        self,
        model: ReferenceModel,
        zone: int,
        car: bool,
        digital: bool,
        job_zone: int,
        can_telework: bool,
        taste: float,
    ) -> None:
        super().__init__(model, zone, car, digital)
        m = model
        self.job_zone = job_zone
        self.can_telework = can_telework
        self.taste = taste
        self.commute_min = float(m.zz.minutes[self.car, zone, job_zone])
        self.commute_eur = float(m.zz.eur[self.car, zone, job_zone])
        self.remote_used = 0
        self.last_place: Place | None = None
        self.subscribed: Place | None = None
        self.days_at: dict[Place, int] = {}  # days at each third place this period
        self.today: str | Place = OFFICE
        wb = m.cfg.behaviour.work
        # consideration set: the nearest desk places within max_minutes (ties: the first place in the table)
        reach = sorted(
            (float(m.zp.minutes[self.car, zone, p.row]), p.row, p)
            for p in m.desk_places
            if m.zp.minutes[self.car, zone, p.row] <= wb.max_minutes
        )
        self.known = [
            (p, t, float(m.zp.eur[self.car, zone, p.row])) for t, _, p in reach[: wb.consideration_set]
        ]

    def choose_work(self, day: int, s: int) -> None:
        """AM of a weekday: office, home or a third place, by a nested logit with explicit error terms."""
        m = self.model
        wb, pol = m.cfg.behaviour.work, m.cfg.policy
        self.today = OFFICE
        left = self.remote_used < pol.remote_days_per_week
        if not self.can_telework or (pol.third_place_counts_as_remote and not left):
            return
        u = [
            wb.asc_office + wb.b_time * self.commute_min + wb.b_cost * 2 * self.commute_eur,
            wb.asc_home if (left or pol.third_place_counts_as_remote) else -math.inf,
        ]
        for p, t, eur in self.known:
            ok = p.open[WORK][s] or p.open[WORK][s + 1]
            if wb.min_saving_minutes is not None:
                ok = ok and t <= self.commute_min - wb.min_saving_minutes
            if not ok:
                u.append(-math.inf)
                continue
            price = 0.0 if pol.employer_pays_third_place or self.subscribed is p else p.price_day
            u.append(
                wb.asc_third
                + wb.third_taste_sd * self.taste
                + wb.b_time * t
                + wb.b_cost * (2 * eur + price)
                + wb.community * math.log1p(p.regulars / m.cfg.population.sample_rate)
                + wb.habit * (self.last_place is p)
            )
        util = np.array([u])
        noise = m.rng.gumbel(size=util.shape)
        if wb.mu < 1.0:
            log_s = log_positive_stable(m.rng.random(1), m.rng.random(1), wb.mu)
            nest = np.array([wb.nesting != "remote", wb.nesting == "remote"] + [True] * len(self.known))
            noise = nested_noise(noise, log_s, nest, wb.mu)
        pick = int(choose(util, noise)[0])
        if pick == 1:
            self.today = HOME
        elif pick >= 2:
            place = self.known[pick - 2][0]
            self.today = place
            place.desk_queue.append(self)

    def close_work_day(self) -> None:
        """After the desks' lottery: allowance used, habit, days at places, counted days, where it is today."""
        m = self.model
        today, counts = self.today, m.cfg.policy.third_place_counts_as_remote
        if today == HOME or (isinstance(today, Place) and counts):
            self.remote_used += 1
        if isinstance(today, Place):
            self.last_place = today
            self.days_at[today] = self.days_at.get(today, 0) + 1
            self.away_zone = today.zone
            m.count("third_days")
        elif today == OFFICE:
            self.away_zone = self.job_zone
            m.count("office_days")
        else:
            m.count("home_days")

    def new_week(self) -> None:
        """Monday: the week's remote allowance starts again."""
        self.remote_used = 0

    def end_period(self) -> None:
        """Regular of the places worked at often; a subscription where the days cost more than it (lagged)."""
        m = self.model
        wb = m.cfg.behaviour.work
        self.subscribed = None
        if self.days_at:
            for p, n in self.days_at.items():
                if n >= wb.regular_days:
                    p.regulars += 1
            # the most-used place (ties: the first in the table) if its days cost more than a subscription
            p, n = min(self.days_at.items(), key=lambda item: (-item[1], item[0].row))
            if n * p.price_day > p.price_month * 12 / 13:
                self.subscribed = p
        self.days_at = {}


# ----------------------------------------------------------------------------------------------------------
# the model
# ----------------------------------------------------------------------------------------------------------
class ReferenceModel(mesa.Model):
    """Workers' choice and residents' visits with capacity, one agent per person (module docstring).

    Args:
        cfg: the main model's configuration (:func:`docking_config`); its ``seed`` seeds ``Model(rng=...)``.
        territory: the territory (default: loaded from ``cfg.territory`` with the main model's territory stream,
            so that both run on the same territory for a seed).
        shuffle: activate the agents of each stage in a random order (``shuffle_do``) rather than in order.
    """

    def __init__(self, cfg: SimConfig, territory: Territory | None = None, shuffle: bool = False) -> None:
        super().__init__(rng=cfg.seed)
        # No stage of the day depends on the order of its agents: choices do not interact within a stage and
        # each place resolves its capacity by its own lottery. So the stages use ``do`` (the cheapest activation,
        # an honest speed baseline); ``shuffle=True`` uses Mesa's random activation, ``shuffle_do``, instead.
        self.shuffle = shuffle
        validate(cfg)
        check_supported(cfg)
        self.cfg = cfg
        providers = [p.id for p in cfg.providers]
        if territory is None:
            territory = load_territory(cfg.territory, providers, Streams(cfg.seed).generator("territory"))
        zones = territory.zones.reset_index(drop=True)
        self.zz: TravelMatrices = travel_matrices(zones, np.arange(len(zones)), cfg.territory, cfg.travel)
        net = Network(territory.places, {z: i for i, z in enumerate(zones["zone_id"].astype(str))}, cfg)
        self.zp: TravelMatrices = travel_matrices(zones, net.zone, cfg.territory, cfg.travel)

        # needs: rates per adult and day, the chance of a day without a need, each category's share
        self.cats = list(range(len(cfg.providers)))
        rates = [p.needs_per_adult_year / 365.0 for p in cfg.providers]
        self.need_rate = sum(rates)
        self.p_no_need = math.exp(-self.need_rate)
        self.cat_weights = rates
        self.online_share = [p.online_share for p in cfg.providers]
        self.deadline_days = cfg.behaviour.service.deadline_days

        # places: only those with desks or counters take part (schools, workshops and inert town halls do not)
        for row in range(net.n):
            if net.slot_open[row, :, WORK].any() or (net.cover[row] != 0).any():
                Place(self, net, row)
        self.places = self.agents_by_type[Place]
        self.desk_places = list(self.places.select(lambda p: p.has_desks))
        self.counter_places = list(self.places.select(lambda p: p.has_counters))

        # people: the same attribute draws as the main model's population, from this model's generator
        kinds = zones["kind"].astype(str)
        cs = zones["car_share"].to_numpy(float) if "car_share" in zones else np.full(len(zones), np.nan)
        car_share = np.where(np.isfinite(cs), cs, kinds.map(cfg.territory.car_share).to_numpy(float))
        pop = build_population(cfg, zones, car_share, self.zz.km, self.rng)
        job = {int(r): w for w, r in enumerate(pop.worker_person)}
        for r in range(pop.n_residents):
            z, car, dig = int(pop.zone[r]), bool(pop.car[r]), bool(pop.digital[r])
            if r in job:
                w = job[r]
                tele = bool(pop.teleworkable[w] and pop.agreement[w])
                Worker(self, z, car, dig, int(pop.job_zone[w]), tele, float(pop.third_taste[w]))
            else:
                Resident(self, z, car, dig)
        self.people = self.agents.select(agent_type=Resident)
        self.workers = self.agents_by_type[Worker]
        self.counter_set = self.places.select(lambda p: p.has_counters)
        self.desk_set = self.places.select(lambda p: p.has_desks)

        self.total_days = 7 * (cfg.warmup_weeks + cfg.weeks)
        self.warmup_days = 7 * cfg.warmup_weeks
        self.day = 0
        self.tally: dict[str, float] = {}
        for key in (
            "needs_human needs_online unmet gave_up solved contacts delay_days visits trips chained_visits "
            "km_service third_days office_days home_days users_0 cap_0 users_1 cap_1"
        ).split():
            self.tally[key] = 0.0

    @property
    def counting(self) -> bool:
        """Whether the current day is in the counted weeks (after the warm-up)."""
        return self.day >= self.warmup_days

    def count(self, key: str, value: float = 1.0) -> None:
        """Add to a counted total (counted weeks only)."""
        if self.counting:
            self.tally[key] += value

    def detour(self, home: int, car: int, place_zone: int, work_zone: int) -> tuple[float, float]:
        """Extra km and minutes of a visit on the way between home and work (never negative)."""
        zz = self.zz
        km = zz.km[home, place_zone] + zz.km[place_zone, work_zone] - zz.km[home, work_zone]
        minutes = (
            zz.minutes[car, home, place_zone]
            + zz.minutes[car, place_zone, work_zone]
            - zz.minutes[car, home, work_zone]
        )
        return max(float(km), 0.0), max(float(minutes), 0.0)

    def stage(self, agents: mesa.agent.AgentSet, method: str, *args: Any) -> None:
        """Call ``method`` on every agent of ``agents``, in a random order when ``shuffle``."""
        if self.shuffle:
            agents.shuffle_do(method, *args)
        else:
            agents.do(method, *args)

    def step(self) -> None:
        """One day, in the main model's order of stages (MODEL.md 3)."""
        d = self.day
        dow = d % 7
        if dow == 0:
            self.workers.do("new_week")
        self.stage(self.people, "new_day", d)
        for part in range(3):
            s, abs_slot = dow * 3 + part, d * 3 + part
            if dow < 5 and part == 0:
                self.stage(self.workers, "choose_work", d, s)
                self.stage(self.desk_set, "run_desks", s)
                self.workers.do("close_work_day")
            elif dow < 5 and part == 1:
                self.desk_set.do("desks_pm", s)
            self.stage(self.people, "plan_visit", d, s, abs_slot)
            self.stage(self.counter_set, "run_counters", d, s, abs_slot)
        self.day += 1
        if self._period_ends(self.day):
            self.places.do("review")
            for p in self.places:
                p.regulars = 0
            self.workers.do("end_period")

    def _period_ends(self, day: int) -> bool:
        """As the main model: 4-week periods, a new one at the end of the warm-up, a last shorter one."""
        w = self.warmup_days
        if day == self.total_days or day == w:
            return True
        return (day - w) % DAYS_PER_PERIOD == 0 if day > w else day % DAYS_PER_PERIOD == 0

    def summary(self) -> dict[str, float]:
        """The KPIs both implementations compute, with the main model's names and definitions."""
        t, s = self.tally, self.cfg.population.sample_rate
        resolved = t["solved"] + t["unmet"]
        days = t["third_days"] + t["office_days"] + t["home_days"]
        nan = float("nan")
        return {
            "occupancy_rate_work": t["users_0"] / t["cap_0"] if t["cap_0"] else nan,
            "occupancy_rate_mediation": t["users_1"] / t["cap_1"] if t["cap_1"] else nan,
            "contacts": t["contacts"] / s,
            "needs_human": t["needs_human"] / s,
            "unmet_need_rate": t["unmet"] / resolved if resolved else nan,
            "gave_up_share": t["gave_up"] / resolved if resolved else nan,
            "mean_delay_days": t["delay_days"] / t["solved"] if t["solved"] else nan,
            "needs_per_trip": t["solved"] / t["visits"] if t["visits"] else nan,
            "person_km_service": t["km_service"] / s,
            "chained_visits": t["chained_visits"] / s,
            "office_days": t["office_days"] / s,
            "home_days": t["home_days"] / s,
            "third_place_days": t["third_days"] / s,
            "third_place_day_share": t["third_days"] / days if days else nan,
            "home_day_share": t["home_days"] / days if days else nan,
            "office_day_share": t["office_days"] / days if days else nan,
        }


def run_reference(
    cfg: SimConfig, territory: Territory | None = None, shuffle: bool = False
) -> dict[str, float]:
    """Run the reference for ``cfg.warmup_weeks + cfg.weeks`` weeks and return its KPIs."""
    model = ReferenceModel(cfg, territory, shuffle)
    for _ in range(model.total_days):
        model.step()
    return model.summary()
