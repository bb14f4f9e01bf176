"""`harness proxies`: list every registered proxy (and a config's named combinations)."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "proxies",
        parents=[common],
        help="list the registered proxies",
        description="List every registered proxy: version, what it needs, sign, description, "
        "and for set-level proxies (tenas, the label-free combinations) their members.",
    )
    p.add_argument("pattern", nargs="?", default="*", help="glob over proxy names (default *)")
    p.add_argument(
        "--config",
        help="a run config whose [combinations] (user-named label-free combinations) are "
        "listed too",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from harness.proxies import get_proxy, list_proxies

    if args.config:
        from harness.config import load_run_config
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
            }
            for s in specs
        ]
        print(json.dumps(payload, indent=2))
        return 0
    if args.format == "csv":
        print("name,version,needs,higher_is_better,description,members")
        for s in specs:
            desc = s.description.replace('"', "'")
            print(
                f'{s.name},{s.version},{"+".join(sorted(s.needs))},{s.higher_is_better},"{desc}",'
                f"{'+'.join(s.combines)}"
            )
        return 0
    print("| proxy | version | needs | sign | description | members |")
    print("|---|---|---|---|---|---|")
    for s in specs:
        needs = ", ".join(sorted(s.needs)) or "nothing"
        sign = "higher is better" if s.higher_is_better else "lower is better"
        members = ", ".join(s.combines) or "—"
        print(f"| {s.name} | {s.version} | {needs} | {sign} | {s.description} | {members} |")
    return 0
