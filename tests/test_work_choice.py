"""The work choice, trip chaining and errands (docs/ODD.md 7.1, 7.2b): limit cases with known answers.

Statistical checks allow Z standard errors, the standard error computed from the probabilities themselves (a
count of independent Bernoulli draws has variance sum p (1 - p)).
"""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from conftest import providers, small_cfg, synthetic_cfg
from simulation.core.choice import nested_logit_probabilities
from simulation.sim import work as work_choice
from simulation.sim.model import SharedPlacesModel, run
from simulation.sim.observer import Observer
from simulation.sim.work import HOME, OFFICE

Z = 4.0
ROOT = Path(__file__).resolve().parents[1]
HUGE = 1_000_000

ZONES = [
    dict(zone_id="A", x_km=0, y_km=0, population=3000, kind="periurban", car_share=0.8),
    dict(zone_id="B", x_km=8, y_km=0, population=3000, kind="urban", car_share=0.6),
    dict(zone_id="C", x_km=24, y_km=0, population=0, kind="centre", jobs=1000),
]


def choice_cfg(**work):
    return small_cfg(
        {
            "providers": providers("a"),
            "weeks": 4,
            "population": {"employment_rate": 1.0, "teleworkable_share": 1.0, "agreement_share": 1.0},
            "policy": {"employer_pays_third_place": True},  # no day pass: no subscription effect either
            "behaviour": {
                "work": {
                    "habit": 0.0,
                    "community": 0.0,
                    "asc_home": -0.3,
                    "asc_third": 0.4,
                    "third_taste_sd": 0.0,
                    "min_saving_minutes": None,
                    **work,
                }
            },
        }
    )


@pytest.mark.parametrize(("nesting", "mu"), [("remote", 0.3), ("remote", 0.7), ("away", 0.4)])
def test_shares_equal_the_nested_logit_probabilities(tiny_territory, nesting, mu):
    places = [dict(place_id="cwA", zone_id="A", desks=HUGE), dict(place_id="cwB", zone_id="B", desks=HUGE)]
    model = SharedPlacesModel(choice_cfg(nesting=nesting, mu=mu), tiny_territory(ZONES, places, ["a"]))
    workers = np.arange(model.world.pop.n_workers)
    expected = np.zeros(4)
    variance = np.zeros(4)
    observed = np.zeros(4)
    while model.day < model.total_days:
        monday = model.day % 7 == 0
        if monday:  # every worker decides on Mondays (the weekly allowance is reset)
            util, cand = work_choice.utilities(model.world, model.workers, workers, 0)
            prob = nested_logit_probabilities(util, work_choice.in_nest(nesting, cand.shape[1]), mu)
            for col in range(util.shape[1]):
                if col < 2:
                    p = prob[:, col]
                    expected[col] += p.sum()
                    variance[col] += (p * (1 - p)).sum()
                else:
                    for j in range(2):
                        p = np.where(cand[:, col - 2] == j, prob[:, col], 0.0)
                        expected[2 + j] += p.sum()
                        variance[2 + j] += (p * (1 - p)).sum()
        model.step()
        if monday:
            tp = model.workers.today_place
            observed += [(tp == OFFICE).sum(), (tp == HOME).sum(), (tp == 0).sum(), (tp == 1).sum()]
    for k in range(4):
        assert expected[k] > 300, f"no power on alternative {k}"
        assert abs(observed[k] - expected[k]) <= Z * math.sqrt(variance[k]), (k, observed[k], expected[k])


def test_mu_one_is_the_multinomial_logit_draw_for_draw(tiny_territory):
    places = [dict(place_id="cwA", zone_id="A", desks=HUGE), dict(place_id="cwB", zone_id="B", desks=HUGE)]
    terr = tiny_territory(ZONES, places, ["a"])
    a = run(choice_cfg(mu=1.0, nesting="remote"), territory=terr)
    b = run(choice_cfg(mu=1.0, nesting="away"), territory=terr)  # the nesting cannot matter at mu = 1
    for k in ("person_km_work", "office_days", "home_days", "third_place_days"):
        assert a.summary[k] == b.summary[k]


