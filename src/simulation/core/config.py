"""Typed configuration schema, registered in Hydra's ConfigStore, and its validation.

Every behavioural and economic number of the model is a key here, on one line, with its meaning, unit, source
and allowed range, held in the field's metadata (:func:`param`, :func:`kinds`): one source for the validation
(:func:`validate`), for ``docs/ODD.md``'s parameter table (``scripts/param_table.py``) and for ``lieux --help``.
Defaults are calibrated on the Nièvre baseline (see ODD.md, "Calibration").

Validation checks every value against its metadata (every number finite and in its range, every choice among
its options, every map of zone kinds complete), then the rules that involve several keys; it raises
:class:`~simulation.core.errors.ConfigError` naming the key, the value and what is allowed.
"""

from __future__ import annotations

import copy
import dataclasses
import math
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
TERRITORY_KINDS = ("synthetic", "nievre", "files", "france")
FRANCE_SERVICES_YEARS = (2020, 2024)
PAIRINGS = ("paired", "independent")
MAX_SYNTHETIC_CELLS = 100_000  # zones of a synthetic grid: 110 bytes x zones² would be 1.1 TB
NESTINGS = ("remote", "away")
TIE_BREAKS = ("order", "draw")
METHODS = ("compare", "morris")
# Thresholds of practical relevance ("material") of a difference, as a share of the baseline's level, per KPI
# (experiment.material). A difference is read as material when |difference| >= share x |baseline level| (any
# non-zero difference when the baseline's level is 0). These are judgements, not estimates: about what a
# territory's budget or travel statistics would notice. Travel totals move little with any local strategy
# (commutes dominate): 0.2 % of a department's person-km is ~1 million a year on the Nievre. Money: 1 % of the
# network's or the public's cost. Rates and shares: 5 % of their level (1 point on an unmet need rate of 20 %).
# KPIs not listed use MATERIAL_FALLBACK.
DEFAULT_MATERIAL: dict[str, float] = {
    "person_km_total": 0.002,
    "co2_t": 0.002,
    "travel_hours_total": 0.002,
    "network_cost_eur": 0.01,
    "public_cost_eur": 0.01,
    "provider_cost_eur": 0.01,
    "cost_per_contact_eur": 0.02,
    "unmet_need_rate": 0.05,
    "access_share_20min": 0.02,
    "occupancy_rate": 0.05,
    "contacts": 0.02,
    "mixed_encounters": 0.05,
}
MATERIAL_FALLBACK = 0.01  # share of the baseline for the KPIs not in experiment.material


def param(
    default: Any,
    meaning: str,
    unit: str = "",
    source: str = "",
    *,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    integer: bool = False,
    choices: tuple[str, ...] | None = None,
    zone_kinds: bool = False,
) -> Any:
    """A configuration field with its documentation and its allowed values (in the field's metadata).

    Args:
        default: the default value (a dict or list is copied for each instance).
        meaning: what it is, in a few words.
        unit: its unit (``km``, ``EUR/h``, ``share``...), empty for a choice or a text.
        source: where the default comes from (a publication, ``assumption``, ``calibrated``...).
        lo, hi: the allowed range of a number (or of each value of a map); ``lo_open`` excludes ``lo``.
        integer: the number must be an integer.
        choices: the allowed values of a text.
        zone_kinds: the value is a map {zone kind: number} with exactly the four zone kinds.
    """
    meta = {
        "meaning": meaning,
        "unit": unit,
        "source": source,
        "lo": lo,
        "hi": hi,
        "lo_open": lo_open,
        "integer": integer,
        "choices": choices,
        "zone_kinds": zone_kinds,
    }
    if isinstance(default, dict | list):
        return field(default_factory=lambda: copy.deepcopy(default), metadata=meta)
    return field(default=default, metadata=meta)


def kinds(values: tuple[float, float, float, float], meaning: str, unit: str, source: str, **limits: Any) -> Any:
    """A map {zone kind: number} (centre, urban, periurban, rural, in this order), as :func:`param`."""
    return param(dict(zip(ZONE_KINDS, values, strict=True)), meaning, unit, source, zone_kinds=True, **limits)


