"""Property-based fuzzing of every reader of the user's input (Hypothesis).

Each reader gets a generator of arbitrary inputs and one of near-valid inputs (valid ones with a part broken:
a wrong separator, an empty cell, NaN or infinity, a huge number, a stray token, a wrong encoding...). The
property is the promise of the README ("What the tool promises"): a result, or the reader's own one-line error
(:class:`~simulation.core.errors.InputFileError`, :class:`~simulation.core.errors.ConfigError`,
:class:`~simulation.core.timetable.TimetableError`), never any other exception.

The runs are deterministic (``derandomize=True``: the examples are derived from each test's name, no example
database is read or written) and bounded (``max_examples``): the whole file takes about 30 s on 2 busy cores,
under the 60 s budget of issue 8 (``to_config`` costs ~0.1 s: the scenario and config tests draw fewer examples).
"""

from __future__ import annotations

import math
import string
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from simulation.core.config import OPERATORS, ORIGINS, ZONE_KINDS, SimConfig, to_config
from simulation.core.errors import ConfigError, InputFileError, UserError
from simulation.core.failures import describe
from simulation.core.timetable import (
    DAYS,
    FULL_WEEK,
    PARTS,
    TimetableError,
    format_timetable,
    parse_fs_hours,
    parse_timetable,
)
from simulation.scenarios import OPS, apply_scenario, parse_interventions
from simulation.scenarios.selectors import SELECTOR_KEYS, ZONE_KEYS
from simulation.territory import PLACES_OPTIONAL, PLACES_REQUIRED, ZONES_OPTIONAL, ZONES_REQUIRED
from simulation.territory.sources.files import read_places_csv, read_zones_csv

FUZZ = settings(
    max_examples=150,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
PROVIDERS = [p.id for p in to_config().providers]


# --------------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------------
def near(
    valid: st.SearchStrategy[Any], broken: st.SearchStrategy[Any], one_in: int = 8
) -> st.SearchStrategy[Any]:
    """Mostly ``valid``, one draw in ``one_in`` from ``broken``: inputs that go deep before they break."""
    return st.integers(0, one_in - 1).flatmap(lambda i: broken if i == 0 else valid)


NUMBERS = st.one_of(
    st.integers(-(10**25), 10**25),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, -1, 0.5, 1e-9, 1e9, 1e20, 10**20, 2**63, float("nan"), float("inf")]),
)
NUMBER_TEXT = st.one_of(
    NUMBERS.map(str),
    st.sampled_from(
        ["", " ", "nan", "NaN", "inf", "-inf", "1e400", "1,5", "12 000", "0x10", "١٢", "1_000", "--1"]
    ),
)
JUNK = st.text(alphabet=string.printable + "éàç\u00a0\u202f€;", max_size=12)
TIMETABLE_TOKENS = st.sampled_from(
    [
        *DAYS,
        *(d.lower() for d in DAYS),
        *PARTS,
        "Mon-Fri",
        "Sat-Mon",
        "Mon-Mon",
        "Mon-Tue-Wed",
        "all",
        "-",
        ";",
        ",",
        " ",
        "AM;",
        "Mon AM; ; Tue PM",
        "Xyz",
        "12h",
        "Lun",
    ]
)
TIMETABLE_TEXT = st.one_of(
    st.lists(TIMETABLE_TOKENS, max_size=8).map(" ".join),
    st.lists(TIMETABLE_TOKENS, max_size=8).map("".join),
    st.integers(0, FULL_WEEK).map(format_timetable),
    JUNK,
)


def _csv_cell(text: str) -> str:
    """A cell as a CSV writer would write it (quoted when needed), or sometimes broken on purpose."""
    if any(c in text for c in ',"\n\r'):
        return '"' + text.replace('"', '""') + '"'
    return text


