"""Typed configuration schema, registered in Hydra's ConfigStore, and its validation.

Every behavioural and economic number of the model is a key here, on one line, with its meaning, unit and
source (``docs/ODD.md`` has the same table). Defaults are calibrated on the Nièvre baseline (see ODD.md,
"Calibration").

Validation (:func:`validate`) checks ranges and choices and raises :class:`~simulation.core.errors.ConfigError`
naming the key, the value and what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any

from omegaconf import MISSING, DictConfig, OmegaConf

from simulation.core.errors import ConfigError

ZONE_KINDS = ("centre", "urban", "periurban", "rural")
ORIGINS = (
    "provider_office",
    "post_office",
    "town_hall",
    "library",
    "school",
    "coworking",
    "fab_lab",
    "france_services",
    "community_centre",
    "new",
)
OPERATORS = ("public", "private", "association")
ACTIVITIES = ("work", "mediation", "workshop")
ALLOCATION_RULES = ("equal", "slots", "contacts", "shapley")
SUBSIDY_RULES = ("none", "per_site", "deficit")
TERRITORY_KINDS = ("synthetic", "nievre", "files")


def _kinds(centre: float, urban: float, periurban: float, rural: float) -> Any:
    return field(
        default_factory=lambda: {"centre": centre, "urban": urban, "periurban": periurban, "rural": rural}
    )


# --------------------------------------------------------------------------------------------------
# Territory
# --------------------------------------------------------------------------------------------------
@dataclass
class SyntheticConfig:
    """Parameters of the synthetic territory (a main town, secondary towns, rural background)."""

    size_km: float = 40.0  # side of the square territory, km; a small French intercommunality
    cell_km: float = 4.0  # side of a grid cell (one zone per cell), km
    adults: int = 40_000  # adults in the territory; a small sub-prefecture area
    clark_gradient_per_km: float = 0.5  # Clark density gradient b in D(r) = D0 exp(-b r), 1/km; Clark 1951 order of magnitude
    n_secondary_towns: int = 3  # secondary towns (poles), count
    secondary_weight: float = 0.25  # peak density of a secondary town relative to the main town, ratio
    rural_floor: float = 0.01  # background density relative to the main town peak, ratio
    car_share_rural: float = 0.92  # car ownership of adults outside towns, share; INSEE RP (households with a car, rural)
    car_share_town: float = 0.75  # car ownership in the main town, share; INSEE RP (mid-size towns)


@dataclass
class TerritoryConfig:
    """Which territory to run on. ``kind`` is set by the config group (synthetic, nievre, files)."""

    kind: str = "nievre"  # synthetic | nievre | files
    zones: str | None = None  # path of zones.csv (kind=files; nievre uses the built-in data/nievre/)
    places: str | None = None  # path of places.csv (kind=files)
    intrazonal_km: dict[str, float] = _kinds(
        1.0, 1.5, 2.0, 2.5
    )  # mean trip length inside a zone when area is unknown, km
    car_share: dict[str, float] = _kinds(
        0.75, 0.85, 0.92, 0.93
    )  # car ownership where zones.csv gives none, share; INSEE RP households with a car
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)


@dataclass
class TravelConfig:
    """Distances, modes, times and emissions."""

    detour: float = 1.3  # road distance / straight line, ratio; MODEL.md 2 (usual 1.2-1.4 for French roads)
    walk_max_km: float = 1.0  # trips shorter than this are walked, km; MODEL.md 2
    walk_kmh: float = 4.5  # walking speed, km/h; standard
    car_kmh: dict[str, float] = _kinds(
        25.0, 32.0, 45.0, 60.0
    )  # door-to-door car speed by zone kind of origin, km/h; assumption
    pt_kmh: dict[str, float] = _kinds(
        15.0, 18.0, 22.0, 25.0
    )  # public transport in-vehicle speed, km/h; assumption
    car_access_min: dict[str, float] = _kinds(
        6.0, 4.0, 3.0, 2.0
    )  # parking and walking at ends, min; assumption
    pt_access_min: dict[str, float] = _kinds(
        10.0, 15.0, 25.0, 40.0
    )  # walk + wait for public transport, min; assumption (rural lines are sparse)
    car_eur_km: float = 0.20  # marginal car cost (fuel, wear), EUR/km; ADEME order of magnitude
    pt_eur_trip: float = 1.5  # public transport fare per trip, EUR; typical French urban ticket
    car_co2_kg_km: float = 0.193  # car emissions per person-km (one occupant), kg CO2/km; ADEME Base Carbone 2023
    pt_co2_kg_km: float = 0.05  # bus / regional train mix, kg CO2/person-km; ADEME Base Carbone order of magnitude


# --------------------------------------------------------------------------------------------------
# Population and behaviour
# --------------------------------------------------------------------------------------------------
@dataclass
class PopulationConfig:
    """Who the agents are."""

    sample_rate: float = 1.0  # share of adults simulated (capacities scaled by it, extensive KPIs divided by it), share; speed/accuracy trade-off
    employment_rate: float = 0.45  # employed adults / adults, share; INSEE RP2021 Nièvre (≈ 75 k employed / 165 k adults)
    teleworkable_share: float = 0.35  # employed whose job can be done remotely, share; MODEL.md 4.1 (DARES 2023)
    digital_autonomy: float = 0.83  # adults able to solve a need online, share; INSEE 2019 illectronism (17 % are not)
    maker_share: float = 0.03  # adults with a creative or community project, share; assumption (fab lab membership surveys)
    gravity_beta_per_km: float = 0.08  # decay of the job gravity model exp(-beta d), 1/km; calibrated on mean commute ≈ 15 km
    jobs_exponent: float = 1.1  # jobs ∝ population^exponent when a zone has no jobs figure; MODEL.md 5


@dataclass
class WorkBehaviour:
    """Workers' daily choice of work place (MODEL.md 4.1)."""

    asc_office: float = 0.0  # alternative-specific constant of the office (reference), utils
    asc_home: float = -1.5  # constant of working at home (includes the isolation penalty), utils; calibrated: ≈1.5 remote days/week
    asc_third: float = -5.0  # constant of a third place (desk), utils; calibrated: baseline desks 70-90 % occupied, third places ≈ 1 % of remote days
    b_time: float = -0.02  # marginal utility of one-way travel time, 1/min; MODEL.md 4.1
    b_cost: float = -0.1  # marginal utility of money, 1/EUR (value of time 12 EUR/h); MODEL.md 4.1
    habit: float = 1.0  # bonus for the last third place the worker used, utils; assumption
    community: float = 0.3  # weight of ln(1 + regulars), utils; assumption
    consideration_set: int = 15  # nearest desk places within max_minutes that a worker weighs, count; assumption (also bounds the run time)
    max_minutes: float = 45.0  # third places beyond this one-way time are not considered, min; MODEL.md 4.1
    regular_days: int = 4  # days in the previous 4 weeks that make a worker a regular of a place, days; MODEL.md 4.1


