"""The architectures `harness check` scores: per space, a typical one and the extremes.

Each space contributes a typical architecture (the determinism, needs and permutation
checks run on it), its smallest and largest, and its degenerate ones. An architecture
carries the failure conditions it meets (see `harness.proxies.base.FAILURE_CONDITIONS`),
plus `space:NAME`: a proxy that declares one of them may record a failure there, and must
give a finite score everywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.errors import UnknownNameError
from harness.spaces import get_space


@dataclass(frozen=True)
class CheckArch:
    space: str
    #: "typical", "smallest", "largest" or "degenerate"
    role: str
    #: a short name, e.g. "all-none"
    label: str
    key: str
    #: failure conditions this architecture meets (space:NAME excluded)
    conditions: frozenset[str] = frozenset()

    @property
    def all_conditions(self) -> frozenset[str]:
        return self.conditions | {f"space:{self.space}"}

    @property
    def name(self) -> str:
        return f"{self.space} {self.label}"


def _nb201(ops: list[str]) -> str:
    # edge order of the string: 0->1 | 0->2, 1->2 | 0->3, 1->3, 2->3
    return "|{}~0|+|{}~0|{}~1|+|{}~0|{}~1|{}~2|".format(*ops)


def _darts(op: str) -> str:
    cell = ",".join(f"{op}~{source}" for source in (0, 1) * 4)
    return f"normal={cell};reduce={cell}"


_NO_PATH = frozenset({"no_path"})
_FREE = frozenset({"parameter_free"})

_ARCHS: dict[str, list[tuple[str, str, str, frozenset[str]]]] = {
    "nb201": [
        # the ResNet-like cell
        (
            "typical",
            "resnet-like",
            _nb201(
                [
                    "nor_conv_3x3",
                    "nor_conv_3x3",
                    "avg_pool_3x3",
                    "skip_connect",
                    "nor_conv_3x3",
                    "skip_connect",
                ]
            ),
            frozenset(),
        ),  # fmt: skip
        (
            "smallest",
            "one-conv1x1",
            _nb201(["none"] * 3 + ["nor_conv_1x1"] + ["none"] * 2),
            frozenset(),
        ),  # fmt: skip
        ("largest", "all-conv3x3", _nb201(["nor_conv_3x3"] * 6), frozenset()),
        ("degenerate", "all-none", _nb201(["none"] * 6), _NO_PATH | _FREE),
        # convolutions, but no chain of non-none edges from the input to the output
        (
            "degenerate",
            "no-path",
            _nb201(["nor_conv_3x3", "none", "nor_conv_3x3", "none", "none", "none"]),
            _NO_PATH,
        ),
        ("degenerate", "all-skip", _nb201(["skip_connect"] * 6), _FREE),
    ],
    "darts": [
        # DARTS-V2 (Liu et al. 2019)
        (
            "typical",
            "darts-v2",
            "normal=sep_conv_3x3~0,sep_conv_3x3~1,sep_conv_3x3~0,sep_conv_3x3~1,sep_conv_3x3~1,"
            "skip_connect~0,skip_connect~0,dil_conv_3x3~2;reduce=max_pool_3x3~0,max_pool_3x3~1,"
            "skip_connect~2,max_pool_3x3~1,max_pool_3x3~0,skip_connect~2,skip_connect~2,"
            "max_pool_3x3~1",
            frozenset(),
        ),  # fmt: skip
        ("smallest", "all-max-pool", _darts("max_pool_3x3"), _FREE),
        ("largest", "all-sep-conv5x5", _darts("sep_conv_5x5"), frozenset()),
        ("degenerate", "all-skip", _darts("skip_connect"), _FREE),
    ],
    "nb101": [
        (
            "typical",
            "five-vertex",
            "ops=input,conv3x3-bn-relu,conv1x1-bn-relu,maxpool3x3,output;edges=0>1,0>2,1>3,2>4,3>4",
            frozenset(),
        ),  # fmt: skip
        ("smallest", "input-output", "ops=input,output;edges=0>1", _FREE),
        (
            "largest",
            "all-conv3x3",
            "ops=input," + "conv3x3-bn-relu," * 5 + "output;"
            "edges=0>1,1>2,2>3,3>4,4>5,5>6,0>2,0>6,1>6",
            frozenset(),
        ),  # fmt: skip
        (
            "degenerate",
            "all-max-pool",
            "ops=input,maxpool3x3,maxpool3x3,maxpool3x3,output;edges=0>1,1>2,2>3,3>4",
            _FREE,
        ),
    ],
}

SPACES: tuple[str, ...] = tuple(_ARCHS)


def check_archs(space: str) -> list[CheckArch]:
    """The architectures of `space` that `harness check` scores, typical first."""
    if space not in _ARCHS:
        raise UnknownNameError("search space", space, list(_ARCHS))
    canonical = get_space(space).canonical_key
    return [
        CheckArch(space, role, label, canonical(key), conditions)
        for role, label, key, conditions in _ARCHS[space]
    ]