@st.composite
def csv_text(draw: st.DrawFn, required: list[str], optional: list[str], cell: dict[str, Any]) -> str:
    """A near-valid CSV: the required columns (sometimes one missing, one unknown, shuffled or repeated), some
    optional ones, rows of cells drawn per column, with a wrong separator, a BOM or blank lines at times."""
    cols = list(required) + draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    if draw(st.booleans()):
        cols = draw(st.permutations(cols))
    mutation = draw(near(st.just("none"), st.sampled_from(["drop", "unknown", "repeat"]), 6))
    if mutation == "drop" and cols:
        cols.pop(draw(st.integers(0, len(cols) - 1)))
    elif mutation == "unknown":
        cols.append(draw(st.sampled_from(["colour", "Zone_ID", " x_km", "population;kind", ""])))
    elif mutation == "repeat" and cols:
        cols.append(cols[0])
    rows = []
    id_column = required[0]  # zone_id, place_id: unique by row, mostly
    for i in range(draw(st.integers(0, 5))):
        values = [
            f"{id_column[0]}{i + 1}"
            if c == id_column and draw(st.integers(0, 9))
            else draw(cell.get(c, JUNK))
            for c in cols
        ]
        if draw(st.integers(0, 19)) == 0:  # a row with a field too many or too few
            values = values[:-1] if values and draw(st.booleans()) else [*values, "extra"]
        rows.append(values)
    sep = draw(near(st.just(","), st.sampled_from([";", "\t"]), 10))
    lines = [sep.join(cols)] + [sep.join(_csv_cell(str(v)) for v in r) for r in rows]
    if draw(st.integers(0, 5)) == 0:
        lines.insert(draw(st.integers(0, len(lines))), "")
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n", "\n\n"]))
    return ("\ufeff" if draw(st.integers(0, 9)) == 0 else "") + text


def file_bytes(text_strategy: st.SearchStrategy[str]) -> st.SearchStrategy[bytes]:
    """The file's bytes: UTF-8 mostly, sometimes Latin-1, sometimes arbitrary bytes."""
    encoded = st.tuples(text_strategy, near(st.just("utf-8"), st.just("latin-1"), 10)).map(
        lambda te: te[0].encode(te[1], errors="replace")
    )
    return near(encoded, st.binary(max_size=200), 10)


def _write(data: bytes, name: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="lieux-fuzz-"))
    path = folder / name
    path.write_bytes(data)
    return path


COUNT = st.integers(0, 50).map(str)
KM = st.floats(-200, 200, allow_nan=False).map(lambda x: f"{x:.3f}")
SHARE = st.floats(0, 1).map(lambda x: f"{x:.2f}")
ZONE_CELLS = {
    "zone_id": near(st.sampled_from(["z1", "z2", "z3", "z4"]), JUNK),
    "x_km": near(KM, NUMBER_TEXT),
    "y_km": near(KM, NUMBER_TEXT),
    "population": near(st.integers(0, 5000).map(str), NUMBER_TEXT),
    "kind": near(st.sampled_from(ZONE_KINDS), JUNK),
    "jobs": near(st.one_of(st.just(""), COUNT), NUMBER_TEXT),
    "car_share": near(st.one_of(st.just(""), SHARE), NUMBER_TEXT),
    "name": JUNK,
    "area_km2": near(st.one_of(st.just(""), st.floats(0.1, 100).map(str)), NUMBER_TEXT),
}
VALID_TIMETABLE = st.integers(0, FULL_WEEK).map(format_timetable)
PROVIDER_TEXT = near(
    st.lists(
        st.one_of(
            st.sampled_from([*PROVIDERS, "france_services"]),
            st.tuples(st.sampled_from(PROVIDERS), VALID_TIMETABLE).map(lambda pt: f"{pt[0]}({pt[1]})"),
        ),
        max_size=3,
    ).map(" + ".join),
    st.one_of(JUNK, st.just("nobody"), st.just("caf(Xyz)")),
)
PLACE_CELLS = {
    "place_id": near(st.sampled_from(["p1", "p2", "p3", "p4"]), JUNK),
    "zone_id": near(st.sampled_from(["z1", "z2"]), st.one_of(st.just("zz"), JUNK)),
    "name": JUNK,
    "origin": near(st.sampled_from(ORIGINS), JUNK),
    "operator": near(st.sampled_from(OPERATORS), JUNK),
    "area_m2": near(st.integers(1, 1000).map(str), NUMBER_TEXT),
    "desks": near(COUNT, NUMBER_TEXT),
    "counters": near(COUNT, NUMBER_TEXT),
    "workshop_seats": near(COUNT, NUMBER_TEXT),
    "opening": near(st.sampled_from(["all", "Mon-Fri AM PM", "Mon-Sun AM PM EV"]), TIMETABLE_TEXT),
    "opening_work": near(st.sampled_from(["", "Mon-Fri AM", "Tue PM"]), TIMETABLE_TEXT),
    "opening_mediation": near(st.sampled_from(["", "Mon-Fri AM", "Wed PM"]), TIMETABLE_TEXT),
    "opening_workshop": near(st.sampled_from(["", "Sat AM", "Fri PM"]), TIMETABLE_TEXT),
    "providers": PROVIDER_TEXT,
    "price_day_eur": near(st.one_of(st.just(""), COUNT), NUMBER_TEXT),
    "price_month_eur": near(st.one_of(st.just(""), COUNT), NUMBER_TEXT),
    "label": near(st.sampled_from(["", "france_services"]), JUNK),
}
ZONES = pd.DataFrame(
    {
        "zone_id": ["z1", "z2"],
        "name": ["z1", "z2"],
        "x_km": [0.0, 5.0],
        "y_km": [0.0, 0.0],
        "population": [100, 200],
        "kind": ["rural", "urban"],
        "jobs": [math.nan, math.nan],
        "car_share": [math.nan, math.nan],
        "area_km2": [math.nan, math.nan],
    }
)