@dataclass
class ServiceBehaviour:
    """Residents' planning of visits for human-contact needs (MODEL.md 4.2)."""

    b_time: float = -0.06  # marginal utility of one-way travel time to the place, 1/min; assumption (non-recours rises with distance)
    b_delay: float = -0.08  # marginal utility of waiting one more day for the visit, 1/day; assumption
    b_bundle: float = 0.4  # bonus per extra need solved in the same visit, utils; assumption
    asc_give_up: float = (
        -1.5
    )  # utility of giving up (non-recours), utils; calibrated: a sizeable minority unmet when far
    asc_kind: dict[str, float] = field(
        default_factory=lambda: {
            "provider_office": 0.5,
            "france_services": 0.3,
            "post_office": 0.0,
            "other": 0.0,
        }
    )  # constant by place origin, utils; assumption: a provider's own counter is preferred
    consideration_set: int = 5  # nearest places (by travel time) able to serve in time that a resident weighs, count; assumption
    deadline_days: int = 14  # a need must be met within this many days of arrival, days; MODEL.md 4.2
    contacts_per_counter_slot: int = 6  # visits one counter serves in a half-day slot, visits; MODEL.md 4.2 (40 min over 4 h)


@dataclass
class MakerBehaviour:
    """Makers' choice of a workshop (MODEL.md 4.3)."""

    sessions_per_month: float = 2.0  # project sessions per maker per month (mu), 1/month; assumption
    b_time: float = -0.04  # marginal utility of travel time, 1/min; assumption
    b_cost: float = -0.1  # marginal utility of money, 1/EUR; as workers
    b_delay: float = -0.1  # marginal utility of waiting a day for the session, 1/day; assumption
    community: float = 0.3  # weight of ln(1 + members), utils; assumption
    asc_outside: float = -1.0  # utility of no session, utils; assumption
    member_sessions: int = 3  # sessions in the last 4 weeks that make a maker a member of a place, count; assumption


