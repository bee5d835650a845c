"""Any French territory from the committed national extract (territory source france, scripts/build_france.py)."""

from __future__ import annotations

import importlib.util
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.core.config import _default_providers
from simulation.core.errors import ConfigError, InputFileError
from simulation.core.timetable import parse_fs_hours, parse_timetable
from simulation.scenarios.selectors import select_zones, zone_selector
from simulation.territory.rules import centre_index, city_of
from simulation.territory.sources.france import (
    FS_DAY_COLUMNS,
    KindRules,
    equirectangular,
    fs_places,
    fs_sites,
    lambert93,
    load_france,
    read_extract,
    zone_kinds,
)

REPO = Path(__file__).resolve().parents[1]
SOURCE = REPO.parent / "shared" / "data" / "france"
PROVIDERS = [p.id for p in _default_providers()]
IDF = [75, 77, 78, 91, 92, 93, 94, 95]


@pytest.fixture(scope="module")
def extract() -> dict[str, pd.DataFrame]:
    return read_extract()


@pytest.fixture(scope="module")
def nievre() -> object:
    return load_france(departements=[58], france_services_year=2020)


@pytest.fixture(scope="module")
def paris() -> object:
    return load_france(departements=[75], france_services_year=2024)


# --------------------------------------------------------------------------------------------------
# Projection
# --------------------------------------------------------------------------------------------------
# Reference values: PROJ 9.8.1 (pyproj 3.8.0), EPSG:4326 -> EPSG:2154, computed once outside the project.
# The first point is the proj4php test point (its published Lambert-93 values agree to 1 cm).
PROJ_POINTS = [
    # lat, lon, x (m), y (m)
    (46.5, 3.0, 700000.0, 6600000.0),
    (48.831938, 2.355781, 652709.393, 6859290.940),
    (46.9896, 3.159, 712084.171, 6654387.908),
    (48.3904, -4.4861, 146632.979, 6836262.327),
    (48.5734, 7.7521, 1050362.695, 6840899.647),
    (41.9192, 8.7386, 1176667.561, 6108273.283),
    (51.0344, 2.3768, 656187.517, 7104472.924),
    (42.6887, 2.8948, 691368.107, 6176570.588),
]


def test_lambert93_matches_proj() -> None:
    lat, lon, x, y = (np.array(c) for c in zip(*PROJ_POINTS, strict=True))
    px, py = lambert93(lat, lon)
    # PROJ and these formulas are the same closed form; 1 cm allows for the references' rounding (1 mm).
    np.testing.assert_allclose(px, x, atol=0.01)
    np.testing.assert_allclose(py, y, atol=0.01)


def _meridian_scale(lat: float) -> float:
    """Scale factor of Lambert-93 along the meridian 3 E at ``lat``: projected length / ellipsoidal length."""
    a, f = 6378137.0, 1 / 298.257222101
    e2 = 2 * f - f * f
    dphi = 1e-6
    phi = math.radians(lat)
    m = a * (1 - e2) / (1 - e2 * math.sin(phi) ** 2) ** 1.5  # meridian radius of curvature
    _, y0 = lambert93(np.array(lat - math.degrees(dphi) / 2), np.array(3.0))
    _, y1 = lambert93(np.array(lat + math.degrees(dphi) / 2), np.array(3.0))
    return float(y1 - y0) / (m * dphi)


def test_lambert93_scale_is_one_on_the_standard_parallels() -> None:
    # The defining property of the secant cone: scale 1 on 44 N and 49 N, 0.99905103 on the origin's 46.5 N
    # (IGN's published scale factor at the origin); the finite difference is exact to ~1e-9.
    assert _meridian_scale(44.0) == pytest.approx(1.0, abs=1e-7)
    assert _meridian_scale(49.0) == pytest.approx(1.0, abs=1e-7)
    assert _meridian_scale(46.5) == pytest.approx(0.99905103, abs=1e-7)


def test_equirectangular_distances_within_half_a_percent() -> None:
    # Two points 100 km apart in La Réunion (overseas: no Lambert-93); great-circle distance by haversine.
    lat, lon = np.array([-20.9, -21.35, -21.0]), np.array([55.2, 55.75, 55.6])
    x, y = equirectangular(lat, lon)
    la, lo = np.radians(lat), np.radians(lon)
    for i, j in ((0, 1), (0, 2), (1, 2)):
        h = (
            np.sin((la[j] - la[i]) / 2) ** 2
            + np.cos(la[i]) * np.cos(la[j]) * np.sin((lo[j] - lo[i]) / 2) ** 2
        )
        gc = 2 * 6371.0088 * np.arcsin(np.sqrt(h))
        assert math.hypot(x[j] - x[i], y[j] - y[i]) == pytest.approx(gc, rel=0.005)


