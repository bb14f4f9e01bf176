"""RD-NAS: distil a zero-cost proxy's ranking into a one-shot NB201 supernet, against SPOS.

Front door: `load_distill_config` and `run_distill` (what `harness distill` runs); the
parts are `NB201Supernet` (weight-sharing supernet), the samplers (`UniformSampler`,
`PairSampler`), the teachers, `rank_hinge` / `LambdaSchedule`, `train_run` and
`evaluate_subnets`.
"""

from harness.distill.config import DistillConfig, load_distill_config, smoke_config
from harness.distill.evaluate import SubnetEvaluation, evaluate_subnets
from harness.distill.experiment import DistillOutcome, build_teacher, run_distill
from harness.distill.loss import LambdaSchedule, rank_hinge, teacher_prefers_second
from harness.distill.samplers import PairSampler, UniformSampler
from harness.distill.scorer import load_supernet_scorer
from harness.distill.space import SubnetSpace, get_subnet_space
from harness.distill.supernet import NB201Supernet
from harness.distill.teachers import (
    AdditiveComplexityTeacher,
    OracleTeacher,
    StoreTeacher,
    Teacher,
)
from harness.distill.train import Method, RunHistory, rdnas_method, spos_method, train_run

__all__ = [
    "AdditiveComplexityTeacher",
    "DistillConfig",
    "DistillOutcome",
    "LambdaSchedule",
    "Method",
    "NB201Supernet",
    "OracleTeacher",
    "PairSampler",
    "RunHistory",
    "StoreTeacher",
    "SubnetEvaluation",
    "SubnetSpace",
    "Teacher",
    "UniformSampler",
    "build_teacher",
    "evaluate_subnets",
    "get_subnet_space",
    "load_distill_config",
    "load_supernet_scorer",
    "rank_hinge",
    "rdnas_method",
    "run_distill",
    "smoke_config",
    "spos_method",
    "teacher_prefers_second",
    "train_run",
]