@dataclass
class BehaviourConfig:
    work: WorkBehaviour = field(default_factory=WorkBehaviour)
    service: ServiceBehaviour = field(default_factory=ServiceBehaviour)
    maker: MakerBehaviour = field(default_factory=MakerBehaviour)


@dataclass
class PolicyConfig:
    """Policy levers that scenarios set."""

    remote_days_per_week: int = 2  # employer's remote-day allowance per week, days; MODEL.md 4.1
    employer_pays_third_place: bool = False  # the employer pays the day pass at third places; MODEL.md 4.1
    price_day_eur: float = 12.0  # default day pass at a desk where places.csv gives none, EUR; French rural coworking offers
    price_month_eur: float = 140.0  # default monthly subscription, EUR; French rural coworking offers
    workshop_fee_eur: float = 5.0  # fee per maker session, EUR; fab lab open-access fees
    subsidy_rule: str = "per_site"  # none | per_site | deficit; MODEL.md 4.8
    per_site_eur_year: float = 30_000.0  # subsidy per labelled mediation site, EUR/year; state 15 k + national operators 15 k (Senate r21-778)
    deficit_cap_eur_year: float = 50_000.0  # with subsidy_rule=deficit, cap per place, EUR/year; assumption
    association_grant_eur_year: float = 20_000.0  # municipal operating grant to each association place, EUR/year; assumption (fab lab / third-place grants)
    sharing_clause: bool = False  # public buildings may host other activities in their closed slots; MODEL.md 4.8


# --------------------------------------------------------------------------------------------------
# Providers and needs
# --------------------------------------------------------------------------------------------------
@dataclass
class ProviderConfig:
    """A service organisation; it owns one category of needs."""

    id: str = MISSING  # short id used in places.csv (e.g. caf), identifier; config
    name: str = MISSING  # full name, text; config
    needs_per_adult_year: float = 0.5  # arrival rate of needs of this category per adult (lambda_k), 1/year; see providers list
    online_share: float = 0.6  # probability that an autonomous adult solves the need online, share; see providers list
    delegates: bool = True  # lets France Services generalist mediators handle first-level help, flag; France Services charter
    permanence_eur_slot: float = 180.0  # the provider's own staff cost of one permanence slot (4 h loaded), EUR; assumption
    extra_slots_budget: int = 4  # permanence slots the quarterly review may add in the whole territory, count; assumption


