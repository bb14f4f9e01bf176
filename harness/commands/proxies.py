"""`harness proxies`: list every registered proxy, built-in or plugin (and a config's
named combinations)."""

from __future__ import annotations

import argparse
import json

from harness.commands._common import add_include_option
from harness.config import load_run_config


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "proxies",
        parents=[common],
        help="list the registered proxies",
        description="List every registered proxy: version, what it needs, sign, where it "
        "comes from (built-in, an installed package's entry point, an --include file), "
        "description, and for set-level proxies (tenas, the label-free combinations) their "
        "members.",
    )
    p.add_argument("pattern", nargs="?", default="*", help="glob over proxy names (default *)")
    p.add_argument(
        "--config",
        help="a run config whose [combinations] (user-named label-free combinations) are "
        "listed too",
    )
    add_include_option(p)
    p.set_defaults(handler=run)


def _origin(spec) -> str:
    text = spec.origin.describe()
    return text + " (overrides the built-in)" if spec.overridden is not None else text


def run(args: argparse.Namespace) -> int:
    # deferred: pulls in torch, numpy, scipy, tqdm
    from harness.proxies import get_proxy, list_proxies
    from harness.proxies.plugins import load_includes

    load_includes(args.include)
    if args.config:
        # deferred: pulls in torch, numpy, scipy, tqdm
        from harness.proxies.combinations import define_combinations

        define_combinations(load_run_config(args.config).combinations)
    specs = [get_proxy(name) for name in list_proxies(args.pattern)]
    if args.format == "json":
        payload = [
            {
                "name": s.name,
                "version": s.version,
                "needs": sorted(s.needs),
                "higher_is_better": s.higher_is_better,
                "description": s.description,
                "members": list(s.combines),
                "origin": s.origin.to_dict(),
                "overrides_builtin": s.overridden is not None,
                "permutation_invariant": s.permutation_invariant,
                "fails_on": dict(s.fails_on),
            }
            for s in specs
        ]
        print(json.dumps(payload, indent=2))
        return 0
    if args.format == "csv":
        print("name,version,needs,higher_is_better,origin,description,members")
        for s in specs:
            desc = s.description.replace('"', "'")
            needs = "+".join(sorted(s.needs))
            print(
                f'{s.name},{s.version},{needs},{s.higher_is_better},"{_origin(s)}","{desc}",'
                f"{'+'.join(s.combines)}"
            )
        return 0
    print("| proxy | version | needs | sign | origin | description | members |")
    print("|---|---|---|---|---|---|---|")
    for s in specs:
        needs = ", ".join(sorted(s.needs)) or "nothing"
        sign = "higher is better" if s.higher_is_better else "lower is better"
        members = ", ".join(s.combines) or "—"
        print(
            f"| {s.name} | {s.version} | {needs} | {sign} | {_origin(s)} | {s.description} "
            f"| {members} |"
        )
    return 0