# --------------------------------------------------------------------------------------------------
# Kinds
# --------------------------------------------------------------------------------------------------
def _xyz(x_km: list[float]) -> np.ndarray:
    return np.column_stack([x_km, np.zeros(len(x_km)), np.zeros(len(x_km))])


def test_zone_kinds_rules() -> None:
    # 0: dense (5,000/km2) small suburb -> centre; 1: main town 25 k at 1,000/km2 -> centre;
    # 2: 30 k at 1,000/km2 but 5 km from a more populous commune (3) -> urban (suburb of 3);
    # 3: 60 k at 800/km2 -> centre (main town); 4: 3,000 at 2,000/km2 -> urban (dense);
    # 5: 4,000 at 50/km2 -> urban (size); 6: village 14 km from 5 -> periurban; 7: village 16 km from 5 -> rural;
    # 8: no area (unknown density), 500 inhabitants, far -> rural.
    pop = np.array([10_000, 25_000, 30_000, 60_000, 3_000, 4_000, 300, 300, 500])
    area = np.array([2.0, 25.0, 30.0, 75.0, 1.5, 80.0, 10.0, 10.0, np.nan])
    x = [0.0, 100.0, 300.0, 305.0, 500.0, 700.0, 714.0, 684.0 - 0.001, 2000.0]
    kinds = zone_kinds(pop, area, _xyz(x))
    assert list(kinds) == [
        "centre",
        "centre",
        "urban",
        "centre",
        "urban",
        "urban",
        "periurban",
        "rural",
        "rural",
    ]
    # The thresholds are parameters: a stricter density makes commune 0 urban only.
    kinds = zone_kinds(pop, area, _xyz(x), KindRules(centre_density=6000.0))
    assert kinds[0] == "urban" and kinds[1] == "centre"


def test_kinds_of_real_communes() -> None:
    t = load_france(departements=[58, 69, 75])
    kind = t.zones.set_index("zone_id")["kind"]
    assert kind["75111"] == "centre"  # Paris 11e: 38,900 inhabitants / km2
    assert (kind[kind.index.str.startswith("75")] == "centre").all()
    assert kind["69266"] == "centre"  # Villeurbanne: 10,800 / km2
    assert kind["69290"] == "urban"  # Saint-Priest: 49 k, 1,640 / km2, 8 km from Lyon 8e (more populous)
    assert kind["69127"] == "periurban"  # Marcy-l'Étoile, 3,600 inhabitants west of Lyon
    assert kind["58194"] == "centre"  # Nevers: the main town of its area
    assert kind["58086"] == "urban"  # Cosne-Cours-sur-Loire: 9,400 inhabitants
    assert kind["58001"] == "rural"  # Achun: 160 inhabitants in the Morvan


# --------------------------------------------------------------------------------------------------
# Selections, counts, populations
# --------------------------------------------------------------------------------------------------
# Measured on the extract (data/france/SOURCES.md, "Checks"); the README of the reference data gives the same
# zone counts and 12.3 M / 1.9 M inhabitants.
@pytest.mark.parametrize(
    ("deps", "n_zones", "inhabitants"),
    [([58], 309, 202_417), ([69], 274, 1_893_692), (IDF, 1_286, 12_317_279)],
)
def test_counts_and_populations(
    extract: dict[str, pd.DataFrame], deps: list[int], n_zones: int, inhabitants: int
) -> None:
    t = load_france(departements=deps)
    z = t.zones
    assert len(z) == n_zones and z["zone_id"].is_unique
    inh = extract["communes"].set_index("insee_com").loc[z["zone_id"], "inhabitants"]
    assert int(inh.sum()) == inhabitants
    # adults = round(0.82 x inhabitants) commune by commune
    assert (z["population"].to_numpy() == np.round(inh.to_numpy() * 0.82)).all()
    assert z["kind"].isin(["centre", "urban", "periurban", "rural"]).all()
    share = {"centre": 0.75, "urban": 0.85, "periurban": 0.92, "rural": 0.93}  # territory.car_share defaults
    assert (z["kind"].map(share) == z["car_share"]).all()