def _default_providers() -> list[ProviderConfig]:
    # Rates: 9 M France Services requests / year (Cour des comptes 2024) plus provider counters; online shares
    # from the providers' activity reports (orders of magnitude); see ODD.md "Calibration".
    return [
        ProviderConfig("caf", "CAF (family benefits)", 0.28, 0.70, True, 180.0, 4),
        ProviderConfig("cpam", "CPAM (health insurance)", 0.40, 0.70, True, 180.0, 4),
        ProviderConfig("cnav", "CNAV (pensions)", 0.18, 0.50, True, 180.0, 4),
        ProviderConfig("msa", "MSA (farmers' social security)", 0.05, 0.50, True, 180.0, 2),
        ProviderConfig("france_travail", "France Travail (employment)", 0.22, 0.60, True, 180.0, 4),
        ProviderConfig("dgfip", "DGFiP (tax)", 0.30, 0.75, True, 200.0, 4),
        ProviderConfig("ants", "ANTS (identity papers, vehicle registration)", 0.15, 0.55, True, 160.0, 0),
        ProviderConfig("la_poste", "La Poste (postal and banking)", 1.50, 0.50, False, 150.0, 4),
    ]


# --------------------------------------------------------------------------------------------------
# Economics
# --------------------------------------------------------------------------------------------------
@dataclass
class EconomicsConfig:
    """Costs, revenues, cost allocation and operators' viability (MODEL.md 4.5-4.7)."""

    allocation: str = "shapley"  # equal | slots | contacts | shapley; MODEL.md 4.5
    rent_eur_m2_year: dict[str, float] = _kinds(
        110.0, 90.0, 70.0, 55.0
    )  # rent by zone kind, EUR/m2/year; office rents of mid-size towns and rural Burgundy (orders of magnitude)
    overhead_eur_year: float = 4_000.0  # insurance, IT, supplies per open place, EUR/year; assumption
    energy_eur_m2_hour: float = 0.012  # heating, lighting per m2 per open hour, EUR/m2/h; ADEME tertiary ≈ 150 kWh/m2/yr
    slot_hours: dict[str, float] = field(
        default_factory=lambda: {"AM": 3.5, "PM": 3.5, "EV": 3.0}
    )  # opening hours of a slot, h; France Services open ≈ 35 h/week
    mediator_eur_hour: float = 22.0  # loaded wage of a mediator / counter agent, EUR/h; ≈ 36 k EUR/yr over 1,607 h (rural FS: 94 k EUR, 2.2 agents, Senate r21-778)
    host_eur_hour: float = 24.0  # loaded wage of a coworking host, EUR/h; assumption
    hosts_per_work_slot: float = 0.25  # host present per open desk slot, persons; rural coworking (part-time host, badge access)
    animator_eur_hour: float = 24.0  # loaded wage of a fab lab animator, EUR/h; assumption
    animators_per_workshop_slot: float = 0.5  # paid animators per open workshop slot, persons; volunteers run the rest (assumption)
    marginal_open_eur_slot: float = 25.0  # caretaker and cleaning of an extra slot in a public building, EUR/slot; sharing clause
    m2_per_desk: float = 8.0  # floor area a desk needs, m2; French workplace norm
    m2_per_counter: float = 15.0  # floor area a counter needs, m2; assumption
    m2_per_workshop_seat: float = 6.0  # floor area a workshop seat needs, m2; assumption
    closure_threshold: float = 0.6  # cost recovery below which a private/association place is in danger, ratio; MODEL.md 4.6
    closure_periods: int = 3  # consecutive periods below the threshold before closing, periods; MODEL.md 4.6
    recovery_window_periods: int = 3  # periods over which cost recovery is computed, periods; MODEL.md 4.6
    expand_occupancy: float = 0.9  # occupancy above which a slot counts as full, share; MODEL.md 4.6
    min_contacts: float = 2.0  # a permanence slot with fewer contacts on average is dropped, contacts/slot; MODEL.md 4.7
    max_rejections: int = 10  # rejections of a provider's needs at a place per quarter that add a slot, visits; MODEL.md 4.7


# --------------------------------------------------------------------------------------------------
# Scenario and root
# --------------------------------------------------------------------------------------------------
@dataclass
class ScenarioConfig:
    """A scenario: the baseline plus declarative interventions (validated by :mod:`simulation.scenarios`)."""

    name: str = "baseline"
    description: str = ""
    interventions: list[Any] = field(default_factory=list)


