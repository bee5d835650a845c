"""Tests of simulation.viz.reading: the decision-makers' reading of a comparison, on hand-made tables."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.core.config import to_config
from simulation.core.errors import ConfigError
from simulation.experiments.aggregation import comparison_table
from simulation.experiments.decomposition import decomposition_table, scenario_kinds
from simulation.viz.reading import (
    MINUS,
    answer_paragraph,
    compact,
    difference_text,
    intervention_counts,
    interventions_text,
    is_material,
    main_kind,
    material_cell,
    percent,
    share_of_baseline,
    territory_text,
    travel_sentence,
    verdict,
)

M = MINUS


def _row(scenario: str, kpi: str, d: float, low: float, high: float, base: float) -> dict:
    return {
        "scenario": scenario,
        "kpi": kpi,
        "diff_mean": d,
        "ci_low": low,
        "ci_high": high,
        "baseline_mean": base,
        "significant": bool(low > 0 or high < 0),
        "n": 5,
    }


def _comparison() -> pd.DataFrame:
    km, base_km = "person_km_total", 620e6
    rows = [
        _row("telecentre_agreement", km, -2.64e6, -2.68e6, -2.61e6, base_km),
        _row("mediation_hubs", km, -558e3, -567e3, -549e3, base_km),
        _row("coworking_network", km, -15e3, -31e3, 2e3, base_km),
        _row("open_public_buildings", km, 1.90e6, 1.81e6, 1.99e6, base_km),
        _row("telecentre_agreement", "public_cost_eur", 0.0, 0.0, 0.0, 5e6),
        _row("mediation_hubs", "public_cost_eur", 300e3, 290e3, 310e3, 5e6),
        _row("coworking_network", "public_cost_eur", 0.0, 0.0, 0.0, 5e6),
        _row("open_public_buildings", "public_cost_eur", 4.59e6, 4.5e6, 4.7e6, 5e6),
        _row("mediation_hubs", "unmet_need_rate", -0.031, -0.034, -0.028, 0.20),
        _row("coworking_network", "unmet_need_rate", 0.0001, -0.001, 0.001, 0.20),
    ]
    return pd.DataFrame(rows)


def test_numbers_read_naturally() -> None:
    assert compact(-347e3) == f"{M}347 k"
    assert compact(1.9e6, sign=True) == "+1.90 M"
    assert compact(999_999) == "1.00 M"
    assert percent(share_of_baseline(-347e3, 620e6)) == f"{M}0.06 %"
    assert percent(share_of_baseline(-3.1, 20.0)) == f"{M}16 %"
    assert percent(0.0043) == "+0.43 %"


def test_material_is_distinct_from_significant() -> None:
    km = _comparison().query("kpi == 'person_km_total'").set_index("scenario")
    # significant and above 0.2 % of the baseline's person-km (1.24 M)
    assert verdict(km.loc["telecentre_agreement"].to_dict() | {"kpi": "person_km_total"}) == "material"
    # significant (the interval excludes 0) but 0.09 % of the baseline: small
    assert verdict(km.loc["mediation_hubs"].to_dict() | {"kpi": "person_km_total"}) == "small"
    assert verdict(km.loc["coworking_network"].to_dict() | {"kpi": "person_km_total"}) == "n.s."
    # the threshold is configurable per KPI
    assert is_material("person_km_total", -558e3, 620e6, {"person_km_total": 0.0005})
    assert not is_material("person_km_total", -558e3, 620e6)
    assert is_material("places_closed", 1.0, 0.0)  # a baseline of 0: any change is material


def test_the_printed_table_marks_cells_as_the_report_does() -> None:
    comp = _comparison()
    text = comparison_table(comp, ["person_km_total", "public_cost_eur"], material={"person_km_total": 0.002})
    rows = {line.split()[0]: line for line in text.splitlines()}
    # the report's cell: share of the baseline, interval; ** when material, n.s. when not significant
    assert f"**{M}2.64 M** ({M}0.43 %) [{M}2.68 M, {M}2.61 M]" in rows["telecentre_agreement"]
    assert f" {M}558 k ({M}0.09 %) [{M}567 k, {M}549 k] " in rows["mediation_hubs"]  # significant, small
    assert f"{M}15.0 k ({M}<0.01 %) [{M}31.0 k, +2.00 k] n.s." in rows["coworking_network"]
    assert "0 (every seed)" in rows["coworking_network"]  # no change of public cost in any seed
    for row in comp.to_dict("records"):  # every cell is the report's
        cell = material_cell(row, row["kpi"], {"person_km_total": 0.002})
        assert row["kpi"] not in ("person_km_total", "public_cost_eur") or cell in rows[row["scenario"]]
    # a stricter threshold turns the material saving into a plain significant one
    strict = comparison_table(comp, ["person_km_total"], material={"person_km_total": 0.01})
    telecentre = next(line for line in strict.splitlines() if line.startswith("telecentre_agreement"))
    assert f" {M}2.64 M ({M}0.43 %)" in telecentre and "**" not in telecentre


def test_difference_text_has_share_and_interval() -> None:
    row = _comparison().iloc[0].to_dict()
    assert difference_text(row) == f"{M}2.64 M person-km ({M}0.43 %; 95 % CI {M}2.68 M to {M}2.61 M)"
    unmet = _comparison().query("kpi == 'unmet_need_rate'").iloc[0].to_dict()
    assert difference_text(unmet, interval=False) == f"{M}3.1 points ({M}16 %)"


def test_material_config_key_is_typed_and_validated() -> None:
    cfg = to_config(**{"experiment.material": {"co2_t": 0.01}})
    assert cfg.experiment.material["co2_t"] == 0.01
    assert cfg.experiment.material["person_km_total"] == 0.002  # the other defaults stay
    with pytest.raises(ConfigError, match="experiment.material.km"):
        to_config(**{"experiment.material": {"km": 0.01}})
    with pytest.raises(ConfigError, match=r"experiment.material.co2_t.*<= 1"):
        to_config(**{"experiment.material": {"co2_t": 1.5}})


def test_interventions_from_notes() -> None:
    notes = [
        "period 0: po_1 adds mediation capacity (1 -> 2)",
        "scenario wider_mesh: close: 12 places removed (post_office 12)",
        "scenario wider_mesh: convert: 4 places (town_hall 4) -> shared mediation points (label none)",
        "scenario wider_mesh: add_places: the zone selector matched no zone (nothing added)",
        "scenario other: convert: 99 places (town_hall 99) -> ...",
    ]
    one = intervention_counts(notes, "wider_mesh")
    assert one == {"closed": 12, "converted": 4, "empty": 1}
    other = intervention_counts([n.replace("4 places", "5 places") for n in notes], "wider_mesh")
    text = interventions_text([one, other])
    assert text == (
        "4 to 5 places converted; 12 places closed; 1 intervention changed nothing (its selector matched no "
        "place or zone)"
    )
    added = intervention_counts(
        ["scenario c: add_places: 3 places added (origin new; urban 3) with 10 desks"], "c"
    )
    assert interventions_text([added]) == "3 places added"


def _runs() -> pd.DataFrame:
    base = {
        "person_km_office": 100e6,
        "person_km_third_place": 0.0,
        "person_km_errands": 10e6,
        "person_km_service": 5e6,
        "person_km_workshop": 1.0e6,
        "office_days": 1e6,
        "third_place_days": 0.0,
        "errand_trips": 1e5,
        "service_trips": 5e4,
        "workshop_trips": 20e3,
        "maker_sessions": 20e3,
        "home_days": 5e5,
    }
    scen = dict(base)
    scen.update(
        person_km_workshop=3.14e6,
        workshop_trips=104e3,
        maker_sessions=104e3,
        person_km_office=99.6e6,
        office_days=0.998e6,
    )
    rows = []
    for seed in (0, 1):
        rows.append({"scenario": "baseline", "seed": seed, **base})
        rows.append({"scenario": "open_public_buildings", "seed": seed, **scen})
    runs = pd.DataFrame(rows)
    runs["person_km_total"] = runs.filter(like="person_km_").sum(axis=1)  # the kinds add up to the total
    return runs


def test_travel_sentence_names_the_kind_that_carries_the_change() -> None:
    dec = scenario_kinds(decomposition_table(_runs(), "baseline"), "open_public_buildings")
    text = travel_sentence(dec)
    assert text.startswith(
        f"+1.74 M person-km: makers' workshop trips +2.14 M (workshop trips ×5.2), commutes to the office "
        f"{M}400 k ({M}2.00 k office days)."
    )
    assert "Makers hold more sessions (×5.2)" in text and "the km per session fall from 50.0 to 30.2" in text
    assert main_kind(dec) == "makers' workshop trips +2.14 M, maker sessions ×5.2"


def test_answer_paragraph_opens_with_the_best_and_its_cost() -> None:
    comp = _comparison()
    travel = {"open_public_buildings": "makers' workshop trips +2.14 M, workshop trips ×5.2"}
    text = answer_paragraph(
        comp,
        ["mediation_hubs", "coworking_network", "open_public_buildings", "telecentre_agreement"],
        travel=travel,
        territory="the Nièvre (58)",
        seeds=5,
    )
    assert text.startswith(
        "Of the 4 strategies compared with the baseline on the Nièvre (58), **telecentre agreement** saves the "
        f"most travel: {M}2.64 M person-km ({M}0.43 %; 95 % CI {M}2.68 M to {M}2.61 M) of the baseline's 620 M "
        "person-km, at no change in public cost."
    )
    assert (
        f"Also saving travel: **mediation hubs** ({M}558 k person-km, {M}0.09 %; public cost +300 k EUR)."
        in text
    )
    assert (
        "**open public buildings** (+1.90 M person-km, +0.31 %; makers' workshop trips +2.14 M, workshop trips "
        "×5.2; public cost +4.59 M EUR) adds travel." in text
    )
    assert (
        "The change in travel of **coworking network** is not distinguishable from zero with 5 seeds." in text
    )
    assert (
        f"For access to services: **mediation hubs**: better unmet need rate ({M}3.1 points, {M}16 %)."
        in text
    )


def test_territory_is_named() -> None:
    assert territory_text({"territory": "nievre"}) == "the Nièvre (58)"
    assert (
        territory_text(
            {"territory": "files"}, {"territory": {"kind": "files", "zones": "data/lyon/zones.csv"}}
        )
        == "the territory of lyon/"
    )


@given(
    converted=st.lists(st.integers(0, 500), max_size=4),
    other=st.lists(st.text(max_size=60).filter(lambda t: not t.startswith("scenario s: ")), max_size=5),
)
def test_intervention_counts_sum_the_scenario_lines_only(converted: list[int], other: list[str]) -> None:
    lines = [f"scenario s: convert: {n} places (town_hall {n}) -> shared mediation points" for n in converted]
    # any other line (another scenario's, the run's own notes, noise) is ignored
    lines += [f"scenario t: convert: 7 places {text}" for text in other] + other
    counts = intervention_counts(lines, "s")
    assert counts.get("converted", 0) == sum(converted)
    assert set(counts) <= {"converted"}
