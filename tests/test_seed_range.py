"""Seeds: one conversion of a count into seeds, one `seed_list` on every config."""

from __future__ import annotations

from harness.config import load_run_config
from harness.distill.config import load_distill_config
from harness.search.config import load_search_config
from harness.seeds import seed_range


def test_a_count_names_the_first_seed_and_those_after_it():
    assert seed_range(5, 3) == (5, 6, 7)
    assert seed_range(0, 1) == (0,)


def test_every_config_hands_the_program_a_tuple_of_seeds():
    overrides = {"seed": 4, "seeds": 3}
    assert load_search_config(None, overrides).seed_list == (4, 5, 6)
    assert load_distill_config(None, overrides).seed_list == (4, 5, 6)
    run = load_run_config(None, {"seed": 4, "seeds": list(seed_range(4, 3))})
    assert run.seed_list == (4, 5, 6)
    assert load_run_config(None, {"seed": 4}).seed_list == (4,)  # no seeds: the run seed alone