class ThirdDays(Observer):
    """Every third-place day: (one-way minutes and km to the place, and to the worker's office)."""

    def __init__(self) -> None:
        self.rows: list[np.ndarray] = []

    def on_day(self, model):
        if (model.day - 1) % 7 >= 5:
            return
        w, zp, zz = model.workers, model.world.zp, model.world.zz
        third = np.flatnonzero(w.today_place >= 0)
        p, z, c = w.today_place[third], w.zone[third], w.car[third]
        self.rows.append(
            np.column_stack(
                [zp.minutes[c, z, p], w.commute_min[third], zp.km[z, p], zz.km[z, w.job_zone[third]]]
            )
        )

    def table(self) -> np.ndarray:
        return np.concatenate(self.rows) if self.rows else np.zeros((0, 4))


def _third_days(min_saving):
    cfg = synthetic_cfg(
        {
            "population": {"teleworkable_share": 1.0, "agreement_share": 1.0, "sample_rate": 1.0},
            "territory": {"synthetic": {"car_share_rural": 1.0, "car_share_town": 1.0}},
            "behaviour": {"work": {"asc_third": 2.0, "min_saving_minutes": min_saving}},
        }
    )
    obs = ThirdDays()
    run(cfg, observers=[obs])
    return obs.table()


def test_with_the_time_saving_rule_no_third_place_is_farther_than_the_office():
    days = _third_days(10.0)
    assert len(days) > 500
    # one-way time: at least 10 minutes saved; every trip is by car here, so the place is nearer in km too
    assert (days[:, 0] <= days[:, 1] - 10.0 + 1e-9).all()
    assert (days[:, 2] <= days[:, 3] + 1e-9).all()
    # without the rule, many third-place days are farther than the office (the rule is what prevents it)
    free = _third_days(None)
    assert (free[:, 2] > free[:, 3]).sum() > 100


LINE_KM = 40.0


def line_setup(tiny_territory, coworking: bool, desks: int = HUGE, remote_days: int = 2):
    zones = [
        dict(zone_id="D", x_km=0, y_km=0, population=2000, kind="rural", car_share=1.0, jobs=0, area_km2=9.0),
        dict(zone_id="J", x_km=LINE_KM, y_km=0, population=0, kind="urban", car_share=1.0, jobs=1000),
    ]
    places = [dict(place_id="cw", zone_id="D", desks=desks, opening="Mon-Fri AM PM")] if coworking else []
    places.append(dict(place_id="th", zone_id="J", origin="town_hall", opening="Mon AM"))
    cfg = small_cfg(
        {
            "providers": providers("a"),
            "weeks": 2,
            "travel": {"detour": 1.0},
            "population": {
                "employment_rate": 1.0,
                "teleworkable_share": 1.0,
                "agreement_share": 1.0,
                "maker_share": 0.0,
            },
            "policy": {
                "third_place_counts_as_remote": False,
                "employer_pays_third_place": True,
                "remote_days_per_week": remote_days,
            },
            "behaviour": {"work": {"asc_home": -50.0, "asc_third": 0.5}},
        }
    )
    return cfg, tiny_territory(zones, places, ["a"])