# --------------------------------------------------------------------------------------------------
# Territory
# --------------------------------------------------------------------------------------------------
@dataclass
class SyntheticConfig:
    """Parameters of the synthetic territory (a main town, secondary towns, rural background)."""

    size_km: float = param(40.0, "side of the square territory", "km", "a small French intercommunality", lo=0, lo_open=True)
    cell_km: float = param(4.0, "side of a grid cell (one zone per cell)", "km", "", lo=0, lo_open=True)
    adults: int = param(40_000, "adults in the territory", "", "a small sub-prefecture area", lo=1, hi=10**9, integer=True)
    clark_gradient_per_km: float = param(0.5, "Clark density gradient b in D(r) = D0 exp(-b r)", "1/km", "Clark 1951 order of magnitude", lo=0)
    n_secondary_towns: int = param(3, "secondary towns (poles)", "count", "", lo=0, integer=True)
    secondary_weight: float = param(0.25, "peak density of a secondary town relative to the main town", "ratio", "", lo=0, hi=1)
    rural_floor: float = param(0.01, "background density relative to the main town peak", "ratio", "", lo=0, hi=1)
    car_share_rural: float = param(0.92, "car ownership of adults outside towns", "share", "INSEE RP (households with a car, rural)", lo=0, hi=1)
    car_share_town: float = param(0.75, "car ownership in the main town", "share", "INSEE RP (mid-size towns)", lo=0, hi=1)


@dataclass
class TerritoryConfig:
    """Which territory to run on. ``kind`` is set by the config group (synthetic, nievre, files)."""

    kind: str = param("nievre", "synthetic | nievre | files | france", "", "", choices=TERRITORY_KINDS)
    zones: str | None = param(None, "path of zones.csv (kind=files; nievre uses the built-in data/nievre/)", "", "")
    places: str | None = param(None, "path of places.csv (kind=files)", "", "")
    departements: list[str] = param([], "INSEE departement codes (kind=france; exclusive with communes), e.g. [69] or [75, 92, 93, 94]", "codes", "data/france (INSEE)")
    communes: list[str] = param([], "INSEE commune codes (kind=france), e.g. a city's arrondissements or an intercommunality", "codes", "data/france (INSEE)")
    france_services: int = param(2020, "which France Services list (kind=france)", "year", "ANCT lists of 2020 and 1 August 2024", lo=2020, hi=2024, integer=True)
    intrazonal_km: dict[str, float] = kinds((1.0, 1.5, 2.0, 2.5), "mean trip length inside a zone when area is unknown", "km", "", lo=0, lo_open=True)
    car_share: dict[str, float] = kinds((0.75, 0.85, 0.92, 0.93), "car ownership where zones.csv gives none", "share", "INSEE RP households with a car", lo=0, hi=1)
    fs_counters: dict[str, float] = kinds((4, 2, 2, 2), "counters of a France Services site built by the rules or the france_services op, by its zone's kind (one per agent at the counter; territory=files: places.csv gives them)", "counters", "Senate r21-778 (2022): 2.2 agents in a rural site, 2.5 peri-urban, 4.5 in a priority urban district", lo=1, hi=50, integer=True)
    synthetic: SyntheticConfig = field(default_factory=SyntheticConfig)


@dataclass
class TravelConfig:
    """Distances, modes, times and emissions."""

    detour: float = param(1.3, "road distance / straight line", "ratio", "docs/ODD.md 2 (usual 1.2-1.4 for French roads)", lo=1)
    walk_max_km: float = param(1.0, "trips shorter than this are walked", "km", "docs/ODD.md 2", lo=0)
    walk_kmh: float = param(4.5, "walking speed", "km/h", "standard", lo=0, lo_open=True)
    car_kmh: dict[str, float] = kinds((25.0, 32.0, 45.0, 60.0), "door-to-door car speed by zone kind of origin", "km/h", "assumption", lo=0, lo_open=True)
    pt_kmh: dict[str, float] = kinds((15.0, 18.0, 22.0, 25.0), "public transport in-vehicle speed", "km/h", "assumption", lo=0, lo_open=True)
    car_access_min: dict[str, float] = kinds((6.0, 4.0, 3.0, 2.0), "parking and walking at ends", "min", "assumption", lo=0)
    pt_access_min: dict[str, float] = kinds((10.0, 15.0, 25.0, 40.0), "walk + wait for public transport", "min", "assumption (rural lines are sparse)", lo=0)
    car_eur_km: float = param(0.2, "marginal car cost (fuel, wear)", "EUR/km", "ADEME order of magnitude", lo=0)
    pt_eur_trip: float = param(1.5, "public transport fare per trip", "EUR", "typical French urban ticket", lo=0)
    car_co2_kg_km: float = param(0.193, "car emissions per person-km (one occupant)", "kg CO2/km", "ADEME Base Carbone 2023", lo=0)
    pt_co2_kg_km: float = param(0.05, "bus / regional train mix", "kg CO2/person-km", "ADEME Base Carbone order of magnitude", lo=0)


