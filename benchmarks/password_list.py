"""Benchmark: load the shipped list of common passwords, and check a password against the policy.

The list is read once per process, at the first password check (``common_passwords`` caches it); this measures
that first read from a cold cache, and then one check of an accepted and of a refused password. Times are
wall-clock medians over ``--rounds`` rounds.

    .venv/bin/python benchmarks/password_list.py [--rounds 30]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable

from detente.db.password_policy import check_password, common_passwords
from detente.errors import InputError


def _median_ms(run: Callable[[], object], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return round(statistics.median(times) * 1000, 3)


def _refused() -> None:
    try:
        check_password("sunshine2024!!", username="amina")
    except InputError:
        return
    raise AssertionError("sunshine2024!! was accepted")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)

    def cold_load() -> None:
        common_passwords.cache_clear()
        common_passwords()

    figures = {
        "entries": len(common_passwords()),
        "entries_of_12_or_more": sum(len(w) >= 12 for w in common_passwords()),
        "load_ms": _median_ms(cold_load, args.rounds),
        "check_accepted_ms": _median_ms(lambda: check_password("a long passphrase of mine", username="amina"), 1000),
        "check_refused_ms": _median_ms(_refused, 1000),
    }
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
