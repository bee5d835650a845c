"""Any French territory from the committed national extract ``data/france/`` (issue 9).

:func:`load_france` builds a :class:`~simulation.territory.Territory` for one or several departements, or a
list of communes, with the France Services of 2020 or 2024. It reads only the committed extract
(``data/france/*.parquet``, built by ``scripts/build_france.py`` from ``../shared/data/france/``; sources,
licences and traps in ``data/france/SOURCES.md``), never the sources.

Zones
-----
- One zone per commune (INSEE 2021 geography); Paris, Lyon and Marseille are their 20, 9 and 16 municipal
  arrondissements (a selection may give the city code 75056, 69123 or 13055: it stands for its arrondissements).
  ``zone_id`` is the INSEE code, ``name`` the commune's name with its article, ``area_km2`` INSEE's area.
- ``population`` = adults = round(inhabitants 2021 x ``adult_share``), 0.82 by default: the Nièvre's share
  (INSEE RP2021: about 18 % of its inhabitants are under 18), kept so that the Nièvre's calibration holds. The
  source has no age structure; France's share is about 0.79 (21 % under 18), so the default overstates adults
  by about 4 % on average, and by up to ~10 % in the youngest departements (Seine-Saint-Denis, Guyane).
- Position: Lambert-93 (EPSG:2154, the official projection of metropolitan France, conformal conic on GRS80,
  IGN formulas implemented with numpy in :func:`lambert93`), in km. Its scale error is below 0.1 % between
  latitudes 44 and 49 and below 0.3 % at the ends of metropolitan France (Dunkerque, Corsica): far under the
  detour factor's uncertainty. Overseas departements are not covered by Lambert-93: a selection in one of
  them uses an equirectangular projection around its mean latitude (error below 0.5 % over 200 km);
  a selection mixing metropolitan and overseas zones, or two overseas departements, is refused.
- ``kind`` (:func:`zone_kinds`, rules :class:`KindRules`), computed for every commune of France at once, so
  that a commune's kind does not depend on the selection. Density d = inhabitants / area, P = inhabitants:

  - ``centre``: d >= 4,000 /km2 (continuous dense fabric: the arrondissements of Paris, Lyon, Marseille's
    central ones, Villeurbanne, the inner suburbs), or P >= 20,000, d >= 500 /km2 and no more populous commune
    within 10 km (the main town of its area, e.g. Nevers, 32,830 inhabitants, 1,894 /km2, or
    Villefranche-sur-Saône; not a suburb such as Saint-Priest, 8 km from Lyon's 8th arrondissement);
  - ``urban``: not centre, P >= 4,000 (the Nièvre build's town threshold) or d >= 1,500 /km2 (small dense
    suburbs);
  - ``periurban``: neither, with the centre of a centre or urban commune within 15 km (straight line,
    the Nièvre build's rule; communes of other departements count);
  - ``rural``: the rest.

  The thresholds follow the spirit of INSEE's communal density grid (dense: >= 1,500 /km2 clusters of
  >= 50,000 people; intermediate: >= 300 /km2 clusters of >= 5,000) at the commune scale, where densities are
  diluted by fields and woods, and keep the Nièvre's kinds (Nevers centre, the five towns of >= 4,000
  inhabitants urban).
- ``car_share`` by kind: the defaults of ``territory.car_share`` (or ``car_share`` given); ``jobs`` NaN (the
  model places jobs in proportion to population^jobs_exponent).

Places (:func:`france_places`)
------------------------------
Per departement of the selection (provider organisations are departmental: each CAF, CPAM... has its main
office in its departement's main town), :func:`simulation.territory.generate_places` places provider offices,
town halls, libraries, schools, coworking spaces, a fab lab and community centres by its documented rules,
with the departement's main centre (:func:`simulation.territory.rules.centre_index`: the most populous
``centre`` zone, a city's arrondissements counting together) as centre, the real France Services of the year and
``PlaceRules.post_offices = False``; the random draws (counters within ranges, floor areas) use
``numpy.random.default_rng(<departement number>)`` (58 for the Nièvre, 201/202 for 2A/2B), so that a
departement's places do not depend on the rest of the selection. Then (:class:`FranceRules`):

1. *Centre zones that are not the departement's centre* are treated as urban zones by the coworking and
   community-centre rules (generate_places knows a single centre).
2. *Dense offices*: every centre or urban zone with at least ``dense_office_adults`` (30,000) adults gets an
   office of each secondary provider (caf, cpam, france_travail, dgfip) if it has none (cities' own agencies,
   whatever their distance from the centre).
3. *Counters scale with adults*: a provider office has at least ceil(zone adults /
   ``office_adults_per_counter`` (15,000)) counters, at most ``office_counters_max`` (12); the Nièvre's offices
   are unchanged (Nevers: 26,921 adults -> 2, within the drawn 2-3).
4. *Buildings scale with adults*: a zone has at least floor(adults / n) schools (n = 3,000), libraries
   (30,000), coworking spaces (10,000; centre and urban zones), community centres (30,000; centre and urban
   zones) and fab labs (150,000; centre zones), the rules' own count being the minimum; the extra ones copy the
   rule's place of their kind (ids ``sch_<zone>_2``, ``cw_<zone>_3``...).
5. *Post offices*: the real ``Bureau de Poste`` points of La Poste (2020), id ``po_<La Poste site id>``, public,
   ``providers = la_poste``; ``Mon-Fri AM PM; Sat AM`` and 2 counters in centre and urban zones, else
   ``Mon-Fri AM; Sat AM`` and 1 counter (rule 3's sizes); the post offices of a zone have at least ceil(zone
   adults / ``post_office_adults_per_counter`` (4,000)) counters together, spread evenly, at most
   ``post_office_counters_max`` (8) each.
6. *Communal and intercommunal agencies* (``Agence postale communale / intercommunale``) are counters run by
   the town hall: the zone's town hall gets a ``la_poste`` permanence in all its mediation slots and as many
   counters as agencies (at least its own one); its name says so.
7. *Shop relays* (``Relais poste commerçant``): postal counters in a shop (letters, parcels, no banking), id
   ``rp_<site id>``, origin ``post_office``, operator ``private``, 1 counter, ``Mon-Sat AM PM`` (shop hours),
   30 m2, ``providers = la_poste``. La Poste pays its share of their cost like any provider in a place.
8. *France Services*: the sites of the chosen list in the selection's zones, id ``fs_<site id of the list>``;
   opening from the six weekday texts by :func:`simulation.core.timetable.parse_fs_hours` (Sunday closed; in the
   2024 list a blank day is closed). Every cell not fully read is in the notes with the site and the text,
   and what could be read is kept. A site with no open half-day read in the whole week (``Horaires non
   communiqués``, ``Selon planning bus``, a blank 2024 week) gets ``fs_default_opening`` (``Mon-Fri AM PM``:
   the label's charter asks for five days a week), noted. Branches (``Antenne``) are network places with no
   label (the per-site subsidy is paid once per France Services, to its main site). Mobile sites (buses,
   itinerant) are placed in their home commune, noted.
9. *Town halls*: one in every zone (generate_places rule 4).

Places sit at their zone's centre (the model's convention); the extract keeps every France Services and
La Poste point's own position (``lat``, ``lon``, joinable on the site id) for maps.
"""

