"""Reads the JSON lines of one bench/resolvers.sh run and prints every run as a Markdown table and
the ratios: ours / amplify-appsync-simulator per benchmark (queries/s), and the DynamoDB table
engine alone / moto's server per operation (operations/s). Each ratio is taken between the median
runs, and in brackets the median of the per-round ratios with each round's ratio listed.
Usage: python3 resolvers_summary.py FILE"""

import json
import sys


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def main():
    with open(sys.argv[1]) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        sys.exit("no runs recorded")

    print("| run | req/s | p50 ms | p99 ms | client CPU µs/req | server CPU µs/req | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['label']} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'], 3)} | {fmt(r['p99_ms'], 3)} "
            f"| {fmt(r.get('cpu_us_per_req'))} | {fmt(r.get('server_cpu_us_per_req'))} | {r['errors']} |"
        )
    print()

    # label "side-name#round" -> {name: {side: {round: row}}}
    by = {}
    for r in rows:
        head, _, round_ = r["label"].partition("#")
        side, _, name = head.partition("-")
        by.setdefault(name, {}).setdefault(side, {})[round_] = r

    pairs = [("ours", "simulator", "queries/s", 10.0), ("engine", "moto", "operations/s", None)]
    for name, sides in by.items():
        for a, b, unit, goal in pairs:
            if a not in sides or b not in sides:
                continue

            def median_rps(runs):
                ranked = sorted(x["rps"] or 0 for x in runs.values())
                return ranked[(len(ranked) - 1) // 2]

            ma, mb = median_rps(sides[a]), median_rps(sides[b])
            per = [
                sides[a][k]["rps"] / sides[b][k]["rps"]
                for k in sorted(sides[a], key=int)
                if k in sides[b] and sides[b][k]["rps"]
            ]
            ranked = sorted(per)
            text = f"{ma / mb:.2f}x" if mb else "n/a"
            if ranked:
                text += f" (per round {', '.join(f'{x:.2f}x' for x in per)}; median {ranked[(len(ranked) - 1) // 2]:.2f}x)"
            verdict = ""
            if goal is not None and mb:
                verdict = f", target at least {goal:g}x: {'met' if ma / mb >= goal else 'NOT met'}"
            print(f"- {name}, {a} / {b}, {unit}: {fmt(ma, 0)} / {fmt(mb, 0)} = {text}{verdict}")


if __name__ == "__main__":
    main()