@dataclass
class ExperimentConfig:
    """An experiment: scenarios x seeds (x a parameter grid, or a Morris design) run as a Hydra multirun, then compared.

    Set by ``lieux experiment=<name>`` from ``experiments/<name>.yaml``; empty ``name`` means a plain run.
    """

    name: str = ""  # experiment name (results/<name>/<timestamp>/), text; experiments/<name>.yaml
    question: str = ""  # the question the report answers, text; experiment file
    scenarios: list[str] = field(default_factory=list)  # scenarios compared (configs/scenario/), names; experiment file
    baseline: str = "baseline"  # scenario the others are compared to, name; MODEL.md 9
    kpis: list[str] = field(default_factory=list)  # KPIs compared (empty: all of metrics.KPI_NAMES), names; experiment file
    pairing: str = "paired"  # paired (common random numbers: same seeds for every scenario) | independent, choice; MODEL.md 8
    grid: dict[str, Any] = field(default_factory=dict)  # extra sweep dimensions {dotted.key: [values]}, values; experiment file
    method: str = "compare"  # compare (paired differences) | morris (elementary-effects screening), choice; experiment file
    parameters: dict[str, Any] = field(default_factory=dict)  # Morris ranges {dotted.key: [low, high]}, values; experiment file
    trajectories: int = 10  # Morris trajectories r (runs = r x (parameters + 1)), count; Campolongo et al. 2007
    levels: int = 4  # Morris grid levels p, count; Saltelli et al. 2008
    replicate: int = 0  # index of this job's seed replicate (set by the sweep), integer; internal
    sample: int = -1  # index of this job's Morris sample point (set by the sweep; -1: none), integer; internal


@dataclass
class OutputConfig:
    dir: str | None = None  # run folder (None: Hydra's run/sweep folder), path; CLI
    slots: bool = True  # write slots.parquet (the largest file), flag; CLI
    progress: bool | None = None  # progress bar (None: only when stderr is a terminal), flag; CLI


@dataclass
class SimConfig:
    """The whole configuration of one run."""

    seed: int = 0  # seed of every random stream (any integer >= 0), integer; MODEL.md 8
    weeks: int = 52  # weeks counted in the results, weeks; MODEL.md 2
    warmup_weeks: int = 4  # weeks simulated before counting (regulars, habits, accounts settle), weeks; MODEL.md 2
    territory: TerritoryConfig = field(default_factory=TerritoryConfig)
    scenario: ScenarioConfig = field(default_factory=ScenarioConfig)
    population: PopulationConfig = field(default_factory=PopulationConfig)
    travel: TravelConfig = field(default_factory=TravelConfig)
    behaviour: BehaviourConfig = field(default_factory=BehaviourConfig)
    policy: PolicyConfig = field(default_factory=PolicyConfig)
    providers: list[ProviderConfig] = field(default_factory=_default_providers)
    economics: EconomicsConfig = field(default_factory=EconomicsConfig)
    output: OutputConfig = field(default_factory=OutputConfig)
    experiment: ExperimentConfig = field(default_factory=ExperimentConfig)
    seeds: int = 1  # seed replicates of an experiment (seeds 0..seeds-1 per scenario), count; experiment
    resume: str | None = None  # results folder of an interrupted experiment to complete, path; experiment


def register_configs() -> None:
    """Register the schema in Hydra's ConfigStore (the primary config's defaults list names ``schema``)."""
    from hydra.core.config_store import ConfigStore

    cs = ConfigStore.instance()
    cs.store(name="schema", node=SimConfig)


