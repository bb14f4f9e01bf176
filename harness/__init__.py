"""The proxy-ranking harness: rank-correlation yardsticks for zero-cost NAS proxies.

Installed from the package index as `proxy-ranking-harness`; imported as `harness`.
"""

#: The one place the version is written: pyproject.toml reads it (setuptools' dynamic
#: version), and every results document records it under `versions["harness"]`.
__version__ = "0.1.0"

#: The distribution's name on the package index (pyproject.toml's `[project] name`).
DISTRIBUTION = "proxy-ranking-harness"
