"""The example plugin (examples/proxy_plugin), a package this repository does not know:
installed, it is listed, checked, scored, stored, resumed and reported like a built-in;
not installed, `--include` loads its file."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from example_plugin import (
    EXAMPLE,
    PROXY,
    PROXY_FILE,
    environment,
    harness_runner,
)

RUN = ("--set", 'input.source="synthetic"', "--set", "input.batch_size=16", "--no-progress")


def test_installed_it_is_listed_with_its_package(installed_example, tmp_path):
    harness = harness_runner(environment(installed_example), tmp_path)
    listing = json.loads(harness("proxies", f"{PROXY}*", "--format", "json").stdout)
    (entry,) = listing
    assert entry["name"] == PROXY and entry["version"] == "1"
    assert entry["origin"] == {
        "kind": "package",
        "name": "harness-proxy-example",
        "version": "0.1.0",
        "entry_point": f"{PROXY} = harness_proxy_example.proxy:{PROXY}",
    }
    table = harness("proxies").stdout
    assert "| package harness-proxy-example 0.1.0 |" in table and "| built-in |" in table


def test_installed_it_passes_harness_check(installed_example, tmp_path):
    harness = harness_runner(environment(installed_example), tmp_path)
    done = harness("check", PROXY, "--space", "nb201", "--no-memory", "--no-progress",
                   "--out", "check")  # fmt: skip
    assert f"| {PROXY} | 1 | package harness-proxy-example 0.1.0 |" in done.stdout
    assert "1 of 1 proxies pass." in done.stdout
    document = json.loads((tmp_path / "check" / "check.json").read_text())
    (proxy,) = document["proxies"]
    assert proxy["passed"] and proxy["checks"]["permutation"]["status"] == "ok"
    assert {a["verdict"] for a in proxy["architectures"]} == {"ok"}


def test_installed_it_runs_stores_resumes_and_reports_like_a_builtin(installed_example, tmp_path):
    harness = harness_runner(environment(installed_example), tmp_path)
    args = ("run", "--archs", "20", "--proxies", f"{PROXY},grad_norm", *RUN)
    first = harness(*args, "--out", "first")
    assert "20 architectures scored, 0 reused" in first.stdout
    assert f"| {PROXY} |" in first.stdout and "| grad_norm |" in first.stdout
    document = json.loads((tmp_path / "first" / "results.json").read_text())
    rows = {row["proxy"]: row for row in document["rows"]}
    origin = rows[PROXY]["extra"]["proxy_origin"]
    assert origin["kind"] == "package" and origin["version"] == "0.1.0"
    assert "proxy_origin" not in rows["grad_norm"]["extra"]
    assert rows[PROXY]["extra"]["statuses"] == {"ok": 20, "nan": 0, "error": 0}
    assert document["versions"]["harness-proxy-example"] == "0.1.0"
    assert document["config"]["resolved"]["proxy_origins"][PROXY] == origin
    assert any(f"proxy {PROXY} (version 1) from package" in n for n in document["notes"])
    again = harness(*args, "--out", "again")
    assert "0 architectures scored, 20 reused" in again.stdout  # resumed from the store
    harness("report", "first", "--out", "report")
    assert PROXY in (tmp_path / "report" / "report.md").read_text()


def test_not_installed_include_loads_its_file(tmp_path):
    harness = harness_runner(environment(), tmp_path)
    file = EXAMPLE / PROXY_FILE
    unknown = harness("run", "--archs", "20", "--proxies", PROXY, *RUN, expect=2)
    assert f"unknown proxy '{PROXY}'" in unknown.stderr
    harness("run", "--archs", "20", "--proxies", PROXY, "--include", str(file), *RUN,
            "--out", "out")  # fmt: skip
    document = json.loads((tmp_path / "out" / "results.json").read_text())
    (row,) = document["rows"]
    assert row["extra"]["proxy_origin"] == {
        "kind": "file",
        "name": str(file.resolve()),
        "sha256": hashlib.sha256(file.read_bytes()).hexdigest(),
    }
    assert document["config"]["include"] == [str(file)]


def test_an_include_in_a_run_config_and_an_ablation(tmp_path):
    harness = harness_runner(environment(), tmp_path)
    file = EXAMPLE / PROXY_FILE
    config = tmp_path / "ablation.toml"
    config.write_text(
        f'[run]\narchs = 6\nproxies = ["{PROXY}", "params"]\ninclude = [{json.dumps(str(file))}]\n'
        'executor = "serial"\nbootstrap_resamples = 50\n'
        '[input]\nsource = "synthetic"\nbatch_size = 8\n'
        '[grid]\n"input.batch_size" = [8, 16]\n'
    )
    harness("ablate", str(config), "--out", "ablation", "--no-progress", "--resamples", "50")
    document = json.loads((tmp_path / "ablation" / "results.json").read_text())
    plugin_rows = [row for row in document["rows"] if row["proxy"] == PROXY]
    assert len(plugin_rows) == 2
    assert all(row["extra"]["proxy_origin"]["kind"] == "file" for row in plugin_rows)


def test_a_missing_include_is_one_line(tmp_path):
    harness = harness_runner(environment(), tmp_path)
    done = harness("run", "--archs", "5", "--include", "nowhere.py", *RUN, expect=2)
    assert done.stderr.strip() == "harness: error: include nowhere.py: no such file or folder"
    assert not Path(tmp_path / "reports").exists()