# --------------------------------------------------------------------------------------------------
# Validation
# --------------------------------------------------------------------------------------------------
def to_config(cfg: DictConfig | SimConfig | dict | None = None, **overrides: Any) -> SimConfig:
    """Turn a DictConfig, a dict or nothing (the defaults) into a validated :class:`SimConfig`.

    Unknown keys and values of the wrong type raise :class:`ConfigError`.

    Args:
        cfg: the configuration (partial dicts are merged over the defaults).
        **overrides: dotted keys with values, e.g. ``**{"population.sample_rate": 0.1}``.
    """
    schema = OmegaConf.structured(SimConfig)
    try:
        if cfg is None:
            merged = schema
        elif isinstance(cfg, SimConfig):
            merged = OmegaConf.structured(cfg)
        else:
            merged = OmegaConf.merge(schema, cfg)
        for key, value in overrides.items():
            OmegaConf.update(merged, key, value, merge=True)
        obj = OmegaConf.to_object(merged)
    except ConfigError:
        raise
    except Exception as exc:  # omegaconf's own errors: name the key and the reason
        key = getattr(exc, "full_key", None) or "?"
        msg = str(exc).splitlines()[0]
        raise ConfigError(str(key), msg) from None
    assert isinstance(obj, SimConfig)
    validate(obj)
    return obj


def _check(ok: bool, key: str, value: Any, expected: str) -> None:
    if not ok:
        raise ConfigError(key, f"got {value!r}, expected {expected}")


def _range(
    key: str, value: Any, lo: float | None = None, hi: float | None = None, lo_open: bool = False
) -> None:
    desc = []
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and lo is not None:
        ok = value > lo if lo_open else value >= lo
        desc.append(f"{'>' if lo_open else '>='} {lo}")
    if ok and hi is not None:
        ok = value <= hi
        desc.append(f"<= {hi}")
    _check(ok, key, value, "a number " + " and ".join(desc) if desc else "a number")


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> None:
    _check(value in choices, key, value, "one of " + ", ".join(choices))


def _kind_map(key: str, value: dict[str, float], lo: float, lo_open: bool = False) -> None:
    _check(
        set(value) == set(ZONE_KINDS), key, sorted(value), "exactly the zone kinds " + ", ".join(ZONE_KINDS)
    )
    for k, v in value.items():
        _range(f"{key}.{k}", v, lo, lo_open=lo_open)


