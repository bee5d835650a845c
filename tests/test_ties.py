"""Places at equal time at the edge of a resident's consideration set (docs/ODD.md 7.2,
``behaviour.service.tie_break``): the partial sort's order (``order``) or each resident's own lasting draw
(``draw``)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.config import SimConfig, to_config
from simulation.core.errors import UserError
from simulation.model import run
from simulation.sim.services import _tied_places


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    groups=st.integers(1, 6),
    width=st.integers(2, 12),
    k=st.integers(1, 11),
)
def test_tied_places_are_every_place_at_the_kth_time_when_it_is_shared(
    data: st.DataObject, groups: int, width: int, k: int
) -> None:
    """Against a plain reference: a group is tied when more places in time are at or under its k-th smallest
    time than k; its pairs are then every place in time at that time."""
    k = min(k, width - 1)
    minutes = np.array(
        data.draw(
            st.lists(st.sampled_from([1.0, 2.0, 3.0]), min_size=groups * width, max_size=groups * width)
        )
    ).reshape(groups, width)
    ok = np.array(
        data.draw(st.lists(st.booleans(), min_size=groups * width, max_size=groups * width))
    ).reshape(groups, width)
    tm = np.where(ok, minutes, np.inf)
    sel = np.argpartition(tm, k - 1, axis=1)[:, :k]
    rows, place, at = _tied_places(tm, sel, k, 10, None)
    expected = []
    for g in range(groups):
        kth = np.sort(tm[g])[k - 1]
        if np.isfinite(kth) and (tm[g] <= kth).sum() > k:
            expected += [(g + 10, p, kth) for p in np.flatnonzero(tm[g] == kth)]
    assert list(zip(rows.tolist(), place.tolist(), at.tolist(), strict=True)) == expected


def _nice(tie_break: str, **dotted: object) -> SimConfig:
    """Nice alone (one zone: its 43 post offices at the same time from every home), 2 + 1 weeks at rate 0.05."""
    return to_config(
        {
            "territory": {"kind": "france", "communes": ["06088"]},
            "weeks": 2,
            "warmup_weeks": 1,
            "population": {"sample_rate": 0.05},
            "output": {"progress": False},
            "behaviour": {"service": {"tie_break": tie_break}},
        },
        **dotted,
    )


def _post_offices(cfg: SimConfig) -> pd.DataFrame:
    places = run(cfg).tables["places"]
    return places[places["origin"] == "post_office"]


def test_a_resident_draw_spreads_visits_over_a_zones_equal_places() -> None:
    """With the partial sort's order, every resident of Nice weighs the same few of its 43 post offices, so most
    get no visit; with each resident's draw, every post office is weighed by about k/43 of the residents. The
    bound: at least 40 of 43 post offices visited with the draw (a post office weighed by 1/43 of some thousands
    of planners is missed with a chance far below 1e-6), at most 30 with the order (it leaves 27 unvisited)."""
    order = _post_offices(_nice("order"))
    draw = _post_offices(_nice("draw"))
    assert len(order) == len(draw) == 43
    assert (order["contacts"] > 0).sum() <= 30
    assert (draw["contacts"] > 0).sum() >= 40


@pytest.mark.parametrize("threads", [1, 3])
def test_the_draw_gives_one_run_whatever_the_blocks_and_threads(
    monkeypatch: pytest.MonkeyPatch, threads: int
) -> None:
    """A resident's draw is keyed on its id and the place's: blocks of one group and 3 threads give the run of
    the default blocks on one thread."""
    from simulation.core import parallel
    from simulation.sim import services

    ref = run(_nice("draw", **{"run.threads": 1})).summary
    monkeypatch.setattr(services, "PLAN_BLOCK_CELLS", 1)
    real = parallel.spans
    monkeypatch.setattr(parallel, "spans", lambda n, t, m=None: real(n, t, 1))
    other = run(_nice("draw", **{"run.threads": threads})).summary
    drop = {"runtime_s"}
    assert {k: v for k, v in ref.items() if k not in drop} == {
        k: v for k, v in other.items() if k not in drop
    }


def test_the_order_is_the_published_default() -> None:
    assert to_config({}).behaviour.service.tie_break == "order"


def test_an_unknown_tie_break_names_the_key_and_the_choices() -> None:
    with pytest.raises(UserError, match=r"behaviour\.service\.tie_break.*order.*draw"):
        to_config({"behaviour": {"service": {"tie_break": "random"}}})