# --------------------------------------------------------------------------------------------------
# Population and behaviour
# --------------------------------------------------------------------------------------------------
@dataclass
class PopulationConfig:
    """Who the agents are."""

    sample_rate: float = param(1.0, "share of adults simulated (capacities scaled by it, extensive KPIs divided by it)", "share", "speed/accuracy trade-off", lo=0, hi=1, lo_open=True)
    employment_rate: float = param(0.45, "employed adults / adults", "share", "INSEE RP2021 Nièvre (≈ 75 k employed / 165 k adults)", lo=0, hi=1)
    agreement_share: float = param(0.74, "teleworkable employed whose employer allows remote days (the others always go to the office)", "share", "DARES 2023: 26 % of employees telework at least occasionally", lo=0, hi=1)
    teleworkable_share: float = param(0.35, "employed whose job can be done remotely", "share", "docs/ODD.md 7.1 (DARES 2023)", lo=0, hi=1)
    digital_autonomy: float = param(0.83, "adults able to solve a need online", "share", "INSEE 2019 illectronism (17 % are not)", lo=0, hi=1)
    maker_share: float = param(0.03, "adults with a creative or community project", "share", "assumption (fab lab membership surveys)", lo=0, hi=1)
    gravity_beta_per_km: float = param(0.08, "decay of the job gravity model exp(-beta d)", "1/km", "calibrated on mean commute ≈ 15 km", lo=0)
    jobs_exponent: float = param(1.1, "jobs ∝ population^exponent when a zone has no jobs figure", "", "docs/ODD.md 5", lo=0)


@dataclass
class WorkBehaviour:
    """Workers' daily choice of work place (docs/ODD.md 7.1)."""

    asc_office: float = param(0.0, "alternative-specific constant of the office (reference)", "utils", "")
    asc_home: float = param(-1.54, "constant of working at home (includes the isolation penalty)", "utils", "calibrated (docs/ODD.md 9): ≈1.5 remote days/week")
    asc_third: float = param(-4.13, "constant of a third place (desk)", "utils", "calibrated (docs/ODD.md 9): baseline desks 70-90 % occupied")
    b_time: float = param(-0.02, "marginal utility of one-way travel time", "1/min", "docs/ODD.md 7.1", hi=0)
    b_cost: float = param(-0.1, "marginal utility of money", "1/EUR (value of time 12 EUR/h)", "docs/ODD.md 7.1", hi=0)
    nesting: str = param("remote", "which alternatives share the nest: remote = {home, third places} | {office}; away = {office, third places} | {home}", "", "docs/ODD.md 7.1 (Bagley and Mokhtarian 1997)", choices=NESTINGS)
    mu: float = param(0.5, "scale of the nest (1: multinomial logit; smaller: closer substitutes inside the nest)", "", "docs/ODD.md 7.1", lo=0, hi=1, lo_open=True)
    min_saving_minutes: float | None = param(10.0, "a third place is considered only if it saves at least this one-way time against the office (null: off)", "min", "docs/ODD.md 7.1 (Mastio et al. 2023)", lo=0)
    errands_per_week: float = param(1.5, "errands per worker and week, chained with the commute on days away, separate round trips from home on home days", "1/week", "calibrated (docs/ODD.md 9): the rebound erases ≈ 31 % of a home day's commute saving (ADEME 2020)", lo=0)
    third_taste_sd: float = param(1.64, "spread of the workers' own, lasting taste for third places (normal, mean 0): a random-coefficient logit", "utils", "calibrated (docs/ODD.md 9): regular users travel less on weekdays (Ravalet and Rérat 2019)", lo=0)
    habit: float = param(1.0, "bonus for the last third place the worker used", "utils", "assumption", lo=0)
    community: float = param(0.3, "weight of ln(1 + regulars)", "utils", "assumption", lo=0)
    consideration_set: int = param(15, "nearest desk places within max_minutes that a worker weighs", "count", "assumption (also bounds the run time)", lo=1, integer=True)
    max_minutes: float = param(45.0, "third places beyond this one-way time are not considered", "min", "docs/ODD.md 7.1", lo=0)
    regular_days: int = param(4, "days in the previous 4 weeks that make a worker a regular of a place", "days", "docs/ODD.md 7.1", lo=1, hi=20, integer=True)