def test_a_third_place_in_the_dormitory_zone_saves_the_commute_minus_the_local_trip(tiny_territory):
    cfg, without = line_setup(tiny_territory, coworking=False)
    _, with_ = line_setup(tiny_territory, coworking=True)
    a, b = run(cfg, territory=without).summary, run(cfg, territory=with_).summary
    intra = (2.0 / 3.0) * math.sqrt(9.0 / math.pi)  # the mean trip inside zone D (area 9 km2, detour 1)
    replaced = b["third_place_days"]
    assert replaced > 1000 and a["third_place_days"] == 0 and b["home_days"] == 0 == a["home_days"]
    assert b["office_days"] + replaced == a["office_days"]  # every replaced day was an office day
    saving = 2 * (LINE_KM - intra)
    assert a["person_km_total"] - b["person_km_total"] == pytest.approx(replaced * saving, rel=1e-9)
    # and the worker-day at the third place costs 2 x the km inside the zone
    assert b["person_km_third_place"] == pytest.approx(replaced * 2 * intra, rel=1e-9)


def test_a_full_telecentre_sends_a_worker_without_allowance_to_the_office_not_home(tiny_territory):
    # Under a telecentre agreement every teleworker may choose the third place; one turned away from a full room
    # works at home only while the week's allowance lasts. With no allowance at all, nobody works at home (the
    # fall-back to home had made telecentre_agreement's home days exceed the employer's cap).
    cfg, territory = line_setup(tiny_territory, coworking=True, desks=5, remote_days=0)
    summary = run(cfg, territory=territory).summary
    # every worker wants the room every day; 5 desks: most are turned away, every day
    assert 0 < summary["third_place_days"] <= 5 * 5 * cfg.weeks
    assert summary["home_days"] == 0
    workdays = summary["office_days"] + summary["third_place_days"]
    assert workdays == pytest.approx(summary["n_workers"] * 5 * cfg.weeks, rel=1e-9)


def test_a_visit_chained_with_the_commute_costs_its_detour(tiny_territory):
    # home H, the place P off the straight way to the job J: detour = d(H,P) + d(P,J) - d(H,J)
    zones = [
        dict(zone_id="H", x_km=0, y_km=0, population=200, kind="rural", car_share=1.0, jobs=0),
        dict(zone_id="P", x_km=6, y_km=8, population=0, kind="rural", car_share=1.0, jobs=0),
        dict(zone_id="J", x_km=20, y_km=0, population=0, kind="urban", car_share=1.0, jobs=100),
    ]
    places = [
        dict(place_id="fs", zone_id="P", origin="france_services", counters=1000, opening="Mon-Fri AM PM",
             providers="france_services", label="france_services"),
    ]  # fmt: skip
    cfg = small_cfg(
        {
            "providers": providers("a"),
            "weeks": 1,
            "travel": {"detour": 1.0},
            "population": {"employment_rate": 1.0, "teleworkable_share": 0.0},
            "behaviour": {"service": {"asc_give_up": -50.0}},
        }
    )
    model = SharedPlacesModel(cfg, tiny_territory(zones, places, ["a"]))
    n = model.world.pop.n_residents
    res = model.residents
    res.add_needs(np.arange(n), 0, day=0, deadline=0)  # due today (Monday)
    model.step()
    t = model.recorder.tot
    detour_km = 10.0 + math.hypot(14.0, 8.0) - 20.0
    assert t.trips == n and t.chained_visits == n and t.solved == n
    assert t.km_service == pytest.approx(n * detour_km, rel=1e-12)
    zz = model.world.zz
    minutes = zz.minutes[1, 0, 1] + zz.minutes[1, 1, 2] - zz.minutes[1, 0, 2]
    assert t.hours_service == pytest.approx(n * minutes / 60.0, rel=1e-12)


