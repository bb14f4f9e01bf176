"""Which proxies a request names: one ordered list, split for the pipeline."""

from __future__ import annotations

import pytest

from harness.errors import ConfigError
from harness.proxies import STANDARD_PROXIES, expand_proxies, get_proxy, proxies_with_parts


def test_names_globs_and_set_level_proxies_expand():
    assert proxies_with_parts(["tenas"]) == ["ntk_cond", "linear_regions", "tenas"]
    assert proxies_with_parts(["synflow*", "params"])[:2] == ["synflow", "synflow_bn"]
    assert proxies_with_parts(["standard"]) == list(STANDARD_PROXIES)  # tenas' parts are in it
    with pytest.raises(ConfigError, match="no proxy matches"):
        proxies_with_parts(["nothing_like_this*"])


@pytest.mark.parametrize(
    "patterns", [["*"], ["standard"], ["tenas", "standard"], ["vote", "jacov", "borda"], []]
)
def test_expand_proxies_splits_the_ordered_list(patterns):
    names = proxies_with_parts(patterns)
    per_arch, set_level = expand_proxies(patterns)
    assert per_arch == [n for n in names if get_proxy(n).combine is None]
    assert set_level == [n for n in names if get_proxy(n).combine is not None]