from __future__ import annotations

import collections
import copy
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from scipy.spatial import cKDTree

from simulation import resources
from simulation.core.config import TerritoryConfig, _default_providers
from simulation.core.errors import ConfigError, InputFileError
from simulation.core.timetable import DAYS, PARTS, parse_fs_hours, parse_timetable, week_from_days
from simulation.territory.rules import PlaceRules, centre_index, generate_places, place_record
from simulation.territory.sources import register
from simulation.territory.tables import NETWORK_ID, POSTAL_PROVIDER, Territory, places_frame, zones_frame

DATA_DIR = resources.data_dir("france")
TABLES = ("communes", "france_services", "laposte")
CITY_CODES = {"75056": "Paris", "69123": "Lyon", "13055": "Marseille"}
FS_YEARS = (2020, 2024)
FS_DAY_COLUMNS = ("h_mon", "h_tue", "h_wed", "h_thu", "h_fri", "h_sat")
LAPOSTE_KINDS = ("post_office", "communal_agency", "intercommunal_agency", "shop_relay")
EARTH_KM = 6371.0088  # mean Earth radius (IUGG), km

KEY_DEPS = "territory.departements"
KEY_COMMUNES = "territory.communes"
KEY_YEAR = "territory.france_services"


# --------------------------------------------------------------------------------------------------
# The extract
# --------------------------------------------------------------------------------------------------
def write_extract(tables: Mapping[str, pd.DataFrame], out: str | Path) -> None:
    """Write the extract's tables as ``<name>.parquet`` (zstd; no pandas metadata, so the bytes depend only on
    the content and the pyarrow version)."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    for name in TABLES:
        table = pa.Table.from_pandas(tables[name], preserve_index=False).replace_schema_metadata(None)
        pq.write_table(table, out / f"{name}.parquet", compression="zstd", compression_level=9)


def read_extract(data_dir: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """The extract's tables (``communes``, ``france_services``, ``laposte``) as DataFrames.

    Raises:
        InputFileError: if a table is missing (run ``make data`` with the reference data).
    """
    d = Path(data_dir) if data_dir is not None else DATA_DIR
    out = {}
    for name in TABLES:
        p = d / f"{name}.parquet"
        if not p.is_file():
            raise InputFileError(
                str(p),
                "the national extract is missing; run 'python scripts/build_france.py' from the repository "
                "(it needs ../shared/data/france) or restore data/france/ from git",
            )
        out[name] = pq.read_table(p).to_pandas()
    return out


# --------------------------------------------------------------------------------------------------
# Projections
# --------------------------------------------------------------------------------------------------
# Lambert-93 (EPSG:2154): Lambert conformal conic with two standard parallels on the GRS80 ellipsoid
# (IGN, NTG_71 / ALG0054 formulas). RGF93 and WGS84 differ by less than a metre: the positions are WGS84.
_A = 6378137.0  # GRS80 semi-major axis, m
_F = 1 / 298.257222101  # GRS80 flattening
_E = math.sqrt(2 * _F - _F * _F)  # first eccentricity
_PHI1, _PHI2, _PHI0, _LAM0 = (math.radians(v) for v in (44.0, 49.0, 46.5, 3.0))
_X0, _Y0 = 700_000.0, 6_600_000.0  # false easting and northing, m


def _m(phi: Any) -> Any:
    return np.cos(phi) / np.sqrt(1 - (_E * np.sin(phi)) ** 2)


def _t(phi: Any) -> Any:
    es = _E * np.sin(phi)
    return np.tan(np.pi / 4 - phi / 2) / ((1 - es) / (1 + es)) ** (_E / 2)


_N = (math.log(_m(_PHI1)) - math.log(_m(_PHI2))) / (math.log(_t(_PHI1)) - math.log(_t(_PHI2)))
_AF = _A * _m(_PHI1) / (_N * _t(_PHI1) ** _N)
_RHO0 = _AF * _t(_PHI0) ** _N


def lambert93(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lambert-93 (EPSG:2154) coordinates in metres of WGS84 latitudes and longitudes in degrees.

    Args:
        lat: latitudes, degrees.
        lon: longitudes, degrees (east positive).

    Returns:
        ``(x, y)`` in metres (x = easting, y = northing), e.g. (700000, 6600000) at 46.5 N 3 E.
    """
    phi = np.radians(np.asarray(lat, dtype=float))
    theta = _N * (np.radians(np.asarray(lon, dtype=float)) - _LAM0)
    rho = _AF * _t(phi) ** _N
    return _X0 + rho * np.sin(theta), _Y0 + _RHO0 - rho * np.cos(theta)