@dataclass
class ServiceBehaviour:
    """Residents' planning of visits for human-contact needs (docs/ODD.md 7.2)."""

    b_time: float = param(-0.06, "marginal utility of one-way travel time to the place", "1/min", "assumption (non-recours rises with distance)", hi=0)
    b_delay: float = param(-0.08, "marginal utility of waiting one more day for the visit", "1/day", "assumption", hi=0)
    b_bundle: float = param(0.4, "bonus per extra need solved in the same visit", "utils", "assumption", lo=0)
    asc_give_up: float = param(-1.5, "utility of giving up (non-recours)", "utils", "calibrated: a sizeable minority unmet when far")
    asc_kind: dict[str, float] = param({"provider_office": 0.5, "france_services": 0.3, "post_office": 0.0, "other": 0.0}, "constant by place origin", "utils", "assumption: a provider's own counter is preferred")
    consideration_set: int = param(5, "nearest places (by travel time) able to serve in time that a resident weighs", "count", "assumption", lo=1, integer=True)
    tie_break: str = param("order", "how places at the same travel time compete for the last places of the consideration set: order = the partial sort's (the published runs: the same few of a zone's places for every resident) | draw = each resident's own lasting draw among them", "", "docs/ODD.md 7.2 (the specification weighs every place; the set is this model's)", choices=TIE_BREAKS)
    reach_set: int = param(16, "on large territories, per pending category, the nearest points of contact covering it (from home; also from the work zone on a day away) among which the consideration set is sought", "count", "docs/ODD.md 7.2 (bounds the run time: linear in zones, not quadratic)", lo=1, integer=True)
    full_search_places: int = param(2000, "up to this many points of contact every one is searched for the consideration set (any single département); above it, only the reach_set nearest", "count", "docs/ODD.md 7.2", lo=0, integer=True)
    deadline_days: int = param(14, "a need must be met within this many days of arrival", "days", "docs/ODD.md 7.2", lo=1, hi=365, integer=True)
    contacts_per_counter_slot: int = param(6, "visits one counter serves in a half-day slot", "visits", "docs/ODD.md 7.2 (40 min over 4 h)", lo=1, integer=True)


@dataclass
class MakerBehaviour:
    """Makers' choice of a workshop (docs/ODD.md 7.4)."""

    sessions_per_month: float = param(2.0, "project sessions per maker per month (mu)", "1/month", "assumption", lo=0)
    b_time: float = param(-0.04, "marginal utility of travel time", "1/min", "assumption", hi=0)
    b_cost: float = param(-0.1, "marginal utility of money", "1/EUR", "as workers", hi=0)
    b_delay: float = param(-0.1, "marginal utility of waiting a day for the session", "1/day", "assumption", hi=0)
    community: float = param(0.3, "weight of ln(1 + members)", "utils", "assumption", lo=0)
    asc_outside: float = param(-1.0, "utility of no session", "utils", "assumption")
    member_sessions: int = param(3, "sessions in the last 4 weeks that make a maker a member of a place", "count", "assumption", lo=1, integer=True)
    reach_set: int = param(32, "on large territories, the nearest workshops (by travel time from home) a maker weighs", "count", "docs/ODD.md 7.4 (bounds the run time: linear in makers, not makers x workshops)", lo=1, integer=True)
    full_search_places: int = param(400, "up to this many workshops a maker weighs every one (any single département); above it, only the reach_set nearest", "count", "docs/ODD.md 7.4", lo=0, integer=True)


@dataclass
class BehaviourConfig:
    """The behavioural parameters of workers, residents and makers."""

    work: WorkBehaviour = field(default_factory=WorkBehaviour)
    service: ServiceBehaviour = field(default_factory=ServiceBehaviour)
    maker: MakerBehaviour = field(default_factory=MakerBehaviour)


@dataclass
class PolicyConfig:
    """Policy levers that scenarios set."""

    remote_days_per_week: int = param(2, "employer's remote-day allowance per week", "days", "docs/ODD.md 7.1", lo=0, hi=5, integer=True)
    employer_pays_third_place: bool = param(False, "the employer pays the day pass at third places", "", "docs/ODD.md 7.1")
    third_place_counts_as_remote: bool = param(True, "a third-place day uses the remote-day allowance (true: the usual telework agreement; false: a telecentre agreement, an office day at a nearer place)", "", "docs/ODD.md 7.1")
    price_day_eur: float = param(12.0, "default day pass at a desk where places.csv gives none", "EUR", "French rural coworking offers", lo=0)
    price_month_eur: float = param(140.0, "default monthly subscription", "EUR", "French rural coworking offers", lo=0)
    workshop_fee_eur: float = param(5.0, "fee per maker session", "EUR", "fab lab open-access fees", lo=0)
    subsidy_rule: str = param("per_site", "none | per_site | deficit", "", "docs/ODD.md 7.9", choices=SUBSIDY_RULES)
    per_site_eur_year: float = param(30_000.0, "subsidy per labelled mediation site", "EUR/year", "state 15 k + national operators 15 k (Senate r21-778)", lo=0)
    deficit_cap_eur_year: float = param(50_000.0, "with subsidy_rule=deficit, cap per place", "EUR/year", "assumption", lo=0)
    association_grant_eur_year: float = param(20_000.0, "municipal operating grant to each association place", "EUR/year", "assumption (fab lab / third-place grants)", lo=0)
    sharing_clause: bool = param(False, "public buildings may host other activities in their closed slots", "", "docs/ODD.md 7.9")


