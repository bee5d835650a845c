"""The places as arrays (simulation.sim.network.Network): coverage, inert counters, capacities, refresh after a
change, and the capacity draws at a fractional sample rate (docs/ODD.md 7.2, 7.3)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import small_cfg
from simulation.core.timetable import parse_timetable
from simulation.sim.network import MEDIATION, WORK, Network

ZONES = [dict(zone_id="z", population=100)]


def _network(tiny_territory, places, cfg=None):
    cfg = cfg or small_cfg()
    terr = tiny_territory(ZONES, places, [p.id for p in cfg.providers])
    return Network(terr.places, {"z": 0}, cfg), cfg


def test_cover_bits_come_from_the_partner_network_and_permanences(tiny_territory) -> None:
    places = [
        dict(
            place_id="fs",
            zone_id="z",
            counters=2,
            opening="Mon-Fri AM PM",
            providers="france_services + la_poste(Mon AM)",
        ),
        dict(place_id="th", zone_id="z", origin="town_hall", counters=1, opening="Mon-Fri AM"),
        dict(
            place_id="cw",
            zone_id="z",
            origin="coworking",
            operator="private",
            desks=10,
            opening="Mon-Fri AM PM",
        ),
    ]
    net, cfg = _network(tiny_territory, places)
    ids = [p.id for p in cfg.providers]
    delegating = sum(1 << k for k, p in enumerate(cfg.providers) if p.delegates)
    la_poste = 1 << ids.index("la_poste")
    mon_am, tue_pm = 0, 4
    assert net.cover[0, mon_am] == delegating | la_poste
    assert net.cover[0, tue_pm] == delegating
    # a town hall's counter that no provider serves is inert: no cover, its mediation never open
    assert (net.cover[1] == 0).all() and not net.slot_open[1, :, MEDIATION].any()
    assert set(net.mediation_places) == {0} and set(net.desk_places) == {2}
    assert net.active.tolist() == [True, False, True]


def test_refresh_after_a_closure_and_an_extension(tiny_territory) -> None:
    places = [
        dict(place_id="fs", zone_id="z", counters=2, opening="Mon-Fri AM PM", providers="france_services"),
        dict(
            place_id="cw", zone_id="z", origin="coworking", operator="private", desks=10, opening="Mon-Fri AM"
        ),
    ]
    net, _ = _network(tiny_territory, places)
    v = net.version
    net.is_open[0] = False
    net.act_mask[1, WORK] |= parse_timetable("Mon PM")
    net.refresh()
    assert net.version == v + 1
    assert net.mediation_places.size == 0 and not net.active[0]
    assert net.slot_open[1, 1, WORK] and not net.slot_open[1, 4, WORK]


def test_capacities_scale_with_the_sample_rate_and_draws_keep_their_expectation(tiny_territory) -> None:
    places = [dict(place_id="fs", zone_id="z", counters=3, opening="all", providers="france_services")]
    cfg = small_cfg(**{"population.sample_rate": 0.1})
    net, cfg = _network(tiny_territory, places, cfg)
    per_slot = 3 * cfg.behaviour.service.contacts_per_counter_slot * 0.1  # 1.8 visitors
    assert net.capacity_f[0, MEDIATION] == pytest.approx(per_slot)
    draws = np.array([net.slot_capacity(np.uint64(12345), t, MEDIATION)[0] for t in range(20_000)])
    assert set(np.unique(draws)) == {1, 2}
    # floor 1 plus a Bernoulli(0.8): the mean is within 4.5 standard errors of 1.8
    assert abs(draws.mean() - per_slot) <= 4.5 * np.sqrt(0.8 * 0.2 / draws.size)
