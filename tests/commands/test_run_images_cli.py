"""Every leaderboard says which images its proxies scored on; a run that did not score the
target's own images says so in its title line."""

from __future__ import annotations

import json

from harness.cli import main


def test_run_on_other_images_says_so_in_the_title(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code = main(
        ["run", "--archs", "4", "--proxies", "params,nwot", "--executor", "serial",
         "--no-progress", "--set", 'input.source="synthetic"', "--set", "input.batch_size=4",
         "--set", 'store="s.sqlite"', "--out", "run"]
    )  # fmt: skip
    assert code == 0
    printed = capsys.readouterr().out.splitlines()
    board = (tmp_path / "run" / "leaderboard.md").read_text().splitlines()
    title = "### nb201-csv · cifar10/accuracy/test/200 · 4 archs · on synthetic Gaussian images, "
    assert board[0] == title + "not the target's" and printed[0] == board[0]
    assert board[2] == (
        "Images: 4 synthetic Gaussian images (no real images), not the target's own CIFAR-10 "
        "images."
    )
    images = json.loads((tmp_path / "run" / "results.json").read_text())["config"]["resolved"][
        "images"
    ]
    assert images == {
        "source": "synthetic",
        "label": "synthetic Gaussian",
        "asked": "synthetic",
        "target_dataset": "cifar10",
        "target_images": False,
        "description": board[2][len("Images: ") : -1],
    }


def test_table_leaderboard_says_whose_scores(real_data_dir, tmp_path, capsys):
    code = main(
        ["leaderboard", "--table", "suite-zero-nb201", "--data-dir", str(real_data_dir),
         "--resamples", "20", "--out", str(tmp_path / "lb")]
    )  # fmt: skip
    assert code == 0
    board = (tmp_path / "lb" / "leaderboard.md").read_text().splitlines()
    assert board[2] == (
        "Images: none scored here: the proxy scores are suite-zero-nb201's own, computed by "
        "its publishers on cifar10 images."
    )
    document = json.loads((tmp_path / "lb" / "results.json").read_text())
    assert document["config"]["images"]["description"] == board[2][len("Images: ") : -1]