def validate(cfg: SimConfig) -> None:
    """Check every range and choice; raise :class:`ConfigError` naming the first wrong key."""
    _check(isinstance(cfg.seed, int) and cfg.seed >= 0, "seed", cfg.seed, "an integer >= 0")
    _check(isinstance(cfg.weeks, int) and cfg.weeks >= 1, "weeks", cfg.weeks, "an integer >= 1")
    _check(
        isinstance(cfg.warmup_weeks, int) and cfg.warmup_weeks >= 0,
        "warmup_weeks",
        cfg.warmup_weeks,
        "an integer >= 0",
    )

    t = cfg.territory
    _choice("territory.kind", t.kind, TERRITORY_KINDS)
    if t.kind == "files":
        _check(bool(t.zones), "territory.zones", t.zones, "a path to zones.csv (territory=files)")
        _check(bool(t.places), "territory.places", t.places, "a path to places.csv (territory=files)")
    _kind_map("territory.intrazonal_km", t.intrazonal_km, 0.0, lo_open=True)
    _kind_map("territory.car_share", t.car_share, 0.0)
    for k, v in t.car_share.items():
        _range(f"territory.car_share.{k}", v, 0, 1)
    s = t.synthetic
    _range("territory.synthetic.size_km", s.size_km, 0, lo_open=True)
    _range("territory.synthetic.cell_km", s.cell_km, 0, s.size_km, lo_open=True)
    _check(
        isinstance(s.adults, int) and s.adults >= 1, "territory.synthetic.adults", s.adults, "an integer >= 1"
    )
    _range("territory.synthetic.clark_gradient_per_km", s.clark_gradient_per_km, 0)
    _check(
        s.n_secondary_towns >= 0,
        "territory.synthetic.n_secondary_towns",
        s.n_secondary_towns,
        "an integer >= 0",
    )
    for key in ("secondary_weight", "rural_floor", "car_share_rural", "car_share_town"):
        _range(f"territory.synthetic.{key}", getattr(s, key), 0, 1)

    tr = cfg.travel
    _range("travel.detour", tr.detour, 1.0)
    for key in ("walk_max_km", "car_eur_km", "pt_eur_trip", "car_co2_kg_km", "pt_co2_kg_km"):
        _range(f"travel.{key}", getattr(tr, key), 0)
    _range("travel.walk_kmh", tr.walk_kmh, 0, lo_open=True)
    _kind_map("travel.car_kmh", tr.car_kmh, 0, lo_open=True)
    _kind_map("travel.pt_kmh", tr.pt_kmh, 0, lo_open=True)
    _kind_map("travel.car_access_min", tr.car_access_min, 0)
    _kind_map("travel.pt_access_min", tr.pt_access_min, 0)

    p = cfg.population
    _range("population.sample_rate", p.sample_rate, 0, 1, lo_open=True)
    for key in ("employment_rate", "teleworkable_share", "digital_autonomy", "maker_share"):
        _range(f"population.{key}", getattr(p, key), 0, 1)
    _range("population.gravity_beta_per_km", p.gravity_beta_per_km, 0)
    _range("population.jobs_exponent", p.jobs_exponent, 0)

    w = cfg.behaviour.work
    _range("behaviour.work.b_time", w.b_time, hi=0)
    _range("behaviour.work.b_cost", w.b_cost, hi=0)
    _range("behaviour.work.habit", w.habit, 0)
    _range("behaviour.work.community", w.community, 0)
    _range("behaviour.work.max_minutes", w.max_minutes, 0)
    _check(w.consideration_set >= 1, "behaviour.work.consideration_set", w.consideration_set, "an integer >= 1")
    for key in ("asc_office", "asc_home", "asc_third"):
        _range(f"behaviour.work.{key}", getattr(w, key))
    _check(
        1 <= w.regular_days <= 20, "behaviour.work.regular_days", w.regular_days, "an integer from 1 to 20"
    )

    sv = cfg.behaviour.service
    _range("behaviour.service.b_time", sv.b_time, hi=0)
    _range("behaviour.service.b_delay", sv.b_delay, hi=0)
    _range("behaviour.service.b_bundle", sv.b_bundle, 0)
    _range("behaviour.service.asc_give_up", sv.asc_give_up)
    _check(
        "other" in sv.asc_kind,
        "behaviour.service.asc_kind",
        sorted(sv.asc_kind),
        "a map with an 'other' entry",
    )
    for k, v in sv.asc_kind.items():
        _check(
            k in ORIGINS or k == "other", f"behaviour.service.asc_kind.{k}", k, "a place origin or 'other'"
        )
        _range(f"behaviour.service.asc_kind.{k}", v)
    _check(
        sv.consideration_set >= 1,
        "behaviour.service.consideration_set",
        sv.consideration_set,
        "an integer >= 1",
    )
    _check(
        1 <= sv.deadline_days <= 365,
        "behaviour.service.deadline_days",
        sv.deadline_days,
        "an integer from 1 to 365",
    )
    _check(
        sv.contacts_per_counter_slot >= 1,
        "behaviour.service.contacts_per_counter_slot",
        sv.contacts_per_counter_slot,
        "an integer >= 1",
    )

    m = cfg.behaviour.maker
    _range("behaviour.maker.sessions_per_month", m.sessions_per_month, 0)
    for key in ("b_time", "b_cost", "b_delay"):
        _range(f"behaviour.maker.{key}", getattr(m, key), hi=0)
    _range("behaviour.maker.community", m.community, 0)
    _check(m.member_sessions >= 1, "behaviour.maker.member_sessions", m.member_sessions, "an integer >= 1")

    po = cfg.policy
    _check(
        0 <= po.remote_days_per_week <= 5,
        "policy.remote_days_per_week",
        po.remote_days_per_week,
        "an integer from 0 to 5",
    )
    for key in (
        "price_day_eur",
        "price_month_eur",
        "workshop_fee_eur",
        "per_site_eur_year",
        "deficit_cap_eur_year",
        "association_grant_eur_year",
    ):
        _range(f"policy.{key}", getattr(po, key), 0)
    _choice("policy.subsidy_rule", po.subsidy_rule, SUBSIDY_RULES)

    _check(len(cfg.providers) >= 1, "providers", len(cfg.providers), "at least one provider")
    seen: set[str] = set()
    for i, pr in enumerate(cfg.providers):
        _check(
            pr.id.isidentifier() and pr.id not in seen,
            f"providers[{i}].id",
            pr.id,
            "a unique identifier (letters, digits, _)",
        )
        _check(
            pr.id != "france_services",
            f"providers[{i}].id",
            pr.id,
            "an id other than 'france_services' (the partner network)",
        )
        seen.add(pr.id)
        _range(f"providers[{i}].needs_per_adult_year", pr.needs_per_adult_year, 0)
        _range(f"providers[{i}].online_share", pr.online_share, 0, 1)
        _range(f"providers[{i}].permanence_eur_slot", pr.permanence_eur_slot, 0)
        _check(
            pr.extra_slots_budget >= 0,
            f"providers[{i}].extra_slots_budget",
            pr.extra_slots_budget,
            "an integer >= 0",
        )
    _check(
        len(cfg.providers) <= 30,
        "providers",
        len(cfg.providers),
        "at most 30 providers (needs are bit masks)",
    )

    validate_experiment(cfg)

    e = cfg.economics
    _choice("economics.allocation", e.allocation, ALLOCATION_RULES)
    _kind_map("economics.rent_eur_m2_year", e.rent_eur_m2_year, 0)
    _check(
        set(e.slot_hours) == {"AM", "PM", "EV"},
        "economics.slot_hours",
        sorted(e.slot_hours),
        "exactly AM, PM, EV",
    )
    for k, v in e.slot_hours.items():
        _range(f"economics.slot_hours.{k}", v, 0, 24, lo_open=True)
    for f in fields(e):
        v = getattr(e, f.name)
        if isinstance(v, int | float) and not isinstance(v, bool):
            _range(f"economics.{f.name}", v, 0)
    _range("economics.closure_threshold", e.closure_threshold, 0, 10)
    _range("economics.expand_occupancy", e.expand_occupancy, 0, 1, lo_open=True)
    for key in ("closure_periods", "recovery_window_periods"):
        _check(getattr(e, key) >= 1, f"economics.{key}", getattr(e, key), "an integer >= 1")
    for key in ("m2_per_desk", "m2_per_counter", "m2_per_workshop_seat"):
        _range(f"economics.{key}", getattr(e, key), 0, lo_open=True)


def validate_experiment(cfg: SimConfig) -> None:
    """Check the experiment keys (only meaningful when ``experiment.name`` is set)."""
    ex = cfg.experiment
    _check(isinstance(cfg.seeds, int) and cfg.seeds >= 1, "seeds", cfg.seeds, "an integer >= 1")
    _choice("experiment.pairing", ex.pairing, ("paired", "independent"))
    _choice("experiment.method", ex.method, ("compare", "morris"))
    _check(ex.trajectories >= 2, "experiment.trajectories", ex.trajectories, "an integer >= 2")
    _check(ex.levels >= 2 and ex.levels % 2 == 0, "experiment.levels", ex.levels, "an even integer >= 2")
    for key, rng in ex.parameters.items():
        ok = isinstance(rng, list | tuple) and len(rng) == 2 and all(isinstance(v, int | float) for v in rng)
        _check(ok and rng[0] < rng[1], f"experiment.parameters.{key}", rng, "a range [low, high] with low < high")


def as_dict(cfg: SimConfig) -> dict[str, Any]:
    """The resolved configuration as plain containers (for writing next to the outputs)."""
    assert is_dataclass(cfg)
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)  # type: ignore[return-value]
