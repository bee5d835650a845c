"""Build the compact national extract ``data/france/`` from the public reference data.

Reads ``communes.csv`` (INSEE census via rcarlier/datas.fun), ``france_services_2020.csv`` and
``france_services_2024.csv`` (ANCT) and ``laposte_points_2020.csv`` (La Poste) from ``--source`` (default
``../shared/data/france``) and writes three Parquet tables with only the columns the model needs, plus
``SOURCES.md`` (sources, licences, the traps of the files and how the build handles them, the checks and
their figures, the report of the opening hours):

- ``communes.parquet``: one row per zone (the communes, and the municipal arrondissements of Paris, Lyon and
  Marseille instead of their city), with position (WGS84), area and inhabitants;
- ``france_services.parquet``: the France Services sites of 2020 and 2024, each in the zone of its commune,
  with its opening hours as written (one text per weekday; ``load_france`` parses them);
- ``laposte.parquet``: the La Poste points of contact of 2020 (post offices, communal and intercommunal
  agencies, shop relays), each in the zone of its commune.

The build has no random draw and sorts every table: running it twice gives the same content. ``--check``
rebuilds in memory and exits 1 naming every table or file that differs from the committed extract.

Usage::

    python scripts/build_france.py [--source ../shared/data/france] [--out data/france] [--check]
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulation.core.timetable import parse_fs_hours
from simulation.territory.sources.france import (
    CITY_CODES,
    FS_DAY_COLUMNS,
    LAPOSTE_KINDS,
    read_extract,
    write_extract,
)

REPO = Path(__file__).resolve().parents[1]
EARTH_KM = 6371.0088  # mean Earth radius (IUGG), km
# A point whose commune code is unknown goes to the zone of its departement that minimises distance / radius
# (radius = sqrt(area / pi)), if that ratio is at most NEAREST_MAX_RATIO. Measured on the 17,535 La Poste points
# whose code is a zone: this finds their own zone for 93.6 % of them (the nearest centre, 88.3 %), and their
# own zone's ratio is <= 1.5 for 99 % of them, <= 2.0 for 99.6 %.
NEAREST_MAX_RATIO = 2.0
FOREIGN = {"09920": "Andorra (La Poste writes its postal code)"}  # and every INSEE country code 99xxx

# Checks: (what, expected zones, expected inhabitants, relative tolerance on inhabitants). The zone counts and
# totals are those of shared/data/README.md (INSEE 2021); the Nièvre's are exact (the existing data/nievre).
CHECKS: tuple[tuple[str, tuple[str, ...] | None, int, int, float], ...] = (
    ("France", None, 34_976, 67_400_000, 0.002),
    ("Île-de-France (75, 77, 78, 91, 92, 93, 94, 95)", ("75", "77", "78", "91", "92", "93", "94", "95"),
     1_286, 12_300_000, 0.01),
    ("Rhône (69)", ("69",), 274, 1_900_000, 0.02),
    ("Nièvre (58)", ("58",), 309, 202_417, 0.0),
)  # fmt: skip
EXPECTED_FS = {2020: 908, 2024: 2845}
EXPECTED_FS_NIEVRE = {2020: 19, 2024: 33}
EXPECTED_LAPOSTE = 17_716
EXPECTED_LAPOSTE_NIEVRE = {"post_office": 42, "communal_agency": 81, "shop_relay": 13}

LAPOSTE_KIND_OF = {
    "Bureau de Poste": "post_office",
    "Agence postale communale": "communal_agency",
    "Agence postale intercommunale": "intercommunal_agency",
    "Relais poste commerçant": "shop_relay",
}  # "Agence postale militaire" (an air base's counter, not open to the public) is left out and reported
FS2020_DAYS = ("h_mon", "h_tue", "h_wed", "h_thu", "h_fri", "h_sat")
FS2024_DAYS = ("h_lundi", "h_mardi", "h_mercredi", "h_jeudi", "h_vendredi", "h_samedi")


@dataclass
class Report:
    """What the build found and did, copied into SOURCES.md."""

    checks: list[str] = field(default_factory=list)
    communes: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)  # points moved to another zone than their code's
    dropped: list[str] = field(default_factory=list)  # points left out, with the reason
    hours: list[str] = field(default_factory=list)
    counts: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------------
# Communes
# --------------------------------------------------------------------------------------------------
def read_communes(path: Path, rep: Report) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The zones (COM and ARM rows, one per INSEE code) and the communes déléguées (for name matching).

    Traps handled: several rows per code (one per postal code: deduplicated); COMD rows (communes déléguées,
    part of a COM: left out of the zones, or people would be counted twice); Paris, Lyon and Marseille have no
    COM row (their ARM rows are the zones); three communes have no position (filled from the communes sharing
    their postal code); Mayotte has no population (kept with 0 inhabitants; the loader refuses an empty
    selection).
    """
    c = pd.read_csv(path, dtype=str, keep_default_na=False)
    comd = c[c["commune_type"] == "COMD"].drop_duplicates(["insee_com", "commune"])
    rows = c[c["commune_type"].isin(["COM", "ARM"])]
    n_rows = len(rows)
    types = c["commune_type"].value_counts()
    z = rows.drop_duplicates("insee_com").copy()
    rep.communes.append(
        f"`communes.csv`: {len(c):,} rows ({', '.join(f'{k} {v:,}' for k, v in types.items())}); "
        f"{n_rows:,} COM and ARM rows, {len(z):,} distinct codes after deduplication on `insee_com` "
        f"({n_rows - len(z):,} duplicate rows: one per postal code, identical figures)."
    )
    assert not rows.groupby("insee_com")["population_2021"].nunique().gt(1).any(), "duplicates differ"
    z = z.sort_values("insee_com").reset_index(drop=True)
    lat = pd.to_numeric(z["lat"], errors="coerce").to_numpy(float, copy=True)
    lon = pd.to_numeric(z["lng"], errors="coerce").to_numpy(float, copy=True)
    # Trap: communes without a position (created or restored after the source's geography). Fill them with
    # the mean position of the communes sharing their postal code (same post office round: within ~10 km).
    for i in np.flatnonzero(np.isnan(lat) | np.isnan(lon)):
        same = (z["code_postal"] == z.at[i, "code_postal"]).to_numpy() & ~np.isnan(lat)
        assert same.any(), f"no neighbour to place commune {z.at[i, 'insee_com']}"
        lat[i], lon[i] = round(float(lat[same].mean()), 5), round(float(lon[same].mean()), 5)
        rep.communes.append(
            f"No position in the source: {z.at[i, 'insee_com']} {z.at[i, 'commune_article']} "
            f"({z.at[i, 'population_2021']} inhabitants); placed at the mean of the {int(same.sum())} communes "
            f"of postal code {z.at[i, 'code_postal']} ({lat[i]:.5f}, {lon[i]:.5f}; error up to ~10 km)."
        )
    area = pd.to_numeric(z["superficie_km2"], errors="coerce")
    pop = pd.to_numeric(z["population_2021"], errors="coerce")
    assert pop.notna().all(), "population missing"
    no_area = z.loc[area.isna(), "insee_dep"].value_counts()
    zero = z.loc[pop.eq(0), "insee_dep"].value_counts()
    rep.communes.append(
        "No area in the source: "
        + ", ".join(f"{n} communes of {d}" for d, n in no_area.items())
        + "; no inhabitant: "
        + ", ".join(f"{n} communes of {d}" for d, n in zero.items())
        + " (Mayotte, 976, has no 2021 census figures per commune: its zones have 0 inhabitants; the villages of"
        " the Meuse destroyed in 1916 have none)."
    )
    zones = pd.DataFrame(
        {
            "insee_com": z["insee_com"].astype(str),
            "insee_dep": z["insee_dep"].astype(str),
            "name": z["commune_article"].astype(str),
            "type": z["commune_type"].astype(str),
            "parent": z["insee_parente"].astype(str),
            "lat": lat,
            "lon": lon,
            "area_km2": area.to_numpy(float),
            "inhabitants": pop.to_numpy(np.int64),
        }
    )
    return zones, comd