def equirectangular(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Local equirectangular projection around the points' mean latitude and longitude, km (origin there)."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    lat0, lon0 = float(lat.mean()), float(lon.mean())
    x = EARTH_KM * np.radians(lon - lon0) * math.cos(math.radians(lat0))
    return x, EARTH_KM * np.radians(lat - lat0)


def _xyz_km(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    """Points on the sphere (km): chord distances, valid everywhere (metropolitan France and overseas)."""
    la, lo = np.radians(lat), np.radians(lon)
    return EARTH_KM * np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


def is_overseas(dep: str) -> bool:
    """Overseas departements (971-976): outside Lambert-93."""
    return dep.startswith("97")


# --------------------------------------------------------------------------------------------------
# Zone kinds
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class KindRules:
    """Thresholds of :func:`zone_kinds` (module docstring)."""

    centre_density: float = 4000.0  # inhabitants / km2 above which a commune is centre
    centre_town_inhabitants: int = 20_000  # or a town of at least this many inhabitants ...
    centre_town_density: float = 500.0  # ... and at least this density, inhabitants / km2 ...
    centre_town_km: float = 10.0  # ... and no more populous commune within this distance, km (the main town)
    urban_inhabitants: int = 4000  # urban: at least this many inhabitants ...
    urban_density: float = 1500.0  # ... or at least this density, inhabitants / km2
    periurban_km: float = 15.0  # periurban: a centre or urban commune within this distance, km


def zone_kinds(
    inhabitants: np.ndarray, area_km2: np.ndarray, xyz_km: np.ndarray, rules: KindRules | None = None
) -> np.ndarray:
    """Kind of every commune from its inhabitants, area and position (rules in the module docstring).

    Args:
        inhabitants: inhabitants per commune.
        area_km2: area per commune, km2 (NaN: unknown, then density rules do not apply).
        xyz_km: positions as 3-D points (``n x 3``, km), e.g. on the sphere, for the periurban distance.
        rules: thresholds (default :class:`KindRules`).

    Returns:
        An array of ``centre``, ``urban``, ``periurban``, ``rural``.
    """
    r = rules or KindRules()
    pop = np.asarray(inhabitants, dtype=float)
    area = np.asarray(area_km2, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        d = np.where(area > 0, pop / area, np.nan)
    town = np.flatnonzero((pop >= r.centre_town_inhabitants) & (d >= r.centre_town_density))
    main = np.zeros(len(pop), dtype=bool)
    if len(town):
        # the main town of its area: no more populous commune (of any size) within centre_town_km
        near = cKDTree(xyz_km).query_ball_point(xyz_km[town], r=r.centre_town_km)
        main[town] = [pop[i] >= pop[nb].max() for i, nb in zip(town, near, strict=True)]
    centre = (d >= r.centre_density) | main
    urban = ~centre & ((pop >= r.urban_inhabitants) | (d >= r.urban_density))
    kind = np.full(len(pop), "rural", dtype=object)
    towns = centre | urban
    if towns.any() and (~towns).any():
        dist, _ = cKDTree(xyz_km[towns]).query(xyz_km[~towns], k=1)
        rest = np.flatnonzero(~towns)
        kind[rest[dist <= r.periurban_km]] = "periurban"
    kind[urban] = "urban"
    kind[centre] = "centre"
    return kind.astype(str)


# --------------------------------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FranceRules:
    """Every rule of :func:`load_france` (module docstring), with its default."""

    adult_share: float = 0.82  # adults / inhabitants; the Nièvre's (INSEE RP2021); France ~0.79
    kinds: KindRules = field(default_factory=KindRules)
    places: PlaceRules = field(default_factory=lambda: PlaceRules(post_offices=False))
    dense_office_adults: int = 30_000  # rule 2
    dense_office_providers: tuple[str, ...] = ("caf", "cpam", "france_travail", "dgfip")
    office_adults_per_counter: float = 15_000.0  # rule 3
    office_counters_max: int = 12
    adults_per_building: dict[str, tuple[float, tuple[str, ...]]] = field(
        default_factory=lambda: {
            # origin: (adults per building, zone kinds where the rule applies); rule 4
            "school": (3_000.0, ("centre", "urban", "periurban", "rural")),
            "library": (30_000.0, ("centre", "urban", "periurban", "rural")),
            "coworking": (10_000.0, ("centre", "urban")),
            "community_centre": (30_000.0, ("centre", "urban")),
            "fab_lab": (150_000.0, ("centre",)),
        }
    )
    post_office_adults_per_counter: float = 4_000.0  # rule 5
    post_office_counters_max: int = 8
    relay_opening: str = "Mon-Sat AM PM"  # rule 7
    relay_area_m2: float = 30.0
    include_shop_relays: bool = True
    fs_default_opening: str = "Mon-Fri AM PM"  # rule 8


# The rule's place of each kind of building (generate_places rules 5-9), copied by rule 4.
_BUILDINGS: dict[str, tuple[str, str, str, str, str]] = {
    # origin: (id prefix, name, operator, opening, capacity field of PlaceRules or "")
    "school": ("sch", "Primary school", "public", "Mon Tue Thu Fri AM PM; Wed AM", ""),
    "library": ("lib", "Library", "public", "Tue-Sat PM; Wed AM; Sat AM", ""),
    "coworking": ("cw", "Coworking", "private", "Mon-Fri AM PM", "coworking_desks"),
    "community_centre": (
        "cc",
        "Community centre",
        "association",
        "Tue Thu EV; Sat PM",
        "community_centre_seats",
    ),
    "fab_lab": ("fab", "Fab lab", "association", "Wed PM EV; Thu EV; Sat AM PM", "fab_lab_seats"),
}


# --------------------------------------------------------------------------------------------------
# National data, read once per folder
# --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _National:
    communes: pd.DataFrame  # the extract's communes, sorted by code, index = position
    xyz_km: np.ndarray
    fs: pd.DataFrame
    laposte: pd.DataFrame
    deps: tuple[str, ...]


@functools.lru_cache(maxsize=4)
def _national(data_dir: str) -> _National:
    t = read_extract(data_dir)
    c = t["communes"].sort_values("insee_com").reset_index(drop=True)
    xyz = _xyz_km(c["lat"].to_numpy(float), c["lon"].to_numpy(float))
    deps = tuple(sorted(c["insee_dep"].unique(), key=lambda d: (len(d), d)))
    return _National(communes=c, xyz_km=xyz, fs=t["france_services"], laposte=t["laposte"], deps=deps)


@functools.lru_cache(maxsize=8)
def _kinds(data_dir: str, rules: KindRules) -> np.ndarray:
    nat = _national(data_dir)
    c = nat.communes
    return zone_kinds(c["inhabitants"].to_numpy(), c["area_km2"].to_numpy(), nat.xyz_km, rules)


# --------------------------------------------------------------------------------------------------
# Selection
# --------------------------------------------------------------------------------------------------
def _as_list(value: Any) -> list[Any]:
    if isinstance(value, str | int | np.integer):
        return [value]
    return list(value)


def _dep_code(v: Any) -> str:
    s = str(v).strip().upper()
    return s.zfill(2) if s.isdigit() else s


def _commune_code(v: Any) -> str:
    s = str(v).strip().upper()
    return s.zfill(5) if s.isdigit() else s


def _select(nat: _National, departements: Any, communes: Any) -> tuple[np.ndarray, str, list[str], list[str]]:
    """Rows of the selected zones, the config key used, the departement codes and notes.

    Raises:
        ConfigError: both or neither given, empty, unknown codes.
    """
    if (departements is None) == (communes is None):
        raise ConfigError(
            KEY_DEPS,
            "give territory.departements (INSEE codes, e.g. [58]) or territory.communes (INSEE codes of "
            "communes), " + ("not both" if departements is not None else "none was given"),
        )
    c = nat.communes
    notes: list[str] = []
    if departements is not None:
        codes = list(dict.fromkeys(_dep_code(v) for v in _as_list(departements)))
        if not codes:
            raise ConfigError(KEY_DEPS, "empty selection; give at least one departement code, e.g. [58]")
        for code in codes:
            if code not in nat.deps:
                hint = " (Corsica is 2A and 2B)" if code == "20" else ""
                raise ConfigError(
                    KEY_DEPS,
                    f"unknown departement code {code!r}{hint}; expected INSEE codes such as 01, 2A, 58, 69, 75, "
                    f"971 ({len(nat.deps)} codes: {nat.deps[0]}-95 with 2A and 2B, 971-976)",
                )
        rows = np.flatnonzero(c["insee_dep"].isin(codes).to_numpy())
        return rows, KEY_DEPS, codes, notes
    wanted = list(dict.fromkeys(_commune_code(v) for v in _as_list(communes)))
    if not wanted:
        raise ConfigError(KEY_COMMUNES, "empty selection; give at least one INSEE commune code, e.g. [58194]")
    index = pd.Index(c["insee_com"])
    picked: list[int] = []
    for code in wanted:
        if code in CITY_CODES:
            arm = np.flatnonzero((c["parent"] == code).to_numpy())
            picked.extend(arm.tolist())
            notes.append(f"selection: {code} ({CITY_CODES[code]}) stands for its {len(arm)} arrondissements")
            continue
        pos = index.get_indexer([code])[0]
        if pos < 0:
            raise ConfigError(
                KEY_COMMUNES,
                f"unknown commune code {code!r}; expected a 5-character INSEE code of a commune of 2021 (e.g. "
                "58194 for Nevers), of an arrondissement of Paris, Lyon or Marseille (75111, 69383, 13201) or "
                "their city code (75056, 69123, 13055)",
            )
        picked.append(int(pos))
    rows = np.array(sorted(set(picked)), dtype=np.int64)
    deps = sorted(set(c["insee_dep"].to_numpy()[rows]), key=lambda d: (len(d), d))
    return rows, KEY_COMMUNES, deps, notes


# --------------------------------------------------------------------------------------------------
# France Services sites
# --------------------------------------------------------------------------------------------------
def fs_sites(
    fs: pd.DataFrame, year: int, zone_ids: Iterable[str], rules: FranceRules | None = None
) -> tuple[pd.DataFrame, list[str]]:
    """The France Services sites of ``year`` in the given zones with their parsed opening, and notes.

    Returns:
        ``(sites, notes)``: sites with columns ``site_id, zone_id, name, opening`` (int mask), ``branch``,
        ``mobile``; notes name every cell not fully read (``unreadable: ...``), every site given the default
        week (``no hours: ...``) and every mobile site (``note: ...``).
    """
    rules = rules or FranceRules()
    y = fs[(fs["year"] == year) & fs["insee_com"].isin(set(zone_ids))]
    default = parse_timetable(rules.fs_default_opening)
    rows, notes = [], []
    for s in y.itertuples(index=False):
        days, read = [], []
        for d, col in enumerate(FS_DAY_COLUMNS):
            text = getattr(s, col)
            if year == 2024 and not text.strip():
                text = "-"  # a blank day is closed in the 2024 list
            bits, ok = parse_fs_hours(text)
            days.append(bits)
            if not ok:
                kept = " ".join(p for i, p in enumerate(PARTS) if bits >> i & 1) or "nothing"
                read.append(
                    f"unreadable: fs_{s.site_id} ({s.name}, {s.insee_com}) {DAYS[d]}: {text!r}; kept: {kept}"
                )
        mask = week_from_days(days)
        if mask:
            notes.extend(read)
        else:  # one note names every text of the week (the cells' own notes would repeat it)
            texts = sorted({getattr(s, c).strip() or "(blank)" for c in FS_DAY_COLUMNS})
            comment = f"; comment: {s.comment!r}" if s.comment else ""
            notes.append(
                f"no hours: fs_{s.site_id} ({s.name}, {s.insee_com}): no open half-day read in the week "
                f"({' | '.join(texts)}{comment}); given the default {rules.fs_default_opening}"
            )
            mask = default
        if s.mobile:
            notes.append(
                f"note: fs_{s.site_id} ({s.name}) is mobile ({s.format}); placed in its commune {s.insee_com}"
            )
        name = s.name if s.name.lower().startswith("france services") else f"France Services {s.name}"
        rows.append(
            {
                "site_id": str(s.site_id),
                "zone_id": str(s.insee_com),
                "name": name,
                "opening": mask,
                "branch": bool(s.branch),
                "mobile": bool(s.mobile),
            }
        )
    cols = ["site_id", "zone_id", "name", "opening", "branch", "mobile"]
    return pd.DataFrame(rows, columns=cols), notes


def fs_places(
    year: Any,
    zones: pd.DataFrame,
    rules: FranceRules | None = None,
    data_dir: str | Path | None = None,
    fs_counters: Mapping[str, float] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The France Services of ``year`` in the zones (INSEE codes) as places, and the notes of :func:`fs_sites`.

    The places are those of rule 8 (ids ``fs_<site id>``, public, the counters that ``PlaceRules.fs_counters``
    gives their zone's kind (``fs_counters`` if given: ``territory.fs_counters``), the partner network's
    mediators, label ``france_services`` except branches), with the rule's mean floor area of their zone's kind
    (no random draw: a scenario adding them leaves every other draw of the run unchanged).

    Raises:
        ConfigError: ``year`` is not a year with a list (key ``territory.france_services``).
    """
    rules = _with_fs_counters(rules or FranceRules(), fs_counters)
    y = _year(year)
    folder = str(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)
    sites, notes = fs_sites(_national(folder).fs, y, zones["zone_id"].astype(str), rules)
    kind_of = dict(zip(zones["zone_id"].astype(str), zones["kind"], strict=True))
    pr = rules.places
    records = []
    for s in sites.itertuples(index=False):
        mask = int(s.opening)
        records.append(
            {
                "place_id": f"fs_{s.site_id}",
                "zone_id": s.zone_id,
                "name": s.name,
                "origin": "france_services",
                "operator": "public",
                "area_m2": float(pr.area_m2["france_services"][kind_of[s.zone_id]]),
                "desks": 0,
                "counters": int(pr.fs_counters[kind_of[s.zone_id]]),
                "workshop_seats": 0,
                "opening": mask,
                "opening_work": 0,
                "opening_mediation": mask,
                "opening_workshop": 0,
                "offhours": 0,
                "network": True,
                "permanences": {},
                "price_day_eur": math.nan,
                "price_month_eur": math.nan,
                "label": "" if s.branch else NETWORK_ID,
            }
        )
    return places_frame(records), notes


def french_zone_share(zones: pd.DataFrame, data_dir: str | Path | None = None) -> float:
    """The share of the zones whose id is a zone of the national extract (an INSEE commune or arrondissement)."""
    folder = str(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)
    known = set(_national(folder).communes["insee_com"])
    ids = zones["zone_id"].astype(str)
    return float(ids.isin(known).mean()) if len(ids) else 0.0


# --------------------------------------------------------------------------------------------------
# Places
# --------------------------------------------------------------------------------------------------
def _dep_seed(dep: str) -> int:
    """The place draws' seed of a departement: its number (58 for the Nièvre), 201/202 for 2A/2B."""
    return int(dep) if dep.isdigit() else {"2A": 201, "2B": 202}[dep]


class _Adder:
    """Appends place records with the dtypes and defaults of generate_places."""

    def __init__(self, rules: PlaceRules, rng: np.random.Generator) -> None:
        self.rules = rules
        self.rng = rng
        self.records: list[dict[str, Any]] = []

    def area(self, origin: str, kind: str, extra: float = 0.0) -> float:
        base = self.rules.area_m2[origin][kind] + extra
        return float(5 * round(base * self.rng.uniform(0.85, 1.15) / 5))

    def add(
        self,
        pid: str,
        zone_id: str,
        name: str,
        origin: str,
        operator: str,
        opening: str,
        area_m2: float,
        desks: int = 0,
        counters: int = 0,
        seats: int = 0,
        providers: Sequence[str] = (),
    ) -> None:
        self.records.append(
            place_record(
                pid, zone_id, name, origin, operator, opening, area_m2, desks, counters, seats, providers
            )
        )


def france_places(
    zones: pd.DataFrame,
    zone_deps: Sequence[str],
    sites: pd.DataFrame,
    laposte: pd.DataFrame,
    provider_ids: Sequence[str],
    rules: FranceRules | None = None,
) -> pd.DataFrame:
    """The places of a French selection by the rules of the module docstring.

    Args:
        zones: the zones table (docs/INTERFACES.md).
        zone_deps: the departement of each zone (same order).
        sites: France Services sites (:func:`fs_sites`).
        laposte: La Poste points of the zones (columns ``site_id, kind, insee_com, name``).
        provider_ids: the run's providers.
        rules: the rules (default :class:`FranceRules`).

    Returns:
        The places table (docs/INTERFACES.md).
    """
    rules = rules or FranceRules()
    pr = replace(rules.places, post_offices=False)
    providers = list(provider_ids)
    postal = [POSTAL_PROVIDER] if POSTAL_PROVIDER in providers else []
    deps = np.asarray(zone_deps)
    frames = []
    for dep in sorted(set(deps), key=lambda d: (len(d), d)):
        zg = zones[deps == dep].reset_index(drop=True)
        rng = np.random.default_rng(_dep_seed(dep))
        ids = set(zg["zone_id"])
        sg = sites[sites["zone_id"].isin(ids)]
        base = generate_places(zg, providers, sg[["site_id", "zone_id", "name", "opening"]], rng, pr)
        branch_ids = {f"fs_{s}" for s in sg.loc[sg["branch"], "site_id"]}
        base.loc[base["place_id"].isin(branch_ids), "label"] = ""
        frames.append(
            _dep_extras(zg, base, laposte[laposte["insee_com"].isin(ids)], providers, postal, rules, rng)
        )
    if not frames:
        return places_frame([])
    return pd.concat(frames, ignore_index=True)


def _dep_extras(
    zg: pd.DataFrame,
    base: pd.DataFrame,
    lp: pd.DataFrame,
    providers: list[str],
    postal: list[str],
    rules: FranceRules,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Rules 1-7 of the module docstring on one departement's places (``base``, from generate_places)."""
    pr = rules.places
    add = _Adder(pr, rng)
    places = base.copy()
    centre_id = str(zg.iloc[centre_index(zg)]["zone_id"])
    count = places.groupby(["zone_id", "origin"]).size().to_dict()
    office_of = set(zip(places["zone_id"], places["place_id"], strict=True))
    for z in zg.itertuples(index=False):
        zid, adults, kind = str(z.zone_id), int(z.population), str(z.kind)
        # 1. centre zones other than the departement's centre count as urban for coworking and community centres
        if kind == "centre" and zid != centre_id:
            if adults >= pr.coworking_adults and not count.get((zid, "coworking")):
                add.add(f"cw_{zid}_1", zid, f"Coworking, {z.name}", "coworking", "private", "Mon-Fri AM PM",
                        add.area("coworking", kind), desks=pr.coworking_desks)  # fmt: skip
                count[(zid, "coworking")] = 1
            if not count.get((zid, "community_centre")):
                add.add(f"cc_{zid}", zid, f"Community centre, {z.name}", "community_centre", "association",
                        "Tue Thu EV; Sat PM", add.area("community_centre", kind),
                        seats=pr.community_centre_seats)  # fmt: skip
                count[(zid, "community_centre")] = 1
        # 2. dense offices
        if kind in ("centre", "urban") and adults >= rules.dense_office_adults:
            for p in rules.dense_office_providers:
                pid = f"off_{p}_{zid}"
                if p in providers and (zid, pid) not in office_of:
                    c = int(
                        rng.integers(pr.secondary_office_counters[0], pr.secondary_office_counters[1] + 1)
                    )
                    add.add(pid, zid, f"{p} office, {z.name}", "provider_office", "public", "Mon-Fri AM PM",
                            add.area("provider_office", kind, pr.m2_per_counter * c), counters=c,
                            providers=[p])  # fmt: skip
        # 4. buildings scale with adults
        for origin, (per, kinds) in rules.adults_per_building.items():
            if kind not in kinds:
                continue
            have = count.get((zid, origin), 0)
            want = int(adults // per)
            prefix, label, operator, opening, cap = _BUILDINGS[origin]
            n = getattr(pr, cap) if cap else 0
            for k in range(have + 1, want + 1):
                pid = f"{prefix}_{zid}_{k}"
                add.add(pid, zid, f"{label} {k}, {z.name}", origin, operator, opening, add.area(origin, kind),
                        desks=n if origin == "coworking" else 0,
                        seats=n if origin in ("community_centre", "fab_lab") else 0)  # fmt: skip
    # 5. real post offices, 7. shop relays
    kind_of = dict(zip(zg["zone_id"], zg["kind"], strict=True))
    adults_of = dict(zip(zg["zone_id"], zg["population"], strict=True))
    name_of = dict(zip(zg["zone_id"], zg["name"], strict=True))
    offices = lp[lp["kind"] == "post_office"].sort_values("site_id")
    for zid, grp in offices.groupby("insee_com", sort=True):
        kind = kind_of[zid]
        town = kind in ("centre", "urban")
        each = 2 if town else 1
        need = math.ceil(adults_of[zid] / rules.post_office_adults_per_counter)
        n = len(grp)
        total = max(each * n, need)
        for i, s in enumerate(grp.itertuples(index=False)):
            c = min(rules.post_office_counters_max, max(each, total // n + (1 if i < total % n else 0)))
            add.add(f"po_{s.site_id}", zid, f"Post office {s.name.title()}", "post_office", "public",
                    "Mon-Fri AM PM; Sat AM" if town else "Mon-Fri AM; Sat AM", add.area("post_office", kind),
                    counters=c, providers=postal)  # fmt: skip
    if rules.include_shop_relays:
        for s in lp[lp["kind"] == "shop_relay"].sort_values("site_id").itertuples(index=False):
            add.add(f"rp_{s.site_id}", s.insee_com, f"La Poste relay {s.name.title()}", "post_office", "private",
                    rules.relay_opening, rules.relay_area_m2, counters=1, providers=postal)  # fmt: skip
    places = pd.concat([places, places_frame(add.records)], ignore_index=True)
    # 3. provider offices' counters scale with their zone's adults
    off = (places["origin"] == "provider_office").to_numpy()
    if off.any():
        zone_adults = places.loc[off, "zone_id"].map(adults_of).to_numpy(float)
        want = np.minimum(np.ceil(zone_adults / rules.office_adults_per_counter), rules.office_counters_max)
        old = places.loc[off, "counters"].to_numpy()
        new = np.maximum(old, want.astype(np.int64))
        places.loc[off, "area_m2"] = places.loc[off, "area_m2"].to_numpy() + pr.m2_per_counter * (new - old)
        places.loc[off, "counters"] = new
    # 6. La Poste agencies: counters run by the town hall
    agencies = lp[lp["kind"].isin(["communal_agency", "intercommunal_agency"])]
    if len(agencies) and postal:
        n_ag = agencies.groupby("insee_com").size()
        rows = places.index[(places["origin"] == "town_hall") & places["zone_id"].isin(n_ag.index)]
        for r in rows:
            zid = places.at[r, "zone_id"]
            places.at[r, "counters"] = max(int(places.at[r, "counters"]), int(n_ag[zid]))
            med = int(places.at[r, "opening_mediation"]) or int(places.at[r, "opening"])
            places.at[r, "opening_mediation"] = med
            places.at[r, "permanences"] = {**places.at[r, "permanences"], POSTAL_PROVIDER: med}
            places.at[r, "name"] = f"Town hall and La Poste agency, {name_of[zid]}"
    return places_frame(places.to_dict("records"))


# --------------------------------------------------------------------------------------------------
# Loader
# --------------------------------------------------------------------------------------------------
def _year(value: Any) -> int:
    try:
        y = int(str(value).strip())
    except ValueError:
        y = None
    if isinstance(value, bool) or y not in FS_YEARS:
        raise ConfigError(
            KEY_YEAR, f"got {value!r}, expected one of {', '.join(map(str, FS_YEARS))} (the committed lists)"
        )
    return y


_BUILT: collections.OrderedDict[str, Territory] = collections.OrderedDict()
_BUILT_MAX = 4  # territories kept per process: an experiment's jobs in one worker share their territory


def load_france(
    departements: Any = None,
    communes: Any = None,
    france_services_year: Any = 2020,
    provider_ids: Sequence[str] | None = None,
    data_dir: str | Path | None = None,
    rules: FranceRules | None = None,
    car_share: Mapping[str, float] | None = None,
    name: str | None = None,
    fs_counters: Mapping[str, float] | None = None,
) -> Territory:
    """A French territory from the committed extract (module docstring: zones, kinds, places).

    Args:
        departements: INSEE departement codes (``[58]``, ``["2A", 69]``); exclusive with ``communes``.
        communes: INSEE commune codes (``["58194", 69123]``; a city code stands for its arrondissements).
        france_services_year: 2020 or 2024: which list of France Services.
        provider_ids: the run's providers (default: those of ``simulation.core.config``).
        data_dir: the extract's folder (default ``data/france`` of the repository).
        rules: every rule (default :class:`FranceRules`).
        car_share: car ownership by zone kind (default: ``territory.car_share``'s defaults).
        name: the territory's name (default ``france-<departements>`` or ``france-communes``).
        fs_counters: counters of a France Services site by zone kind (default: ``territory.fs_counters``'s
            defaults, those of :class:`PlaceRules`).

    Returns:
        The territory; its notes list every opening-hours cell not fully read, every France Services given the
        default week, every mobile site.

    Raises:
        ConfigError: both or neither of ``departements`` and ``communes``, an empty selection, an unknown
            code, a year without a list, a selection without inhabitants or mixing metropolitan and overseas
            zones.
        InputFileError: the extract is missing.
    """
    # The build is deterministic (its only draws come from per-departement seeds) and takes seconds: keep the
    # last few per process, and hand out copies, since a scenario changes its run's places.
    rules = _with_fs_counters(rules or FranceRules(), fs_counters)
    key = repr((departements, communes, france_services_year, provider_ids, data_dir, rules, car_share, name))
    if key not in _BUILT:
        _BUILT[key] = _build_france(
            departements, communes, france_services_year, provider_ids, data_dir, rules, car_share, name
        )
        while len(_BUILT) > _BUILT_MAX:
            _BUILT.popitem(last=False)
    _BUILT.move_to_end(key)
    t = _BUILT[key]
    places = t.places.copy()
    places["permanences"] = [copy.deepcopy(v) for v in places["permanences"]]  # dicts: a copy of each
    return Territory(t.name, t.zones.copy(), places, list(t.notes))


def _with_fs_counters(rules: FranceRules, fs_counters: Mapping[str, float] | None) -> FranceRules:
    """``rules`` with France Services counters by zone kind (``territory.fs_counters``), if given."""
    if fs_counters is None:
        return rules
    counts = {k: int(v) for k, v in fs_counters.items()}
    return replace(rules, places=replace(rules.places, fs_counters=counts))


def _build_france(
    departements: Any,
    communes: Any,
    france_services_year: Any,
    provider_ids: Sequence[str] | None,
    data_dir: str | Path | None,
    rules: FranceRules | None,
    car_share: Mapping[str, float] | None,
    name: str | None,
) -> Territory:
    """:func:`load_france` without the cache."""
    rules = rules or FranceRules()
    providers = list(provider_ids) if provider_ids is not None else [p.id for p in _default_providers()]
    year = _year(france_services_year)
    folder = str(Path(data_dir).resolve() if data_dir is not None else DATA_DIR)
    nat = _national(folder)
    rows, key, deps, notes = _select(nat, departements, communes)
    c = nat.communes.iloc[rows]
    kinds = _kinds(folder, rules.kinds)[rows]
    zdeps = c["insee_dep"].to_numpy()
    overseas = {d for d in zdeps if is_overseas(d)}
    if overseas and (len(overseas) > 1 or len(overseas) < len(set(zdeps))):
        raise ConfigError(
            key,
            f"the selection mixes departements {', '.join(deps)}: metropolitan France and an overseas "
            "departement, or two overseas departements, cannot share one plane; load them separately",
        )
    inhabitants = c["inhabitants"].to_numpy(np.int64)
    if inhabitants.sum() == 0:
        raise ConfigError(
            key,
            f"the selection ({', '.join(deps)}) has no inhabitants in the extract (Mayotte, 976, has no 2021 "
            "census figures per commune)",
        )
    lat, lon = c["lat"].to_numpy(float), c["lon"].to_numpy(float)
    if overseas:
        x, y = equirectangular(lat, lon)
        notes.append(
            f"positions: equirectangular projection around the selection's mean position ({deps[0]})"
        )
    else:
        xm, ym = lambert93(lat, lon)
        x, y = xm / 1000.0, ym / 1000.0
    shares = dict(car_share) if car_share is not None else TerritoryConfig().car_share
    zones = zones_frame(
        [
            {
                "zone_id": z,
                "name": n,
                "x_km": float(x[i]),
                "y_km": float(y[i]),
                "population": int(round(inhabitants[i] * rules.adult_share)),
                "kind": kinds[i],
                "jobs": math.nan,
                "car_share": float(shares[kinds[i]]),
                "area_km2": float(a),
            }
            for i, (z, n, a) in enumerate(zip(c["insee_com"], c["name"], c["area_km2"], strict=True))
        ]
    )
    sites, fs_notes = fs_sites(nat.fs, year, zones["zone_id"], rules)
    lp = nat.laposte[nat.laposte["insee_com"].isin(set(zones["zone_id"]))]
    places = france_places(zones, zdeps, sites, lp, providers, rules)
    label = ",".join(deps) if key == KEY_DEPS else f"{len(zones)} communes"
    n_fs = int((places["origin"] == "france_services").sum())
    head = (
        f"France ({label}): {len(zones)} zones, {int(zones['population'].sum()):,} adults, {len(places)} places, "
        f"{n_fs} France Services of {year}; built from data/france (see its SOURCES.md)"
    )
    empty = int((zones["population"] == 0).sum())
    if empty:
        notes.append(f"{empty} zones have no adults (communes without inhabitants in the 2021 census)")
    return Territory(
        name=name or (f"france-{'-'.join(deps)}" if key == KEY_DEPS else "france-communes"),
        zones=zones,
        places=places,
        notes=[head, *notes, *fs_notes],
    )


def places_per_10k_adults(territory: Territory) -> pd.DataFrame:
    """Places and counters per 10,000 adults by zone kind (a check of the rules' densities).

    Returns:
        One row per zone kind (and ``all``): ``zones``, ``adults``, then per origin the number of places per
        10,000 adults, and ``counters_postal`` / ``counters_other`` (counters serving ``la_poste`` or
        another provider or the network) per 10,000 adults.
    """
    z, p = territory.zones, territory.places
    kind_of = z.set_index("zone_id")["kind"]
    p = p.assign(kind=p["zone_id"].map(kind_of))
    postal = p["permanences"].map(lambda d: POSTAL_PROVIDER in d).to_numpy()
    other = (p["network"] | p["permanences"].map(lambda d: any(k != POSTAL_PROVIDER for k in d))).to_numpy()
    rows = []
    for kind in [*sorted(z["kind"].unique(), key=["centre", "urban", "periurban", "rural"].index), "all"]:
        zk = z if kind == "all" else z[z["kind"] == kind]
        sel = np.ones(len(p), bool) if kind == "all" else (p["kind"] == kind).to_numpy()
        adults = int(zk["population"].sum())
        per = 1e4 / adults if adults else math.nan
        row: dict[str, Any] = {"kind": kind, "zones": len(zk), "adults": adults}
        for origin, n in p[sel]["origin"].value_counts().items():
            row[origin] = round(n * per, 2)
        row["counters_postal"] = round(float(p.loc[sel & postal, "counters"].sum()) * per, 2)
        row["counters_other"] = round(float(p.loc[sel & other, "counters"].sum()) * per, 2)
        rows.append(row)
    return pd.DataFrame(rows).fillna(0.0)


__all__ = [
    "CITY_CODES",
    "DATA_DIR",
    "FS_YEARS",
    "FranceRules",
    "KindRules",
    "NETWORK_ID",
    "equirectangular",
    "france_places",
    "french_zone_share",
    "fs_places",
    "fs_sites",
    "lambert93",
    "load_france",
    "places_per_10k_adults",
    "read_extract",
    "write_extract",
    "zone_kinds",
]


@register("france")
def _from_config(tcfg: TerritoryConfig, provider_ids: Sequence[str], rng: np.random.Generator) -> Territory:
    """``territory=france``: ``territory.departements`` or ``territory.communes`` and ``territory.france_services``.

    The places' draws use each departement's own seed (module docstring), not the territory stream, so that a
    departement's places are the same whatever else is selected.
    """
    return load_france(
        departements=list(tcfg.departements) or None,
        communes=list(tcfg.communes) or None,
        france_services_year=tcfg.france_services,
        provider_ids=provider_ids,
        car_share=tcfg.car_share,
        fs_counters=tcfg.fs_counters,
    )
