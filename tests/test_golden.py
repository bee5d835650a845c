"""The outputs of the default run and of a short run of every library scenario are those recorded.

The fingerprints (tests/golden/outputs.json: the summary and a SHA-256 of every output table, floats by repr)
were recorded before the package was restructured (issue 6); a restructure must leave every number identical, to
the last bit. An intended change of behaviour regenerates them (``python tests/golden/golden.py --write``) in a
commit that says why.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
import golden  # noqa: E402

RECORDED = json.loads(golden.FILE.read_text())


@pytest.mark.parametrize("case", list(golden.CASES))
def test_outputs_identical_to_recorded(case: str) -> None:
    got = golden.fingerprint(golden.CASES[case])
    want = RECORDED[case]
    assert got["summary"] == want["summary"]
    for name, table in want["tables"].items():
        assert got["tables"][name]["sums"] == table["sums"], name
        assert got["tables"][name] == table, name
    assert got == want