def test_paris_is_its_arrondissements(paris: object) -> None:
    z = paris.zones
    assert len(z) == 20 and "75056" not in set(z["zone_id"])
    assert sorted(z["zone_id"]) == [f"751{i:02d}" for i in range(1, 21)]
    # Lambert-93 km: Paris is around (652, 6862); its arrondissements are within 10 km of each other
    assert z["x_km"].between(640, 665).all() and z["y_km"].between(6855, 6870).all()


def test_city_codes_stand_for_arrondissements() -> None:
    t = load_france(communes=["69123", 69266])
    assert len(t.zones) == 10 and set(t.zones["zone_id"]) >= {"69381", "69389", "69266"}
    assert any("69123 (Lyon) stands for its 9 arrondissements" in n for n in t.notes)
    assert len(load_france(communes=[13055]).zones) == 16


def test_main_centre_groups_a_citys_arrondissements() -> None:
    # Lyon and Villeurbanne: Villeurbanne (about 123,000 adults) is larger than any single arrondissement of Lyon
    # (Lyon 3e: about 84,000), but Lyon's 9 arrondissements together (428,000) are the main town: the centre is
    # Lyon's most populous arrondissement, and the departement's offices sit there, not in Villeurbanne.
    t = load_france(communes=["69123", 69266])
    z = t.zones.reset_index(drop=True)
    pop = z.set_index("zone_id")["population"]
    assert pop["69266"] > pop.drop("69266").max()  # the trap: Villeurbanne is the largest zone
    centre = str(z["zone_id"].iloc[centre_index(z)])
    assert centre == pop.drop("69266").idxmax() == "69383"
    offices = t.places[t.places["origin"] == "provider_office"]
    assert (offices["zone_id"] == "69383").sum() >= len(PROVIDERS) - 1  # one per provider but la_poste
    selected = select_zones(zone_selector({"main_centre": True}, "k"), z, t.places, "k")
    assert list(selected["zone_id"]) == ["69383"]
    # a selection without arrondissements keeps the plain rule; Villeurbanne alone is its own centre
    v = load_france(communes=[69266, 69256]).zones.reset_index(drop=True)
    assert str(v["zone_id"].iloc[centre_index(v)]) == "69266"


def test_france_services_counters_by_zone_kind(nievre: object) -> None:
    # territory.fs_counters (Senate r21-778: 2.2 agents in a rural site, 4.5 in a priority urban district):
    # 4 counters in a centre zone, 2 elsewhere; the Nièvre's 2020 sites are all outside Nevers: 2 each
    fs = nievre.places[nievre.places["origin"] == "france_services"]
    assert len(fs) == 19 and (fs["counters"] == 2).all()
    lyon = load_france(communes=["69123"])
    fs = lyon.places[lyon.places["origin"] == "france_services"]
    assert len(fs) and (fs["counters"] == 4).all()
    custom = {"centre": 5, "urban": 3, "periurban": 2, "rural": 1}
    fs = load_france(communes=["69123"], fs_counters=custom).places.query("origin == 'france_services'")
    assert (fs["counters"] == 5).all()
    added, _ = fs_places(2024, nievre.zones, fs_counters=custom)
    kind = nievre.zones.set_index("zone_id")["kind"]
    assert list(added["counters"]) == [custom[kind[z]] for z in added["zone_id"]]


def test_city_of_maps_arrondissements_to_their_city() -> None:
    ids = [
        "75101",
        "75120",
        "75121",
        "69381",
        "69389",
        "69390",
        "13201",
        "13216",
        "13217",
        "58194",
        "z1",
        69383,
    ]
    assert list(city_of(ids)) == [
        "75056", "75056", "75121", "69123", "69123", "69390", "13055", "13055", "13217", "58194", "z1", "69123",
    ]  # fmt: skip


