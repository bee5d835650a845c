"""Territory: zones.csv and places.csv readers (every error names file, line, column), place rules,
the synthetic generator and the committed Nièvre files."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.core.config import (
    OPERATORS,
    ORIGINS,
    ZONE_KINDS,
    SyntheticConfig,
    TerritoryConfig,
    _default_providers,
)
from simulation.core.errors import ConfigError, InputFileError
from simulation.core.timetable import format_timetable, is_subset, parse_timetable
from simulation.territory import (
    PLACE_COLUMNS,
    ZONE_COLUMNS,
    Territory,
    format_providers,
    generate_places,
    load_files,
    load_nievre,
    load_territory,
    parse_providers,
    read_places_csv,
    read_zones_csv,
    synthetic_territory,
    write_places_csv,
    write_zones_csv,
)

PROVIDERS = [p.id for p in _default_providers()]

ZONES = """zone_id,x_km,y_km,population,kind,jobs,car_share,name,area_km2
z1,0,0,5000,centre,3000,0.7,Town,12.5
z2,5.5,-1,800,rural,,,,
"""
PLACES_HEADER = (
    "place_id,zone_id,name,origin,operator,area_m2,desks,counters,workshop_seats,opening,"
    "opening_work,opening_mediation,opening_workshop,providers,price_day_eur,price_month_eur,label\n"
)
PLACE_FS = (
    'p1,z1,Hub,france_services,public,100,4,2,0,"Mon-Fri AM PM; Sat AM",Mon-Fri PM,,,'
    "france_services + cpam(Tue AM) + caf,10,,france_services\n"
)
PLACE_PO = "p2,z2,Post,post_office,public,60,0,1,0,Mon-Fri AM,,,,la_poste,,,\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def zones(tmp_path: Path) -> pd.DataFrame:
    return read_zones_csv(write(tmp_path, "zones.csv", ZONES))


def zone_error(tmp_path: Path, text: str) -> InputFileError:
    path = write(tmp_path, "zones.csv", text)
    with pytest.raises(InputFileError) as err:
        read_zones_csv(path)
    assert str(path) in str(err.value)
    return err.value


def place_error(
    tmp_path: Path, zones: pd.DataFrame, rows: str, header: str = PLACES_HEADER
) -> InputFileError:
    path = write(tmp_path, "places.csv", header + rows)
    with pytest.raises(InputFileError) as err:
        read_places_csv(path, zones, PROVIDERS)
    assert str(path) in str(err.value)
    return err.value


# --------------------------------------------------------------------------------------------------
# zones.csv
# --------------------------------------------------------------------------------------------------
def test_read_zones(zones: pd.DataFrame) -> None:
    assert list(zones.columns) == ZONE_COLUMNS
    assert zones["zone_id"].tolist() == ["z1", "z2"]
    assert zones["name"].tolist() == ["Town", "z2"]  # blank name: the id
    assert zones["population"].dtype == np.int64 and zones["population"].tolist() == [5000, 800]
    assert zones.loc[0, "x_km"] == 0.0 and zones.loc[1, "y_km"] == -1.0  # negative coordinates are fine
    assert math.isnan(zones.loc[1, "jobs"]) and math.isnan(zones.loc[1, "car_share"])
    assert zones.loc[0, "area_km2"] == 12.5


def test_zones_only_required_columns(tmp_path: Path) -> None:
    z = read_zones_csv(write(tmp_path, "z.csv", "zone_id,x_km,y_km,population,kind\na,1,2,3,urban\n"))
    assert list(z.columns) == ZONE_COLUMNS and z["jobs"].isna().all() and z["name"].tolist() == ["a"]


@pytest.mark.parametrize(
    ("text", "line", "column", "fragment"),
    [
        ("zone_id,x_km,y_km,population\nz1,0,0,1\n", 1, "kind", "missing required column"),
        ("zone_id,x_km,y_km,population,kind,color\nz1,0,0,1,rural,red\n", 1, "color", "allowed columns are"),
        ("zone_id,x_km,y_km,population,kind,kind\n", 1, "kind", "twice"),
        (
            "zone_id,x_km,y_km,population,kind\nz1,0,0,1,rural\n\nz2,0,abc,1,rural\n",
            4,
            "y_km",
            "expected a number",
        ),
        (
            "zone_id,x_km,y_km,population,kind\nz1,0,0,-5,rural\n",
            2,
            "population",
            "whole number of adults >= 0",
        ),
        ("zone_id,x_km,y_km,population,kind\nz1,0,0,2.5,rural\n", 2, "population", "whole number"),
        ("zone_id,x_km,y_km,population,kind\nz1,0,0,1,town\n", 2, "kind", ", ".join(ZONE_KINDS)),
        (
            "zone_id,x_km,y_km,population,kind\nz1,0,0,1,rural\nz1,1,1,1,rural\n",
            3,
            "zone_id",
            "first on line 2",
        ),
        ("zone_id,x_km,y_km,population,kind,car_share\nz1,0,0,1,rural,1.2\n", 2, "car_share", "<= 1"),
        ("zone_id,x_km,y_km,population,kind,jobs\nz1,0,0,1,rural,-1\n", 2, "jobs", ">= 0"),
        ("zone_id,x_km,y_km,population,kind\nz1,0,,1,rural\n", 2, "y_km", "empty value"),
        ("zone_id,x_km,y_km,population,kind\n,0,0,1,rural\n", 2, "zone_id", "empty value"),
        ("zone_id,x_km,y_km,population,kind\nz1,0,0,1\n", 2, None, "expected 5 fields"),
        ("zone_id,x_km,y_km,population,kind\n", 2, None, "no data rows"),
        ("", 1, None, "empty file"),
    ],
)
def test_zones_errors(tmp_path: Path, text: str, line: int, column: str | None, fragment: str) -> None:
    err = zone_error(tmp_path, text)
    assert (err.line, err.column) == (line, column)
    assert fragment in str(err)
    assert f"line {line}" in str(err)
    if column:
        assert f"column '{column}'" in str(err)


def test_zones_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFileError) as err:
        read_zones_csv(tmp_path / "nope.csv")
    assert "nope.csv" in str(err.value) and "file not found" in str(err.value)


# --------------------------------------------------------------------------------------------------
# places.csv
# --------------------------------------------------------------------------------------------------
def test_read_places(tmp_path: Path, zones: pd.DataFrame) -> None:
    p = read_places_csv(write(tmp_path, "places.csv", PLACES_HEADER + PLACE_FS + PLACE_PO), zones, PROVIDERS)
    assert list(p.columns) == PLACE_COLUMNS
    hub, po = p.iloc[0], p.iloc[1]
    opening = parse_timetable("Mon-Fri AM PM; Sat AM")
    assert hub["opening"] == opening
    assert hub["opening_work"] == parse_timetable("Mon-Fri PM")  # given
    assert hub["opening_mediation"] == opening  # blank, counters > 0: the opening
    assert hub["opening_workshop"] == 0  # blank, no seats: closed
    assert bool(hub["network"]) is True
    assert hub["permanences"] == {"cpam": parse_timetable("Tue AM"), "caf": opening}
    assert hub["price_day_eur"] == 10.0 and math.isnan(hub["price_month_eur"])
    assert hub["label"] == "france_services" and po["label"] == ""
    assert po["permanences"] == {"la_poste": parse_timetable("Mon-Fri AM")} and not po["network"]
    assert p["offhours"].tolist() == [0, 0]
    for c in (
        "desks",
        "counters",
        "workshop_seats",
        "opening",
        "opening_work",
        "opening_mediation",
        "offhours",
    ):
        assert p[c].dtype == np.int64


def test_places_round_trip(tmp_path: Path, zones: pd.DataFrame) -> None:
    p = read_places_csv(write(tmp_path, "places.csv", PLACES_HEADER + PLACE_FS + PLACE_PO), zones, PROVIDERS)
    write_places_csv(p, tmp_path / "again.csv")
    q = read_places_csv(tmp_path / "again.csv", zones, PROVIDERS)
    pd.testing.assert_frame_equal(p, q)


FS_PREFIX = "p1,z1,Hub,france_services,public,100,4,2,0,"


@pytest.mark.parametrize(
    ("row", "column", "fragment"),
    [
        ("p1,z9,Hub,school,public,1,0,0,0,Mon AM,,,,,,,\n", "zone_id", "unknown zone 'z9'"),
        ("p1,z1,Hub,castle,public,1,0,0,0,Mon AM,,,,,,,\n", "origin", ", ".join(ORIGINS)),
        ("p1,z1,Hub,school,state,1,0,0,0,Mon AM,,,,,,,\n", "operator", ", ".join(OPERATORS)),
        ("p1,z1,Hub,school,public,big,0,0,0,Mon AM,,,,,,,\n", "area_m2", "expected a number >= 0"),
        ("p1,z1,Hub,school,public,-3,0,0,0,Mon AM,,,,,,,\n", "area_m2", "expected a number >= 0"),
        ("p1,z1,Hub,school,public,10,-2,0,0,Mon AM,,,,,,,\n", "desks", "whole number of desks >= 0"),
        ("p1,z1,Hub,school,public,10,0,1.5,0,Mon AM,,,,,,,\n", "counters", "whole number of counters"),
        ("p1,z1,Hub,school,public,10,0,0,x,Mon AM,,,,,,,\n", "workshop_seats", "whole number of seats"),
        ("p1,z1,Hub,school,public,10,0,0,0,Mon-Fry AM,,,,,,,\n", "opening", "unknown token 'Fry'"),
        (FS_PREFIX + "Mon-Fri AM,Sat AM,,,,,,\n", "opening_work", "not within opening"),
        (FS_PREFIX + "Mon-Fri AM,,,Mon AM,,,,\n", "opening_workshop", "workshop_seats is 0"),
        (FS_PREFIX + "Mon-Fri AM,,,,bank,,,\n", "providers", "known ids are caf, cpam"),
        (FS_PREFIX + "Mon-Fri AM,,,,caf(Sat AM),,,\n", "providers", "not within opening_mediation"),
        (FS_PREFIX + "Mon-Fri AM,,,,caf(Mon XY),,,\n", "providers", "malformed timetable of 'caf'"),
        (FS_PREFIX + "Mon-Fri AM,,,,caf + caf,,,\n", "providers", "listed twice"),
        (FS_PREFIX + "Mon-Fri AM,,,,france_services(Mon AM),,,\n", "providers", "takes no timetable"),
        (FS_PREFIX + "Mon-Fri AM,,,,caf cpam,,,\n", "providers", "malformed entry"),
        ("p1,z1,Hub,school,public,10,0,0,0,Mon AM,,,,caf,,,\n", "providers", "no mediation slot"),
        (FS_PREFIX + "Mon-Fri AM,,,,,-5,,\n", "price_day_eur", ">= 0"),
        (FS_PREFIX + "Mon-Fri AM,,,,,,,gold\n", "label", "france_services"),
    ],
)
def test_places_errors(tmp_path: Path, zones: pd.DataFrame, row: str, column: str, fragment: str) -> None:
    err = place_error(tmp_path, zones, PLACE_PO + row)
    assert (err.line, err.column) == (3, column)  # header 1, PLACE_PO 2, the bad row 3
    assert fragment in str(err)
    assert "line 3" in str(err) and f"column '{column}'" in str(err)


def test_places_duplicate_and_header_errors(tmp_path: Path, zones: pd.DataFrame) -> None:
    err = place_error(tmp_path, zones, PLACE_PO + PLACE_PO)
    assert (err.line, err.column) == (3, "place_id") and "duplicate id 'p2' (first on line 2)" in str(err)
    err = place_error(tmp_path, zones, PLACE_PO, header=PLACES_HEADER.replace("opening,", "hours,", 1))
    assert (err.line, err.column) == (1, "hours") and "allowed columns are" in str(err)
    err = place_error(tmp_path, zones, "", header=PLACES_HEADER.replace(",label", ""))
    assert (err.line, err.column) == (2, None) and "no data rows" in str(err)
    short = "place_id,zone_id,name,origin,operator,area_m2,desks,counters,opening\n"
    err = place_error(tmp_path, zones, "", header=short)
    assert (err.line, err.column) == (1, "workshop_seats") and "missing required column" in str(err)


def test_parse_and_format_providers() -> None:
    med = parse_timetable("Mon-Fri AM PM")
    net, perms = parse_providers("france_services + cpam(Tue AM) + dgfip", PROVIDERS, med)
    assert net is True and perms == {"cpam": parse_timetable("Tue AM"), "dgfip": med}
    assert format_providers(net, perms, med) == "france_services + cpam(Tue AM) + dgfip"
    assert parse_providers("", PROVIDERS, 0) == (False, {})


def test_load_files(tmp_path: Path) -> None:
    zp = write(tmp_path, "zones.csv", ZONES)
    pp = write(tmp_path, "places.csv", PLACES_HEADER + PLACE_FS + PLACE_PO)
    t = load_files(zp, pp, PROVIDERS, name="test")
    assert isinstance(t, Territory) and t.name == "test" and len(t.zones) == 2 and len(t.places) == 2
    with pytest.raises(AttributeError):
        t.name = "other"  # type: ignore[misc]  # frozen


# --------------------------------------------------------------------------------------------------
# Place rules
# --------------------------------------------------------------------------------------------------
def rules_zones() -> pd.DataFrame:
    rows = [
        ("c", 0.0, 0.0, 30000, "centre"),
        ("u_far", 40.0, 0.0, 7000, "urban"),  # big, far: secondary offices and coworking
        ("u_near", 3.0, 0.0, 6000, "urban"),  # a suburb of the centre: no secondary offices
        ("p", 10.0, 10.0, 900, "periurban"),
        ("r", 30.0, 30.0, 300, "rural"),
    ]
    return pd.DataFrame(
        [
            {
                "zone_id": z,
                "name": z,
                "x_km": x,
                "y_km": y,
                "population": n,
                "kind": k,
                "jobs": np.nan,
                "car_share": np.nan,
                "area_km2": np.nan,
            }
            for z, x, y, n, k in rows
        ]
    )


def test_generate_places_rules() -> None:
    places = generate_places(rules_zones(), PROVIDERS, None, np.random.default_rng(0))
    assert list(places.columns) == PLACE_COLUMNS and places["place_id"].is_unique
    by = places.set_index("place_id")
    offices = places[places["origin"] == "provider_office"]
    # centre: every provider but la_poste; u_far: the four secondary ones; u_near (suburb): none
    assert set(offices.loc[offices["zone_id"] == "c", "place_id"]) == {
        f"off_{p}_c" for p in PROVIDERS if p != "la_poste"
    }
    assert set(offices.loc[offices["zone_id"] == "u_far", "place_id"]) == {
        f"off_{p}_u_far" for p in ("caf", "cpam", "france_travail", "dgfip")
    }
    assert not (offices["zone_id"] == "u_near").any()
    assert offices.loc[offices["zone_id"] == "c", "counters"].between(2, 3).all()
    for o in offices[offices["zone_id"] == "c"].itertuples():
        assert o.permanences == {o.place_id.removeprefix("off_").removesuffix("_c"): o.opening_mediation}
    # post offices from 800 adults; the rural zone (300) has none
    assert set(places.loc[places["origin"] == "post_office", "zone_id"]) == {"c", "u_far", "u_near", "p"}
    assert by.loc["po_p", "counters"] == 1 and format_timetable(by.loc["po_p", "opening"]) == "Mon-Sat AM"
    assert by.loc["po_c", "counters"] == 2 and by.loc["po_c", "permanences"] == {
        "la_poste": by.loc["po_c", "opening"]
    }
    # a town hall in every zone
    assert sorted(places.loc[places["origin"] == "town_hall", "zone_id"]) == sorted(
        ["c", "u_far", "u_near", "p", "r"]
    )
    assert format_timetable(by.loc["th_r", "opening"]) == "Mon-Fri AM"
    # library from 2,500 adults, school from 400
    assert set(places.loc[places["origin"] == "library", "zone_id"]) == {"c", "u_far", "u_near"}
    assert set(places.loc[places["origin"] == "school", "zone_id"]) == {"c", "u_far", "u_near", "p"}
    # coworking: 2 x 20 desks in the centre, 12 in urban zones >= 5,000 adults
    cw = places[places["origin"] == "coworking"]
    assert sorted(zip(cw["zone_id"], cw["desks"], strict=True)) == [
        ("c", 20),
        ("c", 20),
        ("u_far", 12),
        ("u_near", 12),
    ]
    assert (cw["opening_work"] == cw["opening"]).all() and (cw["operator"] == "private").all()
    # fab lab in the centre, community centres in centre and urban zones
    assert places.loc[places["origin"] == "fab_lab", "zone_id"].tolist() == ["c"]
    assert sorted(places.loc[places["origin"] == "community_centre", "zone_id"]) == ["c", "u_far", "u_near"]
    # synthetic France Services: one per urban zone that is not the centre
    fs = places[places["label"] == "france_services"]
    assert sorted(fs["zone_id"]) == ["u_far", "u_near"]
    assert fs["network"].all() and (fs["counters"] == 2).all() and (fs["origin"] == "france_services").all()
    assert (places["area_m2"] > 0).all()


def test_generate_places_real_fs_sites_and_determinism() -> None:
    sites = pd.DataFrame(
        {"site_id": ["12"], "zone_id": ["r"], "name": ["FS r"], "opening": [parse_timetable("Tue-Thu AM")]}
    )
    a = generate_places(rules_zones(), PROVIDERS, sites, np.random.default_rng(3))
    b = generate_places(rules_zones(), PROVIDERS, sites, np.random.default_rng(3))
    pd.testing.assert_frame_equal(a, b)
    fs = a[a["label"] == "france_services"]
    assert fs["place_id"].tolist() == ["fs_12"] and fs["opening_mediation"].tolist() == [
        parse_timetable("Tue-Thu AM")
    ]
    # without la_poste among the providers, post offices carry no provider and no office is made for it
    c = generate_places(rules_zones(), ["caf"], sites, np.random.default_rng(3))
    assert (c.loc[c["origin"] == "post_office", "permanences"].map(len) == 0).all()
    assert c.loc[c["origin"] == "provider_office", "place_id"].tolist() == ["off_caf_c", "off_caf_u_far"]


# --------------------------------------------------------------------------------------------------
# Synthetic territory
# --------------------------------------------------------------------------------------------------
def test_synthetic_territory() -> None:
    cfg = SyntheticConfig()
    t = synthetic_territory(cfg, PROVIDERS, np.random.default_rng(5))
    z = t.zones
    assert list(z.columns) == ZONE_COLUMNS
    assert len(z) == 100 and z["population"].sum() == cfg.adults  # exact total
    assert (z["kind"] == "centre").sum() == 1 and (z["kind"] == "urban").sum() == cfg.n_secondary_towns
    assert z["jobs"].isna().all()
    towns = z[z["kind"].isin(["centre", "urban"])]
    assert (towns["car_share"] == cfg.car_share_town).all()
    assert (z.loc[z["kind"] == "rural", "car_share"] == cfg.car_share_rural).all()
    # secondary towns are at least 8 km from each other and from the main town
    xy = towns[["x_km", "y_km"]].to_numpy()
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    assert d[np.triu_indices(len(xy), 1)].min() >= 8.0
    # the main town's cell is denser than the rural average (Clark gradient)
    assert (
        z.loc[z["kind"] == "centre", "population"].iloc[0]
        > 3 * z.loc[z["kind"] == "rural", "population"].mean()
    )
    assert (t.places["label"] == "france_services").sum() == cfg.n_secondary_towns


def test_synthetic_determinism() -> None:
    cfg = SyntheticConfig()
    a = synthetic_territory(cfg, PROVIDERS, np.random.default_rng(11))
    b = synthetic_territory(cfg, PROVIDERS, np.random.default_rng(11))
    c = synthetic_territory(cfg, PROVIDERS, np.random.default_rng(12))
    pd.testing.assert_frame_equal(a.zones, b.zones)
    pd.testing.assert_frame_equal(a.places, b.places)
    assert not a.zones["population"].equals(c.zones["population"])


def test_synthetic_too_many_towns() -> None:
    with pytest.raises(ConfigError) as err:
        synthetic_territory(replace(SyntheticConfig(), size_km=12.0, n_secondary_towns=5), PROVIDERS,
                            np.random.default_rng(0))  # fmt: skip
    assert "n_secondary_towns" in str(err.value)


# --------------------------------------------------------------------------------------------------
# Nièvre
# --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nievre() -> Territory:
    return load_nievre(PROVIDERS)


def test_nievre_zones(nievre: Territory) -> None:
    z = nievre.zones
    assert len(z) == 309 and z["zone_id"].is_unique
    assert abs(z["population"].sum() - 0.82 * 202_417) < 200  # rounding per commune
    assert z.loc[z["kind"] == "centre", "name"].tolist() == ["Nevers"]
    assert (z["kind"] == "urban").sum() == 5
    assert z["car_share"].between(0, 1).all() and z["area_km2"].gt(0).all()
    # the departement is about 100 km across
    assert 80 < z["x_km"].max() - z["x_km"].min() < 130 and 80 < z["y_km"].max() - z["y_km"].min() < 130


def test_nievre_places(nievre: Territory) -> None:
    p = nievre.places
    fs = p[p["label"] == "france_services"]
    assert len(fs) == 19 and fs["network"].all() and fs["zone_id"].isin(nievre.zones["zone_id"]).all()
    assert (fs["opening"] != 0).all()
    # Fourchambault (58117): Mon-Fri 8:30-12:00 / 13:30-18:00 (17:00 on Fri), closed on Sat
    assert format_timetable(int(fs.set_index("place_id").loc["fs_343", "opening"])) == "Mon-Fri AM PM"
    assert (p["origin"] == "town_hall").sum() == 309
    assert p["place_id"].is_unique
    for col in ("opening_work", "opening_mediation", "opening_workshop"):
        assert all(is_subset(int(a), int(o)) for a, o in zip(p[col], p["opening"], strict=True))


def test_nievre_makes_offices_and_permanences_for_the_run_providers_only() -> None:
    t = load_nievre(["caf", "la_poste"])
    perms = {k for d in t.places["permanences"] for k in d}
    assert perms == {"caf", "la_poste"}
    assert not t.places["place_id"].str.startswith("off_cpam").any()


def test_nievre_is_the_national_build_of_departement_58_with_the_2020_list(nievre: Territory) -> None:
    from simulation.territory.sources.france import load_france

    t = load_france(departements=[58], france_services_year=2020, provider_ids=PROVIDERS)
    pd.testing.assert_frame_equal(t.zones, nievre.zones)
    pd.testing.assert_frame_equal(t.places, nievre.places)
    assert nievre.name == "nievre"


def test_the_committed_nievre_files_read_back_to_the_nievre(nievre: Territory) -> None:
    data = Path(__file__).resolve().parents[1] / "data" / "nievre"
    t = load_files(data / "zones.csv", data / "places.csv", PROVIDERS)
    z, zn = t.zones.set_index("zone_id"), nievre.zones.set_index("zone_id")
    assert z.index.equals(zn.index)
    assert (z["population"] == zn["population"]).all() and (z["kind"] == zn["kind"]).all()
    assert np.abs(z["x_km"] - zn["x_km"]).max() <= 5e-4  # written to the metre
    cols = ["zone_id", "origin", "operator", "area_m2", "desks", "counters", "workshop_seats", "opening"]
    cols += ["opening_work", "opening_mediation", "opening_workshop", "network", "label"]
    pd.testing.assert_frame_equal(t.places[cols], nievre.places[cols])
    assert t.places["permanences"].tolist() == nievre.places["permanences"].tolist()


def test_load_territory_dispatch(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    assert load_territory(TerritoryConfig(kind="nievre"), PROVIDERS, rng).name == "nievre"
    assert load_territory(TerritoryConfig(kind="synthetic"), PROVIDERS, rng).name == "synthetic"
    zp = write(tmp_path, "zones.csv", ZONES)
    pp = write(tmp_path, "places.csv", PLACES_HEADER + PLACE_PO)
    t = load_territory(TerritoryConfig(kind="files", zones=str(zp), places=str(pp)), PROVIDERS, rng)
    assert len(t.places) == 1
    with pytest.raises(ConfigError):
        load_territory(TerritoryConfig(kind="moon"), PROVIDERS, rng)


def test_zones_write_read_round_trip(tmp_path: Path, zones: pd.DataFrame) -> None:
    write_zones_csv(zones, tmp_path / "z.csv")
    pd.testing.assert_frame_equal(read_zones_csv(tmp_path / "z.csv"), zones)


def test_build_nievre_reproduces_committed_files(tmp_path: Path) -> None:
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "scripts" / "build_nievre.py"
    spec = importlib.util.spec_from_file_location("build_nievre", script)
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.main(["--out", str(tmp_path)]) == 0
    committed = Path(__file__).resolve().parents[1] / "data" / "nievre"
    for name in ("zones.csv", "places.csv", "build_report.txt", "SOURCES.md"):
        assert (tmp_path / name).read_text(encoding="utf-8") == (committed / name).read_text(encoding="utf-8")