# --------------------------------------------------------------------------------------------------
# Providers and needs
# --------------------------------------------------------------------------------------------------
@dataclass
class ProviderConfig:
    """A service organisation; it owns one category of needs."""

    id: str = param(MISSING, "short id used in places.csv (e.g. caf)", "identifier", "config")
    name: str = param(MISSING, "full name", "text", "config")
    needs_per_adult_year: float = param(0.5, "arrival rate of needs of this category per adult (lambda_k)", "1/year", "see providers list", lo=0)
    online_share: float = param(0.6, "probability that an autonomous adult solves the need online", "share", "see providers list", lo=0, hi=1)
    delegates: bool = param(True, "lets France Services generalist mediators handle first-level help", "flag", "France Services charter")
    permanence_eur_slot: float = param(180.0, "the provider's own staff cost of one permanence slot (4 h loaded)", "EUR", "assumption", lo=0)
    extra_slots_budget: int = param(4, "permanence slots the quarterly review may add in the whole territory", "count", "assumption", lo=0, integer=True)


# The source of the default providers' values (docs/ODD.md parameter table).
DEFAULT_PROVIDERS_NOTE = (
    "Rates: 9 M France Services requests / year (Cour des comptes 2024) plus provider counters; online shares "
    'from the providers\' activity reports (orders of magnitude); see ODD.md "Calibration".'
)


def _default_providers() -> list[ProviderConfig]:
    """The eight default providers (values: :data:`DEFAULT_PROVIDERS_NOTE`)."""
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
    """Costs, revenues, cost allocation and operators' viability (docs/ODD.md 7.6-7.8)."""

    allocation: str = param("shapley", "equal | slots | contacts | shapley", "", "docs/ODD.md 7.6", choices=ALLOCATION_RULES)
    rent_eur_m2_year: dict[str, float] = kinds((110.0, 90.0, 70.0, 55.0), "rent by zone kind", "EUR/m2/year", "office rents of mid-size towns and rural Burgundy (orders of magnitude)", lo=0)
    overhead_eur_year: float = param(4000.0, "insurance, IT, supplies per open place", "EUR/year", "assumption", lo=0)
    energy_eur_m2_hour: float = param(0.012, "heating, lighting per m2 per open hour", "EUR/m2/h", "ADEME tertiary ≈ 150 kWh/m2/yr", lo=0)
    slot_hours: dict[str, float] = param({"AM": 3.5, "PM": 3.5, "EV": 3.0}, "opening hours of a slot", "h", "France Services open ≈ 35 h/week", lo=0, hi=24, lo_open=True)
    mediator_eur_hour: float = param(22.0, "loaded wage of a mediator / counter agent", "EUR/h", "≈ 36 k EUR/yr over 1,607 h (rural FS: 94 k EUR, 2.2 agents, Senate r21-778)", lo=0)
    host_eur_hour: float = param(24.0, "loaded wage of a coworking host", "EUR/h", "assumption", lo=0)
    hosts_per_work_slot: float = param(0.25, "host present per open desk slot", "persons", "rural coworking (part-time host, badge access)", lo=0)
    animator_eur_hour: float = param(24.0, "loaded wage of a fab lab animator", "EUR/h", "assumption", lo=0)
    animators_per_workshop_slot: float = param(0.5, "paid animators per open workshop slot", "persons", "volunteers run the rest (assumption)", lo=0)
    marginal_open_eur_slot: float = param(25.0, "caretaker and cleaning of an extra slot in a public building", "EUR/slot", "sharing clause", lo=0)
    m2_per_desk: float = param(8.0, "floor area a desk needs", "m2", "French workplace norm", lo=0, lo_open=True)
    m2_per_counter: float = param(15.0, "floor area a counter needs", "m2", "assumption", lo=0, lo_open=True)
    m2_per_workshop_seat: float = param(6.0, "floor area a workshop seat needs", "m2", "assumption", lo=0, lo_open=True)
    closure_threshold: float = param(0.6, "cost recovery below which a private/association place is in danger", "ratio", "docs/ODD.md 7.7", lo=0, hi=10)
    closure_periods: int = param(3, "consecutive periods below the threshold before closing", "periods", "docs/ODD.md 7.7", lo=1, integer=True)
    recovery_window_periods: int = param(3, "periods over which cost recovery is computed", "periods", "docs/ODD.md 7.7", lo=1, integer=True)
    expand_occupancy: float = param(0.9, "occupancy above which a slot counts as full", "share", "docs/ODD.md 7.7", lo=0, hi=1, lo_open=True)
    min_contacts: float = param(2.0, "a permanence slot with fewer contacts on average is dropped", "contacts/slot", "docs/ODD.md 7.8", lo=0)
    max_rejections: int = param(10, "rejections of a provider's needs at a place per quarter that add a slot", "visits", "docs/ODD.md 7.8", lo=0, integer=True)


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

    name: str = param("", "experiment name (results/<name>/<timestamp>/)", "text", "experiments/<name>.yaml")
    question: str = param("", "the question the report answers", "text", "experiment file")
    scenarios: list[str] = param([], "scenarios compared (configs/scenario/)", "names", "experiment file")
    baseline: str = param("baseline", "scenario the others are compared to", "name", "docs/ODD.md 7.11")
    kpis: list[str] = param([], "KPIs compared (empty: all of metrics.KPI_NAMES)", "names", "experiment file")
    pairing: str = param("paired", "paired (common random numbers: same seeds for every scenario) | independent", "choice", "docs/ODD.md 6.4", choices=PAIRINGS)
    grid: dict[str, Any] = param({}, "extra sweep dimensions {dotted.key: [values]}", "values", "experiment file")
    method: str = param("compare", "compare (paired differences) | morris (elementary-effects screening)", "choice", "experiment file", choices=METHODS)
    parameters: dict[str, Any] = param({}, "Morris ranges {dotted.key: [low, high]}", "values", "experiment file")
    trajectories: int = param(10, "Morris trajectories r (runs = r x (parameters + 1))", "count", "Campolongo et al. 2007", lo=2, integer=True)
    levels: int = param(4, "Morris grid levels p", "count", "Saltelli et al. 2008", lo=2, integer=True)
    replicate: int = param(0, "index of this job's seed replicate (set by the sweep)", "integer", "internal", lo=0, integer=True)
    sample: int = param(-1, "index of this job's Morris sample point (set by the sweep; -1: none)", "integer", "internal", lo=-1, integer=True)
    material: dict[str, float] = param(DEFAULT_MATERIAL, f"per KPI, the smallest difference of practical relevance, as a share of the baseline's level (the report bolds what is significant and material); KPIs not listed: {MATERIAL_FALLBACK}", "share", "assumption (core.config.DEFAULT_MATERIAL)", lo=0, hi=1)