# --------------------------------------------------------------------------------------------------
# Points (France Services sites, La Poste points) to zones
# --------------------------------------------------------------------------------------------------
_ARTICLE = re.compile(r"^(LE|LA|LES|L)\s+")


def norm_name(name: str) -> str:
    """A commune name for matching: ASCII capitals, words only, ST/STE spelt out, no leading article."""
    s = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    s = re.sub(r"[^A-Z0-9]+", " ", s).strip()
    s = " ".join({"ST": "SAINT", "STE": "SAINTE"}.get(w, w) for w in s.split())
    return _ARTICLE.sub("", s)


def _dep_of(code: str) -> str:
    return code[:3] if code.startswith("97") else code[:2]


def _unit_xyz(lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
    la, lo = np.radians(lat), np.radians(lon)
    return np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], axis=-1)


class Resolver:
    """Puts a point (a commune code as written, a commune name, a position) in a zone; see :meth:`zone`."""

    def __init__(self, zones: pd.DataFrame, comd: pd.DataFrame) -> None:
        self.zones = zones
        self.codes = set(zones["insee_com"])
        self.dep = zones["insee_dep"].to_numpy()
        self.xyz = _unit_xyz(zones["lat"].to_numpy(), zones["lon"].to_numpy())
        area = zones["area_km2"].fillna(1.0).to_numpy(float)
        self.radius_km = np.sqrt(np.maximum(area, 0.01) / np.pi)
        self.by_name: dict[tuple[str, str], list[str]] = {}
        for code, dep, name in zones[["insee_com", "insee_dep", "name"]].itertuples(index=False):
            self.by_name.setdefault((dep, norm_name(name)), []).append(code)
        self.comd: dict[tuple[str, str], list[str]] = {}
        for parent, name in comd[["insee_parente", "commune"]].itertuples(index=False):
            if parent in self.codes:
                self.comd.setdefault((_dep_of(parent), norm_name(name)), []).append(parent)

    def _nearest(self, mask: np.ndarray, lat: float, lon: float, by_radius: bool) -> tuple[str, float, float]:
        """The zone among ``mask`` nearest to the point (by distance, or by distance / radius), the distance
        (km) and the ratio distance / radius."""
        idx = np.flatnonzero(mask)
        chord = np.linalg.norm(self.xyz[idx] - _unit_xyz(np.array(lat), np.array(lon)), axis=1)
        dist = 2 * EARTH_KM * np.arcsin(chord / 2)
        ratio = dist / self.radius_km[idx]
        k = int(np.argmin(ratio if by_radius else dist))
        return str(self.zones["insee_com"].iat[idx[k]]), float(dist[k]), float(ratio[k])

    def zone(self, code: str, name: str, lat: float, lon: float, dep: str | None = None) -> tuple[str, str]:
        """The zone of a point and how it was found (``""`` when its code is a zone; ``"?..."`` when none).

        1. the code is a zone: that zone;
        2. the code is Paris, Lyon or Marseille (75056, 69123, 13055): the nearest arrondissement of the city;
        3. a foreign code (99xxx, Andorra's 09920): none, reported;
        4. else (a commune merged since, a typo): the zone of the departement (the code's, or ``dep``) whose
           name is the point's commune name; else the commune whose commune déléguée has that name; else the
           zone of the departement that minimises distance / radius, if that ratio is <= NEAREST_MAX_RATIO;
        5. else none: the point is left out and reported (Monaco, Andorra, Saint-Martin, Saint-Barthélemy,
           Saint-Pierre-et-Miquelon are not in the communes file).
        """
        has_pos = np.isfinite(lat) and np.isfinite(lon)
        if code in self.codes:
            return code, ""
        if code in CITY_CODES:
            if not has_pos:
                return "", "?city code without a position"
            z, d, _ = self._nearest((self.zones["parent"] == code).to_numpy(), lat, lon, by_radius=False)
            return z, f"city code {code}: nearest arrondissement ({d:.1f} km)"
        if code.startswith("99") or code in FOREIGN:
            return (
                "",
                f"?code {code} ({name!r}): outside France ({FOREIGN.get(code, 'an INSEE country code')})",
            )
        deps = [d for d in dict.fromkeys([dep, _dep_of(code)]) if d]
        key = norm_name(name)
        for d in deps:
            hits = self.by_name.get((d, key), [])
            if len(hits) == 1:
                return hits[0], f"unknown code {code}: commune named {name!r} in {d}"
        for d in deps:
            hits = sorted(set(self.comd.get((d, key), [])))
            if len(hits) == 1:
                return hits[0], f"unknown code {code}: {name!r} is a commune déléguée of it"
        if has_pos:
            mask = np.isin(self.dep, deps)
            if mask.any():
                z, dist, ratio = self._nearest(mask, lat, lon, by_radius=True)
                if ratio <= NEAREST_MAX_RATIO:
                    return z, (
                        f"unknown code {code} ({name!r}): zone of {'/'.join(deps)} nearest relative to its radius "
                        f"({dist:.1f} km, {ratio:.2f} radii)"
                    )
                return (
                    "",
                    f"?unknown code {code} ({name!r}); best zone {z} is {dist:.0f} km ({ratio:.1f} radii) away",
                )
        return "", f"?unknown code {code} ({name!r}), not in the communes file"