def test_places_of_the_nievre(nievre: object) -> None:
    p = nievre.places
    assert p["place_id"].is_unique and p["zone_id"].isin(nievre.zones["zone_id"]).all()
    # La Poste (shared/data/README.md): 42 post offices, 81 communal agencies, 13 shop relays
    po = p[(p["origin"] == "post_office") & (p["operator"] == "public")]
    relays = p[(p["origin"] == "post_office") & (p["operator"] == "private")]
    assert len(po) == 42 and po["place_id"].str.startswith("po_").all()
    assert len(relays) == 13 and relays["place_id"].str.startswith("rp_").all()
    th = p[p["origin"] == "town_hall"]
    assert len(th) == 309 and th["zone_id"].is_unique
    assert int(th["permanences"].map(lambda d: "la_poste" in d).sum()) == 81
    assert all(
        d.get("la_poste") == m for d, m in zip(po["permanences"], po["opening_mediation"], strict=True)
    )
    assert not (p["place_id"].str.match(r"po_58\d{3}$")).any()  # no rule-based post office


def test_dense_city_places_scale_with_adults(paris: object) -> None:
    z, p = paris.zones.set_index("zone_id"), paris.places
    offices = p[p["origin"] == "provider_office"]
    for zid, adults in z["population"].items():
        if adults >= 30_000:  # rule 2: the four secondary providers in every zone of >= 30,000 adults
            assert {"caf", "cpam", "france_travail", "dgfip"} <= {
                next(iter(d)) for d in offices[offices["zone_id"] == zid]["permanences"]
            }
        here = offices[offices["zone_id"] == zid]
        assert (here["counters"] >= min(12, math.ceil(adults / 15_000))).all()  # rule 3
        po = p[(p["zone_id"] == zid) & (p["origin"] == "post_office") & (p["operator"] == "public")]
        if len(po):  # rule 5: the zone's post offices have >= ceil(adults / 4,000) counters (<= 8 each)
            assert po["counters"].sum() >= min(8 * len(po), math.ceil(adults / 4000))
        schools = int(((p["zone_id"] == zid) & (p["origin"] == "school")).sum())
        assert schools == max(1, adults // 3000)  # rule 4
    assert p["place_id"].is_unique


def test_branches_have_no_label() -> None:
    t = load_france(departements=[61], france_services_year=2024)  # the Orne: 9 branches in 2024
    fs = t.places[t.places["origin"] == "france_services"]
    assert fs["network"].all()
    branches = read_extract()["france_services"].query("year == 2024 and branch")["site_id"]
    is_branch = fs["place_id"].str.removeprefix("fs_").isin(set(branches))
    assert is_branch.sum() == 9 and (fs.loc[is_branch, "label"] == "").all()
    assert (fs.loc[~is_branch, "label"] == "france_services").all()


def test_departements_do_not_depend_on_the_selection() -> None:
    alone = load_france(departements=[58]).places
    together = load_france(departements=[58, 89, "2A"]).places
    pd.testing.assert_frame_equal(
        alone.reset_index(drop=True),
        together[together["zone_id"].str.startswith("58")].reset_index(drop=True),
    )


def test_deterministic_without_the_cache() -> None:
    from simulation.territory.sources import france

    a = load_france(departements=[69], france_services_year=2024)
    france._national.cache_clear()
    france._kinds.cache_clear()
    b = load_france(departements=[69], france_services_year=2024)
    pd.testing.assert_frame_equal(a.zones, b.zones)
    pd.testing.assert_frame_equal(a.places, b.places)
    assert a.notes == b.notes


def test_overseas_uses_a_local_projection() -> None:
    t = load_france(departements=[974])
    z = t.zones
    assert len(z) == 24 and abs(z["x_km"].mean()) < 1 and abs(z["y_km"].mean()) < 1
    assert any("equirectangular" in n for n in t.notes)


# --------------------------------------------------------------------------------------------------
# Opening hours
# --------------------------------------------------------------------------------------------------
def test_2024_empty_interval() -> None:
    assert parse_fs_hours("00:00 - 00:00") == (0, True)
    assert parse_fs_hours("00:00 - 00:00 / 09:00 - 12:00") == (0b001, True)
    assert parse_fs_hours("00:00 - 00:00 / 00:00 - 00:00 / 08:30 - 16:00") == (0b011, True)
    assert parse_fs_hours("14:00 - 14:00") == (0, False)  # any other empty interval is still an error


# Measured on the extract and listed in data/france/SOURCES.md ("Opening hours"): cells not fully read, sites
# without any open half-day read in the week (given the default week).
UNREAD = {2020: (764, 105), 2024: (0, 47)}


@pytest.mark.parametrize("year", [2020, 2024])
def test_every_hours_cell_parses_or_is_reported(extract: dict[str, pd.DataFrame], year: int) -> None:
    fs = extract["france_services"]
    y = fs[fs["year"] == year]
    unread: dict[str, int] = {}
    for s in y.itertuples(index=False):
        for col in FS_DAY_COLUMNS:
            text = getattr(s, col)
            if year == 2024 and not text.strip():
                continue  # blank is closed in the 2024 list
            if not parse_fs_hours(text)[1]:
                unread[s.site_id] = unread.get(s.site_id, 0) + 1
    sites, notes = fs_sites(fs, year, fs["insee_com"].unique())
    assert len(sites) == len(y)  # every site of the list is a place, none dropped
    defaulted = set(sites.loc[sites["opening"] == parse_timetable("Mon-Fri AM PM"), "site_id"])
    no_hours = [n for n in notes if n.startswith("no hours:")]
    cell_notes = [n for n in notes if n.startswith("unreadable:")]
    assert (sum(unread.values()), len(no_hours)) == UNREAD[year]
    no_hours_ids = {n.split()[2].removeprefix("fs_") for n in no_hours}
    assert no_hours_ids <= defaulted
    # every unread cell is in a note: its own, or its site's "no hours" note (which lists the texts)
    assert len(cell_notes) == sum(n for sid, n in unread.items() if sid not in no_hours_ids)
    assert {n.split()[1].removeprefix("fs_") for n in cell_notes} | no_hours_ids >= set(unread)


def test_notes_of_a_load_name_sites_and_texts() -> None:
    t = load_france(departements=[31], france_services_year=2020)
    cells = [n for n in t.notes if n.startswith("unreadable:")]
    sites = [n for n in t.notes if n.startswith("no hours:")]
    # Haute-Garonne 2020: both kinds of note, each naming the site and the text as written
    assert cells and all(n.split()[1].startswith("fs_") and ": '" in n for n in cells)
    assert sites and all(n.split()[2].startswith("fs_") and "Mon-Fri AM PM" in n for n in sites)


# --------------------------------------------------------------------------------------------------
# Errors: one line, naming the key
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "key", "words"),
    [
        ({"departements": [20]}, "territory.departements", "2A and 2B"),
        ({"departements": ["99"]}, "territory.departements", "unknown departement code '99'"),
        ({"departements": []}, "territory.departements", "empty selection"),
        ({"communes": []}, "territory.communes", "empty selection"),
        ({"communes": ["58194", "99999"]}, "territory.communes", "unknown commune code '99999'"),
        ({}, "territory.departements", "none was given"),
        ({"departements": [58], "communes": ["58194"]}, "territory.departements", "not both"),
        ({"departements": [58], "france_services_year": 2022}, "territory.france_services", "2020, 2024"),
        ({"departements": [58], "france_services_year": "soon"}, "territory.france_services", "2020, 2024"),
        ({"departements": [976]}, "territory.departements", "no inhabitants"),
        ({"departements": [75, 971]}, "territory.departements", "load them separately"),
        ({"departements": [971, 972]}, "territory.departements", "load them separately"),
    ],
)
def test_errors(kwargs: dict, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_france(**kwargs)
    msg = str(err.value)
    assert err.value.key == key and words in msg and "\n" not in msg


def test_missing_extract(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        load_france(departements=[58], data_dir=tmp_path)
    assert "build_france.py" in str(err.value) and "\n" not in str(err.value)


# --------------------------------------------------------------------------------------------------
# The committed extract is what the build makes
# --------------------------------------------------------------------------------------------------
def _build_module() -> object:
    spec = importlib.util.spec_from_file_location("build_france", REPO / "scripts" / "build_france.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    sys.modules["build_france"] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.skipif(
    not (SOURCE / "communes.csv").is_file(), reason="../shared/data/france (the reference data) is absent"
)
def test_committed_extract_matches_the_build(tmp_path: Path) -> None:
    mod = _build_module()
    assert mod.main(["--source", str(SOURCE), "--check"]) == 0
    # and --check does see a change: one La Poste point's kind altered in a copy
    copy = tmp_path / "france"
    shutil.copytree(REPO / "data" / "france", copy)
    t = read_extract(copy)
    t["laposte"].loc[0, "kind"] = (
        "shop_relay" if t["laposte"].loc[0, "kind"] != "shop_relay" else "post_office"
    )
    from simulation.territory.sources.france import write_extract

    write_extract(t, copy)
    assert mod.main(["--source", str(SOURCE), "--check", "--out", str(copy)]) == 1
