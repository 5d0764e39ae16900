"""The Markdown summary of one bench/python.sh run. Usage: python3 python_summary.py FILE"""

import json
import sys


def main():
    with open(sys.argv[1]) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    groups = {}
    rounds = {}
    for r in rows:
        label, _, rnd = r["label"].partition("#")
        groups.setdefault(label, []).append(r)
        rounds.setdefault(rnd, {})[label] = r

    def med(label, key):
        vals = sorted(r[key] for r in groups.get(label, []) if r.get(key) is not None)
        return vals[(len(vals) - 1) // 2] if vals else None

    def fmt(x, digits=1):
        return "n/a" if x is None else f"{x:,.{digits}f}"

    def ratio(a, b, key, target=None, at_most=False):
        x, y = med(a, key), med(b, key)
        if not x or not y:
            return "n/a"
        value = x / y
        per = sorted(v[a][key] / v[b][key] for v in rounds.values() if a in v and b in v and v[a].get(key) and v[b].get(key))
        text = f"{value:.2f}x"
        if len(per) > 1:
            text += f" (per round {', '.join(f'{p:.2f}x' for p in per)})"
        if target is not None:
            ok = value <= target if at_most else value >= target
            text += f"; target {'<=' if at_most else '>='} {target:.3g}x: {'met' if ok else 'NOT met'}"
        return text

    print("Each figure is the median over the rounds; ratios use the medians.\n")
    print("| run | req/s | p50 ms | p99 ms | CPU µs/req | loop lag p99 ms | errors |")
    print("|---|---|---|---|---|---|---|")
    for label in groups:
        if "-c" in label and not label.startswith("sign"):
            errors = sum(r["errors"] for r in groups[label])
            print(f"| {label} | {fmt(med(label, 'rps'), 0)} | {fmt(med(label, 'p50_ms'), 3)} | {fmt(med(label, 'p99_ms'), 3)} "
                  f"| {fmt(med(label, 'cpu_us_per_req'))} | {fmt(med(label, 'loop_lag_p99_ms'), 3)} | {errors} |")
    print()
    for c in (1, 100):
        print(f"- {c} task(s): appsync-py / gql req/s: {ratio(f'appsync-py-c{c}', f'gql-py-c{c}', 'rps', 6 if c == 100 else None)}")
        print(f"  appsync-py / original req/s: {ratio(f'appsync-py-c{c}', f'original-py-c{c}', 'rps')}")
        print(f"  CPU per request, appsync-py / gql: {ratio(f'appsync-py-c{c}', f'gql-py-c{c}', 'cpu_us_per_req', 1 / 6 if c == 100 else None, True)}")
        print(f"  CPU per request, appsync-py / original: {ratio(f'appsync-py-c{c}', f'original-py-c{c}', 'cpu_us_per_req')}")
    lag = med("appsync-py-lag-c100", "loop_lag_p99_ms")
    print(f"- event-loop lag p99 during the 100-task run: appsync-py {fmt(lag, 3)} ms "
          f"(target < 5 ms: {'met' if lag is not None and lag < 5 else 'NOT met'}), gql {fmt(med('gql-py-lag-c100', 'loop_lag_p99_ms'), 3)} ms")
    print()
    print("| heartbeat (1 ms sleep) | lag p50 ms | lag p99 ms (per round) | own p99 ms | waiting for a core | samples |")
    print("|---|---|---|---|---|---|")
    for label in ("appsync-py-lag-c100", "gql-py-lag-c100", "control-idle", "control-spin"):
        per = ", ".join(fmt(r.get("loop_lag_p99_ms"), 2) for r in groups.get(label, []))
        share = med(label, "loop_runqueue_share")
        print(f"| {label} | {fmt(med(label, 'loop_lag_p50_ms'), 3)} | {fmt(med(label, 'loop_lag_p99_ms'), 3)} ({per}) "
              f"| {fmt(med(label, 'loop_lag_own_p99_ms'), 3)} | {'n/a' if share is None else f'{share:.0%}'} | {fmt(med(label, 'loop_lag_samples'), 0)} |")
    loads = [f"{r['load1']:.1f}" for r in groups.get("load", [])]
    if loads:
        print(f"\n- load average (1 min) at the start of each round: {', '.join(loads)}")
    print()
    print("| signer (188-byte request) | µs per signature |")
    print("|---|---|")
    for name in ("appsync-py", "botocore", "requests-aws4auth"):
        print(f"| {name} | {fmt(med(f'sign-{name}', 'us_per_sign'), 2)} |")
    print(f"\n- botocore / Signer.sign: {ratio('sign-botocore', 'sign-appsync-py', 'us_per_sign', 20)}")
    print(f"- requests-aws4auth / Signer.sign: {ratio('sign-requests-aws4auth', 'sign-appsync-py', 'us_per_sign')}")
    print()
    print("| subscriber (100 subscriptions, one WebSocket) | events/s | CPU µs/event | errors |")
    print("|---|---|---|---|")
    for label in ("appsync-py-tp-100", "gql-py-tp-100"):
        errors = sum(r["errors"] for r in groups.get(label, []))
        print(f"| {label} | {fmt(med(label, 'events_per_s'), 0)} | {fmt(med(label, 'cpu_us_per_event'), 2)} | {errors} |")
    print(f"\n- events/s, appsync-py / gql: {ratio('appsync-py-tp-100', 'gql-py-tp-100', 'events_per_s', 5)}")
    print(f"- CPU per event, gql / appsync-py: {ratio('gql-py-tp-100', 'appsync-py-tp-100', 'cpu_us_per_event')}")
    imp = med("import-appsync", "import_ms_median")
    print(f"\n- `import appsync`: {fmt(imp, 1)} ms median of 15 fresh interpreters "
          f"(target < 50 ms: {'met' if imp is not None and imp < 50 else 'NOT met'})")


if __name__ == "__main__":
    main()
