"""The report: self-contained HTML (checked in a real headless browser when there is one),
Markdown that links existing files, CSVs, and the provenance of every figure."""

from __future__ import annotations

import base64
import html as html_lib
import os
import re
import shutil
import subprocess

import pandas as pd
import pytest
from report_documents import ablation_document, distill_document, standard_document

from harness.report import build_report, label_documents

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
GIT = "0123456789abcdef0123456789abcdef01234567"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    sources = label_documents([standard_document(), ablation_document(), distill_document()])
    from harness.report import ReportOptions

    return build_report(sources, out, ReportOptions(n_resamples=200))


def _attributes(html: str, name: str) -> list[str]:
    return re.findall(rf"""\b{name}\s*=\s*["']([^"']*)["']""", html, flags=re.IGNORECASE)


def test_html_is_self_contained(report):
    html = report.html.read_text()
    links = _attributes(html, "src") + _attributes(html, "href")
    assert links, "expected images and contents links"
    assert all(link.startswith(("data:", "#")) for link in links), links
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert "@import" not in html and "url(" not in html


def test_every_figure_is_an_inline_png(report):
    html = report.html.read_text()
    sources = _attributes(html, "src")
    assert len(sources) == len(report.figures) > 5
    for source in sources:
        header, data = source.split(",", 1)
        assert header == "data:image/png;base64"
        assert base64.b64decode(data)[:8] == PNG_MAGIC


def test_every_figure_states_its_provenance(report):
    html = report.html.read_text()
    markdown = report.markdown.read_text()
    for figure in report.figures:
        assert figure.provenance
        for line in figure.provenance:
            assert "git" in line and "seed" in line and "config:" in line and "versions:" in line
    captions = re.findall(r"<figcaption>(.*?)</figcaption>", html, flags=re.S)
    assert len(captions) == len(report.figures)
    assert all("Provenance" in c for c in captions)
    run_caption = next(c for c in captions if "D1 = run" in c and "Top-k" in c)
    assert GIT[:10] in run_caption
    assert "nats_tss_test_accuracy.csv (sha256 cb5d777e" in run_caption
    assert markdown.count("> Provenance:") == len(report.figures)


def test_markdown_links_files_that_exist(report):
    markdown = report.markdown.read_text()
    linked = re.findall(r"\]\(([^)]+)\)", markdown)
    assert linked
    for path in linked:
        assert (report.markdown.parent / path).is_file(), path
        assert not path.startswith("/")


def test_csvs(report):
    names = {p.name for p in report.csvs}
    assert {"results.csv", "top_k.csv", "provenance.csv", "figures.csv"} <= names
    assert {"ablation_changes.csv", "ablation_sensitivity.csv", "distill_curves.csv"} <= names
    out = report.html.parent
    results = pd.read_csv(out / "results.csv")
    assert {"doc", "doc_kind", "proxy", "kendall", "kendall_lo", "kendall_hi"} <= set(
        results.columns
    )
    assert set(results["doc_kind"]) == {"run", "ablation", "distill"}
    # the distill rows' own extra["kind"] (as harness distill writes it) does not collide
    assert set(results.loc[results["doc_kind"] == "distill", "kind"]) == {"sampler"}
    top_k = pd.read_csv(out / "top_k.csv")
    assert top_k["k_percent"].between(1, 50).all()
    sensitivity = pd.read_csv(out / "ablation_sensitivity.csv")
    source = sensitivity[sensitivity["parameter"] == "input.source"].set_index("proxy")
    # "sensitive" gets 10x the noise with source b: a large, significant drop; "steady" none
    assert source.loc["sensitive", "significant"] == 2
    assert source.loc["sensitive", "largest_delta"] < -0.3
    assert source.loc["steady", "significant"] == 0
    assert abs(source.loc["steady", "largest_delta"]) < 1e-12