def test_errands_of_home_days_are_round_trips_to_the_nearest_town(tiny_territory):
    zones = [
        dict(zone_id="V", x_km=0, y_km=0, population=1000, kind="rural", car_share=1.0, jobs=0),
        dict(zone_id="T", x_km=12, y_km=0, population=0, kind="urban", car_share=1.0, jobs=1000),
    ]
    cfg = small_cfg(
        {
            "providers": providers("a"),
            "weeks": 2,
            "travel": {"detour": 1.0},
            "population": {"employment_rate": 1.0, "teleworkable_share": 1.0, "agreement_share": 1.0},
            "behaviour": {"work": {"asc_home": 0.0, "errands_per_week": 2.5}},
        }
    )
    s = run(
        cfg, territory=tiny_territory(zones, [dict(place_id="th", zone_id="V", origin="town_hall")], ["a"])
    ).summary
    assert s["home_days"] > 500
    rate = 2.5 / 5  # errands per home day
    assert s["errand_trips"] == pytest.approx(rate * s["home_days"], rel=1e-12)
    assert s["person_km_errands"] == pytest.approx(rate * s["home_days"] * 2 * 12.0, rel=1e-12)
    total = s["person_km_work"] + s["person_km_errands"] + s["person_km_service"] + s["person_km_workshop"]
    assert s["person_km_total"] == pytest.approx(total, rel=1e-12)


def test_scenarios_with_the_same_seed_face_the_same_needs():
    scen = yaml.safe_load((ROOT / "configs" / "scenario" / "telecentre_agreement.yaml").read_text())
    a = run(synthetic_cfg()).summary
    b = run(synthetic_cfg({"scenario": scen})).summary
    assert a["needs_human"] == b["needs_human"] and a["n_workers"] == b["n_workers"]
    assert b["third_place_days"] > a["third_place_days"]


@pytest.mark.parametrize(
    ("override", "key"),
    [
        ("behaviour.work.mu=0", "behaviour.work.mu"),
        ("behaviour.work.mu=1.5", "behaviour.work.mu"),
        ("behaviour.work.min_saving_minutes=-5", "behaviour.work.min_saving_minutes"),
        ("behaviour.work.asc_home=nan", "behaviour.work.asc_home"),
        ("behaviour.work.b_time=-inf", "behaviour.work.b_time"),
        ("behaviour.work.nesting=both", "behaviour.work.nesting"),
    ],
)
def test_bad_work_choice_values_exit_2_naming_the_key(tmp_path, override, key):
    proc = subprocess.run(
        [sys.executable, "-m", "simulation.cli", override, "territory=synthetic", "weeks=1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"'{key}'" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize("asc_third", [-4.13, 0.0, 4.0])
@pytest.mark.parametrize(("nesting", "mu"), [("remote", 0.5), ("away", 0.3), ("remote", 1.0)])
def test_screening_the_pairs_keeps_every_pick(asc_third, nesting, mu, monkeypatch):
    """The pairs dropped by could_win() never win: the screened choice is the full one, pick for pick, whether
    third places rarely win (the calibrated constant), often, or nearly always; and the screen does drop pairs."""
    cfg = synthetic_cfg(
        **{"behaviour.work.asc_third": asc_third, "behaviour.work.nesting": nesting, "behaviour.work.mu": mu}
    )
    model = SharedPlacesModel(cfg)
    for _ in range(9):  # into the second week: habits, regulars and subscriptions are set
        model.step()
    world, workers = model.world, model.workers
    deciders = np.flatnonzero(workers.can_telework)
    picked: list[int] = []  # pairs reaching the pick, full then screened
    real = work_choice.pick_sparse

    def spy(u_oh, noise_oh, rows, *rest):
        picked.append(rows.size)
        return real(u_oh, noise_oh, rows, *rest)

    monkeypatch.setattr(work_choice, "pick_sparse", spy)
    wins = 0
    for day, s in [(9, 6), (10, 9), (11, 12)]:
        full = work_choice.choose_places(world, workers, deciders, None, day, s, screen=False)
        screened = work_choice.choose_places(world, workers, deciders, None, day, s)
        np.testing.assert_array_equal(screened, full)
        wins += int((full >= 0).sum())
    if asc_third >= 0:
        assert wins > 0  # third places do win, and the screen kept them
    n_full, n_screened = sum(picked[0::2]), sum(picked[1::2])
    assert wins <= n_screened < n_full  # every winner reached the pick; some pairs did not
