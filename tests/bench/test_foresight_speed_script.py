"""benchmarks/foresight_speed.py: the mapping, the report, and a run against a stand-in
foresight package written here (the real checkout is not fetched in tests)."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

from harness.proxies import get_proxy

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "foresight_speed.py"
_spec = importlib.util.spec_from_file_location("foresight_speed_script", SCRIPT)
speed = importlib.util.module_from_spec(_spec)
sys.modules["foresight_speed_script"] = speed
_spec.loader.exec_module(speed)

#: a stand-in `foresight` with foresight's entry points: each measure returns a per-layer
#: list (as foresight's do) whose sum is a constant, and counts its calls
STAND_IN = """
import torch
available_measures = []
_impls = {}
calls = []

def _register(name, value):
    available_measures.append(name)
    def impl(net, device, inputs, targets, loss_fn=None, split_data=1):
        net.get_prunable_copy(bn=False)
        calls.append((name, inputs.shape[0], split_data))
        halves = [torch.tensor([value / 2]), torch.tensor(value / 2)]
        return value if name == "jacob_cov" else halves
    _impls[name] = impl

NAMES = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow"]
for index, name in enumerate(NAMES):
    _register(name, float(index + 1))

def calc_measure(name, net, device, *args, **kwargs):
    return _impls[name](net, device, *args, **kwargs)
"""


def stand_in_checkout(root: Path) -> Path:
    pruners = root / "foresight" / "pruners"
    (pruners / "measures").mkdir(parents=True)
    (root / "foresight" / "__init__.py").write_text("")
    (pruners / "__init__.py").write_text("")
    (pruners / "measures" / "__init__.py").write_text(textwrap.dedent(STAND_IN))
    (pruners / "predictive.py").write_text(
        "import copy\n\ndef copynet(self, bn):\n    return copy.deepcopy(self)\n"
    )
    return root


@pytest.fixture
def clean_foresight_import():
    yield
    for name in [n for n in sys.modules if n == "foresight" or n.startswith("foresight.")]:
        del sys.modules[name]


def test_every_measure_maps_to_a_registered_proxy():
    assert set(speed.MEASURES) == {
        "grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow"
    }  # fmt: skip
    for proxy in speed.MEASURES.values():
        assert get_proxy(proxy).name == proxy


def test_score_of_sums_layers_as_find_measures_does():
    import torch

    assert speed.score_of([torch.tensor([1.0, 2.0]), torch.tensor(3.0)]) == 6.0
    assert speed.score_of(4.5) == 4.5


def test_a_folder_that_is_no_checkout_is_refused(tmp_path):
    with pytest.raises(SystemExit, match="not a zero-cost-nas checkout"):
        speed.import_foresight(tmp_path)


def test_runs_both_sides_and_reports_the_ratios(tmp_path, capsys, clean_foresight_import):
    root = stand_in_checkout(tmp_path / "zcn")
    assert speed.main(["--foresight", str(root), "--archs", "2", "--batch-size", "8",
                       "--input", "synthetic"]) == 0  # fmt: skip
    out = capsys.readouterr().out
    measures = sys.modules["foresight.pruners.measures"]
    # every measure once per cell, on the whole batch, unsplit
    assert sorted(measures.calls) == sorted((m, 8, 1) for m in speed.MEASURES for _ in range(2))
    assert "| grasp → grasp |" in out and "**all seven**" in out
    assert "2 cells x 1 round(s)" in out
    # the stand-in's scores are not ours: the difference column says so
    line = next(row for row in out.splitlines() if row.startswith("| synflow → synflow_nobn"))
    assert float(line.rstrip(" |").rsplit("|", 1)[1]) > 0.1


def test_relative_difference_counts_a_shared_failure_as_agreement():
    nan = float("nan")
    assert speed.relative_difference(nan, nan) == 0.0
    assert speed.relative_difference(nan, 1.0) == float("inf")
    assert speed.relative_difference(1.1, 1.0) == pytest.approx(0.1)
