"""Timetables: slot convention, human syntax, round trips and the France Services hours parser."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.core.timetable import (
    DAYS,
    FULL_WEEK,
    N_SLOTS,
    PARTS,
    TimetableError,
    array_to_mask,
    day_mask,
    format_timetable,
    mask_to_array,
    masks_to_matrix,
    parse_fs_hours,
    parse_timetable,
    slot,
    week_from_days,
)

FS_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "france" / "france_services_2020.csv"
AM, PM, EV = 1, 2, 4


def slots_of(mask: int) -> set[str]:
    return {f"{DAYS[s // 3]} {PARTS[s % 3]}" for s in range(N_SLOTS) if mask >> s & 1}


def test_slot_convention() -> None:
    assert (len(DAYS), len(PARTS), N_SLOTS) == (7, 3, 21)
    assert slot(0, 0) == 0 and slot(1, 2) == 5 and slot(6, 2) == 20
    assert FULL_WEEK == 2**21 - 1
    assert parse_timetable("Tue EV") == 1 << 5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mon-Fri AM PM; Sat AM", {f"{d} {p}" for d in DAYS[:5] for p in ("AM", "PM")} | {"Sat AM"}),
        ("mon,wed ev", {"Mon EV", "Wed EV"}),
        ("Mon Wed  PM", {"Mon PM", "Wed PM"}),
        ("Sat-Mon EV", {"Sat EV", "Sun EV", "Mon EV"}),  # wrapping range
        ("Wed-Wed AM", {"Wed AM"}),
        ("Mon AM; Mon AM PM", {"Mon AM", "Mon PM"}),  # overlapping groups are a union
        ("ALL", {f"{d} {p}" for d in DAYS for p in PARTS}),
        ("-", set()),
        ("  ", set()),
    ],
)
def test_parse_timetable(text: str, expected: set[str]) -> None:
    assert slots_of(parse_timetable(text)) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("Mon-Fry AM", "unknown token 'Fry'"),
        ("Mon", "expected at least one part (AM, PM, EV)"),
        ("AM PM", "expected at least one day"),
        ("Mon AM Tue PM", "'Tue' after the parts"),
        ("Mon AM;; Tue PM", "empty group"),
        ("Mon XX", "or a part (AM, PM, EV)"),
        ("all AM", "'all' must stand alone"),
        ("Mon-Tue-Wed AM", "more than two ends"),
        ("Mon AM;", "empty group"),
    ],
)
def test_parse_timetable_errors(text: str, fragment: str) -> None:
    with pytest.raises(TimetableError) as err:
        parse_timetable(text)
    assert fragment in str(err.value)
    assert isinstance(err.value, ValueError)


def test_format_is_canonical_and_round_trips() -> None:
    assert format_timetable(0) == "-"
    assert format_timetable(FULL_WEEK) == "Mon-Sun AM PM EV"
    assert format_timetable(parse_timetable("Sat AM; Mon-Fri PM AM")) == "Mon-Fri AM PM; Sat AM"
    assert format_timetable(parse_timetable("Tue-Sat PM; Wed AM; Sat AM")) == "Tue,Thu,Fri PM; Wed,Sat AM PM"
    r = random.Random(7)
    for _ in range(5000):
        m = r.getrandbits(N_SLOTS)
        assert parse_timetable(format_timetable(m)) == m


def test_format_rejects_non_masks() -> None:
    for bad in (-1, FULL_WEEK + 1, 1.5, True):
        with pytest.raises(ValueError):
            format_timetable(bad)  # type: ignore[arg-type]


def test_arrays() -> None:
    m = parse_timetable("Mon AM; Sun EV")
    a = mask_to_array(m)
    assert a.dtype == bool and a.shape == (21,)
    assert list(np.flatnonzero(a)) == [0, 20]
    assert array_to_mask(a) == m
    mat = masks_to_matrix([0, m, FULL_WEEK])
    assert mat.shape == (3, 21) and mat.sum(axis=1).tolist() == [0, 2, 21]
    with pytest.raises(ValueError):
        array_to_mask(np.zeros(20, bool))


def test_day_masks() -> None:
    m = week_from_days([AM | PM, 0, EV])
    assert day_mask(m, 0) == AM | PM and day_mask(m, 1) == 0 and day_mask(m, 2) == EV
    assert format_timetable(m) == "Mon AM PM; Wed EV"


# --------------------------------------------------------------------------------------------------
# France Services hours
# --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "bits", "readable"),
    [
        ("8:30 - 12:00 / 13:30 - 17:00", AM | PM, True),
        ("08:30 - 12:00", AM, True),
        ("8:30 : 12:00 / 13:30 - 18:00", AM | PM, True),  # ':' typed for '-'; 18:00 is not after 18:00
        ("14:00/18:00", PM, True),
        ("9h-12h", AM, True),
        ("9h30 - 12h / 14h - 18h30", AM | PM | EV, True),
        ("09:00 -14:00", AM | PM, True),  # one interval across lunch
        ("12:30 - 17:00", AM | PM, True),  # starts before 13:00: counts as a morning too (docs/ODD.md 6)
        ("16:30 - 18:30", PM | EV, True),
        ("9:00 - 12:00 13:30 - 16:00", AM | PM, True),  # missing '/'
        ("8:30 - 12:30 et 13:30 - 17:30", AM | PM, True),
        ("09:00 - 12:00 / 13:30 - 17 :00", AM | PM, True),
        ("9:00 - 12\xa0:30 / 13:30 - 18:30", AM | PM | EV, True),
        ("9:30 \u2013 12:30", AM, True),  # en dash
        ("9: 12:30 / 13:15 17:", AM | PM, True),  # lost minutes that cannot change a half-day
        ("-", 0, True),
        ("Espace fermé ce jour", 0, True),
        ("", 0, False),  # nothing written: unknown, not closed
        (None, 0, False),
        ("Horaires non communiqués", 0, False),
        ("Après-midi sur RDV", 0, False),
        ("10:00 - 13:00 / Après-midi sur RDV", AM, False),
        ("9:00 - 12:00 / Sur RDV : 14:00 - 17:00", AM, False),  # by appointment is not regular opening
        ("Semaines paires : 9:00 - 12:00", 0, False),
        ("14:00 - 18:", PM, False),  # 18:00 or 18:30? the evening is not sure
        ("10:30-12:30 / 113:30 - 18:30", AM, False),  # not a time
        ("8:30 - 12:00 / 13/30 - 17:00", AM, False),
        ("12:00 - 9:00", 0, False),  # ends before it starts
        ("9:00 -", 0, False),  # a start without an end
    ],
)
def test_parse_fs_hours(text: str | None, bits: int, readable: bool) -> None:
    assert parse_fs_hours(text) == (bits, readable)


@pytest.mark.skipif(not FS_CSV.is_file(), reason="reference data not available")
def test_parse_fs_hours_on_the_national_file() -> None:
    f = pd.read_csv(FS_CSV, dtype=str, keep_default_na=False)
    cells = pd.concat([f[c] for c in ("h_mon", "h_tue", "h_wed", "h_thu", "h_fri", "h_sat")])
    results = cells.map(parse_fs_hours)
    ok = results.map(lambda r: r[1])
    # Every plain "H:MM - H:MM / H:MM - H:MM" cell is readable, and no cell raises.
    plain = cells.str.fullmatch(r"\d{1,2}:\d{2} - \d{1,2}:\d{2}( / \d{1,2}:\d{2} - \d{1,2}:\d{2})?")
    assert ok[plain].all()
    # Free text is never fully read: 'RDV' (appointments) and 'non communiqués' cells are all flagged.
    assert not ok[cells.str.contains("RDV|non communiqu", case=False)].any()
    # Most of the file is readable; the rest is what the build reports.
    assert 0.8 < ok.mean() < 0.95
