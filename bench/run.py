"""The benchmark: backprop beside micrograd on the same programs, in the same run, as ratios.

    python bench/run.py            # full: N = 10^3, 10^4, 10^5, the 10^6 chain, whole processes
    python bench/run.py --quick    # a few minutes: smaller N, fewer rounds, large inputs at a tenth

Every goal is a ratio to a peer measured in the same run, except the large inputs' time and
memory, printed with the goal and PASS or MISS, and once more in a summary at the end. Figures
also go to bench/results/<time>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(1, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # the checkout, not an install
import drawing  # bench/ is on sys.path as the script's own folder
import floor
import output  # the output and check goals
import sections
import verify

SECTIONS = {
    **sections.SECTIONS,
    **output.SECTIONS,
    "drawing": drawing.section,
    "verify": verify.section,
    "floor": floor.section,
}

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer rounds")
    parser.add_argument("--rounds", type=int, help="rounds per measurement (default 5, quick 3)")
    parser.add_argument("--only", choices=tuple(SECTIONS), action="append", help="run only these sections")
    args = parser.parse_args()
    os.chdir(ROOT)  # the checkout is what is measured, in process and as `python -m backpropcli`
    # and in the peers' own processes (bench/peers.py imports the package too)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [ROOT, os.environ.get("PYTHONPATH")]))
    sys.setrecursionlimit(10**7)  # micrograd's topological sort recurses once per level of depth
    plan = sections.Plan(
        quick=args.quick,
        rounds=args.rounds or (3 if args.quick else 5),
        workdir=tempfile.mkdtemp(prefix="backprop-bench-"),
    )
    print(
        f"backprop bench ({'quick' if args.quick else 'full'}), {plan.rounds} rounds, python "
        f"{sys.version.split()[0]}, {os.cpu_count()} cores; ratios are medians of paired rounds\n"
    )
    results = {}
    for name in args.only or SECTIONS:
        results[name] = SECTIONS[name](plan)
        print()
    sections.summary(plan)
    _save(results)


def _save(results: dict) -> None:
    folder = os.path.join(HERE, "results")
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, time.strftime("%Y%m%d-%H%M%S") + ".json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(results, handle, indent=1)
    print(f"figures written to {os.path.relpath(path)}")


if __name__ == "__main__":
    main()
