"""Seeds derived from other seeds and names: stable across runs, platforms and order."""

from __future__ import annotations

import hashlib


def seed_range(first: int, count: int) -> tuple[int, ...]:
    """The seeds a count of seeds names: `first` and the `count - 1` after it. The one
    conversion of a count (`--seeds K`, a search's or a distillation's `seeds = K`) into
    the seeds every config hands the program (`seed_list`)."""
    return tuple(range(first, first + count))


def derive_seed(*parts: object) -> int:
    """A 63-bit seed derived from the parts (stable across runs, platforms and order)."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 1


#: The purpose under which a second, disjoint batch's seed derives from the run seed.
SECOND_BATCH = "second batch"