@dataclass
class OutputConfig:
    """Where and what a run writes."""

    dir: str | None = param(None, "run folder (None: Hydra's run/sweep folder)", "path", "CLI")
    slots: bool = param(True, "write slots.parquet (the largest file)", "flag", "CLI")
    progress: bool | None = param(None, "progress bar (None: only when stderr is a terminal)", "flag", "CLI")
    overwrite: bool = param(False, "run again into a folder holding a finished run or experiment (the old result is moved aside first)", "flag", "CLI")
    job_lines: bool = param(False, "an experiment prints a line per job (Hydra's [HYDRA] #N when launched, the job's own when done) instead of one line 'N of M jobs done, ~T left'", "flag", "CLI")


@dataclass
class RunConfig:
    """Limits of one run on this machine (not part of the model: they never change a result)."""

    max_memory_gb: float | None = param(None, "refuse a run whose estimated memory exceeds this (null: 80 % of the memory available when it starts)", "GB", "simulation.sim.sizing", lo=0, lo_open=True)
    threads: int | None = param(None, "threads for the largest daily choices, above 30,000 workers or 600,000 (resident, place searched) cells per thread (null: the cores this process may use, at most 4; 1: none); never changes a result", "count", "simulation.core.parallel", lo=1, integer=True)


@dataclass
class SimConfig:
    """The whole configuration of one run."""

    seed: int = param(0, "seed of every random stream (any integer >= 0)", "integer", "docs/ODD.md 6.4", lo=0, integer=True)
    weeks: int = param(52, "weeks counted in the results", "weeks", "docs/ODD.md 2", lo=1, integer=True)
    warmup_weeks: int = param(4, "weeks simulated before counting (regulars, habits, accounts settle)", "weeks", "docs/ODD.md 2", lo=0, integer=True)
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
    run: RunConfig = field(default_factory=RunConfig)
    seeds: int = param(1, "seed replicates of an experiment (seeds 0..seeds-1 per scenario)", "count", "experiment", lo=1, integer=True)
    resume: str | None = param(None, "results folder of an interrupted experiment to complete", "path", "experiment")


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