# --------------------------------------------------------------------------------------------------
# zones.csv and places.csv
# --------------------------------------------------------------------------------------------------
@FUZZ
@given(file_bytes(near(csv_text(ZONES_REQUIRED, ZONES_OPTIONAL, ZONE_CELLS), st.text(max_size=200), 10)))
def test_zones_reader_returns_a_table_or_an_input_file_error(data: bytes) -> None:
    path = _write(data, "zones.csv")
    try:
        zones = read_zones_csv(path)
    except InputFileError as exc:
        event(f"error: {str(exc).split(': ', 1)[-1][:30]}")
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    event("read")
    assert len(zones) >= 1 and zones["zone_id"].is_unique
    assert (zones["population"] >= 0).all() and zones["x_km"].map(math.isfinite).all()


@FUZZ
@given(file_bytes(near(csv_text(PLACES_REQUIRED, PLACES_OPTIONAL, PLACE_CELLS), st.text(max_size=200), 10)))
def test_places_reader_returns_a_table_or_an_input_file_error(data: bytes) -> None:
    path = _write(data, "places.csv")
    try:
        places = read_places_csv(path, ZONES, PROVIDERS)
    except InputFileError as exc:
        event(f"error: {exc.column}: {str(exc).split(': ', 1)[-1][:40]}")
        assert str(path) in str(exc) and "\n" not in str(exc)
        return
    event("read")
    assert len(places) >= 1 and places["place_id"].is_unique
    for col in ("opening", "opening_work", "opening_mediation", "opening_workshop"):
        assert places[col].between(0, FULL_WEEK).all()
        assert ((places[col] & ~places["opening"]) == 0).all()  # every activity within the building's opening


# --------------------------------------------------------------------------------------------------
# Timetables and France Services hours
# --------------------------------------------------------------------------------------------------
@FUZZ
@given(st.one_of(TIMETABLE_TEXT, st.text(max_size=40)))
def test_timetable_parser_returns_a_mask_or_a_timetable_error(text: str) -> None:
    try:
        mask = parse_timetable(text)
    except TimetableError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert 0 <= mask <= FULL_WEEK
    assert parse_timetable(format_timetable(mask)) == mask  # what it reads, it writes back


