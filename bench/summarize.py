"""Reads the JSON lines of one bench/emulator.sh or bench/client.sh run and prints a Markdown
table of the raw figures and the ratios asked for. Usage: python3 summarize.py emulator|client FILE"""

import json
import sys


def load(path):
    """All runs in order, and per label (the part before `#`) the run with the median req/s."""
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    groups = {}
    for r in rows:
        groups.setdefault(r["label"].split("#")[0], []).append(r)
    medians = {}
    for label, runs in groups.items():
        ranked = sorted(runs, key=lambda r: r["rps"] or 0)
        medians[label] = ranked[(len(ranked) - 1) // 2]
    return rows, medians


def fmt(x, digits=1):
    return "n/a" if x is None else f"{x:,.{digits}f}"


def table(rows, server_cpu):
    head = "| run | req/s | p50 ms | p99 ms | client CPU µs/req |"
    head += " server CPU µs/req |" if server_cpu else ""
    head += " errors |"
    out = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        line = f"| {r['label']} | {fmt(r['rps'], 0)} | {fmt(r['p50_ms'], 3)} | {fmt(r['p99_ms'], 3)} | {fmt(r['cpu_us_per_req'])} |"
        if server_cpu:
            line += f" {fmt(r.get('server_cpu_us_per_req'))} |"
        line += f" {r['errors']}{' (cut short)' if r['cut_short'] else ''} |"
        out.append(line)
    return "\n".join(out)


def ratio(runs, a, b, key="rps", rows=None):
    ra, rb = runs.get(a), runs.get(b)
    if not ra or not rb or not ra.get(key) or not rb.get(key):
        return "n/a"
    text = f"{ra[key] / rb[key]:.2f}x"
    if rows:
        # Interleaved runs: the ratio within each round (`#N`), then the median of those.
        by = {}
        for r in rows:
            label, _, round_ = r["label"].partition("#")
            by.setdefault(round_, {})[label] = r
        per = sorted(
            x[a][key] / x[b][key] for x in by.values() if a in x and b in x and x[a].get(key) and x[b].get(key)
        )
        if len(per) > 1:
            text += f" (median of per-round ratios {per[(len(per) - 1) // 2]:.2f}x over {len(per)} rounds)"
    return text


def main():
    kind, path = sys.argv[1], sys.argv[2]
    rows, runs = load(path)

    def r(a, b, key="rps"):
        return ratio(runs, a, b, key, rows)

    print("Median run of each (by req/s); the ratios use these:")
    print()
    print(table(runs.values(), server_cpu=kind == "emulator"))
    print()
    print("Every run, in order:")
    print()
    print(table(rows, server_cpu=kind == "emulator"))
    print()
    if kind == "emulator":
        print()
        print(f"- ours (API key) / amplify-appsync-simulator (API key), req/s: {r('ours-api-key', 'simulator-api-key')}")
        print(f"- same, server CPU per query (simulator / ours): {r('simulator-api-key', 'ours-api-key', 'server_cpu_us_per_req')}")
        print(f"- IAM / API key on ours, req/s: {r('ours-iam', 'ours-api-key')}")
        print(f"- IAM / API key on ours, server CPU per query: {r('ours-iam', 'ours-api-key', 'server_cpu_us_per_req')}")
        if "base-api-key" in runs:
            # BASELINE= runs: another build of `appsync local`, loaded in alternation with ours.
            print(f"- ours / baseline, API key, server CPU per query: {r('ours-api-key', 'base-api-key', 'server_cpu_us_per_req')}")
            print(f"- ours / baseline, API key, req/s: {r('ours-api-key', 'base-api-key')}")
            print(f"- ours / baseline, IAM, server CPU per query: {r('ours-iam', 'base-iam', 'server_cpu_us_per_req')}")
            print(f"- ours / baseline, IAM, req/s: {r('ours-iam', 'base-iam')}")
            print(f"- IAM / API key on the baseline, req/s: {r('base-iam', 'base-api-key')}")
    else:
        for c in sorted({r["concurrency"] for r in runs.values()}):
            print()
            print(f"c={c}, req/s ratios:")
            print(f"- appsync client (IAM) / raw reqwest unsigned: {r(f'appsync-iam-c{c}', f'reqwest-unsigned-c{c}')}")
            print(f"- raw reqwest + appsync-sigv4 (IAM) / raw reqwest unsigned: {r(f'reqwest-sigv4-c{c}', f'reqwest-unsigned-c{c}')}")
            print(f"- appsync client (IAM) / original Python approach: {r(f'appsync-iam-c{c}', f'original-py-c{c}')}")
            print(f"- appsync client (IAM) / Python gql AIOHTTPTransport+IAM: {r(f'appsync-iam-c{c}', f'gql-py-c{c}')}")
            print(f"- CPU per request, original Python / appsync client: {r(f'original-py-c{c}', f'appsync-iam-c{c}', 'cpu_us_per_req')}")
            print(f"- CPU per request, gql / appsync client: {r(f'gql-py-c{c}', f'appsync-iam-c{c}', 'cpu_us_per_req')}")


if __name__ == "__main__":
    main()