def _fail(key: str, value: Any, expected: str) -> ConfigError:
    return ConfigError(key, f"got {value!r}, expected {expected}")


def _check(ok: bool, key: str, value: Any, expected: str) -> None:
    if not ok:
        raise _fail(key, value, expected)


def expected_text(meta: dict[str, Any]) -> str:
    """What a field allows, in words (``an integer from 1 to 20``, ``a number > 0 and <= 1``, ``one of a, b``).

    Args:
        meta: the field's metadata (:func:`param`).
    """
    if meta.get("choices"):
        return "one of " + ", ".join(meta["choices"])
    lo, hi = meta.get("lo"), meta.get("hi")
    if meta.get("integer"):
        if lo is not None and hi is not None:
            return f"an integer from {lo} to {hi}"
        if lo is not None:
            return f"an integer >= {lo}"
        return f"an integer <= {hi}" if hi is not None else "an integer"
    desc = []
    if lo is not None:
        desc.append(f"{'>' if meta.get('lo_open') else '>='} {lo}")
    if hi is not None:
        desc.append(f"<= {hi}")
    return "a number" + (" " + " and ".join(desc) if desc else "")


def _check_scalar(key: str, value: Any, meta: dict[str, Any]) -> None:
    """One value against its field's metadata: choices, finiteness, integrality, range."""
    if meta.get("choices"):
        _check(value in meta["choices"], key, value, expected_text(meta))
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        return  # texts, flags, paths, lists: their type is checked by the schema (OmegaConf)
    if not math.isfinite(value):
        raise _fail(key, value, "a finite " + expected_text(meta).removeprefix("a ").removeprefix("an "))
    lo, hi = meta.get("lo"), meta.get("hi")
    ok = (not meta.get("integer") or float(value).is_integer()) and (hi is None or value <= hi)
    if lo is not None:
        ok = ok and (value > lo if meta.get("lo_open") else value >= lo)
    _check(ok, key, value, expected_text(meta))


def _check_field(key: str, value: Any, meta: dict[str, Any]) -> None:
    if meta.get("zone_kinds"):
        _check(
            isinstance(value, dict) and set(value) == set(ZONE_KINDS),
            key,
            sorted(value) if isinstance(value, dict) else value,
            "exactly the zone kinds " + ", ".join(ZONE_KINDS),
        )
    if isinstance(value, dict):
        for k, v in value.items():
            _check_scalar(f"{key}.{k}", v, meta)
        return
    _check_scalar(key, value, meta)


def _walk(obj: Any, prefix: str = "") -> None:
    """Check every field of a config dataclass against its metadata, depth first, in the schema's order."""
    for f in fields(obj):
        key = f"{prefix}{f.name}"
        value = getattr(obj, f.name)
        if is_dataclass(value):
            _walk(value, key + ".")
        elif isinstance(value, list) and value and all(is_dataclass(v) for v in value):
            for i, item in enumerate(value):
                _walk(item, f"{key}[{i}].")
        elif "meaning" in f.metadata:
            _check_field(key, value, dict(f.metadata))


def field_meta(key: str) -> dict[str, Any]:
    """The metadata of a dotted key of the schema (``behaviour.work.b_time``); empty if it has none.

    Raises:
        KeyError: the key is not in the schema.
    """
    cls: Any = SimConfig
    meta: dict[str, Any] = {}
    for part in key.split("."):
        name = part.split("[")[0]
        f = {f.name: f for f in fields(cls)}[name]
        meta = dict(f.metadata)
        # dataclasses' MISSING (not OmegaConf's, which marks a required value): the field has no factory
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default  # type: ignore[misc]
        if isinstance(default, list) and default and is_dataclass(default[0]):
            cls = type(default[0])
        elif is_dataclass(default):
            cls = type(default)
    return meta