def _coord(s: pd.Series) -> np.ndarray:
    return pd.to_numeric(s, errors="coerce").to_numpy(float)


def read_france_services(source: Path, res: Resolver, rep: Report) -> pd.DataFrame:
    """The France Services sites of 2020 and 2024 in one table (columns of the extract)."""
    frames = []
    for year, fname in ((2020, "france_services_2020.csv"), (2024, "france_services_2024.csv")):
        f = pd.read_csv(source / fname, dtype=str, keep_default_na=False)
        assert len(f) == EXPECTED_FS[year], f"{fname}: expected {EXPECTED_FS[year]} rows, got {len(f)}"
        if year == 2020:
            site, name, com, lib = f["id"], f["name"], f["insee_com"], f["commune"]
            lat, lon, days, dep = _coord(f["lat"]), _coord(f["lon"]), FS2020_DAYS, [None] * len(f)
            branch = f["category"].str.startswith("Antenne")
            mobile = f["category"].str.endswith("itinerante")
            fmt = f["category"]
            rdv = pd.Series([""] * len(f))
            comment = pd.Series([""] * len(f))
        else:
            site, name, com, lib = f["id_fs"], f["lib_fs"], f["insee_com"], f["lib_com"]
            lat, lon, days, dep = _coord(f["latitude"]), _coord(f["longitude"]), FS2024_DAYS, f["insee_dep"]
            branch = f["type_fs"] == "Antenne"
            mobile = f["format_fs"].isin(["Bus_équivalent", "Itinérante"])
            fmt = f["format_fs"]
            rdv = f["prise_rdv"]
            comment = f["commentaire"].str.replace(r"\s+", " ", regex=True).str.strip()
        zone, how = [], []
        for i in range(len(f)):
            z, h = res.zone(com.iat[i], lib.iat[i], lat[i], lon[i], dep[i])
            zone.append(z)
            how.append(h)
            if h.startswith("?"):
                rep.dropped.append(f"France Services {year} site {site.iat[i]} {name.iat[i]!r}: {h[1:]}")
            elif h:
                rep.resolved.append(f"France Services {year} site {site.iat[i]} {name.iat[i]!r} -> {z}: {h}")
        out = pd.DataFrame(
            {
                "year": np.int16(year),
                "site_id": site.astype(str),
                "insee_com": zone,
                "insee_com_source": com.astype(str),
                "name": name.astype(str).str.strip(),
                "branch": branch.to_numpy(bool),
                "mobile": mobile.to_numpy(bool),
                "format": fmt.astype(str),
                "lat": lat,
                "lon": lon,
                "appointments": rdv.astype(str).to_numpy(),
                "comment": comment.astype(str).to_numpy(),
            }
        )
        for col, src in zip(FS_DAY_COLUMNS, days, strict=True):
            out[col] = f[src].astype(str).to_numpy()
        frames.append(out[out["insee_com"] != ""])
    fs = pd.concat(frames, ignore_index=True)
    fs = fs.sort_values(["year", "site_id"], key=_natural).reset_index(drop=True)
    return fs