def test_tables_are_present(report):
    html = report.html.read_text()
    assert html.count("<table>") >= 6
    assert "Kendall τ [CI]" in html and "Sensitivity" in html and "Distillation curves" in html


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

#: Added to a copy of the page only (the report itself carries no script), first in <head>
#: so that it sees every error: script errors, failed resources (captured window errors),
#: console.error calls and unhandled rejections. On load it writes what a reader would
#: see into attributes of <body>: the title, the tables, the images and which loaded.
READER_PROBE = """<script>
const problems = [];
window.addEventListener('error', e => problems.push(e.message || ('failed: ' +
  (e.target && (e.target.src || e.target.href)))), true);
window.addEventListener('unhandledrejection', e => problems.push(String(e.reason)));
const consoleError = console.error;
console.error = (...args) => { problems.push(args.join(' ')); consoleError(...args); };
window.addEventListener('load', () => {
  const images = Array.from(document.images);
  const b = document.body;
  b.setAttribute('data-title', document.title);
  b.setAttribute('data-tables', document.querySelectorAll('table').length);
  b.setAttribute('data-images', images.length);
  b.setAttribute('data-loaded', images.filter(i => i.complete && i.naturalWidth > 0).length);
  b.setAttribute('data-problems', problems.length);
  b.setAttribute('data-first-problem', problems[0] || '');
});
</script>"""


def _browser(tmp_path, *args: str) -> subprocess.CompletedProcess:
    browser = _chromium()
    if browser is None:
        message = "no chromium on this machine (Debian: apt-get install -y chromium)"
        if os.environ.get("HARNESS_REQUIRE_BROWSER"):
            pytest.fail(f"{message}; HARNESS_REQUIRE_BROWSER is set, so this must not skip")
        pytest.skip(message)
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    return subprocess.run(
        [browser, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_reader_sees_title_tables_and_every_image_without_errors(report, tmp_path):
    html = report.html.read_text()
    probe = tmp_path / "probe.html"
    probe.write_text(html.replace("<head>", "<head>" + READER_PROBE, 1))
    dumped = _browser(tmp_path, "--virtual-time-budget=10000", "--dump-dom", probe.as_uri())
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", dumped.stdout)
    assert body, dumped.stdout[:500]
    seen = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', body.group(1)))
    assert {"title", "tables", "images", "loaded", "problems"} <= seen.keys(), body.group(0)
    title = re.search(r"<title>(.*?)</title>", html, flags=re.S)
    assert title and title.group(1).strip() and seen["title"] == html_lib.unescape(title.group(1))
    assert int(seen["tables"]) >= 6
    assert int(seen["images"]) == len(report.figures) > 5
    assert int(seen["loaded"]) == int(seen["images"]), "some images did not load"
    assert seen["problems"] == "0", seen.get("first-problem")


def test_the_probe_reports_a_broken_image(tmp_path):
    """The probe above can fail: a page with a missing image shows it unloaded and an error."""
    broken = tmp_path / "broken.html"
    broken.write_text(
        "<html><head>" + READER_PROBE + "<title>t</title></head><body><table></table>"
        '<img src="missing.png"></body></html>'
    )
    dumped = _browser(tmp_path, "--virtual-time-budget=5000", "--dump-dom", broken.as_uri())
    seen = dict(re.findall(r'data-([a-z-]+)="([^"]*)"', dumped.stdout))
    assert seen["images"] == "1" and seen["loaded"] == "0"
    assert int(seen["problems"]) >= 1


def test_a_screenshot_can_be_taken(report, tmp_path):
    import matplotlib.image

    shot = tmp_path / "shot.png"
    done = _browser(
        tmp_path, "--window-size=1200,1600", f"--screenshot={shot}", report.html.as_uri()
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert shot.read_bytes()[:8] == PNG_MAGIC
    pixels = matplotlib.image.imread(shot)
    assert pixels.shape[0] >= 1000 and pixels.shape[1] >= 1000
    assert pixels.std() > 0.05  # not a blank page