FS_TIME = st.one_of(
    st.tuples(st.integers(0, 30), st.integers(0, 70)).map(lambda hm: f"{hm[0]}:{hm[1]:02d}"),
    st.tuples(st.integers(0, 30), st.integers(0, 70)).map(lambda hm: f"{hm[0]}h{hm[1]:02d}"),
    st.integers(0, 30).map(lambda h: f"{h}h"),
    st.integers(0, 30).map(lambda h: f"{h}:"),
    st.sampled_from(["00:00", "113:30", "17 :00", "12: 45"]),
)
FS_TEXT = st.one_of(
    st.lists(
        st.one_of(
            FS_TIME, st.sampled_from([" - ", "-", " / ", "/", " et ", " à ", " ", ":", "Sur RDV", "fermé"])
        ),
        max_size=9,
    ).map("".join),
    st.text(max_size=40),
    st.none(),
    st.just(float("nan")),
)


@FUZZ
@given(FS_TEXT)
def test_france_services_hours_parser_never_fails(text: Any) -> None:
    day, readable = parse_fs_hours(text)
    assert 0 <= day <= 7 and isinstance(readable, bool)


# --------------------------------------------------------------------------------------------------
# Scenarios
# --------------------------------------------------------------------------------------------------
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, JUNK)
ANY_DATA = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.one_of(JUNK, st.integers()), children, max_size=4)
    ),
    max_leaves=12,
)
SELECTOR_VALUE = st.one_of(
    st.sampled_from([*ORIGINS, *OPERATORS, *ZONE_KINDS, "france_services", "work", "z1", "p1"]),
    st.lists(st.sampled_from([*ORIGINS, *ZONE_KINDS, "z1"]), max_size=3),
    NUMBERS,
    st.booleans(),
    SCALARS,
)
SELECTOR = st.dictionaries(
    st.sampled_from([*SELECTOR_KEYS, *ZONE_KEYS, "colour"]), SELECTOR_VALUE, max_size=4
)
SET_VALUES = st.dictionaries(
    st.sampled_from(
        [
            "policy.sharing_clause",
            "policy.price_day_eur",
            "policy.remote_days_per_week",
            "economics.overhead_eur_year",
            "behaviour.service.asc_kind",
            "behaviour.work.habit",
            "economics.slot_hours",
            "seed",
            "policy.nope",
        ]
    ),
    st.one_of(NUMBERS, st.booleans(), JUNK, st.dictionaries(JUNK, NUMBERS, max_size=2)),
    max_size=3,
)
SELECT = near(SELECTOR, ANY_DATA)
OP_KEYS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "convert": {
        "select": SELECT,
        "counters": near(st.integers(0, 4), NUMBERS),
        "opening_mediation": near(VALID_TIMETABLE, TIMETABLE_TEXT),
        "permanences": st.dictionaries(
            near(st.sampled_from(PROVIDERS), st.just("nobody")),
            near(VALID_TIMETABLE, TIMETABLE_TEXT),
            max_size=2,
        ),
        "label": near(st.sampled_from(["france_services", ""]), JUNK),
        "network": near(st.booleans(), SCALARS),
    },
    "open_offhours": {
        "select": SELECT,
        "activities": st.dictionaries(
            near(st.sampled_from(["work", "mediation", "workshop"]), st.just("bar")),
            st.fixed_dictionaries(
                {
                    "timetable": near(VALID_TIMETABLE, TIMETABLE_TEXT),
                    "capacity": near(st.integers(0, 9), NUMBERS),
                }
            ),
            max_size=2,
        ),
    },
    "add_places": {
        "at": SELECT,
        "desks": near(st.integers(0, 9), NUMBERS),
        "counters": near(st.integers(0, 9), NUMBERS),
        "workshop_seats": near(st.integers(0, 9), NUMBERS),
        "opening": near(VALID_TIMETABLE, TIMETABLE_TEXT),
        "operator": near(st.sampled_from(OPERATORS), JUNK),
        "name": JUNK,
        "area_m2": near(st.integers(1, 500), NUMBERS),
    },
    "close": {"select": SELECT},
    "set": {"values": near(SET_VALUES, ANY_DATA)},
}