def _natural(s: pd.Series) -> pd.Series:
    """Sort key: numeric ids as numbers (site 9 before site 10), other columns as they are."""
    if s.name == "site_id":
        return s.map(lambda v: (0, int(v), "") if v.isdigit() else (1, 0, v))
    return s


def read_laposte(source: Path, res: Resolver, rep: Report) -> pd.DataFrame:
    """The La Poste points of 2020 (columns of the extract)."""
    f = pd.read_csv(source / "laposte_points_2020.csv", dtype=str, keep_default_na=False)
    assert len(f) == EXPECTED_LAPOSTE, f"expected {EXPECTED_LAPOSTE} La Poste points, got {len(f)}"
    assert f["site_id"].is_unique
    lat, lon = _coord(f["lat"]), _coord(f["lon"])
    zone, keep = [], []
    for i, r in enumerate(f.itertuples(index=False)):
        kind = LAPOSTE_KIND_OF.get(r.kind)
        if kind is None:
            rep.dropped.append(f"La Poste {r.site_id} {r.name!r}: kind {r.kind!r} (not open to the public)")
            zone.append("")
            keep.append(False)
            continue
        z, h = res.zone(r.insee_com, r.locality, lat[i], lon[i])
        zone.append(z)
        keep.append(bool(z))
        if h.startswith("?"):
            rep.dropped.append(f"La Poste {r.site_id} {r.name!r} ({r.kind}): {h[1:]}")
        elif h:
            rep.resolved.append(f"La Poste {r.site_id} {r.name!r} -> {z}: {h}")
    out = pd.DataFrame(
        {
            "site_id": f["site_id"].astype(str),
            "kind": f["kind"].map(LAPOSTE_KIND_OF).fillna("").astype(str),
            "insee_com": zone,
            "insee_com_source": f["insee_com"].astype(str),
            "name": f["name"].astype(str).str.strip(),
            "lat": lat,
            "lon": lon,
        }
    )
    out = out[np.array(keep)]
    assert set(out["kind"]) <= set(LAPOSTE_KINDS)
    return out.sort_values("site_id").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------
