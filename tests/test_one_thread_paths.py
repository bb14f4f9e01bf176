"""The folders and files the conftest runs on one torch thread all exist (a renamed one
would silently lose it)."""

from __future__ import annotations

from pathlib import Path

TESTS = Path(__file__).resolve().parent


def test_every_one_thread_path_exists(one_thread_paths):
    missing = [p for p in one_thread_paths if not (TESTS / p).exists()]
    assert not missing, f"ONE_THREAD_PATHS names what tests/ lacks: {missing}"
