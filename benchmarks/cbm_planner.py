"""CBM planner benchmark: quality against baselines, share of the exhaustive optimum, and planning time.

Run: ``.venv/bin/python benchmarks/cbm_planner.py`` (about two minutes on two cores). Prints

1. for every scenario of the suite (``detente.cbm.scenario_suite``), P(goal) of the beam-search plan and of the
   three baselines (random order averaged over 10 orders, greedy biggest-signal-first, cheapest-first), all scored
   on simulated worlds independent of those the planner searched on;
2. for small instances (8 measures, horizon 4), the planner's P(goal) as a share of the exhaustive optimum, both on
   the planning worlds;
3. the time to plan 12 steps from the full catalogue (default settings; best and median of 5 runs).
"""

from __future__ import annotations

import argparse
import statistics
import time

from detente.cbm import (
    Constraints,
    Goal,
    SearchSettings,
    TrustState,
    compare,
    exhaustive_optimum,
    load_catalogue,
    plan,
    scenario_suite,
    small_instances,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worlds", type=int, default=400, help="planning worlds per candidate")
    parser.add_argument("--eval-worlds", type=int, default=4000, help="independent worlds to score plans on")
    parser.add_argument("--exhaustive-worlds", type=int, default=1000, help="worlds for the exhaustive comparison")
    parser.add_argument("--instances", type=int, default=5, help="small instances for exhaustive search")
    args = parser.parse_args()
    catalogue = load_catalogue()

    print("1. P(goal) on independent worlds (higher is better)")
    print(f"{'scenario':24s} {'planner':>8s} {'random':>8s} {'signal':>8s} {'cheapest':>8s}  best baseline")
    wins = 0
    ratios = []
    suite = scenario_suite()
    for sc in suite:
        settings = SearchSettings(worlds=args.worlds)
        c = compare(
            sc.state(), sc.catalogue(catalogue), sc.goal, sc.constraints, settings,
            eval_seed=10_000, eval_worlds=args.eval_worlds,
        )  # fmt: skip
        best = max(c.random, c.signal, c.cheapest)
        wins += c.planner > best
        ratios.append(c.planner / best if best else float("inf"))
        print(
            f"{sc.name:24s} {c.planner:8.3f} {c.random:8.3f} {c.signal:8.3f} {c.cheapest:8.3f}  "
            f"{'planner ahead' if c.planner > best else 'baseline ahead or tied'}"
        )
    print(
        f"planner ahead of every baseline on {wins}/{len(suite)} scenarios; median ratio to the best baseline "
        f"{statistics.median(ratios):.2f}"
    )

    print(f"\n2. share of the exhaustive optimum (8 measures, horizon 4, {args.exhaustive_worlds} worlds)")
    shares = []
    for sc in small_instances(catalogue, count=args.instances):
        settings = SearchSettings(worlds=args.exhaustive_worlds)
        started = time.perf_counter()
        _, best, found = exhaustive_optimum(sc.state(), sc.catalogue(catalogue), sc.goal, sc.constraints, settings)
        share = found / best if best else 1.0
        shares.append(share)
        took = time.perf_counter() - started
        print(f"{sc.name:10s} optimum {best:.4f}  planner {found:.4f}  {share:7.2%}  ({took:.1f} s)")
    print(f"minimum share {min(shares):.2%}, mean {statistics.mean(shares):.2%}")

    print("\n3. planning 12 steps from the full catalogue (84 measures, 2 parties, default settings)")
    state = TrustState.start(
        ["Government", "Front"], prior={("Government", "Front"): 0.3, ("Front", "Government"): 0.4}
    )
    times = []
    for _ in range(5):
        started = time.perf_counter()
        result = plan(state, catalogue, Goal(threshold=0.6), Constraints(horizon=12), SearchSettings())
        times.append(time.perf_counter() - started)
    print(
        f"best {min(times):.2f} s, median {statistics.median(times):.2f} s; {result.candidates_evaluated} candidate "
        f"steps simulated on {result.settings.worlds} worlds each; P(goal) {result.p_goal:.3f}"
    )


if __name__ == "__main__":
    main()