# Checks and report
# --------------------------------------------------------------------------------------------------
def run_checks(zones: pd.DataFrame, fs: pd.DataFrame, lp: pd.DataFrame, rep: Report) -> None:
    """Assert the figures of shared/data/README.md and record them for SOURCES.md."""
    rep.checks.append("| selection | zones | expected | inhabitants 2021 | expected |")
    rep.checks.append("|---|---:|---:|---:|---:|")
    for what, deps, n_exp, pop_exp, tol in CHECKS:
        sel = zones if deps is None else zones[zones["insee_dep"].isin(deps)]
        n, pop = len(sel), int(sel["inhabitants"].sum())
        assert n == n_exp, f"{what}: expected {n_exp} zones, got {n}"
        assert abs(pop - pop_exp) <= tol * pop_exp, f"{what}: expected {pop_exp:,} inhabitants, got {pop:,}"
        exp = f"{pop_exp:,}" if tol == 0 else f"{pop_exp / 1e6:.1f} M ± {tol:.1%}"
        rep.checks.append(f"| {what} | {n:,} | {n_exp:,} | {pop:,} | {exp} |")
    arm = zones[zones["type"] == "ARM"]
    rep.checks.append(
        f"\nMunicipal arrondissements: {len(arm)} ("
        + ", ".join(f"{p}: {n}" for p, n in arm["parent"].value_counts().sort_index().items())
        + "); no zone has the city codes "
        + ", ".join(sorted(CITY_CODES))
        + "."
    )
    assert not zones["insee_com"].isin(list(CITY_CODES)).any()
    dep_of = zones.set_index("insee_com")["insee_dep"]
    rep.checks.append(
        "\n| France Services | sites in the file | in a zone | Nièvre (58) | main | branches | mobile |"
    )
    rep.checks.append("|---|---:|---:|---:|---:|---:|---:|")
    for year in (2020, 2024):
        y = fs[fs["year"] == year]
        n58 = int((y["insee_com"].map(dep_of) == "58").sum())
        assert n58 == EXPECTED_FS_NIEVRE[year], (
            f"Nièvre FS {year}: expected {EXPECTED_FS_NIEVRE[year]}, got {n58}"
        )
        rep.checks.append(
            f"| {year} | {EXPECTED_FS[year]:,} | {len(y):,} | {n58} | {int((~y['branch']).sum()):,} | "
            f"{int(y['branch'].sum())} | {int(y['mobile'].sum())} |"
        )
    lp58 = lp[lp["insee_com"].map(dep_of) == "58"]["kind"].value_counts().to_dict()
    assert lp58 == EXPECTED_LAPOSTE_NIEVRE, f"Nièvre La Poste points: {lp58}"
    rep.checks.append("\n| La Poste points 2020 | France | Nièvre (58) |")
    rep.checks.append("|---|---:|---:|")
    for kind in LAPOSTE_KINDS:
        rep.checks.append(f"| {kind} | {int((lp['kind'] == kind).sum()):,} | {lp58.get(kind, 0)} |")
    rep.checks.append(f"| total | {len(lp):,} (of {EXPECTED_LAPOSTE:,} in the file) | {sum(lp58.values())} |")