def validate(cfg: SimConfig) -> None:
    """Check every value and the rules between keys; raise :class:`ConfigError` naming the first wrong key."""
    _walk(cfg)

    t = cfg.territory
    if t.kind == "files":
        _check(bool(t.zones), "territory.zones", t.zones, "a path to zones.csv (territory=files)")
        _check(bool(t.places), "territory.places", t.places, "a path to places.csv (territory=files)")
    if t.kind == "france":
        _check(
            bool(t.departements) != bool(t.communes),
            "territory.departements" if not t.communes else "territory.communes",
            list(t.departements or t.communes),
            "territory.departements or territory.communes (one of them, not both) with territory=france",
        )
    _check(t.france_services in FRANCE_SERVICES_YEARS, "territory.france_services", t.france_services, "one of 2020, 2024 (the committed lists)")
    check_territory_keys(t)
    if cfg.resume and not cfg.experiment.name:
        raise ConfigError("resume", f"got {cfg.resume!r} without an experiment; resume is the results folder of an experiment (lieux resume=<folder> reads which one it is)")
    s = t.synthetic
    _check(s.cell_km <= s.size_km, "territory.synthetic.cell_km", s.cell_km, f"a number > 0 and <= {s.size_km}")
    # the zone-to-zone matrices grow with the square of the cells: past this, no machine runs it (the size guard,
    # simulation.sim.sizing, refuses smaller grids that do not fit this one)
    cells = round(s.size_km / s.cell_km) ** 2
    min_cell = s.size_km / math.sqrt(MAX_SYNTHETIC_CELLS)
    _check(cells <= MAX_SYNTHETIC_CELLS, "territory.synthetic.cell_km", s.cell_km, f"a number >= {min_cell:.3g} (at most {MAX_SYNTHETIC_CELLS:,} cells in the {s.size_km:g} km square; memory grows with the square of the cells)")

    sv = cfg.behaviour.service
    _check("other" in sv.asc_kind, "behaviour.service.asc_kind", sorted(sv.asc_kind), "a map with an 'other' entry")
    for k in sv.asc_kind:
        _check(k in ORIGINS or k == "other", f"behaviour.service.asc_kind.{k}", k, "a place origin or 'other'")

    _check(len(cfg.providers) >= 1, "providers", len(cfg.providers), "at least one provider")
    seen: set[str] = set()
    for i, pr in enumerate(cfg.providers):
        key = f"providers[{i}].id"
        _check(pr.id.isidentifier() and pr.id not in seen, key, pr.id, "a unique identifier (letters, digits, _)")
        _check(pr.id != "france_services", key, pr.id, "an id other than 'france_services' (the partner network)")
        seen.add(pr.id)
    _check(len(cfg.providers) <= 30, "providers", len(cfg.providers), "at most 30 providers (needs are bit masks)")

    validate_experiment(cfg)

    e = cfg.economics
    _check(set(e.slot_hours) == {"AM", "PM", "EV"}, "economics.slot_hours", sorted(e.slot_hours), "exactly AM, PM, EV")


def check_territory_keys(t: TerritoryConfig) -> None:
    """Refuse the keys of one territory kind given with another (they would be silently ignored).

    ``territory.zones`` / ``territory.places`` belong to ``files``; ``territory.departements``, ``communes`` and
    ``france_services`` to ``france``; ``territory.synthetic.*`` to ``synthetic``.
    """
    owner = {"zones": "files", "places": "files", "departements": "france", "communes": "france"}
    for key, kind in owner.items():
        value = getattr(t, key)
        if value and t.kind != kind:
            raise _fail(f"territory.{key}", value, f"no value with territory.kind={t.kind} (it belongs to territory={kind}: add territory={kind})")
    if t.kind != "france" and t.france_services != TerritoryConfig.france_services:
        raise _fail("territory.france_services", t.france_services, f"no value with territory.kind={t.kind} (it belongs to territory=france)")
    if t.kind != "synthetic":
        default = SyntheticConfig()
        for f in fields(SyntheticConfig):
            if getattr(t.synthetic, f.name) != getattr(default, f.name):
                raise _fail(f"territory.synthetic.{f.name}", getattr(t.synthetic, f.name), f"no value with territory.kind={t.kind} (it belongs to territory=synthetic: add territory=synthetic)")


def validate_experiment(cfg: SimConfig) -> None:
    """Check the experiment keys beyond their ranges (only meaningful when ``experiment.name`` is set)."""
    ex = cfg.experiment
    # imported here: the metrics import this module (the KPI names live with the code that computes them)
    from simulation.observe.metrics import KPI_NAMES

    for kpi in ex.material:
        _check(kpi in KPI_NAMES, f"experiment.material.{kpi}", kpi, "a KPI name (" + ", ".join(KPI_NAMES) + ")")
    _check(ex.levels % 2 == 0, "experiment.levels", ex.levels, "an even integer >= 2")
    for key, rng in ex.parameters.items():
        ok = isinstance(rng, list | tuple) and len(rng) == 2 and all(isinstance(v, int | float) for v in rng)
        ok = ok and all(math.isfinite(v) for v in rng)
        _check(ok and rng[0] < rng[1], f"experiment.parameters.{key}", rng, "a range [low, high] with low < high")


def as_dict(cfg: SimConfig) -> dict[str, Any]:
    """The resolved configuration as plain containers (for writing next to the outputs)."""
    assert is_dataclass(cfg)
    return OmegaConf.to_container(OmegaConf.structured(cfg), resolve=True)  # type: ignore[return-value]
