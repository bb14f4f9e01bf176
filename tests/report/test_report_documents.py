"""A report's provenance line says which images a run used when its config said `auto`."""

from __future__ import annotations

from harness.report.documents import _run_summary


def _config(asked: str, used: str | None) -> dict:
    config = {"table": "nb201-csv", "input": {"source": asked, "batch_size": 64}}
    if used is not None:
        config["resolved"] = {"images": {"source": used}}
    return config


def test_auto_names_the_source_it_resolved_to():
    assert "input=auto (used cifar10), batch=64" in _run_summary(_config("auto", "cifar10"), {})


def test_a_named_source_and_old_documents_read_as_before():
    assert "input=synthetic, batch=64" in _run_summary(_config("synthetic", "synthetic"), {})
    assert "input=fashion-mnist, batch=64" in _run_summary(_config("fashion-mnist", None), {})


def test_a_swept_source_stays_swept():
    summary = _run_summary(_config("auto", "synthetic"), {"input.source": ["auto", "synthetic"]})
    assert "input=swept" in summary and "used" not in summary