def hours_report(fs: pd.DataFrame, rep: Report) -> None:
    """Parse every hours cell as the loader does and record what could not be read, by year and text."""
    for year in (2020, 2024):
        y = fs[fs["year"] == year]
        cells = y[list(FS_DAY_COLUMNS)].to_numpy().ravel()
        bad: Counter[str] = Counter()
        blank = 0
        for t in cells:
            if year == 2024 and not t.strip():
                blank += 1  # blank is closed in the 2024 list (shared/data/README.md)
                continue
            if not parse_fs_hours(t)[1]:
                bad[t] += 1
        opens = np.array(
            [[parse_fs_hours(t)[0] > 0 for t in row] for row in y[list(FS_DAY_COLUMNS)].to_numpy()]
        )
        no_hours = int((~opens.any(axis=1)).sum())
        rep.hours.append(
            f"**{year}**: {len(cells):,} cells ({len(y):,} sites x 6 days)"
            + (f", {blank:,} blank (closed)" if year == 2024 else "")
            + f"; not fully read: **{sum(bad.values())}** cells ({len(bad)} distinct texts); sites with no"
            f" readable open half-day in the week: **{no_hours}** (the loader gives them the default week"
            " and notes it)."
        )
        if bad:
            rep.hours.append("")
            rep.hours.append("| cells | text as written |")
            rep.hours.append("|---:|---|")
            for t, n in sorted(bad.items(), key=lambda kv: (-kv[1], kv[0])):
                shown = t.replace("|", "\\|").replace("\xa0", " ").strip() or "(blank)"
                rep.hours.append(f"| {n} | {shown if shown == '(blank)' else f'`{shown}`'} |")
        rep.hours.append("")


