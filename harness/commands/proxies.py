"""`harness proxies`: list every registered proxy."""

from __future__ import annotations

import argparse
import json


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "proxies",
        parents=[common],
        help="list the registered proxies",
        description="List every registered proxy: version, what it needs, sign, description.",
    )
    p.add_argument("pattern", nargs="?", default="*", help="glob over proxy names (default *)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from harness.proxies import get_proxy, list_proxies

    specs = [get_proxy(name) for name in list_proxies(args.pattern)]
    if args.format == "json":
        payload = [
            {
                "name": s.name,
                "version": s.version,
                "needs": sorted(s.needs),
                "higher_is_better": s.higher_is_better,
                "description": s.description,
            }
            for s in specs
        ]
        print(json.dumps(payload, indent=2))
        return 0
    if args.format == "csv":
        print("name,version,needs,higher_is_better,description")
        for s in specs:
            desc = s.description.replace('"', "'")
            print(f'{s.name},{s.version},{"+".join(sorted(s.needs))},{s.higher_is_better},"{desc}"')
        return 0
    print("| proxy | version | needs | sign | description |")
    print("|---|---|---|---|---|")
    for s in specs:
        needs = ", ".join(sorted(s.needs)) or "nothing"
        sign = "higher is better" if s.higher_is_better else "lower is better"
        print(f"| {s.name} | {s.version} | {needs} | {sign} | {s.description} |")
    return 0
