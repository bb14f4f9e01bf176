"""An example proxy plugin for the proxy-ranking harness (see README.md)."""

from harness_proxy_example.proxy import grad_norm_global

__all__ = ["grad_norm_global"]