# --------------------------------------------------------------------------------------------------
# Build, write, check
# --------------------------------------------------------------------------------------------------
def build(source: Path) -> tuple[dict[str, pd.DataFrame], str]:
    """The extract's tables and SOURCES.md, in memory."""
    rep = Report()
    zones, comd = read_communes(source / "communes.csv", rep)
    res = Resolver(zones, comd)
    fs = read_france_services(source, res, rep)
    lp = read_laposte(source, res, rep)
    run_checks(zones, fs, lp, rep)
    hours_report(fs, rep)
    tables = {"communes": zones, "france_services": fs, "laposte": lp}
    return tables, sources_md(rep)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--source", type=Path, default=REPO.parent / "shared" / "data" / "france")
    ap.add_argument("--out", type=Path, default=REPO / "data" / "france")
    ap.add_argument("--check", action="store_true", help="rebuild in memory and compare with --out")
    args = ap.parse_args(argv)
    names = (
        "communes.csv",
        "france_services_2020.csv",
        "france_services_2024.csv",
        "laposte_points_2020.csv",
    )
    missing = [n for n in names if not (args.source / n).is_file()]
    if missing:
        print(f"{args.source}: {', '.join(missing)} not found; give the reference data folder with --source")
        return 2
    tables, sources = build(args.source)
    if args.check:
        diffs = compare(tables, sources, args.out)
        for d in diffs:
            print(d)
        print(f"{args.out}: " + ("matches the build" if not diffs else f"{len(diffs)} difference(s)"))
        return 1 if diffs else 0
    write_extract(tables, args.out)
    (args.out / "SOURCES.md").write_text(sources, encoding="utf-8")
    for name, t in tables.items():
        size = (args.out / f"{name}.parquet").stat().st_size
        print(f"{args.out / name}.parquet: {len(t):,} rows, {size / 1024:,.0f} KiB")
    return 0


def compare(tables: dict[str, pd.DataFrame], sources: str, out: Path) -> list[str]:
    """Every difference between the built tables and the committed extract, one line each."""
    diffs = []
    try:
        committed = read_extract(out)
    except (OSError, ValueError) as exc:
        return [f"{out}: cannot read the committed extract ({exc})"]
    for name, t in tables.items():
        c = committed[name]
        if list(c.columns) != list(t.columns):
            diffs.append(f"{name}.parquet: columns {list(c.columns)} instead of {list(t.columns)}")
            continue
        if len(c) != len(t):
            diffs.append(f"{name}.parquet: {len(c):,} rows instead of {len(t):,}")
            continue
        for col in t.columns:
            a, b = c[col].reset_index(drop=True), t[col].reset_index(drop=True)
            same = (a == b) | (a.isna() & b.isna()) if a.dtype.kind == "f" else a == b
            if not same.all():
                i = int(np.flatnonzero(~same.to_numpy())[0])
                diffs.append(
                    f"{name}.parquet, column {col}: {int((~same).sum())} rows differ "
                    f"(first: row {i}, committed {a.iat[i]!r}, built {b.iat[i]!r})"
                )
    path = out / "SOURCES.md"
    if not path.is_file() or path.read_text(encoding="utf-8") != sources:
        diffs.append(f"{path}: differs from the build (or is missing)")
    return diffs