@st.composite
def intervention(draw: st.DrawFn) -> dict[str, Any]:
    """One operation with its own keys (each present or not), sometimes an unknown op or a stray key."""
    op = draw(near(st.sampled_from(sorted(OP_KEYS)), JUNK, 10))
    keys = OP_KEYS.get(op, {})
    entry: dict[str, Any] = {"op": op}
    for key, strategy in keys.items():
        if key in ("select", "at", "values") or draw(st.booleans()):
            entry[key] = draw(strategy)
    if draw(st.integers(0, 9)) == 0:
        entry[draw(JUNK)] = draw(SCALARS)
    if entry.get("op") == "open_offhours" and draw(st.booleans()):
        entry = {"op": "set", "values": {"policy.sharing_clause": True}}
    return entry


INTERVENTION = intervention()
SCENARIO = near(
    st.fixed_dictionaries(
        {"name": st.just("fuzz"), "interventions": st.lists(INTERVENTION, max_size=4)},
        optional={"description": JUNK},
    ),
    ANY_DATA,
    6,
)


# The relative zone criteria (issue 9): ranks, population shares, quantiles, the main centre, distances.
RELATIVE_KEYS = (
    "largest_zones",
    "largest_zones_share",
    "smallest_zones_share",
    "min_zone_population_quantile",
    "max_zone_population_quantile",
    "main_centre",
    "min_centre_km",
    "max_centre_km",
    "min_centre_km_quantile",
    "max_centre_km_quantile",
)
RELATIVE_VALUE = st.one_of(
    st.floats(-0.5, 1.5),
    st.sampled_from([0, 1, 0.5, 1e-12, 2, 10, -1, 0.0, 1.0]),
    st.integers(-3, 400),
    NUMBERS,
    st.booleans(),
    SCALARS,
    st.lists(SCALARS, max_size=2),
)
RELATIVE_SELECTOR = st.dictionaries(
    st.sampled_from([*RELATIVE_KEYS, *RELATIVE_KEYS, "zone_kind", "min_zone_population", "origin", "limit"]),
    near(RELATIVE_VALUE, SELECTOR_VALUE, 4),
    max_size=4,
)


def test_the_relative_keys_are_selector_keys() -> None:
    assert set(RELATIVE_KEYS) <= set(ZONE_KEYS) <= set(SELECTOR_KEYS)


@FUZZ
@given(near(RELATIVE_SELECTOR, ANY_DATA), st.booleans())
def test_selector_parsing_gives_a_selector_or_a_one_line_config_error(data: Any, places: bool) -> None:
    """Arbitrary input to ``select``/``at``: a Selector (ZoneSelector) or a one-line ConfigError naming the key."""
    from simulation.scenarios.selectors import Selector, ZoneSelector, selector, zone_selector

    try:
        sel = selector(data, "k") if places else zone_selector(data, "k")
    except ConfigError as exc:
        event(f"error: {exc.key[:40]}")
        assert exc.key.startswith("k") and "\n" not in str(exc)
        return
    event("parsed")
    assert isinstance(sel, Selector if places else ZoneSelector)


@settings(FUZZ, max_examples=80)
@given(RELATIVE_SELECTOR)
def test_relative_selectors_pick_zones_or_fail_in_one_line(small_territory, data: Any) -> None:
    """A parsed zone selector picks a subset of the zones (never another exception), in population order."""
    from simulation.scenarios.selectors import select_places, select_zones, selector, zone_selector

    t = small_territory
    try:
        zsel = zone_selector(data, "k")
        picked = select_zones(zsel, t.zones, t.places, "k")
        sel = selector(data, "k")
        idx = select_places(sel, t.zones, t.places, "k")
    except ConfigError as exc:
        event("error")
        assert "\n" not in str(exc)
        return
    event(f"picked {'none' if picked.empty else 'some'}")
    assert set(picked["zone_id"]) <= set(t.zones["zone_id"])
    assert picked["population"].is_monotonic_decreasing
    assert set(t.places.loc[idx, "zone_id"]) <= set(t.zones["zone_id"])


@settings(FUZZ, max_examples=60)
@given(SCENARIO)
def test_scenario_loader_returns_operations_or_a_config_error(data: Any) -> None:
    try:
        cfg = to_config({"scenario": data}) if isinstance(data, dict) else to_config(scenario=data)
        ops = parse_interventions(cfg.scenario, PROVIDERS)
    except ConfigError as exc:
        event(f"error: {exc.key[:40]}")
        assert "\n" not in str(exc)
        return
    event("parsed")
    assert all(op.op in OPS for op in ops)


