"""`fetch_entry` against a local HTTP server on 127.0.0.1 that the test starts.

The server serves a good file, a corrupted one, one whose connection is cut mid-transfer
(a given number of times, then whole), a 404 and a 503; nothing leaves this machine.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import urllib.error
from collections import Counter
from pathlib import Path

import pytest

from harness.errors import DataError
from harness.tables.fetch import OfflineError, fetch_entry
from harness.tables.manifest import ManifestEntry

GOOD = bytes(range(256)) * 400  # 100 kB
GOOD_SHA = hashlib.sha256(GOOD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: Counter
    cut_times: dict[str, int]

    def log_message(self, *args):  # keep the test output quiet
        pass

    def _send(self, body: bytes, length: int | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        name = self.path.strip("/")
        self.hits[name] += 1
        if name.endswith("good.bin"):
            self._send(GOOD)
        elif name.endswith("corrupt.bin"):
            self._send(GOOD[:-1] + b"x")
        elif name.endswith("cut.bin"):
            if self.hits[name] <= self.cut_times.get(name, 0):
                self._send(GOOD[: len(GOOD) // 3], length=len(GOOD))
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
            else:
                self._send(GOOD)
        elif name.endswith("busy.bin"):
            if self.hits[name] == 1:
                self.send_error(503, "busy")
            else:
                self._send(GOOD)
        else:
            self.send_error(404, "not here")


@pytest.fixture
def server():
    handler = type("Handler", (_Handler,), {"hits": Counter(), "cut_times": {}})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd, handler, f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _entry(name: str, sha: str | None = GOOD_SHA, url: str | None = None) -> ManifestEntry:
    return ManifestEntry(
        name=name,
        sha256=sha,
        format="bin",
        tables=(),
        source="https://example.org/repo",
        url=url or f"https://example.org/{name}",
        size=len(GOOD) if sha == GOOD_SHA else None,
    )


def _fetch(entry, folder, mirror, **kwargs):
    delays = []
    result = fetch_entry(
        entry, folder, mirror=mirror, progress=False, sleep=delays.append, **kwargs
    )
    return result, delays


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_good_file_is_fetched_verified_and_then_left_alone(server, tmp_path):
    _, handler, base = server
    result, delays = _fetch(_entry("sub/good.bin"), tmp_path, base)
    assert result.status == "fetched" and result.attempts == 1 and delays == []
    assert (tmp_path / "sub" / "good.bin").read_bytes() == GOOD
    assert _leftovers(tmp_path) == ["good.bin"]
    again, _ = _fetch(_entry("sub/good.bin"), tmp_path, base)
    assert again.status == "present"
    assert handler.hits["sub/good.bin"] == 1


def test_corrupted_file_is_retried_then_refused_and_nothing_is_left(server, tmp_path):
    _, handler, base = server
    with pytest.raises(DataError, match=r"corrupt\.bin.*failed after 3 attempts.*checksum") as info:
        _fetch(_entry("corrupt.bin"), tmp_path, base, retries=2)
    assert "\n" not in str(info.value)
    assert handler.hits["corrupt.bin"] == 3
    assert _leftovers(tmp_path) == []


def test_cut_transfer_is_retried_with_backoff_then_succeeds(server, tmp_path):
    _, handler, base = server
    handler.cut_times["cut.bin"] = 2
    result, delays = _fetch(_entry("cut.bin"), tmp_path, base, retries=3, backoff=0.5)
    assert result.status == "fetched" and result.attempts == 3
    assert delays == [0.5, 1.0]
    assert (tmp_path / "cut.bin").read_bytes() == GOOD
    assert _leftovers(tmp_path) == ["cut.bin"]


def test_cut_transfer_that_never_completes_is_a_clean_error(server, tmp_path):
    _, handler, base = server
    handler.cut_times["cut.bin"] = 99
    with pytest.raises(DataError, match=r"cut\.bin.*failed after 2 attempts.*cut after"):
        _fetch(_entry("cut.bin"), tmp_path, base, retries=1)
    assert _leftovers(tmp_path) == []


def test_404_is_not_retried(server, tmp_path):
    _, handler, base = server
    with pytest.raises(DataError, match=r"missing\.bin: .*HTTP 404") as info:
        _fetch(_entry("missing.bin"), tmp_path, base)
    assert "\n" not in str(info.value)
    assert handler.hits["missing.bin"] == 1
    assert _leftovers(tmp_path) == []


def test_server_error_is_retried(server, tmp_path):
    _, handler, base = server
    result, delays = _fetch(_entry("busy.bin"), tmp_path, base)
    assert result.attempts == 2 and len(delays) == 1
    assert handler.hits["busy.bin"] == 2


def test_a_file_with_another_checksum_is_replaced_only_with_force(server, tmp_path):
    _, _, base = server
    (tmp_path / "good.bin").write_bytes(b"edited by hand")
    with pytest.raises(DataError, match="--force"):
        _fetch(_entry("good.bin"), tmp_path, base)
    assert (tmp_path / "good.bin").read_bytes() == b"edited by hand"
    result, _ = _fetch(_entry("good.bin"), tmp_path, base, force=True)
    assert result.status == "fetched"
    assert (tmp_path / "good.bin").read_bytes() == GOOD


def test_the_manifest_url_is_used_without_a_mirror(server, tmp_path):
    _, handler, base = server
    entry = _entry("good.bin", url=f"{base}/elsewhere/good.bin")
    result, _ = _fetch(entry, tmp_path, None)
    assert result.status == "fetched"
    assert handler.hits == Counter({"elsewhere/good.bin": 1})


def test_offline_is_one_line_and_not_retried(monkeypatch, tmp_path):
    calls = []

    def unresolvable(*args, **kwargs):
        calls.append(args)
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr("urllib.request.urlopen", unresolvable)
    with pytest.raises(OfflineError, match=r"cannot resolve example\.org.*offline") as info:
        _fetch(_entry("good.bin"), tmp_path, None)
    assert "\n" not in str(info.value)
    assert len(calls) == 1
    assert _leftovers(tmp_path) == []


def test_an_entry_without_url_is_not_fetchable(tmp_path):
    entry = ManifestEntry(
        name="big.pth", sha256=None, format="pth", tables=(), source="https://example.org/x"
    )
    assert not entry.fetchable
    with pytest.raises(DataError, match=r"big\.pth: not fetchable.*example\.org"):
        fetch_entry(entry, tmp_path, progress=False)
