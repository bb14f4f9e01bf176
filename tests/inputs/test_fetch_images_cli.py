"""`harness data fetch cifar10` end to end against a local HTTP server, then a run that
finds the images by itself.

The server on 127.0.0.1 serves a miniature `cifar-10-python.tar.gz` in the real layout
(good, corrupted, cut mid-transfer once, or absent); the archive's pins are replaced by the
miniature's own md5s (the real archive cannot be downloaded here). Nothing leaves this
machine: the real url is only ever tried for an unresolvable host.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from test_image_archives import make_archive

from harness.cli import main
from harness.inputs import IMAGE_ARCHIVES


class _Handler(http.server.BaseHTTPRequestHandler):
    body: bytes
    mode: str
    hits: Counter

    def log_message(self, *args):
        pass

    def do_GET(self):  # noqa: N802 (http.server's naming)
        name = self.path.strip("/")
        self.hits[name] += 1
        if self.mode == "missing" or name != IMAGE_ARCHIVES["cifar10"].archive:
            self.send_error(404, "not here")
            return
        body = self.body
        if self.mode == "corrupt":
            body = body[:-1] + bytes([body[-1] ^ 1])
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        if self.mode == "cut_once" and self.hits[name] == 1:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


@pytest.fixture
def served(tmp_path, writers, monkeypatch):
    """(set the server's mode, its url, its hit counter); cifar10's pins are the miniature's."""
    archive, path = make_archive(tmp_path / "built", writers)
    monkeypatch.setitem(IMAGE_ARCHIVES, "cifar10", archive)
    handler = type(
        "Handler", (_Handler,), {"body": path.read_bytes(), "mode": "good", "hits": Counter()}
    )
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def set_mode(mode: str) -> None:
        handler.mode = mode

    try:
        yield set_mode, f"http://127.0.0.1:{httpd.server_address[1]}", handler.hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def _fetch(data: Path, mirror: str, *extra: str) -> int:
    return main(
        ["data", "fetch", "cifar10", "--mirror", mirror, "--data-dir", str(data),
         "--no-progress", "--retries", "1", *extra]
    )  # fmt: skip


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_fetch_verifies_unpacks_then_a_run_uses_cifar10_without_a_flag(
    served, tmp_path, capsys, monkeypatch
):
    _, mirror, hits = served
    data = tmp_path / "data"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "no-torch-home"))
    assert _fetch(data, mirror) == 0
    out = capsys.readouterr().out
    assert "cifar10: fetched (" in out and "md5 verified), unpacked into" in out
    archive = IMAGE_ARCHIVES["cifar10"]
    assert _files(data) == sorted(
        [archive.archive, *(f"{archive.folder}/{f}" for f in archive.files)]
    )
    assert _fetch(data, mirror) == 0
    assert "already present" in capsys.readouterr().out
    assert hits[archive.archive] == 1

    listing = main(["data", "list", "--data-dir", str(data), "--format", "json"])
    assert listing == 0
    images = {r["name"]: r for r in json.loads(capsys.readouterr().out)["images"]}
    assert images["cifar10"]["status"] == "present"
    assert images["cifar10"]["where"] == str(data / archive.folder)
    assert images["cifar100"]["status"] == "missing"
    assert "harness data fetch cifar100" in images["cifar100"]["how"]
    assert "NAS-Bench-201" in images["imagenet16-120"]["how"]

    code = main(
        ["run", "--archs", "4", "--proxies", "params,nwot", "--executor", "serial",
         "--no-progress", "--data-dir", str(data), "--set", "input.batch_size=8",
         "--set", f"store={json.dumps(str(tmp_path / 's.sqlite'))}", "--out", "run"]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr()
    assert "input auto" not in printed.err
    document = json.loads((tmp_path / "run" / "results.json").read_text())
    images_used = document["config"]["resolved"]["images"]
    assert images_used["source"] == "cifar10" and images_used["target_images"] is True
    assert images_used["asked"] == "auto"
    board = (tmp_path / "run" / "leaderboard.md").read_text().splitlines()
    assert board[0].startswith("### nb201-csv") and "not the target" not in board[0]
    assert board[2] == (
        "Images: 8 CIFAR-10 train images, class-balanced (the target's own data set)."
    )


def test_corrupt_download_is_retried_refused_and_leaves_nothing(served, tmp_path, capsys):
    set_mode, mirror, hits = served
    set_mode("corrupt")
    data = tmp_path / "data"
    assert _fetch(data, mirror) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "failed after 2 attempts" in err[-1] and "md5" in err[-1]
    assert sum(1 for line in err if line.startswith("harness: error:")) == 1
    assert hits[IMAGE_ARCHIVES["cifar10"].archive] == 2
    assert _files(data) == [] and not any(p.is_dir() for p in data.glob("*"))


def test_cut_transfer_is_retried_then_unpacked(served, tmp_path, capsys):
    set_mode, mirror, hits = served
    set_mode("cut_once")
    data = tmp_path / "data"
    assert _fetch(data, mirror) == 0
    assert "retrying" in capsys.readouterr().err
    assert hits[IMAGE_ARCHIVES["cifar10"].archive] == 2
    assert (data / IMAGE_ARCHIVES["cifar10"].folder / "test_batch").is_file()


def test_missing_archive_is_a_one_line_404(served, tmp_path, capsys):
    set_mode, mirror, _ = served
    set_mode("missing")
    data = tmp_path / "data"
    assert _fetch(data, mirror) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "HTTP 404" in err[0] and "cifar-10-python.tar.gz" in err[0]
    assert _files(data) == []


def test_offline_is_one_line_naming_the_host(served, tmp_path, capsys, monkeypatch):
    archive = replace(IMAGE_ARCHIVES["cifar10"], url="https://cifar.invalid/a.tar.gz")
    monkeypatch.setitem(IMAGE_ARCHIVES, "cifar10", archive)
    data = tmp_path / "data"
    assert main(["data", "fetch", "cifar10", "--data-dir", str(data), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot resolve cifar.invalid" in err[0]


def test_a_damaged_unpacked_folder_needs_force(served, tmp_path, capsys):
    _, mirror, _ = served
    data = tmp_path / "data"
    assert _fetch(data, mirror) == 0
    folder = data / IMAGE_ARCHIVES["cifar10"].folder
    (folder / "data_batch_2").write_bytes(b"damaged")
    capsys.readouterr()
    assert _fetch(data, mirror) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "data_batch_2: md5" in err[0] and "--force" in err[0]
    assert _fetch(data, mirror, "--force") == 0
    assert (folder / "data_batch_2").read_bytes() != b"damaged"


def test_imagenet16_fetch_says_where_to_get_it(tmp_path, capsys):
    assert main(["data", "fetch", "imagenet16-120", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no public direct download" in err[0]
    assert "ImageNet16/" in err[0] and not any(tmp_path.iterdir())
