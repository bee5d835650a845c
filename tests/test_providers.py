"""Providers' quarterly review (docs/ODD.md 7.8) and the ownership of offices."""

from __future__ import annotations

from omegaconf import OmegaConf

from conftest import small_cfg
from simulation.sim.model import SharedPlacesModel, run

ZONE = [dict(zone_id="A", x_km=0, y_km=0, population=2000, kind="rural", car_share=0.9)]


def _providers(rate_a: float, rate_b: float) -> list[dict]:
    return [
        {"id": "a", "name": "A", "needs_per_adult_year": rate_a, "online_share": 0.0, "delegates": True},
        {"id": "b", "name": "B", "needs_per_adult_year": rate_b, "online_share": 0.0, "delegates": False},
    ]


def test_a_permanence_without_visitors_is_dropped(tiny_territory):
    # b has no needs at all: its Tuesday permanence at the hub serves nobody and must go after a quarter
    places = [
        dict(place_id="off_a", zone_id="A", origin="provider_office", counters=2, providers="a"),
        dict(
            place_id="hub",
            zone_id="A",
            origin="france_services",
            counters=2,
            providers="france_services + b(Tue AM)",
        ),
    ]
    terr = tiny_territory(ZONE, places, ["a", "b"])
    cfg = small_cfg({"providers": _providers(1.0, 0.0)}, weeks=14, **{"population.teleworkable_share": 0.0})
    res = run(cfg, territory=terr)
    prov = res.tables["providers"].set_index("provider_id")
    assert prov.loc["b", "slots_dropped"] == 1
    assert prov.loc["b", "permanence_places_end"] == 0
    # a's own office is not a permanence and is never reviewed away
    assert prov.loc["a", "own_offices"] == 1
    assert prov.loc["a", "slots_dropped"] == 0


def test_rejections_add_a_permanence_slot_within_budget(tiny_territory):
    # b (no delegation) is only present on Monday mornings at one small counter: far more visitors than seats
    places = [dict(place_id="hub", zone_id="A", origin="community_centre", counters=1, providers="b(Mon AM)")]
    terr = tiny_territory(ZONE, places, ["a", "b"])
    provs = _providers(0.0, 20.0)
    provs[1]["extra_slots_budget"] = 2
    cfg = small_cfg({"providers": provs}, weeks=26, **{"population.teleworkable_share": 0.0})
    model = SharedPlacesModel(cfg, terr)
    before = bin(int(model.network.perm[1, 0])).count("1")
    for _ in range(model.total_days):
        model.step()
    after = bin(int(model.network.perm[1, 0])).count("1")
    added = list(model.providers)[1].slots_added
    assert before == 1
    assert added == 2  # two quarters, each over max_rejections, the budget caps it at 2
    assert after == before + added


def test_converted_post_office_stays_la_postes_office(tiny_territory):
    # converting a post office into a shared point with a CAF permanence must not make it a CAF office
    zones = [dict(zone_id="A", x_km=0, y_km=0, population=500, kind="rural", car_share=0.9)]
    places = [dict(place_id="po", zone_id="A", origin="post_office", counters=1, providers="la_poste")]
    terr = tiny_territory(zones, places)
    sc = OmegaConf.create(
        {
            "name": "convert",
            "interventions": [
                {"op": "convert", "select": {"origin": ["post_office"]}, "permanences": {"caf": "Thu PM"}}
            ],
        }
    )
    res = run(small_cfg({"scenario": sc}), territory=terr)
    prov = res.tables["providers"].set_index("provider_id")
    assert prov.loc["la_poste", "own_offices"] == 1
    assert prov.loc["caf", "own_offices"] == 0
    assert prov.loc["caf", "permanence_places_end"] == 1
    assert prov.loc["caf", "permanence_staff_eur"] > 0