@settings(FUZZ, max_examples=40)
@given(st.text(max_size=120), st.lists(INTERVENTION, max_size=3))
def test_scenario_files_read_or_fail_in_one_line(text: str, interventions: list[dict[str, Any]]) -> None:
    """A scenario file's text: YAML errors are one line with the line and column (status 2); then the loader."""
    for source in (text, yaml.safe_dump({"name": "f", "interventions": interventions}, allow_unicode=True)):
        try:
            data = yaml.safe_load(source)
        except yaml.YAMLError as exc:
            message, status = describe(exc)  # type: ignore[misc]
            assert status == 2 and "\n" not in message and "not valid YAML" in message
            continue
        try:
            cfg = to_config({"scenario": data})
            parse_interventions(cfg.scenario, PROVIDERS)
        except ConfigError:
            pass


@pytest.fixture(scope="module")
def small_territory():
    import numpy as np

    from simulation.core.config import SyntheticConfig
    from simulation.territory.sources.synthetic import synthetic_territory

    return synthetic_territory(
        SyntheticConfig(cell_km=10.0, adults=2000), PROVIDERS, np.random.default_rng(0)
    )


@settings(FUZZ, max_examples=40)
@given(st.lists(INTERVENTION, min_size=1, max_size=3))
def test_applying_a_scenario_gives_a_territory_or_a_config_error(small_territory, interventions) -> None:
    try:
        cfg = to_config({"scenario": {"name": "fuzz", "interventions": interventions}})
        territory, new_cfg, log = apply_scenario(small_territory, cfg, PROVIDERS)
    except ConfigError as exc:
        event(f"error: {exc.key[:40]}")
        assert "\n" not in str(exc)
        return
    event("applied")
    assert len(territory.places) >= 1 and isinstance(new_cfg, SimConfig) and len(log) == len(interventions)


# --------------------------------------------------------------------------------------------------
# The configuration
# --------------------------------------------------------------------------------------------------
def _leaf_keys(cls: Any = SimConfig, prefix: str = "") -> list[str]:
    import dataclasses

    out = []
    for f in dataclasses.fields(cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            out += _leaf_keys(type(default), f"{prefix}{f.name}.")
        else:
            out.append(f"{prefix}{f.name}")
    return out


LEAVES = _leaf_keys()
CONFIG_VALUES = st.one_of(
    NUMBERS,
    st.booleans(),
    st.none(),
    JUNK,
    st.lists(st.one_of(NUMBERS, JUNK), max_size=3),
    st.dictionaries(
        st.one_of(st.sampled_from([*ZONE_KINDS, "AM", "PM", "EV", "other", "policy.x"]), JUNK),
        st.one_of(NUMBERS, JUNK, st.lists(NUMBERS, max_size=3)),
        max_size=4,
    ),
)


@settings(FUZZ, max_examples=100)
@given(st.dictionaries(near(st.sampled_from(LEAVES), JUNK, 6), CONFIG_VALUES, min_size=1, max_size=4))
def test_config_validator_returns_a_config_or_a_config_error(overrides: dict[str, Any]) -> None:
    try:
        cfg = to_config(**overrides)
    except ConfigError as exc:
        event(f"error: {exc.key[:30]}")
        assert str(exc).startswith("config key '") and "\n" not in str(exc)
        return
    except UserError:  # pragma: no cover - only ConfigError is expected from the validator
        raise
    event("valid")
    assert isinstance(cfg, SimConfig)
    _assert_finite(cfg)


def _assert_finite(obj: Any) -> None:
    """Every number of a validated configuration is finite (issue 8, item 4)."""
    import dataclasses

    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            _assert_finite(getattr(obj, f.name))
    elif isinstance(obj, dict):
        for v in obj.values():
            _assert_finite(v)
    elif isinstance(obj, list | tuple):
        for v in obj:
            _assert_finite(v)
    elif isinstance(obj, float):
        assert math.isfinite(obj), obj