def sources_md(rep: Report) -> str:
    """The text of data/france/SOURCES.md."""
    resolved = "\n".join(f"- {ln}" for ln in rep.resolved) or "(none)"
    dropped = "\n".join(f"- {ln}" for ln in rep.dropped) or "(none)"
    return f"""# France: the national extract, its sources and build

Built by `scripts/build_france.py` from `../shared/data/france/` (`make data`); read by
`simulation.territory.sources.france` (never the sources). `python scripts/build_france.py --check` rebuilds it in
memory and names every difference from these files. The build has no random draw: it is deterministic.

- `communes.parquet`, one row per zone: `insee_com`, `insee_dep`, `name`, `type` (COM or ARM), `parent` (the
  city of an ARM), `lat`, `lon` (WGS84, degrees), `area_km2`, `inhabitants` (2021).
- `france_services.parquet`, one row per site and year: `year`, `site_id` (the list's id), `insee_com` (its
  zone), `insee_com_source` (as written), `name`, `branch` (antenne), `mobile` (bus, itinerant), `format`,
  `lat`, `lon`, `appointments` (2024 `prise_rdv`), `comment` (2024 `commentaire`), `h_mon` .. `h_sat` (opening
  hours as written).
- `laposte.parquet`, one row per point: `site_id`, `kind` (post_office, communal_agency, intercommunal_agency,
  shop_relay), `insee_com` (its zone), `insee_com_source`, `name`, `lat`, `lon`.

## Sources and licences
- **Communes**: INSEE, recensement de la population 2021 (populations légales), areas and positions of the
  communes, as compiled in the public repository rcarlier/datas.fun (`France/communes.csv`). INSEE data are
  reusable under the Licence Ouverte / Open Licence 2.0 (Etalab); mention "INSEE".
- **France Services 2020**: ANCT, the 908 sites labelled January-September 2020 with their opening hours, as
  published in the repository anct-carto/France-services (`data/france_services.geojson`), converted to CSV.
  Licence Ouverte 2.0; mention "ANCT".
- **France Services 2024**: ANCT, the list of 1 August 2024 (2,845 sites), repository
  anct-carto/france_services (`data/liste-fs-20240801.csv`), contact columns dropped. Licence Ouverte 2.0;
  mention "ANCT".
- **La Poste**: La Poste open data, "points de contact" 2020 (17,716 points with their positions), as committed
  in the repository sTheoz/Analyse_donnees (`laposte_poincont2.csv`); address and phone columns dropped.
  Licence Ouverte 2.0; mention "La Poste".

The extract is derived from these files and is under the same licence (Licence Ouverte 2.0); mention
"INSEE, ANCT, La Poste" when reusing it.

## Traps of the sources and what the build does
- Large towns appear on several rows of `communes.csv` (one per postal code) with the same `insee_com`: the
  build keeps one row per code (the duplicates carry identical figures, which the build asserts).
- `COMD` rows are communes déléguées, part of a commune (`COM`) that already counts their people: they are
  not zones (summed naively, the file gives 82 M inhabitants instead of 67.4 M); they serve only to find the
  commune of a point written with the code or name of a commune merged since.
- Paris, Lyon and Marseille have no `COM` row: their municipal arrondissements (`ARM`, 20 + 9 + 16) are the
  zones. A point written with the city's code (75056, 69123, 13055) goes to the arrondissement whose centre is
  nearest to the point (an approximation: arrondissements are a few km wide).
- Points whose commune code is not a zone (communes merged or restored since the list was made, typos such as
  `2B14`, Brive's `19927`): put in the zone of the same departement with the same commune name, else in the
  commune one of whose communes déléguées has that name, else in the zone of the departement that minimises
  distance / radius (radius = sqrt(area / pi); a commune nouvelle is large) if that ratio is at most
  {NEAREST_MAX_RATIO:g}; else left out. Every case is listed below. Measured on the 17,535 La Poste points whose
  code is a zone, this last rule finds their own zone for 93.6 % of them (the nearest centre: 88.3 %); the
  others are in a neighbouring commune, a few km away.
- Points outside the 101 departements (Monaco, Andorra, Saint-Martin, Saint-Barthélemy, Saint-Pierre-et-Miquelon)
  and the military agency of the Salon-de-Provence air base (not open to the public) are left out, listed below.
- The France Services hours are texts typed by the sites. They are kept as written; the loader reads them with
  `simulation.core.timetable.parse_fs_hours` and copies every cell it cannot fully read, with the site, into the
  territory's notes. In the 2024 list a blank cell is a closed day and `00:00 - 00:00` is the form's empty
  interval (read as nothing); in the 2020 list a blank cell is unknown.
- The 2024 site 1820 (a bus of the Eure) is written in Rouen (76): it is in the zone of Rouen, as written.

{chr(10).join(rep.communes)}

## Checks (asserted by the build)
{chr(10).join(rep.checks)}

## Opening hours: what `parse_fs_hours` cannot fully read
{chr(10).join(rep.hours)}
## Points put in another zone than their code's ({len(rep.resolved)})
{resolved}

## Points left out ({len(rep.dropped)})
{dropped}
"""


if __name__ == "__main__":
    sys.exit(main())
