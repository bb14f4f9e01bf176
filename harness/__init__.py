"""The proxy-ranking harness: rank-correlation yardsticks for zero-cost NAS proxies."""

__version__ = "0.1.0"
